// The Job controller (batch/v1) and the TTL-after-finished controller, with
// kube-controller-manager's semantics:
//  - pods run until `completions` succeed (NonIndexed), or until every index in
//    [0, completions) has a succeeded pod (Indexed: each pod carries its index in the
//    batch.kubernetes.io/job-completion-index annotation and label, and hostname
//    <job>-<index>), at most `parallelism` at once;
//  - failures: with restartPolicy Never each failed pod counts, with OnFailure each container
//    restart of a running pod counts; past spec.backoffLimit the Job fails
//    (BackoffLimitExceeded). Replacement pods after failures wait 10 s, doubling per failure,
//    at most 10 minutes (kube-controller-manager's cap), from the last failure;
//  - activeDeadlineSeconds after status.startTime fails the Job (DeadlineExceeded);
//  - suspend deletes the running pods (condition Suspended) and resumes later;
//  - terminated pods are counted exactly once: pods are created with the
//    batch.kubernetes.io/job-tracking finalizer; a terminated pod is first recorded in
//    status.uncountedTerminatedPods, then its finalizer is removed, then it moves into
//    status.succeeded/failed;
//  - status: active, ready, succeeded, failed, startTime, completionTime, completedIndexes,
//    conditions Complete / Failed.
// The TTL-after-finished controller deletes finished Jobs (and their pods) once
// ttlSecondsAfterFinished has passed since completion.
// Every time comes from the manager's Clock.
#ifndef RUDDER_LIB_CONTROLLERS_JOB_JOB_H_
#define RUDDER_LIB_CONTROLLERS_JOB_JOB_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

// Labels, annotations and finalizer the Job controller puts on its pods.
inline constexpr char kJobTrackingFinalizer[] = "batch.kubernetes.io/job-tracking";
inline constexpr char kJobCompletionIndex[] = "batch.kubernetes.io/job-completion-index";
inline constexpr char kJobControllerUid[] = "batch.kubernetes.io/controller-uid";
inline constexpr char kJobName[] = "batch.kubernetes.io/job-name";

// Options of the Job controller.
struct JobControllerOptions {
  // Back-off before replacing failed pods: initial * 2^(failures-1), at most max.
  absl::Duration initial_backoff = absl::Seconds(10);
  absl::Duration max_backoff = absl::Minutes(10);
  int workers = 2;
};

// Adds the Job controller ("job") to `manager` (borrowed; it owns the controller).
absl::Status AddJobController(ctrl::Manager* manager, JobControllerOptions options = {});

// Adds the TTL-after-finished controller ("ttl-after-finished") to `manager`.
absl::Status AddTtlAfterFinishedController(ctrl::Manager* manager);

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_JOB_JOB_H_
