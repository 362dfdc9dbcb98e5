// Resource quantities ("100m", "1Gi", "2.5e3"): Kubernetes' fixed-point numbers.
//
// A Quantity is an exact decimal number (never a floating-point one) plus the format it is
// written in. It parses and prints exactly as Kubernetes' resource.Quantity does
// (k8s.io/apimachinery pkg/api/resource):
//
//   <quantity>        ::= <signedNumber><suffix>
//   <signedNumber>    ::= [+|-] <digits> | <digits>. | <digits>.<digits> | .<digits>
//   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei                 (powers of 1024)
//   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E      (powers of 1000)
//   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>    (2e3, 1.5E-3)
//
// Guarantees (all Kubernetes'):
//   - Parsing keeps the value exactly down to 10^-9; a finer non-zero value is rounded away
//     from zero to the next nano ("0.9n" -> 1n, "3.001n" -> 4n). A BinarySI value is capped
//     at 2^63-1 in magnitude ("9Ei" -> 2^63-1); decimal values are not capped.
//   - The format (BinarySI, DecimalSI, DecimalExponent) comes from the suffix and is kept:
//     String() prints the canonical form in that format, with no fractional digits and the
//     largest suffix that loses nothing: "1.5" -> "1500m", "1.5Gi" -> "1536Mi",
//     "1024Mi" -> "1Gi", "0.1" -> "100m", "2e3" -> "2e3", "1000M" -> "1G".
//     A BinarySI value that is not a whole number, or is under 1024 in magnitude, prints as
//     DecimalSI ("0.5Ki" -> "512", "1.1Ki" -> "1126400m").
//   - Like Kubernetes, String() returns the parsed text itself when Kubernetes' parser deems
//     it canonical (for example "1Gi", "100m", "+1k"); arithmetic drops that retained text.
//   - Arithmetic (Add, Sub, Neg, Cmp) is exact: an int64 mantissa with a decimal scale on
//     the fast path, arbitrary precision beyond it.
//
// A Quantity is a value type: copy it freely. Const methods are thread-safe; a Quantity
// being modified must not be read concurrently.
//
// Example:
//   absl::StatusOr<Quantity> cpu = Quantity::Parse("250m");
//   Quantity total = *cpu;
//   total.Add(Quantity::ParseOrDie("1.5"));
//   total.String();        // "1750m"
//   total.MilliValue();    // 1750
//   total.Value();         // 2 (rounded away from zero)
#ifndef RUDDER_LIB_API_RESOURCE_QUANTITY_H_
#define RUDDER_LIB_API_RESOURCE_QUANTITY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rudder::api_internal {
struct BigDecimal;
}  // namespace rudder::api_internal

namespace rudder::api {

// Decimal exponents of the SI prefixes, for ScaledValue and FromScaled.
inline constexpr int32_t kNano = -9;
inline constexpr int32_t kMicro = -6;
inline constexpr int32_t kMilli = -3;
inline constexpr int32_t kKilo = 3;
inline constexpr int32_t kMega = 6;
inline constexpr int32_t kGiga = 9;
inline constexpr int32_t kTera = 12;
inline constexpr int32_t kPeta = 15;
inline constexpr int32_t kExa = 18;

class Quantity {
 public:
  // How a quantity is written.
  enum class Format : uint8_t {
    kDecimalExponent,  // 12e6
    kBinarySI,         // 12Mi (12 * 2^20)
    kDecimalSI,        // 12M (12 * 10^6)
  };

  // Zero, in DecimalSI.
  Quantity() = default;

  // Parses a quantity string. Errors (InvalidArgument) carry Kubernetes' messages:
  //   "quantities must match the regular expression
  //    '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" for malformed text,
  //   "unable to parse quantity's suffix" for an unknown suffix ("1Ki5", "5i"),
  //   "unable to parse numeric part of quantity" for a number without digits that needs
  //   the arbitrary-precision path (".e-20").
  // Leading or trailing whitespace is an error, as in Kubernetes.
  static absl::StatusOr<Quantity> Parse(std::string_view text);
  // Parse for constants and tests: aborts the process on bad input.
  static Quantity ParseOrDie(std::string_view text);

  // value (Kubernetes' NewQuantity).
  static Quantity FromInt64(int64_t value, Format format = Format::kDecimalSI);
  // value / 1000 (NewMilliQuantity).
  static Quantity FromMilli(int64_t milli_value, Format format = Format::kDecimalSI);
  // value * 10^scale in DecimalSI (NewScaledQuantity).
  static Quantity FromScaled(int64_t value, int32_t scale);

  // The canonical text (see above), as Kubernetes' String() and JSON encoding give it.
  std::string String() const;
  // Appends String() to *out.
  void AppendString(std::string* out) const;

  Format format() const { return format_; }
  // Changes the output format; the value is unchanged.
  void set_format(Format format);

  bool IsZero() const;
  // -1, 0 or 1.
  int Sign() const;
  // -1, 0 or 1 as *this is less than, equal to or greater than y (values only).
  int Cmp(const Quantity& y) const;
  int CmpInt64(int64_t y) const;

  // In-place exact arithmetic. If *this is zero it takes y's format first (Kubernetes'
  // rule, so 0 + 1Gi prints "1Gi").
  void Add(const Quantity& y);
  void Sub(const Quantity& y);
  void Neg();

  // The value rounded away from zero to an integer ("1.1" -> 2, "-1.1" -> -2).
  int64_t Value() const { return ScaledValue(0); }
  // ceil(value * 1000) away from zero.
  int64_t MilliValue() const { return ScaledValue(kMilli); }
  // The value in units of 10^scale, rounded away from zero. Saturates at the int64 limits
  // (Kubernetes leaves overflow undefined); compare with Cmp first when that matters.
  int64_t ScaledValue(int32_t scale) const;
  // The value when it is an integer that fits in an int64.
  std::optional<int64_t> AsInt64() const;
  // The nearest double, computed like Kubernetes' AsApproximateFloat64 (mantissa times a
  // power of ten); +/-Inf beyond the double range.
  double AsApproximateDouble() const;

  // Value equality (1k == 1000 == 1e3), as Kubernetes' Equal.
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.Cmp(b) == 0; }

 private:
  friend struct QuantityAccess;

  // Fast form: value_ * 10^scale_ when big_ is null; otherwise big_ holds the value.
  int64_t value_ = 0;
  int32_t scale_ = 0;
  Format format_ = Format::kDecimalSI;
  std::shared_ptr<const api_internal::BigDecimal> big_;
  // The parsed text when Kubernetes' parser keeps it as the canonical form; else empty.
  std::string text_;
};

// "DecimalExponent", "BinarySI" or "DecimalSI".
std::string_view FormatName(Quantity::Format format);

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_RESOURCE_QUANTITY_H_
