// End-to-end: the node agent runs real processes through the process runtime against an
// in-process API server. The agent and the runtime share a FakeClock, so back-off and probe
// timers are exact while the containers are real processes; the test waits (in real time,
// with a generous guard) only for processes to exit.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/client/record/record.h"
#include "lib/runtime/agent/agent.h"
#include "lib/runtime/process/process_runtime.h"
#include "lib/store/memory/memory_store.h"

namespace rudder {
namespace {

using api::core::v1::ContainerStatus;
using api::core::v1::Pod;

constexpr char kNode[] = "e2e-node";

class ProcessAgentE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/agentXXXXXX");
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    store_ = *store::NewMemoryStore();
    scheme_ = api::NewBuiltinScheme();
    registry_ = std::make_unique<apiserver::Registry>(store_.get(), scheme_.get());
    client_ = client::NewInProcessClient(registry_.get());
    runtime::process::ProcessRuntimeOptions ro;
    ro.clock = &clock_;
    ro.isolation = runtime::process::Isolation::kNone;
    auto rt = runtime::process::NewProcessRuntime(ro);
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = *std::move(rt);
    source_ = runtime::agent::NewListPodSource(client_.get(), kNode);
    broadcaster_ = record::EventBroadcaster::New(client_.get(), {.clock = &clock_});
    recorder_ = broadcaster_->NewRecorder({.component = "kubelet", .host = kNode});
    runtime::agent::AgentOptions o;
    o.node_name = kNode;
    o.clock = &clock_;
    o.capacity = {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", "10"}};
    o.pod_source = source_.get();
    o.pod_log_dir = dir_;
    o.recorder = recorder_.get();
    o.eviction_memory_available_bytes = 0;
    auto a = runtime::agent::NewAgent(client_.get(), rt_.get(), o);
    ASSERT_TRUE(a.ok()) << a.status();
    agent_ = *std::move(a);
  }
  void TearDown() override {
    if (broadcaster_ != nullptr) broadcaster_->Shutdown();
    agent_.reset();
    rt_.reset();
    std::filesystem::remove_all(dir_);
  }

  void CreatePod(const std::string& json) {
    Pod p;
    ASSERT_TRUE(api::DecodeJson(json, &p).ok());
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_spec()->set_nodename(kNode);
    ASSERT_TRUE(client::TypedClient<Pod>(client_.get()).Create(p).ok());
  }
  Pod Get(const std::string& name) {
    auto p = client::TypedClient<Pod>(client_.get()).Get("default", name);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? **p : Pod();
  }
  void Sync() {
    absl::Status s = agent_->SyncOnce();
    ASSERT_TRUE(s.ok()) << s;
  }
  // Syncs (without moving the fake clock) until `done` holds for the pod's first container;
  // a real-time guard against hangs, not a timing check.
  bool SyncUntil(const std::string& pod, const std::function<bool(const ContainerStatus&)>& done) {
    absl::Time limit = absl::Now() + absl::Seconds(30);
    while (absl::Now() < limit) {
      if (!agent_->SyncOnce().ok()) return false;
      Pod p = Get(pod);
      if (p.status().containerstatuses_size() > 0 && done(p.status().containerstatuses(0))) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }
  std::vector<std::string> EventReasons(const std::string& pod) {
    broadcaster_->Flush();
    std::vector<std::string> out;
    auto list = client::TypedClient<api::core::v1::Event>(client_.get()).List("default");
    EXPECT_TRUE(list.ok()) << list.status();
    if (!list.ok()) return out;
    for (const auto& e : list->items) {
      if (e->involvedobject().name() == pod) out.push_back(e->reason());
    }
    return out;
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<apiserver::Registry> registry_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<runtime::process::ProcessRuntime> rt_;
  std::unique_ptr<runtime::agent::PodSource> source_;
  std::unique_ptr<record::EventBroadcaster> broadcaster_;
  std::unique_ptr<record::EventRecorder> recorder_;
  std::unique_ptr<runtime::agent::Agent> agent_;
};

// The delay of a CrashLoopBackOff waiting message ("back-off 20s restarting failed ...").
std::string BackOffOf(const ContainerStatus& s) {
  const std::string& m = s.state().waiting().message();
  if (!absl::StartsWith(m, "back-off ")) return "";
  return m.substr(9, m.find(' ', 9) - 9);
}

TEST_F(ProcessAgentE2eTest, CrashingContainerBacksOffExponentiallyToFiveMinutes) {
  CreatePod(R"({"metadata":{"name":"crash"},"spec":{"containers":[{"name":"app",
      "image":"busybox","command":["/bin/sh","-c","echo crashing; exit 1"]}]}})");
  // The first exit restarts at once (restartCount 1); every later one waits, doubling.
  ASSERT_TRUE(SyncUntil("crash", [](const ContainerStatus& s) { return s.restartcount() >= 1; }));
  std::vector<std::string> delays;
  std::vector<int> restarts;
  const std::vector<absl::Duration> waits = {
      absl::Seconds(10),  absl::Seconds(20),  absl::Seconds(40), absl::Seconds(80),
      absl::Seconds(160), absl::Seconds(300), absl::Seconds(300)};
  for (absl::Duration wait : waits) {
    ASSERT_TRUE(SyncUntil("crash", [](const ContainerStatus& s) {
      return s.state().waiting().reason() == "CrashLoopBackOff";
    }));
    ContainerStatus s = Get("crash").status().containerstatuses(0);
    delays.push_back(BackOffOf(s));
    restarts.push_back(s.restartcount());
    EXPECT_EQ(s.laststate().terminated().exitcode(), 1);
    EXPECT_EQ(s.laststate().terminated().reason(), "Error");
    // One second short of the delay it still waits; at the delay it starts again.
    clock_.Advance(wait - absl::Seconds(1));
    Sync();
    EXPECT_EQ(Get("crash").status().containerstatuses(0).restartcount(), s.restartcount());
    clock_.Advance(absl::Seconds(1));
    Sync();
    EXPECT_EQ(Get("crash").status().containerstatuses(0).restartcount(), s.restartcount() + 1);
  }
  EXPECT_EQ(delays,
            (std::vector<std::string>{"10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"}));
  EXPECT_EQ(restarts, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(Get("crash").status().phase(), "Running");  // restartPolicy Always
  std::vector<std::string> reasons = EventReasons("crash");
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "BackOff"), reasons.end());
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "Started"), reasons.end());
}

TEST_F(ProcessAgentE2eTest, FailingHttpLivenessProbeRestartsTheContainer) {
  std::atomic<bool> healthy{true};
  std::atomic<int> probes{0};
  httplib::Server server;
  server.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    probes++;
    res.status = healthy ? 200 : 500;
    res.set_content(healthy ? "ok" : "broken", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  CreatePod(absl::StrCat(R"({"metadata":{"name":"live"},"spec":{
      "terminationGracePeriodSeconds":5,"containers":[{"name":"app","image":"busybox",
      "command":["/bin/sh","-c","exec sleep 1000"],
      "livenessProbe":{"httpGet":{"host":"127.0.0.1","path":"/healthz","port":)",
                         port, R"(},"periodSeconds":10,"failureThreshold":2}}]}})"));
  Sync();
  ASSERT_TRUE(Get("live").status().containerstatuses(0).state().has_running());
  clock_.Advance(absl::Seconds(10));
  Sync();                       // probe passes
  EXPECT_EQ(probes.load(), 2);  // at start (no initial delay) and at +10 s
  healthy = false;
  clock_.Advance(absl::Seconds(10));
  Sync();  // first failure: below the threshold
  ContainerStatus s = Get("live").status().containerstatuses(0);
  EXPECT_EQ(s.restartcount(), 0);
  EXPECT_TRUE(s.state().has_running());
  clock_.Advance(absl::Seconds(10));
  Sync();  // second failure: SIGTERM to `sleep`, which exits; first restart is immediate
  s = Get("live").status().containerstatuses(0);
  EXPECT_EQ(s.restartcount(), 1);
  EXPECT_TRUE(s.state().has_running());
  EXPECT_EQ(s.laststate().terminated().exitcode(), 143);
  EXPECT_TRUE(absl::StrContains(s.laststate().terminated().message(), "failed liveness probe"))
      << s.laststate().terminated().message();
  std::vector<std::string> reasons = EventReasons("live");
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "Unhealthy"), reasons.end());
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "Killing"), reasons.end());
  healthy = true;
  server.stop();
  serving.join();
}

}  // namespace
}  // namespace rudder
