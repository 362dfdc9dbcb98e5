#include "lib/api/codec/unstructured.h"

#include <thread>

#include "gtest/gtest.h"
#include "lib/api/codec/testdata/codectest.pb.h"

namespace rudder::api {
namespace {

constexpr char kObject[] =
    R"({"kind":"Widget","apiVersion":"example.com/v1","metadata":{"name":"w","namespace":"ns",)"
    R"("uid":"u-1","resourceVersion":"42","generation":3,"labels":{"b":"2","a":"1"},)"
    R"("annotations":{"note":"x"},"creationTimestamp":"2024-01-02T03:04:05Z",)"
    R"("deletionTimestamp":"2024-01-03T00:00:00Z","finalizers":["f1","f2"],)"
    R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs",)"
    R"("uid":"u-0","controller":true}]},"spec":{"replicas":2,"ratio":0.5,"big":1.0e3,)"
    R"("paused":false,"tags":["x","y"],"nested":{"deep":{"v":"<&>"}}}})";

Unstructured Parse(absl::string_view json) {
  absl::StatusOr<Unstructured> u = Unstructured::FromJson(json);
  EXPECT_TRUE(u.ok()) << u.status();
  return u.ok() ? *u : Unstructured();
}

TEST(UnstructuredTest, MetadataAccessors) {
  Unstructured u = Parse(kObject);
  EXPECT_EQ(u.ApiVersion(), "example.com/v1");
  EXPECT_EQ(u.Kind(), "Widget");
  EXPECT_EQ(u.GetTypeMeta(), (TypeMeta{"example.com/v1", "Widget"}));
  EXPECT_EQ(u.Name(), "w");
  EXPECT_EQ(u.Namespace(), "ns");
  EXPECT_EQ(u.Uid(), "u-1");
  EXPECT_EQ(u.ResourceVersion(), "42");
  EXPECT_EQ(u.Generation(), 3);
  EXPECT_EQ(u.Labels(), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(u.Annotations().at("note"), "x");
  EXPECT_EQ(u.CreationTimestamp(), "2024-01-02T03:04:05Z");
  EXPECT_EQ(u.DeletionTimestamp(), "2024-01-03T00:00:00Z");
  EXPECT_EQ(u.Finalizers(), (std::vector<std::string>{"f1", "f2"}));
  ASSERT_EQ(u.OwnerReferences().size(), 1u);
  EXPECT_EQ(u.OwnerReferences()[0],
            (OwnerReference{"apps/v1", "ReplicaSet", "rs", "u-0", true, std::nullopt}));
  Unstructured empty;
  EXPECT_EQ(empty.Name(), "");
  EXPECT_EQ(empty.Generation(), 0);
  EXPECT_FALSE(empty.DeletionTimestamp().has_value());
  EXPECT_TRUE(empty.Labels().empty());
}

TEST(UnstructuredTest, NestedGetters) {
  Unstructured u = Parse(kObject);
  EXPECT_EQ(u.GetInt64({"spec", "replicas"}), 2);
  EXPECT_EQ(u.GetInt64({"spec", "ratio"}), std::nullopt);  // not an integer
  EXPECT_EQ(u.GetFloat64({"spec", "ratio"}), 0.5);
  EXPECT_EQ(u.GetBool({"spec", "paused"}), false);
  EXPECT_EQ(u.GetString({"spec", "nested", "deep", "v"}), "<&>");
  EXPECT_EQ(u.GetString({"spec", "replicas"}), std::nullopt);  // wrong type
  EXPECT_EQ(u.GetStringSlice({"spec", "tags"}), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(u.Has({"spec", "nested"}));
  EXPECT_FALSE(u.Has({"spec", "missing", "x"}));
  EXPECT_EQ(*u.GetJson({"spec", "nested"}), "{\"deep\":{\"v\":\"\\u003c\\u0026\\u003e\"}}");
  EXPECT_EQ(u.GetJson({"nope"}).status().code(), absl::StatusCode::kNotFound);
}

TEST(UnstructuredTest, SerializesWithSortedKeysAndLiteralNumbers) {
  Unstructured u = Parse(R"({"b":1.0e3,"a":{"z":null,"y":[true,"s"]},"a2":1})");
  EXPECT_EQ(u.ToJson(), R"({"a":{"y":[true,"s"],"z":null},"a2":1,"b":1.0e3})");
  EXPECT_EQ(u.ToJson(true),
            "{\n    \"a\": {\n        \"y\": [\n            true,\n            \"s\"\n        ],\n"
            "        \"z\": null\n    },\n    \"a2\": 1,\n    \"b\": 1.0e3\n}");
  // Duplicate keys keep the last value.
  EXPECT_EQ(Parse(R"({"a":1,"a":2})").ToJson(), R"({"a":2})");
}

TEST(UnstructuredTest, Setters) {
  Unstructured u;
  ASSERT_TRUE(u.SetInt64({"spec", "replicas"}, 5).ok());
  ASSERT_TRUE(u.SetString({"spec", "template", "name"}, "t").ok());
  ASSERT_TRUE(u.SetBool({"spec", "paused"}, true).ok());
  ASSERT_TRUE(u.SetStringSlice({"spec", "args"}, {"a", "b"}).ok());
  ASSERT_TRUE(u.SetStringMap({"spec", "sel"}, {{"k", "v"}}).ok());
  ASSERT_TRUE(u.SetJson({"spec", "raw"}, "[1, {\"x\": 2}]").ok());
  u.SetApiVersion("v1");
  u.SetKind("Thing");
  u.SetName("n");
  u.SetNamespace("default");
  u.SetGeneration(7);
  u.SetLabels({{"app", "web"}});
  u.SetFinalizers({"f"});
  u.SetOwnerReferences({{"v1", "Pod", "p", "uid", std::nullopt, false}});
  u.SetDeletionTimestamp("2024-01-02T03:04:05Z");
  EXPECT_EQ(
      u.ToJson(),
      R"({"apiVersion":"v1","kind":"Thing","metadata":{"deletionTimestamp":"2024-01-02T03:04:05Z",)"
      R"("finalizers":["f"],"generation":7,"labels":{"app":"web"},"name":"n","namespace":"default",)"
      R"("ownerReferences":[{"apiVersion":"v1","blockOwnerDeletion":false,"kind":"Pod","name":"p",)"
      R"("uid":"uid"}]},"spec":{"args":["a","b"],"paused":true,"raw":[1,{"x":2}],"replicas":5,)"
      R"("sel":{"k":"v"},"template":{"name":"t"}}})");
  u.SetLabels({});
  u.SetFinalizers({});
  u.SetDeletionTimestamp(std::nullopt);
  u.SetName("");
  EXPECT_FALSE(u.Has({"metadata", "labels"}));
  EXPECT_FALSE(u.Has({"metadata", "finalizers"}));
  EXPECT_FALSE(u.Has({"metadata", "name"}));
  EXPECT_TRUE(u.Remove({"spec", "raw"}));
  EXPECT_FALSE(u.Remove({"spec", "raw"}));
  EXPECT_FALSE(u.Remove({}));
}

TEST(UnstructuredTest, SetThroughANonObjectIsAnError) {
  Unstructured u = Parse(R"({"spec":{"replicas":2}})");
  absl::Status s = u.SetString({"spec", "replicas", "x"}, "y");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "spec.replicas: is not an object, cannot set spec.replicas.x");
  EXPECT_EQ(u.SetString({}, "y").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(u.SetJson({"a"}, "{bad").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(u.ToJson(), R"({"spec":{"replicas":2}})");
}

TEST(UnstructuredTest, RejectsBadInput) {
  EXPECT_EQ(Unstructured::FromJson("[1]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Unstructured::FromJson("{").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Unstructured::FromJson(std::string(1000, '[')).status().code(),
            absl::StatusCode::kInvalidArgument);
  JsonDecodeOptions o;
  o.max_bytes = 3;
  EXPECT_EQ(Unstructured::FromJson("{\"a\":1}", o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UnstructuredTest, CopiesShareUntilModified) {
  Unstructured a = Parse(kObject);
  Unstructured b = a;
  EXPECT_TRUE(a.SharesDocumentWithForTest(b));
  b.SetName("other");
  EXPECT_FALSE(a.SharesDocumentWithForTest(b));
  EXPECT_EQ(a.Name(), "w");
  EXPECT_EQ(b.Name(), "other");
  // A failed set does not unshare.
  Unstructured c = a;
  EXPECT_FALSE(c.SetString({"spec", "replicas", "x"}, "y").ok());
  EXPECT_TRUE(a.SharesDocumentWithForTest(c));
}

TEST(UnstructuredTest, CopiesAreIndependentAcrossThreads) {
  Unstructured base = Parse(kObject);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([base, t] {
      Unstructured mine = base;
      for (int i = 0; i < 200; ++i) {
        Unstructured copy = mine;
        copy.SetGeneration(i + t);
        EXPECT_EQ(copy.Generation(), i + t);
        EXPECT_EQ(mine.Name(), "w");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(base.Generation(), 3);
}

TEST(UnstructuredTest, ConvertsToAndFromTypedMessages) {
  codectest::Everything e;
  e.mutable_metadata()->set_name("typed");
  e.set_i32(4);
  absl::StatusOr<Unstructured> u = ToUnstructured(e, {"example.com/v1", "Everything"});
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->Name(), "typed");
  EXPECT_EQ(u->Kind(), "Everything");
  EXPECT_EQ(u->GetInt64({"i32"}), 4);
  codectest::Everything back;
  absl::StatusOr<JsonDecodeResult> r = FromUnstructured(*u, &back);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type_meta.kind, "Everything");
  EXPECT_EQ(back.i32(), 4);
  EXPECT_EQ(back.metadata().name(), "typed");
}

}  // namespace
}  // namespace rudder::api
