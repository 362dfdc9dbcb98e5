// JSON helpers shared by the patch implementations: bounded parsing, writing, comparison.
#ifndef RUDDER_LIB_API_PATCH_INTERNAL_JSON_UTIL_H_
#define RUDDER_LIB_API_PATCH_INTERNAL_JSON_UTIL_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/api/patch/limits.h"
#include "rapidjson/document.h"

namespace rudder::api::patch_internal {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Allocator = rapidjson::Document::AllocatorType;

// Parses `text` into `doc` (iteratively, so deep input cannot exhaust the stack), enforcing
// `max_bytes` and `max_depth`. Duplicate object keys keep the last value, as Go's decoder
// does. `what` names the input in errors ("patch", "original document").
absl::Status ParseJson(absl::string_view text, size_t max_bytes, int max_depth,
                       absl::string_view what, Document& doc);

// InvalidArgument when `v` nests deeper than `max_depth` (checked without recursion).
absl::Status CheckDepth(const Value& v, int max_depth, absl::string_view what);

// Nesting depth of `v` (a scalar is 0, `[]` is 1) and its node count, without recursion.
struct Shape {
  size_t depth = 0;
  size_t nodes = 0;
};
Shape MeasureShape(const Value& v);

// Compact JSON text of `v`.
std::string WriteJson(const Value& v);

// `v` as short text for error messages (truncated).
std::string Abbrev(const Value& v);

// The JSON kinds Go's encoding/json distinguishes (bools are one kind, numbers one kind).
enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
Kind KindOf(const Value& v);
const char* KindName(Kind k);

// Text that is equal for two scalars exactly when Go's interface equality holds for their
// decoded values (numbers compared as float64). Objects and arrays map to their JSON text.
std::string KeyString(const Value& v);

// Go's fmt "%v" of a decoded scalar, used to sort scalars and merge keys as Kubernetes does.
std::string GoString(const Value& v);

// Sorts the keys of every object in `v` (Go's encoding/json writes maps sorted).
void SortKeys(Value& v);

// Deep equality with numbers compared as float64 and object key order ignored.
bool JsonEqual(const Value& a, const Value& b);

// Finds member `name` of object `obj`, or null.
const Value* Find(const Value& obj, absl::string_view name);
Value* Find(Value& obj, absl::string_view name);

// Sets member `name` of `obj` to `value` (moved), adding it at the end when absent.
void SetMember(Value& obj, absl::string_view name, Value&& value, Allocator& alloc);

// Erases member `name` of `obj`, keeping the order of the others; false when absent.
bool EraseMember(Value& obj, absl::string_view name);

}  // namespace rudder::api::patch_internal

#endif  // RUDDER_LIB_API_PATCH_INTERNAL_JSON_UTIL_H_
