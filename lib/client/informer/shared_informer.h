// SharedIndexInformer: one list-and-watch of a kind, one indexed cache, many event handlers.
//
// The informer's reflector lists the kind (in pages; the first list at resourceVersion "0",
// which the server may answer from its cache), then watches from the list's resourceVersion
// with bookmarks. A watch that ends is resumed from the last resourceVersion seen (object or
// bookmark); a watch or list that fails with 410 Expired/Gone (or a store compaction) is
// followed by a relist, whose result replaces the cache: objects that vanished meanwhile are
// deleted and announced to handlers with final_state_unknown (tombstones). Other errors are
// reported to the watch error handler and retried with exponential back-off and jitter. Every
// timer (back-off, watch timeout, resync) runs on the informer's Clock, so tests drive it with a
// FakeClock.
//
// Handlers (handler.h) each get their own buffer and delivery thread. A handler added after
// the informer has synced is first told about every cached object (OnAdd with
// is_initial_list = true). A handler may ask for a periodic resync: OnUpdate(obj, obj) for
// every cached object each period.
//
// Memory: over the in-process client, the cache holds the API server's own immutable objects
// (shared with its watch cache, no copy); over other transforms, one decoded copy per object.
// A relist keeps the cached object of every item whose resourceVersion did not change.
//
// All methods are thread-safe. Start() launches the informer's threads; Stop() (or the
// destructor) stops them and waits for them, including every handler's delivery thread.
//
// Example:
//   auto informer = NewSharedIndexInformer(client, kind, {.resync = absl::Minutes(10)});
//   auto handlers = std::make_shared<ResourceEventHandlerFuncs>();
//   handlers->add = [](const ObjectRef& o, bool initial) { ... };
//   (*informer)->AddEventHandler(handlers);
//   (*informer)->Start();
//   (*informer)->WaitForCacheSync(absl::Now() + absl::Seconds(10));
#ifndef RUDDER_LIB_CLIENT_INFORMER_SHARED_INFORMER_H_
#define RUDDER_LIB_CLIENT_INFORMER_SHARED_INFORMER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/scheme/scheme.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/client/informer/handler.h"
#include "lib/client/informer/indexer.h"

namespace rudder::client {

// Rewrites an object before it is cached (and before any handler sees it); for instance
// StripManagedFields. Runs on the reflector's thread; must not keep `obj`.
using TransformFunc = std::function<void(Object* obj)>;

// A transform that clears metadata.managedFields, which are often most of an object's bytes
// and of no use to controllers. An informer skips it for objects it shares with an in-process
// API server's watch cache (Client::SharesCachedObjects): those cost the informer no memory,
// and stripping them would take a copy. Any other transform is applied to a copy.
void StripManagedFields(Object* obj);

// Called with every list or watch error (after which the reflector backs off and retries).
using WatchErrorHandler = std::function<void(const absl::Status& error)>;

// What an informer lists and watches, and how.
struct InformerOptions {
  // Namespace to watch; empty: every namespace (always empty for cluster-scoped kinds).
  std::string ns;
  // Label and field selectors, in their text forms ("app=web", "spec.nodeName=node-1").
  std::string label_selector;
  std::string field_selector;
  // Default resync period of handlers added without their own; zero: no resync.
  absl::Duration resync = absl::ZeroDuration();
  // Time source of back-off, watch timeouts and resyncs (borrowed); nullptr: Clock::Real().
  Clock* clock = nullptr;
  // Page size of lists; 0: one unpaged list. Lists of a client that shares the API server's
  // cached objects (in process) are never paged: nothing is copied.
  int64_t page_size = 500;
  // A watch is ended and resumed (from the last resourceVersion) after a random duration in
  // [watch_timeout, 2 * watch_timeout); zero: watches never time out.
  absl::Duration watch_timeout = absl::Minutes(5);
  // Exponential back-off after errors: initial and maximum delay (each delay is then spread
  // by up to 100% random jitter); the back-off resets after `backoff_reset` without errors.
  absl::Duration initial_backoff = absl::Milliseconds(800);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration backoff_reset = absl::Minutes(2);
  // Seed of the jitter's random source (0: from the address of the informer).
  uint64_t seed = 0;
};

// What an informer's reflector has done so far (monitoring, benchmarks).
struct InformerStats {
  int64_t lists = 0;         // complete lists applied to the cache (the first one included)
  int64_t relists = 0;       // lists after the first (after 410 Gone or a failed watch)
  int64_t watches = 0;       // watches started
  int64_t watch_events = 0;  // object events applied from watches
  // Why the last watch ended in a relist ("" before any).
  std::string last_relist_cause;
};

// One shared list-and-watch of a kind with an indexed cache. Create with
// NewSharedIndexInformer or through a SharedInformerFactory.
class SharedIndexInformer {
 public:
  virtual ~SharedIndexInformer() = default;

  // The kind this informer caches.
  virtual const api::KindInfo& kind() const = 0;

  // Registers `handler` (shared with the caller; kept until removed or the informer is
  // destroyed). `resync`: the handler's resync period; nullopt: the informer's default; zero:
  // none. Resync periods shorter than one second are raised to one second.
  // FailedPrecondition once the informer is stopped; InvalidArgument for a null handler or a
  // negative period.
  virtual absl::StatusOr<std::shared_ptr<HandlerRegistration>> AddEventHandler(
      std::shared_ptr<ResourceEventHandler> handler,
      std::optional<absl::Duration> resync = std::nullopt) = 0;
  // Unregisters a handler: no callback of it starts after this returns and, unless called from
  // that handler's own callback, none is still running. NotFound for an unknown registration.
  virtual absl::Status RemoveEventHandler(const std::shared_ptr<HandlerRegistration>& reg) = 0;

  // The informer's cache (owned by the informer; read-only for callers).
  virtual const Indexer& GetIndexer() const = 0;
  // Adds indexes to the cache (allowed at any time; existing objects are indexed at once).
  // AlreadyExists when a name is taken.
  virtual absl::Status AddIndexers(const Indexers& indexers) = 0;

  // Sets the transform applied to every object before it is cached. FailedPrecondition once
  // the informer has started.
  virtual absl::Status SetTransform(TransformFunc transform) = 0;
  // Sets the handler of list and watch errors. FailedPrecondition once started.
  virtual absl::Status SetWatchErrorHandler(WatchErrorHandler handler) = 0;

  // Starts listing, watching and delivering; returns at once. Later calls do nothing.
  virtual void Start() = 0;
  // Stops the reflector and every handler, and waits for their threads. Idempotent. A stopped
  // informer cannot be restarted.
  virtual void Stop() = 0;
  virtual bool IsStopped() const = 0;

  // True once the first complete list is in the cache (and has been handed to the handlers).
  virtual bool HasSynced() const = 0;
  // Waits until HasSynced() or the informer's clock reaches `deadline` (or the informer stops).
  // Returns HasSynced().
  virtual bool WaitForCacheSync(absl::Time deadline) = 0;

  // The resourceVersion of the last list, watch event or bookmark applied ("" before the first
  // list).
  virtual std::string LastSyncResourceVersion() const = 0;

  // Counters of lists, relists and watches so far.
  virtual InformerStats Stats() const = 0;
};

// An informer for `kind` over `client` (borrowed; must outlive the informer). InvalidArgument
// for a selector that does not parse or negative durations.
absl::StatusOr<std::unique_ptr<SharedIndexInformer>> NewSharedIndexInformer(
    Client* client, std::shared_ptr<const api::KindInfo> kind, const InformerOptions& options = {});

// Waits until every informer has synced or its clock reaches `deadline`; returns whether all
// synced.
bool WaitForCacheSync(const std::vector<SharedIndexInformer*>& informers, absl::Time deadline);

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_INFORMER_SHARED_INFORMER_H_
