// A test API server: the built-in kinds over an in-memory store on 127.0.0.1, with the
// all-in-one server's admission chain (NamespaceLifecycle, LimitRanger, ServiceAccount,
// ResourceQuota).
// Usage: apiserver_main <port file>. Writes the bound port to the file, serves until SIGTERM or
// SIGINT, then shuts down gracefully.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/store/memory/memory_store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: apiserver_main <port file>\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by the server's threads

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
  {
    std::ofstream out(std::string(argv[1]) + ".tmp");
    out << (*server)->port() << "\n";
  }
  std::rename((std::string(argv[1]) + ".tmp").c_str(), argv[1]);
  std::cerr << "serving on 127.0.0.1:" << (*server)->port() << "\n";
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->Shutdown();
  return 0;
}
