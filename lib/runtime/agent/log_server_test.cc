#include "lib/runtime/agent/log_server.h"

#include <deque>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/apiserver/rest/pod_log.h"
#include "lib/apiserver/rest/pod_log_proxy.h"
#include "lib/base/mutex.h"

namespace rudder::runtime::agent {
namespace {

using apiserver::PodLogOptions;
using apiserver::PodLogStream;

// A source with one fixed line; in follow mode it then streams lines pushed by the test until
// Close(), and records whether its reader was cancelled (the client went away).
class FakeSource : public apiserver::PodLogSource {
 public:
  absl::StatusOr<std::unique_ptr<PodLogStream>> OpenLog(const std::string& ns,
                                                        const std::string& name,
                                                        const PodLogOptions& o) override {
    MutexLock l(&mu_);
    last_ = o;
    last_pod_ = absl::StrCat(ns, "/", name);
    if (o.container == "missing") {
      return absl::InvalidArgumentError("container \"missing\" is not valid for pod p");
    }
    return std::unique_ptr<PodLogStream>(new FakeStream(this, absl::StrCat(name, " one\n")));
  }
  void Push(std::string line) {
    MutexLock l(&mu_);
    pending_.push_back(std::move(line));
    cv_.SignalAll();
  }
  void Close() {
    MutexLock l(&mu_);
    closed_ = true;
    cv_.SignalAll();
  }
  void WaitCancelled() {
    MutexLock l(&mu_);
    while (!cancelled_) cv_.Wait(&mu_);
  }
  PodLogOptions last() {
    MutexLock l(&mu_);
    return last_;
  }
  std::string last_pod() {
    MutexLock l(&mu_);
    return last_pod_;
  }

 private:
  class FakeStream : public PodLogStream {
   public:
    FakeStream(FakeSource* src, std::string first) : src_(src), first_(std::move(first)) {}
    absl::Status Stream(const std::function<bool(std::string_view)>& sink,
                        const std::function<bool()>& cancelled) override {
      if (!sink(first_)) return absl::OkStatus();
      MutexLock l(&src_->mu_);
      if (!src_->last_.follow) return absl::OkStatus();
      for (;;) {
        while (src_->pending_.empty() && !src_->closed_) {
          src_->cv_.WaitWithTimeout(&src_->mu_, absl::Milliseconds(50));
          if (cancelled()) {
            src_->cancelled_ = true;
            src_->cv_.SignalAll();
            return absl::OkStatus();
          }
        }
        if (src_->pending_.empty()) return absl::OkStatus();
        std::string line = std::move(src_->pending_.front());
        src_->pending_.pop_front();
        if (!sink(line)) return absl::OkStatus();
      }
    }

   private:
    FakeSource* src_;
    std::string first_;
  };

  Mutex mu_;
  CondVar cv_;
  PodLogOptions last_ ABSL_GUARDED_BY(mu_);
  std::string last_pod_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

class LogServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LogServerOptions o;
    o.source = &source_;
    o.bearer_token = "s3cret";
    absl::StatusOr<std::unique_ptr<LogServer>> s = LogServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    endpoint_ = {"127.0.0.1", server_->port()};
  }
  httplib::Headers Auth(const std::string& token = "s3cret") {
    return {{"Authorization", "Bearer " + token}};
  }
  // Reads a whole log through the API server's client side.
  absl::StatusOr<std::string> ReadAll(const std::string& pod, const PodLogOptions& o,
                                      const std::string& token = "s3cret") {
    absl::StatusOr<std::unique_ptr<PodLogStream>> s =
        apiserver::OpenNodeLog(endpoint_, "default", pod, o, {.bearer_token = token});
    if (!s.ok()) return s.status();
    std::string got;
    absl::Status st = (*s)->Stream(
        [&](std::string_view c) {
          got.append(c);
          return true;
        },
        [] { return false; });
    if (!st.ok()) return st;
    return got;
  }

  FakeSource source_;
  std::unique_ptr<LogServer> server_;
  apiserver::NodeLogEndpoint endpoint_;
};

TEST_F(LogServerTest, ServesTheLogWithTheQueryParameters) {
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Get(
      "/containerLogs/default/p/app?previous=true&timestamps=true&tailLines=5&sinceSeconds=60"
      "&limitBytes=100",
      Auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "p one\n");
  PodLogOptions o = source_.last();
  EXPECT_EQ(source_.last_pod(), "default/p");
  EXPECT_EQ(o.container, "app");
  EXPECT_TRUE(o.previous);
  EXPECT_TRUE(o.timestamps);
  EXPECT_FALSE(o.follow);
  EXPECT_EQ(o.tail_lines, 5);
  EXPECT_EQ(o.since_seconds, 60);
  EXPECT_EQ(o.limit_bytes, 100);
  // Without a container the source picks the pod's only one.
  r = c.Get("/containerLogs/kube-system/q", Auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(source_.last_pod(), "kube-system/q");
  EXPECT_EQ(source_.last().container, "");
  // /healthz needs no token.
  r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(LogServerTest, RejectsRequestsWithoutTheToken) {
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Get("/containerLogs/default/p/app");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"Status")")) << r->body;
  r = c.Get("/containerLogs/default/p/app", Auth("wrong"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(source_.last_pod(), "");  // the source was never asked

  // The API server's side names the credentials as the cause.
  absl::StatusOr<std::string> got = ReadAll("p", {}, "wrong");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(got.status().message(), "credentials")) << got.status();
}

TEST_F(LogServerTest, ErrorsAreStatusesTheProxyPassesOn) {
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Get("/containerLogs/default", Auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.Get("/containerLogs/default/p/app?tailLines=x", Auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, "tailLines")) << r->body;

  PodLogOptions o;
  o.container = "missing";
  absl::StatusOr<std::string> got = ReadAll("p", o);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), "container \"missing\" is not valid for pod p");
}

TEST_F(LogServerTest, TheProxyClientReadsWholeLogsAndForwardsOptions) {
  PodLogOptions o;
  o.container = "app";
  o.tail_lines = 3;
  o.timestamps = true;
  o.since_time = absl::FromUnixSeconds(1704164645);
  absl::StatusOr<std::string> got = ReadAll("p", o);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "p one\n");
  PodLogOptions seen = source_.last();
  EXPECT_EQ(seen.container, "app");
  EXPECT_EQ(seen.tail_lines, 3);
  EXPECT_TRUE(seen.timestamps);
  EXPECT_EQ(seen.since_time, absl::FromUnixSeconds(1704164645));
}

TEST_F(LogServerTest, FollowStreamsUntilTheSourceEnds) {
  PodLogOptions o;
  o.follow = true;
  absl::StatusOr<std::unique_ptr<PodLogStream>> s =
      apiserver::OpenNodeLog(endpoint_, "default", "p", o, {.bearer_token = "s3cret"});
  ASSERT_TRUE(s.ok()) << s.status();
  std::string got;
  absl::Status st = (*s)->Stream(
      [&](std::string_view c) {
        got.append(c);
        if (got == "p one\n") source_.Push("two\n");
        if (got == "p one\ntwo\n") source_.Close();
        return true;
      },
      [] { return false; });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(got, "p one\ntwo\n");
}

TEST_F(LogServerTest, AFollowEndsWhenTheClientGoesAway) {
  PodLogOptions o;
  o.follow = true;
  absl::StatusOr<std::unique_ptr<PodLogStream>> s =
      apiserver::OpenNodeLog(endpoint_, "default", "p", o, {.bearer_token = "s3cret"});
  ASSERT_TRUE(s.ok()) << s.status();
  std::string got;
  // The reader stops after the first line and closes its connection.
  ASSERT_TRUE((*s)->Stream(
                      [&](std::string_view c) {
                        got.append(c);
                        return false;
                      },
                      [] { return false; })
                  .ok());
  EXPECT_EQ(got, "p one\n");
  s->reset();
  // No line is due, yet the server's reader is cancelled (it would wait for ever otherwise).
  source_.WaitCancelled();
}

TEST_F(LogServerTest, ShutdownEndsAFollow) {
  PodLogOptions o;
  o.follow = true;
  absl::StatusOr<std::unique_ptr<PodLogStream>> s =
      apiserver::OpenNodeLog(endpoint_, "default", "p", o, {.bearer_token = "s3cret"});
  ASSERT_TRUE(s.ok()) << s.status();
  std::string got;
  absl::Status st = (*s)->Stream(
      [&](std::string_view c) {
        got.append(c);
        server_->Shutdown();  // returns once the follow has ended
        return true;
      },
      [] { return false; });
  EXPECT_EQ(got, "p one\n");
  source_.WaitCancelled();
}

TEST(LogServerStartTest, NeedsASourceAndAFreePort) {
  EXPECT_EQ(LogServer::Start({}).status().code(), absl::StatusCode::kInvalidArgument);
  FakeSource source;
  LogServerOptions o;
  o.source = &source;
  absl::StatusOr<std::unique_ptr<LogServer>> a = LogServer::Start(o);
  ASSERT_TRUE(a.ok()) << a.status();
  o.port = (*a)->port();
  EXPECT_EQ(LogServer::Start(o).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rudder::runtime::agent
