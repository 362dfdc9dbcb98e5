// A plugin's Skip (PreFilter / PreScore) changes no scheduling decision: a scheduler in which
// InterPodAffinity's and PodTopologySpread's skips are overridden -- a skipped plugin is
// evaluated anyway, by the same plugin scanning every node and pod instead of reading the
// snapshot's index -- places every pod of a random workload on the same node and reports the
// same failures as the default scheduler.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/sched/plugins/interpodaffinity.h"
#include "lib/sched/plugins/plugins.h"
#include "lib/sched/plugins/podtopologyspread.h"
#include "lib/sched/registry.h"
#include "lib/sched/scheduler.h"
#include "lib/sched/testing/builders.h"

namespace rudder::sched {
namespace {

using testing::NodeBuilder;
using testing::PodBuilder;

// The scheduler's snapshot without its index: plugins created on it scan every node and pod.
class ScanLister : public NodeInfoLister {
 public:
  explicit ScanLister(const Handle* h) : h_(h) {}
  std::span<const NodeInfo* const> List() const override { return h_->Snapshot().List(); }
  const NodeInfo* Get(std::string_view n) const override { return h_->Snapshot().Get(n); }
  int ImageNumNodes(std::string_view i) const override { return h_->Snapshot().ImageNumNodes(i); }

 private:
  const Handle* h_;
};

class ScanHandle : public Handle {
 public:
  explicit ScanHandle(Handle* h) : h_(h), lister_(h) {}
  const NodeInfoLister& Snapshot() const override { return lister_; }
  Binder* binder() const override { return h_->binder(); }
  Clock* clock() const override { return h_->clock(); }
  ClusterAccess* cluster() const override { return h_->cluster(); }
  void WithWaitingPod(std::string_view uid, const std::function<void(WaitingPod*)>& fn) override {
    h_->WithWaitingPod(uid, fn);
  }
  void IterateOverWaitingPods(const std::function<void(WaitingPod*)>& fn) override {
    h_->IterateOverWaitingPods(fn);
  }

 private:
  Handle* h_;
  ScanLister lister_;
};

// What the wrapper did in this cycle for PreFilter / PreScore.
enum class Mode : int { kInner = 0, kReference = 1, kNothing = 2 };
struct ModeState : StateData {
  Mode mode = Mode::kInner;
  std::unique_ptr<StateData> Clone() const override { return std::make_unique<ModeState>(*this); }
};

// Forwards to `inner` (on the scheduler's indexed snapshot); when it skips, evaluates
// `reference` (the same plugin scanning everything) instead of skipping. `reference` returning
// Skip too means it has nothing to check or score: every node passes and scores 0.
class NoSkip : public PreFilterPlugin,
               public PreFilterExtensions,
               public FilterPlugin,
               public PreScorePlugin,
               public ScorePlugin,
               public EnqueueExtensions {
 public:
  NoSkip(std::unique_ptr<Plugin> inner, std::unique_ptr<Plugin> reference,
         std::unique_ptr<ScanHandle> scan)
      : scan_(std::move(scan)),
        inner_(std::move(inner)),
        reference_(std::move(reference)),
        filter_key_(absl::StrCat("NoSkipFilter/", AbslView(inner_->Name()))),
        score_key_(absl::StrCat("NoSkipScore/", AbslView(inner_->Name()))) {}
  std::string_view Name() const override { return inner_->Name(); }

  static Mode ModeOf(const CycleState& state, const StateKey& key) {
    const auto* m = state.Get<ModeState>(key);
    return m ? m->mode : Mode::kInner;
  }
  void SetMode(CycleState& state, const StateKey& key, Mode mode) {
    auto m = std::make_unique<ModeState>();
    m->mode = mode;
    state.Write(key, std::move(m));
  }
  template <typename I>
  I* As(Mode mode) const {
    return dynamic_cast<I*>(mode == Mode::kReference ? reference_.get() : inner_.get());
  }

  Status PreFilter(CycleState& state, const PodInfo& pod, PreFilterResult* r) override {
    Status s = As<PreFilterPlugin>(Mode::kInner)->PreFilter(state, pod, r);
    if (!s.IsSkip()) {
      SetMode(state, filter_key_, Mode::kInner);
      return s;
    }
    ++skipped_filters;
    Status ref = As<PreFilterPlugin>(Mode::kReference)->PreFilter(state, pod, r);
    SetMode(state, filter_key_, ref.IsSkip() ? Mode::kNothing : Mode::kReference);
    return ref.IsSkip() ? Status() : ref;
  }
  PreFilterExtensions* Extensions() override { return this; }
  Status AddPod(CycleState& state, const PodInfo& pod, const PodInfo& add,
                const NodeInfo& node) override {
    Mode m = ModeOf(state, filter_key_);
    if (m == Mode::kNothing) return Status();
    return As<PreFilterPlugin>(m)->Extensions()->AddPod(state, pod, add, node);
  }
  Status RemovePod(CycleState& state, const PodInfo& pod, const PodInfo& remove,
                   const NodeInfo& node) override {
    Mode m = ModeOf(state, filter_key_);
    if (m == Mode::kNothing) return Status();
    return As<PreFilterPlugin>(m)->Extensions()->RemovePod(state, pod, remove, node);
  }
  Status Filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) override {
    Mode m = ModeOf(state, filter_key_);
    if (m == Mode::kNothing) return Status();
    return As<FilterPlugin>(m)->Filter(state, pod, node);
  }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> nodes) override {
    Status s = As<PreScorePlugin>(Mode::kInner)->PreScore(state, pod, nodes);
    if (!s.IsSkip()) {
      SetMode(state, score_key_, Mode::kInner);
      return s;
    }
    ++skipped_scores;
    Status ref = As<PreScorePlugin>(Mode::kReference)->PreScore(state, pod, nodes);
    SetMode(state, score_key_, ref.IsSkip() ? Mode::kNothing : Mode::kReference);
    return ref.IsSkip() ? Status() : ref;
  }
  Status Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node,
               int64_t* score) override {
    Mode m = ModeOf(state, score_key_);
    *score = 0;
    if (m == Mode::kNothing) return Status();
    return As<ScorePlugin>(m)->Score(state, pod, node, score);
  }
  Status NormalizeScore(const CycleState& state, const PodInfo& pod,
                        std::span<int64_t> scores) override {
    Mode m = ModeOf(state, score_key_);
    if (m == Mode::kNothing) return Status();
    return As<ScorePlugin>(m)->NormalizeScore(state, pod, scores);
  }
  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return dynamic_cast<EnqueueExtensions*>(inner_.get())->EventsToRegister();
  }

  int skipped_filters = 0;
  int skipped_scores = 0;

 private:
  std::unique_ptr<ScanHandle> scan_;
  std::unique_ptr<Plugin> inner_;
  std::unique_ptr<Plugin> reference_;
  const StateKey filter_key_;
  const StateKey score_key_;
};

// The default registry with InterPodAffinity and PodTopologySpread wrapped in NoSkip.
PluginRegistry NoSkipRegistry(std::vector<NoSkip*>* created) {
  PluginRegistry base = DefaultRegistry();
  PluginRegistry out;
  for (const std::string& name : base.Names()) {
    PluginFactory f = **base.Get(name);
    if (name == plugins::kInterPodAffinity || name == plugins::kPodTopologySpread) {
      f = [f, created](const ConfigValue& args,
                       Handle* h) -> absl::StatusOr<std::unique_ptr<Plugin>> {
        auto scan = std::make_unique<ScanHandle>(h);
        absl::StatusOr<std::unique_ptr<Plugin>> inner = f(args, h);
        if (!inner.ok()) return inner.status();
        absl::StatusOr<std::unique_ptr<Plugin>> ref = f(args, scan.get());
        if (!ref.ok()) return ref.status();
        auto w = std::make_unique<NoSkip>(*std::move(inner), *std::move(ref), std::move(scan));
        created->push_back(w.get());
        return std::unique_ptr<Plugin>(std::move(w));
      };
    }
    EXPECT_TRUE(out.Register(name, f).ok());
  }
  return out;
}

void AddOwner(Pod* pod, const std::string& rs) {
  auto* o = pod->mutable_metadata()->add_ownerreferences();
  o->set_kind("ReplicaSet");
  o->set_name(rs);
  o->set_controller(true);
}

void AddAntiAffinity(Pod* pod, const std::string& app, const std::string& topology) {
  auto* t = pod->mutable_spec()
                ->mutable_affinity()
                ->mutable_podantiaffinity()
                ->add_requiredduringschedulingignoredduringexecution();
  (*t->mutable_labelselector()->mutable_matchlabels())["app"] = app;
  t->set_topologykey(topology);
}

void AddSpread(Pod* pod, const std::string& app, const std::string& key, const std::string& when) {
  auto* c = pod->mutable_spec()->add_topologyspreadconstraints();
  c->set_maxskew(1);
  c->set_topologykey(key);
  c->set_whenunsatisfiable(when);
  (*c->mutable_labelselector()->mutable_matchlabels())["app"] = app;
}

// A random pod. Early in the run (`phase` 0) no pod has pod affinity, so InterPodAffinity
// skips; later some pods do.
Pod RandomPod(std::mt19937* rng, int i, int phase) {
  auto pick = [&](int n) { return static_cast<int>((*rng)() % n); };
  const std::string app = absl::StrCat("a", pick(4));
  PodBuilder b(absl::StrCat("p", i));
  b.Req(absl::StrCat(100 * (1 + pick(8)), "m"), absl::StrCat(64 * (1 + pick(8)), "Mi"));
  const int kind = pick(6);
  if (kind >= 1) b.Label("app", app);
  Pod pod = b;
  if (kind == 2 || kind == 3) AddOwner(&pod, app);  // system default spread applies
  if (phase > 0 && kind == 4) AddAntiAffinity(&pod, app, "kubernetes.io/hostname");
  if (kind == 5) {
    AddSpread(&pod, app, pick(2) ? "topology.kubernetes.io/zone" : "kubernetes.io/hostname",
              pick(2) ? "DoNotSchedule" : "ScheduleAnyway");
  }
  return pod;
}

TEST(SkipTest, SkipChangesNoDecision) {
  std::vector<NoSkip*> wrappers;
  PluginRegistry no_skip = NoSkipRegistry(&wrappers);
  RecordingBinder binder_a, binder_b;
  FakeClock clock;  // no back-off ends: each cycle pops the pod just added
  SchedulerOptions a, b;
  a.binder = &binder_a;
  b.binder = &binder_b;
  b.registry = &no_skip;
  for (SchedulerOptions* o : {&a, &b}) {
    o->binding_workers = 0;
    o->clock = &clock;
    o->seed = 11;
    o->config.parallelism = 2;
  }
  auto sa = *Scheduler::Create(std::move(a));
  auto sb = *Scheduler::Create(std::move(b));
  ASSERT_EQ(wrappers.size(), 2u);
  std::mt19937 rng(5);
  for (int i = 0; i < 40; ++i) {
    NodeBuilder n(absl::StrCat("n", i));
    n.Capacity("2", "4Gi", "20").Label("kubernetes.io/hostname", absl::StrCat("n", i));
    if (i % 7 != 0) n.Label("topology.kubernetes.io/zone", absl::StrCat("z", i % 3));
    if (i % 11 == 0) n.Taint("dedicated", "x", "NoSchedule");
    ASSERT_TRUE(sa->AddNode(n).ok());
    ASSERT_TRUE(sb->AddNode(n).ok());
  }
  int placed = 0, failed = 0;
  for (int i = 0; i < 400; ++i) {
    Pod pod = RandomPod(&rng, i, i < 150 ? 0 : 1);
    ASSERT_TRUE(sa->AddPod(pod).ok());
    ASSERT_TRUE(sb->AddPod(pod).ok());
    std::optional<ScheduleResult> ra = sa->ScheduleOne(false);
    std::optional<ScheduleResult> rb = sb->ScheduleOne(false);
    ASSERT_TRUE(ra && rb);
    ASSERT_EQ(ra->pod, rb->pod);
    ASSERT_EQ(ra->node, rb->node) << pod.DebugString();
    ASSERT_EQ(ra->failure.message, rb->failure.message);
    ASSERT_EQ(ra->feasible_nodes, rb->feasible_nodes);
    if (ra->node.empty()) {
      ++failed;
    } else {
      ++placed;
      // The bound pod, as the informer would report it.
      Pod bound = pod;
      bound.mutable_spec()->set_nodename(ra->node);
      ASSERT_TRUE(sa->UpdatePod(pod, bound).ok());
      ASSERT_TRUE(sb->UpdatePod(pod, bound).ok());
    }
  }
  EXPECT_GT(placed, 150);
  EXPECT_GT(failed, 5);  // the cluster fills up: FitError messages are compared too
  // Both plugins skipped often (the comparison covered their skips), at Filter and Score.
  for (NoSkip* w : wrappers) {
    EXPECT_GT(w->skipped_filters, 50) << w->Name();
    EXPECT_GT(w->skipped_scores, 20) << w->Name();
  }
}

}  // namespace
}  // namespace rudder::sched
