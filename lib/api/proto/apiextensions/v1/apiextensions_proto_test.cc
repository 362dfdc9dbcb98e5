// Tests of the apiextensions/v1 schema: a CustomResourceDefinition as kubectl sends it
// decodes, keeps its OpenAPI schema as verbatim JSON text, and prints back as Kubernetes does.
#include <string>

#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/apiextensions/v1/apiextensions.pb.h"

namespace rudder::api::apiextensions::v1 {
namespace {

constexpr char kSchema[] =
    R"({"type": "object", "properties": {"spec": {"type": "object",)"
    R"( "x-kubernetes-preserve-unknown-fields": true, "properties": {"replicas":)"
    R"( {"type": "integer", "minimum": 0}}}}})";

std::string CrdJson() {
  return std::string(R"({"apiVersion": "apiextensions.k8s.io/v1",)"
                     R"( "kind": "CustomResourceDefinition",)"
                     R"( "metadata": {"name": "widgets.example.com"},)"
                     R"( "spec": {"group": "example.com", "scope": "Namespaced",)"
                     R"( "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",)"
                     R"( "shortNames": ["wd"], "categories": ["all"]},)"
                     R"( "versions": [{"name": "v1", "served": true, "storage": true,)"
                     R"( "schema": {"openAPIV3Schema": )") +
         kSchema +
         R"(}, "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",)"
         R"( "statusReplicasPath": ".status.replicas"}},)"
         R"( "additionalPrinterColumns": [{"name": "Replicas", "type": "integer",)"
         R"( "jsonPath": ".spec.replicas"}]}]}})";
}

TEST(ApiextensionsProtoTest, SchemaIsKeptVerbatim) {
  CustomResourceDefinition crd;
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(CrdJson(), &crd);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type_meta.kind, "CustomResourceDefinition");
  ASSERT_EQ(crd.spec().versions_size(), 1);
  const CustomResourceDefinitionVersion& v = crd.spec().versions(0);
  EXPECT_EQ(v.schema().openapiv3schema().raw(), kSchema);
  EXPECT_TRUE(v.subresources().has_status());
  EXPECT_EQ(v.subresources().scale().specreplicaspath(), ".spec.replicas");
  EXPECT_FALSE(v.subresources().scale().has_labelselectorpath());
  EXPECT_EQ(crd.spec().names().shortnames(0), "wd");

  // The binary form carries the schema text unchanged too.
  CustomResourceDefinition back;
  ASSERT_TRUE(back.ParseFromString(crd.SerializeAsString()));
  EXPECT_EQ(back.spec().versions(0).schema().openapiv3schema().raw(), kSchema);
}

TEST(ApiextensionsProtoTest, PrintsAsKubernetes) {
  CustomResourceDefinition crd;
  ASSERT_TRUE(DecodeJson(CrdJson(), &crd).ok());
  absl::StatusOr<std::string> json = EncodeJson(crd);
  ASSERT_TRUE(json.ok()) << json.status();
  // Field order is Kubernetes' (group, names, scope, versions), the schema compacted.
  EXPECT_NE(json->find(R"("spec":{"group":"example.com","names":{"plural":"widgets",)"
                       R"("singular":"widget","shortNames":["wd"],"kind":"Widget",)"
                       R"("categories":["all"]},"scope":"Namespaced","versions":[)"
                       R"({"name":"v1","served":true,"storage":true,"schema":)"
                       R"({"openAPIV3Schema":{"type":"object","properties":{"spec":)"),
            std::string::npos)
      << *json;
  EXPECT_NE(json->find(R"("subresources":{"status":{},"scale":)"
                       R"({"specReplicasPath":".spec.replicas",)"
                       R"("statusReplicasPath":".status.replicas"}},)"
                       R"("additionalPrinterColumns":[{"name":"Replicas","type":"integer",)"
                       R"("jsonPath":".spec.replicas"}]}]})"),
            std::string::npos)
      << *json;
}

TEST(ApiextensionsProtoTest, MalformedSchemaIsRejected) {
  CustomResourceDefinition crd;
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(
      R"({"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": }}}]}})",
      &crd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ApiextensionsProtoTest, StatusListsAlwaysPrint) {
  // Kubernetes prints the conditions and storedVersions lists even when empty.
  CustomResourceDefinition crd;
  crd.mutable_status();
  absl::StatusOr<std::string> json = EncodeJson(crd);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find(R"("status":{"conditions":[],"storedVersions":[]})"), std::string::npos)
      << *json;
}

}  // namespace
}  // namespace rudder::api::apiextensions::v1
