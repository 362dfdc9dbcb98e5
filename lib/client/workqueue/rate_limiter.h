// Rate limiters: how long to wait before an item is retried.
//
// Example (the default a controller uses):
//   auto limiter = workqueue::DefaultControllerRateLimiter<std::string>();
//   absl::Duration wait = limiter->When("default/web");  // 5ms, then 10ms, 20ms, ...
//   limiter->Forget("default/web");                       // after a success
#ifndef RUDDER_LIB_CLIENT_WORKQUEUE_RATE_LIMITER_H_
#define RUDDER_LIB_CLIENT_WORKQUEUE_RATE_LIMITER_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"

namespace rudder::workqueue {

// Decides the delay before each retry of an item. Implementations are thread-safe.
template <typename T>
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Records a retry of `item` and returns how long to wait before it.
  virtual absl::Duration When(const T& item) = 0;
  // Stops tracking `item` (call after it succeeded); its back-off starts over.
  virtual void Forget(const T& item) = 0;
  // How many times `item` has been retried since it was last forgotten.
  virtual int NumRequeues(const T& item) = 0;
};

// A token bucket on a Clock, like golang.org/x/time/rate's Reserve: it starts full with `burst`
// tokens, refills at `qps` per second, and each Take() removes one token, returning how long the
// caller must wait until that token exists. Thread-safe.
class TokenBucket {
 public:
  // `clock` is borrowed (null means Clock::Real()). qps <= 0 never refills.
  TokenBucket(double qps, int burst, Clock* clock = nullptr);
  absl::Duration Take();

 private:
  const double qps_;
  const double burst_;
  Clock* const clock_;
  Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

// Per-item exponential back-off: base * 2^(retries so far), capped at `max_delay`.
template <typename T, typename Hash = absl::Hash<T>, typename Eq = std::equal_to<T>>
class ItemExponentialFailureRateLimiter : public RateLimiter<T> {
 public:
  explicit ItemExponentialFailureRateLimiter(absl::Duration base = absl::Milliseconds(5),
                                             absl::Duration max_delay = absl::Seconds(1000))
      : base_(base), max_(max_delay) {}

  absl::Duration When(const T& item) override {
    MutexLock lock(&mu_);
    int exp = failures_[item]++;
    // Past 2^62 the product overflows any duration we care about; cap early.
    if (exp >= 62) return max_;
    absl::Duration d = base_ * (int64_t{1} << exp);
    return std::min(d, max_);
  }
  void Forget(const T& item) override {
    MutexLock lock(&mu_);
    failures_.erase(item);
  }
  int NumRequeues(const T& item) override {
    MutexLock lock(&mu_);
    auto it = failures_.find(item);
    return it == failures_.end() ? 0 : it->second;
  }

 private:
  const absl::Duration base_;
  const absl::Duration max_;
  Mutex mu_;
  absl::flat_hash_map<T, int, Hash, Eq> failures_ ABSL_GUARDED_BY(mu_);
};

// An overall (not per-item) token bucket: qps 10 and burst 100 by default. Tracks no items.
template <typename T>
class BucketRateLimiter : public RateLimiter<T> {
 public:
  explicit BucketRateLimiter(double qps = 10, int burst = 100, Clock* clock = nullptr)
      : bucket_(qps, burst, clock) {}
  absl::Duration When(const T&) override { return bucket_.Take(); }
  void Forget(const T&) override {}
  int NumRequeues(const T&) override { return 0; }

 private:
  TokenBucket bucket_;
};

// The longest delay of several limiters (each one records every retry).
template <typename T>
class MaxOfRateLimiter : public RateLimiter<T> {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter<T>>> limiters)
      : limiters_(std::move(limiters)) {}
  absl::Duration When(const T& item) override {
    absl::Duration d = absl::ZeroDuration();
    for (auto& l : limiters_) d = std::max(d, l->When(item));
    return d;
  }
  void Forget(const T& item) override {
    for (auto& l : limiters_) l->Forget(item);
  }
  int NumRequeues(const T& item) override {
    int n = 0;
    for (auto& l : limiters_) n = std::max(n, l->NumRequeues(item));
    return n;
  }

 private:
  const std::vector<std::unique_ptr<RateLimiter<T>>> limiters_;
};

// The controller default: the longer of per-item exponential back-off (5 ms to 1000 s) and an
// overall token bucket (10 qps, burst 100) on `clock` (null means Clock::Real()).
template <typename T>
std::unique_ptr<RateLimiter<T>> DefaultControllerRateLimiter(Clock* clock = nullptr) {
  std::vector<std::unique_ptr<RateLimiter<T>>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialFailureRateLimiter<T>>(absl::Milliseconds(5),
                                                                            absl::Seconds(1000)));
  limiters.push_back(std::make_unique<BucketRateLimiter<T>>(10, 100, clock));
  return std::make_unique<MaxOfRateLimiter<T>>(std::move(limiters));
}

}  // namespace rudder::workqueue

#endif  // RUDDER_LIB_CLIENT_WORKQUEUE_RATE_LIMITER_H_
