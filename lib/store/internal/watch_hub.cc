#include "lib/store/internal/watch_hub.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rudder::store_internal {

using store::KeyRange;
using store::SharedWatchResponse;
using store::Watcher;
using store::WatchEvent;
using store::WatchOptions;
using store::WatchResponse;

struct HubShared {
  std::atomic<int64_t> revision{0};
  Mutex mu;
  std::vector<uint64_t> dead ABSL_GUARDED_BY(mu);

  void Bury(uint64_t id) {
    MutexLock lock(&mu);
    dead.push_back(id);
  }
};

namespace {

std::shared_ptr<const EventBatch> MakeBatch(int64_t revision, std::vector<WatchEvent> events) {
  auto batch = std::make_shared<EventBatch>();
  batch->revision = revision;
  batch->with_prev.reserve(events.size());
  batch->without_prev.reserve(events.size());
  for (WatchEvent& e : events) {
    auto full = std::make_shared<const WatchEvent>(std::move(e));
    if (full->prev_kv.has_value()) {
      auto bare = std::make_shared<WatchEvent>();
      bare->type = full->type;
      bare->kv = full->kv;
      batch->without_prev.push_back(std::move(bare));
    } else {
      batch->without_prev.push_back(full);
    }
    batch->with_prev.push_back(std::move(full));
  }
  return batch;
}

enum class IndexKind { kKey, kPrefix, kRange };

// A batch queued for a watcher; `all`: every event is in the watcher's range (else filter).
struct Item {
  std::shared_ptr<const EventBatch> batch;
  bool all = true;
};

}  // namespace

// The watchers of one key range and the log of batches they have yet to read. The group's
// mutex guards the log and the read state of every member.
class WatchGroup {
 public:
  explicit WatchGroup(KeyRange r) : range(std::move(r)) {
    if (range.range_end.empty()) {
      kind = IndexKind::kKey;
      index_key = range.key;
    } else if (range.key == absl::string_view("\0", 1) &&
               range.range_end == absl::string_view("\0", 1)) {
      kind = IndexKind::kPrefix;  // Every key.
    } else if (store::PrefixEnd(range.key) == range.range_end) {
      kind = IndexKind::kPrefix;
      index_key = range.key;
    } else {
      kind = IndexKind::kRange;
    }
  }

  const KeyRange range;
  IndexKind kind = IndexKind::kRange;
  std::string index_key;  // kKey: the key; kPrefix: the prefix.

  // Guarded by the hub's mutex.
  absl::flat_hash_set<WatcherState*> members;
  size_t min_max_buffered = SIZE_MAX;  // Smallest max_buffered_events of any member so far.
  uint64_t events_at_sweep = 0;
  uint64_t epoch = 0;  // Scratch of WatchHub::Publish.
  size_t matched = 0;

  Mutex mu;
  struct Entry {
    Item item;
    uint64_t events_end;  // end_events after this entry.
  };
  // log[head..] are the live entries (a vector, not a deque: an idle group costs no block).
  std::vector<Entry> log ABSL_GUARDED_BY(mu);
  size_t head ABSL_GUARDED_BY(mu) = 0;
  uint64_t first_seq ABSL_GUARDED_BY(mu) = 0;   // Sequence number of log[head].
  uint64_t end_events ABSL_GUARDED_BY(mu) = 0;  // Events ever appended.
  // Members that have read everything and wait to be woken by the next append.
  absl::flat_hash_set<WatcherState*> idle ABSL_GUARDED_BY(mu);

  uint64_t end_seq() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return first_seq + (log.size() - head);
  }
  const Entry& At(uint64_t seq) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return log[head + (seq - first_seq)];
  }
  // Drops the entries before `seq`.
  void TrimTo(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    while (first_seq < seq) {
      log[head++].item.batch.reset();
      ++first_seq;
    }
    if (head == log.size()) {
      log.clear();
      head = 0;
    } else if (head > 64 && head * 2 > log.size()) {
      log.erase(log.begin(), log.begin() + head);
      head = 0;
    }
  }
};

// One watcher's state, shared by the hub (while registered) and the consumer's handle. Its
// mutable fields are guarded by its group's mutex.
class WatcherState {
 public:
  WatcherState(std::shared_ptr<WatchGroup> g, const WatchOptions& options,
               std::shared_ptr<HubShared> shared)
      : group(std::move(g)),
        prev_kv(options.prev_kv),
        progress_notify(options.progress_notify),
        max_buffered(options.max_buffered_events),
        shared_(std::move(shared)) {}

  const std::shared_ptr<WatchGroup> group;
  const bool prev_kv;
  const bool progress_notify;
  const size_t max_buffered;
  uint64_t id = 0;  // Set before registration, then constant.
  std::atomic<bool> has_callback{false};

  // Everything below (but the callback) is guarded by group->mu.
  CondVar cv;
  uint64_t cursor_seq = 0;     // Next log entry to read.
  uint64_t cursor_events = 0;  // group->end_events when the cursor was set.
  std::vector<Item> replay;    // Read before the log: history, or what an ended watch keeps.
  bool ended = false;          // No more log reads; deliver `replay`, then `status`.
  absl::Status status;
  bool progress_requested = false;
  bool had_events = false;  // Since the last progress tick.
  bool notified = false;    // The callback fired since the last Next().
  int64_t last_revision = 0;

  bool PendingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(group->mu) {
    return !replay.empty() || (!ended && cursor_seq < group->end_seq());
  }

  // Marks the watch ended with `status`. Unread events are dropped if `drop`, else kept for
  // delivery before the status. Returns whether the ready callback is due.
  bool EndLocked(absl::Status s, bool drop) ABSL_EXCLUSIVE_LOCKS_REQUIRED(group->mu) {
    if (ended) return false;
    if (drop) {
      std::vector<Item>().swap(replay);
    } else {
      for (uint64_t seq = std::max(cursor_seq, group->first_seq); seq < group->end_seq(); ++seq) {
        replay.push_back(group->At(seq).item);
      }
    }
    ended = true;
    status = std::move(s);
    group->idle.erase(this);
    cv.SignalAll();
    return Notify();
  }

  bool End(absl::Status s, bool drop) {
    MutexLock lock(&group->mu);
    return EndLocked(std::move(s), drop);
  }

  // Flags that a response is available; returns whether the ready callback is due.
  bool Notify() ABSL_EXCLUSIVE_LOCKS_REQUIRED(group->mu) {
    cv.Signal();
    if (notified) return false;
    notified = true;
    return has_callback.load(std::memory_order_relaxed);
  }

  bool RequestProgress() {
    MutexLock lock(&group->mu);
    if (ended) return false;
    progress_requested = true;
    return Notify();
  }

  // The progress ticker: an idle progress_notify watcher gets a notification.
  bool Tick() {
    MutexLock lock(&group->mu);
    bool idle = !had_events && !PendingLocked();
    had_events = false;
    if (!idle || ended) return false;
    progress_requested = true;
    return Notify();
  }

  std::optional<SharedWatchResponse> Next(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::vector<Item> items;
    int64_t revision = 0;
    {
      MutexLock lock(&group->mu);
      while (true) {
        if (PendingLocked()) {
          // Every revision up to `revision` has been appended to the group's log (the hub
          // stores the revision after appending, and appending needs the lock we hold).
          revision = shared_->revision.load(std::memory_order_acquire);
          items.swap(replay);
          if (!ended) {
            for (uint64_t seq = cursor_seq; seq < group->end_seq(); ++seq) {
              items.push_back(group->At(seq).item);
            }
            cursor_seq = group->end_seq();
            cursor_events = group->end_events;
            group->idle.insert(this);
          }
          notified = false;
          revision = std::max({revision, last_revision, items.back().batch->revision});
          last_revision = revision;
          break;
        }
        if (ended) {
          notified = false;
          SharedWatchResponse end;
          end.status = status;
          end.revision = std::max(last_revision, shared_->revision.load());
          return end;
        }
        if (progress_requested) {
          progress_requested = false;
          notified = false;
          SharedWatchResponse progress;
          progress.revision = std::max(last_revision, shared_->revision.load());
          last_revision = progress.revision;
          return progress;
        }
        notified = false;
        group->idle.insert(this);
        absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) return std::nullopt;
        cv.WaitWithTimeout(&group->mu, left);
      }
    }
    // Outside the lock: the batches are immutable.
    SharedWatchResponse response;
    size_t n = 0;
    for (const Item& item : items) n += item.batch->with_prev.size();
    response.events.reserve(n);
    for (const Item& item : items) {
      const auto& events = prev_kv ? item.batch->with_prev : item.batch->without_prev;
      if (item.all) {
        response.events.insert(response.events.end(), events.begin(), events.end());
      } else {
        for (const auto& e : events) {
          if (group->range.Contains(e->kv.key)) response.events.push_back(e);
        }
      }
    }
    response.revision = revision;
    return response;
  }

  void SetReadyCallback(std::function<void()> fn) {
    MutexLock lock(&cb_mu_);
    callback_ = std::move(fn);
    has_callback.store(callback_ != nullptr, std::memory_order_relaxed);
    if (!callback_) return;
    bool ready;
    {
      MutexLock group_lock(&group->mu);
      ready = PendingLocked() || ended || progress_requested;
      if (ready) notified = true;
    }
    if (ready) callback_();
  }

  // Calls the ready callback, if any (never with a hub or group lock held).
  void Fire() {
    MutexLock lock(&cb_mu_);
    if (callback_) callback_();
  }

 private:
  const std::shared_ptr<HubShared> shared_;
  Mutex cb_mu_;
  std::function<void()> callback_ ABSL_GUARDED_BY(cb_mu_);
};

namespace {

// The consumer's handle. Destroying it cancels the watch.
class HubWatcher : public Watcher {
 public:
  HubWatcher(std::shared_ptr<WatcherState> state, std::shared_ptr<HubShared> shared)
      : state_(std::move(state)), shared_(std::move(shared)) {}

  ~HubWatcher() override {
    state_->End(absl::CancelledError("watch cancelled"), /*drop=*/true);
    state_->SetReadyCallback(nullptr);  // Waits out a callback in flight.
    shared_->Bury(state_->id);
  }

  std::optional<WatchResponse> Next(absl::Duration timeout) override {
    std::optional<SharedWatchResponse> shared = state_->Next(timeout);
    if (!shared.has_value()) return std::nullopt;
    WatchResponse r;
    r.events.reserve(shared->events.size());
    for (const auto& e : shared->events) r.events.push_back(*e);
    r.revision = shared->revision;
    r.status = std::move(shared->status);
    r.compact_revision = shared->compact_revision;
    return r;
  }

  std::optional<SharedWatchResponse> NextShared(absl::Duration timeout) override {
    return state_->Next(timeout);
  }

  void SetReadyCallback(std::function<void()> fn) override {
    state_->SetReadyCallback(std::move(fn));
  }

  void RequestProgress() override {
    if (state_->RequestProgress()) state_->Fire();
  }

  void Cancel() override {
    if (state_->End(absl::CancelledError("watch cancelled"), /*drop=*/true)) state_->Fire();
    shared_->Bury(state_->id);
  }

 private:
  const std::shared_ptr<WatcherState> state_;
  const std::shared_ptr<HubShared> shared_;
};

}  // namespace

WatchHub::WatchHub(Options options, int64_t revision, ReplaySource replay)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : Clock::Real()),
      replay_(std::move(replay)),
      shared_(std::make_shared<HubShared>()),
      window_floor_(revision) {
  shared_->revision.store(revision);
  if (options_.progress_notify_interval > absl::ZeroDuration()) {
    ticker_ = std::thread([this] { TickerLoop(); });
  }
}

WatchHub::~WatchHub() {
  {
    MutexLock lock(&ticker_mu_);
    stop_ = true;
    ticker_cv_.SignalAll();
  }
  if (ticker_.joinable()) ticker_.join();
  std::vector<StatePtr> fire;
  {
    MutexLock lock(&mu_);
    closed_ = true;
    for (auto& [id, state] : watchers_) {
      if (state->End(absl::CancelledError("store closed"), /*drop=*/true)) fire.push_back(state);
    }
  }
  for (const StatePtr& s : fire) s->Fire();
}

int64_t WatchHub::revision() const { return shared_->revision.load(std::memory_order_acquire); }

size_t WatchHub::watcher_count() const {
  MutexLock lock(&mu_);
  return watchers_.size();
}

void DeferredCallbacks::Run() {
  std::vector<std::shared_ptr<WatcherState>> due;
  due.swap(due_);
  for (const auto& s : due) s->Fire();
}

absl::Status WatchHub::Publish(int64_t revision, std::vector<WatchEvent> events,
                               DeferredCallbacks* deferred) {
  std::shared_ptr<const EventBatch> batch;
  if (!events.empty()) batch = MakeBatch(revision, std::move(events));
  std::vector<StatePtr> fire;
  {
    MutexLock lock(&mu_);
    const int64_t current = shared_->revision.load(std::memory_order_relaxed);
    if (revision <= current) {
      return absl::FailedPreconditionError(absl::StrCat(
          "published revision ", revision, " is not above the hub's revision ", current));
    }
    SweepLocked();
    if (batch != nullptr) {
      window_.push_back(batch);
      window_events_ += batch->with_prev.size();
      while (!window_.empty() && window_events_ > options_.history_events) {
        window_floor_ = window_.front()->revision;
        window_events_ -= window_.front()->with_prev.size();
        window_.pop_front();
      }

      ++epoch_;
      touched_.clear();
      auto mark = [this](WatchGroup* g) {
        mu_.AssertHeld();  // Lambdas are analysed on their own.
        if (g->epoch != epoch_) {
          g->epoch = epoch_;
          g->matched = 0;
          touched_.push_back(g);
        }
        ++g->matched;
      };
      for (const auto& e : batch->with_prev) {
        const std::string& key = e->kv.key;
        if (auto it = by_key_.find(key); it != by_key_.end()) mark(it->second.get());
        for (const auto& [len, count] : prefix_lengths_) {
          if (len > key.size()) break;
          auto it = by_prefix_.find(absl::string_view(key).substr(0, len));
          if (it != by_prefix_.end()) mark(it->second.get());
        }
        for (const auto& [bounds, g] : by_range_) {
          if (g->range.Contains(key)) mark(g.get());
        }
      }
      const size_t size = batch->with_prev.size();
      std::vector<WatcherState*> cut;
      for (WatchGroup* g : touched_) {
        MutexLock group_lock(&g->mu);
        g->end_events += g->matched;
        g->log.push_back(WatchGroup::Entry{Item{batch, g->matched == size}, g->end_events});
        for (WatcherState* s : g->idle) {
          s->group->mu.AssertHeld();  // s->group is g.
          s->had_events = true;
          if (s->Notify()) fire.push_back(watchers_[s->id]);
        }
        g->idle.clear();
        // Now and then: cut off members too far behind and drop what everyone has read.
        const uint64_t every = std::clamp<uint64_t>(g->min_max_buffered / 2, 1, 1024);
        if (g->end_events - g->events_at_sweep >= every) {
          g->events_at_sweep = g->end_events;
          uint64_t min_seq = g->end_seq();
          for (WatcherState* s : g->members) {
            s->group->mu.AssertHeld();  // s->group is g.
            if (s->ended) continue;
            if (g->end_events - s->cursor_events > s->max_buffered) {
              if (s->EndLocked(absl::ResourceExhaustedError(absl::StrCat(
                                   "watcher fell behind by more than ", s->max_buffered,
                                   " events; relist and watch again")),
                               /*drop=*/true)) {
                fire.push_back(watchers_[s->id]);
              }
              cut.push_back(s);
              continue;
            }
            min_seq = std::min(min_seq, s->cursor_seq);
          }
          g->TrimTo(min_seq);
        }
      }
      touched_.clear();
      for (WatcherState* s : cut) Unregister(s);
    }
    // After every append: a watcher that reads this revision has been offered all up to it.
    shared_->revision.store(revision, std::memory_order_release);
  }
  if (deferred != nullptr) {
    deferred->due_.insert(deferred->due_.end(), std::make_move_iterator(fire.begin()),
                          std::make_move_iterator(fire.end()));
  } else {
    for (const StatePtr& s : fire) s->Fire();
  }
  return absl::OkStatus();
}

void WatchHub::Advance(int64_t revision) {
  MutexLock lock(&mu_);
  if (revision > shared_->revision.load(std::memory_order_relaxed)) {
    shared_->revision.store(revision, std::memory_order_release);
  }
}

bool WatchHub::SkipIfUnwatched(int64_t revision) {
  MutexLock lock(&mu_);
  SweepLocked();
  if (!watchers_.empty()) return false;
  if (revision <= shared_->revision.load(std::memory_order_relaxed)) return true;
  // The window must hold every event above its floor: it restarts empty here.
  window_.clear();
  window_events_ = 0;
  window_floor_ = revision;
  shared_->revision.store(revision, std::memory_order_release);
  return true;
}

absl::StatusOr<std::unique_ptr<Watcher>> WatchHub::Watch(const KeyRange& range,
                                                         const WatchOptions& options) {
  if (range.key.empty()) return absl::InvalidArgumentError("watch: key must not be empty");
  StatePtr state;
  int64_t replay_from = 0;
  int64_t replay_to = -1;
  {
    MutexLock lock(&mu_);
    if (closed_) return absl::CancelledError("store closed");
    SweepLocked();
    const int64_t current = shared_->revision.load(std::memory_order_relaxed);
    const int64_t start = options.start_revision <= 0 ? current + 1 : options.start_revision;
    if (start > current + 1) {
      return absl::OutOfRangeError(absl::StrCat("watch: start revision ", start,
                                                " is beyond the next revision ", current + 1));
    }
    if (start <= window_floor_) {
      if (!replay_) return store::CompactedError(window_floor_ + 1);
      replay_from = start;
      replay_to = window_floor_;
    }
    GroupPtr group = FindOrAddGroup(range);
    state = std::make_shared<WatcherState>(group, options, shared_);
    state->id = next_id_++;
    MutexLock group_lock(&group->mu);
    auto it = std::lower_bound(
        window_.begin(), window_.end(), start,
        [](const std::shared_ptr<const EventBatch>& b, int64_t rev) { return b->revision < rev; });
    for (; it != window_.end(); ++it) {
      size_t matched = 0;
      for (const auto& e : (*it)->with_prev) matched += range.Contains(e->kv.key) ? 1 : 0;
      if (matched > 0) state->replay.push_back(Item{*it, matched == (*it)->with_prev.size()});
    }
    state->cursor_seq = group->end_seq();
    state->cursor_events = group->end_events;
    if (state->replay.empty() && replay_to < replay_from) group->idle.insert(state.get());
    Register(state);
  }
  if (replay_to >= replay_from) {
    absl::StatusOr<std::vector<RevisionEvents>> history = replay_(range, replay_from, replay_to);
    if (!history.ok()) {
      MutexLock lock(&mu_);
      Unregister(state.get());
      return history.status();
    }
    std::vector<Item> items;
    items.reserve(history->size());
    for (RevisionEvents& r : *history) {
      std::vector<WatchEvent> in_range;
      for (WatchEvent& e : r.events) {
        if (range.Contains(e.kv.key)) in_range.push_back(std::move(e));
      }
      if (!in_range.empty()) items.push_back(Item{MakeBatch(r.revision, std::move(in_range))});
    }
    MutexLock lock(&state->group->mu);
    for (Item& item : state->replay) items.push_back(std::move(item));
    state->replay = std::move(items);
    if (!state->PendingLocked()) state->group->idle.insert(state.get());
  }
  return std::make_unique<HubWatcher>(std::move(state), shared_);
}

void WatchHub::EndAll(const absl::Status& status) {
  std::vector<StatePtr> fire;
  {
    MutexLock lock(&mu_);
    std::vector<WatcherState*> all;
    for (auto& [id, state] : watchers_) {
      if (state->End(status, /*drop=*/false)) fire.push_back(state);
      all.push_back(state.get());
    }
    for (WatcherState* s : all) Unregister(s);
  }
  for (const StatePtr& s : fire) s->Fire();
}

WatchHub::GroupPtr WatchHub::FindOrAddGroup(const KeyRange& range) {
  auto group = std::make_shared<WatchGroup>(range);
  GroupPtr* slot = nullptr;
  switch (group->kind) {
    case IndexKind::kKey:
      slot = &by_key_[group->index_key];
      break;
    case IndexKind::kPrefix:
      slot = &by_prefix_[group->index_key];
      if (*slot == nullptr) ++prefix_lengths_[group->index_key.size()];
      break;
    case IndexKind::kRange:
      slot = &by_range_[{range.key, range.range_end}];
      break;
  }
  if (*slot == nullptr) *slot = std::move(group);
  return *slot;
}

void WatchHub::RemoveGroup(WatchGroup* g) {
  switch (g->kind) {
    case IndexKind::kKey:
      by_key_.erase(g->index_key);
      break;
    case IndexKind::kPrefix: {
      auto len = prefix_lengths_.find(g->index_key.size());
      if (--len->second == 0) prefix_lengths_.erase(len);
      by_prefix_.erase(g->index_key);  // May destroy `g`.
      break;
    }
    case IndexKind::kRange:
      by_range_.erase({g->range.key, g->range.range_end});
      break;
  }
}

void WatchHub::Register(const StatePtr& state) {
  WatcherState* s = state.get();
  watchers_[s->id] = state;
  watchers_live_.store(watchers_.size(), std::memory_order_release);
  WatchGroup* g = s->group.get();
  g->members.insert(s);
  g->min_max_buffered = std::min(g->min_max_buffered, s->max_buffered);
  if (s->progress_notify) progress_.insert(s);
}

void WatchHub::Unregister(WatcherState* s) {
  auto found = watchers_.find(s->id);
  if (found == watchers_.end()) return;
  StatePtr keep = found->second;
  WatchGroup* g = s->group.get();
  g->members.erase(s);
  {
    MutexLock lock(&g->mu);
    g->idle.erase(s);
  }
  if (g->members.empty()) RemoveGroup(g);
  progress_.erase(s);
  watchers_.erase(found);
  watchers_live_.store(watchers_.size(), std::memory_order_release);
}

void WatchHub::SweepLocked() {
  std::vector<uint64_t> dead;
  {
    MutexLock lock(&shared_->mu);
    dead.swap(shared_->dead);
  }
  for (uint64_t id : dead) {
    auto it = watchers_.find(id);
    if (it != watchers_.end()) Unregister(it->second.get());
  }
}

void WatchHub::TickerLoop() {
  const absl::Duration interval = options_.progress_notify_interval;
  absl::Time next = clock_->Now() + interval;
  while (true) {
    {
      MutexLock lock(&ticker_mu_);
      // In steps of at most an hour: very distant deadlines overflow timed waits.
      while (!stop_ && !(clock_->WaitUntil(&ticker_cv_, &ticker_mu_,
                                           std::min(next, clock_->Now() + absl::Hours(1))) &&
                         clock_->Now() >= next)) {
      }
      if (stop_) return;
    }
    next = clock_->Now() + interval;
    std::vector<StatePtr> fire;
    {
      MutexLock lock(&mu_);
      SweepLocked();
      for (WatcherState* s : progress_) {
        if (s->Tick()) fire.push_back(watchers_[s->id]);
      }
    }
    for (const StatePtr& s : fire) s->Fire();
  }
}

}  // namespace rudder::store_internal
