// The scheduler's cache of nodes and pods, with assumed pods, and the per-cycle Snapshot.
//
// A pod counts against its node as soon as the scheduler assumes it (Reserve), before the
// binding is written. FinishBinding starts its expiry clock: an assumed pod whose binding is
// not confirmed (AddPod of the bound pod) within the TTL is removed by
// CleanupExpiredAssumedPods. ForgetPod drops an assumed pod at once (failed binding).
//
// UpdateSnapshot is incremental: each NodeInfo carries the generation of its last change and
// the cache keeps its nodes in most-recently-changed order, so an update copies only the
// NodeInfos that changed since the snapshot's generation.
//
// Cache is thread-safe. A Snapshot is read by one scheduling cycle at a time (and concurrently
// by its Filter/Score workers) and written only by UpdateSnapshot.
#ifndef RUDDER_LIB_SCHED_CACHE_H_
#define RUDDER_LIB_SCHED_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/sched/framework.h"
#include "lib/sched/node_info.h"

namespace rudder::sched {

// An immutable-per-cycle copy of the cluster: NodeInfos by name and as a list (nodes with a
// Node object only, in the order the nodes were added).
class Snapshot : public NodeInfoLister {
 public:
  Snapshot();
  ~Snapshot() override;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  std::span<const NodeInfo* const> List() const override { return list_; }
  const NodeInfo* Get(std::string_view node_name) const override;
  int ImageNumNodes(std::string_view image) const override;
  int64_t generation() const { return generation_; }
  int NumNodes() const { return static_cast<int>(list_.size()); }
  const internal::AffinityIndex* affinity_index() const override { return affinity_index_.get(); }

 private:
  friend class Cache;
  std::unique_ptr<internal::AffinityIndex> affinity_index_;
  absl::flat_hash_map<std::string, std::unique_ptr<NodeInfo>> nodes_;
  std::vector<const NodeInfo*> list_;
  std::shared_ptr<const absl::flat_hash_map<std::string, int>> image_nodes_;
  // NodeInfo::snapshot_slot numbers: the next unused one and released ones.
  int32_t next_slot_ = 0;
  std::vector<int32_t> free_slots_;
  int64_t generation_ = 0;
  int64_t list_generation_ = -1;
  int64_t image_generation_ = -1;
};

class Cache {
 public:
  // `clock` is borrowed. `assumed_ttl`: how long after FinishBinding an unconfirmed assumed
  // pod stays.
  explicit Cache(Clock* clock, absl::Duration assumed_ttl = absl::Minutes(15));
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Nodes. InvalidArgument for malformed allocatable; AlreadyExists / NotFound as named.
  absl::Status AddNode(std::shared_ptr<const Node> node);
  absl::Status UpdateNode(std::shared_ptr<const Node> node);
  absl::Status RemoveNode(std::string_view name);

  // Counts the pod against `node_name` before its binding is written. AlreadyExists if the
  // pod is already in the cache.
  absl::Status AssumePod(std::shared_ptr<const PodInfo> pod, const std::string& node_name);
  // The binding was sent: the assumed pod expires `assumed_ttl` from now unless confirmed.
  absl::Status FinishBinding(std::string_view uid);
  // Drops an assumed pod (its binding failed). NotFound if it is not assumed.
  absl::Status ForgetPod(std::string_view uid);
  // A pod bound to pod.spec.nodeName was observed: confirms an assumed pod (moving it if it
  // landed elsewhere) or adds it.
  absl::Status AddPod(std::shared_ptr<const PodInfo> pod);
  // An assigned pod changed (the node is taken from the new pod).
  absl::Status UpdatePod(std::shared_ptr<const PodInfo> pod);
  // An assigned pod was deleted. NotFound if unknown.
  absl::Status RemovePod(std::string_view uid);

  bool IsAssumedPod(std::string_view uid) const;
  // The node a cached pod is on, or "" if the pod is not cached.
  std::string NodeOf(std::string_view uid) const;
  // Removes assumed pods whose binding finished more than the TTL ago; returns how many.
  int CleanupExpiredAssumedPods();

  // Brings `snapshot` up to date, copying only the NodeInfos changed since its generation.
  void UpdateSnapshot(Snapshot* snapshot);

  int NumNodes() const;
  int NumPods() const;

 private:
  struct NodeItem;
  struct PodState {
    std::shared_ptr<const PodInfo> pod;
    std::string node;
    bool assumed = false;
    bool binding_finished = false;
    absl::Time deadline = absl::InfiniteFuture();
  };

  NodeItem* GetOrCreateNode(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MoveToFront(NodeItem* item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveItem(NodeItem* item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddPodToNode(const std::shared_ptr<const PodInfo>& pod, const std::string& node)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemovePodFromNode(const std::string& uid, const std::string& node)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddImages(const NodeInfo& info, int delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const absl::Duration ttl_;
  mutable Mutex mu_;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::unique_ptr<NodeItem>> nodes_ ABSL_GUARDED_BY(mu_);
  NodeItem* head_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Node names in the order they were added (the snapshot's list order).
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  int64_t order_generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, PodState> pods_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> image_nodes_ ABSL_GUARDED_BY(mu_);
  int64_t image_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rudder::sched

#endif  // RUDDER_LIB_SCHED_CACHE_H_
