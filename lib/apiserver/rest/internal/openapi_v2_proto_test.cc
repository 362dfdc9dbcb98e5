#include "lib/apiserver/rest/internal/openapi_v2_proto.h"

#include <string>

#include "gtest/gtest.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/openapi/openapi.h"
#include "lib/apiserver/rest/internal/openapi_v2.pb.h"

namespace rudder::apiserver::rest_internal {
namespace {

namespace pb = rest::openapiv2;

const pb::Schema* Definition(const pb::Document& doc, const std::string& name) {
  for (const auto& n : doc.definitions().additional_properties()) {
    if (n.name() == name) return &n.value();
  }
  return nullptr;
}

const pb::Schema* Property(const pb::Schema& s, const std::string& name) {
  for (const auto& n : s.properties().additional_properties()) {
    if (n.name() == name) return &n.value();
  }
  return nullptr;
}

TEST(SwaggerJsonToProto, ConvertsSchemasAndExtensions) {
  const std::string json = R"({
    "swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.33"},
    "definitions": {
      "io.k8s.api.apps.v1.Deployment": {
        "type": "object", "description": "a deployment", "required": ["spec"],
        "properties": {
          "spec": {"$ref": "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"},
          "labels": {"type": "object", "additionalProperties": {"type": "string"}},
          "ports": {"type": "array", "items": {"type": "integer", "format": "int32",
                    "minimum": 1, "maximum": 65535}},
          "mode": {"type": "string", "enum": ["A", "B"], "default": "A"},
          "strategy": {"allOf": [{"$ref": "#/definitions/S"}],
                       "x-kubernetes-patch-strategy": "retainKeys"}
        },
        "x-kubernetes-group-version-kind": [{"group": "apps", "kind": "Deployment",
                                             "version": "v1"}]
      }
    }
  })";
  absl::StatusOr<std::string> bytes = SwaggerJsonToProto(json);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  pb::Document doc;
  ASSERT_TRUE(doc.ParseFromString(*bytes));
  EXPECT_EQ(doc.swagger(), "2.0");
  EXPECT_EQ(doc.info().version(), "v1.33");
  const pb::Schema* d = Definition(doc, "io.k8s.api.apps.v1.Deployment");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->type().value(0), "object");
  EXPECT_EQ(d->description(), "a deployment");
  EXPECT_EQ(d->required(0), "spec");
  ASSERT_EQ(d->vendor_extension_size(), 1);
  EXPECT_EQ(d->vendor_extension(0).name(), "x-kubernetes-group-version-kind");
  EXPECT_EQ(d->vendor_extension(0).value().yaml(),
            R"([{"group":"apps","kind":"Deployment","version":"v1"}])");
  EXPECT_EQ(Property(*d, "spec")->_ref(), "#/definitions/io.k8s.api.apps.v1.DeploymentSpec");
  EXPECT_EQ(Property(*d, "labels")->additional_properties().schema().type().value(0), "string");
  const pb::Schema& item = Property(*d, "ports")->items().schema(0);
  EXPECT_EQ(item.format(), "int32");
  EXPECT_EQ(item.maximum(), 65535);
  const pb::Schema* mode = Property(*d, "mode");
  ASSERT_EQ(mode->enum__size(), 2);
  EXPECT_EQ(mode->enum_(1).yaml(), R"("B")");
  EXPECT_EQ(mode->default_().yaml(), R"("A")");
  // A lone allOf reference becomes a $ref with its siblings, as swagger 2.0 writes it.
  const pb::Schema* strategy = Property(*d, "strategy");
  EXPECT_EQ(strategy->_ref(), "#/definitions/S");
  EXPECT_EQ(strategy->all_of_size(), 0);
  EXPECT_EQ(strategy->vendor_extension(0).name(), "x-kubernetes-patch-strategy");
}

TEST(SwaggerJsonToProto, ConvertsOperations) {
  const std::string json = R"({"swagger": "2.0", "paths": {
    "/apis/apps/v1/namespaces/{namespace}/deployments/{name}": {
      "patch": {"operationId": "patchAppsV1Deployment",
        "parameters": [
          {"name": "name", "in": "path", "required": true, "type": "string"},
          {"name": "dryRun", "in": "query", "type": "string"},
          {"name": "body", "in": "body", "required": true, "schema": {"type": "object"}}],
        "responses": {"200": {"description": "OK",
          "schema": {"$ref": "#/definitions/io.k8s.api.apps.v1.Deployment"}}},
        "x-kubernetes-action": "patch"}}}})";
  absl::StatusOr<std::string> bytes = SwaggerJsonToProto(json);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  pb::Document doc;
  ASSERT_TRUE(doc.ParseFromString(*bytes));
  ASSERT_EQ(doc.paths().path_size(), 1);
  const pb::Operation& op = doc.paths().path(0).value().patch();
  EXPECT_EQ(op.operation_id(), "patchAppsV1Deployment");
  ASSERT_EQ(op.parameters_size(), 3);
  EXPECT_EQ(op.parameters(0).parameter().non_body_parameter().path_parameter_sub_schema().name(),
            "name");
  EXPECT_EQ(op.parameters(1).parameter().non_body_parameter().query_parameter_sub_schema().name(),
            "dryRun");
  EXPECT_TRUE(op.parameters(2).parameter().body_parameter().required());
  EXPECT_EQ(op.responses().response_code(0).name(), "200");
  EXPECT_EQ(op.responses().response_code(0).value().response().schema().schema()._ref(),
            "#/definitions/io.k8s.api.apps.v1.Deployment");
  EXPECT_EQ(op.vendor_extension(0).value().yaml(), R"("patch")");
}

TEST(SwaggerJsonToProto, RejectsMalformedInput) {
  EXPECT_EQ(SwaggerJsonToProto("{\"swagger\":").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SwaggerJsonToProto("[1,2]").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SwaggerJsonToProto, ConvertsTheBuiltinDocument) {
  auto scheme = api::NewBuiltinScheme();
  absl::StatusOr<std::string> bytes = SwaggerJsonToProto(openapi::BuildV2Document(*scheme));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  pb::Document doc;
  ASSERT_TRUE(doc.ParseFromString(*bytes));
  EXPECT_NE(Definition(doc, "io.k8s.api.core.v1.Pod"), nullptr);
  EXPECT_GT(doc.paths().path_size(), 10);
}

}  // namespace
}  // namespace rudder::apiserver::rest_internal
