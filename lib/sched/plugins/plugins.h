// The default (in-tree) plugins, with Kubernetes' semantics and messages:
//
//   PrioritySort                     QueueSort: higher .spec.priority first, then earlier.
//   NodeName                         Filter: spec.nodeName, if set, must be the node.
//   NodeUnschedulable                Filter: spec.unschedulable nodes need the toleration
//                                    node.kubernetes.io/unschedulable:NoSchedule.
//   NodeResourcesFit                 PreFilter/Filter: requests (incl. init containers,
//                                    overhead, extended resources) fit allocatable; Score:
//                                    LeastAllocated (default), MostAllocated or
//                                    RequestedToCapacityRatio.
//   NodeResourcesBalancedAllocation  Score: favours nodes whose resource fractions are equal.
//   NodeAffinity                     PreFilter/Filter: nodeSelector and required terms
//                                    (In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields
//                                    metadata.name); Score: preferred terms' weights.
//   TaintToleration                  Filter: NoSchedule/NoExecute taints must be tolerated;
//                                    Score: fewer untolerated PreferNoSchedule taints.
//   NodePorts                        PreFilter/Filter: host ports must be free.
//   ImageLocality                    Score: nodes that already have the pod's images.
//   DefaultBinder                    Bind: through the scheduler's Binder.
#ifndef RUDDER_LIB_SCHED_PLUGINS_PLUGINS_H_
#define RUDDER_LIB_SCHED_PLUGINS_PLUGINS_H_

#include <span>

#include "absl/status/status.h"
#include "lib/sched/framework.h"
#include "lib/sched/registry.h"

namespace rudder::sched::plugins {

inline constexpr char kPrioritySort[] = "PrioritySort";
inline constexpr char kNodeName[] = "NodeName";
inline constexpr char kNodeUnschedulable[] = "NodeUnschedulable";
inline constexpr char kNodeResourcesFit[] = "NodeResourcesFit";
inline constexpr char kNodeResourcesBalancedAllocation[] = "NodeResourcesBalancedAllocation";
inline constexpr char kNodeAffinity[] = "NodeAffinity";
inline constexpr char kTaintToleration[] = "TaintToleration";
inline constexpr char kNodePorts[] = "NodePorts";
inline constexpr char kImageLocality[] = "ImageLocality";
inline constexpr char kDefaultBinder[] = "DefaultBinder";

// Registers every plugin above. AlreadyExists if one of the names is taken.
absl::Status RegisterDefaultPlugins(PluginRegistry* registry);

// Kubernetes' Toleration.ToleratesTaint.
bool ToleratesTaint(const api::core::v1::Toleration& toleration, const api::core::v1::Taint& taint);

// Kubernetes' DefaultNormalizeScore: scales to [0, max_score] by the maximum; `reverse`
// flips (max_score - score).
void DefaultNormalizeScore(int64_t max_score, bool reverse, std::span<int64_t> scores);

// True if the node matches the node selector term list (ORed terms; an empty term matches
// nothing). Exposed for plugins that need node affinity (topology spread).
bool NodeMatchesNodeSelector(const api::core::v1::NodeSelector& selector, const Node& node);

// True if the node matches the pod's spec.nodeSelector and required node affinity.
bool PodMatchesNodeSelectorAndAffinity(const Pod& pod, const Node& node);

}  // namespace rudder::sched::plugins

#endif  // RUDDER_LIB_SCHED_PLUGINS_PLUGINS_H_
