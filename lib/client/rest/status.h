// Kubernetes Status objects back to the absl::Status values the API server's registry
// produces (the inverse of apiserver::ToApiStatus), so remote clients return errors that
// callers cannot tell from in-process ones: same code, message, StatusDetails and field causes.
// Thread-compatible free functions.
#ifndef RUDDER_LIB_CLIENT_REST_STATUS_H_
#define RUDDER_LIB_CLIENT_REST_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "lib/api/proto/meta/v1/meta.pb.h"

namespace rudder::client {

// The absl code for an HTTP status code and Kubernetes reason (409 Conflict -> Aborted,
// 409 AlreadyExists -> AlreadyExists, 422 -> InvalidArgument, 410 -> OutOfRange, ...).
absl::StatusCode CodeFromHttp(int http_code, const std::string& reason);

// The registry error that `status` describes. `code`, when given (gRPC carries it), wins over
// the one derived from status.code/reason. ToApiStatus() of the result equals `status` (for
// the fields Kubernetes defines). OK for a "Success" status.
absl::Status FromApiStatus(const api::meta::v1::Status& status,
                           std::optional<absl::StatusCode> code = std::nullopt);

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_REST_STATUS_H_
