// CustomResourceDefinitions over the REST server: what kubectl sees.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr char kCrd[] = R"({
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "crontabs.stable.example.com"},
  "spec": {
    "group": "stable.example.com", "scope": "Namespaced",
    "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
    "versions": [{
      "name": "v1", "served": true, "storage": true,
      "subresources": {"status": {}},
      "additionalPrinterColumns": [
        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}],
      "schema": {"openAPIV3Schema": {
        "type": "object",
        "properties": {
          "spec": {"type": "object", "description": "What the cron tab runs.", "properties": {
            "cronSpec": {"type": "string"},
            "image": {"type": "string", "default": "busybox"},
            "replicas": {"type": "integer", "maximum": 10}}},
          "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}}}}
    }]
  }
})";
constexpr char kCrdPath[] = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
constexpr char kCtPath[] = "/apis/stable.example.com/v1/namespaces/default/crontabs";

class CrdRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    ApiServerOptions o;
    o.store = store_.get();
    o.scheme = scheme_.get();
    absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  // Creates the CRD and waits until it is established (the controller runs in the background;
  // no bound on how long that may take).
  void CreateCrd() {
    auto r = client_->Post(kCrdPath, kCrd, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    while (true) {
      r = client_->Get(std::string(kCrdPath) + "/crontabs.stable.example.com");
      ASSERT_TRUE(r);
      if (absl::StrContains(r->body, R"("type":"Established","status":"True")")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  httplib::Result Patch(const std::string& path, const std::string& body, const char* type) {
    return client_->Patch(path, body, type);
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(CrdRestTest, DiscoveryAndOpenApiShowTheNewResource) {
  CreateCrd();
  auto r = client_->Get("/apis");
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"stable.example.com")")) << r->body;
  r = client_->Get("/apis/stable.example.com/v1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(
      r->body, R"("name":"crontabs","singularName":"crontab","namespaced":true,"kind":"CronTab")"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("shortNames":["ct"])")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"crontabs/status")")) << r->body;
  r = client_->Get("/openapi/v3/apis/stable.example.com/v1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, R"("com.example.stable.v1.CronTab":{)")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("description":"What the cron tab runs.")"));
  EXPECT_TRUE(absl::StrContains(
      r->body,
      R"("x-kubernetes-group-version-kind":[{"group":"stable.example.com","kind":"CronTab",)"
      R"("version":"v1"}])"));
  // Paths (kubectl explain finds the kind through them), without strategic merge patches.
  EXPECT_TRUE(absl::StrContains(
      r->body, R"("/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}":{)"));
  EXPECT_TRUE(
      absl::StrContains(r->body, R"("$ref":"#/components/schemas/com.example.stable.v1.CronTab")"));
  EXPECT_FALSE(absl::StrContains(r->body, "strategic-merge-patch"));
  r = client_->Get("/openapi/v2");
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("com.example.stable.v1.CronTab":{)"));
}

TEST_F(CrdRestTest, CrudPatchWatchAndStatus) {
  CreateCrd();
  // Create: defaults applied, unknown fields pruned.
  auto r = client_->Post(kCtPath,
                         R"({"apiVersion":"stable.example.com/v1","kind":"CronTab",)"
                         R"("metadata":{"name":"a"},"spec":{"cronSpec":"* * * * *","x":1}})",
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_TRUE(
      absl::StrContains(r->body, R"("apiVersion":"stable.example.com/v1","kind":"CronTab")"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("spec":{"cronSpec":"* * * * *","image":"busybox"})"))
      << r->body;
  // fieldValidation=Strict: fields the schema drops are errors (create and patch).
  r = client_->Post(std::string(kCtPath) + "?fieldValidation=Strict",
                    R"({"metadata":{"name":"s"},"spec":{"x":1},"y":2})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_TRUE(absl::StrContains(
      r->body, R"(strict decoding error: unknown field \"spec.x\", unknown field \"y\")"))
      << r->body;
  r = Patch(std::string(kCtPath) + "/a?fieldValidation=Strict", R"({"spec":{"typo":1}})",
            "application/merge-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"(unknown field \"spec.typo\")")) << r->body;
  // Validation: 422 with the field's cause.
  r = client_->Post(kCtPath, R"({"metadata":{"name":"b"},"spec":{"replicas":11}})",
                    "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_TRUE(
      absl::StrContains(r->body, "spec.replicas in body should be less than or equal to 10"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("reason":"Invalid")")) << r->body;
  // Get and list (items carry apiVersion and kind).
  r = client_->Get(std::string(kCtPath) + "/a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = client_->Get("/apis/stable.example.com/v1/crontabs");
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"CronTabList")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("items":[{"apiVersion":"stable.example.com/v1")"))
      << r->body;
  // Merge and JSON patches; strategic merge is 415 for custom resources.
  r = Patch(std::string(kCtPath) + "/a", R"({"spec":{"replicas":2}})",
            "application/merge-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("replicas":2)")) << r->body;
  r = Patch(std::string(kCtPath) + "/a",
            R"([{"op":"replace","path":"/spec/image","value":"nginx"}])",
            "application/json-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("image":"nginx")")) << r->body;
  r = Patch(std::string(kCtPath) + "/a", R"({"spec":{"replicas":3}})",
            "application/strategic-merge-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("reason":"UnsupportedMediaType")")) << r->body;
  // Status subresource.
  r = Patch(std::string(kCtPath) + "/a/status", R"({"status":{"ready":true}})",
            "application/merge-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("status":{"ready":true})")) << r->body;
  // Watch from the start: the object as ADDED.
  r = client_->Get(std::string(kCtPath) + "?watch=true&timeoutSeconds=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(
      r->body,
      R"({"type":"ADDED","object":{"apiVersion":"stable.example.com/v1","kind":"CronTab")"))
      << r->body;
  // Table for kubectl get.
  httplib::Headers h = {{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}};
  r = client_->Get(kCtPath, h);
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"Table")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("cells":["a","* * * * *",")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"({"name":"Spec","type":"string")")) << r->body;
}

TEST_F(CrdRestTest, DeletingTheCrdStopsServing) {
  CreateCrd();
  auto r = client_->Post(kCtPath, R"({"metadata":{"name":"a"},"spec":{}})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  r = client_->Delete(std::string(kCrdPath) + "/crontabs.stable.example.com");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  while (true) {
    r = client_->Get(std::string(kCrdPath) + "/crontabs.stable.example.com");
    ASSERT_TRUE(r);
    if (r->status == 404) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r = client_->Get(kCtPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = client_->Get("/apis/stable.example.com/v1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  // Its objects are gone with it.
  CreateCrd();
  r = client_->Get(std::string(kCtPath) + "/a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace rudder::apiserver
