// The REST server's pods/binding subresource.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr char kPods[] = "/api/v1/namespaces/default/pods";

std::string Binding(const std::string& pod, const std::string& node) {
  return R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":")" + pod +
         R"("},"target":{"apiVersion":"v1","kind":"Node","name":")" + node + R"("}})";
}

TEST(ServerBindingTest, BindsOnceThenConflicts) {
  std::unique_ptr<store::Store> store = std::move(*store::NewMemoryStore());
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  ApiServerOptions o;
  o.store = store.get();
  o.scheme = scheme.get();
  o.admission = admission::NewDefaultChain();
  auto server = ApiServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client c("127.0.0.1", (*server)->port());

  auto r = c.Get("/api/v1");
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"pods/binding")")) << r->body;

  r = c.Post(
      kPods,
      R"({"metadata":{"name":"web-0"},"spec":{"containers":[{"name":"c","image":"busybox"}]}})",
      "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;

  EXPECT_EQ(c.Get(std::string(kPods) + "/web-0/binding")->status, 405);
  r = c.Post(std::string(kPods) + "/web-0/binding", Binding("web-0", "node-1"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("status":"Success")")) << r->body;
  r = c.Get(std::string(kPods) + "/web-0");
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("nodeName":"node-1")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("type":"PodScheduled")")) << r->body;

  r = c.Post(std::string(kPods) + "/web-0/binding", Binding("web-0", "node-2"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("reason":"Conflict")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"(pod web-0 is already assigned to node \"node-1\")"))
      << r->body;

  r = c.Post(std::string(kPods) + "/missing/binding", Binding("missing", "node-1"),
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  r = c.Post("/api/v1/namespaces/ghost/pods/web-0/binding", Binding("web-0", "node-1"),
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"(namespaces \"ghost\" not found)")) << r->body;
  r = c.Post(std::string(kPods) + "/web-0/binding", "{not json", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  (*server)->Shutdown();
}

}  // namespace
}  // namespace rudder::apiserver
