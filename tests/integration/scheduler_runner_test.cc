// The scheduler against the API, on a TestCluster's fake clock.
#include "lib/sched/kube/scheduler_runner.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/sched/testing/builders.h"
#include "lib/testing/test_cluster.h"

namespace rudder::sched::kube {
namespace {

using api::core::v1::Event;
using api::core::v1::Node;
using api::core::v1::Pod;
using client::TypedClient;
using rudder::testing::TestCluster;
using rudder::testing::TestClusterOptions;

const api::core::v1::PodCondition* Scheduled(const Pod* p) {
  if (p == nullptr) return nullptr;
  for (const auto& c : p->status().conditions()) {
    if (c.type() == "PodScheduled") return &c;
  }
  return nullptr;
}

Node MakeNode(const std::string& name, const std::string& cpu) {
  Node n = sched::testing::NodeBuilder(name).Capacity(cpu, "16Gi", "110").Build();
  n.mutable_metadata()->clear_uid();
  (*n.mutable_metadata()->mutable_labels())["kubernetes.io/hostname"] = name;
  return n;
}

Pod MakePod(const std::string& name, const std::string& cpu) {
  Pod p = sched::testing::PodBuilder(name).Req(cpu, "100Mi").Build();
  p.mutable_metadata()->clear_uid();
  return p;
}

// Events about `pod`, as "<type> <reason> <message>".
std::vector<std::string> EventsOf(TestCluster& tc, const std::string& pod) {
  TypedClient<Event> events(tc.client());
  std::vector<std::string> out;
  auto list = events.List("default");
  EXPECT_TRUE(list.ok()) << list.status();
  if (!list.ok()) return out;
  for (const auto& e : list->items) {
    if (e->involvedobject().name() != pod) continue;
    out.push_back(absl::StrCat(e->type(), " ", e->reason(), " ", e->message()));
  }
  return out;
}

std::unique_ptr<TestCluster> StartCluster() {
  TestClusterOptions o;
  o.scheduler = true;
  auto tc = TestCluster::Start(std::move(o));
  EXPECT_TRUE(tc.ok()) << tc.status();
  return tc.ok() ? *std::move(tc) : nullptr;
}

TEST(SchedulerRunnerTest, PodIsBoundWithConditionAndEvent) {
  std::unique_ptr<TestCluster> tc = StartCluster();
  ASSERT_NE(tc, nullptr);
  ASSERT_NE(tc->scheduler(), nullptr);
  TypedClient<Node> nodes(tc->client());
  TypedClient<Pod> pods(tc->client());
  ASSERT_TRUE(nodes.Create(MakeNode("node-1", "4")).ok());
  ASSERT_TRUE(pods.Create(MakePod("web", "500m")).ok());
  ASSERT_TRUE(tc->WaitFor<Pod>(
                    "default", "web",
                    [](const Pod* p) {
                      const auto* c = Scheduled(p);
                      return p != nullptr && p->spec().nodename() == "node-1" && c != nullptr &&
                             c->status() == "True";
                    },
                    "bound to node-1 with PodScheduled=True")
                  .ok());
  EXPECT_EQ(
      EventsOf(*tc, "web"),
      std::vector<std::string>{"Normal Scheduled Successfully assigned default/web to node-1"});
  EXPECT_TRUE(tc->scheduler()->Ready());
  EXPECT_TRUE(tc->scheduler()->IsLeader());
  EXPECT_EQ(tc->scheduler()->Stats().bound, 1);
}

TEST(SchedulerRunnerTest, UnschedulablePodGetsConditionAndEventThenANewNodeHelps) {
  std::unique_ptr<TestCluster> tc = StartCluster();
  ASSERT_NE(tc, nullptr);
  TypedClient<Node> nodes(tc->client());
  TypedClient<Pod> pods(tc->client());
  ASSERT_TRUE(nodes.Create(MakeNode("small", "1")).ok());
  ASSERT_TRUE(pods.Create(MakePod("big", "2")).ok());
  // Kubernetes' FitError text; with DefaultPreemption in the profile, its own summary follows.
  const std::string fit = "0/1 nodes are available: 1 Insufficient cpu.";
  const std::string with_preemption =
      fit + " preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
  std::string msg;
  absl::Status s = tc->WaitFor<Pod>(
      "default", "big",
      [&](const Pod* p) {
        const auto* c = Scheduled(p);
        return p != nullptr && p->spec().nodename().empty() && c != nullptr &&
               c->status() == "False" && c->reason() == "Unschedulable" &&
               (c->message() == fit || c->message() == with_preemption) &&
               !(msg = c->message()).empty();
      },
      "PodScheduled=False, Unschedulable, with the FitError message");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(EventsOf(*tc, "big"), std::vector<std::string>{"Warning FailedScheduling " + msg});
  const int64_t writes = tc->scheduler()->Stats().status_writes;
  EXPECT_EQ(writes, 1);

  // Retries after back-off give the same message: no new status write.
  ASSERT_TRUE(tc->Advance(absl::Seconds(11)).ok());
  ASSERT_TRUE(tc->Advance(absl::Minutes(6)).ok());
  EXPECT_EQ(tc->scheduler()->Stats().status_writes, writes);

  // A node that fits arrives: the pod moves out of the unschedulable pool and binds.
  // (The node event may find the pod backing off: a few back-off periods are enough.)
  ASSERT_TRUE(nodes.Create(MakeNode("large", "8")).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tc->Advance(absl::Seconds(11)).ok());
  s = tc->WaitFor<Pod>(
      "default", "big",
      [](const Pod* p) {
        const auto* c = Scheduled(p);
        return p != nullptr && p->spec().nodename() == "large" && c != nullptr &&
               c->status() == "True" && c->reason().empty();
      },
      "bound to the new node");
  ASSERT_TRUE(s.ok()) << s;
  std::vector<std::string> ev = EventsOf(*tc, "big");
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back(), "Normal Scheduled Successfully assigned default/big to large");
}

TEST(SchedulerRunnerTest, PodsOfOtherSchedulersAreLeftAlone) {
  std::unique_ptr<TestCluster> tc = StartCluster();
  ASSERT_NE(tc, nullptr);
  TypedClient<Node> nodes(tc->client());
  TypedClient<Pod> pods(tc->client());
  ASSERT_TRUE(nodes.Create(MakeNode("node-1", "4")).ok());
  Pod p = MakePod("other", "100m");
  p.mutable_spec()->set_schedulername("someone-else");
  ASSERT_TRUE(pods.Create(p).ok());
  ASSERT_TRUE(tc->Advance(absl::Seconds(5)).ok());
  auto got = pods.Get("default", "other");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->spec().nodename(), "");
  EXPECT_EQ(Scheduled(got->get()), nullptr);
}

// Two runners with leader election: only the leader binds; when it stops (releasing the
// lease) the other takes over.
TEST(SchedulerRunnerTest, LeaderElectionFailover) {
  TestClusterOptions o;
  auto tcs = TestCluster::Start(std::move(o));
  ASSERT_TRUE(tcs.ok()) << tcs.status();
  TestCluster& tc = **tcs;
  auto make = [&](const std::string& id) {
    SchedulerRunnerOptions so;
    so.clock = tc.clock();
    so.leader_election.enabled = true;
    so.leader_election.identity = id;
    so.leader_election.lease_namespace = "default";
    auto r = SchedulerRunner::New(tc.direct_client(), std::move(so));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : nullptr;
  };
  std::unique_ptr<SchedulerRunner> a = make("a");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(a->WaitForReady(absl::InfiniteFuture()));
  std::unique_ptr<SchedulerRunner> b = make("b");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Start().ok());
  EXPECT_TRUE(a->IsLeader());
  TypedClient<api::coordination::v1::Lease> leases(tc.client());
  auto lease = leases.Get("default", "kube-scheduler");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ((*lease)->spec().holderidentity(), "a");

  a->Stop();
  EXPECT_FALSE(a->IsLeader());
  // b retries every retry_period (2 s, jittered) on the fake clock.
  for (int i = 0; i < 40 && !b->IsLeader(); ++i) {
    tc.clock()->Advance(absl::Seconds(1));
    absl::SleepFor(absl::Milliseconds(20));  // Lets b's elector see the new time.
  }
  ASSERT_TRUE(b->WaitForReady(absl::InfiniteFuture()));
  EXPECT_TRUE(b->IsLeader());
  TypedClient<Node> nodes(tc.client());
  TypedClient<Pod> pods(tc.client());
  ASSERT_TRUE(nodes.Create(MakeNode("node-1", "4")).ok());
  ASSERT_TRUE(pods.Create(MakePod("web", "100m")).ok());
  // If b's pod informer delivers the pod before its node informer delivers the node, the pod
  // is unschedulable until the node's event moves it to the back-off queue, which it leaves on
  // the fake clock: advance it now and then.
  for (int i = 0; i < 2000; ++i) {
    auto p = pods.Get("default", "web");
    if (p.ok() && !(*p)->spec().nodename().empty()) break;
    if (i % 20 == 19) tc.clock()->Advance(absl::Seconds(1));
    absl::SleepFor(absl::Milliseconds(5));
  }
  auto p = pods.Get("default", "web");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->spec().nodename(), "node-1");
  b->Stop();
}

TEST(SchedulerRunnerTest, BadConfigurationIsInvalidArgument) {
  TestClusterOptions o;
  auto tc = TestCluster::Start(std::move(o));
  ASSERT_TRUE(tc.ok());
  SchedulerRunnerOptions so;
  so.leader_election.enabled = true;
  so.leader_election.renew_deadline = absl::Seconds(30);
  EXPECT_EQ(SchedulerRunner::New((*tc)->direct_client(), so).status().code(),
            absl::StatusCode::kInvalidArgument);
  SchedulerRunnerOptions bad;
  bad.config.profiles[0].plugins.multi_point.enabled.push_back({"NoSuchPlugin", 1});
  EXPECT_EQ(SchedulerRunner::New((*tc)->direct_client(), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::sched::kube
