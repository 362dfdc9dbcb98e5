#include "lib/client/informer/indexer.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"

namespace rudder::client {
namespace {

using api::core::v1::Pod;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

ObjectRef MakePod(const std::string& ns, const std::string& name, const std::string& node,
                  const std::string& rv = "1") {
  auto p = std::make_shared<Pod>();
  p->mutable_metadata()->set_namespace_(ns);
  p->mutable_metadata()->set_name(name);
  p->mutable_metadata()->set_resourceversion(rv);
  p->mutable_spec()->set_nodename(node);
  return p;
}

std::vector<std::string> ByNode(const Object& o) {
  const std::string& node = static_cast<const Pod&>(o).spec().nodename();
  if (node.empty()) return {};
  return {node};
}

std::vector<std::string> Keys(const std::vector<ObjectRef>& objs) {
  std::vector<std::string> out;
  for (const ObjectRef& o : objs) out.push_back(ObjectKey(*o));
  return out;
}

TEST(ObjectKeyTest, NamespacedAndClusterScoped) {
  EXPECT_EQ(ObjectKey(*MakePod("ns", "a", "")), "ns/a");
  EXPECT_EQ(ObjectKey(*MakePod("", "a", "")), "a");
  EXPECT_EQ(ObjectKey("ns", "a"), "ns/a");
  EXPECT_EQ(SplitObjectKey("ns/a"), std::make_pair(std::string("ns"), std::string("a")));
  EXPECT_EQ(SplitObjectKey("a"), std::make_pair(std::string(), std::string("a")));
}

TEST(IndexerTest, AddGetListDelete) {
  std::unique_ptr<Indexer> idx = NewIndexer();
  ObjectRef a = MakePod("ns1", "a", "n1");
  idx->Add(a);
  idx->Add(MakePod("ns2", "b", "n2"));
  EXPECT_EQ(idx->Size(), 2u);
  // The cache hands out the very object it was given: no copies.
  EXPECT_EQ(idx->Get("ns1/a").get(), a.get());
  EXPECT_EQ(idx->Get("ns1", "a").get(), a.get());
  EXPECT_EQ(idx->Get("ns1/zzz"), nullptr);
  EXPECT_THAT(idx->ListKeys(), UnorderedElementsAre("ns1/a", "ns2/b"));
  EXPECT_THAT(Keys(idx->List()), UnorderedElementsAre("ns1/a", "ns2/b"));

  ObjectRef a2 = MakePod("ns1", "a", "n1", "2");
  idx->Update(a2);
  EXPECT_EQ(idx->Get("ns1/a").get(), a2.get());
  EXPECT_EQ(idx->Size(), 2u);

  EXPECT_EQ(idx->Delete("ns1/a").get(), a2.get());
  EXPECT_EQ(idx->Delete("ns1/a"), nullptr);
  EXPECT_EQ(idx->Size(), 1u);
}

TEST(IndexerTest, NamespaceIndexIsBuiltIn) {
  std::unique_ptr<Indexer> idx = NewIndexer();
  idx->Add(MakePod("ns1", "a", ""));
  idx->Add(MakePod("ns1", "b", ""));
  idx->Add(MakePod("ns2", "c", ""));
  absl::StatusOr<std::vector<ObjectRef>> ns1 = idx->ByIndex(kNamespaceIndex, "ns1");
  ASSERT_TRUE(ns1.ok()) << ns1.status();
  EXPECT_THAT(Keys(*ns1), UnorderedElementsAre("ns1/a", "ns1/b"));
  EXPECT_THAT(idx->ListIndexFuncValues(kNamespaceIndex), UnorderedElementsAre("ns1", "ns2"));
  idx->Delete("ns2/c");
  EXPECT_THAT(idx->ListIndexFuncValues(kNamespaceIndex), UnorderedElementsAre("ns1"));
}

TEST(IndexerTest, UserIndexFollowsUpdatesAndDeletes) {
  std::unique_ptr<Indexer> idx = NewIndexer({{"byNode", ByNode}});
  idx->Add(MakePod("ns", "a", "n1"));
  idx->Add(MakePod("ns", "b", "n1"));
  idx->Add(MakePod("ns", "c", "n2"));
  idx->Add(MakePod("ns", "d", ""));  // in no node's index
  EXPECT_THAT(*idx->IndexKeys("byNode", "n1"), UnorderedElementsAre("ns/a", "ns/b"));
  EXPECT_THAT(idx->ListIndexFuncValues("byNode"), UnorderedElementsAre("n1", "n2"));

  idx->Update(MakePod("ns", "a", "n2", "2"));  // moves from n1 to n2
  EXPECT_THAT(*idx->IndexKeys("byNode", "n1"), UnorderedElementsAre("ns/b"));
  EXPECT_THAT(*idx->IndexKeys("byNode", "n2"), UnorderedElementsAre("ns/a", "ns/c"));

  idx->Delete("ns/b");
  EXPECT_THAT(*idx->IndexKeys("byNode", "n1"), IsEmpty());
  EXPECT_THAT(idx->ListIndexFuncValues("byNode"), UnorderedElementsAre("n2"));

  absl::StatusOr<std::vector<ObjectRef>> same = idx->Index("byNode", *MakePod("x", "y", "n2"));
  ASSERT_TRUE(same.ok());
  EXPECT_THAT(Keys(*same), UnorderedElementsAre("ns/a", "ns/c"));
}

TEST(IndexerTest, UnknownIndexIsNotFound) {
  std::unique_ptr<Indexer> idx = NewIndexer();
  EXPECT_EQ(idx->ByIndex("nope", "x").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(idx->IndexKeys("nope", "x").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(idx->Index("nope", *MakePod("a", "b", "")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(idx->ListIndexFuncValues("nope"), IsEmpty());
}

TEST(IndexerTest, AddIndexersLaterReindexesExistingObjects) {
  std::unique_ptr<Indexer> idx = NewIndexer();
  idx->Add(MakePod("ns", "a", "n1"));
  idx->Add(MakePod("ns", "b", "n2"));
  ASSERT_TRUE(idx->AddIndexers({{"byNode", ByNode}}).ok());
  EXPECT_THAT(*idx->IndexKeys("byNode", "n1"), UnorderedElementsAre("ns/a"));
  EXPECT_THAT(idx->IndexNames(), UnorderedElementsAre("byNode", kNamespaceIndex));
  // A taken name is refused, and nothing of the call is added.
  absl::Status s = idx->AddIndexers({{"other", ByNode}, {"byNode", ByNode}});
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(idx->ByIndex("other", "n1").status().code(), absl::StatusCode::kNotFound);
}

TEST(IndexerTest, ReplaceRebuildsEverything) {
  std::unique_ptr<Indexer> idx = NewIndexer({{"byNode", ByNode}});
  idx->Add(MakePod("ns", "a", "n1"));
  idx->Add(MakePod("ns", "b", "n1"));
  idx->Replace({MakePod("ns", "b", "n2"), MakePod("other", "c", "n3")});
  EXPECT_THAT(idx->ListKeys(), UnorderedElementsAre("ns/b", "other/c"));
  EXPECT_THAT(idx->ListIndexFuncValues("byNode"), UnorderedElementsAre("n2", "n3"));
  EXPECT_THAT(idx->ListIndexFuncValues(kNamespaceIndex), UnorderedElementsAre("ns", "other"));
}

}  // namespace
}  // namespace rudder::client
