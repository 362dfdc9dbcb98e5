#include "lib/client/workqueue/metrics.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/client/workqueue/workqueue.h"

namespace rudder::workqueue {
namespace {

TEST(QueueMetricsTest, ReportsDepthAddsLatencyAndWork) {
  FakeClock clock;
  InMemoryMetricsProvider metrics;
  WorkQueue<std::string> q({.name = "q",
                            .clock = &clock,
                            .metrics_provider = &metrics,
                            .unfinished_work_update_period = absl::Hours(24)});
  q.Add("a");
  q.Add("b");
  q.Add("b");  // De-duplicated: not an add.
  EXPECT_EQ(metrics.Value("q", kAddsMetric), 2);
  EXPECT_EQ(metrics.Value("q", kDepthMetric), 2);

  clock.Advance(absl::Seconds(2));
  ASSERT_EQ(q.Get(), "a");
  EXPECT_EQ(metrics.Value("q", kDepthMetric), 1);
  HistogramSnapshot latency = metrics.Histogram("q", kQueueLatencyMetric);
  EXPECT_EQ(latency.count, 1u);
  EXPECT_DOUBLE_EQ(latency.sum, 2.0);
  EXPECT_EQ(latency.bucket_counts.size(), latency.bounds.size() + 1);

  clock.Advance(absl::Seconds(3));
  ASSERT_EQ(q.Get(), "b");
  clock.Advance(absl::Seconds(1));
  q.UpdateUnfinishedWorkMetrics();
  EXPECT_DOUBLE_EQ(metrics.Value("q", kUnfinishedWorkSecondsMetric), 4.0 + 1.0);
  EXPECT_DOUBLE_EQ(metrics.Value("q", kLongestRunningProcessorMetric), 4.0);

  q.Done("a");
  HistogramSnapshot work = metrics.Histogram("q", kWorkDurationMetric);
  EXPECT_EQ(work.count, 1u);
  EXPECT_DOUBLE_EQ(work.sum, 4.0);
  q.Done("b");
  q.UpdateUnfinishedWorkMetrics();
  EXPECT_EQ(metrics.Value("q", kUnfinishedWorkSecondsMetric), 0);
  EXPECT_EQ(metrics.Value("q", kLongestRunningProcessorMetric), 0);
  EXPECT_EQ(metrics.Value("q", kDepthMetric), 0);
}

TEST(QueueMetricsTest, UpdaterRefreshesUnfinishedWorkOnTheClock) {
  FakeClock clock;
  InMemoryMetricsProvider metrics;
  WorkQueue<std::string> q({.name = "q", .clock = &clock, .metrics_provider = &metrics});
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  clock.Advance(absl::Seconds(10));
  // The updater thread notices the fake time within a millisecond or so of real time.
  while (metrics.Value("q", kLongestRunningProcessorMetric) == 0) std::this_thread::yield();
  EXPECT_GE(metrics.Value("q", kLongestRunningProcessorMetric), 9.5);
  q.Done("a");
}

TEST(QueueMetricsTest, UnnamedQueueReportsNothing) {
  InMemoryMetricsProvider metrics;
  WorkQueue<std::string> q({.metrics_provider = &metrics});
  q.Add("a");
  EXPECT_TRUE(metrics.Values().empty());
}

TEST(QueueMetricsTest, SeparateQueuesHaveSeparateMetrics) {
  InMemoryMetricsProvider metrics;
  WorkQueue<std::string> a({.name = "a", .metrics_provider = &metrics});
  WorkQueue<std::string> b({.name = "b", .metrics_provider = &metrics});
  a.Add("x");
  a.Add("y");
  b.Add("x");
  EXPECT_EQ(metrics.Value("a", kAddsMetric), 2);
  EXPECT_EQ(metrics.Value("b", kAddsMetric), 1);
}

}  // namespace
}  // namespace rudder::workqueue
