// The garbage collector: deletes objects whose owners are gone, honouring ownerReferences
// across every listable kind of a scheme (custom kinds too) and the three propagation
// policies the API server records as finalizers (lib/apiserver/registry):
//
//  - Background: an object none of whose owners exist any more (absent, or present with
//    another uid: a dangling reference) is deleted. An object with at least one live owner
//    loses only its dangling references.
//  - Foreground: an owner marked deleting with the "foregroundDeletion" finalizer has its
//    dependents deleted first (dependents that own objects themselves are deleted in the
//    foreground too, so chains unwind from the leaves); once no dependent holding a
//    blockOwnerDeletion=true reference to it remains, the finalizer is removed and the API
//    server deletes the owner.
//  - Orphan: an owner marked deleting with the "orphan" finalizer has its reference removed
//    from every dependent, then the finalizer removed.
//
// The collector keeps a graph of owners and dependents fed by one shared informer per kind
// (from the SharedInformerFactory it is given) and works through a rate-limited queue of
// object uids on its own worker thread; every back-off runs on the informers' Clock.
// Owners it has not seen are checked against the API server before anything is deleted.
//
// Thread-safe. Start() returns once the informers have synced; Stop() (or the destructor)
// joins the worker.
//
// Example:
//   auto gc = GarbageCollector::New(client, factory, {.clock = &clock});
//   (*gc)->Start();
#ifndef RUDDER_LIB_CONTROLLERS_GC_GC_H_
#define RUDDER_LIB_CONTROLLERS_GC_GC_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/scheme/scheme.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/client/informer/factory.h"
#include "lib/client/workqueue/rate_limiting_queue.h"

namespace rudder::controllers {

// How the garbage collector runs.
struct GarbageCollectorOptions {
  // Time source of retries' back-off (borrowed); nullptr: real time.
  Clock* clock = nullptr;
  // Kinds never watched nor collected (Events are by default: they are never owned).
  std::vector<api::GroupVersionKind> ignored = {{"", "v1", "Event"},
                                                {"events.k8s.io", "v1", "Event"}};
  // How long Start waits for the informers to sync (on the clock).
  absl::Duration cache_sync_timeout = absl::Minutes(1);
};

// Counters of a collector since it started.
struct GarbageCollectorMetrics {
  int64_t deleted = 0;           // Dependents deleted.
  int64_t orphaned = 0;          // Owner references removed from dependents (Orphan).
  int64_t dangling_removed = 0;  // Dangling references removed from objects with live owners.
  int64_t finalized = 0;         // Owners whose orphan or foregroundDeletion finalizer it removed.
  int64_t errors = 0;            // Failed attempts (retried with back-off).
};

class GarbageCollector {
 public:
  // A collector writing through `client` and watching through `informers` (both borrowed;
  // they must outlive the collector).
  static absl::StatusOr<std::unique_ptr<GarbageCollector>> New(
      client::Client* client, client::SharedInformerFactory* informers,
      GarbageCollectorOptions options = {});
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  // Watches every listable, watchable, deletable kind of the scheme, waits for the caches
  // and starts the worker. FailedPrecondition when already started; DeadlineExceeded when
  // the caches do not sync in time.
  absl::Status Start();
  // Watches kinds registered since Start (custom resources); idempotent.
  absl::Status SyncKinds();
  // Stops the worker (informers belong to the factory). Idempotent.
  void Stop();

  // True when no uid is queued or being processed (retries waiting for their back-off do
  // not count).
  bool Idle() const;
  // Objects in the graph.
  size_t GraphSize() const;
  GarbageCollectorMetrics Metrics() const;

 private:
  struct Node {
    std::shared_ptr<const api::KindInfo> kind;
    std::string ns, name, uid;
    std::vector<api::meta::v1::OwnerReference> owners;
    bool deleting = false;
    bool foreground = false;  // Has the foregroundDeletion finalizer.
    bool orphan = false;      // Has the orphan finalizer.
  };
  class Handler;

  GarbageCollector(client::Client* client, client::SharedInformerFactory* informers,
                   GarbageCollectorOptions options);
  absl::Status WatchKind(const std::shared_ptr<const api::KindInfo>& kind);
  void Observe(const std::shared_ptr<const api::KindInfo>& kind, const client::Object& obj);
  void Forget(const client::Object& obj);
  void Work();
  absl::Status Process(const std::string& uid);
  absl::Status ProcessOrphan(const Node& owner);
  absl::Status ProcessForeground(const Node& owner);
  absl::Status ProcessDependent(const Node& node);
  // Rewrites the live object `node` with `mutate` (retrying on conflicts); NotFound and uid
  // changes end it quietly.
  absl::Status Mutate(const Node& node, const std::function<bool(client::Object*)>& mutate);
  absl::Status DeleteNode(const Node& node, const char* policy);
  void EnqueueLocked(const std::string& uid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  client::Client* const client_;
  client::SharedInformerFactory* const informers_;
  const GarbageCollectorOptions options_;
  Clock* const clock_;
  std::unique_ptr<workqueue::RateLimitingQueue<std::string>> queue_;

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
  // Owner uid -> dependent uids (owners may be absent from nodes_).
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> dependents_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> watched_ ABSL_GUARDED_BY(mu_);  // GVK strings.
  std::vector<std::pair<client::SharedIndexInformer*, std::shared_ptr<client::HandlerRegistration>>>
      registrations_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Handler>> handlers_ ABSL_GUARDED_BY(mu_);
  GarbageCollectorMetrics metrics_ ABSL_GUARDED_BY(mu_);
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_GC_GC_H_
