// One profile's plugins, instantiated and ordered per extension point, and the Run* helpers
// that call them with the framework's rules (Skip handling, weights, normalization, reasons
// attributed to plugins).
#ifndef RUDDER_LIB_SCHED_INTERNAL_FRAMEWORK_IMPL_H_
#define RUDDER_LIB_SCHED_INTERNAL_FRAMEWORK_IMPL_H_

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/sched/config.h"
#include "lib/sched/framework.h"
#include "lib/sched/internal/parallel.h"
#include "lib/sched/registry.h"

namespace rudder::sched::internal {

template <typename P>
struct Named {
  P* plugin;
  std::string name;
  int64_t weight = 1;
};

// Built once per profile; Run* are called by the scheduler (Filter/Score concurrently).
class Framework {
 public:
  // `merge_defaults`: start from DefaultPlugins().
  static absl::StatusOr<std::unique_ptr<Framework>> Create(const ProfileConfig& profile,
                                                           bool merge_defaults,
                                                           const PluginRegistry& registry,
                                                           Handle* handle);

  const std::string& name() const { return name_; }
  std::optional<int32_t> percentage_of_nodes_to_score() const { return percentage_; }
  const Named<QueueSortPlugin>& queue_sort() const { return queue_sort_; }
  const std::map<std::string, std::vector<ClusterEventWithHint>>& events() const { return events_; }
  // Plugin names per extension point ("filter", "score", ...), for tests and diagnostics.
  std::vector<std::string> PluginNames(std::string_view point) const;
  int64_t ScoreWeight(std::string_view plugin) const;
  // The plugins of some extension points, in order, for callers that run them one by one
  // (the explanation API reports each plugin's verdict and scores).
  std::span<const Named<FilterPlugin>> filter_plugins() const { return filter_; }
  std::span<const Named<PreScorePlugin>> pre_score_plugins() const { return pre_score_; }
  std::span<const Named<ScorePlugin>> score_plugins() const { return score_; }

  Status RunPreEnqueue(const PodInfo& pod);
  // Runs every PreFilter plugin; fills `active_filters` with the Filter plugins not skipped.
  Status RunPreFilter(CycleState& state, const PodInfo& pod, PreFilterResult* result,
                      std::vector<const Named<FilterPlugin>*>* active_filters);
  Status RunPreFilterAddPod(CycleState& state, const PodInfo& pod, const PodInfo& to_add,
                            const NodeInfo& node);
  Status RunPreFilterRemovePod(CycleState& state, const PodInfo& pod, const PodInfo& to_remove,
                               const NodeInfo& node);
  // Thread-safe. Stops at the first plugin that does not return success.
  static Status RunFilter(std::span<const Named<FilterPlugin>* const> filters,
                          const CycleState& state, const PodInfo& pod, const NodeInfo& node);
  Status RunPostFilter(CycleState& state, const PodInfo& pod, const NodeToStatus& filtered,
                       PostFilterResult* result);
  bool HasPostFilter() const { return !post_filter_.empty(); }
  bool HasScore() const { return !score_.empty(); }
  // PreScore then Score (in parallel over nodes), NormalizeScore, weights. `totals` gets one
  // weighted sum per node; `scratch` is reused memory.
  Status RunPreScoreAndScore(CycleState& state, const PodInfo& pod,
                             std::span<const NodeInfo* const> nodes, Parallelizer* parallelizer,
                             std::vector<int64_t>* scratch, std::vector<int64_t>* totals);
  Status RunReserve(CycleState& state, const PodInfo& pod, const std::string& node);
  void RunUnreserve(CycleState& state, const PodInfo& pod, const std::string& node);
  // Success, a rejection, or kWait with `waits` (plugin, timeout) filled.
  Status RunPermit(CycleState& state, const PodInfo& pod, const std::string& node,
                   std::vector<std::pair<std::string, absl::Duration>>* waits);
  Status RunPreBind(CycleState& state, const PodInfo& pod, const std::string& node);
  Status RunBind(CycleState& state, const PodInfo& pod, const std::string& node);
  void RunPostBind(CycleState& state, const PodInfo& pod, const std::string& node);

 private:
  std::string name_;
  std::optional<int32_t> percentage_;
  std::vector<std::unique_ptr<Plugin>> owned_;
  Named<QueueSortPlugin> queue_sort_{nullptr, ""};
  std::vector<Named<PreEnqueuePlugin>> pre_enqueue_;
  std::vector<Named<PreFilterPlugin>> pre_filter_;
  std::vector<Named<FilterPlugin>> filter_;
  std::vector<Named<PostFilterPlugin>> post_filter_;
  std::vector<Named<PreScorePlugin>> pre_score_;
  std::vector<Named<ScorePlugin>> score_;
  std::vector<Named<ReservePlugin>> reserve_;
  std::vector<Named<PermitPlugin>> permit_;
  std::vector<Named<PreBindPlugin>> pre_bind_;
  std::vector<Named<BindPlugin>> bind_;
  std::vector<Named<PostBindPlugin>> post_bind_;
  std::map<std::string, std::vector<ClusterEventWithHint>> events_;
};

}  // namespace rudder::sched::internal

#endif  // RUDDER_LIB_SCHED_INTERNAL_FRAMEWORK_IMPL_H_
