#include "lib/sched/plugins/plugins.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/sched/plugins/defaultpreemption.h"
#include "lib/sched/plugins/interpodaffinity.h"
#include "lib/sched/plugins/podtopologyspread.h"

namespace rudder::sched::plugins {
namespace {

using api::core::v1::NodeSelector;
using api::core::v1::NodeSelectorRequirement;
using api::core::v1::NodeSelectorTerm;
using api::core::v1::Taint;
using api::core::v1::Toleration;

std::vector<ClusterEventWithHint> Events(
    std::initializer_list<std::pair<EventResource, uint32_t>> evs) {
  std::vector<ClusterEventWithHint> out;
  for (const auto& [r, a] : evs) out.push_back({ClusterEvent{r, a, ""}, nullptr});
  return out;
}

template <typename T>
PluginFactory Simple() {
  return [](const ConfigValue&, Handle* h) -> absl::StatusOr<std::unique_ptr<Plugin>> {
    return std::unique_ptr<Plugin>(new T(h));
  };
}

// ------------------------------------------------------------------------------------------
// PrioritySort

class PrioritySort : public QueueSortPlugin {
 public:
  explicit PrioritySort(Handle*) {}
  std::string_view Name() const override { return kPrioritySort; }
  bool Less(const QueuedPodInfo& a, const QueuedPodInfo& b) const override {
    int32_t pa = a.pod_info->priority(), pb = b.pod_info->priority();
    return pa > pb || (pa == pb && a.timestamp < b.timestamp);
  }
};

// ------------------------------------------------------------------------------------------
// NodeName

class NodeNamePlugin : public PreFilterPlugin, public FilterPlugin, public EnqueueExtensions {
 public:
  explicit NodeNamePlugin(Handle*) {}
  std::string_view Name() const override { return kNodeName; }
  // A pod without spec.nodeName passes on every node: its Filter is skipped for the cycle.
  Status PreFilter(CycleState&, const PodInfo& pod, PreFilterResult*) override {
    return pod.pod().spec().nodename().empty() ? Status::Skip() : Status();
  }
  Status Filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) override {
    const std::string& want = pod.pod().spec().nodename();
    if (want.empty() || want == node.name()) return Status();
    return Status::Unresolvable("node(s) didn't match the requested node name");
  }
  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return Events({{EventResource::kNode, kAdd | kUpdate}});
  }
};

// ------------------------------------------------------------------------------------------
// NodeUnschedulable

class NodeUnschedulablePlugin : public FilterPlugin, public EnqueueExtensions {
 public:
  explicit NodeUnschedulablePlugin(Handle*) {}
  std::string_view Name() const override { return kNodeUnschedulable; }
  Status Filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) override {
    if (!node.unschedulable()) return Status();
    Taint taint;
    taint.set_key("node.kubernetes.io/unschedulable");
    taint.set_effect("NoSchedule");
    for (const auto& t : pod.pod().spec().tolerations()) {
      if (ToleratesTaint(t, taint)) return Status();
    }
    return Status::Unresolvable("node(s) were unschedulable");
  }
  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return Events({{EventResource::kNode, kAdd | kUpdateNodeTaint | kUpdateNodeSpecUnschedulable}});
  }
};

// ------------------------------------------------------------------------------------------
// TaintToleration

bool TaintTolerated(const Taint& taint,
                    const google::protobuf::RepeatedPtrField<Toleration>& tolerations) {
  for (const auto& t : tolerations) {
    if (ToleratesTaint(t, taint)) return true;
  }
  return false;
}

struct TaintPreScoreState : StateData {
  std::vector<const Toleration*> prefer_no_schedule;
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<TaintPreScoreState>(*this);
  }
};

class TaintTolerationPlugin : public FilterPlugin,
                              public PreScorePlugin,
                              public ScorePlugin,
                              public EnqueueExtensions {
 public:
  explicit TaintTolerationPlugin(Handle*) {}
  std::string_view Name() const override { return kTaintToleration; }
  Status Filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) override {
    if (!node.has_taints()) return Status();
    const auto& taints = node.node()->spec().taints();
    for (const Taint& taint : taints) {
      if (taint.effect() != "NoSchedule" && taint.effect() != "NoExecute") continue;
      if (!TaintTolerated(taint, pod.pod().spec().tolerations())) {
        return Status::Unresolvable(
            absl::StrCat("node(s) had untolerated taint {", taint.key(), ": ", taint.value(), "}"));
      }
    }
    return Status();
  }
  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const>) override {
    auto s = std::make_unique<TaintPreScoreState>();
    for (const auto& t : pod.pod().spec().tolerations()) {
      if (t.effect().empty() || t.effect() == "PreferNoSchedule")
        s->prefer_no_schedule.push_back(&t);
    }
    state.Write(key_, std::move(s));
    return Status();
  }
  Status Score(const CycleState& state, const PodInfo&, const NodeInfo& node,
               int64_t* score) override {
    *score = 0;
    if (!node.has_taints()) return Status();
    const auto* s = state.Get<TaintPreScoreState>(key_);
    int64_t n = 0;
    for (const Taint& taint : node.node()->spec().taints()) {
      if (taint.effect() != "PreferNoSchedule") continue;
      bool ok = false;
      if (s) {
        for (const Toleration* t : s->prefer_no_schedule) ok = ok || ToleratesTaint(*t, taint);
      }
      if (!ok) ++n;
    }
    *score = n;
    return Status();
  }
  Status NormalizeScore(const CycleState&, const PodInfo&, std::span<int64_t> scores) override {
    DefaultNormalizeScore(kMaxNodeScore, true, scores);
    return Status();
  }
  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return Events({{EventResource::kNode, kAdd | kUpdateNodeTaint},
                   {EventResource::kPod, kUpdatePodTolerations}});
  }

 private:
  const StateKey key_{"PreScoreTaintToleration"};
};

// ------------------------------------------------------------------------------------------
// NodeAffinity

enum class Op { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt, kInvalid };

struct CompiledRequirement {
  std::string key;
  Op op = Op::kInvalid;
  std::vector<std::string> values;
  int64_t number = 0;
  bool field = false;  // matchFields (metadata.name)
};

struct CompiledTerm {
  std::vector<CompiledRequirement> reqs;
  bool valid = true;
  bool empty = false;
};

CompiledRequirement Compile(const NodeSelectorRequirement& r, bool field) {
  CompiledRequirement c;
  c.key = r.key();
  c.field = field;
  c.values.assign(r.values().begin(), r.values().end());
  const std::string& op = r.operator_();
  if (op == "In")
    c.op = Op::kIn;
  else if (op == "NotIn")
    c.op = Op::kNotIn;
  else if (op == "Exists")
    c.op = Op::kExists;
  else if (op == "DoesNotExist")
    c.op = Op::kDoesNotExist;
  else if (op == "Gt" || op == "Lt") {
    c.op = op == "Gt" ? Op::kGt : Op::kLt;
    if (c.values.size() != 1 || !absl::SimpleAtoi(c.values[0], &c.number)) c.op = Op::kInvalid;
  }
  if (field && (c.key != "metadata.name" || (c.op != Op::kIn && c.op != Op::kNotIn))) {
    c.op = Op::kInvalid;
  }
  return c;
}

CompiledTerm CompileTerm(const NodeSelectorTerm& t) {
  CompiledTerm out;
  out.empty = t.matchexpressions_size() == 0 && t.matchfields_size() == 0;
  for (const auto& r : t.matchexpressions()) out.reqs.push_back(Compile(r, false));
  for (const auto& r : t.matchfields()) out.reqs.push_back(Compile(r, true));
  for (const auto& r : out.reqs) out.valid = out.valid && r.op != Op::kInvalid;
  return out;
}

bool RequirementMatches(const CompiledRequirement& r, const Node& node) {
  const std::string* value = nullptr;
  if (r.field) {
    value = &node.metadata().name();
  } else {
    const auto& labels = node.metadata().labels();
    auto it = labels.find(r.key);
    if (it != labels.end()) value = &it->second;
  }
  auto in = [&] { return std::find(r.values.begin(), r.values.end(), *value) != r.values.end(); };
  switch (r.op) {
    case Op::kIn:
      return value && in();
    case Op::kNotIn:
      return !value || !in();
    case Op::kExists:
      return value != nullptr;
    case Op::kDoesNotExist:
      return value == nullptr;
    case Op::kGt:
    case Op::kLt: {
      int64_t v;
      if (!value || !absl::SimpleAtoi(*value, &v)) return false;
      return r.op == Op::kGt ? v > r.number : v < r.number;
    }
    case Op::kInvalid:
      return false;
  }
  return false;
}

bool TermMatches(const CompiledTerm& t, const Node& node) {
  if (t.empty || !t.valid) return false;
  for (const auto& r : t.reqs) {
    if (!RequirementMatches(r, node)) return false;
  }
  return true;
}

struct NodeAffinityPreFilterState : StateData {
  std::vector<std::pair<std::string, std::string>> node_selector;
  bool has_required = false;
  std::vector<CompiledTerm> required;                // ORed
  const std::vector<CompiledTerm>* added = nullptr;  // The plugin's addedAffinity (ORed).
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<NodeAffinityPreFilterState>(*this);
  }
};

struct NodeAffinityPreScoreState : StateData {
  std::vector<std::pair<CompiledTerm, int32_t>> preferred;
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<NodeAffinityPreScoreState>(*this);
  }
};

constexpr char kErrNodeAffinity[] = "node(s) didn't match Pod's node affinity/selector";

bool StateMatches(const NodeAffinityPreFilterState& s, const Node& node) {
  const auto& labels = node.metadata().labels();
  for (const auto& [k, v] : s.node_selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  if (s.added) {
    bool any = false;
    for (const auto& t : *s.added) any = any || TermMatches(t, node);
    if (!any) return false;
  }
  if (!s.has_required) return true;
  for (const auto& t : s.required) {
    if (TermMatches(t, node)) return true;
  }
  return false;
}

// A NodeSelectorTerm from plugin args ({matchExpressions: [...], matchFields: [...]}).
absl::StatusOr<CompiledTerm> TermFromArgs(const ConfigValue& v, const std::string& path) {
  NodeSelectorTerm term;
  for (auto [key, field] : {std::pair{"matchExpressions", false}, {"matchFields", true}}) {
    const ConfigValue* list = v.Find(key);
    if (!list || list->is_null()) continue;
    if (!list->is_list())
      return absl::InvalidArgumentError(absl::StrCat(path, ".", key, ": must be a list"));
    for (size_t i = 0; i < list->list().size(); ++i) {
      const ConfigValue& r = list->list()[i];
      std::string rpath = absl::StrCat(path, ".", key, "[", i, "]");
      NodeSelectorRequirement* req = field ? term.add_matchfields() : term.add_matchexpressions();
      const ConfigValue* k = r.Find("key");
      const ConfigValue* op = r.Find("operator");
      if (!k || !op) return absl::InvalidArgumentError(rpath + ": key and operator are required");
      req->set_key(k->scalar());
      req->set_operator_(op->scalar());
      if (const ConfigValue* vals = r.Find("values"); vals && vals->is_list()) {
        for (const auto& x : vals->list()) req->add_values(x.scalar());
      }
      if (Compile(*req, field).op == Op::kInvalid) {
        return absl::InvalidArgumentError(
            absl::StrCat(rpath, ": Invalid value: operator \"", op->scalar(), "\" with values"));
      }
    }
  }
  return CompileTerm(term);
}

void CompileRequired(const Pod& pod, NodeAffinityPreFilterState* s) {
  for (const auto& [k, v] : pod.spec().nodeselector()) s->node_selector.push_back({k, v});
  std::sort(s->node_selector.begin(), s->node_selector.end());
  const auto& spec = pod.spec();
  if (spec.has_affinity() && spec.affinity().has_nodeaffinity() &&
      spec.affinity().nodeaffinity().has_requiredduringschedulingignoredduringexecution()) {
    s->has_required = true;
    for (const auto& t : spec.affinity()
                             .nodeaffinity()
                             .requiredduringschedulingignoredduringexecution()
                             .nodeselectorterms()) {
      s->required.push_back(CompileTerm(t));
    }
  }
}

class NodeAffinityPlugin : public PreFilterPlugin,
                           public FilterPlugin,
                           public PreScorePlugin,
                           public ScorePlugin,
                           public EnqueueExtensions {
 public:
  // Args: addedAffinity (a NodeAffinity every pod of the profile also has to satisfy).
  static absl::StatusOr<std::unique_ptr<Plugin>> New(const ConfigValue& args, Handle*) {
    auto p = std::make_unique<NodeAffinityPlugin>();
    const ConfigValue* added = args.Find("addedAffinity");
    if (added && !added->is_null()) {
      const std::string path = "addedAffinity";
      if (const ConfigValue* req = added->Find("requiredDuringSchedulingIgnoredDuringExecution");
          req && !req->is_null()) {
        const ConfigValue* terms = req->Find("nodeSelectorTerms");
        if (!terms || !terms->is_list()) {
          return absl::InvalidArgumentError(
              path +
              ".requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: must be a list");
        }
        p->has_added_required_ = true;
        for (size_t i = 0; i < terms->list().size(); ++i) {
          absl::StatusOr<CompiledTerm> t = TermFromArgs(
              terms->list()[i],
              absl::StrCat(path,
                           ".requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[", i,
                           "]"));
          if (!t.ok()) return t.status();
          p->added_required_.push_back(*std::move(t));
        }
      }
      if (const ConfigValue* pref = added->Find("preferredDuringSchedulingIgnoredDuringExecution");
          pref && pref->is_list()) {
        for (size_t i = 0; i < pref->list().size(); ++i) {
          std::string ipath =
              absl::StrCat(path, ".preferredDuringSchedulingIgnoredDuringExecution[", i, "]");
          const ConfigValue& item = pref->list()[i];
          const ConfigValue* w = item.Find("weight");
          const ConfigValue* term = item.Find("preference");
          if (!w || !term)
            return absl::InvalidArgumentError(ipath + ": weight and preference are required");
          absl::StatusOr<int64_t> wv = w->AsInt(ipath + ".weight");
          if (!wv.ok()) return wv.status();
          if (*wv < 1 || *wv > 100) {
            return absl::InvalidArgumentError(ipath + ".weight: must be in the range 1-100");
          }
          absl::StatusOr<CompiledTerm> t = TermFromArgs(*term, ipath + ".preference");
          if (!t.ok()) return t.status();
          p->added_preferred_.push_back({*std::move(t), static_cast<int32_t>(*wv)});
        }
      }
    }
    return std::unique_ptr<Plugin>(std::move(p));
  }
  std::string_view Name() const override { return kNodeAffinity; }

  Status PreFilter(CycleState& state, const PodInfo& pod, PreFilterResult* result) override {
    const auto& spec = pod.pod().spec();
    if (!has_added_required_ && spec.nodeselector().empty() &&
        !(spec.has_affinity() && spec.affinity().has_nodeaffinity() &&
          spec.affinity().nodeaffinity().has_requiredduringschedulingignoredduringexecution())) {
      return Status::Skip();
    }
    auto s = std::make_unique<NodeAffinityPreFilterState>();
    CompileRequired(pod.pod(), s.get());
    if (has_added_required_) s->added = &added_required_;
    if (s->has_required) {
      std::optional<absl::flat_hash_set<std::string>> names;
      bool all = false;
      const auto& terms = pod.pod()
                              .spec()
                              .affinity()
                              .nodeaffinity()
                              .requiredduringschedulingignoredduringexecution()
                              .nodeselectorterms();
      for (const auto& t : terms) {
        std::optional<absl::flat_hash_set<std::string>> term_names;
        for (const auto& r : t.matchfields()) {
          if (r.key() != "metadata.name" || r.operator_() != "In") continue;
          absl::flat_hash_set<std::string> set(r.values().begin(), r.values().end());
          if (!term_names) {
            term_names = std::move(set);
          } else {
            absl::flat_hash_set<std::string> both;
            for (const auto& n : *term_names) {
              if (set.contains(n)) both.insert(n);
            }
            term_names = std::move(both);
          }
        }
        if (!term_names) {
          all = true;
          break;
        }
        if (!names) names.emplace();
        names->insert(term_names->begin(), term_names->end());
      }
      if (!all && names) {
        if (names->empty()) {
          return Status::Unresolvable(kErrNodeAffinity);
        }
        result->node_names = std::move(names);
      }
    }
    state.Write(pre_filter_key_, std::move(s));
    return Status();
  }

  Status Filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) override {
    const auto* s = state.Get<NodeAffinityPreFilterState>(pre_filter_key_);
    bool match;
    if (s) {
      match = StateMatches(*s, *node.node());
    } else {
      NodeAffinityPreFilterState fresh;
      CompileRequired(pod.pod(), &fresh);
      if (has_added_required_) fresh.added = &added_required_;
      match = StateMatches(fresh, *node.node());
    }
    return match ? Status() : Status::Unresolvable(kErrNodeAffinity);
  }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const>) override {
    const auto& spec = pod.pod().spec();
    if (added_preferred_.empty() &&
        (!spec.has_affinity() || !spec.affinity().has_nodeaffinity() ||
         spec.affinity().nodeaffinity().preferredduringschedulingignoredduringexecution_size() ==
             0)) {
      return Status::Skip();
    }
    auto s = std::make_unique<NodeAffinityPreScoreState>();
    s->preferred = added_preferred_;
    for (const auto& p :
         spec.affinity().nodeaffinity().preferredduringschedulingignoredduringexecution()) {
      if (p.weight() == 0) continue;
      s->preferred.push_back({CompileTerm(p.preference()), p.weight()});
    }
    state.Write(pre_score_key_, std::move(s));
    return Status();
  }

  Status Score(const CycleState& state, const PodInfo&, const NodeInfo& node,
               int64_t* score) override {
    const auto* s = state.Get<NodeAffinityPreScoreState>(pre_score_key_);
    int64_t total = 0;
    if (s) {
      for (const auto& [term, weight] : s->preferred) {
        if (TermMatches(term, *node.node())) total += weight;
      }
    }
    *score = total;
    return Status();
  }
  Status NormalizeScore(const CycleState&, const PodInfo&, std::span<int64_t> scores) override {
    DefaultNormalizeScore(kMaxNodeScore, false, scores);
    return Status();
  }
  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return Events({{EventResource::kNode, kAdd | kUpdateNodeLabel}});
  }

 private:
  const StateKey pre_filter_key_{"PreFilterNodeAffinity"};
  const StateKey pre_score_key_{"PreScoreNodeAffinity"};
  bool has_added_required_ = false;
  std::vector<CompiledTerm> added_required_;
  std::vector<std::pair<CompiledTerm, int32_t>> added_preferred_;
};

// ------------------------------------------------------------------------------------------
// NodePorts

class NodePortsPlugin : public PreFilterPlugin, public FilterPlugin, public EnqueueExtensions {
 public:
  explicit NodePortsPlugin(Handle*) {}
  std::string_view Name() const override { return kNodePorts; }
  Status PreFilter(CycleState&, const PodInfo& pod, PreFilterResult*) override {
    return pod.host_ports().empty() ? Status::Skip() : Status();
  }
  Status Filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) override {
    for (const HostPort& p : pod.host_ports()) {
      if (node.used_ports().Conflicts(p)) {
        return Status::Unschedulable("node(s) didn't have free ports for the requested pod ports");
      }
    }
    return Status();
  }
  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return Events({{EventResource::kAssignedPod, kDelete}, {EventResource::kNode, kAdd | kUpdate}});
  }
};

// ------------------------------------------------------------------------------------------
// Resource scoring shared by NodeResourcesFit and NodeResourcesBalancedAllocation.

struct ResourceSpec {
  enum Kind { kCpu, kMemory, kEphemeral, kScalar } kind = kScalar;
  std::string name;
  int64_t weight = 1;
};

absl::StatusOr<std::vector<ResourceSpec>> ParseResources(const ConfigValue* v,
                                                         std::string_view path) {
  std::vector<ResourceSpec> out;
  if (!v || v->is_null()) {
    out.push_back({ResourceSpec::kCpu, "cpu", 1});
    out.push_back({ResourceSpec::kMemory, "memory", 1});
    return out;
  }
  if (!v->is_list())
    return absl::InvalidArgumentError(absl::StrCat(AbslView(path), ": must be a list"));
  for (size_t i = 0; i < v->list().size(); ++i) {
    const ConfigValue& r = v->list()[i];
    std::string ipath = absl::StrCat(AbslView(path), "[", i, "]");
    const ConfigValue* name = r.Find("name");
    if (!name) return absl::InvalidArgumentError(absl::StrCat(ipath, ".name: Required value"));
    ResourceSpec spec;
    absl::StatusOr<std::string> n = name->AsString(ipath + ".name");
    if (!n.ok()) return n.status();
    spec.name = *n;
    spec.kind = spec.name == "cpu"                 ? ResourceSpec::kCpu
                : spec.name == "memory"            ? ResourceSpec::kMemory
                : spec.name == "ephemeral-storage" ? ResourceSpec::kEphemeral
                                                   : ResourceSpec::kScalar;
    if (const ConfigValue* w = r.Find("weight")) {
      absl::StatusOr<int64_t> wv = w->AsInt(ipath + ".weight");
      if (!wv.ok()) return wv.status();
      if (*wv < 1 || *wv > 100) {
        return absl::InvalidArgumentError(absl::StrCat(ipath, ".weight: Invalid value: ", *wv,
                                                       ": resource weight of ", spec.name,
                                                       " should be in the range [1, 100]"));
      }
      spec.weight = *wv;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

int64_t ValueOf(const Resource& r, const ResourceSpec& s) {
  switch (s.kind) {
    case ResourceSpec::kCpu:
      return r.milli_cpu;
    case ResourceSpec::kMemory:
      return r.memory;
    case ResourceSpec::kEphemeral:
      return r.ephemeral_storage;
    case ResourceSpec::kScalar:
      return r.Scalar(s.name);
  }
  return 0;
}

// Fills allocatable/requested per resource as Kubernetes' resourceAllocationScorer does:
// cpu/memory use non-zero requests unless `use_requested`; scalar resources the pod does not
// request are left out (0 allocatable).
// The pod's side of the scoring requests, computed once per cycle.
void PodScoringRequests(const std::vector<ResourceSpec>& specs, const PodInfo& pod,
                        bool use_requested, int64_t* out) {
  for (size_t i = 0; i < specs.size() && i < 16; ++i) {
    const ResourceSpec& s = specs[i];
    bool nz = !use_requested && (s.kind == ResourceSpec::kCpu || s.kind == ResourceSpec::kMemory);
    out[i] = ValueOf(nz ? pod.non_zero_requests() : pod.requests(), s);
  }
}

void AllocatableAndRequested(const std::vector<ResourceSpec>& specs, const NodeInfo& node,
                             const int64_t* pod_reqs, bool use_requested, int64_t* alloc,
                             int64_t* req) {
  const size_t n = std::min<size_t>(specs.size(), 16);
  const Resource& used = use_requested ? node.requested() : node.non_zero_requested();
  for (size_t i = 0; i < n; ++i) {
    const ResourceSpec& s = specs[i];
    const int64_t pod_req = pod_reqs[i];
    switch (s.kind) {
      case ResourceSpec::kCpu:
        alloc[i] = node.allocatable().milli_cpu;
        req[i] = used.milli_cpu + pod_req;
        break;
      case ResourceSpec::kMemory:
        alloc[i] = node.allocatable().memory;
        req[i] = used.memory + pod_req;
        break;
      case ResourceSpec::kEphemeral:
        alloc[i] = node.allocatable().ephemeral_storage;
        req[i] = node.requested().ephemeral_storage + pod_req;
        break;
      case ResourceSpec::kScalar:
        if (pod_req == 0) {
          alloc[i] = 0;
          req[i] = 0;
        } else {
          alloc[i] = node.allocatable().Scalar(s.name);
          req[i] = node.requested().Scalar(s.name) + pod_req;
        }
        break;
    }
  }
}

int64_t LeastRequestedScore(int64_t requested, int64_t capacity) {
  if (capacity == 0 || requested > capacity) return 0;
  return (capacity - requested) * kMaxNodeScore / capacity;
}

int64_t MostRequestedScore(int64_t requested, int64_t capacity) {
  if (capacity == 0) return 0;
  if (requested > capacity) requested = capacity;
  return requested * kMaxNodeScore / capacity;
}

// ------------------------------------------------------------------------------------------
// NodeResourcesFit

struct FitPreFilterState : StateData {
  Resource request;
  int64_t score_requests[16] = {};
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<FitPreFilterState>(*this);
  }
};

enum class Strategy { kLeast, kMost, kRatio };

class NodeResourcesFitPlugin : public PreFilterPlugin,
                               public FilterPlugin,
                               public ScorePlugin,
                               public EnqueueExtensions {
 public:
  static absl::StatusOr<std::unique_ptr<Plugin>> New(const ConfigValue& args, Handle*) {
    auto p = std::make_unique<NodeResourcesFitPlugin>();
    const ConfigValue* strategy = args.Find("scoringStrategy");
    const ConfigValue* type = strategy ? strategy->Find("type") : nullptr;
    if (type) {
      const std::string& t = type->scalar();
      if (t == "LeastAllocated")
        p->strategy_ = Strategy::kLeast;
      else if (t == "MostAllocated")
        p->strategy_ = Strategy::kMost;
      else if (t == "RequestedToCapacityRatio")
        p->strategy_ = Strategy::kRatio;
      else {
        return absl::InvalidArgumentError(
            absl::StrCat("scoringStrategy.type: Unsupported value: \"", t,
                         "\": supported values: \"LeastAllocated\", \"MostAllocated\", "
                         "\"RequestedToCapacityRatio\""));
      }
    }
    absl::StatusOr<std::vector<ResourceSpec>> res = ParseResources(
        strategy ? strategy->Find("resources") : nullptr, "scoringStrategy.resources");
    if (!res.ok()) return res.status();
    p->resources_ = *std::move(res);
    if (p->strategy_ == Strategy::kRatio) {
      const ConfigValue* r = strategy->Find("requestedToCapacityRatio");
      const ConfigValue* shape = r ? r->Find("shape") : nullptr;
      if (!shape || !shape->is_list() || shape->list().empty()) {
        return absl::InvalidArgumentError(
            "scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point "
            "must be specified");
      }
      for (size_t i = 0; i < shape->list().size(); ++i) {
        std::string path = absl::StrCat("scoringStrategy.requestedToCapacityRatio.shape[", i, "]");
        const ConfigValue& pt = shape->list()[i];
        const ConfigValue* u = pt.Find("utilization");
        const ConfigValue* sc = pt.Find("score");
        if (!u || !sc) return absl::InvalidArgumentError(path + ": utilization and score required");
        absl::StatusOr<int64_t> uv = u->AsInt(path + ".utilization");
        if (!uv.ok()) return uv.status();
        absl::StatusOr<int64_t> sv = sc->AsInt(path + ".score");
        if (!sv.ok()) return sv.status();
        if (*uv < 0 || *uv > 100) {
          return absl::InvalidArgumentError(path + ".utilization: must be in the range [0, 100]");
        }
        if (*sv < 0 || *sv > 10) {
          return absl::InvalidArgumentError(path + ".score: must be in the range [0, 10]");
        }
        if (!p->shape_.empty() && *uv <= p->shape_.back().first) {
          return absl::InvalidArgumentError(
              path + ".utilization: values must be sorted in increasing order");
        }
        // Shape scores are 0-10; node scores 0-100.
        p->shape_.push_back({*uv, *sv * (kMaxNodeScore / 10)});
      }
    }
    if (const ConfigValue* ig = args.Find("ignoredResources"); ig && ig->is_list()) {
      for (const auto& v : ig->list()) p->ignored_.push_back(v.scalar());
    }
    if (const ConfigValue* ig = args.Find("ignoredResourceGroups"); ig && ig->is_list()) {
      for (const auto& v : ig->list()) p->ignored_groups_.push_back(v.scalar());
    }
    return std::unique_ptr<Plugin>(std::move(p));
  }

  std::string_view Name() const override { return kNodeResourcesFit; }

  Status PreFilter(CycleState& state, const PodInfo& pod, PreFilterResult*) override {
    auto s = std::make_unique<FitPreFilterState>();
    s->request = pod.requests();
    PodScoringRequests(resources_, pod, false, s->score_requests);
    state.Write(key_, std::move(s));
    return Status();
  }

  Status Filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) override {
    const auto* s = state.Get<FitPreFilterState>(key_);
    const Resource& req = s ? s->request : pod.requests();
    const Resource& alloc = node.allocatable();
    const Resource& used = node.requested();
    std::vector<std::string> reasons;
    if (static_cast<int64_t>(node.pods().size()) + 1 > alloc.allowed_pod_number) {
      reasons.push_back("Too many pods");
    }
    if (req.milli_cpu == 0 && req.memory == 0 && req.ephemeral_storage == 0 && req.scalar.empty()) {
      return reasons.empty() ? Status() : Status(Code::kUnschedulable, std::move(reasons));
    }
    // The common failures (cpu or memory alone) are prebuilt: copies share them.
    if (reasons.empty() && req.scalar.empty() &&
        !(req.ephemeral_storage > 0 &&
          req.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage)) {
      const bool cpu = req.milli_cpu > 0 && req.milli_cpu > alloc.milli_cpu - used.milli_cpu;
      const bool mem = req.memory > 0 && req.memory > alloc.memory - used.memory;
      if (!cpu && !mem) return Status();
      if (cpu != mem) {
        static const Status* insufficient_cpu = new Status(Status::Immortal(
            Status(Code::kUnschedulable, "Insufficient cpu").WithPlugin(kNodeResourcesFit)));
        static const Status* insufficient_memory = new Status(Status::Immortal(
            Status(Code::kUnschedulable, "Insufficient memory").WithPlugin(kNodeResourcesFit)));
        return cpu ? *insufficient_cpu : *insufficient_memory;
      }
    }
    if (req.milli_cpu > 0 && req.milli_cpu > alloc.milli_cpu - used.milli_cpu) {
      reasons.push_back("Insufficient cpu");
    }
    if (req.memory > 0 && req.memory > alloc.memory - used.memory) {
      reasons.push_back("Insufficient memory");
    }
    if (req.ephemeral_storage > 0 &&
        req.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage) {
      reasons.push_back("Insufficient ephemeral-storage");
    }
    for (const auto& [name, v] : req.scalar) {
      if (v == 0 || Ignored(name)) continue;
      if (v > alloc.Scalar(name) - used.Scalar(name)) reasons.push_back("Insufficient " + name);
    }
    return reasons.empty() ? Status() : Status(Code::kUnschedulable, std::move(reasons));
  }

  Status Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node,
               int64_t* score) override {
    int64_t alloc[16], req[16], own[16];
    size_t n = std::min<size_t>(resources_.size(), 16);
    const auto* st = state.Get<FitPreFilterState>(key_);
    if (!st) PodScoringRequests(resources_, pod, false, own);
    AllocatableAndRequested(resources_, node, st ? st->score_requests : own, false, alloc, req);
    int64_t total = 0, weights = 0;
    for (size_t i = 0; i < n; ++i) {
      if (alloc[i] == 0) continue;
      int64_t w = resources_[i].weight;
      int64_t s;
      switch (strategy_) {
        case Strategy::kLeast:
          s = LeastRequestedScore(req[i], alloc[i]);
          break;
        case Strategy::kMost:
          s = MostRequestedScore(req[i], alloc[i]);
          break;
        case Strategy::kRatio:
          s = RatioScore(req[i], alloc[i]);
          if (s <= 0) continue;
          break;
      }
      total += s * w;
      weights += w;
    }
    if (weights == 0) {
      *score = 0;
    } else if (strategy_ == Strategy::kRatio) {
      *score = static_cast<int64_t>(std::llround(static_cast<double>(total) / weights));
    } else {
      *score = total / weights;
    }
    return Status();
  }

  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return Events({{EventResource::kAssignedPod, kDelete | kUpdatePodScaleDown},
                   {EventResource::kNode, kAdd | kUpdateNodeAllocatable}});
  }

 private:
  bool Ignored(const std::string& name) const {
    for (const auto& i : ignored_) {
      if (i == name) return true;
    }
    size_t slash = name.find('/');
    if (slash != std::string::npos) {
      for (const auto& g : ignored_groups_) {
        if (name.compare(0, slash, g) == 0) return true;
      }
    }
    return false;
  }
  int64_t Broken(int64_t p) const {
    for (size_t i = 0; i < shape_.size(); ++i) {
      if (p <= shape_[i].first) {
        if (i == 0) return shape_[0].second;
        return shape_[i - 1].second + (shape_[i].second - shape_[i - 1].second) *
                                          (p - shape_[i - 1].first) /
                                          (shape_[i].first - shape_[i - 1].first);
      }
    }
    return shape_.back().second;
  }
  int64_t RatioScore(int64_t requested, int64_t capacity) const {
    if (capacity == 0 || requested > capacity) return Broken(100);
    return Broken(requested * 100 / capacity);
  }

  const StateKey key_{"PreFilterNodeResourcesFit"};
  Strategy strategy_ = Strategy::kLeast;
  std::vector<ResourceSpec> resources_;
  std::vector<std::pair<int64_t, int64_t>> shape_;
  std::vector<std::string> ignored_;
  std::vector<std::string> ignored_groups_;
};

// ------------------------------------------------------------------------------------------
// NodeResourcesBalancedAllocation

class BalancedAllocationPlugin : public PreScorePlugin,
                                 public ScorePlugin,
                                 public EnqueueExtensions {
 public:
  static absl::StatusOr<std::unique_ptr<Plugin>> New(const ConfigValue& args, Handle*) {
    auto p = std::make_unique<BalancedAllocationPlugin>();
    absl::StatusOr<std::vector<ResourceSpec>> res =
        ParseResources(args.Find("resources"), "resources");
    if (!res.ok()) return res.status();
    p->resources_ = *std::move(res);
    return std::unique_ptr<Plugin>(std::move(p));
  }
  std::string_view Name() const override { return kNodeResourcesBalancedAllocation; }
  const StateKey key_{"PreScoreNodeResourcesBalancedAllocation"};
  struct State : StateData {
    int64_t requests[16] = {};
    std::unique_ptr<StateData> Clone() const override { return std::make_unique<State>(*this); }
  };
  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const>) override {
    // Best-effort pods (no requests of the scored resources) are not scored.
    auto s = std::make_unique<State>();
    PodScoringRequests(resources_, pod, true, s->requests);
    bool best_effort = true;
    for (size_t i = 0; i < resources_.size() && i < 16; ++i) best_effort &= s->requests[i] == 0;
    if (best_effort) return Status::Skip();
    state.Write(key_, std::move(s));
    return Status();
  }
  Status Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node,
               int64_t* score) override {
    int64_t alloc[16], req[16], own[16];
    size_t n = std::min<size_t>(resources_.size(), 16);
    const auto* st = state.Get<State>(key_);
    if (!st) PodScoringRequests(resources_, pod, true, own);
    AllocatableAndRequested(resources_, node, st ? st->requests : own, true, alloc, req);
    double fractions[16];
    int count = 0;
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      if (alloc[i] == 0) continue;
      double f = static_cast<double>(req[i]) / static_cast<double>(alloc[i]);
      if (f > 1) f = 1;
      total += f;
      fractions[count++] = f;
    }
    double std = 0;
    if (count == 2) {
      std = std::fabs((fractions[0] - fractions[1]) / 2);
    } else if (count > 2) {
      double mean = total / count, sum = 0;
      for (int i = 0; i < count; ++i) sum += (fractions[i] - mean) * (fractions[i] - mean);
      std = std::sqrt(sum / count);
    }
    *score = static_cast<int64_t>((1 - std) * static_cast<double>(kMaxNodeScore));
    return Status();
  }
  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return Events({{EventResource::kAssignedPod, kAdd | kDelete},
                   {EventResource::kNode, kAdd | kUpdateNodeAllocatable}});
  }

 private:
  std::vector<ResourceSpec> resources_;
};

// ------------------------------------------------------------------------------------------
// ImageLocality

constexpr int64_t kMb = 1024 * 1024;
constexpr int64_t kMinThreshold = 23 * kMb;
constexpr int64_t kMaxContainerThreshold = 1000 * kMb;

struct ImagePreScoreState : StateData {
  std::vector<std::pair<std::string, int>> images;  // present somewhere: (name, num nodes)
  int total_nodes = 0;
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<ImagePreScoreState>(*this);
  }
};

class ImageLocalityPlugin : public PreScorePlugin, public ScorePlugin {
 public:
  explicit ImageLocalityPlugin(Handle* h) : handle_(h) {}
  std::string_view Name() const override { return kImageLocality; }
  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const>) override {
    auto s = std::make_unique<ImagePreScoreState>();
    const NodeInfoLister& snap = handle_->Snapshot();
    s->total_nodes = static_cast<int>(snap.List().size());
    for (const auto& image : pod.images()) {
      int n = snap.ImageNumNodes(image);
      if (n > 0) s->images.push_back({image, n});
    }
    // No image of the pod is anywhere: every node scores 0.
    if (s->images.empty() || s->total_nodes == 0) return Status::Skip();
    state.Write(key_, std::move(s));
    return Status();
  }
  Status Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node,
               int64_t* score) override {
    const auto* s = state.Get<ImagePreScoreState>(key_);
    int64_t sum = 0;
    if (s) {
      for (const auto& [image, num_nodes] : s->images) {
        auto it = node.images().find(image);
        if (it == node.images().end()) continue;
        sum += static_cast<int64_t>(static_cast<double>(it->second) *
                                    (static_cast<double>(num_nodes) / s->total_nodes));
      }
    }
    int64_t containers =
        pod.pod().spec().containers_size() + pod.pod().spec().initcontainers_size();
    int64_t max_threshold = kMaxContainerThreshold * std::max<int64_t>(containers, 1);
    sum = std::clamp(sum, kMinThreshold, max_threshold);
    *score = kMaxNodeScore * (sum - kMinThreshold) / (max_threshold - kMinThreshold);
    return Status();
  }

 private:
  Handle* handle_;
  const StateKey key_{"PreScoreImageLocality"};
};

// ------------------------------------------------------------------------------------------
// DefaultBinder

class DefaultBinderPlugin : public BindPlugin {
 public:
  explicit DefaultBinderPlugin(Handle* h) : handle_(h) {}
  std::string_view Name() const override { return kDefaultBinder; }
  Status Bind(CycleState&, const PodInfo& pod, const std::string& node) override {
    Binder* b = handle_->binder();
    if (!b) return Status::Error("no Binder configured");
    absl::Status s = b->Bind(pod.pod(), node);
    if (!s.ok()) return Status::Error(std::string(s.message()));
    return Status();
  }

 private:
  Handle* handle_;
};

}  // namespace

bool ToleratesTaint(const Toleration& t, const Taint& taint) {
  if (!t.effect().empty() && t.effect() != taint.effect()) return false;
  if (!t.key().empty() && t.key() != taint.key()) return false;
  const std::string& op = t.operator_();
  if (op.empty() || op == "Equal") return t.value() == taint.value();
  return op == "Exists";
}

void DefaultNormalizeScore(int64_t max_score, bool reverse, std::span<int64_t> scores) {
  int64_t max_count = 0;
  for (int64_t s : scores) max_count = std::max(max_count, s);
  if (max_count == 0) {
    if (reverse) {
      for (int64_t& s : scores) s = max_score;
    }
    return;
  }
  for (int64_t& s : scores) {
    s = max_score * s / max_count;
    if (reverse) s = max_score - s;
  }
}

bool NodeMatchesNodeSelector(const NodeSelector& selector, const Node& node) {
  for (const auto& t : selector.nodeselectorterms()) {
    if (TermMatches(CompileTerm(t), node)) return true;
  }
  return false;
}

bool PodMatchesNodeSelectorAndAffinity(const Pod& pod, const Node& node) {
  NodeAffinityPreFilterState s;
  CompileRequired(pod, &s);
  return StateMatches(s, node);
}

absl::Status RegisterDefaultPlugins(PluginRegistry* r) {
  std::pair<const char*, PluginFactory> all[] = {
      {kPrioritySort, Simple<PrioritySort>()},
      {kNodeName, Simple<NodeNamePlugin>()},
      {kNodeUnschedulable, Simple<NodeUnschedulablePlugin>()},
      {kTaintToleration, Simple<TaintTolerationPlugin>()},
      {kNodeAffinity, &NodeAffinityPlugin::New},
      {kNodePorts, Simple<NodePortsPlugin>()},
      {kNodeResourcesFit, &NodeResourcesFitPlugin::New},
      {kNodeResourcesBalancedAllocation, &BalancedAllocationPlugin::New},
      {kImageLocality, Simple<ImageLocalityPlugin>()},
      {kInterPodAffinity, &NewInterPodAffinity},
      {kPodTopologySpread, &NewPodTopologySpread},
      {kDefaultPreemption, &NewDefaultPreemption},
      {kDefaultBinder, Simple<DefaultBinderPlugin>()},
  };
  for (auto& [name, f] : all) {
    absl::Status s = r->Register(name, std::move(f));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace rudder::sched::plugins

namespace rudder::sched {

PluginRegistry DefaultRegistry() {
  PluginRegistry r;
  absl::Status s = plugins::RegisterDefaultPlugins(&r);
  (void)s;  // A fresh registry cannot have name clashes.
  return r;
}

}  // namespace rudder::sched
