#include "lib/controllers/manager/controller_manager.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/autoscaling/v2/autoscaling.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/metrics/v1beta1/metrics.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using ctrl::testing::Eventually;
using Names = std::vector<std::string>;

std::vector<ControllerDescriptor> Known() {
  auto ok = [](ctrl::Manager*) { return absl::OkStatus(); };
  return {{"a", ok}, {"b", ok}, {"c", ok, /*enabled_by_default=*/false}};
}

TEST(SelectControllersTest, StarMinusAndNames) {
  EXPECT_EQ(*SelectControllers({"*"}, Known()), (Names{"a", "b"}));
  EXPECT_EQ(*SelectControllers({"*", "-a"}, Known()), (Names{"b"}));
  EXPECT_EQ(*SelectControllers({"*", "c"}, Known()), (Names{"a", "b", "c"}));
  EXPECT_EQ(*SelectControllers({"c"}, Known()), (Names{"c"}));
  EXPECT_EQ(*SelectControllers({}, Known()), Names{});
  EXPECT_EQ(*SelectControllers(ParseControllersFlag("*, -b"), Known()), (Names{"a"}));
  absl::StatusOr<Names> bad = SelectControllers({"*", "-nope"}, Known());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("controllers[1]"), std::string::npos);
  EXPECT_EQ(SelectControllers({"-"}, Known()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BuiltinControllersTest, NamesAreUnique) {
  std::set<std::string> seen;
  for (const auto& d : BuiltinControllers()) EXPECT_TRUE(seen.insert(d.name).second) << d.name;
  EXPECT_TRUE(seen.count("deployment"));
  EXPECT_TRUE(seen.count("replicaset"));
  EXPECT_TRUE(seen.count("replicationcontroller"));
}

TEST(ControllerManagerTest, RunsSelectedAndHostControllers) {
  FakeClock clock;
  ctrl::testing::TestCluster cluster;
  std::atomic<int> host_added{0};
  ControllerManagerOptions opts;
  opts.controllers = {"*", "-replicationcontroller", "host"};
  opts.manager.clock = &clock;
  opts.extra.push_back({"host",
                        [&](ctrl::Manager*) {
                          ++host_added;
                          return absl::OkStatus();
                        },
                        /*enabled_by_default=*/false});
  auto cm = ControllerManager::New(cluster.client.get(), opts);
  ASSERT_TRUE(cm.ok()) << cm.status();
  Names want;  // Every built-in one but replicationcontroller, then the host's.
  for (const ControllerDescriptor& d : BuiltinControllers()) {
    if (d.name != "replicationcontroller" && d.enabled_by_default) want.push_back(d.name);
  }
  want.push_back("host");
  EXPECT_EQ((*cm)->controllers(), want);
  EXPECT_EQ(host_added.load(), 1);
  EXPECT_NE((*cm)->manager()->GetController("deployment"), nullptr);
  EXPECT_EQ((*cm)->manager()->GetController("replicationcontroller"), nullptr);
  ASSERT_TRUE((*cm)->Start().ok());

  api::apps::v1::Deployment d;
  d.mutable_metadata()->set_namespace_("default");
  d.mutable_metadata()->set_name("web");
  d.mutable_spec()->set_replicas(3);
  (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
  auto* t = d.mutable_spec()->mutable_template_();
  (*t->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = t->mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("nginx");
  client::TypedClient<api::apps::v1::Deployment> deployments(cluster.client.get());
  ASSERT_TRUE(deployments.Create(d).ok());
  client::TypedClient<api::core::v1::Pod> pods(cluster.client.get());
  EXPECT_TRUE(Eventually([&] {
    auto list = pods.List("default");
    return list.ok() && list->items.size() == 3;
  }));
  (*cm)->Stop();
}

// The HPA runs by default and reads metrics.k8s.io PodMetrics (as node agents publish them,
// with their pod's labels) through the manager's client.
TEST(ControllerManagerTest, HpaIsBuiltInAndScalesOnPublishedPodMetrics) {
  bool listed = false;
  for (const ControllerDescriptor& d : BuiltinControllers()) {
    if (d.name == "horizontalpodautoscaling") listed = d.enabled_by_default;
  }
  EXPECT_TRUE(listed);
  FakeClock clock;
  ctrl::testing::TestCluster cluster;
  ControllerManagerOptions opts;
  opts.controllers = {"horizontalpodautoscaling"};
  opts.manager.clock = &clock;
  auto cm = ControllerManager::New(cluster.client.get(), opts);
  ASSERT_TRUE(cm.ok()) << cm.status();
  ASSERT_TRUE((*cm)->Start().ok());

  api::apps::v1::Deployment d;
  d.mutable_metadata()->set_namespace_("default");
  d.mutable_metadata()->set_name("web");
  d.mutable_spec()->set_replicas(2);
  (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
  auto* t = d.mutable_spec()->mutable_template_();
  (*t->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* tc = t->mutable_spec()->add_containers();
  tc->set_name("c");
  tc->set_image("busybox");
  client::TypedClient<api::apps::v1::Deployment> deployments(cluster.client.get());
  auto created_d = deployments.Create(d);
  ASSERT_TRUE(created_d.ok()) << created_d.status();
  client::TypedClient<api::core::v1::Pod> pods(cluster.client.get());
  client::TypedClient<api::metrics::v1beta1::PodMetrics> metrics(cluster.client.get());
  for (const char* name : {"web-0", "web-1"}) {
    api::core::v1::Pod p;
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_name(name);
    (*p.mutable_metadata()->mutable_labels())["app"] = "web";
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox");
    (*c->mutable_resources()->mutable_requests())["cpu"].set_string("100m");
    auto created = pods.Create(p);
    ASSERT_TRUE(created.ok()) << created.status();
    p = **created;
    p.mutable_status()->set_phase("Running");
    auto* cond = p.mutable_status()->add_conditions();
    cond->set_type("Ready");
    cond->set_status("True");
    ASSERT_TRUE(pods.UpdateStatus(p).ok());
    api::metrics::v1beta1::PodMetrics m;
    m.mutable_metadata()->set_namespace_("default");
    m.mutable_metadata()->set_name(name);
    (*m.mutable_metadata()->mutable_labels())["app"] = "web";
    m.mutable_timestamp()->set_seconds(absl::ToUnixSeconds(clock.Now()));
    auto* cm_usage = m.add_containers();
    cm_usage->set_name("c");
    (*cm_usage->mutable_usage())["cpu"].set_string("200m");
    ASSERT_TRUE(metrics.Create(m).ok());
  }
  api::autoscaling::v2::HorizontalPodAutoscaler h;
  h.mutable_metadata()->set_namespace_("default");
  h.mutable_metadata()->set_name("web");
  auto* ref = h.mutable_spec()->mutable_scaletargetref();
  ref->set_apiversion("apps/v1");
  ref->set_kind("Deployment");
  ref->set_name("web");
  h.mutable_spec()->set_minreplicas(1);
  h.mutable_spec()->set_maxreplicas(10);
  auto* metric = h.mutable_spec()->add_metrics();
  metric->set_type("Resource");
  metric->mutable_resource()->set_name("cpu");
  metric->mutable_resource()->mutable_target()->set_type("Utilization");
  metric->mutable_resource()->mutable_target()->set_averageutilization(50);
  ASSERT_TRUE(
      client::TypedClient<api::autoscaling::v2::HorizontalPodAutoscaler>(cluster.client.get())
          .Create(h)
          .ok());
  // 200 % of a 50 % target wants 8; the first scale-up is limited to max(2 + 4, 2 * 2) = 6.
  EXPECT_TRUE(Eventually([&] {
    auto got = deployments.Get("default", "web");
    return got.ok() && (*got)->spec().replicas() == 6;
  }));
  (*cm)->Stop();
}

TEST(ControllerManagerTest, FactoryErrorNamesController) {
  ctrl::testing::TestCluster cluster;
  ControllerManagerOptions opts;
  opts.controllers = {"broken"};
  opts.extra.push_back(
      {"broken", [](ctrl::Manager*) { return absl::FailedPreconditionError("no config"); }});
  auto cm = ControllerManager::New(cluster.client.get(), opts);
  EXPECT_EQ(cm.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(cm.status().message().find("\"broken\""), std::string::npos);
  opts.controllers = {"nope"};
  EXPECT_EQ(ControllerManager::New(cluster.client.get(), opts).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ControllerManagerTest, LeaderElectionGatesControllers) {
  FakeClock clock;
  ctrl::testing::TestCluster cluster;
  ControllerManagerOptions opts;
  opts.manager.clock = &clock;
  opts.manager.leader_election.enabled = true;
  opts.manager.leader_election.lease_namespace = "default";
  opts.manager.leader_election.lease_name = "controller-manager";
  opts.manager.leader_election.identity = "one";
  auto cm = ControllerManager::New(cluster.client.get(), opts);
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_FALSE((*cm)->manager()->IsLeader());
  ASSERT_TRUE((*cm)->Start().ok());
  EXPECT_TRUE(Eventually([&] { return (*cm)->manager()->IsLeader(); }, &clock, absl::Seconds(1)));
  (*cm)->Stop();
}

}  // namespace
}  // namespace rudder::controllers
