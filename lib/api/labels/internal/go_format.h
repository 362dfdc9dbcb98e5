// Go-compatible rendering of values in error messages, so errors read exactly as
// Kubernetes' (strconv.Quote, encoding/json, field.Path and field.Error formats).
#ifndef RUDDER_LIB_API_LABELS_INTERNAL_GO_FORMAT_H_
#define RUDDER_LIB_API_LABELS_INTERNAL_GO_FORMAT_H_

#include <string>
#include <string_view>
#include <vector>

namespace rudder::api_internal {

// Go's strconv.Quote / fmt %q.
std::string GoQuote(std::string_view s);
// Go's json.Marshal of a []string; `nil` renders "null".
std::string GoJsonStrings(const std::vector<std::string>& values, bool nil);

// field.Path rendering. An empty parent is Go's nil path.
std::string PathChild(std::string_view parent, std::string_view name);
std::string PathIndex(std::string_view parent, size_t index);
std::string PathKey(std::string_view parent, std::string_view key);
// A nil path prints "<nil>".
std::string PathString(std::string_view path);

// field.Invalid(...).Error(): "<field>: Invalid value: <rendered value>: <detail>".
std::string FieldInvalid(std::string_view field, std::string_view rendered_value,
                         std::string_view detail);
// utilerrors.NewAggregate(...).Error(): one message as is, several de-duplicated in
// "[a, b]".
std::string Aggregate(const std::vector<std::string>& messages);

// Go's utf8.DecodeRuneInString: sets *rune (0xFFFD for an invalid byte) and returns the
// width (1 for an invalid byte). `s` must not be empty.
int DecodeRune(std::string_view s, char32_t* rune);
// Appends the UTF-8 encoding of `r`.
void AppendRune(char32_t r, std::string* out);

}  // namespace rudder::api_internal

#endif  // RUDDER_LIB_API_LABELS_INTERNAL_GO_FORMAT_H_
