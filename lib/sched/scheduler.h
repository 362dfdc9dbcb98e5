// The scheduler: profiles of plugins, the scheduling queue, the cache, and the scheduling and
// binding cycles. It is fed by calls (AddNode, AddPod, ...) from whatever watches the cluster,
// and writes bindings through a Binder.
//
// Example:
//   RecordingBinder binder;
//   SchedulerOptions opts;
//   opts.binder = &binder;
//   auto sched = Scheduler::Create(std::move(opts)).value();
//   sched->AddNode(node);
//   sched->AddPod(pod);
//   sched->ScheduleOne();          // or Run() for a background loop
//
// Decisions are deterministic for a given cluster state, configuration and seed, whatever the
// parallelism. Thread-safe: feed calls may come from any thread.
#ifndef RUDDER_LIB_SCHED_SCHEDULER_H_
#define RUDDER_LIB_SCHED_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/sched/cache.h"
#include "lib/sched/config.h"
#include "lib/sched/framework.h"
#include "lib/sched/queue.h"
#include "lib/sched/registry.h"

namespace rudder::sched {

// Why a pod fit no node: per-node statuses and the messages of PreFilter and PostFilter.
struct Diagnosis {
  NodeToStatus node_to_status;
  absl::flat_hash_set<std::string> unschedulable_plugins;
  std::string pre_filter_msg;
  std::string post_filter_msg;
};

// Kubernetes' FitError text: "0/5 nodes are available: 2 node(s) had untolerated taint
// {node-role: master}, 3 Insufficient cpu. preemption: ...". Reason counts are sorted as
// strings, as kube-scheduler does.
std::string FitErrorMessage(int num_all_nodes, const Diagnosis& diagnosis);

// What the scheduler reports about a failed attempt.
struct FailureInfo {
  Code code = Code::kError;
  // "Unschedulable" or "SchedulerError" (the PodScheduled condition's reason).
  std::string reason;
  std::string message;  // FitErrorMessage, or the error.
  std::string nominated_node;
};

// A Binder that records bindings in memory. Thread-safe.
class RecordingBinder : public Binder {
 public:
  absl::Status Bind(const Pod& pod, const std::string& node_name) override;
  // (namespace/name, node) in binding order.
  std::vector<std::pair<std::string, std::string>> Bindings() const;
  size_t Count() const;
  // Bind fails with this status while it is not OK.
  void SetError(absl::Status s);

 private:
  mutable Mutex mu_;
  std::vector<std::pair<std::string, std::string>> bindings_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

struct SchedulerOptions {
  SchedulerConfig config = DefaultSchedulerConfig();
  // Plugin factories; null means DefaultRegistry(). Borrowed.
  const PluginRegistry* registry = nullptr;
  // Where DefaultBinder writes bindings. Borrowed; required when a profile binds with it.
  Binder* binder = nullptr;
  // PDBs, victim eviction and nominatedNodeName writes for preemption. Borrowed; null:
  // DefaultPreemption only reports the node it would make room on.
  ClusterAccess* cluster = nullptr;
  Clock* clock = nullptr;  // Borrowed; null means Clock::Real().
  uint64_t seed = 1;       // Ties between best-scored nodes are broken by an RNG with this seed.
  // Threads that run binding cycles; 0 runs each binding cycle inline in ScheduleOne (pods
  // waiting at Permit always get their own thread).
  int binding_workers = 1;
  absl::Duration assumed_pod_ttl = absl::Minutes(15);
  // Called (from the scheduling or a binding thread) when an attempt fails, for the
  // PodScheduled condition and an Event.
  std::function<void(const Pod&, const FailureInfo&)> on_failure;
  // Called after a successful binding.
  std::function<void(const Pod&, const std::string& node)> on_bound;
};

// The outcome of one scheduling cycle.
struct ScheduleResult {
  std::string pod;   // namespace/name
  std::string node;  // Empty on failure.
  int evaluated_nodes = 0;
  int feasible_nodes = 0;
  FailureInfo failure;  // Set when node is empty.
};

class Scheduler {
 public:
  // InvalidArgument for a bad configuration (unknown plugin, missing binder, profiles that
  // disagree on QueueSort, ...).
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Cluster feed. Node updates requeue unschedulable pods by what changed (labels, taints,
  // allocatable, ...).
  absl::Status AddNode(const Node& node);
  absl::Status UpdateNode(const Node& old_node, const Node& new_node);
  absl::Status DeleteNode(const Node& node);
  // An unassigned pod of one of our profiles is queued; a pod with spec.nodeName goes to the
  // cache (confirming an assumed pod). Pods of other schedulers are ignored.
  absl::Status AddPod(const Pod& pod);
  absl::Status UpdatePod(const Pod& old_pod, const Pod& new_pod);
  absl::Status DeletePod(const Pod& pod);

  // Runs one scheduling cycle for the next pod in activeQ. Returns nullopt when activeQ is
  // empty (`block` = false) or the queue was closed.
  std::optional<ScheduleResult> ScheduleOne(bool block = false);
  // Starts the scheduling loop, the queue's flush thread and the binding workers.
  void Run();
  // Stops everything started by Run and waits for binding cycles in flight.
  void Stop();
  // Waits until no binding cycle is queued or running.
  void WaitForBindings();

  SchedulingQueue& queue() { return *queue_; }
  Cache& cache() { return *cache_; }
  Handle* handle();
  // Profile names (scheduler names) in configuration order.
  std::vector<std::string> ProfileNames() const;

 private:
  class Impl;
  explicit Scheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  SchedulingQueue* queue_;
  Cache* cache_;
};

}  // namespace rudder::sched

#endif  // RUDDER_LIB_SCHED_SCHEDULER_H_
