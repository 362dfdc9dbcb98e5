// PodTopologySpread: spreads pods evenly over topology domains (Kubernetes' semantics and
// messages).
//
//   PreFilter  for the pod's DoNotSchedule constraints, counts per topology pair (topologyKey,
//              node label value) the existing pods in the pod's namespace that match the
//              constraint's labelSelector (plus matchLabelKeys: `key In (pod's value)`),
//              over the nodes that carry every constraint's key and pass the inclusion
//              policies (nodeAffinityPolicy Honor by default: the pod's nodeSelector and
//              required node affinity; nodeTaintsPolicy Ignore by default, Honor: no
//              untolerated NoSchedule/NoExecute taint). Terminating pods do not count.
//              AddPod/RemovePod keep the counts right in what-if runs (preemption).
//   Filter     skew = pods in the node's domain + 1 if the pod matches its own selector
//              - the minimum over all domains (0 when there are fewer than minDomains
//              domains); a skew above maxSkew is "node(s) didn't match pod topology spread
//              constraints"; a node without a constraint's key is unresolvable
//              ("... (missing required label)").
//   Score      for ScheduleAnyway constraints (or the default constraints when the pod has
//              none): per node, sum over constraints of count * log(domains + 2) +
//              (maxSkew - 1), normalized so that fewer matching pods score higher
//              (100 * (max + min - score) / max); nodes missing a required key score 0.
//
// Default constraints (args defaultingType System, the default): hostname maxSkew 3 and zone
// maxSkew 5, both ScheduleAnyway, for pods without constraints that are controlled by a
// ReplicaSet, ReplicationController or StatefulSet (a controller ownerReference). The
// selector is the pod's own labels: the scheduler does not look up the owner (or Services),
// and a controller's selector normally equals its template's labels.
//
// Args (optional): {defaultingType: System | List, defaultConstraints: [{maxSkew,
// topologyKey, whenUnsatisfiable}]} (List with no constraints disables defaulting).
#ifndef RUDDER_LIB_SCHED_PLUGINS_PODTOPOLOGYSPREAD_H_
#define RUDDER_LIB_SCHED_PLUGINS_PODTOPOLOGYSPREAD_H_

#include <memory>

#include "absl/status/statusor.h"
#include "lib/sched/framework.h"
#include "lib/sched/registry.h"

namespace rudder::sched::plugins {

inline constexpr char kPodTopologySpread[] = "PodTopologySpread";

// The plugin factory (registered by RegisterDefaultPlugins as kPodTopologySpread).
absl::StatusOr<std::unique_ptr<Plugin>> NewPodTopologySpread(const ConfigValue& args,
                                                             Handle* handle);

}  // namespace rudder::sched::plugins

#endif  // RUDDER_LIB_SCHED_PLUGINS_PODTOPOLOGYSPREAD_H_
