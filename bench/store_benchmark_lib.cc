#include "bench/store_benchmark_lib.h"

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "lib/base/mutex.h"

namespace rudder::bench {
namespace {

using store::KeyRange;
using store::RangeOptions;
using store::RangeResult;
using store::SharedWatchResponse;
using store::Store;
using store::Watcher;
using store::WatchOptions;

std::unique_ptr<Store> MustMake(const StoreBenchBackend& backend, benchmark::State& state) {
  absl::StatusOr<std::unique_ptr<Store>> store = backend.make();
  if (!store.ok()) {
    state.SkipWithError(absl::StrCat("make: ", store.status().ToString()).c_str());
    return nullptr;
  }
  return *std::move(store);
}

// One store shared by the threads of a multi-threaded benchmark (thread 0 makes it before the
// timed loop, whose start is a barrier for all threads).
struct Shared {
  std::unique_ptr<Store> store;
  std::atomic<bool> failed{false};
};

void BM_Put(benchmark::State& state, StoreBenchBackend backend, std::shared_ptr<Shared> shared) {
  if (state.thread_index() == 0) shared->store = MustMake(backend, state);
  const std::string value(100, 'v');
  const std::string prefix = absl::StrCat("/bench/put/", state.thread_index(), "/");
  int64_t i = 0;
  for (auto _ : state) {
    Store* store = shared->store.get();
    if (store == nullptr) break;
    absl::StatusOr<int64_t> rev = store->Put(absl::StrCat(prefix, i++ % 1000), value);
    if (!rev.ok()) {
      state.SkipWithError(rev.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) shared->store.reset();
}

std::unique_ptr<Store> Preloaded(const StoreBenchBackend& backend, benchmark::State& state) {
  std::unique_ptr<Store> store = MustMake(backend, state);
  if (store == nullptr) return nullptr;
  const std::string value(100, 'v');
  for (int p = 0; p < 100; ++p) {
    store::TxnRequest txn;
    for (int k = 0; k < 100; ++k) {
      txn.success.push_back(store::TxnOp::Put(absl::StrCat("/bench/r/", p, "/", k), value));
    }
    absl::StatusOr<store::TxnResult> r = store->Txn(txn);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return nullptr;
    }
  }
  return store;
}

void BM_Get(benchmark::State& state, StoreBenchBackend backend, std::shared_ptr<Shared> shared) {
  if (state.thread_index() == 0) shared->store = Preloaded(backend, state);
  uint32_t x = 12345 + state.thread_index();
  for (auto _ : state) {
    Store* store = shared->store.get();
    if (store == nullptr) break;
    x = x * 1103515245 + 12345;
    int n = (x >> 8) % 10000;
    auto kv = store->Get(absl::StrCat("/bench/r/", n / 100, "/", n % 100));
    if (!kv.ok() || !kv->has_value()) {
      state.SkipWithError("get failed");
      break;
    }
    benchmark::DoNotOptimize(kv);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) shared->store.reset();
}

void BM_RangePrefix100(benchmark::State& state, StoreBenchBackend backend) {
  std::unique_ptr<Store> store = Preloaded(backend, state);
  if (store == nullptr) return;
  int p = 0;
  for (auto _ : state) {
    absl::StatusOr<RangeResult> r =
        store->Range(KeyRange::Prefix(absl::StrCat("/bench/r/", p++ % 100, "/")));
    if (!r.ok() || r->kvs.size() != 100) {
      state.SkipWithError("range failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}

void BM_RangeLimit100(benchmark::State& state, StoreBenchBackend backend) {
  std::unique_ptr<Store> store = Preloaded(backend, state);
  if (store == nullptr) return;
  RangeOptions options;
  options.limit = 100;
  for (auto _ : state) {
    absl::StatusOr<RangeResult> r = store->Range(KeyRange::Prefix("/bench/r/"), options);
    if (!r.ok() || r->kvs.size() != 100 || r->count != 10000) {
      state.SkipWithError("range failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}

// Watchers that are ready to be read, filled by ready callbacks and drained by consumer threads
// (the way a server multiplexes many watch streams on a few threads).
class ReadyQueue {
 public:
  void Push(int i) {
    MutexLock lock(&mu_);
    ready_.push_back(i);
    cv_.Signal();
  }
  // Returns -1 once closed and empty.
  int Pop() {
    MutexLock lock(&mu_);
    while (ready_.empty() && !closed_) cv_.Wait(&mu_);
    if (ready_.empty()) return -1;
    int i = ready_.front();
    ready_.pop_front();
    return i;
  }
  void Close() {
    MutexLock lock(&mu_);
    closed_ = true;
    cv_.SignalAll();
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::deque<int> ready_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Arg 0: watchers; arg 1: events per second; arg 2: 0 = all watch one prefix, 1 = each its own
// key (events round-robin over the keys). Runs for 3 seconds of events.
void BM_WatchFanout(benchmark::State& state, StoreBenchBackend backend) {
  const int watchers = static_cast<int>(state.range(0));
  const int rate = static_cast<int>(state.range(1));
  const bool own_key = state.range(2) == 1;
  const int events = rate * 3;
  constexpr int kConsumers = 2;
  constexpr int kBuckets = 1000000;
  for (auto _ : state) {
    std::unique_ptr<Store> store = MustMake(backend, state);
    if (store == nullptr) return;
    std::vector<std::unique_ptr<Watcher>> ws;
    ws.reserve(watchers);
    ReadyQueue ready;
    for (int i = 0; i < watchers; ++i) {
      KeyRange range =
          own_key ? KeyRange::Single(absl::StrCat("/bench/w/", i)) : KeyRange::Prefix("/bench/w/");
      auto w = store->Watch(range);
      if (!w.ok()) {
        state.SkipWithError(w.status().ToString().c_str());
        return;
      }
      (*w)->SetReadyCallback([&ready, i] { ready.Push(i); });
      ws.push_back(*std::move(w));
    }
    const int64_t expected = own_key ? events : static_cast<int64_t>(events) * watchers;
    // Per consumer: a latency histogram (1 us buckets up to 1 s) and a delivery count, each on
    // its own cache lines.
    struct alignas(64) Consumer {
      std::vector<int64_t> histogram = std::vector<int64_t>(kBuckets, 0);
      std::atomic<int64_t> delivered{0};
      int64_t cpu_ns = 0;  // The consumer thread's CPU time.
    };
    std::vector<Consumer> stats(kConsumers);
    std::vector<std::thread> consumers;
    for (int c = 0; c < kConsumers; ++c) {
      consumers.emplace_back([&, c] {
        Consumer& mine = stats[c];
        // Watchers share event objects: parse each revision's send time once.
        std::vector<int64_t> sent_at;
        for (int i = ready.Pop(); i >= 0; i = ready.Pop()) {
          std::optional<SharedWatchResponse> r = ws[i]->NextShared(absl::ZeroDuration());
          if (!r.has_value()) continue;
          const int64_t now = absl::GetCurrentTimeNanos();
          for (const auto& e : r->events) {
            const size_t rev = static_cast<size_t>(e->kv.mod_revision);
            if (rev >= sent_at.size()) sent_at.resize(rev + 1024, -1);
            if (sent_at[rev] < 0 && !absl::SimpleAtoi(e->kv.value, &sent_at[rev])) continue;
            int64_t us = (now - sent_at[rev]) / 1000;
            ++mine.histogram[std::clamp<int64_t>(us, 0, kBuckets - 1)];
          }
          mine.delivered.fetch_add(static_cast<int64_t>(r->events.size()),
                                   std::memory_order_relaxed);
        }
        timespec cpu;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
        mine.cpu_ns = cpu.tv_sec * 1000000000LL + cpu.tv_nsec;
      });
    }
    auto delivered = [&] {
      int64_t n = 0;
      for (Consumer& c : stats) n += c.delivered.load(std::memory_order_relaxed);
      return n;
    };
    // The producer: `rate` puts per second, paced.
    const absl::Time start = absl::Now();
    for (int n = 0; n < events; ++n) {
      absl::Time due = start + absl::Seconds(1) * n / rate;
      absl::Duration wait = due - absl::Now();
      if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
      std::string key = own_key ? absl::StrCat("/bench/w/", n % watchers) : "/bench/w/key";
      if (!store->Put(key, absl::StrCat(absl::GetCurrentTimeNanos())).ok()) {
        state.SkipWithError("put failed");
        break;
      }
    }
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    while (delivered() < expected && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
    ready.Close();
    for (std::thread& t : consumers) t.join();
    std::vector<int64_t> histogram(kBuckets, 0);
    int64_t total = 0;
    int64_t consumer_cpu_ns = 0;
    for (Consumer& c : stats) {
      for (int b = 0; b < kBuckets; ++b) histogram[b] += c.histogram[b];
      consumer_cpu_ns += c.cpu_ns;
    }
    for (int64_t n : histogram) total += n;
    auto pct = [&](double p) -> double {
      int64_t want = static_cast<int64_t>(p * total), seen = 0;
      for (int b = 0; b < kBuckets; ++b) {
        seen += histogram[b];
        if (seen > want) return b;
      }
      return kBuckets;
    };
    state.counters["p50_us"] = pct(0.50);
    state.counters["p99_us"] = pct(0.99);
    state.counters["p999_us"] = pct(0.999);
    state.counters["delivered"] = static_cast<double>(total);
    // Load-independent cost: consumer CPU per delivered event (reading, not publishing).
    state.counters["consumer_ns_per_event"] =
        total == 0 ? 0 : static_cast<double>(consumer_cpu_ns) / total;
    state.counters["expected"] = static_cast<double>(expected);
    for (auto& w : ws) w->SetReadyCallback(nullptr);
    ws.clear();
  }
}

size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// Arg 0: watchers; arg 1: 0 = one shared prefix, 1 = each its own key.
void BM_WatcherMemory(benchmark::State& state, StoreBenchBackend backend) {
  const int watchers = static_cast<int>(state.range(0));
  const bool own_key = state.range(1) == 1;
  for (auto _ : state) {
    std::unique_ptr<Store> store = MustMake(backend, state);
    if (store == nullptr) return;
    // Warm the store's structures so the delta holds only per-watcher memory.
    auto warm = store->Watch(KeyRange::Prefix("/warm/"));
    malloc_trim(0);
    const size_t before = HeapInUse();
    std::vector<std::unique_ptr<Watcher>> ws;
    ws.reserve(watchers);
    const size_t after_reserve = HeapInUse();
    for (int i = 0; i < watchers; ++i) {
      KeyRange range =
          own_key ? KeyRange::Single(absl::StrCat("/bench/m/", i)) : KeyRange::Prefix("/bench/m/");
      auto w = store->Watch(range);
      if (!w.ok()) {
        state.SkipWithError(w.status().ToString().c_str());
        return;
      }
      ws.push_back(*std::move(w));
    }
    const size_t after = HeapInUse();
    state.counters["bytes_per_watcher"] =
        static_cast<double>(after - after_reserve + (after_reserve - before)) / watchers;
    ws.clear();
  }
}

}  // namespace

void RegisterStoreBenchmarks(const StoreBenchBackend& backend) {
  auto shared = std::make_shared<Shared>();
  const std::string& n = backend.name;
  benchmark::RegisterBenchmark(absl::StrCat("BM_Put/", n).c_str(), BM_Put, backend, shared)
      ->Threads(1)
      ->Threads(16)
      ->Threads(256)
      ->UseRealTime();
  benchmark::RegisterBenchmark(absl::StrCat("BM_Get/", n).c_str(), BM_Get, backend,
                               std::make_shared<Shared>())
      ->Threads(1)
      ->Threads(2)
      ->UseRealTime();
  benchmark::RegisterBenchmark(absl::StrCat("BM_RangePrefix100/", n).c_str(), BM_RangePrefix100,
                               backend);
  benchmark::RegisterBenchmark(absl::StrCat("BM_RangeLimit100/", n).c_str(), BM_RangeLimit100,
                               backend);
  if (backend.watch_fanout) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_WatchFanout/", n).c_str(), BM_WatchFanout,
                                 backend)
        ->ArgNames({"watchers", "events_per_s", "own_key"})
        ->Args({10000, 1000, 1})
        ->Args({10000, 1000, 0})
        ->Iterations(1)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark(absl::StrCat("BM_WatcherMemory/", n).c_str(), BM_WatcherMemory,
                               backend)
      ->ArgNames({"watchers", "own_key"})
      ->Args({10000, 1})
      ->Args({10000, 0})
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace rudder::bench
