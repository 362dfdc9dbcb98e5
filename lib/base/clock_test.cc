#include "lib/base/clock.h"

#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace rudder {
namespace {

TEST(FakeClockTest, MovesOnlyWhenAdvancedAndNeverBackwards) {
  FakeClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(105));
  clock.SetTime(absl::FromUnixSeconds(50));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(105));
  clock.Advance(-absl::Seconds(1));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(105));
}

TEST(FakeClockTest, SleeperWakesOnlyAfterTheFakeDeadline) {
  FakeClock clock(absl::FromUnixSeconds(0));
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    clock.SleepUntil(absl::FromUnixSeconds(60));
    woke = true;
  });
  clock.Advance(absl::Seconds(59));
  // The sleeper cannot have passed its deadline: the fake time is still short of it.
  EXPECT_FALSE(woke.load());
  clock.Advance(absl::Seconds(1));
  sleeper.join();
  EXPECT_TRUE(woke.load());
  EXPECT_GE(clock.Now(), absl::FromUnixSeconds(60));
}

TEST(FakeClockTest, WaitUntilReturnsFalseWhenSignalledBeforeTheDeadline) {
  FakeClock clock;
  Mutex mu;
  CondVar cv;
  bool done = false;
  bool deadline_passed = true;
  std::thread waiter([&] {
    MutexLock lock(&mu);
    do {
      deadline_passed = clock.WaitUntil(&cv, &mu, clock.Now() + absl::Hours(1));
    } while (!done);
  });
  {
    MutexLock lock(&mu);
    done = true;
  }
  cv.SignalAll();
  waiter.join();
  // The fake hour never passed, so whatever woke the waiter, the deadline did not.
  EXPECT_FALSE(deadline_passed);
}

TEST(FakeClockTest, CountsReportedWork) {
  FakeClock clock;
  EXPECT_EQ(clock.InFlight(), 0);
  clock.AddWork(3);
  EXPECT_EQ(clock.InFlight(), 3);
  clock.AddWork(-3);
  EXPECT_EQ(clock.InFlight(), 0);
}

TEST(FakeClockTest, HeldDeadlineCountsFromWhenItIsReachedUntilReleased) {
  FakeClock clock(absl::FromUnixSeconds(0));
  clock.HoldDeadline(absl::FromUnixSeconds(10));
  clock.HoldDeadline(absl::FromUnixSeconds(10));
  clock.HoldDeadline(absl::FromUnixSeconds(20));
  EXPECT_EQ(clock.InFlight(), 0);  // Nothing is due yet.
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(clock.InFlight(), 2);
  clock.ReleaseDeadline(absl::FromUnixSeconds(10));
  EXPECT_EQ(clock.InFlight(), 1);
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(clock.InFlight(), 2);
  EXPECT_EQ(clock.InFlightSummary(), "work 0, due deadlines 2, due waiters 0");
  clock.ReleaseDeadline(absl::FromUnixSeconds(10));
  clock.ReleaseDeadline(absl::FromUnixSeconds(20));
  EXPECT_EQ(clock.InFlight(), 0);
}

TEST(FakeClockTest, DueWaiterCountsUntilItExits) {
  FakeClock clock(absl::FromUnixSeconds(0));
  Mutex mu;
  CondVar cv;
  bool waiting = false;
  std::thread waiter([&] {
    MutexLock lock(&mu);
    waiting = true;
    while (!clock.WaitUntil(&cv, &mu, absl::FromUnixSeconds(60))) {
    }
  });
  // Once the test holds `mu` after the waiter set `waiting`, the waiter is inside WaitUntil,
  // and it cannot return before the test lets go of `mu`.
  mu.Lock();
  while (!waiting) {
    mu.Unlock();
    std::this_thread::yield();
    mu.Lock();
  }
  EXPECT_EQ(clock.InFlight(), 0);
  clock.Advance(absl::Seconds(60));
  EXPECT_EQ(clock.InFlight(), 1);
  EXPECT_EQ(clock.InFlightSummary(), "work 0, due deadlines 0, due waiters 1");
  mu.Unlock();
  waiter.join();
  EXPECT_EQ(clock.InFlight(), 0);
}

// After WaitUntil returns at its deadline, the thread still counts while it acts on it (here:
// a busy poll, which is no wait), and stops counting once it waits on any CondVar.
TEST(FakeClockTest, ResumedThreadCountsUntilItWaitsAgain) {
  FakeClock clock(absl::FromUnixSeconds(0));
  std::atomic<bool> resumed{false};
  std::atomic<bool> go{false};
  Mutex mu;
  CondVar cv;
  bool stop = false;
  std::thread worker([&] {
    clock.SleepUntil(absl::FromUnixSeconds(60));
    resumed = true;
    while (!go) std::this_thread::yield();
    MutexLock lock(&mu);
    while (!stop) cv.Wait(&mu);
  });
  clock.Advance(absl::Seconds(60));
  while (!resumed) std::this_thread::yield();
  EXPECT_EQ(clock.InFlight(), 1);
  EXPECT_EQ(clock.InFlightSummary(), "work 0, due deadlines 0, due waiters 1");
  go = true;
  while (clock.InFlight() != 0) std::this_thread::yield();
  {
    MutexLock lock(&mu);
    stop = true;
    cv.SignalAll();
  }
  worker.join();
  EXPECT_EQ(clock.InFlight(), 0);
}

TEST(FakeClockTest, ResumedThreadCountsUntilItExits) {
  FakeClock clock(absl::FromUnixSeconds(0));
  std::atomic<bool> resumed{false};
  std::atomic<bool> go{false};
  std::thread worker([&] {
    clock.SleepUntil(absl::FromUnixSeconds(60));
    resumed = true;
    while (!go) std::this_thread::yield();
  });
  clock.Advance(absl::Seconds(60));
  while (!resumed) std::this_thread::yield();
  EXPECT_EQ(clock.InFlight(), 1);
  go = true;
  worker.join();
  EXPECT_EQ(clock.InFlight(), 0);
}

TEST(FakeClockTest, PastDeadlineCountsUntilTheThreadReleasesOrWaits) {
  FakeClock clock(absl::FromUnixSeconds(100));
  clock.SleepUntil(absl::FromUnixSeconds(50));  // already due: returns at once, held
  EXPECT_EQ(clock.InFlight(), 1);
  FakeClock::ReleaseThreadHold();
  EXPECT_EQ(clock.InFlight(), 0);
  FakeClock::ReleaseThreadHold();  // nothing held: no-op
  clock.SleepUntil(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.InFlight(), 1);
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  cv.WaitWithTimeout(&mu, absl::Microseconds(1));  // any wait ends the hold
  EXPECT_EQ(clock.InFlight(), 0);
}

// A wait that returned before its deadline is held too: if the time reaches the deadline before
// the thread waits again, the thread is about to act on it.
TEST(FakeClockTest, EarlyReturnCountsOnceItsDeadlineIsReached) {
  FakeClock clock(absl::FromUnixSeconds(0));
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  // Nothing signals: returns within a millisecond of real time, not due.
  EXPECT_FALSE(clock.WaitUntil(&cv, &mu, absl::FromUnixSeconds(60)));
  EXPECT_EQ(clock.InFlight(), 0);
  clock.Advance(absl::Seconds(60));
  EXPECT_EQ(clock.InFlight(), 1);
  // Waiting again on the clock replaces the hold with the new wait.
  EXPECT_TRUE(clock.WaitUntil(&cv, &mu, absl::FromUnixSeconds(60)));
  EXPECT_EQ(clock.InFlight(), 1);
  FakeClock::ReleaseThreadHold();
  EXPECT_EQ(clock.InFlight(), 0);
}

TEST(FakeClockTest, HoldMovesBetweenClocksAndOutlivesItsClock) {
  FakeClock a(absl::FromUnixSeconds(10));
  a.SleepUntil(absl::FromUnixSeconds(5));
  EXPECT_EQ(a.InFlight(), 1);
  {
    FakeClock b(absl::FromUnixSeconds(10));
    b.SleepUntil(absl::FromUnixSeconds(5));
    EXPECT_EQ(a.InFlight(), 0);
    EXPECT_EQ(b.InFlight(), 1);
  }
  // The hold's clock is gone: ending the hold touches nothing.
  FakeClock::ReleaseThreadHold();
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  cv.WaitWithTimeout(&mu, absl::Microseconds(1));
  EXPECT_EQ(a.InFlight(), 0);
}

TEST(FakeClockTest, FromFindsOnlyFakeClocks) {
  FakeClock clock;
  EXPECT_EQ(FakeClock::From(&clock), &clock);
  EXPECT_EQ(FakeClock::From(Clock::Real()), nullptr);
  EXPECT_EQ(FakeClock::From(nullptr), nullptr);
}

TEST(RealClockTest, PastDeadlineReturnsImmediately) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  EXPECT_TRUE(Clock::Real()->WaitUntil(&cv, &mu, absl::Now() - absl::Seconds(1)));
}

TEST(RealClockTest, InfiniteDeadlineBlocksUntilSignalled) {
  Mutex mu;
  CondVar cv;
  bool done = false;
  int wakeups = 0;
  std::thread waiter([&] {
    MutexLock lock(&mu);
    while (!done) {
      EXPECT_FALSE(Clock::Real()->WaitUntil(&cv, &mu, absl::InfiniteFuture()));
      ++wakeups;
    }
  });
  absl::SleepFor(absl::Milliseconds(20));
  {
    MutexLock lock(&mu);
    done = true;
    cv.SignalAll();
  }
  waiter.join();
  // A waiter that does not block would spin thousands of times in 20 ms.
  EXPECT_LE(wakeups, 3);
}

}  // namespace
}  // namespace rudder
