// A Deployment of N replicas through the ReplicaSet and Deployment controllers on an
// in-process API server (memory store): time until every pod exists, until every pod is
// available once the benchmark marks them Ready, and a full rolling update (maxSurge 25%,
// maxUnavailable 25%) with the benchmark marking new pods Ready as they appear. Peak RSS of
// the whole process (API server, store, caches and controllers) is reported as a counter.
#include <sys/resource.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "benchmark/benchmark.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/manager/controller_manager.h"
#include "lib/controllers/replicaset/replicaset.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::apps::v1::Deployment;
using api::core::v1::Pod;

double PeakRssMb() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

// Marks every not-ready pod running `image` Ready; returns how many it marked.
int ReadyAll(client::TypedClient<Pod>& pods, const std::string& image) {
  auto list = pods.List("default");
  if (!list.ok()) return 0;
  int n = 0;
  for (auto& p : list->items) {
    if (p->metadata().has_deletiontimestamp() || PodReady(*p) ||
        p->spec().containers(0).image() != image) {
      continue;
    }
    p->mutable_status()->set_phase("Running");
    auto* c = p->mutable_status()->add_conditions();
    c->set_type("Ready");
    c->set_status("True");
    n += pods.UpdateStatus(*p).ok();
  }
  return n;
}

void BM_Deployment(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    FakeClock clock;
    ctrl::testing::TestCluster cluster;
    ControllerManagerOptions opts;
    opts.controllers = {"replicaset", "deployment"};
    opts.manager.clock = &clock;
    auto cm = *ControllerManager::New(cluster.client.get(), opts);
    (void)cm->Start();
    client::TypedClient<Deployment> deployments(cluster.client.get());
    client::TypedClient<Pod> pods(cluster.client.get());
    Deployment d;
    d.mutable_metadata()->set_namespace_("default");
    d.mutable_metadata()->set_name("web");
    d.mutable_spec()->set_replicas(n);
    (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
    auto* t = d.mutable_spec()->mutable_template_();
    (*t->mutable_metadata()->mutable_labels())["app"] = "web";
    auto* c = t->mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image("nginx:1");

    auto start = std::chrono::steady_clock::now();
    auto seconds = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    (void)deployments.Create(d);
    auto status = [&] {
      auto got = deployments.Get("default", "web");
      return got.ok() ? (*got)->status() : api::apps::v1::DeploymentStatus();
    };
    while (status().replicas() < n) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    state.counters["create_s"] = seconds();
    while (status().availablereplicas() < n) {
      ReadyAll(pods, "nginx:1");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    state.counters["available_s"] = seconds();

    start = std::chrono::steady_clock::now();
    auto cur = *deployments.Get("default", "web");
    cur->mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
        "nginx:2");
    (void)deployments.Update(*cur);
    while (true) {
      auto s = status();
      if (s.updatedreplicas() == n && s.replicas() == n && s.availablereplicas() == n &&
          s.observedgeneration() >= 2) {
        break;
      }
      ReadyAll(pods, "nginx:2");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    state.counters["rollout_s"] = seconds();
    state.counters["peak_rss_mb"] = PeakRssMb();
    cm->Stop();
  }
}
BENCHMARK(BM_Deployment)
    ->Arg(1000)
    ->Arg(10000)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace rudder::controllers
