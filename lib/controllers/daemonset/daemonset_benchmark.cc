// DaemonSet controller: time from start until a DaemonSet has a pod on each of N nodes.
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/daemonset/daemonset.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

void BM_DaemonSetPlacement(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    FakeClock clock;
    ctrl::testing::TestCluster cluster;
    client::TypedClient<api::core::v1::Node> node_client(cluster.client.get());
    for (int i = 0; i < nodes; ++i) {
      api::core::v1::Node n;
      n.mutable_metadata()->set_name(absl::StrCat("node-", i));
      (void)node_client.Create(n);
    }
    api::apps::v1::DaemonSet ds;
    ds.mutable_metadata()->set_namespace_("default");
    ds.mutable_metadata()->set_name("agent");
    (*ds.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "agent";
    auto* t = ds.mutable_spec()->mutable_template_();
    (*t->mutable_metadata()->mutable_labels())["app"] = "agent";
    auto* c = t->mutable_spec()->add_containers();
    c->set_name("agent");
    c->set_image("agent:1");
    (void)client::TypedClient<api::apps::v1::DaemonSet>(cluster.client.get()).Create(ds);
    auto mgr = *ctrl::Manager::New(cluster.client.get(), {.clock = &clock});
    (void)AddDaemonSetController(mgr.get());
    client::TypedClient<api::apps::v1::DaemonSet> sets(cluster.client.get());
    state.ResumeTiming();
    (void)mgr->Start();
    while (true) {
      auto d = sets.Get("default", "agent");
      if (d.ok() && (*d)->status().currentnumberscheduled() == nodes) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    state.PauseTiming();
    mgr->Stop();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * nodes);
}
BENCHMARK(BM_DaemonSetPlacement)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace rudder::controllers
