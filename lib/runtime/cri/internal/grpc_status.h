// Conversion of gRPC statuses to absl statuses for the CRI client.
#ifndef RUDDER_LIB_RUNTIME_CRI_INTERNAL_GRPC_STATUS_H_
#define RUDDER_LIB_RUNTIME_CRI_INTERNAL_GRPC_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace rudder::runtime::cri::internal {

// The absl code with the same meaning as a gRPC code (the numeric values coincide; unknown
// values become kUnknown).
absl::StatusCode ToAbslCode(grpc::StatusCode code);

// `status` as an absl::Status whose message is "<method>: <runtime's message>".
absl::Status ToAbslStatus(const grpc::Status& status, std::string_view method);

// The gRPC deadline for a call started now with `timeout`; absl::InfiniteDuration() and
// durations over a century give std::chrono::system_clock::time_point::max().
std::chrono::system_clock::time_point DeadlineFromTimeout(absl::Duration timeout);

}  // namespace rudder::runtime::cri::internal

#endif  // RUDDER_LIB_RUNTIME_CRI_INTERNAL_GRPC_STATUS_H_
