// Clock: the source of time for everything in Rudder that waits or expires.
//
// Production code takes a `Clock*` (borrowed; it must outlive its users) instead of reading the
// system clock, so tests can run on a FakeClock that they advance by hand: leases, back-off,
// requeue-after and probes then happen at exactly the fake instants, without sleeping.
// All implementations are thread-safe.
#ifndef RUDDER_LIB_BASE_CLOCK_H_
#define RUDDER_LIB_BASE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "lib/base/mutex.h"

namespace rudder {

class Clock {
 public:
  virtual ~Clock() = default;

  // The current time.
  virtual absl::Time Now() const = 0;

  // Waits on `cv` (with `mu` held) until it is signalled or Now() reaches `deadline`.
  // Returns true if the deadline was reached. Like CondVar::Wait, it may wake early: callers
  // loop on their predicate and the deadline.
  virtual bool WaitUntil(CondVar* cv, Mutex* mu, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;

  // Blocks the calling thread until Now() >= deadline.
  void SleepUntil(absl::Time deadline);

  // The process-wide real-time clock.
  static Clock* Real();
};

// A clock that only moves when told to. Waiters re-check the fake time at least every
// millisecond of real time, so Advance() needs no cooperation from them.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000));

  absl::Time Now() const override;
  bool WaitUntil(CondVar* cv, Mutex* mu, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override;

  // Moves the time forward by `d` (negative durations are ignored).
  void Advance(absl::Duration d);
  // Sets the time; it never moves backwards.
  void SetTime(absl::Time t);

 private:
  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder

#endif  // RUDDER_LIB_BASE_CLOCK_H_
