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
