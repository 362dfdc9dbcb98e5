#include "lib/api/codec/internal/json_text.h"

#include "gtest/gtest.h"

namespace rudder::api::codec_internal {
namespace {

std::string Str(absl::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST(AppendJsonStringTest, EscapesAsGoDoes) {
  EXPECT_EQ(Str("plain"), "\"plain\"");
  EXPECT_EQ(Str("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Str("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Str(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(Str("<a&b>"), "\"\\u003ca\\u0026b\\u003e\"");
  EXPECT_EQ(Str("\xE2\x80\xA8\xE2\x80\xA9"), "\"\\u2028\\u2029\"");
  EXPECT_EQ(Str("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(Str("\x7f"), "\"\x7f\"");
}

TEST(AppendJsonStringTest, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(Str("a\xFFz"), "\"a\\ufffdz\"");
  EXPECT_EQ(Str("\xC0\xAF"), "\"\\ufffd\\ufffd\"");             // overlong
  EXPECT_EQ(Str("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  EXPECT_EQ(Str("\xE2\x82"), "\"\\ufffd\\ufffd\"");             // truncated
}

std::string F64(double v) {
  std::string out;
  EXPECT_TRUE(AppendGoFloat64(v, &out).ok());
  return out;
}

TEST(AppendGoFloatTest, MatchesGoFormatting) {
  EXPECT_EQ(F64(0), "0");
  EXPECT_EQ(F64(1), "1");
  EXPECT_EQ(F64(0.5), "0.5");
  EXPECT_EQ(F64(-2.25), "-2.25");
  EXPECT_EQ(F64(1e20), "100000000000000000000");
  EXPECT_EQ(F64(1e21), "1e+21");
  EXPECT_EQ(F64(1e-7), "1e-7");
  EXPECT_EQ(F64(1.5e-10), "1.5e-10");
  EXPECT_EQ(F64(0.000001), "0.000001");
  std::string out;
  EXPECT_TRUE(AppendGoFloat32(0.1f, &out).ok());
  EXPECT_EQ(out, "0.1");
  EXPECT_EQ(AppendGoFloat64(1.0 / 0.0, &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReformatTest, CompactAndIndentLikeGo) {
  std::string compact;
  AppendCompactJson(" { \"a\" : [ 1 , 2.50 ], \"b\" : { } , \"c\":\"x y<\" } ", true, &compact);
  EXPECT_EQ(compact, "{\"a\":[1,2.50],\"b\":{},\"c\":\"x y\\u003c\"}");
  std::string indented;
  AppendIndentedJson(compact, "    ", &indented);
  EXPECT_EQ(indented,
            "{\n    \"a\": [\n        1,\n        2.50\n    ],\n    \"b\": {},\n"
            "    \"c\": \"x y\\u003c\"\n}");
  std::string esc;
  AppendCompactJson("\"a\\\"<\\\\\"", true, &esc);
  EXPECT_EQ(esc, "\"a\\\"\\u003c\\\\\"");
}

TEST(ValidateJsonTest, RejectsMalformed) {
  EXPECT_TRUE(ValidateJson("{\"a\":[1,true,null]}").ok());
  EXPECT_EQ(ValidateJson("{\"a\":").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateJson("\"\xFF\"").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateJson("1 2").code(), absl::StatusCode::kInvalidArgument);
  absl::Status s = ValidateJson("{\n  \"a\": tru\n}");
  EXPECT_NE(s.message().find("line 2"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace rudder::api::codec_internal
