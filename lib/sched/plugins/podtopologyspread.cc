#include "lib/sched/plugins/podtopologyspread.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "lib/api/labels/label_selector_proto.h"
#include "lib/sched/internal/affinity_index.h"
#include "lib/sched/plugins/plugins.h"

namespace rudder::sched::plugins {
namespace {

using api::core::v1::TopologySpreadConstraint;
using api::labels::Selector;

constexpr char kErrConstraintsNotMatch[] = "node(s) didn't match pod topology spread constraints";
constexpr char kErrNodeLabelNotMatch[] =
    "node(s) didn't match pod topology spread constraints (missing required label)";
constexpr char kHostname[] = "kubernetes.io/hostname";
constexpr char kZone[] = "topology.kubernetes.io/zone";
constexpr char kDoNotSchedule[] = "DoNotSchedule";
constexpr char kScheduleAnyway[] = "ScheduleAnyway";

// A constraint ready to count pods.
struct Constraint {
  int32_t max_skew = 1;
  std::string key;
  int32_t min_domains = 1;
  bool honor_affinity = true;
  bool honor_taints = false;
  Selector selector;
  std::string anchor;  // internal::SelectorAnchor(selector)
};

// The default constraints given by args (or the system ones).
struct DefaultConstraint {
  int32_t max_skew;
  std::string key;
  std::string when;
};

const std::string* Label(const Node& node, const std::string& key) {
  const auto& labels = node.metadata().labels();
  auto it = labels.find(key);
  return it == labels.end() ? nullptr : &it->second;
}

bool HasAllKeys(const Node& node, const std::vector<Constraint>& cs) {
  for (const Constraint& c : cs) {
    if (!Label(node, c.key)) return false;
  }
  return true;
}

// Whether the pod needs node affinity checks at all (nodeSelector or required terms).
bool HasNodeConstraints(const Pod& pod) {
  return !pod.spec().nodeselector().empty() ||
         (pod.spec().has_affinity() && pod.spec().affinity().has_nodeaffinity() &&
          pod.spec()
              .affinity()
              .nodeaffinity()
              .has_requiredduringschedulingignoredduringexecution());
}

bool HasUntoleratedHardTaint(const Pod& pod, const Node& node) {
  for (const auto& taint : node.spec().taints()) {
    if (taint.effect() != "NoSchedule" && taint.effect() != "NoExecute") continue;
    bool tolerated = false;
    for (const auto& t : pod.spec().tolerations()) {
      if (ToleratesTaint(t, taint)) {
        tolerated = true;
        break;
      }
    }
    if (!tolerated) return true;
  }
  return false;
}

// Node inclusion: node affinity (Honor) and taints (Honor) for one constraint.
// `affinity_ok` is the pod's node affinity result for the node (computed once).
bool Included(const Constraint& c, const Pod& pod, const Node& node, bool affinity_ok) {
  if (c.honor_affinity && !affinity_ok) return false;
  if (c.honor_taints && HasUntoleratedHardTaint(pod, node)) return false;
  return true;
}

bool AffinityOk(const Pod& pod, bool has_node_constraints, const Node& node) {
  return !has_node_constraints || PodMatchesNodeSelectorAndAffinity(pod, node);
}

bool Counts(const Pod& existing, const Constraint& c, const std::string& ns) {
  return !existing.metadata().has_deletiontimestamp() && existing.metadata().namespace_() == ns &&
         c.selector.Matches(existing.metadata().labels());
}

int64_t CountOnNode(const NodeInfo& n, const Constraint& c, const std::string& ns) {
  int64_t count = 0;
  for (const auto& p : n.pods()) count += Counts(p->pod(), c, ns) ? 1 : 0;
  return count;
}

// Whether PreFilter can take the domains from the snapshot's index instead of visiting every
// node: one topology key for all constraints (so a node with it has every key), no node
// inclusion policy that could exclude a node (nodeAffinityPolicy Honor with neither a
// nodeSelector nor required node affinity, or Ignore; nodeTaintsPolicy Ignore), and selectors
// with an anchor label (so matching pods are found through the label index).
template <typename State>
bool CanUseDomainIndex(const State& s) {
  for (const Constraint& c : s.constraints) {
    if (c.key != s.constraints[0].key || c.anchor.empty() || c.honor_taints) return false;
    if (c.honor_affinity && s.has_node_constraints) return false;
  }
  return true;
}

// The Filter failures, built once (copies share them).
Status NotMatch() {
  static const Status* s = new Status(Status::Immortal(
      Status::Unschedulable(kErrConstraintsNotMatch).WithPlugin(kPodTopologySpread)));
  return *s;
}
Status MissingLabel() {
  static const Status* s = new Status(
      Status::Immortal(Status::Unresolvable(kErrNodeLabelNotMatch).WithPlugin(kPodTopologySpread)));
  return *s;
}

// Compiles the pod's constraints with `when` (DoNotSchedule or ScheduleAnyway).
std::vector<Constraint> Compile(const Pod& pod, const char* when) {
  std::vector<Constraint> out;
  for (const TopologySpreadConstraint& t : pod.spec().topologyspreadconstraints()) {
    if (t.whenunsatisfiable() != when) continue;
    Constraint c;
    c.max_skew = t.maxskew();
    c.key = t.topologykey();
    if (t.has_mindomains()) c.min_domains = t.mindomains();
    c.honor_affinity = t.nodeaffinitypolicy() != "Ignore";
    c.honor_taints = t.nodetaintspolicy() == "Honor";
    absl::StatusOr<Selector> sel =
        api::labels::LabelSelectorAsSelector(t.has_labelselector() ? &t.labelselector() : nullptr);
    if (!sel.ok()) continue;  // Validation rejects such pods; ignore the constraint here.
    c.selector = *std::move(sel);
    std::vector<api::labels::Requirement> extra;
    for (const std::string& key : t.matchlabelkeys()) {
      auto it = pod.metadata().labels().find(key);
      if (it == pod.metadata().labels().end()) continue;
      absl::StatusOr<api::labels::Requirement> r =
          api::labels::Requirement::Create(key, api::Operator::kIn, {it->second});
      if (r.ok()) extra.push_back(*std::move(r));
    }
    if (!extra.empty()) c.selector = c.selector.Add(std::move(extra));
    c.anchor = internal::SelectorAnchor(c.selector);
    out.push_back(std::move(c));
  }
  return out;
}

bool ControlledByWorkload(const Pod& pod) {
  for (const auto& o : pod.metadata().ownerreferences()) {
    if (!o.controller()) continue;
    if (o.kind() == "ReplicaSet" || o.kind() == "ReplicationController" ||
        o.kind() == "StatefulSet") {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

class PreFilterState : public StateData {
 public:
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreFilterState>(*this);
  }
  std::vector<Constraint> constraints;
  bool has_node_constraints = false;
  // Per constraint: domain value -> matching pods, and a histogram of those counts (its first
  // key is the minimum).
  std::vector<absl::flat_hash_map<std::string, int64_t>> counts;
  std::vector<std::map<int64_t, int32_t>> histogram;
  std::vector<uint8_t> self_match;
  // Per constraint: the snapshot index's domain ids by node slot, so Filter finds a node's
  // domain without a label lookup, and the counts by domain id (empty without an index or
  // when no node has the key), so it reads the count without hashing the value.
  // by_id[i][id] == counts[i][value] (0 when absent).
  std::vector<internal::AffinityIndex::SlotDomains> slot_domains;
  std::vector<std::vector<int64_t>> by_id;
  const internal::AffinityIndex* index = nullptr;

  void Change(size_t i, const std::string& value, int64_t delta) {
    auto [it, inserted] = counts[i].try_emplace(value, 0);
    if (!inserted) {
      auto h = histogram[i].find(it->second);
      if (h != histogram[i].end() && --h->second == 0) histogram[i].erase(h);
    }
    it->second += delta;
    ++histogram[i][it->second];
    if (!by_id[i].empty()) SetById(i, value, it->second);
  }
  void SetById(size_t i, const std::string& value, int64_t count) {
    const auto* ids = index->DomainIdsOf(constraints[i].key);
    if (!ids) return;
    auto id = ids->find(value);
    if (id != ids->end() && id->second < static_cast<int32_t>(by_id[i].size())) {
      by_id[i][id->second] = count;
    }
  }
  // Sizes by_id[i] for the index's ids and fills it from counts[i].
  void FillById(size_t i) {
    if (!index || index->NumDomainIds(constraints[i].key) == 0) return;
    by_id[i].assign(index->NumDomainIds(constraints[i].key), 0);
    for (const auto& [value, count] : counts[i]) {
      if (count != 0) SetById(i, value, count);
    }
  }
  int64_t Min(size_t i) const {
    if (static_cast<int64_t>(counts[i].size()) < constraints[i].min_domains) return 0;
    if (histogram[i].empty()) return std::numeric_limits<int32_t>::max();
    return histogram[i].begin()->first;
  }
};

class PreScoreState : public StateData {
 public:
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreScoreState>(*this);
  }
  std::vector<Constraint> constraints;
  // Per constraint (not hostname): domain value -> matching pods.
  std::vector<absl::flat_hash_map<std::string, int64_t>> counts;
  std::vector<double> weights;
  std::string ns;
  absl::flat_hash_set<const NodeInfo*> ignored;
  std::vector<uint8_t> ignored_at;  // aligned with PreScore's nodes
  // Per constraint (not hostname): the index's domain ids by node slot and the counts by
  // domain id (empty: Score looks the node's label up in `counts`).
  std::vector<internal::AffinityIndex::SlotDomains> slot_domains;
  std::vector<std::vector<int64_t>> by_id;
  // Per hostname constraint with an anchored selector: the index's matching pods per node
  // name (null: Score walks the node's pods).
  std::vector<const absl::flat_hash_map<std::string, internal::AffinityIndex::NodePodCount>*>
      per_node;
};

const StateKey& PreFilterKey() {
  static const StateKey k("PreFilterPodTopologySpread");
  return k;
}
const StateKey& PreScoreKey() {
  static const StateKey k("PreScorePodTopologySpread");
  return k;
}

class PodTopologySpreadPlugin : public PreFilterPlugin,
                                public PreFilterExtensions,
                                public FilterPlugin,
                                public PreScorePlugin,
                                public ScorePlugin,
                                public EnqueueExtensions {
 public:
  PodTopologySpreadPlugin(Handle* h, std::vector<DefaultConstraint> defaults, bool system)
      : handle_(h), defaults_(std::move(defaults)), system_defaulted_(system) {}
  std::string_view Name() const override { return kPodTopologySpread; }

  // The default constraints of `when` for a pod without constraints of its own.
  std::vector<Constraint> Defaults(const Pod& pod, const char* when) const {
    std::vector<Constraint> out;
    if (pod.spec().topologyspreadconstraints_size() > 0 || defaults_.empty()) return out;
    if (system_defaulted_ && !ControlledByWorkload(pod)) return out;
    if (pod.metadata().labels().empty()) return out;
    std::map<std::string, std::string> labels(pod.metadata().labels().begin(),
                                              pod.metadata().labels().end());
    Selector sel = Selector::FromSet(labels);
    for (const DefaultConstraint& d : defaults_) {
      if (d.when != when) continue;
      Constraint c;
      c.max_skew = d.max_skew;
      c.key = d.key;
      c.selector = sel;
      c.anchor = internal::SelectorAnchor(c.selector);
      out.push_back(std::move(c));
    }
    return out;
  }

  // -- Filtering ------------------------------------------------------------------------------

  Status PreFilter(CycleState& state, const PodInfo& pod, PreFilterResult*) override {
    std::vector<Constraint> cs = Compile(pod.pod(), kDoNotSchedule);
    if (cs.empty()) cs = Defaults(pod.pod(), kDoNotSchedule);
    if (cs.empty()) return Status::Skip();
    auto s = std::make_unique<PreFilterState>();
    s->has_node_constraints = HasNodeConstraints(pod.pod());
    s->counts.resize(cs.size());
    s->histogram.resize(cs.size());
    for (const Constraint& c : cs)
      s->self_match.push_back(c.selector.Matches(pod.pod().metadata().labels()));
    s->constraints = std::move(cs);
    const std::string& ns = pod.pod().metadata().namespace_();
    const NodeInfoLister& snapshot = handle_->Snapshot();
    const internal::AffinityIndex* index = snapshot.affinity_index();
    s->slot_domains.resize(s->constraints.size());
    s->by_id.resize(s->constraints.size());
    s->index = index;
    for (size_t i = 0; index && i < s->constraints.size(); ++i) {
      s->slot_domains[i] = index->DomainsBySlot(s->constraints[i].key);
    }
    if (index && CanUseDomainIndex(*s)) {
      // Every node with the key is eligible: the domains and the matching pods per domain
      // come from the index (its count query for the constraint, kept up to date).
      const std::string& key = s->constraints[0].key;
      const absl::flat_hash_map<std::string, int32_t>* domains = index->DomainsOf(key);
      for (size_t i = 0; i < s->constraints.size(); ++i) {
        const Constraint& c = s->constraints[i];
        auto& counts = s->counts[i];
        if (domains) {
          counts.reserve(domains->size());
          for (const auto& [value, nodes] : *domains) counts.try_emplace(value, 0);
        }
        for (const auto& [value, pods] : index->CountPodsByDomain(ns, c.selector, key)) {
          counts[value] += pods;
        }
        for (const auto& [v, count] : counts) ++s->histogram[i][count];
        s->FillById(i);
      }
      state.Write(PreFilterKey(), std::move(s));
      return Status();
    }
    // Domains come from every eligible node; pods are counted per node, or, for a selector
    // with an anchor label, from the index's pods carrying that label.
    for (const NodeInfo* n : snapshot.List()) {
      if (!n->node() || !HasAllKeys(*n->node(), s->constraints)) continue;
      const bool aff = AffinityOk(pod.pod(), s->has_node_constraints, *n->node());
      for (size_t i = 0; i < s->constraints.size(); ++i) {
        const Constraint& c = s->constraints[i];
        if (!Included(c, pod.pod(), *n->node(), aff)) continue;
        int64_t& count = s->counts[i][*Label(*n->node(), c.key)];
        if (!index || c.anchor.empty()) count += CountOnNode(*n, c, ns);
      }
    }
    for (size_t i = 0; index && i < s->constraints.size(); ++i) {
      const Constraint& c = s->constraints[i];
      if (c.anchor.empty()) continue;
      index->ForEachPodWithLabel(c.anchor, [&](const PodInfo& p, const NodeInfo& n) {
        if (!n.node() || !Counts(p.pod(), c, ns) || !HasAllKeys(*n.node(), s->constraints)) return;
        if (!Included(c, pod.pod(), *n.node(),
                      AffinityOk(pod.pod(), s->has_node_constraints, *n.node()))) {
          return;
        }
        ++s->counts[i][*Label(*n.node(), c.key)];
      });
    }
    for (size_t i = 0; i < s->constraints.size(); ++i) {
      for (const auto& [v, count] : s->counts[i]) ++s->histogram[i][count];
      s->FillById(i);
    }
    state.Write(PreFilterKey(), std::move(s));
    return Status();
  }

  PreFilterExtensions* Extensions() override { return this; }

  Status Update(CycleState& state, const PodInfo& pod, const PodInfo& other, const NodeInfo& node,
                int64_t delta) {
    auto* s = static_cast<PreFilterState*>(state.ReadMutable(PreFilterKey()));
    if (!s) return Status::Error("PodTopologySpread: no PreFilter state");
    const Node* n = node.node();
    if (!n || other.pod().metadata().namespace_() != pod.pod().metadata().namespace_()) {
      return Status();
    }
    if (!HasAllKeys(*n, s->constraints)) return Status();
    const bool aff = AffinityOk(pod.pod(), s->has_node_constraints, *n);
    for (size_t i = 0; i < s->constraints.size(); ++i) {
      const Constraint& c = s->constraints[i];
      if (!c.selector.Matches(other.pod().metadata().labels())) continue;
      if (!Included(c, pod.pod(), *n, aff)) continue;
      s->Change(i, *Label(*n, c.key), delta);
    }
    return Status();
  }
  Status AddPod(CycleState& state, const PodInfo& pod, const PodInfo& add,
                const NodeInfo& node) override {
    return Update(state, pod, add, node, 1);
  }
  Status RemovePod(CycleState& state, const PodInfo& pod, const PodInfo& remove,
                   const NodeInfo& node) override {
    return Update(state, pod, remove, node, -1);
  }

  Status Filter(const CycleState& state, const PodInfo&, const NodeInfo& node) override {
    const auto* s = state.Get<PreFilterState>(PreFilterKey());
    if (!s) return Status::Error("PodTopologySpread: no PreFilter state");
    if (!node.node()) return MissingLabel();
    for (size_t i = 0; i < s->constraints.size(); ++i) {
      const Constraint& c = s->constraints[i];
      int64_t match = 0;
      bool found = false;
      if (!s->by_id[i].empty()) {
        const int32_t id = s->slot_domains[i].IdOf(node);
        if (id >= 0 && id < static_cast<int32_t>(s->by_id[i].size())) {
          match = s->by_id[i][id];
          found = true;
        }
      }
      if (!found) {
        const std::string* v = Label(*node.node(), c.key);
        if (!v) return MissingLabel();
        auto it = s->counts[i].find(*v);
        match = it == s->counts[i].end() ? 0 : it->second;
      }
      const int64_t skew = match + s->self_match[i] - s->Min(i);
      if (skew > c.max_skew) return NotMatch();
    }
    return Status();
  }

  // -- Scoring --------------------------------------------------------------------------------

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> nodes) override {
    const Pod& p = pod.pod();
    std::vector<Constraint> cs = Compile(p, kScheduleAnyway);
    if (p.spec().topologyspreadconstraints_size() == 0) cs = Defaults(p, kScheduleAnyway);
    if (cs.empty() || nodes.empty()) return Status::Skip();
    const bool require_all = p.spec().topologyspreadconstraints_size() > 0 || !system_defaulted_;
    auto s = std::make_unique<PreScoreState>();
    s->ns = p.metadata().namespace_();
    s->counts.resize(cs.size());
    s->ignored_at.assign(nodes.size(), 0);
    std::vector<int64_t> sizes(cs.size(), 0);
    for (size_t j = 0; j < nodes.size(); ++j) {
      const Node* n = nodes[j]->node();
      if (!n || (require_all && !HasAllKeys(*n, cs))) {
        s->ignored.insert(nodes[j]);
        s->ignored_at[j] = 1;
        continue;
      }
      for (size_t i = 0; i < cs.size(); ++i) {
        if (cs[i].key == kHostname) continue;
        const std::string* v = Label(*n, cs[i].key);
        if (!v) continue;
        if (s->counts[i].try_emplace(*v, 0).second) ++sizes[i];
      }
    }
    for (size_t i = 0; i < cs.size(); ++i) {
      int64_t size = sizes[i];
      if (cs[i].key == kHostname) size = static_cast<int64_t>(nodes.size() - s->ignored.size());
      s->weights.push_back(std::log(static_cast<double>(size + 2)));
    }
    bool any_domain = false;
    for (const auto& m : s->counts) any_domain |= !m.empty();
    if (any_domain) {
      const bool has_nc = HasNodeConstraints(p);
      const NodeInfoLister& snapshot = handle_->Snapshot();
      const internal::AffinityIndex* index = snapshot.affinity_index();
      // Adds `count` to the domain of `n` for constraint i, if it is a candidate domain.
      auto add = [&](size_t i, const NodeInfo& n, int64_t count, bool aff) {
        if (!Included(cs[i], p, *n.node(), aff)) return;
        const std::string* v = Label(*n.node(), cs[i].key);
        if (!v) return;
        auto it = s->counts[i].find(*v);
        if (it != s->counts[i].end()) it->second += count;
      };
      bool scan = false;
      for (size_t i = 0; i < cs.size(); ++i) {
        if (cs[i].key == kHostname) continue;
        if (!index || cs[i].anchor.empty()) {
          scan = true;
          continue;
        }
        // No inclusion policy can exclude a node with the key: the per-domain counts come
        // from the index's count query (kept up to date), not from the matching pods.
        if (!cs[i].honor_taints && (!cs[i].honor_affinity || !has_nc) &&
            (!require_all || cs.size() == 1)) {
          for (const auto& [value, pods] :
               index->CountPodsByDomain(s->ns, cs[i].selector, cs[i].key)) {
            auto it = s->counts[i].find(value);
            if (it != s->counts[i].end()) it->second += pods;
          }
          continue;
        }
        index->ForEachPodWithLabel(cs[i].anchor, [&](const PodInfo& e, const NodeInfo& n) {
          if (!n.node() || (require_all && !HasAllKeys(*n.node(), cs))) return;
          if (!Counts(e.pod(), cs[i], s->ns)) return;
          add(i, n, 1, AffinityOk(p, has_nc, *n.node()));
        });
      }
      for (const NodeInfo* n : scan ? snapshot.List() : std::span<const NodeInfo* const>()) {
        if (!n->node() || (require_all && !HasAllKeys(*n->node(), cs))) continue;
        const bool aff = AffinityOk(p, has_nc, *n->node());
        for (size_t i = 0; i < cs.size(); ++i) {
          if (cs[i].key == kHostname || (index && !cs[i].anchor.empty())) continue;
          add(i, *n, CountOnNode(*n, cs[i], s->ns), aff);
        }
      }
    }
    // Hostname constraints count the pods of each scored node: through the index's count
    // query (pods per node) when the selector has an anchor. Every query is registered first,
    // then looked up again, so that a registration cannot drop one already taken.
    s->per_node.assign(cs.size(), nullptr);
    s->slot_domains.resize(cs.size());
    s->by_id.resize(cs.size());
    if (const internal::AffinityIndex* index = handle_->Snapshot().affinity_index()) {
      for (size_t i = 0; i < cs.size(); ++i) {
        const auto* ids = index->DomainIdsOf(cs[i].key);
        if (cs[i].key == kHostname || !ids) continue;
        s->slot_domains[i] = index->DomainsBySlot(cs[i].key);
        s->by_id[i].assign(index->NumDomainIds(cs[i].key), 0);
        for (const auto& [value, count] : s->counts[i]) {
          auto id = ids->find(value);
          if (id != ids->end() && id->second < static_cast<int32_t>(s->by_id[i].size())) {
            s->by_id[i][id->second] = count;
          }
        }
      }
      for (int pass = 0; pass < 2; ++pass) {
        for (size_t i = 0; i < cs.size(); ++i) {
          if (cs[i].key != kHostname || cs[i].anchor.empty()) continue;
          s->per_node[i] = index->CountPodsByNode(s->ns, cs[i].selector, kHostname);
        }
      }
    }
    s->constraints = std::move(cs);
    state.Write(PreScoreKey(), std::move(s));
    return Status();
  }

  Status Score(const CycleState& state, const PodInfo&, const NodeInfo& node,
               int64_t* score) override {
    *score = 0;
    const auto* s = state.Get<PreScoreState>(PreScoreKey());
    if (!s || !node.node() || s->ignored.contains(&node)) return Status();
    double total = 0;
    for (size_t i = 0; i < s->constraints.size(); ++i) {
      const Constraint& c = s->constraints[i];
      if (!s->by_id[i].empty()) {
        const int32_t id = s->slot_domains[i].IdOf(node);
        if (id >= 0 && id < static_cast<int32_t>(s->by_id[i].size())) {
          total += static_cast<double>(s->by_id[i][id]) * s->weights[i] +
                   static_cast<double>(c.max_skew - 1);
          continue;
        }
      }
      const std::string* v = Label(*node.node(), c.key);
      if (!v) continue;
      int64_t count = 0;
      if (c.key == kHostname) {
        if (const auto* per_node = s->per_node[i]) {
          auto it = per_node->find(node.name());
          if (it != per_node->end()) count = it->second.pods;
        } else {
          count = CountOnNode(node, c, s->ns);
        }
      } else {
        auto it = s->counts[i].find(*v);
        if (it != s->counts[i].end()) count = it->second;
      }
      total += static_cast<double>(count) * s->weights[i] + static_cast<double>(c.max_skew - 1);
    }
    *score = static_cast<int64_t>(std::llround(total));
    return Status();
  }

  Status NormalizeScore(const CycleState& state, const PodInfo&,
                        std::span<int64_t> scores) override {
    const auto* s = state.Get<PreScoreState>(PreScoreKey());
    if (!s) return Status();
    int64_t min = std::numeric_limits<int64_t>::max(), max = 0;
    for (size_t j = 0; j < scores.size(); ++j) {
      if (s->ignored_at[j]) continue;
      min = std::min(min, scores[j]);
      max = std::max(max, scores[j]);
    }
    for (size_t j = 0; j < scores.size(); ++j) {
      if (s->ignored_at[j]) {
        scores[j] = 0;
      } else if (max == 0) {
        scores[j] = kMaxNodeScore;
      } else {
        scores[j] = kMaxNodeScore * (max + min - scores[j]) / max;
      }
    }
    return Status();
  }

  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return {
        {ClusterEvent{EventResource::kAssignedPod, kAdd | kDelete | kUpdatePodLabel, ""}, nullptr},
        {ClusterEvent{EventResource::kNode, kAdd | kDelete | kUpdateNodeLabel | kUpdateNodeTaint,
                      ""},
         nullptr}};
  }

 private:
  Handle* handle_;
  std::vector<DefaultConstraint> defaults_;
  bool system_defaulted_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Plugin>> NewPodTopologySpread(const ConfigValue& args,
                                                             Handle* handle) {
  std::string type = "System";
  if (const ConfigValue* t = args.Find("defaultingType"); t && !t->is_null()) {
    absl::StatusOr<std::string> v = t->AsString("defaultingType");
    if (!v.ok()) return v.status();
    if (*v != "System" && *v != "List") {
      return absl::InvalidArgumentError(absl::StrCat("defaultingType: Unsupported value: \"", *v,
                                                     "\": supported values: \"List\", \"System\""));
    }
    type = *v;
  }
  std::vector<DefaultConstraint> defaults;
  if (const ConfigValue* list = args.Find("defaultConstraints"); list && !list->is_null()) {
    if (!list->is_list()) {
      return absl::InvalidArgumentError("defaultConstraints: must be a list");
    }
    if (type == "System" && !list->list().empty()) {
      return absl::InvalidArgumentError(
          "defaultConstraints: Invalid value: when .defaultingType is \"System\", "
          ".defaultConstraints must be empty");
    }
    for (size_t i = 0; i < list->list().size(); ++i) {
      const ConfigValue& item = list->list()[i];
      std::string path = absl::StrCat("defaultConstraints[", i, "]");
      if (!item.is_map()) return absl::InvalidArgumentError(path + ": must be an object");
      DefaultConstraint d{1, "", kDoNotSchedule};
      const ConfigValue* skew = item.Find("maxSkew");
      const ConfigValue* key = item.Find("topologyKey");
      const ConfigValue* when = item.Find("whenUnsatisfiable");
      if (!skew || !key || !when) {
        return absl::InvalidArgumentError(
            path + ": maxSkew, topologyKey and whenUnsatisfiable are required");
      }
      absl::StatusOr<int64_t> s = skew->AsInt(path + ".maxSkew");
      if (!s.ok()) return s.status();
      if (*s <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".maxSkew: Invalid value: ", *s, ": must be greater than zero"));
      }
      absl::StatusOr<std::string> k = key->AsString(path + ".topologyKey");
      if (!k.ok()) return k.status();
      if (k->empty()) return absl::InvalidArgumentError(path + ".topologyKey: Required value");
      absl::StatusOr<std::string> w = when->AsString(path + ".whenUnsatisfiable");
      if (!w.ok()) return w.status();
      if (*w != kDoNotSchedule && *w != kScheduleAnyway) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".whenUnsatisfiable: Unsupported value: \"", *w,
                         "\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\""));
      }
      d.max_skew = static_cast<int32_t>(*s);
      d.key = *k;
      d.when = *w;
      defaults.push_back(std::move(d));
    }
  }
  const bool system = type == "System";
  if (system) {
    defaults = {{3, kHostname, kScheduleAnyway}, {5, kZone, kScheduleAnyway}};
  }
  return std::unique_ptr<Plugin>(new PodTopologySpreadPlugin(handle, std::move(defaults), system));
}

}  // namespace rudder::sched::plugins
