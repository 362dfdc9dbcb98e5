// A Client over the API server's gRPC service (rudder.apiserver.v1.Objects, see
// lib/apiserver/grpc): objects travel as protobuf bytes of their kind's message, watches as
// server streams, and errors come back with the registry's own absl codes, messages,
// StatusDetails and field causes, so callers cannot tell this transport from the in-process
// one. Subresources: status (Update/Patch with status), scale, pods/binding (Bind) and
// pods/eviction (Evict); Patch with PatchType::kApply is server-side apply (fieldManager
// required, force). Not offered: namespaces/finalize (FinalizeNamespace is Unimplemented).
//
// Thread-safe; one HTTP/2 channel is shared by every call.
//
// Example:
//   std::unique_ptr<Client> c = NewGrpcClient("127.0.0.1:7443", scheme.get());
//   TypedClient<api::core::v1::Pod> pods(c.get());
#ifndef RUDDER_LIB_CLIENT_GRPC_GRPC_CLIENT_H_
#define RUDDER_LIB_CLIENT_GRPC_GRPC_CLIENT_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "lib/api/scheme/scheme.h"
#include "lib/client/client.h"

namespace rudder::client {

struct GrpcClientOptions {
  // Deadline of each unary call (Get, List, Create, ...); watches have none. Exceeding it
  // fails the call with DeadlineExceeded.
  absl::Duration call_timeout = absl::Seconds(30);
  // Largest response message (a LIST of many objects is one message).
  int max_message_bytes = 512 * 1024 * 1024;
  // Sent as every write's fieldManager when the caller gives none.
  std::string field_manager = "rudder-grpc-client";
};

// A client for the service at `target` ("127.0.0.1:7443", "unix:/run/rudder.sock"), knowing
// the kinds of `scheme` (borrowed; must outlive the client). Connects lazily: an unreachable
// server fails calls with Unavailable.
std::unique_ptr<Client> NewGrpcClient(const std::string& target, api::Scheme* scheme,
                                      const GrpcClientOptions& options = {});

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_GRPC_GRPC_CLIENT_H_
