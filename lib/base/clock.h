// Clock: the source of time for everything in Rudder that waits or expires.
//
// Production code takes a `Clock*` (borrowed; it must outlive its users) instead of reading the
// system clock, so tests can run on a FakeClock that they advance by hand: leases, back-off,
// requeue-after and probes then happen at exactly the fake instants, without sleeping.
// All implementations are thread-safe.
#ifndef RUDDER_LIB_BASE_CLOCK_H_
#define RUDDER_LIB_BASE_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

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

// A clock that only moves when told to. Advance() wakes the waiters it makes due; waiters
// also re-check the fake time at least every millisecond of real time, so Advance() needs no
// cooperation from them.
//
// A FakeClock also keeps the books a test needs to know, exactly, when nothing is in flight
// (TestCluster's quiescence): InFlight() adds up
//   * work that code running on the clock reports with AddWork (queued items, events being
//     handed to handlers, and so on);
//   * deadlines held with HoldDeadline (a delayed queue item) that the fake time has reached;
//   * threads whose WaitUntil deadline the fake time has reached, from then until the thread
//     waits again: still in WaitUntil, or returned and doing what the deadline was for. A
//     thread's next wait on any CondVar (or on a clock), ReleaseThreadHold() or its exit ends
//     this hold, so whatever the thread did at its deadline has been done or handed on by then.
// Code finds out whether its Clock is a FakeClock with FakeClock::From(clock).
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

  // `clock` as a FakeClock, or nullptr when it is another kind of clock (or null).
  static FakeClock* From(Clock* clock);

  // Adds `delta` (which may be negative) to the work reported as in flight. Every unit
  // added must be taken back once the work is done or handed on (hand on first: count the
  // next holder before releasing).
  void AddWork(int64_t delta);
  // Holds a deadline: from the moment the fake time reaches `t` until ReleaseDeadline(t),
  // it counts as in flight (something is due and not yet handled). Every hold is released
  // exactly once, with the same `t`.
  void HoldDeadline(absl::Time t);
  void ReleaseDeadline(absl::Time t);

  // Reported work + held deadlines reached + threads at a due deadline that have not waited
  // again since.
  int64_t InFlight() const;
  // The three terms of InFlight(), for messages ("work 2, due deadlines 1, due waiters 0").
  std::string InFlightSummary() const;

  // Ends the calling thread's hold on the FakeClock it last waited on (see above). CondVar
  // waits do this by themselves; a thread that blocks another way after a wait on a FakeClock
  // (a sleep, a socket read, a busy poll) calls it first. No-op for threads without a hold.
  static void ReleaseThreadHold();

  ~FakeClock() override;

 private:
  friend class FakeClockThreadHold;
  struct Waiter {
    CondVar* cv;
  };
  int64_t DueLocked(int64_t* deadlines, int64_t* waiters) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetResumed(absl::Time deadline);
  void ForgetResumedLocked(absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t id_;  // unique per FakeClock of the process, never reused
  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> work_{0};
  std::map<absl::Time, int64_t> held_ ABSL_GUARDED_BY(mu_);         // deadline -> holds
  std::multimap<absl::Time, Waiter> waiters_ ABSL_GUARDED_BY(mu_);  // in WaitUntil
  // Deadline -> threads that left WaitUntil with it and have not waited since.
  std::map<absl::Time, int64_t> resumed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder

#endif  // RUDDER_LIB_BASE_CLOCK_H_
