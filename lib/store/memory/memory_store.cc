#include "lib/store/memory/memory_store.h"

#include <pthread.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "lib/base/mutex.h"
#include "lib/store/internal/watch_hub.h"

namespace rudder::store {
namespace {

using store_internal::DeferredCallbacks;
using store_internal::RevisionEvents;
using store_internal::WatchHub;

// A writer-preferring reader-writer lock with the thread-safety annotations. pthread's (which
// ThreadSanitizer intercepts) rather than std::shared_mutex, whose glibc default prefers
// readers and can starve writers.
class ABSL_LOCKABLE SharedMutex {
 public:
  SharedMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&mu_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~SharedMutex() { pthread_rwlock_destroy(&mu_); }
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { pthread_rwlock_wrlock(&mu_); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { pthread_rwlock_rdlock(&mu_); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&mu_); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&mu_); }
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}
  void AssertReaderHeld() const ABSL_ASSERT_SHARED_LOCK() {}

 private:
  pthread_rwlock_t mu_;
};

class ABSL_SCOPED_LOCKABLE WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  SharedMutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }

 private:
  SharedMutex* const mu_;
};

// The longest lease TTL, as etcd's (about 285 years).
constexpr int64_t kMaxLeaseTtlSeconds = 9'000'000'000;

// One version of a key: a put, or the tombstone of a delete.
struct Version {
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
  int32_t sub = 0;  // Position of the write within its revision.
  bool deleted = false;
};

// A key's versions, oldest first.
using History = std::vector<Version>;

KeyValue ToKeyValue(const std::string& key, const Version& v, bool keys_only = false) {
  KeyValue kv;
  kv.key = key;
  if (!keys_only) kv.value = v.value;
  kv.create_revision = v.create_revision;
  kv.mod_revision = v.mod_revision;
  kv.version = v.version;
  kv.lease = v.lease;
  return kv;
}

// The live version of `h` at `revision` (0: the latest), or null.
const Version* At(const History& h, int64_t revision) {
  if (h.empty()) return nullptr;
  const Version* v = &h.back();
  if (revision > 0 && v->mod_revision > revision) {
    auto it = std::upper_bound(h.begin(), h.end(), revision,
                               [](int64_t rev, const Version& x) { return rev < x.mod_revision; });
    if (it == h.begin()) return nullptr;
    v = &*(it - 1);
  }
  return v->deleted ? nullptr : v;
}

bool IsOpenEnd(const std::string& end) { return end.size() == 1 && end[0] == '\0'; }

absl::Status CheckRange(const KeyRange& range, absl::string_view what) {
  if (range.key.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ".key: required"));
  return absl::OkStatus();
}

bool CompareHolds(const Compare& c, const Version* v, const std::string& /*key*/) {
  if (c.target == Compare::Target::kValue) {
    if (v == nullptr) return false;
    int cmp = v->value.compare(c.value);
    switch (c.op) {
      case Compare::Op::kEqual:
        return cmp == 0;
      case Compare::Op::kNotEqual:
        return cmp != 0;
      case Compare::Op::kLess:
        return cmp < 0;
      case Compare::Op::kGreater:
        return cmp > 0;
    }
    return false;
  }
  int64_t x = 0;
  if (v != nullptr) {
    switch (c.target) {
      case Compare::Target::kVersion:
        x = v->version;
        break;
      case Compare::Target::kCreateRevision:
        x = v->create_revision;
        break;
      case Compare::Target::kModRevision:
        x = v->mod_revision;
        break;
      case Compare::Target::kLease:
        x = v->lease;
        break;
      case Compare::Target::kValue:
        break;
    }
  }
  switch (c.op) {
    case Compare::Op::kEqual:
      return x == c.number;
    case Compare::Op::kNotEqual:
      return x != c.number;
    case Compare::Op::kLess:
      return x < c.number;
    case Compare::Op::kGreater:
      return x > c.number;
  }
  return false;
}

// The writes of one revision: the keys written, in order, and their watch events when a watcher
// wants them (built lazily otherwise).
struct Writes {
  int64_t rev = 0;
  std::vector<const std::string*> keys;  // Point into the key map (stable).
  std::vector<WatchEvent>* events = nullptr;
  int32_t next_sub() const { return static_cast<int32_t>(keys.size()); }
};

struct Lease {
  int64_t ttl = 0;
  absl::Time deadline;
  std::set<std::string> keys;
};

class MemoryStore : public Store {
 public:
  explicit MemoryStore(const MemoryStoreOptions& options)
      : options_(options), clock_(options.clock != nullptr ? options.clock : Clock::Real()) {
    WatchHub::Options hub;
    hub.clock = clock_;
    hub.history_events = options.watch_history_events;
    hub.progress_notify_interval = options.progress_notify_interval;
    hub_ =
        std::make_unique<WatchHub>(hub, 1, [this](const KeyRange& range, int64_t from, int64_t to) {
          return Replay(range, from, to);
        });
    expirer_ = std::thread([this] { ExpireLoop(); });
  }

  ~MemoryStore() override {
    {
      WriterLock lock(&mu_);
      stop_ = true;
    }
    {
      MutexLock lock(&wake_mu_);
      wake_ = true;
      wake_cv_.SignalAll();
    }
    expirer_.join();
    hub_.reset();
  }

  absl::StatusOr<RangeResult> Range(const KeyRange& range, const RangeOptions& options) override {
    if (absl::Status s = CheckRange(range, "range"); !s.ok()) return s;
    if (options.limit < 0) return absl::InvalidArgumentError("range.limit: must be >= 0");
    if (options.revision < 0) return absl::InvalidArgumentError("range.revision: must be >= 0");
    ReaderLock lock(&mu_);
    if (options.revision > 0) {
      if (options.revision < compact_revision_) return CompactedError(compact_revision_);
      if (options.revision > revision_) {
        return absl::OutOfRangeError(absl::StrCat("range.revision: ", options.revision,
                                                  " is a future revision (current ", revision_,
                                                  ")"));
      }
    }
    RangeResult result;
    RangeLocked(range, options, &result);
    return result;
  }

  absl::StatusOr<TxnResult> Txn(const TxnRequest& request) override {
    for (size_t i = 0; i < request.compares.size(); ++i) {
      if (absl::Status s = CheckRange(request.compares[i].range, absl::StrCat("compares[", i, "]"));
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = CheckOps(request.success, "success"); !s.ok()) return s;
    if (absl::Status s = CheckOps(request.failure, "failure"); !s.ok()) return s;

    DeferredCallbacks deferred;  // Runs after the lock is released.
    WriterLock lock(&mu_);
    bool ok = true;
    for (const Compare& c : request.compares) {
      if (!CompareLocked(c)) {
        ok = false;
        break;
      }
    }
    const std::vector<TxnOp>& ops = ok ? request.success : request.failure;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].type == TxnOp::Type::kPut && ops[i].lease != 0 &&
          !leases_.contains(ops[i].lease)) {
        return absl::NotFoundError(absl::StrCat(ok ? "success" : "failure", "[", i,
                                                "].lease: lease ", ops[i].lease, " not found"));
      }
      if (ops[i].type == TxnOp::Type::kRange && ops[i].options.revision > 0 &&
          (ops[i].options.revision < compact_revision_ || ops[i].options.revision > revision_)) {
        return ops[i].options.revision < compact_revision_
                   ? CompactedError(compact_revision_)
                   : absl::OutOfRangeError("range.revision: future revision");
      }
    }

    TxnResult result;
    result.succeeded = ok;
    const int64_t rev = revision_ + 1;
    std::vector<WatchEvent> events;
    Writes writes;
    writes.rev = rev;
    if (hub_->watched()) writes.events = &events;
    for (const TxnOp& op : ops) {
      TxnOpResult r;
      r.type = op.type;
      switch (op.type) {
        case TxnOp::Type::kRange:
          RangeLocked(op.range, op.options, &r.range);
          r.range.revision = writes.keys.empty() ? revision_ : rev;
          break;
        case TxnOp::Type::kPut:
          PutLocked(op, &writes, &r);
          break;
        case TxnOp::Type::kDelete:
          DeleteLocked(op.range, op.prev_kv, &writes, &r);
          break;
      }
      result.results.push_back(std::move(r));
    }
    if (!writes.keys.empty()) CommitLocked(writes, &deferred);
    result.revision = revision_;
    for (TxnOpResult& r : result.results) {
      if (r.type == TxnOp::Type::kRange) r.range.revision = revision_;
    }
    return result;
  }

  absl::StatusOr<std::unique_ptr<Watcher>> Watch(const KeyRange& range,
                                                 const WatchOptions& options) override {
    if (absl::Status s = CheckRange(range, "watch"); !s.ok()) return s;
    {
      ReaderLock lock(&mu_);
      if (options.start_revision > 0 && options.start_revision < compact_revision_) {
        return CompactedError(compact_revision_);
      }
      if (options.start_revision > revision_ + 1) {
        return absl::OutOfRangeError(absl::StrCat("watch.start_revision: ", options.start_revision,
                                                  " is beyond the next revision ", revision_ + 1));
      }
    }
    return hub_->Watch(range, options);
  }

  absl::Status Compact(int64_t revision) override {
    WriterLock lock(&mu_);
    return CompactLocked(revision);
  }

  absl::StatusOr<LeaseInfo> LeaseGrant(int64_t ttl_seconds, int64_t id) override {
    if (ttl_seconds <= 0 || ttl_seconds > kMaxLeaseTtlSeconds) {
      return absl::InvalidArgumentError(
          absl::StrCat("lease.ttl: must be in [1, ", kMaxLeaseTtlSeconds, "] seconds"));
    }
    if (id < 0) return absl::InvalidArgumentError("lease.id: must be >= 0");
    WriterLock lock(&mu_);
    if (id == 0) {
      do {
        id = next_lease_id_++;
      } while (leases_.contains(id));
    } else if (leases_.contains(id)) {
      return absl::AlreadyExistsError(absl::StrCat("lease ", id, " already exists"));
    }
    Lease& lease = leases_[id];
    lease.ttl = ttl_seconds;
    lease.deadline = clock_->Now() + absl::Seconds(ttl_seconds);
    expiry_.emplace(lease.deadline, id);
    WakeExpirer();
    LeaseInfo info;
    info.id = id;
    info.granted_ttl = ttl_seconds;
    info.ttl = ttl_seconds;
    return info;
  }

  absl::Status LeaseRevoke(int64_t id) override {
    DeferredCallbacks deferred;  // Runs after the lock is released.
    WriterLock lock(&mu_);
    if (!leases_.contains(id)) return LeaseNotFound(id);
    RevokeLocked(id, &deferred);
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> LeaseKeepAlive(int64_t id) override {
    WriterLock lock(&mu_);
    auto it = leases_.find(id);
    if (it == leases_.end()) return LeaseNotFound(id);
    absl::Time now = clock_->Now();
    if (now >= it->second.deadline) return LeaseNotFound(id);  // Expired; the expirer is due.
    expiry_.erase({it->second.deadline, id});
    it->second.deadline = now + absl::Seconds(it->second.ttl);
    expiry_.emplace(it->second.deadline, id);
    return it->second.ttl;
  }

  absl::StatusOr<LeaseInfo> LeaseTimeToLive(int64_t id, bool keys) override {
    ReaderLock lock(&mu_);
    auto it = leases_.find(id);
    if (it == leases_.end()) return LeaseNotFound(id);
    absl::Duration left = it->second.deadline - clock_->Now();
    if (left <= absl::ZeroDuration()) return LeaseNotFound(id);
    LeaseInfo info;
    info.id = id;
    info.granted_ttl = it->second.ttl;
    info.ttl = static_cast<int64_t>(absl::ToDoubleSeconds(absl::Ceil(left, absl::Seconds(1))));
    if (keys) info.keys.assign(it->second.keys.begin(), it->second.keys.end());
    return info;
  }

  absl::StatusOr<int64_t> CurrentRevision() override {
    ReaderLock lock(&mu_);
    return revision_;
  }

  absl::StatusOr<int64_t> CompactRevision() override {
    ReaderLock lock(&mu_);
    return compact_revision_;
  }

 private:
  static absl::Status LeaseNotFound(int64_t id) {
    return absl::NotFoundError(absl::StrCat("lease ", id, " not found"));
  }

  // Validates one branch: keys present, and (as etcd) no key written twice.
  static absl::Status CheckOps(const std::vector<TxnOp>& ops, absl::string_view branch) {
    absl::flat_hash_set<absl::string_view> puts;
    std::vector<const KeyRange*> deletes;
    for (size_t i = 0; i < ops.size(); ++i) {
      std::string path = absl::StrCat(branch, "[", i, "]");
      if (absl::Status s = CheckRange(ops[i].range, path); !s.ok()) return s;
      if (ops[i].type == TxnOp::Type::kRange) {
        if (ops[i].options.limit < 0) {
          return absl::InvalidArgumentError(absl::StrCat(path, ".limit: must be >= 0"));
        }
      } else if (ops[i].type == TxnOp::Type::kPut) {
        if (!puts.insert(ops[i].range.key).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ".key: duplicate key given in txn request"));
        }
      } else {
        deletes.push_back(&ops[i].range);
      }
    }
    for (const KeyRange* d : deletes) {
      for (absl::string_view k : puts) {
        if (d->Contains(k)) {
          return absl::InvalidArgumentError(
              absl::StrCat(branch, ": key ", k, " is both put and deleted in one txn request"));
        }
      }
    }
    return absl::OkStatus();
  }

  // Iterates the keys of `range` in order, calling fn(key, history).
  template <typename Fn>
  void ForEach(const KeyRange& range, Fn fn) ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (range.range_end.empty()) {
      auto it = keys_.find(range.key);
      if (it != keys_.end()) fn(it->first, it->second);
      return;
    }
    const bool open = IsOpenEnd(range.range_end);
    if (!open && range.range_end <= range.key) return;  // An empty interval.
    auto end = open ? keys_.end() : keys_.lower_bound(range.range_end);
    for (auto it = keys_.lower_bound(range.key); it != end; ++it) {
      if (!fn(it->first, it->second)) return;
    }
  }

  void RangeLocked(const KeyRange& range, const RangeOptions& options, RangeResult* result)
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    result->revision = revision_;
    ForEach(range, [&](const std::string& key, const History& h) {
      const Version* v = At(h, options.revision);
      if (v == nullptr) return true;
      ++result->count;
      if (options.count_only) return true;
      if (options.limit > 0 && static_cast<int64_t>(result->kvs.size()) >= options.limit) {
        result->more = true;
        return true;
      }
      result->kvs.push_back(ToKeyValue(key, *v, options.keys_only));
      return true;
    });
  }

  bool CompareLocked(const Compare& c) ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (c.range.range_end.empty()) {
      auto it = keys_.find(c.range.key);
      return CompareHolds(c, it == keys_.end() ? nullptr : At(it->second, 0), c.range.key);
    }
    bool holds = true;
    ForEach(c.range, [&](const std::string& key, const History& h) {
      const Version* v = At(h, 0);
      if (v == nullptr) return true;
      if (!CompareHolds(c, v, key)) holds = false;
      return holds;
    });
    return holds;
  }

  void PutLocked(const TxnOp& op, Writes* writes, TxnOpResult* r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int64_t rev = writes->rev;
    auto [slot, inserted] = keys_.try_emplace(op.range.key);
    History& h = slot->second;
    const Version* prev = At(h, 0);
    Version v;
    v.value = op.value;
    v.mod_revision = rev;
    v.sub = writes->next_sub();
    v.lease = op.lease;
    if (prev != nullptr) {
      v.create_revision = prev->create_revision;
      v.version = prev->version + 1;
      if (prev->lease != 0 && prev->lease != op.lease) DetachLocked(prev->lease, op.range.key);
    } else {
      v.create_revision = rev;
      v.version = 1;
    }
    if (op.lease != 0) leases_[op.lease].keys.insert(op.range.key);
    if (prev != nullptr && op.prev_kv) r->prev_kvs.push_back(ToKeyValue(op.range.key, *prev));
    h.push_back(std::move(v));
    writes->keys.push_back(&slot->first);
    if (writes->events != nullptr) writes->events->push_back(EventOf(slot->first, h));
  }

  // The event of the last version of `h` (written by the revision being committed).
  static WatchEvent EventOf(const std::string& key, const History& h) {
    WatchEvent e;
    const Version& v = h.back();
    if (v.deleted) {
      e.type = WatchEvent::Type::kDelete;
      e.kv.key = key;
      e.kv.mod_revision = v.mod_revision;
    } else {
      e.kv = ToKeyValue(key, v);
    }
    if (h.size() > 1 && !h[h.size() - 2].deleted) e.prev_kv = ToKeyValue(key, h[h.size() - 2]);
    return e;
  }

  void DeleteLocked(const KeyRange& range, bool prev_kv, Writes* writes, TxnOpResult* r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ForEach(range, [&](const std::string& key, History& h) {
      mu_.AssertHeld();  // Lambdas are analysed on their own.
      const Version* prev = At(h, 0);
      if (prev == nullptr) return true;
      if (prev->lease != 0) DetachLocked(prev->lease, key);
      if (prev_kv) r->prev_kvs.push_back(ToKeyValue(key, *prev));
      Version tomb;
      tomb.mod_revision = writes->rev;
      tomb.sub = writes->next_sub();
      tomb.deleted = true;
      h.push_back(std::move(tomb));
      writes->keys.push_back(&key);
      if (writes->events != nullptr) writes->events->push_back(EventOf(key, h));
      ++r->deleted;
      return true;
    });
  }

  void DetachLocked(int64_t lease, const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = leases_.find(lease);
    if (it != leases_.end()) it->second.keys.erase(key);
  }

  void CommitLocked(const Writes& writes, DeferredCallbacks* deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    revision_ = writes.rev;
    // Without watchers the hub needs no events (later watches replay from the history). If one
    // arrived since the transaction started, build the events now from the history.
    if (writes.events == nullptr && !hub_->SkipIfUnwatched(writes.rev)) {
      std::vector<WatchEvent> events;
      events.reserve(writes.keys.size());
      for (const std::string* key : writes.keys) events.push_back(EventOf(*key, keys_[*key]));
      hub_->Publish(writes.rev, std::move(events), deferred).IgnoreError();
    } else if (writes.events != nullptr) {
      // Revisions only grow under mu_, so Publish cannot fail.
      hub_->Publish(writes.rev, std::move(*writes.events), deferred).IgnoreError();
    }
    const int64_t keep = options_.history_retention;
    if (keep > 0 && revision_ - std::max<int64_t>(compact_revision_, 1) >= 2 * keep) {
      CompactLocked(revision_ - keep + 1).IgnoreError();
    }
  }

  absl::Status CompactLocked(int64_t revision) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (revision <= compact_revision_) return CompactedError(compact_revision_);
    if (revision > revision_) {
      return absl::OutOfRangeError(absl::StrCat("compact: revision ", revision,
                                                " is a future revision (current ", revision_, ")"));
    }
    compact_revision_ = revision;
    for (auto it = keys_.begin(); it != keys_.end();) {
      History& h = it->second;
      // Keep the versions above `revision` and the one visible at it (if live).
      auto above =
          std::upper_bound(h.begin(), h.end(), revision,
                           [](int64_t rev, const Version& x) { return rev < x.mod_revision; });
      auto keep_from = above;
      if (above != h.begin() && !(above - 1)->deleted) keep_from = above - 1;
      if (keep_from != h.begin()) h.erase(h.begin(), keep_from);
      if (h.empty()) {
        it = keys_.erase(it);
      } else {
        ++it;
      }
    }
    return absl::OkStatus();
  }

  void RevokeLocked(int64_t id, DeferredCallbacks* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = leases_.find(id);
    std::set<std::string> keys = std::move(it->second.keys);
    expiry_.erase({it->second.deadline, id});
    leases_.erase(it);
    if (keys.empty()) return;
    std::vector<WatchEvent> events;
    Writes writes;
    writes.rev = revision_ + 1;
    if (hub_->watched()) writes.events = &events;
    TxnOpResult ignored;
    for (const std::string& key : keys) {
      DeleteLocked(KeyRange::Single(key), false, &writes, &ignored);
    }
    if (!writes.keys.empty()) CommitLocked(writes, deferred);
  }

  // Wakes the expirer to look at the deadlines again.
  void WakeExpirer() {
    MutexLock lock(&wake_mu_);
    wake_ = true;
    wake_cv_.Signal();
  }

  void ExpireLoop() {
    while (true) {
      absl::Time next = absl::InfiniteFuture();
      {
        DeferredCallbacks deferred;  // Runs after the lock is released.
        WriterLock lock(&mu_);
        if (stop_) return;
        while (!expiry_.empty() && clock_->Now() >= expiry_.begin()->first) {
          RevokeLocked(expiry_.begin()->second, &deferred);
        }
        if (!expiry_.empty()) next = expiry_.begin()->first;
      }
      MutexLock lock(&wake_mu_);
      while (!wake_) {
        if (next == absl::InfiniteFuture()) {
          wake_cv_.Wait(&wake_mu_);
        } else {
          // In steps of at most an hour: very distant deadlines overflow timed waits.
          clock_->WaitUntil(&wake_cv_, &wake_mu_, std::min(next, clock_->Now() + absl::Hours(1)));
          if (clock_->Now() >= next) break;
        }
      }
      wake_ = false;
    }
  }

  absl::StatusOr<std::vector<RevisionEvents>> Replay(const KeyRange& range, int64_t from,
                                                     int64_t to) {
    ReaderLock lock(&mu_);
    if (from < compact_revision_) return CompactedError(compact_revision_);
    struct Item {
      int64_t rev;
      int32_t sub;
      WatchEvent event;
    };
    std::vector<Item> items;
    ForEach(range, [&](const std::string& key, const History& h) {
      auto it = std::lower_bound(h.begin(), h.end(), from, [](const Version& x, int64_t rev) {
        return x.mod_revision < rev;
      });
      for (; it != h.end() && it->mod_revision <= to; ++it) {
        Item item{it->mod_revision, it->sub, {}};
        if (it->deleted) {
          item.event.type = WatchEvent::Type::kDelete;
          item.event.kv.key = key;
          item.event.kv.mod_revision = it->mod_revision;
        } else {
          item.event.kv = ToKeyValue(key, *it);
        }
        if (it != h.begin() && !(it - 1)->deleted) item.event.prev_kv = ToKeyValue(key, *(it - 1));
        items.push_back(std::move(item));
      }
      return true;
    });
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.rev != b.rev ? a.rev < b.rev : a.sub < b.sub;
    });
    std::vector<RevisionEvents> out;
    for (Item& item : items) {
      if (out.empty() || out.back().revision != item.rev) out.push_back({item.rev, {}});
      out.back().events.push_back(std::move(item.event));
    }
    return out;
  }

  const MemoryStoreOptions options_;
  Clock* const clock_;
  std::unique_ptr<WatchHub> hub_;

  SharedMutex mu_;  // Readers share it; writes, leases and compaction take it alone.
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // The expirer sleeps on wake_cv_ until the next deadline or a wake-up.
  Mutex wake_mu_;
  CondVar wake_cv_;
  bool wake_ ABSL_GUARDED_BY(wake_mu_) = false;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t compact_revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, History, std::less<>> keys_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, Lease> leases_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, int64_t>> expiry_ ABSL_GUARDED_BY(mu_);
  int64_t next_lease_id_ ABSL_GUARDED_BY(mu_) = 0x10000;
  std::thread expirer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewMemoryStore(const MemoryStoreOptions& options) {
  if (options.history_retention < 0) {
    return absl::InvalidArgumentError("history_retention: must be >= 0");
  }
  if (options.progress_notify_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("progress_notify_interval: must be >= 0");
  }
  return std::make_unique<MemoryStore>(options);
}

}  // namespace rudder::store
