// Kubernetes JSON for protobuf (proto2) API objects.
//
// Guarantees (the mapping of docs/api/codecs.md):
//  - Output is Kubernetes' own JSON: fields in field-number order under their json_name,
//    unset fields omitted, set ones written even when zero, empty repeated and map fields
//    omitted unless marked json_always, map keys sorted, special types (Quantity, Time, ...)
//    in their string forms, strings escaped as Go's encoding/json escapes them.
//  - Decoding is strict about types and, unless asked otherwise, about unknown and duplicate
//    fields; every error is InvalidArgument and names the JSON path ("spec.replicas").
//  - Malformed, oversized or too deeply nested input is an error, never a crash.
//  - A JsonCodec is immutable after construction and safe to use from many threads.
//
// Example:
//   JsonEncodeOptions enc{.api_version = "apps/v1", .kind = "Deployment", .indent = true};
//   absl::StatusOr<std::string> json = EncodeJson(deployment, enc);
//   apps::v1::Deployment back;
//   absl::StatusOr<JsonDecodeResult> r = DecodeJson(*json, &back);
//   // r->type_meta.kind == "Deployment"
#ifndef RUDDER_LIB_API_CODEC_JSON_H_
#define RUDDER_LIB_API_CODEC_JSON_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "lib/api/codec/special_types.h"
#include "lib/base/mutex.h"

namespace rudder::api {

// The apiVersion and kind of a JSON object ("apps/v1", "Deployment"); empty when absent.
struct TypeMeta {
  std::string api_version;
  std::string kind;
  friend bool operator==(const TypeMeta&, const TypeMeta&) = default;
};

struct JsonEncodeOptions {
  // Written first, as `"kind":...,"apiVersion":...`, when not empty (Kubernetes kinds carry
  // no TypeMeta field in their messages).
  std::string api_version;
  std::string kind;
  // Indented as `kubectl get -o json` prints (4 spaces, `"key": value`), without a final
  // newline. Otherwise compact, as the API server sends.
  bool indent = false;
  // Deeper messages are an error (InvalidArgument).
  int max_depth = 100;
};

// What to do with fields the message does not have, and with fields given twice: Kubernetes'
// fieldValidation modes.
enum class FieldValidation {
  kStrict,  // an error listing every such field
  kWarn,    // decoded anyway (unknown dropped, duplicates: last wins); listed as warnings
  kIgnore,  // decoded anyway, silently
};

struct JsonDecodeOptions {
  FieldValidation validation = FieldValidation::kStrict;
  // Larger input is rejected before parsing (InvalidArgument). Kubernetes' request limit.
  size_t max_bytes = 3 * 1024 * 1024;
  // Maximum nesting of objects and arrays (Kubernetes' JSON limit is 10000 for arbitrary
  // JSON, 100 here by default to bound work per object).
  int max_depth = 100;
};

struct JsonDecodeResult {
  // The top-level "apiVersion" and "kind" (also set into the message if it has such fields).
  TypeMeta type_meta;
  // With FieldValidation::kWarn: `unknown field "spec.foo"`, `duplicate field "metadata.name"`.
  std::vector<std::string> warnings;
};

namespace codec_internal {
struct MessagePlan;
}

// Encodes and decodes messages with a given set of special JSON forms. Thread-safe; caches a
// per-message-type plan built on first use.
class JsonCodec {
 public:
  explicit JsonCodec(JsonSpecialTypes special_types);
  ~JsonCodec();
  JsonCodec(const JsonCodec&) = delete;
  JsonCodec& operator=(const JsonCodec&) = delete;

  // The codec with NewBuiltinJsonSpecialTypes(), shared process-wide.
  static const JsonCodec& Default();

  // Appends the JSON of `m` to `out`. On error `out` holds a partial result.
  absl::Status Encode(const google::protobuf::Message& m, const JsonEncodeOptions& options,
                      std::string* out) const;
  absl::StatusOr<std::string> Encode(const google::protobuf::Message& m,
                                     const JsonEncodeOptions& options = {}) const;

  // Clears `m` and decodes the JSON object `json` into it.
  absl::StatusOr<JsonDecodeResult> Decode(absl::string_view json, google::protobuf::Message* m,
                                          const JsonDecodeOptions& options = {}) const;
  // As Decode, for JSON held in a std::string: parsed where it lies (the string's terminating
  // NUL ends the input) instead of from a copy, which spares a large body a second buffer.
  absl::StatusOr<JsonDecodeResult> DecodeString(const std::string& json,
                                                google::protobuf::Message* m,
                                                const JsonDecodeOptions& options = {}) const;

  const JsonSpecialTypes& special_types() const { return special_types_; }

 private:
  // Decodes `json`; `terminated` is json's text followed by a NUL, or nullptr (then a copy
  // is made).
  absl::StatusOr<JsonDecodeResult> DecodeFrom(absl::string_view json, const char* terminated,
                                              google::protobuf::Message* m,
                                              const JsonDecodeOptions& options) const;
  const codec_internal::MessagePlan* PlanFor(const google::protobuf::Descriptor* d) const;
  bool IsInline(const google::protobuf::FieldDescriptor* fd) const;
  const codec_internal::MessagePlan* BuildPlanLocked(const google::protobuf::Descriptor* d) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  JsonSpecialTypes special_types_;
  mutable Mutex mu_;
  mutable absl::flat_hash_map<const google::protobuf::Descriptor*,
                              std::unique_ptr<codec_internal::MessagePlan>>
      plans_ ABSL_GUARDED_BY(mu_);
};

// JsonCodec::Default().Encode / Decode.
absl::StatusOr<std::string> EncodeJson(const google::protobuf::Message& m,
                                       const JsonEncodeOptions& options = {});
absl::StatusOr<JsonDecodeResult> DecodeJson(absl::string_view json, google::protobuf::Message* m,
                                            const JsonDecodeOptions& options = {});
// JsonCodec::Default().DecodeString: no copy of the input.
absl::StatusOr<JsonDecodeResult> DecodeJsonString(const std::string& json,
                                                  google::protobuf::Message* m,
                                                  const JsonDecodeOptions& options = {});

// Reads only the top-level "apiVersion" and "kind" of a JSON object (stops parsing once both
// are seen). InvalidArgument if `json` is not an object or they are not strings.
absl::StatusOr<TypeMeta> PeekTypeMeta(absl::string_view json,
                                      const JsonDecodeOptions& options = {});

// Re-indents JSON text as `kubectl -o json` does (4 spaces), or compacts it (indent false).
// InvalidArgument if `json` is not well formed.
absl::StatusOr<std::string> FormatJson(absl::string_view json, bool indent);

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_CODEC_JSON_H_
