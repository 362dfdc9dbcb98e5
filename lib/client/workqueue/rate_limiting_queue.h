// RateLimitingQueue: a DelayingQueue that retries items after a RateLimiter's delay.
//
// Example (a controller's worker):
//   workqueue::RateLimitingQueue<std::string> queue(
//       workqueue::DefaultControllerRateLimiter<std::string>(), {.name = "deployments"});
//   while (std::optional<std::string> key = queue.Get()) {
//     if (Reconcile(*key).ok()) queue.Forget(*key); else queue.AddRateLimited(*key);
//     queue.Done(*key);
//   }
#ifndef RUDDER_LIB_CLIENT_WORKQUEUE_RATE_LIMITING_QUEUE_H_
#define RUDDER_LIB_CLIENT_WORKQUEUE_RATE_LIMITING_QUEUE_H_

#include <memory>
#include <utility>

#include "lib/client/workqueue/delaying_queue.h"
#include "lib/client/workqueue/rate_limiter.h"

namespace rudder::workqueue {

// A DelayingQueue with per-item rate-limited retries. Thread-safe; owns its limiter.
template <typename T, typename Hash = absl::Hash<T>, typename Eq = std::equal_to<T>>
class RateLimitingQueue : public DelayingQueue<T, Hash, Eq> {
 public:
  RateLimitingQueue(std::unique_ptr<RateLimiter<T>> limiter, QueueOptions options = {})
      : DelayingQueue<T, Hash, Eq>(std::move(options)), limiter_(std::move(limiter)) {}

  // Adds `item` after the delay the rate limiter gives it.
  void AddRateLimited(const T& item) { this->AddAfter(item, limiter_->When(item)); }
  // Resets the item's back-off; call when it was processed successfully. Does not remove it
  // from the queue.
  void Forget(const T& item) { limiter_->Forget(item); }
  // How many times the item has been rate-limited since it was last forgotten.
  int NumRequeues(const T& item) { return limiter_->NumRequeues(item); }

 private:
  const std::unique_ptr<RateLimiter<T>> limiter_;
};

}  // namespace rudder::workqueue

#endif  // RUDDER_LIB_CLIENT_WORKQUEUE_RATE_LIMITING_QUEUE_H_
