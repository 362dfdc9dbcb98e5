// The API server's gRPC front end: the service rudder.apiserver.v1.Objects
// (lib/apiserver/grpc/proto/objects.proto) with generic Get, List, Watch (server streaming),
// Create, Update, UpdateStatus, Patch (merge, JSON, strategic merge and server-side apply with
// fieldManager and force), Delete, GetScale, UpdateScale and PatchScale over every kind of a
// Scheme, addressed by group/version/resource, and the pods/binding (Bind) and pods/eviction
// (Evict) subresources.
//
// It calls the same Registry the REST front end calls, so semantics (optimistic concurrency,
// admission, defaulting, validation, errors) are identical. Errors are gRPC statuses with the
// registry's code and Kubernetes' Status object in the status details (see the .proto).
//
// Start, port and Shutdown are thread-safe. Shutdown ends open watches (their streams finish
// with OK after their last event) and waits for running calls.
//
// Example:
//   GrpcServerOptions o{.registry = &registry};
//   absl::StatusOr<std::unique_ptr<GrpcServer>> s = GrpcServer::Start(o);
//   // target: absl::StrCat("127.0.0.1:", (*s)->port())
#ifndef RUDDER_LIB_APISERVER_GRPC_SERVER_H_
#define RUDDER_LIB_APISERVER_GRPC_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/api/scheme/scheme.h"
#include "lib/apiserver/admission/auth.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/store.h"

namespace rudder::apiserver {

struct GrpcServerOptions {
  // The registry to serve (borrowed; must outlive the server). When null, the server makes its
  // own Registry over `store` and `scheme` (both borrowed) with `registry_options`.
  Registry* registry = nullptr;
  store::Store* store = nullptr;
  api::Scheme* scheme = nullptr;
  RegistryOptions registry_options;
  // TCP listener; port 0 picks a free port. An empty host disables TCP (unix socket only).
  std::string host = "127.0.0.1";
  int port = 0;
  // Also listen on this unix socket path when not empty.
  std::string unix_socket;
  // Largest request and response message (a LIST of many objects is one message).
  int max_message_bytes = 512 * 1024 * 1024;
  // Who calls and what they may do, as for the REST front end (share the same objects to apply
  // one policy to both). Every call is authenticated from its metadata (the authenticator sees
  // the metadata keys as headers: `authorization: Bearer TOKEN`), then authorized with the
  // call's verb, group, version, resource, subresource (status, scale, binding and eviction,
  // whose verb is create, as REST's POST), namespace and name;
  // refusals are UNAUTHENTICATED and PERMISSION_DENIED (with Kubernetes' Status in the
  // details). The user reaches admission. nullptr: everyone is system:anonymous, everything is
  // allowed.
  std::shared_ptr<admission::Authenticator> authenticator;
  std::shared_ptr<admission::Authorizer> authorizer;
};

// A running gRPC front end. Destroying it shuts it down.
class GrpcServer {
 public:
  virtual ~GrpcServer() = default;
  // Binds, starts serving and returns once the server accepts calls. Unavailable when the
  // address cannot be bound; InvalidArgument for incomplete options.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options);
  // The bound TCP port (0 when TCP is disabled).
  virtual int port() const = 0;
  // Ends open watches, stops accepting and waits for running calls. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace rudder::apiserver

#endif  // RUDDER_LIB_APISERVER_GRPC_SERVER_H_
