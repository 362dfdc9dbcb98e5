// The CRI client: Rudder's runtime interface (lib/runtime/runtime.h) over gRPC to a CRI v1
// runtime such as containerd's CRI plugin or CRI-O.
//
// Every call becomes one unary gRPC call on the runtime's socket with the call's timeout as its
// deadline; gRPC status codes become absl codes of the same meaning (UNAVAILABLE when the
// socket is missing or refuses, DEADLINE_EXCEEDED on timeout, NOT_FOUND for unknown sandboxes,
// containers or images), and the message carries the runtime's text, prefixed with the method.
//
// Example:
//   auto runtime = rudder::runtime::cri::NewCriRuntime(
//       {.endpoint = "unix:///run/containerd/containerd.sock"});
//   auto version = (*runtime)->Version({}, absl::Seconds(5));
#ifndef RUDDER_LIB_RUNTIME_CRI_CRI_CLIENT_H_
#define RUDDER_LIB_RUNTIME_CRI_CRI_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::cri {

// How to reach the runtime.
struct CriClientOptions {
  // "unix:///path/to/containerd.sock" (or a bare absolute path, taken as a unix socket).
  // Any other gRPC target (e.g. "127.0.0.1:1234") is passed to gRPC as is.
  std::string endpoint;
  // The largest reply accepted (ExecSync output, long lists). CRI runtimes cap ExecSync output
  // at 16 MiB per stream.
  int max_receive_message_bytes = 40 << 20;
};

// Creates a client of the runtime at `options.endpoint`. The connection is made lazily (the
// first call connects), so a runtime that starts later is fine; a call while nothing listens
// fails with Unavailable. InvalidArgument if the endpoint is empty or a relative unix path.
// The returned object is thread-safe; share it between all pod workers.
absl::StatusOr<std::unique_ptr<ContainerRuntime>> NewCriRuntime(const CriClientOptions& options);

}  // namespace rudder::runtime::cri

#endif  // RUDDER_LIB_RUNTIME_CRI_CRI_CLIENT_H_
