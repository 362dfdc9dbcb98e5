// Pods' logs from their node: the API server's log subresource reads a pod's log from the
// in-process agent when the pod runs there, and otherwise from the log endpoint its node
// publishes (a separate `rudder node`, or any kubelet-like server):
//
//   GET http://ADDRESS:PORT/containerLogs/NAMESPACE/POD/CONTAINER?follow=true&tailLines=5...
//   Authorization: Bearer TOKEN
//
// with the query parameters of the log subresource (EncodePodLogQuery). ADDRESS is the node's
// first InternalIP (else ExternalIP, else Hostname) of status.addresses, PORT is
// status.daemonEndpoints.kubeletEndpoint.Port. The body is streamed through as it arrives;
// a follow ends when the node ends it or the caller cancels (checked every second).
#ifndef RUDDER_LIB_APISERVER_REST_POD_LOG_PROXY_H_
#define RUDDER_LIB_APISERVER_REST_POD_LOG_PROXY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/scheme.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/apiserver/rest/pod_log.h"

namespace rudder::apiserver {

// How the API server talks to nodes' log endpoints.
struct NodeLogClientOptions {
  // Sent as "Authorization: Bearer <token>" (the token the nodes are configured with);
  // empty: no Authorization header.
  std::string bearer_token;
  // Limits of connecting and of waiting for the response's headers (real time: these are
  // socket waits).
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration header_timeout = absl::Seconds(30);
};

// Where a node serves its pods' logs. OK with host and port > 0, or InvalidArgument (400)
// saying that the node publishes no log endpoint.
struct NodeLogEndpoint {
  std::string host;
  int port = 0;
};
absl::StatusOr<NodeLogEndpoint> NodeLogEndpointOf(const api::core::v1::Node& node);

// Opens the log of container `options.container` ("" : the node picks the pod's only
// container) of pod `ns`/`pod` at `endpoint`: connects, sends the request and reads the
// response's headers, so errors come back here. A status of the node is passed on with its
// message (400 InvalidArgument, 404 NotFound, 503 Unavailable); 401/403 (the token does not
// match) become Internal naming the node; a node that cannot be reached is Unavailable. The
// stream then hands the body through in the pieces it arrives in (not cut at lines).
absl::StatusOr<std::unique_ptr<PodLogStream>> OpenNodeLog(const NodeLogEndpoint& endpoint,
                                                          const std::string& ns,
                                                          const std::string& pod,
                                                          const PodLogOptions& options,
                                                          const NodeLogClientOptions& client);

// The log source of an API server over `registry` and `scheme` (borrowed, must outlive it):
// with `local` set and `local_node` empty every log comes from local->OpenLog; otherwise it
// reads pod NS/NAME (NotFound passes on), then
//  - spec.nodeName empty: InvalidArgument "pod NAME does not have a host assigned";
//  - spec.nodeName equal to `local_node` (and `local` set): local->OpenLog;
//  - otherwise the Node (NotFound passes on), its NodeLogEndpointOf, and OpenNodeLog.
// Thread-safe if `local` is.
std::unique_ptr<PodLogSource> NewPodLogRouter(Registry* registry, const api::Scheme* scheme,
                                              std::shared_ptr<PodLogSource> local,
                                              std::string local_node, NodeLogClientOptions client);

}  // namespace rudder::apiserver

#endif  // RUDDER_LIB_APISERVER_REST_POD_LOG_PROXY_H_
