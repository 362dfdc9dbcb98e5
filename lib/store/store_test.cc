#include "lib/store/store.h"

#include "gtest/gtest.h"

namespace rudder::store {
namespace {

TEST(PrefixEndTest, IncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(PrefixEnd("/registry/pods/"), "/registry/pods0");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd("\xff\xff"), std::string(1, '\0'));
}

TEST(KeyRangeTest, SingleKeyPrefixAndOpenEnded) {
  EXPECT_TRUE(KeyRange::Single("a").Contains("a"));
  EXPECT_FALSE(KeyRange::Single("a").Contains("ab"));
  KeyRange pods = KeyRange::Prefix("/pods/");
  EXPECT_TRUE(pods.Contains("/pods/x"));
  EXPECT_FALSE(pods.Contains("/pods0"));
  EXPECT_FALSE(pods.Contains("/pod"));
  KeyRange from_b{"b", std::string(1, '\0')};
  EXPECT_TRUE(from_b.Contains("zzz"));
  EXPECT_FALSE(from_b.Contains("a"));
  EXPECT_TRUE(KeyRange::Prefix("").Contains("anything"));
}

TEST(CompactedErrorTest, IsRecognisedAndCarriesTheRevision) {
  absl::Status s = CompactedError(42);
  EXPECT_TRUE(IsCompacted(s));
  EXPECT_EQ(CompactedRevision(s), 42);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(IsCompacted(absl::OutOfRangeError("future revision")));
}

}  // namespace
}  // namespace rudder::store
