// The node lifecycle controller (kube-controller-manager's node-lifecycle-controller with its
// NoExecute taint manager) and the DefaultTolerationSeconds admission plugin.
//
// Node health: a node agent heartbeats by renewing its Lease in kube-node-lease and by posting
// its Ready condition. A node whose latest heartbeat (the later of the lease's renewTime and
// the Ready condition's lastHeartbeatTime; the node's creation time when it never posted one)
// is older than `node_monitor_grace_period` gets every condition it reports (Ready,
// MemoryPressure, DiskPressure, PIDPressure) set to Unknown with reason NodeStatusUnknown, and
// its pods' Ready conditions set to False.
//
// Taints, kept in step with the Ready condition and spec.unschedulable:
//   Ready=False    node.kubernetes.io/not-ready:NoExecute and :NoSchedule
//   Ready=Unknown  node.kubernetes.io/unreachable:NoExecute and :NoSchedule
//   unschedulable  node.kubernetes.io/unschedulable:NoSchedule (cordon)
// and removed when the condition clears. NoExecute taints carry timeAdded.
//
// Taint manager: a pod on a node with NoExecute taints is deleted at once when some taint has
// no matching toleration; when every taint is tolerated it is deleted once some taint has been
// there for the smallest `tolerationSeconds` among the tolerations matching it (counted from
// the taint's timeAdded), and never when no matching toleration sets tolerationSeconds. Deleted
// pods first get the DisruptionTarget condition (reason DeletionByTaintManager).
#ifndef RUDDER_LIB_CONTROLLERS_NODELIFECYCLE_NODELIFECYCLE_H_
#define RUDDER_LIB_CONTROLLERS_NODELIFECYCLE_NODELIFECYCLE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/apiserver/admission/admission.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

// Well-known taint keys.
inline constexpr char kTaintNodeNotReady[] = "node.kubernetes.io/not-ready";
inline constexpr char kTaintNodeUnreachable[] = "node.kubernetes.io/unreachable";
inline constexpr char kTaintNodeUnschedulable[] = "node.kubernetes.io/unschedulable";

// Options of the node lifecycle controller.
struct NodeLifecycleOptions {
  // How long a node may stay silent before it is Unknown (--node-monitor-grace-period).
  absl::Duration node_monitor_grace_period = absl::Seconds(40);
  // Run the NoExecute taint manager (pods evicted from tainted nodes).
  bool enable_taint_manager = true;
  int workers = 2;
};

// Adds the controller ("nodelifecycle") to `manager` (borrowed; it owns the controller). Time
// comes from the manager's clock.
absl::Status AddNodeLifecycleController(ctrl::Manager* manager, NodeLifecycleOptions options = {});

// Whether `toleration` tolerates `taint` (Kubernetes' ToleratesTaint: an empty effect matches
// every effect, an empty key with operator Exists matches every taint, the default operator is
// Equal).
bool ToleratesTaint(const api::core::v1::Toleration& toleration, const api::core::v1::Taint& taint);

// The DefaultTolerationSeconds admission plugin: pods created without a toleration of
// not-ready:NoExecute or unreachable:NoExecute get one (operator Exists) with
// `seconds` tolerationSeconds. Thread-safe.
std::unique_ptr<apiserver::admission::Plugin> NewDefaultTolerationSeconds(int64_t seconds = 300);

// Registers NewDefaultTolerationSeconds() as "DefaultTolerationSeconds".
void RegisterDefaultTolerationSeconds(apiserver::admission::PluginRegistry* registry);

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_NODELIFECYCLE_NODELIFECYCLE_H_
