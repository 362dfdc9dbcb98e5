// The ServiceAccount controller: keeps a `default` ServiceAccount in every namespace
// (kube-controller-manager's serviceaccount-controller). An account deleted by a user is
// created again; namespaces being deleted are left alone.
#ifndef RUDDER_LIB_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNT_H_
#define RUDDER_LIB_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

// Options of the ServiceAccount controller.
struct ServiceAccountControllerOptions {
  // The accounts every namespace gets.
  std::vector<std::string> names = {"default"};
  int workers = 2;
};

// Adds the controller ("serviceaccount") to `manager` (borrowed; it owns the controller).
absl::Status AddServiceAccountController(ctrl::Manager* manager,
                                         ServiceAccountControllerOptions options = {});

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNT_H_
