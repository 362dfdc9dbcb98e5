#include "lib/api/codec/internal/go_time.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace rudder::api::codec_internal {
namespace {

absl::StatusOr<std::string> Format(int64_t seconds, int32_t nanos, const char* layout) {
  absl::Time t = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
  absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (cs.year() < 0 || cs.year() > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("time year ", cs.year(), " is outside of range [0,9999]"));
  }
  return absl::FormatTime(layout, t, absl::UTCTimeZone());
}

// Writes v/10^prec without trailing zeros (and without the point if the fraction is zero)
// in front of *w; returns v/10^prec.
uint64_t FmtFrac(std::string* w, uint64_t v, int prec) {
  bool print = false;
  std::string digits;
  for (int i = 0; i < prec; ++i) {
    int digit = static_cast<int>(v % 10);
    print = print || digit != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  if (print) w->insert(0, "." + digits);
  return v;
}

}  // namespace

absl::StatusOr<std::string> FormatRfc3339(int64_t seconds) {
  return Format(seconds, 0, "%Y-%m-%dT%H:%M:%SZ");
}

absl::StatusOr<std::string> FormatRfc3339Micro(int64_t seconds, int32_t nanos) {
  nanos = nanos - nanos % 1000;
  return Format(seconds, nanos, "%Y-%m-%dT%H:%M:%E6SZ");
}

absl::StatusOr<UnixTime> ParseRfc3339(absl::string_view text) {
  // Go's RFC 3339 layout: a four-digit year and two-digit fields.
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return absl::InvalidArgumentError(absl::StrCat("invalid RFC 3339 time \"", text, "\""));
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid RFC 3339 time \"", text, "\": ", err));
  }
  UnixTime u;
  u.seconds = absl::ToUnixSeconds(t);
  u.nanos = static_cast<int32_t>((t - absl::FromUnixSeconds(u.seconds)) / absl::Nanoseconds(1));
  return u;
}

std::string FormatGoDuration(int64_t d) {
  bool neg = d < 0;
  uint64_t u = neg ? -static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
  std::string w;
  if (u < 1000000000ULL) {
    if (u == 0) return "0s";
    int prec;
    if (u < 1000ULL) {
      prec = 0;
      w = "ns";
    } else if (u < 1000000ULL) {
      prec = 3;
      w = "\xC2\xB5s";  // µs (U+00B5)
    } else {
      prec = 6;
      w = "ms";
    }
    u = FmtFrac(&w, u, prec);
    w.insert(0, absl::StrCat(u));
  } else {
    w = "s";
    u = FmtFrac(&w, u, 9);
    w.insert(0, absl::StrCat(u % 60));
    u /= 60;
    if (u > 0) {
      w.insert(0, absl::StrCat(u % 60, "m"));
      u /= 60;
      if (u > 0) w.insert(0, absl::StrCat(u, "h"));
    }
  }
  if (neg) w.insert(0, "-");
  return w;
}

absl::StatusOr<int64_t> ParseGoDuration(absl::string_view text) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\""));
  };
  absl::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return bad();
  const uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || absl::ascii_isdigit(s[0]))) return bad();
    uint64_t v = 0;
    size_t i = 0;
    bool pre = false;
    while (i < s.size() && absl::ascii_isdigit(s[i])) {
      if (v > (kMax - (s[i] - '0')) / 10) return bad();
      v = v * 10 + (s[i] - '0');
      ++i;
      pre = true;
    }
    s.remove_prefix(i);
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      i = 0;
      bool overflow = false;
      while (i < s.size() && absl::ascii_isdigit(s[i])) {
        if (!overflow) {
          if (f > (std::numeric_limits<uint64_t>::max() / 10) - 9) {
            overflow = true;
          } else {
            f = f * 10 + (s[i] - '0');
            scale *= 10;
          }
        }
        ++i;
        post = true;
      }
      s.remove_prefix(i);
    }
    if (!pre && !post) return bad();
    i = 0;
    while (i < s.size() && s[i] != '.' && !absl::ascii_isdigit(s[i])) ++i;
    absl::string_view unit_name = s.substr(0, i);
    s.remove_prefix(i);
    uint64_t unit;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\xC2\xB5s" || unit_name == "\xCE\xBCs") {
      unit = 1000;
    } else if (unit_name == "ms") {
      unit = 1000000;
    } else if (unit_name == "s") {
      unit = 1000000000ULL;
    } else if (unit_name == "m") {
      unit = 60ULL * 1000000000ULL;
    } else if (unit_name == "h") {
      unit = 3600ULL * 1000000000ULL;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid duration \"", text, "\": unknown unit \"", unit_name, "\""));
    }
    if (v > kMax / unit) return bad();
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kMax) return bad();
    }
    total += v;
    if (total > kMax) return bad();
  }
  if (neg) return static_cast<int64_t>(0 - total);
  if (total > kMax - 1) return bad();
  return static_cast<int64_t>(total);
}

}  // namespace rudder::api::codec_internal
