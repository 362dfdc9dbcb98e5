#include "lib/base/clock.h"

#include "absl/time/clock.h"

namespace rudder {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool WaitUntil(CondVar* cv, Mutex* mu, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return true;
    cv->WaitWithTimeout(mu, left);
    return absl::Now() >= deadline;
  }
};

}  // namespace

Clock* Clock::Real() {
  static RealClock* const clock = new RealClock();
  return clock;
}

void Clock::SleepUntil(absl::Time deadline) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  while (!WaitUntil(&cv, &mu, deadline)) {
  }
}

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  MutexLock lock(&mu_);
  return now_;
}

bool FakeClock::WaitUntil(CondVar* cv, Mutex* mu, absl::Time deadline) {
  if (Now() >= deadline) return true;
  // A real wake-up (signal) returns at once; otherwise re-check the fake time shortly.
  bool timed_out = cv->WaitWithTimeout(mu, absl::Milliseconds(1));
  return timed_out && Now() >= deadline;
}

void FakeClock::Advance(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  MutexLock lock(&mu_);
  now_ += d;
}

void FakeClock::SetTime(absl::Time t) {
  MutexLock lock(&mu_);
  if (t > now_) now_ = t;
}

}  // namespace rudder
