// The ReplicaSet (apps/v1) and ReplicationController (v1) controllers, with
// kube-controller-manager's semantics:
//  - pods matching the selector (set-based for ReplicaSets, equality for
//    ReplicationControllers) are adopted (controller ownerReference with
//    blockOwnerDeletion); owned pods that stop matching are released;
//  - missing pods are created from spec.template in slow-start batches (1, 2, 4, ...) of at
//    most `burst` per sync, stopping at the first failure; surplus pods are deleted in
//    Kubernetes' order (RankedBeforeForDeletion);
//  - expectations: after creating or deleting pods the controller does not act on the set
//    again until its cache shows those changes (or `expectations_ttl` passes), so lagging
//    watches never cause over-creation;
//  - status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas (ready for
//    minReadySeconds by the manager's clock), observedGeneration and the ReplicaFailure
//    condition (FailedCreate / FailedDelete).
#ifndef RUDDER_LIB_CONTROLLERS_REPLICASET_REPLICASET_H_
#define RUDDER_LIB_CONTROLLERS_REPLICASET_REPLICASET_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

// Options of the ReplicaSet and ReplicationController controllers.
struct ReplicaSetControllerOptions {
  // Most pods created or deleted in one sync (Kubernetes' burstReplicas).
  int burst = 500;
  // How long unobserved creations/deletions hold back the next sync of a set.
  absl::Duration expectations_ttl = absl::Minutes(5);
  int workers = 2;
};

// Adds the ReplicaSet controller ("replicaset") to `manager` (borrowed; it owns the
// controller).
absl::Status AddReplicaSetController(ctrl::Manager* manager,
                                     ReplicaSetControllerOptions options = {});

// Adds the ReplicationController controller ("replicationcontroller") to `manager`.
absl::Status AddReplicationControllerController(ctrl::Manager* manager,
                                                ReplicaSetControllerOptions options = {});

// Whether pod `a` is deleted before pod `b` when a set scales down (Kubernetes'
// ActivePodsWithRanks): unassigned before assigned; Pending before Unknown before Running;
// not ready before ready; lower controller.kubernetes.io/pod-deletion-cost first; more pods
// of the set on the same node (`rank_a`, `rank_b`) first; ready for a shorter time first;
// more container restarts first; newer first.
bool RankedBeforeForDeletion(const api::core::v1::Pod& a, int rank_a, const api::core::v1::Pod& b,
                             int rank_b);

// The sizes of the slow-start batches creating `count` pods: 1, 2, 4, ... (the last one
// trimmed to what remains).
std::vector<int> SlowStartBatches(int count);

// Whether `pod` is Ready (condition Ready=True) and has been for `min_ready` at `now`.
bool PodAvailable(const api::core::v1::Pod& pod, absl::Duration min_ready, absl::Time now);

// Whether `pod` has condition Ready=True.
bool PodReady(const api::core::v1::Pod& pod);

// Whether `pod` counts as a replica: not Succeeded, not Failed, not being deleted.
bool PodActive(const api::core::v1::Pod& pod);

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_REPLICASET_REPLICASET_H_
