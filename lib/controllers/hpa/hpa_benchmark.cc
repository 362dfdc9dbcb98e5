// The HPA's per-metric replica calculation over N pods (one sync of one metric).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/hpa/hpa.h"

namespace rudder::controllers {
namespace {

void BM_ComputeResourceReplicas(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<api::core::v1::Pod> pods(n);
  ResourceReplicaInput in;
  in.current_replicas = n;
  in.resource = "cpu";
  in.target_utilization = 50;
  for (int i = 0; i < n; ++i) {
    auto& p = pods[i];
    p.mutable_metadata()->set_name(absl::StrCat("web-", i));
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("c");
    (*c->mutable_resources()->mutable_requests())["cpu"].set_string("100m");
    p.mutable_status()->set_phase("Running");
    auto* cond = p.mutable_status()->add_conditions();
    cond->set_type("Ready");
    cond->set_status("True");
    if (i % 10 != 0) in.usage[p.metadata().name()] = {.milli_value = 70 + i % 7};
  }
  for (const auto& p : pods) in.pods.push_back(&p);
  for (auto _ : state) {
    auto r = ComputeResourceReplicas(in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ComputeResourceReplicas)->Arg(10)->Arg(1000);

}  // namespace
}  // namespace rudder::controllers
