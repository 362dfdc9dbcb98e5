#include "lib/runtime/agent/agent.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/client/record/record.h"
#include "lib/runtime/sim/sim_runtime.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::runtime::agent {
namespace {

using api::core::v1::ContainerStatus;
using api::core::v1::Node;
using api::core::v1::Pod;
using api::core::v1::Taint;
using Lease = api::coordination::v1::Lease;

constexpr char kNode[] = "node-1";

// Answers tcp/http probes as told and records them; exec goes to the runtime.
class FakeProber : public Prober {
 public:
  explicit FakeProber(RuntimeService* rt) : real_(NewProber(rt)) {}
  ProbeOutcome Exec(const std::string& id, const std::vector<std::string>& cmd,
                    absl::Duration t) override {
    return real_->Exec(id, cmd, t);
  }
  ProbeOutcome Tcp(const std::string& host, int port, absl::Duration) override {
    calls.push_back(absl::StrCat("tcp ", host, ":", port));
    return {tcp_ok, ""};
  }
  ProbeOutcome Http(const std::string& scheme, const std::string& host, int port,
                    const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>&,
                    absl::Duration) override {
    calls.push_back(absl::StrCat("http ", scheme, " ", host, ":", port, path));
    return {http_ok, http_ok ? "" : "HTTP probe failed with statuscode: 500"};
  }
  std::vector<std::string> calls;
  bool tcp_ok = true;
  bool http_ok = true;

 private:
  std::unique_ptr<Prober> real_;
};

class FakeStats : public NodeStatsSource {
 public:
  absl::StatusOr<NodeMemory> Memory() override { return mem; }
  NodeMemory mem{8LL << 30, 4LL << 30};
};

class FakeNetwork : public cni::NetworkPlugin {
 public:
  std::string NetworkName() const override { return "fake"; }
  absl::StatusOr<cni::PodNetworkStatus> SetUpPod(const cni::PodNetworkRequest& p) override {
    calls.push_back("add " + p.pod_name);
    cni::PodNetworkStatus s;
    s.ips = {"10.1.2.3"};
    return s;
  }
  absl::Status TearDownPod(const cni::PodNetworkRequest& p) override {
    calls.push_back("del " + p.pod_name);
    return absl::OkStatus();
  }
  absl::StatusOr<cni::PodNetworkStatus> GetPodNetworkStatus(
      const cni::PodNetworkRequest&) override {
    return absl::NotFoundError("no");
  }
  absl::Status CheckPod(const cni::PodNetworkRequest&) override { return absl::OkStatus(); }
  absl::Status Status() override { return absl::OkStatus(); }
  std::vector<std::string> calls;
};

class AgentTest : public ::testing::Test {
 protected:
  AgentTest()
      : store_(*store::NewMemoryStore()),
        scheme_(api::NewBuiltinScheme()),
        registry_(store_.get(), scheme_.get()),
        client_(client::NewInProcessClient(&registry_)),
        rt_(sim::NewSimRuntime({.clock = &clock_, .images = {"busybox"}})),
        source_(NewListPodSource(client_.get(), kNode)),
        prober_(rt_.get()),
        pods_(client_.get()) {
    rt_->EnableCallLog(true);
  }

  void MakeAgent(AgentOptions o = {}) {
    o.node_name = kNode;
    o.clock = &clock_;
    o.pod_source = source_.get();
    o.prober = &prober_;
    o.host_ip = "192.168.0.10";
    if (o.capacity.empty()) o.capacity = {{"cpu", "4"}, {"memory", "8Gi"}, {"pods", "110"}};
    absl::StatusOr<std::unique_ptr<Agent>> a = NewAgent(client_.get(), rt_.get(), o);
    ASSERT_TRUE(a.ok()) << a.status();
    agent_ = std::move(*a);
  }

  // Creates a pod from JSON (name, spec) bound to the node.
  void CreatePod(const std::string& json) {
    Pod p;
    absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJson(json, &p);
    ASSERT_TRUE(r.ok()) << r.status();
    if (p.metadata().namespace_().empty()) p.mutable_metadata()->set_namespace_("default");
    p.mutable_spec()->set_nodename(kNode);
    absl::StatusOr<std::unique_ptr<Pod>> c = pods_.Create(p);
    ASSERT_TRUE(c.ok()) << c.status();
  }

  void Sync() {
    absl::Status st = agent_->SyncOnce();
    ASSERT_TRUE(st.ok()) << st;
  }
  void Step(absl::Duration d) {
    clock_.Advance(d);
    Sync();
  }

  Pod Get(const std::string& name) {
    absl::StatusOr<std::unique_ptr<Pod>> p = pods_.Get("default", name);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? **p : Pod();
  }
  std::string NodeCondition(const std::string& type) {
    client::TypedClient<Node> nodes(client_.get());
    absl::StatusOr<std::unique_ptr<Node>> n = nodes.Get("", kNode);
    if (!n.ok()) return "";
    for (const auto& c : (*n)->status().conditions()) {
      if (c.type() == type) return c.status();
    }
    return "";
  }
  static std::string Cond(const Pod& p, const std::string& type) {
    for (const auto& c : p.status().conditions()) {
      if (c.type() == type) return c.status();
    }
    return "";
  }
  static const ContainerStatus& CS(const Pod& p, int i = 0) {
    return p.status().containerstatuses(i);
  }
  static std::string State(const ContainerStatus& s) {
    if (s.state().has_running()) return "running";
    if (s.state().has_terminated()) {
      return absl::StrCat("terminated:", s.state().terminated().reason(), ":",
                          s.state().terminated().exitcode());
    }
    return absl::StrCat("waiting:", s.state().waiting().reason());
  }
  std::vector<std::string> Calls(const std::string& prefix) {
    std::vector<std::string> out;
    for (const std::string& c : rt_->CallLog()) {
      if (absl::StartsWith(c, prefix)) out.push_back(c);
    }
    return out;
  }

  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  apiserver::Registry registry_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<sim::SimRuntime> rt_;
  std::unique_ptr<PodSource> source_;
  FakeProber prober_;
  client::TypedClient<Pod> pods_;
  std::unique_ptr<Agent> agent_;
};

TEST(NewAgentTest, RejectsBadOptions) {
  FakeClock clock;
  auto rt = sim::NewSimRuntime({.clock = &clock});
  auto store = *store::NewMemoryStore();
  auto scheme = api::NewBuiltinScheme();
  apiserver::Registry registry(store.get(), scheme.get());
  auto c = client::NewInProcessClient(&registry);
  auto source = NewListPodSource(c.get(), "n");
  EXPECT_EQ(NewAgent(c.get(), rt.get(), {.pod_source = source.get()}).status().code(),
            absl::StatusCode::kInvalidArgument);
  AgentOptions o{.node_name = "n", .clock = &clock, .capacity = {{"cpu", "lots"}}};
  o.pod_source = source.get();
  EXPECT_EQ(NewAgent(c.get(), rt.get(), o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AgentTest, RegistersNodeAndRenewsLease) {
  api::core::v1::Taint t;
  t.set_key("dedicated");
  t.set_value("sim");
  t.set_effect("NoSchedule");
  MakeAgent({.labels = {{"zone", "a"}}, .taints = {t}});
  Sync();
  client::TypedClient<Node> nodes(client_.get());
  absl::StatusOr<std::unique_ptr<Node>> n = nodes.Get("", kNode);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ((*n)->metadata().labels().at("zone"), "a");
  EXPECT_EQ((*n)->metadata().labels().at("kubernetes.io/hostname"), kNode);
  ASSERT_EQ((*n)->spec().taints_size(), 1);
  EXPECT_EQ((*n)->status().capacity().at("memory").string(), "8Gi");
  EXPECT_EQ((*n)->status().allocatable().at("pods").string(), "110");
  std::map<std::string, std::string> conds;
  for (const auto& c : (*n)->status().conditions()) conds[c.type()] = c.status() + "/" + c.reason();
  EXPECT_EQ(conds["Ready"], "True/KubeletReady");
  EXPECT_EQ(conds["MemoryPressure"], "False/KubeletHasSufficientMemory");
  EXPECT_EQ(conds["DiskPressure"], "False/KubeletHasNoDiskPressure");
  EXPECT_EQ(conds["PIDPressure"], "False/KubeletHasSufficientPID");

  client::TypedClient<Lease> leases(client_.get());
  absl::StatusOr<std::unique_ptr<Lease>> l = leases.Get("kube-node-lease", kNode);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ((*l)->spec().holderidentity(), kNode);
  EXPECT_EQ((*l)->spec().leasedurationseconds(), 40);
  int64_t renewed = (*l)->spec().renewtime().seconds();
  EXPECT_EQ(renewed, absl::ToUnixSeconds(clock_.Now()));
  // Not renewed before 10 s, renewed at 10 s.
  Step(absl::Seconds(9));
  EXPECT_EQ((*leases.Get("kube-node-lease", kNode))->spec().renewtime().seconds(), renewed);
  Step(absl::Seconds(1));
  EXPECT_EQ((*leases.Get("kube-node-lease", kNode))->spec().renewtime().seconds(), renewed + 10);
  EXPECT_EQ(agent_->counters().lease_writes, 2);
  // Node status: posted again only after the report interval when nothing changed.
  int64_t writes = agent_->counters().node_status_writes;
  Step(absl::Seconds(20));
  EXPECT_EQ(agent_->counters().node_status_writes, writes);
  Step(absl::Minutes(5));
  EXPECT_EQ(agent_->counters().node_status_writes, writes + 1);
}

TEST_F(AgentTest, RunsPodAndWritesStatusOnlyWhenChanged) {
  MakeAgent();
  CreatePod(
      R"({"metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Pod p = Get("web");
  EXPECT_EQ(p.status().phase(), "Running");
  EXPECT_EQ(Cond(p, "Ready"), "True");
  EXPECT_EQ(Cond(p, "ContainersReady"), "True");
  EXPECT_EQ(Cond(p, "Initialized"), "True");
  EXPECT_EQ(Cond(p, "PodScheduled"), "True");
  EXPECT_EQ(p.status().hostip(), "192.168.0.10");
  EXPECT_TRUE(absl::StartsWith(p.status().podip(), "10.88.")) << p.status().podip();
  ASSERT_EQ(p.status().podips_size(), 1);
  EXPECT_EQ(State(CS(p)), "running");
  EXPECT_TRUE(CS(p).ready());
  EXPECT_TRUE(CS(p).started());
  EXPECT_EQ(CS(p).containerid().rfind("rudder-sim://", 0), 0u);
  int64_t writes = agent_->counters().pod_status_writes;
  EXPECT_EQ(writes, 1);
  Step(absl::Seconds(30));
  EXPECT_EQ(agent_->counters().pod_status_writes, writes);
  EXPECT_EQ(agent_->PodCount(), 1u);
}

TEST_F(AgentTest, InitContainersRunInOrder) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"web","annotations":{"sim.rudder.dev/script":
      "one: exit=5s; two: exit=5s"}},
      "spec":{"initContainers":[{"name":"one","image":"busybox"},{"name":"two","image":"busybox"}],
              "containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Pod p = Get("web");
  EXPECT_EQ(p.status().phase(), "Pending");
  EXPECT_EQ(Cond(p, "Initialized"), "False");
  EXPECT_EQ(State(p.status().initcontainerstatuses(0)), "running");
  EXPECT_EQ(State(p.status().initcontainerstatuses(1)), "waiting:PodInitializing");
  EXPECT_EQ(State(CS(p)), "waiting:PodInitializing");
  Step(absl::Seconds(5));
  p = Get("web");
  EXPECT_EQ(State(p.status().initcontainerstatuses(0)), "terminated:Completed:0");
  EXPECT_EQ(State(p.status().initcontainerstatuses(1)), "running");
  EXPECT_EQ(State(CS(p)), "waiting:PodInitializing");
  Step(absl::Seconds(5));
  p = Get("web");
  EXPECT_EQ(p.status().phase(), "Running");
  EXPECT_EQ(Cond(p, "Initialized"), "True");
  EXPECT_EQ(State(CS(p)), "running");
  EXPECT_EQ(absl::StrJoin(Calls("StartContainer"), ","),
            "StartContainer default/web/one,StartContainer default/web/two,"
            "StartContainer default/web/app");
}

TEST_F(AgentTest, FailingInitContainerFailsNeverPod) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"job","annotations":{"sim.rudder.dev/script":
      "init: exit=1s code=2"}},
      "spec":{"restartPolicy":"Never","initContainers":[{"name":"init","image":"busybox"}],
              "containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Step(absl::Seconds(1));
  Pod p = Get("job");
  EXPECT_EQ(p.status().phase(), "Failed");
  EXPECT_EQ(State(p.status().initcontainerstatuses(0)), "terminated:Error:2");
  EXPECT_TRUE(Calls("StartContainer default/job/app").empty());
}

TEST_F(AgentTest, FailingInitContainerRestartsUnderAlways) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"web","annotations":{"sim.rudder.dev/script":
      "init: exit=1s code=1 attempts=1"}},
      "spec":{"initContainers":[{"name":"init","image":"busybox"}],
              "containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Step(absl::Seconds(1));  // exits 1, restarted at once (attempt 1 runs on)
  Pod p = Get("web");
  EXPECT_EQ(p.status().phase(), "Pending");
  EXPECT_EQ(p.status().initcontainerstatuses(0).restartcount(), 1);
  EXPECT_EQ(p.status().initcontainerstatuses(0).laststate().terminated().exitcode(), 1);
}

TEST_F(AgentTest, CrashLoopBackOffDoublesFromTenSeconds) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"crash","annotations":{"sim.rudder.dev/script":
      "app: exit=1s code=1"}},"spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Step(absl::Seconds(1));  // first exit: restarted at once
  Pod p = Get("crash");
  EXPECT_EQ(State(CS(p)), "running");
  EXPECT_EQ(CS(p).restartcount(), 1);
  EXPECT_EQ(CS(p).laststate().terminated().exitcode(), 1);
  EXPECT_EQ(CS(p).laststate().terminated().reason(), "Error");
  // Each later exit waits 10s, 20s, 40s, 80s, 160s, then 300s (the cap).
  int restarts = 1;
  const std::vector<std::pair<int, std::string>> waits = {
      {10, "10s"},    {20, "20s"},   {40, "40s"},  {80, "1m20s"},
      {160, "2m40s"}, {300, "5m0s"}, {300, "5m0s"}};
  for (const auto& [wait, text] : waits) {
    Step(absl::Seconds(1));  // exits
    p = Get("crash");
    EXPECT_EQ(State(CS(p)), "waiting:CrashLoopBackOff") << wait;
    EXPECT_TRUE(
        absl::StrContains(CS(p).state().waiting().message(),
                          absl::StrCat("back-off ", text, " restarting failed container=app")))
        << CS(p).state().waiting().message();
    EXPECT_EQ(p.status().phase(), "Running");
    EXPECT_EQ(Cond(p, "Ready"), "False");
    Step(absl::Seconds(wait - 1));
    EXPECT_EQ(State(CS(Get("crash"))), "waiting:CrashLoopBackOff") << wait;
    Step(absl::Seconds(1));
    p = Get("crash");
    EXPECT_EQ(State(CS(p)), "running") << wait;
    EXPECT_EQ(CS(p).restartcount(), ++restarts);
  }
}

// The kubelet keeps the last exited instance of a restarted container (for `kubectl logs
// --previous`) and removes the ones before it.
TEST_F(AgentTest, KeepsTheLastExitedInstanceOfARestartedContainer) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"crash","annotations":{"sim.rudder.dev/script":
      "app: exit=1s code=1"}},"spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  auto instances = [&] {
    std::vector<std::pair<uint32_t, int>> out;  // attempt, state
    runtime::v1::ListContainersRequest req;
    absl::StatusOr<runtime::v1::ListContainersResponse> r =
        rt_->ListContainers(req, absl::Seconds(5));
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return out;
    for (const auto& c : r->containers()) out.push_back({c.metadata().attempt(), c.state()});
    std::sort(out.begin(), out.end());
    return out;
  };
  ASSERT_EQ(instances().size(), 1u);
  Step(absl::Seconds(1));  // first exit: restarted at once
  ASSERT_EQ(State(CS(Get("crash"))), "running");
  using Pair = std::pair<uint32_t, int>;
  EXPECT_EQ(instances(), (std::vector<Pair>{{0, runtime::v1::CONTAINER_EXITED},
                                            {1, runtime::v1::CONTAINER_RUNNING}}));
  Step(absl::Seconds(1));   // exits again
  Step(absl::Seconds(10));  // the back-off ends: the third instance starts
  ASSERT_EQ(State(CS(Get("crash"))), "running");
  EXPECT_EQ(instances(), (std::vector<Pair>{{1, runtime::v1::CONTAINER_EXITED},
                                            {2, runtime::v1::CONTAINER_RUNNING}}));
}

TEST_F(AgentTest, BackOffResetsAfterTenMinutesRunning) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"slow","annotations":{"sim.rudder.dev/script":
      "app: exit=11m code=1"}},"spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  for (int i = 1; i <= 3; ++i) {
    Step(absl::Minutes(11));
    Pod p = Get("slow");
    EXPECT_EQ(State(CS(p)), "running") << i;
    EXPECT_EQ(CS(p).restartcount(), i);
  }
}

TEST_F(AgentTest, RestartPolicyPhases) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"ok","annotations":{"sim.rudder.dev/script":"app: exit=1s"}},
      "spec":{"restartPolicy":"OnFailure","containers":[{"name":"app","image":"busybox"}]}})");
  CreatePod(R"({"metadata":{"name":"bad","annotations":{"sim.rudder.dev/script":
      "app: exit=1s code=2"}},
      "spec":{"restartPolicy":"Never","containers":[{"name":"app","image":"busybox"}]}})");
  CreatePod(R"({"metadata":{"name":"retry","annotations":{"sim.rudder.dev/script":
      "app: exit=1s code=3"}},
      "spec":{"restartPolicy":"OnFailure","containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Step(absl::Seconds(1));
  Pod ok = Get("ok");
  EXPECT_EQ(ok.status().phase(), "Succeeded");
  EXPECT_EQ(State(CS(ok)), "terminated:Completed:0");
  EXPECT_EQ(Cond(ok, "Ready"), "False");
  Pod bad = Get("bad");
  EXPECT_EQ(bad.status().phase(), "Failed");
  EXPECT_EQ(State(CS(bad)), "terminated:Error:2");
  Pod retry = Get("retry");
  EXPECT_EQ(retry.status().phase(), "Running");
  EXPECT_EQ(CS(retry).restartcount(), 1);
  // Finished pods are not restarted later.
  Step(absl::Minutes(1));
  EXPECT_EQ(CS(Get("ok")).restartcount(), 0);
  EXPECT_EQ(Calls("StartContainer default/bad").size(), 1u);
}

TEST_F(AgentTest, LivenessFailureRestartsContainer) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"live","annotations":{"sim.rudder.dev/script":
      "app: exec-fail-after=25s"}},
      "spec":{"containers":[{"name":"app","image":"busybox","livenessProbe":{
        "exec":{"command":["check"]},"initialDelaySeconds":5,"periodSeconds":10,
        "failureThreshold":3}}]}})");
  Sync();
  // Probes at 5s, 15s (ok), 25s, 35s, 45s (fail x3) -> restart at 45s.
  Step(absl::Seconds(5));
  Step(absl::Seconds(10));
  Step(absl::Seconds(10));
  Step(absl::Seconds(10));
  Pod p = Get("live");
  EXPECT_EQ(CS(p).restartcount(), 0);
  Step(absl::Seconds(10));
  p = Get("live");
  EXPECT_EQ(CS(p).restartcount(), 1);
  EXPECT_EQ(State(CS(p)), "running");
  EXPECT_EQ(CS(p).laststate().terminated().exitcode(), 143);
  EXPECT_TRUE(absl::StrContains(CS(p).laststate().terminated().message(), "failed liveness probe"));
  EXPECT_EQ(Calls("ExecSync default/live/app check").size(), 5u);
  EXPECT_EQ(Calls("StopContainer default/live/app 30").size(), 1u);
}

TEST_F(AgentTest, ReadinessDrivesReady) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"web"},
      "spec":{"containers":[{"name":"app","image":"busybox","readinessProbe":{
        "exec":{"command":["ready"]},"periodSeconds":10,"failureThreshold":2,
        "successThreshold":2}}]}})");
  rt_->SetExecExitCode("web", "app", "ready", 1);
  Sync();
  Pod p = Get("web");
  EXPECT_EQ(p.status().phase(), "Running");
  EXPECT_EQ(Cond(p, "Ready"), "False");
  EXPECT_FALSE(CS(p).ready());
  rt_->SetExecExitCode("web", "app", "ready", 0);
  Step(absl::Seconds(10));
  EXPECT_EQ(Cond(Get("web"), "Ready"), "False");  // one success of two
  Step(absl::Seconds(10));
  p = Get("web");
  EXPECT_EQ(Cond(p, "Ready"), "True");
  EXPECT_EQ(Cond(p, "ContainersReady"), "True");
  EXPECT_TRUE(CS(p).ready());
  rt_->SetExecExitCode("web", "app", "ready", 1);
  Step(absl::Seconds(10));
  EXPECT_EQ(Cond(Get("web"), "Ready"), "True");  // one failure of two
  Step(absl::Seconds(10));
  EXPECT_EQ(Cond(Get("web"), "Ready"), "False");
  EXPECT_EQ(CS(Get("web")).restartcount(), 0);  // readiness never restarts
}

TEST_F(AgentTest, StartupProbeGatesOtherProbes) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"web"},
      "spec":{"containers":[{"name":"app","image":"busybox",
        "startupProbe":{"exec":{"command":["started"]},"periodSeconds":5,"failureThreshold":10},
        "livenessProbe":{"exec":{"command":["live"]},"periodSeconds":10},
        "readinessProbe":{"exec":{"command":["ready"]},"periodSeconds":10}}]}})");
  rt_->SetExecExitCode("web", "app", "started", 1);
  Sync();
  Step(absl::Seconds(5));
  Pod p = Get("web");
  EXPECT_FALSE(CS(p).started());
  EXPECT_FALSE(CS(p).ready());
  EXPECT_TRUE(Calls("ExecSync default/web/app live").empty());
  EXPECT_TRUE(Calls("ExecSync default/web/app ready").empty());
  rt_->SetExecExitCode("web", "app", "started", 0);
  Step(absl::Seconds(5));
  p = Get("web");
  EXPECT_TRUE(CS(p).started());
  EXPECT_TRUE(CS(p).ready());
  EXPECT_EQ(Calls("ExecSync default/web/app live").size(), 1u);
  EXPECT_EQ(Calls("ExecSync default/web/app ready").size(), 1u);
}

TEST_F(AgentTest, StartupProbeFailureRestarts) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"web"},
      "spec":{"containers":[{"name":"app","image":"busybox",
        "startupProbe":{"exec":{"command":["started"]},"periodSeconds":5,"failureThreshold":2}}]}})");
  rt_->SetExecExitCode("web", "app", "started", 1);
  Sync();                  // failure 1
  Step(absl::Seconds(5));  // failure 2 -> restart
  EXPECT_EQ(CS(Get("web")).restartcount(), 1);
}

TEST_F(AgentTest, TcpAndHttpProbesGoThroughProber) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"web"},
      "spec":{"containers":[{"name":"app","image":"busybox","ports":[{"name":"http","containerPort":8080}],
        "livenessProbe":{"tcpSocket":{"port":"http"},"periodSeconds":10,"failureThreshold":1},
        "readinessProbe":{"httpGet":{"path":"/healthz","port":8081},"periodSeconds":10}}]}})");
  Sync();
  Pod p = Get("web");
  std::string ip = p.status().podip();
  EXPECT_EQ(absl::StrJoin(prober_.calls, ","),
            absl::StrCat("tcp ", ip, ":8080,http HTTP ", ip, ":8081/healthz"));
  EXPECT_EQ(Cond(p, "Ready"), "True");
  prober_.http_ok = false;
  prober_.tcp_ok = false;
  Step(absl::Seconds(10));
  p = Get("web");
  EXPECT_EQ(CS(p).restartcount(), 1);  // failureThreshold 1
}

TEST_F(AgentTest, GracefulTerminationOrder) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"web"},
      "spec":{"terminationGracePeriodSeconds":45,"containers":[{"name":"app","image":"busybox",
        "lifecycle":{"preStop":{"exec":{"command":["drain"]}}}}]}})");
  Sync();
  ASSERT_TRUE(pods_.Delete("default", "web").ok());
  Pod p = Get("web");
  ASSERT_TRUE(p.metadata().has_deletiontimestamp());
  Sync();
  std::vector<std::string> log = rt_->CallLog();
  std::vector<std::string> tail;
  for (const auto& c : log) {
    if (absl::StartsWith(c, "ExecSync") || absl::StartsWith(c, "Stop") ||
        absl::StartsWith(c, "Remove")) {
      tail.push_back(c);
    }
  }
  EXPECT_EQ(absl::StrJoin(tail, ","),
            "ExecSync default/web/app drain,StopContainer default/web/app 45,"
            "StopPodSandbox default/web,RemovePodSandbox default/web");
  EXPECT_EQ(pods_.Get("default", "web").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rt_->SandboxCount(), 0u);
  Sync();
  EXPECT_EQ(agent_->PodCount(), 0u);
}

TEST_F(AgentTest, ImagePullPolicies) {
  MakeAgent();
  rt_->SetPullError("broken", absl::NotFoundError("manifest unknown"));
  CreatePod(R"({"metadata":{"name":"never"},"spec":{"containers":[
      {"name":"app","image":"absent","imagePullPolicy":"Never"}]}})");
  CreatePod(R"({"metadata":{"name":"present"},"spec":{"containers":[
      {"name":"app","image":"busybox","imagePullPolicy":"IfNotPresent"}]}})");
  CreatePod(R"({"metadata":{"name":"always"},"spec":{"containers":[
      {"name":"app","image":"busybox","imagePullPolicy":"Always"}]}})");
  CreatePod(R"({"metadata":{"name":"broken"},"spec":{"containers":[
      {"name":"app","image":"broken","imagePullPolicy":"IfNotPresent"}]}})");
  Sync();
  EXPECT_EQ(State(CS(Get("never"))), "waiting:ErrImageNeverPull");
  EXPECT_EQ(Get("never").status().phase(), "Pending");
  EXPECT_EQ(State(CS(Get("present"))), "running");
  EXPECT_EQ(State(CS(Get("always"))), "running");
  EXPECT_EQ(Calls("PullImage busybox").size(), 1u);  // only for "always"
  EXPECT_EQ(State(CS(Get("broken"))), "waiting:ErrImagePull");
  Step(absl::Seconds(1));
  EXPECT_EQ(State(CS(Get("broken"))), "waiting:ImagePullBackOff");
  Step(absl::Seconds(9));  // 10 s later: pulled again, fails again, back-off 20 s
  EXPECT_EQ(State(CS(Get("broken"))), "waiting:ErrImagePull");
  EXPECT_EQ(Calls("PullImage broken").size(), 2u);
  rt_->SetPullError("broken", absl::OkStatus());
  Step(absl::Seconds(19));
  EXPECT_EQ(State(CS(Get("broken"))), "waiting:ImagePullBackOff");
  Step(absl::Seconds(1));
  EXPECT_EQ(State(CS(Get("broken"))), "running");
}

TEST_F(AgentTest, StaticPodsAreMirrored) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/static-", getpid());
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/etcd.yaml");
    f << "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n  namespace: kube-system\n"
         "spec:\n  containers:\n  - name: etcd\n    image: busybox\n";
    std::ofstream bad(dir + "/broken.yaml");
    bad << "kind: Pod\nmetadata: [\n";
  }
  MakeAgent({.static_pod_dir = dir});
  absl::Status st = agent_->SyncOnce();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);  // broken.yaml, reported
  EXPECT_TRUE(absl::StrContains(st.message(), "broken.yaml")) << st;
  std::filesystem::remove(dir + "/broken.yaml");
  clock_.Advance(absl::Seconds(20));
  Sync();
  absl::StatusOr<std::unique_ptr<Pod>> m = pods_.Get("kube-system", "etcd-node-1");
  ASSERT_TRUE(m.ok()) << m.status();
  const auto& ann = (*m)->metadata().annotations();
  ASSERT_TRUE(ann.contains(kConfigMirrorAnnotation));
  EXPECT_EQ(ann.at(kConfigMirrorAnnotation), ann.at(kConfigHashAnnotation));
  EXPECT_EQ(ann.at(kConfigSourceAnnotation), "file");
  EXPECT_EQ((*m)->spec().nodename(), kNode);
  EXPECT_EQ((*m)->status().phase(), "Running");
  EXPECT_EQ(Calls("RunPodSandbox").size(), 1u);
  // A deleted mirror is recreated; the static pod keeps running.
  client::DeleteOptions d;
  d.grace_period_seconds = 0;
  ASSERT_TRUE(pods_.Delete("kube-system", "etcd-node-1", d).ok());
  Step(absl::Seconds(1));
  m = pods_.Get("kube-system", "etcd-node-1");
  ASSERT_TRUE(m.ok()) << m.status();
  Step(absl::Seconds(1));
  EXPECT_EQ((*pods_.Get("kube-system", "etcd-node-1"))->status().phase(), "Running");
  EXPECT_EQ(Calls("RunPodSandbox").size(), 1u);
  // Removing the manifest stops the pod and deletes the mirror.
  std::filesystem::remove(dir + "/etcd.yaml");
  Step(absl::Seconds(20));
  EXPECT_EQ(pods_.Get("kube-system", "etcd-node-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rt_->SandboxCount(), 0u);
  std::filesystem::remove_all(dir);
}

TEST_F(AgentTest, EvictsByUsageOverRequestThenPriority) {
  FakeStats stats;
  MakeAgent({.node_stats = &stats});
  // a: within its request. b: above (no request), priority 10. c: above, priority 0.
  CreatePod(R"({"metadata":{"name":"a","annotations":{"sim.rudder.dev/script":"*: memory=50Mi"}},
      "spec":{"containers":[{"name":"app","image":"busybox",
        "resources":{"requests":{"memory":"100Mi"}}}]}})");
  CreatePod(R"({"metadata":{"name":"b","annotations":{"sim.rudder.dev/script":"*: memory=10Mi"}},
      "spec":{"priority":10,"containers":[{"name":"app","image":"busybox"}]}})");
  CreatePod(R"({"metadata":{"name":"c","annotations":{"sim.rudder.dev/script":"*: memory=20Mi"}},
      "spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Step(absl::Seconds(10));  // stats sampled with every container running
  EXPECT_EQ(agent_->counters().evictions, 0);
  stats.mem.available_bytes = 50LL << 20;
  Step(absl::Seconds(1));
  Pod c = Get("c");
  EXPECT_EQ(c.status().phase(), "Failed");
  EXPECT_EQ(c.status().reason(), "Evicted");
  EXPECT_TRUE(absl::StrContains(c.status().message(), "low on resource: memory"))
      << c.status().message();
  EXPECT_EQ(Get("b").status().phase(), "Running");
  EXPECT_EQ(NodeCondition("MemoryPressure"), "True");
  Step(absl::Seconds(1));
  EXPECT_EQ(Get("b").status().reason(), "Evicted");
  EXPECT_EQ(Get("a").status().phase(), "Running");
  Step(absl::Seconds(1));
  EXPECT_EQ(Get("a").status().reason(), "Evicted");
  EXPECT_EQ(agent_->counters().evictions, 3);
  stats.mem.available_bytes = 4LL << 30;
  Step(absl::Seconds(1));
  EXPECT_EQ(NodeCondition("MemoryPressure"), "False");
  // Evicted pods stay Failed: nothing restarts.
  Step(absl::Minutes(1));
  EXPECT_EQ(Calls("StartContainer default/c").size(), 1u);
}

TEST_F(AgentTest, MetricsFromContainerStats) {
  MakeAgent();
  CreatePod(R"({"metadata":{"name":"web","annotations":{"sim.rudder.dev/script":
      "app: cpu=250 memory=64Mi; side: cpu=50 memory=16Mi"}},
      "spec":{"containers":[{"name":"app","image":"busybox"},{"name":"side","image":"busybox"}]}})");
  EXPECT_EQ(agent_->metrics().GetNodeMetrics().status().code(), absl::StatusCode::kUnavailable);
  Sync();
  Step(absl::Seconds(10));
  absl::StatusOr<api::metrics::v1beta1::NodeMetrics> nm = agent_->metrics().GetNodeMetrics();
  ASSERT_TRUE(nm.ok()) << nm.status();
  EXPECT_EQ(nm->metadata().name(), kNode);
  EXPECT_EQ(nm->usage().at("cpu").string(), "300m");
  EXPECT_EQ(nm->usage().at("memory").string(), "80Mi");
  std::vector<api::metrics::v1beta1::PodMetrics> pm = agent_->metrics().ListPodMetrics("default");
  ASSERT_EQ(pm.size(), 1u);
  EXPECT_EQ(pm[0].metadata().name(), "web");
  ASSERT_EQ(pm[0].containers_size(), 2);
  EXPECT_TRUE(agent_->metrics().ListPodMetrics("other").empty());
}

TEST_F(AgentTest, NetworkPluginGivesPodIp) {
  FakeNetwork net;
  MakeAgent({.network = &net});
  CreatePod(
      R"({"metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  EXPECT_EQ(Get("web").status().podip(), "10.1.2.3");
  client::DeleteOptions d;
  d.grace_period_seconds = 0;
  ASSERT_TRUE(pods_.Delete("default", "web", d).ok());
  Sync();
  EXPECT_EQ(absl::StrJoin(net.calls, ","), "add web,del web");
}

TEST_F(AgentTest, WatchesOnlyItsPodsThroughInformer) {
  CreatePod(
      R"({"metadata":{"name":"mine"},"spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Pod other;
  other.mutable_metadata()->set_name("theirs");
  other.mutable_metadata()->set_namespace_("default");
  other.mutable_spec()->set_nodename("node-2");
  auto* c = other.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("busybox");
  ASSERT_TRUE(pods_.Create(other).ok());
  AgentOptions o;
  o.node_name = kNode;
  o.clock = &clock_;
  o.prober = &prober_;
  o.capacity = {{"cpu", "1"}, {"memory", "1Gi"}};
  absl::StatusOr<std::unique_ptr<Agent>> a = NewAgent(client_.get(), rt_.get(), o);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->SyncOnce().ok());  // registers, waits for the first list, syncs
  EXPECT_EQ((*a)->PodCount(), 1u);
  EXPECT_EQ(Get("mine").status().phase(), "Running");
  EXPECT_EQ(Get("theirs").status().phase(), "Pending");  // as created: untouched
  (*a)->Stop();
}

}  // namespace
}  // namespace rudder::runtime::agent

namespace rudder::runtime::agent {
namespace {

TEST_F(AgentTest, StartRunsPassesUntilStop) {
  MakeAgent();
  CreatePod(
      R"({"metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  agent_->Start();
  agent_->Start();  // a second Start does nothing
  agent_->Stop();   // the loop's first pass completes before Stop returns
  agent_->Stop();
  EXPECT_EQ(Get("web").status().phase(), "Running");
  client::TypedClient<Node> nodes(client_.get());
  EXPECT_TRUE(nodes.Get("", kNode).ok());
}

}  // namespace
}  // namespace rudder::runtime::agent

namespace rudder::runtime::agent {
namespace {

TEST_F(AgentTest, PublishesMetricsObjects) {
  MakeAgent({.publish_metrics = true});
  CreatePod(R"({"metadata":{"name":"web","labels":{"app":"web"},"annotations":{
      "sim.rudder.dev/script":"app: cpu=100 memory=32Mi"}},
      "spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Step(absl::Seconds(10));
  auto nk = client::KindFor(client_->scheme(), api::metrics::v1beta1::NodeMetrics::descriptor());
  auto pk = client::KindFor(client_->scheme(), api::metrics::v1beta1::PodMetrics::descriptor());
  ASSERT_TRUE(nk.ok() && pk.ok());
  absl::StatusOr<client::ObjectPtr> n = client_->Get(**nk, "", kNode);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(
      static_cast<const api::metrics::v1beta1::NodeMetrics&>(**n).usage().at("memory").string(),
      "32Mi");
  absl::StatusOr<client::ObjectPtr> p = client_->Get(**pk, "default", "web");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(static_cast<const api::metrics::v1beta1::PodMetrics&>(**p)
                .containers(0)
                .usage()
                .at("cpu")
                .string(),
            "100m");
  // The pod's labels, so that autoscalers select its metrics.
  EXPECT_EQ(
      static_cast<const api::metrics::v1beta1::PodMetrics&>(**p).metadata().labels().at("app"),
      "web");
  // A second sample updates in place; the pod's metrics go with the pod.
  Step(absl::Seconds(10));
  client::DeleteOptions d;
  d.grace_period_seconds = 0;
  ASSERT_TRUE(pods_.Delete("default", "web", d).ok());
  Sync();
  EXPECT_EQ(client_->Get(**pk, "default", "web").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rudder::runtime::agent

namespace rudder::runtime::agent {
namespace {

class FakeDiskStats : public NodeStatsSource {
 public:
  absl::StatusOr<NodeMemory> Memory() override { return NodeMemory{8LL << 30, 4LL << 30}; }
  absl::StatusOr<NodeFilesystem> Filesystem() override { return fs; }
  NodeFilesystem fs{100LL << 30, 50LL << 30};
};

std::vector<std::string> Matching(const std::vector<std::string>& events,
                                  const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& e : events) {
    if (absl::StartsWith(e, prefix)) out.push_back(e);
  }
  return out;
}

TEST_F(AgentTest, EventsForLivenessRestartsAndBackOff) {
  record::FakeRecorder events;
  MakeAgent({.recorder = &events});
  CreatePod(R"({"metadata":{"name":"live","annotations":{"sim.rudder.dev/script":
      "app: exec-fail-after=5s"}},
      "spec":{"containers":[{"name":"app","image":"busybox","livenessProbe":{
        "exec":{"command":["check"]},"periodSeconds":10,"failureThreshold":1}}]}})");
  Sync();
  EXPECT_EQ(Matching(events.Events(), "Normal Started"),
            std::vector<std::string>{"Normal Started Started container app"});
  Step(absl::Seconds(10));  // the probe fails: killed, restarted at once
  EXPECT_EQ(CS(Get("live")).restartcount(), 1);
  EXPECT_EQ(Matching(events.Events(), "Warning Unhealthy").size(), 1u);
  EXPECT_TRUE(absl::StrContains(Matching(events.Events(), "Warning Unhealthy")[0],
                                "Liveness probe failed"));
  EXPECT_EQ(Matching(events.Events(), "Normal Killing"),
            std::vector<std::string>{
                "Normal Killing Container app failed liveness probe, will be restarted"});
  Step(absl::Seconds(10));  // fails again: now in back-off (10 s)
  Pod p = Get("live");
  EXPECT_EQ(State(CS(p)), "waiting:CrashLoopBackOff");
  Step(absl::Seconds(1));  // the next pass finds it backing off
  EXPECT_EQ(Matching(events.Events(), "Warning BackOff").size(), 1u);
  Step(absl::Seconds(1));  // still the same wait: no second BackOff event
  EXPECT_EQ(Matching(events.Events(), "Warning BackOff").size(), 1u);
}

TEST_F(AgentTest, PostStartExecFailureKillsTheContainer) {
  record::FakeRecorder events;
  MakeAgent({.recorder = &events});
  rt_->SetExecExitCode("hooked", "app", "hook", 1);
  CreatePod(R"({"metadata":{"name":"hooked"},"spec":{"restartPolicy":"Never","containers":[
      {"name":"app","image":"busybox","lifecycle":{"postStart":{"exec":{"command":["hook"]}}}}]}})");
  Sync();
  Pod p = Get("hooked");
  EXPECT_EQ(p.status().phase(), "Failed");
  EXPECT_EQ(State(CS(p)), "terminated:Error:143");
  EXPECT_TRUE(absl::StrContains(CS(p).state().terminated().message(),
                                "Exec lifecycle hook (hook) for Container \"app\""))
      << CS(p).state().terminated().message();
  ASSERT_EQ(Matching(events.Events(), "Warning FailedPostStartHook").size(), 1u);
  EXPECT_EQ(Calls("ExecSync default/hooked/app hook").size(), 1u);
  EXPECT_EQ(Calls("StopContainer default/hooked/app").size(), 1u);
}

TEST_F(AgentTest, PostStartHookSuccessAndHttpFailureUnderAlways) {
  record::FakeRecorder events;
  MakeAgent({.recorder = &events});
  CreatePod(R"({"metadata":{"name":"ok"},"spec":{"containers":[
      {"name":"app","image":"busybox","lifecycle":{"postStart":{"exec":{"command":["hook"]}}}}]}})");
  CreatePod(R"({"metadata":{"name":"web"},"spec":{"containers":[
      {"name":"app","image":"busybox","ports":[{"name":"http","containerPort":8080}],
       "lifecycle":{"postStart":{"httpGet":{"path":"/started","port":"http"}}}}]}})");
  prober_.http_ok = false;
  Sync();
  EXPECT_EQ(State(CS(Get("ok"))), "running");
  Pod p = Get("web");
  EXPECT_EQ(p.status().phase(), "Running");  // restartPolicy Always: it will start again
  EXPECT_EQ(State(CS(p)), "waiting:PostStartHookError");
  EXPECT_TRUE(
      absl::StrContains(CS(p).state().waiting().message(), "HTTP lifecycle hook (/started)"));
  EXPECT_EQ(CS(p).laststate().terminated().exitcode(), 143);
  // The hook goes to the pod's own IP (which of the two pods got which address depends on
  // the order their sandboxes were created in).
  ASSERT_FALSE(p.status().podip().empty());
  EXPECT_EQ(prober_.calls, std::vector<std::string>{
                               absl::StrCat("http HTTP ", p.status().podip(), ":8080/started")});
  prober_.http_ok = true;
  Sync();  // the first restart is immediate
  p = Get("web");
  EXPECT_EQ(State(CS(p)), "running");
  EXPECT_EQ(CS(p).restartcount(), 1);
  EXPECT_EQ(Matching(events.Events(), "Warning FailedPostStartHook").size(), 1u);
}

TEST_F(AgentTest, ActiveDeadlineFailsThePod) {
  record::FakeRecorder events;
  MakeAgent({.recorder = &events});
  CreatePod(R"({"metadata":{"name":"job"},"spec":{"activeDeadlineSeconds":30,
      "terminationGracePeriodSeconds":5,"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Step(absl::Seconds(29));
  EXPECT_EQ(Get("job").status().phase(), "Running");
  Step(absl::Seconds(1));
  Pod p = Get("job");
  EXPECT_EQ(p.status().phase(), "Failed");
  EXPECT_EQ(p.status().reason(), "DeadlineExceeded");
  EXPECT_EQ(p.status().message(), "Pod was active on the node longer than the specified deadline");
  EXPECT_TRUE(CS(p).state().has_terminated());
  EXPECT_EQ(Calls("StopContainer default/job/app 5").size(), 1u);
  EXPECT_EQ(Matching(events.Events(), "Normal DeadlineExceeded").size(), 1u);
  Step(absl::Minutes(5));  // nothing restarts
  EXPECT_EQ(Calls("StartContainer default/job/app").size(), 1u);
}

TEST_F(AgentTest, DiskPressureEvictsByStorageOverRequestThenPriorityAndTaints) {
  FakeDiskStats stats;
  record::FakeRecorder events;
  MakeAgent({.node_stats = &stats, .recorder = &events});
  // a: within its ephemeral-storage request. b: above (no request), priority 10. c: above,
  // priority 0, using less than b.
  CreatePod(R"({"metadata":{"name":"a","annotations":{"sim.rudder.dev/script":"*: disk=5Gi"}},
      "spec":{"containers":[{"name":"app","image":"busybox",
        "resources":{"requests":{"ephemeral-storage":"10Gi"}}}]}})");
  CreatePod(R"({"metadata":{"name":"b","annotations":{"sim.rudder.dev/script":"*: disk=3Gi"}},
      "spec":{"priority":10,"containers":[{"name":"app","image":"busybox"}]}})");
  CreatePod(R"({"metadata":{"name":"c","annotations":{"sim.rudder.dev/script":"*: disk=1Gi"}},
      "spec":{"containers":[{"name":"app","image":"busybox"}]}})");
  Sync();
  Step(absl::Seconds(10));
  EXPECT_EQ(NodeCondition("DiskPressure"), "False");
  stats.fs.available_bytes = 9LL << 30;  // 9 % < 10 %
  Step(absl::Seconds(1));
  EXPECT_EQ(NodeCondition("DiskPressure"), "True");
  client::TypedClient<Node> nodes(client_.get());
  auto n = nodes.Get("", kNode);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ((*n)->spec().taints_size(), 1);
  EXPECT_EQ((*n)->spec().taints(0).key(), "node.kubernetes.io/disk-pressure");
  EXPECT_EQ((*n)->spec().taints(0).effect(), "NoSchedule");
  Pod c = Get("c");
  EXPECT_EQ(c.status().phase(), "Failed");
  EXPECT_EQ(c.status().reason(), "Evicted");
  EXPECT_TRUE(absl::StrContains(c.status().message(), "low on resource: ephemeral-storage"))
      << c.status().message();
  EXPECT_EQ(Matching(events.Events(), "Warning Evicted").size(), 1u);
  Step(absl::Seconds(1));
  EXPECT_EQ(Get("b").status().reason(), "Evicted");
  EXPECT_EQ(Get("a").status().phase(), "Running");
  stats.fs.available_bytes = 50LL << 30;
  Step(absl::Seconds(1));
  EXPECT_EQ(NodeCondition("DiskPressure"), "False");
  n = nodes.Get("", kNode);
  EXPECT_EQ((*n)->spec().taints_size(), 0);
  EXPECT_EQ(Get("a").status().phase(), "Running");
}

TEST_F(AgentTest, MemoryPressureTaintsTheNodeWhileItLasts) {
  FakeStats stats;
  Taint keep;
  keep.set_key("dedicated");
  keep.set_effect("NoSchedule");
  MakeAgent({.taints = {keep}, .node_stats = &stats});
  Sync();
  client::TypedClient<Node> nodes(client_.get());
  auto keys = [&] {
    std::vector<std::string> out;
    absl::StatusOr<std::unique_ptr<Node>> n = nodes.Get("", kNode);
    if (!n.ok()) return out;
    for (const auto& t : (*n)->spec().taints()) out.push_back(t.key());
    return out;
  };
  EXPECT_EQ(keys(), std::vector<std::string>{"dedicated"});
  stats.mem.available_bytes = 10LL << 20;
  Step(absl::Seconds(1));
  EXPECT_EQ(NodeCondition("MemoryPressure"), "True");
  EXPECT_EQ(keys(), (std::vector<std::string>{"dedicated", "node.kubernetes.io/memory-pressure"}));
  stats.mem.available_bytes = 4LL << 30;
  Step(absl::Seconds(1));
  EXPECT_EQ(NodeCondition("MemoryPressure"), "False");
  EXPECT_EQ(keys(), std::vector<std::string>{"dedicated"});
}

}  // namespace
}  // namespace rudder::runtime::agent
