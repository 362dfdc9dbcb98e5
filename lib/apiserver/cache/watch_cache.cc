#include "lib/apiserver/cache/watch_cache.h"

#include <algorithm>
#include <deque>
#include <map>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/api/object/object.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"

namespace rudder::apiserver::cache {

const absl::StatusOr<std::string>& CachedValue::Encoded() const {
  std::call_once(once_, [this] {
    if (encoder_ == nullptr || !*encoder_) {
      encoded_ = absl::FailedPreconditionError("the watch cache has no encoder");
    } else {
      encoded_ = (*encoder_)(*object_);
      if (encoded_.ok()) encoded_->shrink_to_fit();  // kept for the version's life
    }
    has_encoding_.store(true, std::memory_order_release);
  });
  return encoded_;
}

bool CachedValue::HasEncoding() const { return has_encoding_.load(std::memory_order_acquire); }

namespace {

// One change kept in the ring. For a delete, `object` is the last object stamped with the
// deleting revision.
struct Change {
  int64_t revision = 0;
  std::string key;
  ValueRef object;
  ValueRef prev;
  bool deleted = false;
};

class WatcherState {
 public:
  WatcherState(const CacheWatchOptions& o, size_t capacity, int64_t after)
      : prefix_(o.key_prefix),
        filter_(o.filter),
        bookmarks_(o.bookmarks),
        capacity_(capacity),
        after_(after) {}

  bool Selects(const google::protobuf::Message& m) const { return !filter_ || filter_(m); }
  const std::string& prefix() const { return prefix_; }

  // Queues the client view of `c`; false when the watcher is over (cut off or cancelled).
  bool Deliver(const Change& c) {
    if (c.revision <= after_ || !absl::StartsWith(c.key, prefix_)) return Alive();
    bool cur = !c.deleted && c.object != nullptr && Selects(*c.object->object());
    bool prev = c.prev != nullptr && Selects(*c.prev->object());
    CacheEvent e;
    e.revision = c.revision;
    e.object = c.object->object();
    e.value = c.object;
    if (cur && prev) {
      e.type = CacheEvent::Type::kModified;
    } else if (cur) {
      e.type = CacheEvent::Type::kAdded;
    } else if (prev) {
      e.type = CacheEvent::Type::kDeleted;
    } else {
      return Alive();
    }
    MutexLock l(&mu_);
    if (done_) return false;
    if (live_.size() >= capacity_) {
      EndLocked(absl::ResourceExhaustedError("watcher fell too far behind; watch again"));
      return false;
    }
    live_.push_back(std::move(e));
    cv_.SignalAll();
    return true;
  }
  void Bookmark(int64_t revision) {
    if (!bookmarks_) return;
    MutexLock l(&mu_);
    if (done_ || live_.size() >= capacity_) return;  // a bookmark is never worth a cut-off
    CacheEvent e;
    e.type = CacheEvent::Type::kBookmark;
    e.revision = revision;
    live_.push_back(std::move(e));
    cv_.SignalAll();
  }
  void AddInitial(CacheEvent e) {
    MutexLock l(&mu_);
    initial_.push_back(std::move(e));
  }
  void End(absl::Status why) {
    MutexLock l(&mu_);
    EndLocked(std::move(why));
  }
  bool Alive() {
    MutexLock l(&mu_);
    return !done_;
  }

  std::optional<CacheEvent> Next(absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    MutexLock l(&mu_);
    while (true) {
      if (next_initial_ < initial_.size()) {
        CacheEvent e = std::move(initial_[next_initial_++]);
        if (next_initial_ == initial_.size()) {
          initial_.clear();
          initial_.shrink_to_fit();
          next_initial_ = 0;
        }
        return e;
      }
      if (!live_.empty()) {
        CacheEvent e = std::move(live_.front());
        live_.pop_front();
        return e;
      }
      if (done_) {
        if (!error_.ok() && !error_sent_) {
          error_sent_ = true;
          CacheEvent e;
          e.type = CacheEvent::Type::kError;
          e.error = error_;
          return e;
        }
        return std::nullopt;
      }
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return std::nullopt;
      cv_.WaitWithTimeout(&mu_, left);
    }
  }

 private:
  void EndLocked(absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (done_) return;
    done_ = true;
    if (why.code() != absl::StatusCode::kCancelled) error_ = std::move(why);
    cv_.SignalAll();
  }

  const std::string prefix_;
  const Filter filter_;
  const bool bookmarks_;
  const size_t capacity_;
  const int64_t after_;  // changes at or below this revision are not delivered
  Mutex mu_;
  CondVar cv_;
  std::vector<CacheEvent> initial_ ABSL_GUARDED_BY(mu_);
  size_t next_initial_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<CacheEvent> live_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool error_sent_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

class WatcherHandle : public CacheWatcher {
 public:
  explicit WatcherHandle(std::shared_ptr<WatcherState> s) : s_(std::move(s)) {}
  ~WatcherHandle() override { s_->End(absl::CancelledError()); }
  std::optional<CacheEvent> Next(absl::Duration timeout) override { return s_->Next(timeout); }
  void Cancel() override { s_->End(absl::CancelledError()); }

 private:
  std::shared_ptr<WatcherState> s_;
};

class WatchCacheImpl : public WatchCache {
 public:
  WatchCacheImpl(store::Store* store, std::string prefix, Decoder decoder, const CacheOptions& o,
                 Encoder encoder)
      : store_(store),
        prefix_(std::move(prefix)),
        decoder_(std::move(decoder)),
        encoder_(encoder ? std::make_shared<const Encoder>(std::move(encoder)) : nullptr),
        options_(o),
        clock_(o.clock != nullptr ? o.clock : Clock::Real()) {}

  ~WatchCacheImpl() override {
    std::shared_ptr<store::Watcher> w;
    {
      MutexLock l(&mu_);
      stopping_ = true;
      w = store_watch_;
      wake_.SignalAll();
    }
    if (w != nullptr) w->Cancel();
    if (thread_.joinable()) thread_.join();
    MutexLock l(&mu_);
    for (auto& s : watchers_) s->End(absl::CancelledError());
  }

  absl::Status Init() {
    RUDDER_RETURN_IF_ERROR(Relist(/*initial=*/true));
    RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<store::Watcher> w, OpenWatch());
    thread_ = std::thread([this, w = std::move(w)]() mutable { Run(std::move(w)); });
    return absl::OkStatus();
  }

  absl::StatusOr<CacheListResult> List(const CacheListOptions& o) override {
    const std::string& sub = o.key_prefix.empty() ? prefix_ : o.key_prefix;
    int64_t need = 0;
    if (o.resource_version < 0) {
      RUDDER_ASSIGN_OR_RETURN(int64_t current, StoreRevision());
      need = current;
    } else if (o.resource_version > 0) {
      need = o.resource_version;
    }
    MutexLock l(&mu_);
    RUDDER_RETURN_IF_ERROR(WaitFreshLocked(need));
    CacheListResult out;
    auto take = [&](const std::string& key, const ValueRef& value, bool* stop) {
      if (o.filter && !o.filter(*value->object())) return;
      if (o.limit > 0 && static_cast<int64_t>(out.items.size()) == o.limit) {
        out.next_key = key;
        *stop = true;
        return;
      }
      out.items.push_back(CachedObject{key, value->object(), value});
    };
    if (o.match == RvMatch::kExact && o.resource_version > 0 && o.resource_version < rev_) {
      if (o.resource_version < floor_) {
        return absl::OutOfRangeError(absl::StrCat("revision ", o.resource_version,
                                                  " is older than the watch cache (", floor_, ")"));
      }
      // Roll the current state back through the ring.
      std::map<std::string, ValueRef> at;
      for (auto it = objects_.lower_bound(sub);
           it != objects_.end() && absl::StartsWith(it->first, sub); ++it) {
        at.emplace(it->first, it->second);
      }
      for (auto it = ring_.rbegin(); it != ring_.rend() && it->revision > o.resource_version;
           ++it) {
        if (!absl::StartsWith(it->key, sub)) continue;
        if (it->prev != nullptr) {
          at[it->key] = it->prev;
        } else {
          at.erase(it->key);
        }
      }
      bool stop = false;
      for (auto it = at.begin(); it != at.end() && !stop; ++it) {
        take(it->first, it->second, &stop);
        if (stop) out.remaining = static_cast<int64_t>(std::distance(it, at.end()));
      }
      out.revision = o.resource_version;
      return out;
    }
    out.items.reserve(o.limit > 0 ? static_cast<size_t>(o.limit) : objects_.size());
    bool stop = false;
    auto it = objects_.lower_bound(sub);
    for (; it != objects_.end() && absl::StartsWith(it->first, sub); ++it) {
      take(it->first, it->second, &stop);
      if (stop) break;
    }
    if (stop) {
      for (; it != objects_.end() && absl::StartsWith(it->first, sub); ++it) ++out.remaining;
    }
    out.revision = rev_;
    return out;
  }

  absl::StatusOr<std::unique_ptr<CacheWatcher>> Watch(const CacheWatchOptions& o) override {
    CacheWatchOptions opts = o;
    if (opts.key_prefix.empty()) opts.key_prefix = prefix_;
    int64_t need = 0;
    if (o.initial_events && o.consistent) {
      RUDDER_ASSIGN_OR_RETURN(need, StoreRevision());
    }
    MutexLock l(&mu_);
    RUDDER_RETURN_IF_ERROR(WaitFreshLocked(need));
    // Without initial events, resource_version 0 means "changes from now on".
    const int64_t from = o.initial_events || o.resource_version == 0 ? rev_ : o.resource_version;
    auto state = std::make_shared<WatcherState>(opts, options_.watcher_buffer, from);
    if (o.initial_events) {
      for (auto it = objects_.lower_bound(opts.key_prefix);
           it != objects_.end() && absl::StartsWith(it->first, opts.key_prefix); ++it) {
        if (!state->Selects(*it->second->object())) continue;
        CacheEvent e;
        e.type = CacheEvent::Type::kAdded;
        e.object = it->second->object();
        e.value = it->second;
        e.revision = rev_;
        state->AddInitial(std::move(e));
      }
    } else {
      if (from < floor_) return store::CompactedError(floor_);
      for (const Change& c : ring_) {
        if (c.revision > from) state->Deliver(c);
      }
    }
    watchers_.push_back(state);
    return std::unique_ptr<CacheWatcher>(std::make_unique<WatcherHandle>(std::move(state)));
  }

  int64_t Revision() override {
    MutexLock l(&mu_);
    return rev_;
  }
  size_t WatcherCount() override {
    MutexLock l(&mu_);
    size_t n = 0;
    for (auto& s : watchers_) n += s->Alive() ? 1 : 0;
    return n;
  }

 private:
  absl::StatusOr<int64_t> StoreRevision() {
    store::RangeOptions ro;
    ro.count_only = true;
    RUDDER_ASSIGN_OR_RETURN(store::RangeResult rr,
                            store_->Range(store::KeyRange::Prefix(prefix_), ro));
    return rr.revision;
  }

  // Waits (real time, up to fresh_wait) until the cache is at revision `need`.
  absl::Status WaitFreshLocked(int64_t need) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (rev_ >= need) return absl::OkStatus();
    absl::Time deadline = absl::Now() + options_.fresh_wait;
    while (rev_ < need) {
      if (stopping_) return absl::UnavailableError("watch cache stopped");
      if (store_watch_ != nullptr) store_watch_->RequestProgress();
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(absl::StrCat("Too large resource version: ", need,
                                                        ", current: ", rev_, " (watch cache)"));
      }
      wake_.WaitWithTimeout(&mu_, std::min(left, absl::Milliseconds(50)));
    }
    return absl::OkStatus();
  }

  absl::Status Relist(bool initial) {
    RUDDER_ASSIGN_OR_RETURN(store::RangeResult rr, store_->Range(store::KeyRange::Prefix(prefix_)));
    std::map<std::string, ValueRef> objects;
    for (const store::KeyValue& kv : rr.kvs) {
      RUDDER_ASSIGN_OR_RETURN(ObjectRef obj, decoder_(kv));
      objects.emplace(kv.key, std::make_shared<const CachedValue>(std::move(obj), encoder_));
    }
    MutexLock l(&mu_);
    objects_ = std::move(objects);
    ring_.clear();
    floor_ = rr.revision;
    rev_ = rr.revision;
    if (!initial) {
      // Events between the old position and the relist are lost: every watcher relists.
      for (auto& s : watchers_) s->End(store::CompactedError(rr.revision));
      watchers_.clear();
    }
    wake_.SignalAll();
    return absl::OkStatus();
  }

  // Waits `d` on the clock unless stopping; false when stopping.
  bool Backoff(absl::Duration* d) {
    MutexLock l(&mu_);
    absl::Time deadline = clock_->Now() + *d;
    *d = std::min(*d * 2, options_.max_backoff);
    while (!stopping_ && clock_->Now() < deadline) {
      clock_->WaitUntil(&wake_, &mu_, deadline);
    }
    return !stopping_;
  }

  // Starts the store watch after the cache's revision and publishes it.
  absl::StatusOr<std::shared_ptr<store::Watcher>> OpenWatch() {
    store::WatchOptions wo;
    wo.progress_notify = true;
    wo.max_buffered_events = 1 << 20;
    {
      MutexLock l(&mu_);
      wo.start_revision = rev_ + 1;
    }
    RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<store::Watcher> sw,
                            store_->Watch(store::KeyRange::Prefix(prefix_), wo));
    std::shared_ptr<store::Watcher> w = std::move(sw);
    MutexLock l(&mu_);
    if (stopping_) return absl::CancelledError("watch cache stopped");
    store_watch_ = w;
    return w;
  }

  void Run(std::shared_ptr<store::Watcher> w) {
    absl::Duration backoff = options_.min_backoff;
    bool need_relist = false;
    while (true) {
      {
        MutexLock l(&mu_);
        if (stopping_) return;
      }
      if (w == nullptr) {
        if (need_relist) {
          if (!Relist(false).ok()) {
            if (!Backoff(&backoff)) return;
            continue;
          }
          need_relist = false;
        }
        absl::StatusOr<std::shared_ptr<store::Watcher>> sw = OpenWatch();
        if (!sw.ok()) {
          if (store::IsCompacted(sw.status())) need_relist = true;
          if (!Backoff(&backoff)) return;
          continue;
        }
        w = std::move(*sw);
      }
      std::optional<store::SharedWatchResponse> r = w->NextShared(absl::Milliseconds(500));
      if (!r.has_value()) continue;
      if (!r->status.ok()) {
        {
          MutexLock l(&mu_);
          store_watch_ = nullptr;
          if (stopping_) return;
        }
        w = nullptr;
        if (store::IsCompacted(r->status) ||
            r->status.code() == absl::StatusCode::kResourceExhausted) {
          need_relist = true;
        }
        if (!Backoff(&backoff)) return;
        continue;
      }
      backoff = options_.min_backoff;
      Apply(*r);
    }
  }

  void Apply(const store::SharedWatchResponse& r) {
    // Decode outside the lock.
    std::vector<ValueRef> decoded(r.events.size());
    for (size_t i = 0; i < r.events.size(); ++i) {
      const store::WatchEvent& e = *r.events[i];
      if (e.type == store::WatchEvent::Type::kPut) {
        absl::StatusOr<ObjectRef> obj = decoder_(e.kv);
        if (obj.ok()) decoded[i] = std::make_shared<const CachedValue>(std::move(*obj), encoder_);
      }
    }
    MutexLock l(&mu_);
    for (size_t i = 0; i < r.events.size(); ++i) {
      const store::WatchEvent& e = *r.events[i];
      if (e.kv.mod_revision <= rev_) continue;  // already reflected (after a re-watch)
      Change c;
      c.revision = e.kv.mod_revision;
      c.key = e.kv.key;
      auto it = objects_.find(e.kv.key);
      if (it != objects_.end()) c.prev = it->second;
      if (e.type == store::WatchEvent::Type::kPut) {
        if (decoded[i] == nullptr) continue;  // undecodable values are skipped
        c.object = decoded[i];
        objects_[c.key] = c.object;
      } else {
        if (c.prev == nullptr) continue;
        std::unique_ptr<google::protobuf::Message> gone(c.prev->object()->New());
        gone->CopyFrom(*c.prev->object());
        api::MutableObjectMeta(gone.get())->set_resourceversion(absl::StrCat(c.revision));
        c.object = std::make_shared<const CachedValue>(ObjectRef(std::move(gone)), encoder_);
        c.deleted = true;
        objects_.erase(it);
      }
      for (auto& s : watchers_) s->Deliver(c);
      ring_.push_back(std::move(c));
      while (ring_.size() > options_.event_ring_size) {
        floor_ = ring_.front().revision;
        ring_.pop_front();
      }
    }
    int64_t last = r.revision;
    if (!r.events.empty()) last = std::max(last, r.events.back()->kv.mod_revision);
    if (last > rev_) rev_ = last;
    if (r.events.empty()) {
      for (auto& s : watchers_) s->Bookmark(rev_);
    }
    watchers_.erase(
        std::remove_if(watchers_.begin(), watchers_.end(),
                       [](const std::shared_ptr<WatcherState>& s) { return !s->Alive(); }),
        watchers_.end());
    wake_.SignalAll();
  }

  store::Store* const store_;
  const std::string prefix_;
  const Decoder decoder_;
  const std::shared_ptr<const Encoder> encoder_;  // null without one
  const CacheOptions options_;
  Clock* const clock_;
  std::thread thread_;

  Mutex mu_;
  CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<store::Watcher> store_watch_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ValueRef> objects_ ABSL_GUARDED_BY(mu_);
  std::deque<Change> ring_ ABSL_GUARDED_BY(mu_);
  // Every change after floor_ is in the ring.
  int64_t floor_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rev_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<WatcherState>> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<WatchCache>> WatchCache::Start(store::Store* store,
                                                              std::string prefix, Decoder decoder,
                                                              const CacheOptions& options,
                                                              Encoder encoder) {
  if (options.event_ring_size == 0 || options.watcher_buffer == 0) {
    return absl::InvalidArgumentError("event_ring_size and watcher_buffer must be > 0");
  }
  auto c = std::make_unique<WatchCacheImpl>(store, std::move(prefix), std::move(decoder), options,
                                            std::move(encoder));
  RUDDER_RETURN_IF_ERROR(c->Init());
  return std::unique_ptr<WatchCache>(std::move(c));
}

}  // namespace rudder::apiserver::cache
