// The node's log server: the small HTTP endpoint through which the API server reads the logs
// of the pods a separate node agent runs (lib/apiserver/rest/pod_log_proxy.h), like the
// kubelet's:
//
//   GET /containerLogs/NAMESPACE/POD[/CONTAINER]?follow=&previous=&timestamps=&tailLines=
//       &sinceSeconds=&sinceTime=&limitBytes=
//   GET /healthz
//
// Every request but /healthz must carry "Authorization: Bearer <token>" when a token is set
// (401 otherwise). Errors are Kubernetes Status objects with the source's code (400, 404,
// 503). Logs are streamed in chunks as they come; a follow ends when the container stops, the
// client goes away or the server shuts down.
#ifndef RUDDER_LIB_RUNTIME_AGENT_LOG_SERVER_H_
#define RUDDER_LIB_RUNTIME_AGENT_LOG_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/apiserver/rest/pod_log.h"

namespace rudder::runtime::agent {

struct LogServerOptions {
  // Where the logs come from (NewRuntimePodLogSource over the node's runtime). Borrowed; must
  // outlive the server. Required.
  apiserver::PodLogSource* source = nullptr;
  // Address to listen on; the default serves local API servers only.
  std::string address = "127.0.0.1";
  int port = 0;  // 0: a free port (read it back with port())
  // The token requests must bear; empty: no authentication (keep such a server on loopback).
  std::string bearer_token;
  int max_threads = 16;  // requests served at once (follows included)
};

// A running log server. Destroying it shuts it down. Thread-safe.
class LogServer {
 public:
  virtual ~LogServer() = default;
  // Binds and serves on threads of its own. InvalidArgument without a source, Unavailable when
  // the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<LogServer>> Start(const LogServerOptions& options);
  // The bound port.
  virtual int port() const = 0;
  // Stops accepting, ends open follows and joins the serving threads. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace rudder::runtime::agent

#endif  // RUDDER_LIB_RUNTIME_AGENT_LOG_SERVER_H_
