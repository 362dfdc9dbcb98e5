// Test environments: one API server (memory store, built-in scheme) and a Client over it
// through one transport (in process, gRPC or REST), for the transport conformance suite and
// the API server benchmarks.
#ifndef RUDDER_LIB_CLIENT_CONFORMANCE_TRANSPORTS_H_
#define RUDDER_LIB_CLIENT_CONFORMANCE_TRANSPORTS_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "lib/api/scheme/scheme.h"
#include "lib/client/client.h"
#include "lib/store/store.h"

namespace rudder::client {

// A running server and a client of it. Owns everything; destroying it stops the server.
class ClientEnv {
 public:
  virtual ~ClientEnv() = default;
  // The client under test (owned by the environment).
  virtual Client* client() = 0;
  // The store behind the server (to compact it, or to read what was written).
  virtual store::Store* store() = 0;
  virtual api::Scheme* scheme() = 0;
  // Another client of the same server through the same transport (for many-client tests).
  virtual absl::StatusOr<std::unique_ptr<Client>> NewClient() = 0;
};

// How to make an environment of one transport.
struct TransportFactory {
  std::string name;  // letters, digits and '_'
  std::function<absl::StatusOr<std::unique_ptr<ClientEnv>>()> make;
};

// The three transports.
absl::StatusOr<std::unique_ptr<ClientEnv>> NewInProcessEnv();
absl::StatusOr<std::unique_ptr<ClientEnv>> NewGrpcEnv();
// `server_threads`: the REST server's connection threads (each open watch holds one).
absl::StatusOr<std::unique_ptr<ClientEnv>> NewRestEnv(int server_threads = 64);

// {InProcess, Grpc, Rest} factories.
std::vector<TransportFactory> AllTransports();

inline std::ostream& operator<<(std::ostream& os, const TransportFactory& f) {
  return os << f.name;
}

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_CONFORMANCE_TRANSPORTS_H_
