#include "lib/runtime/cri/log_format.h"

#include <string>

#include "gtest/gtest.h"

namespace rudder::runtime::cri {
namespace {

absl::Time At(int64_t seconds, int64_t nanos) {
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

TEST(ParseLogLineTest, FullStdoutLine) {
  auto r = ParseLogLine("2016-10-06T00:17:09.669794202Z stdout F hello world\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->time, At(1475713029, 669794202));
  EXPECT_EQ(r->stream, LogStream::kStdout);
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(r->content, "hello world");
}

TEST(ParseLogLineTest, PartialStderrLineKeepsSpacesInContent) {
  auto r = ParseLogLine("2016-10-06T00:17:09.669794Z stderr P   two  spaces ");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->time, At(1475713029, 669794000));
  EXPECT_EQ(r->stream, LogStream::kStderr);
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->content, "  two  spaces ");
}

TEST(ParseLogLineTest, EmptyContentWithAndWithoutSeparator) {
  auto with_space = ParseLogLine("2020-01-01T00:00:00Z stdout F \n");
  ASSERT_TRUE(with_space.ok()) << with_space.status();
  EXPECT_EQ(with_space->content, "");
  auto without = ParseLogLine("2020-01-01T00:00:00Z stdout F");
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(without->content, "");
  EXPECT_EQ(without->time, absl::FromUnixSeconds(1577836800));
}

TEST(ParseLogLineTest, ExtraTagsAfterTheFirst) {
  auto r = ParseLogLine("2020-01-01T00:00:00Z stdout P:x:y chunk");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->content, "chunk");
}

TEST(ParseLogLineTest, CarriageReturnBeforeNewlineIsDropped) {
  auto r = ParseLogLine("2020-01-01T00:00:00Z stdout F dos\r\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->content, "dos");
}

TEST(ParseLogLineTest, TimeWithOffset) {
  auto r = ParseLogLine("2020-01-01T02:30:00.5+02:30 stdout F x");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->time, At(1577836800, 500000000));
  auto neg = ParseLogLine("2019-12-31T23:00:00-01:00 stdout F x");
  ASSERT_TRUE(neg.ok()) << neg.status();
  EXPECT_EQ(neg->time, absl::FromUnixSeconds(1577836800));
}

TEST(ParseLogLineTest, MalformedLinesNameTheField) {
  struct Case {
    const char* line;
    const char* field;
  };
  for (const Case& c : {
           Case{"", "time:"},
           Case{"hello", "time:"},
           Case{"2020-01-01 stdout F x", "time:"},
           Case{"2020-13-01T00:00:00Z stdout F x", "time:"},
           Case{"2021-02-29T00:00:00Z stdout F x", "time:"},
           Case{"2020-01-01T00:00:00 stdout F x", "time:"},
           Case{"2020-01-01T00:00:00.Z stdout F x", "time:"},
           Case{"2020-01-01T00:00:00.1234567890Z stdout F x", "time:"},
           Case{"2020-01-01T00:00:00Zjunk stdout F x", "time:"},
           Case{"2020-01-01T00:00:00Z stdin F x", "stream:"},
           Case{"2020-01-01T00:00:00Z stdout", "tags:"},
           Case{"2020-01-01T00:00:00Z stdout X x", "tags:"},
           Case{"2020-01-01T00:00:00Z stdout  x", "tags:"},
       }) {
    auto r = ParseLogLine(c.line);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_EQ(r.status().message().substr(0, std::string_view(c.field).size()), c.field)
        << c.line << ": " << r.status();
  }
}

TEST(ParseRfc3339NanoTest, LeapYearAndPreEpoch) {
  auto leap = ParseRfc3339Nano("2024-02-29T12:00:00Z");
  ASSERT_TRUE(leap.ok()) << leap.status();
  EXPECT_EQ(*leap, absl::FromUnixSeconds(1709208000));
  auto old = ParseRfc3339Nano("1969-12-31T23:59:59.999999999Z");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(*old, absl::FromUnixNanos(-1));
}

TEST(FormatRfc3339NanoTest, TrimsTrailingZeros) {
  EXPECT_EQ(FormatRfc3339Nano(At(1475713029, 669794202)), "2016-10-06T00:17:09.669794202Z");
  EXPECT_EQ(FormatRfc3339Nano(At(1475713029, 500000000)), "2016-10-06T00:17:09.5Z");
  EXPECT_EQ(FormatRfc3339Nano(At(1475713029, 0)), "2016-10-06T00:17:09Z");
}

TEST(FormatRfc3339NanoTest, AgreesWithAbslAcrossTheRange) {
  // Every day boundary, leap day and fraction width the fast path handles.
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    // Seconds from 1900 to 2200, nanos with a random number of trailing zeros.
    const int64_t seconds = -2208988800LL + static_cast<int64_t>(x % 9467280000ULL);
    int64_t nanos = static_cast<int64_t>((x >> 20) % 1000000000);
    int64_t unit = 1;
    for (int z = static_cast<int>((x >> 50) % 10); z > 0; --z) unit *= 10;
    nanos = nanos / unit * unit;
    const absl::Time t = At(seconds, nanos);
    const std::string expected = absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
    ASSERT_EQ(FormatRfc3339Nano(t), expected) << seconds << " " << nanos;
    auto back = ParseRfc3339Nano(expected);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(*back, t) << expected;
  }
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixNanos(-1)), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::UnixEpoch()), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(At(1709208000, 1000)), "2024-02-29T12:00:00.000001Z");
}

TEST(AppendLogLineTest, RoundTripsThroughTheParser) {
  std::string out;
  const absl::Time t = At(1700000000, 123456789);
  AppendLogLine(t, LogStream::kStderr, true, "part one", &out);
  AppendLogLine(t, LogStream::kStdout, false, "", &out);
  EXPECT_EQ(out,
            "2023-11-14T22:13:20.123456789Z stderr P part one\n"
            "2023-11-14T22:13:20.123456789Z stdout F \n");
  size_t nl = out.find('\n');
  auto first = ParseLogLine(std::string_view(out).substr(0, nl + 1));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->time, t);
  EXPECT_EQ(first->stream, LogStream::kStderr);
  EXPECT_TRUE(first->partial);
  EXPECT_EQ(first->content, "part one");
  auto second = ParseLogLine(std::string_view(out).substr(nl + 1));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->partial);
  EXPECT_EQ(second->content, "");
}

TEST(LogLineAssemblerTest, JoinsPartialRecordsPerStream) {
  LogLineAssembler assembler;
  LogLineAssembler::Line line;
  const absl::Time t1 = At(100, 1), t2 = At(100, 2), t3 = At(100, 3), t4 = At(100, 4);
  EXPECT_FALSE(assembler.Add({t1, LogStream::kStdout, true, "hel"}, &line));
  EXPECT_FALSE(assembler.Add({t2, LogStream::kStderr, true, "oo"}, &line));
  EXPECT_EQ(assembler.pending_bytes(), 5u);
  ASSERT_TRUE(assembler.Add({t3, LogStream::kStdout, false, "lo"}, &line));
  EXPECT_EQ(line.content, "hello");
  EXPECT_EQ(line.stream, LogStream::kStdout);
  EXPECT_EQ(line.time, t3);
  ASSERT_TRUE(assembler.Add({t4, LogStream::kStderr, false, "ps"}, &line));
  EXPECT_EQ(line.content, "oops");
  EXPECT_EQ(line.stream, LogStream::kStderr);
  EXPECT_EQ(assembler.pending_bytes(), 0u);
  EXPECT_FALSE(assembler.Flush(&line));
}

TEST(LogLineAssemblerTest, FullRecordsPassThroughAndFlushReturnsTheRest) {
  LogLineAssembler assembler;
  LogLineAssembler::Line line;
  ASSERT_TRUE(assembler.Add({At(1, 0), LogStream::kStdout, false, ""}, &line));
  EXPECT_EQ(line.content, "");
  EXPECT_FALSE(assembler.Add({At(2, 0), LogStream::kStderr, true, "no newline yet"}, &line));
  ASSERT_TRUE(assembler.Flush(&line));
  EXPECT_EQ(line.content, "no newline yet");
  EXPECT_EQ(line.stream, LogStream::kStderr);
  EXPECT_EQ(line.time, At(2, 0));
  EXPECT_FALSE(assembler.Flush(&line));
}

}  // namespace
}  // namespace rudder::runtime::cri
