// The Namespace controller (kube-controller-manager's namespace-controller): empties a
// namespace being deleted, then lets it go.
//
// A namespace with spec.finalizers ["kubernetes"] (the API server's default) is only marked
// when deleted: deletionTimestamp set, status.phase Terminating. This controller then deletes
// every namespaced kind in the scheme (built-in and custom resources alike, one resource per
// group, through deletecollection), reports progress in status conditions
//   NamespaceDeletionContentFailure (deletes that failed),
//   NamespaceContentRemaining (objects still there, e.g. pods in their grace period),
//   NamespaceFinalizersRemaining (objects kept by their finalizers),
// and, once nothing is left, removes the "kubernetes" finalizer through the namespaces/
// finalize subresource, after which the API server removes the namespace. While content
// remains it looks again every `recheck` (on the manager's clock).
#ifndef RUDDER_LIB_CONTROLLERS_NAMESPACE_NAMESPACE_H_
#define RUDDER_LIB_CONTROLLERS_NAMESPACE_NAMESPACE_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

inline constexpr char kNamespaceFinalizer[] = "kubernetes";

// Calls the namespaces/finalize subresource with `ns` (spec.finalizers as they should be).
using NamespaceFinalizeFunc = std::function<absl::Status(const api::core::v1::Namespace& ns)>;

// A NamespaceFinalizeFunc calling `registry` (borrowed; must outlive the controller).
NamespaceFinalizeFunc RegistryNamespaceFinalizer(apiserver::Registry* registry);

// Options of the Namespace controller.
struct NamespaceControllerOptions {
  // How to call namespaces/finalize; unset: the manager's client (Client::FinalizeNamespace).
  NamespaceFinalizeFunc finalize;
  // How often a namespace with content left is looked at again.
  absl::Duration recheck = absl::Seconds(5);
  int workers = 2;
};

// Adds the controller ("namespace") to `manager` (borrowed; it owns the controller).
absl::Status AddNamespaceController(ctrl::Manager* manager, NamespaceControllerOptions options);

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_NAMESPACE_NAMESPACE_H_
