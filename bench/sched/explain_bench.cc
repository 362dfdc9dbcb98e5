// The explanation API at scheduler_perf scale: 5,000 nodes (4 cpu, 32 GiB, 110 pods), half of
// them holding a pod already.
//
//   bazel run -c opt --config=opt //bench/sched:explain_bench -- --benchmark_min_time=0.5
//
// Explain filters every node (for the exact feasible count and reasons) and scores the
// scheduler's sample; Simulate runs the scheduler's cycle per pod (counter pods/s).
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "lib/sched/explain/explain.h"
#include "lib/sched/testing/builders.h"

namespace rudder::sched::explain {
namespace {

using testing::NodeBuilder;
using testing::PodBuilder;

ClusterObjects Cluster(int nodes) {
  ClusterObjects c;
  for (int i = 0; i < nodes; ++i) {
    std::string name = "node-" + std::to_string(i);
    NodeBuilder b(name);
    b.Capacity("4", "32Gi").Label("zone", "zone-" + std::to_string(i % 10));
    if (i % 10 == 0) b.Taint("dedicated", "infra", "NoSchedule");
    c.nodes.push_back(b);
    if (i % 2 == 0) {
      c.pods.push_back(
          PodBuilder("existing-" + std::to_string(i)).Req("1", "4Gi").NodeName(name).Build());
    }
  }
  return c;
}

void BM_FromObjects(benchmark::State& state) {
  ClusterObjects c = Cluster(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto ex = Explainer::FromObjects(c, {});
    benchmark::DoNotOptimize(ex);
  }
}
BENCHMARK(BM_FromObjects)->Arg(5000)->Unit(benchmark::kMillisecond);

void BM_Explain(benchmark::State& state) {
  auto ex = Explainer::FromObjects(Cluster(static_cast<int>(state.range(0))), {}).value();
  Pod pod = PodBuilder("web").Req("100m", "500Mi");
  for (auto _ : state) {
    auto e = ex->Explain(pod);
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_Explain)->Arg(5000)->Unit(benchmark::kMicrosecond);

void BM_ExplainUnschedulable(benchmark::State& state) {
  auto ex = Explainer::FromObjects(Cluster(static_cast<int>(state.range(0))), {}).value();
  Pod pod = PodBuilder("huge").Req("5", "1Gi");
  for (auto _ : state) {
    auto e = ex->Explain(pod);
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_ExplainUnschedulable)->Arg(5000)->Unit(benchmark::kMicrosecond);

void BM_WhyNot(benchmark::State& state) {
  auto ex = Explainer::FromObjects(Cluster(static_cast<int>(state.range(0))), {}).value();
  Pod pod = PodBuilder("web").Req("100m", "500Mi");
  for (auto _ : state) {
    auto w = ex->WhyNot(pod, "node-4001");
    benchmark::DoNotOptimize(w);
  }
}
BENCHMARK(BM_WhyNot)->Arg(5000)->Unit(benchmark::kMicrosecond);

void BM_WhatWouldMakeItFit(benchmark::State& state) {
  auto ex = Explainer::FromObjects(Cluster(static_cast<int>(state.range(0))), {}).value();
  Pod pod = PodBuilder("huge").Req("5", "1Gi");
  for (auto _ : state) {
    auto f = ex->WhatWouldMakeItFit(pod);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_WhatWouldMakeItFit)->Arg(5000)->Unit(benchmark::kMillisecond);

// Simulate(nodes=5000, pods=N): the cluster is rebuilt in every iteration (part of the cost).
void BM_Simulate(benchmark::State& state) {
  ClusterObjects c = Cluster(5000);
  std::vector<Pod> pods;
  for (int i = 0; i < state.range(0); ++i) {
    pods.push_back(PodBuilder("p-" + std::to_string(i)).Req("100m", "500Mi"));
  }
  int64_t placed = 0;
  for (auto _ : state) {
    auto r = Simulate(c.nodes, c.pods, pods, {});
    placed += r->scheduled;
  }
  state.counters["pods/s"] =
      benchmark::Counter(static_cast<double>(placed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Simulate)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::sched::explain
