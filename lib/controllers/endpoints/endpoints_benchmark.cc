// Endpoints and EndpointSlice controllers: time from start until a Service's N ready pods are
// published in its Endpoints and EndpointSlices.
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/discovery/v1/discovery.pb.h"
#include "lib/controllers/endpoints/endpoints.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

void BM_EndpointsPublish(benchmark::State& state) {
  const int pods = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    FakeClock clock;
    ctrl::testing::TestCluster cluster;
    api::core::v1::Service svc;
    svc.mutable_metadata()->set_namespace_("default");
    svc.mutable_metadata()->set_name("web");
    (*svc.mutable_spec()->mutable_selector())["app"] = "web";
    auto* port = svc.mutable_spec()->add_ports();
    port->set_port(80);
    port->mutable_targetport()->set_intval(8080);
    (void)client::TypedClient<api::core::v1::Service>(cluster.client.get()).Create(svc);
    client::TypedClient<api::core::v1::Pod> pod_client(cluster.client.get());
    for (int i = 0; i < pods; ++i) {
      api::core::v1::Pod p;
      p.mutable_metadata()->set_namespace_("default");
      p.mutable_metadata()->set_name(absl::StrCat("web-", i));
      (*p.mutable_metadata()->mutable_labels())["app"] = "web";
      auto* c = p.mutable_spec()->add_containers();
      c->set_name("main");
      c->set_image("nginx");
      auto made = pod_client.Create(p);
      if (!made.ok()) continue;
      p = **made;
      p.mutable_status()->set_podip(
          absl::StrCat("10.", i / 65536, ".", (i / 256) % 256, ".", i % 256));
      auto* cond = p.mutable_status()->add_conditions();
      cond->set_type("Ready");
      cond->set_status("True");
      (void)pod_client.UpdateStatus(p);
    }
    auto mgr = *ctrl::Manager::New(cluster.client.get(), {.clock = &clock});
    (void)AddEndpointsController(mgr.get());
    (void)AddEndpointSliceController(mgr.get());
    client::TypedClient<api::core::v1::Endpoints> eps(cluster.client.get());
    client::TypedClient<api::discovery::v1::EndpointSlice> slices(cluster.client.get());
    state.ResumeTiming();
    (void)mgr->Start();
    while (true) {
      int in_eps = 0, in_slices = 0;
      auto e = eps.Get("default", "web");
      if (e.ok()) {
        for (const auto& s : (*e)->subsets()) in_eps += s.addresses_size();
      }
      auto l = slices.List("default");
      if (l.ok()) {
        for (const auto& s : l->items) in_slices += s->endpoints_size();
      }
      if (in_eps == pods && in_slices == pods) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    state.PauseTiming();
    mgr->Stop();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * pods);
}
BENCHMARK(BM_EndpointsPublish)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace rudder::controllers
