// Pod affinity terms compiled for matching, and the per-snapshot index InterPodAffinity uses
// so that a scheduling cycle does not visit every pod in the cluster:
//
//  - existing pods' required anti-affinity terms, keyed by an "anchor" (a key=value the
//    term's selector requires: `key=value`, `key==value` or `key in (value)`); a new pod only
//    looks at the terms anchored on one of its own labels plus the terms without anchor;
//  - existing pods by label (key=value), so an incoming term with an anchor visits only the
//    pods carrying it;
//  - the nodes holding pods whose affinity terms matter for scoring (required affinity,
//    preferred affinity and anti-affinity);
//  - topology domains: for every node label key, its values over the nodes and how many
//    nodes carry each (PodTopologySpread takes a constraint's domains from here instead of
//    visiting every node). A node's labels are re-read only when its Node object changes;
//  - pod counts per topology domain for (namespace, selector with an anchor, topology key)
//    queries: registered on first use, then kept up to date as pods and nodes change, so a
//    repeated PodTopologySpread constraint costs O(domains) per cycle.
//
// The Snapshot owns one and updates it (UpdateNode) for every NodeInfo that changed, touching
// only the pods that came or went. Not thread-safe: updated and read on the scheduling thread.
#ifndef RUDDER_LIB_SCHED_INTERNAL_AFFINITY_INDEX_H_
#define RUDDER_LIB_SCHED_INTERNAL_AFFINITY_INDEX_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "lib/api/labels/selector.h"
#include "lib/sched/node_info.h"

namespace rudder::sched::internal {

// A PodAffinityTerm ready to match pods. Namespaces: the term's list, or the owner's
// namespace when it has neither namespaces nor namespaceSelector; an empty namespaceSelector
// selects all namespaces (all_namespaces); a non-empty one is kept in ns_selector.
struct AffinityTerm {
  api::labels::Selector selector;
  absl::flat_hash_set<std::string> namespaces;
  bool all_namespaces = false;
  std::optional<api::labels::Selector> ns_selector;
  std::string topology_key;
  int32_t weight = 0;
  // "key\0value" every pod matching `selector` carries, or "" when there is none.
  std::string anchor;
};

// A pod's four kinds of terms. Terms whose selectors do not parse are dropped.
struct PodAffinityTerms {
  std::vector<AffinityTerm> affinity, anti_affinity, pref_affinity, pref_anti_affinity;
  bool empty() const {
    return affinity.empty() && anti_affinity.empty() && pref_affinity.empty() &&
           pref_anti_affinity.empty();
  }
};

PodAffinityTerms CompilePodAffinityTerms(const Pod& pod);

// "key\0value".
std::string LabelPair(std::string_view key, std::string_view value);

// The anchor of a selector: LabelPair of its first requirement that pins one value
// (`key=value`, `key==value`, `key in (value)`), or "" when there is none.
std::string SelectorAnchor(const api::labels::Selector& selector);

// True if the pod has pod affinity or anti-affinity of any kind.
bool HasPodAffinity(const Pod& pod);
// True if the pod has required anti-affinity terms.
bool HasRequiredAntiAffinity(const Pod& pod);
// True if the pod's terms count when scoring other pods: required affinity, or preferred
// affinity / anti-affinity.
bool HasScoringAffinity(const Pod& pod);

class AffinityIndex {
 public:
  AffinityIndex();
  ~AffinityIndex();
  AffinityIndex(const AffinityIndex&) = delete;
  AffinityIndex& operator=(const AffinityIndex&) = delete;

  // `node` (the snapshot's NodeInfo, whose address must stay stable while indexed) changed;
  // null: the node named `name` left the snapshot.
  void UpdateNode(const std::string& name, const NodeInfo* node);

  // Calls fn(term, node) for each required anti-affinity term of existing pods that may match
  // a pod with `labels`: terms anchored on one of the labels and terms without anchor.
  template <typename LabelMap, typename Fn>
  void ForEachAntiAffinityTermFor(const LabelMap& labels, Fn fn) const {
    auto visit = [&](const std::string& anchor) {
      auto it = anti_terms_.find(anchor);
      if (it == anti_terms_.end()) return;
      for (const auto& [ref, val] : it->second) fn(*val.first, *val.second);
    };
    visit(std::string());
    for (const auto& [k, v] : labels) visit(LabelPair(k, v));
  }

  // Calls fn(pod, node) for the existing pods carrying the label pair `anchor`.
  template <typename Fn>
  void ForEachPodWithLabel(const std::string& anchor, Fn fn) const {
    auto it = by_label_.find(anchor);
    if (it == by_label_.end()) return;
    for (const auto& [pod, node] : it->second) fn(*pod, *node);
  }

  // The nodes holding pods with scoring-relevant affinity (HasScoringAffinity), with how
  // many such pods each holds. Unordered.
  const absl::flat_hash_map<const NodeInfo*, int>& NodesWithScoringAffinity() const {
    return scoring_nodes_;
  }
  // How many existing pods have required anti-affinity terms.
  int64_t NumPodsWithRequiredAntiAffinity() const { return num_anti_; }

  // The compiled terms of an indexed pod with pod affinity, or null.
  const PodAffinityTerms* TermsOf(const PodInfo* pod) const;

  // The topology domains of a node label key: value -> number of nodes (with a Node object)
  // whose label `key` has that value. Null when no node carries the key.
  const absl::flat_hash_map<std::string, int32_t>* DomainsOf(const std::string& key) const {
    auto it = domains_.find(key);
    return it == domains_.end() ? nullptr : &it->second;
  }
  // A node's domain for one key: its label value (pointing into the indexed Node object) and
  // the value's dense id (see DomainIdsOf).
  struct NodeDomain {
    const std::string* value = nullptr;
    int32_t id = -1;
  };
  // The nodes carrying label `key`: the snapshot's NodeInfo -> its domain. Null when no node
  // carries the key. A copy of a NodeInfo is not in it. Lets Filter find a node's domain
  // without a label lookup.
  const absl::flat_hash_map<const NodeInfo*, NodeDomain>* NodeValuesOf(
      const std::string& key) const {
    auto it = node_values_.find(key);
    return it == node_values_.end() ? nullptr : &it->second;
  }
  // The dense ids of a key's values: value -> id in [0, NumDomainIds(key)); the same values as
  // DomainsOf. An id stays with its value while some node carries it and is reused after.
  // Null when no node carries the key. Lets plugins keep per-domain data in arrays.
  const absl::flat_hash_map<std::string, int32_t>* DomainIdsOf(const std::string& key) const {
    auto it = domain_ids_.find(key);
    return it == domain_ids_.end() ? nullptr : &it->second.ids;
  }
  // The domain ids of one key by NodeInfo::snapshot_slot, so that Filter and Score find a
  // node's domain with two array reads. Valid until the next UpdateNode.
  class SlotDomains {
   public:
    // The id of the node's value of the key; -1 when the node has no such label or is not
    // (a copy of) a NodeInfo of this index's snapshot with the Node object indexed.
    int32_t IdOf(const NodeInfo& n) const {
      const int32_t slot = n.snapshot_slot();
      if (slot < 0 || static_cast<size_t>(slot) >= num_ids_ ||
          static_cast<size_t>(slot) >= num_nodes_ || n.node() == nullptr ||
          nodes_[slot] != n.node()) {
        return -1;
      }
      return ids_[slot];
    }

   private:
    friend class AffinityIndex;
    const int32_t* ids_ = nullptr;
    size_t num_ids_ = 0;
    const Node* const* nodes_ = nullptr;
    size_t num_nodes_ = 0;
  };
  SlotDomains DomainsBySlot(const std::string& key) const {
    SlotDomains v;
    auto it = domain_ids_.find(key);
    if (it == domain_ids_.end()) return v;
    v.ids_ = it->second.by_slot.data();
    v.num_ids_ = it->second.by_slot.size();
    v.nodes_ = slot_nodes_.data();
    v.num_nodes_ = slot_nodes_.size();
    return v;
  }
  // One more than the highest id in use for `key` (0 when no node carries it).
  int32_t NumDomainIds(const std::string& key) const {
    auto it = domain_ids_.find(key);
    return it == domain_ids_.end() ? 0 : it->second.num_ids;
  }
  // How many nodes (with a Node object) the domains cover.
  int64_t NumDomainNodes() const { return static_cast<int64_t>(node_objects_.size()); }

  // The pods of namespace `ns` that are not terminating and match `selector` (whose anchor,
  // SelectorAnchor(selector), must be non-empty), counted per value of the label `key` of
  // their node (nodes without the key or without a Node object are left out; values with no
  // pod are absent). The first call for a query visits the pods carrying the anchor label;
  // later ones return the counts kept up to date by UpdateNode. At most kMaxCountQueries
  // queries are kept (all are dropped when a new one would exceed it). The reference is valid
  // until the next call or UpdateNode. Registration mutates the index: call it from the thread
  // that updates the index.
  const absl::flat_hash_map<std::string, int64_t>& CountPodsByDomain(
      const std::string& ns, const api::labels::Selector& selector, const std::string& key) const;
  static constexpr size_t kMaxCountQueries = 256;
  // A node's entry in a count query: its `key` label (if it has a Node and one) and how many
  // of the query's pods it holds.
  struct NodePodCount {
    std::optional<std::string> value;
    int64_t pods = 0;
  };
  // The same query's pods per node: node name -> entry (nodes holding none of its pods are
  // absent), for counting per node whatever the nodes' labels. Registers the query like
  // CountPodsByDomain; the pointer is valid until the next registration of a new query or
  // UpdateNode (so register every query a cycle needs, then look each up again: a lookup of a
  // registered query never drops any).
  const absl::flat_hash_map<std::string, NodePodCount>* CountPodsByNode(
      const std::string& ns, const api::labels::Selector& selector, const std::string& key) const;
  // How many count queries are registered.
  size_t NumCountQueries() const { return queries_.size(); }

 private:
  struct PodRecord {
    std::shared_ptr<const PodInfo> pod;
    std::shared_ptr<const PodAffinityTerms> terms;  // null without pod affinity
    const NodeInfo* node = nullptr;
  };
  void AddPod(const std::shared_ptr<const PodInfo>& pod, const NodeInfo* node);
  // Moves the node's labels in domains_ from its previous Node object to `node`'s, and its
  // pods in the count queries from its old domains to its new ones.
  void UpdateDomains(const std::string& name, const NodeInfo* node);

  // A registered CountPodsByDomain query.
  struct CountQuery {
    std::string ns;
    api::labels::Selector selector;
    std::string key;
    absl::flat_hash_map<std::string, int64_t> counts;  // domain value -> pods
    using NodeCount = NodePodCount;
    absl::flat_hash_map<std::string, NodeCount> nodes;  // node name -> matching pods on it
  };
  // The query, registered if new.
  CountQuery* Query(const std::string& ns, const api::labels::Selector& selector,
                    const std::string& key) const;
  // Counts (delta +1/-1) `pod` on `node` in `q` if it matches.
  void CountPod(CountQuery* q, const PodInfo& pod, const NodeInfo& node, int64_t delta) const;
  // The label `key` of the indexed Node object of node `name`, or nullopt.
  std::optional<std::string> IndexedLabel(const std::string& name, const std::string& key) const;
  // Removes the pod's record if it is on `node` (any node when null).
  void RemovePod(const PodInfo* pod, const NodeInfo* node);

  absl::flat_hash_map<const PodInfo*, PodRecord> pods_;
  struct NodeEntry {
    const NodeInfo* node = nullptr;
    std::vector<const PodInfo*> pods;  // the indexed pods on it, sorted by address
  };
  absl::flat_hash_map<std::string, NodeEntry> node_pods_;
  // anchor ("" for none) -> (pod, term index) -> (term, node).
  absl::flat_hash_map<std::string,
                      absl::flat_hash_map<std::pair<const PodInfo*, int>,
                                          std::pair<const AffinityTerm*, const NodeInfo*>>>
      anti_terms_;
  // label pair -> pod -> node.
  absl::flat_hash_map<std::string, absl::flat_hash_map<const PodInfo*, const NodeInfo*>> by_label_;
  absl::flat_hash_map<const NodeInfo*, int> scoring_nodes_;
  int64_t num_anti_ = 0;
  // Node name -> the Node object whose labels are in domains_ (held, so that an address is
  // never reused while it is compared).
  absl::flat_hash_map<std::string, std::shared_ptr<const Node>> node_objects_;
  // Node name -> the NodeInfo its labels are in node_values_ under, and that NodeInfo's slot.
  absl::flat_hash_map<std::string, std::pair<const NodeInfo*, int32_t>> node_infos_;
  // By snapshot slot: the Node object whose labels the slot's domain ids reflect (null: none).
  std::vector<const Node*> slot_nodes_;
  // Label key -> NodeInfo -> value and its id.
  absl::flat_hash_map<std::string, absl::flat_hash_map<const NodeInfo*, NodeDomain>> node_values_;
  // Label key -> value ids.
  struct DomainIds {
    absl::flat_hash_map<std::string, int32_t> ids;
    std::vector<int32_t> free;  // released ids, reused first
    int32_t num_ids = 0;
    std::vector<int32_t> by_slot;  // snapshot slot -> id of the node's value, -1 for none
  };
  absl::flat_hash_map<std::string, DomainIds> domain_ids_;
  // Label key -> value -> number of nodes.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int32_t>> domains_;
  // Count queries by "ns\0key\0selector", and by their anchor.
  mutable absl::flat_hash_map<std::string, std::unique_ptr<CountQuery>> queries_;
  mutable absl::flat_hash_map<std::string, std::vector<CountQuery*>> queries_by_anchor_;
};

}  // namespace rudder::sched::internal

#endif  // RUDDER_LIB_SCHED_INTERNAL_AFFINITY_INDEX_H_
