#include "lib/client/workqueue/rate_limiter.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"

namespace rudder::workqueue {
namespace {

TEST(ItemExponentialFailureRateLimiterTest, DoublesPerItemAndForgets) {
  ItemExponentialFailureRateLimiter<std::string> limiter;  // 5 ms .. 1000 s.
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(5));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(10));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(20));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(40));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(80));
  EXPECT_EQ(limiter.NumRequeues("a"), 5);
  EXPECT_EQ(limiter.When("b"), absl::Milliseconds(5));  // Independent per item.
  limiter.Forget("a");
  EXPECT_EQ(limiter.NumRequeues("a"), 0);
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(5));
}

TEST(ItemExponentialFailureRateLimiterTest, CapsAtMaxWithoutOverflow) {
  ItemExponentialFailureRateLimiter<std::string> limiter(absl::Milliseconds(1), absl::Seconds(1));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.When("a"), absl::Milliseconds(1 << i));
  EXPECT_EQ(limiter.When("a"), absl::Seconds(1));  // 1024 ms capped.
  for (int i = 0; i < 200; ++i) EXPECT_EQ(limiter.When("a"), absl::Seconds(1));
  EXPECT_EQ(limiter.NumRequeues("a"), 211);
}

TEST(BucketRateLimiterTest, BurstThenRefillsOnAdvance) {
  FakeClock clock;
  BucketRateLimiter<std::string> limiter(10, 100, &clock);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter.When("a"), absl::ZeroDuration()) << i;
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(100));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(200));
  // 1 s refills 10 tokens; 2 were owed.
  clock.Advance(absl::Seconds(1));
  for (int i = 0; i < 8; ++i) ASSERT_EQ(limiter.When("a"), absl::ZeroDuration()) << i;
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(100));
  EXPECT_EQ(limiter.NumRequeues("a"), 0);
}

TEST(BucketRateLimiterTest, RefillIsCappedAtBurst) {
  FakeClock clock;
  BucketRateLimiter<std::string> limiter(10, 2, &clock);
  clock.Advance(absl::Hours(1));
  EXPECT_EQ(limiter.When("a"), absl::ZeroDuration());
  EXPECT_EQ(limiter.When("a"), absl::ZeroDuration());
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(100));
}

TEST(MaxOfRateLimiterTest, TakesTheLongestDelayAndForwards) {
  std::vector<std::unique_ptr<RateLimiter<std::string>>> parts;
  parts.push_back(std::make_unique<ItemExponentialFailureRateLimiter<std::string>>(
      absl::Milliseconds(1), absl::Seconds(10)));
  parts.push_back(std::make_unique<ItemExponentialFailureRateLimiter<std::string>>(
      absl::Milliseconds(3), absl::Milliseconds(5)));
  MaxOfRateLimiter<std::string> limiter(std::move(parts));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(3));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(5));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(5));
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(8));
  EXPECT_EQ(limiter.NumRequeues("a"), 4);
  limiter.Forget("a");
  EXPECT_EQ(limiter.NumRequeues("a"), 0);
  EXPECT_EQ(limiter.When("a"), absl::Milliseconds(3));
}

TEST(DefaultControllerRateLimiterTest, ExponentialUntilTheBucketRunsDry) {
  FakeClock clock;
  auto limiter = DefaultControllerRateLimiter<std::string>(&clock);
  EXPECT_EQ(limiter->When("a"), absl::Milliseconds(5));
  EXPECT_EQ(limiter->When("a"), absl::Milliseconds(10));
  EXPECT_EQ(limiter->When("a"), absl::Milliseconds(20));
  EXPECT_EQ(limiter->NumRequeues("a"), 3);
  for (int i = 0; i < 97; ++i) {
    ASSERT_EQ(limiter->When(absl::StrCat("k", i)), absl::Milliseconds(5)) << i;
  }
  // The 101st retry overall waits for the bucket.
  EXPECT_EQ(limiter->When("z"), absl::Milliseconds(100));
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(limiter->When("y"), absl::Milliseconds(5));
}

}  // namespace
}  // namespace rudder::workqueue
