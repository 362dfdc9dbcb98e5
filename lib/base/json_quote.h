// JSON string literals for hand-built JSON documents (renderings, small manifests).
#ifndef RUDDER_LIB_BASE_JSON_QUOTE_H_
#define RUDDER_LIB_BASE_JSON_QUOTE_H_

#include <string>
#include <string_view>

namespace rudder {

// `s` as a JSON string literal, quotes included: `"`, `\` and control characters are
// escaped (\n, \r, \t by name, others as \u00XX); other bytes pass through unchanged, so
// UTF-8 input stays UTF-8.
std::string JsonQuote(std::string_view s);

}  // namespace rudder

#endif  // RUDDER_LIB_BASE_JSON_QUOTE_H_
