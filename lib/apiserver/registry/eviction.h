// The pods/eviction subresource (policy/v1 Eviction): deletes a pod unless that would violate
// its PodDisruptionBudget.
//
// Rules (Kubernetes' eviction REST storage):
//  - a pod that is Succeeded, Failed or Pending, or already being deleted, is deleted without
//    consulting budgets;
//  - more than one budget selecting the pod: 500 InternalError ("This pod has more than one
//    PodDisruptionBudget, which the eviction subresource does not support.");
//  - an unready pod is deleted without using the budget when the budget's
//    unhealthyPodEvictionPolicy is AlwaysAllow, or (IfHealthyBudget, the default) when the
//    budget is met (currentHealthy >= desiredHealthy);
//  - otherwise the budget's status must be current (observedGeneration >= generation) and allow
//    a disruption, else 429 TooManyRequests "Cannot evict pod as it would violate the pod's
//    disruption budget." with a DisruptionBudget cause; disruptionsAllowed is decremented and
//    the pod recorded in disruptedPods (conflicts retried) before the pod is deleted with the
//    Eviction's deleteOptions (grace period, preconditions, dryRun).
#ifndef RUDDER_LIB_APISERVER_REGISTRY_EVICTION_H_
#define RUDDER_LIB_APISERVER_REGISTRY_EVICTION_H_

#include <string>

#include "absl/status/status.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"

namespace rudder::apiserver {

// Evicts pod `ns`/`name` through `registry` (borrowed) on behalf of `user`. `clock` (borrowed;
// nullptr: real time) stamps disruptedPods. OK when the pod was deleted (or marked deleting).
// Errors: NotFound, 429 TooManyRequests (ResourceExhausted), InvalidArgument for a name that
// differs from the Eviction's, and the Registry's. Thread-safe.
absl::Status EvictPod(Registry* registry, const std::string& ns, const std::string& name,
                      const api::policy::v1::Eviction& eviction, const admission::UserInfo& user,
                      Clock* clock = nullptr);

}  // namespace rudder::apiserver

#endif  // RUDDER_LIB_APISERVER_REGISTRY_EVICTION_H_
