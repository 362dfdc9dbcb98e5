// Subresources and server-side apply over the in-process, gRPC and REST clients (one client
// thread, memory store): pods/binding, pods/eviction (no budget, and with a budget that allows
// it) and apply of a ConfigMap whose value changes on each call.
//
//   bazel run -c opt //lib/client/conformance:subresource_benchmark -- --benchmark_min_time=0.2
//
// Only the measured call is timed (manual time); p50_us and p99_us are per call.

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/fixtures/latencies.h"
#include "benchmark/benchmark.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/client/conformance/transports.h"

namespace rudder::client {
namespace {

using api::core::v1::Pod;

// One environment per transport, kept for the process.
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

const char* TransportName(int transport) {
  static constexpr const char* kNames[] = {"inprocess", "grpc", "rest"};
  return kNames[transport];
}

// Times one call per iteration; reports p50/p99 (microseconds).
class Timer {
 public:
  template <typename F>
  absl::Status Time(benchmark::State& state, F&& f) {
    absl::Time start = absl::Now();
    absl::Status st = f();
    absl::Duration d = absl::Now() - start;
    state.SetIterationTime(absl::ToDoubleSeconds(d));
    latencies_.Add(d);
    return st;
  }
  void Report(benchmark::State& state) { latencies_.Report(state); }

 private:
  rudder::bench::Latencies latencies_;
};

Pod MakePod(const std::string& ns, const std::string& name) {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_(ns);
  (*p.mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("web");
  c->set_image("nginx:1.25");
  return p;
}

void BM_Bind(benchmark::State& state) {
  const int transport = static_cast<int>(state.range(0));
  ClientEnv* env = EnvFor(transport);
  if (env == nullptr) return state.SkipWithError("no environment");
  state.SetLabel(TransportName(transport));
  TypedClient<Pod> pods(env->client());
  static int run = 0;
  const std::string ns = absl::StrCat("bind-", run++);
  Timer timer;
  int i = 0;
  for (auto _ : state) {
    std::string name = absl::StrCat("p", i++);
    if (!pods.Create(MakePod(ns, name)).ok()) return state.SkipWithError("create failed");
    api::core::v1::Binding b;
    b.mutable_metadata()->set_name(name);
    b.mutable_target()->set_name("node-1");
    absl::Status st = timer.Time(state, [&] { return env->client()->Bind(ns, b, {}); });
    if (!st.ok()) return state.SkipWithError(std::string(st.message()).c_str());
  }
  timer.Report(state);
}

// range(1): 0 = no budget, 1 = a budget (status current, disruptions allowed) selects the pods.
void BM_Evict(benchmark::State& state) {
  const int transport = static_cast<int>(state.range(0));
  const bool budget = state.range(1) != 0;
  ClientEnv* env = EnvFor(transport);
  if (env == nullptr) return state.SkipWithError("no environment");
  state.SetLabel(absl::StrCat(TransportName(transport), budget ? "/budget" : "/no-budget"));
  TypedClient<Pod> pods(env->client());
  static int run = 0;
  const std::string ns = absl::StrCat("evict-", run++);
  if (budget) {
    TypedClient<api::policy::v1::PodDisruptionBudget> pdbs(env->client());
    api::policy::v1::PodDisruptionBudget pdb;
    pdb.mutable_metadata()->set_name("web");
    pdb.mutable_metadata()->set_namespace_(ns);
    (*pdb.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
    auto created = pdbs.Create(pdb);
    if (!created.ok()) return state.SkipWithError("pdb create failed");
    pdb = **created;
    pdb.mutable_status()->set_observedgeneration(pdb.metadata().generation());
    pdb.mutable_status()->set_disruptionsallowed(1 << 30);
    pdb.mutable_status()->set_currenthealthy(1);
    pdb.mutable_status()->set_desiredhealthy(1);
    if (!pdbs.UpdateStatus(pdb).ok()) return state.SkipWithError("pdb status failed");
  }
  TypedClient<api::policy::v1::PodDisruptionBudget> pdbs(env->client());
  Timer timer;
  int i = 0;
  for (auto _ : state) {
    if (budget && i > 0 && i % 100 == 0) {
      // Untimed: forget the evicted pods, as the disruption controller does once it sees them
      // gone, so every eviction writes a budget of the same size (and stays under the limit).
      auto pdb = pdbs.Get(ns, "web");
      if (!pdb.ok()) return state.SkipWithError("pdb get failed");
      (*pdb)->mutable_status()->clear_disruptedpods();
      if (!pdbs.UpdateStatus(**pdb).ok()) return state.SkipWithError("pdb reset failed");
    }
    std::string name = absl::StrCat("p", i++);
    auto created = pods.Create(MakePod(ns, name));
    if (!created.ok()) return state.SkipWithError("create failed");
    Pod running = **created;
    running.mutable_status()->set_phase("Running");
    auto* ready = running.mutable_status()->add_conditions();
    ready->set_type("Ready");
    ready->set_status("True");
    if (!pods.UpdateStatus(running).ok()) return state.SkipWithError("status failed");
    api::policy::v1::Eviction e;
    e.mutable_metadata()->set_name(name);
    absl::Status st = timer.Time(state, [&] { return env->client()->Evict(ns, e, {}); });
    if (!st.ok()) return state.SkipWithError(std::string(st.message()).c_str());
  }
  timer.Report(state);
}

void BM_Apply(benchmark::State& state) {
  const int transport = static_cast<int>(state.range(0));
  ClientEnv* env = EnvFor(transport);
  if (env == nullptr) return state.SkipWithError("no environment");
  state.SetLabel(TransportName(transport));
  TypedClient<api::core::v1::ConfigMap> cms(env->client());
  static int run = 0;
  const std::string name = absl::StrCat("applied-", run++);
  WriteOptions o;
  o.field_manager = "bench";
  Timer timer;
  int i = 0;
  for (auto _ : state) {
    std::string config = absl::StrCat("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ", name,
                                      "\n  labels:\n    app: bench\ndata:\n  counter: \"", i++,
                                      "\"\n  config.yaml: ", std::string(200, 'x'), "\n");
    absl::Status st = timer.Time(state, [&] {
      return cms.Patch("apply", name, PatchType::kApply, config, false, o).status();
    });
    if (!st.ok()) return state.SkipWithError(std::string(st.message()).c_str());
  }
  timer.Report(state);
}

BENCHMARK(BM_Bind)->DenseRange(0, 2)->UseManualTime();
BENCHMARK(BM_Evict)->ArgsProduct({{0, 1, 2}, {0, 1}})->UseManualTime();
BENCHMARK(BM_Apply)->DenseRange(0, 2)->UseManualTime();

}  // namespace
}  // namespace rudder::client
