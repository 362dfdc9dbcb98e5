// A small mutable JSON tree whose numbers keep their literal text, with object members kept
// sorted by key (Go's map[string]interface{} order). Used for unstructured objects and for
// JSON -> YAML.
#ifndef RUDDER_LIB_API_CODEC_INTERNAL_JSON_NODE_H_
#define RUDDER_LIB_API_CODEC_INTERNAL_JSON_NODE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rudder::api::codec_internal {

struct JsonNode {
  enum class Kind : unsigned char { kNull, kBool, kNumber, kString, kObject, kArray };
  using Member = std::pair<std::string, JsonNode>;

  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string scalar;           // kNumber: literal text; kString: the value
  std::vector<Member> members;  // kObject, sorted by key, unique
  std::vector<JsonNode> items;  // kArray

  static JsonNode String(std::string s) {
    JsonNode n;
    n.kind = Kind::kString;
    n.scalar = std::move(s);
    return n;
  }
  static JsonNode Object() {
    JsonNode n;
    n.kind = Kind::kObject;
    return n;
  }

  // Object members; nullptr if absent (or not an object).
  const JsonNode* Find(absl::string_view key) const;
  JsonNode* Find(absl::string_view key);
  // Inserts or replaces a member (turns a non-object into an empty object first).
  JsonNode& Set(absl::string_view key, JsonNode value);
  // Removes a member; false if absent.
  bool Erase(absl::string_view key);
};

// Parses one JSON value; duplicate object keys keep the last value (Go's behaviour).
absl::StatusOr<JsonNode> ParseJsonNode(absl::string_view json, int max_depth = 100);

// Appends compact JSON with Go's escaping.
void AppendJsonNode(const JsonNode& n, std::string* out);

}  // namespace rudder::api::codec_internal

#endif  // RUDDER_LIB_API_CODEC_INTERNAL_JSON_NODE_H_
