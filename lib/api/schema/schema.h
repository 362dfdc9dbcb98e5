// Structural schemas: the openAPIV3Schema of a CustomResourceDefinition version, parsed once and
// used to validate, default and prune custom objects as the Kubernetes API server does.
//
// Supported keywords (apiextensions.k8s.io/v1 JSONSchemaProps): type, format, description,
// properties, required, items, additionalProperties (a schema or true), enum, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength, pattern, minItems,
// maxItems, minProperties, maxProperties, nullable, default, x-kubernetes-preserve-unknown-fields,
// x-kubernetes-int-or-string, x-kubernetes-embedded-resource. Other keywords (allOf, anyOf,
// oneOf, not, x-kubernetes-validations, list and map types) are accepted and ignored.
//
// Guarantees:
//  - Parse checks the schema's own shape and gives InvalidArgument naming the keyword's path
//    ("openAPIV3Schema.properties[spec].type: ..."). Nesting is bounded (kMaxDepth).
//  - Validate reports every problem with Kubernetes' messages, e.g.
//    `spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10`.
//  - Patterns use ECMAScript regular expressions (std::regex; the common subset of RE2's syntax).
//    Strings longer than kMaxPatternInput are reported invalid rather than matched, which
//    bounds the work a request can cause.
//  - A parsed Schema is immutable and safe to share between threads.
//
// Example:
//   RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> s, ParseSchema(crd_schema_json));
//   rapidjson::Document obj;  // the custom object, parsed
//   Prune(*s, &obj, /*root=*/true);
//   ApplyDefaults(*s, &obj, obj.GetAllocator());
//   field::FieldErrors errs = Validate(*s, obj, field::Path());
#ifndef RUDDER_LIB_API_SCHEMA_SCHEMA_H_
#define RUDDER_LIB_API_SCHEMA_SCHEMA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/api/field/errors.h"
#include "rapidjson/document.h"

namespace rudder::api::schema {

// Deepest nesting of schemas Parse accepts.
inline constexpr int kMaxDepth = 64;
// Longest string matched against a pattern; longer ones fail the pattern.
inline constexpr size_t kMaxPatternInput = 4096;
// Longest pattern accepted.
inline constexpr size_t kMaxPatternLength = 1024;

// One node of a structural schema. Children are shared, immutable nodes.
struct Schema {
  std::string type;  // "object", "array", "string", "integer", "number", "boolean" or "" (any)
  std::string format;
  std::string description;
  std::map<std::string, std::shared_ptr<const Schema>> properties;
  std::vector<std::string> required;
  std::shared_ptr<const Schema> items;                  // for arrays
  std::shared_ptr<const Schema> additional_properties;  // schema of map values
  bool additional_properties_any = false;               // additionalProperties: true
  std::vector<std::string> enum_values;                 // canonical JSON of each allowed value
  std::optional<double> minimum;
  std::optional<double> maximum;
  bool exclusive_minimum = false;
  bool exclusive_maximum = false;
  std::optional<double> multiple_of;
  std::optional<int64_t> min_length;
  std::optional<int64_t> max_length;
  std::optional<int64_t> min_items;
  std::optional<int64_t> max_items;
  std::optional<int64_t> min_properties;
  std::optional<int64_t> max_properties;
  std::string pattern;
  std::shared_ptr<const std::regex> pattern_re;  // compiled `pattern`
  bool nullable = false;
  std::optional<std::string> default_json;  // canonical JSON of the default value
  bool preserve_unknown_fields = false;     // x-kubernetes-preserve-unknown-fields
  bool int_or_string = false;               // x-kubernetes-int-or-string
  bool embedded_resource = false;           // x-kubernetes-embedded-resource
};

// Parses a JSONSchemaProps JSON object. InvalidArgument (with the keyword's path under `root`)
// for malformed JSON, wrong keyword types, unknown types, bad patterns or too deep nesting.
absl::StatusOr<std::shared_ptr<const Schema>> ParseSchema(
    absl::string_view json, const std::string& root = "openAPIV3Schema");

// Checks `value` against `schema`; `path` names `value` in messages (empty for the root, whose
// apiVersion, kind and metadata are not checked).
field::FieldErrors Validate(const Schema& schema, const rapidjson::Value& value,
                            const field::Path& path);

// Removes fields the schema does not specify (unless x-kubernetes-preserve-unknown-fields or
// additionalProperties allow them), as Kubernetes prunes structural schemas. At the root and
// in embedded resources apiVersion, kind and metadata are kept. When `pruned` is not null, the
// removed fields' paths ("spec.ports[0].bogus", relative to `value`) are added to it, sorted.
void Prune(const Schema& schema, rapidjson::Value* value, bool root,
           std::vector<std::string>* pruned = nullptr);

// Sets absent fields that have a default, and non-nullable null fields (to their default, or
// removes them when there is none), recursively, as Kubernetes' structural defaulting does.
void ApplyDefaults(const Schema& schema, rapidjson::Value* value,
                   rapidjson::Document::AllocatorType& allocator);

// Compact JSON with object keys sorted (Go's map order) and Go's string escaping; integral
// numbers print without a fraction. Used for enum comparison and stored custom objects.
std::string CanonicalJson(const rapidjson::Value& value);

}  // namespace rudder::api::schema

#endif  // RUDDER_LIB_API_SCHEMA_SCHEMA_H_
