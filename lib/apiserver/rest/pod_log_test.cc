#include "lib/apiserver/rest/pod_log.h"

#include <deque>
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

constexpr char kPod[] = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},)"
                        R"("spec":{"containers":[{"name":"app","image":"busybox"}]}})";
constexpr char kLogPath[] = "/api/v1/namespaces/default/pods/p/log";

// A source with a fixed text; in follow mode it also streams lines pushed by the test until
// Close().
class FakeSource : public PodLogSource {
 public:
  absl::StatusOr<std::unique_ptr<PodLogStream>> OpenLog(const std::string& ns,
                                                        const std::string& name,
                                                        const PodLogOptions& o) override {
    MutexLock l(&mu_);
    last_ = o;
    if (o.container == "missing") {
      return absl::InvalidArgumentError("container missing is not valid for pod p");
    }
    return std::unique_ptr<PodLogStream>(
        new FakeStream(this, absl::StrCat(ns, "/", name, " one\n")));
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
  PodLogOptions last() {
    MutexLock l(&mu_);
    return last_;
  }

 private:
  class FakeStream : public PodLogStream {
   public:
    FakeStream(FakeSource* src, std::string first) : src_(src), first_(std::move(first)) {}
    absl::Status Stream(const std::function<bool(std::string_view)>& sink,
                        const std::function<bool()>& cancelled) override {
      if (!sink(first_)) return absl::OkStatus();
      bool follow;
      {
        MutexLock l(&src_->mu_);
        follow = src_->last_.follow;
      }
      while (follow && !cancelled()) {
        std::string line;
        {
          MutexLock l(&src_->mu_);
          while (src_->pending_.empty() && !src_->closed_) {
            src_->cv_.WaitWithTimeout(&src_->mu_, absl::Milliseconds(50));
            if (cancelled()) return absl::OkStatus();
          }
          if (src_->pending_.empty()) return absl::OkStatus();
          line = std::move(src_->pending_.front());
          src_->pending_.pop_front();
        }
        if (!sink(line)) return absl::OkStatus();
      }
      return absl::OkStatus();
    }

   private:
    FakeSource* src_;
    std::string first_;
  };

  Mutex mu_;
  CondVar cv_;
  PodLogOptions last_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

class PodLogTest : public ::testing::Test {
 protected:
  void Start(bool with_source) {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    ApiServerOptions o;
    o.store = store_.get();
    o.scheme = scheme_.get();
    if (with_source) {
      source_ = std::make_shared<FakeSource>();
      o.pod_logs = source_;
    }
    absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    auto r = client_->Post("/api/v1/namespaces/default/pods", kPod, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::shared_ptr<FakeSource> source_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(PodLogTest, ServesTheSourcesTextWithParameters) {
  Start(true);
  auto r = client_->Get(absl::StrCat(
      kLogPath,
      "?container=app&previous=true&timestamps=true&tailLines=5&sinceSeconds=60&limitBytes=100"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "default/p one\n");
  EXPECT_TRUE(absl::StartsWith(r->get_header_value("Content-Type"), "text/plain"));
  PodLogOptions o = source_->last();
  EXPECT_EQ(o.container, "app");
  EXPECT_TRUE(o.previous);
  EXPECT_TRUE(o.timestamps);
  EXPECT_FALSE(o.follow);
  EXPECT_EQ(o.tail_lines, 5);
  EXPECT_EQ(o.since_seconds, 60);
  EXPECT_EQ(o.limit_bytes, 100);
  r = client_->Get(absl::StrCat(kLogPath, "?sinceTime=2024-01-02T03:04:05Z"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(source_->last().since_time.has_value());
  EXPECT_EQ(*source_->last().since_time, absl::FromUnixSeconds(1704164645));
}

TEST_F(PodLogTest, Errors) {
  Start(true);
  auto r = client_->Get("/api/v1/namespaces/default/pods/nope/log");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = client_->Get(absl::StrCat(kLogPath, "?tailLines=x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, "tailLines")) << r->body;
  r = client_->Get(absl::StrCat(kLogPath, "?limitBytes=0"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = client_->Get(absl::StrCat(kLogPath, "?sinceSeconds=5&sinceTime=2024-01-02T03:04:05Z"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = client_->Get(absl::StrCat(kLogPath, "?container=missing"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, "container missing")) << r->body;
  r = client_->Post(kLogPath, "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  r = client_->Get("/api/v1/namespaces/default/configmaps/c/log");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

// Without an in-process source the log comes from the pod's node (pod_log_proxy_test.cc); an
// unscheduled pod has none.
TEST_F(PodLogTest, WithoutSourceAnUnscheduledPodHasNoLog) {
  Start(false);
  auto r = client_->Get(kLogPath);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, R"("kind":"Status")")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "does not have a host assigned")) << r->body;
}

TEST_F(PodLogTest, FollowStreamsUntilTheSourceEnds) {
  Start(true);
  Mutex mu;
  CondVar cv;
  std::string got;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", server_->port());
    auto r = c.Get(absl::StrCat(kLogPath, "?follow=true"), [&](const char* d, size_t n) {
      MutexLock l(&mu);
      got.append(d, n);
      cv.SignalAll();
      return true;
    });
    EXPECT_TRUE(r);
  });
  auto wait_for = [&](const std::string& s) {
    MutexLock l(&mu);
    while (!absl::StrContains(got, s)) cv.Wait(&mu);
  };
  wait_for("one\n");
  source_->Push("two\n");
  wait_for("two\n");
  source_->Push("three\n");
  source_->Close();
  reader.join();
  EXPECT_EQ(got, "default/p one\ntwo\nthree\n");
  EXPECT_TRUE(source_->last().follow);
}

TEST_F(PodLogTest, ShutdownEndsAFollow) {
  Start(true);
  Mutex mu;
  CondVar cv;
  std::string got;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", server_->port());
    c.Get(absl::StrCat(kLogPath, "?follow=true"), [&](const char* d, size_t n) {
      MutexLock l(&mu);
      got.append(d, n);
      cv.SignalAll();
      return true;
    });
  });
  {
    MutexLock l(&mu);
    while (got.empty()) cv.Wait(&mu);
  }
  server_->Shutdown();
  reader.join();
  EXPECT_EQ(got, "default/p one\n");
}

}  // namespace
}  // namespace rudder::apiserver
