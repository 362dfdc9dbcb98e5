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

}  // namespace

// One watcher's state, shared by the hub (while registered) and the consumer's handle.
class WatcherState {
 public:
  WatcherState(KeyRange range, const WatchOptions& options, std::shared_ptr<HubShared> shared)
      : range(std::move(range)),
        prev_kv(options.prev_kv),
        progress_notify(options.progress_notify),
        max_buffered(options.max_buffered_events),
        shared_(std::move(shared)) {
    if (this->range.range_end.empty()) {
      kind = IndexKind::kKey;
      index_key = this->range.key;
    } else if (this->range.key == absl::string_view("\0", 1) &&
               this->range.range_end == absl::string_view("\0", 1)) {
      kind = IndexKind::kPrefix;  // Every key.
    } else if (store::PrefixEnd(this->range.key) == this->range.range_end) {
      kind = IndexKind::kPrefix;
      index_key = this->range.key;
    } else {
      kind = IndexKind::kRange;
    }
  }

  // What Offer() did.
  struct OfferResult {
    bool fire = false;     // The ready callback is due.
    bool cut_off = false;  // The watcher ended (unregister it).
  };

  // Queues a batch with `matched` events in range (all of them if `all`).
  OfferResult Offer(std::shared_ptr<const EventBatch> batch, size_t matched, bool all) {
    OfferResult result;
    MutexLock lock(&mu_);
    if (ended_) return result;
    queue_.push_back(Item{std::move(batch), all});
    queued_ += matched;
    had_events_ = true;
    if (queued_ > max_buffered + replay_allowance_) {
      std::vector<Item>().swap(queue_);
      queued_ = 0;
      EndLocked(absl::ResourceExhaustedError(absl::StrCat(
          "watcher fell behind by more than ", max_buffered, " events; relist and watch again")));
      result.cut_off = true;
    }
    cv_.Signal();
    result.fire = !notified_;
    notified_ = true;
    return result;
  }

  // Queues replayed history in front of everything queued so far (not counted as buffered).
  void Prepend(std::vector<std::shared_ptr<const EventBatch>> batches) {
    MutexLock lock(&mu_);
    if (ended_) return;
    std::vector<Item> items;
    items.reserve(batches.size() + queue_.size());
    for (auto& b : batches) {
      replay_allowance_ += b->with_prev.size();
      queued_ += b->with_prev.size();
      items.push_back(Item{std::move(b), true});
    }
    for (Item& item : queue_) items.push_back(std::move(item));
    queue_ = std::move(items);
  }

  // Replay from the hub's window: counted like Prepend, at the back.
  void AppendReplay(std::shared_ptr<const EventBatch> batch, size_t matched, bool all) {
    MutexLock lock(&mu_);
    replay_allowance_ += matched;
    queued_ += matched;
    queue_.push_back(Item{std::move(batch), all});
  }

  // Ends the watch with `status`. Pending events are dropped if `drop`, else delivered first.
  // Returns whether the ready callback is due.
  bool End(absl::Status status, bool drop) {
    MutexLock lock(&mu_);
    if (ended_) return false;
    if (drop) {
      std::vector<Item>().swap(queue_);
      queued_ = 0;
    }
    EndLocked(std::move(status));
    cv_.SignalAll();
    bool fire = !notified_;
    notified_ = true;
    return fire;
  }

  // Asks for a progress response; returns whether the ready callback is due.
  bool RequestProgress() {
    MutexLock lock(&mu_);
    if (ended_) return false;
    progress_requested_ = true;
    cv_.Signal();
    bool fire = !notified_;
    notified_ = true;
    return fire;
  }

  // The progress ticker: an idle progress_notify watcher gets a notification.
  bool Tick() {
    {
      MutexLock lock(&mu_);
      bool idle = !had_events_;
      had_events_ = false;
      if (!idle) return false;
    }
    return RequestProgress();
  }

  std::optional<SharedWatchResponse> Next(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::vector<Item> items;
    int64_t revision = 0;
    {
      MutexLock lock(&mu_);
      while (true) {
        if (!queue_.empty()) {
          // Every revision up to `revision` has been offered to this watcher (the hub stores
          // the revision after offering), so draining now delivers all of it.
          revision = shared_->revision.load(std::memory_order_acquire);
          items.swap(queue_);
          queued_ = 0;
          replay_allowance_ = 0;
          notified_ = false;
          break;
        }
        if (ended_) {
          SharedWatchResponse end;
          end.status = status_;
          end.compact_revision = compact_revision_;
          end.revision = std::max(last_revision_, shared_->revision.load());
          notified_ = false;
          return end;
        }
        if (progress_requested_) {
          progress_requested_ = false;
          notified_ = false;
          SharedWatchResponse progress;
          progress.revision = std::max(last_revision_, shared_->revision.load());
          last_revision_ = progress.revision;
          return progress;
        }
        absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) return std::nullopt;
        cv_.WaitWithTimeout(&mu_, left);
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
          if (range.Contains(e->kv.key)) response.events.push_back(e);
        }
      }
    }
    int64_t last_event = items.empty() ? 0 : items.back().batch->revision;
    response.revision = std::max(revision, last_event);
    {
      MutexLock lock(&mu_);
      response.revision = std::max(response.revision, last_revision_);
      last_revision_ = response.revision;
    }
    return response;
  }

  void SetReadyCallback(std::function<void()> fn) {
    MutexLock lock(&cb_mu_);
    callback_ = std::move(fn);
  }

  // Calls the ready callback, if any (never with mu_ held).
  void Fire() {
    MutexLock lock(&cb_mu_);
    if (callback_) callback_();
  }

  const KeyRange range;
  const bool prev_kv;
  const bool progress_notify;
  const size_t max_buffered;
  IndexKind kind = IndexKind::kRange;
  std::string index_key;  // kKey: the key; kPrefix: the prefix.
  uint64_t id = 0;        // Set before registration, then constant.
  // Scratch of WatchHub::Publish (guarded by the hub's mutex).
  uint64_t epoch = 0;
  size_t matched = 0;

 private:
  struct Item {
    std::shared_ptr<const EventBatch> batch;
    bool all = true;  // Every event of the batch is in range.
  };

  void EndLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ended_ = true;
    status_ = std::move(status);
  }

  const std::shared_ptr<HubShared> shared_;
  Mutex mu_;
  CondVar cv_;
  std::vector<Item> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;            // Events in queue_.
  size_t replay_allowance_ ABSL_GUARDED_BY(mu_) = 0;  // Replayed events not held against the cap.
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  int64_t compact_revision_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_revision_ ABSL_GUARDED_BY(mu_) = 0;
  bool progress_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool had_events_ ABSL_GUARDED_BY(mu_) = false;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;  // The callback fired since the last Next().

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

absl::Status WatchHub::Publish(int64_t revision, std::vector<WatchEvent> events) {
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
      auto mark = [this](WatcherState* s) {
        if (s->epoch != epoch_) {
          s->epoch = epoch_;
          s->matched = 0;
          touched_.push_back(s);
        }
        ++s->matched;
      };
      for (const auto& e : batch->with_prev) {
        const std::string& key = e->kv.key;
        if (auto it = by_key_.find(key); it != by_key_.end()) {
          for (WatcherState* s : it->second) mark(s);
        }
        for (const auto& [len, count] : prefix_lengths_) {
          if (len > key.size()) break;
          auto it = by_prefix_.find(absl::string_view(key).substr(0, len));
          if (it != by_prefix_.end()) {
            for (WatcherState* s : it->second) mark(s);
          }
        }
        for (WatcherState* s : by_range_) {
          if (s->range.Contains(key)) mark(s);
        }
      }
      const size_t size = batch->with_prev.size();
      std::vector<WatcherState*> cut;
      for (WatcherState* s : touched_) {
        WatcherState::OfferResult r = s->Offer(batch, s->matched, s->matched == size);
        if (r.cut_off) cut.push_back(s);
        if (r.fire) fire.push_back(watchers_[s->id]);
      }
      touched_.clear();
      for (WatcherState* s : cut) Unregister(s);
    }
    // After every offer: a watcher that reads this revision has been offered all up to it.
    shared_->revision.store(revision, std::memory_order_release);
  }
  for (const StatePtr& s : fire) s->Fire();
  return absl::OkStatus();
}

void WatchHub::Advance(int64_t revision) {
  MutexLock lock(&mu_);
  if (revision > shared_->revision.load(std::memory_order_relaxed)) {
    shared_->revision.store(revision, std::memory_order_release);
  }
}

absl::StatusOr<std::unique_ptr<Watcher>> WatchHub::Watch(const KeyRange& range,
                                                         const WatchOptions& options) {
  if (range.key.empty()) return absl::InvalidArgumentError("watch: key must not be empty");
  auto state = std::make_shared<WatcherState>(range, options, shared_);
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
    auto it = std::lower_bound(
        window_.begin(), window_.end(), start,
        [](const std::shared_ptr<const EventBatch>& b, int64_t rev) { return b->revision < rev; });
    for (; it != window_.end(); ++it) {
      size_t matched = 0;
      for (const auto& e : (*it)->with_prev) matched += range.Contains(e->kv.key) ? 1 : 0;
      if (matched > 0) state->AppendReplay(*it, matched, matched == (*it)->with_prev.size());
    }
    state->id = next_id_++;
    Register(state);
  }
  if (replay_to >= replay_from) {
    absl::StatusOr<std::vector<RevisionEvents>> history = replay_(range, replay_from, replay_to);
    if (!history.ok()) {
      MutexLock lock(&mu_);
      Unregister(state.get());
      return history.status();
    }
    std::vector<std::shared_ptr<const EventBatch>> batches;
    batches.reserve(history->size());
    for (RevisionEvents& r : *history) {
      std::vector<WatchEvent> in_range;
      for (WatchEvent& e : r.events) {
        if (range.Contains(e.kv.key)) in_range.push_back(std::move(e));
      }
      if (!in_range.empty()) batches.push_back(MakeBatch(r.revision, std::move(in_range)));
    }
    state->Prepend(std::move(batches));
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

void WatchHub::Register(const StatePtr& state) {
  WatcherState* s = state.get();
  watchers_[s->id] = state;
  switch (s->kind) {
    case IndexKind::kKey:
      by_key_[s->index_key].insert(s);
      break;
    case IndexKind::kPrefix:
      by_prefix_[s->index_key].insert(s);
      ++prefix_lengths_[s->index_key.size()];
      break;
    case IndexKind::kRange:
      by_range_.insert(s);
      break;
  }
  if (s->progress_notify) progress_.insert(s);
}

void WatchHub::Unregister(WatcherState* s) {
  auto found = watchers_.find(s->id);
  if (found == watchers_.end()) return;
  switch (s->kind) {
    case IndexKind::kKey: {
      auto it = by_key_.find(s->index_key);
      it->second.erase(s);
      if (it->second.empty()) by_key_.erase(it);
      break;
    }
    case IndexKind::kPrefix: {
      auto it = by_prefix_.find(s->index_key);
      it->second.erase(s);
      if (it->second.empty()) by_prefix_.erase(it);
      auto len = prefix_lengths_.find(s->index_key.size());
      if (--len->second == 0) prefix_lengths_.erase(len);
      break;
    }
    case IndexKind::kRange:
      by_range_.erase(s);
      break;
  }
  progress_.erase(s);
  watchers_.erase(found);  // May destroy `s`.
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
      while (!stop_ && !clock_->WaitUntil(&ticker_cv_, &ticker_mu_, next)) {
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
