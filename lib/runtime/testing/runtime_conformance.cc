#include "lib/runtime/testing/runtime_conformance.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/runtime/cri/log_format.h"

namespace rudder::runtime::testing {
namespace {

constexpr absl::Duration kCall = absl::Seconds(60);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `done` every 50 ms, at most `limit` times (asynchronous effects, not timing).
template <typename F>
bool Eventually(F done, int limit = 1200) {
  for (int i = 0; i < limit; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string FreshName(const std::string& base) {
  static std::atomic<int> counter{0};
  return absl::StrCat(base, "-", getpid(), "-", counter++);
}

}  // namespace

void PrintTo(const RuntimeUnderTest& runtime, std::ostream* os) { *os << runtime.name; }

std::string RuntimeUnderTestName(const ::testing::TestParamInfo<RuntimeUnderTest>& info) {
  return info.param.name;
}

void RuntimeConformanceTest::SetUp() {
  auto instance = GetParam().start();
  if (absl::IsUnavailable(instance.status())) {
    GTEST_SKIP() << GetParam().name << " cannot run here: " << instance.status();
  }
  ASSERT_TRUE(instance.ok()) << instance.status();
  instance_ = std::move(*instance);
  ASSERT_NE(instance_.runtime, nullptr);
}

void RuntimeConformanceTest::TearDown() {
  if (instance_.runtime == nullptr) return;
  for (const std::string& id : sandboxes_) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    (void)rt().StopPodSandbox(stop, kCall);
    v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(id);
    (void)rt().RemovePodSandbox(remove, kCall);
  }
  instance_.runtime.reset();
  instance_.keep_alive.reset();
}

v1::PodSandboxConfig RuntimeConformanceTest::SandboxConfig(const std::string& name) {
  v1::PodSandboxConfig config;
  const std::string fresh = FreshName(name);
  config.mutable_metadata()->set_name(fresh);
  config.mutable_metadata()->set_namespace_("conformance");
  config.mutable_metadata()->set_uid(absl::StrCat("uid-", fresh));
  config.set_log_directory(absl::StrCat(instance_.log_root, "/", fresh));
  (*config.mutable_labels())["pod"] = fresh;
  (*config.mutable_annotations())["rudder.io/test"] = "conformance";
  if (GetParam().host_network) {
    config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
        v1::NODE);
  } else {
    config.set_hostname(fresh);
  }
  return config;
}

std::string RuntimeConformanceTest::RunSandbox(const v1::PodSandboxConfig& config) {
  v1::RunPodSandboxRequest request;
  *request.mutable_config() = config;
  auto response = rt().RunPodSandbox(request, kCall);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return "";
  sandboxes_.push_back(response->pod_sandbox_id());
  return response->pod_sandbox_id();
}

absl::StatusOr<std::string> RuntimeConformanceTest::CreateContainer(
    const std::string& sandbox_id, const v1::PodSandboxConfig& sandbox, const std::string& name,
    const std::string& script) {
  v1::CreateContainerRequest request;
  request.set_pod_sandbox_id(sandbox_id);
  *request.mutable_sandbox_config() = sandbox;
  v1::ContainerConfig* config = request.mutable_config();
  config->mutable_metadata()->set_name(name);
  config->mutable_image()->set_image(GetParam().image);
  config->add_command("/bin/sh");
  config->add_args("-c");
  config->add_args(script);
  config->set_log_path(absl::StrCat(name, "/0.log"));
  (*config->mutable_labels())["container"] = name;
  auto response = rt().CreateContainer(request, kCall);
  if (!response.ok()) return response.status();
  return response->container_id();
}

absl::StatusOr<v1::ContainerStatus> RuntimeConformanceTest::Status(const std::string& id) {
  v1::ContainerStatusRequest request;
  request.set_container_id(id);
  auto response = rt().ContainerStatus(request, kCall);
  if (!response.ok()) return response.status();
  return response->status();
}

TEST_P(RuntimeConformanceTest, VersionNamesTheRuntime) {
  v1::VersionRequest request;
  request.set_version("v1");
  auto version = rt().Version(request, kCall);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_FALSE(version->runtime_name().empty());
  EXPECT_FALSE(version->runtime_api_version().empty());
}

TEST_P(RuntimeConformanceTest, UnknownIdsAreNotFound) {
  v1::ContainerStatusRequest container;
  container.set_container_id("conformance-no-such-container");
  EXPECT_EQ(rt().ContainerStatus(container, kCall).status().code(), absl::StatusCode::kNotFound);
  v1::PodSandboxStatusRequest sandbox;
  sandbox.set_pod_sandbox_id("conformance-no-such-sandbox");
  EXPECT_EQ(rt().PodSandboxStatus(sandbox, kCall).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(RuntimeConformanceTest, AbsentImageHasNoStatus) {
  v1::ImageStatusRequest request;
  request.mutable_image()->set_image("rudder.local/conformance-absent:v0");
  auto status = rt().ImageStatus(request, kCall);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->has_image());
}

TEST_P(RuntimeConformanceTest, SandboxLifecycle) {
  const v1::PodSandboxConfig config = SandboxConfig("sandbox");
  const std::string id = RunSandbox(config);
  ASSERT_FALSE(id.empty());

  v1::PodSandboxStatusRequest status_request;
  status_request.set_pod_sandbox_id(id);
  auto status = rt().PodSandboxStatus(status_request, kCall);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->status().id(), id);
  EXPECT_EQ(status->status().state(), v1::SANDBOX_READY);
  EXPECT_EQ(status->status().metadata().name(), config.metadata().name());
  EXPECT_EQ(status->status().metadata().namespace_(), "conformance");
  EXPECT_EQ(status->status().metadata().uid(), config.metadata().uid());
  EXPECT_GT(status->status().created_at(), 0);
  EXPECT_EQ(status->status().labels().at("pod"), config.metadata().name());
  EXPECT_EQ(status->status().annotations().at("rudder.io/test"), "conformance");

  v1::ListPodSandboxRequest by_label;
  (*by_label.mutable_filter()->mutable_label_selector())["pod"] = config.metadata().name();
  auto listed = rt().ListPodSandbox(by_label, kCall);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->items_size(), 1);
  EXPECT_EQ(listed->items(0).id(), id);
  EXPECT_EQ(listed->items(0).state(), v1::SANDBOX_READY);

  v1::ListPodSandboxRequest by_other_label;
  (*by_other_label.mutable_filter()->mutable_label_selector())["pod"] = "no-such-pod";
  auto none = rt().ListPodSandbox(by_other_label, kCall);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->items_size(), 0);

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(id);
  ASSERT_TRUE(rt().StopPodSandbox(stop, kCall).ok());
  EXPECT_TRUE(rt().StopPodSandbox(stop, kCall).ok()) << "StopPodSandbox is idempotent";
  auto stopped = rt().PodSandboxStatus(status_request, kCall);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->status().state(), v1::SANDBOX_NOTREADY);

  v1::ListPodSandboxRequest ready_only;
  ready_only.mutable_filter()->set_id(id);
  ready_only.mutable_filter()->mutable_state()->set_state(v1::SANDBOX_READY);
  auto ready = rt().ListPodSandbox(ready_only, kCall);
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->items_size(), 0);

  v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(id);
  ASSERT_TRUE(rt().RemovePodSandbox(remove, kCall).ok());
  EXPECT_EQ(rt().PodSandboxStatus(status_request, kCall).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(rt().RemovePodSandbox(remove, kCall).ok()) << "RemovePodSandbox is idempotent";
  const absl::Status stop_removed = rt().StopPodSandbox(stop, kCall).status();
  EXPECT_TRUE(stop_removed.ok() || absl::IsNotFound(stop_removed)) << stop_removed;
}

TEST_P(RuntimeConformanceTest, ContainerLifecycle) {
  const v1::PodSandboxConfig sandbox = SandboxConfig("containers");
  const std::string sandbox_id = RunSandbox(sandbox);
  ASSERT_FALSE(sandbox_id.empty());
  auto id = CreateContainer(sandbox_id, sandbox, "main", "echo hello; exec sleep 1000");
  ASSERT_TRUE(id.ok()) << id.status();

  auto created = Status(*id);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->id(), *id);
  EXPECT_EQ(created->state(), v1::CONTAINER_CREATED);
  EXPECT_EQ(created->metadata().name(), "main");
  EXPECT_GT(created->created_at(), 0);
  EXPECT_EQ(created->labels().at("container"), "main");

  v1::StartContainerRequest start;
  start.set_container_id(*id);
  ASSERT_TRUE(rt().StartContainer(start, kCall).ok());
  auto running = Status(*id);
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(running->state(), v1::CONTAINER_RUNNING);
  EXPECT_GT(running->started_at(), 0);
  EXPECT_EQ(running->log_path(), sandbox.log_directory() + "/main/0.log");

  v1::ListContainersRequest in_sandbox;
  in_sandbox.mutable_filter()->set_pod_sandbox_id(sandbox_id);
  auto listed = rt().ListContainers(in_sandbox, kCall);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->containers_size(), 1);
  EXPECT_EQ(listed->containers(0).id(), *id);
  EXPECT_EQ(listed->containers(0).pod_sandbox_id(), sandbox_id);
  EXPECT_EQ(listed->containers(0).state(), v1::CONTAINER_RUNNING);

  if (GetParam().runs_commands) {
    std::string log;
    ASSERT_TRUE(Eventually([&] {
      log = ReadFile(running->log_path());
      return absl::StrContains(log, "hello");
    })) << log;
    const std::string line = log.substr(0, log.find('\n') + 1);
    auto record = cri::ParseLogLine(line);
    ASSERT_TRUE(record.ok()) << record.status() << ": " << line;
    EXPECT_EQ(record->stream, cri::LogStream::kStdout);
    EXPECT_FALSE(record->partial);
    EXPECT_EQ(record->content, "hello");

    v1::ExecSyncRequest exec;
    exec.set_container_id(*id);
    exec.add_cmd("/bin/sh");
    exec.add_cmd("-c");
    exec.add_cmd("echo out; echo err >&2; exit 5");
    exec.set_timeout(30);
    auto result = rt().ExecSync(exec, kCall);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code(), 5);
    EXPECT_EQ(result->stdout(), "out\n");
    EXPECT_EQ(result->stderr(), "err\n");
  }

  v1::StopContainerRequest stop;
  stop.set_container_id(*id);
  stop.set_timeout(10);
  ASSERT_TRUE(rt().StopContainer(stop, kCall).ok());
  auto exited = Status(*id);
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_EQ(exited->state(), v1::CONTAINER_EXITED);
  EXPECT_GT(exited->finished_at(), 0);
  EXPECT_TRUE(rt().StopContainer(stop, kCall).ok()) << "StopContainer is idempotent";

  v1::ListContainersRequest running_only;
  running_only.mutable_filter()->set_pod_sandbox_id(sandbox_id);
  running_only.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  auto none = rt().ListContainers(running_only, kCall);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->containers_size(), 0);

  v1::RemoveContainerRequest remove;
  remove.set_container_id(*id);
  ASSERT_TRUE(rt().RemoveContainer(remove, kCall).ok());
  EXPECT_EQ(Status(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(rt().RemoveContainer(remove, kCall).ok()) << "RemoveContainer is idempotent";
  const absl::Status stop_removed = rt().StopContainer(stop, kCall).status();
  EXPECT_TRUE(stop_removed.ok() || absl::IsNotFound(stop_removed)) << stop_removed;
}

TEST_P(RuntimeConformanceTest, ExitCodeAndReason) {
  if (!GetParam().runs_commands) GTEST_SKIP() << GetParam().name << " runs no commands";
  const v1::PodSandboxConfig sandbox = SandboxConfig("exits");
  const std::string sandbox_id = RunSandbox(sandbox);
  ASSERT_FALSE(sandbox_id.empty());
  for (int code : {0, 3}) {
    SCOPED_TRACE(code);
    auto id = CreateContainer(sandbox_id, sandbox, absl::StrCat("exit", code),
                              absl::StrCat("exit ", code));
    ASSERT_TRUE(id.ok()) << id.status();
    v1::StartContainerRequest start;
    start.set_container_id(*id);
    ASSERT_TRUE(rt().StartContainer(start, kCall).ok());
    absl::StatusOr<v1::ContainerStatus> status;
    ASSERT_TRUE(Eventually([&] {
      status = Status(*id);
      return status.ok() && status->state() == v1::CONTAINER_EXITED;
    })) << status.status();
    EXPECT_EQ(status->exit_code(), code);
    EXPECT_EQ(status->reason(), code == 0 ? "Completed" : "Error");
    // Only that it is set: containerd records started_at after the start call returns, which
    // can be later than the exit of a command this short.
    EXPECT_GT(status->finished_at(), 0);
  }
}

TEST_P(RuntimeConformanceTest, StopAfterGracePeriodKills) {
  if (!GetParam().runs_commands) GTEST_SKIP() << GetParam().name << " runs no commands";
  const v1::PodSandboxConfig sandbox = SandboxConfig("stubborn");
  const std::string sandbox_id = RunSandbox(sandbox);
  ASSERT_FALSE(sandbox_id.empty());
  auto id =
      CreateContainer(sandbox_id, sandbox, "stubborn", "trap '' TERM; echo ready; exec sleep 1000");
  ASSERT_TRUE(id.ok()) << id.status();
  v1::StartContainerRequest start;
  start.set_container_id(*id);
  ASSERT_TRUE(rt().StartContainer(start, kCall).ok());
  const std::string log_path = sandbox.log_directory() + "/stubborn/0.log";
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(ReadFile(log_path), "ready"); }));
  v1::StopContainerRequest stop;
  stop.set_container_id(*id);
  stop.set_timeout(1);
  ASSERT_TRUE(rt().StopContainer(stop, kCall).ok());
  auto status = Status(*id);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(status->exit_code(), 137) << "128 + SIGKILL";
}

TEST_P(RuntimeConformanceTest, StoppingTheSandboxStopsItsContainers) {
  const v1::PodSandboxConfig sandbox = SandboxConfig("cascade");
  const std::string sandbox_id = RunSandbox(sandbox);
  ASSERT_FALSE(sandbox_id.empty());
  auto id = CreateContainer(sandbox_id, sandbox, "worker", "exec sleep 1000");
  ASSERT_TRUE(id.ok()) << id.status();
  v1::StartContainerRequest start;
  start.set_container_id(*id);
  ASSERT_TRUE(rt().StartContainer(start, kCall).ok());

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sandbox_id);
  ASSERT_TRUE(rt().StopPodSandbox(stop, kCall).ok());
  auto status = Status(*id);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->state(), v1::CONTAINER_EXITED);

  v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(sandbox_id);
  ASSERT_TRUE(rt().RemovePodSandbox(remove, kCall).ok());
  EXPECT_EQ(Status(*id).status().code(), absl::StatusCode::kNotFound)
      << "removing a sandbox removes its containers";
}

}  // namespace rudder::runtime::testing
