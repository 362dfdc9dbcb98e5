#include "lib/sched/plugins/plugins.h"

#include <map>

#include "gtest/gtest.h"
#include "lib/sched/cache.h"
#include "lib/sched/testing/builders.h"

namespace rudder::sched {
namespace {

using testing::NodeBuilder;
using testing::PodBuilder;

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

class PluginsTest : public ::testing::Test {
 protected:
  template <typename T>
  T* Make(const std::string& name, const std::string& args_yaml = "") {
    ConfigValue args;
    if (!args_yaml.empty()) args = *ConfigValue::Parse(args_yaml);
    auto p = (**registry_.Get(name))(args, &handle_);
    EXPECT_TRUE(p.ok()) << p.status();
    owned_.push_back(*std::move(p));
    T* t = dynamic_cast<T*>(owned_.back().get());
    EXPECT_NE(t, nullptr);
    return t;
  }
  // Caches the nodes and pods (pods with spec.nodeName) and snapshots them.
  void Cluster(std::vector<Node> nodes, std::vector<Pod> pods = {}) {
    cache_ = std::make_unique<Cache>(&clock_);
    for (auto& n : nodes) ASSERT_TRUE(cache_->AddNode(std::make_shared<const Node>(n)).ok());
    for (auto& p : pods) ASSERT_TRUE(cache_->AddPod(*PodInfo::Create(p)).ok());
    handle_.snapshot = std::make_unique<sched::Snapshot>();
    cache_->UpdateSnapshot(handle_.snapshot.get());
  }
  const NodeInfo& NodeNamed(const std::string& n) { return *handle_.snapshot->Get(n); }
  std::shared_ptr<const PodInfo> Info(const Pod& p) { return *PodInfo::Create(p); }

  // Runs PreFilter (if any) then Filter.
  Status Filter(const std::string& plugin, const Pod& pod, const std::string& node) {
    auto info = Info(pod);
    CycleState state;
    Plugin* p = Make<Plugin>(plugin);
    if (auto* pf = dynamic_cast<PreFilterPlugin*>(p)) {
      PreFilterResult r;
      Status s = pf->PreFilter(state, *info, &r);
      if (s.IsSkip()) return Status();
      if (!s.ok()) return s;
    }
    return dynamic_cast<FilterPlugin*>(p)->Filter(state, *info, NodeNamed(node));
  }
  // PreScore (Skip -> all zero), Score and NormalizeScore over all nodes in the snapshot.
  std::vector<int64_t> Scores(const std::string& plugin, const Pod& pod,
                              const std::string& args = "") {
    auto info = Info(pod);
    CycleState state;
    Plugin* p = Make<Plugin>(plugin, args);
    auto nodes = handle_.snapshot->List();
    std::vector<int64_t> out(nodes.size(), 0);
    if (auto* pf = dynamic_cast<PreFilterPlugin*>(p)) {
      PreFilterResult r;
      pf->PreFilter(state, *info, &r);
    }
    if (auto* ps = dynamic_cast<PreScorePlugin*>(p)) {
      if (ps->PreScore(state, *info, nodes).IsSkip()) return out;
    }
    auto* sp = dynamic_cast<ScorePlugin*>(p);
    for (size_t i = 0; i < nodes.size(); ++i)
      EXPECT_TRUE(sp->Score(state, *info, *nodes[i], &out[i]).ok());
    EXPECT_TRUE(sp->NormalizeScore(state, *info, out).ok());
    return out;
  }

  FakeClock clock_;
  PluginRegistry registry_ = DefaultRegistry();
  FakeHandle handle_;
  std::unique_ptr<Cache> cache_;
  std::vector<std::unique_ptr<Plugin>> owned_;
};

TEST_F(PluginsTest, NodeName) {
  Cluster({NodeBuilder("a"), NodeBuilder("b")});
  EXPECT_TRUE(Filter("NodeName", PodBuilder("p"), "a").ok());
  EXPECT_TRUE(Filter("NodeName", PodBuilder("p").NodeName("a"), "a").ok());
  Status s = Filter("NodeName", PodBuilder("p").NodeName("a"), "b");
  EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) didn't match the requested node name");
}

TEST_F(PluginsTest, NodeUnschedulable) {
  Cluster({NodeBuilder("a").Unschedulable()});
  Status s = Filter("NodeUnschedulable", PodBuilder("p"), "a");
  EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) were unschedulable");
  EXPECT_TRUE(Filter("NodeUnschedulable",
                     PodBuilder("p").Toleration("node.kubernetes.io/unschedulable", "Exists", "",
                                                "NoSchedule"),
                     "a")
                  .ok());
}

TEST_F(PluginsTest, NodeResourcesFitFilter) {
  Cluster({NodeBuilder("a").Capacity("2", "4Gi", "2").Allocatable("example.com/gpu", "1")},
          {PodBuilder("x").Req("1500m", "1Gi").NodeName("a")});
  EXPECT_TRUE(Filter("NodeResourcesFit", PodBuilder("p").Req("500m", "3Gi"), "a").ok());
  Status s = Filter("NodeResourcesFit", PodBuilder("p").Req("600m", "4Gi"), "a");
  EXPECT_EQ(s.code(), Code::kUnschedulable);
  EXPECT_EQ(s.reasons(), (std::vector<std::string>{"Insufficient cpu", "Insufficient memory"}));
  s = Filter("NodeResourcesFit", PodBuilder("p").Request("example.com/gpu", "2"), "a");
  EXPECT_EQ(s.Message(), "Insufficient example.com/gpu");
  EXPECT_TRUE(
      Filter("NodeResourcesFit", PodBuilder("p").Request("example.com/gpu", "1"), "a").ok());
  // Two pods allowed; one exists: the second fits by count, the third would not.
  Cluster({NodeBuilder("a").Capacity("2", "4Gi", "1")}, {PodBuilder("x").NodeName("a")});
  EXPECT_EQ(Filter("NodeResourcesFit", PodBuilder("p"), "a").Message(), "Too many pods");
}

TEST_F(PluginsTest, LeastAllocatedScore) {
  // Kubernetes' documented example: node 4000m/10000 with 3000m/5000 requested (pod included)
  // -> cpu (4000-3000)*100/4000 = 25, memory (10000-5000)*100/10000 = 50 -> 37.
  Cluster({NodeBuilder("a").Capacity("4", "10000"), NodeBuilder("b").Capacity("6", "10000")});
  auto s = Scores("NodeResourcesFit", PodBuilder("p").Req("3", "5000"));
  EXPECT_EQ(s[0], 37);  // (25 + 50) / 2
  EXPECT_EQ(s[1], 50);  // (50 + 50) / 2
}

TEST_F(PluginsTest, MostAllocatedScore) {
  Cluster({NodeBuilder("a").Capacity("4", "10000"), NodeBuilder("b").Capacity("6", "10000")});
  auto s = Scores("NodeResourcesFit", PodBuilder("p").Req("3", "5000"),
                  "scoringStrategy: {type: MostAllocated}");
  EXPECT_EQ(s[0], 62);  // (75 + 50) / 2
  EXPECT_EQ(s[1], 50);
}

TEST_F(PluginsTest, RequestedToCapacityRatioScore) {
  Cluster({NodeBuilder("a").Capacity("4", "10000")});
  // Shape 0 -> 0, 100 -> 10 (bin packing): cpu 75% -> 75, memory 50% -> 50; weights 1 -> 63.
  auto s = Scores("NodeResourcesFit", PodBuilder("p").Req("3", "5000"),
                  "scoringStrategy: {type: RequestedToCapacityRatio, requestedToCapacityRatio: "
                  "{shape: [{utilization: 0, score: 0}, {utilization: 100, score: 10}]}}");
  EXPECT_EQ(s[0], 63);  // round(125 / 2)
}

TEST_F(PluginsTest, NonZeroRequestsForScoring) {
  // A pod without requests counts as 100m / 200Mi for scoring.
  Cluster({NodeBuilder("a").Capacity("1", "2000Mi")});
  auto s = Scores("NodeResourcesFit", PodBuilder("p"));
  EXPECT_EQ(s[0], 90);  // cpu 90, memory 90
}

TEST_F(PluginsTest, BalancedAllocation) {
  Cluster({NodeBuilder("a").Capacity("4", "10000"), NodeBuilder("b").Capacity("4", "5000")});
  auto s = Scores("NodeResourcesBalancedAllocation", PodBuilder("p").Req("2", "2500"));
  // a: fractions 0.5, 0.25 -> std 0.125 -> 87; b: 0.5, 0.5 -> 100.
  EXPECT_EQ(s[0], 87);
  EXPECT_EQ(s[1], 100);
  // Best-effort pods are not scored.
  EXPECT_EQ(Scores("NodeResourcesBalancedAllocation", PodBuilder("q")),
            (std::vector<int64_t>{0, 0}));
}

TEST_F(PluginsTest, NodeAffinityOperators) {
  Cluster({NodeBuilder("a").Label("zone", "z1").Label("gen", "5"),
           NodeBuilder("b").Label("zone", "z2")});
  EXPECT_TRUE(Filter("NodeAffinity", PodBuilder("p").NodeSelector("zone", "z1"), "a").ok());
  Status s = Filter("NodeAffinity", PodBuilder("p").NodeSelector("zone", "z1"), "b");
  EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) didn't match Pod's node affinity/selector");
  EXPECT_TRUE(
      Filter("NodeAffinity", PodBuilder("p").Required(0, "zone", "In", {"z1", "z3"}), "a").ok());
  EXPECT_FALSE(
      Filter("NodeAffinity", PodBuilder("p").Required(0, "zone", "NotIn", {"z1"}), "a").ok());
  EXPECT_TRUE(Filter("NodeAffinity", PodBuilder("p").Required(0, "gen", "Exists", {}), "a").ok());
  EXPECT_TRUE(
      Filter("NodeAffinity", PodBuilder("p").Required(0, "gen", "DoesNotExist", {}), "b").ok());
  EXPECT_TRUE(Filter("NodeAffinity", PodBuilder("p").Required(0, "gen", "Gt", {"4"}), "a").ok());
  EXPECT_FALSE(Filter("NodeAffinity", PodBuilder("p").Required(0, "gen", "Gt", {"5"}), "a").ok());
  EXPECT_TRUE(Filter("NodeAffinity", PodBuilder("p").Required(0, "gen", "Lt", {"6"}), "a").ok());
  EXPECT_FALSE(Filter("NodeAffinity", PodBuilder("p").Required(0, "gen", "Lt", {"x"}), "a").ok());
  // Terms are ORed, requirements ANDed.
  EXPECT_TRUE(
      Filter("NodeAffinity",
             PodBuilder("p").Required(0, "zone", "In", {"z9"}).Required(1, "zone", "In", {"z2"}),
             "b")
          .ok());
  EXPECT_FALSE(
      Filter("NodeAffinity",
             PodBuilder("p").Required(0, "zone", "In", {"z2"}).Required(0, "gen", "Exists", {}),
             "b")
          .ok());
  // matchFields on metadata.name, also narrowing PreFilter's node set.
  EXPECT_TRUE(
      Filter("NodeAffinity", PodBuilder("p").Required(0, "metadata.name", "In", {"b"}, true), "b")
          .ok());
  EXPECT_FALSE(
      Filter("NodeAffinity", PodBuilder("p").Required(0, "metadata.name", "In", {"b"}, true), "a")
          .ok());
  auto* na = Make<PreFilterPlugin>("NodeAffinity");
  CycleState st;
  PreFilterResult r;
  auto info = Info(PodBuilder("p").Required(0, "metadata.name", "In", {"b", "c"}, true));
  ASSERT_TRUE(na->PreFilter(st, *info, &r).ok());
  ASSERT_TRUE(r.node_names.has_value());
  EXPECT_EQ(r.node_names->size(), 2u);
}

TEST_F(PluginsTest, NodeAffinityPreferredScore) {
  Cluster({NodeBuilder("a").Label("zone", "z1"), NodeBuilder("b").Label("zone", "z2"),
           NodeBuilder("c")});
  auto s = Scores(
      "NodeAffinity",
      PodBuilder("p").Preferred(20, "zone", "In", {"z1"}).Preferred(80, "zone", "In", {"z2"}));
  EXPECT_EQ(s, (std::vector<int64_t>{25, 100, 0}));
}

TEST_F(PluginsTest, NodeAffinityAddedAffinity) {
  Cluster({NodeBuilder("a").Label("pool", "batch").Label("zone", "z1"),
           NodeBuilder("b").Label("pool", "web").Label("zone", "z1")});
  const std::string args =
      "addedAffinity:\n"
      "  requiredDuringSchedulingIgnoredDuringExecution:\n"
      "    nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [batch]}]}]\n"
      "  preferredDuringSchedulingIgnoredDuringExecution:\n"
      "  - {weight: 10, preference: {matchExpressions: [{key: pool, operator: In, values: "
      "[web]}]}}\n";
  auto info = Info(PodBuilder("p").NodeSelector("zone", "z1"));
  auto* p = Make<Plugin>("NodeAffinity", args);
  CycleState st;
  PreFilterResult r;
  ASSERT_TRUE(dynamic_cast<PreFilterPlugin*>(p)->PreFilter(st, *info, &r).ok());
  EXPECT_TRUE(dynamic_cast<FilterPlugin*>(p)->Filter(st, *info, NodeNamed("a")).ok());
  EXPECT_FALSE(dynamic_cast<FilterPlugin*>(p)->Filter(st, *info, NodeNamed("b")).ok());
  // A pod with no affinity of its own still gets the added preference.
  EXPECT_EQ(Scores("NodeAffinity", PodBuilder("q"), args), (std::vector<int64_t>{0, 100}));
  ConfigValue bad = *ConfigValue::Parse(
      "addedAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
      "[{matchExpressions: [{key: x, operator: Gt, values: [a]}]}]}}");
  auto made = (**registry_.Get("NodeAffinity"))(bad, &handle_);
  EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PluginsTest, TaintToleration) {
  Cluster({NodeBuilder("a").Taint("node-role", "master", "NoSchedule"),
           NodeBuilder("b").Taint("k", "v", "PreferNoSchedule"), NodeBuilder("c")});
  Status s = Filter("TaintToleration", PodBuilder("p"), "a");
  EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) had untolerated taint {node-role: master}");
  EXPECT_TRUE(Filter("TaintToleration",
                     PodBuilder("p").Toleration("node-role", "Equal", "master", "NoSchedule"), "a")
                  .ok());
  EXPECT_TRUE(
      Filter("TaintToleration", PodBuilder("p").Toleration("", "Exists", "", ""), "a").ok());
  EXPECT_FALSE(Filter("TaintToleration",
                      PodBuilder("p").Toleration("node-role", "Equal", "x", "NoSchedule"), "a")
                   .ok());
  EXPECT_TRUE(Filter("TaintToleration", PodBuilder("p"), "b").ok());  // PreferNoSchedule
  // Score: the untolerated PreferNoSchedule taint costs b everything (reverse normalization).
  EXPECT_EQ(Scores("TaintToleration", PodBuilder("p")), (std::vector<int64_t>{100, 0, 100}));
  EXPECT_EQ(
      Scores("TaintToleration", PodBuilder("p").Toleration("k", "Exists", "", "PreferNoSchedule")),
      (std::vector<int64_t>{100, 100, 100}));
}

TEST_F(PluginsTest, NodePorts) {
  Cluster({NodeBuilder("a")}, {PodBuilder("x").HostPort(8080).NodeName("a")});
  Status s = Filter("NodePorts", PodBuilder("p").HostPort(8080), "a");
  EXPECT_EQ(s.code(), Code::kUnschedulable);
  EXPECT_EQ(s.Message(), "node(s) didn't have free ports for the requested pod ports");
  EXPECT_TRUE(Filter("NodePorts", PodBuilder("p").HostPort(8080, "UDP"), "a").ok());
  EXPECT_TRUE(Filter("NodePorts", PodBuilder("p").HostPort(8081), "a").ok());
  EXPECT_FALSE(Filter("NodePorts", PodBuilder("p").HostPort(8080, "TCP", "10.0.0.1"), "a").ok());
}

TEST_F(PluginsTest, ImageLocality) {
  const int64_t mb = 1024 * 1024;
  Cluster({NodeBuilder("a").Image("big/app:1", 500 * mb), NodeBuilder("b")});
  // One node of two has the 500 MiB image: scaled 250 MiB; (250-23)*100/(1000-23) = 23.
  auto s = Scores("ImageLocality", PodBuilder("p").Image("big/app:1"));
  EXPECT_EQ(s, (std::vector<int64_t>{23, 0}));
  EXPECT_EQ(Scores("ImageLocality", PodBuilder("p").Image("other")), (std::vector<int64_t>{0, 0}));
}

TEST(NormalizeTest, DefaultNormalizeScore) {
  std::vector<int64_t> s{0, 5, 10};
  plugins::DefaultNormalizeScore(100, false, s);
  EXPECT_EQ(s, (std::vector<int64_t>{0, 50, 100}));
  std::vector<int64_t> r{0, 5, 10};
  plugins::DefaultNormalizeScore(100, true, r);
  EXPECT_EQ(r, (std::vector<int64_t>{100, 50, 0}));
  std::vector<int64_t> z{0, 0};
  plugins::DefaultNormalizeScore(100, true, z);
  EXPECT_EQ(z, (std::vector<int64_t>{100, 100}));
}

// A required or preferred pod (anti-)affinity term selecting pods with label app=`app`.
Pod WithPodTerm(Pod pod, bool anti, const std::string& app, const std::string& topology_key,
                int32_t weight = 0, std::vector<std::string> namespaces = {}) {
  auto* a = pod.mutable_spec()->mutable_affinity();
  api::core::v1::PodAffinityTerm* t;
  if (weight == 0) {
    t = anti ? a->mutable_podantiaffinity()->add_requiredduringschedulingignoredduringexecution()
             : a->mutable_podaffinity()->add_requiredduringschedulingignoredduringexecution();
  } else {
    auto* w =
        anti ? a->mutable_podantiaffinity()->add_preferredduringschedulingignoredduringexecution()
             : a->mutable_podaffinity()->add_preferredduringschedulingignoredduringexecution();
    w->set_weight(weight);
    t = w->mutable_podaffinityterm();
  }
  (*t->mutable_labelselector()->mutable_matchlabels())["app"] = app;
  t->set_topologykey(topology_key);
  for (auto& ns : namespaces) t->add_namespaces(ns);
  return pod;
}

class InterPodAffinityTest : public PluginsTest {
 protected:
  void SetUp() override {
    Cluster(
        {NodeBuilder("a1").Label("zone", "a").Build(), NodeBuilder("a2").Label("zone", "a").Build(),
         NodeBuilder("b1").Label("zone", "b").Build(), NodeBuilder("nozone").Build()},
        {PodBuilder("db").Label("app", "db").NodeName("a1").Build(),
         PodBuilder("other-ns-web", "prod").Label("app", "web").NodeName("b1").Build()});
  }
};

TEST_F(InterPodAffinityTest, RequiredAffinityNeedsAMatchingPodInTheTopologyDomain) {
  Pod p = WithPodTerm(PodBuilder("p").Build(), false, "db", "zone");
  EXPECT_TRUE(Filter("InterPodAffinity", p, "a1").ok());
  EXPECT_TRUE(Filter("InterPodAffinity", p, "a2").ok());  // same zone as db
  Status s = Filter("InterPodAffinity", p, "b1");
  EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) didn't match pod affinity rules");
  EXPECT_EQ(Filter("InterPodAffinity", p, "nozone").code(), Code::kUnschedulableAndUnresolvable);
}

TEST_F(InterPodAffinityTest, NamespacesDefaultToThePodsOwn) {
  // app=web exists only in "prod": the default namespace does not see it.
  Pod p = WithPodTerm(PodBuilder("p").Build(), false, "web", "zone");
  EXPECT_FALSE(Filter("InterPodAffinity", p, "b1").ok());
  Pod q = WithPodTerm(PodBuilder("q").Build(), false, "web", "zone", 0, {"prod"});
  EXPECT_TRUE(Filter("InterPodAffinity", q, "b1").ok());
  EXPECT_FALSE(Filter("InterPodAffinity", q, "a1").ok());
  // An empty namespaceSelector selects every namespace.
  Pod r = WithPodTerm(PodBuilder("r").Build(), false, "web", "zone");
  r.mutable_spec()
      ->mutable_affinity()
      ->mutable_podaffinity()
      ->mutable_requiredduringschedulingignoredduringexecution(0)
      ->mutable_namespaceselector();
  EXPECT_TRUE(Filter("InterPodAffinity", r, "b1").ok());
}

TEST_F(InterPodAffinityTest, FirstPodOfASelfAffineGroupMayGoAnywhereWithTheKey) {
  Pod p = WithPodTerm(PodBuilder("p").Label("app", "cache").Build(), false, "cache", "zone");
  EXPECT_TRUE(Filter("InterPodAffinity", p, "b1").ok());
  EXPECT_EQ(Filter("InterPodAffinity", p, "nozone").code(), Code::kUnschedulableAndUnresolvable);
}

TEST_F(InterPodAffinityTest, RequiredAntiAffinityAvoidsTheDomain) {
  Pod p = WithPodTerm(PodBuilder("p").Build(), true, "db", "zone");
  Status s = Filter("InterPodAffinity", p, "a2");
  EXPECT_EQ(s.code(), Code::kUnschedulable);
  EXPECT_EQ(s.Message(), "node(s) didn't match pod anti-affinity rules");
  EXPECT_TRUE(Filter("InterPodAffinity", p, "b1").ok());
  EXPECT_TRUE(Filter("InterPodAffinity", p, "nozone").ok());  // no key: no domain to share
}

TEST_F(InterPodAffinityTest, ExistingPodsAntiAffinityIsSymmetric) {
  Cluster(
      {NodeBuilder("a1").Label("zone", "a").Build(), NodeBuilder("b1").Label("zone", "b").Build()},
      {WithPodTerm(PodBuilder("loner").NodeName("a1").Build(), true, "web", "zone")});
  Pod web = PodBuilder("web").Label("app", "web").Build();
  Status s = Filter("InterPodAffinity", web, "a1");
  EXPECT_EQ(s.code(), Code::kUnschedulable);
  EXPECT_EQ(s.Message(), "node(s) didn't satisfy existing pods anti-affinity rules");
  EXPECT_TRUE(Filter("InterPodAffinity", web, "b1").ok());
  EXPECT_TRUE(Filter("InterPodAffinity", PodBuilder("x").Build(), "a1").ok());
}

TEST_F(InterPodAffinityTest, AddPodAndRemovePodUpdateTheCounts) {
  Pod p = WithPodTerm(PodBuilder("p").Build(), true, "db", "zone");
  auto info = Info(p);
  auto* plugin = Make<PreFilterPlugin>("InterPodAffinity");
  auto* filter = dynamic_cast<FilterPlugin*>(plugin);
  CycleState state;
  PreFilterResult r;
  ASSERT_TRUE(plugin->PreFilter(state, *info, &r).ok());
  EXPECT_FALSE(filter->Filter(state, *info, NodeNamed("a2")).ok());
  auto db = Info(PodBuilder("db").Label("app", "db").NodeName("a1").Build());
  ASSERT_TRUE(plugin->Extensions()->RemovePod(state, *info, *db, NodeNamed("a1")).ok());
  EXPECT_TRUE(filter->Filter(state, *info, NodeNamed("a2")).ok());
  auto db2 = Info(PodBuilder("db2").Label("app", "db").NodeName("b1").Build());
  ASSERT_TRUE(plugin->Extensions()->AddPod(state, *info, *db2, NodeNamed("b1")).ok());
  EXPECT_FALSE(filter->Filter(state, *info, NodeNamed("b1")).ok());
}

TEST_F(InterPodAffinityTest, PreferredTermsScoreByTopologyDomain) {
  // Nodes in snapshot order; find each node's score by name.
  auto by_name = [&](const std::vector<int64_t>& scores) {
    std::map<std::string, int64_t> m;
    auto nodes = handle_.snapshot->List();
    for (size_t i = 0; i < nodes.size(); ++i) m[nodes[i]->name()] = scores[i];
    return m;
  };
  auto aff = by_name(
      Scores("InterPodAffinity", WithPodTerm(PodBuilder("p").Build(), false, "db", "zone", 10)));
  EXPECT_EQ(aff["a1"], 100);
  EXPECT_EQ(aff["a2"], 100);
  EXPECT_EQ(aff["b1"], 0);
  EXPECT_EQ(aff["nozone"], 0);
  auto anti = by_name(
      Scores("InterPodAffinity", WithPodTerm(PodBuilder("p").Build(), true, "db", "zone", 10)));
  EXPECT_EQ(anti["a1"], 0);
  EXPECT_EQ(anti["b1"], 100);
  EXPECT_EQ(anti["nozone"], 100);
  // No preferred terms and no existing pod with affinity: all zero.
  auto none = by_name(Scores("InterPodAffinity", PodBuilder("p").Build()));
  EXPECT_EQ(none["a1"], 0);
  EXPECT_EQ(none["b1"], 0);
}

TEST_F(InterPodAffinityTest, HardPodAffinityWeightIsValidated) {
  ConfigValue args = *ConfigValue::Parse("hardPodAffinityWeight: 101");
  auto p = (**registry_.Get("InterPodAffinity"))(args, &handle_);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::sched
