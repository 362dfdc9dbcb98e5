// A test control plane for the kubectl drain end-to-end test: the API server (built-in kinds,
// in-memory store, the default admission chain) with the disruption and node lifecycle
// controllers running in process.
// Usage: drain_e2e_main <port file>. Writes the bound port to the file, serves until SIGTERM or
// SIGINT.
#include "absl/time/time.h"
#include "lib/client/testing/server_main.h"
#include "lib/controllers/disruption/disruption.h"
#include "lib/controllers/nodelifecycle/nodelifecycle.h"
#include "lib/controllers/runtime/manager.h"

int main(int argc, char** argv) {
  return rudder::client::testing::RunTestServerMain(
      argc, argv, "drain_e2e_main",
      [](rudder::client::Client* client) -> absl::StatusOr<std::function<void()>> {
        auto manager = rudder::ctrl::Manager::New(client, {});
        if (!manager.ok()) return manager.status();
        absl::Status st = rudder::controllers::AddDisruptionController(manager->get());
        // Nodes in this test post no heartbeats: only cordon taints matter here.
        if (st.ok()) {
          st = rudder::controllers::AddNodeLifecycleController(
              manager->get(), {.node_monitor_grace_period = absl::Hours(1)});
        }
        if (st.ok()) st = (*manager)->Start();
        if (!st.ok()) return st;
        std::shared_ptr<rudder::ctrl::Manager> m(std::move(*manager));
        return std::function<void()>([m] { m->Stop(); });
      });
}
