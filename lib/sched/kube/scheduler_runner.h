// SchedulerRunner: the scheduler (lib/sched) against the API server, as kube-scheduler runs.
//
// Given a client, a runner
//  - watches pods (every namespace; terminated pods are left out, managedFields dropped),
//    nodes, PodDisruptionBudgets and namespaces through shared informers, and feeds the
//    Scheduler (AddNode/UpdateNode/DeleteNode, AddPod/UpdatePod/DeletePod);
//  - binds through the pods/binding subresource (Client::Bind, with the pod's uid as a
//    precondition);
//  - on a failed attempt writes the pod's PodScheduled=False condition (reason Unschedulable
//    or SchedulerError, the FitError message; only when it changed) and a Warning Event
//    "FailedScheduling"; on success a Normal Event "Scheduled" ("Successfully assigned
//    NS/NAME to NODE");
//  - gives preemption its ClusterAccess: the PDB informer's cache, victims evicted by a status
//    patch (DisruptionTarget, reason PreemptionByScheduler) then a delete, and
//    status.nominatedNodeName patches;
//  - optionally runs leader election on a coordination.k8s.io/v1 Lease and schedules only
//    while leading (a lost lease stops the scheduling loop; the runner campaigns again).
//
// Every timer (back-off, flushes, leases, assumed-pod expiry, events) runs on the Clock in
// the options, so tests drive it with a FakeClock.
//
// Thread-safe. Start() returns at once; Stop() (or the destructor) stops everything and waits.
//
// Example (a host program):
//   std::unique_ptr<client::Client> c = client::NewInProcessClient(&registry);
//   sched::kube::SchedulerRunnerOptions o;
//   o.leader_election.enabled = true;
//   auto runner = sched::kube::SchedulerRunner::New(c.get(), std::move(o)).value();
//   RUDDER_RETURN_IF_ERROR(runner->Start());
//   ...
//   runner->Stop();
#ifndef RUDDER_LIB_SCHED_KUBE_SCHEDULER_RUNNER_H_
#define RUDDER_LIB_SCHED_KUBE_SCHEDULER_RUNNER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/client/informer/factory.h"
#include "lib/sched/config.h"
#include "lib/sched/registry.h"
#include "lib/sched/scheduler.h"

namespace rudder::sched::kube {

// Leader election of a runner (client-go's defaults, as kube-scheduler's flags).
struct LeaderElectionOptions {
  bool enabled = false;
  std::string lease_namespace = "kube-system";
  std::string lease_name = "kube-scheduler";
  // This candidate's identity; empty: the host name plus a random suffix.
  std::string identity;
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  // Clear the lease's holder when stopped while leading, so another candidate takes over at
  // once.
  bool release_on_cancel = true;
};

struct SchedulerRunnerOptions {
  // Profiles, plugins and queue timings (KubeSchedulerConfiguration; see ParseSchedulerConfig).
  SchedulerConfig config = DefaultSchedulerConfig();
  // Plugin factories (borrowed); null: DefaultRegistry() with InterPodAffinity resolving
  // namespaceSelector through the namespace informer.
  const PluginRegistry* registry = nullptr;
  Clock* clock = nullptr;  // Borrowed; null: Clock::Real().
  uint64_t seed = 1;       // Of the scheduler's tie-breaking RNG.
  // Threads running binding cycles (API writes); 0 binds inline on the scheduling thread.
  int binding_workers = 2;
  absl::Duration assumed_pod_ttl = absl::Minutes(15);
  // Informers to share with other components of the process (borrowed; must outlive the
  // runner and be started by its owner, or by the runner's Start()); null: the runner's own,
  // which drop managedFields.
  client::SharedInformerFactory* informers = nullptr;
  // Write Events (FailedScheduling, Scheduled, Preempted).
  bool record_events = true;
  LeaderElectionOptions leader_election;
};

// Counters of a runner (monotonic, over every leadership term).
struct SchedulerRunnerStats {
  int64_t bound = 0;            // Pods bound.
  int64_t failed_attempts = 0;  // Scheduling attempts that failed (unschedulable or errors).
  int64_t status_writes = 0;    // PodScheduled=False patches written.
  int64_t evictions = 0;        // Preemption victims deleted.
};

class SchedulerRunner {
 public:
  // Borrows `client` (must outlive the runner). InvalidArgument for a bad configuration
  // (unknown plugins, bad leader-election durations, ...).
  static absl::StatusOr<std::unique_ptr<SchedulerRunner>> New(client::Client* client,
                                                              SchedulerRunnerOptions options);
  ~SchedulerRunner();
  SchedulerRunner(const SchedulerRunner&) = delete;
  SchedulerRunner& operator=(const SchedulerRunner&) = delete;

  // Starts the informers and, once they have synced, the election or the scheduling loop.
  // Returns at once. FailedPrecondition when called twice or after Stop().
  absl::Status Start();
  // Stops scheduling (waiting for bindings in flight), the election (releasing the lease) and
  // the runner's own informers. Idempotent.
  void Stop();

  // True once the informers have synced and the scheduler has the cluster's state (and, with
  // leader election, this runner leads).
  bool Ready() const;
  // Waits until Ready() or `deadline` on the runner's clock (or Stop()); returns Ready().
  bool WaitForReady(absl::Time deadline) const;
  // Whether this runner currently leads (always true without leader election once ready).
  bool IsLeader() const;
  // True when nothing is in progress: no scheduling cycle running, activeQ empty (pods left
  // are unschedulable or backing off), no binding in flight, no Event waiting to be written,
  // and not starting up. For tests' quiescence.
  bool Idle() const;
  // What is in progress ("" when Idle()).
  std::string Busy() const;
  SchedulerRunnerStats Stats() const;

 private:
  class Impl;
  explicit SchedulerRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rudder::sched::kube

#endif  // RUDDER_LIB_SCHED_KUBE_SCHEDULER_RUNNER_H_
