// Per-queue metric bookkeeping: the add and start times of items, and the metric sinks.
// Not thread-safe: the owning queue calls it under its own lock.
#ifndef RUDDER_LIB_CLIENT_WORKQUEUE_INTERNAL_QUEUE_METRICS_H_
#define RUDDER_LIB_CLIENT_WORKQUEUE_INTERNAL_QUEUE_METRICS_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/client/workqueue/metrics.h"

namespace rudder::workqueue_internal {

template <typename T, typename Hash, typename Eq>
class QueueMetrics {
 public:
  // A null `provider` or an empty `name` disables every metric.
  QueueMetrics(const std::string& name, workqueue::MetricsProvider* provider, Clock* clock)
      : clock_(clock) {
    if (provider == nullptr || name.empty()) return;
    depth_ = provider->NewDepthMetric(name);
    adds_ = provider->NewAddsMetric(name);
    latency_ = provider->NewLatencyMetric(name);
    work_duration_ = provider->NewWorkDurationMetric(name);
    unfinished_ = provider->NewUnfinishedWorkSecondsMetric(name);
    longest_ = provider->NewLongestRunningProcessorSecondsMetric(name);
    retries_ = provider->NewRetriesMetric(name);
  }

  bool enabled() const { return depth_ != nullptr; }

  void Add(const T& item) {
    if (!enabled()) return;
    adds_->Inc();
    depth_->Inc();
    add_times_.try_emplace(item, clock_->Now());
  }

  void Get(const T& item) {
    if (!enabled()) return;
    absl::Time now = clock_->Now();
    depth_->Dec();
    auto it = add_times_.find(item);
    if (it != add_times_.end()) {
      latency_->Observe(absl::ToDoubleSeconds(now - it->second));
      add_times_.erase(it);
    }
    start_times_[item] = now;
  }

  void Done(const T& item) {
    if (!enabled()) return;
    auto it = start_times_.find(item);
    if (it != start_times_.end()) {
      work_duration_->Observe(absl::ToDoubleSeconds(clock_->Now() - it->second));
      start_times_.erase(it);
    }
  }

  void UpdateUnfinishedWork() {
    if (!enabled()) return;
    absl::Time now = clock_->Now();
    double total = 0;
    double oldest = 0;
    for (const auto& [item, start] : start_times_) {
      double age = absl::ToDoubleSeconds(now - start);
      total += age;
      if (age > oldest) oldest = age;
    }
    unfinished_->Set(total);
    longest_->Set(oldest);
  }

  void Retry() {
    if (retries_ != nullptr) retries_->Inc();
  }

 private:
  Clock* const clock_;
  std::shared_ptr<workqueue::GaugeMetric> depth_;
  std::shared_ptr<workqueue::CounterMetric> adds_;
  std::shared_ptr<workqueue::HistogramMetric> latency_;
  std::shared_ptr<workqueue::HistogramMetric> work_duration_;
  std::shared_ptr<workqueue::SettableGaugeMetric> unfinished_;
  std::shared_ptr<workqueue::SettableGaugeMetric> longest_;
  std::shared_ptr<workqueue::CounterMetric> retries_;
  absl::flat_hash_map<T, absl::Time, Hash, Eq> add_times_;
  absl::flat_hash_map<T, absl::Time, Hash, Eq> start_times_;
};

}  // namespace rudder::workqueue_internal

#endif  // RUDDER_LIB_CLIENT_WORKQUEUE_INTERNAL_QUEUE_METRICS_H_
