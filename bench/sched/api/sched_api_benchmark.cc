// Scheduling throughput through the API: a SchedulerRunner over an in-process client of a
// Registry (MemoryStore, default admission chain, watch cache) with N nodes; M pods are
// created by a producer thread while the runner's informers watch them, schedule them and
// bind them through pods/binding. pods/s counts from the first pod created to the last
// binding written (so pod creation through admission is included, as scheduler_perf does).
//
//   bazel run -c opt --config=opt //bench/sched/api:sched_api_benchmark
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/client/client.h"
#include "lib/sched/kube/scheduler_runner.h"
#include "lib/sched/testing/builders.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::sched::kube {
namespace {

using api::core::v1::Node;
using api::core::v1::Pod;

void BM_SchedulingThroughAPI(benchmark::State& state) {
  const int num_nodes = static_cast<int>(state.range(0));
  const int num_pods = static_cast<int>(state.range(1));
  const bool events = state.range(2) != 0;
  double seconds = 0, create_seconds = 0;
  for (auto _ : state) {
    std::unique_ptr<store::Store> store = *store::NewMemoryStore();
    std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
    apiserver::RegistryOptions ro;
    ro.admission = apiserver::admission::NewDefaultChain();
    apiserver::Registry registry(store.get(), scheme.get(), ro);
    std::unique_ptr<client::Client> c = client::NewInProcessClient(&registry);
    client::TypedClient<Node> nodes(c.get());
    client::TypedClient<Pod> pods(c.get());
    for (int i = 0; i < num_nodes; ++i) {
      Node n = testing::NodeBuilder(absl::StrCat("node-", i)).Capacity("4", "32Gi", "110").Build();
      n.mutable_metadata()->clear_uid();
      if (!nodes.Create(n).ok()) state.SkipWithError("node create failed");
    }
    SchedulerRunnerOptions o;
    o.record_events = events;
    auto runner = SchedulerRunner::New(c.get(), std::move(o));
    if (!runner.ok() || !(*runner)->Start().ok()) {
      state.SkipWithError("runner failed");
      break;
    }
    (*runner)->WaitForReady(absl::InfiniteFuture());
    absl::Time start = absl::Now();
    std::thread producer([&] {
      for (int i = 0; i < num_pods; ++i) {
        Pod p = testing::PodBuilder(absl::StrCat("pod-", i)).Req("100m", "500Mi").Build();
        p.mutable_metadata()->clear_uid();
        (void)pods.Create(p);
      }
      create_seconds = absl::ToDoubleSeconds(absl::Now() - start);
    });
    while ((*runner)->Stats().bound < num_pods) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    seconds = absl::ToDoubleSeconds(absl::Now() - start);
    producer.join();
    (*runner)->Stop();
  }
  state.counters["pods_per_s"] = num_pods / seconds;
  state.counters["create_s"] = create_seconds;
  state.counters["all_bound_s"] = seconds;
}

BENCHMARK(BM_SchedulingThroughAPI)
    ->ArgNames({"nodes", "pods", "events"})
    ->Args({1000, 10000, 1})
    ->Args({1000, 10000, 0})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace rudder::sched::kube
