#include "lib/apiserver/openapi/openapi.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/scheme/builtin.h"
#include "rapidjson/document.h"
#include "rapidjson/pointer.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::apiserver::openapi {
namespace {

rapidjson::Document Parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  EXPECT_FALSE(d.HasParseError()) << s.substr(0, 200);
  return d;
}

// The JSON at `pointer` in `d`, compact; "<none>" when absent.
std::string At(const rapidjson::Document& d, const std::string& pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer.c_str()).Get(d);
  if (v == nullptr) return "<none>";
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v->Accept(w);
  return buf.GetString();
}

class OpenApiTest : public ::testing::Test {
 protected:
  std::unique_ptr<api::Scheme> scheme_ = api::NewBuiltinScheme();
};

constexpr char kS[] = "/components/schemas/";

TEST_F(OpenApiTest, SchemaNamesFollowKubernetes) {
  rapidjson::Document d = Parse(BuildV3Document(*scheme_, "apps", "v1"));
  for (const char* name :
       {"io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.DeploymentList",
        "io.k8s.api.core.v1.PodSpec", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "io.k8s.apimachinery.pkg.api.resource.Quantity",
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time"}) {
    EXPECT_NE(At(d, std::string(kS) + name), "<none>") << name;
  }
}

TEST_F(OpenApiTest, SpecialTypes) {
  rapidjson::Document d = Parse(BuildV3Document(*scheme_, "", "v1"));
  EXPECT_EQ(At(d, std::string(kS) + "io.k8s.apimachinery.pkg.api.resource.Quantity"),
            R"({"type":"string"})");
  EXPECT_EQ(At(d, std::string(kS) + "io.k8s.apimachinery.pkg.util.intstr.IntOrString"),
            R"({"type":"string","format":"int-or-string"})");
  EXPECT_EQ(At(d, std::string(kS) + "io.k8s.apimachinery.pkg.apis.meta.v1.Time"),
            R"({"type":"string","format":"date-time"})");
  // A Time property refers to the schema, without an object default.
  EXPECT_EQ(
      At(d, std::string(kS) + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta/properties/"
                              "creationTimestamp"),
      R"({"allOf":[{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time"}]})");
  // bytes are base64 strings.
  EXPECT_EQ(At(d, std::string(kS) + "io.k8s.api.core.v1.Secret/properties/data"),
            R"({"type":"object","additionalProperties":{"type":"string","format":"byte"}})");
}

TEST_F(OpenApiTest, MapsAndScalars) {
  rapidjson::Document d = Parse(BuildV3Document(*scheme_, "", "v1"));
  const std::string req = std::string(kS) + "io.k8s.api.core.v1.ResourceRequirements/properties/";
  EXPECT_EQ(
      At(d, req + "limits"),
      R"({"type":"object","additionalProperties":{"allOf":[{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}]}})");
  EXPECT_EQ(At(d, std::string(kS) + "io.k8s.api.core.v1.ConfigMap/properties/data"),
            R"({"type":"object","additionalProperties":{"type":"string"}})");
  EXPECT_EQ(At(d, std::string(kS) + "io.k8s.api.core.v1.Container/properties/stdin"),
            R"({"type":"boolean"})");
  EXPECT_EQ(At(d, std::string(kS) + "io.k8s.api.core.v1.ContainerPort/properties/containerPort"),
            R"({"type":"integer","format":"int32"})");
}

TEST_F(OpenApiTest, InlineFieldsAreMerged) {
  rapidjson::Document d = Parse(BuildV3Document(*scheme_, "", "v1"));
  const std::string vol = std::string(kS) + "io.k8s.api.core.v1.Volume/properties/";
  EXPECT_NE(At(d, vol + "configMap"), "<none>");
  EXPECT_NE(At(d, vol + "emptyDir"), "<none>");
  EXPECT_EQ(At(d, vol + "volumeSource"), "<none>");
  EXPECT_EQ(At(d, std::string(kS) + "io.k8s.api.core.v1.VolumeSource"), "<none>");
}

TEST_F(OpenApiTest, PatchExtensions) {
  rapidjson::Document d = Parse(BuildV3Document(*scheme_, "", "v1"));
  const std::string c = std::string(kS) + "io.k8s.api.core.v1.PodSpec/properties/containers";
  EXPECT_EQ(At(d, c + "/type"), R"("array")");
  EXPECT_EQ(At(d, c + "/x-kubernetes-patch-merge-key"), R"("name")");
  EXPECT_EQ(At(d, c + "/x-kubernetes-patch-strategy"), R"("merge")");
  EXPECT_EQ(
      At(d, c + "/items"),
      R"({"allOf":[{"$ref":"#/components/schemas/io.k8s.api.core.v1.Container"}],"default":{}})");
}

TEST_F(OpenApiTest, GroupVersionKindAndTypeMeta) {
  rapidjson::Document d = Parse(BuildV3Document(*scheme_, "apps", "v1"));
  const std::string dep = std::string(kS) + "io.k8s.api.apps.v1.Deployment";
  EXPECT_EQ(At(d, dep + "/x-kubernetes-group-version-kind"),
            R"([{"group":"apps","kind":"Deployment","version":"v1"}])");
  EXPECT_EQ(At(d, dep + "/properties/kind"), R"({"type":"string"})");
  EXPECT_EQ(
      At(d, dep + "/properties/spec"),
      R"({"allOf":[{"$ref":"#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}],"default":{}})");
  EXPECT_EQ(
      At(d, std::string(kS) + "io.k8s.api.apps.v1.DeploymentSpec/x-kubernetes-group-version-kind"),
      "<none>");
  // Only apps/v1 kinds' paths; core kinds are in the core document.
  EXPECT_EQ(At(d, "/paths/~1api~1v1~1namespaces~1{namespace}~1pods"), "<none>");
}

TEST_F(OpenApiTest, EveryRefResolves) {
  for (auto [g, v] : scheme_->GroupVersions()) {
    std::string s = BuildV3Document(*scheme_, g, v);
    rapidjson::Document d = Parse(s);
    size_t pos = 0;
    while ((pos = s.find("\"$ref\":\"#", pos)) != std::string::npos) {
      pos += 8;
      std::string ref = s.substr(pos, s.find('"', pos) - pos);
      EXPECT_NE(At(d, ref.substr(1)), "<none>") << g << "/" << v << " " << ref;
    }
  }
}

TEST_F(OpenApiTest, PathsCarryActionsAndFieldValidation) {
  rapidjson::Document d = Parse(BuildV3Document(*scheme_, "apps", "v1"));
  const std::string item = "/paths/~1apis~1apps~1v1~1namespaces~1{namespace}~1deployments~1{name}";
  EXPECT_EQ(At(d, item + "/patch/x-kubernetes-action"), R"("patch")");
  EXPECT_EQ(At(d, item + "/patch/x-kubernetes-group-version-kind"),
            R"({"group":"apps","kind":"Deployment","version":"v1"})");
  EXPECT_NE(At(d, item + "/put"), "<none>");
  EXPECT_NE(At(d, item + "/delete"), "<none>");
  EXPECT_NE(At(d, item + "/get"), "<none>");
  EXPECT_NE(At(d, "/paths/~1apis~1apps~1v1~1namespaces~1{namespace}~1deployments/post"), "<none>");
  bool field_validation = false;
  const rapidjson::Value* params = rapidjson::Pointer((item + "/patch/parameters").c_str()).Get(d);
  ASSERT_NE(params, nullptr);
  for (const auto& p : params->GetArray()) {
    field_validation |= std::string(p["name"].GetString()) == "fieldValidation";
  }
  EXPECT_TRUE(field_validation);
}

TEST_F(OpenApiTest, V2UsesDefinitions) {
  rapidjson::Document d = Parse(BuildV2Document(*scheme_));
  EXPECT_EQ(At(d, "/swagger"), R"("2.0")");
  EXPECT_EQ(At(d, "/definitions/io.k8s.api.apps.v1.Deployment/properties/spec"),
            R"({"$ref":"#/definitions/io.k8s.api.apps.v1.DeploymentSpec"})");
  EXPECT_NE(At(d, "/definitions/io.k8s.api.core.v1.Pod"), "<none>");
}

TEST_F(OpenApiTest, ServiceRootHashAndEtag) {
  OpenApiService svc(scheme_.get());
  OpenApiResponse root = svc.Serve({.path = "/openapi/v3"});
  ASSERT_EQ(root.status, 200);
  rapidjson::Document d = Parse(root.body);
  std::string url = d["paths"]["apis/apps/v1"]["serverRelativeURL"].GetString();
  ASSERT_TRUE(url.rfind("/openapi/v3/apis/apps/v1?hash=", 0) == 0) << url;
  std::string hash = url.substr(url.find('=') + 1);
  EXPECT_NE(At(d, "/paths/api~1v1"), "<none>");

  OpenApiResponse gv = svc.Serve({.path = "/openapi/v3/apis/apps/v1", .hash = hash});
  ASSERT_EQ(gv.status, 200);
  EXPECT_EQ(gv.content_type, "application/json");
  EXPECT_EQ(gv.headers["ETag"], "\"" + hash + "\"");
  EXPECT_EQ(gv.headers["Cache-Control"], "public, immutable, max-age=31536000");

  OpenApiResponse again =
      svc.Serve({.path = "/openapi/v3/apis/apps/v1", .if_none_match = "\"" + hash + "\""});
  EXPECT_EQ(again.status, 304);
  OpenApiResponse stale = svc.Serve({.path = "/openapi/v3/apis/apps/v1", .hash = "0BAD"});
  EXPECT_EQ(stale.status, 301);
  EXPECT_EQ(stale.headers["Location"], url);
  EXPECT_EQ(svc.Serve({.path = "/openapi/v3/apis/nope/v1"}).status, 404);
  EXPECT_EQ(svc.Serve({.path = "/openapi/v4"}).status, 404);
}

TEST_F(OpenApiTest, ServiceV2ByAccept) {
  OpenApiService svc(scheme_.get());
  OpenApiResponse pb =
      svc.Serve({.path = "/openapi/v2",
                 .accept = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"});
  EXPECT_EQ(pb.status, 200);
  EXPECT_EQ(pb.content_type, "application/octet-stream");
  EXPECT_EQ(pb.body, "");
  OpenApiResponse js = svc.Serve({.path = "/openapi/v2", .accept = "application/json"});
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "application/json");
  EXPECT_NE(js.body.find("\"swagger\":\"2.0\""), std::string::npos);
}

TEST_F(OpenApiTest, RegeneratesWhenSchemeChanges) {
  OpenApiService svc(scheme_.get());
  std::string before = svc.Serve({.path = "/openapi/v3"}).body;
  EXPECT_EQ(before.find("apis/example.com/v1"), std::string::npos);
  api::KindInfo k;
  k.gvk = {"example.com", "v1", "Widget"};
  k.plural = "widgets";
  k.singular = "widget";
  k.descriptor = api::meta::v1::ObjectMeta::descriptor();
  ASSERT_TRUE(scheme_->Register(k).ok());
  std::string after = svc.Serve({.path = "/openapi/v3"}).body;
  EXPECT_NE(after.find("apis/example.com/v1"), std::string::npos);
  OpenApiResponse gv = svc.Serve({.path = "/openapi/v3/apis/example.com/v1"});
  EXPECT_EQ(gv.status, 200);
  EXPECT_NE(gv.body.find("\"kind\":\"Widget\""), std::string::npos);
}

TEST_F(OpenApiTest, ConcurrentServesAgree) {
  OpenApiService svc(scheme_.get());
  std::vector<std::string> bodies(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { bodies[i] = svc.Serve({.path = "/openapi/v3"}).body; });
  }
  for (auto& t : threads) t.join();
  for (const auto& b : bodies) EXPECT_EQ(b, bodies[0]);
}

}  // namespace
}  // namespace rudder::apiserver::openapi
