// Benchmarks of the reconcile framework's hot paths: requests through a controller's queue
// and workers, and reads through the manager's cached client.
#include <atomic>
#include <memory>
#include <thread>

#include "benchmark/benchmark.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/controller.h"
#include "lib/controllers/runtime/internal/testing.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::ctrl {
namespace {

using api::core::v1::ConfigMap;

// Enqueue -> no-op reconcile -> Done, for distinct keys, with N workers.
void BM_ControllerThroughput(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  std::atomic<int64_t> done{0};
  ControllerOptions o;
  o.name = "bench";
  o.max_concurrent_reconciles = workers;
  Controller c(o, ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
                 done.fetch_add(1, std::memory_order_relaxed);
                 return Result{};
               }));
  (void)c.Start();
  std::vector<Request> keys;
  for (int i = 0; i < 1024; ++i) keys.push_back({"", "ns", absl::StrCat("obj-", i)});
  int64_t sent = 0;
  for (auto _ : state) {
    c.Enqueue(keys[sent % keys.size()]);
    ++sent;
    if (sent % 1024 == 0) {
      while (done.load() < sent - 2048) std::this_thread::yield();
    }
  }
  c.Stop();
  state.counters["reconciles"] = static_cast<double>(done.load());
  state.SetItemsProcessed(sent);
}
BENCHMARK(BM_ControllerThroughput)->Arg(1)->Arg(8)->UseRealTime();

// Get of a ConfigMap through the manager's client once the cache has it (a copy out of the
// shared cache), against the in-process API server directly.
void BM_CachedClientGet(benchmark::State& state) {
  const bool cached = state.range(0) == 1;
  testing::TestCluster cluster;
  auto mgr = *Manager::New(cluster.client.get());
  (void)mgr->Start();
  client::TypedClient<ConfigMap> direct(cluster.client.get());
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("ns");
  cm.mutable_metadata()->set_name("cfg");
  for (int i = 0; i < 20; ++i) (*cm.mutable_data())[absl::StrCat("key-", i)] = "value";
  (void)direct.Create(cm);
  client::TypedClient<ConfigMap> reader(cached ? mgr->GetClient() : cluster.client.get());
  if (cached) {
    while (mgr->GetCluster()->CacheReads() == 0) {
      (void)reader.Get("ns", "cfg");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  for (auto _ : state) {
    auto got = reader.Get("ns", "cfg");
    benchmark::DoNotOptimize(got);
  }
  state.SetItemsProcessed(state.iterations());
  mgr->Stop();
}
BENCHMARK(BM_CachedClientGet)->Arg(0)->Arg(1);

}  // namespace
}  // namespace rudder::ctrl
