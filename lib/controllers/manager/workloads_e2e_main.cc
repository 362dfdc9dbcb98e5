// A test control plane for the workloads end-to-end test: the API server (built-in kinds,
// in-memory store, the default admission chain) with the controller-manager's built-in
// controllers running in process.
// Usage: workloads_e2e_main <port file>. Writes the bound port to the file, serves until
// SIGTERM or SIGINT.
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
#include "lib/controllers/manager/controller_manager.h"
#include "lib/store/memory/memory_store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: workloads_e2e_main <port file>\n";
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
  rudder::apiserver::RegistryOptions ro;
  ro.admission = options.admission;
  rudder::apiserver::Registry registry(store->get(), scheme.get(), ro);
  std::unique_ptr<rudder::client::Client> client = rudder::client::NewInProcessClient(&registry);
  auto cm = rudder::controllers::ControllerManager::New(client.get(), {});
  absl::Status st = cm.ok() ? (*cm)->Start() : cm.status();
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
  (*cm)->Stop();
  (*server)->Shutdown();
  return 0;
}
