// Work-queue throughput: Add, Get and Done of distinct string keys, one thread and 8 workers.
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/base/mutex.h"
#include "lib/client/workqueue/metrics.h"
#include "lib/client/workqueue/workqueue.h"

namespace rudder::workqueue {
namespace {

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (int i = 0; i < n; ++i) keys.push_back(absl::StrCat("namespace-", i % 97, "/object-", i));
  return keys;
}

// One thread: Add, Get, Done per operation.
void BM_AddGetDoneSingleThread(benchmark::State& state) {
  std::vector<std::string> keys = Keys(1024);
  WorkQueue<std::string> q;
  size_t i = 0;
  for (auto _ : state) {
    q.Add(keys[i++ & 1023]);
    std::optional<std::string> k = q.Get();
    q.Done(*k);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AddGetDoneSingleThread);

// `producers` threads add kBatch distinct keys per iteration; 8 workers Get and Done them.
// Reports ns per item (add + get + done) and items per second. Arg 1 = metrics on.
void BM_AddGetDone8Workers(benchmark::State& state) {
  constexpr int kWorkers = 8;
  constexpr int kBatch = 20000;
  const int producers = static_cast<int>(state.range(0));
  const bool with_metrics = state.range(1) != 0;
  std::vector<std::string> keys = Keys(kBatch);
  InMemoryMetricsProvider metrics;
  WorkQueue<std::string> q(
      {.name = with_metrics ? "bench" : "", .metrics_provider = with_metrics ? &metrics : nullptr});
  Mutex mu;
  CondVar cv;
  std::atomic<int64_t> done{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (std::optional<std::string> k = q.Get()) {
        q.Done(*k);
        if ((done.fetch_add(1) + 1) % kBatch == 0) {
          MutexLock lock(&mu);  // Orders the signal after the producer's check.
          cv.SignalAll();
        }
      }
    });
  }
  int64_t target = 0;
  for (auto _ : state) {
    target += kBatch;
    std::vector<std::thread> adders;
    for (int p = 0; p < producers; ++p) {
      adders.emplace_back([&, p] {
        for (int i = p; i < kBatch; i += producers) q.Add(keys[i]);
      });
    }
    for (auto& t : adders) t.join();
    MutexLock lock(&mu);
    while (done < target) cv.Wait(&mu);
  }
  q.ShutDown();
  for (auto& t : workers) t.join();
  const int64_t items = state.iterations() * kBatch;
  state.SetItemsProcessed(items);
  // Real time per item (add + get + done), printed in seconds with an SI prefix ("540ns").
  state.counters["per_item"] = benchmark::Counter(
      static_cast<double>(items), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_AddGetDone8Workers)
    ->ArgNames({"producers", "metrics"})
    ->Args({1, 0})
    ->Args({8, 0})
    ->Args({8, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::workqueue
