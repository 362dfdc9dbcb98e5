// TestCluster: a whole cluster inside one test process, on a fake clock.
//
// A TestCluster holds a MemoryStore, a Registry with the default admission chain, an
// in-process client, a ctrl::Manager and the controllers the test picks (named factories;
// the garbage collector is one), and optionally a REST port with a kubeconfig so kubectl
// can look in. It starts in well under 50 ms.
//
// Time is a FakeClock that only the test moves. Advance(d) moves it and then waits until the
// cluster is quiescent, which is decided by exact counts, never by a real-time window: every
// full watch has delivered every write of its kind, and nothing is in flight anywhere: no
// event held or being handed to an informer's handlers, no item queued, delayed and due, or
// being reconciled, no timer due whose waiter has not resumed, no scheduler or node work.
// Between two such points nothing happens, so a test reads the cluster without sleeping or
// polling.
//
// With a perturbation seed, the controllers' watches misbehave: events are held back,
// reordered across objects (never within one object: a key's revisions keep their order),
// and connections drop (410 Gone, so informers relist). The same seed makes the same choices
// for the same stream of events, so a failing seed can be replayed.
//
// Thread-safe, except that Advance/WaitFor/WaitForQuiescence are meant for the test's thread.
//
// Example:
//   TestClusterOptions o;
//   o.controllers = {GarbageCollectorController()};
//   auto tc = TestCluster::Start(std::move(o));
//   TypedClient<ConfigMap> maps((*tc)->client());
//   ...
//   ASSERT_OK((*tc)->WaitFor<ConfigMap>("default", "cm", [](const ConfigMap* c) {
//     return c == nullptr; }, "cm deleted"));
#ifndef RUDDER_LIB_TESTING_TEST_CLUSTER_H_
#define RUDDER_LIB_TESTING_TEST_CLUSTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/scheme.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/manager.h"
#include "lib/store/store.h"

namespace rudder::runtime::sim {
class SimRuntime;
}

namespace rudder::sched::kube {
class SchedulerRunner;
struct SchedulerRunnerOptions;
}  // namespace rudder::sched::kube

namespace rudder::testing {

namespace internal {
class TrackingClient;
class SimNodes;
}  // namespace internal

// What a controller factory gets: the cluster's pieces, all borrowed from the TestCluster.
struct ControllerContext {
  ctrl::Manager* manager;
  // The controllers' client (perturbed when the cluster is).
  client::Client* client;
  FakeClock* clock;
};

// A controller a factory started outside the manager (controllers added to the manager are
// tracked through it and need no handle).
class RunningController {
 public:
  virtual ~RunningController() = default;
  // Stops the controller; called once, before the manager stops.
  virtual void Stop() = 0;
  // True when it has no work queued or running (due timers excluded).
  virtual bool Idle() const = 0;
};

// Starts one controller. Controllers built with ctrl::Builder on context.manager return
// nullptr; others return their handle.
struct ControllerFactory {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<RunningController>>(const ControllerContext&)> start;
};

// The garbage collector (lib/controllers/gc) over the manager's informers.
ControllerFactory GarbageCollectorController();

// How watches misbehave in perturbation mode.
struct PerturbationOptions {
  // 0: off. Any other value picks one schedule of delays, reorders and drops.
  uint64_t seed = 0;
  double delay_probability = 0.2;  // Per event handed out: hold it back once more.
  double drop_probability = 0.02;  // Per event handed out: break the watch after it.
  int max_reorder_window = 8;      // Events considered for reordering at once.
};

// One simulated node's settings (see TestClusterOptions::nodes).
struct SimNodeOptions {
  // Capacity quantities ("cpu", "memory", "pods", ...); empty: cpu=4, memory=16Gi, pods=110.
  // Allocatable equals capacity.
  std::map<std::string, std::string> capacity;
  // Added to kubernetes.io/hostname, kubernetes.io/os and kubernetes.io/arch.
  std::map<std::string, std::string> labels;
  std::vector<api::core::v1::Taint> taints;
};

struct TestClusterOptions {
  // Registers the host program's kinds before anything starts.
  std::function<absl::Status(api::Scheme*)> register_kinds;
  // Controllers to start, in order.
  std::vector<ControllerFactory> controllers;
  // Seams for the scheduler and nodes: called after the controllers with the same context.
  bool scheduler = false;
  std::function<absl::StatusOr<std::unique_ptr<RunningController>>(const ControllerContext&)>
      scheduler_factory;
  // With `scheduler` and no scheduler_factory, the cluster runs a sched::kube::SchedulerRunner
  // over the controllers' client on the fake clock (informers, pods/binding, PodScheduled
  // conditions, Events, preemption), and quiescence includes it: no scheduling cycle running,
  // activeQ empty (the pods left are unschedulable or backing off), no binding in flight.
  // `scheduler_options`, when set, adjusts its options (profiles, plugins) before it starts.
  std::function<void(sched::kube::SchedulerRunnerOptions*)> scheduler_options;
  //
  // `nodes` = N starts N node agents (lib/runtime/agent) named node-0 .. node-<N-1>, each over
  // a simulated runtime (lib/runtime/sim) on the fake clock, registered (Node and Lease)
  // before Start returns. They run the pods bound to them (by the scheduler or by
  // spec.nodeName) and write their status; an agent syncs when one of its pods changes and
  // every `node_sync_interval` of fake time, and quiescence waits for both. A pod's containers
  // do what its script says (sim_runtime.h): `pod_script`, else its sim.rudder.dev/script
  // annotation, else they run until stopped. `node_factory`, when set, replaces all of this
  // with the test's own node per index.
  int nodes = 0;
  std::function<absl::StatusOr<std::unique_ptr<RunningController>>(const ControllerContext&,
                                                                   int index)>
      node_factory;
  // Settings of simulated node `index`; unset: defaults.
  std::function<SimNodeOptions(int index)> node_options;
  // The script of pod (namespace, name) on a simulated node; "" falls back to the annotation.
  std::function<std::string(const std::string& ns, const std::string& name)> pod_script;
  // Simulated nodes also publish metrics.k8s.io NodeMetrics and PodMetrics (every 10 s).
  bool publish_node_metrics = false;
  absl::Duration node_sync_interval = absl::Seconds(1);
  // Serve REST on a loopback port and write a kubeconfig for it.
  bool serve_rest = false;
  // Where the kubeconfig goes; empty: a file in TEST_TMPDIR (or /tmp).
  std::string kubeconfig_path;
  PerturbationOptions perturbation;
  // The fake clock's start.
  absl::Time start_time = absl::FromUnixSeconds(1700000000);
  // Real-time bound on one wait for quiescence (a guard against hangs, not a timing check).
  absl::Duration quiescence_timeout = absl::Seconds(30);
};

class TestCluster {
 public:
  // Builds and starts the cluster. Errors of a factory or the REST server are returned.
  static absl::StatusOr<std::unique_ptr<TestCluster>> Start(TestClusterOptions options);
  // Stops controllers, the manager and the REST server.
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // The test's client: in process, tracked for quiescence, never perturbed on writes.
  client::Client* client() const;
  // The in-process client without tracking (writes through it are not waited for).
  client::Client* direct_client() const { return direct_.get(); }
  api::Scheme& scheme() const { return *scheme_; }
  apiserver::Registry* registry() const { return registry_.get(); }
  store::Store* store() const { return store_.get(); }
  ctrl::Manager* manager() const { return manager_.get(); }
  FakeClock* clock() const { return clock_.get(); }
  // "http://127.0.0.1:<port>" and the kubeconfig's path when serving REST, else empty.
  const std::string& server_url() const { return server_url_; }
  const std::string& kubeconfig_path() const { return kubeconfig_path_; }
  // The simulated runtime of node `index` (test controls such as SetExecExitCode); nullptr
  // without simulated nodes or out of range. Owned by the cluster.
  runtime::sim::SimRuntime* node_runtime(int index) const;
  // Watch connections dropped by perturbation so far.
  int64_t DroppedWatches() const;
  // The scheduler the cluster runs (`scheduler` without a factory), else nullptr. Owned by
  // the cluster.
  sched::kube::SchedulerRunner* scheduler() const { return scheduler_; }

  // Moves the clock by `d`, then waits for quiescence.
  absl::Status Advance(absl::Duration d);
  // Waits until the cluster is quiescent (see above). DeadlineExceeded naming what is still
  // busy after quiescence_timeout of real time.
  absl::Status WaitForQuiescence();
  // Empty when nothing is in flight now; else what is.
  std::string Busy() const;

  // Waits for quiescence, then checks `predicate` on object (kind, ns, name) (nullptr when
  // absent). Rounds of quiescence are repeated a few times while the cluster still changes.
  // FailedPrecondition when it does not hold, with `description` and the object's last state
  // as YAML.
  using Predicate = std::function<bool(const google::protobuf::Message* obj)>;
  absl::Status WaitFor(const api::GroupVersionKind& kind, const std::string& ns,
                       const std::string& name, const Predicate& predicate,
                       const std::string& description);
  template <typename T>
  absl::Status WaitFor(const std::string& ns, const std::string& name,
                       const std::function<bool(const T* obj)>& predicate,
                       const std::string& description) {
    std::shared_ptr<const api::KindInfo> k = scheme_->ByDescriptor(T::descriptor());
    if (k == nullptr) return absl::NotFoundError(T::descriptor()->full_name() + " not registered");
    return WaitFor(
        k->gvk, ns, name,
        [&](const google::protobuf::Message* m) { return predicate(static_cast<const T*>(m)); },
        description);
  }

 private:
  struct Rest;
  TestCluster() = default;
  // Busy() without the watches: work counted on the clock, the scheduler, controllers.
  std::string BusyCounters() const;

  TestClusterOptions options_;
  std::unique_ptr<FakeClock> clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<apiserver::Registry> registry_;
  std::unique_ptr<client::Client> direct_;
  std::unique_ptr<internal::TrackingClient> tracked_;      // The test's.
  std::unique_ptr<internal::TrackingClient> controllers_;  // The controllers' (perturbed).
  std::unique_ptr<ctrl::Manager> manager_;
  std::vector<std::unique_ptr<RunningController>> running_;
  std::unique_ptr<Rest> rest_;
  sched::kube::SchedulerRunner* scheduler_ = nullptr;  // in running_ when the cluster made it
  internal::SimNodes* sim_nodes_ = nullptr;  // in running_ when the cluster made the nodes
  std::string server_url_;
  std::string kubeconfig_path_;
};

}  // namespace rudder::testing

#endif  // RUDDER_LIB_TESTING_TEST_CLUSTER_H_
