// A test control plane for the kubectl drain end-to-end test: the API server (built-in kinds,
// in-memory store, the default admission chain) with the disruption and node lifecycle
// controllers running in process.
// Usage: drain_e2e_main <port file>. Writes the bound port to the file, serves until SIGTERM or
// SIGINT.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/apiserver/rest/server.h"
#include "lib/client/client.h"
#include "lib/controllers/disruption/disruption.h"
#include "lib/controllers/nodelifecycle/nodelifecycle.h"
#include "lib/controllers/runtime/manager.h"
#include "lib/store/memory/memory_store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: drain_e2e_main <port file>\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto store = rudder::store::NewMemoryStore();
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  std::unique_ptr<rudder::api::Scheme> scheme = rudder::api::NewBuiltinScheme();
  rudder::apiserver::ApiServerOptions options;
  options.store = store->get();
  options.scheme = scheme.get();
  options.admission = rudder::apiserver::admission::NewDefaultChain();
  auto server = rudder::apiserver::ApiServer::Start(options);
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  // The controllers' view of the same store.
  rudder::apiserver::RegistryOptions ro;
  ro.admission = options.admission;
  rudder::apiserver::Registry registry(store->get(), scheme.get(), ro);
  std::unique_ptr<rudder::client::Client> client = rudder::client::NewInProcessClient(&registry);
  auto manager = rudder::ctrl::Manager::New(client.get(), {});
  if (!manager.ok()) {
    std::cerr << manager.status() << "\n";
    return 1;
  }
  absl::Status st = rudder::controllers::AddDisruptionController(manager->get());
  // Nodes in this test post no heartbeats: only cordon taints matter here.
  if (st.ok()) {
    st = rudder::controllers::AddNodeLifecycleController(
        manager->get(), {.node_monitor_grace_period = absl::Hours(1)});
  }
  if (st.ok()) st = (*manager)->Start();
  if (!st.ok()) {
    std::cerr << st << "\n";
    return 1;
  }
  {
    std::ofstream out(std::string(argv[1]) + ".tmp");
    out << (*server)->port() << "\n";
  }
  std::rename((std::string(argv[1]) + ".tmp").c_str(), argv[1]);
  std::cerr << "serving on 127.0.0.1:" << (*server)->port() << "\n";
  int sig = 0;
  sigwait(&set, &sig);
  (*manager)->Stop();
  (*server)->Shutdown();
  return 0;
}
