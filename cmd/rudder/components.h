// The control-plane parts as separate commands, each talking to the API server over REST:
// `rudder controller-manager`, `rudder scheduler`, `rudder node`. Exit codes as `rudder up`:
// 0 after a clean shutdown (SIGINT/SIGTERM), 1 for a start-up failure, 2 for bad flags.
#ifndef RUDDER_CMD_RUDDER_COMPONENTS_H_
#define RUDDER_CMD_RUDDER_COMPONENTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/client/client.h"
#include "lib/client/informer/factory.h"
#include "lib/controllers/gc/gc.h"
#include "lib/runtime/runtime.h"

namespace rudder::cmd {

// `rudder controller-manager`: the built-in controllers (--controllers), leader-elected on a
// Lease (kube-system/rudder-controller-manager by default).
int RunControllerManager(const std::vector<std::string>& args);

// `rudder scheduler`: the scheduler, leader-elected on a Lease (kube-system/rudder-scheduler by
// default), with profiles from --config.
int RunScheduler(const std::vector<std::string>& args);

// `rudder node`: one node agent, pods as local processes or through CRI (--cri-endpoint).
int RunNode(const std::vector<std::string>& args);

// The container runtime of a node: containerd (or any CRI runtime) at `cri_endpoint`, checked
// with a Version call, or the process runtime when it is empty. Unavailable with a clear
// message when the CRI runtime does not answer within a few seconds.
absl::StatusOr<std::unique_ptr<runtime::ContainerRuntime>> NewNodeRuntime(
    const std::string& cri_endpoint);

// Starts the garbage collector writing through `client` over the kinds of `informers` (both
// borrowed); returns once its caches have synced.
absl::StatusOr<std::unique_ptr<controllers::GarbageCollector>> StartGarbageCollector(
    client::Client* client, client::SharedInformerFactory* informers);

}  // namespace rudder::cmd

#endif  // RUDDER_CMD_RUDDER_COMPONENTS_H_
