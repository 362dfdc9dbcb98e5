// The REST server's admission, authorization, dryRun, delete options and deletecollection.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/auth.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr char kCmPath[] = "/api/v1/namespaces/default/configmaps";
constexpr char kPodPath[] = "/api/v1/namespaces/default/pods";

std::string Cm(const std::string& name, const std::string& app) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","labels":{"app":")" + app + R"("}}})";
}

class ServerAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
  }

  void Start(std::shared_ptr<admission::Authorizer> authorizer = nullptr) {
    ApiServerOptions o;
    o.store = store_.get();
    o.scheme = scheme_.get();
    o.admission = admission::NewDefaultChain();
    o.authorizer = std::move(authorizer);
    absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  int Status(const std::string& path) {
    auto r = client_->Get(path);
    return r ? r->status : -1;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerAdmissionTest, DryRunStoresNothing) {
  Start();
  auto r = client_->Post(std::string(kCmPath) + "?dryRun=All", Cm("d", "x"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"d")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("uid":")")) << r->body;
  EXPECT_EQ(Status(std::string(kCmPath) + "/d"), 404);

  r = client_->Post(std::string(kCmPath) + "?dryRun=Some", Cm("d", "x"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, R"(dryRun: Unsupported value: \"Some\")")) << r->body;

  ASSERT_EQ(client_->Post(kCmPath, Cm("d", "x"), "application/json")->status, 201);
  r = client_->Patch(std::string(kCmPath) + "/d?dryRun=All", R"({"data":{"k":"v"}})",
                     "application/merge-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, R"("data":{"k":"v"})")) << r->body;
  r = client_->Get(std::string(kCmPath) + "/d");
  EXPECT_FALSE(absl::StrContains(r->body, R"("data")")) << r->body;

  r = client_->Delete(std::string(kCmPath) + "/d", R"({"dryRun":["All"]})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Status(std::string(kCmPath) + "/d"), 200);
}

TEST_F(ServerAdmissionTest, DryRunScale) {
  Start();
  auto r = client_->Post("/apis/apps/v1/namespaces/default/deployments",
                         R"({"metadata":{"name":"web"},"spec":{"replicas":1,)"
                         R"("selector":{"matchLabels":{"app":"web"}},"template":{"metadata":)"
                         R"({"labels":{"app":"web"}},"spec":{"containers":[{"name":"c",)"
                         R"("image":"busybox"}]}}}})",
                         "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  r = client_->Patch("/apis/apps/v1/namespaces/default/deployments/web/scale?dryRun=All",
                     R"({"spec":{"replicas":4}})", "application/merge-patch+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("replicas":4)")) << r->body;
  r = client_->Get("/apis/apps/v1/namespaces/default/deployments/web/scale");
  EXPECT_TRUE(absl::StrContains(r->body, R"("spec":{"replicas":1})")) << r->body;
}

TEST_F(ServerAdmissionTest, DeleteAnswersAndPropagation) {
  Start();
  ASSERT_EQ(client_->Post(kCmPath, Cm("a", "x"), "application/json")->status, 201);
  auto r = client_->Delete(std::string(kCmPath) + "/a", R"({"propagationPolicy":"Background"})",
                           "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StartsWith(
      r->body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"a","kind":"configmaps","uid":")"))
      << r->body;

  ASSERT_EQ(client_->Post(kCmPath, Cm("b", "x"), "application/json")->status, 201);
  r = client_->Delete(std::string(kCmPath) + "/b?propagationPolicy=Foreground");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, R"("finalizers":["foregroundDeletion"])")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("deletionTimestamp":")")) << r->body;
  // The deprecated orphanDependents=false asks for cascading deletion: 202 while it remains.
  ASSERT_EQ(client_->Post(kCmPath, Cm("c", "x"), "application/json")->status, 201);
  r = client_->Delete(std::string(kCmPath) + "/c",
                      R"({"orphanDependents":false,"gracePeriodSeconds":0})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);  // nothing kept it: deleted
  r = client_->Delete(std::string(kCmPath) + "/b", R"({"orphanDependents":false})",
                      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;  // Background: the finalizer goes and so does b

  // Pods answer with the pod itself.
  r = client_->Post(
      kPodPath,
      R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}})",
      "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("serviceAccountName":"default")")) << r->body;
  r = client_->Delete(std::string(kPodPath) + "/p");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StartsWith(r->body, R"({"kind":"Pod")")) << r->body;
  EXPECT_EQ(Status(std::string(kPodPath) + "/p"), 404);
  // A scheduled pod stays for its node agent: the answer is the pod, 202 when the client
  // asked for cascading deletion with orphanDependents=false.
  r = client_->Post(kPodPath,
                    R"({"metadata":{"name":"s"},"spec":{"nodeName":"n1",)"
                    R"("containers":[{"name":"c","image":"busybox"}]}})",
                    "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  r = client_->Delete(std::string(kPodPath) + "/s", R"({"orphanDependents":false})",
                      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_TRUE(absl::StrContains(r->body, R"("deletionGracePeriodSeconds":30)")) << r->body;
  EXPECT_EQ(Status(std::string(kPodPath) + "/s"), 200);
}

TEST_F(ServerAdmissionTest, DeleteCollectionWithSelector) {
  Start();
  for (const char* n : {"a1", "a2"}) {
    ASSERT_EQ(client_->Post(kCmPath, Cm(n, "a"), "application/json")->status, 201);
  }
  ASSERT_EQ(client_->Post(kCmPath, Cm("b1", "b"), "application/json")->status, 201);
  auto r = client_->Delete(std::string(kCmPath) + "?labelSelector=app%3Da");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(absl::StartsWith(r->body, R"({"kind":"ConfigMapList","apiVersion":"v1")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"a1")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"a2")")) << r->body;
  EXPECT_EQ(Status(std::string(kCmPath) + "/a1"), 404);
  EXPECT_EQ(Status(std::string(kCmPath) + "/b1"), 200);
  // deletecollection is in discovery.
  r = client_->Get("/api/v1");
  EXPECT_TRUE(absl::StrContains(r->body, R"("verbs":["create","delete","deletecollection")"))
      << r->body;
}

TEST_F(ServerAdmissionTest, AdmissionErrorsAreStatuses) {
  Start();
  auto r = client_->Post("/api/v1/namespaces/nope/configmaps", Cm("a", "x"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(absl::StrContains(r->body, R"("message":"namespaces \"nope\" not found")"))
      << r->body;
  r = client_->Delete("/api/v1/namespaces/kube-system");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);  // no object to delete
}

TEST_F(ServerAdmissionTest, NamespaceTerminationAndFinalize) {
  Start();
  auto r =
      client_->Post("/api/v1/namespaces", R"({"metadata":{"name":"team"}})", "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  r = client_->Delete("/api/v1/namespaces/team");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, R"("phase":"Terminating")")) << r->body;
  r = client_->Post("/api/v1/namespaces/team/configmaps", Cm("a", "x"), "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(absl::StrContains(r->body, "because it is being terminated")) << r->body;
  r = client_->Put("/api/v1/namespaces/team/finalize",
                   R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"},)"
                   R"("spec":{"finalizers":[]}})",
                   "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Status("/api/v1/namespaces/team"), 404);
  r = client_->Get("/api/v1");
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"namespaces/finalize")")) << r->body;
}

TEST_F(ServerAdmissionTest, AuthorizerDenies) {
  Start(admission::NewAlwaysDenyAuthorizer());
  auto r = client_->Get(kCmPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(absl::StrContains(
      r->body,
      R"("message":"configmaps is forbidden: User \"system:anonymous\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"","reason":"Forbidden")"))
      << r->body;
  r = client_->Get("/version");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

}  // namespace
}  // namespace rudder::apiserver
