// InterPodAffinity through the snapshot's AffinityIndex gives the same Filter verdicts and
// scores as a scan of every pod, on random clusters, across incremental snapshot updates.
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/sched/cache.h"
#include "lib/sched/internal/affinity_index.h"
#include "lib/sched/plugins/interpodaffinity.h"
#include "lib/sched/testing/builders.h"

namespace rudder::sched {
namespace {

using testing::NodeBuilder;
using testing::PodBuilder;

// The snapshot without its index: the plugin scans every pod.
class ScanLister : public NodeInfoLister {
 public:
  explicit ScanLister(const Snapshot* s) : s_(s) {}
  std::span<const NodeInfo* const> List() const override { return s_->List(); }
  const NodeInfo* Get(std::string_view n) const override { return s_->Get(n); }
  int ImageNumNodes(std::string_view i) const override { return s_->ImageNumNodes(i); }

 private:
  const Snapshot* s_;
};

class ListerHandle : public Handle {
 public:
  explicit ListerHandle(const NodeInfoLister* l) : lister(l) {}
  const NodeInfoLister& Snapshot() const override { return *lister; }
  Binder* binder() const override { return nullptr; }
  Clock* clock() const override { return Clock::Real(); }
  ClusterAccess* cluster() const override { return nullptr; }
  void WithWaitingPod(std::string_view, const std::function<void(WaitingPod*)>& fn) override {
    fn(nullptr);
  }
  void IterateOverWaitingPods(const std::function<void(WaitingPod*)>&) override {}
  const NodeInfoLister* lister;
};

void AddTerm(Pod* pod, bool anti, bool required, const std::string& key, const std::string& value,
             const std::string& topology, bool use_in, int32_t weight = 10) {
  auto* aff = pod->mutable_spec()->mutable_affinity();
  api::core::v1::PodAffinityTerm* t;
  if (anti) {
    auto* a = aff->mutable_podantiaffinity();
    if (required) {
      t = a->add_requiredduringschedulingignoredduringexecution();
    } else {
      auto* w = a->add_preferredduringschedulingignoredduringexecution();
      w->set_weight(weight);
      t = w->mutable_podaffinityterm();
    }
  } else {
    auto* a = aff->mutable_podaffinity();
    if (required) {
      t = a->add_requiredduringschedulingignoredduringexecution();
    } else {
      auto* w = a->add_preferredduringschedulingignoredduringexecution();
      w->set_weight(weight);
      t = w->mutable_podaffinityterm();
    }
  }
  t->set_topologykey(topology);
  auto* sel = t->mutable_labelselector();
  if (use_in) {
    auto* e = sel->add_matchexpressions();
    e->set_key(key);
    e->set_operator_(value.empty() ? "Exists" : "In");
    if (!value.empty()) e->add_values(value);
  } else {
    (*sel->mutable_matchlabels())[key] = value;
  }
}

Pod RandomPod(std::mt19937* rng, const std::string& name, bool incoming) {
  auto pick = [&](int n) { return static_cast<int>((*rng)() % n); };
  PodBuilder b(name, pick(4) == 0 ? "other" : "default");
  const char* keys[] = {"app", "tier", "group"};
  for (const char* k : keys) {
    if (pick(2)) b.Label(k, std::string(k) + std::to_string(pick(3)));
  }
  Pod pod = b;
  const char* topologies[] = {"kubernetes.io/hostname", "topology.kubernetes.io/zone"};
  int terms = pick(incoming ? 4 : 3);
  for (int i = 0; i < terms; ++i) {
    const char* k = keys[pick(3)];
    std::string v = pick(5) == 0 ? "" : std::string(k) + std::to_string(pick(3));
    bool use_in = v.empty() || pick(2);
    AddTerm(&pod, pick(2), pick(3) != 0, k, v, topologies[pick(2)], use_in);
  }
  return pod;
}

std::map<std::string, std::string> Verdicts(Plugin* p, const PodInfo& pod,
                                            const Snapshot& snapshot) {
  std::map<std::string, std::string> out;
  CycleState state;
  PreFilterResult r;
  Status pre = dynamic_cast<PreFilterPlugin*>(p)->PreFilter(state, pod, &r);
  for (const NodeInfo* n : snapshot.List()) {
    Status s = pre.IsSkip() ? Status() : dynamic_cast<FilterPlugin*>(p)->Filter(state, pod, *n);
    out[n->name()] = s.ok() ? "ok" : s.Message();
  }
  CycleState score_state;
  auto nodes = snapshot.List();
  if (!dynamic_cast<PreScorePlugin*>(p)->PreScore(score_state, pod, nodes).IsSkip()) {
    std::vector<int64_t> scores(nodes.size());
    auto* sp = dynamic_cast<ScorePlugin*>(p);
    for (size_t i = 0; i < nodes.size(); ++i) sp->Score(score_state, pod, *nodes[i], &scores[i]);
    sp->NormalizeScore(score_state, pod, scores);
    for (size_t i = 0; i < nodes.size(); ++i)
      out[nodes[i]->name()] += "/" + std::to_string(scores[i]);
  }
  return out;
}

TEST(InterPodAffinityIndexTest, IndexedAndScannedAgree) {
  std::mt19937 rng(7);
  FakeClock clock;
  Cache cache(&clock);
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(cache
                    .AddNode(std::make_shared<const Node>(
                        NodeBuilder("n" + std::to_string(i))
                            .Capacity("64", "64Gi", "500")
                            .Label("kubernetes.io/hostname", "n" + std::to_string(i))
                            .Label("topology.kubernetes.io/zone", "z" + std::to_string(i % 3))
                            .Build()))
                    .ok());
  }
  Snapshot snapshot;
  ScanLister scan(&snapshot);
  ListerHandle indexed_handle(&snapshot), scan_handle(&scan);
  auto indexed = *plugins::NewInterPodAffinity(ConfigValue(), &indexed_handle);
  auto scanned = *plugins::NewInterPodAffinity(ConfigValue(), &scan_handle);
  std::vector<Pod> placed;
  int next = 0;
  int checked = 0, rejected = 0;
  for (int round = 0; round < 25; ++round) {
    // Add pods, remove some, move one (a pod re-added on another node).
    for (int k = 0; k < 8; ++k) {
      Pod p = RandomPod(&rng, "e" + std::to_string(next++), false);
      p.mutable_spec()->set_nodename("n" + std::to_string(rng() % 12));
      ASSERT_TRUE(cache.AddPod(*PodInfo::Create(p)).ok());
      placed.push_back(p);
    }
    for (int k = 0; k < 3 && !placed.empty(); ++k) {
      size_t i = rng() % placed.size();
      const Pod& p = placed[i];
      ASSERT_TRUE(cache.RemovePod(p.metadata().uid()).ok());
      placed.erase(placed.begin() + i);
    }
    if (!placed.empty()) {
      Pod& p = placed[rng() % placed.size()];
      p.mutable_spec()->set_nodename("n" + std::to_string(rng() % 12));
      (*p.mutable_metadata()->mutable_labels())["moved"] = "yes";
      ASSERT_TRUE(cache.UpdatePod(*PodInfo::Create(p)).ok());
    }
    cache.UpdateSnapshot(&snapshot);
    for (int k = 0; k < 10; ++k) {
      auto pod = *PodInfo::Create(RandomPod(&rng, "in" + std::to_string(k), true));
      auto a = Verdicts(indexed.get(), *pod, snapshot);
      auto b = Verdicts(scanned.get(), *pod, snapshot);
      ASSERT_EQ(a, b) << pod->pod().DebugString();
      ++checked;
      for (const auto& [n, v] : a) rejected += v.rfind("ok", 0) != 0;
    }
  }
  EXPECT_EQ(checked, 250);
  EXPECT_GT(rejected, 100);  // the workload exercises the rejections
}

TEST(InterPodAffinityIndexTest, AnchorsAndRemovals) {
  FakeClock clock;
  Cache cache(&clock);
  ASSERT_TRUE(cache
                  .AddNode(std::make_shared<const Node>(
                      NodeBuilder("a").Label("kubernetes.io/hostname", "a").Build()))
                  .ok());
  Pod e = PodBuilder("e").Label("app", "web").NodeName("a");
  AddTerm(&e, true, true, "app", "web", "kubernetes.io/hostname", false);
  ASSERT_TRUE(cache.AddPod(*PodInfo::Create(e)).ok());
  Snapshot snapshot;
  cache.UpdateSnapshot(&snapshot);
  const internal::AffinityIndex* index = snapshot.affinity_index();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->NumPodsWithRequiredAntiAffinity(), 1);
  int web = 0, db = 0;
  std::map<std::string, std::string> web_labels{{"app", "web"}}, db_labels{{"app", "db"}};
  index->ForEachAntiAffinityTermFor(web_labels, [&](const auto&, const auto&) { ++web; });
  index->ForEachAntiAffinityTermFor(db_labels, [&](const auto&, const auto&) { ++db; });
  EXPECT_EQ(web, 1);
  EXPECT_EQ(db, 0);  // anchored on app=web: never visited for app=db
  int with_label = 0;
  index->ForEachPodWithLabel(internal::LabelPair("app", "web"),
                             [&](const auto&, const auto&) { ++with_label; });
  EXPECT_EQ(with_label, 1);
  ASSERT_TRUE(cache.RemovePod(e.metadata().uid()).ok());
  cache.UpdateSnapshot(&snapshot);
  EXPECT_EQ(index->NumPodsWithRequiredAntiAffinity(), 0);
  with_label = 0;
  index->ForEachPodWithLabel(internal::LabelPair("app", "web"),
                             [&](const auto&, const auto&) { ++with_label; });
  EXPECT_EQ(with_label, 0);
  ASSERT_TRUE(cache.RemoveNode("a").ok());
  cache.UpdateSnapshot(&snapshot);
  EXPECT_TRUE(index->NodesWithScoringAffinity().empty());
}

}  // namespace
}  // namespace rudder::sched
