#include "lib/base/json_quote.h"

#include <string>

#include "gtest/gtest.h"

namespace rudder {
namespace {

TEST(JsonQuoteTest, PlainTextIsWrappedInQuotes) { EXPECT_EQ(JsonQuote("node-1"), "\"node-1\""); }

TEST(JsonQuoteTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(JsonQuote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(JsonQuote(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonQuoteTest, Utf8PassesThrough) { EXPECT_EQ(JsonQuote("zoné"), "\"zoné\""); }

}  // namespace
}  // namespace rudder
