#include "lib/base/clock.h"

#include "absl/strings/str_cat.h"
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
  std::multimap<absl::Time, Waiter>::iterator self;
  {
    MutexLock lock(&mu_);
    if (now_ >= deadline) return true;
    // Registered while `mu` is held, so an Advance that makes it due counts it from then on
    // until it leaves below.
    self = waiters_.emplace(deadline, Waiter{cv});
  }
  // A signal (from the caller's code, or from Advance) returns at once; otherwise re-check
  // the fake time shortly, in case Advance's signal came before the wait began.
  cv->WaitWithTimeout(mu, absl::Milliseconds(1));
  MutexLock lock(&mu_);
  waiters_.erase(self);
  return now_ >= deadline;
}

void FakeClock::Advance(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  MutexLock lock(&mu_);
  now_ += d;
  for (auto it = waiters_.begin(); it != waiters_.end() && it->first <= now_; ++it) {
    it->second.cv->SignalAll();
  }
}

void FakeClock::SetTime(absl::Time t) {
  MutexLock lock(&mu_);
  if (t <= now_) return;
  now_ = t;
  for (auto it = waiters_.begin(); it != waiters_.end() && it->first <= now_; ++it) {
    it->second.cv->SignalAll();
  }
}

FakeClock* FakeClock::From(Clock* clock) { return dynamic_cast<FakeClock*>(clock); }

void FakeClock::AddWork(int64_t delta) { work_.fetch_add(delta, std::memory_order_acq_rel); }

void FakeClock::HoldDeadline(absl::Time t) {
  MutexLock lock(&mu_);
  ++held_[t];
}

void FakeClock::ReleaseDeadline(absl::Time t) {
  MutexLock lock(&mu_);
  auto it = held_.find(t);
  if (it == held_.end()) return;
  if (--it->second == 0) held_.erase(it);
}

int64_t FakeClock::DueLocked(int64_t* deadlines, int64_t* waiters) const {
  *deadlines = 0;
  *waiters = 0;
  for (auto it = held_.begin(); it != held_.end() && it->first <= now_; ++it) {
    *deadlines += it->second;
  }
  for (auto it = waiters_.begin(); it != waiters_.end() && it->first <= now_; ++it) ++*waiters;
  return *deadlines + *waiters;
}

int64_t FakeClock::InFlight() const {
  int64_t deadlines, waiters;
  MutexLock lock(&mu_);
  return DueLocked(&deadlines, &waiters) + work_.load(std::memory_order_acquire);
}

std::string FakeClock::InFlightSummary() const {
  int64_t deadlines, waiters;
  MutexLock lock(&mu_);
  DueLocked(&deadlines, &waiters);
  return absl::StrCat("work ", work_.load(std::memory_order_acquire), ", due deadlines ", deadlines,
                      ", due waiters ", waiters);
}

}  // namespace rudder
