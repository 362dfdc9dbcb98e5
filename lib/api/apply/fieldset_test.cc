#include "lib/api/apply/fieldset.h"

#include "gtest/gtest.h"

namespace rudder::api::apply {
namespace {

TEST(FieldSetTest, WritesKubernetesFieldsV1) {
  FieldSet s;
  s.Insert({"f:spec", "f:replicas"});
  s.Insert({"f:metadata", "f:labels"});
  s.Insert({"f:metadata", "f:labels", "f:app"});
  s.Insert({"f:spec", "f:template", "f:spec", "f:containers", R"(k:{"name":"c"})"});
  s.Insert({"f:spec", "f:template", "f:spec", "f:containers", R"(k:{"name":"c"})", "f:image"});
  s.Insert({"f:metadata", "f:finalizers", R"(v:"a")"});
  EXPECT_EQ(s.ToJson(),
            R"({"f:metadata":{"f:finalizers":{"v:\"a\"":{}},"f:labels":{".":{},"f:app":{}}},)"
            R"("f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":)"
            R"({"k:{\"name\":\"c\"}":{".":{},"f:image":{}}}}}}})");
}

TEST(FieldSetTest, RoundTripsThroughJson) {
  FieldSet s;
  s.Insert({"f:spec", "f:replicas"});
  s.Insert({"f:spec", "f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})"});
  s.Insert({"f:spec", "f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})", "f:name"});
  absl::StatusOr<FieldSet> back = FieldSet::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
  EXPECT_TRUE(back->Has({"f:spec", "f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})"}));
  EXPECT_FALSE(back->Has({"f:spec"}));
}

TEST(FieldSetTest, RejectsMalformedFieldsV1) {
  EXPECT_EQ(FieldSet::FromJson("[]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldSet::FromJson(R"({"x:a":{}})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldSet::FromJson(R"({"f:a":1})").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldSet::FromJson(R"({"k:notjson":{}})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldSet::FromJson("{").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FieldSetTest, PrintsPathsAsKubernetes) {
  FieldSet s;
  s.Insert({"f:spec", "f:replicas"});
  s.Insert({"f:spec", "f:containers", R"(k:{"name":"c"})", "f:image"});
  s.Insert({"f:spec", "f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})"});
  s.Insert({"f:metadata", "f:finalizers", R"(v:"x")"});
  EXPECT_EQ(s.PathStrings(),
            (std::vector<std::string>{
                R"(.metadata.finalizers[="x"])", R"(.spec.containers[name="c"].image)",
                R"(.spec.ports[containerPort=80,protocol="TCP"])", ".spec.replicas"}));
}

TEST(FieldSetTest, SetAlgebra) {
  FieldSet a, b;
  a.Insert({"f:spec", "f:replicas"});
  a.Insert({"f:spec", "f:paused"});
  a.Insert({"f:spec", "f:template"});
  a.Insert({"f:spec", "f:template", "f:x"});
  b.Insert({"f:spec", "f:replicas"});
  b.Insert({"f:spec", "f:template"});
  FieldSet i = a.Intersection(b);
  EXPECT_EQ(i.PathStrings(), (std::vector<std::string>{".spec.replicas", ".spec.template"}));
  FieldSet d = a;
  d.Difference(b);
  EXPECT_EQ(d.PathStrings(), (std::vector<std::string>{".spec.paused", ".spec.template.x"}));
  FieldSet r = a;
  r.RecursiveDifference(b);
  EXPECT_EQ(r.PathStrings(), (std::vector<std::string>{".spec.paused"}));
  FieldSet u = d;
  u.Union(b);
  EXPECT_EQ(u.PathStrings().size(), 4u);
  EXPECT_TRUE(FieldSet().Empty());
  EXPECT_EQ(FieldSet().ToJson(), "{}");
}

}  // namespace
}  // namespace rudder::api::apply
