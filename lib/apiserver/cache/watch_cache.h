// The watch cache: an in-memory copy of one resource's objects, fed by one store watch, that
// serves lists and watches without reading the store (Kubernetes' cacher).
//
//  - One store watch per cache (per key prefix) keeps a map of the current objects, decoded
//    once and shared as std::shared_ptr<const Message> with every reader, and a bounded ring of
//    recent events (with previous objects) at the store's revision.
//  - With an Encoder, each object version also has its encoding (CachedValue::Encoded), made
//    on first use and shared by every list and watch event that serves that version.
//  - List: from memory; a consistent read first waits until the cache has caught up with the
//    store's current revision (a count-only Range plus RequestProgress).
//  - Watch: replays the ring from a resourceVersion, or the current state as ADDED, then live
//    events; every watcher shares the one store watch. A watcher that falls more than
//    `watcher_buffer` events behind is cut off (ResourceExhausted).
//  - When the store watch fails it is re-established with back-off; if the store compacted
//    past the cache's revision, the cache relists and ends every watcher with the compaction
//    error (410: the client relists).
//
// Thread-safe. The cache borrows the Store (it must outlive the cache) and runs one thread.
#ifndef RUDDER_LIB_APISERVER_CACHE_WATCH_CACHE_H_
#define RUDDER_LIB_APISERVER_CACHE_WATCH_CACHE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "lib/base/clock.h"
#include "lib/store/store.h"

namespace rudder::apiserver::cache {

// An immutable object shared by the cache and its readers.
using ObjectRef = std::shared_ptr<const google::protobuf::Message>;

// Decodes a stored value into an object carrying resourceVersion = kv.mod_revision.
using Decoder = std::function<absl::StatusOr<ObjectRef>(const store::KeyValue& kv)>;

// Encodes an object for clients (the API server's JSON), once per cached object version.
using Encoder = std::function<absl::StatusOr<std::string>(const google::protobuf::Message&)>;

// One version of a cached object and its encoding, made by the cache's Encoder on the first
// Encoded() call and then kept for as long as this version is referenced. Immutable to
// readers; thread-safe. Shared by the cache, its lists and its watch events.
class CachedValue {
 public:
  // `encoder` may be null (Encoded() then fails with FailedPrecondition).
  CachedValue(ObjectRef object, std::shared_ptr<const Encoder> encoder)
      : object_(std::move(object)), encoder_(std::move(encoder)) {}
  CachedValue(const CachedValue&) = delete;
  CachedValue& operator=(const CachedValue&) = delete;

  const ObjectRef& object() const { return object_; }
  // The object's encoding, made on the first call (later calls return the same bytes).
  const absl::StatusOr<std::string>& Encoded() const;
  // Whether Encoded() has made the encoding (tests, memory accounting).
  bool HasEncoding() const;

 private:
  const ObjectRef object_;
  const std::shared_ptr<const Encoder> encoder_;
  mutable std::once_flag once_;
  mutable std::atomic<bool> has_encoding_{false};
  mutable absl::StatusOr<std::string> encoded_;  // written once, under once_
};

// A shared cached object version.
using ValueRef = std::shared_ptr<const CachedValue>;

// Selects objects (label and field selectors); an empty function selects everything.
using Filter = std::function<bool(const google::protobuf::Message&)>;

struct CacheOptions {
  size_t event_ring_size = 1024;  // recent events kept for watch replay and exact lists
  size_t watcher_buffer = 1024;   // undelivered live events per watcher before it is cut off
  absl::Duration fresh_wait = absl::Seconds(3);  // how long a read waits for the cache to catch up
  absl::Duration min_backoff = absl::Milliseconds(100);  // first retry after a store-watch failure
  absl::Duration max_backoff = absl::Seconds(10);
  Clock* clock = nullptr;  // back-off timing (borrowed); nullptr = Clock::Real()
};

// How a list's resource_version (> 0) is matched, as Kubernetes' resourceVersionMatch.
enum class RvMatch { kNotOlderThan, kExact };

struct CacheListOptions {
  // Only keys starting with this (e.g. a namespace's prefix); empty = the cache's prefix.
  std::string key_prefix;
  // -1: consistent (the store's current revision); 0: any (what the cache holds); N: per match.
  int64_t resource_version = -1;
  RvMatch match = RvMatch::kNotOlderThan;
  Filter filter;
  int64_t limit = 0;  // 0 = all
};

struct CachedObject {
  std::string key;
  ObjectRef object;  // == value->object()
  ValueRef value;
};

struct CacheListResult {
  std::vector<CachedObject> items;
  int64_t revision = 0;   // the revision the list reflects
  std::string next_key;   // with a limit: the first matching key after the page, else empty
  int64_t remaining = 0;  // with a limit and more: keys (matching or not) after the page
};

// One event for a cache watcher.
struct CacheEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  ObjectRef object;  // null for kBookmark and kError
  int64_t revision = 0;
  absl::Status error;  // kError: IsCompacted (position lost) or ResourceExhausted (too slow)
  ValueRef value;      // `object` with its encoding; null when `object` is
};

// A client's watch on the cache. Destroying it ends the watch. One consumer at a time;
// Cancel() from any thread.
class CacheWatcher {
 public:
  virtual ~CacheWatcher() = default;
  // The next event, or nullopt on timeout or after the kError event was returned.
  virtual std::optional<CacheEvent> Next(absl::Duration timeout) = 0;
  virtual void Cancel() = 0;
};

struct CacheWatchOptions {
  std::string key_prefix;  // as CacheListOptions
  // With initial_events: the current state as ADDED, then changes. Otherwise every change
  // after resource_version (IsCompacted if the ring no longer holds them); 0 = changes after
  // the cache's current revision.
  bool initial_events = false;
  bool consistent = false;  // initial_events: first catch up with the store (a "" watch)
  int64_t resource_version = 0;
  Filter filter;
  bool bookmarks = false;  // kBookmark on the store's progress notifications
};

class WatchCache {
 public:
  // Lists `prefix` (synchronously) and starts the store watch. Borrows `store`. `encoder`
  // (optional) makes the encodings of CachedValue::Encoded.
  static absl::StatusOr<std::unique_ptr<WatchCache>> Start(store::Store* store, std::string prefix,
                                                           Decoder decoder,
                                                           const CacheOptions& options = {},
                                                           Encoder encoder = nullptr);
  virtual ~WatchCache() = default;

  // Lists from memory. OutOfRange (not IsCompacted) when an exact revision is older than the
  // ring (the caller may read the store); DeadlineExceeded when the cache could not catch up.
  virtual absl::StatusOr<CacheListResult> List(const CacheListOptions& options) = 0;
  // Watches from memory; IsCompacted when resource_version is older than the ring.
  virtual absl::StatusOr<std::unique_ptr<CacheWatcher>> Watch(const CacheWatchOptions& options) = 0;
  // The revision the cache is at.
  virtual int64_t Revision() = 0;
  // Live watchers (tests, metrics).
  virtual size_t WatcherCount() = 0;
};

}  // namespace rudder::apiserver::cache

#endif  // RUDDER_LIB_APISERVER_CACHE_WATCH_CACHE_H_
