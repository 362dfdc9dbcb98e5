// Go's strconv.ParseInt(s, 10, 64), for label values compared with gt/lt.
#ifndef RUDDER_LIB_API_LABELS_INTERNAL_INT_PARSE_H_
#define RUDDER_LIB_API_LABELS_INTERNAL_INT_PARSE_H_

#include <cstdint>
#include <string_view>

namespace rudder::api_internal {

// An optional '+' or '-' then one or more ASCII digits, within int64. No allocation.
inline bool ParseGoInt64(std::string_view s, int64_t* out) {
  size_t i = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;
  uint64_t v = 0;
  const uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

}  // namespace rudder::api_internal

#endif  // RUDDER_LIB_API_LABELS_INTERNAL_INT_PARSE_H_
