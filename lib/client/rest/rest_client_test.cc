// REST-specific behaviour; the shared semantics are in lib/client/conformance.
#include "lib/client/rest/rest_client.h"

#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/base/mutex.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::client {
namespace {

TEST(KubeconfigTest, CurrentContextServerAndToken) {
  absl::StatusOr<RestClientOptions> o = ParseKubeconfig(R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: local
  cluster:
    server: http://127.0.0.1:8080/
- name: remote
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: /etc/ca.pem
contexts:
- name: dev
  context: {cluster: local, user: me}
- name: prod
  context: {cluster: remote, user: me}
users:
- name: me
  user:
    token: s3cret
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server, "http://127.0.0.1:8080");
  EXPECT_EQ(o->bearer_token, "s3cret");
  EXPECT_TRUE(o->certificate_authority_file.empty());

  absl::StatusOr<RestClientOptions> prod = ParseKubeconfig(R"(
clusters:
- name: remote
  cluster: {server: "https://10.0.0.1:6443", certificate-authority: /etc/ca.pem}
contexts:
- name: prod
  context: {cluster: remote}
)",
                                                           "prod");
  ASSERT_TRUE(prod.ok()) << prod.status();
  EXPECT_EQ(prod->server, "https://10.0.0.1:6443");
  EXPECT_EQ(prod->certificate_authority_file, "/etc/ca.pem");
}

TEST(KubeconfigTest, Errors) {
  EXPECT_EQ(ParseKubeconfig("clusters: [").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseKubeconfig("current-context: x\ncontexts: []").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseKubeconfig(R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h", certificate-authority-data: AAAA}}]
contexts: [{name: c, context: {cluster: k}}]
)")
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(LoadKubeconfig("/nonexistent/kubeconfig").status().code(), absl::StatusCode::kNotFound);
}

TEST(RestClientTest, RejectsMalformedServer) {
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  EXPECT_EQ(NewRestClient({.server = "127.0.0.1:80"}, scheme.get()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewRestClient({.server = "http://h:1/api"}, scheme.get()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RestClientTest, UnreachableServerIsUnavailable) {
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  // Port 1 on loopback refuses connections.
  absl::StatusOr<std::unique_ptr<Client>> c =
      NewRestClient({.server = "http://127.0.0.1:1"}, scheme.get());
  ASSERT_TRUE(c.ok()) << c.status();
  auto kind = scheme->ByResource({"", "v1", "configmaps"});
  EXPECT_EQ((*c)->Get(*kind, "default", "x").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*c)->Watch(*kind, "default", {}).status().code(), absl::StatusCode::kUnavailable);
}

TEST(RestClientTest, QueryParametersAreEscaped) {
  std::unique_ptr<store::Store> store = *store::NewMemoryStore();
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> server =
      apiserver::ApiServer::Start({.store = store.get(), .scheme = scheme.get()});
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::unique_ptr<Client>> c =
      NewRestClient({.server = absl::StrCat("http://127.0.0.1:", (*server)->port())}, scheme.get());
  ASSERT_TRUE(c.ok()) << c.status();
  TypedClient<api::core::v1::ConfigMap> cms(c->get());
  api::core::v1::ConfigMap cm;
  cm.mutable_metadata()->set_name("a");
  cm.mutable_metadata()->set_namespace_("ns");
  (*cm.mutable_metadata()->mutable_labels())["tier"] = "web";
  auto created = cms.Create(cm);
  ASSERT_TRUE(created.ok()) << created.status();
  cm.mutable_metadata()->set_name("b");
  (*cm.mutable_metadata()->mutable_labels())["tier"] = "other";
  created = cms.Create(cm);
  ASSERT_TRUE(created.ok()) << created.status();
  // Spaces, parentheses, commas and '=' in selectors reach the server intact.
  ListOptions o;
  o.label_selector = "tier in (other,x)";
  absl::StatusOr<TypedList<api::core::v1::ConfigMap>> list = cms.List("ns", o);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0]->metadata().name(), "b");
  o.label_selector = "tier notin (other)";
  o.field_selector = "metadata.name=a";
  list = cms.List("ns", o);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0]->metadata().name(), "a");
}

TEST(RestClientTest, DryRun) {
  std::unique_ptr<store::Store> store = *store::NewMemoryStore();
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> server =
      apiserver::ApiServer::Start({.store = store.get(), .scheme = scheme.get()});
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::unique_ptr<Client>> c =
      NewRestClient({.server = absl::StrCat("http://127.0.0.1:", (*server)->port())}, scheme.get());
  ASSERT_TRUE(c.ok()) << c.status();
  TypedClient<api::core::v1::ConfigMap> cms(c->get());
  api::core::v1::ConfigMap cm;
  cm.mutable_metadata()->set_name("a");
  absl::StatusOr<std::unique_ptr<api::core::v1::ConfigMap>> dry = cms.Create(cm, {.dry_run = true});
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ((*dry)->metadata().name(), "a");
  EXPECT_EQ(cms.Get("default", "a").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(cms.Create(cm).ok());
  EXPECT_TRUE(cms.Delete("default", "a", {.dry_run = true}).ok());
  EXPECT_TRUE(cms.Get("default", "a").ok());
}

// A server answering every GET of pods in namespace "ns" with a fixed body, recording the
// client port of each request (one port: one kept-alive connection).
class StubServer {
 public:
  explicit StubServer(std::string body) : body_(std::move(body)) {
    server_.Get("/api/v1/namespaces/ns/pods",
                [this](const httplib::Request& req, httplib::Response& res) {
                  {
                    MutexLock l(&mu_);
                    ports_.insert(req.remote_port);
                  }
                  res.set_content(body_, "application/json");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~StubServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  size_t connections() {
    MutexLock l(&mu_);
    return ports_.size();
  }

 private:
  const std::string body_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  Mutex mu_;
  std::set<int> ports_ ABSL_GUARDED_BY(mu_);
};

TEST(RestClientTest, ListDecodesItemsIntoTheKindsMessagesOnOneConnection) {
  // Kubernetes' form: items may carry kind and apiVersion; unknown fields are dropped.
  StubServer server(R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42",)"
                    R"("continue":"next","remainingItemCount":3},"items":[)"
                    R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"ns"},)"
                    R"("spec":{"nodeName":"n1"},"extra":{"x":[1]}},)"
                    R"({"metadata":{"name":"b","namespace":"ns"}}]})");
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  absl::StatusOr<std::unique_ptr<Client>> c = NewRestClient({.server = server.url()}, scheme.get());
  ASSERT_TRUE(c.ok()) << c.status();
  std::shared_ptr<const api::KindInfo> pods = scheme->ByResource({"", "v1", "pods"});
  ASSERT_NE(pods, nullptr);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<ListResult> list = (*c)->List(*pods, "ns", {});
    ASSERT_TRUE(list.ok()) << list.status();
    ASSERT_EQ(list->items.size(), 2u);
    const auto* a = dynamic_cast<const api::core::v1::Pod*>(list->items[0].get());
    const auto* b = dynamic_cast<const api::core::v1::Pod*>(list->items[1].get());
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(a->metadata().name(), "a");
    EXPECT_EQ(a->spec().nodename(), "n1");
    EXPECT_EQ(b->metadata().name(), "b");
    EXPECT_EQ(list->resource_version, 42);
    EXPECT_EQ(list->continue_token, "next");
    EXPECT_EQ(list->remaining, 3);
  }
  EXPECT_EQ(server.connections(), 1u);
}

TEST(RestClientTest, ListWithAMalformedItemIsDataLoss) {
  StubServer server(R"({"metadata":{},"items":[{"metadata":{"name":"a"}},)"
                    R"({"metadata":{"name":5}}]})");
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  absl::StatusOr<std::unique_ptr<Client>> c = NewRestClient({.server = server.url()}, scheme.get());
  ASSERT_TRUE(c.ok()) << c.status();
  std::shared_ptr<const api::KindInfo> pods = scheme->ByResource({"", "v1", "pods"});
  absl::StatusOr<ListResult> list = (*c)->List(*pods, "ns", {});
  EXPECT_EQ(list.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(list.status().message(), "metadata.name")) << list.status();
}

}  // namespace
}  // namespace rudder::client
