#include "lib/runtime/cri/log_format.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rudder::runtime::cri {
namespace {

// Debian's Abseil has its own string_view type; StrCat takes that one.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Reads exactly `n` decimal digits at text[*pos]; false if any is not a digit.
bool ReadDigits(std::string_view text, size_t* pos, int n, int64_t* value) {
  if (*pos + n > text.size()) return false;
  int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *value = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

// The civil date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

void PutDigits(char* p, int64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// Appends `time` as RFC3339Nano in UTC. Years outside 0000-9999 fall back to absl.
void AppendRfc3339Nano(absl::Time time, std::string* out) {
  const int64_t nanos_total = absl::ToUnixNanos(time);
  int64_t seconds = nanos_total / 1000000000;
  int64_t nanos = nanos_total % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t sod = seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  if (year < 0 || year > 9999 || time != absl::FromUnixNanos(nanos_total)) {
    out->append(absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone()));
    return;
  }
  char buf[32];
  PutDigits(buf, year, 4);
  buf[4] = '-';
  PutDigits(buf + 5, month, 2);
  buf[7] = '-';
  PutDigits(buf + 8, day, 2);
  buf[10] = 'T';
  PutDigits(buf + 11, sod / 3600, 2);
  buf[13] = ':';
  PutDigits(buf + 14, sod / 60 % 60, 2);
  buf[16] = ':';
  PutDigits(buf + 17, sod % 60, 2);
  size_t len = 19;
  if (nanos != 0) {
    buf[len++] = '.';
    int digits = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      --digits;
    }
    PutDigits(buf + len, nanos, digits);
    len += digits;
  }
  buf[len++] = 'Z';
  out->append(buf, len);
}

absl::Status BadTime(std::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(
      "time: \"", Av(text), "\" is not an RFC3339 time (2006-01-02T15:04:05.999999999Z)"));
}

}  // namespace

std::string_view LogStreamName(LogStream stream) {
  return stream == LogStream::kStderr ? "stderr" : "stdout";
}

absl::StatusOr<absl::Time> ParseRfc3339Nano(std::string_view text) {
  size_t pos = 0;
  int64_t year, month, day, hour, minute, second;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day) || pos >= text.size() ||
      (text[pos] != 'T' && text[pos] != 't') || !ReadDigits(text, &++pos, 2, &hour) ||
      !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return BadTime(text);
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return BadTime(text);
  }
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits == 9) return BadTime(text);
      nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return BadTime(text);
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh, om;
    if (!ReadDigits(text, &pos, 2, &oh) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &om) || oh > 23 || om > 59) {
      return BadTime(text);
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return BadTime(text);
  }
  if (pos != text.size()) return BadTime(text);
  const int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

std::string FormatRfc3339Nano(absl::Time time) {
  std::string out;
  AppendRfc3339Nano(time, &out);
  return out;
}

absl::StatusOr<LogRecord> ParseLogLine(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  LogRecord record;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "time: missing; a CRI log line is \"<time> <stream> <tags> <content>\"");
  }
  auto time = ParseRfc3339Nano(line.substr(0, sp));
  if (!time.ok()) return time.status();
  record.time = *time;
  line.remove_prefix(sp + 1);

  sp = line.find(' ');
  std::string_view stream = line.substr(0, sp);
  if (stream == "stdout") {
    record.stream = LogStream::kStdout;
  } else if (stream == "stderr") {
    record.stream = LogStream::kStderr;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: \"", Av(stream), "\" is neither \"stdout\" nor \"stderr\""));
  }
  if (sp == std::string_view::npos) {
    return absl::InvalidArgumentError("tags: missing after the stream");
  }
  line.remove_prefix(sp + 1);

  // Tags run to the next space, or to the end of the line when the content is empty and the
  // writer left out the separating space.
  sp = line.find(' ');
  std::string_view tags = line.substr(0, sp);
  std::string_view first = tags.substr(0, tags.find(':'));
  if (first == "F") {
    record.partial = false;
  } else if (first == "P") {
    record.partial = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("tags: \"", Av(tags), "\" does not start with \"F\" or \"P\""));
  }
  record.content = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  return record;
}

void AppendLogLine(absl::Time time, LogStream stream, bool partial, std::string_view content,
                   std::string* out) {
  AppendRfc3339Nano(time, out);
  absl::StrAppend(out, " ", Av(LogStreamName(stream)), partial ? " P " : " F ", Av(content), "\n");
}

bool LogLineAssembler::Add(const LogRecord& record, Line* line) {
  const int i = record.stream == LogStream::kStderr ? 1 : 0;
  pending_[i].append(record.content.data(), record.content.size());
  pending_time_[i] = record.time;
  if (record.partial) return false;
  line->time = record.time;
  line->stream = record.stream;
  line->content = std::move(pending_[i]);
  pending_[i].clear();
  return true;
}

bool LogLineAssembler::Flush(Line* line) {
  for (int i = 0; i < 2; ++i) {
    if (pending_[i].empty()) continue;
    line->time = pending_time_[i];
    line->stream = i == 1 ? LogStream::kStderr : LogStream::kStdout;
    line->content = std::move(pending_[i]);
    pending_[i].clear();
    return true;
  }
  return false;
}

}  // namespace rudder::runtime::cri
