// Kubernetes' (Go's) text forms of times and durations.
#ifndef RUDDER_LIB_API_CODEC_INTERNAL_GO_TIME_H_
#define RUDDER_LIB_API_CODEC_INTERNAL_GO_TIME_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rudder::api::codec_internal {

// Seconds since the Unix epoch of Go's zero time.Time (0001-01-01T00:00:00Z), which
// metav1.Time writes as null.
inline constexpr int64_t kGoZeroTimeUnixSeconds = -62135596800;

// "2024-01-02T03:04:05Z" (UTC, whole seconds, the fraction truncated). InvalidArgument for
// years outside [0, 9999], as Go's Time.MarshalJSON.
absl::StatusOr<std::string> FormatRfc3339(int64_t seconds);
// "2024-01-02T03:04:05.123456Z" (UTC, always six fractional digits, truncated).
absl::StatusOr<std::string> FormatRfc3339Micro(int64_t seconds, int32_t nanos);

struct UnixTime {
  int64_t seconds = 0;
  int32_t nanos = 0;
};
// Parses RFC 3339 with optional fractional seconds and a "Z" or "+hh:mm" offset.
absl::StatusOr<UnixTime> ParseRfc3339(absl::string_view text);

// Go's time.Duration.String(): "1h2m3s", "1.5s", "500ms", "2µs", "0s", "-1m0s".
std::string FormatGoDuration(int64_t nanoseconds);
// Go's time.ParseDuration: "1h2m3s", "1.5h", "-300ms", "2us", "0".
absl::StatusOr<int64_t> ParseGoDuration(absl::string_view text);

}  // namespace rudder::api::codec_internal

#endif  // RUDDER_LIB_API_CODEC_INTERNAL_GO_TIME_H_
