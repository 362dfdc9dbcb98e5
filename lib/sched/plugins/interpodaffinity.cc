#include "lib/sched/plugins/interpodaffinity.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "lib/api/labels/label_selector_proto.h"
#include "lib/base/mutex.h"
#include "lib/sched/internal/affinity_index.h"

namespace rudder::sched::plugins {
namespace {

constexpr char kErrAffinity[] = "node(s) didn't match pod affinity rules";
constexpr char kErrAntiAffinity[] = "node(s) didn't match pod anti-affinity rules";
constexpr char kErrExistingAntiAffinity[] =
    "node(s) didn't satisfy existing pods anti-affinity rules";

using internal::AffinityTerm;
using Term = internal::AffinityTerm;
using PodTerms = internal::PodAffinityTerms;
using internal::HasPodAffinity;

PodTerms CompilePodTerms(const Pod& pod) { return internal::CompilePodAffinityTerms(pod); }

// True if the pod has preferred pod affinity or anti-affinity terms.
bool HasPreferredTerms(const Pod& pod) {
  if (!HasPodAffinity(pod)) return false;
  const auto& a = pod.spec().affinity();
  return (a.has_podaffinity() &&
          a.podaffinity().preferredduringschedulingignoredduringexecution_size() > 0) ||
         (a.has_podantiaffinity() &&
          a.podantiaffinity().preferredduringschedulingignoredduringexecution_size() > 0);
}

const std::string* NodeLabel(const NodeInfo& node, const std::string& key) {
  if (!node.node()) return nullptr;
  const auto& labels = node.node()->metadata().labels();
  auto it = labels.find(key);
  return it == labels.end() ? nullptr : &it->second;
}

// Pod counts per topology domain: topologyKey -> node label value -> count. Lookups by the
// node's own label strings allocate nothing.
class TopologyCounts {
 public:
  void Add(const std::string& key, const std::string& value, int64_t delta) {
    counts_[key][value] += delta;
  }
  int64_t Get(const std::string& key, const std::string& value) const {
    auto k = counts_.find(key);
    if (k == counts_.end()) return 0;
    auto v = k->second.find(value);
    return v == k->second.end() ? 0 : v->second;
  }
  bool empty() const { return counts_.empty(); }
  // True if any domain holds a positive count.
  bool AnyPositive() const {
    for (const auto& [k, values] : counts_) {
      for (const auto& [v, c] : values) {
        if (c > 0) return true;
      }
    }
    return false;
  }
  // True if the node's domain for any counted key holds a positive count.
  bool AnyPositiveOn(const Node& node) const {
    const auto& labels = node.metadata().labels();
    for (const auto& [k, values] : counts_) {
      auto l = labels.find(k);
      if (l == labels.end()) continue;
      auto v = values.find(l->second);
      if (v != values.end() && v->second > 0) return true;
    }
    return false;
  }

 private:
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int64_t>> counts_;
};

class IPAState : public StateData {
 public:
  std::unique_ptr<StateData> Clone() const override { return std::make_unique<IPAState>(*this); }
  PodTerms terms;  // the incoming pod's
  // Existing pods matching every required affinity term, per topology pair.
  TopologyCounts affinity_counts;
  // Existing pods matching any anti-affinity term (counted per term), per topology pair.
  TopologyCounts anti_affinity_counts;
  // Existing pods whose required anti-affinity terms match the incoming pod, per pair.
  TopologyCounts existing_anti_affinity_counts;
};

class IPAScoreState : public StateData {
 public:
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<IPAScoreState>(*this);
  }
  // topologyKey -> value -> score.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int64_t>> scores;
};

const StateKey& PreFilterKey() {
  static const StateKey k("PreFilterInterPodAffinity");
  return k;
}
const StateKey& PreScoreKey() {
  static const StateKey k("PreScoreInterPodAffinity");
  return k;
}

class InterPodAffinityPlugin : public PreFilterPlugin,
                               public PreFilterExtensions,
                               public FilterPlugin,
                               public PreScorePlugin,
                               public ScorePlugin,
                               public EnqueueExtensions {
 public:
  InterPodAffinityPlugin(Handle* h, NamespaceLabelLookup lookup, int64_t hard_weight)
      : handle_(h), ns_lookup_(std::move(lookup)), hard_weight_(hard_weight) {}
  std::string_view Name() const override { return kInterPodAffinity; }

  // The compiled terms of an existing pod, computed once per PodInfo. Thread-safe.
  std::shared_ptr<const PodTerms> TermsOf(const std::shared_ptr<const PodInfo>& p) const {
    MutexLock l(&mu_);
    auto it = cache_.find(p.get());
    if (it != cache_.end() && it->second.first.lock() == p) return it->second.second;
    if (cache_.size() >= next_prune_) {
      absl::erase_if(cache_, [](const auto& e) { return e.second.first.expired(); });
      next_prune_ = std::max<size_t>(1024, 2 * cache_.size());
    }
    auto terms = std::make_shared<const PodTerms>(CompilePodTerms(p->pod()));
    cache_[p.get()] = {p, terms};
    return terms;
  }

  bool Matches(const Term& t, const Pod& pod) const {
    const std::string& ns = pod.metadata().namespace_();
    bool ns_ok = t.all_namespaces || t.namespaces.contains(ns);
    if (!ns_ok && t.ns_selector && ns_lookup_) {
      const auto* labels = ns_lookup_(ns);
      ns_ok = labels && t.ns_selector->Matches(*labels);
    }
    return ns_ok && t.selector.Matches(pod.metadata().labels());
  }
  bool MatchesAll(const std::vector<Term>& terms, const Pod& pod) const {
    for (const Term& t : terms)
      if (!Matches(t, pod)) return false;
    return true;
  }

  // Adds `sign` times the contribution of `existing` on `node` to the filter counts.
  // `shared` is the existing pod's shared PodInfo when known (its terms are cached).
  void Update(IPAState* s, const Pod& incoming, const PodInfo& info,
              const std::shared_ptr<const PodInfo>* shared, const NodeInfo& node,
              int64_t sign) const {
    const Pod& existing = info.pod();
    if (!node.node()) return;
    if (!s->terms.affinity.empty() && MatchesAll(s->terms.affinity, existing)) {
      for (const Term& t : s->terms.affinity) {
        if (const std::string* v = NodeLabel(node, t.topology_key))
          s->affinity_counts.Add(t.topology_key, *v, sign);
      }
    }
    for (const Term& t : s->terms.anti_affinity) {
      if (!Matches(t, existing)) continue;
      if (const std::string* v = NodeLabel(node, t.topology_key))
        s->anti_affinity_counts.Add(t.topology_key, *v, sign);
    }
    if (HasPodAffinity(existing) && existing.spec().affinity().has_podantiaffinity() &&
        existing.spec()
                .affinity()
                .podantiaffinity()
                .requiredduringschedulingignoredduringexecution_size() > 0) {
      std::shared_ptr<const PodTerms> et =
          shared ? TermsOf(*shared) : std::make_shared<const PodTerms>(CompilePodTerms(existing));
      for (const Term& t : et->anti_affinity) {
        if (!Matches(t, incoming)) continue;
        if (const std::string* v = NodeLabel(node, t.topology_key))
          s->existing_anti_affinity_counts.Add(t.topology_key, *v, sign);
      }
    }
  }

  Status PreFilter(CycleState& state, const PodInfo& pod, PreFilterResult*) override {
    const NodeInfoLister& snapshot = handle_->Snapshot();
    // Nothing to check: the pod has no pod (anti-)affinity and no existing pod has required
    // anti-affinity (the index counts them). Skipped without building any state.
    if (const internal::AffinityIndex* index = snapshot.affinity_index();
        index && !HasPodAffinity(pod.pod()) && index->NumPodsWithRequiredAntiAffinity() == 0) {
      return Status::Skip();
    }
    auto s = std::make_unique<IPAState>();
    s->terms = CompilePodTerms(pod.pod());
    if (const internal::AffinityIndex* index = snapshot.affinity_index()) {
      IndexedPreFilter(*index, snapshot, pod.pod(), s.get());
    } else {
      for (const NodeInfo* n : snapshot.List()) {
        for (const auto& p : n->pods()) Update(s.get(), pod.pod(), *p, &p, *n, 1);
      }
    }
    const bool nothing = s->terms.affinity.empty() && s->terms.anti_affinity.empty() &&
                         s->existing_anti_affinity_counts.empty();
    state.Write(PreFilterKey(), std::move(s));
    return nothing ? Status::Skip() : Status();
  }

  // PreFilter's counts through the snapshot's index: existing anti-affinity terms anchored on
  // the incoming pod's labels (or without anchor), and for the incoming pod's own terms the
  // pods carrying the term's anchor label (every pod only for terms without one).
  void IndexedPreFilter(const internal::AffinityIndex& index, const NodeInfoLister& snapshot,
                        const Pod& incoming, IPAState* s) const {
    if (index.NumPodsWithRequiredAntiAffinity() > 0) {
      index.ForEachAntiAffinityTermFor(
          incoming.metadata().labels(), [&](const Term& t, const NodeInfo& n) {
            if (!Matches(t, incoming)) return;
            if (const std::string* v = NodeLabel(n, t.topology_key))
              s->existing_anti_affinity_counts.Add(t.topology_key, *v, 1);
          });
    }
    auto for_each_candidate = [&](const std::string& anchor, const auto& fn) {
      if (!anchor.empty()) {
        index.ForEachPodWithLabel(anchor, [&](const PodInfo& p, const NodeInfo& n) {
          if (n.node()) fn(p.pod(), n);
        });
        return;
      }
      for (const NodeInfo* n : snapshot.List()) {
        for (const auto& p : n->pods()) fn(p->pod(), *n);
      }
    };
    if (!s->terms.affinity.empty()) {
      std::string anchor;
      for (const Term& t : s->terms.affinity) {
        if (!t.anchor.empty()) {
          anchor = t.anchor;
          break;
        }
      }
      for_each_candidate(anchor, [&](const Pod& e, const NodeInfo& n) {
        if (!MatchesAll(s->terms.affinity, e)) return;
        for (const Term& t : s->terms.affinity) {
          if (const std::string* v = NodeLabel(n, t.topology_key))
            s->affinity_counts.Add(t.topology_key, *v, 1);
        }
      });
    }
    for (const Term& t : s->terms.anti_affinity) {
      for_each_candidate(t.anchor, [&](const Pod& e, const NodeInfo& n) {
        if (!Matches(t, e)) return;
        if (const std::string* v = NodeLabel(n, t.topology_key))
          s->anti_affinity_counts.Add(t.topology_key, *v, 1);
      });
    }
  }

  PreFilterExtensions* Extensions() override { return this; }
  Status AddPod(CycleState& state, const PodInfo& pod, const PodInfo& add,
                const NodeInfo& node) override {
    auto* s = static_cast<IPAState*>(state.ReadMutable(PreFilterKey()));
    if (!s) return Status::Error("InterPodAffinity: no PreFilter state");
    Update(s, pod.pod(), add, nullptr, node, 1);
    return Status();
  }
  Status RemovePod(CycleState& state, const PodInfo& pod, const PodInfo& remove,
                   const NodeInfo& node) override {
    auto* s = static_cast<IPAState*>(state.ReadMutable(PreFilterKey()));
    if (!s) return Status::Error("InterPodAffinity: no PreFilter state");
    Update(s, pod.pod(), remove, nullptr, node, -1);
    return Status();
  }

  Status Filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) override {
    const auto* s = state.Get<IPAState>(PreFilterKey());
    if (!s) return Status::Error("InterPodAffinity: no PreFilter state");
    if (!s->existing_anti_affinity_counts.empty() && node.node() &&
        s->existing_anti_affinity_counts.AnyPositiveOn(*node.node())) {
      return Status::Unschedulable(kErrExistingAntiAffinity);
    }
    for (const Term& t : s->terms.anti_affinity) {
      const std::string* v = NodeLabel(node, t.topology_key);
      if (v && s->anti_affinity_counts.Get(t.topology_key, *v) > 0)
        return Status::Unschedulable(kErrAntiAffinity);
    }
    if (!s->terms.affinity.empty()) {
      bool pods_exist = true;
      for (const Term& t : s->terms.affinity) {
        const std::string* v = NodeLabel(node, t.topology_key);
        if (!v) return Status::Unresolvable(kErrAffinity);
        if (s->affinity_counts.Get(t.topology_key, *v) <= 0) pods_exist = false;
      }
      if (!pods_exist) {
        const bool any = s->affinity_counts.AnyPositive();
        // The first pod of a group whose affinity selects itself may go anywhere.
        if (any || !MatchesAll(s->terms.affinity, pod.pod()))
          return Status::Unresolvable(kErrAffinity);
      }
    }
    return Status();
  }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const>) override {
    // Nothing to score: the pod has no preferred terms and no existing pod has scoring terms
    // (the index knows their nodes). Skipped without compiling anything.
    if (const internal::AffinityIndex* index = handle_->Snapshot().affinity_index();
        index && !HasPreferredTerms(pod.pod()) && index->NodesWithScoringAffinity().empty()) {
      return Status::Skip();
    }
    PodTerms terms = CompilePodTerms(pod.pod());
    const bool has_pref = !terms.pref_affinity.empty() || !terms.pref_anti_affinity.empty();
    const NodeInfoLister& snapshot = handle_->Snapshot();
    const internal::AffinityIndex* index = snapshot.affinity_index();
    auto s = std::make_unique<IPAScoreState>();
    auto add = [&](const Term& t, const NodeInfo& n, int64_t w) {
      if (w == 0) return;
      if (const std::string* v = NodeLabel(n, t.topology_key)) s->scores[t.topology_key][*v] += w;
    };
    // The existing pod's terms that score the incoming pod.
    auto add_existing = [&](const PodTerms& et, const NodeInfo& n) {
      for (const Term& t : et.affinity)
        if (Matches(t, pod.pod())) add(t, n, hard_weight_);
      for (const Term& t : et.pref_affinity)
        if (Matches(t, pod.pod())) add(t, n, t.weight);
      for (const Term& t : et.pref_anti_affinity)
        if (Matches(t, pod.pod())) add(t, n, -t.weight);
    };
    bool any_existing = false;
    if (!has_pref && index) {
      // Only existing pods with scoring terms matter: visit their nodes alone.
      for (const auto& [n, unused] : index->NodesWithScoringAffinity()) {
        if (!n->node()) continue;
        for (const auto& p : n->pods()) {
          if (!internal::HasScoringAffinity(p->pod())) continue;
          const PodTerms* et = index->TermsOf(p.get());
          if (!et) continue;
          any_existing = true;
          add_existing(*et, *n);
        }
      }
    } else {
      for (const NodeInfo* n : snapshot.List()) {
        for (const auto& p : n->pods()) {
          const Pod& e = p->pod();
          const bool e_aff = HasPodAffinity(e);
          if (!has_pref && !e_aff) continue;
          any_existing |= e_aff;
          for (const Term& t : terms.pref_affinity)
            if (Matches(t, e)) add(t, *n, t.weight);
          for (const Term& t : terms.pref_anti_affinity)
            if (Matches(t, e)) add(t, *n, -t.weight);
          if (!e_aff) continue;
          const PodTerms* indexed = index ? index->TermsOf(p.get()) : nullptr;
          if (indexed) {
            add_existing(*indexed, *n);
          } else {
            std::shared_ptr<const PodTerms> etp = TermsOf(p);
            add_existing(*etp, *n);
          }
        }
      }
    }
    if (!has_pref && !any_existing) return Status::Skip();
    state.Write(PreScoreKey(), std::move(s));
    return Status();
  }

  Status Score(const CycleState& state, const PodInfo&, const NodeInfo& node,
               int64_t* score) override {
    *score = 0;
    const auto* s = state.Get<IPAScoreState>(PreScoreKey());
    if (!s || !node.node()) return Status();
    for (const auto& [key, values] : s->scores) {
      const std::string* v = NodeLabel(node, key);
      if (!v) continue;
      auto it = values.find(*v);
      if (it != values.end()) *score += it->second;
    }
    return Status();
  }

  Status NormalizeScore(const CycleState& state, const PodInfo&,
                        std::span<int64_t> scores) override {
    if (scores.empty() || !state.Get<IPAScoreState>(PreScoreKey())) return Status();
    auto [mn, mx] = std::minmax_element(scores.begin(), scores.end());
    const int64_t lo = *mn, hi = *mx;
    for (int64_t& v : scores) v = hi == lo ? 0 : kMaxNodeScore * (v - lo) / (hi - lo);
    return Status();
  }

  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return {
        {ClusterEvent{EventResource::kAssignedPod, kAdd | kDelete | kUpdatePodLabel, ""}, nullptr},
        {ClusterEvent{EventResource::kNode, kAdd | kUpdateNodeLabel, ""}, nullptr}};
  }

 private:
  Handle* handle_;
  NamespaceLabelLookup ns_lookup_;
  mutable Mutex mu_;
  mutable absl::flat_hash_map<
      const PodInfo*, std::pair<std::weak_ptr<const PodInfo>, std::shared_ptr<const PodTerms>>>
      cache_ ABSL_GUARDED_BY(mu_);
  mutable size_t next_prune_ ABSL_GUARDED_BY(mu_) = 1024;
  int64_t hard_weight_;
};

absl::StatusOr<std::unique_ptr<Plugin>> Make(const ConfigValue& args, Handle* handle,
                                             NamespaceLabelLookup lookup) {
  int64_t hard = 1;
  if (const ConfigValue* w = args.Find("hardPodAffinityWeight"); w && !w->is_null()) {
    absl::StatusOr<int64_t> v = w->AsInt("hardPodAffinityWeight");
    if (!v.ok()) return v.status();
    if (*v < 0 || *v > 100) {
      return absl::InvalidArgumentError(absl::StrCat("hardPodAffinityWeight: Invalid value: ", *v,
                                                     ": not in valid range [0-100]"));
    }
    hard = *v;
  }
  return std::unique_ptr<Plugin>(new InterPodAffinityPlugin(handle, std::move(lookup), hard));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Plugin>> NewInterPodAffinity(const ConfigValue& args,
                                                            Handle* handle) {
  return Make(args, handle, nullptr);
}

PluginFactory InterPodAffinityFactory(NamespaceLabelLookup lookup) {
  return [lookup](const ConfigValue& args, Handle* h) { return Make(args, h, lookup); };
}

}  // namespace rudder::sched::plugins
