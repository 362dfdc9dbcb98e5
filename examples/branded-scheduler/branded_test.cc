#include "examples/branded-scheduler/branded.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/sched/testing/builders.h"

namespace branded {
namespace {

using rudder::FakeClock;
using rudder::sched::Node;
using rudder::sched::Pod;
using rudder::sched::RecordingBinder;
using rudder::sched::Scheduler;
using rudder::sched::SchedulerOptions;
using rudder::sched::testing::NodeBuilder;
using rudder::sched::testing::PodBuilder;
using ::testing::UnorderedElementsAre;

std::string ConfigFile() {
  std::ifstream in("examples/branded-scheduler/scheduler-config.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Node GpuNode(const std::string& name, const std::string& gpus) {
  return NodeBuilder(name).Capacity("32", "128Gi").Allocatable(kGpuResource, gpus);
}

Pod GpuPod(const std::string& name, const std::string& gpus) {
  return PodBuilder(name).SchedulerName("branded-scheduler").Request(kGpuResource, gpus);
}

Pod GangPod(const std::string& name, const std::string& gang, int size) {
  return PodBuilder(name)
      .SchedulerName("branded-scheduler")
      .Request(kGpuResource, "1")
      .Label(kGangLabel, gang)
      .Label(kGangSizeLabel, std::to_string(size));
}

class BrandedTest : public ::testing::Test {
 protected:
  void Start() {
    SchedulerOptions o;
    o.binder = &binder_;
    o.clock = &clock_;
    o.binding_workers = 0;
    auto s = NewBrandedScheduler(ConfigFile(), &registry_, std::move(o));
    ASSERT_TRUE(s.ok()) << s.status();
    sched_ = *std::move(s);
  }
  // Schedules every pod in activeQ.
  void Drain() {
    while (sched_->ScheduleOne().has_value()) {
    }
  }
  std::string NodeOf(const std::string& pod) {
    for (const auto& [p, n] : binder_.Bindings()) {
      if (p == pod) return n;
    }
    return "";
  }

  rudder::sched::PluginRegistry registry_ = BrandedRegistry();
  FakeClock clock_;
  RecordingBinder binder_;
  std::unique_ptr<Scheduler> sched_;
};

TEST_F(BrandedTest, ConfigHasTwoProfiles) {
  Start();
  EXPECT_THAT(sched_->ProfileNames(),
              ::testing::ElementsAre("default-scheduler", "branded-scheduler"));
}

TEST_F(BrandedTest, BadGangArgsAreRejected) {
  std::string bad = ConfigFile();
  bad.replace(bad.find("timeoutSeconds: 30"), 18, "timeoutSeconds: -1");
  SchedulerOptions o;
  o.binder = &binder_;
  auto s = NewBrandedScheduler(bad, &registry_, std::move(o));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), ::testing::HasSubstr("timeoutSeconds"));
}

TEST_F(BrandedTest, GpuPackingPicksTheLeastWaste) {
  Start();
  for (const Node& n : {GpuNode("gpu-8", "8"), GpuNode("gpu-4", "4"), GpuNode("gpu-2", "2"),
                        GpuNode("gpu-1", "1")}) {
    ASSERT_TRUE(sched_->AddNode(n).ok());
  }
  // 2 GPUs: gpu-2 leaves none idle.
  ASSERT_TRUE(sched_->AddPod(GpuPod("a", "2")).ok());
  Drain();
  EXPECT_EQ(NodeOf("default/a"), "gpu-2");
  // 3 GPUs: gpu-4 (1 idle) beats gpu-8 (5 idle).
  ASSERT_TRUE(sched_->AddPod(GpuPod("b", "3")).ok());
  Drain();
  EXPECT_EQ(NodeOf("default/b"), "gpu-4");
  // 1 GPU: gpu-1 and the rest of gpu-4 both leave none idle; gpu-8 is never chosen.
  ASSERT_TRUE(sched_->AddPod(GpuPod("c", "1")).ok());
  Drain();
  EXPECT_THAT(NodeOf("default/c"), ::testing::AnyOf("gpu-1", "gpu-4"));
  // 6 GPUs: only gpu-8 fits.
  ASSERT_TRUE(sched_->AddPod(GpuPod("d", "6")).ok());
  Drain();
  EXPECT_EQ(NodeOf("default/d"), "gpu-8");
}

TEST_F(BrandedTest, DefaultProfilePodsAreNotPacked) {
  Start();
  ASSERT_TRUE(sched_->AddNode(GpuNode("gpu-8", "8")).ok());
  ASSERT_TRUE(sched_->AddNode(GpuNode("gpu-2", "2")).ok());
  // The default profile spreads by LeastAllocated: the pod goes where more GPUs are free.
  ASSERT_TRUE(sched_->AddPod(PodBuilder("plain").Request(kGpuResource, "2")).ok());
  Drain();
  EXPECT_EQ(NodeOf("default/plain"), "gpu-8");
}

TEST_F(BrandedTest, GangOfThreeBindsTogether) {
  Start();
  ASSERT_TRUE(sched_->AddNode(GpuNode("g1", "2")).ok());
  ASSERT_TRUE(sched_->AddNode(GpuNode("g2", "2")).ok());
  ASSERT_TRUE(sched_->AddPod(GangPod("w0", "train", 3)).ok());
  ASSERT_TRUE(sched_->AddPod(GangPod("w1", "train", 3)).ok());
  ASSERT_TRUE(sched_->ScheduleOne().has_value());
  ASSERT_TRUE(sched_->ScheduleOne().has_value());
  // Two members reserved, waiting at Permit: nothing bound yet.
  EXPECT_EQ(binder_.Count(), 0u);
  int waiting = 0;
  sched_->handle()->IterateOverWaitingPods([&](rudder::sched::WaitingPod*) { ++waiting; });
  EXPECT_EQ(waiting, 2);
  ASSERT_TRUE(sched_->AddPod(GangPod("w2", "train", 3)).ok());
  ASSERT_TRUE(sched_->ScheduleOne().has_value());
  sched_->WaitForBindings();
  EXPECT_EQ(binder_.Count(), 3u);
  std::vector<std::string> pods;
  for (const auto& [p, n] : binder_.Bindings()) pods.push_back(p);
  EXPECT_THAT(pods, UnorderedElementsAre("default/w0", "default/w1", "default/w2"));
}

TEST_F(BrandedTest, GangWithRoomForTwoBindsNoneAndReturnsToTheQueue) {
  Start();
  ASSERT_TRUE(sched_->AddNode(GpuNode("g1", "1")).ok());
  ASSERT_TRUE(sched_->AddNode(GpuNode("g2", "1")).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sched_->AddPod(GangPod("w" + std::to_string(i), "train", 3)).ok());
  }
  Drain();  // Two members wait at Permit; the third fits nowhere.
  EXPECT_EQ(binder_.Count(), 0u);
  EXPECT_EQ(sched_->queue().NumUnschedulable(), 1);
  int waiting = 0;
  sched_->handle()->IterateOverWaitingPods([&](rudder::sched::WaitingPod*) { ++waiting; });
  EXPECT_EQ(waiting, 2);
  // The timeout passes: both waiting members are rejected and requeued.
  clock_.Advance(absl::Seconds(31));
  sched_->WaitForBindings();
  EXPECT_EQ(binder_.Count(), 0u);
  waiting = 0;
  sched_->handle()->IterateOverWaitingPods([&](rudder::sched::WaitingPod*) { ++waiting; });
  EXPECT_EQ(waiting, 0);
  for (int i = 0; i < 3; ++i) {
    std::string where = sched_->queue().WhereIs("uid-default-w" + std::to_string(i));
    EXPECT_THAT(where, ::testing::AnyOf("unschedulable", "backoff", "active")) << i;
  }
  EXPECT_EQ(sched_->queue().NumUnschedulable() + sched_->queue().NumBackoff() +
                sched_->queue().NumActive(),
            3);
  // Their reservations were released: the nodes are free again.
  EXPECT_EQ(sched_->cache().NumPods(), 0);
}

}  // namespace
}  // namespace branded
