// Fuzz target for fields::Selector::Parse and the value escaping. Invariants: no crash;
// String() parses back to the same terms; after one round String() is a fixed point;
// UnescapeValue(EscapeValue(x)) == x.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/api/labels/fields.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

// Kubernetes decodes escaped values rune by rune, turning invalid UTF-8 into U+FFFD, so the
// escape round trip holds for valid UTF-8 only.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    char32_t r;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      r = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      r = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      r = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      r = (r << 6) | (cc & 0x3F);
    }
    if ((n == 2 && (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF))) ||
        (n == 3 && (r < 0x10000 || r > 0x10FFFF))) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::vector<std::string> Terms(const rudder::api::fields::Selector& s) {
  std::vector<std::string> out;
  for (const auto& r : s.Requirements()) {
    out.push_back(r.field + (r.op == rudder::api::Operator::kEquals ? "\x01" : "\x02") + r.value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rudder::api::fields::Selector;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<std::string> unescaped =
      rudder::api::fields::UnescapeValue(rudder::api::fields::EscapeValue(input));
  RUDDER_FUZZ_CHECK(unescaped.ok(), input, unescaped.status().ToString());
  if (IsValidUtf8(input)) RUDDER_FUZZ_CHECK(*unescaped == input, input, "escape round trip");

  absl::StatusOr<Selector> sel = Selector::Parse(input);
  if (!sel.ok()) {
    RUDDER_FUZZ_CHECK(sel.status().code() == absl::StatusCode::kInvalidArgument, input,
                      sel.status().ToString());
    return 0;
  }
  const std::string text = sel->String();
  absl::StatusOr<Selector> again = Selector::Parse(text);
  RUDDER_FUZZ_CHECK(again.ok(), input,
                    "String() = " + text + " does not parse: " + again.status().ToString());
  RUDDER_FUZZ_CHECK(Terms(*again) == Terms(*sel), input,
                    "String() = " + text + " parses to other terms");
  absl::StatusOr<Selector> third = Selector::Parse(again->String());
  RUDDER_FUZZ_CHECK(third.ok() && third->String() == again->String(), input,
                    "String() not stable: " + again->String());

  std::map<std::string, std::string> fields;
  for (const auto& r : sel->Requirements()) fields.emplace(r.field, r.value);
  const bool by_map = sel->Matches(fields);
  const bool by_getter = sel->Matches([&](std::string_view f) -> std::string_view {
    auto it = fields.find(std::string(f));
    return it == fields.end() ? std::string_view() : std::string_view(it->second);
  });
  RUDDER_FUZZ_CHECK(by_map == by_getter, input, "Matches forms disagree");
  return 0;
}
