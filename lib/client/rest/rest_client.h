// A Client over Kubernetes' REST API: JSON over HTTP/1.1 (cpp-httplib), Kubernetes' URL
// paths and query parameters, watches as newline-delimited WatchEvent JSON streams, and
// Status error bodies mapped back to the registry's absl codes with their details and field
// causes. It works against Rudder's REST front end (lib/apiserver/rest) and a Kubernetes API
// server that speaks plain HTTP or HTTPS with a CA file.
//
// Subresources: status, scale, namespaces/finalize, pods/binding (Bind) and pods/eviction
// (Evict); Patch with PatchType::kApply sends application/apply-patch+yaml with fieldManager
// (required; the default manager is not sent for apply) and force.
//
// Differences from the in-process client that callers may see:
//  - Watch from a compacted resourceVersion: the server answers the watch and sends an ERROR
//    event (410 Expired), as Kubernetes does; the in-process client fails Watch itself.
//  - Delete of an object that is gone at once (every kind but Pod) returns an object with only
//    metadata name, namespace and uid (Kubernetes answers with a Status, not the object).
//
// Thread-safe: calls share a small pool of keep-alive connections; each watch has its own
// connection and reader thread.
#ifndef RUDDER_LIB_CLIENT_REST_REST_CLIENT_H_
#define RUDDER_LIB_CLIENT_REST_REST_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/scheme/scheme.h"
#include "lib/client/client.h"

namespace rudder::client {

struct RestClientOptions {
  // "http://127.0.0.1:8080" or "https://host:6443" (no path).
  std::string server;
  // Sent as "Authorization: Bearer <token>" when not empty.
  std::string bearer_token;
  // HTTPS: a PEM file of trusted CAs (empty: the system's), or no verification at all.
  std::string certificate_authority_file;
  bool insecure_skip_tls_verify = false;
  // HTTPS client certificate and key (PEM files), both or neither.
  std::string client_certificate_file;
  std::string client_key_file;
  // Connect, read and write timeout of each request (watches: connect only).
  absl::Duration timeout = absl::Seconds(30);
  // Ask for compressed responses (gzip/brotli). Off by default: on a local network or loopback
  // the server's compression costs more than the bytes it saves.
  bool compression = false;
  // Idle keep-alive connections kept for reuse.
  int max_idle_connections = 8;
  // Sent as every write's fieldManager when the caller gives none.
  std::string field_manager = "rudder-rest-client";
};

// A client for the API server in `options`, knowing the kinds of `scheme` (borrowed; must
// outlive the client). InvalidArgument for a malformed server URL. Connects lazily: an
// unreachable server fails calls with Unavailable.
absl::StatusOr<std::unique_ptr<Client>> NewRestClient(const RestClientOptions& options,
                                                      api::Scheme* scheme);

// Reads a kubeconfig (YAML text): the server, token and TLS files of `context` (empty: the
// current-context). Supported: cluster.server, certificate-authority,
// insecure-skip-tls-verify, user.token, user.tokenFile, client-certificate, client-key.
// Unimplemented for inline data (certificate-authority-data, client-certificate-data,
// client-key-data), exec and auth-provider plugins; NotFound for a missing context, cluster or
// user; InvalidArgument for malformed YAML.
absl::StatusOr<RestClientOptions> ParseKubeconfig(const std::string& yaml,
                                                  const std::string& context = "");
// ParseKubeconfig of the file at `path` (NotFound if it cannot be read).
absl::StatusOr<RestClientOptions> LoadKubeconfig(const std::string& path,
                                                 const std::string& context = "");

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_REST_REST_CLIENT_H_
