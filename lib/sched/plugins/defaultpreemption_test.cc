#include "lib/sched/plugins/defaultpreemption.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/sched/scheduler.h"
#include "lib/sched/testing/builders.h"
#include "lib/sched/testing/fake_cluster_access.h"

namespace rudder::sched {
namespace {

using testing::FakeClusterAccess;
using testing::NodeBuilder;
using testing::PodBuilder;
using Names = std::vector<std::string>;

struct Fixture {
  explicit Fixture(bool with_cluster = true, int parallelism = 16) {
    SchedulerOptions o;
    o.config.parallelism = parallelism;
    o.binder = &binder;
    o.clock = &clock;
    o.binding_workers = 0;
    o.cluster = with_cluster ? &cluster : nullptr;
    o.config.profiles[0].plugins.multi_point.enabled.push_back({"DefaultPreemption", 0});
    auto s = Scheduler::Create(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status();
    sched = *std::move(s);
  }
  void Node(const std::string& name, const std::string& cpu) {
    ASSERT_TRUE(sched->AddNode(NodeBuilder(name).Capacity(cpu, "64Gi").Label("name", name)).ok());
  }
  // A bound pod with a priority, cpu request and start time (seconds).
  void Bound(const std::string& name, const std::string& node, int32_t priority,
             const std::string& cpu, int64_t start = 100,
             std::map<std::string, std::string> labels = {}) {
    Pod p = Running(name, node, priority, cpu, start, labels);
    ASSERT_TRUE(sched->AddPod(p).ok());
  }
  static Pod Running(const std::string& name, const std::string& node, int32_t priority,
                     const std::string& cpu, int64_t start,
                     const std::map<std::string, std::string>& labels) {
    PodBuilder b(name);
    b.Req(cpu).Priority(priority).NodeName(node);
    for (const auto& [k, v] : labels) b.Label(k, v);
    Pod p = b;
    p.mutable_status()->mutable_starttime()->set_seconds(start);
    return p;
  }
  ScheduleResult Schedule(const Pod& pod) {
    EXPECT_TRUE(sched->AddPod(pod).ok());
    auto r = sched->ScheduleOne();
    EXPECT_TRUE(r.has_value());
    return r.value_or(ScheduleResult{});
  }
  void Pdb(const std::string& name, const std::map<std::string, std::string>& match,
           int32_t allowed) {
    api::policy::v1::PodDisruptionBudget pdb;
    pdb.mutable_metadata()->set_name(name);
    pdb.mutable_metadata()->set_namespace_("default");
    for (const auto& [k, v] : match) {
      (*pdb.mutable_spec()->mutable_selector()->mutable_matchlabels())[k] = v;
    }
    pdb.mutable_status()->set_disruptionsallowed(allowed);
    cluster.AddPDB(pdb);
  }

  FakeClock clock;
  RecordingBinder binder;
  FakeClusterAccess cluster;
  std::unique_ptr<Scheduler> sched;
};

Pod High(const std::string& name, const std::string& cpu, int32_t priority = 100) {
  return PodBuilder(name).Req(cpu).Priority(priority);
}

TEST(DefaultPreemptionTest, EvictsTheMinimalVictimSetAndNominates) {
  Fixture f;
  f.Node("n1", "3");
  // Three low-priority pods of 1 cpu; the preemptor needs 2: removing all three fits, then
  // the most important (earliest started) is re-added, the next does not fit any more.
  f.Bound("old", "n1", 0, "1", 10);
  f.Bound("mid", "n1", 0, "1", 20);
  f.Bound("new", "n1", 0, "1", 30);
  ScheduleResult r = f.Schedule(High("p", "2"));
  EXPECT_EQ(r.node, "");
  EXPECT_EQ(r.failure.nominated_node, "n1");
  EXPECT_EQ(f.cluster.EvictedPods(), (Names{"default/mid", "default/new"}));
  for (const auto& e : f.cluster.Evictions()) EXPECT_EQ(e.preemptor, "default/p");
  ASSERT_EQ(f.cluster.Nominations().size(), 1u);
  EXPECT_EQ(f.cluster.Nominations()[0].pod, "default/p");
  EXPECT_EQ(f.cluster.Nominations()[0].node, "n1");
  ASSERT_EQ(f.sched->queue().NominatedPodsForNode("n1").size(), 1u);
  // The victims go away: the preemptor schedules onto the nominated node.
  ASSERT_TRUE(f.sched->DeletePod(Fixture::Running("mid", "n1", 0, "1", 20, {})).ok());
  ASSERT_TRUE(f.sched->DeletePod(Fixture::Running("new", "n1", 0, "1", 30, {})).ok());
  f.clock.Advance(absl::Seconds(20));
  f.sched->queue().FlushBackoffQCompleted();
  auto again = f.sched->ScheduleOne();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->node, "n1");
  EXPECT_TRUE(f.sched->queue().NominatedPodsForNode("n1").empty() ||
              f.sched->queue().NominatedPodsForNode("n1")[0]->key() == "default/p");
}

TEST(DefaultPreemptionTest, EqualOrHigherPriorityIsNeverPreempted) {
  Fixture f;
  f.Node("n1", "2");
  f.Bound("same", "n1", 100, "1");
  f.Bound("higher", "n1", 200, "1");
  ScheduleResult r = f.Schedule(High("p", "1"));
  EXPECT_EQ(r.failure.nominated_node, "");
  EXPECT_TRUE(f.cluster.EvictedPods().empty());
  EXPECT_EQ(r.failure.message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 "
            "No preemption victims found for incoming pod.");
}

TEST(DefaultPreemptionTest, PreemptionPolicyNever) {
  Fixture f;
  f.Node("n1", "1");
  f.Bound("low", "n1", 0, "1");
  Pod p = High("p", "1");
  p.mutable_spec()->set_preemptionpolicy("Never");
  ScheduleResult r = f.Schedule(p);
  EXPECT_TRUE(f.cluster.EvictedPods().empty());
  EXPECT_EQ(r.failure.nominated_node, "");
  EXPECT_EQ(r.failure.message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to "
            "preemptionPolicy=Never.");
}

TEST(DefaultPreemptionTest, PodDisruptionBudgetRespectedWhenPossible) {
  Fixture f;
  f.Node("n1", "1");
  f.Node("n2", "1");
  f.Bound("guarded", "n1", 0, "1", 100, {{"app", "db"}});
  f.Bound("free", "n2", 0, "1", 100, {{"app", "web"}});
  f.Pdb("db", {{"app", "db"}}, 0);
  ScheduleResult r = f.Schedule(High("p", "1"));
  EXPECT_EQ(r.failure.nominated_node, "n2");
  EXPECT_EQ(f.cluster.EvictedPods(), (Names{"default/free"}));
}

TEST(DefaultPreemptionTest, PodDisruptionBudgetViolatedWhenNoOtherWay) {
  Fixture f;
  f.Node("n1", "1");
  f.Bound("guarded", "n1", 0, "1", 100, {{"app", "db"}});
  f.Pdb("db", {{"app", "db"}}, 0);
  ScheduleResult r = f.Schedule(High("p", "1"));
  EXPECT_EQ(r.failure.nominated_node, "n1");
  EXPECT_EQ(f.cluster.EvictedPods(), (Names{"default/guarded"}));
}

TEST(DefaultPreemptionTest, PdbViolatingPodsAreReprievedFirst) {
  // Two low pods of equal priority on one node, one covered by an exhausted PDB; only one
  // must go. The PDB-covered one is re-added first, so the other is the victim even though
  // it started earlier.
  Fixture f;
  f.Node("n1", "2");
  f.Bound("guarded", "n1", 0, "1", 200, {{"app", "db"}});
  f.Bound("plain", "n1", 0, "1", 100, {{"app", "web"}});
  f.Pdb("db", {{"app", "db"}}, 0);
  ScheduleResult r = f.Schedule(High("p", "1"));
  EXPECT_EQ(r.failure.nominated_node, "n1");
  EXPECT_EQ(f.cluster.EvictedPods(), (Names{"default/plain"}));
}

TEST(DefaultPreemptionTest, PicksTheNodeWithTheLowestVictimPriority) {
  Fixture f;
  f.Node("n1", "1");
  f.Node("n2", "1");
  f.Bound("fifty", "n1", 50, "1");
  f.Bound("ten", "n2", 10, "1");
  ScheduleResult r = f.Schedule(High("p", "1"));
  EXPECT_EQ(r.failure.nominated_node, "n2");
  EXPECT_EQ(f.cluster.EvictedPods(), (Names{"default/ten"}));
}

TEST(DefaultPreemptionTest, PicksTheSmallestPrioritySumThenFewestVictims) {
  Fixture f;
  f.Node("n1", "2");
  f.Node("n2", "2");
  // n1 needs two 1-cpu victims, n2 one 2-cpu victim (same priority): n2.
  f.Bound("a", "n1", 10, "1");
  f.Bound("b", "n1", 10, "1");
  f.Bound("c", "n2", 10, "2");
  ScheduleResult r = f.Schedule(High("p", "2"));
  EXPECT_EQ(r.failure.nominated_node, "n2");
  EXPECT_EQ(f.cluster.EvictedPods(), (Names{"default/c"}));
}

TEST(DefaultPreemptionTest, PicksTheLatestStartedVictimsOnATie) {
  Fixture f;
  f.Node("n1", "1");
  f.Node("n2", "1");
  f.Bound("early", "n1", 10, "1", 100);
  f.Bound("late", "n2", 10, "1", 500);
  ScheduleResult r = f.Schedule(High("p", "1"));
  EXPECT_EQ(r.failure.nominated_node, "n2");
}

TEST(DefaultPreemptionTest, UnresolvableNodesAreNotCandidates) {
  Fixture f;
  f.Node("n1", "1");
  f.Node("n2", "1");
  f.Bound("x", "n1", 0, "1");
  f.Bound("y", "n2", 0, "1");
  // Only n2 matches the node selector: n1 is UnschedulableAndUnresolvable.
  ScheduleResult r = f.Schedule(PodBuilder("p").Req("1").Priority(100).NodeSelector("name", "n2"));
  EXPECT_EQ(r.failure.nominated_node, "n2");
  EXPECT_EQ(f.cluster.EvictedPods(), (Names{"default/y"}));
  // Nothing can help a pod whose selector matches no node.
  Fixture g;
  g.Node("n1", "1");
  g.Bound("x", "n1", 0, "1");
  r = g.Schedule(PodBuilder("q").Req("1").Priority(100).NodeSelector("name", "none"));
  EXPECT_EQ(r.failure.message,
            "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");
  EXPECT_TRUE(g.cluster.EvictedPods().empty());
}

TEST(DefaultPreemptionTest, WithoutClusterAccessOnlyReports) {
  Fixture f(/*with_cluster=*/false);
  f.Node("n1", "1");
  f.Bound("low", "n1", 0, "1");
  ScheduleResult r = f.Schedule(High("p", "1"));
  EXPECT_EQ(r.failure.nominated_node, "");
  EXPECT_EQ(r.failure.message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: would preempt 1 pod(s) on "
            "node n1 (default/low); no cluster access to evict them.");
  EXPECT_TRUE(f.sched->queue().NominatedPodsForNode("n1").empty());
}

TEST(DefaultPreemptionTest, NominatedPodHoldsItsRoomAgainstLowerPriorityPods) {
  Fixture f;
  f.Node("n1", "2");
  f.Bound("a", "n1", 0, "1");
  f.Bound("b", "n1", 0, "1");
  ScheduleResult r = f.Schedule(High("p", "2"));
  ASSERT_EQ(r.failure.nominated_node, "n1");
  ASSERT_TRUE(f.sched->DeletePod(Fixture::Running("a", "n1", 0, "1", 100, {})).ok());
  ASSERT_TRUE(f.sched->DeletePod(Fixture::Running("b", "n1", 0, "1", 100, {})).ok());
  // A lower-priority pod that would fit the freed room is kept out by the nomination (and
  // cannot preempt a pod that is only nominated).
  ScheduleResult mid = f.Schedule(PodBuilder("mid").Req("1").Priority(50));
  EXPECT_EQ(mid.node, "");
  EXPECT_EQ(mid.failure.nominated_node, "");
  // A higher-priority pod ignores the nomination of a lower one.
  ScheduleResult top = f.Schedule(PodBuilder("top").Req("1").Priority(1000));
  EXPECT_EQ(top.node, "n1");
}

TEST(DefaultPreemptionTest, LowerPriorityNominationsAreCleared) {
  Fixture f;
  f.Node("n1", "1");
  f.Bound("a", "n1", 0, "1");
  ASSERT_EQ(f.Schedule(High("p", "1", 50)).failure.nominated_node, "n1");
  // A higher-priority pod preempts on the same node: p's nomination goes.
  ASSERT_EQ(f.Schedule(High("q", "1", 100)).failure.nominated_node, "n1");
  auto noms = f.sched->queue().NominatedPodsForNode("n1");
  ASSERT_EQ(noms.size(), 1u);
  EXPECT_EQ(noms[0]->key(), "default/q");
  auto n = f.cluster.Nominations();
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[1].pod, "default/p");
  EXPECT_EQ(n[1].node, "");
}

TEST(DefaultPreemptionTest, Deterministic) {
  auto run = [] {
    Fixture f;
    for (int i = 0; i < 8; ++i) {
      std::string n = "n" + std::to_string(i);
      f.Node(n, "2");
      f.Bound("a" + std::to_string(i), n, i % 3, "1", 100 + i);
      f.Bound("b" + std::to_string(i), n, i % 2, "1", 200 - i);
    }
    std::vector<std::string> out;
    for (int k = 0; k < 3; ++k) {
      ScheduleResult r = f.Schedule(High("p" + std::to_string(k), "2", 100 + k));
      out.push_back(r.failure.nominated_node);
    }
    for (const auto& v : f.cluster.EvictedPods()) out.push_back(v);
    return out;
  };
  std::vector<std::string> first = run();
  EXPECT_EQ(first.size(), 3u + 6u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(), first);
}

TEST(DefaultPreemptionTest, NominatedNodeIsTriedFirst) {
  Fixture f;
  f.Node("n1", "2");
  f.Bound("a", "n1", 0, "1");
  f.Bound("b", "n1", 0, "1");
  ASSERT_EQ(f.Schedule(High("p", "2")).failure.nominated_node, "n1");
  ASSERT_TRUE(f.sched->DeletePod(Fixture::Running("a", "n1", 0, "1", 100, {})).ok());
  ASSERT_TRUE(f.sched->DeletePod(Fixture::Running("b", "n1", 0, "1", 100, {})).ok());
  // Emptier nodes that would score higher arrive meanwhile; p still goes to its nominated
  // node, evaluating that node alone.
  f.Node("n2", "16");
  f.Node("n3", "16");
  f.clock.Advance(absl::Seconds(20));
  f.sched->queue().FlushBackoffQCompleted();
  auto again = f.sched->ScheduleOne();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->node, "n1");
  EXPECT_EQ(again->evaluated_nodes, 1);
}

TEST(DefaultPreemptionTest, NominatedNodeFromStatusThatNoLongerFitsFallsBackToAllNodes) {
  Fixture f;
  f.Node("n1", "16");
  f.Node("n2", "2");
  f.Node("n3", "2");
  f.Bound("busy", "n3", 0, "2");
  // Nominated to n2 (status.nominatedNodeName): n2 wins over the emptier n1.
  Pod p = High("p", "1");
  p.mutable_status()->set_nominatednodename("n2");
  ScheduleResult r = f.Schedule(p);
  EXPECT_EQ(r.node, "n2");
  EXPECT_EQ(r.evaluated_nodes, 1);
  // Nominated to the full n3: every node is evaluated and the best one (n1) wins.
  Pod q = High("q", "1");
  q.mutable_status()->set_nominatednodename("n3");
  r = f.Schedule(q);
  EXPECT_EQ(r.node, "n1");
  EXPECT_EQ(r.evaluated_nodes, 3);
}

// The dry run over the Filter workers picks the same candidates, node and victims as a
// node-by-node run, including when it stops early (more than 100 candidates) and with PDBs.
TEST(DefaultPreemptionTest, ParallelDryRunMatchesSequential) {
  auto run = [](int parallelism) {
    Fixture f(true, parallelism);
    f.Pdb("guarded", {{"guard", "yes"}}, 1);
    for (int i = 0; i < 400; ++i) {
      std::string n = "n" + std::to_string(i);
      f.Node(n, "2");
      std::map<std::string, std::string> labels;
      if (i % 5 == 0) labels["guard"] = "yes";
      f.Bound("a" + std::to_string(i), n, i % 7, "1", 100 + (i * 37) % 101, labels);
      f.Bound("b" + std::to_string(i), n, i % 3 == 0 ? 200 : i % 4, "1", 300 - (i * 13) % 97);
    }
    std::vector<std::string> out;
    for (int k = 0; k < 12; ++k) {
      ScheduleResult r = f.Schedule(High("p" + std::to_string(k), k % 2 ? "2" : "1", 50 + k));
      out.push_back(r.failure.nominated_node + " " + r.failure.message);
    }
    for (const auto& v : f.cluster.EvictedPods()) out.push_back(v);
    return out;
  };
  std::vector<std::string> sequential = run(1);
  EXPECT_GT(sequential.size(), 12u + 12u);
  EXPECT_EQ(run(2), sequential);
  EXPECT_EQ(run(4), sequential);
}

TEST(DefaultPreemptionTest, EvictionErrorIsASchedulerError) {
  Fixture f;
  f.Node("n1", "1");
  f.Bound("low", "n1", 0, "1");
  f.cluster.SetEvictError(absl::UnavailableError("api down"));
  ScheduleResult r = f.Schedule(High("p", "1"));
  EXPECT_EQ(r.failure.nominated_node, "");
  EXPECT_NE(r.failure.message.find("api down"), std::string::npos) << r.failure.message;
  // NotFound (the victim is already gone) is not an error.
  Fixture g;
  g.Node("n1", "1");
  g.Bound("low", "n1", 0, "1");
  g.cluster.SetEvictError(absl::NotFoundError("gone"));
  EXPECT_EQ(g.Schedule(High("p", "1")).failure.nominated_node, "n1");
}

TEST(DefaultPreemptionTest, BadArgs) {
  auto bad = [](const std::string& yaml) {
    return plugins::NewDefaultPreemption(*ConfigValue::Parse(yaml), nullptr).status().code();
  };
  EXPECT_EQ(bad("{minCandidateNodesPercentage: 101}"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad("{minCandidateNodesAbsolute: -1}"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad("{minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0}"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad("{minCandidateNodesPercentage: 20}"), absl::StatusCode::kOk);
}

}  // namespace
}  // namespace rudder::sched
