// WatchHub: the watch fan-out every Store backend shares.
//
// A backend publishes its committed stream of (revision, events) to one hub, in revision
// order; the hub delivers it to any number of local watchers, each with its own key range,
// start revision, prev_kv choice and bounded buffer. Guarantees:
//  - Every watcher sees every event of its range from its start revision on, in revision order,
//    without gaps, never splitting a revision across responses.
//  - No thread and no copy of a value per watcher: a published revision becomes one immutable
//    batch. Watchers of the same key range form a group that appends the batch once to a log
//    that its members read at their own pace, so publishing costs O(matching groups), not
//    O(watchers): only members waiting for data are woken. Groups are indexed by exact key and
//    by prefix, so an event touches only the groups it matches (only ranges that are neither a
//    key nor a prefix are checked one by one).
//  - Replay: the hub keeps the last `history_events` events in memory. A watcher starting
//    before that window gets the older part from the backend's ReplaySource.
//  - A watcher whose undelivered events exceed its max_buffered_events is cut off with
//    ResourceExhausted; the others are unaffected. Groups check their members every
//    min(1024, max_buffered_events / 2) events, so a stuck watcher holds at most that many
//    more batches before it is cut off.
//  - Progress: RequestProgress() and, for progress_notify watchers, a periodic tick (one hub
//    thread for all watchers) yield responses with no events and the hub's revision.
//
// Thread-safe. Publish() is meant to be called with the backend's commit lock held (that is
// what orders revisions); it takes the hub's lock and each matched group's lock. Ready
// callbacks run with no hub lock held; a backend that defers them (DeferredCallbacks) runs them
// after its own lock too.
#ifndef RUDDER_LIB_STORE_INTERNAL_WATCH_HUB_H_
#define RUDDER_LIB_STORE_INTERNAL_WATCH_HUB_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/store/store.h"

namespace rudder::store_internal {

// The events of one committed revision, in the order the transaction applied them. Each event
// carries its prev_kv whenever the key existed before (the hub strips it for watchers that did
// not ask).
struct RevisionEvents {
  int64_t revision = 0;
  std::vector<store::WatchEvent> events;
};

// One published revision, shared read-only by every watcher it matches.
struct EventBatch {
  int64_t revision = 0;
  // Each event twice: with its prev_kv and without (the same object when it has none).
  std::vector<std::shared_ptr<const store::WatchEvent>> with_prev;
  std::vector<std::shared_ptr<const store::WatchEvent>> without_prev;
};

class WatcherState;
class WatchGroup;
struct HubShared;

// Ready callbacks that a Publish found due, run when this object is destroyed (or by Run()).
// A backend that publishes under its own lock declares one before taking the lock, so that the
// callbacks run after the lock is released and may call back into the store.
class DeferredCallbacks {
 public:
  DeferredCallbacks() = default;
  DeferredCallbacks(const DeferredCallbacks&) = delete;
  DeferredCallbacks& operator=(const DeferredCallbacks&) = delete;
  ~DeferredCallbacks() { Run(); }

  // Runs (and forgets) the callbacks due so far.
  void Run();

 private:
  friend class WatchHub;
  std::vector<std::shared_ptr<WatcherState>> due_;
};

class WatchHub {
 public:
  struct Options {
    // Time source of the progress ticker (borrowed). nullptr: Clock::Real().
    Clock* clock = nullptr;
    // Events kept in memory for replay; older replays go to the ReplaySource.
    size_t history_events = 10000;
    // Period of progress notifications to progress_notify watchers; zero disables them.
    absl::Duration progress_notify_interval = absl::Minutes(1);
  };

  // Returns the events of revisions [from, to] (inclusive) for keys in `range`, oldest first,
  // with prev_kv set where the key existed; IsCompacted() if `from` is below the compaction
  // point. Called without the hub's lock held, from the thread calling Watch().
  using ReplaySource = std::function<absl::StatusOr<std::vector<RevisionEvents>>(
      const store::KeyRange& range, int64_t from, int64_t to)>;

  // `revision` is the backend's current revision: events up to it are history the hub does not
  // hold. `replay` may be null (then watches from before the window fail IsCompacted()).
  WatchHub(Options options, int64_t revision, ReplaySource replay);
  // Ends every watcher with Cancelled. Watcher handles may outlive the hub.
  ~WatchHub();

  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Delivers the events of `revision`, which must be above every revision published so far
  // (FailedPrecondition otherwise). Publish a revision before acknowledging its write: Watch()
  // resolves start revision 0, and bounds explicit ones, by the hub's revision. An empty `events`
  // only advances the revision. Ready callbacks that become due run before Publish returns, or,
  // with `deferred`, when the caller destroys it.
  absl::Status Publish(int64_t revision, std::vector<store::WatchEvent> events,
                       DeferredCallbacks* deferred = nullptr);
  // Records that nothing happened up to `revision` (for progress notifications).
  void Advance(int64_t revision);

  // Whether any watcher is registered: a hint that lets a backend skip building events.
  bool watched() const { return watchers_live_.load(std::memory_order_acquire) > 0; }
  // Records `revision` without its events if no watcher is registered (later watches from it
  // go to the ReplaySource) and returns true; returns false, recording nothing, if a watcher
  // is, in which case the caller must Publish(revision, events). Same ordering rule as Publish.
  bool SkipIfUnwatched(int64_t revision);

  // Starts a watch. options.start_revision 0 means after the current revision. The caller
  // checks compaction against its own compaction point; the hub checks that the start is at
  // most one past its revision (OutOfRange otherwise).
  absl::StatusOr<std::unique_ptr<store::Watcher>> Watch(const store::KeyRange& range,
                                                        const store::WatchOptions& options);

  // Ends every watcher with `status` (e.g. Unavailable when an upstream broke). Pending events
  // are still delivered before the status. The hub accepts new watchers afterwards.
  void EndAll(const absl::Status& status);

  // The last revision published or advanced to.
  int64_t revision() const;
  // Live watchers (for tests and metrics).
  size_t watcher_count() const;

 private:
  using StatePtr = std::shared_ptr<WatcherState>;
  using GroupPtr = std::shared_ptr<WatchGroup>;

  void Register(const StatePtr& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unregister(WatcherState* state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  GroupPtr FindOrAddGroup(const store::KeyRange& range) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveGroup(WatchGroup* group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TickerLoop();

  const Options options_;
  Clock* const clock_;
  const ReplaySource replay_;
  // What watcher handles share with the hub (they may outlive it): the revision and the ids of
  // watchers ended by their consumers, unregistered lazily under mu_.
  const std::shared_ptr<HubShared> shared_;

  mutable Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Recent batches, oldest first; the hub holds every event of revisions > window_floor_.
  std::deque<std::shared_ptr<const EventBatch>> window_ ABSL_GUARDED_BY(mu_);
  size_t window_events_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t window_floor_ ABSL_GUARDED_BY(mu_);
  // Every live watcher. Watchers of the same key range form one group, which holds one log of
  // the batches they have yet to read; the indexes map keys, prefixes and other ranges to groups.
  absl::flat_hash_map<uint64_t, StatePtr> watchers_ ABSL_GUARDED_BY(mu_);
  std::atomic<size_t> watchers_live_{0};  // watchers_.size(), readable without mu_.
  absl::flat_hash_map<std::string, GroupPtr> by_key_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, GroupPtr> by_prefix_ ABSL_GUARDED_BY(mu_);
  std::map<size_t, size_t> prefix_lengths_ ABSL_GUARDED_BY(mu_);  // length -> groups
  std::map<std::pair<std::string, std::string>, GroupPtr> by_range_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<WatcherState*> progress_ ABSL_GUARDED_BY(mu_);
  std::vector<WatchGroup*> touched_ ABSL_GUARDED_BY(mu_);  // Scratch of Publish().

  Mutex ticker_mu_;
  CondVar ticker_cv_;
  bool stop_ ABSL_GUARDED_BY(ticker_mu_) = false;
  std::thread ticker_;
};

}  // namespace rudder::store_internal

#endif  // RUDDER_LIB_STORE_INTERNAL_WATCH_HUB_H_
