#include "cmd/rudder/sim.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cmd/rudder/common.h"
#include "cmd/rudder/flags.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/admission.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/registry/eviction.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/apiserver/rest/server.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/client/informer/shared_informer.h"
#include "lib/controllers/manager/controller_manager.h"
#include "lib/runtime/agent/agent.h"
#include "lib/runtime/sim/sim_runtime.h"
#include "lib/sched/kube/scheduler_runner.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::cmd {
namespace {

using api::apps::v1::Deployment;
using api::core::v1::Node;
using api::core::v1::Pod;

constexpr char kRevisionAnnotation[] = "sim.rudder.dev/revision";
constexpr char kImage[] = "registry.k8s.io/pause:3.9";

// Places each new pod on the next schedulable node, round-robin, when it is created: a
// baseline without scheduling cost (--placement=round-robin). Thread-safe.
class RoundRobinPlacement : public apiserver::admission::Plugin {
 public:
  explicit RoundRobinPlacement(std::vector<std::string> nodes) : nodes_(std::move(nodes)) {}
  std::string_view name() const override { return "SimRoundRobinPlacement"; }
  absl::Status Admit(apiserver::admission::Attributes& a) override {
    if (a.operation != apiserver::admission::Operation::kCreate || !a.subresource.empty() ||
        a.object == nullptr || a.object->GetDescriptor() != Pod::descriptor()) {
      return absl::OkStatus();
    }
    Pod* pod = static_cast<Pod*>(a.object);
    if (!pod->spec().nodename().empty()) return absl::OkStatus();
    MutexLock l(&mu_);
    for (size_t k = 0; k < nodes_.size(); ++k) {
      const std::string& n = nodes_[next_++ % nodes_.size()];
      if (!cordoned_.contains(n)) {
        pod->mutable_spec()->set_nodename(n);
        break;
      }
    }
    return absl::OkStatus();
  }
  void Cordon(const std::string& node) {
    MutexLock l(&mu_);
    cordoned_[node] = true;
  }

 private:
  Mutex mu_;
  const std::vector<std::string> nodes_;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, bool> cordoned_ ABSL_GUARDED_BY(mu_);
};

// What the simulation knows of one pod, from the shared pod informer.
struct PodTrack {
  absl::Time seen;     // first seen (created)
  absl::Time running;  // first seen Running (InfinitePast: not yet)
  std::string node;
  std::string revision;
  bool deleting = false;
};

// Pod bookkeeping fed by the informer's handler. Thread-safe.
class PodTracker {
 public:
  void Observe(const Pod& pod, bool deleted) {
    absl::Time now = absl::Now();
    MutexLock l(&mu_);
    const std::string& uid = pod.metadata().uid();
    if (deleted) {
      pods_.erase(uid);
      return;
    }
    auto [it, inserted] = pods_.try_emplace(uid);
    PodTrack& t = it->second;
    if (inserted) {
      t.seen = now;
      t.running = absl::InfinitePast();
    }
    t.node = pod.spec().nodename();
    auto rev = pod.metadata().annotations().find(kRevisionAnnotation);
    t.revision = rev == pod.metadata().annotations().end() ? "" : rev->second;
    t.deleting = pod.metadata().has_deletiontimestamp();
    if (t.running == absl::InfinitePast() && pod.status().phase() == "Running") {
      t.running = now;
      latencies_.push_back(now - t.seen);
    }
  }

  struct Counts {
    int total = 0;            // pods that exist
    int running_current = 0;  // Running, not deleting, of `revision`, not on `avoid_node`
    int on_avoided = 0;       // pods still on `avoid_node`
    int other_revisions = 0;  // pods of another revision still existing
    int bound = 0;            // pods with a node
  };
  Counts Count(const std::string& revision, const std::string& avoid_node) const {
    MutexLock l(&mu_);
    Counts c;
    for (const auto& [uid, t] : pods_) {
      c.total++;
      if (!t.node.empty()) c.bound++;
      if (!avoid_node.empty() && t.node == avoid_node) {
        c.on_avoided++;
        continue;
      }
      if (t.revision != revision) {
        c.other_revisions++;
        continue;
      }
      if (!t.deleting && t.running != absl::InfinitePast()) c.running_current++;
    }
    return c;
  }
  // Start latencies recorded since the last call.
  std::vector<absl::Duration> TakeLatencies() {
    MutexLock l(&mu_);
    std::vector<absl::Duration> out;
    out.swap(latencies_);
    return out;
  }
  // The node with the most pods.
  std::string BusiestNode() const {
    MutexLock l(&mu_);
    std::map<std::string, int> n;
    for (const auto& [uid, t] : pods_) n[t.node]++;
    std::string best;
    int most = -1;
    for (const auto& [node, k] : n) {
      if (k > most && !node.empty()) best = node, most = k;
    }
    return best;
  }

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, PodTrack> pods_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> latencies_ ABSL_GUARDED_BY(mu_);
};

// Runs the node agents' SyncOnce on `workers` threads (agent i on worker i % workers): an agent
// whose pods changed (Poke, from the pod informer's handler) at once, and every agent once per
// `interval` for its timers (lease, node status, container scripts). Thread-safe.
class AgentDriver {
 public:
  AgentDriver(std::vector<runtime::agent::Agent*> agents, int workers, absl::Duration interval)
      : agents_(std::move(agents)),
        interval_(interval),
        queued_(agents_.size(), 0),
        workers_(workers) {
    for (int w = 0; w < workers; ++w) workers_[w].thread = std::thread([this, w] { Loop(w); });
  }
  ~AgentDriver() { Stop(); }
  void Stop() {
    {
      MutexLock l(&mu_);
      stop_ = true;
      for (Worker& w : workers_) w.cv.SignalAll();
    }
    for (Worker& w : workers_) {
      if (w.thread.joinable()) w.thread.join();
    }
  }
  // Asks for a pass of agent `i` soon (its pods changed).
  void Poke(size_t i) {
    if (i >= agents_.size()) return;
    MutexLock l(&mu_);
    if (queued_[i]) return;
    queued_[i] = 1;
    Worker& w = workers_[i % workers_.size()];
    w.queue.push_back(i);
    if (w.queue.size() == 1) w.cv.Signal();
  }
  int64_t errors() const { return errors_; }

 private:
  struct Worker {
    std::thread thread;
    CondVar cv;
    std::vector<size_t> queue;  // guarded by mu_
  };

  void Loop(int w) {
    const size_t n = agents_.size(), step = workers_.size();
    absl::Time next_full = absl::Now();
    std::vector<size_t> batch;
    while (true) {
      bool full = false;
      {
        MutexLock l(&mu_);
        while (!stop_ && workers_[w].queue.empty()) {
          absl::Duration left = next_full - absl::Now();
          if (left <= absl::ZeroDuration()) break;
          workers_[w].cv.WaitWithTimeout(&mu_, left);
        }
        if (stop_) return;
        batch.swap(workers_[w].queue);
        for (size_t i : batch) queued_[i] = 0;
        if (absl::Now() >= next_full) {
          full = true;
          batch.clear();
          for (size_t i = w; i < n; i += step) queued_[i] = 0;
        }
      }
      if (full) {
        next_full = absl::Now() + interval_;
        for (size_t i = w; i < n && !stop_; i += step) Sync(i);
      } else {
        for (size_t i : batch) Sync(i);
      }
      batch.clear();
    }
  }
  void Sync(size_t i) {
    if (!agents_[i]->SyncOnce().ok()) errors_++;
  }

  const std::vector<runtime::agent::Agent*> agents_;
  const absl::Duration interval_;
  Mutex mu_;
  std::atomic<bool> stop_{false};
  std::vector<char> queued_ ABSL_GUARDED_BY(mu_);  // agent i is in its worker's queue
  std::vector<Worker> workers_;
  std::atomic<int64_t> errors_{0};
};

std::string Percentile(std::vector<absl::Duration>& v, double p) {
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return absl::StrFormat("%.0f ms", absl::ToDoubleMilliseconds(v[i]));
}

double MiB(int64_t bytes) { return bytes / 1048576.0; }

Deployment SimDeployment(int replicas) {
  Deployment d;
  d.mutable_metadata()->set_name("sim");
  d.mutable_metadata()->set_namespace_("default");
  d.mutable_spec()->set_replicas(replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "sim";
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = "sim";
  (*tmpl->mutable_metadata()->mutable_annotations())[kRevisionAnnotation] = "1";
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image(kImage);
  (*c->mutable_resources()->mutable_requests())["cpu"].set_string("10m");
  (*c->mutable_resources()->mutable_requests())["memory"].set_string("16Mi");
  return d;
}

}  // namespace

int RunSim(const std::vector<std::string>& args) {
  FlagSet flags("sim");
  flags.String("nodes", "100", "simulated nodes");
  flags.String("pods", "1000", "replicas of the Deployment");
  flags.String("scenario", "deploy,roll,drain",
               "steps, in order: deploy (create, wait until all Running), roll (new template, "
               "wait for the rollout), drain (cordon a node, evict its pods, wait)");
  flags.String("port", "",
               "serve the API on 127.0.0.1:PORT (0 picks one) and keep running after the "
               "scenario until Ctrl-C");
  flags.String("placement", "scheduler",
               "how pods get their node: scheduler (the scheduler, binding through the API) or "
               "round-robin (at creation, no scheduling: a baseline)");
  flags.String("workers", "2", "threads running the node agents' passes");
  flags.String("sync-interval", "1s",
               "how often each agent makes a pass over all its pods (a pod's change wakes its "
               "node's agent at once)");
  flags.String("timeout", "10m", "how long one step may take before the run fails");
  flags.Bool("help", false, "print the flags");
  if (absl::Status s = flags.Parse(args); !s.ok()) {
    std::cerr << "rudder sim: " << s.message() << "\n\n" << flags.Usage();
    return 2;
  }
  if (flags.GetBool("help")) {
    std::cout << flags.Usage();
    return 0;
  }
  int nodes = 0, replicas = 0, workers = 0;
  absl::Duration sync_interval, timeout;
  if (!absl::SimpleAtoi(flags.Get("nodes"), &nodes) || nodes < 1 || nodes > 100000) {
    std::cerr << "rudder sim: --nodes: want 1..100000\n";
    return 2;
  }
  if (!absl::SimpleAtoi(flags.Get("pods"), &replicas) || replicas < 0 || replicas > 1000000) {
    std::cerr << "rudder sim: --pods: want 0..1000000\n";
    return 2;
  }
  if (!absl::SimpleAtoi(flags.Get("workers"), &workers) || workers < 1 || workers > 64) {
    std::cerr << "rudder sim: --workers: want 1..64\n";
    return 2;
  }
  if (!absl::ParseDuration(flags.Get("sync-interval"), &sync_interval) ||
      sync_interval <= absl::ZeroDuration()) {
    std::cerr << "rudder sim: --sync-interval: not a positive duration\n";
    return 2;
  }
  if (!absl::ParseDuration(flags.Get("timeout"), &timeout) || timeout <= absl::ZeroDuration()) {
    std::cerr << "rudder sim: --timeout: not a positive duration\n";
    return 2;
  }
  std::vector<std::string> steps = absl::StrSplit(flags.Get("scenario"), ',', absl::SkipEmpty());
  for (const std::string& s : steps) {
    if (s != "deploy" && s != "roll" && s != "drain") {
      std::cerr << "rudder sim: --scenario: unknown step \"" << s
                << "\" (want deploy, roll, drain)\n";
      return 2;
    }
  }
  if (steps.empty() || steps[0] != "deploy") {
    std::cerr << "rudder sim: --scenario must start with deploy\n";
    return 2;
  }
  int port = -1;
  if (!flags.Get("port").empty()) {
    absl::StatusOr<int> p = ParsePort("port", flags.Get("port"));
    if (!p.ok()) {
      std::cerr << "rudder sim: " << p.status().message() << "\n";
      return 2;
    }
    port = *p;
    if (absl::Status s = CheckPortFree(port); !s.ok()) {
      std::cerr << "rudder sim: cannot serve the API on 127.0.0.1:" << port << ": " << s.message()
                << "\n";
      return 1;
    }
  }
  const std::string placement_mode = flags.Get("placement");
  if (placement_mode != "scheduler" && placement_mode != "round-robin") {
    std::cerr << "rudder sim: --placement: want scheduler or round-robin\n";
    return 2;
  }
  const bool round_robin = placement_mode == "round-robin";
  sigset_t set = BlockStopSignals();
  const bool tty = isatty(STDERR_FILENO);
  absl::Time t_start = absl::Now();

  // The API server: a memory store keeping the last 20,000 revisions (or four per replica),
  // NamespaceLifecycle admission (plus the placement with --placement=round-robin).
  store::MemoryStoreOptions so;
  so.history_retention = std::max(20000, 4 * replicas);
  std::unique_ptr<store::Store> store = *store::NewMemoryStore(so);
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  std::vector<std::string> node_names;
  for (int i = 0; i < nodes; ++i) node_names.push_back(absl::StrCat("sim-node-", i));
  auto placement_owned = std::make_unique<RoundRobinPlacement>(node_names);
  RoundRobinPlacement* placement = placement_owned.get();
  std::vector<std::unique_ptr<apiserver::admission::Plugin>> plugins;
  if (round_robin) plugins.push_back(std::move(placement_owned));
  plugins.push_back(apiserver::admission::NewNamespaceLifecycle());
  auto chain = std::make_shared<apiserver::admission::Chain>(std::move(plugins));
  apiserver::RegistryOptions ro;
  ro.admission = chain;
  apiserver::Registry registry(store.get(), scheme.get(), ro);
  std::unique_ptr<client::Client> client = client::NewInProcessClient(&registry);
  std::unique_ptr<apiserver::ApiServer> server;
  if (port >= 0) {
    apiserver::ApiServerOptions ao;
    ao.store = store.get();
    ao.scheme = scheme.get();
    ao.port = port;
    ao.admission = chain;
    absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> s = apiserver::ApiServer::Start(ao);
    if (!s.ok()) {
      std::cerr << "rudder sim: cannot serve the API: " << s.status().message() << "\n";
      return 1;
    }
    server = *std::move(s);
    std::cout << "API server on http://127.0.0.1:" << server->port()
              << " (plain HTTP, no authentication); kubectl -s http://127.0.0.1:" << server->port()
              << " get nodes\n";
  }
  std::cout << (round_robin ? "placement: round-robin over schedulable nodes at pod creation\n"
                            : "placement: the scheduler (default profile), bindings through the "
                              "API\n");

  controllers::ControllerManagerOptions co;
  co.controllers = {"*"};
  absl::StatusOr<std::unique_ptr<controllers::ControllerManager>> cm =
      controllers::ControllerManager::New(client.get(), co);
  absl::Status st = cm.ok() ? (*cm)->Start() : cm.status();
  if (!st.ok()) {
    std::cerr << "rudder sim: controller manager: " << st.message() << "\n";
    return 1;
  }

  std::unique_ptr<sched::kube::SchedulerRunner> scheduler;
  if (!round_robin) {
    sched::kube::SchedulerRunnerOptions sro;
    absl::StatusOr<std::unique_ptr<sched::kube::SchedulerRunner>> r =
        sched::kube::SchedulerRunner::New(client.get(), std::move(sro));
    st = r.ok() ? (*r)->Start() : r.status();
    if (!st.ok()) {
      std::cerr << "rudder sim: scheduler: " << st.message() << "\n";
      return 1;
    }
    scheduler = *std::move(r);
  }

  // One pod informer for every agent and the bookkeeping.
  absl::StatusOr<std::shared_ptr<const api::KindInfo>> pod_kind =
      client::KindFor(*scheme, Pod::descriptor());
  client::InformerOptions io;
  io.watch_timeout = absl::ZeroDuration();
  std::unique_ptr<client::SharedIndexInformer> informer =
      *client::NewSharedIndexInformer(client.get(), *pod_kind, io);
  (void)informer->SetTransform(client::StripManagedFields);
  PodTracker tracker;
  // A change to a pod on a node wakes that node's agent (once the driver runs).
  absl::flat_hash_map<std::string, size_t> node_index;
  for (int i = 0; i < nodes; ++i) node_index[node_names[i]] = i;
  std::atomic<AgentDriver*> driver_ptr{nullptr};
  auto poke = [&](const Pod& pod) {
    AgentDriver* d = driver_ptr.load();
    if (d == nullptr || pod.spec().nodename().empty()) return;
    auto it = node_index.find(pod.spec().nodename());
    if (it != node_index.end()) d->Poke(it->second);
  };
  auto handler = std::make_shared<client::ResourceEventHandlerFuncs>();
  handler->add = [&](const client::ObjectRef& o, bool) {
    tracker.Observe(static_cast<const Pod&>(*o), false);
    poke(static_cast<const Pod&>(*o));
  };
  handler->update = [&](const client::ObjectRef&, const client::ObjectRef& o) {
    tracker.Observe(static_cast<const Pod&>(*o), false);
    poke(static_cast<const Pod&>(*o));
  };
  handler->del = [&](const client::ObjectRef& o, bool) {
    tracker.Observe(static_cast<const Pod&>(*o), true);
    poke(static_cast<const Pod&>(*o));
  };
  (void)informer->AddEventHandler(handler);
  informer->Start();
  informer->WaitForCacheSync(absl::InfiniteFuture());

  // The nodes.
  std::vector<std::unique_ptr<runtime::sim::SimRuntime>> runtimes(nodes);
  std::vector<std::unique_ptr<runtime::agent::PodSource>> sources(nodes);
  std::vector<std::unique_ptr<runtime::agent::Agent>> agents(nodes);
  std::vector<runtime::agent::Agent*> agent_ptrs;
  for (int i = 0; i < nodes; ++i) {
    runtimes[i] =
        runtime::sim::NewSimRuntime({.default_script = "*: cpu=5 memory=8Mi", .images = {kImage}});
    sources[i] = *runtime::agent::NewSharedInformerPodSource(informer.get(), node_names[i]);
    runtime::agent::AgentOptions o;
    o.node_name = node_names[i];
    o.capacity = {{"cpu", "32"}, {"memory", "256Gi"}, {"pods", "110"}};
    o.pod_source = sources[i].get();
    o.host_ip = absl::StrCat("10.", i / 65536, ".", (i / 256) % 256, ".", i % 256);
    o.eviction_memory_available_bytes = 0;
    absl::StatusOr<std::unique_ptr<runtime::agent::Agent>> a =
        runtime::agent::NewAgent(client.get(), runtimes[i].get(), o);
    st = a.ok() ? (*a)->Register() : a.status();
    if (!st.ok()) {
      std::cerr << "rudder sim: node " << node_names[i] << ": " << st.message() << "\n";
      return 1;
    }
    agents[i] = *std::move(a);
    agent_ptrs.push_back(agents[i].get());
  }
  AgentDriver driver(agent_ptrs, workers, sync_interval);
  driver_ptr.store(&driver);
  std::cout << absl::StrFormat("cluster: %d nodes registered in %.2f s; rss %.0f MiB\n", nodes,
                               absl::ToDoubleSeconds(absl::Now() - t_start), MiB(PeakRssBytes()))
            << std::flush;

  client::TypedClient<Deployment> deployments(client.get());
  client::TypedClient<Node> node_client(client.get());
  std::string revision = "1";
  std::string drained;
  bool failed = false;
  int interrupted = 0;

  // Waits until `done` holds, printing progress every second. False on timeout or a signal.
  auto wait = [&](const std::string& step, absl::Time t0,
                  const std::function<bool(const PodTracker::Counts&)>& done) {
    absl::Time last_print = absl::InfinitePast();
    while (true) {
      PodTracker::Counts c = tracker.Count(revision, drained);
      bool ok = done(c);
      absl::Time now = absl::Now();
      if (ok || now - last_print >= absl::Seconds(1)) {
        double secs = absl::ToDoubleSeconds(now - t0);
        std::string line = absl::StrFormat(
            "%-6s %7d/%d Running  %6d pods  %6d bound  %5.1f s  %.0f MiB", step, c.running_current,
            replicas, c.total, c.bound, secs, MiB(PeakRssBytes()));
        if (tty) {
          std::cerr << "\r" << line << (ok ? "\n" : "") << std::flush;
        } else {
          std::cerr << line << "\n";
        }
        last_print = now;
      }
      if (ok) return true;
      if (now - t0 > timeout) {
        std::cerr << (tty ? "\n" : "") << "rudder sim: " << step << " did not finish within "
                  << absl::FormatDuration(timeout) << "\n";
        return false;
      }
      if ((interrupted = WaitForSignal(set, absl::Milliseconds(50))) != 0) return false;
    }
  };

  std::vector<std::string> summary;
  for (const std::string& step : steps) {
    tracker.TakeLatencies();
    absl::Time t0 = absl::Now();
    int new_pods = replicas;
    if (step == "deploy") {
      absl::StatusOr<std::unique_ptr<Deployment>> d = deployments.Create(SimDeployment(replicas));
      if (!d.ok()) {
        std::cerr << "rudder sim: create deployment: " << d.status().message() << "\n";
        failed = true;
        break;
      }
      if (!wait(step, t0, [&](const PodTracker::Counts& c) {
            return c.running_current == replicas && c.total == replicas;
          })) {
        failed = true;
        break;
      }
    } else if (step == "roll") {
      revision = absl::StrCat(std::stoi(revision) + 1);
      absl::StatusOr<std::unique_ptr<Deployment>> d =
          deployments.Patch("default", "sim", client::PatchType::kMerge,
                            absl::StrCat(R"({"spec":{"template":{"metadata":{"annotations":{")",
                                         kRevisionAnnotation, R"(":")", revision, R"("}}}}})"));
      if (!d.ok()) {
        std::cerr << "rudder sim: roll deployment: " << d.status().message() << "\n";
        failed = true;
        break;
      }
      if (!wait(step, t0, [&](const PodTracker::Counts& c) {
            return c.running_current == replicas && c.total == replicas;
          })) {
        failed = true;
        break;
      }
    } else if (step == "drain") {
      std::string node = tracker.BusiestNode();
      if (node.empty()) {
        summary.push_back("drain: no node has pods");
        continue;
      }
      absl::StatusOr<std::unique_ptr<Node>> n = node_client.Patch(
          "", node, client::PatchType::kMerge, R"({"spec":{"unschedulable":true}})");
      if (!n.ok()) {
        std::cerr << "rudder sim: cordon " << node << ": " << n.status().message() << "\n";
        failed = true;
        break;
      }
      placement->Cordon(node);
      client::ListOptions lo;
      lo.field_selector = "spec.nodeName=" + node;
      client::TypedClient<Pod> pods(client.get());
      absl::StatusOr<client::TypedList<Pod>> on_node = pods.List("", lo);
      if (!on_node.ok()) {
        std::cerr << "rudder sim: list pods of " << node << ": " << on_node.status().message()
                  << "\n";
        failed = true;
        break;
      }
      new_pods = static_cast<int>(on_node->items.size());
      for (const auto& p : on_node->items) {
        api::policy::v1::Eviction ev;
        ev.mutable_metadata()->set_name(p->metadata().name());
        ev.mutable_metadata()->set_namespace_(p->metadata().namespace_());
        absl::Status es = apiserver::EvictPod(&registry, p->metadata().namespace_(),
                                              p->metadata().name(), ev, {.name = "rudder-sim"});
        if (!es.ok()) std::cerr << "rudder sim: evict: " << es.message() << "\n";
      }
      drained = node;
      if (!wait(step, t0, [&](const PodTracker::Counts& c) {
            return c.running_current == replicas && c.on_avoided == 0 && c.total == replicas;
          })) {
        failed = true;
        break;
      }
    }
    absl::Duration took = absl::Now() - t0;
    std::vector<absl::Duration> lat = tracker.TakeLatencies();
    summary.push_back(absl::StrFormat(
        "%-6s %7d pods Running in %7.2f s (%7.0f pods/s); %d pods started, start latency p50 "
        "%s, p99 %s",
        step, replicas, absl::ToDoubleSeconds(took),
        new_pods / std::max(1e-9, absl::ToDoubleSeconds(took)), static_cast<int>(lat.size()),
        Percentile(lat, 0.5), Percentile(lat, 0.99)));
    if (step == "drain") absl::StrAppend(&summary.back(), " (", drained, ")");
  }

  std::cout << "\nsummary: " << nodes << " nodes, " << replicas << " replicas, "
            << "placement " << placement_mode << "\n";
  for (const std::string& s : summary) std::cout << "  " << s << "\n";
  std::cout << absl::StrFormat("  peak RSS %.0f MiB; agent pass errors %d; total %.2f s\n",
                               MiB(PeakRssBytes()), driver.errors(),
                               absl::ToDoubleSeconds(absl::Now() - t_start))
            << std::flush;

  if (server != nullptr && !failed && interrupted == 0) {
    std::cout << "serving until Ctrl-C\n" << std::flush;
    WaitForSignal(set);
  }
  driver_ptr.store(nullptr);
  driver.Stop();
  for (auto& a : agents) a->Stop();
  informer->Stop();
  if (scheduler != nullptr) scheduler->Stop();
  (*cm)->Stop();
  if (server != nullptr) server->Shutdown();
  if (interrupted != 0) return 130;
  return failed ? 1 : 0;
}

}  // namespace rudder::cmd
