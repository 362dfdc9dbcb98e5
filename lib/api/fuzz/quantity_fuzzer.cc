// Fuzz target for Quantity::Parse. Invariants: no crash; String() of a parsed quantity
// parses back to an equal value and is a fixed point of parse+print; simple arithmetic
// identities hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "lib/api/resource/quantity.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

// Kubernetes narrows a parsed exponent to int32, so text whose exponent lies outside int32
// (reachable through exponent arithmetic, e.g. "300e2147483647" prints "3e2147483649")
// cannot parse back to the same value, there as here.
bool ExponentFitsInt32(const std::string& text) {
  size_t e = text.find_last_of("eE");
  if (e == std::string::npos) return true;
  long long exp = std::strtoll(text.c_str() + e + 1, nullptr, 10);
  return exp >= std::numeric_limits<int32_t>::min() && exp <= std::numeric_limits<int32_t>::max();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rudder::api::Quantity;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Quantity> q = Quantity::Parse(input);
  if (!q.ok()) {
    RUDDER_FUZZ_CHECK(q.status().code() == absl::StatusCode::kInvalidArgument, input,
                      q.status().ToString());
    return 0;
  }
  const std::string text = q->String();
  absl::StatusOr<Quantity> again = Quantity::Parse(text);
  RUDDER_FUZZ_CHECK(again.ok(), input, "String() = " + text + " does not parse");
  if (ExponentFitsInt32(text)) {
    RUDDER_FUZZ_CHECK(again->Cmp(*q) == 0, input, "String() = " + text + " changes the value");
    RUDDER_FUZZ_CHECK(again->String() == text, input,
                      "String() not stable: " + text + " -> " + again->String());
  }

  Quantity twice = *q;
  twice.Add(*q);
  twice.Sub(*q);
  RUDDER_FUZZ_CHECK(twice.Cmp(*q) == 0, input, "q + q - q = " + twice.String());
  Quantity neg = *q;
  neg.Neg();
  RUDDER_FUZZ_CHECK(neg.Sign() == -q->Sign(), input, "Neg() sign: " + neg.String());
  neg.Neg();
  RUDDER_FUZZ_CHECK(neg.Cmp(*q) == 0, input, "-(-q) = " + neg.String());
  RUDDER_FUZZ_CHECK(q->Cmp(Quantity()) == q->Sign(), input, "Cmp(0) disagrees with Sign()");
  (void)q->Value();
  (void)q->MilliValue();
  (void)q->AsApproximateDouble();
  (void)q->AsInt64();
  return 0;
}
