#include "lib/sched/plugins/defaultpreemption.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/api/labels/label_selector_proto.h"

namespace rudder::sched::plugins {
namespace {

using PDB = api::policy::v1::PodDisruptionBudget;

constexpr char kNoVictims[] = "No preemption victims found for incoming pod";
constexpr char kNotHelpful[] = "Preemption is not helpful for scheduling";

// Start time in nanoseconds; pods without one count as started last.
int64_t StartTime(const Pod& p) {
  if (!p.status().has_starttime()) return std::numeric_limits<int64_t>::max();
  return p.status().starttime().seconds() * 1000000000 + p.status().starttime().nanos();
}

// Kubernetes' MoreImportantPod: higher priority, then earlier start; the key breaks ties so
// the order is total.
bool MoreImportant(const PodInfo& a, const PodInfo& b) {
  if (a.priority() != b.priority()) return a.priority() > b.priority();
  int64_t sa = StartTime(a.pod()), sb = StartTime(b.pod());
  if (sa != sb) return sa < sb;
  return a.key() < b.key();
}

bool TerminatingByPreemption(const Pod& p) {
  if (!p.metadata().has_deletiontimestamp()) return false;
  for (const auto& c : p.status().conditions()) {
    if (c.type() == "DisruptionTarget" && c.reason() == "PreemptionByScheduler" &&
        c.status() == "True") {
      return true;
    }
  }
  return false;
}

struct CompiledPDB {
  std::string ns;
  api::labels::Selector selector;
  int32_t allowed = 0;
  const PDB* pdb = nullptr;
};

struct Candidate {
  const NodeInfo* node = nullptr;
  std::vector<std::shared_ptr<const PodInfo>> victims;  // most important first
  int violations = 0;
};

class DefaultPreemptionPlugin : public PostFilterPlugin {
 public:
  DefaultPreemptionPlugin(Handle* h, int64_t pct, int64_t abs)
      : handle_(h), min_pct_(pct), min_abs_(abs) {}
  std::string_view Name() const override { return kDefaultPreemption; }

  Status PostFilter(CycleState& state, const PodInfo& pod, const NodeToStatus& filtered,
                    PostFilterResult* result) override {
    const Pod& p = pod.pod();
    if (p.spec().preemptionpolicy() == "Never") {
      return Status::Unschedulable("preemption: not eligible due to preemptionPolicy=Never.");
    }
    const NodeInfoLister& snapshot = handle_->Snapshot();
    const std::string& nominated = p.status().nominatednodename();
    if (!nominated.empty()) {
      bool unresolvable = false;
      for (const auto& [n, s] : filtered.failed) {
        if (n->name() == nominated) unresolvable = s.code() == Code::kUnschedulableAndUnresolvable;
      }
      const NodeInfo* n = snapshot.Get(nominated);
      if (!unresolvable && n) {
        for (const auto& other : n->pods()) {
          if (other->priority() < pod.priority() && TerminatingByPreemption(other->pod())) {
            return Status::Unschedulable(
                "preemption: not eligible due to a terminating pod on the nominated node.");
          }
        }
      }
    }

    const int num_all = static_cast<int>(snapshot.List().size());
    std::map<std::string, int> reasons;  // why nodes are not candidates
    std::vector<const NodeInfo*> potential;
    for (const auto& [n, s] : filtered.failed) {
      if (s.code() == Code::kUnschedulable) {
        potential.push_back(n);
      } else {
        ++reasons[kNotHelpful];
      }
    }
    if (potential.empty()) return Fail(num_all, reasons);

    std::vector<CompiledPDB> pdbs;
    if (ClusterAccess* c = handle_->cluster()) {
      for (const auto& pdb : c->ListPDBs()) {
        absl::StatusOr<api::labels::Selector> sel = api::labels::LabelSelectorAsSelector(
            pdb->spec().has_selector() ? &pdb->spec().selector() : nullptr);
        if (!sel.ok()) continue;
        pdbs.push_back({pdb->metadata().namespace_(), *std::move(sel),
                        pdb->status().disruptionsallowed(), pdb.get()});
      }
    }

    const int64_t n = static_cast<int64_t>(potential.size());
    int64_t want = std::max(n * min_pct_ / 100, min_abs_);
    want = std::min(want, n);
    // The dry run runs in parallel chunks of nodes, claimed in order; no chunk is claimed
    // once the finished ones hold `want` non-violating candidates, so the chunks that ran are a
    // prefix. Walking it in order below gives what a node-by-node run would.
    std::vector<Candidate> results(potential.size());
    std::vector<Status> statuses(potential.size());
    constexpr int kChunk = 4;
    const int num = static_cast<int>(potential.size());
    std::atomic<int64_t> found{0};
    std::atomic<bool> stop{false};
    handle_->Parallelize(
        (num + kChunk - 1) / kChunk,
        [&](int chunk) {
          int64_t local = 0;
          for (int i = chunk * kChunk; i < std::min(num, (chunk + 1) * kChunk); ++i) {
            statuses[i] = SelectVictimsOnNode(state, pod, *potential[i], pdbs, &results[i]);
            if (statuses[i].ok() && results[i].violations == 0) ++local;
          }
          if (found.fetch_add(local) + local >= want) stop.store(true);
        },
        &stop);
    std::vector<Candidate> candidates;
    int64_t non_violating = 0;
    for (int i = 0; i < num; ++i) {
      const Status& s = statuses[i];
      if (s.code() == Code::kError) return s;
      if (!s.ok()) {
        for (const auto& r : s.reasons()) ++reasons[r];
        continue;
      }
      if (results[i].violations == 0) ++non_violating;
      candidates.push_back(std::move(results[i]));
      if (non_violating >= want) break;
    }
    if (candidates.empty()) return Fail(num_all, reasons);

    const Candidate& best = candidates[Pick(candidates)];
    ClusterAccess* cluster = handle_->cluster();
    if (!cluster) {
      std::vector<std::string> names;
      for (const auto& v : best.victims) names.push_back(v->key());
      return Status::Unschedulable(absl::StrCat(
          "preemption: would preempt ", best.victims.size(), " pod(s) on node ", best.node->name(),
          " (", absl::StrJoin(names, ", "), "); no cluster access to evict them."));
    }
    for (const auto& v : best.victims) {
      bool waiting = false;
      handle_->WithWaitingPod(v->uid(), [&](WaitingPod* w) {
        if (w) {
          waiting = true;
          w->Reject(kDefaultPreemption, "preempted");
        }
      });
      if (waiting) continue;
      absl::Status es = cluster->EvictVictim(v->pod(), p);
      if (!es.ok() && !absl::IsNotFound(es)) {
        return Status::Error(absl::StrCat("preemption: evicting ", v->key(), ": ", es.message()));
      }
    }
    result->nominated_node_name = best.node->name();
    return Status();
  }

 private:
  static Status Fail(int num_all, const std::map<std::string, int>& reasons) {
    std::vector<std::string> parts;
    for (const auto& [r, count] : reasons) parts.push_back(absl::StrCat(count, " ", r));
    std::sort(parts.begin(), parts.end());
    std::string msg = absl::StrCat("preemption: 0/", num_all, " nodes are available");
    if (!parts.empty()) absl::StrAppend(&msg, ": ", absl::StrJoin(parts, ", "));
    msg += ".";
    return Status::Unschedulable(std::move(msg));
  }

  // Splits `pods` (most important first) into those whose eviction would violate a PDB and
  // the others (Kubernetes' filterPodsWithPDBViolation), keeping the order.
  static void SplitByPDB(const std::vector<std::shared_ptr<const PodInfo>>& pods,
                         const std::vector<CompiledPDB>& pdbs,
                         std::vector<std::shared_ptr<const PodInfo>>* violating,
                         std::vector<std::shared_ptr<const PodInfo>>* others) {
    std::vector<int32_t> allowed;
    for (const auto& b : pdbs) allowed.push_back(b.allowed);
    for (const auto& pi : pods) {
      const Pod& p = pi->pod();
      bool violated = false;
      if (!p.metadata().labels().empty()) {
        for (size_t i = 0; i < pdbs.size(); ++i) {
          const CompiledPDB& b = pdbs[i];
          if (b.ns != p.metadata().namespace_()) continue;
          if (b.selector.Empty() || !b.selector.Matches(p.metadata().labels())) continue;
          if (b.pdb->status().disruptedpods().contains(p.metadata().name())) continue;
          if (--allowed[i] < 0) violated = true;
        }
      }
      (violated ? violating : others)->push_back(pi);
    }
  }

  Status SelectVictimsOnNode(const CycleState& cycle_state, const PodInfo& pod,
                             const NodeInfo& original, const std::vector<CompiledPDB>& pdbs,
                             Candidate* out) {
    NodeInfo node = original;
    std::unique_ptr<CycleState> state = cycle_state.Clone();
    std::vector<std::shared_ptr<const PodInfo>> potential;
    for (const auto& pi : original.pods()) {
      if (pi->priority() < pod.priority()) potential.push_back(pi);
    }
    if (potential.empty()) return Status::Unresolvable(kNoVictims);
    for (const auto& pi : potential) {
      node.RemovePod(pi->uid(), node.generation());
      Status s = handle_->RunPreFilterExtensionRemovePod(*state, pod, *pi, node);
      if (!s.ok()) return s;
    }
    Status fits = handle_->RunFilterPluginsWithNominatedPods(*state, pod, node);
    if (!fits.ok()) return fits;
    std::sort(potential.begin(), potential.end(),
              [](const auto& a, const auto& b) { return MoreImportant(*a, *b); });
    std::vector<std::shared_ptr<const PodInfo>> violating, others;
    SplitByPDB(potential, pdbs, &violating, &others);
    auto reprieve = [&](const std::shared_ptr<const PodInfo>& pi, bool counts) -> Status {
      node.AddPod(pi, node.generation());
      Status s = handle_->RunPreFilterExtensionAddPod(*state, pod, *pi, node);
      if (!s.ok()) return s;
      Status f = handle_->RunFilterPluginsWithNominatedPods(*state, pod, node);
      if (f.code() == Code::kError) return f;
      if (!f.ok()) {
        node.RemovePod(pi->uid(), node.generation());
        s = handle_->RunPreFilterExtensionRemovePod(*state, pod, *pi, node);
        if (!s.ok()) return s;
        out->victims.push_back(pi);
        if (counts) ++out->violations;
      }
      return Status();
    };
    for (const auto& pi : violating) {
      Status s = reprieve(pi, true);
      if (!s.ok()) return s;
    }
    for (const auto& pi : others) {
      Status s = reprieve(pi, false);
      if (!s.ok()) return s;
    }
    if (out->victims.empty()) {
      return Status::Error(
          absl::StrCat("expected at least one victim pod on node ", original.name()));
    }
    std::sort(out->victims.begin(), out->victims.end(),
              [](const auto& a, const auto& b) { return MoreImportant(*a, *b); });
    out->node = &original;
    return Status();
  }

  // Kubernetes' pickOneNodeForPreemption over `cs` (non-empty); returns an index.
  static size_t Pick(const std::vector<Candidate>& cs) {
    std::vector<size_t> idx(cs.size());
    for (size_t i = 0; i < cs.size(); ++i) idx[i] = i;
    auto keep_min = [&](auto key) {
      auto best = key(cs[idx[0]]);
      for (size_t i : idx) best = std::min(best, key(cs[i]));
      std::erase_if(idx, [&](size_t i) { return key(cs[i]) != best; });
    };
    keep_min([](const Candidate& c) { return static_cast<int64_t>(c.violations); });
    keep_min([](const Candidate& c) { return static_cast<int64_t>(c.victims[0]->priority()); });
    keep_min([](const Candidate& c) {
      int64_t sum = 0;
      for (const auto& v : c.victims) {
        sum += static_cast<int64_t>(v->priority()) + std::numeric_limits<int32_t>::max() + 1;
      }
      return sum;
    });
    keep_min([](const Candidate& c) { return static_cast<int64_t>(c.victims.size()); });
    // Latest "earliest start time among the highest-priority victims".
    keep_min([](const Candidate& c) {
      int64_t earliest = std::numeric_limits<int64_t>::max();
      for (const auto& v : c.victims) {
        if (v->priority() == c.victims[0]->priority())
          earliest = std::min(earliest, StartTime(v->pod()));
      }
      return -earliest;
    });
    return idx[0];
  }

  Handle* handle_;
  int64_t min_pct_;
  int64_t min_abs_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Plugin>> NewDefaultPreemption(const ConfigValue& args,
                                                             Handle* handle) {
  int64_t pct = 10, abs = 100;
  if (const ConfigValue* v = args.Find("minCandidateNodesPercentage"); v && !v->is_null()) {
    absl::StatusOr<int64_t> i = v->AsInt("minCandidateNodesPercentage");
    if (!i.ok()) return i.status();
    if (*i < 0 || *i > 100) {
      return absl::InvalidArgumentError(absl::StrCat(
          "minCandidateNodesPercentage: Invalid value: ", *i, ": not in valid range [0, 100]"));
    }
    pct = *i;
  }
  if (const ConfigValue* v = args.Find("minCandidateNodesAbsolute"); v && !v->is_null()) {
    absl::StatusOr<int64_t> i = v->AsInt("minCandidateNodesAbsolute");
    if (!i.ok()) return i.status();
    if (*i < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "minCandidateNodesAbsolute: Invalid value: ", *i, ": not in valid range [0, inf)"));
    }
    abs = *i;
  }
  if (pct == 0 && abs == 0) {
    return absl::InvalidArgumentError(
        "minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as "
        "minCandidateNodesAbsolute");
  }
  return std::unique_ptr<Plugin>(new DefaultPreemptionPlugin(handle, pct, abs));
}

}  // namespace rudder::sched::plugins
