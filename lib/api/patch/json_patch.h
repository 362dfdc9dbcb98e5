// JSON patch (RFC 6902, `application/json-patch+json`, `kubectl patch --type=json`) and JSON
// pointers (RFC 6901).
//
// Guarantees:
//  - Operations add, remove, replace, move, copy and test, applied in order; the first failure
//    stops the patch and its error names the operation's index, op and path:
//      `operation 2 (replace "/spec/replicas"): path not found`.
//  - Pointers: "" is the whole document, "~1" is "/", "~0" is "~"; array indices are decimal
//    without leading zeros; "-" appends (add only). Negative indices are rejected.
//  - A malformed patch, a path that does not resolve and a value of the wrong type are
//    InvalidArgument; a failed `test` is FailedPrecondition. Sizes, depth, operation count and
//    the total size of values added or copied are bounded by PatchLimits.
//  - Functions are stateless and thread-safe.
//
// Example:
//   absl::StatusOr<std::string> out = ApplyJsonPatch(
//       R"({"metadata":{"labels":{"a":"b"}}})",
//       R"([{"op":"add","path":"/metadata/labels/app~1tier","value":"web"}])");
//   // *out == R"({"metadata":{"labels":{"a":"b","app/tier":"web"}}})"
#ifndef RUDDER_LIB_API_PATCH_JSON_PATCH_H_
#define RUDDER_LIB_API_PATCH_JSON_PATCH_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/api/patch/limits.h"
#include "rapidjson/document.h"

namespace rudder::api::patch {

// Applies JSON patch `patch` (a JSON array of operations) to `document`; returns the result as
// compact JSON.
absl::StatusOr<std::string> ApplyJsonPatch(absl::string_view document, absl::string_view patch,
                                           const PatchLimits& limits = {});

// DOM form: applies `patch` to `document` in place (the whole document may be replaced).
// On error `document` is valid JSON but may hold the effect of earlier operations; apply to a
// copy when atomicity matters (the string form is atomic).
absl::Status ApplyJsonPatch(rapidjson::Document& document, const rapidjson::Value& patch,
                            const PatchLimits& limits = {});

// Splits a JSON pointer into unescaped reference tokens ("/a~1b/0" -> {"a/b", "0"}).
// InvalidArgument when it does not start with "/" (and is not empty) or has a bad escape.
absl::StatusOr<std::vector<std::string>> ParseJsonPointer(absl::string_view pointer);

// Escapes one reference token ("~" -> "~0", "/" -> "~1").
std::string EscapeJsonPointerToken(absl::string_view token);

}  // namespace rudder::api::patch

#endif  // RUDDER_LIB_API_PATCH_JSON_PATCH_H_
