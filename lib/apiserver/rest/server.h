// The Kubernetes REST front end: serves discovery, CRUD, patch and watch for every kind of a
// Scheme over a Store, with Kubernetes' paths, JSON and Status errors, so stock kubectl works.
//
// Every connection runs on a thread of the server's pool, and an open watch keeps its thread
// for its whole life: size `max_threads` for the watches you expect. Start, port and Shutdown
// are thread-safe. Shutdown ends open watches (their streams close) and waits for handlers.
//
// Example:
//   ApiServerOptions o{.store = store.get(), .scheme = scheme.get()};
//   absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o);
//   // kubeconfig server: http://127.0.0.1:<(*s)->port()>
#ifndef RUDDER_LIB_APISERVER_REST_SERVER_H_
#define RUDDER_LIB_APISERVER_REST_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/api/scheme/scheme.h"
#include "lib/apiserver/admission/admission.h"
#include "lib/apiserver/admission/auth.h"
#include "lib/apiserver/rest/pod_log.h"
#include "lib/apiserver/rest/pod_log_proxy.h"
#include "lib/store/store.h"

namespace rudder::apiserver {

struct ApiServerOptions {
  store::Store* store = nullptr;  // borrowed; must outlive the server
  api::Scheme* scheme = nullptr;  // borrowed; must outlive the server
  std::string host = "127.0.0.1";
  int port = 0;                             // 0: pick a free port
  size_t max_body_bytes = 3 * 1024 * 1024;  // larger request bodies get 413
  int max_threads = 64;                     // connections served at once (watches included)
  // The admission chain of every write; nullptr admits everything. An all-in-one server uses
  // admission::NewDefaultChain() (lib/apiserver/admission/builtin.h).
  std::shared_ptr<const admission::Chain> admission;
  // Who sends each request; nullptr: everyone is system:anonymous.
  std::shared_ptr<admission::Authenticator> authenticator;
  // Whether each request may proceed (403 Forbidden otherwise); nullptr: allow all.
  std::shared_ptr<admission::Authorizer> authorizer;
  // Serve the kinds of stored CustomResourceDefinitions (lib/apiserver/crd) when the scheme
  // has the CustomResourceDefinition kind. The server then adds and removes kinds of `scheme`.
  bool serve_custom_resources = true;
  // Serves GET pods/NAME/log (lib/apiserver/rest/pod_log.h) for the pods of node
  // `pod_logs_node` (empty: of every node): an in-process agent's logs. The logs of other pods
  // come from the log endpoint their Node publishes (lib/apiserver/rest/pod_log_proxy.h).
  std::shared_ptr<PodLogSource> pod_logs;
  std::string pod_logs_node;
  // How the server reaches nodes' log endpoints (bearer token, timeouts).
  NodeLogClientOptions node_logs;
};

// A running API server. Destroying it shuts it down.
class ApiServer {
 public:
  virtual ~ApiServer() = default;
  // Binds, starts serving on background threads, and returns once the server accepts requests.
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(const ApiServerOptions& options);
  // The bound port.
  virtual int port() const = 0;
  // Stops accepting, ends open watches and joins the serving threads. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace rudder::apiserver

#endif  // RUDDER_LIB_APISERVER_REST_SERVER_H_
