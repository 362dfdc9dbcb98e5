#include "lib/sched/internal/framework_impl.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/base/mutex.h"

namespace rudder::sched::internal {
namespace {

constexpr absl::Duration kMaxPermitTimeout = absl::Minutes(15);

// Applies `overlay` on `base`: disabled names (or "*") removed, enabled appended or updated.
std::vector<PluginRef> MergeSet(const std::vector<PluginRef>& base, const PluginSet& overlay) {
  std::vector<PluginRef> out;
  bool star = false;
  for (const auto& d : overlay.disabled) star = star || d.name == "*";
  if (!star) {
    for (const auto& b : base) {
      bool disabled = false;
      for (const auto& d : overlay.disabled) disabled = disabled || d.name == b.name;
      if (!disabled) out.push_back(b);
    }
  }
  for (const auto& e : overlay.enabled) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const PluginRef& r) { return r.name == e.name; });
    if (it != out.end()) {
      if (e.weight != 0) it->weight = e.weight;
    } else {
      out.push_back(e);
    }
  }
  return out;
}

Status Tag(Status s, const std::string& plugin) {
  if (!s.ok() && s.plugin().empty()) s.WithPlugin(plugin);
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Framework>> Framework::Create(const ProfileConfig& profile,
                                                             bool merge_defaults,
                                                             const PluginRegistry& registry,
                                                             Handle* handle) {
  auto fw = std::make_unique<Framework>();
  fw->name_ = profile.scheduler_name;
  fw->percentage_ = profile.percentage_of_nodes_to_score;
  const Plugins& p = profile.plugins;
  std::vector<PluginRef> multi =
      MergeSet(merge_defaults ? DefaultPlugins().multi_point.enabled : std::vector<PluginRef>{},
               p.multi_point);

  std::map<std::string, Plugin*> instances;
  auto instance = [&](const std::string& name) -> absl::StatusOr<Plugin*> {
    auto it = instances.find(name);
    if (it != instances.end()) return it->second;
    absl::StatusOr<const PluginFactory*> f = registry.Get(name);
    if (!f.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("profile \"", profile.scheduler_name,
                                                     "\": plugin \"", name,
                                                     "\" does not exist in the registry"));
    }
    auto args_it = profile.plugin_config.find(name);
    static const ConfigValue kNull;
    absl::StatusOr<std::unique_ptr<Plugin>> plugin =
        (**f)(args_it == profile.plugin_config.end() ? kNull : args_it->second, handle);
    if (!plugin.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("profile \"", profile.scheduler_name,
                                                     "\": plugin \"", name,
                                                     "\": ", plugin.status().message()));
    }
    Plugin* raw = plugin->get();
    fw->owned_.push_back(*std::move(plugin));
    instances[name] = raw;
    if (auto* ee = dynamic_cast<EnqueueExtensions*>(raw)) {
      fw->events_[name] = ee->EventsToRegister();
    } else {
      fw->events_[name] = {ClusterEventWithHint{ClusterEvent::Wildcard(), nullptr}};
    }
    return raw;
  };
  for (const auto& [name, args] : profile.plugin_config) {
    if (!registry.Contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("profile \"", profile.scheduler_name,
                                                     "\": pluginConfig for \"", name,
                                                     "\", which does not exist in the registry"));
    }
  }

  auto build = [&]<typename I>(const PluginSet& set, std::string_view point,
                               std::vector<Named<I>>* out) -> absl::Status {
    bool star = false;
    for (const auto& d : set.disabled) star = star || d.name == "*";
    auto listed = [](const std::vector<PluginRef>& v, const std::string& n) {
      for (const auto& r : v) {
        if (r.name == n) return true;
      }
      return false;
    };
    for (const PluginRef& ref : multi) {
      if (star || listed(set.disabled, ref.name) || listed(set.enabled, ref.name)) continue;
      absl::StatusOr<Plugin*> pl = instance(ref.name);
      if (!pl.ok()) return pl.status();
      if (I* i = dynamic_cast<I*>(*pl)) out->push_back({i, ref.name, ref.weight ? ref.weight : 1});
    }
    for (const PluginRef& ref : set.enabled) {
      absl::StatusOr<Plugin*> pl = instance(ref.name);
      if (!pl.ok()) return pl.status();
      I* i = dynamic_cast<I*>(*pl);
      if (!i) {
        return absl::InvalidArgumentError(absl::StrCat("profile \"", profile.scheduler_name,
                                                       "\": plugin \"", ref.name,
                                                       "\" does not extend ", AbslView(point)));
      }
      int64_t weight = ref.weight;
      if (weight == 0) {
        for (const auto& m : multi) {
          if (m.name == ref.name) weight = m.weight;
        }
      }
      out->push_back({i, ref.name, weight ? weight : 1});
    }
    return absl::OkStatus();
  };
  std::vector<Named<QueueSortPlugin>> qs;
  absl::Status s;
#define RUDDER_BUILD(set, point, out) \
  s = build(set, point, out);         \
  if (!s.ok()) return s;
  RUDDER_BUILD(p.queue_sort, "QueueSort", &qs);
  RUDDER_BUILD(p.pre_enqueue, "PreEnqueue", &fw->pre_enqueue_);
  RUDDER_BUILD(p.pre_filter, "PreFilter", &fw->pre_filter_);
  RUDDER_BUILD(p.filter, "Filter", &fw->filter_);
  RUDDER_BUILD(p.post_filter, "PostFilter", &fw->post_filter_);
  RUDDER_BUILD(p.pre_score, "PreScore", &fw->pre_score_);
  RUDDER_BUILD(p.score, "Score", &fw->score_);
  RUDDER_BUILD(p.reserve, "Reserve", &fw->reserve_);
  RUDDER_BUILD(p.permit, "Permit", &fw->permit_);
  RUDDER_BUILD(p.pre_bind, "PreBind", &fw->pre_bind_);
  RUDDER_BUILD(p.bind, "Bind", &fw->bind_);
  RUDDER_BUILD(p.post_bind, "PostBind", &fw->post_bind_);
#undef RUDDER_BUILD
  if (qs.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("profile \"", profile.scheduler_name,
                     "\": exactly one QueueSort plugin required, got ", qs.size()));
  }
  fw->queue_sort_ = qs[0];
  if (fw->bind_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("profile \"", profile.scheduler_name,
                                                   "\": at least one Bind plugin required"));
  }
  return fw;
}

std::vector<std::string> Framework::PluginNames(std::string_view point) const {
  std::vector<std::string> out;
  auto add = [&](const auto& v) {
    for (const auto& n : v) out.push_back(n.name);
  };
  if (point == "queueSort") out.push_back(queue_sort_.name);
  if (point == "preEnqueue") add(pre_enqueue_);
  if (point == "preFilter") add(pre_filter_);
  if (point == "filter") add(filter_);
  if (point == "postFilter") add(post_filter_);
  if (point == "preScore") add(pre_score_);
  if (point == "score") add(score_);
  if (point == "reserve") add(reserve_);
  if (point == "permit") add(permit_);
  if (point == "preBind") add(pre_bind_);
  if (point == "bind") add(bind_);
  if (point == "postBind") add(post_bind_);
  return out;
}

int64_t Framework::ScoreWeight(std::string_view plugin) const {
  for (const auto& s : score_) {
    if (s.name == plugin) return s.weight;
  }
  return 0;
}

Status Framework::RunPreEnqueue(const PodInfo& pod) {
  for (const auto& p : pre_enqueue_) {
    Status s = p.plugin->PreEnqueue(pod);
    if (!s.ok()) {
      if (s.code() != Code::kError) s = Status(Code::kPending, s.reasons());
      return Tag(std::move(s), p.name);
    }
  }
  return Status();
}

Status Framework::RunPreFilter(CycleState& state, const PodInfo& pod, PreFilterResult* result,
                               std::vector<const Named<FilterPlugin>*>* active_filters) {
  for (const auto& p : pre_filter_) {
    PreFilterResult r;
    Status s = p.plugin->PreFilter(state, pod, &r);
    if (s.IsSkip()) {
      state.skip_filter_plugins().insert(p.name);
      continue;
    }
    if (!s.ok()) {
      return Tag(std::move(s), p.name);
    }
    result->Merge(r);
    if (result->node_names && result->node_names->empty()) {
      return Tag(Status::Unresolvable("node(s) didn't satisfy plugin(s) [" + p.name + "]"), p.name);
    }
  }
  active_filters->clear();
  for (const auto& f : filter_) {
    if (!state.skip_filter_plugins().contains(f.name)) active_filters->push_back(&f);
  }
  return Status();
}

Status Framework::RunPreFilterAddPod(CycleState& state, const PodInfo& pod, const PodInfo& to_add,
                                     const NodeInfo& node) {
  for (const auto& p : pre_filter_) {
    if (state.skip_filter_plugins().contains(p.name)) continue;
    PreFilterExtensions* ext = p.plugin->Extensions();
    if (!ext) continue;
    Status s = ext->AddPod(state, pod, to_add, node);
    if (!s.ok()) return Tag(std::move(s), p.name);
  }
  return Status();
}

Status Framework::RunPreFilterRemovePod(CycleState& state, const PodInfo& pod,
                                        const PodInfo& to_remove, const NodeInfo& node) {
  for (const auto& p : pre_filter_) {
    if (state.skip_filter_plugins().contains(p.name)) continue;
    PreFilterExtensions* ext = p.plugin->Extensions();
    if (!ext) continue;
    Status s = ext->RemovePod(state, pod, to_remove, node);
    if (!s.ok()) return Tag(std::move(s), p.name);
  }
  return Status();
}

Status Framework::RunFilter(std::span<const Named<FilterPlugin>* const> filters,
                            const CycleState& state, const PodInfo& pod, const NodeInfo& node) {
  for (const Named<FilterPlugin>* f : filters) {
    Status s = f->plugin->Filter(state, pod, node);
    if (!s.ok()) {
      if (s.code() != Code::kUnschedulable && s.code() != Code::kUnschedulableAndUnresolvable &&
          s.code() != Code::kError) {
        s = Status::Error(absl::StrCat("plugin ", f->name, " returned an invalid Filter code"));
      }
      return Tag(std::move(s), f->name);
    }
  }
  return Status();
}

Status Framework::RunPostFilter(CycleState& state, const PodInfo& pod, const NodeToStatus& filtered,
                                PostFilterResult* result) {
  Status last = Status::Unschedulable("");
  std::vector<std::string> reasons;
  for (const auto& p : post_filter_) {
    Status s = p.plugin->PostFilter(state, pod, filtered, result);
    if (s.ok()) return Tag(std::move(s), p.name);
    if (s.code() == Code::kError) return Tag(std::move(s), p.name);
    for (const auto& r : s.reasons()) reasons.push_back(r);
    last = Tag(std::move(s), p.name);
  }
  return Status(Code::kUnschedulable, std::move(reasons)).WithPlugin(last.plugin());
}

Status Framework::RunPreScoreAndScore(CycleState& state, const PodInfo& pod,
                                      std::span<const NodeInfo* const> nodes,
                                      Parallelizer* parallelizer, std::vector<int64_t>* scratch,
                                      std::vector<int64_t>* totals) {
  for (const auto& p : pre_score_) {
    Status s = p.plugin->PreScore(state, pod, nodes);
    if (s.IsSkip()) {
      state.skip_score_plugins().insert(p.name);
      continue;
    }
    if (!s.ok()) return Tag(std::move(s), p.name);
  }
  const Named<ScorePlugin>* active[64];
  int na = 0;
  for (const auto& p : score_) {
    if (!state.skip_score_plugins().contains(p.name) && na < 64) active[na++] = &p;
  }
  const int n = static_cast<int>(nodes.size());
  totals->assign(n, 0);
  if (na == 0) return Status();
  scratch->assign(static_cast<size_t>(na) * n, 0);
  constexpr int kChunk = 32;
  int chunks = (n + kChunk - 1) / kChunk;
  Mutex err_mu;
  int err_index = n;
  Status err;
  int64_t* out = scratch->data();
  const CycleState& cstate = state;
  parallelizer->For(chunks, [&](int c) {
    int end = std::min(n, (c + 1) * kChunk);
    for (int j = c * kChunk; j < end; ++j) {
      if (j + 2 < end) PrefetchNodeInfo(nodes[j + 2]);
      for (int i = 0; i < na; ++i) {
        int64_t score = 0;
        Status s = active[i]->plugin->Score(cstate, pod, *nodes[j], &score);
        if (!s.ok()) {
          MutexLock l(&err_mu);
          if (j < err_index) {
            err_index = j;
            err = Tag(std::move(s), active[i]->name);
          }
          return;
        }
        out[static_cast<size_t>(i) * n + j] = score;
      }
    }
  });
  if (err_index < n) return err;
  for (int i = 0; i < na; ++i) {
    std::span<int64_t> scores(out + static_cast<size_t>(i) * n, n);
    Status s = active[i]->plugin->NormalizeScore(cstate, pod, scores);
    if (!s.ok()) return Tag(std::move(s), active[i]->name);
    const int64_t w = active[i]->weight;
    for (int j = 0; j < n; ++j) {
      if (scores[j] < 0 || scores[j] > kMaxNodeScore) {
        return Tag(Status::Error(absl::StrCat(
                       "plugin ", active[i]->name, " returns an invalid score ", scores[j],
                       ", it should in the range of [0, 100] after normalizing")),
                   active[i]->name);
      }
      (*totals)[j] += scores[j] * w;
    }
  }
  return Status();
}

Status Framework::RunReserve(CycleState& state, const PodInfo& pod, const std::string& node) {
  for (const auto& p : reserve_) {
    Status s = p.plugin->Reserve(state, pod, node);
    if (!s.ok()) return Tag(std::move(s), p.name);
  }
  return Status();
}

void Framework::RunUnreserve(CycleState& state, const PodInfo& pod, const std::string& node) {
  for (auto it = reserve_.rbegin(); it != reserve_.rend(); ++it) {
    it->plugin->Unreserve(state, pod, node);
  }
}

Status Framework::RunPermit(CycleState& state, const PodInfo& pod, const std::string& node,
                            std::vector<std::pair<std::string, absl::Duration>>* waits) {
  waits->clear();
  for (const auto& p : permit_) {
    absl::Duration timeout = absl::ZeroDuration();
    Status s = p.plugin->Permit(state, pod, node, &timeout);
    if (s.ok()) continue;
    if (s.IsWait()) {
      waits->push_back({p.name, std::min(timeout, kMaxPermitTimeout)});
      continue;
    }
    if (s.code() != Code::kError && !s.IsRejected()) s = Status::Error(s.Message());
    return Tag(std::move(s), p.name);
  }
  if (!waits->empty()) return Status(Code::kWait);
  return Status();
}

Status Framework::RunPreBind(CycleState& state, const PodInfo& pod, const std::string& node) {
  for (const auto& p : pre_bind_) {
    Status s = p.plugin->PreBind(state, pod, node);
    if (s.IsSkip()) continue;
    if (!s.ok()) return Tag(std::move(s), p.name);
  }
  return Status();
}

Status Framework::RunBind(CycleState& state, const PodInfo& pod, const std::string& node) {
  for (const auto& p : bind_) {
    Status s = p.plugin->Bind(state, pod, node);
    if (s.IsSkip()) continue;
    return Tag(std::move(s), p.name);
  }
  return Status::Error("no Bind plugin bound the pod");
}

void Framework::RunPostBind(CycleState& state, const PodInfo& pod, const std::string& node) {
  for (const auto& p : post_bind_) p.plugin->PostBind(state, pod, node);
}

}  // namespace rudder::sched::internal
