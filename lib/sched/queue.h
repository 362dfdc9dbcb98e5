// The scheduling queue: activeQ, backoffQ and the unschedulable pool (Kubernetes'
// PriorityQueue), plus the nominator (pods nominated to a node by preemption).
//
//  - activeQ: a heap ordered by the QueueSort plugin's Less; Pop takes its head.
//  - backoffQ: pods that failed, until their back-off (initial * 2^(attempts-1), capped at
//    max) expires; FlushBackoffQCompleted moves them to activeQ.
//  - unschedulable pool: pods rejected by plugins; a cluster event moves a pod out only if one
//    of the plugins that rejected it registered interest in the event (and its QueueingHint, if
//    any, says Queue). FlushUnschedulableLeftover moves pods that stayed longer than
//    `max_unschedulable` (5 minutes).
//
// Timing goes through a Clock. Thread-safe.
#ifndef RUDDER_LIB_SCHED_QUEUE_H_
#define RUDDER_LIB_SCHED_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/sched/framework.h"

namespace rudder::sched {

namespace internal {
template <typename T>
class Heap;
}  // namespace internal

// Nominations: node name -> the pods nominated to it.
using NominatedPodsMap =
    absl::flat_hash_map<std::string, std::vector<std::shared_ptr<const PodInfo>>>;

struct QueueOptions {
  Clock* clock = nullptr;  // Borrowed; null means Clock::Real().
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration max_unschedulable = absl::Minutes(5);
  // activeQ order: true if `a` goes before `b`. Null: priority then timestamp.
  std::function<bool(const QueuedPodInfo& a, const QueuedPodInfo& b)> less;
  // PreEnqueue for a pod (its profile's PreEnqueue plugins). Null: always admit.
  std::function<Status(const PodInfo&)> pre_enqueue;
  // Plugin name -> events that may make pods it rejected schedulable.
  std::map<std::string, std::vector<ClusterEventWithHint>> events;
};

class SchedulingQueue {
 public:
  explicit SchedulingQueue(QueueOptions options);
  ~SchedulingQueue();
  SchedulingQueue(const SchedulingQueue&) = delete;
  SchedulingQueue& operator=(const SchedulingQueue&) = delete;

  // A new pending pod: to activeQ (or the unschedulable pool, gated, if PreEnqueue rejects it).
  // AlreadyExists if queued.
  absl::Status Add(std::shared_ptr<const PodInfo> pod);
  // The pod changed: replaces it wherever it is; a gated pod is re-checked by PreEnqueue, and an
  // unschedulable pod whose spec changed moves to activeQ/backoffQ. Adds it if absent.
  void Update(std::shared_ptr<const PodInfo> pod);
  // Removes the pod (and its nomination) from wherever it is.
  void Delete(std::string_view uid);

  // Blocks until activeQ has a pod or the queue is closed (then returns null). The popped pod
  // is "in flight" until it is requeued or Done.
  std::unique_ptr<QueuedPodInfo> Pop();
  // Non-blocking Pop: null when activeQ is empty.
  std::unique_ptr<QueuedPodInfo> TryPop();
  // The pod's attempt is over (scheduled): forgets its in-flight record.
  void Done(std::string_view uid);

  // Requeues a pod whose attempt failed. `pod_scheduling_cycle` is the cycle it was popped
  // in: if an event arrived since, it goes to backoffQ rather than the pool. Pods with no
  // rejecting plugins (errors) go to backoffQ. A pod deleted while in flight is dropped.
  void AddUnschedulableIfNotPresent(std::unique_ptr<QueuedPodInfo> pod,
                                    int64_t pod_scheduling_cycle);

  // A cluster event: moves the matching unschedulable pods to activeQ or backoffQ. `old_obj`
  // and `new_obj` (Node or Pod, may be null) are passed to QueueingHints.
  void MoveAllToActiveOrBackoffQueue(const ClusterEvent& event,
                                     const google::protobuf::Message* old_obj = nullptr,
                                     const google::protobuf::Message* new_obj = nullptr);
  // Moves pods whose back-off expired to activeQ.
  void FlushBackoffQCompleted();
  // Moves pods unschedulable for longer than max_unschedulable to activeQ/backoffQ.
  void FlushUnschedulableLeftover();

  // Starts a thread that flushes backoffQ every second and the pool every 30 s (on the clock).
  void Run();
  // Wakes Pop with null and stops the flush thread. Idempotent.
  void Close();

  // The number of pods popped so far (the current scheduling cycle).
  int64_t SchedulingCycle() const;

  // Nominator: pods nominated to a node by preemption, visible to Filter of other pods.
  void AddNominatedPod(std::shared_ptr<const PodInfo> pod, const std::string& node);
  void DeleteNominatedPod(std::string_view uid);
  std::vector<std::shared_ptr<const PodInfo>> NominatedPodsForNode(std::string_view node) const;
  // True if any pod is nominated (a cheap check for the hot path).
  bool HasNominatedPods() const;
  // Every nomination (node name -> pods nominated to it), as of now; null when there is none.
  // The map is shared and immutable: the queue builds a new one only after a nomination
  // changed, so a scheduling cycle takes it once instead of locking the queue per node.
  std::shared_ptr<const NominatedPodsMap> NominatedPods() const;
  // The node the pod (uid) is nominated to, or "".
  std::string NominatedNodeOf(std::string_view uid) const;

  int NumActive() const;
  int NumBackoff() const;
  int NumUnschedulable() const;
  // Where the pod is: "active", "backoff", "unschedulable", "inflight" or "".
  std::string WhereIs(std::string_view uid) const;
  // The back-off of a pod after `attempts` attempts.
  absl::Duration BackoffDuration(int attempts) const;

 private:
  struct Less;
  struct BackoffLess;
  bool IsBackingOff(const QueuedPodInfo& p) const;
  absl::Time BackoffExpiry(const QueuedPodInfo& p) const;
  void MoveToActiveOrBackoff(std::unique_ptr<QueuedPodInfo> p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddToActive(std::unique_ptr<QueuedPodInfo> p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Interested(const QueuedPodInfo& p, const ClusterEvent& event,
                  const google::protobuf::Message* old_obj,
                  const google::protobuf::Message* new_obj) const;
  std::unique_ptr<QueuedPodInfo> PopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushLoop(absl::Time start);

  QueueOptions options_;
  Clock* clock_;
  mutable Mutex mu_;
  CondVar cv_;
  CondVar flush_cv_;
  std::unique_ptr<internal::Heap<QueuedPodInfo>> active_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<internal::Heap<QueuedPodInfo>> backoff_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<QueuedPodInfo>> unschedulable_
      ABSL_GUARDED_BY(mu_);
  // uid -> pod info of popped pods (updated by Update while in flight).
  absl::flat_hash_map<std::string, std::shared_ptr<const PodInfo>> in_flight_ ABSL_GUARDED_BY(mu_);
  int64_t scheduling_cycle_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t move_request_cycle_ ABSL_GUARDED_BY(mu_) = -1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Nominations.
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<const PodInfo>>> nominated_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> nominated_node_of_ ABSL_GUARDED_BY(mu_);
  // A copy of nominated_ built on demand; reset when it changes.
  mutable std::shared_ptr<const NominatedPodsMap> nominated_copy_ ABSL_GUARDED_BY(mu_);
  std::thread flush_thread_;
};

}  // namespace rudder::sched

#endif  // RUDDER_LIB_SCHED_QUEUE_H_
