#include "lib/client/workqueue/metrics.h"

#include <cmath>

namespace rudder::workqueue {

// One counter or gauge value; implements every scalar interface.
class InMemoryMetricsProvider::Scalar : public CounterMetric,
                                        public GaugeMetric,
                                        public SettableGaugeMetric {
 public:
  void Inc() override {
    MutexLock lock(&mu_);
    value_ += 1;
  }
  void Dec() override {
    MutexLock lock(&mu_);
    value_ -= 1;
  }
  void Set(double value) override {
    MutexLock lock(&mu_);
    value_ = value;
  }
  double Get() const {
    MutexLock lock(&mu_);
    return value_;
  }

 private:
  mutable Mutex mu_;
  double value_ ABSL_GUARDED_BY(mu_) = 0;
};

class InMemoryMetricsProvider::Hist : public HistogramMetric {
 public:
  Hist() {
    for (int i = 0; i < 12; ++i) snap_.bounds.push_back(1e-8 * std::pow(10.0, i));
    snap_.bucket_counts.assign(snap_.bounds.size() + 1, 0);
  }
  void Observe(double value) override {
    MutexLock lock(&mu_);
    size_t i = 0;
    while (i < snap_.bounds.size() && value > snap_.bounds[i]) ++i;
    ++snap_.bucket_counts[i];
    ++snap_.count;
    snap_.sum += value;
  }
  HistogramSnapshot Get() const {
    MutexLock lock(&mu_);
    return snap_;
  }

 private:
  mutable Mutex mu_;
  HistogramSnapshot snap_ ABSL_GUARDED_BY(mu_);
};

InMemoryMetricsProvider::InMemoryMetricsProvider() = default;
InMemoryMetricsProvider::~InMemoryMetricsProvider() = default;

std::shared_ptr<InMemoryMetricsProvider::Scalar> InMemoryMetricsProvider::GetScalar(
    const std::string& queue, const std::string& metric) {
  MutexLock lock(&mu_);
  auto& slot = scalars_[{queue, metric}];
  if (slot == nullptr) slot = std::make_shared<Scalar>();
  return slot;
}

std::shared_ptr<InMemoryMetricsProvider::Hist> InMemoryMetricsProvider::GetHist(
    const std::string& queue, const std::string& metric) {
  MutexLock lock(&mu_);
  auto& slot = hists_[{queue, metric}];
  if (slot == nullptr) slot = std::make_shared<Hist>();
  return slot;
}

std::shared_ptr<GaugeMetric> InMemoryMetricsProvider::NewDepthMetric(const std::string& name) {
  return GetScalar(name, kDepthMetric);
}
std::shared_ptr<CounterMetric> InMemoryMetricsProvider::NewAddsMetric(const std::string& name) {
  return GetScalar(name, kAddsMetric);
}
std::shared_ptr<HistogramMetric> InMemoryMetricsProvider::NewLatencyMetric(
    const std::string& name) {
  return GetHist(name, kQueueLatencyMetric);
}
std::shared_ptr<HistogramMetric> InMemoryMetricsProvider::NewWorkDurationMetric(
    const std::string& name) {
  return GetHist(name, kWorkDurationMetric);
}
std::shared_ptr<SettableGaugeMetric> InMemoryMetricsProvider::NewUnfinishedWorkSecondsMetric(
    const std::string& name) {
  return GetScalar(name, kUnfinishedWorkSecondsMetric);
}
std::shared_ptr<SettableGaugeMetric>
InMemoryMetricsProvider::NewLongestRunningProcessorSecondsMetric(const std::string& name) {
  return GetScalar(name, kLongestRunningProcessorMetric);
}
std::shared_ptr<CounterMetric> InMemoryMetricsProvider::NewRetriesMetric(const std::string& name) {
  return GetScalar(name, kRetriesMetric);
}

double InMemoryMetricsProvider::Value(const std::string& queue, const std::string& metric) const {
  std::shared_ptr<Scalar> s;
  {
    MutexLock lock(&mu_);
    auto it = scalars_.find({queue, metric});
    if (it == scalars_.end()) return 0;
    s = it->second;
  }
  return s->Get();
}

HistogramSnapshot InMemoryMetricsProvider::Histogram(const std::string& queue,
                                                     const std::string& metric) const {
  std::shared_ptr<Hist> h;
  {
    MutexLock lock(&mu_);
    auto it = hists_.find({queue, metric});
    if (it == hists_.end()) return HistogramSnapshot();
    h = it->second;
  }
  return h->Get();
}

std::vector<std::pair<std::pair<std::string, std::string>, double>>
InMemoryMetricsProvider::Values() const {
  std::vector<std::pair<std::pair<std::string, std::string>, std::shared_ptr<Scalar>>> all;
  {
    MutexLock lock(&mu_);
    all.assign(scalars_.begin(), scalars_.end());
  }
  std::vector<std::pair<std::pair<std::string, std::string>, double>> out;
  out.reserve(all.size());
  for (auto& [key, s] : all) out.emplace_back(key, s->Get());
  return out;
}

}  // namespace rudder::workqueue
