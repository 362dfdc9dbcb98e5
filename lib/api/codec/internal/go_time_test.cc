#include "lib/api/codec/internal/go_time.h"

#include "gtest/gtest.h"

namespace rudder::api::codec_internal {
namespace {

constexpr int64_t kT = 1704164645;  // 2024-01-02T03:04:05Z

TEST(GoTimeTest, FormatsRfc3339) {
  EXPECT_EQ(*FormatRfc3339(kT), "2024-01-02T03:04:05Z");
  EXPECT_EQ(*FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(*FormatRfc3339Micro(kT, 0), "2024-01-02T03:04:05.000000Z");
  EXPECT_EQ(*FormatRfc3339Micro(kT, 123456789), "2024-01-02T03:04:05.123456Z");
  EXPECT_EQ(FormatRfc3339(400000000000).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GoTimeTest, ParsesRfc3339WithFractionsAndOffsets) {
  UnixTime t = *ParseRfc3339("2024-01-02T03:04:05Z");
  EXPECT_EQ(t.seconds, kT);
  EXPECT_EQ(t.nanos, 0);
  t = *ParseRfc3339("2024-01-02T03:04:05.5Z");
  EXPECT_EQ(t.seconds, kT);
  EXPECT_EQ(t.nanos, 500000000);
  t = *ParseRfc3339("2024-01-02T05:04:05.000001+02:00");
  EXPECT_EQ(t.seconds, kT);
  EXPECT_EQ(t.nanos, 1000);
  EXPECT_FALSE(ParseRfc3339("2024-01-02").ok());
  EXPECT_FALSE(ParseRfc3339("2024-01-02 03:04:05Z").ok());
  EXPECT_FALSE(ParseRfc3339("2024-13-02T03:04:05Z").ok());
  EXPECT_FALSE(ParseRfc3339("yesterday at noon, roughly").ok());
}

TEST(GoTimeTest, FormatsDurationsAsGo) {
  EXPECT_EQ(FormatGoDuration(0), "0s");
  EXPECT_EQ(FormatGoDuration(1), "1ns");
  EXPECT_EQ(FormatGoDuration(1500), "1.5\xC2\xB5s");
  EXPECT_EQ(FormatGoDuration(500000000), "500ms");
  EXPECT_EQ(FormatGoDuration(1500000000), "1.5s");
  EXPECT_EQ(FormatGoDuration(3723000000000), "1h2m3s");
  EXPECT_EQ(FormatGoDuration(3600000000000), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(-60000000000), "-1m0s");
  EXPECT_EQ(FormatGoDuration(INT64_MIN), "-2562047h47m16.854775808s");
}

TEST(GoTimeTest, ParsesDurationsAsGo) {
  EXPECT_EQ(*ParseGoDuration("1h2m3s"), 3723000000000);
  EXPECT_EQ(*ParseGoDuration("1.5h"), 5400000000000);
  EXPECT_EQ(*ParseGoDuration("-300ms"), -300000000);
  EXPECT_EQ(*ParseGoDuration("2us"), 2000);
  EXPECT_EQ(*ParseGoDuration("2\xC2\xB5s"), 2000);
  EXPECT_EQ(*ParseGoDuration("0"), 0);
  EXPECT_EQ(*ParseGoDuration(".5s"), 500000000);
  EXPECT_EQ(ParseGoDuration("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseGoDuration("5").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseGoDuration("5x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseGoDuration("99999999999h").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseGoDuration("-2562047h47m16.854775808s"), INT64_MIN);
}

}  // namespace
}  // namespace rudder::api::codec_internal
