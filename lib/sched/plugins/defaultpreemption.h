// DefaultPreemption (PostFilter): when no node fits a pod, finds a node where evicting
// lower-priority pods makes it fit, evicts them and nominates the node (Kubernetes' rules).
//
//  - Not eligible: spec.preemptionPolicy Never ("preemption: not eligible due to
//    preemptionPolicy=Never."), or a lower-priority pod on the pod's nominated node
//    (status.nominatedNodeName) is already terminating by preemption.
//  - Candidates: nodes whose Filter status was Unschedulable (UnschedulableAndUnresolvable
//    nodes are skipped), in snapshot order; the dry run stops once max(10% of them, 100)
//    candidates without PDB violations are found.
//  - Victims on a node (SelectVictimsOnNode): remove every pod of lower priority (equal
//    priority is never preempted); if the pod then fits (Filter plugins with nominated pods,
//    PreFilter AddPod/RemovePod extensions keeping plugin state right), re-add them one by
//    one, most important first (higher priority, then earlier start), those whose eviction
//    would violate a PodDisruptionBudget first, keeping each one that still lets the pod fit.
//    What stays removed is the victim set.
//  - Node choice: fewest PDB violations, then lowest highest-victim priority, smallest sum of
//    victim priorities, fewest victims, latest start among the highest-priority victims, then
//    the first candidate.
//  - With a ClusterAccess (Handle::cluster()): victims waiting at Permit are rejected, the
//    others evicted with EvictVictim; the plugin returns the node, and the scheduler nominates
//    the pod (queue nominator and SetNominatedNodeName) and clears lower-priority nominations
//    on that node. Without one, nothing is evicted and the candidate is only reported in the
//    failure message ("preemption: ... would preempt ... on node ...").
#ifndef RUDDER_LIB_SCHED_PLUGINS_DEFAULTPREEMPTION_H_
#define RUDDER_LIB_SCHED_PLUGINS_DEFAULTPREEMPTION_H_

#include <memory>

#include "absl/status/statusor.h"
#include "lib/sched/framework.h"
#include "lib/sched/registry.h"

namespace rudder::sched::plugins {

inline constexpr char kDefaultPreemption[] = "DefaultPreemption";

// The plugin factory (registered by RegisterDefaultPlugins as kDefaultPreemption). Args
// (optional): {minCandidateNodesPercentage: 0..100 (10), minCandidateNodesAbsolute: >= 0
// (100)}.
absl::StatusOr<std::unique_ptr<Plugin>> NewDefaultPreemption(const ConfigValue& args,
                                                             Handle* handle);

}  // namespace rudder::sched::plugins

#endif  // RUDDER_LIB_SCHED_PLUGINS_DEFAULTPREEMPTION_H_
