#include "lib/sched/framework.h"

#include "gtest/gtest.h"
#include "lib/sched/config.h"
#include "lib/sched/registry.h"
#include "lib/sched/scheduler.h"

namespace rudder::sched {
namespace {

TEST(StatusTest, SuccessAndReasons) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  Status s(Code::kUnschedulable,
           std::vector<std::string>{"Insufficient cpu", "Insufficient memory"});
  s.WithPlugin("NodeResourcesFit");
  EXPECT_TRUE(s.IsRejected());
  EXPECT_EQ(s.Message(), "Insufficient cpu, Insufficient memory");
  EXPECT_EQ(s.plugin(), "NodeResourcesFit");
  EXPECT_EQ(s.ToAbsl().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Status::Error("x").ToAbsl().code(), absl::StatusCode::kInternal);
}

TEST(StatusTest, CopiesShareReasonsUntilOneChanges) {
  Status a = Status::Unschedulable("Insufficient cpu").WithPlugin("NodeResourcesFit");
  Status b = a;
  EXPECT_EQ(&a.reasons(), &b.reasons());  // shared, no copy
  b.WithPlugin("NodeResourcesFit");       // same plugin: still shared
  EXPECT_EQ(&a.reasons(), &b.reasons());
  b.WithPlugin("Other");
  EXPECT_NE(&a.reasons(), &b.reasons());
  EXPECT_EQ(a.plugin(), "NodeResourcesFit");
  EXPECT_EQ(b.plugin(), "Other");
  EXPECT_EQ(b.Message(), "Insufficient cpu");
  Status c;
  c = a;
  EXPECT_EQ(c.code(), Code::kUnschedulable);
  EXPECT_EQ(c.plugin(), "NodeResourcesFit");
}

struct IntData : StateData {
  int v = 0;
  std::unique_ptr<StateData> Clone() const override { return std::make_unique<IntData>(*this); }
};

TEST(CycleStateTest, WriteReadClone) {
  static const StateKey k("framework_test.k");
  CycleState s;
  EXPECT_EQ(s.Read(k), nullptr);
  auto d = std::make_unique<IntData>();
  d->v = 7;
  s.Write(k, std::move(d));
  std::unique_ptr<CycleState> c = s.Clone();
  static_cast<IntData*>(s.ReadMutable(k))->v = 8;
  EXPECT_EQ(c->Get<IntData>(k)->v, 7);
  EXPECT_EQ(s.Get<IntData>(k)->v, 8);
  s.Reset();
  EXPECT_EQ(s.Read(k), nullptr);
}

TEST(ClusterEventTest, Matches) {
  ClusterEvent node_label{EventResource::kNode, kUpdateNodeLabel, ""};
  EXPECT_TRUE(node_label.Matches({EventResource::kNode, kAdd | kUpdateNodeLabel, ""}));
  EXPECT_FALSE(node_label.Matches({EventResource::kNode, kAdd | kUpdateNodeTaint, ""}));
  EXPECT_FALSE(node_label.Matches({EventResource::kPod, kAll, ""}));
  ClusterEvent assigned_delete{EventResource::kAssignedPod, kDelete, ""};
  EXPECT_TRUE(assigned_delete.Matches({EventResource::kPod, kDelete, ""}));
  EXPECT_TRUE(ClusterEvent::Wildcard().Matches({EventResource::kNode, kAdd, ""}));
}

TEST(ConfigTest, ParsesYaml) {
  absl::StatusOr<SchedulerConfig> c = ParseSchedulerConfig(R"(
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
parallelism: 4
percentageOfNodesToScore: 30
profiles:
- schedulerName: default-scheduler
- schedulerName: packer
  percentageOfNodesToScore: 100
  plugins:
    score:
      disabled: [{name: "*"}]
      enabled: [{name: NodeResourcesFit, weight: 5}]
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->parallelism, 4);
  EXPECT_EQ(c->percentage_of_nodes_to_score, 30);
  ASSERT_EQ(c->profiles.size(), 2u);
  EXPECT_EQ(c->profiles[1].scheduler_name, "packer");
  EXPECT_EQ(c->profiles[1].percentage_of_nodes_to_score, 100);
  ASSERT_EQ(c->profiles[1].plugins.score.enabled.size(), 1u);
  EXPECT_EQ(c->profiles[1].plugins.score.enabled[0].weight, 5);
  EXPECT_EQ(c->profiles[1]
                .plugin_config.at("NodeResourcesFit")
                .Find("scoringStrategy")
                ->Find("type")
                ->scalar(),
            "MostAllocated");
}

TEST(ConfigTest, ParsesJson) {
  absl::StatusOr<SchedulerConfig> c = ParseSchedulerConfig(
      R"({"kind":"KubeSchedulerConfiguration","profiles":[{"schedulerName":"a",
          "plugins":{"multiPoint":{"disabled":[{"name":"ImageLocality"}]}}}]})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->profiles[0].plugins.multi_point.disabled[0].name, "ImageLocality");
}

TEST(ConfigTest, ErrorsCarryFieldPaths) {
  auto bad = [](const char* text) { return ParseSchedulerConfig(text).status(); };
  absl::Status s =
      bad("profiles:\n- schedulerName: a\n  plugins:\n    score:\n      enabled: [{name: X, "
          "weight: 101}]\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("profiles[0].plugins.score.enabled[0].weight"), std::string::npos)
      << s;
  s = bad("percentageOfNodesToScore: 120");
  EXPECT_NE(s.message().find("percentageOfNodesToScore"), std::string::npos);
  s = bad("profiles: [{schedulerName: a}, {schedulerName: a}]");
  EXPECT_NE(s.message().find("profiles[1].schedulerName"), std::string::npos);
  s = bad("profiles: [{schedulerName: a, bogus: 1}]");
  EXPECT_NE(s.message().find("profiles[0].bogus: unknown field"), std::string::npos);
  EXPECT_EQ(bad("{{{").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad(std::string(100000, '[').c_str()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      bad("profiles: [{schedulerName: 3, plugins: {score: {enabled: [{weight: x, name: a}]}}}]")
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad("kind: Pod").code(), absl::StatusCode::kInvalidArgument);
}

TEST(RegistryTest, RegisterAndGet) {
  PluginRegistry r = DefaultRegistry();
  EXPECT_TRUE(r.Contains("NodeResourcesFit"));
  EXPECT_EQ(r.Register("NodeResourcesFit", nullptr).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.Get("Nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(SchedulerConfigTest, UnknownPluginAndBadArgsAreInvalid) {
  SchedulerOptions o;
  o.config.profiles[0].plugins.filter.enabled.push_back({"Nope", 0});
  EXPECT_EQ(Scheduler::Create(std::move(o)).status().code(), absl::StatusCode::kInvalidArgument);

  SchedulerOptions o2;
  o2.config.profiles[0].plugin_config["NodeResourcesFit"] =
      *ConfigValue::Parse("scoringStrategy: {type: Bogus}");
  absl::Status s = Scheduler::Create(std::move(o2)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("scoringStrategy.type"), std::string::npos) << s;

  SchedulerOptions o3;  // A Filter-only plugin enabled at Score.
  o3.config.profiles[0].plugins.score.enabled.push_back({"NodeName", 1});
  s = Scheduler::Create(std::move(o3)).status();
  EXPECT_NE(s.message().find("does not extend Score"), std::string::npos) << s;
}

TEST(FitErrorTest, KubernetesFormat) {
  Diagnosis d;
  NodeInfo n;
  for (int i = 0; i < 3; ++i)
    d.node_to_status.failed.push_back({&n, Status::Unschedulable("Insufficient cpu")});
  for (int i = 0; i < 2; ++i) {
    d.node_to_status.failed.push_back(
        {&n, Status::Unresolvable("node(s) had untolerated taint {node-role: master}")});
  }
  // Reason strings sort as strings: "2 node(s)..." before "3 Insufficient cpu".
  EXPECT_EQ(FitErrorMessage(5, d),
            "0/5 nodes are available: 2 node(s) had untolerated taint {node-role: master}, 3 "
            "Insufficient cpu.");
  d.post_filter_msg =
      "preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.";
  EXPECT_EQ(FitErrorMessage(5, d),
            "0/5 nodes are available: 2 node(s) had untolerated taint {node-role: master}, 3 "
            "Insufficient cpu. preemption: 0/5 nodes are available: 5 No preemption victims found "
            "for incoming pod.");
  Diagnosis p;
  p.pre_filter_msg = "node(s) didn't match Pod's node affinity/selector";
  p.node_to_status.failed.push_back({&n, Status::Unresolvable("ignored")});
  EXPECT_EQ(FitErrorMessage(3, p),
            "0/3 nodes are available: node(s) didn't match Pod's node affinity/selector.");
}

}  // namespace
}  // namespace rudder::sched
