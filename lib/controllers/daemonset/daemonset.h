// The DaemonSet controller (apps/v1), with kube-controller-manager's semantics:
//  - one pod on every eligible node: the template's nodeSelector and required node affinity
//    match the node, and its taints are tolerated (the template's tolerations plus the
//    DaemonSet defaults: node.kubernetes.io/not-ready and unreachable NoExecute,
//    disk-pressure, memory-pressure, pid-pressure and unschedulable NoSchedule, and
//    network-unavailable NoSchedule for hostNetwork pods). A pod stays on a node that gains an
//    untolerated NoSchedule taint; an untolerated NoExecute taint or a node no longer
//    matching removes it;
//  - pods are pinned to their node with a required node affinity term on matchFields
//    metadata.name (the scheduler binds them), labelled controller-revision-hash and
//    pod-template-generation; failed pods are replaced; extra pods on a node are deleted;
//  - the template's history is kept as ControllerRevisions <name>-<hash> (revision numbers
//    increase; a template seen before is moved to the newest revision), at most
//    spec.revisionHistoryLimit unused ones;
//  - updates: RollingUpdate (maxUnavailable: old pods deleted node by node while at most that
//    many nodes lack an available pod; maxSurge: the new pod starts next to the old one, which
//    goes once the new one is available) or OnDelete (new pods only where old ones were
//    deleted by someone else);
//  - status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled, numberReady,
//    updatedNumberScheduled, numberAvailable, numberUnavailable, observedGeneration.
// A pod is available once Ready for spec.minReadySeconds (on the manager's clock).
#ifndef RUDDER_LIB_CONTROLLERS_DAEMONSET_DAEMONSET_H_
#define RUDDER_LIB_CONTROLLERS_DAEMONSET_DAEMONSET_H_

#include "absl/status/status.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

inline constexpr char kControllerRevisionHash[] = "controller-revision-hash";
inline constexpr char kPodTemplateGeneration[] = "pod-template-generation";

// Options of the DaemonSet controller.
struct DaemonSetControllerOptions {
  int workers = 2;
};

// Adds the controller ("daemonset") to `manager` (borrowed; it owns the controller).
absl::Status AddDaemonSetController(ctrl::Manager* manager,
                                    DaemonSetControllerOptions options = {});

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_DAEMONSET_DAEMONSET_H_
