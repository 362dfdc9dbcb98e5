// Fuzz target for labels::Selector::Parse. Invariants: no crash; String() of a parsed
// selector parses back to an equal selector; matching a label map built from the input
// does not crash and agrees with the lookup-callback form.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "lib/api/labels/selector.h"
#include "tools/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rudder::api::labels::Selector;
  std::string_view input(reinterpret_cast<const char*>(data), size);
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
  RUDDER_FUZZ_CHECK(*again == *sel, input, "String() = " + text + " parses differently");
  RUDDER_FUZZ_CHECK(again->String() == text, input, "String() not stable: " + again->String());

  // Labels from the requirements themselves: each key gets its first value (or "1").
  std::map<std::string, std::string> labels;
  for (const auto& r : sel->requirements()) {
    labels.emplace(r.key(), r.values().empty() ? std::string("1") : r.values().front());
  }
  const bool by_map = sel->Matches(labels);
  const bool by_lookup = sel->MatchesLookup([&](const std::string& key, std::string_view* v) {
    auto it = labels.find(key);
    if (it == labels.end()) return false;
    *v = it->second;
    return true;
  });
  RUDDER_FUZZ_CHECK(by_map == by_lookup, input, "Matches forms disagree");
  (void)sel->Matches(std::map<std::string, std::string>());
  return 0;
}
