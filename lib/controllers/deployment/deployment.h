// The Deployment controller (apps/v1), with kube-controller-manager's semantics:
//  - each distinct pod template gets a ReplicaSet named <deployment>-<pod-template-hash>,
//    whose selector and template carry the pod-template-hash label; templates are compared
//    without that label, so `kubectl rollout undo` (which copies an old ReplicaSet's template
//    back into the Deployment) reuses the old ReplicaSet and gives it the next revision;
//  - RollingUpdate scales the new ReplicaSet up to replicas + maxSurge (rounded up from a
//    percentage) in total, and old ones down while at least replicas - maxUnavailable
//    (rounded down) pods stay available; both zero resolves to maxUnavailable 1;
//  - Recreate scales every old ReplicaSet to zero, waits until their pods are gone, then
//    scales the new one up;
//  - revisions in the deployment.kubernetes.io/revision annotation, old ReplicaSets beyond
//    revisionHistoryLimit (default 10) deleted oldest first;
//  - paused Deployments only scale (no rollout); conditions Progressing (NewReplicaSetCreated,
//    FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable, DeploymentPaused,
//    DeploymentResumed, ProgressDeadlineExceeded) and Available (MinimumReplicasAvailable,
//    MinimumReplicasUnavailable); status replicas, updatedReplicas, readyReplicas,
//    availableReplicas, unavailableReplicas, observedGeneration, collisionCount.
// Pods themselves are made by the ReplicaSet controller. Every time comes from the manager's
// Clock.
#ifndef RUDDER_LIB_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_H_
#define RUDDER_LIB_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/intstr/intstr.pb.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

// Label and annotations the Deployment controller maintains.
inline constexpr char kPodTemplateHashLabel[] = "pod-template-hash";
inline constexpr char kRevisionAnnotation[] = "deployment.kubernetes.io/revision";
inline constexpr char kDesiredReplicasAnnotation[] = "deployment.kubernetes.io/desired-replicas";
inline constexpr char kMaxReplicasAnnotation[] = "deployment.kubernetes.io/max-replicas";

// Options of the Deployment controller.
struct DeploymentControllerOptions {
  int workers = 2;
};

// Adds the Deployment controller ("deployment") to `manager` (borrowed; it owns the
// controller).
absl::Status AddDeploymentController(ctrl::Manager* manager,
                                     DeploymentControllerOptions options = {});

// An int-or-percent resolved against `total`: percentages round up when `round_up`, down
// otherwise. InvalidArgument for a malformed percentage.
absl::StatusOr<int> ScaledValue(const api::intstr::IntOrString& value, int total, bool round_up);

// maxSurge and maxUnavailable of `deployment` resolved against its replicas (25% each when
// unset); both zero resolves to maxUnavailable 1 (Kubernetes' ResolveFenceposts).
struct Fenceposts {
  int max_surge = 0;
  int max_unavailable = 0;
};
absl::StatusOr<Fenceposts> ResolveFenceposts(const api::apps::v1::Deployment& deployment);

// The pod-template-hash of `template_` with `collision_count` (FNV-32a of the template's
// deterministic encoding, rendered in Kubernetes' safe alphabet).
std::string ComputePodTemplateHash(const api::core::v1::PodTemplateSpec& template_,
                                   int collision_count);

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_H_
