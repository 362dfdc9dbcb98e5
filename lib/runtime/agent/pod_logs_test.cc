#include "lib/runtime/agent/pod_logs.h"

#include <stdlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/runtime/process/process_runtime.h"

namespace rudder::runtime::agent {
namespace {

constexpr absl::Duration kT = absl::Seconds(30);

class PodLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/logsXXXXXX");
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    process::ProcessRuntimeOptions o;
    o.isolation = process::Isolation::kNone;
    auto rt = process::NewProcessRuntime(o);
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = *std::move(rt);
    v1::RunPodSandboxRequest sr;
    sr.mutable_config()->mutable_metadata()->set_name("web");
    sr.mutable_config()->mutable_metadata()->set_namespace_("shop");
    sr.mutable_config()->mutable_metadata()->set_uid("uid-1");
    sr.mutable_config()->set_log_directory(dir_ + "/shop_web_uid-1");
    auto sb = rt_->RunPodSandbox(sr, kT);
    ASSERT_TRUE(sb.ok()) << sb.status();
    sandbox_ = sb->pod_sandbox_id();
    source_ = NewRuntimePodLogSource(rt_.get());
  }

  // Runs container `name` (attempt `attempt`) printing `text`, and waits for it to exit.
  void RunToExit(const std::string& name, int attempt, const std::string& text) {
    v1::CreateContainerRequest cr;
    cr.set_pod_sandbox_id(sandbox_);
    cr.mutable_config()->mutable_metadata()->set_name(name);
    cr.mutable_config()->mutable_metadata()->set_attempt(attempt);
    (*cr.mutable_config()->mutable_labels())["io.kubernetes.pod.namespace"] = "shop";
    (*cr.mutable_config()->mutable_labels())["io.kubernetes.pod.name"] = "web";
    (*cr.mutable_config()->mutable_labels())["io.kubernetes.container.name"] = name;
    cr.mutable_config()->add_command("sh");
    cr.mutable_config()->add_args("-c");
    cr.mutable_config()->add_args(absl::StrCat("echo ", text));
    cr.mutable_config()->set_log_path(absl::StrCat(name, "/", attempt, ".log"));
    auto c = rt_->CreateContainer(cr, kT);
    ASSERT_TRUE(c.ok()) << c.status();
    v1::StartContainerRequest start;
    start.set_container_id(c->container_id());
    ASSERT_TRUE(rt_->StartContainer(start, kT).ok());
    for (;;) {
      v1::ContainerStatusRequest q;
      q.set_container_id(c->container_id());
      auto s = rt_->ContainerStatus(q, kT);
      ASSERT_TRUE(s.ok()) << s.status();
      if (s->status().state() == v1::CONTAINER_EXITED) break;
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  std::string Read(const apiserver::PodLogOptions& o) {
    auto stream = source_->OpenLog("shop", "web", o);
    EXPECT_TRUE(stream.ok()) << stream.status();
    if (!stream.ok()) return "";
    std::string out;
    absl::Status s = (*stream)->Stream(
        [&](std::string_view line) {
          out.append(line);
          return true;
        },
        [] { return false; });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::string dir_;
  std::unique_ptr<process::ProcessRuntime> rt_;
  std::string sandbox_;
  std::unique_ptr<apiserver::PodLogSource> source_;
};

TEST_F(PodLogsTest, OnlyContainerNeedsNoNameAndPreviousIsTheEarlierAttempt) {
  RunToExit("app", 0, "first");
  EXPECT_EQ(Read({}), "first\n");
  apiserver::PodLogOptions previous;
  previous.previous = true;
  EXPECT_EQ(source_->OpenLog("shop", "web", previous).status().code(),
            absl::StatusCode::kInvalidArgument);

  RunToExit("app", 1, "second");
  EXPECT_EQ(Read({}), "second\n");
  EXPECT_EQ(Read(previous), "first\n");
}

TEST_F(PodLogsTest, SeveralContainersNeedANameAndUnknownPodsAreErrors) {
  RunToExit("app", 0, "from-app");
  RunToExit("sidecar", 0, "from-sidecar");
  absl::Status no_name = source_->OpenLog("shop", "web", {}).status();
  EXPECT_EQ(no_name.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_name.message().find("choose one of: [app sidecar]"), std::string::npos) << no_name;
  apiserver::PodLogOptions sidecar;
  sidecar.container = "sidecar";
  EXPECT_EQ(Read(sidecar), "from-sidecar\n");
  apiserver::PodLogOptions bogus;
  bogus.container = "bogus";
  EXPECT_EQ(source_->OpenLog("shop", "web", bogus).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(source_->OpenLog("shop", "other", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::runtime::agent
