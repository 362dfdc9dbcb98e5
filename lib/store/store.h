// The watchable MVCC key-value store every Rudder API server keeps its objects in.
//
// The model is etcd v3's, so that the etcd backend is a thin client and the embedded backends
// behave the same:
//  - Every successful write (a put, a delete that removed something, or a transaction with at
//    least one such write) advances one global revision by exactly one. All writes of one
//    transaction share that revision.
//  - Each live key has create_revision (revision of the put that created it), mod_revision
//    (revision of its last put) and version (number of puts since creation, 1 after the
//    first). A delete ends the key's life; a later put starts a new one with version 1.
//  - Reads see one consistent revision. A read at an older revision sees the store as it was,
//    until compaction discards history below a revision.
//  - A watch delivers, in revision order and without gaps, every change to its key range from
//    a start revision on, each with the previous value when asked.
//  - Leases are TTL'd handles that keys are attached to; when a lease expires or is revoked,
//    its keys are deleted (in one revision) and watchers see the deletes.
//
// Errors: NotFound for a missing lease; AlreadyExists for granting a lease id in use;
// OutOfRange for a revision below the compaction point (see IsCompacted()) or above the current
// revision; InvalidArgument for malformed requests (an empty key, a transaction that puts one key
// twice); Unavailable when the backend cannot be reached (retry); Internal for corruption.
//
// All Store implementations are safe for concurrent use by many threads.
#ifndef RUDDER_LIB_STORE_STORE_H_
#define RUDDER_LIB_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rudder::store {

// A key with its value and MVCC metadata.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;  // 0: no lease.

  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

// The key range [key, range_end) (keys are never empty). An empty range_end means the single key
// `key`; the range end "\0" (a one-byte string holding NUL) means every key >= key, as in etcd.
struct KeyRange {
  std::string key;
  std::string range_end;

  static KeyRange Single(absl::string_view key);
  // Every key starting with `prefix` (an empty prefix means every key).
  static KeyRange Prefix(absl::string_view prefix);
  // Whether `k` falls in the range.
  bool Contains(absl::string_view k) const;
};

// The smallest key greater than every key with this prefix ("\0" if there is none), as etcd's
// clientv3.GetPrefixRangeEnd computes it.
std::string PrefixEnd(absl::string_view prefix);

// Options of a range read.
struct RangeOptions {
  int64_t revision = 0;     // Read the store as of this revision; 0 = the current one.
  int64_t limit = 0;        // At most this many keys (0 = no limit); `more` tells if cut.
  bool count_only = false;  // Return only the count.
  bool keys_only = false;   // Leave values empty.
};

// The result of a range read: keys in ascending byte order.
struct RangeResult {
  std::vector<KeyValue> kvs;
  bool more = false;     // More keys matched than `limit` allowed.
  int64_t count = 0;     // How many keys matched in all (regardless of limit).
  int64_t revision = 0;  // The store's current revision when the read was served.
};

// A condition of a transaction on one key (or, with range_end, on every key of a range).
struct Compare {
  enum class Target { kValue, kVersion, kCreateRevision, kModRevision, kLease };
  enum class Op { kEqual, kNotEqual, kLess, kGreater };

  KeyRange range;
  Target target = Target::kModRevision;
  Op op = Op::kEqual;
  int64_t number = 0;  // For every target but kValue. A missing key has 0 for each.
  std::string value;   // For kValue (a missing key never compares true on value).

  static Compare ModRevision(absl::string_view key, Op op, int64_t rev);
  static Compare CreateRevision(absl::string_view key, Op op, int64_t rev);
  static Compare Version(absl::string_view key, Op op, int64_t version);
  static Compare Value(absl::string_view key, Op op, absl::string_view value);
  static Compare Lease(absl::string_view key, Op op, int64_t lease);
};

// One operation of a transaction.
struct TxnOp {
  enum class Type { kRange, kPut, kDelete };

  Type type = Type::kRange;
  KeyRange range;        // kRange and kDelete; kPut uses range.key.
  RangeOptions options;  // kRange (revision must be 0 inside a transaction).
  std::string value;     // kPut.
  int64_t lease = 0;     // kPut.
  bool prev_kv = false;  // kPut and kDelete: return the previous key-values.

  static TxnOp Get(KeyRange range, RangeOptions options = {});
  static TxnOp Put(absl::string_view key, absl::string_view value, int64_t lease = 0,
                   bool prev_kv = false);
  static TxnOp Delete(KeyRange range, bool prev_kv = false);
};

// The result of one TxnOp.
struct TxnOpResult {
  TxnOp::Type type = TxnOp::Type::kRange;
  RangeResult range;               // kRange.
  int64_t deleted = 0;             // kDelete: number of keys deleted.
  std::vector<KeyValue> prev_kvs;  // kPut (at most one) and kDelete, when prev_kv was set.
};

// If every compare holds, runs `success`, else `failure`; atomically, at one revision.
struct TxnRequest {
  std::vector<Compare> compares;
  std::vector<TxnOp> success;
  std::vector<TxnOp> failure;
};

struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;  // The revision after the transaction (new one if it wrote).
  std::vector<TxnOpResult> results;
};

// One change seen by a watch.
struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  // For kPut, the new key-value. For kDelete, the key with mod_revision = the deleting revision
  // (other fields zero).
  KeyValue kv;
  std::optional<KeyValue> prev_kv;  // When the watch asked for it and the key existed.
};

// A batch of events delivered to a watcher, or the end of the watch.
struct WatchResponse {
  std::vector<WatchEvent> events;  // Ascending revision; never split within one revision.
  // The store revision the watcher is known to be caught up with: every event at or below it
  // has been delivered. A response with no events and this set is a progress notification.
  int64_t revision = 0;
  // Non-OK ends the watch: IsCompacted() when the start revision was compacted (relist),
  // ResourceExhausted when the watcher fell behind its buffer (relist), Cancelled on Cancel()
  // or store shutdown, Unavailable when a remote backend's stream broke.
  absl::Status status;
  int64_t compact_revision = 0;  // With IsCompacted(status): the compaction point.
};

// A WatchResponse whose events are shared instead of copied: immutable, and possibly the same
// objects other watchers receive. See Watcher::NextShared.
struct SharedWatchResponse {
  std::vector<std::shared_ptr<const WatchEvent>> events;
  int64_t revision = 0;
  absl::Status status;
  int64_t compact_revision = 0;
};

struct WatchOptions {
  // First revision to deliver; 0 = changes after the current revision.
  int64_t start_revision = 0;
  bool prev_kv = false;  // Attach previous values to events.
  // Also deliver periodic progress notifications while idle (the store decides the period).
  bool progress_notify = false;
  // A watcher that has more than this many undelivered events is cut off with
  // ResourceExhausted, so a stuck consumer never makes the store grow without bound.
  size_t max_buffered_events = 10000;
};

// A live watch. Destroying it cancels the watch. Thread-safe; one consumer at a time.
class Watcher {
 public:
  virtual ~Watcher() = default;

  // Waits up to `timeout` for the next response; returns nullopt on timeout. After a response
  // with a non-OK status, every later call returns that status again at once.
  virtual std::optional<WatchResponse> Next(absl::Duration timeout) = 0;

  // Like Next, but shares the events instead of copying them, which saves a copy of every value
  // per watcher when many watchers see the same events. The default implementation wraps Next().
  virtual std::optional<SharedWatchResponse> NextShared(absl::Duration timeout);

  // Calls `fn` (from a store thread; it must not block) whenever a response becomes available,
  // so a caller can multiplex many watchers on one thread. Replaces any earlier callback.
  virtual void SetReadyCallback(std::function<void()> fn) = 0;

  // Asks the store to send a progress notification soon (etcd's RequestProgress).
  virtual void RequestProgress() = 0;

  // Ends the watch; the next Next() returns Cancelled.
  virtual void Cancel() = 0;
};

// A lease as returned by LeaseGrant/LeaseTimeToLive.
struct LeaseInfo {
  int64_t id = 0;
  int64_t granted_ttl = 0;        // Seconds.
  int64_t ttl = 0;                // Seconds left (-1 if expired or unknown).
  std::vector<std::string> keys;  // Attached keys (LeaseTimeToLive with keys=true).
};

// The store. See the file comment for the model.
class Store {
 public:
  virtual ~Store() = default;

  // Reads keys in `range`.
  virtual absl::StatusOr<RangeResult> Range(const KeyRange& range,
                                            const RangeOptions& options = {}) = 0;

  // Runs a transaction (every write goes through here; Put and Delete are shorthands).
  virtual absl::StatusOr<TxnResult> Txn(const TxnRequest& request) = 0;

  // Starts a watch of `range`. Fails with IsCompacted() if options.start_revision is
  // compacted (a remote backend may learn it later and end the watch with a first response
  // carrying that status and compact_revision), OutOfRange if it is more than one past the
  // current revision.
  virtual absl::StatusOr<std::unique_ptr<Watcher>> Watch(const KeyRange& range,
                                                         const WatchOptions& options = {}) = 0;

  // Discards history below `revision` (reads and watches below it then fail IsCompacted()).
  virtual absl::Status Compact(int64_t revision) = 0;

  // Grants a lease of `ttl_seconds`; `id` 0 lets the store choose one.
  virtual absl::StatusOr<LeaseInfo> LeaseGrant(int64_t ttl_seconds, int64_t id = 0) = 0;
  // Revokes a lease, deleting its keys.
  virtual absl::Status LeaseRevoke(int64_t id) = 0;
  // Renews a lease to its granted TTL; returns the new TTL. NotFound once expired.
  virtual absl::StatusOr<int64_t> LeaseKeepAlive(int64_t id) = 0;
  // Reports a lease's TTL (and keys). NotFound if it does not exist.
  virtual absl::StatusOr<LeaseInfo> LeaseTimeToLive(int64_t id, bool keys = false) = 0;

  // The current revision (the revision of the last write; 1 in an empty new store, as etcd).
  virtual absl::StatusOr<int64_t> CurrentRevision() = 0;
  // The compaction point (0 if never compacted).
  virtual absl::StatusOr<int64_t> CompactRevision() = 0;

  // Convenience wrappers over Range and Txn.
  absl::StatusOr<std::optional<KeyValue>> Get(absl::string_view key, int64_t revision = 0);
  // Unconditional put; returns the new revision.
  absl::StatusOr<int64_t> Put(absl::string_view key, absl::string_view value, int64_t lease = 0);
  // Deletes `range`; returns the number of keys deleted.
  absl::StatusOr<int64_t> Delete(const KeyRange& range);
};

// The compaction error: OutOfRange with a marker, carrying the compaction revision.
absl::Status CompactedError(int64_t compact_revision);
// Whether `status` is the compaction error (the API layer maps it to 410 Gone).
bool IsCompacted(const absl::Status& status);
// The compaction revision carried by a CompactedError (0 if none).
int64_t CompactedRevision(const absl::Status& status);

}  // namespace rudder::store

#endif  // RUDDER_LIB_STORE_STORE_H_
