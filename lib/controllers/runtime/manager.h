// Manager: runs informers and controllers for one or more clusters (controller-runtime's
// pkg/manager, plus what it lacks).
//
// A Manager owns, per cluster, a SharedInformerFactory and a client that reads from those
// caches but reads its own writes (a Get or List right after an Update, Patch, UpdateStatus,
// Create or Delete through it returns that write or newer, never the older cached object). It
// runs controllers (see builder.h): each controller's watches become event handlers on the
// clusters' shared informers, so every controller watching a kind shares one watch and one
// cache per cluster.
//
// At run time:
//  - controllers can be added and removed; removing one stops its workers and removes its
//    event handlers from the informers (the informers stay for other users);
//  - clusters can join (AddCluster) and leave (RemoveCluster); multi-cluster controllers
//    start watching a joining cluster at once, requests carry the cluster's name, and queued
//    requests of a cluster that left are dropped;
//  - with leader election, controllers that need it run only while this manager holds the
//    Lease; on losing it they stop, and the manager campaigns again;
//  - with sharding (ShardOptions), controllers reconcile only their shard of the keys.
//
// Thread-safe. Start() returns once controllers are running (or leadership is being sought);
// Stop() (or the destructor) stops controllers (waiting for running reconciles), releases
// the lease, stops informers and joins every thread.
//
// Example:
//   auto mgr = Manager::New(client, {.clock = &clock});
//   auto ctrl = Builder(mgr->get()).For<ConfigMap>().Complete(reconciler);
//   (*mgr)->Start();
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_MANAGER_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/client/informer/factory.h"
#include "lib/client/leaderelection/leaderelection.h"
#include "lib/client/record/record.h"
#include "lib/controllers/runtime/controller.h"

namespace rudder::ctrl {

namespace internal {
class CachedClient;
class WatchHandler;
}  // namespace internal

// Leader election of a manager (see lib/client/leaderelection).
struct LeaderElectionOptions {
  bool enabled = false;
  // The Lease: namespace and name (required when enabled).
  std::string lease_namespace = "default";
  std::string lease_name;
  // This replica's identity (required when enabled; unique among replicas).
  std::string identity;
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  // Clear the lease on Stop so another replica takes over at once.
  bool release_on_cancel = true;
};

// How a manager runs.
struct ManagerOptions {
  // Time source of informers, controllers, events and the lease (borrowed); nullptr: real.
  Clock* clock = nullptr;
  // Defaults of every cluster's informers (the clock is the manager's).
  client::InformerOptions informer;
  // The key shard of this replica; controllers inherit it unless they set their own.
  ShardOptions shard;
  LeaderElectionOptions leader_election;
  // Of every cluster's event broadcaster (the clock is the manager's).
  record::BroadcasterOptions events;
};

// One cluster of a manager: its clients, caches and event recorders. Shared by the manager
// and whoever asked for it (a cluster that left stays usable by its holders, but its caches
// are stopped and reads fall through to the API server). Thread-safe.
class Cluster {
 public:
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // "" for the manager's own cluster.
  const std::string& name() const { return name_; }
  // Reads from the caches, reading its own writes; writes to the API server.
  client::Client* GetClient() const;
  // Reads and writes the API server directly.
  client::Client* GetAPIReader() const { return direct_; }
  // The cluster's shared informers.
  client::SharedInformerFactory* GetInformers() const { return factory_.get(); }
  api::Scheme& scheme() const { return direct_->scheme(); }
  // A recorder of Events in this cluster reporting as `component` (borrows the cluster).
  std::unique_ptr<record::EventRecorder> GetEventRecorderFor(const std::string& component);
  // Reads served from the caches and from the API server by GetClient().
  int64_t CacheReads() const;
  int64_t DirectReads() const;

 private:
  friend class Manager;
  Cluster(std::string name, client::Client* direct, const ManagerOptions& options, Clock* clock);

  const std::string name_;
  client::Client* const direct_;
  std::unique_ptr<client::SharedInformerFactory> factory_;
  std::unique_ptr<internal::CachedClient> cached_;
  std::unique_ptr<record::EventBroadcaster> events_;
};

class Manager {
 public:
  // A manager whose own cluster ("") is reached through `client` (borrowed; must outlive the
  // manager). InvalidArgument for incomplete leader election or shard options.
  static absl::StatusOr<std::unique_ptr<Manager>> New(client::Client* client,
                                                      ManagerOptions options = {});
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // --- Clusters.
  // Adds cluster `name` (not "") reached through `client` (borrowed; must outlive the
  // manager or the cluster's removal). AlreadyExists when the name is taken. Running
  // multi-cluster controllers start watching it before this returns.
  absl::Status AddCluster(const std::string& name, client::Client* client);
  // Removes a cluster: controllers stop watching it, its informers stop, its queued requests
  // are dropped. NotFound for an unknown name; InvalidArgument for "".
  absl::Status RemoveCluster(const std::string& name);
  // The cluster `name` ("" the manager's own), or nullptr.
  std::shared_ptr<Cluster> GetCluster(const std::string& name = "") const;
  std::vector<std::string> ClusterNames() const;

  // The own cluster's read-your-writes cached client (see Cluster::GetClient).
  client::Client* GetClient() const;
  api::Scheme& scheme() const;
  Clock* clock() const { return clock_; }
  const ManagerOptions& options() const { return options_; }

  // --- Controllers.
  // Takes `controller` (its watches set); it starts at once if the manager runs (and leads,
  // when it needs to). AlreadyExists for a taken name; errors of starting (an unknown kind,
  // caches that do not sync) leave the controller out.
  absl::Status Add(std::unique_ptr<Controller> controller);
  // Stops controller `name`, removes its event handlers and destroys it. NotFound when absent.
  absl::Status Remove(const std::string& name);
  // The controller `name` (owned by the manager, valid until removed), or nullptr.
  Controller* GetController(const std::string& name) const;
  std::vector<std::string> ControllerNames() const;

  // --- Lifecycle.
  // Starts informers, leader election and controllers; returns once controllers not needing
  // leadership are running. FailedPrecondition when already started or stopped.
  absl::Status Start();
  // Stops everything (see above). Idempotent; a stopped manager cannot start again.
  void Stop();
  // Whether this manager currently leads (always true without leader election once started).
  bool IsLeader() const;

 private:
  struct Engagement {  // One controller's handlers on one cluster's informers.
    std::vector<
        std::pair<client::SharedIndexInformer*, std::shared_ptr<client::HandlerRegistration>>>
        handlers;
    std::vector<std::shared_ptr<internal::WatchHandler>> keep;
  };
  struct Entry {
    std::unique_ptr<Controller> controller;
    bool running = false;
    std::map<std::string, Engagement> engaged;  // By cluster name.
  };

  Manager(client::Client* client, ManagerOptions options);
  bool ShouldRun(const Controller& c) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_);
  absl::Status StartController(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_);
  void StopController(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_);
  absl::Status Engage(Entry* e, const std::shared_ptr<Cluster>& cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_);
  void Disengage(Entry* e, const std::string& cluster) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_);
  // Starts or stops leader-only controllers to match the leadership state.
  void LeaderLoop();
  // The elector's callbacks: records leadership and wakes LeaderLoop.
  void SetLeading(bool leading);
  void ElectionLoop();

  const ManagerOptions options_;
  Clock* const clock_;
  // clock_ when it is a FakeClock: the leadership hops (the first campaign, starting and
  // stopping controllers on a change) count as work in flight on it, so a TestCluster's
  // quiescence waits for them.
  FakeClock* const fake_;
  client::Client* const client_;

  // Serializes structural changes (controllers, clusters, start/stop, leadership).
  Mutex ops_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::map<std::string, Entry> controllers_ ABSL_GUARDED_BY(ops_mu_);
  bool started_ ABSL_GUARDED_BY(ops_mu_) = false;
  bool leader_applied_ ABSL_GUARDED_BY(ops_mu_) = false;

  // Guards what readers and callbacks touch.
  mutable Mutex mu_;
  CondVar cv_;
  std::map<std::string, std::shared_ptr<Cluster>> clusters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Controller*> by_name_ ABSL_GUARDED_BY(mu_);
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  bool leader_applied_shadow_ ABSL_GUARDED_BY(mu_) = false;  // What LeaderLoop last saw.
  bool apply_pending_ ABSL_GUARDED_BY(mu_) = false;  // A leadership change counted on fake_.
  bool running_ ABSL_GUARDED_BY(mu_) = false;        // Between Start and Stop.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  std::unique_ptr<leaderelection::LeaderElector> elector_;
  std::thread election_thread_;
  std::thread leader_thread_;
};

}  // namespace rudder::ctrl

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_MANAGER_H_
