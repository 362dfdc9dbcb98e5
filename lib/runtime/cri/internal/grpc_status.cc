#include "lib/runtime/cri/internal/grpc_status.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace rudder::runtime::cri::internal {

absl::StatusCode ToAbslCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return absl::StatusCode::kOk;
    case grpc::StatusCode::CANCELLED:
      return absl::StatusCode::kCancelled;
    case grpc::StatusCode::UNKNOWN:
      return absl::StatusCode::kUnknown;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::StatusCode::kInvalidArgument;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StatusCode::kDeadlineExceeded;
    case grpc::StatusCode::NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::StatusCode::kPermissionDenied;
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::StatusCode::kUnauthenticated;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::StatusCode::kResourceExhausted;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::StatusCode::kFailedPrecondition;
    case grpc::StatusCode::ABORTED:
      return absl::StatusCode::kAborted;
    case grpc::StatusCode::OUT_OF_RANGE:
      return absl::StatusCode::kOutOfRange;
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::StatusCode::kUnimplemented;
    case grpc::StatusCode::INTERNAL:
      return absl::StatusCode::kInternal;
    case grpc::StatusCode::UNAVAILABLE:
      return absl::StatusCode::kUnavailable;
    case grpc::StatusCode::DATA_LOSS:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kUnknown;
  }
}

absl::Status ToAbslStatus(const grpc::Status& status, std::string_view method) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(
      ToAbslCode(status.error_code()),
      absl::StrCat(absl::string_view(method.data(), method.size()), ": ", status.error_message()));
}

std::chrono::system_clock::time_point DeadlineFromTimeout(absl::Duration timeout) {
  using Clock = std::chrono::system_clock;
  if (timeout == absl::InfiniteDuration()) return Clock::time_point::max();
  if (timeout < absl::ZeroDuration()) timeout = absl::ZeroDuration();
  // system_clock counts nanoseconds in 64 bits (until 2262): treat anything beyond a century as
  // no deadline rather than overflow.
  if (timeout > absl::Hours(24 * 365 * 100)) return Clock::time_point::max();
  const Clock::time_point now = Clock::now();
  return now + std::chrono::duration_cast<Clock::duration>(absl::ToChronoNanoseconds(timeout));
}

}  // namespace rudder::runtime::cri::internal
