#include "lib/apiserver/rest/server.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/runtime/runtime.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/base/mutex.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr char kCm[] = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},)"
                       R"("data":{"k":"v"}})";
constexpr char kCmPath[] = "/api/v1/namespaces/default/configmaps";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    ApiServerOptions o;
    o.store = store_.get();
    o.scheme = scheme_.get();
    o.max_body_bytes = 4096;
    absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, Discovery) {
  auto r = client_->Get("/api/v1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"APIResourceList")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"configmaps","singularName":"configmap")"))
      << r->body;
  r = client_->Get("/apis/apps/v1");
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"deployments/status")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"deployments/scale")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("shortNames":["deploy"])")) << r->body;
  r = client_->Get("/apis");
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"apps")")) << r->body;
  r = client_->Get("/apis/nope/v1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(absl::StrContains(r->body, R"("reason":"NotFound")")) << r->body;
}

TEST_F(ServerTest, CreateGetTableAndErrors) {
  auto r = client_->Post(kCmPath, kCm, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  r = client_->Post(kCmPath, kCm, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_TRUE(absl::StrContains(r->body, R"("reason":"AlreadyExists")")) << r->body;
  r = client_->Get(std::string(kCmPath) + "/c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"ConfigMap")")) << r->body;
  httplib::Headers table = {{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}};
  r = client_->Get(kCmPath, table);
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"Table")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("cells":["c",)")) << r->body;
  // Unsupported patch type.
  r = client_->Patch(std::string(kCmPath) + "/c", "{}", "application/apply-patch+cbor");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  // Delete with a failing precondition.
  r = client_->Delete(std::string(kCmPath) + "/c", R"({"preconditions":{"uid":"x"}})",
                      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_TRUE(absl::StrContains(r->body, "Precondition failed")) << r->body;
  // Too large a body.
  r = client_->Post(kCmPath, std::string(5000, ' '), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"Status")")) << r->body;
  // Wrong kind in the body.
  r = client_->Post(kCmPath, R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}})",
                    "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  // Namespaced resources cannot be created without a namespace.
  r = client_->Post("/api/v1/configmaps", kCm, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

// A protobuf body from a Go client carries every by-value field: ObjectMeta's empty strings and
// the zero time of a template's creationTimestamp read back absent (null), as from JSON.
TEST_F(ServerTest, ProtobufBodyReadsBackWithoutGoZeroValues) {
  api::apps::v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_metadata()->set_generatename("");
  d.mutable_metadata()->set_selflink("");
  d.mutable_metadata()->set_namespace_("");
  d.mutable_metadata()->set_uid("");
  d.mutable_metadata()->mutable_creationtimestamp();  // 0 s 0 ns: Go's zero time
  (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
  auto* t = d.mutable_spec()->mutable_template_();
  t->mutable_metadata()->set_generatename("");
  t->mutable_metadata()->mutable_creationtimestamp()->set_seconds(0);
  (*t->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = t->mutable_spec()->add_containers();
  c->set_name("web");
  c->set_image("nginx");
  api::runtime::Unknown u;
  u.mutable_typemeta()->set_apiversion("apps/v1");
  u.mutable_typemeta()->set_kind("Deployment");
  u.set_raw(d.SerializeAsString());
  std::string body = std::string("k8s\0", 4) + u.SerializeAsString();
  const std::string path = "/apis/apps/v1/namespaces/default/deployments";
  auto r = client_->Post(path, body, "application/vnd.kubernetes.protobuf");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  r = client_->Get(path + "/web");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(absl::StrContains(r->body, R"("generateName")")) << r->body;
  EXPECT_FALSE(absl::StrContains(r->body, R"("selfLink")")) << r->body;
  EXPECT_FALSE(absl::StrContains(r->body, "1970-01-01")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("template":{"metadata":{"creationTimestamp":null)"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("namespace":"default")")) << r->body;
}

TEST_F(ServerTest, ShutdownEndsOpenWatches) {
  Mutex mu;
  CondVar cv;
  std::string received;
  bool finished = false;
  std::thread watcher([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(300, 0);
    c.Get(std::string(kCmPath) + "?watch=true", [&](const char* data, size_t n) {
      MutexLock l(&mu);
      received.append(data, n);
      cv.SignalAll();
      return true;
    });
    MutexLock l(&mu);
    finished = true;
    cv.SignalAll();
  });
  auto r = client_->Post(kCmPath, kCm, "application/json");
  ASSERT_TRUE(r);
  {
    MutexLock l(&mu);
    while (!absl::StrContains(received, "\n")) cv.Wait(&mu);
    EXPECT_TRUE(absl::StartsWith(received, R"({"type":"ADDED","object":{"kind":"ConfigMap")"))
        << received;
  }
  server_->Shutdown();
  {
    MutexLock l(&mu);
    while (!finished) cv.Wait(&mu);
  }
  watcher.join();
}

}  // namespace
}  // namespace rudder::apiserver
