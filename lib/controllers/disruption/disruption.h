// The disruption controller (kube-controller-manager's disruption controller): keeps the
// status of every PodDisruptionBudget (policy/v1) current, which the pods/eviction subresource
// reads to allow or refuse evictions.
//
// For a budget in namespace N with selector S (an empty selector selects every pod of N):
//   expectedPods    minAvailable as a number: the selected pods; otherwise (maxUnavailable, or
//                   minAvailable as a percentage) the sum of spec.replicas of the pods'
//                   controllers, read through their scale subresource (a ReplicaSet owned by
//                   a Deployment counts as the Deployment).
//   desiredHealthy  minAvailable (a number, or the percentage of expectedPods rounded up), or
//                   expectedPods - maxUnavailable (a percentage rounded up), at least 0.
//   currentHealthy  selected pods that are Ready, not being deleted, and not in disruptedPods.
//   disruptionsAllowed  max(0, currentHealthy - desiredHealthy).
//   disruptedPods   pods the eviction subresource admitted; an entry is dropped when its pod is
//                   deleted or marked deleting, or two minutes after the eviction.
// The DisruptionAllowed condition is True (SufficientPods) when disruptions are allowed,
// False (InsufficientPods) otherwise, and False (SyncFailed) with disruptionsAllowed 0 when the
// expected count cannot be computed (a selected pod without a controller, or a controller
// without a scale subresource).
#ifndef RUDDER_LIB_CONTROLLERS_DISRUPTION_DISRUPTION_H_
#define RUDDER_LIB_CONTROLLERS_DISRUPTION_DISRUPTION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/proto/intstr/intstr.pb.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

// Options of the disruption controller.
struct DisruptionOptions {
  // How long an eviction stays in disruptedPods before the pod's deletion is observed.
  absl::Duration deletion_timeout = absl::Minutes(2);
  int workers = 2;
};

// Adds the controller ("disruption") to `manager` (borrowed; it owns the controller). Time
// comes from the manager's clock.
absl::Status AddDisruptionController(ctrl::Manager* manager, DisruptionOptions options = {});

// Kubernetes' GetScaledValueFromIntOrPercent: an integer as is, "N%" of `total` rounded up or
// down. InvalidArgument for other strings.
absl::StatusOr<int64_t> ScaledValueFromIntOrPercent(const api::intstr::IntOrString& v,
                                                    int64_t total, bool round_up);

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_DISRUPTION_DISRUPTION_H_
