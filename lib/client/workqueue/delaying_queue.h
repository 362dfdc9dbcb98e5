// DelayingQueue: a WorkQueue that can also add an item after a delay.
//
// One waiting thread per queue keeps delayed items in a heap ordered by ready time and sleeps on
// the queue's Clock until the earliest is due, so a FakeClock drives it in tests. An item
// delayed several times before it is due is added once, at the earliest of its ready times.
//
// Example:
//   workqueue::DelayingQueue<std::string> queue({.name = "jobs"});
//   queue.AddAfter("default/cleanup", absl::Seconds(30));  // Get returns it in 30 s.
#ifndef RUDDER_LIB_CLIENT_WORKQUEUE_DELAYING_QUEUE_H_
#define RUDDER_LIB_CLIENT_WORKQUEUE_DELAYING_QUEUE_H_

#include <cstdint>
#include <functional>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/workqueue/workqueue.h"

namespace rudder::workqueue {

// A WorkQueue with AddAfter. Thread-safe; owns its waiting thread, which stops on shutdown or
// destruction. Items still waiting for their delay at shutdown are dropped.
template <typename T, typename Hash = absl::Hash<T>, typename Eq = std::equal_to<T>>
class DelayingQueue : public WorkQueue<T, Hash, Eq> {
 public:
  explicit DelayingQueue(QueueOptions options = {})
      : WorkQueue<T, Hash, Eq>(std::move(options)), waiter_([this] { WaitLoop(); }) {}
  ~DelayingQueue() override {
    StopWaiting();
    waiter_.join();
  }

  // Adds `item` once `delay` has passed on the queue's clock; a delay <= 0 adds it now.
  // If the item is already waiting with an earlier ready time, this does nothing; with a later
  // one, the ready time moves earlier. Ignored while shutting down.
  void AddAfter(const T& item, absl::Duration delay) {
    if (this->ShuttingDown()) return;
    this->RecordRetry();
    if (delay <= absl::ZeroDuration()) {
      this->Add(item);
      return;
    }
    absl::Time ready = this->clock()->Now() + delay;
    MutexLock lock(&mu_);
    if (stopping_) return;
    auto [it, inserted] = ready_at_.try_emplace(item, ready);
    if (!inserted) {
      if (it->second <= ready) return;
      Hold(ready);
      Release(it->second);
      it->second = ready;  // The older heap entry becomes stale and is skipped when popped.
    } else {
      Hold(ready);
    }
    bool earliest = heap_.empty() || ready < heap_.top().ready;
    heap_.push(Entry{ready, next_seq_++, item});
    if (earliest) cv_.Signal();
  }

  // The number of items waiting for their delay to pass.
  size_t NumWaitingForTest() const {
    MutexLock lock(&mu_);
    return ready_at_.size();
  }

  void ShutDown() override {
    StopWaiting();
    WorkQueue<T, Hash, Eq>::ShutDown();
  }
  void ShutDownWithDrain() override {
    StopWaiting();
    WorkQueue<T, Hash, Eq>::ShutDownWithDrain();
  }

 private:
  struct Entry {
    absl::Time ready;
    uint64_t seq;  // Breaks ties in insertion order.
    T item;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.ready != b.ready ? a.ready > b.ready : a.seq > b.seq;
    }
  };

  void StopWaiting() {
    MutexLock lock(&mu_);
    stopping_ = true;
    for (const auto& [item, ready] : ready_at_) Release(ready);
    ready_at_.clear();  // Dropped: their heap entries are stale now.
    cv_.SignalAll();
  }

  // On a FakeClock, a delayed item holds its ready time (FakeClock::HoldDeadline): once the
  // time comes it counts as in flight until it is in the queue (and counted there).
  void Hold(absl::Time ready) {
    if (fake_ != nullptr) fake_->HoldDeadline(ready);
  }
  void Release(absl::Time ready) {
    if (fake_ != nullptr) fake_->ReleaseDeadline(ready);
  }

  // Moves due items into the queue, then sleeps until the earliest remaining one is due or
  // AddAfter brings an earlier one.
  void WaitLoop() {
    MutexLock lock(&mu_);
    while (!stopping_) {
      absl::Time now = this->clock()->Now();
      while (!heap_.empty() && heap_.top().ready <= now) {
        Entry e = heap_.top();
        heap_.pop();
        auto it = ready_at_.find(e.item);
        if (it == ready_at_.end() || it->second != e.ready) continue;  // Stale entry.
        ready_at_.erase(it);
        this->Add(e.item);  // Lock order: mu_ before the queue's own lock.
        Release(e.ready);   // After the Add: the item is counted there now.
      }
      if (heap_.empty()) {
        cv_.Wait(&mu_);
      } else {
        this->clock()->WaitUntil(&cv_, &mu_, heap_.top().ready);
      }
    }
  }

  FakeClock* const fake_ = FakeClock::From(this->clock());
  mutable Mutex mu_;
  CondVar cv_;
  std::priority_queue<Entry, std::vector<Entry>, Later> heap_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<T, absl::Time, Hash, Eq> ready_at_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread waiter_;  // Declared last: starts after the fields above exist.
};

}  // namespace rudder::workqueue

#endif  // RUDDER_LIB_CLIENT_WORKQUEUE_DELAYING_QUEUE_H_
