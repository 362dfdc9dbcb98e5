#include "lib/store/etcd/testing/etcd_cluster.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace rudder::store::testing {
namespace {

TEST(EtcdClusterTest, MissingBinaryIsUnavailable) {
  EtcdClusterOptions options;
  options.etcd_binary = "/nonexistent/etcd";
  EXPECT_EQ(EtcdCluster::Start(options).status().code(), absl::StatusCode::kUnavailable);
}

TEST(EtcdClusterTest, MemberExitingAtStartupIsAborted) {
  EtcdClusterOptions options;
  options.etcd_binary = "/bin/false";
  EXPECT_EQ(EtcdCluster::Start(options).status().code(), absl::StatusCode::kAborted);
}

TEST(EtcdClusterTest, SingleMemberStartsAndStops) {
  auto cluster = EtcdCluster::Start({});
  if (absl::IsUnavailable(cluster.status())) GTEST_SKIP() << cluster.status();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_EQ((*cluster)->size(), 1);
  EXPECT_TRUE((*cluster)->IsRunning(0));
  auto leader = (*cluster)->Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  EXPECT_EQ(*leader, 0);
}

TEST(EtcdClusterTest, ThreeMembersSurviveLeaderKillAndRestart) {
  EtcdClusterOptions options;
  options.members = 3;
  auto cluster = EtcdCluster::Start(options);
  if (absl::IsUnavailable(cluster.status())) GTEST_SKIP() << cluster.status();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ((*cluster)->ClientEndpoints().size(), 3u);
  auto leader = (*cluster)->Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  ASSERT_TRUE((*cluster)->Kill(*leader).ok());
  EXPECT_FALSE((*cluster)->IsRunning(*leader));
  EXPECT_EQ((*cluster)->Kill(*leader).code(), absl::StatusCode::kFailedPrecondition);
  // The two survivors elect a new leader among themselves.
  ASSERT_TRUE((*cluster)->WaitHealthy(absl::Seconds(30)).ok());
  auto next = (*cluster)->Leader();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_NE(*next, *leader);
  ASSERT_TRUE((*cluster)->Restart(*leader).ok());
  EXPECT_TRUE((*cluster)->IsRunning(*leader));
}

}  // namespace
}  // namespace rudder::store::testing
