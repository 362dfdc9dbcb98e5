// The scheduler's view of pods and nodes: precomputed pod requests, per-node aggregates.
//
// PodInfo is computed once per pod (requests with init containers and overhead, host ports,
// images) and shared immutably. NodeInfo aggregates a node's pods (requested resources, used
// host ports) and is what Filter and Score plugins read. All integer math: cpu in millicores,
// memory and storage in bytes, extended resources in units.
#ifndef RUDDER_LIB_SCHED_NODE_INFO_H_
#define RUDDER_LIB_SCHED_NODE_INFO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/api/proto/core/v1/core.pb.h"

namespace rudder::sched {

using Pod = ::rudder::api::core::v1::Pod;
using Node = ::rudder::api::core::v1::Node;

// Kubernetes' defaults for a container without cpu/memory requests, used only for scoring
// (NonZeroRequested): 100 millicores and 200 MiB.
inline constexpr int64_t kDefaultMilliCpuRequest = 100;
inline constexpr int64_t kDefaultMemoryRequest = 200 * 1024 * 1024;

// An amount of every resource the scheduler tracks. A value type; not thread-safe to mutate.
struct Resource {
  int64_t milli_cpu = 0;
  int64_t memory = 0;             // bytes
  int64_t ephemeral_storage = 0;  // bytes
  int64_t allowed_pod_number = 0;
  // Extended and other scalar resources ("example.com/gpu", "hugepages-2Mi"), sorted by name.
  std::vector<std::pair<std::string, int64_t>> scalar;

  // The scalar resource's value, 0 when absent.
  int64_t Scalar(std::string_view name) const;
  // Adds `v` to a scalar resource.
  void AddScalar(std::string_view name, int64_t v);
  // Sets a scalar resource.
  void SetScalar(std::string_view name, int64_t v);
  // this += r (pod count excluded).
  void Add(const Resource& r);
  // this -= r (pod count excluded).
  void Sub(const Resource& r);
  // Per resource, this = max(this, r).
  void SetMax(const Resource& r);
  // The value of a resource by its Kubernetes name ("cpu" in millicores, "memory", ...).
  int64_t Get(std::string_view name) const;
  bool IsZero() const;
  // Parses a Kubernetes ResourceList into this (overwriting the named resources). `path` is
  // the field path used in errors.
  absl::Status SetFromList(
      const google::protobuf::Map<std::string, ::rudder::api::resource::Quantity>& list,
      std::string_view path);
};

// A host port a pod wants: protocol ("TCP"), IP ("0.0.0.0" when unset) and port.
struct HostPort {
  std::string ip;
  std::string protocol;
  int32_t port = 0;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// A pod plus everything the scheduler derives from it once. Immutable after Create; share it
// with std::shared_ptr<const PodInfo>. Thread-safe to read.
class PodInfo {
 public:
  // Computes requests (Kubernetes' PodRequests: containers summed, init containers as the
  // max with restartable sidecars accumulated, plus overhead), the non-zero requests used by
  // scoring, host ports and normalized image names. Malformed quantities give InvalidArgument
  // with the field path ("spec.containers[0].resources.requests[cpu]: ...").
  static absl::StatusOr<std::shared_ptr<const PodInfo>> Create(std::shared_ptr<const Pod> pod);
  static absl::StatusOr<std::shared_ptr<const PodInfo>> Create(Pod pod);

  const Pod& pod() const { return *pod_; }
  const std::shared_ptr<const Pod>& shared_pod() const { return pod_; }
  // "namespace/name".
  const std::string& key() const { return key_; }
  // metadata.uid, or the key when the pod has no uid.
  const std::string& uid() const { return uid_; }
  int32_t priority() const { return priority_; }
  const Resource& requests() const { return requests_; }
  // Requests with the scoring defaults for containers that request no cpu/memory.
  const Resource& non_zero_requests() const { return non_zero_; }
  const std::vector<HostPort>& host_ports() const { return host_ports_; }
  // Container and init container images, with ":latest" added where there is no tag.
  const std::vector<std::string>& images() const { return images_; }

 private:
  std::shared_ptr<const Pod> pod_;
  std::string key_;
  std::string uid_;
  int32_t priority_ = 0;
  Resource requests_;
  Resource non_zero_;
  std::vector<HostPort> host_ports_;
  std::vector<std::string> images_;
};

// The host ports in use on a node. Value type.
class HostPortInfo {
 public:
  void Add(const HostPort& p);
  void Remove(const HostPort& p);
  // True if `p` conflicts with a used port (0.0.0.0 conflicts with every IP).
  bool Conflicts(const HostPort& p) const;
  bool empty() const { return ports_.empty(); }

 private:
  std::vector<std::pair<HostPort, int>> ports_;  // port -> reference count
};

// A node and the pods on it (bound or assumed), with aggregates. NodeInfos in a snapshot are
// immutable during a scheduling cycle and safe to read from many threads; the cache mutates
// its own copies under its lock.
class NodeInfo {
 public:
  NodeInfo() = default;

  // The node object; null for a node that only has pods so far (its Node not yet seen).
  const Node* node() const { return node_.get(); }
  const std::shared_ptr<const Node>& shared_node() const { return node_; }
  const std::string& name() const { return name_; }
  // node.spec.unschedulable and whether node.spec.taints is non-empty, cached for Filter.
  bool unschedulable() const { return unschedulable_; }
  bool has_taints() const { return has_taints_; }
  const std::vector<std::shared_ptr<const PodInfo>>& pods() const { return pods_; }
  const Resource& requested() const { return requested_; }
  const Resource& non_zero_requested() const { return non_zero_requested_; }
  const Resource& allocatable() const { return allocatable_; }
  const HostPortInfo& used_ports() const { return used_ports_; }
  // Image (normalized name) -> size in bytes, from node.status.images.
  const absl::flat_hash_map<std::string, int64_t>& images() const;
  // Bumped on every change; the snapshot copies NodeInfos whose generation moved.
  int64_t generation() const { return generation_; }

  // Sets the node (parsing allocatable and images). InvalidArgument on malformed quantities.
  absl::Status SetNode(std::shared_ptr<const Node> node, int64_t generation);
  void ClearNode(int64_t generation);
  void AddPod(std::shared_ptr<const PodInfo> pod, int64_t generation);
  // Removes the pod with this uid; false if absent.
  bool RemovePod(const std::string& uid, int64_t generation);
  void set_name(std::string name) { name_ = std::move(name); }
  // The NodeInfo's slot in the Snapshot that holds it: a small dense number, stable while the
  // node is in the snapshot, that the snapshot's index uses to keep per-node data in arrays.
  // -1 outside a snapshot. A copy keeps the slot of its original. Set by the Snapshot.
  int32_t snapshot_slot() const { return snapshot_slot_; }
  void set_snapshot_slot(int32_t slot) { snapshot_slot_ = slot; }

 private:
  std::shared_ptr<const Node> node_;
  std::string name_;
  bool unschedulable_ = false;
  bool has_taints_ = false;
  int32_t snapshot_slot_ = -1;
  std::vector<std::shared_ptr<const PodInfo>> pods_;
  Resource requested_;
  Resource non_zero_requested_;
  Resource allocatable_;
  HostPortInfo used_ports_;
  std::shared_ptr<const absl::flat_hash_map<std::string, int64_t>> images_;
  int64_t generation_ = 0;
};

// Asks the CPU to fetch the NodeInfo's fields that Filter and Score read (a hint; no effect
// on results). Loops over nodes call it a few nodes ahead.
inline void PrefetchNodeInfo(const NodeInfo* n) {
  const char* p = reinterpret_cast<const char*>(n);
  for (size_t off = 0; off < sizeof(NodeInfo); off += 64) __builtin_prefetch(p + off);
}

// std::string_view as absl::string_view (Debian's Abseil has its own string_view type), for
// StrCat and heterogeneous lookups in Abseil containers.
inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// "nginx" -> "nginx:latest"; names with a tag or digest are unchanged.
std::string NormalizeImageName(std::string_view image);

}  // namespace rudder::sched

#endif  // RUDDER_LIB_SCHED_NODE_INFO_H_
