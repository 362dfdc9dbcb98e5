// TestCluster start and stop, bare and with the garbage collector (which watches every
// listable kind), and one create -> collected round trip waited for by quiescence.
#include "benchmark/benchmark.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/testing/test_cluster.h"

namespace rudder::testing {
namespace {

void BM_StartBare(benchmark::State& state) {
  for (auto _ : state) {
    auto tc = TestCluster::Start({});
    if (!tc.ok()) state.SkipWithError("start failed");
    benchmark::DoNotOptimize(tc);
  }
}
BENCHMARK(BM_StartBare)->Unit(benchmark::kMillisecond);

void BM_StartWithGarbageCollector(benchmark::State& state) {
  for (auto _ : state) {
    TestClusterOptions o;
    o.controllers = {GarbageCollectorController()};
    auto tc = TestCluster::Start(std::move(o));
    if (!tc.ok()) state.SkipWithError("start failed");
    benchmark::DoNotOptimize(tc);
  }
}
BENCHMARK(BM_StartWithGarbageCollector)->Unit(benchmark::kMillisecond);

void BM_CollectOneDependent(benchmark::State& state) {
  TestClusterOptions o;
  o.controllers = {GarbageCollectorController()};
  auto tc = TestCluster::Start(std::move(o));
  if (!tc.ok()) {
    state.SkipWithError("start failed");
    return;
  }
  client::TypedClient<api::core::v1::ConfigMap> maps((*tc)->client());
  int i = 0;
  for (auto _ : state) {
    api::core::v1::ConfigMap owner;
    owner.mutable_metadata()->set_namespace_("default");
    owner.mutable_metadata()->set_name("owner-" + std::to_string(i));
    auto created = maps.Create(owner);
    api::core::v1::ConfigMap dep;
    dep.mutable_metadata()->set_namespace_("default");
    dep.mutable_metadata()->set_name("dep-" + std::to_string(i++));
    auto* r = dep.mutable_metadata()->add_ownerreferences();
    r->set_apiversion("v1");
    r->set_kind("ConfigMap");
    r->set_name((*created)->metadata().name());
    r->set_uid((*created)->metadata().uid());
    (void)maps.Create(dep);
    (void)maps.Delete("default", owner.metadata().name());
    if (!(*tc)->WaitForQuiescence().ok()) state.SkipWithError("not quiescent");
  }
}
BENCHMARK(BM_CollectOneDependent)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::testing
