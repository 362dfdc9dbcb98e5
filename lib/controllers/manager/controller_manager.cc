#include "lib/controllers/manager/controller_manager.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/status_macros.h"
#include "lib/controllers/daemonset/daemonset.h"
#include "lib/controllers/deployment/deployment.h"
#include "lib/controllers/disruption/disruption.h"
#include "lib/controllers/endpoints/endpoints.h"
#include "lib/controllers/hpa/hpa.h"
#include "lib/controllers/job/job.h"
#include "lib/controllers/namespace/namespace.h"
#include "lib/controllers/nodelifecycle/nodelifecycle.h"
#include "lib/controllers/replicaset/replicaset.h"
#include "lib/controllers/serviceaccount/serviceaccount.h"

namespace rudder::controllers {

const std::vector<ControllerDescriptor>& BuiltinControllers() {
  static const auto* table = new std::vector<ControllerDescriptor>{
      {"replicaset", [](ctrl::Manager* m) { return AddReplicaSetController(m); }},
      {"replicationcontroller",
       [](ctrl::Manager* m) { return AddReplicationControllerController(m); }},
      {"deployment", [](ctrl::Manager* m) { return AddDeploymentController(m); }},
      {"daemonset", [](ctrl::Manager* m) { return AddDaemonSetController(m); }},
      {"job", [](ctrl::Manager* m) { return AddJobController(m); }},
      {"ttl-after-finished", [](ctrl::Manager* m) { return AddTtlAfterFinishedController(m); }},
      {"namespace", [](ctrl::Manager* m) { return AddNamespaceController(m, {}); }},
      {"serviceaccount", [](ctrl::Manager* m) { return AddServiceAccountController(m); }},
      {"endpoint", [](ctrl::Manager* m) { return AddEndpointsController(m); }},
      {"endpointslice", [](ctrl::Manager* m) { return AddEndpointSliceController(m); }},
      {"nodelifecycle", [](ctrl::Manager* m) { return AddNodeLifecycleController(m); }},
      {"disruption", [](ctrl::Manager* m) { return AddDisruptionController(m); }},
      // Pod usage from metrics.k8s.io PodMetrics, as node agents publish them.
      {"horizontalpodautoscaling", [](ctrl::Manager* m) { return AddHpaController(m, {}); }},
  };
  return *table;
}

std::vector<std::string> ParseControllersFlag(const std::string& flag) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(flag, ',')) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> SelectControllers(
    const std::vector<std::string>& selection, const std::vector<ControllerDescriptor>& known) {
  std::set<std::string> names;
  for (const ControllerDescriptor& d : known) names.insert(d.name);
  bool star = false;
  std::set<std::string> on, off;
  for (size_t i = 0; i < selection.size(); ++i) {
    const std::string& e = selection[i];
    const std::string path = absl::StrCat("controllers[", i, "]");
    if (e == "*") {
      star = true;
      continue;
    }
    const bool negate = !e.empty() && e[0] == '-';
    const std::string name = negate ? e.substr(1) : e;
    if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty name"));
    if (!names.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": \"", name, "\" is not a known controller"));
    }
    (negate ? off : on).insert(name);
  }
  std::vector<std::string> out;
  for (const ControllerDescriptor& d : known) {
    if (off.count(d.name)) continue;
    if (on.count(d.name) || (star && d.enabled_by_default)) out.push_back(d.name);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ControllerManager>> ControllerManager::New(
    client::Client* client, ControllerManagerOptions options) {
  std::vector<ControllerDescriptor> known = BuiltinControllers();
  for (ControllerDescriptor& e : options.extra) {
    bool replaced = false;
    for (ControllerDescriptor& k : known) {
      if (k.name == e.name) {
        k = e;
        replaced = true;
      }
    }
    if (!replaced) known.push_back(std::move(e));
  }
  RUDDER_ASSIGN_OR_RETURN(std::vector<std::string> enabled,
                          SelectControllers(options.controllers, known));
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<ctrl::Manager> manager,
                          ctrl::Manager::New(client, options.manager));
  std::map<std::string, const ControllerDescriptor*> by_name;
  for (const ControllerDescriptor& k : known) by_name[k.name] = &k;
  for (const std::string& name : enabled) {
    absl::Status st = by_name[name]->add(manager.get());
    if (!st.ok()) {
      return absl::Status(st.code(), absl::StrCat("controller \"", name, "\": ", st.message()));
    }
  }
  return std::unique_ptr<ControllerManager>(
      new ControllerManager(std::move(manager), std::move(enabled)));
}

ControllerManager::~ControllerManager() { Stop(); }

absl::Status ControllerManager::Start() { return manager_->Start(); }

void ControllerManager::Stop() { manager_->Stop(); }

}  // namespace rudder::controllers
