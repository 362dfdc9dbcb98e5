#include "lib/client/workqueue/delaying_queue.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/client/workqueue/metrics.h"

namespace rudder::workqueue {
namespace {

TEST(DelayingQueueTest, AddAfterWaitsForTheClock) {
  FakeClock clock;
  DelayingQueue<std::string> q({.clock = &clock});
  q.AddAfter("a", absl::Seconds(10));
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.NumWaitingForTest(), 1u);
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(q.Get(), "a");  // Blocks until the waiting thread moves it.
  EXPECT_EQ(q.NumWaitingForTest(), 0u);
}

TEST(DelayingQueueTest, NonPositiveDelayAddsNow) {
  FakeClock clock;
  DelayingQueue<std::string> q({.clock = &clock});
  q.AddAfter("a", absl::ZeroDuration());
  q.AddAfter("b", absl::Seconds(-1));
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.NumWaitingForTest(), 0u);
}

TEST(DelayingQueueTest, ItemsBecomeReadyInReadyTimeOrder) {
  FakeClock clock;
  DelayingQueue<std::string> q({.clock = &clock});
  q.AddAfter("c", absl::Seconds(3));
  q.AddAfter("a", absl::Seconds(1));
  q.AddAfter("b", absl::Seconds(2));
  q.AddAfter("d", absl::Seconds(3));  // Same time as "c": insertion order.
  clock.Advance(absl::Seconds(3));
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Get(), "c");
  EXPECT_EQ(q.Get(), "d");
}

TEST(DelayingQueueTest, EarlierReadyTimeWinsAndItemIsAddedOnce) {
  FakeClock clock;
  DelayingQueue<std::string> q({.clock = &clock});
  q.AddAfter("a", absl::Seconds(10));
  q.AddAfter("a", absl::Seconds(5));
  q.AddAfter("b", absl::Seconds(10));  // Due together with "a"'s stale entry.
  EXPECT_EQ(q.NumWaitingForTest(), 2u);
  clock.Advance(absl::Seconds(5));
  ASSERT_EQ(q.Get(), "a");
  q.Done("a");
  clock.Advance(absl::Seconds(5));
  // Had "a" been added again at 10 s, it would come before "b".
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.NumWaitingForTest(), 0u);
}

TEST(DelayingQueueTest, LaterReadyTimeIsIgnored) {
  FakeClock clock;
  DelayingQueue<std::string> q({.clock = &clock});
  q.AddAfter("a", absl::Seconds(5));
  q.AddAfter("a", absl::Seconds(50));
  EXPECT_EQ(q.NumWaitingForTest(), 1u);
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.NumWaitingForTest(), 0u);
}

TEST(DelayingQueueTest, ShutDownUnblocksGetAndDropsWaitingItems) {
  FakeClock clock;
  DelayingQueue<std::string> q({.clock = &clock});
  q.AddAfter("a", absl::Hours(1));
  q.ShutDown();
  q.AddAfter("b", absl::ZeroDuration());
  EXPECT_EQ(q.Get(), std::nullopt);
}

TEST(DelayingQueueTest, CountsRetries) {
  FakeClock clock;
  InMemoryMetricsProvider metrics;
  DelayingQueue<std::string> q({.name = "d", .clock = &clock, .metrics_provider = &metrics});
  q.AddAfter("a", absl::Seconds(1));
  q.AddAfter("b", absl::ZeroDuration());
  EXPECT_EQ(metrics.Value("d", kRetriesMetric), 2);
}

TEST(DelayingQueueTest, CountsItsWorkOnAFakeClock) {
  FakeClock clock(absl::FromUnixSeconds(0));
  {
    DelayingQueue<std::string> q({.clock = &clock});
    q.Add("a");
    q.Add("a");
    EXPECT_EQ(clock.InFlight(), 1);  // Waiting once.
    std::optional<std::string> a = q.Get();
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(clock.InFlight(), 1);  // Processing.
    q.Add("a");
    EXPECT_EQ(clock.InFlight(), 2);  // Processing, and waiting again after Done.
    q.Done("a");
    EXPECT_EQ(clock.InFlight(), 1);
    a = q.Get();
    q.Done("a");
    EXPECT_EQ(clock.InFlight(), 0);

    q.AddAfter("b", absl::Seconds(5));
    EXPECT_EQ(clock.InFlight(), 0);  // Not due: nothing to do yet.
    clock.Advance(absl::Seconds(5));
    // Due from this instant, whether or not the queue's thread has moved it yet.
    EXPECT_GE(clock.InFlight(), 1);
    std::optional<std::string> b = q.Get();
    ASSERT_EQ(b, "b");
    EXPECT_GE(clock.InFlight(), 1);
    q.Done("b");
    q.AddAfter("c", absl::Seconds(5));
    q.Add("d");
  }
  // Destroyed with an item queued and one delayed: nothing is left counted.
  EXPECT_EQ(clock.InFlight(), 0);
}

}  // namespace
}  // namespace rudder::workqueue
