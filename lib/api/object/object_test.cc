#include "lib/api/object/object.h"

#include "gtest/gtest.h"
#include "lib/api/object/testdata/gadget.pb.h"

namespace rudder::api {
namespace {

TEST(ObjectTest, FindsObjectMetaOfAnyObjectKind) {
  objecttest::Gadget g;
  EXPECT_TRUE(IsObjectType(objecttest::Gadget::descriptor()));
  meta::v1::ObjectMeta* m = MutableObjectMeta(&g);
  ASSERT_NE(m, nullptr);
  m->set_name("g1");
  m->set_namespace_("team");
  EXPECT_EQ(g.metadata().name(), "g1");
  const google::protobuf::Message& as_message = g;
  EXPECT_EQ(GetObjectMeta(as_message), &g.metadata());
  EXPECT_EQ(NamespacedName(g.metadata()), "team/g1");
}

TEST(ObjectTest, ListsHaveListMetaAndNonObjectsHaveNone) {
  objecttest::GadgetList list;
  ASSERT_NE(MutableListMeta(&list), nullptr);
  MutableListMeta(&list)->set_resourceversion("7");
  EXPECT_EQ(GetListMeta(list)->resourceversion(), "7");
  EXPECT_EQ(GetObjectMeta(list), nullptr);
  objecttest::NotAnObject n;
  EXPECT_EQ(GetObjectMeta(n), nullptr);
  EXPECT_EQ(MutableObjectMeta(&n), nullptr);
  EXPECT_FALSE(IsObjectType(objecttest::NotAnObject::descriptor()));
}

TEST(ObjectTest, TimesConvertBothWaysIncludingBeforeTheEpoch) {
  absl::Time t = absl::FromUnixSeconds(1700000000) + absl::Nanoseconds(123456789);
  meta::v1::Time mt = FromAbslTime(t);
  EXPECT_EQ(mt.seconds(), 1700000000);
  EXPECT_EQ(mt.nanos(), 123456789);
  EXPECT_EQ(ToAbslTime(mt), t);
  absl::Time before = absl::FromUnixSeconds(-1) + absl::Milliseconds(500);
  meta::v1::Time b = FromAbslTime(before);
  EXPECT_EQ(b.seconds(), -1);
  EXPECT_EQ(b.nanos(), 500000000);
  meta::v1::MicroTime micro = MicroFromAbslTime(t);
  EXPECT_EQ(micro.nanos(), 123456000);
  EXPECT_EQ(ToAbslTime(micro), absl::FromUnixSeconds(1700000000) + absl::Microseconds(123456));
}

TEST(ObjectTest, ClusterScopedNameHasNoNamespace) {
  meta::v1::ObjectMeta m;
  m.set_name("node-1");
  EXPECT_EQ(NamespacedName(m), "node-1");
}

}  // namespace
}  // namespace rudder::api
