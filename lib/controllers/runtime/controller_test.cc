#include "lib/controllers/runtime/controller.h"

#include <atomic>
#include <map>
#include <set>

#include "gtest/gtest.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::ctrl {
namespace {

using testing::Eventually;

// Wraps the default limiter and records the delays it hands out.
class RecordingLimiter : public workqueue::RateLimiter<Request> {
 public:
  RecordingLimiter(Clock* clock, std::vector<absl::Duration>* out, Mutex* mu)
      : inner_(workqueue::DefaultControllerRateLimiter<Request>(clock)), out_(out), mu_(mu) {}
  absl::Duration When(const Request& r) override {
    absl::Duration d = inner_->When(r);
    MutexLock lock(mu_);
    out_->push_back(d);
    return d;
  }
  void Forget(const Request& r) override { inner_->Forget(r); }
  int NumRequeues(const Request& r) override { return inner_->NumRequeues(r); }

 private:
  std::unique_ptr<workqueue::RateLimiter<Request>> inner_;
  std::vector<absl::Duration>* out_;
  Mutex* mu_;
};

class ControllerTest : public ::testing::Test {
 protected:
  ControllerOptions Options(int workers = 1) {
    ControllerOptions o;
    o.name = "test";
    o.clock = &clock_;
    o.max_concurrent_reconciles = workers;
    o.rate_limiter = [this](Clock* c) {
      return std::make_unique<RecordingLimiter>(c, &delays_, &mu_);
    };
    return o;
  }
  std::vector<absl::Duration> Delays() {
    MutexLock lock(&mu_);
    return delays_;
  }

  FakeClock clock_;
  Mutex mu_;
  std::vector<absl::Duration> delays_;
};

TEST_F(ControllerTest, ReconcilesEnqueuedRequests) {
  std::atomic<int> calls{0};
  Controller c(Options(), ReconcilerFunc([&](const Request& r) -> absl::StatusOr<Result> {
                 EXPECT_EQ(r.String(), "default/a");
                 ++calls;
                 return Result{};
               }));
  c.Enqueue({"", "default", "a"});  // Not running: dropped.
  EXPECT_EQ(c.Metrics().dropped, 1);
  ASSERT_TRUE(c.Start().ok());
  EXPECT_EQ(c.Start().code(), absl::StatusCode::kFailedPrecondition);
  c.Enqueue({"", "default", "a"});
  ASSERT_TRUE(Eventually([&] { return c.Metrics().reconcile_total == 1; }));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(c.Metrics().success, 1);
  EXPECT_TRUE(Delays().empty());
  c.Stop();
  EXPECT_FALSE(c.Running());
}

TEST_F(ControllerTest, ErrorsAreRetriedWithExponentialBackOff) {
  std::atomic<int> calls{0};
  Controller c(Options(), ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
                 if (++calls <= 3) return absl::UnavailableError("not yet");
                 return Result{};
               }));
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue({"", "ns", "x"});
  // Fake time advances only as the test says: 5 ms, 10 ms, 20 ms of back-off.
  ASSERT_TRUE(Eventually([&] { return calls == 4; }, &clock_, absl::Milliseconds(1)));
  ASSERT_TRUE(Eventually([&] { return c.Metrics().reconcile_total == 4; }));
  EXPECT_EQ(Delays(), (std::vector<absl::Duration>{absl::Milliseconds(5), absl::Milliseconds(10),
                                                   absl::Milliseconds(20)}));
  ControllerMetrics m = c.Metrics();
  EXPECT_EQ(m.errors, 3);
  EXPECT_EQ(m.success, 1);

  // Success forgot the back-off: the next failure starts at 5 ms again.
  calls = 0;
  c.Enqueue({"", "ns", "x"});
  ASSERT_TRUE(Eventually([&] { return c.Metrics().reconcile_total == 5; }));
  EXPECT_EQ(Delays().back(), absl::Milliseconds(5));
}

TEST_F(ControllerTest, TerminalErrorsAreNotRetried) {
  Controller c(Options(), ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
                 return TerminalError(absl::InvalidArgumentError("spec.replicas: bad"));
               }));
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue({"", "ns", "x"});
  ASSERT_TRUE(Eventually([&] { return c.Metrics().reconcile_total == 1; }));
  EXPECT_EQ(c.Metrics().terminal_errors, 1);
  EXPECT_TRUE(Delays().empty());
  EXPECT_TRUE(IsTerminalError(TerminalError(absl::InternalError("x"))));
  EXPECT_FALSE(IsTerminalError(absl::InternalError("x")));
}

TEST_F(ControllerTest, RequeueAfterFollowsTheClock) {
  std::atomic<int> calls{0};
  Controller c(Options(), ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
                 ++calls;
                 return Result{.requeue_after = absl::Seconds(30)};
               }));
  ASSERT_TRUE(c.Start().ok());
  absl::Time t0 = clock_.Now();
  c.Enqueue({"", "ns", "x"});
  ASSERT_TRUE(Eventually([&] { return c.Metrics().reconcile_total == 1; }));
  ASSERT_TRUE(Eventually([&] { return calls == 2; }, &clock_, absl::Seconds(1)));
  // The second reconcile came no earlier than 30 fake seconds later.
  EXPECT_GE(clock_.Now() - t0, absl::Seconds(30));
  EXPECT_TRUE(Delays().empty());  // requeue_after is not a rate-limited retry.
  EXPECT_GE(c.Metrics().requeue_after, 1);
}

TEST_F(ControllerTest, RequeueUsesTheRateLimiter) {
  std::atomic<int> calls{0};
  Controller c(Options(), ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
                 return Result{.requeue = ++calls < 3};
               }));
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue({"", "ns", "x"});
  ASSERT_TRUE(
      Eventually([&] { return c.Metrics().reconcile_total == 3; }, &clock_, absl::Milliseconds(1)));
  EXPECT_EQ(Delays(), (std::vector<absl::Duration>{absl::Milliseconds(5), absl::Milliseconds(10)}));
  EXPECT_EQ(c.Metrics().requeue, 2);
}

TEST_F(ControllerTest, WorkersRunDistinctRequestsConcurrentlyButNeverTheSameOne) {
  Mutex mu;
  std::map<std::string, int> running;
  std::atomic<int> max_parallel{0}, parallel{0}, same_key_overlap{0}, total{0};
  Controller c(Options(4), ReconcilerFunc([&](const Request& r) -> absl::StatusOr<Result> {
                 {
                   MutexLock lock(&mu);
                   if (running[r.name]++ > 0) ++same_key_overlap;
                 }
                 int p = ++parallel;
                 int m = max_parallel.load();
                 while (p > m && !max_parallel.compare_exchange_weak(m, p)) {
                 }
                 std::this_thread::sleep_for(std::chrono::milliseconds(1));
                 --parallel;
                 {
                   MutexLock lock(&mu);
                   --running[r.name];
                 }
                 ++total;
                 return Result{};
               }));
  ASSERT_TRUE(c.Start().ok());
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 8; ++i) c.Enqueue({"", "ns", absl::StrCat("o", i)});
  }
  ASSERT_TRUE(Eventually([&] { return c.QueueLength() == 0 && c.Metrics().active_workers == 0; }));
  c.Stop();
  EXPECT_EQ(same_key_overlap.load(), 0);
  EXPECT_LE(max_parallel.load(), 4);
  EXPECT_GE(total.load(), 8);
  EXPECT_LE(total.load(), 160);
}

TEST_F(ControllerTest, StopWaitsForRunningReconcilesAndCanRestart) {
  std::atomic<bool> release{false}, finished{false};
  std::atomic<int> started{0};
  Controller c(Options(), ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
                 ++started;
                 while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                 finished = true;
                 return Result{};
               }));
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue({"", "ns", "a"});
  c.Enqueue({"", "ns", "b"});
  ASSERT_TRUE(Eventually([&] { return started == 1; }));
  std::thread stopper([&] { c.Stop(); });
  ASSERT_TRUE(Eventually([&] { return !c.Running(); }));  // Stop began: "b" will be dropped.
  release = true;
  stopper.join();
  EXPECT_TRUE(finished);
  EXPECT_EQ(started.load(), 1);  // "b" was dropped, not reconciled after Stop.
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue({"", "ns", "c"});
  ASSERT_TRUE(Eventually([&] { return started == 2; }));
}

TEST_F(ControllerTest, ShardsSplitKeys) {
  // Every key belongs to exactly one of three shards, and the split is not degenerate.
  std::map<int, int> per_shard;
  for (int i = 0; i < 300; ++i) {
    int s = ShardOf("ns", absl::StrCat("obj-", i), 3);
    ASSERT_GE(s, 0);
    ASSERT_LT(s, 3);
    ++per_shard[s];
  }
  for (int s = 0; s < 3; ++s) EXPECT_GT(per_shard[s], 50) << s;
  EXPECT_EQ(ShardOf("ns", "x", 1), 0);

  Mutex mu;
  std::set<std::string> seen[3];
  std::vector<std::unique_ptr<Controller>> replicas;
  for (int id = 0; id < 3; ++id) {
    ControllerOptions o = Options();
    o.shard = ShardOptions{3, id};
    replicas.push_back(std::make_unique<Controller>(
        o, ReconcilerFunc([&, id](const Request& r) -> absl::StatusOr<Result> {
          MutexLock lock(&mu);
          seen[id].insert(r.name);
          return Result{};
        })));
    ASSERT_TRUE(replicas.back()->Start().ok());
  }
  for (int i = 0; i < 30; ++i) {
    for (auto& r : replicas) r->Enqueue({"", "ns", absl::StrCat("obj-", i)});
  }
  ASSERT_TRUE(Eventually([&] {
    int64_t n = 0;
    for (auto& r : replicas) n += r->Metrics().reconcile_total;
    return n == 30;
  }));
  MutexLock lock(&mu);
  for (int id = 0; id < 3; ++id) {
    for (const std::string& name : seen[id]) EXPECT_EQ(ShardOf("ns", name, 3), id);
  }
  EXPECT_EQ(seen[0].size() + seen[1].size() + seen[2].size(), 30u);
}

TEST_F(ControllerTest, FilteredRequestsAreDropped) {
  std::atomic<int> calls{0};
  Controller c(Options(), ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
                 ++calls;
                 return Result{};
               }));
  c.SetRequestFilter([](const Request& r) { return r.cluster != "gone"; });
  ASSERT_TRUE(c.Start().ok());
  c.Enqueue({"gone", "ns", "a"});
  c.Enqueue({"here", "ns", "a"});
  ASSERT_TRUE(Eventually([&] { return calls == 1 && c.Metrics().dropped == 1; }));
}

}  // namespace
}  // namespace rudder::ctrl
