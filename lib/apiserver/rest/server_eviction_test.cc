// The REST server's pods/eviction subresource.
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

constexpr char kPods[] = "/api/v1/namespaces/default/pods";
constexpr char kPdbs[] = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
constexpr char kEviction[] =
    R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web-0","namespace":"default"},"deleteOptions":{"gracePeriodSeconds":0}})";

TEST(ServerEvictionTest, EvictionHonoursTheBudget) {
  std::unique_ptr<store::Store> store = std::move(*store::NewMemoryStore());
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  ApiServerOptions o;
  o.store = store.get();
  o.scheme = scheme.get();
  auto server = ApiServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client c("127.0.0.1", (*server)->port());

  auto r = c.Get("/api/v1");
  ASSERT_TRUE(r);
  EXPECT_TRUE(absl::StrContains(r->body, R"("name":"pods/eviction")")) << r->body;

  r = c.Post(kPods,
             R"({"metadata":{"name":"web-0","labels":{"app":"web"}},"spec":{"nodeName":"n1",)"
             R"("containers":[{"name":"c","image":"busybox"}]}})",
             "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  r = c.Put(std::string(kPods) + "/web-0/status",
            R"({"metadata":{"name":"web-0"},"spec":{"nodeName":"n1","containers":[{"name":"c",)"
            R"("image":"busybox"}]},"status":{"phase":"Running","conditions":[{"type":"Ready",)"
            R"("status":"True"}]}})",
            "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  r = c.Post(kPdbs,
             R"({"metadata":{"name":"web"},"spec":{"minAvailable":1,"selector":{"matchLabels":)"
             R"({"app":"web"}}}})",
             "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  r = c.Put(std::string(kPdbs) + "/web/status",
            R"({"metadata":{"name":"web"},"spec":{"minAvailable":1,"selector":{"matchLabels":)"
            R"({"app":"web"}}},"status":{"observedGeneration":1,"disruptionsAllowed":0,)"
            R"("currentHealthy":1,"desiredHealthy":1,"expectedPods":1}})",
            "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;

  r = c.Post(std::string(kPods) + "/web-0/eviction", kEviction, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("reason":"TooManyRequests")")) << r->body;
  EXPECT_TRUE(absl::StrContains(
      r->body, "The disruption budget web needs 1 healthy pods and has 1 currently"))
      << r->body;
  EXPECT_EQ(c.Get(std::string(kPods) + "/web-0")->status, 200);

  // Without the budget the pod goes; GET on the subresource is not allowed.
  ASSERT_EQ(c.Delete(std::string(kPdbs) + "/web")->status, 200);
  EXPECT_EQ(c.Get(std::string(kPods) + "/web-0/eviction")->status, 405);
  r = c.Post(std::string(kPods) + "/web-0/eviction", kEviction, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("status":"Success")")) << r->body;
  r = c.Get(std::string(kPods) + "/web-0");
  EXPECT_TRUE(r->status == 404 || absl::StrContains(r->body, "deletionTimestamp")) << r->body;
}

}  // namespace
}  // namespace rudder::apiserver
