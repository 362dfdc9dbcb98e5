// Where a node agent reads the pods bound to its node.
#ifndef RUDDER_LIB_RUNTIME_AGENT_POD_SOURCE_H_
#define RUDDER_LIB_RUNTIME_AGENT_POD_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/clock.h"
#include "lib/client/client.h"
#include "lib/client/informer/shared_informer.h"

namespace rudder::runtime::agent {

using PodRef = std::shared_ptr<const api::core::v1::Pod>;

// The pods with spec.nodeName == node. Thread-safe.
class PodSource {
 public:
  virtual ~PodSource() = default;
  // Starts watching (if the source watches); returns once its first list is in, or
  // Unavailable if that did not happen before `deadline` on the source's clock.
  virtual absl::Status Start(absl::Time deadline) = 0;
  // Stops watching. Idempotent.
  virtual void Stop() = 0;
  // The node's pods as currently known.
  virtual absl::StatusOr<std::vector<PodRef>> Pods() = 0;
};

// An informer of its own with field selector spec.nodeName=<node> (the kubelet's way).
// `client` and `clock` are borrowed.
absl::StatusOr<std::unique_ptr<PodSource>> NewInformerPodSource(client::Client* client,
                                                                const std::string& node,
                                                                Clock* clock);

// Reads the pods of `node` from `informer`, a pod informer shared by many agents (e.g. simulated
// nodes in one process), through an index on spec.nodeName that this adds. Borrowed; the caller
// starts and stops it.
absl::StatusOr<std::unique_ptr<PodSource>> NewSharedInformerPodSource(
    client::SharedIndexInformer* informer, const std::string& node);

// Lists the pods on every call (no watch): deterministic, for tests and tiny setups.
std::unique_ptr<PodSource> NewListPodSource(client::Client* client, const std::string& node);

}  // namespace rudder::runtime::agent

#endif  // RUDDER_LIB_RUNTIME_AGENT_POD_SOURCE_H_
