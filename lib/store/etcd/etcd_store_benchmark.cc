// EtcdStore against a real local single-member etcd started by the EtcdCluster harness:
// put throughput with 1, 16 and 256 concurrent writers, compare-and-swap updates, point reads,
// range reads, and watch fan-out to 1 and 100 watchers of one range.
//
//   bazel run -c opt //lib/store/etcd:etcd_store_benchmark
//
// etcd's data directory lives under $TEST_TMPDIR or /tmp (pass --benchmark_... flags as usual).
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/store/etcd/etcd_store.h"
#include "lib/store/etcd/testing/shared_etcd.h"

namespace rudder::store {
namespace {

// One etcd-backed store for the whole binary (the shared etcd of the test harness; nullptr if
// etcd could not start).
Store* SharedStore() {
  // Destroyed at exit before the shared etcd it talks to (constructed after it).
  static std::unique_ptr<Store> store = [] {
    absl::StatusOr<std::unique_ptr<Store>> s = testing::NewStoreOnSharedEtcd();
    return s.ok() ? *std::move(s) : nullptr;
  }();
  return store.get();
}

const std::string kValue(256, 'v');

void BM_EtcdPut(benchmark::State& state) {
  Store* store = SharedStore();
  if (store == nullptr) {
    state.SkipWithError("etcd not available");
    return;
  }
  static std::atomic<int64_t> next{0};
  for (auto _ : state) {
    std::string key = absl::StrCat("put/", next.fetch_add(1) % 10000);
    auto rev = store->Put(key, kValue);
    if (!rev.ok()) {
      state.SkipWithError(std::string(rev.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EtcdPut)->Threads(1)->Threads(16)->Threads(256)->UseRealTime();

void BM_EtcdGet(benchmark::State& state) {
  Store* store = SharedStore();
  if (store == nullptr) {
    state.SkipWithError("etcd not available");
    return;
  }
  if (state.thread_index() == 0) store->Put("get/key", kValue).IgnoreError();
  for (auto _ : state) {
    auto kv = store->Get("get/key");
    benchmark::DoNotOptimize(kv);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EtcdGet)->Threads(1)->Threads(16)->UseRealTime();

// The API server's update: compare the key's mod_revision, put on success, read on failure.
void BM_EtcdCasUpdate(benchmark::State& state) {
  Store* store = SharedStore();
  if (store == nullptr) {
    state.SkipWithError("etcd not available");
    return;
  }
  std::string key = absl::StrCat("cas/", state.thread_index());
  auto rev = store->Put(key, kValue);
  int64_t mod = rev.ok() ? *rev : 0;
  for (auto _ : state) {
    TxnRequest txn;
    txn.compares.push_back(Compare::ModRevision(key, Compare::Op::kEqual, mod));
    txn.success.push_back(TxnOp::Put(key, kValue));
    txn.failure.push_back(TxnOp::Get(KeyRange::Single(key)));
    auto r = store->Txn(txn);
    if (!r.ok() || !r->succeeded) {
      state.SkipWithError("compare-and-swap failed");
      break;
    }
    mod = r->revision;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EtcdCasUpdate)->Threads(1)->Threads(16)->UseRealTime();

// Puts under a prefix watched by `range(0)` watchers of this store (one shared upstream) and
// waits until every watcher has received every event.
void BM_EtcdWatchFanout(benchmark::State& state) {
  Store* store = SharedStore();
  if (store == nullptr) {
    state.SkipWithError("etcd not available");
    return;
  }
  std::string prefix = absl::StrCat("fan", state.range(0), "/");
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int64_t i = 0; i < state.range(0); ++i) {
    auto w = store->Watch(KeyRange::Prefix(prefix), WatchOptions{.max_buffered_events = 1 << 20});
    if (!w.ok()) {
      state.SkipWithError("watch failed");
      return;
    }
    watchers.push_back(*std::move(w));
  }
  constexpr int kBatch = 100;
  int64_t n = 0;
  for (auto _ : state) {
    int64_t last = 0;
    for (int i = 0; i < kBatch; ++i) {
      auto rev = store->Put(absl::StrCat(prefix, n++ % 1000), kValue);
      if (rev.ok()) last = *rev;
    }
    for (auto& w : watchers) {
      int64_t seen = 0;
      while (seen < last) {
        auto r = w->NextShared(absl::Seconds(30));
        if (!r.has_value() || !r->status.ok()) {
          state.SkipWithError("watch ended");
          return;
        }
        if (!r->events.empty()) seen = r->events.back()->kv.mod_revision;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch * state.range(0));
}
BENCHMARK(BM_EtcdWatchFanout)->Arg(1)->Arg(100)->UseRealTime();

// Lists a prefix of `range(0)` keys.
void BM_EtcdRange(benchmark::State& state) {
  Store* store = SharedStore();
  if (store == nullptr) {
    state.SkipWithError("etcd not available");
    return;
  }
  std::string prefix = absl::StrCat("range", state.range(0), "/");
  TxnRequest fill;
  for (int64_t i = 0; i < state.range(0); ++i) {
    fill.success.push_back(TxnOp::Put(absl::StrCat(prefix, i), kValue));
    if (fill.success.size() == 100 || i + 1 == state.range(0)) {
      store->Txn(fill).IgnoreError();
      fill.success.clear();
    }
  }
  for (auto _ : state) {
    auto r = store->Range(KeyRange::Prefix(prefix));
    if (!r.ok() || r->kvs.size() != static_cast<size_t>(state.range(0))) {
      state.SkipWithError("range failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EtcdRange)->Arg(100)->Arg(1000)->UseRealTime();

}  // namespace
}  // namespace rudder::store
