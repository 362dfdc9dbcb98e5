#include "lib/sched/explain/explain.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/sched/scheduler.h"
#include "lib/sched/testing/builders.h"
#include "rapidjson/document.h"

namespace rudder::sched::explain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::NodeBuilder;
using testing::PodBuilder;

Pod Bound(PodBuilder b, const std::string& node) { return b.NodeName(node).Build(); }

const PluginScore* FindScore(const NodeScore& n, const std::string& plugin) {
  for (const auto& p : n.plugins) {
    if (p.plugin == plugin) return &p;
  }
  return nullptr;
}

// n1: 4 cpu free; n2: 4 cpu with 3 used; n3: tainted; n4: labelled zone=b, 1 cpu.
ClusterObjects SmallCluster() {
  ClusterObjects c;
  c.nodes = {NodeBuilder("n1").Capacity("4", "8Gi").Label("zone", "a"),
             NodeBuilder("n2").Capacity("4", "8Gi").Label("zone", "a"),
             NodeBuilder("n3")
                 .Capacity("8", "8Gi")
                 .Label("zone", "a")
                 .Taint("dedicated", "gpu", "NoSchedule"),
             NodeBuilder("n4").Capacity("1", "8Gi").Label("zone", "b")};
  c.pods = {Bound(PodBuilder("busy").Req("3", "1Gi"), "n2")};
  return c;
}

TEST(ExplainTest, ChoosesLeastAllocatedAndReportsPerPluginScores) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  Explanation e = ex->Explain(PodBuilder("web").Req("500m", "1Gi")).value();
  EXPECT_EQ(e.pod, "default/web");
  EXPECT_EQ(e.profile, "default-scheduler");
  EXPECT_EQ(e.num_nodes, 4);
  EXPECT_EQ(e.feasible_nodes, 3);  // n3 is tainted.
  EXPECT_EQ(e.scored_nodes, 3);
  EXPECT_EQ(e.chosen_node, "n1");
  ASSERT_EQ(e.top.size(), 3u);
  EXPECT_EQ(e.top[0].node, "n1");
  EXPECT_EQ(e.top[0].rank, 1);
  const PluginScore* fit = FindScore(e.top[0], "NodeResourcesFit");
  ASSERT_NE(fit, nullptr);
  EXPECT_EQ(fit->weight, 1);
  EXPECT_EQ(fit->weighted, fit->normalized * fit->weight);
  const PluginScore* taint = FindScore(e.top[0], "TaintToleration");
  ASSERT_NE(taint, nullptr);
  EXPECT_EQ(taint->weight, 3);
  int64_t sum = 0;
  for (const auto& p : e.top[0].plugins) sum += p.weighted;
  EXPECT_EQ(sum, e.top[0].total);
  // Totals are non-increasing down the list; n2 (3 of 4 cpu used) is last.
  EXPECT_GE(e.top[0].total, e.top[1].total);
  EXPECT_GE(e.top[1].total, e.top[2].total);
  EXPECT_EQ(e.top[2].node, "n2");
  EXPECT_EQ(e.reasons.at("node(s) had untolerated taint {dedicated: gpu}"), 1);
  EXPECT_TRUE(e.message.empty());
}

TEST(ExplainTest, UnschedulableGivesKubernetesMessage) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  Explanation e = ex->Explain(PodBuilder("big").Req("2").NodeSelector("zone", "a")).value();
  EXPECT_EQ(e.chosen_node, "n1");
  EXPECT_EQ(e.feasible_nodes, 1);  // n1 only.
  e = ex->Explain(PodBuilder("big").Req("5").NodeSelector("zone", "a")).value();
  EXPECT_TRUE(e.chosen_node.empty());
  EXPECT_EQ(e.feasible_nodes, 0);
  EXPECT_EQ(e.message,
            "0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 "
            "node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu.");
  EXPECT_EQ(e.reasons.at("Insufficient cpu"), 2);
  EXPECT_THAT(ToText(e), HasSubstr("unschedulable: 0/4 nodes are available"));
}

TEST(ExplainTest, ChosenNodeMatchesTheSchedulerForTheSameSeed) {
  // Eight identical nodes: every pod is a tie broken by the seeded RNG.
  ClusterObjects c;
  for (int i = 0; i < 8; ++i) {
    c.nodes.push_back(NodeBuilder("node-" + std::to_string(i)).Capacity("4", "8Gi"));
  }
  for (uint64_t seed : {1, 7, 42, 1234}) {
    Options o;
    o.seed = seed;
    auto ex = Explainer::FromObjects(c, o).value();
    Pod pod = PodBuilder("p").Req("100m");
    Explanation e = ex->Explain(pod).value();
    RecordingBinder binder;
    SchedulerOptions so;
    so.binder = &binder;
    so.seed = seed;
    so.binding_workers = 0;
    auto sched = Scheduler::Create(std::move(so)).value();
    for (const Node& n : c.nodes) ASSERT_TRUE(sched->AddNode(n).ok());
    ASSERT_TRUE(sched->AddPod(pod).ok());
    std::optional<ScheduleResult> r = sched->ScheduleOne();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(e.chosen_node, r->node) << "seed " << seed;
    EXPECT_EQ(e.top[0].node, e.chosen_node);
  }
}

TEST(ExplainTest, PreFilterNarrowingByNodeName) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  Pod pod = PodBuilder("pinned").Req("100m").Required(0, "metadata.name", "In", {"n2"}, true);
  Explanation e = ex->Explain(pod).value();
  EXPECT_EQ(e.chosen_node, "n2");
  EXPECT_EQ(e.feasible_nodes, 1);
  EXPECT_EQ(e.reasons.at("node is filtered out by the prefilter result"), 3);
  WhyNotResult w = ex->WhyNot(pod, "n1").value();
  EXPECT_FALSE(w.fits);
  ASSERT_TRUE(w.first_failure.has_value());
  EXPECT_THAT(w.first_failure->reasons,
              ElementsAre("node is filtered out by the prefilter result"));
  SimulationResult sim = Simulate(SmallCluster().nodes, SmallCluster().pods, {pod}, {}).value();
  EXPECT_EQ(sim.placements[0].node, "n2");
}

TEST(ExplainTest, UnknownProfileIsNotFound) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  EXPECT_EQ(ex->Explain(PodBuilder("p").SchedulerName("other")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ExplainTest, MalformedObjectsAreInvalidArgument) {
  ClusterObjects c;
  c.nodes = {NodeBuilder("n1").Capacity("4", "lots")};
  auto ex = Explainer::FromObjects(c, {});
  EXPECT_EQ(ex.status().code(), absl::StatusCode::kInvalidArgument);
  auto ok = Explainer::FromObjects(SmallCluster(), {}).value();
  EXPECT_EQ(ok->Explain(PodBuilder("p").Req("many")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WhyNotTest, TaintedNode) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  WhyNotResult w = ex->WhyNot(PodBuilder("web").Req("500m"), "n3").value();
  EXPECT_FALSE(w.fits);
  ASSERT_TRUE(w.first_failure.has_value());
  EXPECT_EQ(w.first_failure->plugin, "TaintToleration");
  EXPECT_EQ(w.first_failure->point, "Filter");
  EXPECT_EQ(w.first_failure->code, Code::kUnschedulableAndUnresolvable);
  EXPECT_THAT(w.first_failure->reasons,
              ElementsAre("node(s) had untolerated taint {dedicated: gpu}"));
  EXPECT_THAT(w.summary, HasSubstr("node(s) had untolerated taint {dedicated: gpu}"));
}

TEST(WhyNotTest, RunsEveryFilterAndReportsAllFailures) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  WhyNotResult w = ex->WhyNot(PodBuilder("web").Req("2").NodeSelector("zone", "a"), "n4").value();
  EXPECT_FALSE(w.fits);
  ASSERT_TRUE(w.first_failure.has_value());
  EXPECT_EQ(w.first_failure->plugin, "NodeAffinity");
  EXPECT_THAT(w.first_failure->reasons,
              ElementsAre("node(s) didn't match Pod's node affinity/selector"));
  ASSERT_EQ(w.failures.size(), 2u);
  EXPECT_EQ(w.failures[1].plugin, "NodeResourcesFit");
  EXPECT_THAT(w.failures[1].reasons, ElementsAre("Insufficient cpu"));
  EXPECT_EQ(w.failures[1].code, Code::kUnschedulable);
  EXPECT_THAT(ToText(w), HasSubstr("Filter NodeResourcesFit (Unschedulable): Insufficient cpu"));
  EXPECT_THAT(ToJson(w), HasSubstr("\"firstFailure\":{\"plugin\":\"NodeAffinity\""));
}

TEST(WhyNotTest, FittingNodeGetsItsRankAndTheReason) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  WhyNotResult w = ex->WhyNot(PodBuilder("web").Req("500m", "1Gi"), "n2").value();
  EXPECT_TRUE(w.fits);
  EXPECT_FALSE(w.first_failure.has_value());
  EXPECT_EQ(w.rank, 3);
  EXPECT_EQ(w.scored_nodes, 3);
  ASSERT_TRUE(w.best.has_value());
  EXPECT_EQ(w.best->node, "n1");
  EXPECT_THAT(w.summary, HasSubstr("it fits; it ranks #3 of 3 because its total is"));
  EXPECT_THAT(w.summary, HasSubstr("NodeResourcesFit"));
  WhyNotResult best = ex->WhyNot(PodBuilder("web").Req("500m", "1Gi"), "n1").value();
  EXPECT_EQ(best.rank, 1);
  EXPECT_THAT(best.summary, HasSubstr("it is the best node"));
}

TEST(WhyNotTest, UnknownNodeIsNotFound) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  EXPECT_EQ(ex->WhyNot(PodBuilder("p"), "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(WhyNotTest, NodeOutsideTheSchedulersSample) {
  // 200 nodes: the scheduler stops after 100 feasible nodes, so node-199 is never evaluated.
  ClusterObjects c;
  for (int i = 0; i < 200; ++i) {
    c.nodes.push_back(NodeBuilder("node-" + std::to_string(i)).Capacity("4", "8Gi"));
  }
  auto ex = Explainer::FromObjects(c, {}).value();
  WhyNotResult w = ex->WhyNot(PodBuilder("p").Req("100m"), "node-199").value();
  EXPECT_TRUE(w.fits);
  EXPECT_TRUE(w.outside_sample);
  EXPECT_EQ(w.scored_nodes, 200);
  EXPECT_THAT(w.summary, HasSubstr("would not evaluate it"));
  Explanation e = ex->Explain(PodBuilder("p").Req("100m")).value();
  EXPECT_EQ(e.feasible_nodes, 200);
  EXPECT_EQ(e.evaluated_nodes, 100);
  EXPECT_EQ(e.scored_nodes, 100);
}

const Suggestion* FindSuggestion(const FitSuggestions& f, ChangeKind kind) {
  for (const auto& s : f.suggestions) {
    for (const auto& c : s.changes) {
      if (c.kind == kind) return &s;
    }
  }
  return nullptr;
}

TEST(WhatWouldMakeItFitTest, TolerationForTheExactTaint) {
  ClusterObjects c;
  c.nodes = {NodeBuilder("gpu-1").Capacity("8", "8Gi").Taint("dedicated", "gpu", "NoSchedule")};
  auto ex = Explainer::FromObjects(c, {}).value();
  FitSuggestions f = ex->WhatWouldMakeItFit(PodBuilder("p").Req("1")).value();
  EXPECT_FALSE(f.already_fits);
  EXPECT_EQ(f.message,
            "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.");
  ASSERT_EQ(f.suggestions.size(), 1u);
  const Suggestion& s = f.suggestions[0];
  EXPECT_TRUE(s.verified);
  EXPECT_EQ(s.node, "gpu-1");
  ASSERT_EQ(s.changes.size(), 1u);
  EXPECT_EQ(s.changes[0].kind, ChangeKind::kAddToleration);
  EXPECT_EQ(s.changes[0].taint.key(), "dedicated");
  EXPECT_EQ(s.changes[0].taint.value(), "gpu");
  EXPECT_EQ(s.changes[0].taint.effect(), "NoSchedule");
  EXPECT_EQ(s.summary, "tolerate taint {dedicated: gpu}:NoSchedule");
  // Applying it works.
  Pod fixed = PodBuilder("p").Req("1").Toleration("dedicated", "Equal", "gpu", "NoSchedule");
  EXPECT_EQ(ex->Explain(fixed).value().chosen_node, "gpu-1");
}

TEST(WhatWouldMakeItFitTest, NodeLabelForSelectorAndRequiredAffinity) {
  ClusterObjects c;
  c.nodes = {NodeBuilder("n1").Capacity("4", "8Gi").Label("zone", "a"),
             NodeBuilder("n2").Capacity("4", "8Gi").Label("zone", "a")};
  auto ex = Explainer::FromObjects(c, {}).value();
  Pod pod = PodBuilder("p").NodeSelector("disk", "ssd").Required(0, "zone", "In", {"b", "c"});
  FitSuggestions f = ex->WhatWouldMakeItFit(pod).value();
  EXPECT_EQ(f.message,
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
  ASSERT_EQ(f.suggestions.size(), 1u);  // The same labels on n1 or n2: merged.
  const Suggestion& s = f.suggestions[0];
  EXPECT_TRUE(s.verified);
  EXPECT_EQ(s.node, "n1");
  EXPECT_EQ(s.other_nodes, 1);
  ASSERT_EQ(s.changes.size(), 2u);
  EXPECT_EQ(s.changes[0].kind, ChangeKind::kSetNodeLabel);
  EXPECT_EQ(s.changes[0].label_key, "disk");
  EXPECT_EQ(s.changes[0].label_value, "ssd");
  EXPECT_EQ(s.changes[1].label_key, "zone");
  EXPECT_EQ(s.changes[1].label_value, "b");
  EXPECT_THAT(s.summary, HasSubstr("label node n1 with disk=ssd"));
}

TEST(WhatWouldMakeItFitTest, MoreCpuOrPreemptionRespectingPriorityAndPdbs) {
  ClusterObjects c;
  c.nodes = {NodeBuilder("n1").Capacity("4", "8Gi"), NodeBuilder("n2").Capacity("4", "8Gi")};
  // n1: one low-priority pod protected by a PDB allowing no disruption.
  // n2: two low-priority pods (1 cpu each) and a high-priority one.
  c.pods = {Bound(PodBuilder("guarded").Req("3").Priority(10).Label("app", "db"), "n1"),
            Bound(PodBuilder("low-a").Req("1").Priority(5), "n2"),
            Bound(PodBuilder("low-b").Req("1").Priority(1), "n2"),
            Bound(PodBuilder("vip").Req("2").Priority(1000), "n2")};
  PodDisruptionBudget pdb;
  pdb.mutable_metadata()->set_name("db");
  pdb.mutable_metadata()->set_namespace_("default");
  (*pdb.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "db";
  pdb.mutable_status()->set_disruptionsallowed(0);
  c.pdbs = {pdb};
  auto ex = Explainer::FromObjects(c, {}).value();
  Pod pod = PodBuilder("urgent").Req("1500m").Priority(100);
  FitSuggestions f = ex->WhatWouldMakeItFit(pod).value();
  EXPECT_EQ(f.message, "0/2 nodes are available: 2 Insufficient cpu.");
  ASSERT_FALSE(f.suggestions.empty());
  // Best: preempt one pod on n2 (low-b, the lowest priority, is enough? 1.5 cpu needs both
  // 1-cpu pods gone... 4 - 2 (vip) = 2 free after evicting both; after evicting one, 1 free).
  const Suggestion& best = f.suggestions[0];
  EXPECT_TRUE(best.verified);
  // Candidates: n1 (1 victim, violates the PDB) and n2 (2 victims, no PDB), and capacity.
  // Adding 500m cpu on n1 or 1500m... on n1: 3 used + 1.5 > 4: add 500m (1 change).
  EXPECT_EQ(best.node, "n1");
  ASSERT_EQ(best.changes.size(), 1u);
  EXPECT_EQ(best.changes[0].kind, ChangeKind::kAddCapacity);
  EXPECT_EQ(best.changes[0].resource, "cpu");
  EXPECT_EQ(best.changes[0].amount, 500);
  EXPECT_THAT(best.summary, HasSubstr("add 500m cpu to node n1"));
  const Suggestion* pre = FindSuggestion(f, ChangeKind::kPreemptPod);
  ASSERT_NE(pre, nullptr);
  EXPECT_EQ(pre->node, "n2");
  ASSERT_EQ(pre->changes.size(), 2u);
  EXPECT_EQ(pre->pdb_violations, 0);
  EXPECT_EQ(pre->changes[0].pod, "default/low-a");
  EXPECT_EQ(pre->changes[1].pod, "default/low-b");
  // The PDB-violating preemption on n1 ranks after the non-violating one.
  int n1_preempt = -1, n2_preempt = -1;
  for (size_t i = 0; i < f.suggestions.size(); ++i) {
    for (const auto& ch : f.suggestions[i].changes) {
      if (ch.kind != ChangeKind::kPreemptPod) continue;
      if (f.suggestions[i].node == "n1") n1_preempt = static_cast<int>(i);
      if (f.suggestions[i].node == "n2") n2_preempt = static_cast<int>(i);
    }
  }
  ASSERT_GE(n1_preempt, 0);
  EXPECT_GT(n1_preempt, n2_preempt);
  EXPECT_EQ(f.suggestions[n1_preempt].pdb_violations, 1);
  EXPECT_TRUE(f.suggestions[n1_preempt].changes[0].violates_pdb);
  EXPECT_THAT(ToJson(f), HasSubstr("\"kind\":\"PreemptPod\""));
}

TEST(WhatWouldMakeItFitTest, NoPreemptionOfHigherPriorityOrWithPolicyNever) {
  ClusterObjects c;
  c.nodes = {NodeBuilder("n1").Capacity("2", "8Gi")};
  c.pods = {Bound(PodBuilder("vip").Req("2").Priority(1000), "n1"),
            Bound(PodBuilder("low").Req("0").Priority(0), "n1")};
  auto ex = Explainer::FromObjects(c, {}).value();
  FitSuggestions f = ex->WhatWouldMakeItFit(PodBuilder("p").Req("1").Priority(10)).value();
  EXPECT_EQ(FindSuggestion(f, ChangeKind::kPreemptPod), nullptr);
  const Suggestion* cap = FindSuggestion(f, ChangeKind::kAddCapacity);
  ASSERT_NE(cap, nullptr);
  EXPECT_EQ(cap->changes[0].amount, 1000);
  EXPECT_THAT(cap->summary, HasSubstr("add 1 cpu to node n1"));

  ClusterObjects c2;
  c2.nodes = {NodeBuilder("n1").Capacity("2", "8Gi")};
  c2.pods = {Bound(PodBuilder("low").Req("2").Priority(0), "n1")};
  auto ex2 = Explainer::FromObjects(c2, {}).value();
  Pod never = PodBuilder("p").Req("1").Priority(10);
  never.mutable_spec()->set_preemptionpolicy("Never");
  EXPECT_EQ(FindSuggestion(ex2->WhatWouldMakeItFit(never).value(), ChangeKind::kPreemptPod),
            nullptr);
  Pod may = PodBuilder("p").Req("1").Priority(10);
  EXPECT_NE(FindSuggestion(ex2->WhatWouldMakeItFit(may).value(), ChangeKind::kPreemptPod), nullptr);
}

TEST(WhatWouldMakeItFitTest, ExtendedResourceAndHostPorts) {
  ClusterObjects c;
  c.nodes = {NodeBuilder("n1").Capacity("4", "8Gi").Allocatable("example.com/gpu", "1")};
  c.pods = {Bound(PodBuilder("web").HostPort(80).Priority(100), "n1")};
  auto ex = Explainer::FromObjects(c, {}).value();
  FitSuggestions f =
      ex->WhatWouldMakeItFit(PodBuilder("p").Request("example.com/gpu", "2")).value();
  EXPECT_EQ(f.message, "0/1 nodes are available: 1 Insufficient example.com/gpu.");
  const Suggestion* cap = FindSuggestion(f, ChangeKind::kAddCapacity);
  ASSERT_NE(cap, nullptr);
  EXPECT_EQ(cap->changes[0].resource, "example.com/gpu");
  EXPECT_EQ(cap->changes[0].amount, 1);

  FitSuggestions ports = ex->WhatWouldMakeItFit(PodBuilder("p2").HostPort(80)).value();
  EXPECT_EQ(ports.message,
            "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod "
            "ports.");
  const Suggestion* hp = FindSuggestion(ports, ChangeKind::kFreeHostPort);
  ASSERT_NE(hp, nullptr);
  EXPECT_EQ(hp->changes[0].pod, "default/web");
  EXPECT_THAT(hp->summary, HasSubstr("holds host port TCP/80"));
  EXPECT_TRUE(hp->verified);
}

TEST(WhatWouldMakeItFitTest, AlreadyFits) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  FitSuggestions f = ex->WhatWouldMakeItFit(PodBuilder("p").Req("100m")).value();
  EXPECT_TRUE(f.already_fits);
  EXPECT_TRUE(f.suggestions.empty());
}

std::vector<Node> Nodes(int n) {
  std::vector<Node> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(NodeBuilder("node-" + std::to_string(i))
                      .Capacity(i % 3 == 0 ? "8" : "4", "16Gi")
                      .Label("zone", i % 2 ? "a" : "b"));
  }
  return out;
}

TEST(SimulateTest, PlacesLikeTheSchedulerForTheSameSeed) {
  std::vector<Node> nodes = Nodes(150);  // Above 100: the scheduler samples nodes.
  std::vector<Pod> pods;
  for (int i = 0; i < 400; ++i) {
    PodBuilder b("p" + std::to_string(i));
    b.Req(i % 4 == 0 ? "1" : "300m", "1Gi");
    if (i % 5 == 0) b.NodeSelector("zone", "a");
    if (i % 7 == 0) b.Priority(10);
    pods.push_back(b);
  }
  pods.push_back(PodBuilder("huge").Req("64"));
  Options o;
  o.seed = 99;
  SimulationResult sim = Simulate(nodes, {}, pods, o).value();
  EXPECT_EQ(sim.scheduled + sim.unschedulable, 401);

  FakeClock clock;
  RecordingBinder binder;
  SchedulerOptions so;
  so.binder = &binder;
  so.seed = 99;
  so.binding_workers = 0;
  so.clock = &clock;
  auto sched = Scheduler::Create(std::move(so)).value();
  for (const Node& n : nodes) ASSERT_TRUE(sched->AddNode(n).ok());
  for (const Pod& p : pods) {
    ASSERT_TRUE(sched->AddPod(p).ok());
    clock.Advance(absl::Milliseconds(1));  // Distinct queue timestamps: input order.
  }
  std::map<std::string, std::string> placed;
  std::vector<std::string> order;
  for (int i = 0; i < 401; ++i) {
    std::optional<ScheduleResult> r = sched->ScheduleOne();
    ASSERT_TRUE(r.has_value());
    placed[r->pod] = r->node;
    order.push_back(r->pod);
  }
  ASSERT_EQ(sim.placements.size(), 401u);
  for (size_t i = 0; i < sim.placements.size(); ++i) {
    EXPECT_EQ(sim.placements[i].pod, order[i]);
    EXPECT_EQ(sim.placements[i].node, placed[sim.placements[i].pod]) << sim.placements[i].pod;
  }
  EXPECT_EQ(sim.placements.back().pod, "default/huge");
  EXPECT_EQ(sim.placements.back().message, "0/150 nodes are available: 150 Insufficient cpu.");
  // Priority 10 pods go first (queue order).
  EXPECT_EQ(sim.placements[0].pod, "default/p0");
  EXPECT_EQ(sim.placements[1].pod, "default/p7");
}

TEST(SimulateTest, DeterministicAndCountsExistingPods) {
  std::vector<Node> nodes = {NodeBuilder("a").Capacity("2", "8Gi"),
                             NodeBuilder("b").Capacity("2", "8Gi")};
  std::vector<Pod> existing = {Bound(PodBuilder("old").Req("2"), "a")};
  std::vector<Pod> pods = {PodBuilder("x").Req("1"), PodBuilder("y").Req("1"),
                           PodBuilder("z").Req("1")};
  SimulationResult s1 = Simulate(nodes, existing, pods, {}).value();
  SimulationResult s2 = Simulate(nodes, existing, pods, {}).value();
  EXPECT_EQ(ToJson(s1), ToJson(s2));
  EXPECT_EQ(s1.scheduled, 2);
  EXPECT_EQ(s1.unschedulable, 1);
  EXPECT_EQ(s1.placements[0].node, "b");
  EXPECT_EQ(s1.placements[1].node, "b");
  EXPECT_EQ(s1.placements[2].message, "0/2 nodes are available: 2 Insufficient cpu.");
  ASSERT_EQ(s1.bound.size(), 2u);
  EXPECT_EQ(s1.bound[0].spec().nodename(), "b");
  EXPECT_THAT(ToText(s1), HasSubstr("default/z -> (none): 0/2 nodes are available"));
}

TEST(SimulateTest, BadPodIsInvalidArgument) {
  std::vector<Node> nodes = {NodeBuilder("a").Capacity("2", "8Gi")};
  auto r = Simulate(nodes, {}, {PodBuilder("x").Req("lots")}, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("pods[0]"));
}

TEST(FromCacheTest, ReadsARunningSchedulersCacheWithoutChangingIt) {
  RecordingBinder binder;
  SchedulerOptions so;
  so.binder = &binder;
  so.binding_workers = 0;
  auto sched = Scheduler::Create(std::move(so)).value();
  ASSERT_TRUE(sched->AddNode(NodeBuilder("n1").Capacity("2", "8Gi")).ok());
  ASSERT_TRUE(sched->AddNode(NodeBuilder("n2").Capacity("2", "8Gi")).ok());
  ASSERT_TRUE(sched->AddPod(PodBuilder("a").Req("2")).ok());
  ASSERT_TRUE(sched->ScheduleOne().has_value());  // Assumed on one node.
  auto ex = Explainer::FromCache(sched->cache(), {}).value();
  EXPECT_EQ(ex->NumNodes(), 2);
  Explanation e = ex->Explain(PodBuilder("b").Req("1")).value();
  EXPECT_EQ(e.feasible_nodes, 1);
  EXPECT_NE(e.chosen_node, binder.Bindings()[0].second);
  EXPECT_EQ(sched->cache().NumPods(), 1);
  EXPECT_EQ(binder.Count(), 1u);
}

TEST(RenderTest, TextAndJson) {
  auto ex = Explainer::FromObjects(SmallCluster(), {}).value();
  Explanation e = ex->Explain(PodBuilder("web").Req("500m", "1Gi")).value();
  std::string text = ToText(e);
  EXPECT_THAT(text, HasSubstr("pod default/web (profile default-scheduler)"));
  EXPECT_THAT(text, HasSubstr("chosen node: n1"));
  EXPECT_THAT(text, HasSubstr("NodeResourcesFit"));
  std::string json = ToJson(e);
  EXPECT_THAT(json, HasSubstr("\"chosenNode\":\"n1\""));
  EXPECT_THAT(json,
              HasSubstr("\"reasons\":{\"node(s) had untolerated taint {dedicated: gpu}\":1}"));
  EXPECT_EQ(FormatAmount("memory", int64_t{3} << 30), "3Gi");
  EXPECT_EQ(FormatAmount("cpu", 2500), "2500m");
  EXPECT_EQ(FormatAmount("cpu", 2000), "2");
}

TEST(RenderTest, JsonIsValidWithEscapedText) {
  ClusterObjects c = SmallCluster();
  c.nodes.push_back(
      NodeBuilder("quote\"node").Capacity("1", "1Gi").Taint("k\\", "v\n", "NoSchedule"));
  auto ex = Explainer::FromObjects(c, {}).value();
  Pod pod = PodBuilder("p").Req("100m");
  std::vector<std::string> docs = {
      ToJson(ex->Explain(pod).value()), ToJson(ex->WhyNot(pod, "quote\"node").value()),
      ToJson(ex->WhyNot(pod, "n1").value()),
      ToJson(ex->WhatWouldMakeItFit(PodBuilder("big").Req("7")).value()),
      ToJson(Simulate(c.nodes, c.pods, {pod, PodBuilder("x").Req("64")}, {}).value())};
  for (const std::string& d : docs) {
    rapidjson::Document doc;
    doc.Parse(d.c_str(), d.size());
    EXPECT_FALSE(doc.HasParseError()) << d;
    EXPECT_TRUE(doc.IsObject()) << d;
  }
  rapidjson::Document doc;
  doc.Parse(docs[1].c_str(), docs[1].size());
  EXPECT_STREQ(doc["node"].GetString(), "quote\"node");
  EXPECT_STREQ(doc["firstFailure"]["reasons"][0].GetString(),
               "node(s) had untolerated taint {k\\: v\n}");
}

}  // namespace
}  // namespace rudder::sched::explain
