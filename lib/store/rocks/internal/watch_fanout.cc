#include "lib/store/rocks/internal/watch_fanout.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rudder::store_internal::rocks {
namespace {
// A response carries at most this many events (more only to finish a revision).
constexpr size_t kMaxEventsPerResponse = 1000;

int64_t RevisionOf(const store::WatchEvent& e) { return e.kv.mod_revision; }
}  // namespace

// One watch's delivery state. Every field is guarded by WatchFanout::mu_.
struct WatchFanout::State {
  store::KeyRange range;
  store::WatchOptions options;
  std::deque<Item> queue;
  size_t queued_events = 0;
  // Events before the live ones are still being read from history: deliver nothing yet.
  bool replay_pending = false;
  bool progress_requested = false;
  absl::Status status;  // Non-OK: the watch has ended.
  CondVar cv;
  std::function<void()> callback;

  bool Ready() const { return !status.ok() || (!replay_pending && !queue.empty()); }
};

class WatchFanout::WatcherImpl : public store::Watcher {
 public:
  WatcherImpl(std::shared_ptr<WatchFanout> fanout, std::shared_ptr<State> state)
      : fanout_(std::move(fanout)), state_(std::move(state)) {}
  ~WatcherImpl() override { Cancel(); }

  std::optional<store::WatchResponse> Next(absl::Duration timeout) override {
    WatchFanout* f = fanout_.get();
    State* s = state_.get();
    absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&f->mu_);
    while (!s->Ready()) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return std::nullopt;
      s->cv.WaitWithTimeout(&f->mu_, left);
    }
    store::WatchResponse r;
    if (!s->status.ok()) {
      r.status = s->status;
      r.compact_revision = store::CompactedRevision(s->status);
      return r;
    }
    int64_t rev = 0;
    while (!s->queue.empty()) {
      Item& it = s->queue.front();
      if (it.progress) {
        rev = std::max(rev, it.revision);
        s->queue.pop_front();
        continue;
      }
      if (r.events.size() >= kMaxEventsPerResponse && it.revision != rev) break;
      rev = std::max(rev, it.revision);
      r.events.push_back(std::move(it.event));
      s->queue.pop_front();
      --s->queued_events;
    }
    if (s->queue.empty()) rev = std::max(rev, f->published_);
    r.revision = rev;
    return r;
  }

  void SetReadyCallback(std::function<void()> fn) override {
    bool ready;
    {
      MutexLock lock(&fanout_->mu_);
      state_->callback = fn;
      ready = state_->Ready();
    }
    if (ready && fn) fn();
  }

  void RequestProgress() override {
    std::function<void()> cb;
    {
      MutexLock lock(&fanout_->mu_);
      State* s = state_.get();
      if (!s->status.ok()) return;
      if (s->replay_pending) {
        s->progress_requested = true;
        return;
      }
      Item it;
      it.progress = true;
      it.revision = fanout_->published_;
      s->queue.push_back(std::move(it));
      s->cv.SignalAll();
      cb = s->callback;
    }
    if (cb) cb();
  }

  void Cancel() override {
    std::function<void()> cb;
    {
      MutexLock lock(&fanout_->mu_);
      if (!state_->status.ok()) return;
      fanout_->Fail(state_.get(), absl::CancelledError("watch cancelled"));
      fanout_->states_.erase(state_);
      cb = state_->callback;
    }
    if (cb) cb();
  }

 private:
  const std::shared_ptr<WatchFanout> fanout_;
  const std::shared_ptr<State> state_;
};

WatchFanout::WatchFanout(int64_t current_revision, int64_t compact_revision, size_t window_events,
                         PrepareHistoryRead prepare)
    : window_events_(window_events),
      prepare_(std::move(prepare)),
      published_(current_revision),
      compact_(compact_revision),
      window_base_(current_revision) {}

void WatchFanout::Fail(State* s, absl::Status status) {
  if (!s->status.ok()) return;
  s->status = std::move(status);
  s->queue.clear();
  s->queued_events = 0;
  s->cv.SignalAll();
}

bool WatchFanout::Append(State* s, const store::WatchEvent& e) {
  bool was_ready = s->Ready();
  Item it;
  it.revision = RevisionOf(e);
  it.event = e;
  if (!s->options.prev_kv) it.event.prev_kv.reset();
  s->queue.push_back(std::move(it));
  ++s->queued_events;
  if (s->queued_events > s->options.max_buffered_events) {
    Fail(s, absl::ResourceExhaustedError(absl::StrCat("watcher fell behind: more than ",
                                                      s->options.max_buffered_events,
                                                      " undelivered events")));
  }
  return !was_ready && s->Ready();
}

void WatchFanout::Notify(const std::vector<std::function<void()>>& fns) {
  for (const auto& fn : fns) fn();
}

void WatchFanout::Publish(std::vector<store::WatchEvent> events, int64_t revision) {
  std::vector<std::function<void()>> ready;
  {
    MutexLock lock(&mu_);
    published_ = std::max(published_, revision);
    for (const std::shared_ptr<State>& sp : states_) {
      State* s = sp.get();
      if (!s->status.ok()) continue;
      bool became_ready = false;
      for (const store::WatchEvent& e : events) {
        if (!s->range.Contains(e.kv.key)) continue;
        if (Append(s, e)) became_ready = true;
        if (!s->status.ok()) break;
      }
      if (became_ready || !s->status.ok()) {
        s->cv.SignalAll();
        if (s->callback) ready.push_back(s->callback);
      }
    }
    if (window_events_ == 0) {
      window_base_ = published_;
    } else {
      for (store::WatchEvent& e : events) window_.push_back(std::move(e));
      while (window_.size() > window_events_) {
        int64_t r = RevisionOf(window_.front());
        while (!window_.empty() && RevisionOf(window_.front()) == r) window_.pop_front();
        window_base_ = r;
      }
    }
  }
  Notify(ready);
}

void WatchFanout::SetCompactRevision(int64_t revision) {
  MutexLock lock(&mu_);
  compact_ = std::max(compact_, revision);
}

void WatchFanout::ProgressTick() {
  std::vector<std::function<void()>> ready;
  {
    MutexLock lock(&mu_);
    for (const std::shared_ptr<State>& sp : states_) {
      State* s = sp.get();
      if (!s->options.progress_notify || !s->status.ok() || s->replay_pending ||
          !s->queue.empty()) {
        continue;
      }
      Item it;
      it.progress = true;
      it.revision = published_;
      s->queue.push_back(std::move(it));
      s->cv.SignalAll();
      if (s->callback) ready.push_back(s->callback);
    }
  }
  Notify(ready);
}

void WatchFanout::Shutdown() {
  std::vector<std::function<void()>> ready;
  {
    MutexLock lock(&mu_);
    shutdown_ = true;
    for (const std::shared_ptr<State>& s : states_) {
      Fail(s.get(), absl::CancelledError("store closed"));
      if (s->callback) ready.push_back(s->callback);
    }
    states_.clear();
  }
  Notify(ready);
}

size_t WatchFanout::WatcherCountForTest() {
  MutexLock lock(&mu_);
  return states_.size();
}

absl::StatusOr<std::unique_ptr<store::Watcher>> WatchFanout::Watch(
    const store::KeyRange& range, const store::WatchOptions& options) {
  if (options.start_revision < 0) {
    return absl::InvalidArgumentError("start_revision: must not be negative");
  }
  auto state = std::make_shared<State>();
  state->range = range;
  state->options = options;
  HistoryRead read;
  {
    MutexLock lock(&mu_);
    if (shutdown_) return absl::UnavailableError("store closed");
    int64_t start = options.start_revision == 0 ? published_ + 1 : options.start_revision;
    if (start > published_ + 1) {
      return absl::OutOfRangeError(absl::StrCat(
          "start_revision ", start, " is in the future (current revision ", published_, ")"));
    }
    if (start < compact_) return store::CompactedError(compact_);
    if (start <= published_) {
      if (start > window_base_) {
        for (const store::WatchEvent& e : window_) {
          if (RevisionOf(e) < start || !range.Contains(e.kv.key)) continue;
          Item it;
          it.revision = RevisionOf(e);
          it.event = e;
          if (!options.prev_kv) it.event.prev_kv.reset();
          state->queue.push_back(std::move(it));
          ++state->queued_events;
        }
      } else {
        state->replay_pending = true;
        read = prepare_(start, published_, range, options.prev_kv);
      }
    }
    states_.insert(state);
  }
  if (read) {
    absl::StatusOr<std::vector<store::WatchEvent>> events = read();
    {
      MutexLock lock(&mu_);
      State* s = state.get();
      if (!events.ok()) {
        Fail(s, events.status());
        states_.erase(state);
        return events.status();
      }
      if (s->status.ok()) {
        std::deque<Item> replay;
        for (store::WatchEvent& e : *events) {
          Item it;
          it.revision = RevisionOf(e);
          it.event = std::move(e);
          replay.push_back(std::move(it));
        }
        s->queued_events += replay.size();
        s->queue.insert(s->queue.begin(), std::make_move_iterator(replay.begin()),
                        std::make_move_iterator(replay.end()));
        s->replay_pending = false;
        if (s->progress_requested) {
          Item it;
          it.progress = true;
          it.revision = published_;
          s->queue.push_back(std::move(it));
        }
      }
      s->cv.SignalAll();
    }
  }
  return std::unique_ptr<store::Watcher>(new WatcherImpl(shared_from_this(), std::move(state)));
}

void WatchFanout::Remove(const std::shared_ptr<State>& s) {
  MutexLock lock(&mu_);
  states_.erase(s);
}

}  // namespace rudder::store_internal::rocks
