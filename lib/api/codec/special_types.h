// Messages with their own JSON form (Quantity as "100m", Time as an RFC 3339 string, ...).
//
// The JSON codec maps most messages field by field. A few types have a different JSON form;
// they are recognised by their message's full name in a JsonSpecialTypes registry, which
// holds one JsonSpecialType per name. NewBuiltinJsonSpecialTypes() has Kubernetes' own:
//
//   rudder.api.resource.Quantity        "100m"              (string field 1)
//   rudder.api.intstr.IntOrString       8080 or "http"      (type 1, intVal 2, strVal 3)
//   rudder.api.meta.v1.Time             "2024-01-02T03:04:05Z"        (seconds 1, nanos 2)
//   rudder.api.meta.v1.MicroTime        "2024-01-02T03:04:05.000000Z" (seconds 1, nanos 2)
//   rudder.api.meta.v1.Duration         "1h2m3s"            (int64 nanoseconds field 1)
//   rudder.api.runtime.RawExtension     any JSON value, embedded verbatim (bytes field 1)
//   rudder.api.apiextensions.v1.JSON    any JSON value, embedded verbatim (bytes field 1)
//
// A host program can add its own (JsonSpecialTypes::Register) or map its own message names
// to the built-in forms (the handlers only look at field numbers and types).
//
// The registry also names the inline fields: message fields that stand for a Go struct
// embedded with `json:",inline"` (Volume.volumeSource, Probe.handler, ...). Their members are
// written directly into the enclosing JSON object, and read from it. A field is also inline
// when it carries a bool field option named rudder.api.json_inline set to true.
//
// Example:
//   JsonSpecialTypes types = NewBuiltinJsonSpecialTypes();
//   RUDDER_RETURN_IF_ERROR(types.Register("example.v1.Color", std::make_shared<ColorJson>()));
//   JsonCodec codec(std::move(types));
#ifndef RUDDER_LIB_API_CODEC_SPECIAL_TYPES_H_
#define RUDDER_LIB_API_CODEC_SPECIAL_TYPES_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace rudder::api {

// One JSON value handed to JsonSpecialType::Decode. Views are valid only during the call.
struct JsonValueRef {
  enum class Kind { kNull, kBool, kNumber, kString, kObject, kArray };
  Kind kind = Kind::kNull;
  // The value exactly as it appears in the input (for a number, its literal text, such as
  // "1e3"; for an object, everything from `{` to `}`).
  absl::string_view text;
  // For kString, the decoded (unescaped) string; for kBool, "true" or "false".
  absl::string_view string_value;
};

// The JSON form of one message type. Implementations must be thread-safe (they are shared
// by every codec call) and must not throw.
class JsonSpecialType {
 public:
  virtual ~JsonSpecialType() = default;
  // Appends the JSON value of `m` to `out`: exactly one well-formed, compact JSON value.
  // Strings should be written with AppendJsonString (Go's escaping).
  virtual absl::Status Encode(const google::protobuf::Message& m, std::string* out) const = 0;
  // Sets `m` (empty on entry) from a JSON value other than null (null always means unset).
  // Errors should be InvalidArgument; the codec prefixes the field path.
  virtual absl::Status Decode(const JsonValueRef& value, google::protobuf::Message* m) const = 0;
};

// Appends `s` as a JSON string with Go encoding/json's escaping (HTML characters included).
void AppendJsonString(absl::string_view s, std::string* out);

// Special JSON forms by message full name. A value type; not thread-safe to mutate, but a
// codec copies it at construction.
class JsonSpecialTypes {
 public:
  // Adds a form for `full_name`. AlreadyExists if that name already has one.
  absl::Status Register(absl::string_view full_name, std::shared_ptr<const JsonSpecialType> type);
  // The form for `full_name`, or nullptr.
  const JsonSpecialType* Find(absl::string_view full_name) const;

  // Marks a singular message field, by full name ("rudder.api.core.v1.Volume.volumeSource"),
  // as inline. AlreadyExists if it already is.
  absl::Status RegisterInlineField(absl::string_view full_field_name);
  bool IsInlineField(absl::string_view full_field_name) const;

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const JsonSpecialType>> types_;
  absl::flat_hash_set<std::string> inline_fields_;
};

// The seven Kubernetes forms listed above, under their rudder.api names, and Kubernetes'
// inline fields (core/v1 Volume.volumeSource, Probe.handler, EphemeralContainer's common part,
// PersistentVolumeSpec.persistentVolumeSource, the LocalObjectReference of ConfigMap/Secret
// sources, selectors and projections; networking/v1 IngressRule.ingressRuleValue).
JsonSpecialTypes NewBuiltinJsonSpecialTypes();

// The built-in forms, for registering under other names (tests, host programs).
std::shared_ptr<const JsonSpecialType> NewQuantityJsonType();     // string field 1
std::shared_ptr<const JsonSpecialType> NewIntOrStringJsonType();  // type 1, intVal 2, strVal 3
std::shared_ptr<const JsonSpecialType> NewTimeJsonType();         // seconds 1, nanos 2
std::shared_ptr<const JsonSpecialType> NewMicroTimeJsonType();    // seconds 1, nanos 2
std::shared_ptr<const JsonSpecialType> NewDurationJsonType();     // int64 nanoseconds 1
std::shared_ptr<const JsonSpecialType> NewRawJsonType();          // bytes field 1

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_CODEC_SPECIAL_TYPES_H_
