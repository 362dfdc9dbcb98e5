// A test control plane for the workloads end-to-end test: the API server (built-in kinds,
// in-memory store, the default admission chain) with the controller-manager's built-in
// controllers running in process.
// Usage: workloads_e2e_main <port file>. Writes the bound port to the file, serves until
// SIGTERM or SIGINT.
#include "lib/client/testing/server_main.h"
#include "lib/controllers/manager/controller_manager.h"

int main(int argc, char** argv) {
  return rudder::client::testing::RunTestServerMain(
      argc, argv, "workloads_e2e_main",
      [](rudder::client::Client* client) -> absl::StatusOr<std::function<void()>> {
        auto cm = rudder::controllers::ControllerManager::New(client, {});
        if (!cm.ok()) return cm.status();
        if (absl::Status st = (*cm)->Start(); !st.ok()) return st;
        std::shared_ptr<rudder::controllers::ControllerManager> m(std::move(*cm));
        return std::function<void()>([m] { m->Stop(); });
      });
}
