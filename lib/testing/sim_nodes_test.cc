// TestCluster's simulated nodes: node agents over simulated runtimes on the fake clock.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/metrics/v1beta1/metrics.pb.h"
#include "lib/client/client.h"
#include "lib/runtime/sim/sim_runtime.h"
#include "lib/testing/test_cluster.h"

namespace rudder::testing {
namespace {

using api::core::v1::Node;
using api::core::v1::Pod;

std::unique_ptr<TestCluster> StartCluster(TestClusterOptions o) {
  auto tc = TestCluster::Start(std::move(o));
  EXPECT_TRUE(tc.ok()) << tc.status();
  return tc.ok() ? *std::move(tc) : nullptr;
}

Pod MakePod(const std::string& name, const std::string& node, const std::string& policy = "",
            const std::string& script = "") {
  Pod p;
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_metadata()->set_name(name);
  (*p.mutable_metadata()->mutable_labels())["app"] = name;
  if (!script.empty()) {
    (*p.mutable_metadata()->mutable_annotations())[runtime::sim::kScriptAnnotation] = script;
  }
  p.mutable_spec()->set_nodename(node);
  if (!policy.empty()) p.mutable_spec()->set_restartpolicy(policy);
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("busybox");
  return p;
}

std::string Condition(const Pod& p, const std::string& type) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == type) return c.status();
  }
  return "";
}

TEST(SimNodesTest, NodesRegisterWithTheirOptions) {
  TestClusterOptions o;
  o.nodes = 3;
  o.node_options = [](int i) {
    SimNodeOptions n;
    if (i == 1) {
      n.capacity = {{"cpu", "8"}, {"memory", "32Gi"}, {"pods", "50"}};
      n.labels = {{"zone", "b"}};
      api::core::v1::Taint t;
      t.set_key("dedicated");
      t.set_value("db");
      t.set_effect("NoSchedule");
      n.taints.push_back(t);
    }
    return n;
  };
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  ASSERT_TRUE(tc->WaitForQuiescence().ok());
  client::TypedClient<Node> nodes(tc->client());
  for (int i = 0; i < 3; ++i) {
    auto n = nodes.Get("", "node-" + std::to_string(i));
    ASSERT_TRUE(n.ok()) << n.status();
    std::string ready;
    for (const auto& c : (*n)->status().conditions()) {
      if (c.type() == "Ready") ready = c.status();
    }
    EXPECT_EQ(ready, "True") << i;
    EXPECT_EQ((*n)->metadata().labels().at("kubernetes.io/hostname"), "node-" + std::to_string(i));
  }
  auto n0 = nodes.Get("", "node-0");
  EXPECT_EQ((*n0)->status().capacity().at("cpu").string(), "4");
  EXPECT_EQ((*n0)->status().capacity().at("pods").string(), "110");
  auto n1 = nodes.Get("", "node-1");
  EXPECT_EQ((*n1)->status().capacity().at("memory").string(), "32Gi");
  EXPECT_EQ((*n1)->metadata().labels().at("zone"), "b");
  ASSERT_EQ((*n1)->spec().taints_size(), 1);
  EXPECT_EQ((*n1)->spec().taints(0).key(), "dedicated");
  EXPECT_TRUE(client::TypedClient<api::coordination::v1::Lease>(tc->client())
                  .Get("kube-node-lease", "node-2")
                  .ok());
  EXPECT_NE(tc->node_runtime(2), nullptr);
  EXPECT_EQ(tc->node_runtime(3), nullptr);
}

TEST(SimNodesTest, BoundPodBecomesRunningAndReady) {
  TestClusterOptions o;
  o.nodes = 2;
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<Pod> pods(tc->client());
  ASSERT_TRUE(pods.Create(MakePod("web", "node-1")).ok());
  // The agent reacts to the pod's arrival without the clock moving.
  absl::Status s = tc->WaitFor<Pod>(
      "default", "web",
      [](const Pod* p) {
        return p != nullptr && p->status().phase() == "Running" && Condition(*p, "Ready") == "True";
      },
      "Running and Ready");
  EXPECT_TRUE(s.ok()) << s;
  auto p = pods.Get("default", "web");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->status().hostip(), "10.0.0.3");
  EXPECT_FALSE((*p)->status().podip().empty());
  ASSERT_EQ((*p)->status().containerstatuses_size(), 1);
  EXPECT_TRUE((*p)->status().containerstatuses(0).state().has_running());
  EXPECT_EQ(tc->node_runtime(1)->SandboxCount(), 1u);
  EXPECT_EQ(tc->node_runtime(0)->SandboxCount(), 0u);
  // Deleted: the agent stops it and removes the object.
  ASSERT_TRUE(pods.Delete("default", "web").ok());
  s = tc->WaitFor<Pod>(
      "default", "web", [](const Pod* p) { return p == nullptr; }, "deleted by its node");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(tc->node_runtime(1)->SandboxCount(), 0u);
}

TEST(SimNodesTest, ScriptExitingOneWithRestartNeverFailsThePod) {
  TestClusterOptions o;
  o.nodes = 1;
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<Pod> pods(tc->client());
  ASSERT_TRUE(pods.Create(MakePod("job", "node-0", "Never", "app: exit=5s code=1")).ok());
  absl::Status s = tc->WaitFor<Pod>(
      "default", "job", [](const Pod* p) { return p && p->status().phase() == "Running"; },
      "Running");
  EXPECT_TRUE(s.ok()) << s;
  ASSERT_TRUE(tc->Advance(absl::Seconds(5)).ok());
  s = tc->WaitFor<Pod>(
      "default", "job",
      [](const Pod* p) {
        return p != nullptr && p->status().phase() == "Failed" &&
               p->status().containerstatuses_size() == 1 &&
               p->status().containerstatuses(0).state().terminated().exitcode() == 1 &&
               p->status().containerstatuses(0).state().terminated().reason() == "Error";
      },
      "Failed with exit code 1");
  EXPECT_TRUE(s.ok()) << s;
}

TEST(SimNodesTest, PodScriptHookAndPublishedMetrics) {
  TestClusterOptions o;
  o.nodes = 1;
  o.publish_node_metrics = true;
  o.pod_script = [](const std::string& ns, const std::string& name) -> std::string {
    return name == "busy" ? "app: cpu=250 memory=64Mi" : "";
  };
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<Pod> pods(tc->client());
  // The hook wins over the annotation, which would have the container exit at once.
  ASSERT_TRUE(pods.Create(MakePod("busy", "node-0", "Never", "app: exit=0s code=2")).ok());
  ASSERT_TRUE(tc->WaitForQuiescence().ok());  // started before the next stats sample
  ASSERT_TRUE(tc->Advance(absl::Seconds(10)).ok());
  absl::Status s = tc->WaitFor<Pod>(
      "default", "busy", [](const Pod* p) { return p && p->status().phase() == "Running"; },
      "still Running");
  EXPECT_TRUE(s.ok()) << s;
  s = tc->WaitFor<api::metrics::v1beta1::PodMetrics>(
      "default", "busy",
      [](const api::metrics::v1beta1::PodMetrics* m) {
        return m != nullptr && m->containers_size() == 1 &&
               m->containers(0).usage().at("cpu").string() == "250m" &&
               m->containers(0).usage().at("memory").string() == "64Mi";
      },
      "usage of the script");
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace rudder::testing

namespace rudder::testing {
namespace {

TEST(SimNodesTest, ScheduledPodRunsOnItsNode) {
  TestClusterOptions o;
  o.scheduler = true;
  o.nodes = 2;
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<Pod> pods(tc->client());
  ASSERT_TRUE(pods.Create(MakePod("web", "")).ok());
  absl::Status s = tc->WaitFor<Pod>(
      "default", "web",
      [](const Pod* p) {
        return p != nullptr && !p->spec().nodename().empty() && p->status().phase() == "Running" &&
               Condition(*p, "Ready") == "True";
      },
      "bound by the scheduler, then Running and Ready");
  EXPECT_TRUE(s.ok()) << s;
  auto p = pods.Get("default", "web");
  ASSERT_TRUE(p.ok());
  int node = (*p)->spec().nodename() == "node-0" ? 0 : 1;
  EXPECT_EQ(tc->node_runtime(node)->SandboxCount(), 1u);
  EXPECT_EQ(tc->node_runtime(1 - node)->SandboxCount(), 0u);
}

}  // namespace
}  // namespace rudder::testing
