#include "lib/runtime/sim/sim_runtime.h"

#include "gtest/gtest.h"

namespace rudder::runtime::sim {
namespace {

constexpr absl::Duration kT = absl::InfiniteDuration();

class SimRuntimeTest : public ::testing::Test {
 protected:
  SimRuntimeTest() : rt_(NewSimRuntime({.clock = &clock_})) {}

  std::string Sandbox(const std::string& script) {
    v1::RunPodSandboxRequest req;
    req.mutable_config()->mutable_metadata()->set_name("web");
    req.mutable_config()->mutable_metadata()->set_namespace_("default");
    req.mutable_config()->mutable_metadata()->set_uid(absl::StrCat("uid-", ++n_));
    if (!script.empty()) (*req.mutable_config()->mutable_annotations())[kScriptAnnotation] = script;
    absl::StatusOr<v1::RunPodSandboxResponse> r = rt_->RunPodSandbox(req, kT);
    EXPECT_TRUE(r.ok()) << r.status();
    return r->pod_sandbox_id();
  }
  std::string Start(const std::string& sb, const std::string& name, uint32_t attempt = 0) {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(sb);
    req.mutable_config()->mutable_metadata()->set_name(name);
    req.mutable_config()->mutable_metadata()->set_attempt(attempt);
    req.mutable_config()->mutable_image()->set_image("busybox");
    absl::StatusOr<v1::CreateContainerResponse> c = rt_->CreateContainer(req, kT);
    EXPECT_TRUE(c.ok()) << c.status();
    v1::StartContainerRequest s;
    s.set_container_id(c->container_id());
    EXPECT_TRUE(rt_->StartContainer(s, kT).ok());
    return c->container_id();
  }
  v1::ContainerStatus Status(const std::string& id) {
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    return rt_->ContainerStatus(req, kT)->status();
  }
  int Exec(const std::string& id, const std::string& cmd) {
    v1::ExecSyncRequest req;
    req.set_container_id(id);
    req.add_cmd(cmd);
    absl::StatusOr<v1::ExecSyncResponse> r = rt_->ExecSync(req, kT);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->exit_code() : -1;
  }

  FakeClock clock_;
  std::unique_ptr<SimRuntime> rt_;
  int n_ = 0;
};

TEST(ScriptTest, ParsesClauses) {
  absl::StatusOr<Script> s =
      ParseScript("init: exit=2s; app: exit=30s code=1 memory=32Mi cpu=250; *: cpu=5");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s->For("init").exit_after, absl::Seconds(2));
  EXPECT_EQ(s->For("app").exit_code, 1);
  EXPECT_EQ(s->For("app").memory_bytes, 32 << 20);
  EXPECT_EQ(s->For("app").cpu_millicores, 250);
  EXPECT_EQ(s->For("other").cpu_millicores, 5);
  EXPECT_FALSE(s->For("other").exit_after.has_value());
}

TEST(ScriptTest, RejectsBadInput) {
  EXPECT_EQ(ParseScript("app: exit=soon").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseScript("app: colour=red").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseScript(": exit=1s").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseScript("app: memory=lots").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SimRuntimeTest, ContainerExitsWhenScriptSays) {
  std::string sb = Sandbox("app: exit=10s code=3");
  std::string id = Start(sb, "app");
  EXPECT_EQ(Status(id).state(), v1::CONTAINER_RUNNING);
  clock_.Advance(absl::Seconds(9));
  EXPECT_EQ(Status(id).state(), v1::CONTAINER_RUNNING);
  clock_.Advance(absl::Seconds(5));
  v1::ContainerStatus s = Status(id);
  EXPECT_EQ(s.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 3);
  EXPECT_EQ(s.reason(), "Error");
  // The exit happened at start + 10s, not when it was observed.
  EXPECT_EQ(s.finished_at() - s.started_at(), absl::ToInt64Nanoseconds(absl::Seconds(10)));
}

TEST_F(SimRuntimeTest, AttemptsLimitsExits) {
  std::string sb = Sandbox("app: exit=1s attempts=1");
  std::string first = Start(sb, "app", 0);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Status(first).state(), v1::CONTAINER_EXITED);
  std::string second = Start(sb, "app", 1);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Status(second).state(), v1::CONTAINER_RUNNING);
}

TEST_F(SimRuntimeTest, ExecFollowsScriptAndOverrides) {
  std::string sb = Sandbox("app: exec-ok-after=5s exec-fail-after=20s");
  std::string id = Start(sb, "app");
  EXPECT_EQ(Exec(id, "check"), 1);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(Exec(id, "check"), 0);
  clock_.Advance(absl::Seconds(15));
  EXPECT_EQ(Exec(id, "check"), 1);
  rt_->SetExecExitCode("web", "app", "check", 0);
  EXPECT_EQ(Exec(id, "check"), 0);
  EXPECT_EQ(Exec(id, "other"), 1);
}

TEST_F(SimRuntimeTest, StopHonoursGracePeriod) {
  std::string sb = Sandbox("app: term=20s; quick: term=1s");
  std::string slow = Start(sb, "app");
  std::string quick = Start(sb, "quick");
  v1::StopContainerRequest req;
  req.set_container_id(slow);
  req.set_timeout(10);
  ASSERT_TRUE(rt_->StopContainer(req, kT).ok());
  EXPECT_EQ(Status(slow).exit_code(), 137);
  req.set_container_id(quick);
  ASSERT_TRUE(rt_->StopContainer(req, kT).ok());
  EXPECT_EQ(Status(quick).exit_code(), 143);
  // Idempotent, and fine once removed.
  ASSERT_TRUE(rt_->StopContainer(req, kT).ok());
  v1::RemoveContainerRequest rm;
  rm.set_container_id(quick);
  ASSERT_TRUE(rt_->RemoveContainer(rm, kT).ok());
  ASSERT_TRUE(rt_->StopContainer(req, kT).ok());
  v1::ContainerStatusRequest st;
  st.set_container_id(quick);
  EXPECT_EQ(rt_->ContainerStatus(st, kT).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SimRuntimeTest, StatsReportScriptUsage) {
  std::string sb = Sandbox("app: cpu=200 memory=64Mi");
  Start(sb, "app");
  clock_.Advance(absl::Seconds(10));
  absl::StatusOr<v1::ListContainerStatsResponse> r = rt_->ListContainerStats({}, kT);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->stats_size(), 1);
  EXPECT_EQ(r->stats(0).memory().working_set_bytes().value(), 64u << 20);
  EXPECT_EQ(r->stats(0).cpu().usage_nano_cores().value(), 200000000u);
  EXPECT_EQ(r->stats(0).cpu().usage_core_nano_seconds().value(), 2000000000u);
}

TEST_F(SimRuntimeTest, PullsAndErrors) {
  v1::ImageStatusRequest st;
  st.mutable_image()->set_image("nginx");
  EXPECT_FALSE(rt_->ImageStatus(st, kT)->has_image());
  v1::PullImageRequest pull;
  pull.mutable_image()->set_image("nginx");
  ASSERT_TRUE(rt_->PullImage(pull, kT).ok());
  EXPECT_TRUE(rt_->ImageStatus(st, kT)->has_image());
  rt_->SetPullError("bad", absl::NotFoundError("manifest unknown"));
  pull.mutable_image()->set_image("bad");
  EXPECT_EQ(rt_->PullImage(pull, kT).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SimRuntimeTest, SandboxLifecycle) {
  std::string sb = Sandbox("");
  std::string id = Start(sb, "app");
  v1::PodSandboxStatusRequest ps;
  ps.set_pod_sandbox_id(sb);
  EXPECT_FALSE(rt_->PodSandboxStatus(ps, kT)->status().network().ip().empty());
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sb);
  ASSERT_TRUE(rt_->StopPodSandbox(stop, kT).ok());
  EXPECT_EQ(Status(id).state(), v1::CONTAINER_EXITED);
  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(sb);
  ASSERT_TRUE(rt_->RemovePodSandbox(rm, kT).ok());
  EXPECT_EQ(rt_->ContainerCount(), 0u);
  EXPECT_EQ(rt_->SandboxCount(), 0u);
  EXPECT_EQ(rt_->PodSandboxStatus(ps, kT).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(rt_->RemovePodSandbox(rm, kT).ok());
}

}  // namespace
}  // namespace rudder::runtime::sim

namespace rudder::runtime::sim {
namespace {

TEST(SimRuntimeHookTest, ScriptForWinsOverTheAnnotation) {
  FakeClock clock;
  SimOptions o;
  o.clock = &clock;
  o.script_for = [](const v1::PodSandboxConfig& c) -> std::string {
    return c.metadata().name() == "hooked" ? "app: exit=1s code=3" : "";
  };
  std::unique_ptr<SimRuntime> rt = NewSimRuntime(o);
  auto run = [&](const std::string& name) {
    v1::RunPodSandboxRequest req;
    req.mutable_config()->mutable_metadata()->set_name(name);
    req.mutable_config()->mutable_metadata()->set_namespace_("default");
    req.mutable_config()->mutable_metadata()->set_uid(name);
    (*req.mutable_config()->mutable_annotations())[kScriptAnnotation] = "app: exit=1s code=7";
    v1::CreateContainerRequest cr;
    cr.set_pod_sandbox_id(rt->RunPodSandbox(req, kT)->pod_sandbox_id());
    cr.mutable_config()->mutable_metadata()->set_name("app");
    cr.mutable_config()->mutable_image()->set_image("busybox");
    std::string id = rt->CreateContainer(cr, kT)->container_id();
    v1::StartContainerRequest s;
    s.set_container_id(id);
    EXPECT_TRUE(rt->StartContainer(s, kT).ok());
    return id;
  };
  std::string hooked = run("hooked"), other = run("other");
  clock.Advance(absl::Seconds(2));
  v1::ContainerStatusRequest q;
  q.set_container_id(hooked);
  EXPECT_EQ(rt->ContainerStatus(q, kT)->status().exit_code(), 3);
  q.set_container_id(other);
  EXPECT_EQ(rt->ContainerStatus(q, kT)->status().exit_code(), 7);  // the hook said ""
}

}  // namespace
}  // namespace rudder::runtime::sim
