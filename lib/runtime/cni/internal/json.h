// Small rapidjson helpers shared by the CNI adapter's parsers and writers.
#ifndef RUDDER_LIB_RUNTIME_CNI_INTERNAL_JSON_H_
#define RUDDER_LIB_RUNTIME_CNI_INTERNAL_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace rudder::cni::internal {

// Largest JSON document accepted from a file, a plugin or the cache.
inline constexpr size_t kMaxJsonBytes = 8 << 20;

// Parses `text` into `doc`, requiring a top-level object. `what` names the document in errors.
absl::Status ParseObject(std::string_view text, absl::string_view what, rapidjson::Document* doc);

// Serialises a value as compact JSON.
std::string ToJson(const rapidjson::Value& value);

// Reads an optional string member: OK with "" if absent, InvalidArgument if not a string.
absl::Status GetString(const rapidjson::Value& obj, const char* key, absl::string_view path,
                       std::string* out);

}  // namespace rudder::cni::internal

#endif  // RUDDER_LIB_RUNTIME_CNI_INTERNAL_JSON_H_
