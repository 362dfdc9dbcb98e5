// The event queue behind remote watchers: a reader thread pushes decoded events, the consumer
// pops them with ObjectWatcher::Next's timeout. Thread-safe.
#ifndef RUDDER_LIB_CLIENT_REST_INTERNAL_EVENT_QUEUE_H_
#define RUDDER_LIB_CLIENT_REST_INTERNAL_EVENT_QUEUE_H_

#include <deque>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/mutex.h"

namespace rudder::client::internal {

class EventQueue {
 public:
  // Queues `e`. Ignored once the queue is closed; an ERROR event closes it.
  void Push(apiserver::ObjectEvent e) {
    MutexLock l(&mu_);
    if (closed_) return;
    if (e.type == "ERROR") closed_ = true;
    events_.push_back(std::move(e));
    cv_.Signal();
  }
  // No more events: Next drains what is queued, then returns nullopt at once.
  void Close() {
    MutexLock l(&mu_);
    closed_ = true;
    cv_.SignalAll();
  }
  bool closed() {
    MutexLock l(&mu_);
    return closed_;
  }
  // The next event, or nullopt when none arrives within `timeout` or the queue is closed
  // and empty.
  std::optional<apiserver::ObjectEvent> Next(absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    MutexLock l(&mu_);
    while (events_.empty() && !closed_) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return std::nullopt;
      cv_.WaitWithTimeout(&mu_, left);
    }
    if (events_.empty()) return std::nullopt;
    apiserver::ObjectEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::deque<apiserver::ObjectEvent> events_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rudder::client::internal

#endif  // RUDDER_LIB_CLIENT_REST_INTERNAL_EVENT_QUEUE_H_
