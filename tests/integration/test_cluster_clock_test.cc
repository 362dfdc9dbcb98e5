// The reconcile framework on TestCluster's fake clock: error back-off, requeue-after and
// leader-election leases fire exactly when the test advances the clock to them, with no sleeps.
#include <atomic>
#include <memory>

#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/manager.h"
#include "lib/testing/test_cluster.h"

namespace rudder::ctrl {
namespace {

using api::core::v1::ConfigMap;
using rudder::testing::ControllerContext;
using rudder::testing::RunningController;
using rudder::testing::TestCluster;
using rudder::testing::TestClusterOptions;

std::unique_ptr<TestCluster> Start(TestClusterOptions o = {}) {
  absl::StatusOr<std::unique_ptr<TestCluster>> tc = TestCluster::Start(std::move(o));
  EXPECT_TRUE(tc.ok()) << tc.status();
  return tc.ok() ? *std::move(tc) : nullptr;
}

TEST(TestClusterClockTest, BackOffAndRequeueAfterFireExactlyWhenDue) {
  std::unique_ptr<TestCluster> tc = Start();
  ASSERT_NE(tc, nullptr);
  std::atomic<int> calls{0};
  ASSERT_TRUE(Builder(tc->manager())
                  .For<ConfigMap>()
                  .Complete(ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
                    int n = ++calls;
                    if (n <= 3) return absl::UnavailableError("not yet");
                    if (n == 4) return Result{.requeue_after = absl::Minutes(1)};
                    return Result{};
                  }))
                  .ok());
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("default");
  cm.mutable_metadata()->set_name("cm");
  ASSERT_TRUE(client::TypedClient<ConfigMap>(tc->client()).Create(cm).ok());
  ASSERT_TRUE(tc->WaitForQuiescence().ok());
  EXPECT_EQ(calls.load(), 1);

  // Back-off of the default rate limiter: 5 ms, 10 ms, 20 ms; then requeue_after 1 min.
  struct Step {
    absl::Duration advance;
    int calls;
  };
  const Step steps[] = {
      {absl::Milliseconds(4), 1}, {absl::Milliseconds(1), 2},   {absl::Milliseconds(9), 2},
      {absl::Milliseconds(1), 3}, {absl::Milliseconds(19), 3},  {absl::Milliseconds(1), 4},
      {absl::Seconds(59), 4},     {absl::Milliseconds(999), 4}, {absl::Milliseconds(1), 5},
      {absl::Hours(1), 5},
  };
  absl::Duration total;
  for (const Step& s : steps) {
    ASSERT_TRUE(tc->Advance(s.advance).ok());
    total += s.advance;
    EXPECT_EQ(calls.load(), s.calls) << "after " << total;
  }
}

TEST(TestClusterClockTest, LeaseFailoverBetweenTwoManagersFollowsTheFakeClock) {
  client::Client* controllers = nullptr;
  TestClusterOptions o;
  o.controllers = {
      {"capture",
       [&](const ControllerContext& ctx) -> absl::StatusOr<std::unique_ptr<RunningController>> {
         controllers = ctx.client;
         return nullptr;
       }}};
  std::unique_ptr<TestCluster> tc = Start(std::move(o));
  ASSERT_NE(tc, nullptr);
  ASSERT_NE(controllers, nullptr);
  auto options = [&](const std::string& id) {
    ManagerOptions m;
    m.clock = tc->clock();
    m.leader_election.enabled = true;
    m.leader_election.lease_name = "failover";
    m.leader_election.identity = id;
    m.leader_election.release_on_cancel = false;  // a vanishes: b must wait the lease out.
    return m;                                     // 15 s lease, 10 s renew, 2 s retry.
  };
  absl::StatusOr<std::unique_ptr<Manager>> a = Manager::New(controllers, options("a"));
  absl::StatusOr<std::unique_ptr<Manager>> b = Manager::New(controllers, options("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  // Each replica runs a controller that needs leadership.
  std::atomic<int> reconciled[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    Manager* m = i == 0 ? a->get() : b->get();
    ASSERT_TRUE(
        Builder(m)
            .For<ConfigMap>()
            .Complete(ReconcilerFunc([&reconciled, i](const Request&) -> absl::StatusOr<Result> {
              ++reconciled[i];
              return Result{};
            }))
            .ok());
  }
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("default");
  cm.mutable_metadata()->set_name("cm");
  ASSERT_TRUE(client::TypedClient<ConfigMap>(tc->client()).Create(cm).ok());

  // Quiescence covers the campaign and the start of a's controllers: no clock advance needed.
  ASSERT_TRUE((*a)->Start().ok());
  ASSERT_TRUE(tc->WaitForQuiescence().ok());
  ASSERT_TRUE((*a)->IsLeader());
  EXPECT_EQ(reconciled[0].load(), 1);
  ASSERT_TRUE((*b)->Start().ok());
  // a renews every retry period: b stays a follower however long the test runs.
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(tc->Advance(absl::Seconds(1)).ok());
    ASSERT_FALSE((*b)->IsLeader()) << "after " << i + 1 << " s";
    ASSERT_TRUE((*a)->IsLeader());
  }
  EXPECT_EQ(reconciled[1].load(), 0);

  (*a)->Stop();
  // a renewed at most a retry period (2 s) before it stopped: its lease lasts at least 13 s
  // more. b, polling every 2-4.4 s (jittered), saw that renewal at most 4.4 s after it was
  // made, counts the 15 s lease from then, and takes the lease at its first poll after that:
  // at most 4.4 + 15 + 4.4 s after a stopped.
  int seconds = 0;
  while (!(*b)->IsLeader() && seconds < 60) {
    absl::Status advanced = tc->Advance(absl::Seconds(1));
    ASSERT_TRUE(advanced.ok()) << advanced;
    ++seconds;
  }
  EXPECT_TRUE((*b)->IsLeader());
  EXPECT_GE(seconds, 13);
  EXPECT_LE(seconds, 24);
  // b's controller started with the lease and caught up from its cache.
  ASSERT_TRUE(tc->WaitForQuiescence().ok());
  EXPECT_EQ(reconciled[1].load(), 1);
  EXPECT_EQ(reconciled[0].load(), 1);
  (*b)->Stop();
}

}  // namespace
}  // namespace rudder::ctrl
