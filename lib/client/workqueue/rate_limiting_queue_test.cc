#include "lib/client/workqueue/rate_limiting_queue.h"

#include <string>

#include "gtest/gtest.h"
#include "lib/base/clock.h"

namespace rudder::workqueue {
namespace {

TEST(RateLimitingQueueTest, RetriesAfterTheLimitersDelay) {
  FakeClock clock;
  RateLimitingQueue<std::string> q(std::make_unique<ItemExponentialFailureRateLimiter<std::string>>(
                                       absl::Seconds(1), absl::Seconds(100)),
                                   {.clock = &clock});
  q.AddRateLimited("a");
  EXPECT_EQ(q.NumRequeues("a"), 1);
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.NumWaitingForTest(), 1u);
  clock.Advance(absl::Seconds(1));
  ASSERT_EQ(q.Get(), "a");
  q.AddRateLimited("a");  // Next delay: 2 s.
  q.Done("a");
  EXPECT_EQ(q.NumRequeues("a"), 2);
  clock.Advance(absl::Seconds(2));
  ASSERT_EQ(q.Get(), "a");
  q.Forget("a");
  q.Done("a");
  EXPECT_EQ(q.NumRequeues("a"), 0);
  q.AddRateLimited("a");  // Back-off starts over: 1 s.
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(q.Get(), "a");
}

TEST(RateLimitingQueueTest, DefaultControllerLimiterFirstRetryIsFiveMilliseconds) {
  FakeClock clock;
  RateLimitingQueue<std::string> q(DefaultControllerRateLimiter<std::string>(&clock),
                                   {.clock = &clock});
  q.AddRateLimited("a");
  EXPECT_EQ(q.NumWaitingForTest(), 1u);
  clock.Advance(absl::Milliseconds(5));
  EXPECT_EQ(q.Get(), "a");
}

}  // namespace
}  // namespace rudder::workqueue
