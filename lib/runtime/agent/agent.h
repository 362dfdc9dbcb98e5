// The node agent: Rudder's kubelet.
//
// An Agent runs the pods the API binds to one node on a ContainerRuntime (lib/runtime/runtime.h):
//  - it registers its Node (capacity and allocatable, labels, taints, addresses), renews a
//    coordination.k8s.io/v1 Lease in kube-node-lease every `lease_renew_interval`, and posts the
//    node's conditions (Ready, MemoryPressure, DiskPressure, PIDPressure) when they change and at
//    least every `node_status_report_interval`;
//  - for every pod of its PodSource it pulls images by imagePullPolicy, creates the sandbox, runs
//    the init containers in order (each must exit 0 before the next starts), then the app
//    containers; it restarts exited containers by restartPolicy with the kubelet's back-off
//    (first restart at once, then 10 s doubling to 5 min; reset after 10 min of running) and
//    reports CrashLoopBackOff, ErrImagePull, ImagePullBackOff and ErrImageNeverPull;
//  - it runs liveness, readiness and startup probes (exec, tcpSocket, httpGet) through a Prober;
//  - it writes pod status (phase, conditions, container statuses, podIP(s), hostIP(s)) through
//    the status subresource, only when it changed;
//  - on deletionTimestamp it runs preStop hooks, stops containers with the grace period, removes
//    the sandbox and deletes the pod object (grace 0, uid precondition);
//  - it runs static pods from a manifest directory, each mirrored read-only in the API;
//  - it runs postStart hooks (exec, httpGet) right after a container starts; a failing hook
//    kills the container (event FailedPostStartHook) and it restarts by restartPolicy;
//  - a pod running longer than spec.activeDeadlineSeconds is killed and Failed with reason
//    DeadlineExceeded;
//  - it samples CPU and memory (ListContainerStats) for its MetricsProvider, and evicts pods when
//    memory.available or nodefs.available falls below its threshold (reason Evicted), posting
//    the MemoryPressure/DiskPressure condition and the node.kubernetes.io/memory-pressure or
//    disk-pressure NoSchedule taint while it lasts;
//  - with a recorder, it writes the kubelet's events (Started, Killing, Unhealthy, BackOff, ...).
//
// Work happens in SyncOnce(): one pass over the node at the clock's current time. Start() runs
// SyncOnce every `sync_interval` on a thread of its own; tests instead advance a FakeClock and
// call SyncOnce() themselves, so every transition is deterministic.
//
// Thread-safety: all public methods are thread-safe; SyncOnce passes are serialized.
#ifndef RUDDER_LIB_RUNTIME_AGENT_AGENT_H_
#define RUDDER_LIB_RUNTIME_AGENT_AGENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/client/record/record.h"
#include "lib/runtime/agent/metrics.h"
#include "lib/runtime/agent/pod_source.h"
#include "lib/runtime/agent/prober.h"
#include "lib/runtime/cni/network_plugin.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::agent {

// Memory of the node as the eviction manager sees it.
struct NodeMemory {
  int64_t capacity_bytes = 0;
  int64_t available_bytes = 0;
};

// The node's filesystem (nodefs: pod logs and writable layers) as the eviction manager sees it.
struct NodeFilesystem {
  int64_t capacity_bytes = 0;
  int64_t available_bytes = 0;
};

// Where eviction reads memory.available and nodefs.available. Thread-safe.
class NodeStatsSource {
 public:
  virtual ~NodeStatsSource() = default;
  virtual absl::StatusOr<NodeMemory> Memory() = 0;
  // Unimplemented (the default): no disk figures, so no disk-pressure eviction.
  virtual absl::StatusOr<NodeFilesystem> Filesystem() {
    return absl::UnimplementedError("no filesystem stats");
  }
};

// Configuration of an agent. Pointers are borrowed and must outlive the agent.
struct AgentOptions {
  std::string node_name;
  Clock* clock = nullptr;  // nullptr: Clock::Real()
  // Capacity ("cpu", "memory", "pods", ...) as quantities; empty: from the machine
  // (cpu count, physical memory) with pods=110. Allocatable defaults to capacity.
  std::map<std::string, std::string> capacity;
  std::map<std::string, std::string> allocatable;
  std::map<std::string, std::string> labels;  // added to kubernetes.io/hostname, os, arch
  std::vector<api::core::v1::Taint> taints;
  std::string host_ip = "127.0.0.1";
  // The port of the node's log server (log_server.h) on host_ip, published as
  // status.daemonEndpoints.kubeletEndpoint.Port so the API server proxies pods' logs to it;
  // 0: none.
  int log_server_port = 0;
  // Pods of this node; nullptr: an informer of the agent's own (NewInformerPodSource).
  PodSource* pod_source = nullptr;
  // Probes; nullptr: NewProber(runtime).
  Prober* prober = nullptr;
  // Pod network; nullptr: the runtime's sandbox IP (or the host IP for hostNetwork pods).
  cni::NetworkPlugin* network = nullptr;
  // memory.available (and nodefs.available) for eviction; nullptr: memory is capacity minus
  // the containers' working sets, and there are no disk figures.
  NodeStatsSource* node_stats = nullptr;
  // Events (Started, Killing, Unhealthy, BackOff, FailedPostStartHook, DeadlineExceeded,
  // Evicted, ...) about pods, as the kubelet reports them; nullptr: none. Borrowed.
  record::EventRecorder* recorder = nullptr;
  // Static pod manifests (*.yaml, *.yml, *.json); empty: none.
  std::string static_pod_dir;
  // Directory the runtime writes pod logs under (<dir>/<ns>_<name>_<uid>/<container>/<n>.log).
  std::string pod_log_dir = "/var/log/pods";

  absl::Duration sync_interval = absl::Seconds(1);
  absl::Duration lease_duration = absl::Seconds(40);
  absl::Duration lease_renew_interval = absl::Seconds(10);
  absl::Duration node_status_update_interval = absl::Seconds(10);
  absl::Duration node_status_report_interval = absl::Minutes(5);
  absl::Duration stats_interval = absl::Seconds(10);
  absl::Duration static_pod_check_interval = absl::Seconds(20);
  // Container restart back-off and image pull back-off.
  absl::Duration backoff_initial = absl::Seconds(10);
  absl::Duration backoff_max = absl::Minutes(5);
  // A container that ran this long before exiting restarts with a fresh back-off.
  absl::Duration backoff_reset = absl::Minutes(10);
  // Hard eviction threshold memory.available<100Mi; 0 disables memory eviction.
  int64_t eviction_memory_available_bytes = 100LL << 20;
  // Hard eviction threshold nodefs.available<10% (of the filesystem's capacity); 0 disables
  // disk eviction. Read from node_stats->Filesystem().
  double eviction_nodefs_available_percent = 10;
  // Also store each stats sample in the API as metrics.k8s.io/v1beta1 NodeMetrics (named after
  // the node) and PodMetrics (one per pod, removed with the pod), which the API server serves
  // read-only to `kubectl top` and autoscalers. One write per pod per stats_interval.
  bool publish_metrics = false;
  // Status writes to the API carry this field manager.
  std::string field_manager = "rudder-agent";
};

// Counters of an agent's work since it was created.
struct AgentCounters {
  int64_t pod_status_writes = 0;
  int64_t node_status_writes = 0;
  int64_t lease_writes = 0;
  int64_t write_errors = 0;
  int64_t evictions = 0;
};

// The node agent. Create with NewAgent.
class Agent {
 public:
  virtual ~Agent() = default;
  // Creates or updates the Node and its Lease and starts the pod source. Done by Start() and by
  // the first SyncOnce() when not yet done.
  virtual absl::Status Register() = 0;
  // One pass at the clock's current time: heartbeat and node status when due, static pods,
  // every pod's sync, stats and eviction. Returns the first error of the API or runtime (the
  // pass goes on past per-pod errors).
  virtual absl::Status SyncOnce() = 0;
  // Runs SyncOnce every sync_interval on a thread of its own until Stop().
  virtual void Start() = 0;
  // Stops the loop and the pod source (containers keep running). Idempotent.
  virtual void Stop() = 0;
  // Usage of the node and its pods (from the last stats sample).
  virtual const MetricsProvider& metrics() const = 0;
  virtual AgentCounters counters() const = 0;
  // Number of pods the agent currently runs (static ones included).
  virtual size_t PodCount() const = 0;
};

// Creates an agent over `client` and `runtime` (borrowed). InvalidArgument for an empty
// node name or a capacity quantity that does not parse.
absl::StatusOr<std::unique_ptr<Agent>> NewAgent(client::Client* client, ContainerRuntime* runtime,
                                                AgentOptions options);

// Annotations of static and mirror pods, as the kubelet names them.
inline constexpr char kConfigSourceAnnotation[] = "kubernetes.io/config.source";
inline constexpr char kConfigHashAnnotation[] = "kubernetes.io/config.hash";
inline constexpr char kConfigMirrorAnnotation[] = "kubernetes.io/config.mirror";

}  // namespace rudder::runtime::agent

#endif  // RUDDER_LIB_RUNTIME_AGENT_AGENT_H_
