// Scheduler configuration in the spirit of KubeSchedulerConfiguration
// (kubescheduler.config.k8s.io/v1): profiles, plugins per extension point, weights,
// per-plugin args and percentageOfNodesToScore. Build it in code or parse it from YAML/JSON.
//
// File format (YAML or JSON):
//
//   apiVersion: kubescheduler.config.k8s.io/v1
//   kind: KubeSchedulerConfiguration
//   parallelism: 16
//   percentageOfNodesToScore: 0            # 0: Kubernetes' adaptive default
//   podInitialBackoffSeconds: 1
//   podMaxBackoffSeconds: 10
//   profiles:
//   - schedulerName: default-scheduler
//     percentageOfNodesToScore: 50         # optional, overrides the global value
//     plugins:
//       multiPoint: {enabled: [{name: MyPlugin, weight: 3}], disabled: [{name: ImageLocality}]}
//       score: {disabled: [{name: "*"}], enabled: [{name: NodeResourcesFit, weight: 2}]}
//     pluginConfig:
//     - name: NodeResourcesFit
//       args: {scoringStrategy: {type: MostAllocated}}
//
// Value types; not thread-safe to mutate.
#ifndef RUDDER_LIB_SCHED_CONFIG_H_
#define RUDDER_LIB_SCHED_CONFIG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rudder::sched {

// A JSON-like value holding a plugin's args: null, bool, integer, double, string, list or map.
class ConfigValue {
 public:
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kList, kMap };
  ConfigValue() = default;
  static ConfigValue Bool(bool b);
  static ConfigValue Int(int64_t i);
  static ConfigValue Double(double d);
  static ConfigValue String(std::string s);
  static ConfigValue List(std::vector<ConfigValue> items = {});
  static ConfigValue Map(std::map<std::string, ConfigValue> items = {});
  // Parses YAML or JSON text. InvalidArgument on malformed input.
  static absl::StatusOr<ConfigValue> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_map() const { return kind_ == Kind::kMap; }
  bool is_list() const { return kind_ == Kind::kList; }
  // Scalars as text (YAML keeps scalars as text; "3" reads as int, "true" as bool).
  const std::string& scalar() const { return scalar_; }
  // Typed reads; InvalidArgument naming `path` when the value has another type.
  absl::StatusOr<int64_t> AsInt(std::string_view path) const;
  absl::StatusOr<double> AsDouble(std::string_view path) const;
  absl::StatusOr<bool> AsBool(std::string_view path) const;
  absl::StatusOr<std::string> AsString(std::string_view path) const;
  const std::vector<ConfigValue>& list() const { return list_; }
  const std::map<std::string, ConfigValue>& map() const { return map_; }
  std::map<std::string, ConfigValue>& mutable_map() { return map_; }
  std::vector<ConfigValue>& mutable_list() { return list_; }
  // The member `key` of a map, or null.
  const ConfigValue* Find(std::string_view key) const;

 private:
  Kind kind_ = Kind::kNull;
  std::string scalar_;
  std::vector<ConfigValue> list_;
  std::map<std::string, ConfigValue> map_;
};

// A plugin in a PluginSet; weight is used at the Score extension point (0: the default, 1 or
// the weight the default profile gives it).
struct PluginRef {
  std::string name;
  int32_t weight = 0;
};

// Enabled and disabled plugins of one extension point. "*" in disabled disables every default.
struct PluginSet {
  std::vector<PluginRef> enabled;
  std::vector<PluginRef> disabled;
};

// The extension points of a profile. multi_point enables a plugin at every extension point it
// implements.
struct Plugins {
  PluginSet pre_enqueue, queue_sort, pre_filter, filter, post_filter, pre_score, score, reserve,
      permit, pre_bind, bind, post_bind, multi_point;
};

// One profile: the pods whose spec.schedulerName equals scheduler_name are scheduled with it.
struct ProfileConfig {
  std::string scheduler_name = "default-scheduler";
  Plugins plugins;
  std::map<std::string, ConfigValue> plugin_config;  // plugin name -> args
  std::optional<int32_t> percentage_of_nodes_to_score;
};

// The whole scheduler's configuration.
struct SchedulerConfig {
  int32_t parallelism = 16;
  // 0: adaptive (50% minus 1% per 125 nodes, at least 5%, at least 100 nodes).
  int32_t percentage_of_nodes_to_score = 0;
  double pod_initial_backoff_seconds = 1;
  double pod_max_backoff_seconds = 10;
  std::vector<ProfileConfig> profiles;
  // When true (the default), each profile starts from the default plugins of Kubernetes' v1
  // configuration and its Plugins are applied on top (enabled appended, disabled removed).
  bool merge_defaults = true;
};

// The default profile's plugins (Kubernetes v1 defaults available here, in its order):
// PrioritySort, NodeUnschedulable, NodeName, TaintToleration (weight 3), NodeAffinity (2),
// NodePorts, NodeResourcesFit (1), PodTopologySpread (2), InterPodAffinity (2),
// DefaultPreemption, NodeResourcesBalancedAllocation (1), ImageLocality (1), DefaultBinder.
Plugins DefaultPlugins();

// A config with one profile, "default-scheduler", with the default plugins.
SchedulerConfig DefaultSchedulerConfig();

// Parses a KubeSchedulerConfiguration-like YAML or JSON document. InvalidArgument with a field
// path ("profiles[0].plugins.score.enabled[1].weight: ...") on bad input.
absl::StatusOr<SchedulerConfig> ParseSchedulerConfig(std::string_view text);

}  // namespace rudder::sched

#endif  // RUDDER_LIB_SCHED_CONFIG_H_
