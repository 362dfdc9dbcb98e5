// A test API server: the built-in kinds over an in-memory store on 127.0.0.1, with the
// all-in-one server's admission chain (NamespaceLifecycle, LimitRanger, ServiceAccount,
// ResourceQuota).
// Usage: apiserver_main <port file>. Writes the bound port to the file, serves until SIGTERM or
// SIGINT, then shuts down gracefully.
#include "lib/client/testing/server_main.h"

int main(int argc, char** argv) {
  return rudder::client::testing::RunTestServerMain(argc, argv, "apiserver_main", nullptr);
}
