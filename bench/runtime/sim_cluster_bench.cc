// A simulated cluster in one process: N node agents, each on its own simulated runtime, with
// M pods per node, against an in-process API server on a MemoryStore. Reports peak memory, the
// time until every pod is Running, and the write load the agents put on the API server.
//
// Flags: --nodes=1000 --pods=100 --threads=2 --steady_rounds=30 --history=20000
// --watcher_buffer=0
// Agents share one pod informer (indexed by spec.nodeName) and run on a FakeClock that the
// driver advances by one second per pass over all agents (ten seconds per pass in the steady
// phase), so simulated time and wall time are reported apart.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/client/informer/shared_informer.h"
#include "lib/runtime/agent/agent.h"
#include "lib/runtime/sim/sim_runtime.h"
#include "lib/store/memory/memory_store.h"

namespace {

using rudder::api::core::v1::Pod;
namespace agent = rudder::runtime::agent;
namespace sim = rudder::runtime::sim;

// "VmRSS" or "VmHWM" of this process, in MiB.
double ProcMiB(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) {
      return std::strtod(line.c_str() + std::strlen(key) + 1, nullptr) / 1024.0;
    }
  }
  return 0;
}

int64_t Flag(int argc, char** argv, const std::string& name, int64_t def) {
  std::string prefix = absl::StrCat("--", name, "=");
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0) {
      int64_t v = def;
      if (absl::SimpleAtoi(argv[i] + prefix.size(), &v)) return v;
    }
  }
  return def;
}

template <typename F>
void Parallel(int threads, int n, F f) {
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = next++; i < n; i = next++) f(i);
    });
  }
  for (auto& t : ts) t.join();
}

}  // namespace

int main(int argc, char** argv) {
  const int nodes = static_cast<int>(Flag(argc, argv, "nodes", 1000));
  const int per_node = static_cast<int>(Flag(argc, argv, "pods", 100));
  const int threads = static_cast<int>(Flag(argc, argv, "threads", 2));
  const int steady_rounds = static_cast<int>(Flag(argc, argv, "steady_rounds", 30));
  const int total = nodes * per_node;

  rudder::FakeClock clock;
  // The store keeps the last 20,000 revisions (as an API server compacts etcd's history).
  rudder::store::MemoryStoreOptions so;
  so.history_retention = Flag(argc, argv, "history", 20000);
  std::unique_ptr<rudder::store::Store> store = *rudder::store::NewMemoryStore(so);
  std::unique_ptr<rudder::api::Scheme> scheme = rudder::api::NewBuiltinScheme();
  // --watcher_buffer: events a watch of the API server's watch cache may fall behind before it
  // is cut off (and its informer relists); 0: the cache's default.
  rudder::apiserver::RegistryOptions ro;
  if (int64_t b = Flag(argc, argv, "watcher_buffer", 0); b > 0) ro.cache.watcher_buffer = b;
  rudder::apiserver::Registry registry(store.get(), scheme.get(), ro);
  std::unique_ptr<rudder::client::Client> client = rudder::client::NewInProcessClient(&registry);
  std::printf("nodes=%d pods/node=%d pods=%d threads=%d\n", nodes, per_node, total, threads);
  std::printf("rss at start: %.0f MiB\n", ProcMiB("VmRSS:"));

  auto kind = *rudder::client::KindFor(client->scheme(), Pod::descriptor());
  rudder::client::InformerOptions io;
  io.watch_timeout = absl::ZeroDuration();  // the informer runs on real time
  auto informer = *rudder::client::NewSharedIndexInformer(client.get(), kind, io);
  (void)informer->SetTransform(rudder::client::StripManagedFields);
  std::atomic<int> watch_errors{0};
  (void)informer->SetWatchErrorHandler([&](const absl::Status& st) {
    if (watch_errors++ < 5) std::fprintf(stderr, "pod watch: %s\n", st.ToString().c_str());
  });
  informer->Start();
  informer->WaitForCacheSync(absl::InfiniteFuture());

  std::vector<std::unique_ptr<sim::SimRuntime>> runtimes(nodes);
  std::vector<std::unique_ptr<agent::PodSource>> sources(nodes);
  std::vector<std::unique_ptr<agent::Agent>> agents(nodes);
  for (int i = 0; i < nodes; ++i) {
    std::string name = absl::StrCat("sim-node-", i);
    runtimes[i] = sim::NewSimRuntime({.clock = &clock,
                                      .default_script = "*: cpu=5 memory=8Mi",
                                      .images = {"registry.k8s.io/pause:3.9"}});
    sources[i] = *agent::NewSharedInformerPodSource(informer.get(), name);
    agent::AgentOptions o;
    o.node_name = name;
    o.clock = &clock;
    o.capacity = {{"cpu", "32"}, {"memory", "256Gi"}, {"pods", "110"}};
    o.pod_source = sources[i].get();
    o.host_ip = absl::StrCat("10.", i / 65536, ".", (i / 256) % 256, ".", i % 256);
    agents[i] = *agent::NewAgent(client.get(), runtimes[i].get(), o);
  }
  absl::Time t0 = absl::Now();
  Parallel(threads, nodes, [&](int i) {
    absl::Status st = agents[i]->Register();
    if (!st.ok()) std::fprintf(stderr, "register %d: %s\n", i, st.ToString().c_str());
  });
  absl::Duration reg = absl::Now() - t0;
  std::printf("registered %d nodes (node + lease) in %.2f s; rss %.0f MiB\n", nodes,
              absl::ToDoubleSeconds(reg), ProcMiB("VmRSS:"));

  t0 = absl::Now();
  rudder::client::TypedClient<Pod> pods(client.get());
  Parallel(threads, nodes, [&](int i) {
    for (int j = 0; j < per_node; ++j) {
      Pod p;
      p.mutable_metadata()->set_name(absl::StrCat("pod-", i, "-", j));
      p.mutable_metadata()->set_namespace_(absl::StrCat("ns-", j % 10));
      (*p.mutable_metadata()->mutable_labels())["app"] = absl::StrCat("app-", j % 10);
      p.mutable_spec()->set_nodename(absl::StrCat("sim-node-", i));
      auto* c = p.mutable_spec()->add_containers();
      c->set_name("app");
      c->set_image("registry.k8s.io/pause:3.9");
      (*c->mutable_resources()->mutable_requests())["cpu"].set_string("10m");
      (*c->mutable_resources()->mutable_requests())["memory"].set_string("16Mi");
      auto st = pods.Create(p);
      if (!st.ok()) std::fprintf(stderr, "create: %s\n", st.status().ToString().c_str());
    }
  });
  absl::Duration create = absl::Now() - t0;
  while (informer->GetIndexer().Size() < static_cast<size_t>(total))
    absl::SleepFor(absl::Milliseconds(10));
  std::printf("created %d pods in %.2f s (%.0f/s); informer has them after %.2f s; rss %.0f MiB\n",
              total, absl::ToDoubleSeconds(create), total / absl::ToDoubleSeconds(create),
              absl::ToDoubleSeconds(absl::Now() - t0), ProcMiB("VmRSS:"));

  auto writes = [&] {
    int64_t w = 0;
    for (auto& a : agents) {
      agent::AgentCounters c = a->counters();
      w += c.pod_status_writes + c.node_status_writes + c.lease_writes;
    }
    return w;
  };
  auto running = [&] {
    int n = 0;
    for (const auto& o : informer->GetIndexer().List()) {
      if (static_cast<const Pod&>(*o).status().phase() == "Running") n++;
    }
    return n;
  };
  int64_t w0 = writes();
  t0 = absl::Now();
  int rounds = 0;
  absl::Duration sync_time;
  int seen = 0;
  while (true) {
    absl::Time r0 = absl::Now();
    Parallel(threads, nodes, [&](int i) {
      absl::Status st = agents[i]->SyncOnce();
      if (!st.ok()) std::fprintf(stderr, "sync %d: %s\n", i, st.ToString().c_str());
    });
    sync_time += absl::Now() - r0;
    rounds++;
    clock.Advance(absl::Seconds(1));
    // Wait for the informer to see this round's writes before counting.
    for (int k = 0; k < 200 && (seen = running()) < total; ++k)
      absl::SleepFor(absl::Milliseconds(10));
    if (seen >= total || rounds > 20) break;
  }
  absl::Duration to_running = absl::Now() - t0;
  int64_t startup_writes = writes() - w0;
  std::printf(
      "all %d pods Running after %d pass(es): %.2f s wall (%.2f s in agent passes); %lld API "
      "writes, %.0f writes/s; rss %.0f MiB\n",
      seen, rounds, absl::ToDoubleSeconds(to_running), absl::ToDoubleSeconds(sync_time),
      static_cast<long long>(startup_writes), startup_writes / absl::ToDoubleSeconds(sync_time),
      ProcMiB("VmRSS:"));

  // Steady state: nothing changes but time; leases every 10 s, node status every 5 min.
  w0 = writes();
  t0 = absl::Now();
  for (int r = 0; r < steady_rounds; ++r) {
    clock.Advance(absl::Seconds(10));
    Parallel(threads, nodes, [&](int i) { (void)agents[i]->SyncOnce(); });
  }
  absl::Duration steady = absl::Now() - t0;
  int64_t steady_writes = writes() - w0;
  double sim_seconds = steady_rounds * 10.0;
  std::printf(
      "steady state: %d passes (%.0f simulated s) in %.2f s wall, %.1f ms per pass over %d "
      "nodes; %lld writes = %.1f writes per simulated second\n",
      steady_rounds, sim_seconds, absl::ToDoubleSeconds(steady),
      absl::ToDoubleMilliseconds(steady) / std::max(1, steady_rounds), nodes,
      static_cast<long long>(steady_writes), steady_writes / sim_seconds);
  size_t sandboxes = 0, containers = 0;
  for (auto& rt : runtimes) {
    sandboxes += rt->SandboxCount();
    containers += rt->ContainerCount();
  }
  std::printf("runtime records: %zu sandboxes, %zu containers\n", sandboxes, containers);
  std::printf("pod informer watch errors (each followed by a resume or relist): %d\n",
              watch_errors.load());
  rudder::client::InformerStats is = informer->Stats();
  std::printf(
      "pod informer: %lld lists (%lld relists), %lld watches, %lld watch events%s%s\n",
      static_cast<long long>(is.lists), static_cast<long long>(is.relists),
      static_cast<long long>(is.watches), static_cast<long long>(is.watch_events),
      is.last_relist_cause.empty() ? "" : "; last relist after: ", is.last_relist_cause.c_str());
  std::printf("peak rss (VmHWM): %.0f MiB; rss now %.0f MiB\n", ProcMiB("VmHWM:"),
              ProcMiB("VmRSS:"));
  for (auto& a : agents) a->Stop();
  informer->Stop();
  return 0;
}
