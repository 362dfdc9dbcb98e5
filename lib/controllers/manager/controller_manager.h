// A controller-manager: the built-in controllers (and a host program's own) under one
// ctrl::Manager with optional leader election, chosen kube-controller-manager style
// (`--controllers=*,-replicationcontroller,foo`).
//
//   ControllerManagerOptions opts;
//   opts.controllers = {"*", "-replicationcontroller"};
//   opts.manager.leader_election = {.enabled = true, .lease_namespace = "kube-system",
//                                   .lease_name = "controller-manager", .identity = host};
//   opts.extra.push_back({"sites", [](ctrl::Manager* m) { return AddSiteController(m); }});
//   absl::StatusOr<std::unique_ptr<ControllerManager>> cm = ControllerManager::New(client, opts);
//   (*cm)->Start();
#ifndef RUDDER_LIB_CONTROLLERS_MANAGER_CONTROLLER_MANAGER_H_
#define RUDDER_LIB_CONTROLLERS_MANAGER_CONTROLLER_MANAGER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

// Adds one controller to a manager (borrowed).
using ControllerFactory = std::function<absl::Status(ctrl::Manager* manager)>;

// A named controller the controller-manager can run.
struct ControllerDescriptor {
  // The name used in the selection ("deployment").
  std::string name;
  ControllerFactory add;
  // Whether "*" selects it.
  bool enabled_by_default = true;
};

// The built-in controllers, in start order. Adding one is one entry in
// controller_manager.cc's table.
const std::vector<ControllerDescriptor>& BuiltinControllers();

// The names of `known` selected by `selection`: "*" selects every controller enabled by
// default, "name" selects one, "-name" deselects one (winning over "*"). InvalidArgument
// naming the entry for an unknown name or an empty entry.
absl::StatusOr<std::vector<std::string>> SelectControllers(
    const std::vector<std::string>& selection, const std::vector<ControllerDescriptor>& known);

// Splits a flag value such as "*,-foo,bar" into entries.
std::vector<std::string> ParseControllersFlag(const std::string& flag);

// How a ControllerManager runs.
struct ControllerManagerOptions {
  // The selection (see SelectControllers).
  std::vector<std::string> controllers = {"*"};
  // The manager's options: clock, leader election, informers.
  ctrl::ManagerOptions manager;
  // The host program's own controllers, selectable like built-in ones; a name equal to a
  // built-in one replaces it.
  std::vector<ControllerDescriptor> extra;
};

// Runs the selected controllers under one manager. Thread-safe after New.
class ControllerManager {
 public:
  // A controller-manager over `client` (borrowed; must outlive it) with every selected
  // controller added. InvalidArgument for a bad selection; a factory's error otherwise.
  static absl::StatusOr<std::unique_ptr<ControllerManager>> New(client::Client* client,
                                                                ControllerManagerOptions options);
  ~ControllerManager();

  // Starts informers, leader election and the controllers.
  absl::Status Start();
  // Stops everything; idempotent.
  void Stop();

  // The names of the controllers running (or waiting for leadership), in start order.
  const std::vector<std::string>& controllers() const { return enabled_; }
  // The underlying manager (owned by this object).
  ctrl::Manager* manager() const { return manager_.get(); }

 private:
  ControllerManager(std::unique_ptr<ctrl::Manager> manager, std::vector<std::string> enabled)
      : manager_(std::move(manager)), enabled_(std::move(enabled)) {}
  std::unique_ptr<ctrl::Manager> manager_;
  std::vector<std::string> enabled_;
};

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_MANAGER_CONTROLLER_MANAGER_H_
