#include "lib/sched/explain/explain.h"

#include <algorithm>
#include <set>
#include <span>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/api/labels/label_selector_proto.h"
#include "lib/base/status_macros.h"
#include "lib/sched/internal/framework_impl.h"
#include "lib/sched/internal/sampling.h"
#include "lib/sched/plugins/plugins.h"
#include "lib/sched/scheduler.h"

namespace rudder::sched::explain {
namespace {

using internal::Framework;
using internal::Named;
using internal::NextRandom;
using internal::NumFeasibleNodesToFind;
using Filters = std::vector<const Named<FilterPlugin>*>;

constexpr char kDefaultSchedulerName[] = "default-scheduler";
constexpr char kNarrowedOut[] = "node is filtered out by the prefilter result";

absl::Status ToAbsl(const Status& s) {
  return absl::InternalError(
      absl::StrCat(s.plugin().empty() ? "" : s.plugin() + ": ", s.Message()));
}

// A Handle over a snapshot: no binder, no waiting pods, no cluster writes.
class SnapshotHandle : public Handle {
 public:
  explicit SnapshotHandle(const sched::Snapshot* snapshot) : snapshot_(snapshot) {}
  const NodeInfoLister& Snapshot() const override { return *snapshot_; }
  Binder* binder() const override { return nullptr; }
  Clock* clock() const override { return Clock::Real(); }
  ClusterAccess* cluster() const override { return nullptr; }
  void WithWaitingPod(std::string_view, const std::function<void(WaitingPod*)>& fn) override {
    fn(nullptr);
  }
  void IterateOverWaitingPods(const std::function<void(WaitingPod*)>&) override {}

 private:
  const sched::Snapshot* snapshot_;
};

// Scores of the sampled nodes, per active Score plugin.
struct Scores {
  std::vector<std::string> plugins;
  std::vector<int64_t> weights;
  std::vector<std::vector<int64_t>> raw;         // [plugin][node]
  std::vector<std::vector<int64_t>> normalized;  // [plugin][node]
  std::vector<int64_t> totals;                   // [node]
};

// One scheduling cycle's filtering and scoring, as the scheduler does it.
struct Cycle {
  Status pre_filter;  // Not ok: PreFilter rejected the pod (or failed).
  // Candidates after PreFilter narrowing: the snapshot's list, or `narrowed`.
  std::span<const NodeInfo* const> nodes;
  std::vector<const NodeInfo*> narrowed;
  std::vector<const NodeInfo*> narrowed_out;
  // Per candidate (in `nodes` order), when every node is filtered (explanations).
  std::vector<Status> statuses;
  int feasible_total = -1;              // -1 when not every node was filtered.
  std::vector<const NodeInfo*> sample;  // Feasible nodes the scheduler scores, in order.
  int evaluated = 0;
  Diagnosis diagnosis;
  Scores scores;
  int chosen = -1;  // Index in `sample`.
};

api::core::v1::Toleration TolerationFor(const api::core::v1::Taint& taint) {
  api::core::v1::Toleration t;
  t.set_key(taint.key());
  if (taint.value().empty()) {
    t.set_operator_("Exists");
  } else {
    t.set_operator_("Equal");
    t.set_value(taint.value());
  }
  t.set_effect(taint.effect());
  return t;
}

std::string TaintText(const api::core::v1::Taint& t) {
  return absl::StrCat("{", t.key(), ": ", t.value(), "}:", t.effect());
}

int KindRank(ChangeKind k) {
  switch (k) {
    case ChangeKind::kAddToleration:
      return 0;
    case ChangeKind::kSetNodeLabel:
    case ChangeKind::kRemoveNodeLabel:
      return 1;
    case ChangeKind::kPreemptPod:
      return 2;
    case ChangeKind::kFreeHostPort:
      return 3;
    case ChangeKind::kAddCapacity:
      return 4;
  }
  return 5;
}

// Quantity text for an allocatable value.
std::string QuantityText(std::string_view resource, int64_t v) {
  if (resource == "cpu") return absl::StrCat(v, "m");
  return absl::StrCat(v);
}

bool TermEmpty(const api::core::v1::NodeSelectorTerm& t) {
  return t.matchexpressions_size() == 0 && t.matchfields_size() == 0;
}

// Label changes that make `node` satisfy the pod's nodeSelector and one required term.
// nullopt when no term can be satisfied by labels (matchFields).
std::optional<std::map<std::string, std::optional<std::string>>> LabelChanges(const Pod& pod,
                                                                              const Node& node) {
  const auto& labels = node.metadata().labels();
  std::map<std::string, std::optional<std::string>> out;  // key -> value (nullopt: remove)
  for (const auto& [k, v] : pod.spec().nodeselector()) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) out[k] = v;
  }
  const auto& aff = pod.spec().affinity().nodeaffinity();
  if (!aff.has_requiredduringschedulingignoredduringexecution()) return out;
  const auto& sel = aff.requiredduringschedulingignoredduringexecution();
  if (plugins::NodeMatchesNodeSelector(sel, node)) return out;
  std::optional<std::map<std::string, std::optional<std::string>>> best;
  for (const auto& term : sel.nodeselectorterms()) {
    if (TermEmpty(term) || term.matchfields_size() > 0) continue;
    std::map<std::string, std::optional<std::string>> ch;
    auto current = [&](const std::string& k) -> std::optional<std::string> {
      auto o = out.find(k);
      if (o != out.end()) return o->second;
      auto it = labels.find(k);
      if (it == labels.end()) return std::nullopt;
      return it->second;
    };
    bool ok = true;
    for (const auto& r : term.matchexpressions()) {
      std::optional<std::string> v = current(r.key());
      auto c = ch.find(r.key());
      if (c != ch.end()) v = c->second;
      const std::string& op = r.operator_();
      auto in_values = [&] {
        return v && std::find(r.values().begin(), r.values().end(), *v) != r.values().end();
      };
      if (op == "In") {
        if (r.values_size() == 0) ok = false;
        if (ok && !in_values()) ch[r.key()] = r.values(0);
      } else if (op == "NotIn") {
        if (in_values()) ch[r.key()] = std::nullopt;
      } else if (op == "Exists") {
        if (!v) ch[r.key()] = "";
      } else if (op == "DoesNotExist") {
        if (v) ch[r.key()] = std::nullopt;
      } else if (op == "Gt" || op == "Lt") {
        int64_t bound = 0, cur = 0;
        if (r.values_size() != 1 || !absl::SimpleAtoi(r.values(0), &bound)) {
          ok = false;
          continue;
        }
        bool sat = v && absl::SimpleAtoi(*v, &cur) && (op == "Gt" ? cur > bound : cur < bound);
        if (!sat) ch[r.key()] = absl::StrCat(op == "Gt" ? bound + 1 : bound - 1);
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (!best || ch.size() < best->size()) best = std::move(ch);
  }
  if (!best) return std::nullopt;
  for (auto& [k, v] : *best) out[k] = v;
  return out;
}

}  // namespace

std::string FormatAmount(std::string_view resource, int64_t amount) {
  if (resource == "cpu") {
    if (amount % 1000 == 0) return absl::StrCat(amount / 1000);
    return absl::StrCat(amount, "m");
  }
  if (resource == "memory" || resource == "ephemeral-storage" ||
      resource.substr(0, 9) == "hugepages") {
    static constexpr std::pair<int64_t, const char*> kUnits[] = {{int64_t{1} << 40, "Ti"},
                                                                 {int64_t{1} << 30, "Gi"},
                                                                 {int64_t{1} << 20, "Mi"},
                                                                 {int64_t{1} << 10, "Ki"}};
    for (const auto& [u, s] : kUnits) {
      if (amount >= u && amount % u == 0) return absl::StrCat(amount / u, s);
    }
    for (const auto& [u, s] : kUnits) {
      if (amount >= u) return absl::StrCat((amount + u - 1) / u, s);  // Rounded up.
    }
  }
  return absl::StrCat(amount);
}

// ---------------------------------------------------------------------------------------------

class Explainer::Impl {
 public:
  explicit Impl(Options options) : options_(std::move(options)), handle_(&snapshot_) {}

  absl::Status Init() {
    if (!options_.registry) {
      owned_registry_ = std::make_unique<PluginRegistry>(DefaultRegistry());
      options_.registry = owned_registry_.get();
    }
    if (options_.config.profiles.empty()) options_.config.profiles.push_back(ProfileConfig());
    for (const ProfileConfig& p : options_.config.profiles) {
      if (frameworks_.count(p.scheduler_name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("duplicate profile \"", p.scheduler_name, "\""));
      }
      absl::StatusOr<std::unique_ptr<Framework>> fw =
          Framework::Create(p, options_.config.merge_defaults, *options_.registry, &handle_);
      if (!fw.ok()) return fw.status();
      frameworks_[p.scheduler_name] = *std::move(fw);
      if (!first_) first_ = frameworks_[p.scheduler_name].get();
    }
    return absl::OkStatus();
  }

  absl::Status Load(const std::vector<Node>& nodes, const std::vector<Pod>& pods) {
    own_cache_ = std::make_unique<Cache>(Clock::Real());
    for (size_t i = 0; i < nodes.size(); ++i) {
      absl::Status s = own_cache_->AddNode(std::make_shared<const Node>(nodes[i]));
      if (!s.ok()) return absl::Status(s.code(), absl::StrCat("nodes[", i, "]: ", s.message()));
    }
    for (size_t i = 0; i < pods.size(); ++i) {
      if (pods[i].spec().nodename().empty()) continue;
      absl::StatusOr<std::shared_ptr<const PodInfo>> info = PodInfo::Create(pods[i]);
      if (!info.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("pods[", i, "]: ", info.status().message()));
      }
      absl::Status s = own_cache_->AddPod(*info);
      if (!s.ok()) return absl::Status(s.code(), absl::StrCat("pods[", i, "]: ", s.message()));
    }
    own_cache_->UpdateSnapshot(&snapshot_);
    return absl::OkStatus();
  }

  void LoadFrom(Cache& cache) { cache.UpdateSnapshot(&snapshot_); }

  absl::StatusOr<Framework*> FrameworkFor(const Pod& pod) {
    const std::string& name = pod.spec().schedulername();
    auto it = frameworks_.find(name.empty() ? std::string(kDefaultSchedulerName) : name);
    if (it == frameworks_.end()) {
      return absl::NotFoundError(absl::StrCat("no scheduler profile named \"",
                                              name.empty() ? kDefaultSchedulerName : name,
                                              "\" (spec.schedulerName)"));
    }
    return it->second.get();
  }

  // PreFilter; fills cycle->nodes (narrowed) and `filters`.
  Status PreFilter(Framework& fw, CycleState& state, const PodInfo& pod, Cycle* c,
                   Filters* filters) {
    PreFilterResult pfr;
    Status s = fw.RunPreFilter(state, pod, &pfr, filters);
    if (!s.ok()) return s;
    if (!pfr.node_names) {
      c->nodes = snapshot_.List();
      return Status();
    }
    for (const NodeInfo* n : snapshot_.List()) {
      if (pfr.node_names->contains(n->name())) {
        c->narrowed.push_back(n);
      } else {
        c->narrowed_out.push_back(n);
      }
    }
    c->nodes = c->narrowed;
    return Status();
  }

  // Filters from `start` in round-robin order until `want` feasible nodes (or all when
  // `all`), as the scheduler does. Returns an error status if a plugin failed.
  Status FilterNodes(const CycleState& state, const PodInfo& pod, const Filters& filters,
                     uint64_t start_index, int want, bool all, Cycle* c) {
    const int n = static_cast<int>(c->nodes.size());
    if (all) c->statuses.assign(n, Status());
    if (n == 0) return Status();
    const int start = static_cast<int>(start_index % n);
    int feasible = 0;
    for (const NodeInfo* n2 : c->narrowed_out) {
      c->diagnosis.node_to_status.failed.push_back({n2, Status::Unresolvable(kNarrowedOut)});
    }
    bool sample_full = static_cast<int>(c->sample.size()) >= want;
    for (int i = 0; i < n; ++i) {
      if (sample_full && !all) break;
      const int idx = (start + i) % n;
      const NodeInfo* node = c->nodes[idx];
      Status s = Framework::RunFilter(filters, state, pod, *node);
      if (s.code() == Code::kError) return s;
      if (s.ok()) {
        ++feasible;
        if (!sample_full) c->sample.push_back(node);
      } else if (!sample_full) {
        c->diagnosis.unschedulable_plugins.insert(s.plugin());
        c->diagnosis.node_to_status.failed.push_back({node, all ? s : std::move(s)});
      }
      if (!sample_full) c->evaluated = i + 1;
      if (all) c->statuses[idx] = std::move(s);
      sample_full = static_cast<int>(c->sample.size()) >= want;
    }
    if (all) c->feasible_total = feasible;
    return Status();
  }

  Status Score(Framework& fw, CycleState& state, const PodInfo& pod,
               std::span<const NodeInfo* const> nodes, Scores* out) {
    for (const auto& p : fw.pre_score_plugins()) {
      Status s = p.plugin->PreScore(state, pod, nodes);
      if (s.IsSkip()) {
        state.skip_score_plugins().insert(p.name);
        continue;
      }
      if (!s.ok()) return s.WithPlugin(p.name);
    }
    const size_t n = nodes.size();
    out->totals.assign(n, 0);
    for (const auto& p : fw.score_plugins()) {
      if (state.skip_score_plugins().contains(p.name)) continue;
      std::vector<int64_t> raw(n, 0);
      for (size_t j = 0; j < n; ++j) {
        Status s = p.plugin->Score(state, pod, *nodes[j], &raw[j]);
        if (!s.ok()) return s.WithPlugin(p.name);
      }
      std::vector<int64_t> norm = raw;
      Status s = p.plugin->NormalizeScore(state, pod, std::span<int64_t>(norm));
      if (!s.ok()) return s.WithPlugin(p.name);
      for (size_t j = 0; j < n; ++j) {
        if (norm[j] < 0 || norm[j] > kMaxNodeScore) {
          return Status::Error(absl::StrCat("plugin ", p.name, " returns an invalid score ",
                                            norm[j], ", it should in the range of [0, 100]"))
              .WithPlugin(p.name);
        }
        out->totals[j] += norm[j] * p.weight;
      }
      out->plugins.push_back(p.name);
      out->weights.push_back(p.weight);
      out->raw.push_back(std::move(raw));
      out->normalized.push_back(std::move(norm));
    }
    return Status();
  }

  // The scheduler's choice among the sample: highest total, ties by reservoir sampling.
  static int Choose(const std::vector<int64_t>& totals, uint64_t* rng) {
    int best = 0, ties = 1;
    for (size_t i = 1; i < totals.size(); ++i) {
      if (totals[i] > totals[best]) {
        best = static_cast<int>(i);
        ties = 1;
      } else if (totals[i] == totals[best]) {
        ++ties;
        if (NextRandom(rng) % ties == 0) best = static_cast<int>(i);
      }
    }
    return best;
  }

  int32_t Percentage(const Framework& fw) const {
    return fw.percentage_of_nodes_to_score().value_or(options_.config.percentage_of_nodes_to_score);
  }

  // One full cycle. `all`: filter every node (explanations); otherwise stop like the
  // scheduler. `score_single`: score even a single feasible node (for display).
  absl::StatusOr<Cycle> RunCycle(Framework& fw, CycleState& state, const PodInfo& pod,
                                 uint64_t* start_index, uint64_t* rng, bool all, bool score_single,
                                 Filters* filters) {
    Cycle c;
    if (snapshot_.NumNodes() == 0) {
      c.pre_filter = Status::Error("no nodes available to schedule pods");
      return c;
    }
    c.pre_filter = PreFilter(fw, state, pod, &c, filters);
    if (!c.pre_filter.ok()) {
      if (c.pre_filter.code() == Code::kError) return ToAbsl(c.pre_filter);
      c.diagnosis.pre_filter_msg = c.pre_filter.Message();
      for (const NodeInfo* n : snapshot_.List())
        c.diagnosis.node_to_status.failed.push_back({n, c.pre_filter});
      return c;
    }
    const int n = static_cast<int>(c.nodes.size());
    const int want = options_.score_all_feasible ? n : NumFeasibleNodesToFind(Percentage(fw), n);
    Status s = FilterNodes(state, pod, *filters, *start_index, want, all, &c);
    if (!s.ok()) return ToAbsl(s);
    if (n > 0) *start_index = (*start_index % n + c.evaluated) % n;
    if (c.sample.empty()) return c;
    if (c.sample.size() == 1) {
      c.chosen = 0;
      if (!score_single) return c;
    }
    s = Score(fw, state, pod, c.sample, &c.scores);
    if (!s.ok()) return ToAbsl(s);
    if (c.sample.size() > 1) c.chosen = Choose(c.scores.totals, rng);
    return c;
  }

  NodeScore MakeNodeScore(const Cycle& c, int j, int rank) {
    NodeScore ns;
    ns.node = c.sample[j]->name();
    ns.rank = rank;
    ns.total = c.scores.totals.empty() ? 0 : c.scores.totals[j];
    for (size_t i = 0; i < c.scores.plugins.size(); ++i) {
      ns.plugins.push_back({c.scores.plugins[i], c.scores.raw[i][j], c.scores.normalized[i][j],
                            c.scores.weights[i], c.scores.normalized[i][j] * c.scores.weights[i]});
    }
    return ns;
  }

  // Sample indices, best first: by total, the chosen node first among equals, then order.
  std::vector<int> Ranking(const Cycle& c) {
    std::vector<int> idx(c.sample.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int>(i);
    auto total = [&](int i) { return c.scores.totals.empty() ? 0 : c.scores.totals[i]; };
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) {
      if (total(a) != total(b)) return total(a) > total(b);
      return a == c.chosen && b != c.chosen;
    });
    return idx;
  }

  absl::StatusOr<std::shared_ptr<const PodInfo>> Info(const Pod& pod) {
    absl::StatusOr<std::shared_ptr<const PodInfo>> info = PodInfo::Create(pod);
    if (!info.ok()) return absl::InvalidArgumentError(info.status().message());
    return info;
  }

  // ------------------------------------------------------------------------------------------

  absl::StatusOr<Explanation> Explain(const Pod& pod) {
    RUDDER_ASSIGN_OR_RETURN(Framework * fw, FrameworkFor(pod));
    RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<const PodInfo> info, Info(pod));
    CycleState state;
    Filters filters;
    uint64_t start = 0, rng = options_.seed;
    RUDDER_ASSIGN_OR_RETURN(Cycle c, RunCycle(*fw, state, *info, &start, &rng, /*all=*/true,
                                              /*score_single=*/true, &filters));
    Explanation e;
    e.pod = info->key();
    e.profile = fw->name();
    e.num_nodes = snapshot_.NumNodes();
    e.feasible_nodes = std::max(0, c.feasible_total);
    e.evaluated_nodes = c.evaluated;
    e.scored_nodes = static_cast<int>(c.sample.size());
    if (!c.pre_filter.ok()) {
      for (const auto& r : c.pre_filter.reasons()) e.reasons[r] = e.num_nodes;
      e.message = FitErrorMessage(e.num_nodes, c.diagnosis);
      return e;
    }
    if (!c.narrowed_out.empty()) e.reasons[kNarrowedOut] += c.narrowed_out.size();
    for (const Status& s : c.statuses) {
      for (const auto& r : s.reasons()) ++e.reasons[r];
    }
    if (c.sample.empty()) {
      e.message = FitErrorMessage(e.num_nodes, c.diagnosis);
      return e;
    }
    e.chosen_node = c.sample[c.chosen]->name();
    std::vector<int> order = Ranking(c);
    for (int k = 0; k < static_cast<int>(order.size()) && k < options_.top_n; ++k) {
      e.top.push_back(MakeNodeScore(c, order[k], k + 1));
    }
    return e;
  }

  absl::StatusOr<WhyNotResult> WhyNot(const Pod& pod, std::string_view node_name) {
    RUDDER_ASSIGN_OR_RETURN(Framework * fw, FrameworkFor(pod));
    RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<const PodInfo> info, Info(pod));
    const NodeInfo* node = snapshot_.Get(node_name);
    if (!node || !node->node()) {
      return absl::NotFoundError(absl::StrCat("node \"", AbslView(node_name), "\" not found"));
    }
    WhyNotResult w;
    w.pod = info->key();
    w.node = std::string(node_name);
    CycleState state;
    Filters filters;
    Cycle c;
    Status pf = PreFilter(*fw, state, *info, &c, &filters);
    if (pf.code() == Code::kError) return ToAbsl(pf);
    if (!pf.ok()) {
      w.first_failure = PluginVerdict{pf.plugin(), "PreFilter", pf.code(), pf.reasons()};
      w.failures.push_back(*w.first_failure);
      w.summary = absl::StrCat("PreFilter plugin ", pf.plugin(),
                               " rejects the pod for every node: ", pf.Message());
      return w;
    }
    bool narrowed = std::find(c.nodes.begin(), c.nodes.end(), node) == c.nodes.end();
    if (narrowed) {
      w.first_failure =
          PluginVerdict{"", "PreFilter", Code::kUnschedulableAndUnresolvable, {kNarrowedOut}};
    }
    for (const auto* f : filters) {
      Status s = f->plugin->Filter(state, *info, *node);
      if (s.code() == Code::kError) return ToAbsl(s.WithPlugin(f->name));
      if (!s.ok()) w.failures.push_back({f->name, "Filter", s.code(), s.reasons()});
    }
    if (!w.first_failure && !w.failures.empty()) w.first_failure = w.failures[0];
    if (w.first_failure) {
      const PluginVerdict& v = *w.first_failure;
      w.summary = absl::StrCat(
          "it does not fit: ", v.plugin.empty() ? std::string("PreFilter result") : v.plugin,
          " says \"", absl::StrJoin(v.reasons, ", "), "\"");
      if (w.failures.size() > 1) {
        std::vector<std::string> others;
        for (size_t i = 1; i < w.failures.size(); ++i) others.push_back(w.failures[i].plugin);
        absl::StrAppend(&w.summary, " (also failing: ", absl::StrJoin(others, ", "), ")");
      }
      return w;
    }
    w.fits = true;
    // Rank it among the nodes the scheduler would score.
    uint64_t start = 0, rng = options_.seed;
    CycleState st2;
    RUDDER_ASSIGN_OR_RETURN(Cycle c2,
                            RunCycle(*fw, st2, *info, &start, &rng, false, true, &filters));
    auto in_sample = [&](const Cycle& cy) {
      for (size_t j = 0; j < cy.sample.size(); ++j) {
        if (cy.sample[j] == node) return static_cast<int>(j);
      }
      return -1;
    };
    int j = in_sample(c2);
    if (j < 0) {
      w.outside_sample = true;
      Options saved = options_;
      options_.score_all_feasible = true;
      CycleState st3;
      start = 0;
      rng = options_.seed;
      absl::StatusOr<Cycle> c3 = RunCycle(*fw, st3, *info, &start, &rng, false, true, &filters);
      options_ = saved;
      if (!c3.ok()) return c3.status();
      c2 = *std::move(c3);
      j = in_sample(c2);
    }
    std::vector<int> order = Ranking(c2);
    int rank = 0;
    for (size_t k = 0; k < order.size(); ++k) {
      if (order[k] == j) rank = static_cast<int>(k) + 1;
    }
    w.rank = rank;
    w.scored_nodes = static_cast<int>(c2.sample.size());
    w.score = MakeNodeScore(c2, j, rank);
    w.best = MakeNodeScore(c2, order[0], 1);
    w.summary = absl::StrCat("it fits; it ranks #", rank, " of ", w.scored_nodes);
    if (w.outside_sample) {
      absl::StrAppend(&w.summary, " feasible nodes (the scheduler stops after ",
                      NumFeasibleNodesToFind(Percentage(*fw), static_cast<int>(c2.nodes.size())),
                      " feasible nodes and would not evaluate it)");
    }
    if (rank == 1) {
      absl::StrAppend(&w.summary, ": it is the best node (total ", w.score->total, ")");
    } else {
      std::vector<std::string> why;
      for (size_t i = 0; i < w.score->plugins.size(); ++i) {
        const PluginScore& mine = w.score->plugins[i];
        const PluginScore& theirs = w.best->plugins[i];
        if (mine.weighted < theirs.weighted) {
          why.push_back(absl::StrCat(mine.plugin, " ", mine.weighted, " vs ", theirs.weighted));
        }
      }
      absl::StrAppend(&w.summary, " because its total is ", w.score->total, " vs ", w.best->total,
                      " on ", w.best->node);
      if (!why.empty()) absl::StrAppend(&w.summary, " (", absl::StrJoin(why, ", "), ")");
      if (w.score->total == w.best->total) {
        absl::StrAppend(&w.summary, "; equal totals are broken by the seeded random choice");
      }
    }
    return w;
  }

  // ------------------------------------------------------------------------------------------
  // WhatWouldMakeItFit.

  // PDB budgets left, aligned with pdbs_.
  std::vector<int32_t> Budgets() const {
    std::vector<int32_t> b;
    for (const auto& p : pdbs_) b.push_back(p.status().disruptionsallowed());
    return b;
  }

  // True if evicting `pod` violates a PDB (consumes budgets).
  bool ViolatesPdb(const Pod& pod, std::vector<int32_t>* budgets) const {
    bool violates = false;
    for (size_t i = 0; i < pdbs_.size(); ++i) {
      const PodDisruptionBudget& pdb = pdbs_[i];
      if (pdb.metadata().namespace_() != pod.metadata().namespace_()) continue;
      auto sel = api::labels::LabelSelectorAsSelector(&pdb.spec().selector());
      if (!sel.ok() || sel->Empty()) continue;  // An empty selector matches nothing here.
      if (!sel->Matches(pod.metadata().labels())) continue;
      if (pdb.status().disruptedpods().contains(pod.metadata().name())) continue;
      if (--(*budgets)[i] < 0) violates = true;
    }
    return violates;
  }

  Status RunAll(const Filters& filters, const CycleState& state, const PodInfo& pod,
                const NodeInfo& node) {
    return Framework::RunFilter(filters, state, pod, node);
  }

  // Kubernetes' SelectVictimsOnNode: every lower-priority pod removed; if the pod then fits,
  // reprieve victims (PDB-violating first, most important first) while it still fits.
  std::optional<Suggestion> Preempt(Framework& fw, const CycleState& state, const PodInfo& pod,
                                    const Filters& filters, const NodeInfo& node) {
    std::vector<std::shared_ptr<const PodInfo>> potential;
    for (const auto& p : node.pods()) {
      if (p->priority() < pod.priority()) potential.push_back(p);
    }
    if (potential.empty()) return std::nullopt;
    NodeInfo copy = node;
    std::unique_ptr<CycleState> st = state.Clone();
    for (const auto& v : potential) {
      copy.RemovePod(v->uid(), copy.generation());
      if (!fw.RunPreFilterRemovePod(*st, pod, *v, copy).ok()) return std::nullopt;
    }
    if (!RunAll(filters, *st, pod, copy).ok()) return std::nullopt;
    std::stable_sort(potential.begin(), potential.end(),
                     [](const auto& a, const auto& b) { return a->priority() > b->priority(); });
    std::vector<int32_t> budgets = Budgets();
    std::vector<std::shared_ptr<const PodInfo>> violating, non_violating;
    for (const auto& v : potential) {
      (ViolatesPdb(v->pod(), &budgets) ? violating : non_violating).push_back(v);
    }
    Suggestion sug;
    sug.node = node.name();
    auto reprieve = [&](const std::shared_ptr<const PodInfo>& v, bool violates) -> bool {
      copy.AddPod(v, copy.generation());
      if (!fw.RunPreFilterAddPod(*st, pod, *v, copy).ok()) return false;
      if (RunAll(filters, *st, pod, copy).ok()) return true;
      copy.RemovePod(v->uid(), copy.generation());
      if (!fw.RunPreFilterRemovePod(*st, pod, *v, copy).ok()) return false;
      Change ch;
      ch.kind = ChangeKind::kPreemptPod;
      ch.pod = v->key();
      ch.priority = v->priority();
      ch.violates_pdb = violates;
      ch.description =
          absl::StrCat("preempt ", v->key(), " (priority ", v->priority(), ") on node ",
                       node.name(), violates ? ", violating its PodDisruptionBudget" : "");
      sug.changes.push_back(std::move(ch));
      if (violates) ++sug.pdb_violations;
      return true;
    };
    for (const auto& v : violating) {
      if (!reprieve(v, true)) return std::nullopt;
    }
    for (const auto& v : non_violating) {
      if (!reprieve(v, false)) return std::nullopt;
    }
    sug.verified = RunAll(filters, *st, pod, copy).ok();
    if (!sug.verified || sug.changes.empty()) return std::nullopt;
    return sug;
  }

  // Tolerations, labels, capacity and host-port holders that make the pod fit on `node`.
  std::optional<Suggestion> Reconfigure(Framework& fw, const CycleState& state, const PodInfo& pod,
                                        const Filters& filters, const NodeInfo& node,
                                        const std::map<std::string, Status>& failing) {
    Suggestion sug;
    sug.node = node.name();
    Pod new_pod = pod.pod();
    Node new_node = *node.node();
    bool pod_changed = false, node_changed = false;
    std::vector<std::shared_ptr<const PodInfo>> holders;
    if (failing.contains(plugins::kTaintToleration)) {
      for (const auto& taint : node.node()->spec().taints()) {
        if (taint.effect() != "NoSchedule" && taint.effect() != "NoExecute") continue;
        bool tolerated = false;
        for (const auto& t : pod.pod().spec().tolerations()) {
          tolerated = tolerated || plugins::ToleratesTaint(t, taint);
        }
        if (tolerated) continue;
        Change ch;
        ch.kind = ChangeKind::kAddToleration;
        ch.taint = taint;
        ch.description = absl::StrCat("tolerate taint ", TaintText(taint));
        sug.changes.push_back(std::move(ch));
        *new_pod.mutable_spec()->add_tolerations() = TolerationFor(taint);
        pod_changed = true;
      }
    }
    if (failing.contains(plugins::kNodeUnschedulable)) {
      api::core::v1::Taint taint;
      taint.set_key("node.kubernetes.io/unschedulable");
      taint.set_effect("NoSchedule");
      Change ch;
      ch.kind = ChangeKind::kAddToleration;
      ch.taint = taint;
      ch.description = absl::StrCat("tolerate taint ", TaintText(taint),
                                    " (the node is cordoned; or uncordon it)");
      sug.changes.push_back(std::move(ch));
      *new_pod.mutable_spec()->add_tolerations() = TolerationFor(taint);
      pod_changed = true;
    }
    if (failing.contains(plugins::kNodeAffinity)) {
      auto labels = LabelChanges(pod.pod(), *node.node());
      if (!labels) return std::nullopt;
      auto* m = new_node.mutable_metadata()->mutable_labels();
      for (const auto& [k, v] : *labels) {
        Change ch;
        ch.kind = v ? ChangeKind::kSetNodeLabel : ChangeKind::kRemoveNodeLabel;
        ch.label_key = k;
        if (v) {
          ch.label_value = *v;
          ch.description = absl::StrCat("label node ", node.name(), " with ", k, "=", *v);
          (*m)[k] = *v;
        } else {
          ch.description = absl::StrCat("remove label ", k, " from node ", node.name());
          m->erase(k);
        }
        sug.changes.push_back(std::move(ch));
        node_changed = true;
      }
    }
    if (failing.contains(plugins::kNodePorts)) {
      for (const auto& p : node.pods()) {
        bool clash = false;
        std::string port;
        for (const HostPort& want : pod.host_ports()) {
          for (const HostPort& have : p->host_ports()) {
            bool ip_clash = want.ip == have.ip || want.ip == "0.0.0.0" || have.ip == "0.0.0.0";
            if (want.port == have.port && want.protocol == have.protocol && ip_clash) {
              clash = true;
              port = absl::StrCat(want.protocol, "/", want.port);
            }
          }
        }
        if (!clash) continue;
        Change ch;
        ch.kind = ChangeKind::kFreeHostPort;
        ch.pod = p->key();
        ch.priority = p->priority();
        ch.description = absl::StrCat("move ", p->key(), " off node ", node.name(),
                                      ": it holds host port ", port);
        sug.changes.push_back(std::move(ch));
        holders.push_back(p);
      }
    }
    if (failing.contains(plugins::kNodeResourcesFit)) {
      Resource used = node.requested();
      for (const auto& h : holders) used.Sub(h->requests());
      const Resource& alloc = node.allocatable();
      const Resource& req = pod.requests();
      auto* a = new_node.mutable_status()->mutable_allocatable();
      auto need = [&](const std::string& name, int64_t want, int64_t have, int64_t cap) {
        if (want <= 0 || want + have <= cap) return;
        Change ch;
        ch.kind = ChangeKind::kAddCapacity;
        ch.resource = name;
        ch.amount = want + have - cap;
        ch.allocatable = cap;
        ch.description = absl::StrCat("add ", FormatAmount(name, ch.amount), " ", name, " to node ",
                                      node.name(), " (allocatable ", FormatAmount(name, cap),
                                      ", requested ", FormatAmount(name, have), ", the pod needs ",
                                      FormatAmount(name, want), ")");
        (*a)[name].set_string(QuantityText(name, cap + ch.amount));
        sug.changes.push_back(std::move(ch));
        node_changed = true;
      };
      int64_t pods_used = static_cast<int64_t>(node.pods().size() - holders.size());
      need("pods", 1, pods_used, alloc.allowed_pod_number);
      need("cpu", req.milli_cpu, used.milli_cpu, alloc.milli_cpu);
      need("memory", req.memory, used.memory, alloc.memory);
      need("ephemeral-storage", req.ephemeral_storage, used.ephemeral_storage,
           alloc.ephemeral_storage);
      for (const auto& [name, v] : req.scalar) {
        need(name, v, used.Scalar(name), alloc.Scalar(name));
      }
    }
    if (sug.changes.empty()) return std::nullopt;
    // Verify: re-run PreFilter for a changed pod, then every filter on the changed node.
    std::shared_ptr<const PodInfo> vpod;
    std::unique_ptr<CycleState> st;
    Filters vfilters;
    if (pod_changed) {
      auto vi = PodInfo::Create(new_pod);
      if (!vi.ok()) return std::nullopt;
      vpod = *vi;
      st = std::make_unique<CycleState>();
      PreFilterResult pfr;
      if (!fw.RunPreFilter(*st, *vpod, &pfr, &vfilters).ok()) return std::nullopt;
      if (pfr.node_names && !pfr.node_names->contains(node.name())) return std::nullopt;
    } else {
      st = state.Clone();
      vfilters = filters;
    }
    const PodInfo& p = vpod ? *vpod : pod;
    NodeInfo copy = node;
    if (node_changed) {
      if (!copy.SetNode(std::make_shared<const Node>(new_node), copy.generation()).ok()) {
        return std::nullopt;
      }
    }
    for (const auto& h : holders) {
      copy.RemovePod(h->uid(), copy.generation());
      if (!fw.RunPreFilterRemovePod(*st, p, *h, copy).ok()) return std::nullopt;
    }
    sug.verified = RunAll(vfilters, *st, p, copy).ok();
    if (!sug.verified) return std::nullopt;
    return sug;
  }

  absl::StatusOr<FitSuggestions> WhatWouldMakeItFit(const Pod& pod) {
    RUDDER_ASSIGN_OR_RETURN(Framework * fw, FrameworkFor(pod));
    RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<const PodInfo> info, Info(pod));
    FitSuggestions out;
    out.pod = info->key();
    CycleState state;
    Filters filters;
    Cycle c;
    if (snapshot_.NumNodes() == 0) {
      out.message = "0/0 nodes are available";
      return out;
    }
    Status pf = PreFilter(*fw, state, *info, &c, &filters);
    if (pf.code() == Code::kError) return ToAbsl(pf);
    if (!pf.ok()) {
      Diagnosis d;
      d.pre_filter_msg = pf.Message();
      out.message = FitErrorMessage(snapshot_.NumNodes(), d);
      return out;
    }
    Diagnosis d;
    for (const NodeInfo* n : c.narrowed_out) {
      d.node_to_status.failed.push_back({n, Status::Unresolvable(kNarrowedOut)});
    }
    std::vector<std::pair<const NodeInfo*, std::map<std::string, Status>>> failing_nodes;
    for (const NodeInfo* node : c.nodes) {
      std::map<std::string, Status> failing;
      Status first;
      for (const auto* f : filters) {
        Status s = f->plugin->Filter(state, *info, *node);
        if (s.code() == Code::kError) return ToAbsl(s.WithPlugin(f->name));
        if (!s.ok()) {
          if (first.ok()) first = s;
          failing.emplace(f->name, std::move(s));
        }
      }
      if (failing.empty()) {
        out.already_fits = true;
        return out;
      }
      d.node_to_status.failed.push_back({node, first});
      failing_nodes.push_back({node, std::move(failing)});
    }
    out.message = FitErrorMessage(snapshot_.NumNodes(), d);
    const bool may_preempt = pod.spec().preemptionpolicy() != "Never";
    struct Ranked {
      Suggestion s;
      int order = 0;
      int32_t max_victim_priority = 0;
      int64_t sum_victim_priority = 0;
    };
    std::vector<Ranked> all;
    int order = 0;
    for (const auto& [node, failing] : failing_nodes) {
      ++order;
      bool all_resolvable = true;
      for (const auto& [name, s] : failing) {
        all_resolvable = all_resolvable && s.code() == Code::kUnschedulable;
      }
      if (may_preempt && all_resolvable) {
        if (auto s = Preempt(*fw, state, *info, filters, *node)) {
          Ranked r;
          r.s = *std::move(s);
          r.order = order;
          r.max_victim_priority = INT32_MIN;
          for (const auto& ch : r.s.changes) {
            r.max_victim_priority = std::max(r.max_victim_priority, ch.priority);
            r.sum_victim_priority += static_cast<int64_t>(ch.priority) + INT32_MAX + 1;
          }
          all.push_back(std::move(r));
        }
      }
      if (auto s = Reconfigure(*fw, state, *info, filters, *node, failing)) {
        Ranked r;
        r.s = *std::move(s);
        r.order = order;
        all.push_back(std::move(r));
      }
    }
    for (auto& r : all) {
      r.s.cost = static_cast<int>(r.s.changes.size()) + 9 * r.s.pdb_violations;
    }
    auto kind = [](const Suggestion& s) {
      int k = 0;
      for (const auto& c : s.changes) k = std::max(k, KindRank(c.kind));
      return k;
    };
    // Capacity added relative to what the node has (smaller growth first).
    auto growth = [](const Suggestion& s) {
      double g = 0;
      for (const auto& c : s.changes) {
        if (c.kind == ChangeKind::kAddCapacity) {
          g += static_cast<double>(c.amount) /
               static_cast<double>(std::max<int64_t>(1, c.allocatable));
        }
      }
      return g;
    };
    std::stable_sort(all.begin(), all.end(), [&](const Ranked& a, const Ranked& b) {
      if (a.s.cost != b.s.cost) return a.s.cost < b.s.cost;
      if (kind(a.s) != kind(b.s)) return kind(a.s) < kind(b.s);
      if (a.s.pdb_violations != b.s.pdb_violations) return a.s.pdb_violations < b.s.pdb_violations;
      if (a.max_victim_priority != b.max_victim_priority)
        return a.max_victim_priority < b.max_victim_priority;
      if (a.sum_victim_priority != b.sum_victim_priority)
        return a.sum_victim_priority < b.sum_victim_priority;
      if (growth(a.s) != growth(b.s)) return growth(a.s) < growth(b.s);
      return a.order < b.order;
    });
    // Merge suggestions that make the same pod-side or label changes on different nodes.
    std::map<std::string, size_t> by_signature;
    for (auto& r : all) {
      bool mergeable = true;
      std::string sig;
      for (const auto& ch : r.s.changes) {
        switch (ch.kind) {
          case ChangeKind::kAddToleration:
            absl::StrAppend(&sig, "t", TaintText(ch.taint), ";");
            break;
          case ChangeKind::kSetNodeLabel:
          case ChangeKind::kRemoveNodeLabel:
            absl::StrAppend(&sig, "l", ch.label_key, "=",
                            ch.kind == ChangeKind::kSetNodeLabel ? ch.label_value : "-", ";");
            break;
          default:
            mergeable = false;
        }
      }
      if (mergeable) {
        auto it = by_signature.find(sig);
        if (it != by_signature.end()) {
          ++out.suggestions[it->second].other_nodes;
          continue;
        }
        if (static_cast<int>(out.suggestions.size()) >= options_.max_suggestions) continue;
        by_signature[sig] = out.suggestions.size();
      } else if (static_cast<int>(out.suggestions.size()) >= options_.max_suggestions) {
        continue;
      }
      out.suggestions.push_back(std::move(r.s));
    }
    for (Suggestion& s : out.suggestions) {
      std::vector<std::string> parts;
      for (const auto& ch : s.changes) parts.push_back(ch.description);
      s.summary = absl::StrJoin(parts, "; ");
      if (s.other_nodes > 0) {
        absl::StrAppend(&s.summary, " (the same works on ", s.other_nodes, " other node(s))");
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------

  absl::StatusOr<SimulationResult> Simulate(const std::vector<Pod>& pods) {
    SimulationResult out;
    struct Item {
      std::unique_ptr<QueuedPodInfo> q;
      size_t index;
    };
    std::vector<Item> items;
    absl::Time t0 = absl::UnixEpoch();
    for (size_t i = 0; i < pods.size(); ++i) {
      absl::StatusOr<std::shared_ptr<const PodInfo>> info = PodInfo::Create(pods[i]);
      if (!info.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("pods[", i, "]: ", info.status().message()));
      }
      auto q = std::make_unique<QueuedPodInfo>();
      q->pod_info = *info;
      q->timestamp = t0 + absl::Nanoseconds(static_cast<int64_t>(i));
      q->initial_attempt_timestamp = absl::InfinitePast();
      items.push_back({std::move(q), i});
    }
    const QueueSortPlugin* qs = first_->queue_sort().plugin;
    std::stable_sort(items.begin(), items.end(),
                     [&](const Item& a, const Item& b) { return qs->Less(*a.q, *b.q); });
    uint64_t start = 0, rng = options_.seed;
    for (const Item& it : items) {
      const PodInfo& pod = *it.q->pod_info;
      Placement pl;
      pl.pod = pod.key();
      absl::StatusOr<Framework*> fw = FrameworkFor(pod.pod());
      if (!fw.ok()) {
        pl.message = std::string(fw.status().message());
        ++out.unschedulable;
        out.placements.push_back(std::move(pl));
        continue;
      }
      own_cache_->UpdateSnapshot(&snapshot_);
      CycleState state;
      Filters filters;
      RUDDER_ASSIGN_OR_RETURN(Cycle c,
                              RunCycle(**fw, state, pod, &start, &rng, false, false, &filters));
      if (!c.pre_filter.ok() || c.sample.empty()) {
        pl.message = c.pre_filter.code() == Code::kError
                         ? c.pre_filter.Message()
                         : FitErrorMessage(snapshot_.NumNodes(), c.diagnosis);
        ++out.unschedulable;
        out.placements.push_back(std::move(pl));
        continue;
      }
      pl.node = c.sample[c.chosen]->name();
      Pod bound = pod.pod();
      bound.mutable_spec()->set_nodename(pl.node);
      absl::StatusOr<std::shared_ptr<const PodInfo>> bi = PodInfo::Create(bound);
      if (!bi.ok()) return bi.status();
      absl::Status s = own_cache_->AddPod(*bi);
      if (!s.ok()) return absl::Status(s.code(), absl::StrCat(pl.pod, ": ", s.message()));
      ++out.scheduled;
      out.bound.push_back(std::move(bound));
      out.placements.push_back(std::move(pl));
    }
    return out;
  }

  Options options_;
  std::unique_ptr<PluginRegistry> owned_registry_;
  sched::Snapshot snapshot_;
  SnapshotHandle handle_;
  std::unique_ptr<Cache> own_cache_;
  std::map<std::string, std::unique_ptr<Framework>> frameworks_;
  Framework* first_ = nullptr;
  std::vector<PodDisruptionBudget> pdbs_;
};

// ---------------------------------------------------------------------------------------------

Explainer::Explainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Explainer::~Explainer() = default;

absl::StatusOr<std::unique_ptr<Explainer>> Explainer::FromObjects(const ClusterObjects& cluster,
                                                                  Options options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  RUDDER_RETURN_IF_ERROR(impl->Init());
  RUDDER_RETURN_IF_ERROR(impl->Load(cluster.nodes, cluster.pods));
  impl->pdbs_ = cluster.pdbs;
  return std::unique_ptr<Explainer>(new Explainer(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Explainer>> Explainer::FromCache(
    Cache& cache, Options options, std::vector<PodDisruptionBudget> pdbs) {
  auto impl = std::make_unique<Impl>(std::move(options));
  RUDDER_RETURN_IF_ERROR(impl->Init());
  impl->LoadFrom(cache);
  impl->pdbs_ = std::move(pdbs);
  return std::unique_ptr<Explainer>(new Explainer(std::move(impl)));
}

absl::StatusOr<Explanation> Explainer::Explain(const Pod& pod) { return impl_->Explain(pod); }
absl::StatusOr<WhyNotResult> Explainer::WhyNot(const Pod& pod, std::string_view node) {
  return impl_->WhyNot(pod, node);
}
absl::StatusOr<FitSuggestions> Explainer::WhatWouldMakeItFit(const Pod& pod) {
  return impl_->WhatWouldMakeItFit(pod);
}
int Explainer::NumNodes() const { return impl_->snapshot_.NumNodes(); }

absl::StatusOr<SimulationResult> Simulate(const std::vector<Node>& nodes,
                                          const std::vector<Pod>& existing,
                                          const std::vector<Pod>& pods, const Options& options) {
  Explainer::Impl impl(options);
  RUDDER_RETURN_IF_ERROR(impl.Init());
  RUDDER_RETURN_IF_ERROR(impl.Load(nodes, existing));
  return impl.Simulate(pods);
}

}  // namespace rudder::sched::explain
