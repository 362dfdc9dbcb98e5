#include "lib/api/resource/quantity.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "lib/api/resource/internal/big_uint.h"

namespace rudder::api_internal {

// The slow form of a Quantity: (-1)^negative * magnitude * 10^scale.
struct BigDecimal {
  bool negative = false;
  BigUint magnitude;
  int64_t scale = 0;
};

}  // namespace rudder::api_internal

namespace rudder::api {

using api_internal::AppendU128;
using api_internal::BigDecimal;
using api_internal::BigUint;
using u128 = unsigned __int128;
using i128 = __int128;

struct QuantityAccess {
  static BigDecimal ToBig(const Quantity& q);
  static void SetFromBig(Quantity* q, BigDecimal d);
};

namespace {

constexpr std::string_view kSplitRegex = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
// More digits than this on the aligned side of an operation are not expanded when a
// cheaper exact answer exists (see FormatBig).
constexpr int64_t kMaxExpandedDigits = 4096;

absl::Status ErrFormatWrong() {
  return absl::InvalidArgumentError(std::string("quantities must match the regular expression '") +
                                    std::string(kSplitRegex) + "'");
}
absl::Status ErrNumeric() {
  return absl::InvalidArgumentError("unable to parse numeric part of quantity");
}
absl::Status ErrSuffix() { return absl::InvalidArgumentError("unable to parse quantity's suffix"); }

u128 Pow10U128(int n) {
  u128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

constexpr int64_t kPow10I64[19] = {1LL,
                                   10LL,
                                   100LL,
                                   1000LL,
                                   10000LL,
                                   100000LL,
                                   1000000LL,
                                   10000000LL,
                                   100000000LL,
                                   1000000000LL,
                                   10000000000LL,
                                   100000000000LL,
                                   1000000000000LL,
                                   10000000000000LL,
                                   100000000000000LL,
                                   1000000000000000LL,
                                   10000000000000000LL,
                                   100000000000000000LL,
                                   1000000000000000000LL};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

u128 Magnitude(int64_t v) { return v < 0 ? static_cast<u128>(-(static_cast<i128>(v))) : v; }

// Go's strconv.ParseInt(s, 10, 64).
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
    if (s.size() == 1) return false;
  }
  u128 v = 0;
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
    if (v > static_cast<u128>(kInt64Max) + 1) return false;
  }
  if (!neg && v > static_cast<u128>(kInt64Max)) return false;
  *out = neg ? static_cast<int64_t>(-static_cast<i128>(v)) : static_cast<int64_t>(v);
  return true;
}

// The pieces of a quantity string, as Kubernetes' scanner splits it.
struct Scanned {
  bool positive = true;
  std::string_view value, num, denom, suffix;
};

bool IsSuffixLetter(char c) {
  switch (c) {
    case 'e':
    case 'E':
    case 'i':
    case 'n':
    case 'u':
    case 'm':
    case 'k':
    case 'K':
    case 'M':
    case 'G':
    case 'T':
    case 'P':
      return true;
    default:
      return false;
  }
}

// Returns false for text that does not fit the grammar.
bool Scan(std::string_view str, Scanned* o) {
  size_t pos = 0;
  const size_t end = str.size();
  if (pos < end) {
    if (str[0] == '-') {
      o->positive = false;
      ++pos;
    } else if (str[0] == '+') {
      ++pos;
    }
  }
  for (size_t i = pos;; ++i) {  // leading zeros
    if (i >= end) {
      o->num = "0";
      o->value = "0";
      return true;
    }
    if (str[i] != '0') break;
    ++pos;
  }
  for (size_t i = pos;; ++i) {  // numerator
    if (i >= end) {
      o->num = str.substr(pos);
      o->value = str;
      return true;
    }
    if (!IsDigit(str[i])) {
      o->num = str.substr(pos, i - pos);
      pos = i;
      break;
    }
  }
  if (o->num.empty()) o->num = "0";
  if (pos < end && str[pos] == '.') {
    ++pos;
    for (size_t i = pos;; ++i) {
      if (i >= end) {
        o->denom = str.substr(pos);
        o->value = str;
        return true;
      }
      if (!IsDigit(str[i])) {
        o->denom = str.substr(pos, i - pos);
        pos = i;
        break;
      }
    }
  }
  o->value = str.substr(0, pos);
  const size_t suffix_start = pos;
  for (size_t i = pos;; ++i) {
    if (i >= end) {
      o->suffix = str.substr(suffix_start);
      return true;
    }
    if (!IsSuffixLetter(str[i])) {
      pos = i;
      break;
    }
  }
  if (pos < end && (str[pos] == '-' || str[pos] == '+')) ++pos;
  for (size_t i = pos;; ++i) {
    if (i >= end) {
      o->suffix = str.substr(suffix_start);
      return true;
    }
    if (!IsDigit(str[i])) break;
  }
  return false;
}

struct Suffix {
  int base;
  int32_t exponent;
  Quantity::Format format;
};

bool Interpret(std::string_view s, Suffix* out) {
  using F = Quantity::Format;
  if (s.empty()) {
    *out = {10, 0, F::kDecimalSI};
    return true;
  }
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n':
        *out = {10, -9, F::kDecimalSI};
        return true;
      case 'u':
        *out = {10, -6, F::kDecimalSI};
        return true;
      case 'm':
        *out = {10, -3, F::kDecimalSI};
        return true;
      case 'k':
        *out = {10, 3, F::kDecimalSI};
        return true;
      case 'M':
        *out = {10, 6, F::kDecimalSI};
        return true;
      case 'G':
        *out = {10, 9, F::kDecimalSI};
        return true;
      case 'T':
        *out = {10, 12, F::kDecimalSI};
        return true;
      case 'P':
        *out = {10, 15, F::kDecimalSI};
        return true;
      case 'E':
        *out = {10, 18, F::kDecimalSI};
        return true;
      default:
        return false;
    }
  }
  if (s.size() == 2 && s[1] == 'i') {
    switch (s[0]) {
      case 'K':
        *out = {2, 10, F::kBinarySI};
        return true;
      case 'M':
        *out = {2, 20, F::kBinarySI};
        return true;
      case 'G':
        *out = {2, 30, F::kBinarySI};
        return true;
      case 'T':
        *out = {2, 40, F::kBinarySI};
        return true;
      case 'P':
        *out = {2, 50, F::kBinarySI};
        return true;
      case 'E':
        *out = {2, 60, F::kBinarySI};
        return true;
      default:
        break;
    }
  }
  if (s[0] == 'e' || s[0] == 'E') {
    int64_t parsed;
    if (!ParseInt64(s.substr(1), &parsed)) return false;
    // Kubernetes narrows the exponent to int32 the same way.
    *out = {10, static_cast<int32_t>(parsed), F::kDecimalExponent};
    return true;
  }
  return false;
}

int Sgn(const BigDecimal& d) { return d.magnitude.IsZero() ? 0 : (d.negative ? -1 : 1); }

// Compares two slow-form values exactly, without expanding far-apart exponents.
int CompareBig(const BigDecimal& a, const BigDecimal& b) {
  int sa = Sgn(a), sb = Sgn(b);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  // The decimal order of magnitude settles most comparisons.
  int64_t ea = a.magnitude.NumDigits() + a.scale;
  int64_t eb = b.magnitude.NumDigits() + b.scale;
  if (ea != eb) return (ea < eb ? -1 : 1) * sa;
  // Same order of magnitude: the scale difference is bounded by the digit counts.
  int c;
  if (a.scale == b.scale) {
    c = a.magnitude.Compare(b.magnitude);
  } else if (a.scale > b.scale) {
    BigUint am = a.magnitude;
    am.MulPow10(a.scale - b.scale);
    c = am.Compare(b.magnitude);
  } else {
    BigUint bm = b.magnitude;
    bm.MulPow10(b.scale - a.scale);
    c = a.magnitude.Compare(bm);
  }
  return c * sa;
}

// a + b exactly.
BigDecimal AddBig(BigDecimal a, BigDecimal b) {
  if (b.magnitude.IsZero()) return a;
  if (a.magnitude.IsZero()) return b;
  if (a.scale > b.scale) {
    a.magnitude.MulPow10(a.scale - b.scale);
    a.scale = b.scale;
  } else if (b.scale > a.scale) {
    b.magnitude.MulPow10(b.scale - a.scale);
    b.scale = a.scale;
  }
  if (a.negative == b.negative) {
    a.magnitude.Add(b.magnitude);
    return a;
  }
  int c = a.magnitude.Compare(b.magnitude);
  if (c == 0) return BigDecimal{};
  if (c > 0) {
    a.magnitude.Sub(b.magnitude);
    return a;
  }
  b.magnitude.Sub(a.magnitude);
  return b;
}

// Compares |d| with the integer m.
int CompareMagnitudeWith(const BigDecimal& d, u128 m) {
  BigDecimal x{false, d.magnitude, d.scale};
  BigDecimal y{false, BigUint::FromU128(m), 0};
  return CompareBig(x, y);
}

void AppendDecimalSuffix(int64_t exponent, Quantity::Format format, std::string* out) {
  if (format == Quantity::Format::kDecimalSI) {
    switch (exponent) {
      case -9:
        out->push_back('n');
        return;
      case -6:
        out->push_back('u');
        return;
      case -3:
        out->push_back('m');
        return;
      case 0:
        return;
      case 3:
        out->push_back('k');
        return;
      case 6:
        out->push_back('M');
        return;
      case 9:
        out->push_back('G');
        return;
      case 12:
        out->push_back('T');
        return;
      case 15:
        out->push_back('P');
        return;
      case 18:
        out->push_back('E');
        return;
      default:
        break;  // no SI suffix: exponent notation keeps the value intact
    }
  }
  if (exponent == 0) return;
  out->push_back('e');
  out->append(std::to_string(exponent));
}

void AppendBinarySuffix(int k, std::string* out) {
  static constexpr const char* kSuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  out->append(kSuffixes[k]);
}

int64_t FloorMod3(int64_t e) {
  int64_t r = e % 3;
  return r < 0 ? r + 3 : r;
}

// Canonical text of a slow-form value.
void FormatBig(const BigDecimal& d, Quantity::Format format, std::string* out) {
  using F = Quantity::Format;
  if (d.magnitude.IsZero()) {
    out->push_back('0');
    return;
  }
  if (format == F::kBinarySI) {
    if (CompareMagnitudeWith(d, 1024) < 0) {
      format = F::kDecimalSI;
    } else if (d.scale > 0 && d.magnitude.NumDigits() + d.scale > kMaxExpandedDigits) {
      format = F::kDecimalSI;  // not expanded; printed exactly in decimal instead
    } else {
      BigUint n = d.magnitude;
      bool inexact = false;
      if (d.scale > 0) n.MulPow10(d.scale);
      if (d.scale < 0) inexact = n.DivPow10(-d.scale);
      if (inexact) {
        format = F::kDecimalSI;
      } else {
        int k = 0;
        while (k < 6 && n.ModSmall(1024) == 0) {
          n.DivSmall(1024);
          ++k;
        }
        if (d.negative) out->push_back('-');
        n.AppendDecimal(out);
        AppendBinarySuffix(k, out);
        return;
      }
    }
  }
  BigUint m = d.magnitude;
  int64_t exponent = d.scale;
  int64_t tz = m.TrailingZeros();
  m.DivPow10(tz);
  exponent += tz;
  int64_t r = FloorMod3(exponent);
  m.MulPow10(r);
  exponent -= r;
  if (d.negative) out->push_back('-');
  m.AppendDecimal(out);
  AppendDecimalSuffix(exponent, format, out);
}

// Canonical text of a fast-form value (value != 0). Returns false when the slow path is
// needed.
bool FormatFast(int64_t value, int32_t scale, Quantity::Format format, std::string* out) {
  using F = Quantity::Format;
  const bool negative = value < 0;
  u128 mag = Magnitude(value);
  int64_t exponent = scale;
  if (format == F::kBinarySI) {
    bool below_1024;
    if (exponent >= 0) {
      below_1024 = exponent <= 3 && mag * Pow10U128(static_cast<int>(exponent)) < 1024;
    } else {
      below_1024 = -exponent > 35 || mag < 1024 * Pow10U128(static_cast<int>(-exponent));
    }
    if (below_1024) {
      format = F::kDecimalSI;
    } else {
      u128 n;
      bool exact = true;
      if (exponent >= 0) {
        if (exponent > 19) return false;
        n = mag * Pow10U128(static_cast<int>(exponent));
      } else {
        u128 d = Pow10U128(static_cast<int>(-exponent));  // -exponent <= 16 here
        exact = mag % d == 0;
        n = mag / d;
      }
      if (!exact) {
        format = F::kDecimalSI;
      } else {
        int k = 0;
        while (k < 6 && n % 1024 == 0) {
          n /= 1024;
          ++k;
        }
        if (negative) out->push_back('-');
        AppendU128(n, out);
        AppendBinarySuffix(k, out);
        return true;
      }
    }
  }
  while (mag % 10 == 0) {
    mag /= 10;
    ++exponent;
  }
  int64_t r = FloorMod3(exponent);
  mag *= Pow10U128(static_cast<int>(r));
  exponent -= r;
  if (negative) out->push_back('-');
  AppendU128(mag, out);
  AppendDecimalSuffix(exponent, format, out);
  return true;
}

// Go's math.Pow10.
double GoPow10(int64_t n) {
  static const double kTab[32] = {1e00, 1e01, 1e02, 1e03, 1e04, 1e05, 1e06, 1e07, 1e08, 1e09, 1e10,
                                  1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                  1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31};
  static const double kPos32[10] = {1e00,  1e32,  1e64,  1e96,  1e128,
                                    1e160, 1e192, 1e224, 1e256, 1e288};
  static const double kNeg32[11] = {1e-00,  1e-32,  1e-64,  1e-96,  1e-128, 1e-160,
                                    1e-192, 1e-224, 1e-256, 1e-288, 1e-320};
  if (0 <= n && n <= 308) return kPos32[n / 32] * kTab[n % 32];
  if (-323 <= n && n <= 0) return kNeg32[-n / 32] / kTab[-n % 32];
  if (n > 0) return std::numeric_limits<double>::infinity();
  return 0;
}

int64_t Saturate(bool negative) { return negative ? kInt64Min : kInt64Max; }

}  // namespace

BigDecimal QuantityAccess::ToBig(const Quantity& q) {
  if (q.big_ != nullptr) return *q.big_;
  BigDecimal d;
  d.negative = q.value_ < 0;
  d.magnitude = BigUint::FromU128(Magnitude(q.value_));
  d.scale = q.scale_;
  return d;
}

void QuantityAccess::SetFromBig(Quantity* q, BigDecimal d) {
  q->value_ = 0;
  q->scale_ = 0;
  if (d.magnitude.IsZero()) {
    q->big_.reset();
    return;
  }
  // The fast form holds the value when its mantissa fits an int64 (after moving trailing
  // zeros into the scale, if needed) and the scale fits an int32.
  auto fits_int64 = [&](const BigUint& m, u128* out) {
    return m.ToU128(out) && (*out <= static_cast<u128>(kInt64Max) ||
                             (d.negative && *out == static_cast<u128>(kInt64Max) + 1));
  };
  u128 m;
  int64_t scale = d.scale;
  bool fits = fits_int64(d.magnitude, &m);
  if (!fits) {
    const int64_t tz = d.magnitude.TrailingZeros();
    if (tz > 0) {
      BigUint reduced = d.magnitude;
      reduced.DivPow10(tz);
      fits = fits_int64(reduced, &m);
      scale += tz;
    }
  }
  if (fits && scale >= std::numeric_limits<int32_t>::min() &&
      scale <= std::numeric_limits<int32_t>::max()) {
    q->big_.reset();
    q->value_ = d.negative ? static_cast<int64_t>(-static_cast<i128>(m)) : static_cast<int64_t>(m);
    q->scale_ = static_cast<int32_t>(scale);
    return;
  }
  q->big_ = std::make_shared<const BigDecimal>(std::move(d));
}

absl::StatusOr<Quantity> Quantity::Parse(std::string_view str) {
  using F = Format;
  if (str.empty()) return ErrFormatWrong();
  Quantity q;
  if (str == "0") {
    q.text_ = "0";
    return q;
  }
  Scanned sc;
  if (!Scan(str, &sc)) return ErrFormatWrong();
  Suffix suf;
  if (!Interpret(sc.suffix, &suf)) return ErrSuffix();

  const int64_t digits = static_cast<int64_t>(sc.num.size() + sc.denom.size());
  int64_t precision = 0;
  int64_t scale = 0;
  int64_t mantissa = 1;
  if (suf.format == F::kBinarySI) {
    if (suf.exponent >= 0 && sc.denom.empty()) {
      mantissa = int64_t{1} << suf.exponent;
      precision = 15 - static_cast<int64_t>(sc.num.size()) - suf.exponent * 3 / 10 - 1;
    } else {
      precision = -1;
    }
  } else {
    scale = suf.exponent;
    precision = 18 - digits;
  }

  if (precision >= 0) {
    // Fast path: the digits fit an int64 and the value is at least nano-precise.
    scale -= static_cast<int64_t>(sc.denom.size());
    if (scale >= kNano) {
      // At most 18 digits here (precision >= 0).
      char shifted[32];
      size_t n = 0;
      for (char c : sc.num) shifted[n++] = c;
      for (char c : sc.denom) shifted[n++] = c;
      int64_t value = 0;
      for (size_t i = 0; i < n; ++i) value = value * 10 + (shifted[i] - '0');
      int64_t result;
      if (!__builtin_mul_overflow(value, mantissa, &result)) {
        if (!sc.positive) result = -result;
        q.value_ = result;
        q.scale_ = static_cast<int32_t>(scale);
        q.format_ = suf.format;
        // Kubernetes keeps the input as the canonical text in these cases.
        bool keep;
        if (suf.format == F::kBinarySI) {
          keep = suf.exponent % 10 == 0 && (value & 0x07) != 0;
        } else {
          const bool ends_000 = n >= 3 && std::string_view(shifted + n - 3, 3) == "000";
          keep = scale % 3 == 0 && !ends_000 && shifted[0] != '0';
        }
        if (keep) q.text_ = std::string(str);
        return q;
      }
    }
  }

  // Arbitrary-precision path.
  bool has_digit = false;
  for (char c : sc.value) has_digit |= IsDigit(c);
  if (!has_digit) return ErrNumeric();
  BigDecimal d;
  d.negative = !sc.positive;
  std::string all_digits;
  all_digits.reserve(static_cast<size_t>(digits));
  all_digits.append(sc.num).append(sc.denom);
  d.magnitude = BigUint::FromDigits(all_digits);
  d.scale = -static_cast<int64_t>(sc.denom.size());
  if (suf.base == 10) {
    d.scale += suf.exponent;
  } else {
    for (int e = 0; e < suf.exponent; e += 10) d.magnitude.MulSmall(1024);
  }
  Format format = suf.format;
  if (!d.magnitude.IsZero()) {
    // Non-zero values keep at least one nano: round away from zero.
    if (d.scale < kNano) {
      if (d.magnitude.DivPow10(kNano - d.scale)) d.magnitude.AddSmall(1);
      d.scale = kNano;
    }
    if (format == F::kBinarySI && CompareMagnitudeWith(d, static_cast<u128>(kInt64Max)) > 0) {
      d.magnitude = BigUint::FromU128(static_cast<u128>(kInt64Max));
      d.scale = 0;
    }
    if (format == F::kBinarySI && CompareMagnitudeWith(d, 1) < 0) format = F::kDecimalSI;
  }
  q.format_ = format;
  QuantityAccess::SetFromBig(&q, std::move(d));
  return q;
}

Quantity Quantity::ParseOrDie(std::string_view text) {
  absl::StatusOr<Quantity> q = Parse(text);
  if (!q.ok()) {
    std::fprintf(stderr, "Quantity::ParseOrDie(\"%.*s\"): %s\n", static_cast<int>(text.size()),
                 text.data(), q.status().ToString().c_str());
    std::abort();
  }
  return *std::move(q);
}

Quantity Quantity::FromInt64(int64_t value, Format format) {
  Quantity q;
  q.value_ = value;
  q.format_ = format;
  return q;
}

Quantity Quantity::FromMilli(int64_t milli_value, Format format) {
  Quantity q;
  q.value_ = milli_value;
  q.scale_ = kMilli;
  q.format_ = format;
  return q;
}

Quantity Quantity::FromScaled(int64_t value, int32_t scale) {
  Quantity q;
  q.value_ = value;
  q.scale_ = scale;
  q.format_ = Format::kDecimalSI;
  return q;
}

void Quantity::set_format(Format format) {
  format_ = format;
  text_.clear();
}

bool Quantity::IsZero() const { return big_ != nullptr ? big_->magnitude.IsZero() : value_ == 0; }

int Quantity::Sign() const {
  if (big_ != nullptr) return Sgn(*big_);
  return value_ == 0 ? 0 : (value_ < 0 ? -1 : 1);
}

void Quantity::AppendString(std::string* out) const {
  if (IsZero()) {
    out->push_back('0');
    return;
  }
  if (!text_.empty()) {
    out->append(text_);
    return;
  }
  if (big_ == nullptr && FormatFast(value_, scale_, format_, out)) return;
  FormatBig(QuantityAccess::ToBig(*this), format_, out);
}

std::string Quantity::String() const {
  std::string out;
  AppendString(&out);
  return out;
}

int Quantity::Cmp(const Quantity& y) const {
  if (big_ == nullptr && y.big_ == nullptr) {
    int sa = Sign(), sb = y.Sign();
    if (sa != sb || sa == 0) return sa < sb ? -1 : (sa > sb ? 1 : 0);
    if (scale_ == y.scale_) return value_ < y.value_ ? -1 : (value_ > y.value_ ? 1 : 0);
    int64_t diff = static_cast<int64_t>(scale_) - y.scale_;
    if (diff >= -18 && diff <= 18) {
      i128 a = value_, b = y.value_;
      if (diff > 0) {
        a *= kPow10I64[diff];
      } else {
        b *= kPow10I64[-diff];
      }
      return a < b ? -1 : (a > b ? 1 : 0);
    }
  }
  return CompareBig(QuantityAccess::ToBig(*this), QuantityAccess::ToBig(y));
}

int Quantity::CmpInt64(int64_t y) const { return Cmp(FromInt64(y)); }

void Quantity::Add(const Quantity& y) {
  text_.clear();
  if (IsZero()) format_ = y.format_;
  if (big_ == nullptr && y.big_ == nullptr) {
    if (y.value_ == 0) return;
    if (value_ == 0) {
      value_ = y.value_;
      scale_ = y.scale_;
      return;
    }
    int64_t a = value_, b = y.value_;
    int32_t scale = scale_;
    bool ok = true;
    if (scale_ > y.scale_) {
      int64_t diff = static_cast<int64_t>(scale_) - y.scale_;
      ok = diff <= 18 && !__builtin_mul_overflow(a, kPow10I64[diff], &a);
      scale = y.scale_;
    } else if (y.scale_ > scale_) {
      int64_t diff = static_cast<int64_t>(y.scale_) - scale_;
      ok = diff <= 18 && !__builtin_mul_overflow(b, kPow10I64[diff], &b);
    }
    int64_t sum;
    if (ok && !__builtin_add_overflow(a, b, &sum)) {
      value_ = sum;
      scale_ = scale;
      return;
    }
  }
  QuantityAccess::SetFromBig(this, AddBig(QuantityAccess::ToBig(*this), QuantityAccess::ToBig(y)));
}

void Quantity::Sub(const Quantity& y) {
  Quantity negated = y;
  negated.Neg();
  Format format = IsZero() ? y.format_ : format_;
  Add(negated);
  format_ = format;
}

void Quantity::Neg() {
  text_.clear();
  if (big_ == nullptr) {
    if (value_ != kInt64Min) {
      value_ = -value_;
      return;
    }
  }
  BigDecimal d = QuantityAccess::ToBig(*this);
  if (!d.magnitude.IsZero()) d.negative = !d.negative;
  QuantityAccess::SetFromBig(this, std::move(d));
}

int64_t Quantity::ScaledValue(int32_t scale) const {
  if (big_ == nullptr) {
    if (value_ == 0) return 0;
    int64_t delta = static_cast<int64_t>(scale_) - scale;
    if (delta < 0) {
      if (-delta >= 19) return value_ < 0 ? -1 : 1;
      int64_t p = kPow10I64[-delta];
      int64_t q = value_ / p;
      if (value_ % p != 0) q += value_ < 0 ? -1 : 1;
      return q;
    }
    int64_t result;
    if (delta > 18 || __builtin_mul_overflow(value_, kPow10I64[delta], &result)) {
      return Saturate(value_ < 0);
    }
    return result;
  }
  const BigDecimal& d = *big_;
  if (d.magnitude.IsZero()) return 0;
  BigUint m = d.magnitude;
  int64_t delta = d.scale - scale;
  if (delta < 0) {
    if (m.DivPow10(-delta)) m.AddSmall(1);
  } else {
    if (m.NumDigits() + delta > 20) return Saturate(d.negative);
    m.MulPow10(delta);
  }
  u128 v;
  if (!m.ToU128(&v)) return Saturate(d.negative);
  if (d.negative) {
    if (v > static_cast<u128>(kInt64Max) + 1) return kInt64Min;
    return static_cast<int64_t>(-static_cast<i128>(v));
  }
  if (v > static_cast<u128>(kInt64Max)) return kInt64Max;
  return static_cast<int64_t>(v);
}

std::optional<int64_t> Quantity::AsInt64() const {
  if (big_ == nullptr) {
    if (scale_ == 0 || value_ == 0) return value_;
    if (scale_ > 0) {
      int64_t r;
      if (scale_ > 18 || __builtin_mul_overflow(value_, kPow10I64[scale_], &r)) {
        return std::nullopt;
      }
      return r;
    }
    if (scale_ < -18 || value_ % kPow10I64[-scale_] != 0) return std::nullopt;
    return value_ / kPow10I64[-scale_];
  }
  // The slow form holds only values outside the int64 fast form or with a huge scale.
  const BigDecimal& d = *big_;
  if (d.scale < 0) {
    BigUint m = d.magnitude;
    if (m.DivPow10(-d.scale)) return std::nullopt;
    BigDecimal whole{d.negative, std::move(m), 0};
    Quantity q;
    QuantityAccess::SetFromBig(&q, std::move(whole));
    if (q.big_ == nullptr) return q.AsInt64();
  }
  return std::nullopt;
}

double Quantity::AsApproximateDouble() const {
  double base;
  int64_t exponent;
  if (big_ != nullptr) {
    base = std::strtod(big_->magnitude.ToString().c_str(), nullptr);
    if (big_->negative) base = -base;
    exponent = big_->scale;
  } else {
    base = static_cast<double>(value_);
    exponent = scale_;
  }
  if (exponent == 0) return base;
  return base * GoPow10(exponent);
}

std::string_view FormatName(Quantity::Format format) {
  switch (format) {
    case Quantity::Format::kDecimalExponent:
      return "DecimalExponent";
    case Quantity::Format::kBinarySI:
      return "BinarySI";
    case Quantity::Format::kDecimalSI:
      return "DecimalSI";
  }
  return "DecimalSI";
}

}  // namespace rudder::api
