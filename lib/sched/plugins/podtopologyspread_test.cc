#include "lib/sched/plugins/podtopologyspread.h"

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/sched/cache.h"
#include "lib/sched/internal/affinity_index.h"
#include "lib/sched/plugins/plugins.h"
#include "lib/sched/testing/builders.h"

namespace rudder::sched {
namespace {

using testing::NodeBuilder;
using testing::PodBuilder;

constexpr char kZone[] = "topology.kubernetes.io/zone";
constexpr char kHost[] = "kubernetes.io/hostname";

class FakeHandle : public Handle {
 public:
  const NodeInfoLister& Snapshot() const override { return *snapshot; }
  Binder* binder() const override { return nullptr; }
  Clock* clock() const override { return Clock::Real(); }
  ClusterAccess* cluster() const override { return nullptr; }
  void WithWaitingPod(std::string_view, const std::function<void(WaitingPod*)>& fn) override {
    fn(nullptr);
  }
  void IterateOverWaitingPods(const std::function<void(WaitingPod*)>&) override {}
  std::unique_ptr<sched::Snapshot> snapshot = std::make_unique<sched::Snapshot>();
};

// A spread constraint on a pod.
struct Spread {
  int32_t max_skew;
  std::string key;
  std::string when = "DoNotSchedule";
  std::map<std::string, std::string> match;  // labelSelector.matchLabels
  int32_t min_domains = 0;
  std::string affinity_policy, taints_policy;
  std::vector<std::string> match_label_keys;
};

Pod WithSpread(Pod pod, const std::vector<Spread>& spreads) {
  for (const Spread& s : spreads) {
    auto* c = pod.mutable_spec()->add_topologyspreadconstraints();
    c->set_maxskew(s.max_skew);
    c->set_topologykey(s.key);
    c->set_whenunsatisfiable(s.when);
    auto* sel = c->mutable_labelselector();
    for (const auto& [k, v] : s.match) (*sel->mutable_matchlabels())[k] = v;
    if (s.min_domains) c->set_mindomains(s.min_domains);
    if (!s.affinity_policy.empty()) c->set_nodeaffinitypolicy(s.affinity_policy);
    if (!s.taints_policy.empty()) c->set_nodetaintspolicy(s.taints_policy);
    for (const auto& k : s.match_label_keys) c->add_matchlabelkeys(k);
  }
  return pod;
}

Node ZoneNode(const std::string& name, const std::string& zone) {
  return NodeBuilder(name).Capacity("8", "16Gi").Label(kZone, zone).Label(kHost, name);
}

Pod Running(const std::string& name, const std::string& node,
            std::map<std::string, std::string> labels = {{"foo", "bar"}}) {
  PodBuilder b(name);
  b.NodeName(node);
  for (const auto& [k, v] : labels) b.Label(k, v);
  return b;
}

class PodTopologySpreadTest : public ::testing::Test {
 protected:
  void Cluster(std::vector<Node> nodes, std::vector<Pod> pods = {}) {
    cache_ = std::make_unique<Cache>(&clock_);
    for (auto& n : nodes) ASSERT_TRUE(cache_->AddNode(std::make_shared<const Node>(n)).ok());
    for (auto& p : pods) ASSERT_TRUE(cache_->AddPod(*PodInfo::Create(p)).ok());
    handle_.snapshot = std::make_unique<sched::Snapshot>();
    cache_->UpdateSnapshot(handle_.snapshot.get());
  }
  Plugin* Make(const std::string& args_yaml = "") {
    ConfigValue args;
    if (!args_yaml.empty()) args = *ConfigValue::Parse(args_yaml);
    auto p = plugins::NewPodTopologySpread(args, &handle_);
    EXPECT_TRUE(p.ok()) << p.status();
    owned_.push_back(*std::move(p));
    return owned_.back().get();
  }
  // PreFilter then Filter on every node: node name -> status (Skip counts as success).
  std::map<std::string, Status> FilterAll(const Pod& pod) {
    auto info = *PodInfo::Create(pod);
    Plugin* p = Make();
    CycleState state;
    PreFilterResult r;
    Status pre = dynamic_cast<PreFilterPlugin*>(p)->PreFilter(state, *info, &r);
    std::map<std::string, Status> out;
    for (const NodeInfo* n : handle_.snapshot->List()) {
      out[n->name()] =
          pre.IsSkip() ? Status() : dynamic_cast<FilterPlugin*>(p)->Filter(state, *info, *n);
    }
    return out;
  }
  // The nodes that pass.
  std::vector<std::string> Passing(const Pod& pod) {
    std::vector<std::string> out;
    for (const auto& [n, s] : FilterAll(pod)) {
      if (s.ok()) out.push_back(n);
    }
    return out;
  }
  // PreScore over every node, Score, NormalizeScore: node name -> score; empty on Skip.
  std::map<std::string, int64_t> Scores(const Pod& pod, const std::string& args = "") {
    auto info = *PodInfo::Create(pod);
    Plugin* p = Make(args);
    CycleState state;
    auto nodes = handle_.snapshot->List();
    std::map<std::string, int64_t> out;
    if (dynamic_cast<PreScorePlugin*>(p)->PreScore(state, *info, nodes).IsSkip()) return out;
    std::vector<int64_t> scores(nodes.size());
    auto* sp = dynamic_cast<ScorePlugin*>(p);
    for (size_t i = 0; i < nodes.size(); ++i) {
      EXPECT_TRUE(sp->Score(state, *info, *nodes[i], &scores[i]).ok());
    }
    EXPECT_TRUE(sp->NormalizeScore(state, *info, scores).ok());
    for (size_t i = 0; i < nodes.size(); ++i) out[nodes[i]->name()] = scores[i];
    return out;
  }

  FakeClock clock_;
  FakeHandle handle_;
  std::unique_ptr<Cache> cache_;
  std::vector<std::unique_ptr<Plugin>> owned_;
};

using Names = std::vector<std::string>;

TEST_F(PodTopologySpreadTest, MaxSkewOverZones) {
  // zone1: 2 matching pods, zone2: none. maxSkew 1 and the pod matches itself: only zone2.
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone1"), ZoneNode("c", "zone2"),
           ZoneNode("d", "zone2")},
          {Running("x", "a"), Running("y", "b")});
  Pod pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                       {{1, kZone, "DoNotSchedule", {{"foo", "bar"}}}});
  auto all = FilterAll(pod);
  EXPECT_EQ(all["a"].code(), Code::kUnschedulable);
  EXPECT_EQ(all["a"].Message(), "node(s) didn't match pod topology spread constraints");
  EXPECT_EQ(Passing(pod), (Names{"c", "d"}));
  // maxSkew 3: skew 2 + 1 - 0 = 3 is allowed everywhere.
  pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                   {{3, kZone, "DoNotSchedule", {{"foo", "bar"}}}});
  EXPECT_EQ(Passing(pod), (Names{"a", "b", "c", "d"}));
  // A pod that does not match its own selector adds nothing: zone1 skew 2 > 1 still fails,
  // but with maxSkew 2 it fits.
  pod = WithSpread(PodBuilder("p"), {{2, kZone, "DoNotSchedule", {{"foo", "bar"}}}});
  EXPECT_EQ(Passing(pod), (Names{"a", "b", "c", "d"}));
}

TEST_F(PodTopologySpreadTest, HostnameSpread) {
  Cluster({ZoneNode("a", "z"), ZoneNode("b", "z"), ZoneNode("c", "z")},
          {Running("x", "a"), Running("y", "b")});
  Pod pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                       {{1, kHost, "DoNotSchedule", {{"foo", "bar"}}}});
  EXPECT_EQ(Passing(pod), (Names{"c"}));
}

TEST_F(PodTopologySpreadTest, MissingLabelIsUnresolvable) {
  Cluster({ZoneNode("a", "zone1"), NodeBuilder("bare").Capacity("8", "16Gi")});
  Pod pod = WithSpread(PodBuilder("p"), {{1, kZone, "DoNotSchedule", {{"foo", "bar"}}}});
  auto all = FilterAll(pod);
  EXPECT_TRUE(all["a"].ok());
  EXPECT_EQ(all["bare"].code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(all["bare"].Message(),
            "node(s) didn't match pod topology spread constraints (missing required label)");
}

TEST_F(PodTopologySpreadTest, OnlySameNamespaceAndLiveMatchingPodsCount) {
  Pod other_ns = Running("x", "a");
  other_ns.mutable_metadata()->set_namespace_("other");
  other_ns.mutable_metadata()->set_uid("uid-other-x");
  Pod terminating = Running("y", "a");
  terminating.mutable_metadata()->mutable_deletiontimestamp()->set_seconds(1);
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone2")},
          {other_ns, terminating, Running("z", "a", {{"foo", "baz"}})});
  Pod pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                       {{1, kZone, "DoNotSchedule", {{"foo", "bar"}}}});
  EXPECT_EQ(Passing(pod), (Names{"a", "b"}));
}

TEST_F(PodTopologySpreadTest, MinDomains) {
  // One matching pod per zone: skew 1 + 1 - 1 = 1 fits. With minDomains 3 and only two
  // domains, the global minimum is 0 and the skew is 2.
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone2")}, {Running("x", "a"), Running("y", "b")});
  Spread s{1, kZone, "DoNotSchedule", {{"foo", "bar"}}};
  EXPECT_EQ(Passing(WithSpread(PodBuilder("p").Label("foo", "bar"), {s})), (Names{"a", "b"}));
  s.min_domains = 3;
  EXPECT_EQ(Passing(WithSpread(PodBuilder("p").Label("foo", "bar"), {s})), Names{});
  s.min_domains = 2;
  EXPECT_EQ(Passing(WithSpread(PodBuilder("p").Label("foo", "bar"), {s})), (Names{"a", "b"}));
}

TEST_F(PodTopologySpreadTest, MatchLabelKeys) {
  // zone1 holds two pods of version v1; the incoming pod is v2: with matchLabelKeys
  // [version] only v2 pods count, so both zones fit.
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone2")},
          {Running("x", "a", {{"app", "web"}, {"version", "v1"}}),
           Running("y", "a", {{"app", "web"}, {"version", "v1"}})});
  Spread s{1, kZone, "DoNotSchedule", {{"app", "web"}}};
  Pod pod = PodBuilder("p").Label("app", "web").Label("version", "v2");
  EXPECT_EQ(Passing(WithSpread(pod, {s})), (Names{"b"}));
  s.match_label_keys = {"version"};
  EXPECT_EQ(Passing(WithSpread(pod, {s})), (Names{"a", "b"}));
}

TEST_F(PodTopologySpreadTest, NodeAffinityPolicy) {
  // The pod may only go to env=prod nodes (zones 1 and 2, one matching pod each); zone3 is
  // empty. Honor (default): zone3 is not a domain, min 1, skew 1. Ignore: min 0, skew 2.
  Node a = NodeBuilder("a").Capacity("8", "16Gi").Label(kZone, "zone1").Label("env", "prod");
  Node b = NodeBuilder("b").Capacity("8", "16Gi").Label(kZone, "zone2").Label("env", "prod");
  Node c = NodeBuilder("c").Capacity("8", "16Gi").Label(kZone, "zone3");
  Cluster({a, b, c}, {Running("x", "a"), Running("y", "b")});
  Spread s{1, kZone, "DoNotSchedule", {{"foo", "bar"}}};
  Pod base = PodBuilder("p").Label("foo", "bar").NodeSelector("env", "prod");
  EXPECT_EQ(Passing(WithSpread(base, {s})), (Names{"a", "b", "c"}));
  s.affinity_policy = "Ignore";
  EXPECT_EQ(Passing(WithSpread(base, {s})), (Names{"c"}));
}

TEST_F(PodTopologySpreadTest, NodeTaintsPolicy) {
  // zone3's only node has a NoSchedule taint the pod does not tolerate. Ignore (default): it
  // is a domain with 0 pods; Honor: it is not, and zones 1 and 2 fit.
  Node c =
      NodeBuilder("c").Capacity("8", "16Gi").Label(kZone, "zone3").Taint("k", "v", "NoSchedule");
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone2"), c},
          {Running("x", "a"), Running("y", "b")});
  Spread s{1, kZone, "DoNotSchedule", {{"foo", "bar"}}};
  Pod base = PodBuilder("p").Label("foo", "bar");
  EXPECT_EQ(Passing(WithSpread(base, {s})), (Names{"c"}));
  s.taints_policy = "Honor";
  EXPECT_EQ(Passing(WithSpread(base, {s})), (Names{"a", "b", "c"}));
}

TEST_F(PodTopologySpreadTest, MultipleConstraintsAllMustHold) {
  // zone constraint allows zone2 only; hostname constraint forbids d (already has one pod,
  // c has none).
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone1"), ZoneNode("c", "zone2"),
           ZoneNode("d", "zone2")},
          {Running("w", "a"), Running("x", "a"), Running("y", "b"), Running("z", "d")});
  Pod pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                       {{1, kZone, "DoNotSchedule", {{"foo", "bar"}}},
                        {1, kHost, "DoNotSchedule", {{"foo", "bar"}}}});
  EXPECT_EQ(Passing(pod), (Names{"c"}));
}

TEST_F(PodTopologySpreadTest, AddAndRemovePodUpdateCounts) {
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone2")}, {Running("x", "a")});
  Pod pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                       {{1, kZone, "DoNotSchedule", {{"foo", "bar"}}}});
  auto info = *PodInfo::Create(pod);
  Plugin* p = Make();
  auto* pre = dynamic_cast<PreFilterPlugin*>(p);
  auto* filter = dynamic_cast<FilterPlugin*>(p);
  CycleState state;
  PreFilterResult r;
  ASSERT_TRUE(pre->PreFilter(state, *info, &r).ok());
  const NodeInfo& a = *handle_.snapshot->Get("a");
  const NodeInfo& b = *handle_.snapshot->Get("b");
  EXPECT_FALSE(filter->Filter(state, *info, a).ok());  // 1 + 1 - 0
  EXPECT_TRUE(filter->Filter(state, *info, b).ok());
  // Removing x (a preemption what-if) makes zone1 empty: both fit.
  auto x = *PodInfo::Create(Running("x", "a"));
  ASSERT_TRUE(pre->Extensions()->RemovePod(state, *info, *x, a).ok());
  EXPECT_TRUE(filter->Filter(state, *info, a).ok());
  // Adding two matching pods to zone2 makes it the full one.
  auto y = *PodInfo::Create(Running("y", "b"));
  auto z = *PodInfo::Create(Running("z", "b"));
  ASSERT_TRUE(pre->Extensions()->AddPod(state, *info, *y, b).ok());
  ASSERT_TRUE(pre->Extensions()->AddPod(state, *info, *z, b).ok());
  EXPECT_TRUE(filter->Filter(state, *info, a).ok());
  EXPECT_FALSE(filter->Filter(state, *info, b).ok());
  // A pod of another namespace changes nothing.
  Pod other = Running("o", "a");
  other.mutable_metadata()->set_namespace_("other");
  ASSERT_TRUE(pre->Extensions()->AddPod(state, *info, **PodInfo::Create(other), a).ok());
  EXPECT_TRUE(filter->Filter(state, *info, a).ok());
  // The clone used by preemption is independent.
  std::unique_ptr<CycleState> copy = state.Clone();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pre->Extensions()->AddPod(*copy, *info, *x, a).ok());
  EXPECT_FALSE(filter->Filter(*copy, *info, a).ok());
  EXPECT_TRUE(filter->Filter(state, *info, a).ok());
}

TEST_F(PodTopologySpreadTest, NoConstraintsSkips) {
  Cluster({ZoneNode("a", "zone1")});
  Pod pod = PodBuilder("p").Label("foo", "bar");
  auto info = *PodInfo::Create(pod);
  Plugin* p = Make();
  CycleState state;
  PreFilterResult r;
  EXPECT_TRUE(dynamic_cast<PreFilterPlugin*>(p)->PreFilter(state, *info, &r).IsSkip());
  EXPECT_TRUE(Scores(pod).empty());  // no owner: no default constraints
}

TEST_F(PodTopologySpreadTest, ScoreHostnameFavoursEmptierNodes) {
  // Four candidates; a holds 2 matching pods, b 1. Weight log(4 + 2); raw a 3.58 -> 4,
  // b 1.79 -> 2, c and d 0; normalized 100 * (4 + 0 - s) / 4.
  Cluster({ZoneNode("a", "z"), ZoneNode("b", "z"), ZoneNode("c", "z"), ZoneNode("d", "z")},
          {Running("w", "a"), Running("x", "a"), Running("y", "b")});
  Pod pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                       {{1, kHost, "ScheduleAnyway", {{"foo", "bar"}}}});
  EXPECT_EQ(Scores(pod),
            (std::map<std::string, int64_t>{{"a", 0}, {"b", 50}, {"c", 100}, {"d", 100}}));
}

TEST_F(PodTopologySpreadTest, ScoreZonesAndIgnoredNodes) {
  // zone1 (a, b) holds 3 matching pods, zone2 (c) 1; e has no zone label and is ignored
  // (score 0). Weight log(2 + 2) = 1.386, maxSkew 2 adds 1: zone1 5.16 -> 5, zone2 2.39 -> 2.
  // Normalized 100 * (5 + 2 - s) / 5: zone1 40, zone2 100.
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone1"), ZoneNode("c", "zone2"),
           NodeBuilder("e").Capacity("8", "16Gi")},
          {Running("w", "a"), Running("x", "a"), Running("y", "b"), Running("z", "c")});
  Pod pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                       {{2, kZone, "ScheduleAnyway", {{"foo", "bar"}}}});
  EXPECT_EQ(Scores(pod),
            (std::map<std::string, int64_t>{{"a", 40}, {"b", 40}, {"c", 100}, {"e", 0}}));
  // DoNotSchedule constraints do not score.
  pod = WithSpread(PodBuilder("p").Label("foo", "bar"),
                   {{2, kZone, "DoNotSchedule", {{"foo", "bar"}}}});
  EXPECT_TRUE(Scores(pod).empty());
}

TEST_F(PodTopologySpreadTest, SystemDefaultConstraintsForControlledPods) {
  // A ReplicaSet's pod without constraints gets hostname (maxSkew 3) and zone (maxSkew 5)
  // spreading over pods with its labels.
  Cluster({ZoneNode("a", "zone1"), ZoneNode("b", "zone2")},
          {Running("x", "a", {{"app", "web"}}), Running("y", "a", {{"app", "web"}})});
  Pod pod = PodBuilder("p").Label("app", "web");
  auto* owner = pod.mutable_metadata()->add_ownerreferences();
  owner->set_kind("ReplicaSet");
  owner->set_name("web-1");
  owner->set_controller(true);
  auto s = Scores(pod);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_LT(s["a"], s["b"]);
  EXPECT_EQ(s["b"], 100);
  // No filtering from the defaults (they are ScheduleAnyway).
  EXPECT_EQ(Passing(pod), (Names{"a", "b"}));
  // defaultingType List with no constraints disables defaulting.
  EXPECT_TRUE(Scores(pod, "{defaultingType: List}").empty());
  // List with explicit constraints applies them to every pod without its own.
  auto listed = Scores(PodBuilder("q").Label("app", "web"),
                       "{defaultingType: List, defaultConstraints: [{maxSkew: 1, topologyKey: "
                       "topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}]}");
  EXPECT_LT(listed["a"], listed["b"]);
}

// The snapshot without its index: the plugin counts pods node by node.
class ScanLister : public NodeInfoLister {
 public:
  explicit ScanLister(const Snapshot* s) : s_(s) {}
  std::span<const NodeInfo* const> List() const override { return s_->List(); }
  const NodeInfo* Get(std::string_view n) const override { return s_->Get(n); }
  int ImageNumNodes(std::string_view i) const override { return s_->ImageNumNodes(i); }

 private:
  const Snapshot* s_;
};

TEST_F(PodTopologySpreadTest, IndexedAndScannedCountsAgree) {
  std::mt19937 rng(11);
  std::vector<Node> nodes;
  for (int i = 0; i < 15; ++i) {
    NodeBuilder b("n" + std::to_string(i));
    b.Capacity("64", "64Gi", "500").Label(kHost, "n" + std::to_string(i));
    if (i % 7 != 6) b.Label(kZone, "z" + std::to_string(i % 4));
    if (i % 3 == 0) b.Label("env", "prod");
    if (i % 5 == 0) b.Taint("k", "v", "NoSchedule");
    nodes.push_back(b);
  }
  std::vector<Pod> pods;
  for (int i = 0; i < 120; ++i) {
    PodBuilder b("e" + std::to_string(i), rng() % 5 == 0 ? "other" : "default");
    b.NodeName("n" + std::to_string(rng() % 15));
    if (rng() % 3) b.Label("app", "a" + std::to_string(rng() % 3));
    if (rng() % 2) b.Label("version", "v" + std::to_string(rng() % 2));
    Pod p = b;
    if (rng() % 10 == 0) p.mutable_metadata()->mutable_deletiontimestamp()->set_seconds(1);
    pods.push_back(p);
  }
  Cluster(nodes, pods);
  int compared = 0, rejected = 0;
  for (int k = 0; k < 200; ++k) {
    Spread s{static_cast<int32_t>(1 + rng() % 2), rng() % 2 ? kZone : kHost,
             rng() % 2 ? "DoNotSchedule" : "ScheduleAnyway"};
    if (rng() % 4) s.match["app"] = "a" + std::to_string(rng() % 3);
    if (rng() % 3 == 0) s.match_label_keys = {"version"};
    if (rng() % 4 == 0) s.min_domains = 5;
    if (rng() % 4 == 0) s.affinity_policy = "Ignore";
    if (rng() % 4 == 0) s.taints_policy = "Honor";
    PodBuilder b("in");
    b.Label("app", "a" + std::to_string(rng() % 3)).Label("version", "v1");
    if (rng() % 3 == 0) b.NodeSelector("env", "prod");
    Pod pod = WithSpread(b, {s});
    auto indexed_filter = FilterAll(pod);
    auto indexed_scores = Scores(pod);
    // The same runs through a lister without the index.
    ScanLister lister(handle_.snapshot.get());
    class ListerHandle : public FakeHandle {
     public:
      explicit ListerHandle(const NodeInfoLister* l) : l_(l) {}
      const NodeInfoLister& Snapshot() const override { return *l_; }

     private:
      const NodeInfoLister* l_;
    } lh(&lister);
    auto plugin = *plugins::NewPodTopologySpread(ConfigValue(), &lh);
    auto info = *PodInfo::Create(pod);
    CycleState state;
    PreFilterResult r;
    Status pre = dynamic_cast<PreFilterPlugin*>(plugin.get())->PreFilter(state, *info, &r);
    for (const NodeInfo* n : handle_.snapshot->List()) {
      Status st = pre.IsSkip()
                      ? Status()
                      : dynamic_cast<FilterPlugin*>(plugin.get())->Filter(state, *info, *n);
      ASSERT_EQ(st.code(), indexed_filter[n->name()].code()) << n->name() << " " << k;
      rejected += !st.ok();
      ++compared;
    }
    CycleState score_state;
    auto list = handle_.snapshot->List();
    std::map<std::string, int64_t> scanned_scores;
    if (!dynamic_cast<PreScorePlugin*>(plugin.get())->PreScore(score_state, *info, list).IsSkip()) {
      std::vector<int64_t> sc(list.size());
      auto* sp = dynamic_cast<ScorePlugin*>(plugin.get());
      for (size_t i = 0; i < list.size(); ++i) sp->Score(score_state, *info, *list[i], &sc[i]);
      sp->NormalizeScore(score_state, *info, sc);
      for (size_t i = 0; i < list.size(); ++i) scanned_scores[list[i]->name()] = sc[i];
    }
    ASSERT_EQ(scanned_scores, indexed_scores) << k;
  }
  EXPECT_EQ(compared, 200 * 15);
  EXPECT_GT(rejected, 200);
}

// The domain index and the count queries follow nodes that come, go, come back and change
// labels and pods that come and go; PreFilter's counts from them equal a node-by-node count
// after every change.
TEST_F(PodTopologySpreadTest, DomainIndexFollowsChangesAndAgreesWithScan) {
  std::mt19937 rng(23);
  cache_ = std::make_unique<Cache>(&clock_);
  handle_.snapshot = std::make_unique<sched::Snapshot>();
  auto random_node = [&](const std::string& name) {
    NodeBuilder b(name);
    b.Capacity("64", "64Gi", "500").Label(kHost, name);
    if (rng() % 6) b.Label(kZone, "z" + std::to_string(rng() % 5));
    if (rng() % 3 == 0) b.Label("env", "prod");
    if (rng() % 8 == 0) b.Taint("k", "v", "NoSchedule");
    return std::make_shared<const Node>(static_cast<Node>(b));
  };
  std::vector<std::string> live_nodes, removed_nodes;
  std::vector<std::string> live_pods;  // uids
  int next = 0, fast = 0, compared = 0, rejected = 0;
  for (int i = 0; i < 8; ++i) {
    std::string name = "n" + std::to_string(next++);
    ASSERT_TRUE(cache_->AddNode(random_node(name)).ok());
    live_nodes.push_back(name);
  }
  for (int step = 0; step < 300; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op == 0) {
      // A new node, or a removed one back (its pods, still cached, count again).
      std::string name = "n" + std::to_string(next++);
      if (!removed_nodes.empty() && rng() % 2) {
        name = removed_nodes.back();
        removed_nodes.pop_back();
      }
      ASSERT_TRUE(cache_->AddNode(random_node(name)).ok());
      live_nodes.push_back(name);
    } else if (op == 1 && live_nodes.size() > 2) {
      size_t j = rng() % live_nodes.size();
      ASSERT_TRUE(cache_->RemoveNode(live_nodes[j]).ok());
      removed_nodes.push_back(live_nodes[j]);
      live_nodes.erase(live_nodes.begin() + static_cast<std::ptrdiff_t>(j));
    } else if (op == 2) {
      ASSERT_TRUE(cache_->UpdateNode(random_node(live_nodes[rng() % live_nodes.size()])).ok());
    } else if (op <= 6 || live_pods.empty()) {
      PodBuilder b("e" + std::to_string(next++), rng() % 5 == 0 ? "other" : "default");
      b.NodeName(live_nodes[rng() % live_nodes.size()]);
      if (rng() % 4) b.Label("app", "a" + std::to_string(rng() % 3));
      if (rng() % 2) b.Label("version", "v" + std::to_string(rng() % 2));
      Pod p = b;
      if (rng() % 10 == 0) p.mutable_metadata()->mutable_deletiontimestamp()->set_seconds(1);
      auto info = *PodInfo::Create(p);
      ASSERT_TRUE(cache_->AddPod(info).ok());
      live_pods.push_back(info->uid());
    } else {
      size_t j = rng() % live_pods.size();
      ASSERT_TRUE(cache_->RemovePod(live_pods[j]).ok());
      live_pods.erase(live_pods.begin() + static_cast<std::ptrdiff_t>(j));
    }
    cache_->UpdateSnapshot(handle_.snapshot.get());

    // The index's domains equal the labels of the listed nodes.
    const internal::AffinityIndex* index = handle_.snapshot->affinity_index();
    ASSERT_NE(index, nullptr);
    ASSERT_EQ(index->NumDomainNodes(), static_cast<int64_t>(handle_.snapshot->List().size()));
    for (const std::string key : {kZone, kHost, "env"}) {
      std::map<std::string, int32_t> scanned, indexed;
      for (const NodeInfo* n : handle_.snapshot->List()) {
        auto it = n->node()->metadata().labels().find(key);
        if (it != n->node()->metadata().labels().end()) ++scanned[it->second];
      }
      if (const auto* d = index->DomainsOf(key)) indexed.insert(d->begin(), d->end());
      ASSERT_EQ(indexed, scanned) << key << " step " << step;
      // And each listed node's value.
      std::map<std::string, std::string> node_scanned, node_indexed;
      for (const NodeInfo* n : handle_.snapshot->List()) {
        auto it = n->node()->metadata().labels().find(key);
        if (it != n->node()->metadata().labels().end()) node_scanned[n->name()] = it->second;
      }
      if (const auto* values = index->NodeValuesOf(key)) {
        for (const auto& [info, d] : *values) node_indexed[info->name()] = *d.value;
      }
      ASSERT_EQ(node_indexed, node_scanned) << key << " step " << step;
      // Domain ids: one per value, distinct, below NumDomainIds, and the nodes' ids agree.
      std::map<std::string, int32_t> ids;
      if (const auto* d = index->DomainIdsOf(key)) ids.insert(d->begin(), d->end());
      ASSERT_EQ(ids.size(), indexed.size()) << key << " step " << step;
      std::set<int32_t> distinct;
      for (const auto& [value, id] : ids) {
        ASSERT_TRUE(indexed.contains(value)) << value;
        ASSERT_GE(id, 0);
        ASSERT_LT(id, index->NumDomainIds(key));
        distinct.insert(id);
      }
      ASSERT_EQ(distinct.size(), ids.size());
      if (const auto* values = index->NodeValuesOf(key)) {
        for (const auto& [info, d] : *values) ASSERT_EQ(d.id, ids.at(*d.value)) << key;
      }
      // The ids by snapshot slot, for every listed node and for a copy of it.
      internal::AffinityIndex::SlotDomains by_slot = index->DomainsBySlot(key);
      for (const NodeInfo* n : handle_.snapshot->List()) {
        ASSERT_GE(n->snapshot_slot(), 0);
        auto it = n->node()->metadata().labels().find(key);
        const int32_t want = it == n->node()->metadata().labels().end() ? -1 : ids.at(it->second);
        ASSERT_EQ(by_slot.IdOf(*n), want) << key << " " << n->name() << " step " << step;
        NodeInfo copy = *n;
        ASSERT_EQ(by_slot.IdOf(copy), want);
      }
      NodeInfo outside;
      EXPECT_EQ(by_slot.IdOf(outside), -1);
      std::set<int32_t> slots;
      for (const NodeInfo* n : handle_.snapshot->List()) slots.insert(n->snapshot_slot());
      ASSERT_EQ(slots.size(), handle_.snapshot->List().size());
    }

    // Filter agrees with a run through a lister without the index.
    Spread sp{static_cast<int32_t>(1 + rng() % 2), rng() % 3 ? kZone : kHost};
    sp.match["app"] = "a" + std::to_string(rng() % 3);
    if (rng() % 3 == 0) sp.match_label_keys = {"version"};
    if (rng() % 4 == 0) sp.min_domains = 4;
    if (rng() % 5 == 0) sp.affinity_policy = "Ignore";
    if (rng() % 6 == 0) sp.taints_policy = "Honor";
    PodBuilder b("in");
    b.Label("app", "a" + std::to_string(rng() % 3)).Label("version", "v1");
    const bool selector = rng() % 4 == 0;
    if (selector) b.NodeSelector("env", "prod");
    fast += sp.taints_policy.empty() && (!selector || sp.affinity_policy == "Ignore");
    Pod pod = WithSpread(b, {sp});
    auto indexed_filter = FilterAll(pod);
    ScanLister lister(handle_.snapshot.get());
    class ListerHandle : public FakeHandle {
     public:
      explicit ListerHandle(const NodeInfoLister* l) : l_(l) {}
      const NodeInfoLister& Snapshot() const override { return *l_; }

     private:
      const NodeInfoLister* l_;
    } lh(&lister);
    auto plugin = *plugins::NewPodTopologySpread(ConfigValue(), &lh);
    auto info = *PodInfo::Create(pod);
    CycleState state;
    PreFilterResult r;
    Status pre = dynamic_cast<PreFilterPlugin*>(plugin.get())->PreFilter(state, *info, &r);
    ASSERT_TRUE(pre.ok());
    for (const NodeInfo* n : handle_.snapshot->List()) {
      Status st = dynamic_cast<FilterPlugin*>(plugin.get())->Filter(state, *info, *n);
      ASSERT_EQ(st.code(), indexed_filter[n->name()].code()) << n->name() << " step " << step;
      ASSERT_EQ(st.Message(), indexed_filter[n->name()].Message());
      rejected += !st.ok();
      ++compared;
    }
  }
  // The count queries were registered once and kept up to date from then on.
  EXPECT_GT(handle_.snapshot->affinity_index()->NumCountQueries(), 0u);
  EXPECT_LT(handle_.snapshot->affinity_index()->NumCountQueries(), 40u);
  EXPECT_GT(fast, 150);
  EXPECT_GT(rejected, 300);
  EXPECT_GT(compared, 1500);
}

TEST_F(PodTopologySpreadTest, BadArgs) {
  ConfigValue args = *ConfigValue::Parse("{defaultingType: Sometimes}");
  EXPECT_EQ(plugins::NewPodTopologySpread(args, &handle_).status().code(),
            absl::StatusCode::kInvalidArgument);
  args = *ConfigValue::Parse(
      "{defaultingType: System, defaultConstraints: [{maxSkew: 1, topologyKey: k, "
      "whenUnsatisfiable: ScheduleAnyway}]}");
  EXPECT_EQ(plugins::NewPodTopologySpread(args, &handle_).status().code(),
            absl::StatusCode::kInvalidArgument);
  args = *ConfigValue::Parse(
      "{defaultingType: List, defaultConstraints: [{maxSkew: 0, topologyKey: k, "
      "whenUnsatisfiable: ScheduleAnyway}]}");
  auto s = plugins::NewPodTopologySpread(args, &handle_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("defaultConstraints[0].maxSkew"), std::string::npos) << s;
}

}  // namespace
}  // namespace rudder::sched
