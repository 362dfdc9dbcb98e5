#include "lib/client/workqueue/workqueue.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/client/workqueue/metrics.h"

namespace rudder::workqueue {
namespace {

TEST(WorkQueueTest, IsFifo) {
  WorkQueue<std::string> q;
  q.Add("a");
  q.Add("b");
  q.Add("c");
  EXPECT_EQ(q.Len(), 3u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Get(), "c");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, IsStingy) {
  WorkQueue<std::string> q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, ItemAddedWhileProcessingIsRequeuedOnDone) {
  WorkQueue<std::string> q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");
  q.Add("a");
  // Not handed to another worker while "a" is being processed.
  EXPECT_EQ(q.Len(), 0u);
  q.Add("b");
  EXPECT_EQ(q.Get(), "b");
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  q.Done("b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, DoneWithoutReAddDoesNotRequeue) {
  WorkQueue<int> q;
  q.Add(7);
  ASSERT_EQ(q.Get(), 7);
  q.Done(7);
  EXPECT_EQ(q.Len(), 0u);
  q.Add(7);  // Can be added again once done.
  EXPECT_EQ(q.Len(), 1u);
}

TEST(WorkQueueTest, ShutDownUnblocksGet) {
  WorkQueue<std::string> q;
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = q.Get(); });
  q.ShutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
  EXPECT_TRUE(q.ShuttingDown());
}

TEST(WorkQueueTest, ShutDownHandsOutQueuedItemsAndRejectsNewOnes) {
  WorkQueue<std::string> q;
  q.Add("a");
  EXPECT_FALSE(q.ShuttingDown());
  q.ShutDown();
  q.Add("b");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), std::nullopt);
}

TEST(WorkQueueTest, ShutDownWithDrainWaitsForInFlightItems) {
  WorkQueue<std::string> q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  std::atomic<bool> drained{false};
  std::thread closer([&] {
    q.ShutDownWithDrain();
    drained = true;
  });
  while (!q.ShuttingDown()) std::this_thread::yield();
  // "a" is still being processed, so the drain cannot have finished.
  EXPECT_FALSE(drained.load());
  q.Done("a");
  closer.join();
  EXPECT_TRUE(drained.load());
  EXPECT_EQ(q.Get(), std::nullopt);
}

TEST(WorkQueueTest, ShutDownWithDrainReturnsAtOnceWhenIdle) {
  WorkQueue<std::string> q;
  q.ShutDownWithDrain();
  EXPECT_TRUE(q.ShuttingDown());
}

// 8 workers and 8 producers: no item is ever processed by two workers at once, and every add
// is followed by a Get of that item.
void RunConcurrency(WorkQueue<std::string>& q) {
  constexpr int kKeys = 64;
  constexpr int kProducers = 8;
  constexpr int kAddsPerProducer = 4000;
  constexpr int kWorkers = 8;
  std::vector<std::atomic<int>> in_flight(kKeys);
  std::vector<std::atomic<bool>> pending(kKeys);
  std::atomic<bool> overlap{false};
  std::atomic<int64_t> processed{0};
  for (auto& p : pending) p = false;
  for (auto& f : in_flight) f = 0;

  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (std::optional<std::string> key = q.Get()) {
        int k = std::stoi(key->substr(1));
        if (in_flight[k].fetch_add(1) != 0) overlap = true;
        pending[k] = false;
        processed.fetch_add(1);
        std::this_thread::yield();
        in_flight[k].fetch_sub(1);
        q.Done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kAddsPerProducer; ++i) {
        int k = (i * 7 + p) % kKeys;
        pending[k] = true;
        q.Add(absl::StrCat("k", k));
      }
    });
  }
  for (auto& t : producers) t.join();
  q.ShutDownWithDrain();
  for (auto& t : workers) t.join();

  EXPECT_FALSE(overlap.load());
  for (int k = 0; k < kKeys; ++k) EXPECT_FALSE(pending[k].load()) << "key " << k;
  EXPECT_GE(processed.load(), kKeys);
  EXPECT_LE(processed.load(), int64_t{kProducers} * kAddsPerProducer);
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, ConcurrentWorkersAndProducers) {
  WorkQueue<std::string> q;
  RunConcurrency(q);
}

TEST(WorkQueueTest, ConcurrentWorkersAndProducersWithMetrics) {
  FakeClock clock;
  InMemoryMetricsProvider metrics;
  WorkQueue<std::string> q({.name = "busy",
                            .clock = &clock,
                            .metrics_provider = &metrics,
                            .unfinished_work_update_period = absl::Milliseconds(1)});
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop) {
      clock.Advance(absl::Milliseconds(1));
      std::this_thread::yield();
    }
  });
  RunConcurrency(q);
  stop = true;
  ticker.join();
  EXPECT_EQ(metrics.Value("busy", kDepthMetric), 0);
  EXPECT_EQ(metrics.Histogram("busy", kQueueLatencyMetric).count,
            metrics.Histogram("busy", kWorkDurationMetric).count);
}

}  // namespace
}  // namespace rudder::workqueue
