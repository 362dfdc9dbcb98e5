#include "lib/store/rocks/internal/format.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rudder::store_internal::rocks {
namespace {

TEST(IndexKeyTest, RoundTripsKeysWithNulBytes) {
  for (std::string key : {std::string("a"), std::string("a\0b", 3), std::string("\0", 1),
                          std::string("x\0\0", 3), std::string("\xff\x01")}) {
    for (int64_t rev : {int64_t{1}, int64_t{2}, int64_t{300}, int64_t{1} << 40}) {
      std::string k;
      int64_t r;
      ASSERT_TRUE(DecodeIndexKey(IndexKey(key, rev), &k, &r));
      EXPECT_EQ(k, key);
      EXPECT_EQ(r, rev);
    }
  }
}

TEST(IndexKeyTest, OrdersByKeyThenNewestRevisionFirst) {
  std::vector<std::string> keys = {std::string("a"),  std::string("a\0", 2), std::string("a\x01"),
                                   std::string("ab"), std::string("b"),      std::string("\0", 1)};
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> encoded;
  for (const std::string& k : keys) {
    encoded.push_back(IndexKey(k, 9));
    encoded.push_back(IndexKey(k, 5));
    encoded.push_back(IndexKey(k, 1));
    EXPECT_LT(IndexKey(k, 1), IndexKeyEnd(k));
  }
  EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end()));
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    EXPECT_LT(IndexKeyEnd(keys[i]), IndexKey(keys[i + 1], 1000)) << i;
  }
}

TEST(IndexKeyTest, RejectsMalformedKeys) {
  std::string k;
  int64_t r;
  EXPECT_FALSE(DecodeIndexKey("short", &k, &r));
  std::string bad = IndexKey("a", 1);
  bad[1] = '\x07';  // Not a valid escape.
  EXPECT_FALSE(DecodeIndexKey(bad, &k, &r));
}

TEST(StoredKvTest, RoundTripsWithAndWithoutKey) {
  StoredKv s;
  s.kv = {"key", std::string("v\0al", 4), 3, 7, 2, 99};
  for (bool with_key : {true, false}) {
    StoredKv out;
    ASSERT_TRUE(DecodeStoredKv(EncodeStoredKv(s, with_key), with_key, &out));
    EXPECT_FALSE(out.tombstone);
    EXPECT_EQ(out.kv.value, s.kv.value);
    EXPECT_EQ(out.kv.create_revision, 3);
    EXPECT_EQ(out.kv.mod_revision, 7);
    EXPECT_EQ(out.kv.version, 2);
    EXPECT_EQ(out.kv.lease, 99);
    if (with_key) {
      EXPECT_EQ(out.kv.key, "key");
    }
  }
}

TEST(StoredKvTest, RejectsGarbage) {
  StoredKv out;
  EXPECT_FALSE(DecodeStoredKv("", false, &out));
  EXPECT_FALSE(DecodeStoredKv("X123", false, &out));
  EXPECT_FALSE(DecodeStoredKv("P\x80", false, &out));
  std::string with_key = EncodeStoredKv(StoredKv{false, {"long key", "v", 1, 1, 1, 0}}, true);
  EXPECT_FALSE(DecodeStoredKv(with_key.substr(0, 8), true, &out));
}

TEST(HistoryKeyTest, SortsByRevisionThenSub) {
  EXPECT_LT(HistoryKey(1, 5), HistoryKey(2, 0));
  EXPECT_LT(HistoryKey(2, 0), HistoryKey(2, 1));
  EXPECT_LT(HistoryKey(255, 0), HistoryKey(256, 0));
  int64_t rev;
  uint32_t sub;
  ASSERT_TRUE(DecodeHistoryKey(HistoryKey(12345, 6), &rev, &sub));
  EXPECT_EQ(rev, 12345);
  EXPECT_EQ(sub, 6u);
}

TEST(LeaseTest, RoundTrips) {
  LeaseRecord l{30, 1700000000123456789};
  LeaseRecord out;
  ASSERT_TRUE(DecodeLease(EncodeLease(l), &out));
  EXPECT_EQ(out.granted_ttl, 30);
  EXPECT_EQ(out.expiry_unix_nanos, l.expiry_unix_nanos);
  int64_t id;
  ASSERT_TRUE(DecodeLeaseKey(LeaseKey(77), &id));
  EXPECT_EQ(id, 77);
}

}  // namespace
}  // namespace rudder::store_internal::rocks
