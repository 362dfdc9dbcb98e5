#include "lib/base/clock.h"

#include "absl/container/flat_hash_map.h"
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

namespace {

// FakeClocks alive, by id: a thread's hold may outlive its clock, and is then dropped quietly.
Mutex& LiveClocksMu() {
  static Mutex* const mu = new Mutex();
  return *mu;
}
absl::flat_hash_map<uint64_t, FakeClock*>& LiveClocks()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(LiveClocksMu()) {
  static auto* const clocks = new absl::flat_hash_map<uint64_t, FakeClock*>();
  return *clocks;
}
std::atomic<uint64_t> next_clock_id{1};

}  // namespace

// The calling thread's hold: the clock (by id) and deadline of its last WaitUntil on a
// FakeClock, counted in that clock's resumed_ until the thread waits again or exits.
class FakeClockThreadHold final : public base_internal::ThreadWaitHook {
 public:
  static FakeClockThreadHold& Mine() {
    thread_local FakeClockThreadHold hold;
    return hold;
  }
  ~FakeClockThreadHold() { Release(); }

  void BeforeWait() override { Release(); }

  // Drops the hold, wherever it is.
  void Release() {
    if (clock_id_ == 0) return;
    uint64_t id = clock_id_;
    Clear();
    MutexLock lock(&LiveClocksMu());
    auto it = LiveClocks().find(id);
    if (it != LiveClocks().end()) it->second->ForgetResumed(deadline_);
  }
  // Drops a hold on `clock` (whose mu_ is held); holds elsewhere must be released first.
  void DropLocked(FakeClock* clock) ABSL_EXCLUSIVE_LOCKS_REQUIRED(clock->mu_) {
    if (clock_id_ != clock->id_) return;
    Clear();
    clock->ForgetResumedLocked(deadline_);
  }
  // Takes a hold on `clock` at `deadline`; the thread holds nothing before.
  void TakeLocked(FakeClock* clock, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(clock->mu_) {
    ++clock->resumed_[deadline];
    clock_id_ = clock->id_;
    deadline_ = deadline;
    base_internal::thread_wait_hook = this;
  }
  bool HoldsOther(const FakeClock* clock) const {
    return clock_id_ != 0 && clock_id_ != clock->id_;
  }

 private:
  void Clear() {
    clock_id_ = 0;
    base_internal::thread_wait_hook = nullptr;
  }
  uint64_t clock_id_ = 0;
  absl::Time deadline_;
};

FakeClock::FakeClock(absl::Time start) : id_(next_clock_id++), now_(start) {
  MutexLock lock(&LiveClocksMu());
  LiveClocks()[id_] = this;
}

FakeClock::~FakeClock() {
  MutexLock lock(&LiveClocksMu());
  LiveClocks().erase(id_);
}

void FakeClock::ReleaseThreadHold() { FakeClockThreadHold::Mine().Release(); }

void FakeClock::ForgetResumed(absl::Time deadline) {
  MutexLock lock(&mu_);
  ForgetResumedLocked(deadline);
}

void FakeClock::ForgetResumedLocked(absl::Time deadline) {
  auto it = resumed_.find(deadline);
  if (it == resumed_.end()) return;
  if (--it->second == 0) resumed_.erase(it);
}

absl::Time FakeClock::Now() const {
  MutexLock lock(&mu_);
  return now_;
}

bool FakeClock::WaitUntil(CondVar* cv, Mutex* mu, absl::Time deadline) {
  FakeClockThreadHold& hold = FakeClockThreadHold::Mine();
  if (hold.HoldsOther(this)) hold.Release();
  std::multimap<absl::Time, Waiter>::iterator self;
  {
    MutexLock lock(&mu_);
    // The thread's previous hold on this clock becomes this wait, in one step.
    hold.DropLocked(this);
    if (now_ >= deadline) {
      hold.TakeLocked(this, deadline);
      return true;
    }
    // Registered while `mu` is held, so an Advance that makes it due counts it from then on.
    self = waiters_.emplace(deadline, Waiter{cv});
  }
  // A signal (from the caller's code, or from Advance) returns at once; otherwise re-check
  // the fake time shortly, in case Advance's signal came before the wait began. The thread
  // holds nothing now, so the wait runs no hook.
  cv->WaitWithTimeout(mu, absl::Milliseconds(1));
  MutexLock lock(&mu_);
  waiters_.erase(self);
  // Held also when not due yet: if the time reaches the deadline before the caller waits
  // again, the caller is about to act on it.
  hold.TakeLocked(this, deadline);
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
  for (auto it = resumed_.begin(); it != resumed_.end() && it->first <= now_; ++it) {
    *waiters += it->second;
  }
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
