#include "lib/apiserver/rest/pod_log_proxy.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/base/mutex.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr char kLogPath[] = "/api/v1/namespaces/default/pods/p/log";

std::string PodJson(const std::string& node) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},)",
                      R"("spec":{"nodeName":")", node,
                      R"(","containers":[{"name":"app","image":"busybox"}]}})");
}

// A port nothing listens on.
int ClosedPort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

// A node's log endpoint: answers /containerLogs with a fixed body (or `status` with a Status),
// recording what it was asked.
class FakeNode {
 public:
  FakeNode() {
    server_.Get("/containerLogs/.*", [this](const httplib::Request& req, httplib::Response& res) {
      MutexLock l(&mu_);
      path_ = req.path;
      auth_ = req.get_header_value("Authorization");
      follow_ = req.has_param("follow") ? req.get_param_value("follow") : "";
      tail_ = req.has_param("tailLines") ? req.get_param_value("tailLines") : "";
      if (status_ != 200) {
        res.status = status_;
        res.set_content(absl::StrCat(R"({"kind":"Status","apiVersion":"v1","status":"Failure",)",
                                     R"("message":"node says no","code":)", status_, "}"),
                        "application/json");
        return;
      }
      res.set_chunked_content_provider("application/octet-stream",
                                       [](size_t, httplib::DataSink& sink) {
                                         sink.write("one\n", 4);
                                         sink.write("two\n", 4);
                                         sink.done();
                                         return true;
                                       });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeNode() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void set_status(int s) {
    MutexLock l(&mu_);
    status_ = s;
  }
  std::string path() {
    MutexLock l(&mu_);
    return path_;
  }
  std::string auth() {
    MutexLock l(&mu_);
    return auth_;
  }
  std::string follow() {
    MutexLock l(&mu_);
    return follow_;
  }
  std::string tail() {
    MutexLock l(&mu_);
    return tail_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  Mutex mu_;
  int status_ ABSL_GUARDED_BY(mu_) = 200;
  std::string path_ ABSL_GUARDED_BY(mu_);
  std::string auth_ ABSL_GUARDED_BY(mu_);
  std::string follow_ ABSL_GUARDED_BY(mu_);
  std::string tail_ ABSL_GUARDED_BY(mu_);
};

// A source serving every pod "local\n".
class LocalSource : public PodLogSource {
 public:
  absl::StatusOr<std::unique_ptr<PodLogStream>> OpenLog(const std::string&, const std::string&,
                                                        const PodLogOptions&) override {
    class S : public PodLogStream {
      absl::Status Stream(const std::function<bool(std::string_view)>& sink,
                          const std::function<bool()>&) override {
        sink("local\n");
        return absl::OkStatus();
      }
    };
    return std::unique_ptr<PodLogStream>(new S);
  }
};

class PodLogProxyTest : public ::testing::Test {
 protected:
  void Start(std::shared_ptr<PodLogSource> local = nullptr, std::string local_node = "") {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    ApiServerOptions o;
    o.store = store_.get();
    o.scheme = scheme_.get();
    o.pod_logs = std::move(local);
    o.pod_logs_node = std::move(local_node);
    o.node_logs.bearer_token = "t0ken";
    absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void CreatePod(const std::string& node) {
    auto r = client_->Post("/api/v1/namespaces/default/pods", PodJson(node), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }
  // Creates node `name` publishing `port` (0: no endpoint) on 127.0.0.1.
  void CreateNode(const std::string& name, int port) {
    std::string node =
        absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")", name, R"("}})");
    auto r = client_->Post("/api/v1/nodes", node, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    std::string status =
        absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")", name,
                     R"("},"status":{"addresses":[{"type":"Hostname","address":"localhost"},)",
                     R"({"type":"InternalIP","address":"127.0.0.1"}],)",
                     R"("daemonEndpoints":{"kubeletEndpoint":{"Port":)", port, "}}}}");
    r = client_->Put(absl::StrCat("/api/v1/nodes/", name, "/status"), status, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(PodLogProxyTest, ReadsThePodsLogFromItsNode) {
  FakeNode node;
  Start();
  CreateNode("n1", node.port());
  CreatePod("n1");
  auto r = client_->Get(absl::StrCat(kLogPath, "?container=app&tailLines=2"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "one\ntwo\n");
  EXPECT_EQ(node.path(), "/containerLogs/default/p/app");
  EXPECT_EQ(node.tail(), "2");
  EXPECT_EQ(node.follow(), "");
  EXPECT_EQ(node.auth(), "Bearer t0ken");

  std::string got;
  r = client_->Get(absl::StrCat(kLogPath, "?follow=true"), [&](const char* d, size_t n) {
    got.append(d, n);
    return true;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(got, "one\ntwo\n");
  EXPECT_EQ(node.path(), "/containerLogs/default/p");  // no container: the node picks
  EXPECT_EQ(node.follow(), "true");
}

TEST_F(PodLogProxyTest, PassesTheNodesErrorsOn) {
  FakeNode node;
  node.set_status(400);
  Start();
  CreateNode("n1", node.port());
  CreatePod("n1");
  auto r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "node says no")) << r->body;
  node.set_status(401);
  r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "credentials")) << r->body;
}

TEST_F(PodLogProxyTest, ANodeWithoutEndpointIsAClearBadRequest) {
  Start();
  CreateNode("n1", 0);
  CreatePod("n1");
  auto r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"Status")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "node \\\"n1\\\" publishes no log endpoint")) << r->body;
}

TEST_F(PodLogProxyTest, ANodeThatDoesNotAnswerIsUnavailable) {
  Start();
  CreateNode("n1", ClosedPort());
  CreatePod("n1");
  auto r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "cannot reach the log endpoint")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "ServiceUnavailable")) << r->body;
}

TEST_F(PodLogProxyTest, UnscheduledPodsAndMissingNodes) {
  Start();
  CreatePod("");
  auto r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "pod p does not have a host assigned")) << r->body;
  r = client_->Delete("/api/v1/namespaces/default/pods/p?gracePeriodSeconds=0");
  ASSERT_TRUE(r);
  CreatePod("gone");
  r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "gone")) << r->body;
}

TEST_F(PodLogProxyTest, PodsOfTheInProcessNodeUseTheLocalSource) {
  FakeNode node;
  Start(std::make_shared<LocalSource>(), "here");
  CreateNode("n1", node.port());
  CreatePod("here");
  auto r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "local\n");
  EXPECT_EQ(node.path(), "");
  r = client_->Delete("/api/v1/namespaces/default/pods/p?gracePeriodSeconds=0");
  ASSERT_TRUE(r);
  CreatePod("n1");
  r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "one\ntwo\n");
  EXPECT_EQ(node.path(), "/containerLogs/default/p");
}

TEST(NodeLogEndpointTest, PrefersInternalIp) {
  api::core::v1::Node n;
  n.mutable_metadata()->set_name("n");
  EXPECT_EQ(NodeLogEndpointOf(n).status().code(), absl::StatusCode::kInvalidArgument);
  n.mutable_status()->mutable_daemonendpoints()->mutable_kubeletendpoint()->set_port(10250);
  EXPECT_EQ(NodeLogEndpointOf(n).status().code(), absl::StatusCode::kInvalidArgument);
  auto* a = n.mutable_status()->add_addresses();
  a->set_type("Hostname");
  a->set_address("n.example");
  a = n.mutable_status()->add_addresses();
  a->set_type("InternalIP");
  a->set_address("10.0.0.7");
  absl::StatusOr<NodeLogEndpoint> ep = NodeLogEndpointOf(n);
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->host, "10.0.0.7");
  EXPECT_EQ(ep->port, 10250);
}

TEST(PodLogQueryTest, EncodeIsTheInverseOfParse) {
  PodLogOptions o;
  EXPECT_EQ(EncodePodLogQuery(o), "");
  o.follow = o.previous = o.timestamps = true;
  o.tail_lines = 0;
  o.since_time = absl::FromUnixMillis(1704164645250);
  o.limit_bytes = 7;
  std::string q = EncodePodLogQuery(o);
  httplib::Params params;
  httplib::detail::parse_query_text(q, params);
  absl::StatusOr<PodLogOptions> back = ParsePodLogQuery([&](const char* k) {
    auto it = params.find(k);
    return it == params.end() ? std::string() : it->second;
  });
  ASSERT_TRUE(back.ok()) << back.status() << " " << q;
  EXPECT_TRUE(back->follow && back->previous && back->timestamps);
  EXPECT_EQ(back->tail_lines, 0);
  EXPECT_EQ(back->since_time, o.since_time);
  EXPECT_EQ(back->limit_bytes, 7);
  EXPECT_FALSE(back->since_seconds.has_value());
  EXPECT_EQ(ParsePodLogQuery([](const char* k) { return std::string(k) == "follow" ? "yes" : ""; })
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::apiserver
