// API server transports: create, get and update throughput and latency over the in-process,
// gRPC and REST clients (one client thread, memory store); LIST of 10,000 pods; a watch event
// fanned out to 1,000 REST watchers.
//
//   bazel run -c opt //bench/apiserver:transport_benchmark -- --benchmark_min_time=0.5
//
// Latency counters (p50_us, p99_us) are per request, measured at the caller; for the fan-out,
// from just before the write to each watcher's consumer receiving the event.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/fixtures/latencies.h"
#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/conformance/transports.h"

namespace rudder::client {
namespace {

using api::core::v1::ConfigMap;
using api::core::v1::Pod;

constexpr const char* kTransportNames[] = {"inprocess", "grpc", "rest"};

// One environment per transport, made on first use and kept for the process (benchmark
// functions run several times while Google Benchmark sizes the iteration count).
ClientEnv* EnvFor(int transport) {
  static ClientEnv* envs[3] = {nullptr, nullptr, nullptr};
  if (envs[transport] == nullptr) {
    absl::StatusOr<std::unique_ptr<ClientEnv>> env = transport == 0   ? NewInProcessEnv()
                                                     : transport == 1 ? NewGrpcEnv()
                                                                      : NewRestEnv();
    if (!env.ok()) return nullptr;
    envs[transport] = env->release();  // lives until exit
  }
  return envs[transport];
}

// CPU time of the calling thread: for the REST and gRPC clients, the client's own work
// (reading and decoding the response), not the server's.
double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

using rudder::bench::Latencies;

ConfigMap MakeConfigMap(const std::string& ns, const std::string& name) {
  ConfigMap cm;
  cm.mutable_metadata()->set_name(name);
  cm.mutable_metadata()->set_namespace_(ns);
  (*cm.mutable_metadata()->mutable_labels())["app"] = "bench";
  (*cm.mutable_data())["config.yaml"] = std::string(200, 'x');
  return cm;
}

// A scheduled pod with one container (about 1.5 KB of JSON).
const Pod& PodTemplate() {
  static const Pod* pod = [] {
    auto* p = new Pod();
    absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJson(
        R"({"metadata":{"namespace":"list","labels":{"app":"web","pod-template-hash":"7d4b9c8f6d"},
        "annotations":{"prometheus.io/scrape":"true"}},
        "spec":{"containers":[{"name":"web","image":"nginx:1.25","args":["--port","8080"],
        "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
        "env":[{"name":"A","value":"1"}],
        "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"64Mi"}},
        "readinessProbe":{"tcpSocket":{"port":8080},"periodSeconds":10},
        "imagePullPolicy":"IfNotPresent"}],
        "restartPolicy":"Always","terminationGracePeriodSeconds":30,"nodeName":"node-17",
        "serviceAccountName":"web","schedulerName":"default-scheduler",
        "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]}})",
        p);
    if (!r.ok()) std::abort();
    return p;
  }();
  return *pod;
}

void BM_Create(benchmark::State& state) {
  ClientEnv* env = EnvFor(static_cast<int>(state.range(0)));
  if (env == nullptr) return state.SkipWithError("no environment");
  state.SetLabel(kTransportNames[state.range(0)]);
  TypedClient<ConfigMap> cms(env->client());
  static std::atomic<int64_t> next{0};
  Latencies lat;
  for (auto _ : state) {
    ConfigMap cm = MakeConfigMap("create", absl::StrCat("cm-", next++));
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<ConfigMap>> r = cms.Create(cm);
    lat.Add(absl::Now() - start);
    if (!r.ok()) return state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  lat.Report(state);
}
BENCHMARK(BM_Create)->DenseRange(0, 2)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Get(benchmark::State& state) {
  ClientEnv* env = EnvFor(static_cast<int>(state.range(0)));
  if (env == nullptr) return state.SkipWithError("no environment");
  state.SetLabel(kTransportNames[state.range(0)]);
  TypedClient<ConfigMap> cms(env->client());
  if (!cms.Get("get", "one").ok()) (void)cms.Create(MakeConfigMap("get", "one"));
  Latencies lat;
  for (auto _ : state) {
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<ConfigMap>> r = cms.Get("get", "one");
    lat.Add(absl::Now() - start);
    if (!r.ok()) return state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  lat.Report(state);
}
BENCHMARK(BM_Get)->DenseRange(0, 2)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Update(benchmark::State& state) {
  ClientEnv* env = EnvFor(static_cast<int>(state.range(0)));
  if (env == nullptr) return state.SkipWithError("no environment");
  state.SetLabel(kTransportNames[state.range(0)]);
  TypedClient<ConfigMap> cms(env->client());
  absl::StatusOr<std::unique_ptr<ConfigMap>> cur = cms.Get("update", "one");
  if (!cur.ok()) cur = cms.Create(MakeConfigMap("update", "one"));
  if (!cur.ok()) return state.SkipWithError(cur.status().ToString().c_str());
  std::unique_ptr<ConfigMap> obj = *std::move(cur);
  Latencies lat;
  int64_t i = 0;
  for (auto _ : state) {
    (*obj->mutable_data())["n"] = absl::StrCat(i++);
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<ConfigMap>> r = cms.Update(*obj);
    lat.Add(absl::Now() - start);
    if (!r.ok()) return state.SkipWithError(r.status().ToString().c_str());
    obj = *std::move(r);
  }
  state.SetItemsProcessed(state.iterations());
  lat.Report(state);
}
BENCHMARK(BM_Update)->DenseRange(0, 2)->UseRealTime()->Unit(benchmark::kMicrosecond);

// LIST of 10,000 pods in one namespace (one page), decoded into messages at the caller.
// client_cpu_ms: CPU of the calling thread per LIST (the client reads and decodes there).
void BM_List10kPods(benchmark::State& state) {
  ClientEnv* env = EnvFor(static_cast<int>(state.range(0)));
  if (env == nullptr) return state.SkipWithError("no environment");
  state.SetLabel(kTransportNames[state.range(0)]);
  TypedClient<Pod> pods(env->client());
  constexpr int kPods = 10000;
  absl::StatusOr<TypedList<Pod>> have = pods.List("list");
  if (!have.ok()) return state.SkipWithError(have.status().ToString().c_str());
  for (int i = static_cast<int>(have->items.size()); i < kPods; ++i) {
    Pod p = PodTemplate();
    p.mutable_metadata()->set_name(absl::StrCat("web-", i));
    absl::StatusOr<std::unique_ptr<Pod>> r = pods.Create(p);
    if (!r.ok()) return state.SkipWithError(r.status().ToString().c_str());
  }
  Latencies lat;
  double cpu_ms = 0;
  for (auto _ : state) {
    absl::Time start = absl::Now();
    const double cpu_start = ThreadCpuMs();
    absl::StatusOr<TypedList<Pod>> list = pods.List("list");
    cpu_ms += ThreadCpuMs() - cpu_start;
    lat.Add(absl::Now() - start);
    if (!list.ok()) return state.SkipWithError(list.status().ToString().c_str());
    if (list->items.size() != kPods) return state.SkipWithError("wrong item count");
  }
  state.SetItemsProcessed(state.iterations() * kPods);
  state.counters["client_cpu_ms"] = cpu_ms / static_cast<double>(state.iterations());
  lat.Report(state);
}
BENCHMARK(BM_List10kPods)->DenseRange(0, 2)->UseRealTime()->Unit(benchmark::kMillisecond);

// One ConfigMap update delivered to 1,000 watchers: REST (each watcher its own connection and
// server thread) or gRPC (streams multiplexed on one channel). Items are deliveries; latency
// runs from just before the write to each consumer's receipt.
void BM_WatchFanOut(benchmark::State& state) {
  const int transport = static_cast<int>(state.range(0));
  const int watchers = static_cast<int>(state.range(1));
  state.SetLabel(kTransportNames[transport]);
  static ClientEnv* rest = [] {
    absl::StatusOr<std::unique_ptr<ClientEnv>> e = NewRestEnv(/*server_threads=*/1100);
    return e.ok() ? e->release() : nullptr;
  }();
  ClientEnv* env = transport == 2 ? rest : EnvFor(transport);
  if (env == nullptr) return state.SkipWithError("no environment");
  TypedClient<ConfigMap> cms(env->client());
  absl::StatusOr<std::unique_ptr<ConfigMap>> cur = cms.Get("fanout", "one");
  if (!cur.ok()) cur = cms.Create(MakeConfigMap("fanout", "one"));
  if (!cur.ok()) return state.SkipWithError(cur.status().ToString().c_str());
  std::unique_ptr<ConfigMap> obj = *std::move(cur);
  // Every watcher has its own REST client (connection) and starts after the current state.
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<ObjectWatcher>> ws;
  for (int i = 0; i < watchers; ++i) {
    Client* c = env->client();
    if (transport == 2) {
      absl::StatusOr<std::unique_ptr<Client>> own = env->NewClient();
      if (!own.ok()) return state.SkipWithError(own.status().ToString().c_str());
      clients.push_back(*std::move(own));
      c = clients.back().get();
    }
    WatchOptions o;
    o.resource_version = obj->metadata().resourceversion();
    o.selectors.field_selector = "metadata.name=one";
    absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = TypedClient<ConfigMap>(c).Watch("fanout", o);
    if (!w.ok()) return state.SkipWithError(w.status().ToString().c_str());
    ws.push_back(*std::move(w));
  }
  Latencies lat;
  int64_t i = 0;
  for (auto _ : state) {
    (*obj->mutable_data())["n"] = absl::StrCat(i++);
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<ConfigMap>> r = cms.Update(*obj);
    if (!r.ok()) return state.SkipWithError(r.status().ToString().c_str());
    obj = *std::move(r);
    for (auto& w : ws) {
      std::optional<ObjectEvent> e = w->Next(absl::Seconds(60));
      if (!e.has_value() || e->type != "MODIFIED") {
        return state.SkipWithError("a watcher missed the event");
      }
      lat.Add(absl::Now() - start);
    }
  }
  state.SetItemsProcessed(state.iterations() * watchers);
  lat.Report(state);
  for (auto& w : ws) w->Cancel();
}
BENCHMARK(BM_WatchFanOut)
    ->Args({1, 1000})
    ->Args({2, 1000})
    ->Iterations(30)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::client
