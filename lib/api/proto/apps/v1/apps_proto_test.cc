// Tests of the apps/v1 schema: binary round trips, wire compatibility with Kubernetes' field
// numbers, the strategic-merge and JSON options, and the JSON form through the codec.
#include <string>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/options.pb.h"

namespace rudder::api::apps::v1 {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;

// A Deployment as `kubectl create deployment web --image=nginx:1.25 --replicas=3` would
// build it, plus an explicit rolling update strategy.
Deployment MakeDeployment() {
  Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_metadata()->set_namespace_("default");
  DeploymentSpec* spec = d.mutable_spec();
  spec->set_replicas(3);
  (*spec->mutable_selector()->mutable_matchlabels())["app"] = "web";
  auto* tmpl = spec->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  spec->mutable_strategy()->set_type("RollingUpdate");
  RollingUpdateDeployment* ru = spec->mutable_strategy()->mutable_rollingupdate();
  ru->mutable_maxunavailable()->set_type(1);
  ru->mutable_maxunavailable()->set_strval("25%");
  ru->mutable_maxsurge()->set_type(0);
  ru->mutable_maxsurge()->set_intval(1);
  spec->set_minreadyseconds(5);
  spec->set_revisionhistorylimit(10);
  spec->set_progressdeadlineseconds(600);
  return d;
}

const FieldDescriptor* Field(const Descriptor* d, const std::string& name) {
  const FieldDescriptor* f = d->FindFieldByName(name);
  EXPECT_NE(f, nullptr) << d->full_name() << "." << name;
  return f;
}

TEST(AppsProtoTest, DeploymentRoundTripsThroughBinary) {
  Deployment d = MakeDeployment();
  std::string wire;
  ASSERT_TRUE(d.SerializeToString(&wire));
  Deployment back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.SerializeAsString(), wire);
  EXPECT_EQ(back.spec().template_().spec().containers(0).image(), "nginx:1.25");
  EXPECT_EQ(back.spec().strategy().rollingupdate().maxunavailable().strval(), "25%");
  EXPECT_EQ(back.spec().strategy().rollingupdate().maxsurge().intval(), 1);
  EXPECT_EQ(back.spec().minreadyseconds(), 5);
}

TEST(AppsProtoTest, PresenceOfZeroValuesSurvivesTheWire) {
  // replicas: 0 (scaled to zero) must stay distinguishable from "unset, default 1".
  DeploymentSpec spec;
  spec.set_replicas(0);
  spec.set_paused(false);
  DeploymentSpec back;
  ASSERT_TRUE(back.ParseFromString(spec.SerializeAsString()));
  EXPECT_TRUE(back.has_replicas());
  EXPECT_TRUE(back.has_paused());
  EXPECT_FALSE(back.has_minreadyseconds());
}

TEST(AppsProtoTest, FieldNumbersAreKubernetes) {
  const Descriptor* spec = DeploymentSpec::descriptor();
  EXPECT_EQ(Field(spec, "replicas")->number(), 1);
  EXPECT_EQ(Field(spec, "selector")->number(), 2);
  EXPECT_EQ(Field(spec, "template")->number(), 3);
  EXPECT_EQ(Field(spec, "strategy")->number(), 4);
  EXPECT_EQ(Field(spec, "minReadySeconds")->number(), 5);
  EXPECT_EQ(Field(spec, "revisionHistoryLimit")->number(), 6);
  EXPECT_EQ(Field(spec, "paused")->number(), 7);
  EXPECT_EQ(Field(spec, "progressDeadlineSeconds")->number(), 9);

  const Descriptor* ru = RollingUpdateDeployment::descriptor();
  EXPECT_EQ(Field(ru, "maxUnavailable")->number(), 1);
  EXPECT_EQ(Field(ru, "maxSurge")->number(), 2);

  const Descriptor* status = DeploymentStatus::descriptor();
  EXPECT_EQ(Field(status, "observedGeneration")->number(), 1);
  EXPECT_EQ(Field(status, "availableReplicas")->number(), 4);
  EXPECT_EQ(Field(status, "conditions")->number(), 6);
  EXPECT_EQ(Field(status, "readyReplicas")->number(), 7);
  EXPECT_EQ(Field(status, "collisionCount")->number(), 8);

  EXPECT_EQ(Field(DeploymentCondition::descriptor(), "lastUpdateTime")->number(), 6);
  EXPECT_EQ(Field(DeploymentCondition::descriptor(), "lastTransitionTime")->number(), 7);
  EXPECT_EQ(Field(DaemonSetSpec::descriptor(), "revisionHistoryLimit")->number(), 6);
  EXPECT_EQ(Field(ReplicaSetSpec::descriptor(), "minReadySeconds")->number(), 4);
  EXPECT_EQ(Field(StatefulSetStatus::descriptor(), "availableReplicas")->number(), 11);
  EXPECT_EQ(Field(ControllerRevision::descriptor(), "revision")->number(), 3);
}

TEST(AppsProtoTest, ParsesBytesEncodedWithKubernetesNumbers) {
  // DeploymentSpec{replicas: 3, strategy: {type: "Recreate"}, minReadySeconds: 5,
  // progressDeadlineSeconds: 600} hand-encoded with Kubernetes' tags:
  // 08 03 | 22 0a (0a 08 "Recreate") | 28 05 | 48 d8 04
  const std::string wire("\x08\x03\x22\x0a\x0a\x08Recreate\x28\x05\x48\xd8\x04", 19);
  DeploymentSpec spec;
  ASSERT_TRUE(spec.ParseFromString(wire));
  EXPECT_EQ(spec.replicas(), 3);
  EXPECT_EQ(spec.strategy().type(), "Recreate");
  EXPECT_EQ(spec.minreadyseconds(), 5);
  EXPECT_EQ(spec.progressdeadlineseconds(), 600);
  EXPECT_TRUE(spec.unknown_fields().empty());
  EXPECT_EQ(spec.SerializeAsString(), wire);
}

TEST(AppsProtoTest, FieldNamesAreTheJsonNames) {
  for (const Descriptor* d : {Deployment::descriptor(), DeploymentSpec::descriptor(),
                              DeploymentStatus::descriptor(), StatefulSetSpec::descriptor(),
                              DaemonSetStatus::descriptor(), ReplicaSetStatus::descriptor()}) {
    for (int i = 0; i < d->field_count(); ++i) {
      EXPECT_EQ(d->field(i)->json_name(), d->field(i)->name()) << d->full_name();
    }
  }
}

TEST(AppsProtoTest, StrategicMergeAndJsonOptions) {
  const auto& conditions = Field(DeploymentStatus::descriptor(), "conditions")->options();
  EXPECT_EQ(conditions.GetExtension(rudder::api::patch_merge_key), "type");
  EXPECT_EQ(conditions.GetExtension(rudder::api::patch_strategy), "merge");
  EXPECT_EQ(Field(DeploymentSpec::descriptor(), "strategy")
                ->options()
                .GetExtension(rudder::api::patch_strategy),
            "retainKeys");
  EXPECT_TRUE(Field(DeploymentList::descriptor(), "items")
                  ->options()
                  .GetExtension(rudder::api::json_always));
  EXPECT_TRUE(Field(DaemonSetStatus::descriptor(), "numberReady")
                  ->options()
                  .GetExtension(rudder::api::json_always));
  EXPECT_FALSE(Field(DeploymentStatus::descriptor(), "readyReplicas")
                   ->options()
                   .GetExtension(rudder::api::json_always));
}

TEST(AppsProtoTest, JsonMatchesKubernetes) {
  Deployment d = MakeDeployment();
  absl::StatusOr<std::string> json =
      EncodeJson(d, JsonEncodeOptions{.api_version = "apps/v1", .kind = "Deployment"});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->rfind("{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",", 0), 0u) << *json;
  EXPECT_NE(json->find("\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
                       "{\"maxUnavailable\":\"25%\",\"maxSurge\":1}},\"minReadySeconds\":5,"
                       "\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600}"),
            std::string::npos)
      << *json;

  Deployment back;
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(*json, &back);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type_meta.kind, "Deployment");
  EXPECT_EQ(back.SerializeAsString(), d.SerializeAsString());
}

TEST(AppsProtoTest, EmptyListPrintsItems) {
  absl::StatusOr<std::string> json = EncodeJson(DeploymentList(), JsonEncodeOptions{});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"items\":[]"), std::string::npos) << *json;
}

TEST(AppsProtoTest, DecodingRejectsAWrongType) {
  Deployment d;
  absl::StatusOr<JsonDecodeResult> r =
      DecodeJson(R"({"spec":{"strategy":{"rollingUpdate":{"maxSurge":true}}}})", &d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("spec.strategy.rollingUpdate.maxSurge"), std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace rudder::api::apps::v1
