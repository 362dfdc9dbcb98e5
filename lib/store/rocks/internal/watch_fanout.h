// WatchFanout: delivers committed events to RocksStore's watchers.
//
// The store publishes every committed revision's events, in revision order, with Publish(). The
// fan-out keeps the most recent events in a bounded in-memory window; a watch whose start
// revision is inside the window is replayed from it, an older one from durable history through a
// caller-supplied reader. Every watcher then receives each matching event exactly once, in
// revision order. Thread-safe; Watchers it returns may outlive it (they end Cancelled).
#ifndef RUDDER_LIB_STORE_ROCKS_INTERNAL_WATCH_FANOUT_H_
#define RUDDER_LIB_STORE_ROCKS_INTERNAL_WATCH_FANOUT_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "lib/base/mutex.h"
#include "lib/store/store.h"

namespace rudder::store_internal::rocks {

class WatchFanout : public std::enable_shared_from_this<WatchFanout> {
 public:
  // Reads the events of revisions [from, to] in `range` from durable history (prev_kv filled
  // when asked). Prepared under the fan-out's lock (so it can pin a consistent snapshot), run
  // outside it.
  using HistoryRead = std::function<absl::StatusOr<std::vector<store::WatchEvent>>()>;
  using PrepareHistoryRead = std::function<HistoryRead(int64_t from, int64_t to,
                                                       const store::KeyRange& range, bool prev_kv)>;

  // `current_revision` is the last committed revision; `window_events` bounds the in-memory
  // window (whole revisions are evicted).
  WatchFanout(int64_t current_revision, int64_t compact_revision, size_t window_events,
              PrepareHistoryRead prepare);

  // Publishes the events of committed revisions up to `revision` (every event's revision is
  // its kv.mod_revision; prev_kv set when the key existed).
  void Publish(std::vector<store::WatchEvent> events, int64_t revision);
  // Records a new compaction point (watches starting below it then fail).
  void SetCompactRevision(int64_t revision);
  // Sends a progress notification to every idle watcher that asked for them.
  void ProgressTick();
  // Ends every watch with Cancelled; later watches fail Unavailable.
  void Shutdown();

  absl::StatusOr<std::unique_ptr<store::Watcher>> Watch(const store::KeyRange& range,
                                                        const store::WatchOptions& options);

  // The number of live watchers.
  size_t WatcherCountForTest();

 private:
  struct State;
  class WatcherImpl;
  friend class WatcherImpl;

  struct Item {
    bool progress = false;  // A progress marker at `revision`, else an event.
    int64_t revision = 0;
    store::WatchEvent event;
  };

  void Remove(const std::shared_ptr<State>& s);
  // Appends an event to a state, checking the buffer bound. Returns true if it became ready.
  bool Append(State* s, const store::WatchEvent& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(State* s, absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Notify(const std::vector<std::function<void()>>& fns);

  const size_t window_events_;
  const PrepareHistoryRead prepare_;

  Mutex mu_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  int64_t published_ ABSL_GUARDED_BY(mu_);
  int64_t compact_ ABSL_GUARDED_BY(mu_);
  // Every event of a revision > window_base_ is in window_.
  int64_t window_base_ ABSL_GUARDED_BY(mu_);
  std::deque<store::WatchEvent> window_ ABSL_GUARDED_BY(mu_);
  std::set<std::shared_ptr<State>> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::store_internal::rocks

#endif  // RUDDER_LIB_STORE_ROCKS_INTERNAL_WATCH_FANOUT_H_
