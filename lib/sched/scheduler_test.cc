#include "lib/sched/scheduler.h"

#include "gtest/gtest.h"
#include "lib/sched/testing/builders.h"

namespace rudder::sched {
namespace {

using testing::NodeBuilder;
using testing::PodBuilder;

struct Fixture {
  explicit Fixture(SchedulerOptions o = {}, int binding_workers = 0) {
    o.binder = &binder;
    o.clock = &clock;
    o.binding_workers = binding_workers;
    o.on_failure = [this](const Pod& p, const FailureInfo& f) {
      MutexLock l(&mu);
      failures.push_back(f);
    };
    auto s = Scheduler::Create(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status();
    sched = *std::move(s);
  }
  ScheduleResult One() {
    auto r = sched->ScheduleOne();
    EXPECT_TRUE(r.has_value());
    return r.value_or(ScheduleResult{});
  }
  FakeClock clock;
  RecordingBinder binder;
  Mutex mu;
  std::vector<FailureInfo> failures;
  std::unique_ptr<Scheduler> sched;
};

TEST(SchedulerTest, SchedulesOntoTheNodeThatFits) {
  Fixture f;
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("small").Capacity("1", "1Gi")).ok());
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("big").Capacity("8", "16Gi")).ok());
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p").Req("2", "2Gi")).ok());
  ScheduleResult r = f.One();
  EXPECT_EQ(r.node, "big");
  EXPECT_EQ(r.feasible_nodes, 1);
  EXPECT_EQ(f.binder.Bindings(),
            (std::vector<std::pair<std::string, std::string>>{{"default/p", "big"}}));
  // The assumed pod counts: a second pod of 7 cpu no longer fits anywhere.
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("q").Req("7")).ok());
  r = f.One();
  EXPECT_EQ(r.node, "");
  EXPECT_EQ(r.failure.reason, "Unschedulable");
  EXPECT_EQ(r.failure.message,
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 "
            "No preemption victims found for incoming pod.");
  EXPECT_EQ(f.sched->queue().WhereIs("uid-default-q"), "unschedulable");
}

TEST(SchedulerTest, FitErrorMessageMatchesKubernetes) {
  Fixture f;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(f.sched->AddNode(NodeBuilder("w" + std::to_string(i)).Capacity("1", "4Gi")).ok());
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(f.sched
                    ->AddNode(NodeBuilder("m" + std::to_string(i))
                                  .Capacity("8", "4Gi")
                                  .Taint("node-role", "master", "NoSchedule"))
                    .ok());
  }
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p").Req("2")).ok());
  ScheduleResult r = f.One();
  EXPECT_EQ(r.failure.message,
            "0/5 nodes are available: 2 node(s) had untolerated taint {node-role: master}, 3 "
            "Insufficient cpu. preemption: 0/5 nodes are available: 2 Preemption is not helpful "
            "for scheduling, 3 No preemption victims found for incoming pod.");
  ASSERT_EQ(f.failures.size(), 1u);
  EXPECT_EQ(f.failures[0].message, r.failure.message);
}

TEST(SchedulerTest, NodeAddRequeuesPodAndItSchedules) {
  Fixture f;
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("a").Capacity("1", "1Gi")).ok());
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p").Req("2")).ok());
  EXPECT_EQ(f.One().node, "");
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("b").Capacity("4", "4Gi")).ok());
  EXPECT_EQ(f.sched->queue().WhereIs("uid-default-p"), "backoff");
  f.clock.Advance(absl::Seconds(1));
  f.sched->queue().FlushBackoffQCompleted();
  EXPECT_EQ(f.One().node, "b");
}

TEST(SchedulerTest, NodeAffinityNarrowsAndNoNodesIsAnError) {
  Fixture f;
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("early")).ok());
  ScheduleResult r = f.One();
  EXPECT_EQ(r.failure.reason, "SchedulerError");
  EXPECT_EQ(r.failure.message, "no nodes available to schedule pods");
  EXPECT_EQ(f.sched->queue().WhereIs("uid-default-early"), "backoff");
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(f.sched->AddNode(NodeBuilder("n" + std::to_string(i)).Capacity("4", "4Gi")).ok());
  }
  ASSERT_TRUE(
      f.sched->AddPod(PodBuilder("p").Required(0, "metadata.name", "In", {"n2"}, true)).ok());
  r = f.One();
  EXPECT_EQ(r.node, "n2");
  EXPECT_EQ(r.evaluated_nodes, 1);
  // Nodes outside the PreFilter result count as rejected in the message.
  ASSERT_TRUE(
      f.sched->AddPod(PodBuilder("big").Req("8").Required(0, "metadata.name", "In", {"n1"}, true))
          .ok());
  r = f.One();
  EXPECT_EQ(r.failure.message,
            "0/4 nodes are available: 1 Insufficient cpu, 3 node is filtered out by the prefilter "
            "result. preemption: 0/4 nodes are available: 1 No preemption victims found for "
            "incoming pod, 3 Preemption is not helpful for scheduling.");
}

TEST(SchedulerTest, PreFilterRejectionMessage) {
  SchedulerOptions o;
  Fixture f(std::move(o));
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("a").Capacity("4", "4Gi")).ok());
  ASSERT_TRUE(f.sched
                  ->AddPod(PodBuilder("p")
                               .Required(0, "metadata.name", "In", {"x"}, true)
                               .Required(0, "metadata.name", "In", {"y"}, true))
                  .ok());
  ScheduleResult r = f.One();
  EXPECT_EQ(r.failure.message,
            "0/1 nodes are available: node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");
}

// Two profiles; pods of unknown schedulers are ignored.
TEST(SchedulerTest, ProfilesBySchedulerName) {
  absl::StatusOr<SchedulerConfig> c = ParseSchedulerConfig(R"(
profiles:
- schedulerName: default-scheduler
- schedulerName: packer
  plugins:
    score:
      disabled: [{name: "*"}]
      enabled: [{name: NodeResourcesFit}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  SchedulerOptions o;
  o.config = *c;
  Fixture f(std::move(o));
  EXPECT_EQ(f.sched->ProfileNames(), (std::vector<std::string>{"default-scheduler", "packer"}));
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("a").Capacity("4", "4Gi")).ok());
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("b").Capacity("4", "4Gi")).ok());
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("x").Req("2", "2Gi").NodeName("a")).ok());
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("spread").Req("1", "1Gi")).ok());
  EXPECT_EQ(f.One().node, "b");  // LeastAllocated
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("packed").Req("1", "1Gi").SchedulerName("packer")).ok());
  // a: 3/4, b: 2/4 after "spread": MostAllocated picks a.
  EXPECT_EQ(f.One().node, "a");
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("other").SchedulerName("someone-else")).ok());
  EXPECT_FALSE(f.sched->ScheduleOne().has_value());
}

std::vector<std::pair<std::string, std::string>> RunCluster(int parallelism, uint64_t seed) {
  SchedulerOptions o;
  o.config.parallelism = parallelism;
  o.seed = seed;
  Fixture f(std::move(o));
  for (int i = 0; i < 300; ++i) {
    NodeBuilder n("n" + std::to_string(i));
    n.Capacity(std::to_string(4 + i % 3), "16Gi").Label("zone", "z" + std::to_string(i % 4));
    if (i % 17 == 0) n.Taint("dedicated", "x", "NoSchedule");
    EXPECT_TRUE(f.sched->AddNode(n).ok());
  }
  for (int i = 0; i < 400; ++i) {
    PodBuilder p("p" + std::to_string(i));
    p.Req(std::to_string(100 + (i % 5) * 200) + "m", "256Mi");
    if (i % 3 == 0) p.Preferred(10, "zone", "In", {"z1"});
    EXPECT_TRUE(f.sched->AddPod(p).ok());
  }
  while (f.sched->ScheduleOne().has_value()) {
  }
  f.sched->WaitForBindings();
  return f.binder.Bindings();
}

TEST(SchedulerTest, DeterministicAcrossRunsAndThreadCounts) {
  auto a = RunCluster(1, 7);
  ASSERT_EQ(a.size(), 400u);
  EXPECT_EQ(a, RunCluster(1, 7));
  EXPECT_EQ(a, RunCluster(2, 7));
  EXPECT_EQ(a, RunCluster(4, 7));
  EXPECT_NE(a, RunCluster(2, 8));  // Ties are broken by the seed.
}

TEST(SchedulerTest, PercentageOfNodesToScore) {
  SchedulerOptions o;
  o.config.percentage_of_nodes_to_score = 10;
  Fixture f(std::move(o));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(f.sched->AddNode(NodeBuilder("n" + std::to_string(i)).Capacity("4", "4Gi")).ok());
  }
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p")).ok());
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("q")).ok());
  ScheduleResult r = f.One();
  EXPECT_EQ(r.evaluated_nodes, 100);
  EXPECT_EQ(r.feasible_nodes, 100);
  // The next cycle starts where this one stopped (round robin).
  r = f.One();
  EXPECT_EQ(r.feasible_nodes, 100);
  int idx = std::stoi(r.node.substr(1));
  EXPECT_GE(idx, 100);
  EXPECT_LT(idx, 200);
}

TEST(SchedulerTest, AdaptivePercentage) {
  Fixture f;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(f.sched->AddNode(NodeBuilder("n" + std::to_string(i)).Capacity("4", "4Gi")).ok());
  }
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p")).ok());
  // 50 - 5000/125 = 10% of 5000.
  EXPECT_EQ(f.One().feasible_nodes, 500);
}

// A Permit plugin that waits, and a Reserve plugin that records calls.
class GatePlugin : public PermitPlugin, public ReservePlugin {
 public:
  explicit GatePlugin(std::vector<std::string>* log) : log_(log) {}
  std::string_view Name() const override { return "Gate"; }
  Status Permit(CycleState&, const PodInfo& pod, const std::string&, absl::Duration* t) override {
    if (pod.pod().metadata().labels().count("deny")) return Status::Unschedulable("denied");
    *t = absl::Seconds(10);
    return Status(Code::kWait);
  }
  Status Reserve(CycleState&, const PodInfo& pod, const std::string& node) override {
    log_->push_back("reserve " + pod.pod().metadata().name());
    return Status();
  }
  void Unreserve(CycleState&, const PodInfo& pod, const std::string& node) override {
    log_->push_back("unreserve " + pod.pod().metadata().name());
  }

 private:
  std::vector<std::string>* log_;
};

struct PermitFixture {
  PermitFixture() {
    registry = DefaultRegistry();
    EXPECT_TRUE(registry
                    .Register("Gate",
                              [this](const ConfigValue&,
                                     Handle*) -> absl::StatusOr<std::unique_ptr<Plugin>> {
                                return std::unique_ptr<Plugin>(new GatePlugin(&log));
                              })
                    .ok());
    SchedulerOptions o;
    o.registry = &registry;
    o.config.profiles[0].plugins.multi_point.enabled.push_back({"Gate", 0});
    f = std::make_unique<Fixture>(std::move(o));
    EXPECT_TRUE(f->sched->AddNode(NodeBuilder("a").Capacity("4", "4Gi")).ok());
  }
  PluginRegistry registry;
  std::vector<std::string> log;
  std::unique_ptr<Fixture> f;
};

TEST(SchedulerTest, PermitWaitThenAllow) {
  PermitFixture pf;
  ASSERT_TRUE(pf.f->sched->AddPod(PodBuilder("p")).ok());
  EXPECT_EQ(pf.f->One().node, "a");
  bool found = false;
  while (!found) {  // The waiting pod is registered before ScheduleOne returns.
    pf.f->sched->handle()->WithWaitingPod("uid-default-p", [&](WaitingPod* w) {
      ASSERT_NE(w, nullptr);
      EXPECT_EQ(w->PendingPlugins(), (std::vector<std::string>{"Gate"}));
      w->Allow("Gate");
      found = true;
    });
  }
  pf.f->sched->WaitForBindings();
  EXPECT_EQ(pf.f->binder.Count(), 1u);
}

TEST(SchedulerTest, PermitTimeoutUnreservesAndRequeues) {
  PermitFixture pf;
  ASSERT_TRUE(pf.f->sched->AddPod(PodBuilder("p")).ok());
  EXPECT_EQ(pf.f->One().node, "a");
  EXPECT_TRUE(pf.f->sched->cache().IsAssumedPod("uid-default-p"));
  pf.f->clock.Advance(absl::Seconds(10));
  pf.f->sched->WaitForBindings();
  EXPECT_EQ(pf.f->binder.Count(), 0u);
  EXPECT_FALSE(pf.f->sched->cache().IsAssumedPod("uid-default-p"));
  EXPECT_EQ(pf.log, (std::vector<std::string>{"reserve p", "unreserve p"}));
  MutexLock l(&pf.f->mu);
  ASSERT_EQ(pf.f->failures.size(), 1u);
  EXPECT_EQ(pf.f->failures[0].message, "rejected due to timeout after waiting 10s at plugin Gate");
}

TEST(SchedulerTest, PermitRejectUnreserves) {
  PermitFixture pf;
  ASSERT_TRUE(pf.f->sched->AddPod(PodBuilder("p").Label("deny", "1")).ok());
  ScheduleResult r = pf.f->One();
  EXPECT_EQ(r.node, "");
  EXPECT_EQ(r.failure.message, "denied");
  EXPECT_EQ(pf.log, (std::vector<std::string>{"reserve p", "unreserve p"}));
  EXPECT_EQ(pf.f->sched->queue().WhereIs("uid-default-p"), "unschedulable");
}

TEST(SchedulerTest, BindFailureForgetsAssumedPod) {
  Fixture f;
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("a").Capacity("4", "4Gi")).ok());
  f.binder.SetError(absl::UnavailableError("store down"));
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p").Req("1")).ok());
  f.One();
  EXPECT_FALSE(f.sched->cache().IsAssumedPod("uid-default-p"));
  EXPECT_EQ(f.sched->queue().WhereIs("uid-default-p"), "backoff");
  ASSERT_EQ(f.failures.size(), 1u);
  EXPECT_EQ(f.failures[0].reason, "SchedulerError");
  EXPECT_EQ(f.failures[0].message, "store down");
}

TEST(SchedulerTest, BoundPodConfirmsAssumedPod) {
  Fixture f;
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("a").Capacity("4", "4Gi")).ok());
  Pod p = PodBuilder("p").Req("1");
  ASSERT_TRUE(f.sched->AddPod(p).ok());
  EXPECT_EQ(f.One().node, "a");
  EXPECT_TRUE(f.sched->cache().IsAssumedPod("uid-default-p"));
  Pod bound = p;
  bound.mutable_spec()->set_nodename("a");
  ASSERT_TRUE(f.sched->UpdatePod(p, bound).ok());
  EXPECT_FALSE(f.sched->cache().IsAssumedPod("uid-default-p"));
  EXPECT_EQ(f.sched->cache().NodeOf("uid-default-p"), "a");
  ASSERT_TRUE(f.sched->DeletePod(bound).ok());
  EXPECT_EQ(f.sched->cache().NodeOf("uid-default-p"), "");
}

TEST(SchedulerTest, RunLoopWithBindingWorkers) {
  Fixture f({}, 2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(f.sched->AddNode(NodeBuilder("n" + std::to_string(i)).Capacity("4", "8Gi")).ok());
  }
  f.sched->Run();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(f.sched->AddPod(PodBuilder("p" + std::to_string(i)).Req("100m")).ok());
  }
  while (f.binder.Count() < 100) absl::SleepFor(absl::Milliseconds(1));
  f.sched->Stop();
  EXPECT_EQ(f.binder.Count(), 100u);
}

TEST(SchedulerTest, NodeUpdatesRequeueByWhatChanged) {
  Fixture f;
  Node tainted = NodeBuilder("a").Capacity("4", "4Gi").Taint("k", "v", "NoSchedule");
  ASSERT_TRUE(f.sched->AddNode(tainted).ok());
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p")).ok());
  EXPECT_EQ(f.One().node, "");
  EXPECT_EQ(f.sched->queue().WhereIs("uid-default-p"), "unschedulable");
  // A label change cannot help a pod rejected by TaintToleration.
  Node labeled = tainted;
  (*labeled.mutable_metadata()->mutable_labels())["x"] = "y";
  ASSERT_TRUE(f.sched->UpdateNode(tainted, labeled).ok());
  EXPECT_EQ(f.sched->queue().WhereIs("uid-default-p"), "unschedulable");
  // Removing the taint can.
  Node clean = labeled;
  clean.mutable_spec()->clear_taints();
  f.clock.Advance(absl::Seconds(2));
  ASSERT_TRUE(f.sched->UpdateNode(labeled, clean).ok());
  EXPECT_EQ(f.sched->queue().WhereIs("uid-default-p"), "active");
  EXPECT_EQ(f.One().node, "a");
}

TEST(SchedulerTest, NominatedPodsReserveRoomInFilter) {
  Fixture f;
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("a").Capacity("4", "8Gi")).ok());
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("b").Capacity("2", "8Gi")).ok());
  // A higher-priority pod nominated to "a" (by preemption) holds 3 cpu there.
  f.sched->queue().AddNominatedPod(
      *PodInfo::Create(PodBuilder("vip").Req("3").Priority(100).Build()), "a");
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p").Req("2").Priority(1)).ok());
  EXPECT_EQ(f.One().node, "b");  // LeastAllocated would pick "a" without the nomination.
  // A pod of higher priority than the nominated one ignores it.
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("q").Req("2").Priority(1000)).ok());
  EXPECT_EQ(f.One().node, "a");
}

TEST(SchedulerTest, UnconfirmedAssumedPodExpiresWhileRunning) {
  SchedulerOptions o;
  o.assumed_pod_ttl = absl::Minutes(1);
  Fixture f(std::move(o), 1);
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("a").Capacity("4", "8Gi")).ok());
  f.sched->Run();
  ASSERT_TRUE(f.sched->AddPod(PodBuilder("p").Req("1")).ok());
  while (f.binder.Count() < 1) absl::SleepFor(absl::Milliseconds(1));
  f.sched->WaitForBindings();
  EXPECT_TRUE(f.sched->cache().IsAssumedPod("uid-default-p"));
  f.clock.Advance(absl::Minutes(2));
  while (f.sched->cache().IsAssumedPod("uid-default-p")) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(f.sched->cache().NodeOf("uid-default-p"), "");
  f.sched->Stop();
}

TEST(SchedulerTest, DeletingAnAssumedPodFreesItsNode) {
  Fixture f;
  ASSERT_TRUE(f.sched->AddNode(NodeBuilder("a").Capacity("4", "4Gi")).ok());
  Pod p = PodBuilder("p").Req("1");
  ASSERT_TRUE(f.sched->AddPod(p).ok());
  EXPECT_EQ(f.One().node, "a");
  ASSERT_TRUE(f.sched->cache().IsAssumedPod("uid-default-p"));
  ASSERT_TRUE(f.sched->DeletePod(p).ok());
  EXPECT_EQ(f.sched->cache().NodeOf("uid-default-p"), "");
}

// PostFilter, PreBind and PostBind through a test plugin.
class HooksPlugin : public PostFilterPlugin, public PreBindPlugin, public PostBindPlugin {
 public:
  explicit HooksPlugin(std::vector<std::string>* log) : log_(log) {}
  std::string_view Name() const override { return "Hooks"; }
  Status PostFilter(CycleState&, const PodInfo& pod, const NodeToStatus& filtered,
                    PostFilterResult* result) override {
    log_->push_back("postfilter " + std::to_string(filtered.failed.size()));
    if (pod.pod().metadata().labels().count("nominate")) {
      result->nominated_node_name = "a";
      return Status();
    }
    return Status::Unschedulable(
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
  }
  Status PreBind(CycleState&, const PodInfo& pod, const std::string& node) override {
    log_->push_back("prebind " + node);
    if (pod.pod().metadata().labels().count("failprebind"))
      return Status::Error("volume not ready");
    return Status();
  }
  void PostBind(CycleState&, const PodInfo&, const std::string& node) override {
    log_->push_back("postbind " + node);
  }

 private:
  std::vector<std::string>* log_;
};

struct HooksFixture {
  HooksFixture() {
    registry = DefaultRegistry();
    EXPECT_TRUE(registry
                    .Register("Hooks",
                              [this](const ConfigValue&,
                                     Handle*) -> absl::StatusOr<std::unique_ptr<Plugin>> {
                                return std::unique_ptr<Plugin>(new HooksPlugin(&log));
                              })
                    .ok());
    SchedulerOptions o;
    o.registry = &registry;
    o.config.profiles[0].plugins.multi_point.enabled.push_back({"Hooks", 0});
    // The hooks are the only PostFilter plugin here.
    o.config.profiles[0].plugins.multi_point.disabled.push_back({"DefaultPreemption", 0});
    f = std::make_unique<Fixture>(std::move(o));
    EXPECT_TRUE(f->sched->AddNode(NodeBuilder("a").Capacity("1", "4Gi")).ok());
  }
  PluginRegistry registry;
  std::vector<std::string> log;
  std::unique_ptr<Fixture> f;
};

TEST(SchedulerTest, PostFilterMessageAndNomination) {
  HooksFixture h;
  ASSERT_TRUE(h.f->sched->AddPod(PodBuilder("p").Req("2")).ok());
  ScheduleResult r = h.f->One();
  EXPECT_EQ(r.failure.message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 "
            "No preemption victims found for incoming pod.");
  ASSERT_TRUE(h.f->sched->AddPod(PodBuilder("n").Req("2").Label("nominate", "1")).ok());
  r = h.f->One();
  EXPECT_EQ(r.failure.nominated_node, "a");
  EXPECT_EQ(h.f->sched->queue().NominatedPodsForNode("a").size(), 1u);
  EXPECT_EQ(h.log, (std::vector<std::string>{"postfilter 1", "postfilter 1"}));
}

TEST(SchedulerTest, PreBindFailureUnreservesAndPostBindRunsOnSuccess) {
  HooksFixture h;
  ASSERT_TRUE(h.f->sched->AddPod(PodBuilder("bad").Label("failprebind", "1")).ok());
  h.f->One();
  EXPECT_EQ(h.f->binder.Count(), 0u);
  EXPECT_FALSE(h.f->sched->cache().IsAssumedPod("uid-default-bad"));
  ASSERT_EQ(h.f->failures.size(), 1u);
  EXPECT_EQ(h.f->failures[0].message, "volume not ready");
  ASSERT_TRUE(h.f->sched->AddPod(PodBuilder("good")).ok());
  EXPECT_EQ(h.f->One().node, "a");
  EXPECT_EQ(h.log, (std::vector<std::string>{"prebind a", "prebind a", "postbind a"}));
}

TEST(SchedulerTest, InvalidPodIsRejected) {
  Fixture f;
  absl::Status s = f.sched->AddPod(PodBuilder("p").Req("lots"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::sched
