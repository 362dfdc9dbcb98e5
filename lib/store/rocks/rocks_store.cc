// RocksStore: see rocks_store.h for the guarantees and docs/store.md for the design.
//
// Writes go through a queue: the writer at its front is the leader; it takes every queued
// request, evaluates them in order against the committed state plus an overlay of the batch's
// own earlier writes, assigns consecutive revisions, and commits everything with one RocksDB
// WriteBatch (one WAL fsync). Only then are the results returned and the events published.
// Reads use a RocksDB snapshot and never wait for writers.
#include "lib/store/rocks/rocks_store.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/store/internal/watch_hub.h"
#include "lib/store/rocks/internal/format.h"
#include "lib/store/rocks/internal/log_file_system.h"
#include "lib/store/rocks/internal/sync_spinner.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace rudder::store {
namespace {

namespace fmt = store_internal::rocks;
using fmt::StoredKv;
using store_internal::RevisionEvents;
using store_internal::WatchHub;

// At most this many log syncs run at once. Concurrent syncs queue in the device (each took
// 410-450 us with up to four running against 250-310 us alone, with 16 writers) and cover
// fewer writes each: one at a time gave the same puts/s with 2-16 writers and more with 256,
// at 15-25% less CPU per write (docs/store.md).
constexpr int kMaxSyncsRunning = 1;
// A leader waiting for a sync slot commits at most this many batches meanwhile.
constexpr size_t kMaxLeaderBatches = 64;
// A spinner spins at most this many pause instructions per sync (a few milliseconds), and
// this many after a sync ended (about a millisecond) waiting for the next one.
constexpr int64_t kMaxSyncSpinPauses = 1 << 16;
constexpr int64_t kSyncSpinLingerPauses = 1 << 14;
// Physical compaction deletes index entries in write batches of this many.
constexpr int kCompactionBatch = 1024;

static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free,
              "a futex word is a plain int");

// Blocks while `*word` holds `expected` (or until a spurious wake-up).
void FutexWait(std::atomic<int>* word, int expected) {
  syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr,
          0);
}

// Wakes one thread blocked in FutexWait on `word`; `word` is not dereferenced.
void FutexWake(std::atomic<int>* word) {
  syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// The submission stack's "a leader is active, nothing waits" marker (never dereferenced).
template <typename T>
T* LeadingMarker() {
  return reinterpret_cast<T*>(alignof(T));
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat("rocks store: ", what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::InternalError(msg);
  if (s.IsIOError()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

absl::Status Corrupt(absl::string_view what) {
  return absl::InternalError(absl::StrCat("rocks store: corrupt ", what));
}

// Whether the database in `dir` (with column families `cfs`) holds no key at all.
absl::StatusOr<bool> IsEmptyDatabase(const rocksdb::DBOptions& options, const std::string& dir,
                                     const std::vector<std::string>& cfs) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& n : cfs) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("reading ", dir));
  std::unique_ptr<rocksdb::DB> db(raw);
  bool empty = true;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    it->SeekToFirst();
    if (it->Valid() || !it->status().ok()) empty = false;
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
  return empty;
}

// Whether `dir` (without a CURRENT file) holds only what RocksDB writes while creating a
// database before CURRENT exists: no table files, no non-empty log, nothing else.
bool IsInterruptedCreation(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto digits = [](absl::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    absl::string_view n = name;
    if (!entry.is_regular_file(ec)) return false;
    if (n == "LOCK" || n == "IDENTITY" || n == "LOG") continue;
    if (absl::ConsumePrefix(&n, "LOG.old.") && digits(n)) continue;
    n = name;
    if ((absl::ConsumePrefix(&n, "MANIFEST-") || absl::ConsumePrefix(&n, "OPTIONS-")) &&
        digits(n)) {
      continue;
    }
    n = name;
    if (absl::ConsumeSuffix(&n, ".dbtmp") && digits(n)) continue;
    n = name;
    if (absl::ConsumeSuffix(&n, ".log") && digits(n) && entry.file_size(ec) == 0) continue;
    return false;
  }
  return !ec;
}

// The user-key part of an index key (everything before the 8-byte revision).
class IndexKeyPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "rudder.IndexKeyPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() >= 8; }
};

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// The bounds of a KeyRange: [start, end) with no end for "\0", or the single key `start`.
struct Bounds {
  std::string start;
  std::optional<std::string> end;
  bool single = false;
  bool empty = false;
};

Bounds MakeBounds(const KeyRange& r) {
  Bounds b;
  b.start = r.key;
  if (r.range_end.empty()) {
    b.single = true;
  } else if (r.range_end != absl::string_view("\0", 1)) {
    b.end = r.range_end;
    b.empty = *b.end <= b.start;
  }
  return b;
}

absl::Status ValidateRange(const KeyRange& r, absl::string_view field) {
  if (r.key.empty())
    return absl::InvalidArgumentError(absl::StrCat(field, ".key: must not be empty"));
  return absl::OkStatus();
}

absl::Status ValidateRangeOptions(const RangeOptions& o, absl::string_view field) {
  if (o.limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".limit: must not be negative"));
  }
  if (o.revision < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".revision: must not be negative"));
  }
  return absl::OkStatus();
}

// Accumulates a range result under RangeOptions.
class Collector {
 public:
  Collector(const RangeOptions& o, RangeResult* r) : o_(o), r_(r) {}
  // Whether the next key's full KeyValue is needed (else Count() suffices).
  bool WantsKv() const {
    return !o_.count_only && (o_.limit == 0 || r_->kvs.size() < static_cast<size_t>(o_.limit));
  }
  void Count() {
    ++r_->count;
    if (!o_.count_only) r_->more = true;
  }
  void Add(KeyValue kv) {
    ++r_->count;
    if (o_.keys_only) kv.value.clear();
    r_->kvs.push_back(std::move(kv));
  }

 private:
  const RangeOptions& o_;
  RangeResult* r_;
};

bool CompareHolds(Compare::Op op, int c) {
  switch (op) {
    case Compare::Op::kEqual:
      return c == 0;
    case Compare::Op::kNotEqual:
      return c != 0;
    case Compare::Op::kLess:
      return c < 0;
    case Compare::Op::kGreater:
      return c > 0;
  }
  return false;
}

bool CompareKv(const Compare& c, const KeyValue& kv) {
  if (c.target == Compare::Target::kValue) return CompareHolds(c.op, kv.value.compare(c.value));
  int64_t n = 0;
  switch (c.target) {
    case Compare::Target::kVersion:
      n = kv.version;
      break;
    case Compare::Target::kCreateRevision:
      n = kv.create_revision;
      break;
    case Compare::Target::kModRevision:
      n = kv.mod_revision;
      break;
    case Compare::Target::kLease:
      n = kv.lease;
      break;
    case Compare::Target::kValue:
      break;
  }
  return CompareHolds(c.op, n < c.number ? -1 : (n > c.number ? 1 : 0));
}

class RocksStore : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const RocksStoreOptions& options);
  ~RocksStore() override;

  absl::StatusOr<RangeResult> Range(const KeyRange& range, const RangeOptions& options) override;
  absl::StatusOr<TxnResult> Txn(const TxnRequest& request) override;
  absl::StatusOr<std::unique_ptr<Watcher>> Watch(const KeyRange& range,
                                                 const WatchOptions& options) override;
  absl::Status Compact(int64_t revision) override;
  absl::StatusOr<LeaseInfo> LeaseGrant(int64_t ttl_seconds, int64_t id) override;
  absl::Status LeaseRevoke(int64_t id) override;
  absl::StatusOr<int64_t> LeaseKeepAlive(int64_t id) override;
  absl::StatusOr<LeaseInfo> LeaseTimeToLive(int64_t id, bool keys) override;
  absl::StatusOr<int64_t> CurrentRevision() override { return committed_rev_.load(); }
  absl::StatusOr<int64_t> CompactRevision() override { return compact_rev_.load(); }

 private:
  // One queued write (or write-ordered) request.
  struct Request {
    enum class Kind { kTxn, kGrant, kRevoke, kKeepAlive, kExpire, kCompact };
    Kind kind = Kind::kTxn;
    const TxnRequest* txn = nullptr;
    int64_t id = 0;
    int64_t number = 0;  // TTL or compaction revision.
    std::vector<int64_t> ids;
    // The request submitted before this one (the submission stack's link).
    Request* below = nullptr;
    // Results.
    absl::Status status;
    TxnResult txn_result;
    LeaseInfo lease;
    // Hand-off from the leader: kLead makes this request's thread the next leader.
    enum class State : int { kWaiting, kSleeping, kLead, kDone };
    // A futex word instead of a mutex and condition variable: the woken thread runs at once
    // instead of waking only to block on the waker's mutex, nobody spins or yields (there
    // are far more writers than cores), and a waker whose waiter has not gone to sleep yet
    // makes no system call. Waking exchanges the state, then wakes the futex address, which
    // touches no memory of the request: the waiting thread may return and free the request
    // as soon as it sees the new state.
    std::atomic<int> state{static_cast<int>(State::kWaiting)};

    void Wake(State s) {
      int old = state.exchange(static_cast<int>(s), std::memory_order_acq_rel);
      if (old == static_cast<int>(State::kSleeping)) FutexWake(&state);
    }
    void Reset() { state.store(static_cast<int>(State::kWaiting), std::memory_order_relaxed); }
    State Await() {
      int s = state.load(std::memory_order_acquire);
      while (s == static_cast<int>(State::kWaiting) || s == static_cast<int>(State::kSleeping)) {
        if (s == static_cast<int>(State::kWaiting) &&
            !state.compare_exchange_strong(s, static_cast<int>(State::kSleeping),
                                           std::memory_order_acq_rel)) {
          continue;  // `s` holds the new state.
        }
        FutexWait(&state, static_cast<int>(State::kSleeping));
        s = state.load(std::memory_order_acquire);
      }
      return static_cast<State>(s);
    }
  };

  // A consistent view for reads: a snapshot taken right after a commit, and the revision and
  // compaction point it holds.
  struct ReadView {
    std::shared_ptr<const rocksdb::Snapshot> snapshot;
    int64_t rev = 0;
    int64_t compact = 0;
  };

  // The leader's view of one batch being built.
  struct Batch {
    int64_t rev = 0;  // The last revision assigned so far.
    int64_t compact = 0;
    std::map<std::string, std::optional<KeyValue>> overlay;  // Writes of earlier requests.
    rocksdb::WriteBatch wb;
    std::vector<WatchEvent> events;
    absl::Status fatal;  // A storage error: the whole batch fails.
  };

  // The outcome of one batch, published in batch order once durable.
  struct Commit {
    int64_t seq = 0;
    int64_t durable_target = 0;  // The batch whose log records must be synced first (0: none).
    absl::Status status;
    bool changed = false;  // Revision or compaction point moved.
    bool compact_changed = false;
    int64_t rev = 0;
    int64_t compact = 0;
    std::shared_ptr<const rocksdb::Snapshot> snapshot;  // The state right after the batch.
    std::vector<WatchEvent> events;
    std::vector<Request*> batch;
    absl::Status durable;  // The fsync's outcome.
  };

  struct Lease {
    int64_t ttl = 0;
    absl::Time expiry;
    std::set<std::string> keys;
  };

  explicit RocksStore(const RocksStoreOptions& options);
  absl::Status Init();
  // Whether every column family is empty.
  absl::StatusOr<bool> IsEmpty();

  // Runs `r` through the write pipeline and returns when it is answered.
  void Submit(Request* r);
  void SubmitAndWait(Request* r);
  void PublishView(int64_t rev, int64_t compact);
  std::shared_ptr<const ReadView> View();
  // Builds and writes (without fsync) one batch; returns what PublishReady publishes.
  Commit ProcessBatch(const std::vector<Request*>& batch);
  // Syncs the log (a sync slot is taken); afterwards every batch up to `upto` is durable.
  void RunSync(int64_t upto);
  // Records the end of a sync covering batches up to `upto`, with its outcome.
  void SyncEnded(int64_t upto, const absl::Status& st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);
  // Waits until the log holds every batch up to `target` durably or a sync failed (running a
  // sync if none covers it).
  void WaitDurable(int64_t target);
  // Whether `c` may be published: OK once its log records are durable (or it wrote nothing
  // that needs syncing), the sync's error if a sync failed first, nullopt while neither.
  std::optional<absl::Status> Durability(const Commit& c);
  // Publishes the queued batches that are durable, in batch order, and wakes their requests.
  // Whichever thread ends a sync calls it: a batch is published as soon as any sync covering
  // it ended, even while an earlier-started sync still runs.
  void PublishReady();
  void Publish(Commit* c);
  absl::Status Apply(Request* r, Batch* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(leader_mu_);
  absl::Status ApplyTxn(const TxnRequest& t, Batch* b, TxnResult* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(leader_mu_);
  absl::Status ApplyGrant(Request* r, Batch* b);
  absl::Status ApplyRevoke(int64_t id, bool only_if_expired, Batch* b)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(leader_mu_);
  absl::Status ApplyKeepAlive(Request* r, Batch* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(leader_mu_);
  absl::Status ApplyCompact(int64_t rev, Batch* b);

  // Leader reads of the state as of the batch so far.
  absl::StatusOr<std::optional<KeyValue>> Lookup(Batch* b, const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(leader_mu_);
  absl::Status ScanCurrent(Batch* b, const KeyRange& range, const std::function<void(KeyValue)>& fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(leader_mu_);
  absl::StatusOr<bool> EvalCompare(Batch* b, const Compare& c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(leader_mu_);
  void WritePut(Batch* b, int64_t rev, uint32_t sub, KeyValue kv, std::optional<KeyValue> prev);
  void WriteDelete(Batch* b, int64_t rev, uint32_t sub, const KeyValue& prev);
  void MoveLeaseKey(const std::string& key, int64_t from, int64_t to);

  // Snapshot reads.
  absl::Status ReadMeta(const rocksdb::ReadOptions& ro, absl::string_view key, int64_t* v);
  absl::Status RangeCurrent(const rocksdb::ReadOptions& ro, const KeyRange& range, Collector* c);
  absl::Status RangeAt(const rocksdb::ReadOptions& ro, const KeyRange& range, int64_t rev,
                       Collector* c);
  // The state of `key` at `rev` (nullopt if absent) from the index.
  absl::StatusOr<std::optional<KeyValue>> GetAt(const rocksdb::ReadOptions& ro,
                                                const std::string& key, int64_t rev);
  // The hub's ReplaySource.
  absl::StatusOr<std::vector<RevisionEvents>> ReplayHistory(const KeyRange& range, int64_t from,
                                                            int64_t to);
  absl::StatusOr<std::vector<WatchEvent>> ReadHistory(const rocksdb::Snapshot* snap, int64_t from,
                                                      int64_t to, const KeyRange& range,
                                                      bool prev_kv);
  void PhysicalCompact(int64_t rev);
  void TickerLoop();

  // Runs `f` with the calling writer counted in writers_blocked_ (when count_blocked_).
  template <typename F>
  decltype(auto) Blocked(F&& f) {
    struct Unblock {
      RocksStore* store;
      ~Unblock() {
        if (store->count_blocked_) store->writers_blocked_.fetch_sub(1, std::memory_order_relaxed);
      }
    };
    if (count_blocked_) writers_blocked_.fetch_add(1, std::memory_order_relaxed);
    Unblock unblock{this};
    return f();
  }

  const RocksStoreOptions options_;
  // Whether writers_blocked_ is maintained (the kFewRunnable spinning rule reads it).
  const bool count_blocked_;
  Clock* const clock_;
  // The database's file system (preallocated logs, synced by SyncLogs) and its Env; both
  // outlive db_.
  std::shared_ptr<fmt::LogFileSystem> fs_ = std::make_shared<fmt::LogFileSystem>();
  std::unique_ptr<rocksdb::Env> env_ = rocksdb::NewCompositeEnv(fs_);
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // Owned; destroyed before db_.
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* current_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* history_ = nullptr;

  // Submitted requests not yet taken by a leader, newest first, linked by Request::below.
  // nullptr: nobody leads; kLeading: a leader is active and nothing waits; else the newest
  // waiting request (and a leader is active or has been chosen among the waiting). Pushing is
  // one compare-and-swap, so writers never queue on a lock to submit. Only the leader takes
  // requests off, so the waiting ones stay linked and readable until it does.
  std::atomic<Request*> pending_head_{nullptr};
  // Takes every waiting request, oldest first, leaving kLeading. Leader only.
  void TakePending(std::vector<Request*>* out);
  // Gives up the lead if nothing waits (returns nullptr), else returns the oldest waiting
  // request, which must be handed the lead. Leader only.
  Request* ReleaseOrNext();

  Mutex view_mu_;
  std::shared_ptr<const ReadView> view_ ABSL_GUARDED_BY(view_mu_);

  // Held by the leader while it builds and commits a batch.
  Mutex leader_mu_;
  int64_t rev_ ABSL_GUARDED_BY(leader_mu_) = 1;
  int64_t compact_ ABSL_GUARDED_BY(leader_mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(leader_mu_);
  int64_t last_seq_ ABSL_GUARDED_BY(leader_mu_) = 0;        // Batches built.
  int64_t last_write_seq_ ABSL_GUARDED_BY(leader_mu_) = 0;  // The last batch that wrote.
  // The committed state of recently written or read keys (absent: unknown, read RocksDB), so
  // that a write's compares and previous value need no RocksDB read. At most
  // options_.current_cache_bytes (estimated); emptied when full.
  absl::flat_hash_map<std::string, KeyValue> cache_ ABSL_GUARDED_BY(leader_mu_);
  size_t cache_bytes_ ABSL_GUARDED_BY(leader_mu_) = 0;
  // Records `kv` (nullopt: absent) as the committed state of `key`.
  void CacheSet(const std::string& key, std::optional<KeyValue> kv)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(leader_mu_);

  // Group fsync of the write-ahead log.
  Mutex sync_mu_;
  CondVar sync_cv_;
  int64_t written_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  int64_t synced_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  // The newest batch a running or finished sync covers, and the syncs running now.
  int64_t sync_started_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  int syncs_running_ ABSL_GUARDED_BY(sync_mu_) = 0;
  absl::Status sync_error_ ABSL_GUARDED_BY(sync_mu_);
  // synced_seq_ and whether sync_error_ is set, for readers without sync_mu_.
  std::atomic<int64_t> durable_seq_{0};
  std::atomic<bool> sync_failed_{false};

  // Batches are published (view, watch events, acknowledgements) in order: leaders queue
  // them in batch order before passing the lead on.
  Mutex publish_mu_;
  bool publishing_ ABSL_GUARDED_BY(publish_mu_) = false;
  std::deque<std::unique_ptr<Commit>> publish_queue_ ABSL_GUARDED_BY(publish_mu_);

  std::atomic<int64_t> committed_rev_{1};
  // Write requests submitted and not yet answered.
  std::atomic<int> writes_in_flight_{0};
  // Of those, writers blocked (waiting for a leader, for a log sync, or in one); counted only
  // if `count_blocked_`. On a cache line of its own: with many writers, writes_in_flight_'s
  // line is contended.
  alignas(64) std::atomic<int> writers_blocked_{0};
  std::atomic<int64_t> compact_rev_{0};

  Mutex lease_mu_;
  CondVar ticker_cv_;
  absl::flat_hash_map<int64_t, Lease> leases_ ABSL_GUARDED_BY(lease_mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(lease_mu_);
  bool stopping_ ABSL_GUARDED_BY(lease_mu_) = false;
  std::thread ticker_;

  Mutex compact_mu_;  // Serialises physical compactions.
  std::unique_ptr<WatchHub> hub_;
  // Keeps a CPU busy while a sync runs and nothing else waits (options_.spin_during_sync).
  std::unique_ptr<fmt::SyncSpinner> spinner_;
};

RocksStore::RocksStore(const RocksStoreOptions& options)
    : options_(options),
      count_blocked_(options.sync && options.spin_during_sync &&
                     options.sync_spin == RocksStoreOptions::SyncSpin::kFewRunnable),
      clock_(options.clock ? options.clock : Clock::Real()) {
  std::random_device rd;
  MutexLock lock(&lease_mu_);
  rng_.seed((static_cast<uint64_t>(rd()) << 32) ^ rd());
}

RocksStore::~RocksStore() {
  spinner_.reset();
  {
    MutexLock lock(&lease_mu_);
    stopping_ = true;
    ticker_cv_.SignalAll();
  }
  if (ticker_.joinable()) ticker_.join();
  hub_.reset();  // Ends every watch with Cancelled.
  {
    MutexLock lock(&view_mu_);
    view_.reset();
  }
  if (db_) {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
}

absl::StatusOr<std::unique_ptr<Store>> RocksStore::Open(const RocksStoreOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("dir: must not be empty");
  std::unique_ptr<RocksStore> store(new RocksStore(options));
  RUDDER_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

absl::Status RocksStore::Init() {
  namespace fs = std::filesystem;
  const std::string& dir = options_.dir;
  std::error_code ec;
  bool fresh = true;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return absl::FailedPreconditionError(absl::StrCat("dir: ", dir, " is not a directory"));
    }
    bool has_current = fs::exists(fs::path(dir) / "CURRENT", ec);
    bool is_empty = fs::is_empty(dir, ec);
    if (!has_current && !is_empty) {
      if (!IsInterruptedCreation(dir)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "dir: ", dir, " is not empty and holds no store (no RocksDB CURRENT file)"));
      }
      // Killed while RocksDB was creating the database: nothing was ever stored. Start over.
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().filename() != "LOCK") fs::remove(entry.path(), ec);
      }
    }
    fresh = !has_current;
  } else if (!fs::create_directories(dir, ec)) {
    return absl::UnavailableError(absl::StrCat("dir: cannot create ", dir, ": ", ec.message()));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = fresh;
  db_options.create_missing_column_families = fresh;
  db_options.error_if_exists = false;
  db_options.paranoid_checks = true;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 3;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.env = env_.get();

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  const std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName,
                                          std::string(fmt::kCfCurrent), std::string(fmt::kCfIndex),
                                          std::string(fmt::kCfHistory)};
  if (!fresh) {
    std::vector<std::string> existing;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, dir, &existing);
    if (!s.ok()) return FromRocks(s, absl::StrCat("reading ", dir));
    for (const std::string& n : names) {
      if (std::find(existing.begin(), existing.end(), n) != existing.end()) continue;
      // A foreign database, or the creation of a store interrupted by a crash: only an
      // empty database is taken over.
      RUDDER_ASSIGN_OR_RETURN(bool empty, IsEmptyDatabase(db_options, dir, existing));
      if (!empty) {
        return absl::FailedPreconditionError(absl::StrCat(
            "dir: ", dir, " holds a RocksDB database that is not a store (no column family \"", n,
            "\")"));
      }
      db_options.create_missing_column_families = true;
      fresh = true;
      break;
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  // Memtable insertion hints: a key's new index entry (newest revision first) and its new
  // current record sort just before the key's previous ones, so the insert starts from where
  // the key's last one went (the hint prefix is the user key) instead of searching the
  // memtable from the top. Never on a family that takes range deletions (history): RocksDB
  // would apply a hint of the memtable to its range-deletion table.
  rocksdb::ColumnFamilyOptions index_options = cf_options;
  index_options.memtable_insert_with_hint_prefix_extractor = std::make_shared<IndexKeyPrefix>();
  rocksdb::ColumnFamilyOptions current_options = cf_options;
  current_options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewNoopTransform());
  auto options_for = [&](const std::string& n) {
    if (n == fmt::kCfIndex) return index_options;
    if (n == fmt::kCfCurrent) return current_options;
    return cf_options;
  };
  for (const std::string& n : names) descriptors.emplace_back(n, options_for(n));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, descriptors, &handles_, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
      return absl::FailedPreconditionError(
          absl::StrCat("dir: ", dir, " is in use by another store (", s.ToString(), ")"));
    }
    return FromRocks(s, absl::StrCat("opening ", dir));
  }
  db_.reset(raw);
  meta_ = handles_[0];
  current_ = handles_[1];
  index_ = handles_[2];
  history_ = handles_[3];

  rocksdb::ReadOptions ro;
  std::string format;
  s = db_->Get(ro, meta_, ToSlice(fmt::kMetaFormat), &format);
  int64_t rev = 1;
  int64_t compact = 0;
  if (s.IsNotFound()) {
    if (!fresh) {
      // Created by us but killed before the format record was written, or someone else's.
      RUDDER_ASSIGN_OR_RETURN(bool empty, IsEmpty());
      if (!empty) {
        return absl::FailedPreconditionError(
            absl::StrCat("dir: ", dir, " holds a RocksDB database that is not a store"));
      }
    }
    rocksdb::WriteBatch wb;
    wb.Put(meta_, ToSlice(fmt::kMetaFormat), ToSlice(fmt::kFormatVersion));
    wb.Put(meta_, ToSlice(fmt::kMetaRevision), fmt::EncodeFixed64(1));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    RUDDER_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "initialising"));
  } else if (!s.ok()) {
    return FromRocks(s, "reading the format");
  } else {
    if (format != fmt::kFormatVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("dir: ", dir, " has unsupported store format \"", format, "\""));
    }
    RUDDER_RETURN_IF_ERROR(ReadMeta(ro, fmt::kMetaRevision, &rev));
    std::string v;
    s = db_->Get(ro, meta_, ToSlice(fmt::kMetaCompact), &v);
    if (s.ok()) {
      if (!fmt::DecodeFixed64(v, &compact)) return Corrupt("compaction revision");
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "reading the compaction revision");
    }
  }

  // Leases and their keys.
  {
    MutexLock lock(&lease_mu_);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_));
    for (it->Seek(ToSlice(fmt::kMetaLeasePrefix));
         it->Valid() && absl::StartsWith(ToView(it->key()), fmt::kMetaLeasePrefix); it->Next()) {
      int64_t id;
      fmt::LeaseRecord rec;
      if (!fmt::DecodeLeaseKey(ToView(it->key()), &id) ||
          !fmt::DecodeLease(ToView(it->value()), &rec)) {
        return Corrupt("lease record");
      }
      Lease& l = leases_[id];
      l.ttl = rec.granted_ttl;
      l.expiry = absl::FromUnixNanos(rec.expiry_unix_nanos);
    }
    RUDDER_RETURN_IF_ERROR(FromRocks(it->status(), "reading leases"));
    if (!leases_.empty()) {
      it.reset(db_->NewIterator(ro, current_));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        StoredKv kv;
        if (!fmt::DecodeStoredKv(ToView(it->value()), false, &kv)) return Corrupt("key record");
        if (kv.kv.lease == 0) continue;
        auto l = leases_.find(kv.kv.lease);
        if (l != leases_.end()) l->second.keys.insert(it->key().ToString());
      }
      RUDDER_RETURN_IF_ERROR(FromRocks(it->status(), "reading keys"));
    }
  }

  {
    MutexLock lock(&leader_mu_);
    rev_ = rev;
    compact_ = compact;
  }
  committed_rev_.store(rev);
  compact_rev_.store(compact);
  PublishView(rev, compact);
  WatchHub::Options hub_options;
  hub_options.clock = clock_;
  hub_options.history_events = options_.watch_history_events;
  hub_options.progress_notify_interval = options_.progress_notify_interval;
  hub_ = std::make_unique<WatchHub>(hub_options, rev,
                                    [this](const KeyRange& range, int64_t from, int64_t to) {
                                      return ReplayHistory(range, from, to);
                                    });

  if (options_.sync && options_.spin_during_sync) {
    std::function<bool()> worth_spinning;
    switch (options_.sync_spin) {
      case RocksStoreOptions::SyncSpin::kLoneWriter:
        worth_spinning = [this] { return writes_in_flight_.load(std::memory_order_relaxed) <= 1; };
        break;
      case RocksStoreOptions::SyncSpin::kFewRunnable: {
        cpu_set_t set;
        CPU_ZERO(&set);
        const int cpus =
            sched_getaffinity(0, sizeof(set), &set) == 0 ? std::max(1, CPU_COUNT(&set)) : 1;
        worth_spinning = [this, cpus] {
          return writes_in_flight_.load(std::memory_order_relaxed) -
                     writers_blocked_.load(std::memory_order_relaxed) <
                 cpus;
        };
        break;
      }
      case RocksStoreOptions::SyncSpin::kAlways:
        worth_spinning = [] { return true; };
        break;
    }
    spinner_ = std::make_unique<fmt::SyncSpinner>(std::move(worth_spinning), kMaxSyncSpinPauses,
                                                  kSyncSpinLingerPauses, options_.spin_idle_class);
  }

  // Leases that expired while the store was closed expire now, before anyone can read.
  std::vector<int64_t> due;
  {
    MutexLock lock(&lease_mu_);
    absl::Time now = clock_->Now();
    for (const auto& [id, l] : leases_) {
      if (l.expiry <= now) due.push_back(id);
    }
  }
  if (!due.empty()) {
    Request r;
    r.kind = Request::Kind::kExpire;
    r.ids = std::move(due);
    Submit(&r);
    RUDDER_RETURN_IF_ERROR(r.status);
  }
  ticker_ = std::thread([this] { TickerLoop(); });
  return absl::OkStatus();
}

absl::StatusOr<bool> RocksStore::IsEmpty() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), h));
    it->SeekToFirst();
    if (it->Valid()) return false;
    RUDDER_RETURN_IF_ERROR(FromRocks(it->status(), "reading"));
  }
  return true;
}

absl::Status RocksStore::ReadMeta(const rocksdb::ReadOptions& ro, absl::string_view key,
                                  int64_t* v) {
  std::string raw;
  rocksdb::Status s = db_->Get(ro, meta_, ToSlice(key), &raw);
  if (s.IsNotFound()) {
    if (key == fmt::kMetaCompact) {
      *v = 0;
      return absl::OkStatus();
    }
    return Corrupt(absl::StrCat("store: no \"", key, "\" record"));
  }
  if (!s.ok()) return FromRocks(s, "reading metadata");
  if (!fmt::DecodeFixed64(raw, v)) return Corrupt(absl::StrCat("\"", key, "\" record"));
  return absl::OkStatus();
}

// ---- The write pipeline ----

void RocksStore::TakePending(std::vector<Request*>* out) {
  Request* const kLeading = LeadingMarker<Request>();
  Request* top = pending_head_.exchange(kLeading, std::memory_order_acq_rel);
  if (top == kLeading || top == nullptr) return;
  const size_t first = out->size();
  for (Request* q = top; q != nullptr; q = q->below) out->push_back(q);
  std::reverse(out->begin() + first, out->end());
}

RocksStore::Request* RocksStore::ReleaseOrNext() {
  Request* expected = LeadingMarker<Request>();
  if (pending_head_.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
    return nullptr;
  }
  // Requests wait: the oldest one leads next. They stay on the stack (only a leader takes
  // them off), so walking down from the top is safe.
  Request* q = expected;
  while (q->below != nullptr) q = q->below;
  return q;
}

void RocksStore::Submit(Request* r) {
  writes_in_flight_.fetch_add(1, std::memory_order_relaxed);
  SubmitAndWait(r);
  writes_in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

void RocksStore::SubmitAndWait(Request* r) {
  Request* const kLeading = LeadingMarker<Request>();
  Request* top = pending_head_.load(std::memory_order_relaxed);
  bool lead;
  while (true) {
    lead = top == nullptr;
    // Nobody leads: take the lead without waiting on the stack; else wait on it.
    r->below = top == kLeading ? nullptr : top;
    Request* desired = lead ? kLeading : r;
    if (pending_head_.compare_exchange_weak(top, desired, std::memory_order_acq_rel,
                                            std::memory_order_relaxed)) {
      break;
    }
  }
  if (!lead) {
    const Request::State state = Blocked([r] { return r->Await(); });
    if (state == Request::State::kDone) return;
  }
  r->Reset();
  // This request leads: commit a batch of everything waiting (with this request itself if it
  // took the lead without waiting), then start a log sync covering it. The lead is kept until
  // that sync starts, so requests arriving meanwhile wait on the stack and the next leader
  // takes them all as one batch. If every sync slot is taken, wait for one and meanwhile keep
  // gathering: what arrived is committed as a further batch that the same sync covers.
  std::vector<std::unique_ptr<Commit>> commits;
  int64_t durable_target = 0;
  int64_t sync_upto = 0;  // The sync this leader runs covers batches up to here (0: none).
  bool ok = true;
  bool self_pending = lead;
  while (true) {
    std::vector<Request*> batch;
    if (self_pending) batch.push_back(r);
    self_pending = false;
    if (commits.size() < kMaxLeaderBatches) TakePending(&batch);
    if (!batch.empty()) {
      auto commit = std::make_unique<Commit>(ProcessBatch(batch));
      commit->batch = std::move(batch);
      ok = ok && commit->status.ok();
      durable_target = std::max(durable_target, commit->durable_target);
      commits.push_back(std::move(commit));
    }
    if (!ok || !options_.sync || durable_target == 0) break;
    MutexLock lock(&sync_mu_);
    if (!sync_error_.ok() || sync_started_seq_ >= durable_target) break;  // WaitDurable below.
    if (syncs_running_ < kMaxSyncsRunning) {
      ++syncs_running_;
      sync_upto = written_seq_;
      sync_started_seq_ = sync_upto;
      break;
    }
    Blocked([this] { sync_cv_.Wait(&sync_mu_); });
  }
  // Queued for publication before the lead passes on, so batches are queued in order.
  {
    MutexLock lock(&publish_mu_);
    for (std::unique_ptr<Commit>& c : commits) publish_queue_.push_back(std::move(c));
  }
  // The next leader builds its batch while this one's log is being synced.
  Request* next = ReleaseOrNext();
  if (next != nullptr) next->Wake(Request::State::kLead);
  if (sync_upto > 0) {
    RunSync(sync_upto);
  } else if (options_.sync && durable_target > 0) {
    Blocked([&] { WaitDurable(durable_target); });
  }
  PublishReady();
  Blocked([r] { return r->Await(); });
}

void RocksStore::RunSync(int64_t upto) {
  absl::Status st = Blocked([this] {
    if (spinner_ != nullptr) spinner_->Begin();
    absl::Status synced = fs_->SyncLogs();
    if (spinner_ != nullptr) spinner_->End();
    return synced;
  });
  MutexLock lock(&sync_mu_);
  SyncEnded(upto, st);
}

void RocksStore::SyncEnded(int64_t upto, const absl::Status& st) {
  --syncs_running_;
  if (st.ok()) {
    // Everything written before this sync started is durable, whatever earlier syncs do.
    synced_seq_ = std::max(synced_seq_, upto);
    durable_seq_.store(synced_seq_, std::memory_order_release);
  } else if (sync_error_.ok()) {
    sync_error_ = st;
    sync_failed_.store(true, std::memory_order_release);
  }
  sync_cv_.SignalAll();
}

void RocksStore::WaitDurable(int64_t target) {
  MutexLock lock(&sync_mu_);
  while (synced_seq_ < target) {
    if (!sync_error_.ok()) return;
    if (sync_started_seq_ >= target || syncs_running_ >= kMaxSyncsRunning) {
      // A running sync covers this batch, or enough syncs run already.
      sync_cv_.Wait(&sync_mu_);
      continue;
    }
    // Sync everything written so far: one fsync for every batch waiting. It may overlap
    // syncs that started earlier (and cover less): batches need not wait for those to end
    // before their own sync starts, and the device sees a steady stream of flushes.
    ++syncs_running_;
    const int64_t upto = written_seq_;
    sync_started_seq_ = std::max(sync_started_seq_, upto);
    sync_mu_.Unlock();
    if (spinner_ != nullptr) spinner_->Begin();
    absl::Status st = fs_->SyncLogs();
    if (spinner_ != nullptr) spinner_->End();
    sync_mu_.Lock();
    SyncEnded(upto, st);
  }
}

std::optional<absl::Status> RocksStore::Durability(const Commit& c) {
  if (!c.status.ok() || !options_.sync || c.durable_target == 0 ||
      durable_seq_.load(std::memory_order_acquire) >= c.durable_target) {
    return absl::OkStatus();
  }
  if (sync_failed_.load(std::memory_order_acquire)) {
    MutexLock lock(&sync_mu_);
    return sync_error_;
  }
  return std::nullopt;
}

void RocksStore::PublishReady() {
  publish_mu_.Lock();
  if (publishing_) {
    // The thread publishing now checks again before it stops.
    publish_mu_.Unlock();
    return;
  }
  publishing_ = true;
  while (!publish_queue_.empty()) {
    std::optional<absl::Status> durable = Durability(*publish_queue_.front());
    if (!durable) break;
    std::unique_ptr<Commit> c = std::move(publish_queue_.front());
    publish_queue_.pop_front();
    c->durable = *std::move(durable);
    publish_mu_.Unlock();
    Publish(c.get());
    for (Request* r : c->batch) r->Wake(Request::State::kDone);
    publish_mu_.Lock();
  }
  publishing_ = false;
  publish_mu_.Unlock();
}

void RocksStore::Publish(Commit* c) {
  if (!c->durable.ok()) {
    for (Request* r : c->batch) {
      if (r->status.ok()) r->status = c->durable;
    }
    MutexLock lock(&leader_mu_);
    failed_ = c->durable;
    return;
  }
  if (!c->status.ok()) return;
  if (c->changed) {
    auto view = std::make_shared<ReadView>();
    view->snapshot = std::move(c->snapshot);
    view->rev = c->rev;
    view->compact = c->compact;
    {
      MutexLock lock(&view_mu_);
      view_ = std::move(view);
    }
    committed_rev_.store(c->rev);
    compact_rev_.store(c->compact);
  }
  // One hub revision per store revision, in order (events are in revision order).
  std::vector<WatchEvent> events;
  for (size_t i = 0; i < c->events.size(); ++i) {
    events.push_back(std::move(c->events[i]));
    if (i + 1 == c->events.size() ||
        c->events[i + 1].kv.mod_revision != events.back().kv.mod_revision) {
      int64_t rev = events.back().kv.mod_revision;
      hub_->Publish(rev, std::move(events)).IgnoreError();  // Published in order.
      events.clear();
    }
  }
}

void RocksStore::PublishView(int64_t rev, int64_t compact) {
  rocksdb::DB* db = db_.get();
  auto view = std::make_shared<ReadView>();
  view->snapshot = std::shared_ptr<const rocksdb::Snapshot>(
      db->GetSnapshot(), [db](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
  view->rev = rev;
  view->compact = compact;
  MutexLock lock(&view_mu_);
  view_ = std::move(view);
}

std::shared_ptr<const RocksStore::ReadView> RocksStore::View() {
  MutexLock lock(&view_mu_);
  return view_;
}

RocksStore::Commit RocksStore::ProcessBatch(const std::vector<Request*>& batch) {
  MutexLock lock(&leader_mu_);
  Commit c;
  c.seq = ++last_seq_;
  // Even a batch that writes nothing read the writes of earlier batches: it must not be
  // acknowledged before they are durable.
  c.durable_target = last_write_seq_;
  if (!failed_.ok()) {
    for (Request* r : batch) r->status = failed_;
    c.status = failed_;
    return c;
  }
  Batch b;
  b.rev = rev_;
  b.compact = compact_;
  for (Request* r : batch) {
    r->status = Apply(r, &b);
    if (!b.fatal.ok()) break;
  }
  if (b.fatal.ok() && b.rev != rev_) {
    b.wb.Put(meta_, ToSlice(fmt::kMetaRevision), fmt::EncodeFixed64(b.rev));
  }
  if (b.fatal.ok() && b.wb.Count() > 0) {
    // Not synced here: the fsync happens outside the leader's lock (WaitDurable), so the next
    // batch is built while this one's log is being synced, and several batches share an fsync.
    rocksdb::WriteOptions wo;
    wo.sync = false;
    b.fatal = FromRocks(db_->Write(wo, &b.wb), "commit");
    if (b.fatal.ok()) {
      last_write_seq_ = c.seq;
      c.durable_target = c.seq;
      MutexLock sync_lock(&sync_mu_);
      written_seq_ = c.seq;
    }
  }
  if (!b.fatal.ok()) {
    // The in-memory lease state may be ahead of the disk now: refuse further writes.
    failed_ = b.fatal;
    for (Request* r : batch) {
      if (r->status.ok()) r->status = b.fatal;
    }
    c.status = b.fatal;
    return c;
  }
  for (auto& [key, kv] : b.overlay) CacheSet(key, std::move(kv));
  c.changed = b.rev != rev_ || b.compact != compact_;
  c.compact_changed = b.compact != compact_;
  rev_ = b.rev;
  compact_ = b.compact;
  c.rev = rev_;
  c.compact = compact_;
  if (c.changed) {
    rocksdb::DB* db = db_.get();
    c.snapshot = std::shared_ptr<const rocksdb::Snapshot>(
        db->GetSnapshot(), [db](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
  }
  c.events = std::move(b.events);
  return c;
}

absl::Status RocksStore::Apply(Request* r, Batch* b) {
  switch (r->kind) {
    case Request::Kind::kTxn:
      return ApplyTxn(*r->txn, b, &r->txn_result);
    case Request::Kind::kGrant:
      return ApplyGrant(r, b);
    case Request::Kind::kRevoke:
      return ApplyRevoke(r->id, false, b);
    case Request::Kind::kKeepAlive:
      return ApplyKeepAlive(r, b);
    case Request::Kind::kExpire:
      for (int64_t id : r->ids) {
        absl::Status s = ApplyRevoke(id, true, b);
        if (!s.ok() && !absl::IsNotFound(s)) return s;
      }
      return absl::OkStatus();
    case Request::Kind::kCompact:
      return ApplyCompact(r->number, b);
  }
  return absl::InternalError("unknown request");
}

absl::StatusOr<std::optional<KeyValue>> RocksStore::Lookup(Batch* b, const std::string& key) {
  auto o = b->overlay.find(key);
  if (o != b->overlay.end()) return o->second;
  auto c = cache_.find(key);
  if (c != cache_.end()) return std::optional<KeyValue>(c->second);
  std::string raw;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), current_, ToSlice(key), &raw);
  if (s.IsNotFound()) return std::optional<KeyValue>();
  if (!s.ok()) return b->fatal = FromRocks(s, "reading a key");
  StoredKv kv;
  if (!fmt::DecodeStoredKv(raw, false, &kv)) return b->fatal = Corrupt("key record");
  kv.kv.key = key;
  CacheSet(key, kv.kv);
  return std::optional<KeyValue>(std::move(kv.kv));
}

void RocksStore::CacheSet(const std::string& key, std::optional<KeyValue> kv) {
  // An estimate of an entry's heap and table footprint.
  auto size_of = [](const std::string& k, const KeyValue& v) {
    return 2 * k.size() + v.value.size() + sizeof(KeyValue) + 32;
  };
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    cache_bytes_ -= size_of(it->first, it->second);
    if (!kv) {
      cache_.erase(it);
      return;
    }
  } else if (!kv) {
    return;
  }
  const size_t add = size_of(key, *kv);
  if (add > options_.current_cache_bytes) {
    if (it != cache_.end()) cache_.erase(it);
    return;
  }
  if (cache_bytes_ + add > options_.current_cache_bytes) {
    cache_.clear();
    cache_bytes_ = 0;
    it = cache_.end();
  }
  cache_bytes_ += add;
  if (it != cache_.end()) {
    it->second = *std::move(kv);
  } else {
    cache_.emplace(key, *std::move(kv));
  }
}

absl::Status RocksStore::ScanCurrent(Batch* b, const KeyRange& range,
                                     const std::function<void(KeyValue)>& fn) {
  Bounds bounds = MakeBounds(range);
  if (bounds.empty) return absl::OkStatus();
  if (bounds.single) {
    RUDDER_ASSIGN_OR_RETURN(std::optional<KeyValue> kv, Lookup(b, bounds.start));
    if (kv) fn(std::move(*kv));
    return absl::OkStatus();
  }
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper;
  if (bounds.end) {
    upper = ToSlice(*bounds.end);
    ro.iterate_upper_bound = &upper;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, current_));
  it->Seek(ToSlice(bounds.start));
  auto o = b->overlay.lower_bound(bounds.start);
  auto o_valid = [&] { return o != b->overlay.end() && (!bounds.end || o->first < *bounds.end); };
  while (true) {
    bool d = it->Valid();
    bool v = o_valid();
    if (!d && !v) break;
    int c = !d ? 1 : (!v ? -1 : ToView(it->key()).compare(o->first));
    if (c < 0) {
      StoredKv kv;
      if (!fmt::DecodeStoredKv(ToView(it->value()), false, &kv)) {
        return b->fatal = Corrupt("key record");
      }
      kv.kv.key = it->key().ToString();
      fn(std::move(kv.kv));
      it->Next();
      continue;
    }
    if (o->second) fn(*o->second);
    ++o;
    if (c == 0) it->Next();
  }
  if (!it->status().ok()) return b->fatal = FromRocks(it->status(), "scanning keys");
  return absl::OkStatus();
}

absl::StatusOr<bool> RocksStore::EvalCompare(Batch* b, const Compare& c) {
  bool any = false;
  bool all = true;
  RUDDER_RETURN_IF_ERROR(ScanCurrent(b, c.range, [&](KeyValue kv) {
    any = true;
    if (all && !CompareKv(c, kv)) all = false;
  }));
  if (!any) return c.target != Compare::Target::kValue && CompareKv(c, KeyValue());
  return all;
}

void RocksStore::MoveLeaseKey(const std::string& key, int64_t from, int64_t to) {
  if (from == to) return;
  MutexLock lock(&lease_mu_);
  if (from != 0) {
    auto l = leases_.find(from);
    if (l != leases_.end()) l->second.keys.erase(key);
  }
  if (to != 0) {
    auto l = leases_.find(to);
    if (l != leases_.end()) l->second.keys.insert(key);
  }
}

void RocksStore::WritePut(Batch* b, int64_t rev, uint32_t sub, KeyValue kv,
                          std::optional<KeyValue> prev) {
  StoredKv s{false, std::move(kv)};
  b->wb.Put(history_, fmt::HistoryKey(rev, sub), fmt::EncodeStoredKv(s, true));
  std::string enc = fmt::EncodeStoredKv(s, false);
  b->wb.Put(index_, fmt::IndexKey(s.kv.key, rev), enc);
  b->wb.Put(current_, ToSlice(s.kv.key), enc);
  MoveLeaseKey(s.kv.key, prev ? prev->lease : 0, s.kv.lease);
  b->overlay.insert_or_assign(s.kv.key, s.kv);
  WatchEvent e;
  e.type = WatchEvent::Type::kPut;
  e.kv = std::move(s.kv);
  e.prev_kv = std::move(prev);
  b->events.push_back(std::move(e));
}

void RocksStore::WriteDelete(Batch* b, int64_t rev, uint32_t sub, const KeyValue& prev) {
  StoredKv s;
  s.tombstone = true;
  s.kv.key = prev.key;
  s.kv.mod_revision = rev;
  b->wb.Put(history_, fmt::HistoryKey(rev, sub), fmt::EncodeStoredKv(s, true));
  b->wb.Put(index_, fmt::IndexKey(prev.key, rev), fmt::EncodeStoredKv(s, false));
  b->wb.Delete(current_, ToSlice(prev.key));
  b->overlay[prev.key] = std::nullopt;
  MoveLeaseKey(prev.key, prev.lease, 0);
  WatchEvent e;
  e.type = WatchEvent::Type::kDelete;
  e.kv = s.kv;
  e.prev_kv = prev;
  b->events.push_back(std::move(e));
}

namespace {
absl::Status ValidateOps(const std::vector<TxnOp>& ops, absl::string_view field) {
  // Error messages (and their field paths) are only built for invalid input.
  for (size_t i = 0; i < ops.size(); ++i) {
    auto f = [&] { return absl::StrCat(field, "[", i, "]"); };
    if (ops[i].range.key.empty()) return ValidateRange(ops[i].range, absl::StrCat(f(), ".range"));
    if (ops[i].type == TxnOp::Type::kRange) {
      if (ops[i].options.limit < 0 || ops[i].options.revision < 0) {
        return ValidateRangeOptions(ops[i].options, absl::StrCat(f(), ".options"));
      }
      if (ops[i].options.revision != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(f(), ".options.revision: must be 0 inside a transaction"));
      }
    }
    if (ops[i].type == TxnOp::Type::kPut && ops[i].lease < 0) {
      return absl::InvalidArgumentError(absl::StrCat(f(), ".lease: must not be negative"));
    }
  }
  if (ops.size() < 2) return absl::OkStatus();
  // As in etcd, one transaction may not write a key twice (put twice, or put and delete).
  absl::flat_hash_set<absl::string_view> put_keys;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].type == TxnOp::Type::kPut && !put_keys.insert(ops[i].range.key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: duplicate key given in txn request: ", ops[i].range.key));
    }
  }
  for (size_t j = 0; j < ops.size() && !put_keys.empty(); ++j) {
    if (ops[j].type != TxnOp::Type::kDelete) continue;
    for (absl::string_view k : put_keys) {
      if (ops[j].range.Contains(k)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, "[", j, "]: deletes a key the transaction also puts: ", k));
      }
    }
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status RocksStore::ApplyTxn(const TxnRequest& t, Batch* b, TxnResult* out) {
  for (size_t i = 0; i < t.compares.size(); ++i) {
    if (t.compares[i].range.key.empty()) {
      return ValidateRange(t.compares[i].range, absl::StrCat("compares[", i, "].range"));
    }
  }
  RUDDER_RETURN_IF_ERROR(ValidateOps(t.success, "success"));
  RUDDER_RETURN_IF_ERROR(ValidateOps(t.failure, "failure"));

  bool ok = true;
  for (const Compare& c : t.compares) {
    RUDDER_ASSIGN_OR_RETURN(bool holds, EvalCompare(b, c));
    if (!holds) {
      ok = false;
      break;
    }
  }
  const std::vector<TxnOp>& ops = ok ? t.success : t.failure;
  {
    MutexLock lock(&lease_mu_);
    for (const TxnOp& op : ops) {
      if (op.type == TxnOp::Type::kPut && op.lease != 0 && !leases_.contains(op.lease)) {
        return absl::NotFoundError(absl::StrCat("lease ", op.lease, " not found"));
      }
    }
  }
  const int64_t rev = b->rev + 1;
  uint32_t sub = 0;
  out->succeeded = ok;
  out->results.clear();
  out->results.reserve(ops.size());
  for (const TxnOp& op : ops) {
    TxnOpResult res;
    res.type = op.type;
    switch (op.type) {
      case TxnOp::Type::kRange: {
        Collector c(op.options, &res.range);
        RUDDER_RETURN_IF_ERROR(ScanCurrent(b, op.range, [&](KeyValue kv) {
          if (c.WantsKv()) {
            c.Add(std::move(kv));
          } else {
            c.Count();
          }
        }));
        break;
      }
      case TxnOp::Type::kPut: {
        RUDDER_ASSIGN_OR_RETURN(std::optional<KeyValue> prev, Lookup(b, op.range.key));
        KeyValue kv;
        kv.key = op.range.key;
        kv.value = op.value;
        kv.create_revision = prev ? prev->create_revision : rev;
        kv.mod_revision = rev;
        kv.version = prev ? prev->version + 1 : 1;
        kv.lease = op.lease;
        if (op.prev_kv && prev) res.prev_kvs.push_back(*prev);
        WritePut(b, rev, sub++, std::move(kv), std::move(prev));
        break;
      }
      case TxnOp::Type::kDelete: {
        std::vector<KeyValue> victims;
        RUDDER_RETURN_IF_ERROR(
            ScanCurrent(b, op.range, [&](KeyValue kv) { victims.push_back(std::move(kv)); }));
        for (KeyValue& v : victims) {
          WriteDelete(b, rev, sub++, v);
          if (op.prev_kv) res.prev_kvs.push_back(std::move(v));
        }
        res.deleted = static_cast<int64_t>(victims.size());
        break;
      }
    }
    out->results.push_back(std::move(res));
  }
  if (sub > 0) b->rev = rev;
  out->revision = b->rev;
  for (TxnOpResult& res : out->results) {
    if (res.type == TxnOp::Type::kRange) res.range.revision = b->rev;
  }
  return absl::OkStatus();
}

absl::Status RocksStore::ApplyGrant(Request* r, Batch* b) {
  if (r->number <= 0) return absl::InvalidArgumentError("ttl_seconds: must be positive");
  if (r->id < 0) return absl::InvalidArgumentError("id: must not be negative");
  MutexLock lock(&lease_mu_);
  int64_t id = r->id;
  if (id == 0) {
    do {
      id = static_cast<int64_t>(rng_() >> 1);
    } while (id == 0 || leases_.contains(id));
  } else if (leases_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("lease ", id, " already exists"));
  }
  Lease& l = leases_[id];
  l.ttl = r->number;
  l.expiry = clock_->Now() + absl::Seconds(r->number);
  b->wb.Put(meta_, fmt::LeaseKey(id), fmt::EncodeLease({l.ttl, absl::ToUnixNanos(l.expiry)}));
  ticker_cv_.SignalAll();
  r->lease.id = id;
  r->lease.granted_ttl = l.ttl;
  r->lease.ttl = l.ttl;
  return absl::OkStatus();
}

absl::Status RocksStore::ApplyRevoke(int64_t id, bool only_if_expired, Batch* b) {
  std::set<std::string> keys;
  {
    MutexLock lock(&lease_mu_);
    auto l = leases_.find(id);
    if (l == leases_.end()) return absl::NotFoundError(absl::StrCat("lease ", id, " not found"));
    if (only_if_expired && l->second.expiry > clock_->Now()) return absl::OkStatus();
    keys = std::move(l->second.keys);
    leases_.erase(l);
  }
  b->wb.Delete(meta_, fmt::LeaseKey(id));
  const int64_t rev = b->rev + 1;
  uint32_t sub = 0;
  for (const std::string& key : keys) {
    RUDDER_ASSIGN_OR_RETURN(std::optional<KeyValue> kv, Lookup(b, key));
    if (kv && kv->lease == id) WriteDelete(b, rev, sub++, *kv);
  }
  if (sub > 0) b->rev = rev;
  return absl::OkStatus();
}

absl::Status RocksStore::ApplyKeepAlive(Request* r, Batch* b) {
  {
    MutexLock lock(&lease_mu_);
    auto l = leases_.find(r->id);
    if (l == leases_.end()) {
      return absl::NotFoundError(absl::StrCat("lease ", r->id, " not found"));
    }
    absl::Time now = clock_->Now();
    if (l->second.expiry > now) {
      l->second.expiry = now + absl::Seconds(l->second.ttl);
      b->wb.Put(meta_, fmt::LeaseKey(r->id),
                fmt::EncodeLease({l->second.ttl, absl::ToUnixNanos(l->second.expiry)}));
      r->lease.ttl = l->second.ttl;
      return absl::OkStatus();
    }
  }
  // Expired, but not yet collected: collect it now.
  RUDDER_RETURN_IF_ERROR(ApplyRevoke(r->id, true, b));
  return absl::NotFoundError(absl::StrCat("lease ", r->id, " expired"));
}

absl::Status RocksStore::ApplyCompact(int64_t rev, Batch* b) {
  if (rev <= b->compact) return CompactedError(b->compact);
  if (rev > b->rev) {
    return absl::OutOfRangeError(
        absl::StrCat("compact revision ", rev, " is above the current revision ", b->rev));
  }
  b->wb.Put(meta_, ToSlice(fmt::kMetaCompact), fmt::EncodeFixed64(rev));
  b->compact = rev;
  return absl::OkStatus();
}

// ---- Public writes ----

absl::StatusOr<TxnResult> RocksStore::Txn(const TxnRequest& request) {
  Request r;
  r.kind = Request::Kind::kTxn;
  r.txn = &request;
  Submit(&r);
  if (!r.status.ok()) return r.status;
  return std::move(r.txn_result);
}

absl::Status RocksStore::Compact(int64_t revision) {
  Request r;
  r.kind = Request::Kind::kCompact;
  r.number = revision;
  Submit(&r);
  RUDDER_RETURN_IF_ERROR(r.status);
  PhysicalCompact(revision);
  return absl::OkStatus();
}

void RocksStore::PhysicalCompact(int64_t rev) {
  MutexLock lock(&compact_mu_);
  // Snapshots taken before the compaction point was committed keep seeing the deleted entries.
  rocksdb::WriteOptions wo;
  db_->DeleteRange(wo, history_, fmt::HistoryKey(0, 0), fmt::HistoryKey(rev, 0))
      .PermitUncheckedError();
  // Per key, keep the index entries at or above `rev` and the newest one below it unless that
  // one is a tombstone: exactly what reads at revisions >= rev (and prev_kv) need.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  rocksdb::WriteBatch wb;
  std::string current_key;
  bool kept_below = false;
  std::string key;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    int64_t r;
    if (!fmt::DecodeIndexKey(ToView(it->key()), &key, &r)) continue;
    if (key != current_key) {
      current_key = key;
      kept_below = false;
    }
    if (r >= rev) continue;
    if (!kept_below) {
      kept_below = true;
      StoredKv kv;
      if (fmt::DecodeStoredKv(ToView(it->value()), false, &kv) && !kv.tombstone) continue;
    }
    wb.Delete(index_, it->key());
    if (wb.Count() >= kCompactionBatch) {
      db_->Write(wo, &wb).PermitUncheckedError();
      wb.Clear();
    }
  }
  if (wb.Count() > 0) db_->Write(wo, &wb).PermitUncheckedError();
}

// ---- Reads ----

absl::StatusOr<RangeResult> RocksStore::Range(const KeyRange& range, const RangeOptions& options) {
  RUDDER_RETURN_IF_ERROR(ValidateRange(range, "range"));
  RUDDER_RETURN_IF_ERROR(ValidateRangeOptions(options, "options"));
  std::shared_ptr<const ReadView> view = View();
  rocksdb::ReadOptions ro;
  ro.snapshot = view->snapshot.get();
  const int64_t rev = view->rev;
  const int64_t compact = view->compact;
  int64_t at = options.revision == 0 ? rev : options.revision;
  if (at > rev) {
    return absl::OutOfRangeError(
        absl::StrCat("revision ", at, " is in the future (current revision ", rev, ")"));
  }
  if (at < compact) return CompactedError(compact);
  RangeResult result;
  result.revision = rev;
  Collector c(options, &result);
  if (at == rev) {
    RUDDER_RETURN_IF_ERROR(RangeCurrent(ro, range, &c));
  } else {
    RUDDER_RETURN_IF_ERROR(RangeAt(ro, range, at, &c));
  }
  return result;
}

absl::Status RocksStore::RangeCurrent(const rocksdb::ReadOptions& base, const KeyRange& range,
                                      Collector* c) {
  Bounds bounds = MakeBounds(range);
  if (bounds.empty) return absl::OkStatus();
  if (bounds.single) {
    std::string raw;
    rocksdb::Status s = db_->Get(base, current_, ToSlice(bounds.start), &raw);
    if (s.IsNotFound()) return absl::OkStatus();
    if (!s.ok()) return FromRocks(s, "reading a key");
    StoredKv kv;
    if (!fmt::DecodeStoredKv(raw, false, &kv)) return Corrupt("key record");
    kv.kv.key = bounds.start;
    c->Add(std::move(kv.kv));
    return absl::OkStatus();
  }
  rocksdb::ReadOptions ro = base;
  rocksdb::Slice upper;
  if (bounds.end) {
    upper = ToSlice(*bounds.end);
    ro.iterate_upper_bound = &upper;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, current_));
  for (it->Seek(ToSlice(bounds.start)); it->Valid(); it->Next()) {
    if (!c->WantsKv()) {
      c->Count();
      continue;
    }
    StoredKv kv;
    if (!fmt::DecodeStoredKv(ToView(it->value()), false, &kv)) return Corrupt("key record");
    kv.kv.key = it->key().ToString();
    c->Add(std::move(kv.kv));
  }
  return FromRocks(it->status(), "scanning keys");
}

absl::StatusOr<std::optional<KeyValue>> RocksStore::GetAt(const rocksdb::ReadOptions& ro,
                                                          const std::string& key, int64_t rev) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, index_));
  it->Seek(fmt::IndexKey(key, rev));
  if (!it->Valid()) {
    RUDDER_RETURN_IF_ERROR(FromRocks(it->status(), "reading history"));
    return std::optional<KeyValue>();
  }
  std::string k;
  int64_t r;
  if (!fmt::DecodeIndexKey(ToView(it->key()), &k, &r)) return Corrupt("index key");
  if (k != key) return std::optional<KeyValue>();
  StoredKv kv;
  if (!fmt::DecodeStoredKv(ToView(it->value()), false, &kv)) return Corrupt("index record");
  if (kv.tombstone) return std::optional<KeyValue>();
  kv.kv.key = key;
  return std::optional<KeyValue>(std::move(kv.kv));
}

absl::Status RocksStore::RangeAt(const rocksdb::ReadOptions& ro, const KeyRange& range, int64_t rev,
                                 Collector* c) {
  Bounds bounds = MakeBounds(range);
  if (bounds.empty) return absl::OkStatus();
  if (bounds.single) {
    RUDDER_ASSIGN_OR_RETURN(std::optional<KeyValue> kv, GetAt(ro, bounds.start, rev));
    if (kv) c->Add(std::move(*kv));
    return absl::OkStatus();
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, index_));
  it->Seek(fmt::IndexKey(bounds.start, rev));
  std::string k;
  while (it->Valid()) {
    int64_t r;
    if (!fmt::DecodeIndexKey(ToView(it->key()), &k, &r)) return Corrupt("index key");
    if (bounds.end && k >= *bounds.end) break;
    if (r > rev) {
      it->Seek(fmt::IndexKey(k, rev));
      continue;
    }
    StoredKv kv;
    if (!fmt::DecodeStoredKv(ToView(it->value()), false, &kv)) return Corrupt("index record");
    if (!kv.tombstone) {
      if (c->WantsKv()) {
        kv.kv.key = k;
        c->Add(std::move(kv.kv));
      } else {
        c->Count();
      }
    }
    it->Seek(fmt::IndexKeyEnd(k));
  }
  return FromRocks(it->status(), "reading history");
}

absl::StatusOr<std::vector<WatchEvent>> RocksStore::ReadHistory(const rocksdb::Snapshot* snap,
                                                                int64_t from, int64_t to,
                                                                const KeyRange& range,
                                                                bool prev_kv) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::string upper_key = fmt::HistoryKey(to + 1, 0);
  rocksdb::Slice upper(upper_key);
  rocksdb::ReadOptions iro = ro;
  iro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(iro, history_));
  std::vector<WatchEvent> out;
  for (it->Seek(fmt::HistoryKey(from, 0)); it->Valid(); it->Next()) {
    int64_t rev;
    uint32_t sub;
    StoredKv kv;
    if (!fmt::DecodeHistoryKey(ToView(it->key()), &rev, &sub) ||
        !fmt::DecodeStoredKv(ToView(it->value()), true, &kv)) {
      return Corrupt("history record");
    }
    if (!range.Contains(kv.kv.key)) continue;
    WatchEvent e;
    e.type = kv.tombstone ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
    e.kv = std::move(kv.kv);
    e.kv.mod_revision = rev;
    if (prev_kv) {
      RUDDER_ASSIGN_OR_RETURN(e.prev_kv, GetAt(ro, e.kv.key, rev - 1));
    }
    out.push_back(std::move(e));
  }
  RUDDER_RETURN_IF_ERROR(FromRocks(it->status(), "reading history"));
  return out;
}

absl::StatusOr<std::vector<RevisionEvents>> RocksStore::ReplayHistory(const KeyRange& range,
                                                                      int64_t from, int64_t to) {
  // The view holds at least revision `to` (views are published before the hub sees a
  // revision), and its snapshot keeps the history above its compaction point even if a
  // compaction deletes it meanwhile.
  std::shared_ptr<const ReadView> view = View();
  if (from < view->compact) return CompactedError(view->compact);
  RUDDER_ASSIGN_OR_RETURN(std::vector<WatchEvent> events,
                          ReadHistory(view->snapshot.get(), from, to, range, /*prev_kv=*/true));
  std::vector<RevisionEvents> out;
  for (WatchEvent& e : events) {
    if (out.empty() || out.back().revision != e.kv.mod_revision) {
      out.emplace_back();
      out.back().revision = e.kv.mod_revision;
    }
    out.back().events.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Watcher>> RocksStore::Watch(const KeyRange& range,
                                                           const WatchOptions& options) {
  RUDDER_RETURN_IF_ERROR(ValidateRange(range, "range"));
  int64_t compact = compact_rev_.load();
  if (options.start_revision != 0 && options.start_revision < compact) {
    return CompactedError(compact);
  }
  return hub_->Watch(range, options);
}

// ---- Leases ----

absl::StatusOr<LeaseInfo> RocksStore::LeaseGrant(int64_t ttl_seconds, int64_t id) {
  Request r;
  r.kind = Request::Kind::kGrant;
  r.id = id;
  r.number = ttl_seconds;
  Submit(&r);
  if (!r.status.ok()) return r.status;
  return r.lease;
}

absl::Status RocksStore::LeaseRevoke(int64_t id) {
  Request r;
  r.kind = Request::Kind::kRevoke;
  r.id = id;
  Submit(&r);
  return r.status;
}

absl::StatusOr<int64_t> RocksStore::LeaseKeepAlive(int64_t id) {
  Request r;
  r.kind = Request::Kind::kKeepAlive;
  r.id = id;
  Submit(&r);
  if (!r.status.ok()) return r.status;
  return r.lease.ttl;
}

absl::StatusOr<LeaseInfo> RocksStore::LeaseTimeToLive(int64_t id, bool keys) {
  MutexLock lock(&lease_mu_);
  auto l = leases_.find(id);
  if (l == leases_.end()) return absl::NotFoundError(absl::StrCat("lease ", id, " not found"));
  LeaseInfo info;
  info.id = id;
  info.granted_ttl = l->second.ttl;
  absl::Duration left = l->second.expiry - clock_->Now();
  info.ttl =
      left <= absl::ZeroDuration() ? -1 : absl::ToInt64Seconds(absl::Ceil(left, absl::Seconds(1)));
  if (keys) info.keys.assign(l->second.keys.begin(), l->second.keys.end());
  return info;
}

void RocksStore::TickerLoop() {
  absl::Time next_compact = options_.auto_compaction_retention > 0
                                ? clock_->Now() + options_.auto_compaction_interval
                                : absl::InfiniteFuture();
  lease_mu_.Lock();
  while (!stopping_) {
    absl::Time now = clock_->Now();
    std::vector<int64_t> due;
    // Bounded, so no clock is ever asked to wait for an infinite time.
    absl::Time next = std::min(next_compact, now + absl::Minutes(1));
    for (const auto& [id, l] : leases_) {
      if (l.expiry <= now) {
        due.push_back(id);
      } else {
        next = std::min(next, l.expiry);
      }
    }
    if (due.empty() && now < next_compact) {
      clock_->WaitUntil(&ticker_cv_, &lease_mu_, next);
      continue;
    }
    lease_mu_.Unlock();
    bool failed = false;
    if (!due.empty()) {
      Request r;
      r.kind = Request::Kind::kExpire;
      r.ids = std::move(due);
      Submit(&r);
      failed = !r.status.ok();
    }
    if (now >= next_compact) {
      int64_t target = committed_rev_.load() - options_.auto_compaction_retention;
      if (target > compact_rev_.load()) Compact(target).IgnoreError();
      next_compact = now + options_.auto_compaction_interval;
    }
    lease_mu_.Lock();
    // A store that cannot write anymore would retry the same expiry forever: back off.
    if (failed && !stopping_) {
      ticker_cv_.WaitWithTimeout(&lease_mu_, absl::Seconds(1));
    }
  }
  lease_mu_.Unlock();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenRocksStore(const RocksStoreOptions& options) {
  return RocksStore::Open(options);
}

}  // namespace rudder::store
