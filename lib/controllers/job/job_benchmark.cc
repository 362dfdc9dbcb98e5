// Job controller: time from start until a Job with parallelism N has N active pods.
#include <chrono>
#include <memory>
#include <thread>

#include "benchmark/benchmark.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/controllers/job/job.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

void BM_JobStartPods(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    FakeClock clock;
    ctrl::testing::TestCluster cluster;
    api::batch::v1::Job job;
    job.mutable_metadata()->set_namespace_("default");
    job.mutable_metadata()->set_name("work");
    job.mutable_spec()->set_completions(n);
    job.mutable_spec()->set_parallelism(n);
    auto* t = job.mutable_spec()->mutable_template_();
    t->mutable_spec()->set_restartpolicy("Never");
    auto* c = t->mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image("busybox");
    client::TypedClient<api::batch::v1::Job> jobs(cluster.client.get());
    (void)jobs.Create(job);
    auto mgr = *ctrl::Manager::New(cluster.client.get(), {.clock = &clock});
    (void)AddJobController(mgr.get());
    state.ResumeTiming();
    (void)mgr->Start();
    while (true) {
      auto j = jobs.Get("default", "work");
      if (j.ok() && (*j)->status().active() == n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    state.PauseTiming();
    mgr->Stop();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_JobStartPods)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace rudder::controllers
