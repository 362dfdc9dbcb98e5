#include "lib/runtime/process/process_runtime.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/runtime/logs/logs.h"

namespace rudder::runtime::process {
namespace {

constexpr absl::Duration kT = absl::Seconds(30);

std::string TempDir() {
  std::string t =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/procrtXXXXXX");
  return mkdtemp(t.data());
}

class ProcessRuntimeTest : public ::testing::TestWithParam<Isolation> {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ProcessRuntimeOptions o;
    o.isolation = GetParam();
    o.log.max_bytes = 1 << 20;
    absl::StatusOr<std::unique_ptr<ProcessRuntime>> rt = NewProcessRuntime(o);
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = std::move(*rt);
    v1::RunPodSandboxRequest req;
    req.mutable_config()->mutable_metadata()->set_name("pod");
    req.mutable_config()->mutable_metadata()->set_namespace_("default");
    req.mutable_config()->mutable_metadata()->set_uid("uid-1234567890");
    req.mutable_config()->set_hostname("mypod");
    req.mutable_config()->set_log_directory(dir_ + "/pod");
    absl::StatusOr<v1::RunPodSandboxResponse> sb = rt_->RunPodSandbox(req, kT);
    ASSERT_TRUE(sb.ok()) << sb.status();
    sandbox_ = sb->pod_sandbox_id();
  }

  // Creates and starts `name` (attempt) running `sh -c script`.
  std::string Run(const std::string& name, const std::string& script, uint32_t attempt = 0,
                  std::vector<std::pair<std::string, std::string>> env = {},
                  const std::string& cwd = "") {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox_);
    v1::ContainerConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_attempt(attempt);
    c->mutable_image()->set_image("busybox");
    c->add_command("/bin/sh");
    c->add_args("-c");
    c->add_args(script);
    c->set_working_dir(cwd);
    c->set_log_path(absl::StrCat(name, "/", attempt, ".log"));
    for (auto& [k, v] : env) {
      v1::KeyValue* kv = c->add_envs();
      kv->set_key(k);
      kv->set_value(v);
    }
    absl::StatusOr<v1::CreateContainerResponse> cr = rt_->CreateContainer(req, kT);
    EXPECT_TRUE(cr.ok()) << cr.status();
    if (!cr.ok()) return "";
    v1::StartContainerRequest s;
    s.set_container_id(cr->container_id());
    absl::Status st = rt_->StartContainer(s, kT).status();
    EXPECT_TRUE(st.ok()) << st;
    return cr->container_id();
  }

  v1::ContainerStatus Status(const std::string& id) {
    v1::ContainerStatusRequest r;
    r.set_container_id(id);
    absl::StatusOr<v1::ContainerStatusResponse> s = rt_->ContainerStatus(r, kT);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? s->status() : v1::ContainerStatus();
  }

  // Waits (without a time limit of its own) until the container has exited.
  v1::ContainerStatus AwaitExit(const std::string& id) {
    while (true) {
      v1::ContainerStatus s = Status(id);
      if (s.state() != v1::CONTAINER_RUNNING) return s;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  std::string Logs(const std::string& path, logs::ReadOptions o = {}) {
    std::string out;
    absl::Status s = logs::ReadLogs(path, o, [&](std::string_view c) {
      out.append(c);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // Waits until the container's log contains `text`.
  void AwaitLog(const std::string& id, const std::string& text) {
    std::string path = Status(id).log_path();
    while (access(path.c_str(), F_OK) != 0 || Logs(path).find(text) == std::string::npos) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  absl::StatusOr<v1::ExecSyncResponse> Exec(const std::string& id, std::vector<std::string> cmd,
                                            int64_t timeout = 0) {
    v1::ExecSyncRequest r;
    r.set_container_id(id);
    for (auto& c : cmd) r.add_cmd(c);
    r.set_timeout(timeout);
    return rt_->ExecSync(r, kT);
  }

  absl::Status Stop(const std::string& id, int64_t grace) {
    v1::StopContainerRequest r;
    r.set_container_id(id);
    r.set_timeout(grace);
    return rt_->StopContainer(r, kT).status();
  }

  std::string dir_;
  std::unique_ptr<ProcessRuntime> rt_;
  std::string sandbox_;
};

TEST_P(ProcessRuntimeTest, PrintsAndExitsWithCode) {
  std::string id = Run("app", "echo hello; echo oops >&2; printf 'no newline'; exit 3");
  v1::ContainerStatus s = AwaitExit(id);
  EXPECT_EQ(s.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 3);
  EXPECT_EQ(s.reason(), "Error");
  EXPECT_GT(s.finished_at(), 0);
  EXPECT_GE(s.finished_at(), s.started_at());
  EXPECT_EQ(s.log_path(), dir_ + "/pod/app/0.log");
  EXPECT_EQ(Logs(s.log_path()), "hello\noops\nno newline\n");
  std::string raw;
  logs::ReadOptions o;
  EXPECT_NE(Logs(s.log_path(), o).find("hello"), std::string::npos);
}

TEST_P(ProcessRuntimeTest, CrashesRepeatedlyEachAttemptWithItsOwnLog) {
  for (uint32_t attempt = 0; attempt < 3; ++attempt) {
    std::string id = Run("crash", absl::StrCat("echo attempt ", attempt, "; exit 1"), attempt);
    v1::ContainerStatus s = AwaitExit(id);
    EXPECT_EQ(s.exit_code(), 1);
    EXPECT_EQ(s.metadata().attempt(), attempt);
  }
  absl::StatusOr<std::string> cur = logs::FindContainerLog(dir_ + "/pod", "crash", false);
  absl::StatusOr<std::string> prev = logs::FindContainerLog(dir_ + "/pod", "crash", true);
  ASSERT_TRUE(cur.ok() && prev.ok());
  EXPECT_EQ(Logs(*cur), "attempt 2\n");
  EXPECT_EQ(Logs(*prev), "attempt 1\n");
  v1::ListContainersRequest lr;
  absl::StatusOr<v1::ListContainersResponse> l = rt_->ListContainers(lr, kT);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->containers_size(), 3);
}

TEST_P(ProcessRuntimeTest, StopWithGraceLetsTermTrapExitZero) {
  std::string id =
      Run("app", "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done");
  AwaitLog(id, "ready");
  ASSERT_TRUE(Stop(id, 30).ok());
  v1::ContainerStatus s = Status(id);
  EXPECT_EQ(s.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 0);
  EXPECT_EQ(s.reason(), "Completed");
  EXPECT_NE(Logs(s.log_path()).find("bye\n"), std::string::npos);
  EXPECT_TRUE(Stop(id, 30).ok());  // idempotent
}

TEST_P(ProcessRuntimeTest, StopKillsWhatIgnoresTerm) {
  std::string id = Run("app", "trap '' TERM; echo ready; while :; do sleep 0.05; done");
  AwaitLog(id, "ready");
  ASSERT_TRUE(Stop(id, 1).ok());
  v1::ContainerStatus s = Status(id);
  EXPECT_EQ(s.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 137);
}

TEST_P(ProcessRuntimeTest, StopWithoutGraceKillsAtOnce) {
  std::string id = Run("app", "echo ready; exec sleep 1000");
  AwaitLog(id, "ready");
  ASSERT_TRUE(Stop(id, 0).ok());
  EXPECT_EQ(Status(id).exit_code(), 137);
}

TEST_P(ProcessRuntimeTest, ExecSync) {
  std::string id = Run("app", "echo ready; exec sleep 1000", 0, {{"GREETING", "hi"}}, "/tmp");
  AwaitLog(id, "ready");
  absl::StatusOr<v1::ExecSyncResponse> r =
      Exec(id, {"sh", "-c", "echo $GREETING; pwd; echo e >&2; exit 7"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code(), 7);
  EXPECT_EQ(r->stdout(), "hi\n/tmp\n");
  EXPECT_EQ(r->stderr(), "e\n");
  r = Exec(id, {"true"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code(), 0);
  r = Exec(id, {"no-such-command-xyz"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code(), 127);
  EXPECT_EQ(Exec(id, {"sleep", "100"}, 1).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Exec(id, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Exec("nope", {"true"}).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(Stop(id, 0).ok());
  EXPECT_EQ(Exec(id, {"true"}).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(ProcessRuntimeTest, EnvAndWorkingDir) {
  std::string id = Run("app", "echo $FOO; pwd; echo ${HOME:-nohome}; echo $HOSTNAME", 0,
                       {{"FOO", "bar"}}, "/tmp");
  v1::ContainerStatus s = AwaitExit(id);
  EXPECT_EQ(s.exit_code(), 0);
  EXPECT_EQ(Logs(s.log_path()), "bar\n/tmp\nnohome\nmypod\n");
}

TEST_P(ProcessRuntimeTest, StatsOfBusyLoop) {
  std::string id = Run("busy", "while :; do :; done");
  v1::ContainerStatsRequest r;
  r.set_container_id(id);
  while (true) {
    absl::StatusOr<v1::ContainerStatsResponse> s = rt_->ContainerStats(r, kT);
    ASSERT_TRUE(s.ok()) << s.status();
    if (s->stats().cpu().usage_core_nano_seconds().value() > 0 &&
        s->stats().memory().working_set_bytes().value() > 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  v1::ListContainerStatsRequest lr;
  absl::StatusOr<v1::ListContainerStatsResponse> l = rt_->ListContainerStats(lr, kT);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->stats_size(), 1);
  v1::ContainerStatsRequest bad;
  bad.set_container_id("nope");
  EXPECT_EQ(rt_->ContainerStats(bad, kT).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(ProcessRuntimeTest, StartErrorForMissingExecutable) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(sandbox_);
  req.mutable_config()->mutable_metadata()->set_name("bad");
  req.mutable_config()->add_command("no-such-binary-xyz");
  absl::StatusOr<v1::CreateContainerResponse> cr = rt_->CreateContainer(req, kT);
  ASSERT_TRUE(cr.ok());
  v1::StartContainerRequest s;
  s.set_container_id(cr->container_id());
  EXPECT_FALSE(rt_->StartContainer(s, kT).ok());
  v1::ContainerStatus st = Status(cr->container_id());
  EXPECT_EQ(st.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 128);
  EXPECT_EQ(st.reason(), "StartError");
  EXPECT_EQ(rt_->StartContainer(s, kT).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(ProcessRuntimeTest, CreateErrors) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(sandbox_);
  req.mutable_config()->mutable_metadata()->set_name("x");
  EXPECT_EQ(rt_->CreateContainer(req, kT).status().code(), absl::StatusCode::kInvalidArgument);
  req.mutable_config()->add_command("true");
  ASSERT_TRUE(rt_->CreateContainer(req, kT).ok());
  EXPECT_EQ(rt_->CreateContainer(req, kT).status().code(), absl::StatusCode::kAlreadyExists);
  req.set_pod_sandbox_id("nope");
  EXPECT_EQ(rt_->CreateContainer(req, kT).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(ProcessRuntimeTest, RemovingTheSandboxKillsAndReapsEverything) {
  std::vector<std::string> ids;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(Run(absl::StrCat("c", i), "echo ready; sleep 1000 & sleep 1000"));
  }
  for (auto& id : ids) AwaitLog(id, "ready");
  v1::RemovePodSandboxRequest r;
  r.set_pod_sandbox_id(sandbox_);
  ASSERT_TRUE(rt_->RemovePodSandbox(r, kT).ok());
  ASSERT_TRUE(rt_->RemovePodSandbox(r, kT).ok());  // idempotent
  v1::PodSandboxStatusRequest sr;
  sr.set_pod_sandbox_id(sandbox_);
  EXPECT_EQ(rt_->PodSandboxStatus(sr, kT).status().code(), absl::StatusCode::kNotFound);
  // No child of ours is left, not even a zombie.
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_P(ProcessRuntimeTest, ConcurrentContainers) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([this, i] {
      std::string id = Run(absl::StrCat("c", i), absl::StrCat("echo ", i, "; exit ", i));
      v1::ContainerStatus s = AwaitExit(id);
      EXPECT_EQ(s.exit_code(), i);
      EXPECT_EQ(Logs(s.log_path()), absl::StrCat(i, "\n"));
    });
  }
  for (auto& t : threads) t.join();
}

TEST_P(ProcessRuntimeTest, Images) {
  v1::ImageStatusRequest is;
  is.mutable_image()->set_image("nginx");
  EXPECT_FALSE(rt_->ImageStatus(is, kT)->has_image());
  v1::PullImageRequest p;
  p.mutable_image()->set_image("nginx");
  ASSERT_TRUE(rt_->PullImage(p, kT).ok());
  EXPECT_TRUE(rt_->ImageStatus(is, kT)->has_image());
  rt_->SetPullError("bad", absl::NotFoundError("no such image"));
  p.mutable_image()->set_image("bad");
  EXPECT_EQ(rt_->PullImage(p, kT).status().code(), absl::StatusCode::kNotFound);
  v1::RemoveImageRequest rm;
  rm.mutable_image()->set_image("nginx");
  ASSERT_TRUE(rt_->RemoveImage(rm, kT).ok());
  EXPECT_FALSE(rt_->ImageStatus(is, kT)->has_image());
}

TEST_P(ProcessRuntimeTest, NamespacesWhenAvailable) {
  bool isolated = GetParam() != Isolation::kNone;
  for (const std::string& line : rt_->IsolationReport()) {
    if (line.find("namespaces skipped") != std::string::npos) isolated = false;
  }
  if (!isolated) GTEST_SKIP() << "no namespaces here (not root or not permitted)";
  // The pod's hostname, and a PID namespace where the container is not pid 1's parent's child.
  std::string id = Run("app", "uname -n; echo $$; ls /proc | grep -c '^[0-9]'");
  v1::ContainerStatus s = AwaitExit(id);
  EXPECT_EQ(s.exit_code(), 0);
  std::vector<std::string> lines = absl::StrSplit(Logs(s.log_path()), '\n');
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "mypod");
  int pid = 0, procs = 0;
  ASSERT_TRUE(absl::SimpleAtoi(lines[1], &pid));
  ASSERT_TRUE(absl::SimpleAtoi(lines[2], &procs));
  EXPECT_LT(pid, 10);    // small pids: a fresh PID namespace
  EXPECT_LT(procs, 10);  // only the sandbox's processes are visible in /proc
}

INSTANTIATE_TEST_SUITE_P(Isolation, ProcessRuntimeTest,
                         ::testing::Values(Isolation::kNone, Isolation::kAuto),
                         [](const ::testing::TestParamInfo<Isolation>& i) {
                           return i.param == Isolation::kNone ? std::string("None")
                                                              : std::string("Auto");
                         });

}  // namespace
}  // namespace rudder::runtime::process
