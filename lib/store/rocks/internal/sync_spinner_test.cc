#include "lib/store/rocks/internal/sync_spinner.h"

#include <sched.h>

#include <atomic>
#include <memory>

#include "gtest/gtest.h"

namespace rudder::store_internal::rocks {
namespace {

TEST(SyncSpinnerTest, SpinsWhileASyncRunsUntilItEnds) {
  std::atomic<int> asked{0};
  SyncSpinner spinner(
      [&] {
        asked.fetch_add(1);
        return true;
      },
      int64_t{1} << 40, /*linger_pauses=*/0);  // Never gives up on its own.
  spinner.Begin();
  // The spinner keeps asking whether spinning is worth it while the sync runs.
  while (asked.load() < 3) {
  }
  EXPECT_EQ(spinner.spins(), 1u);
  spinner.End();  // Ends the spin (else the destructor below would still stop it).
}

TEST(SyncSpinnerTest, DoesNotSpinWhenNotWorthIt) {
  std::atomic<int> asked{0};
  SyncSpinner spinner(
      [&] {
        asked.fetch_add(1);
        return false;
      },
      int64_t{1} << 40, /*linger_pauses=*/0);
  spinner.Begin();
  while (asked.load() < 1) {
  }
  spinner.End();
  EXPECT_EQ(spinner.spins(), 0u);
}

TEST(SyncSpinnerTest, EverySyncIsCoveredBySpinning) {
  std::atomic<int> asked{0};
  SyncSpinner spinner(
      [&] {
        asked.fetch_add(1);
        return true;
      },
      int64_t{1} << 40, /*linger_pauses=*/0);
  for (int round = 1; round <= 3; ++round) {
    spinner.Begin();
    spinner.Begin();  // Overlapping syncs: one spin covers both.
    // The spinner is active during this sync: it keeps asking.
    const int before = asked.load();
    while (asked.load() < before + 2) {
    }
    spinner.End();
    spinner.End();
  }
  EXPECT_GE(spinner.spins(), 1u);
}

TEST(SyncSpinnerTest, IdleClassSpinnerSpinsInTheIdleClass) {
  std::atomic<int> asked{0};
  std::atomic<int> policy{-1};
  SyncSpinner spinner(
      [&] {
        policy.store(sched_getscheduler(0));  // Runs on the spinner's thread.
        asked.fetch_add(1);
        return true;
      },
      int64_t{1} << 40, /*linger_pauses=*/0, /*idle_class=*/true);
  spinner.Begin();
  while (asked.load() < 2) {
  }
  spinner.End();
  EXPECT_EQ(spinner.spins(), 1u);
  EXPECT_EQ(policy.load(), SCHED_IDLE);
}

TEST(SyncSpinnerTest, NormalClassByDefault) {
  std::atomic<int> policy{-1};
  SyncSpinner spinner(
      [&] {
        policy.store(sched_getscheduler(0));
        return false;
      },
      int64_t{1} << 40, /*linger_pauses=*/0);
  spinner.Begin();
  while (policy.load() == -1) {
  }
  spinner.End();
  EXPECT_EQ(policy.load(), SCHED_OTHER);
}

TEST(SyncSpinnerTest, StopsWhileSpinning) {
  auto spinner =
      std::make_unique<SyncSpinner>([] { return true; }, int64_t{1} << 40, int64_t{1} << 40);
  spinner->Begin();
  while (spinner->spins() < 1) {
  }
  spinner.reset();  // Joins although the sync never ended.
  SUCCEED();
}

}  // namespace
}  // namespace rudder::store_internal::rocks
