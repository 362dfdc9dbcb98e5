// Micro-benchmarks of the node agent on the simulated runtime:
//   BM_SteadySyncPass: one SyncOnce over a node with N running pods when nothing changed (the
//   agent's per-second cost per node);
//   BM_PodStartup: pods per second from bound to Running on one node (sandbox, container, status
//   write), including the API writes.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/runtime/agent/agent.h"
#include "lib/runtime/sim/sim_runtime.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::runtime::agent {
namespace {

using api::core::v1::Pod;

// A node with its own API server, pods listed directly (no informer).
struct Node {
  Node()
      : store(*store::NewMemoryStore()),
        scheme(api::NewBuiltinScheme()),
        registry(store.get(), scheme.get()),
        client(client::NewInProcessClient(&registry)),
        rt(sim::NewSimRuntime({.clock = &clock, .images = {"pause"}})),
        source(NewListPodSource(client.get(), "n")) {
    AgentOptions o;
    o.node_name = "n";
    o.clock = &clock;
    o.capacity = {{"cpu", "8"}, {"memory", "32Gi"}, {"pods", "110"}};
    o.pod_source = source.get();
    agent = *NewAgent(client.get(), rt.get(), o);
  }
  void AddPods(int from, int n) {
    client::TypedClient<Pod> pods(client.get());
    for (int i = from; i < from + n; ++i) {
      Pod p;
      p.mutable_metadata()->set_name(absl::StrCat("p", i));
      p.mutable_metadata()->set_namespace_("default");
      p.mutable_spec()->set_nodename("n");
      auto* c = p.mutable_spec()->add_containers();
      c->set_name("app");
      c->set_image("pause");
      (void)pods.Create(p);
    }
  }
  FakeClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<api::Scheme> scheme;
  apiserver::Registry registry;
  std::unique_ptr<client::Client> client;
  std::unique_ptr<sim::SimRuntime> rt;
  std::unique_ptr<PodSource> source;
  std::unique_ptr<Agent> agent;
};

void BM_SteadySyncPass(benchmark::State& state) {
  Node node;
  node.AddPods(0, static_cast<int>(state.range(0)));
  (void)node.agent->SyncOnce();
  for (auto _ : state) {
    node.clock.Advance(absl::Seconds(1));
    benchmark::DoNotOptimize(node.agent->SyncOnce());
  }
  state.counters["pods"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_SteadySyncPass)->Arg(10)->Arg(100);

void BM_PodStartup(benchmark::State& state) {
  Node node;
  (void)node.agent->SyncOnce();
  int next = 0;
  const int batch = 100;
  for (auto _ : state) {
    state.PauseTiming();
    node.AddPods(next, batch);
    next += batch;
    state.ResumeTiming();
    benchmark::DoNotOptimize(node.agent->SyncOnce());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_PodStartup);

}  // namespace
}  // namespace rudder::runtime::agent
