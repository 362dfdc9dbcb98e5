#include "lib/client/testing/server_main.h"

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
#include "lib/store/memory/memory_store.h"

namespace rudder::client::testing {

int RunTestServerMain(int argc, char** argv, const char* name, const StartControllers& start) {
  if (argc != 2) {
    std::cerr << "usage: " << name << " <port file>\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by the server's threads

  absl::StatusOr<std::unique_ptr<store::Store>> store = store::NewMemoryStore();
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  apiserver::ApiServerOptions options;
  options.store = store->get();
  options.scheme = scheme.get();
  options.admission = apiserver::admission::NewDefaultChain();
  absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> server =
      apiserver::ApiServer::Start(options);
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  // The controllers' view of the same store.
  apiserver::RegistryOptions ro;
  ro.admission = options.admission;
  apiserver::Registry registry(store->get(), scheme.get(), ro);
  std::unique_ptr<Client> client = NewInProcessClient(&registry);
  std::function<void()> stop;
  if (start) {
    absl::StatusOr<std::function<void()>> started = start(client.get());
    if (!started.ok()) {
      std::cerr << started.status() << "\n";
      (*server)->Shutdown();
      return 1;
    }
    stop = *std::move(started);
  }
  {
    std::ofstream out(std::string(argv[1]) + ".tmp");
    out << (*server)->port() << "\n";
  }
  std::rename((std::string(argv[1]) + ".tmp").c_str(), argv[1]);
  std::cerr << "serving on 127.0.0.1:" << (*server)->port() << "\n";
  int sig = 0;
  sigwait(&set, &sig);
  if (stop) stop();
  (*server)->Shutdown();
  return 0;
}

}  // namespace rudder::client::testing
