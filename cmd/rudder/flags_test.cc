#include "cmd/rudder/flags.h"

#include "gtest/gtest.h"

namespace rudder::cmd {
namespace {

FlagSet Demo() {
  FlagSet f("demo");
  f.String("data-dir", "/tmp/d", "where the store lives");
  f.Bool("keep", false, "keep the data");
  return f;
}

TEST(FlagSetTest, ParsesBothValueFormsBooleansAndPositionals) {
  FlagSet f = Demo();
  ASSERT_TRUE(f.Parse({"--data-dir", "/x", "pos", "--keep"}).ok());
  EXPECT_EQ(f.Get("data-dir"), "/x");
  EXPECT_TRUE(f.GetBool("keep"));
  EXPECT_EQ(f.positional(), std::vector<std::string>{"pos"});
  FlagSet g = Demo();
  ASSERT_TRUE(g.Parse({"--data-dir=/y", "--keep=false"}).ok());
  EXPECT_EQ(g.Get("data-dir"), "/y");
  EXPECT_FALSE(g.GetBool("keep"));
}

TEST(FlagSetTest, DefaultsApplyWhenAbsent) {
  FlagSet f = Demo();
  ASSERT_TRUE(f.Parse({}).ok());
  EXPECT_EQ(f.Get("data-dir"), "/tmp/d");
  EXPECT_FALSE(f.GetBool("keep"));
}

TEST(FlagSetTest, RejectsUnknownFlagsMissingValuesAndBadBooleans) {
  FlagSet a = Demo();
  absl::Status s = a.Parse({"--port", "1"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown flag --port for rudder demo (see --help)");
  FlagSet b = Demo();
  EXPECT_EQ(b.Parse({"--data-dir"}).message(), "flag --data-dir needs a value");
  FlagSet c = Demo();
  EXPECT_EQ(c.Parse({"--keep=maybe"}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(FlagSetTest, DoubleDashEndsFlags) {
  FlagSet f = Demo();
  ASSERT_TRUE(f.Parse({"--", "--keep"}).ok());
  EXPECT_FALSE(f.GetBool("keep"));
  EXPECT_EQ(f.positional(), std::vector<std::string>{"--keep"});
}

}  // namespace
}  // namespace rudder::cmd
