#include "lib/client/workqueue/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace rudder::workqueue {

TokenBucket::TokenBucket(double qps, int burst, Clock* clock)
    : qps_(qps),
      burst_(burst),
      clock_(clock != nullptr ? clock : Clock::Real()),
      tokens_(burst),
      last_(clock_->Now()) {}

absl::Duration TokenBucket::Take() {
  MutexLock lock(&mu_);
  absl::Time now = clock_->Now();
  if (now > last_) {
    if (qps_ > 0) tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return absl::ZeroDuration();
  if (qps_ <= 0) return absl::InfiniteDuration();
  // Whole nanoseconds, rounded up, so the token surely exists after the wait.
  return absl::Nanoseconds(static_cast<int64_t>(std::ceil(-tokens_ * 1e9 / qps_)));
}

}  // namespace rudder::workqueue
