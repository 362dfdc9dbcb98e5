#include "lib/sched/cache.h"

#include "gtest/gtest.h"
#include "lib/sched/testing/builders.h"

namespace rudder::sched {
namespace {

using testing::NodeBuilder;
using testing::PodBuilder;

std::shared_ptr<const PodInfo> Info(const Pod& p) { return *PodInfo::Create(p); }
std::shared_ptr<const Node> N(const Node& n) { return std::make_shared<const Node>(n); }

TEST(CacheTest, AssumedPodCountsUntilForgotten) {
  FakeClock clock;
  Cache cache(&clock);
  ASSERT_TRUE(cache.AddNode(N(NodeBuilder("n1").Capacity("4", "8Gi"))).ok());
  auto pod = Info(PodBuilder("p").Req("1", "1Gi"));
  ASSERT_TRUE(cache.AssumePod(pod, "n1").ok());
  EXPECT_TRUE(cache.IsAssumedPod(pod->uid()));
  EXPECT_EQ(cache.AssumePod(pod, "n1").code(), absl::StatusCode::kAlreadyExists);
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Get("n1")->requested().milli_cpu, 1000);
  EXPECT_EQ(snap.Get("n1")->requested().memory, int64_t{1} << 30);
  ASSERT_TRUE(cache.ForgetPod(pod->uid()).ok());
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Get("n1")->requested().milli_cpu, 0);
  EXPECT_EQ(cache.ForgetPod(pod->uid()).code(), absl::StatusCode::kNotFound);
}

TEST(CacheTest, AssumedPodExpiresAfterTtlUnlessConfirmed) {
  FakeClock clock;
  Cache cache(&clock, absl::Seconds(30));
  ASSERT_TRUE(cache.AddNode(N(NodeBuilder("n1").Capacity("4", "8Gi"))).ok());
  auto a = Info(PodBuilder("a").Req("1"));
  auto b = Info(PodBuilder("b").Req("1"));
  ASSERT_TRUE(cache.AssumePod(a, "n1").ok());
  ASSERT_TRUE(cache.AssumePod(b, "n1").ok());
  ASSERT_TRUE(cache.FinishBinding(a->uid()).ok());
  ASSERT_TRUE(cache.FinishBinding(b->uid()).ok());
  // b is confirmed by the informer.
  ASSERT_TRUE(cache.AddPod(Info(PodBuilder("b").Req("1").NodeName("n1"))).ok());
  clock.Advance(absl::Seconds(29));
  EXPECT_EQ(cache.CleanupExpiredAssumedPods(), 0);
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(cache.CleanupExpiredAssumedPods(), 1);
  EXPECT_EQ(cache.NodeOf(a->uid()), "");
  EXPECT_EQ(cache.NodeOf(b->uid()), "n1");
  EXPECT_FALSE(cache.IsAssumedPod(b->uid()));
}

TEST(CacheTest, ConfirmOnOtherNodeMovesPod) {
  FakeClock clock;
  Cache cache(&clock);
  ASSERT_TRUE(cache.AddNode(N(NodeBuilder("n1").Capacity("4", "8Gi"))).ok());
  ASSERT_TRUE(cache.AddNode(N(NodeBuilder("n2").Capacity("4", "8Gi"))).ok());
  auto a = Info(PodBuilder("a").Req("1"));
  ASSERT_TRUE(cache.AssumePod(a, "n1").ok());
  ASSERT_TRUE(cache.AddPod(Info(PodBuilder("a").Req("1").NodeName("n2"))).ok());
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Get("n1")->requested().milli_cpu, 0);
  EXPECT_EQ(snap.Get("n2")->requested().milli_cpu, 1000);
}

TEST(CacheTest, SnapshotIsIncremental) {
  FakeClock clock;
  Cache cache(&clock);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(cache.AddNode(N(NodeBuilder("n" + std::to_string(i)).Capacity("4", "8Gi"))).ok());
  }
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.NumNodes(), 5);
  const NodeInfo* n0 = snap.Get("n0");
  int64_t n0_gen = n0->generation();
  int64_t n3_gen = snap.Get("n3")->generation();
  ASSERT_TRUE(cache.AssumePod(Info(PodBuilder("p").Req("1")), "n3").ok());
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Get("n0"), n0);  // Same object, not re-copied.
  EXPECT_EQ(snap.Get("n0")->generation(), n0_gen);
  EXPECT_GT(snap.Get("n3")->generation(), n3_gen);
  EXPECT_EQ(snap.Get("n3")->pods().size(), 1u);
  // List order is the order nodes were added.
  EXPECT_EQ(snap.List()[3]->name(), "n3");
  ASSERT_TRUE(cache.RemoveNode("n1").ok());
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.NumNodes(), 4);
  EXPECT_EQ(snap.Get("n1"), nullptr);
  EXPECT_EQ(cache.RemoveNode("n1").code(), absl::StatusCode::kNotFound);
}

TEST(CacheTest, ImagesCountedAcrossNodes) {
  FakeClock clock;
  Cache cache(&clock);
  ASSERT_TRUE(cache.AddNode(N(NodeBuilder("a").Image("nginx", 100))).ok());
  ASSERT_TRUE(cache.AddNode(N(NodeBuilder("b").Image("nginx:latest", 100))).ok());
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.ImageNumNodes("nginx:latest"), 2);
  ASSERT_TRUE(cache.RemoveNode("a").ok());
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.ImageNumNodes("nginx:latest"), 1);
}

TEST(CacheTest, MalformedAllocatableIsInvalidArgument) {
  FakeClock clock;
  Cache cache(&clock);
  absl::Status s = cache.AddNode(N(NodeBuilder("a").Capacity("four", "8Gi")));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("status.allocatable[cpu]"), std::string::npos) << s;
  EXPECT_EQ(cache.NumNodes(), 0);
}

TEST(PodInfoTest, RequestsWithInitContainersSidecarsAndOverhead) {
  // containers: 1 cpu + 500m; init: 3 cpu (regular); overhead 100m.
  auto p = Info(PodBuilder("p")
                    .Req("1", "1Gi")
                    .Container("500m", "")
                    .Init("3", "512Mi")
                    .Overhead("100m", "10Mi"));
  EXPECT_EQ(p->requests().milli_cpu, 3100);  // max(1500, 3000) + 100
  EXPECT_EQ(p->requests().memory, (1 << 30) + 10 * (1 << 20));
  // Non-zero: the second container has no memory request -> 200Mi for scoring.
  EXPECT_EQ(p->non_zero_requests().memory, (int64_t{1} << 30) + 200 * (1 << 20) + 10 * (1 << 20));
  // A sidecar (restartPolicy Always) adds to the containers and to later init containers.
  auto s = Info(PodBuilder("s").Req("1").Init("500m", "", true).Init("1", ""));
  // containers 1 + sidecar 0.5 = 1.5; later init 1 + sidecar 0.5 = 1.5.
  EXPECT_EQ(s->requests().milli_cpu, 1500);
  auto s2 = Info(PodBuilder("s2").Req("1").Init("500m", "", true).Init("2", ""));
  EXPECT_EQ(s2->requests().milli_cpu, 2500);
  absl::StatusOr<std::shared_ptr<const PodInfo>> bad =
      PodInfo::Create(PodBuilder("b").Req("x").Build());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("spec.containers[0].resources.requests[cpu]"),
            std::string::npos);
}

}  // namespace
}  // namespace rudder::sched
