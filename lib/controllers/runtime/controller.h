// Controller: a rate-limited work queue of Requests and N workers calling a Reconciler
// (controller-runtime's pkg/controller).
//
// Requests enter the queue from the controller's watches (wired by the Manager, see
// builder.h) or from Enqueue(). The queue de-duplicates them and never hands one Request to
// two workers at once. After each reconcile:
//   error (not terminal)   -> retried after the rate limiter's back-off;
//   terminal error         -> forgotten (counted in terminal_errors);
//   Result.requeue_after   -> back-off forgotten, retried after the delay (on the Clock);
//   Result.requeue         -> retried after the back-off;
//   empty Result           -> back-off forgotten.
// The default rate limiter is Kubernetes' controller default: the longer of a per-request
// exponential back-off (5 ms doubling to 1000 s) and an overall 10 qps / 100 burst bucket.
//
// A sharded controller reconciles only the requests of its shard: those whose
// FNV-1a("namespace/name") modulo the shard count equals its shard id; other replicas with the
// other ids reconcile the rest.
//
// Thread-safe. Start/Stop may alternate (a controller stopped on losing leadership starts
// again on winning it); Stop waits for running reconciles and drops queued requests.
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_CONTROLLER_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/api/scheme/scheme.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/informer/shared_informer.h"
#include "lib/client/workqueue/metrics.h"
#include "lib/client/workqueue/rate_limiter.h"
#include "lib/client/workqueue/rate_limiting_queue.h"
#include "lib/controllers/runtime/handler.h"
#include "lib/controllers/runtime/predicate.h"
#include "lib/controllers/runtime/reconcile.h"

namespace rudder::ctrl {

// Which share of the keys a replica reconciles.
struct ShardOptions {
  int count = 1;  // Number of shards (replicas); 1: no sharding.
  int id = 0;     // This replica's shard, in [0, count).
};
// The shard of (ns, name) among `count`: FNV-1a 64 of "ns/name" (or "name") modulo count.
int ShardOf(const std::string& ns, const std::string& name, int count);

// Builds a fresh rate limiter on `clock` (each Start makes a new queue).
using RateLimiterFactory =
    std::function<std::unique_ptr<workqueue::RateLimiter<Request>>(Clock* clock)>;

// How a controller runs. Unset fields take the Manager's values (clock, shard) or defaults.
struct ControllerOptions {
  // Unique within a manager; names the queue's metrics.
  std::string name;
  // Worker threads (reconciles running at once).
  int max_concurrent_reconciles = 1;
  // nullptr: workqueue::DefaultControllerRateLimiter.
  RateLimiterFactory rate_limiter;
  // Time source of requeue_after and back-off (borrowed); nullptr: the manager's or real time.
  Clock* clock = nullptr;
  // Key sharding; nullopt: the manager's.
  std::optional<ShardOptions> shard;
  // Run only on the elected leader when the manager elects one.
  bool need_leader_election = true;
  // Reconcile requests of every cluster of the manager (false: only its own cluster "").
  bool multi_cluster = true;
  // How long starting waits for the watched informers to sync (on the clock).
  absl::Duration cache_sync_timeout = absl::Minutes(2);
  // Metrics of the work queue (borrowed); nullptr: none.
  workqueue::MetricsProvider* queue_metrics = nullptr;
};

// One watch of a controller: objects of a kind, the predicates their events must pass, and
// how they map to Requests.
struct Watch {
  api::GroupVersionKind gvk;
  // Informer options (namespace, selectors) of the watch; the manager's defaults otherwise.
  std::optional<client::InformerOptions> informer;
  EventHandler handler;
  std::vector<PredicatePtr> predicates;
};

// Counters of a controller since it was created (controller-runtime's
// controller_runtime_reconcile_* metrics).
struct ControllerMetrics {
  int64_t reconcile_total = 0;  // Every reconcile, whatever its outcome.
  int64_t success = 0;          // Empty Result.
  int64_t requeue = 0;          // Result.requeue.
  int64_t requeue_after = 0;    // Result.requeue_after.
  int64_t errors = 0;           // Errors (terminal ones included).
  int64_t terminal_errors = 0;  // Errors marked TerminalError.
  int64_t dropped = 0;          // Requests dropped (other shard, cluster gone, stopped).
  absl::Duration reconcile_time = absl::ZeroDuration();      // Total wall time reconciling.
  absl::Duration max_reconcile_time = absl::ZeroDuration();  // Longest reconcile.
  int active_workers = 0;                                    // Reconciles running now.
};

// A controller. Create with the Builder (which also wires its watches into a Manager) or
// directly for tests; owns its queue and workers.
class Controller {
 public:
  // `reconciler` is shared with the caller.
  Controller(ControllerOptions options, std::shared_ptr<Reconciler> reconciler);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const std::string& name() const { return options_.name; }
  const ControllerOptions& options() const { return options_; }

  // Adds a watch; FailedPrecondition once the controller was handed to a Manager.
  absl::Status AddWatch(Watch watch);
  const std::vector<Watch>& watches() const { return watches_; }

  // Queues `request` (dropped when stopped or outside the shard).
  void Enqueue(const Request& request);
  // Queues `request` after `delay` on the clock.
  void EnqueueAfter(const Request& request, absl::Duration delay);

  // Starts the workers on a new queue. FailedPrecondition when running.
  absl::Status Start();
  // Stops accepting requests, waits for running reconciles, drops the rest. Idempotent.
  void Stop();
  bool Running() const;

  // Requests for which `accept` returns false are dropped when a worker takes them (the
  // manager uses this to drop requests of clusters that left). Set before Start.
  void SetRequestFilter(std::function<bool(const Request&)> accept);
  // Sets the clock and shard the options left unset (the manager's). Before Start.
  void SetDefaults(Clock* clock, const ShardOptions& shard);
  // Marks the controller as owned by a manager (AddWatch is refused afterwards).
  void Seal() { sealed_ = true; }

  ControllerMetrics Metrics() const;
  // Requests waiting in the queue (not counting delayed ones or those being reconciled).
  size_t QueueLength() const;

 private:
  using Queue = workqueue::RateLimitingQueue<Request>;
  void Work(Queue* queue);
  bool InShard(const Request& r) const;

  ControllerOptions options_;
  const std::shared_ptr<Reconciler> reconciler_;
  std::vector<Watch> watches_;
  bool sealed_ = false;
  std::function<bool(const Request&)> accept_;

  mutable Mutex mu_;
  std::shared_ptr<Queue> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
  ControllerMetrics metrics_ ABSL_GUARDED_BY(mu_);
  Mutex lifecycle_mu_;  // Serializes Start and Stop.
};

}  // namespace rudder::ctrl

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_CONTROLLER_H_
