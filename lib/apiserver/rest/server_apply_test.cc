// Server-side apply over REST: content type, fieldManager, force, conflicts, managedFields.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr char kApply[] = "application/apply-patch+yaml";
constexpr char kPath[] = "/apis/apps/v1/namespaces/default/deployments/web";
constexpr char kDeployYaml[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox:1.36
)";

class ServerApplyTest : public ::testing::Test {
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

  httplib::Result Apply(const std::string& query, const std::string& body) {
    return client_->Patch(std::string(kPath) + query, body, kApply);
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerApplyTest, CreateConflictForce) {
  auto r = Apply("", kDeployYaml);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_TRUE(absl::StrContains(
      r->body, R"(PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value)"))
      << r->body;

  r = Apply("?fieldManager=kubectl", kDeployYaml);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_TRUE(absl::StrContains(
      r->body,
      R"("managedFields":[{"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1",)"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body,
                                R"("fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{})"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("k:{\"name\":\"c\"}":{".":{})")) << r->body;

  // An Update by another client (its manager from the user agent) takes replicas.
  httplib::Headers ua = {{"User-Agent", "scaler/1.0 (linux)"}};
  r = client_->Patch(kPath, ua, R"({"spec":{"replicas":3}})", "application/merge-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("manager":"scaler","operation":"Update")")) << r->body;

  r = Apply("?fieldManager=kubectl", kDeployYaml);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("reason":"Conflict")")) << r->body;
  EXPECT_TRUE(absl::StrContains(
      r->body,
      R"("causes":[{"reason":"FieldManagerConflict","message":"conflict with \"scaler\" using apps/v1","field":".spec.replicas"}])"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(
      r->body,
      R"("message":"Apply failed with 1 conflict: conflict with \"scaler\" using apps/v1: .spec.replicas")"))
      << r->body;

  r = Apply("?fieldManager=kubectl&force=true", kDeployYaml);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("replicas":2)")) << r->body;
  EXPECT_FALSE(absl::StrContains(r->body, R"("manager":"scaler")")) << r->body;

  // force belongs to apply only.
  r = client_->Patch(std::string(kPath) + "?force=true", R"({})", "application/merge-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "may not be specified for non-apply patch")) << r->body;
}

TEST_F(ServerApplyTest, DryRunAndBadBodies) {
  auto r = Apply("?fieldManager=m&dryRun=All", kDeployYaml);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  r = client_->Get(kPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = Apply("?fieldManager=m", "{not yaml: [");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  r = Apply("?fieldManager=m", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
}

}  // namespace
}  // namespace rudder::apiserver
