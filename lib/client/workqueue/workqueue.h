// WorkQueue: the queue controllers pull keys from.
//
// Guarantees (those of client-go's workqueue):
//   * Fair: items are processed in the order in which they are added.
//   * Stingy: an item added many times before it is processed is processed only once.
//   * Exclusive: one item is never processed by two workers at the same time.
//   * Not lossy: an item added while it is being processed is processed again after Done().
//
// "Processing" an item means holding it between Get() and Done(). Every Get() that returns an
// item must be followed by exactly one Done() for it.
//
// Example (a worker loop):
//   workqueue::WorkQueue<std::string> queue({.name = "pods"});
//   queue.Add("default/web-0");
//   while (std::optional<std::string> key = queue.Get()) {
//     Reconcile(*key);
//     queue.Done(*key);
//   }
#ifndef RUDDER_LIB_CLIENT_WORKQUEUE_WORKQUEUE_H_
#define RUDDER_LIB_CLIENT_WORKQUEUE_WORKQUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/workqueue/internal/queue_metrics.h"
#include "lib/client/workqueue/metrics.h"

namespace rudder::workqueue {

// How a queue is built. Pointers are borrowed and must outlive the queue.
struct QueueOptions {
  // Labels the queue's metrics; an empty name reports no metrics.
  std::string name;
  // The source of time; null means Clock::Real().
  Clock* clock = nullptr;
  // Where metrics go; null reports none.
  MetricsProvider* metrics_provider = nullptr;
  // How often the unfinished-work and longest-running gauges are refreshed (on `clock`) while
  // metrics are enabled.
  absl::Duration unfinished_work_update_period = absl::Milliseconds(500);
};

// A FIFO work queue of distinct items of type T (copyable, hashable with absl::Hash or `Hash`).
// Thread-safe: any number of producers and workers may use it concurrently. Destroying the queue
// shuts it down; no call may be in progress then.
template <typename T, typename Hash = absl::Hash<T>, typename Eq = std::equal_to<T>>
class WorkQueue {
 public:
  explicit WorkQueue(QueueOptions options = {})
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
        fake_(FakeClock::From(clock_)),
        metrics_(options_.name, options_.metrics_provider, clock_) {
    if (metrics_.enabled()) {
      // The first deadline is fixed here, so time that passes before the thread runs counts.
      absl::Time first = clock_->Now() + options_.unfinished_work_update_period;
      updater_ = std::thread([this, first] { UpdateLoop(first); });
    }
  }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  virtual ~WorkQueue() {
    WorkQueue::ShutDown();
    if (updater_.joinable()) updater_.join();
    MutexLock lock(&mu_);
    CountWork(-static_cast<int64_t>(dirty_.size() + processing_.size()));
  }

  // Marks `item` as needing processing. Does nothing if the item is already waiting, or if the
  // queue is shutting down. If the item is being processed, it is queued again on Done().
  void Add(const T& item) {
    MutexLock lock(&mu_);
    if (shutting_down_) return;
    if (dirty_.contains(item)) return;
    metrics_.Add(item);
    dirty_.insert(item);
    CountWork(1);
    if (processing_.contains(item)) return;
    queue_.push_back(item);
    cv_.Signal();
  }

  // Blocks until an item is available and returns it, now marked as being processed; the caller
  // must call Done(item) when finished. Returns nullopt once the queue is shutting down and empty.
  std::optional<T> Get() {
    MutexLock lock(&mu_);
    while (queue_.empty() && !shutting_down_) cv_.Wait(&mu_);
    if (queue_.empty()) return std::nullopt;
    T item = std::move(queue_.front());
    queue_.pop_front();
    metrics_.Get(item);
    processing_.insert(item);
    dirty_.erase(item);  // Moves from waiting to processing: the work count is unchanged.
    return item;
  }

  // Marks `item` as processed. If it was added again meanwhile, it is queued once more.
  void Done(const T& item) {
    MutexLock lock(&mu_);
    metrics_.Done(item);
    if (processing_.erase(item) > 0) CountWork(-1);
    if (dirty_.contains(item)) {
      queue_.push_back(item);
      cv_.Signal();
    } else if (processing_.empty()) {
      drain_cv_.SignalAll();  // A draining ShutDownWithDrain may be waiting.
    }
  }

  // The number of items waiting to be handed out by Get (not counting items being processed).
  size_t Len() const {
    MutexLock lock(&mu_);
    return queue_.size();
  }

  // Stops accepting items and wakes every blocked Get. Items already queued are still handed
  // out; Get returns nullopt once none are left.
  virtual void ShutDown() {
    MutexLock lock(&mu_);
    drain_ = false;
    shutting_down_ = true;
    cv_.SignalAll();
    drain_cv_.SignalAll();
    update_cv_.SignalAll();
  }

  // Like ShutDown, and then blocks until every item being processed is Done. The caller must not
  // itself hold an item, or it waits forever.
  virtual void ShutDownWithDrain() {
    MutexLock lock(&mu_);
    drain_ = true;
    shutting_down_ = true;
    cv_.SignalAll();
    update_cv_.SignalAll();
    while (drain_ && !processing_.empty()) drain_cv_.Wait(&mu_);
  }

  // True once ShutDown or ShutDownWithDrain has been called.
  bool ShuttingDown() const {
    MutexLock lock(&mu_);
    return shutting_down_;
  }

  // Refreshes the unfinished-work and longest-running-processor gauges. The queue does this
  // every `unfinished_work_update_period`; tests may call it directly.
  void UpdateUnfinishedWorkMetrics() {
    MutexLock lock(&mu_);
    metrics_.UpdateUnfinishedWork();
  }

 protected:
  Clock* clock() const { return clock_; }
  // Counts a delayed add in the retries metric.
  void RecordRetry() {
    MutexLock lock(&mu_);
    metrics_.Retry();
  }

 private:
  // On a FakeClock, every item waiting or being processed counts as work in flight (see
  // FakeClock::AddWork), so a test knows when the queue has nothing left to do.
  void CountWork(int64_t delta) {
    if (fake_ != nullptr && delta != 0) fake_->AddWork(delta);
  }

  void UpdateLoop(absl::Time next) {
    MutexLock lock(&mu_);
    while (!shutting_down_) {
      if (clock_->WaitUntil(&update_cv_, &mu_, next) || clock_->Now() >= next) {
        metrics_.UpdateUnfinishedWork();
        next = clock_->Now() + options_.unfinished_work_update_period;
      }
    }
  }

  const QueueOptions options_;
  Clock* const clock_;
  FakeClock* const fake_;  // clock_ when it is a FakeClock, else null.
  mutable Mutex mu_;
  CondVar cv_;         // Signalled when an item is queued (and on shutdown).
  CondVar drain_cv_;   // Signalled when nothing is being processed (and on shutdown).
  CondVar update_cv_;  // Signalled on shutdown, for the metrics updater.
  std::deque<T> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<T, Hash, Eq> dirty_ ABSL_GUARDED_BY(mu_);       // Needs processing.
  absl::flat_hash_set<T, Hash, Eq> processing_ ABSL_GUARDED_BY(mu_);  // Between Get and Done.
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool drain_ ABSL_GUARDED_BY(mu_) = false;
  workqueue_internal::QueueMetrics<T, Hash, Eq> metrics_ ABSL_GUARDED_BY(mu_);
  std::thread updater_;
};

}  // namespace rudder::workqueue

#endif  // RUDDER_LIB_CLIENT_WORKQUEUE_WORKQUEUE_H_
