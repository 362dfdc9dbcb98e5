// Low-level JSON text helpers with Go encoding/json's exact output conventions, so that the
// codec's output matches Kubernetes' byte for byte.
#ifndef RUDDER_LIB_API_CODEC_INTERNAL_JSON_TEXT_H_
#define RUDDER_LIB_API_CODEC_INTERNAL_JSON_TEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rudder::api::codec_internal {

// Appends `s` as a quoted JSON string, escaped as Go's encoding/json does: `"` and `\`,
// \n \r \t \b \f short forms, other control characters as \u00XX, `<` `>` `&` as \u003c
// \u003e \u0026, U+2028/U+2029 as \u2028/\u2029, and each invalid UTF-8 byte as \ufffd.
void AppendJsonString(absl::string_view s, std::string* out);

// Appends a float64 (float32) as Go's encoding/json formats it: shortest round-trip digits,
// exponent form only below 1e-6 or from 1e21 on ("1e+21", "1e-7"). NaN and infinities are
// not JSON: InvalidArgument.
absl::Status AppendGoFloat64(double v, std::string* out);
absl::Status AppendGoFloat32(float v, std::string* out);

// Checks that `json` is one well-formed JSON value (UTF-8 validated). InvalidArgument with
// the offset otherwise.
absl::Status ValidateJson(absl::string_view json);

// Appends the JSON value `json` (which must be well formed, see ValidateJson) without
// insignificant whitespace, as Go's json.Compact does; with `escape_html`, `<`, `>`, `&`,
// U+2028 and U+2029 inside strings are escaped as encoding/json does for MarshalJSON output.
void AppendCompactJson(absl::string_view json, bool escape_html, std::string* out);

// Appends compact, well-formed JSON re-indented as Go's json.Indent(dst, src, "", indent)
// does: one member or element per line, `"key": value`, `{}` and `[]` kept on one line.
void AppendIndentedJson(absl::string_view compact_json, absl::string_view indent, std::string* out);

// Checks bytes the parser must not see: NUL (the parser reads NUL-terminated text) and
// invalid UTF-8. InvalidArgument with the position. Validating up front lets the parser
// copy strings without checking every character.
absl::Status CheckJsonBytes(absl::string_view json);

// Formats a parse error of RapidJSON (code, byte offset) with line and column.
std::string DescribeJsonParseError(absl::string_view json, int code, size_t offset);

}  // namespace rudder::api::codec_internal

#endif  // RUDDER_LIB_API_CODEC_INTERNAL_JSON_TEXT_H_
