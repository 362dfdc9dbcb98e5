#include "lib/store/etcd/internal/codec.h"

#include "gtest/gtest.h"

namespace rudder::store::etcd_internal {
namespace {

const std::string kNul(1, '\0');

TEST(CodecTest, PrefixesKeysAndRanges) {
  Codec codec("/p/");
  EXPECT_EQ(codec.Key("a"), "/p/a");
  auto single = codec.Range(KeyRange::Single("a"), "range");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->first, "/p/a");
  EXPECT_EQ(single->second, "");
  auto prefix = codec.Range(KeyRange::Prefix("a/"), "range");
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->first, "/p/a/");
  EXPECT_EQ(prefix->second, "/p/a0");
  // "Every key from here on" ends at the end of the namespace, not of the whole keyspace.
  auto from = codec.Range(KeyRange{"m", kNul}, "range");
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(from->first, "/p/m");
  EXPECT_EQ(from->second, "/p0");
  auto all = codec.Range(KeyRange::Prefix(""), "range");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->first, "/p/" + kNul);
  EXPECT_EQ(all->second, "/p0");
}

TEST(CodecTest, NoPrefixKeepsEtcdRanges) {
  Codec codec("");
  auto all = codec.Range(KeyRange::Prefix(""), "range");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->first, kNul);
  EXPECT_EQ(all->second, kNul);
}

TEST(CodecTest, EmptyKeyIsInvalidWithFieldPath) {
  Codec codec("/p/");
  auto r = codec.Range(KeyRange{"", ""}, "compares[2].range");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "compares[2].range.key: must not be empty");
  TxnRequest txn;
  txn.success.push_back(TxnOp::Put("", "v"));
  auto t = codec.ToEtcd(txn);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), "success[0].range.key: must not be empty");
}

TEST(CodecTest, StripsPrefixFromResults) {
  Codec codec("/p/");
  mvccpb::KeyValue kv;
  kv.set_key("/p/a");
  kv.set_value("v");
  kv.set_create_revision(2);
  kv.set_mod_revision(3);
  kv.set_version(2);
  kv.set_lease(7);
  KeyValue out = codec.FromEtcd(kv);
  EXPECT_EQ(out, (KeyValue{"a", "v", 2, 3, 2, 7}));
  EXPECT_EQ(codec.Strip("/p/x"), std::optional<std::string>("x"));
  EXPECT_EQ(codec.Strip("/q/x"), std::nullopt);
  mvccpb::Event foreign;
  foreign.mutable_kv()->set_key("/q/x");
  EXPECT_FALSE(codec.FromEtcd(foreign).has_value());
}

TEST(CodecTest, CompareTargetsAndOps) {
  Codec codec("");
  TxnRequest txn;
  txn.compares.push_back(Compare::Version("a", Compare::Op::kEqual, 0));
  txn.compares.push_back(Compare::Value("a", Compare::Op::kNotEqual, "x"));
  txn.compares.push_back(Compare::CreateRevision("a", Compare::Op::kLess, 5));
  txn.compares.push_back(Compare::Lease("a", Compare::Op::kGreater, 9));
  auto t = codec.ToEtcd(txn);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->compare_size(), 4);
  EXPECT_EQ(t->compare(0).target(), etcdserverpb::Compare::VERSION);
  EXPECT_EQ(t->compare(0).result(), etcdserverpb::Compare::EQUAL);
  // A zero is still sent: it is a member of the oneof.
  EXPECT_EQ(t->compare(0).target_union_case(), etcdserverpb::Compare::kVersion);
  EXPECT_EQ(t->compare(1).value(), "x");
  EXPECT_EQ(t->compare(1).result(), etcdserverpb::Compare::NOT_EQUAL);
  EXPECT_EQ(t->compare(2).create_revision(), 5);
  EXPECT_EQ(t->compare(2).result(), etcdserverpb::Compare::LESS);
  EXPECT_EQ(t->compare(3).lease(), 9);
  EXPECT_EQ(t->compare(3).result(), etcdserverpb::Compare::GREATER);
  EXPECT_TRUE(ReadOnly(TxnRequest{{}, {TxnOp::Get(KeyRange::Single("a"))}, {}}));
  EXPECT_FALSE(ReadOnly(TxnRequest{{}, {}, {TxnOp::Delete(KeyRange::Single("a"))}}));
}

}  // namespace
}  // namespace rudder::store::etcd_internal
