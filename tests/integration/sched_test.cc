// The scheduler through the API on a TestCluster: a Deployment's pods are bound and spread
// over simulated nodes; a high-priority pod preempts a low-priority one and binds once it is
// gone.
#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/scheduling/v1/scheduling.pb.h"
#include "lib/client/client.h"
#include "lib/client/rest/rest_client.h"
#include "lib/controllers/deployment/deployment.h"
#include "lib/controllers/replicaset/replicaset.h"
#include "lib/sched/kube/scheduler_runner.h"
#include "lib/testing/test_cluster.h"

namespace rudder {
namespace {

using api::apps::v1::Deployment;
using api::core::v1::Pod;
using api::scheduling::v1::PriorityClass;
using client::TypedClient;
using testing::ControllerContext;
using testing::ControllerFactory;
using testing::RunningController;
using testing::TestCluster;
using testing::TestClusterOptions;

ControllerFactory Workloads() {
  return {"workloads",
          [](const ControllerContext& ctx) -> absl::StatusOr<std::unique_ptr<RunningController>> {
            absl::Status s = controllers::AddReplicaSetController(ctx.manager);
            if (!s.ok()) return s;
            s = controllers::AddDeploymentController(ctx.manager);
            if (!s.ok()) return s;
            return nullptr;
          }};
}

void Container(api::core::v1::PodSpec* spec, const std::string& cpu) {
  auto* c = spec->add_containers();
  c->set_name("app");
  c->set_image("busybox");
  (*c->mutable_resources()->mutable_requests())["cpu"].set_string(cpu);
}

TEST(SchedIntegrationTest, DeploymentPodsAreBoundAndSpread) {
  TestClusterOptions o;
  o.controllers = {Workloads()};
  o.scheduler = true;
  o.nodes = 3;
  auto tcs = TestCluster::Start(std::move(o));
  ASSERT_TRUE(tcs.ok()) << tcs.status();
  TestCluster& tc = **tcs;

  Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_metadata()->set_namespace_("default");
  d.mutable_spec()->set_replicas(6);
  (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
  auto* t = d.mutable_spec()->mutable_template_();
  (*t->mutable_metadata()->mutable_labels())["app"] = "web";
  Container(t->mutable_spec(), "500m");
  TypedClient<Deployment> deployments(tc.client());
  ASSERT_TRUE(deployments.Create(d).ok());

  absl::Status s = tc.WaitFor<Deployment>(
      "default", "web",
      [](const Deployment* x) { return x != nullptr && x->status().availablereplicas() == 6; },
      "6 available replicas");
  ASSERT_TRUE(s.ok()) << s;
  TypedClient<Pod> pods(tc.client());
  auto list = pods.List("default");
  ASSERT_TRUE(list.ok());
  std::map<std::string, int> per_node;
  for (const auto& p : list->items) {
    ASSERT_FALSE(p->spec().nodename().empty()) << p->metadata().name();
    EXPECT_EQ(p->status().phase(), "Running") << p->metadata().name();
    ++per_node[p->spec().nodename()];
  }
  ASSERT_EQ(per_node.size(), 3u);
  for (const auto& [node, n] : per_node) EXPECT_EQ(n, 2) << node;
  EXPECT_EQ(tc.scheduler()->Stats().bound, 6);
}

TEST(SchedIntegrationTest, HighPriorityPodPreemptsLowPriorityPod) {
  TestClusterOptions o;
  o.scheduler = true;
  o.nodes = 1;
  o.node_options = [](int) {
    testing::SimNodeOptions n;
    n.capacity = {{"cpu", "1"}, {"memory", "4Gi"}, {"pods", "110"}};
    return n;
  };
  o.scheduler_options = [](sched::kube::SchedulerRunnerOptions* so) {
    auto& enabled = so->config.profiles[0].plugins.multi_point.enabled;
    if (std::none_of(enabled.begin(), enabled.end(),
                     [](const auto& p) { return p.name == "DefaultPreemption"; })) {
      enabled.push_back({"DefaultPreemption", 0});
    }
  };
  auto tcs = TestCluster::Start(std::move(o));
  ASSERT_TRUE(tcs.ok()) << tcs.status();
  TestCluster& tc = **tcs;

  TypedClient<PriorityClass> classes(tc.client());
  for (auto [name, value] : {std::pair{"low", 10}, std::pair{"high", 1000}}) {
    PriorityClass pc;
    pc.mutable_metadata()->set_name(name);
    pc.set_value(value);
    ASSERT_TRUE(classes.Create(pc).ok());
  }
  TypedClient<Pod> pods(tc.client());
  auto make = [](const std::string& name, const std::string& cls) {
    Pod p;
    p.mutable_metadata()->set_name(name);
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_spec()->set_priorityclassname(cls);
    p.mutable_spec()->set_terminationgraceperiodseconds(5);
    Container(p.mutable_spec(), "800m");
    return p;
  };
  ASSERT_TRUE(pods.Create(make("victim", "low")).ok());
  absl::Status s = tc.WaitFor<Pod>(
      "default", "victim",
      [](const Pod* p) { return p != nullptr && p->status().phase() == "Running"; },
      "the low-priority pod running on node-0");
  ASSERT_TRUE(s.ok()) << s;

  ASSERT_TRUE(pods.Create(make("important", "high")).ok());
  auto got = pods.Get("default", "important");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->spec().priority(), 1000);
  // The victim is marked and deleted; the preemptor is nominated, then bound once the victim's
  // grace period has passed and its node agent removed it.
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(tc.Advance(absl::Seconds(1)).ok());
  s = tc.WaitFor<Pod>(
      "default", "victim", [](const Pod* p) { return p == nullptr; }, "the victim gone");
  ASSERT_TRUE(s.ok()) << s;
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(tc.Advance(absl::Seconds(1)).ok());
  s = tc.WaitFor<Pod>(
      "default", "important",
      [](const Pod* p) { return p != nullptr && p->spec().nodename() == "node-0"; },
      "the high-priority pod bound to node-0");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_GE(tc.scheduler()->Stats().evictions, 1);
}

// The scheduler's binding call over the REST transport: pods/binding on the cluster's port.
TEST(SchedIntegrationTest, BindOverRest) {
  TestClusterOptions o;
  o.serve_rest = true;
  auto tcs = TestCluster::Start(std::move(o));
  ASSERT_TRUE(tcs.ok()) << tcs.status();
  TestCluster& tc = **tcs;
  client::RestClientOptions ro;
  ro.server = tc.server_url();
  auto rest = client::NewRestClient(ro, &tc.scheme());
  ASSERT_TRUE(rest.ok()) << rest.status();
  TypedClient<Pod> pods(tc.client());
  Pod p;
  p.mutable_metadata()->set_name("web");
  p.mutable_metadata()->set_namespace_("default");
  Container(p.mutable_spec(), "100m");
  ASSERT_TRUE(pods.Create(p).ok());
  api::core::v1::Binding b;
  b.mutable_metadata()->set_name("web");
  b.mutable_target()->set_kind("Node");
  b.mutable_target()->set_name("node-1");
  ASSERT_TRUE((*rest)->Bind("default", b, {}).ok());
  auto got = pods.Get("default", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->spec().nodename(), "node-1");
  absl::Status again = (*rest)->Bind("default", b, {});
  EXPECT_EQ(again.code(), absl::StatusCode::kAborted) << again;
  EXPECT_NE(again.message().find("pod web is already assigned to node \"node-1\""),
            std::string::npos)
      << again;
}

}  // namespace
}  // namespace rudder
