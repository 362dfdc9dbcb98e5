#include "lib/sched/queue.h"

#include "gtest/gtest.h"
#include "lib/sched/testing/builders.h"

namespace rudder::sched {
namespace {

using testing::PodBuilder;

std::shared_ptr<const PodInfo> Info(const Pod& p) { return *PodInfo::Create(p); }

QueueOptions Opts(FakeClock* clock) {
  QueueOptions o;
  o.clock = clock;
  o.events["NodeResourcesFit"] = {
      {{EventResource::kNode, kAdd | kUpdateNodeAllocatable, ""}, nullptr},
      {{EventResource::kAssignedPod, kDelete, ""}, nullptr}};
  o.events["NodeAffinity"] = {{{EventResource::kNode, kAdd | kUpdateNodeLabel, ""}, nullptr}};
  return o;
}

TEST(QueueTest, PopsByPriorityThenTime) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  ASSERT_TRUE(q.Add(Info(PodBuilder("low").Priority(1))).ok());
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(q.Add(Info(PodBuilder("high").Priority(10))).ok());
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(q.Add(Info(PodBuilder("low2").Priority(1))).ok());
  EXPECT_EQ(q.Add(Info(PodBuilder("low2"))).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(q.TryPop()->pod().metadata().name(), "high");
  EXPECT_EQ(q.TryPop()->pod().metadata().name(), "low");
  EXPECT_EQ(q.TryPop()->pod().metadata().name(), "low2");
  EXPECT_EQ(q.TryPop(), nullptr);
}

TEST(QueueTest, BackoffDoublesAndCaps) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  EXPECT_EQ(q.BackoffDuration(1), absl::Seconds(1));
  EXPECT_EQ(q.BackoffDuration(2), absl::Seconds(2));
  EXPECT_EQ(q.BackoffDuration(4), absl::Seconds(8));
  EXPECT_EQ(q.BackoffDuration(5), absl::Seconds(10));
  EXPECT_EQ(q.BackoffDuration(50), absl::Seconds(10));
}

TEST(QueueTest, ErrorGoesToBackoffAndReturnsAfterIt) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  ASSERT_TRUE(q.Add(Info(PodBuilder("p"))).ok());
  auto p = q.TryPop();
  int64_t cycle = q.SchedulingCycle();
  p->attempts = 2;  // second attempt: 2 s back-off
  q.AddUnschedulableIfNotPresent(std::move(p), cycle);
  EXPECT_EQ(q.WhereIs("uid-default-p"), "backoff");
  clock.Advance(absl::Milliseconds(1999));
  q.FlushBackoffQCompleted();
  EXPECT_EQ(q.WhereIs("uid-default-p"), "backoff");
  clock.Advance(absl::Milliseconds(1));
  q.FlushBackoffQCompleted();
  EXPECT_EQ(q.WhereIs("uid-default-p"), "active");
}

TEST(QueueTest, EventsMoveOnlyInterestedPods) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  ASSERT_TRUE(q.Add(Info(PodBuilder("fit"))).ok());
  ASSERT_TRUE(q.Add(Info(PodBuilder("aff"))).ok());
  for (int i = 0; i < 2; ++i) {
    auto p = q.TryPop();
    int64_t cycle = q.SchedulingCycle();
    p->unschedulable_plugins.insert(p->pod().metadata().name() == "fit" ? "NodeResourcesFit"
                                                                        : "NodeAffinity");
    q.AddUnschedulableIfNotPresent(std::move(p), cycle);
  }
  EXPECT_EQ(q.NumUnschedulable(), 2);
  // A label change helps only NodeAffinity.
  q.MoveAllToActiveOrBackoffQueue({EventResource::kNode, kUpdateNodeLabel, "NodeUpdate"});
  EXPECT_EQ(q.WhereIs("uid-default-aff"), "backoff");  // still backing off (1 s)
  EXPECT_EQ(q.WhereIs("uid-default-fit"), "unschedulable");
  // A taint change helps neither.
  q.MoveAllToActiveOrBackoffQueue({EventResource::kNode, kUpdateNodeTaint, "NodeUpdate"});
  EXPECT_EQ(q.WhereIs("uid-default-fit"), "unschedulable");
  // An assigned pod deleted frees resources; past the back-off it goes straight to activeQ.
  clock.Advance(absl::Seconds(5));
  q.MoveAllToActiveOrBackoffQueue({EventResource::kAssignedPod, kDelete, "AssignedPodDelete"});
  EXPECT_EQ(q.WhereIs("uid-default-fit"), "active");
}

TEST(QueueTest, EventDuringAttemptSendsPodToBackoff) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  ASSERT_TRUE(q.Add(Info(PodBuilder("p"))).ok());
  auto p = q.TryPop();
  int64_t cycle = q.SchedulingCycle();
  q.MoveAllToActiveOrBackoffQueue({EventResource::kNode, kAdd, "NodeAdd"});
  p->unschedulable_plugins.insert("NodeAffinity");
  q.AddUnschedulableIfNotPresent(std::move(p), cycle);
  EXPECT_EQ(q.WhereIs("uid-default-p"), "backoff");
}

TEST(QueueTest, LeftoverFlushAfterFiveMinutes) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  ASSERT_TRUE(q.Add(Info(PodBuilder("p"))).ok());
  auto p = q.TryPop();
  int64_t cycle = q.SchedulingCycle();
  p->unschedulable_plugins.insert("NodeAffinity");
  q.AddUnschedulableIfNotPresent(std::move(p), cycle);
  clock.Advance(absl::Minutes(5));
  q.FlushUnschedulableLeftover();
  EXPECT_EQ(q.WhereIs("uid-default-p"), "unschedulable");
  clock.Advance(absl::Seconds(1));
  q.FlushUnschedulableLeftover();
  EXPECT_EQ(q.WhereIs("uid-default-p"), "active");
}

TEST(QueueTest, PreEnqueueGatesUntilUpdate) {
  FakeClock clock;
  QueueOptions o = Opts(&clock);
  o.pre_enqueue = [](const PodInfo& p) {
    return p.pod().metadata().labels().count("ready")
               ? Status()
               : Status(Code::kPending, "waiting").WithPlugin("Gate");
  };
  SchedulingQueue q(std::move(o));
  ASSERT_TRUE(q.Add(Info(PodBuilder("p"))).ok());
  EXPECT_EQ(q.WhereIs("uid-default-p"), "unschedulable");
  EXPECT_EQ(q.TryPop(), nullptr);
  q.Update(Info(PodBuilder("p").Label("ready", "1")));
  EXPECT_EQ(q.WhereIs("uid-default-p"), "active");
}

TEST(QueueTest, DeleteWhileInFlightDropsPod) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  ASSERT_TRUE(q.Add(Info(PodBuilder("p"))).ok());
  auto p = q.TryPop();
  q.Delete("uid-default-p");
  q.AddUnschedulableIfNotPresent(std::move(p), q.SchedulingCycle());
  EXPECT_EQ(q.WhereIs("uid-default-p"), "");
}

TEST(QueueTest, Nominator) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  EXPECT_FALSE(q.HasNominatedPods());
  q.AddNominatedPod(Info(PodBuilder("p")), "n1");
  EXPECT_EQ(q.NominatedPodsForNode("n1").size(), 1u);
  q.AddNominatedPod(Info(PodBuilder("p")), "n2");
  EXPECT_TRUE(q.NominatedPodsForNode("n1").empty());
  q.DeleteNominatedPod("uid-default-p");
  EXPECT_FALSE(q.HasNominatedPods());
}

TEST(QueueTest, CloseUnblocksPop) {
  FakeClock clock;
  SchedulingQueue q(Opts(&clock));
  std::thread t([&] { EXPECT_EQ(q.Pop(), nullptr); });
  q.Close();
  t.join();
}

}  // namespace
}  // namespace rudder::sched

namespace rudder::sched {
namespace {

TEST(QueueTest, QueueingHintDecides) {
  FakeClock clock;
  QueueOptions o;
  o.clock = &clock;
  // Only nodes labelled gpu=true can help pods rejected by "Gpu".
  o.events["Gpu"] = {
      {{EventResource::kNode, kAdd, ""},
       [](const Pod&, const google::protobuf::Message*, const google::protobuf::Message* new_obj) {
         const auto* n = static_cast<const Node*>(new_obj);
         return n && n->metadata().labels().count("gpu") ? QueueingHint::kQueue
                                                         : QueueingHint::kSkip;
       }}};
  SchedulingQueue q(std::move(o));
  ASSERT_TRUE(q.Add(*PodInfo::Create(testing::PodBuilder("p").Build())).ok());
  auto p = q.TryPop();
  int64_t cycle = q.SchedulingCycle();
  p->unschedulable_plugins.insert("Gpu");
  q.AddUnschedulableIfNotPresent(std::move(p), cycle);
  Node plain = testing::NodeBuilder("plain");
  q.MoveAllToActiveOrBackoffQueue({EventResource::kNode, kAdd, "NodeAdd"}, nullptr, &plain);
  EXPECT_EQ(q.WhereIs("uid-default-p"), "unschedulable");
  Node gpu = testing::NodeBuilder("gpu").Label("gpu", "true");
  clock.Advance(absl::Seconds(2));
  q.MoveAllToActiveOrBackoffQueue({EventResource::kNode, kAdd, "NodeAdd"}, nullptr, &gpu);
  EXPECT_EQ(q.WhereIs("uid-default-p"), "active");
}

}  // namespace
}  // namespace rudder::sched
