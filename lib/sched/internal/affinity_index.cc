#include "lib/sched/internal/affinity_index.h"

#include <algorithm>
#include <iterator>

#include "lib/api/labels/label_selector_proto.h"

namespace rudder::sched::internal {
namespace {

using api::core::v1::PodAffinityTerm;

bool CompileTerm(const PodAffinityTerm& t, const Pod& owner, int32_t weight, AffinityTerm* out) {
  absl::StatusOr<api::labels::Selector> sel =
      api::labels::LabelSelectorAsSelector(t.has_labelselector() ? &t.labelselector() : nullptr);
  if (!sel.ok()) return false;
  out->selector = *std::move(sel);
  out->topology_key = t.topologykey();
  out->weight = weight;
  for (const std::string& ns : t.namespaces()) out->namespaces.insert(ns);
  if (t.has_namespaceselector()) {
    absl::StatusOr<api::labels::Selector> ns =
        api::labels::LabelSelectorAsSelector(&t.namespaceselector());
    if (!ns.ok()) return false;
    if (ns->Empty()) {
      out->all_namespaces = true;
    } else {
      out->ns_selector = *std::move(ns);
    }
  } else if (t.namespaces().empty()) {
    out->namespaces.insert(owner.metadata().namespace_());
  }
  out->anchor = SelectorAnchor(out->selector);
  return true;
}

bool Indexable(const Pod& pod) { return !pod.metadata().labels().empty() || HasPodAffinity(pod); }

}  // namespace

std::string LabelPair(std::string_view key, std::string_view value) {
  std::string s;
  s.reserve(key.size() + value.size() + 1);
  s.append(key);
  s.push_back('\0');
  s.append(value);
  return s;
}

std::string SelectorAnchor(const api::labels::Selector& s) {
  for (const api::labels::Requirement& r : s.requirements()) {
    const bool pins = r.op() == api::Operator::kEquals || r.op() == api::Operator::kDoubleEquals ||
                      r.op() == api::Operator::kIn;
    if (pins && r.values().size() == 1) return LabelPair(r.key(), r.values()[0]);
  }
  return std::string();
}

PodAffinityTerms CompilePodAffinityTerms(const Pod& pod) {
  PodAffinityTerms out;
  if (!pod.spec().has_affinity()) return out;
  const auto& a = pod.spec().affinity();
  auto add = [&](const PodAffinityTerm& t, int32_t w, std::vector<AffinityTerm>* v) {
    AffinityTerm term;
    if (CompileTerm(t, pod, w, &term)) v->push_back(std::move(term));
  };
  if (a.has_podaffinity()) {
    for (const auto& t : a.podaffinity().requiredduringschedulingignoredduringexecution())
      add(t, 0, &out.affinity);
    for (const auto& t : a.podaffinity().preferredduringschedulingignoredduringexecution())
      add(t.podaffinityterm(), t.weight(), &out.pref_affinity);
  }
  if (a.has_podantiaffinity()) {
    for (const auto& t : a.podantiaffinity().requiredduringschedulingignoredduringexecution())
      add(t, 0, &out.anti_affinity);
    for (const auto& t : a.podantiaffinity().preferredduringschedulingignoredduringexecution())
      add(t.podaffinityterm(), t.weight(), &out.pref_anti_affinity);
  }
  return out;
}

bool HasPodAffinity(const Pod& pod) {
  return pod.spec().has_affinity() &&
         (pod.spec().affinity().has_podaffinity() || pod.spec().affinity().has_podantiaffinity());
}

bool HasRequiredAntiAffinity(const Pod& pod) {
  return pod.spec().has_affinity() && pod.spec().affinity().has_podantiaffinity() &&
         pod.spec()
                 .affinity()
                 .podantiaffinity()
                 .requiredduringschedulingignoredduringexecution_size() > 0;
}

bool HasScoringAffinity(const Pod& pod) {
  if (!HasPodAffinity(pod)) return false;
  const auto& a = pod.spec().affinity();
  return (a.has_podaffinity() &&
          (a.podaffinity().requiredduringschedulingignoredduringexecution_size() > 0 ||
           a.podaffinity().preferredduringschedulingignoredduringexecution_size() > 0)) ||
         (a.has_podantiaffinity() &&
          a.podantiaffinity().preferredduringschedulingignoredduringexecution_size() > 0);
}

AffinityIndex::AffinityIndex() = default;
AffinityIndex::~AffinityIndex() = default;

const PodAffinityTerms* AffinityIndex::TermsOf(const PodInfo* pod) const {
  auto it = pods_.find(pod);
  return it == pods_.end() ? nullptr : it->second.terms.get();
}

void AffinityIndex::UpdateDomains(const std::string& name, const NodeInfo* node) {
  const Node* now = node ? node->node() : nullptr;
  auto it = node_objects_.find(name);
  const Node* before = it == node_objects_.end() ? nullptr : it->second.get();
  auto info = node_infos_.find(name);
  const NodeInfo* before_info = info == node_infos_.end() ? nullptr : info->second.first;
  const int32_t before_slot = info == node_infos_.end() ? -1 : info->second.second;
  if (before == now && (!now || before_info == node)) return;
  if (before) {
    for (const auto& [k, v] : before->metadata().labels()) {
      auto nv = node_values_.find(k);
      if (nv != node_values_.end()) {
        nv->second.erase(before_info);
        if (nv->second.empty()) node_values_.erase(nv);
      }
      auto ids = domain_ids_.find(k);
      if (ids != domain_ids_.end() && before_slot >= 0 &&
          static_cast<size_t>(before_slot) < ids->second.by_slot.size()) {
        ids->second.by_slot[before_slot] = -1;
      }
      auto d = domains_.find(k);
      if (d == domains_.end()) continue;
      auto c = d->second.find(v);
      if (c != d->second.end() && --c->second <= 0) {
        d->second.erase(c);
        // The value is gone: its id is released.
        if (ids != domain_ids_.end()) {
          auto id = ids->second.ids.find(v);
          if (id != ids->second.ids.end()) {
            ids->second.free.push_back(id->second);
            ids->second.ids.erase(id);
          }
          if (ids->second.ids.empty()) domain_ids_.erase(ids);
        }
      }
      if (d->second.empty()) domains_.erase(d);
    }
    if (before_slot >= 0 && static_cast<size_t>(before_slot) < slot_nodes_.size()) {
      slot_nodes_[before_slot] = nullptr;
    }
  }
  if (now) {
    const int32_t slot = node->snapshot_slot();
    if (slot >= 0) {
      if (slot_nodes_.size() <= static_cast<size_t>(slot)) slot_nodes_.resize(slot + 1, nullptr);
      slot_nodes_[slot] = now;
    }
    for (const auto& [k, v] : now->metadata().labels()) {
      ++domains_[k][v];
      DomainIds& ids = domain_ids_[k];
      auto [id, inserted] = ids.ids.try_emplace(v, 0);
      if (inserted) {
        if (!ids.free.empty()) {
          id->second = ids.free.back();
          ids.free.pop_back();
        } else {
          id->second = ids.num_ids++;
        }
      }
      node_values_[k][node] = NodeDomain{&v, id->second};
      if (slot >= 0) {
        if (ids.by_slot.size() <= static_cast<size_t>(slot)) ids.by_slot.resize(slot + 1, -1);
        ids.by_slot[slot] = id->second;
      }
    }
    node_objects_[name] = node->shared_node();
    node_infos_[name] = {node, node->snapshot_slot()};
  } else {
    node_objects_.erase(name);
    node_infos_.erase(name);
  }
  // The node's counted pods move to its new domain.
  for (auto& [id, q] : queries_) {
    auto n = q->nodes.find(name);
    if (n == q->nodes.end()) continue;
    CountQuery::NodeCount& nc = n->second;
    if (nc.value) {
      auto c = q->counts.find(*nc.value);
      if (c != q->counts.end() && (c->second -= nc.pods) <= 0) q->counts.erase(c);
    }
    nc.value = IndexedLabel(name, q->key);
    if (nc.value) q->counts[*nc.value] += nc.pods;
  }
}

std::optional<std::string> AffinityIndex::IndexedLabel(const std::string& name,
                                                       const std::string& key) const {
  auto it = node_objects_.find(name);
  if (it == node_objects_.end()) return std::nullopt;
  const auto& labels = it->second->metadata().labels();
  auto l = labels.find(key);
  if (l == labels.end()) return std::nullopt;
  return l->second;
}

void AffinityIndex::CountPod(CountQuery* q, const PodInfo& pod, const NodeInfo& node,
                             int64_t delta) const {
  const Pod& p = pod.pod();
  if (p.metadata().has_deletiontimestamp() || p.metadata().namespace_() != q->ns ||
      !q->selector.Matches(p.metadata().labels())) {
    return;
  }
  auto [n, inserted] = q->nodes.try_emplace(node.name());
  CountQuery::NodeCount& nc = n->second;
  if (inserted) nc.value = IndexedLabel(node.name(), q->key);
  nc.pods += delta;
  if (nc.value) {
    auto [c, _] = q->counts.try_emplace(*nc.value, 0);
    if ((c->second += delta) <= 0) q->counts.erase(c);
  }
  if (nc.pods <= 0) q->nodes.erase(n);
}

const absl::flat_hash_map<std::string, int64_t>& AffinityIndex::CountPodsByDomain(
    const std::string& ns, const api::labels::Selector& selector, const std::string& key) const {
  return Query(ns, selector, key)->counts;
}

const absl::flat_hash_map<std::string, AffinityIndex::NodePodCount>* AffinityIndex::CountPodsByNode(
    const std::string& ns, const api::labels::Selector& selector, const std::string& key) const {
  return &Query(ns, selector, key)->nodes;
}

AffinityIndex::CountQuery* AffinityIndex::Query(const std::string& ns,
                                                const api::labels::Selector& selector,
                                                const std::string& key) const {
  std::string id = ns;
  id.push_back('\0');
  id.append(key);
  id.push_back('\0');
  id.append(selector.String());
  auto it = queries_.find(id);
  if (it != queries_.end()) return it->second.get();
  if (queries_.size() >= kMaxCountQueries) {
    queries_.clear();
    queries_by_anchor_.clear();
  }
  auto q = std::make_unique<CountQuery>();
  q->ns = ns;
  q->selector = selector;
  q->key = key;
  const std::string anchor = SelectorAnchor(selector);
  auto b = by_label_.find(anchor);
  if (b != by_label_.end()) {
    for (const auto& [pod, node] : b->second) CountPod(q.get(), *pod, *node, 1);
  }
  CountQuery* raw = q.get();
  queries_by_anchor_[anchor].push_back(raw);
  queries_.emplace(std::move(id), std::move(q));
  return raw;
}

void AffinityIndex::UpdateNode(const std::string& name, const NodeInfo* node) {
  UpdateDomains(name, node);
  std::vector<const PodInfo*> now;
  if (node) {
    for (const auto& p : node->pods()) {
      if (Indexable(p->pod())) now.push_back(p.get());
    }
  }
  auto it = node_pods_.find(name);
  if (it == node_pods_.end()) {
    if (now.empty()) return;
    it = node_pods_.emplace(name, NodeEntry{node, {}}).first;
  }
  std::sort(now.begin(), now.end());
  NodeEntry& entry = it->second;
  std::vector<const PodInfo*> gone, added;
  std::set_difference(entry.pods.begin(), entry.pods.end(), now.begin(), now.end(),
                      std::back_inserter(gone));
  std::set_difference(now.begin(), now.end(), entry.pods.begin(), entry.pods.end(),
                      std::back_inserter(added));
  // Removals first, while the old records are intact. A pod that moved to another node
  // already processed keeps its new record.
  for (const PodInfo* p : gone) RemovePod(p, entry.node);
  if (!added.empty()) {
    for (const auto& p : node->pods()) {
      if (std::binary_search(added.begin(), added.end(), p.get())) AddPod(p, node);
    }
  }
  if (now.empty()) {
    node_pods_.erase(it);
  } else {
    entry.node = node;
    entry.pods = std::move(now);
  }
}

void AffinityIndex::AddPod(const std::shared_ptr<const PodInfo>& pod, const NodeInfo* node) {
  if (pods_.contains(pod.get())) RemovePod(pod.get(), nullptr);  // moved from another node
  PodRecord& rec = pods_[pod.get()];
  rec.pod = pod;
  rec.node = node;
  const Pod& p = pod->pod();
  for (const auto& [k, v] : p.metadata().labels()) {
    std::string pair = LabelPair(k, v);
    if (!queries_by_anchor_.empty()) {
      auto q = queries_by_anchor_.find(pair);
      if (q != queries_by_anchor_.end()) {
        for (CountQuery* query : q->second) CountPod(query, *pod, *node, 1);
      }
    }
    by_label_[std::move(pair)][pod.get()] = node;
  }
  if (HasPodAffinity(p)) {
    rec.terms = std::make_shared<const PodAffinityTerms>(CompilePodAffinityTerms(p));
    for (int i = 0; i < static_cast<int>(rec.terms->anti_affinity.size()); ++i) {
      const AffinityTerm& t = rec.terms->anti_affinity[i];
      anti_terms_[t.anchor][{pod.get(), i}] = {&t, node};
    }
    if (HasRequiredAntiAffinity(p)) ++num_anti_;
    if (HasScoringAffinity(p)) ++scoring_nodes_[node];
  }
}

void AffinityIndex::RemovePod(const PodInfo* pod, const NodeInfo* node) {
  auto it = pods_.find(pod);
  if (it == pods_.end() || (node && it->second.node != node)) return;
  PodRecord& rec = it->second;
  const Pod& p = pod->pod();
  for (const auto& [k, v] : p.metadata().labels()) {
    std::string pair = LabelPair(k, v);
    if (!queries_by_anchor_.empty()) {
      auto q = queries_by_anchor_.find(pair);
      if (q != queries_by_anchor_.end()) {
        for (CountQuery* query : q->second) CountPod(query, *pod, *rec.node, -1);
      }
    }
    auto b = by_label_.find(pair);
    if (b == by_label_.end()) continue;
    b->second.erase(pod);
    if (b->second.empty()) by_label_.erase(b);
  }
  if (rec.terms) {
    for (int i = 0; i < static_cast<int>(rec.terms->anti_affinity.size()); ++i) {
      auto a = anti_terms_.find(rec.terms->anti_affinity[i].anchor);
      if (a == anti_terms_.end()) continue;
      a->second.erase(std::make_pair(pod, i));
      if (a->second.empty()) anti_terms_.erase(a);
    }
    if (HasRequiredAntiAffinity(p)) --num_anti_;
    if (HasScoringAffinity(p)) {
      auto s = scoring_nodes_.find(rec.node);
      if (s != scoring_nodes_.end() && --s->second == 0) scoring_nodes_.erase(s);
    }
  }
  pods_.erase(it);
}

}  // namespace rudder::sched::internal
