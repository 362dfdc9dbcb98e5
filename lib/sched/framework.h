// The scheduling framework: the extension points of kube-scheduler's framework, as abstract
// plugin interfaces, plus the values they exchange (Status, CycleState, cluster events).
//
// A plugin is one object implementing any subset of the extension-point interfaces below
// (PreEnqueuePlugin, FilterPlugin, ScorePlugin, ...); the framework finds which by
// dynamic_cast when a profile is built. Plugins are created by factories registered by name
// in a PluginRegistry (registry.h), one instance per profile.
//
// Thread-safety: Filter, Score and (if present) PreFilterExtensions are called concurrently
// from several threads for different nodes and must only read shared state. Every other
// extension point is called from one thread at a time.
#ifndef RUDDER_LIB_SCHED_FRAMEWORK_H_
#define RUDDER_LIB_SCHED_FRAMEWORK_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/base/clock.h"
#include "lib/sched/node_info.h"

namespace rudder::sched {

// The highest score a Score plugin may give after NormalizeScore.
inline constexpr int64_t kMaxNodeScore = 100;

// Status codes of the extension points (Kubernetes' framework.Code).
enum class Code : uint8_t {
  kSuccess,
  kError,                         // An unexpected failure; the pod is retried with back-off.
  kUnschedulable,                 // Does not fit now; preemption may help.
  kUnschedulableAndUnresolvable,  // Does not fit and preemption cannot help.
  kWait,                          // Permit only: wait for Allow/Reject.
  kSkip,                          // PreFilter/PreScore: skip this plugin's later calls; Bind: next.
  kPending,                       // PreEnqueue: the pod waits for something external.
};

// The result of an extension point: a code, human-readable reasons and the plugin that set
// it. Success is cheap to create, move and destroy (no allocation). Value type; copies share
// the reasons until one of them changes (so a plugin may return copies of a prebuilt failure,
// tagged WithPlugin, without allocating per node).
class Status {
 public:
  Status() = default;
  explicit Status(Code code) : code_(code) {}
  Status(Code code, std::string reason) : code_(code) {
    if (!reason.empty()) mutable_rep()->reasons.push_back(std::move(reason));
  }
  Status(Code code, std::vector<std::string> reasons) : code_(code) {
    if (!reasons.empty()) mutable_rep()->reasons = std::move(reasons);
  }
  Status(const Status& o) = default;
  Status& operator=(const Status& o) = default;
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Error(std::string msg) { return Status(Code::kError, std::move(msg)); }
  static Status Unschedulable(std::string reason) {
    return Status(Code::kUnschedulable, std::move(reason));
  }
  static Status Unresolvable(std::string reason) {
    return Status(Code::kUnschedulableAndUnresolvable, std::move(reason));
  }
  static Status Skip() { return Status(Code::kSkip); }
  // A status with `s`'s code and details whose copies share them without reference counting:
  // the details are built once and never freed. For the few failures a plugin returns for
  // many nodes from several threads at once (copying them then touches no shared counter).
  static Status Immortal(const Status& s) {
    Status out(s.code_);
    if (s.rep_) out.rep_ = std::shared_ptr<Rep>(std::shared_ptr<Rep>(), new Rep(*s.rep_));
    return out;
  }

  Code code() const { return code_; }
  bool ok() const { return code_ == Code::kSuccess; }
  bool IsSkip() const { return code_ == Code::kSkip; }
  bool IsWait() const { return code_ == Code::kWait; }
  // Unschedulable, UnschedulableAndUnresolvable or Pending.
  bool IsRejected() const {
    return code_ == Code::kUnschedulable || code_ == Code::kUnschedulableAndUnresolvable ||
           code_ == Code::kPending;
  }
  const std::vector<std::string>& reasons() const;
  // The reasons joined by ", ".
  std::string Message() const;
  // The plugin that returned this status (set by the framework).
  const std::string& plugin() const;
  Status& WithPlugin(std::string_view plugin) {
    if (!rep_ || rep_->plugin != plugin) mutable_rep()->plugin = std::string(plugin);
    return *this;
  }
  // An absl::Status with the message (kUnavailable for rejections, kInternal for errors).
  absl::Status ToAbsl() const;

 private:
  // Only non-success statuses carry details, so success costs one byte and a null pointer.
  struct Rep {
    std::vector<std::string> reasons;
    std::string plugin;
  };
  // Copy on write: a shared Rep (or an immortal one, which counts no owner) is copied before
  // it changes.
  Rep* mutable_rep() {
    if (!rep_) {
      rep_ = std::make_shared<Rep>();
    } else if (rep_.use_count() != 1) {
      rep_ = std::make_shared<Rep>(*rep_);
    }
    return rep_.get();
  }
  Code code_ = Code::kSuccess;
  std::shared_ptr<Rep> rep_;
};

// Data a plugin keeps in a CycleState between extension points. Clone() is used when the
// state is copied (nominated pods, preemption's what-if runs).
class StateData {
 public:
  virtual ~StateData() = default;
  virtual std::unique_ptr<StateData> Clone() const = 0;
};

// A slot in CycleState, interned once per process: `static const StateKey k("MyPlugin")`.
// Reading a slot is an array index, so Filter/Score can read their pre-computed state for
// every node cheaply. Thread-safe to construct.
class StateKey {
 public:
  explicit StateKey(std::string_view name);
  int index() const { return index_; }

 private:
  int index_;
};

// A small set of plugin names (the plugins a cycle skips). It holds views: the names must
// outlive it (a profile's plugin names do; they live as long as the scheduler). Inserting and
// looking up a handful of names allocates nothing. Value type; not thread-safe to mutate.
class PluginNameSet {
 public:
  void insert(std::string_view name) {
    if (!contains(name)) names_.push_back(name);
  }
  bool contains(std::string_view name) const {
    for (std::string_view n : names_) {
      if (n == name) return true;
    }
    return false;
  }
  bool empty() const { return names_.empty(); }
  size_t size() const { return names_.size(); }
  void clear() { names_.clear(); }
  auto begin() const { return names_.begin(); }
  auto end() const { return names_.end(); }

 private:
  absl::InlinedVector<std::string_view, 8> names_;
};

// Per-pod, per-cycle scratch space shared by the plugins of one scheduling attempt. Writes
// happen in sequential extension points (PreFilter, PreScore, Reserve, ...); concurrent reads
// in Filter/Score are safe while nobody writes. Owned by the scheduling cycle.
class CycleState {
 public:
  CycleState() = default;
  CycleState(const CycleState&) = delete;
  CycleState& operator=(const CycleState&) = delete;

  // The data in `key`, or null. The caller knows the concrete type it wrote.
  const StateData* Read(const StateKey& key) const {
    return key.index() < static_cast<int>(slots_.size()) ? slots_[key.index()].get() : nullptr;
  }
  StateData* ReadMutable(const StateKey& key) {
    return key.index() < static_cast<int>(slots_.size()) ? slots_[key.index()].get() : nullptr;
  }
  template <typename T>
  const T* Get(const StateKey& key) const {
    return static_cast<const T*>(Read(key));
  }
  void Write(const StateKey& key, std::unique_ptr<StateData> data);
  void Delete(const StateKey& key) { Write(key, nullptr); }
  // A deep copy (StateData::Clone of every slot).
  std::unique_ptr<CycleState> Clone() const;
  // Empties every slot, keeping capacity.
  void Reset();
  // Plugins whose PreFilter / PreScore returned Skip (their Filter / Score, and their
  // PreFilter extensions, are not called in this cycle). Names are the profile's (see
  // PluginNameSet).
  PluginNameSet& skip_filter_plugins() { return skip_filter_; }
  const PluginNameSet& skip_filter_plugins() const { return skip_filter_; }
  PluginNameSet& skip_score_plugins() { return skip_score_; }
  const PluginNameSet& skip_score_plugins() const { return skip_score_; }

 private:
  std::vector<std::unique_ptr<StateData>> slots_;
  PluginNameSet skip_filter_;
  PluginNameSet skip_score_;
};

// What changed in the cluster, for requeueing unschedulable pods (Kubernetes' ClusterEvent).
enum class EventResource : uint8_t { kPod, kAssignedPod, kNode, kWildcard };
// Bit flags.
enum ActionType : uint32_t {
  kAdd = 1 << 0,
  kDelete = 1 << 1,
  kUpdateNodeAllocatable = 1 << 2,
  kUpdateNodeLabel = 1 << 3,
  kUpdateNodeTaint = 1 << 4,
  kUpdateNodeCondition = 1 << 5,
  kUpdateNodeAnnotation = 1 << 6,
  kUpdateNodeSpecUnschedulable = 1 << 7,
  kUpdatePodLabel = 1 << 8,
  kUpdatePodScaleDown = 1 << 9,
  kUpdatePodTolerations = 1 << 10,
  kUpdatePodOther = 1 << 11,
  kUpdate = kUpdateNodeAllocatable | kUpdateNodeLabel | kUpdateNodeTaint | kUpdateNodeCondition |
            kUpdateNodeAnnotation | kUpdateNodeSpecUnschedulable | kUpdatePodLabel |
            kUpdatePodScaleDown | kUpdatePodTolerations | kUpdatePodOther,
  kAll = kAdd | kDelete | kUpdate,
};

struct ClusterEvent {
  EventResource resource = EventResource::kWildcard;
  uint32_t actions = kAll;
  std::string label;  // For logs and metrics ("NodeAdd", "AssignedPodDelete").

  // True if an event of this kind matches a registration `reg`.
  bool Matches(const ClusterEvent& reg) const;
  static ClusterEvent Wildcard(std::string label = "WildCardEvent") {
    return {EventResource::kWildcard, kAll, std::move(label)};
  }
};

// A plugin's answer to "could this event make the pod schedulable?".
enum class QueueingHint : uint8_t { kQueue, kSkip };
// Optional precise check: (pod, old object or null, new object or null). Objects are Node or
// Pod according to the event's resource.
using QueueingHintFn =
    std::function<QueueingHint(const Pod& pod, const google::protobuf::Message* old_obj,
                               const google::protobuf::Message* new_obj)>;
struct ClusterEventWithHint {
  ClusterEvent event;
  QueueingHintFn hint;  // null: always queue.
};

// A pod in the scheduling queue, with its attempt bookkeeping. Owned by the queue.
struct QueuedPodInfo {
  std::shared_ptr<const PodInfo> pod_info;
  absl::Time timestamp;                  // When it was last added to the queue.
  absl::Time initial_attempt_timestamp;  // When it was first popped (InfinitePast if never).
  int attempts = 0;
  // Plugins that rejected it in its last attempt (empty: requeue on any event).
  absl::flat_hash_set<std::string> unschedulable_plugins;
  // Plugins that returned Pending (PreEnqueue) for it.
  absl::flat_hash_set<std::string> pending_plugins;
  bool gated = false;  // Held back by a PreEnqueue plugin.

  const Pod& pod() const { return pod_info->pod(); }
};

// ----------------------------------------------------------------------------------------------
// Plugin interfaces.

// Every plugin. Name() is its registry name.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string_view Name() const = 0;
};

// Called before a pod enters activeQ; a non-success status keeps it gated.
class PreEnqueuePlugin : public virtual Plugin {
 public:
  virtual Status PreEnqueue(const PodInfo& pod) = 0;
};

// Orders activeQ. Exactly one per scheduler (all profiles must agree).
class QueueSortPlugin : public virtual Plugin {
 public:
  virtual bool Less(const QueuedPodInfo& a, const QueuedPodInfo& b) const = 0;
};

// The cluster events that may make a pod rejected by this plugin schedulable.
class EnqueueExtensions : public virtual Plugin {
 public:
  virtual std::vector<ClusterEventWithHint> EventsToRegister() const = 0;
};

// Narrowing of the candidate nodes by a PreFilter plugin (for example matchFields on
// metadata.name). Unset: all nodes.
struct PreFilterResult {
  std::optional<absl::flat_hash_set<std::string>> node_names;
  // Intersects with `other` (unset means "all").
  void Merge(const PreFilterResult& other);
};

// Incremental updates of a PreFilter plugin's state when pods are added to or removed from a
// node in a what-if evaluation (nominated pods, preemption). Called concurrently.
class PreFilterExtensions {
 public:
  virtual ~PreFilterExtensions() = default;
  virtual Status AddPod(CycleState& state, const PodInfo& pod_to_schedule,
                        const PodInfo& pod_to_add, const NodeInfo& node) = 0;
  virtual Status RemovePod(CycleState& state, const PodInfo& pod_to_schedule,
                           const PodInfo& pod_to_remove, const NodeInfo& node) = 0;
};

// Pre-computes per-pod state; may reject the pod for all nodes or narrow the node set.
class PreFilterPlugin : public virtual Plugin {
 public:
  virtual Status PreFilter(CycleState& state, const PodInfo& pod, PreFilterResult* result) = 0;
  virtual PreFilterExtensions* Extensions() { return nullptr; }
};

// Decides whether the pod fits on one node. Called concurrently for different nodes.
class FilterPlugin : public virtual Plugin {
 public:
  virtual Status Filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) = 0;
};

// The status each node got in Filter, for PostFilter and diagnostics. Nodes that passed are
// absent.
struct NodeToStatus {
  std::vector<std::pair<const NodeInfo*, Status>> failed;
};

// Result of a PostFilter plugin: a nominated node when it made room (preemption).
struct PostFilterResult {
  std::optional<std::string> nominated_node_name;
};

// Runs when no node fits (preemption). Success with a nominated node ends the chain.
class PostFilterPlugin : public virtual Plugin {
 public:
  virtual Status PostFilter(CycleState& state, const PodInfo& pod, const NodeToStatus& filtered,
                            PostFilterResult* result) = 0;
};

// Pre-computes state for Score over the feasible nodes; Skip disables its Score for the cycle.
class PreScorePlugin : public virtual Plugin {
 public:
  virtual Status PreScore(CycleState& state, const PodInfo& pod,
                          std::span<const NodeInfo* const> nodes) = 0;
};

// Ranks feasible nodes. Score is called concurrently for different nodes; NormalizeScore
// once, over all scores (aligned with the nodes given to PreScore), and must leave them in
// [0, kMaxNodeScore].
class ScorePlugin : public virtual Plugin {
 public:
  virtual Status Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node,
                       int64_t* score) = 0;
  virtual Status NormalizeScore(const CycleState& state, const PodInfo& pod,
                                std::span<int64_t> scores) {
    return Status();
  }
};

// Reserve updates plugin state when a node is chosen; Unreserve undoes it on any later failure
// (called in reverse order, must be idempotent).
class ReservePlugin : public virtual Plugin {
 public:
  virtual Status Reserve(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
  virtual void Unreserve(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
};

// Allows, rejects or delays (Code::kWait with *timeout) the binding of a reserved pod.
class PermitPlugin : public virtual Plugin {
 public:
  virtual Status Permit(CycleState& state, const PodInfo& pod, const std::string& node,
                        absl::Duration* timeout) = 0;
};

// Runs before Bind in the binding cycle (volumes, network); a failure unreserves the pod.
class PreBindPlugin : public virtual Plugin {
 public:
  virtual Status PreBind(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
};

// Binds the pod to the node. Skip passes to the next Bind plugin.
class BindPlugin : public virtual Plugin {
 public:
  virtual Status Bind(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
};

// Informational, after a successful bind.
class PostBindPlugin : public virtual Plugin {
 public:
  virtual void PostBind(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
};

// ----------------------------------------------------------------------------------------------
// Services the framework gives plugins.

// Writes a binding (pod -> node). Implementations must be thread-safe: bindings of different
// pods run concurrently.
class Binder {
 public:
  virtual ~Binder() = default;
  virtual absl::Status Bind(const Pod& pod, const std::string& node_name) = 0;
};

// A pod held at Permit. Allow/Reject are thread-safe.
class WaitingPod {
 public:
  virtual ~WaitingPod() = default;
  virtual const Pod& pod() const = 0;
  virtual const std::string& node_name() const = 0;
  // Plugins that still have to allow it.
  virtual std::vector<std::string> PendingPlugins() const = 0;
  // Marks `plugin` as allowing; the pod proceeds when every waiting plugin allowed.
  virtual void Allow(std::string_view plugin) = 0;
  // Rejects the pod: it is unreserved and requeued.
  virtual void Reject(std::string_view plugin, std::string_view msg) = 0;
};

// Cluster state and writes that plugins need beyond the node snapshot (preemption). The host
// implements it (lib/sched/kube does so over the API); tests use FakeClusterAccess
// (lib/sched/testing/fake_cluster_access.h). Implementations must be thread-safe.
class ClusterAccess {
 public:
  virtual ~ClusterAccess() = default;
  // PodDisruptionBudgets of every namespace, as last observed.
  virtual std::vector<std::shared_ptr<const api::policy::v1::PodDisruptionBudget>> ListPDBs()
      const = 0;
  // Deletes a preemption victim, first adding the DisruptionTarget condition
  // (reason PreemptionByScheduler) to its status. NotFound is not an error.
  virtual absl::Status EvictVictim(const Pod& victim, const Pod& preemptor) = 0;
  // Writes status.nominatedNodeName of `pod` ("" clears it).
  virtual absl::Status SetNominatedNodeName(const Pod& pod, const std::string& node) = 0;
};

namespace internal {
class AffinityIndex;
}  // namespace internal

// The snapshot of the cluster for the current cycle.
class NodeInfoLister {
 public:
  virtual ~NodeInfoLister() = default;
  // The index of pods with affinity terms and of pods by label (lib/sched/internal), kept
  // by the cache's Snapshot; null for other listers (plugins then scan every pod).
  virtual const internal::AffinityIndex* affinity_index() const { return nullptr; }
  virtual std::span<const NodeInfo* const> List() const = 0;
  virtual const NodeInfo* Get(std::string_view node_name) const = 0;
  // How many nodes have this (normalized) image.
  virtual int ImageNumNodes(std::string_view image) const = 0;
};

// What a plugin factory receives: access to the snapshot, the binder, waiting pods and the
// clock. Owned by the scheduler; outlives every plugin.
class Handle {
 public:
  virtual ~Handle() = default;
  // The current cycle's snapshot. Valid in scheduling-cycle extension points only (PreFilter
  // through Permit); binding-cycle plugins must not read it (the next cycle updates it).
  virtual const NodeInfoLister& Snapshot() const = 0;
  virtual Binder* binder() const = 0;
  virtual Clock* clock() const = 0;
  // Cluster state and writes beyond the snapshot (PDBs, evictions, nominations); null when
  // the host gave none (preemption then only reports what it would do). Borrowed.
  virtual ClusterAccess* cluster() const = 0;
  // The pod waiting at Permit, or null. The pointer is valid inside `fn` only.
  virtual void WithWaitingPod(std::string_view uid, const std::function<void(WaitingPod*)>& fn) = 0;
  virtual void IterateOverWaitingPods(const std::function<void(WaitingPod*)>& fn) = 0;

  // What-if runs for PostFilter plugins (preemption), in the scheduling cycle only. The
  // defaults return kError ("not supported") and no nominated pods.
  //
  // Runs the Filter plugins of the pod's profile that PreFilter did not skip in `state` on
  // `node`, first adding the pods nominated to it with a priority >= the pod's (through the
  // PreFilter AddPod extensions, on a copy of `state`). Thread-safe.
  virtual Status RunFilterPluginsWithNominatedPods(const CycleState& state, const PodInfo& pod,
                                                   const NodeInfo& node);
  // The PreFilter AddPod / RemovePod extensions of the pod's profile (plugins not skipped).
  virtual Status RunPreFilterExtensionAddPod(CycleState& state, const PodInfo& pod,
                                             const PodInfo& to_add, const NodeInfo& node);
  virtual Status RunPreFilterExtensionRemovePod(CycleState& state, const PodInfo& pod,
                                                const PodInfo& to_remove, const NodeInfo& node);
  // The pods nominated to `node` (any priority). Thread-safe.
  virtual std::vector<std::shared_ptr<const PodInfo>> NominatedPodsForNode(
      std::string_view node) const;
  // Runs fn(chunk) for chunk in [0, num_chunks) on the scheduler's Filter/Score workers (the
  // caller takes part), chunks claimed in increasing order; once `stop` (if non-null) is true
  // no further chunk is claimed, so the chunks that ran are a prefix. Scheduling thread only,
  // not reentrant. The default runs the chunks in order on the caller.
  virtual void Parallelize(int num_chunks, const std::function<void(int)>& fn,
                           const std::atomic<bool>* stop = nullptr);
};

}  // namespace rudder::sched

#endif  // RUDDER_LIB_SCHED_FRAMEWORK_H_
