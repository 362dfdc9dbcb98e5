// Work-queue metrics: the abstract sinks a queue reports to, and an in-memory provider.
//
// A queue with a non-empty name asks its MetricsProvider for one metric of each kind below,
// labelled with that name. Queue latency and work duration are observed in seconds.
// An unnamed queue, or one without a provider, reports nothing.
#ifndef RUDDER_LIB_CLIENT_WORKQUEUE_METRICS_H_
#define RUDDER_LIB_CLIENT_WORKQUEUE_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "lib/base/mutex.h"

namespace rudder::workqueue {

// A monotonically increasing count. Implementations are thread-safe.
class CounterMetric {
 public:
  virtual ~CounterMetric() = default;
  virtual void Inc() = 0;
};

// A value that goes up and down by one. Implementations are thread-safe.
class GaugeMetric {
 public:
  virtual ~GaugeMetric() = default;
  virtual void Inc() = 0;
  virtual void Dec() = 0;
};

// A value that is set outright. Implementations are thread-safe.
class SettableGaugeMetric {
 public:
  virtual ~SettableGaugeMetric() = default;
  virtual void Set(double value) = 0;
};

// A distribution of observed values. Implementations are thread-safe.
class HistogramMetric {
 public:
  virtual ~HistogramMetric() = default;
  virtual void Observe(double value) = 0;
};

// Creates the metrics of one queue, labelled by the queue's name. A queue calls each factory once
// at construction and shares ownership of the results. Implementations are thread-safe.
class MetricsProvider {
 public:
  virtual ~MetricsProvider() = default;
  // Number of items waiting to be processed (queued, or dirty while being processed).
  virtual std::shared_ptr<GaugeMetric> NewDepthMetric(const std::string& name) = 0;
  // Number of adds that enqueued an item (de-duplicated adds are not counted).
  virtual std::shared_ptr<CounterMetric> NewAddsMetric(const std::string& name) = 0;
  // Seconds an item waited in the queue before Get returned it.
  virtual std::shared_ptr<HistogramMetric> NewLatencyMetric(const std::string& name) = 0;
  // Seconds between Get and Done for an item.
  virtual std::shared_ptr<HistogramMetric> NewWorkDurationMetric(const std::string& name) = 0;
  // Sum of the seconds every in-flight item has been processed so far.
  virtual std::shared_ptr<SettableGaugeMetric> NewUnfinishedWorkSecondsMetric(
      const std::string& name) = 0;
  // Seconds the longest in-flight item has been processed so far.
  virtual std::shared_ptr<SettableGaugeMetric> NewLongestRunningProcessorSecondsMetric(
      const std::string& name) = 0;
  // Number of delayed (AddAfter / AddRateLimited) adds.
  virtual std::shared_ptr<CounterMetric> NewRetriesMetric(const std::string& name) = 0;
};

// The kinds of metric a queue reports, as InMemoryMetricsProvider names them.
inline constexpr char kDepthMetric[] = "depth";
inline constexpr char kAddsMetric[] = "adds";
inline constexpr char kQueueLatencyMetric[] = "queue_duration_seconds";
inline constexpr char kWorkDurationMetric[] = "work_duration_seconds";
inline constexpr char kUnfinishedWorkSecondsMetric[] = "unfinished_work_seconds";
inline constexpr char kLongestRunningProcessorMetric[] = "longest_running_processor_seconds";
inline constexpr char kRetriesMetric[] = "retries";

// A histogram's state: bucket upper bounds (seconds; 1e-8 to 1e3 by powers of ten, as client-go
// exposes them), the cumulative-free count per bucket (one extra for +Inf), count and sum.
struct HistogramSnapshot {
  std::vector<double> bounds;
  std::vector<uint64_t> bucket_counts;  // bounds.size() + 1 entries.
  uint64_t count = 0;
  double sum = 0;
};

// Keeps every queue's metrics in memory, for tests and for exposition. Thread-safe; it must
// outlive the queues that use it.
class InMemoryMetricsProvider : public MetricsProvider {
 public:
  InMemoryMetricsProvider();
  ~InMemoryMetricsProvider() override;

  std::shared_ptr<GaugeMetric> NewDepthMetric(const std::string& name) override;
  std::shared_ptr<CounterMetric> NewAddsMetric(const std::string& name) override;
  std::shared_ptr<HistogramMetric> NewLatencyMetric(const std::string& name) override;
  std::shared_ptr<HistogramMetric> NewWorkDurationMetric(const std::string& name) override;
  std::shared_ptr<SettableGaugeMetric> NewUnfinishedWorkSecondsMetric(
      const std::string& name) override;
  std::shared_ptr<SettableGaugeMetric> NewLongestRunningProcessorSecondsMetric(
      const std::string& name) override;
  std::shared_ptr<CounterMetric> NewRetriesMetric(const std::string& name) override;

  // The current value of a counter or gauge (`metric` is one of the k*Metric names above),
  // or 0 if the queue never reported it.
  double Value(const std::string& queue, const std::string& metric) const;
  // The current state of a histogram metric; empty if never reported.
  HistogramSnapshot Histogram(const std::string& queue, const std::string& metric) const;
  // Every (queue, metric) pair that has a counter or gauge, with its value, sorted.
  std::vector<std::pair<std::pair<std::string, std::string>, double>> Values() const;

 private:
  class Scalar;
  class Hist;
  std::shared_ptr<Scalar> GetScalar(const std::string& queue, const std::string& metric);
  std::shared_ptr<Hist> GetHist(const std::string& queue, const std::string& metric);

  mutable Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Scalar>> scalars_
      ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Hist>> hists_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::workqueue

#endif  // RUDDER_LIB_CLIENT_WORKQUEUE_METRICS_H_
