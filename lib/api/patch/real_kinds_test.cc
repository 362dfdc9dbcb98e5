// Strategic merge patch metadata read from the real apps/v1 and core/v1 schemas.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/patch/strategic_merge_patch.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "rapidjson/document.h"

namespace rudder::api::patch {
namespace {

const PatchMeta& DeploymentMeta() {
  static const PatchMeta* const meta =
      NewProtoPatchMeta(rudder::api::apps::v1::Deployment::descriptor()).release();
  return *meta;
}

TEST(RealDeployment, PatchMetadataMatchesKubernetesTags) {
  const PatchMeta& d = DeploymentMeta();
  auto spec = d.Lookup("spec");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto strategy = spec->children->Lookup("strategy");
  ASSERT_TRUE(strategy.ok());
  EXPECT_TRUE(strategy->strategy.retain_keys);
  auto pod = spec->children->Lookup("template")->children->Lookup("spec");
  ASSERT_TRUE(pod.ok()) << pod.status();
  auto containers = pod->children->Lookup("containers");
  ASSERT_TRUE(containers.ok());
  EXPECT_TRUE(containers->strategy.merge);
  EXPECT_EQ(containers->merge_key, "name");
  EXPECT_EQ(containers->children->Lookup("ports")->merge_key, "containerPort");
  EXPECT_EQ(containers->children->Lookup("env")->merge_key, "name");
  EXPECT_EQ(containers->children->Lookup("volumeMounts")->merge_key, "mountPath");
  auto limits = containers->children->Lookup("resources")->children->Lookup("limits");
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(limits->children->Lookup("cpu")->kind, FieldKind::kPrimitive);  // Quantity
  auto volumes = pod->children->Lookup("volumes");
  ASSERT_TRUE(volumes.ok());
  EXPECT_TRUE(volumes->strategy.merge && volumes->strategy.retain_keys);
  EXPECT_EQ(volumes->merge_key, "name");
  // Volume.volumeSource is inline in JSON: its members are fields of the Volume.
  auto config_map = volumes->children->Lookup("configMap");
  ASSERT_TRUE(config_map.ok()) << config_map.status();
  EXPECT_EQ(config_map->kind, FieldKind::kObject);
  auto meta = d.Lookup("metadata");
  ASSERT_TRUE(meta.ok());
  EXPECT_TRUE(meta->children->Lookup("finalizers")->strategy.merge);
  EXPECT_EQ(meta->children->Lookup("ownerReferences")->merge_key, "uid");
}

constexpr char kLive[] = R"({"metadata":{"name":"x","namespace":"default","labels":{"app":"web"},
  "annotations":{"deployment.kubernetes.io/revision":"1"}},
 "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
  "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},
  "template":{"metadata":{"labels":{"app":"web"}},"spec":{
   "containers":[{"name":"c","image":"busybox:1.36","resources":{"limits":{"cpu":"1"}},
     "terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}],
   "volumes":[{"name":"v","configMap":{"name":"cm","defaultMode":420}}],
   "restartPolicy":"Always","dnsPolicy":"ClusterFirst"}}},
 "status":{"observedGeneration":1,"replicas":1}})";

TEST(RealDeployment, KubectlApplyPatch) {
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(
      kLive,
      R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"..."}},)"
      R"("spec":{"replicas":2,"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],)"
      R"("containers":[{"image":"busybox:1.37","name":"c"}]}}}})",
      DeploymentMeta());
  ASSERT_TRUE(out.ok()) << out.status();
  rapidjson::Document doc;
  doc.Parse(out->c_str());
  const auto& c = doc["spec"]["template"]["spec"]["containers"][0];
  EXPECT_STREQ(c["image"].GetString(), "busybox:1.37");
  EXPECT_STREQ(c["imagePullPolicy"].GetString(), "IfNotPresent");
  EXPECT_EQ(doc["spec"]["replicas"].GetInt(), 2);
  EXPECT_EQ(doc["metadata"]["annotations"].MemberCount(), 2u);
}

TEST(RealDeployment, VolumeSourceSwitchWithRetainKeys) {
  const char* modified_volumes =
      R"({"spec":{"template":{"spec":{"volumes":[{"name":"v","emptyDir":{}}]}}}})";
  const char* original_volumes =
      R"({"spec":{"template":{"spec":{"volumes":[{"name":"v","configMap":{"name":"cm"}}]}}}})";
  absl::StatusOr<std::string> p =
      CreateTwoWayMergePatch(original_volumes, modified_volumes, DeploymentMeta());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, R"({"spec":{"template":{"spec":{"$setElementOrder/volumes":[{"name":"v"}],)"
                R"("volumes":[{"$retainKeys":["emptyDir","name"],"configMap":null,"emptyDir":{},)"
                R"("name":"v"}]}}}})");
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(kLive, *p, DeploymentMeta());
  ASSERT_TRUE(out.ok()) << out.status();
  rapidjson::Document doc;
  doc.Parse(out->c_str());
  const auto& v = doc["spec"]["template"]["spec"]["volumes"][0];
  EXPECT_FALSE(v.HasMember("configMap"));
  EXPECT_TRUE(v.HasMember("emptyDir"));
}

TEST(RealDeployment, ScaleAndLabelPatches) {
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(
      kLive, R"({"metadata":{"labels":{"a":"b","app":null}}})", DeploymentMeta());
  ASSERT_TRUE(out.ok()) << out.status();
  rapidjson::Document doc;
  doc.Parse(out->c_str());
  EXPECT_EQ(doc["metadata"]["labels"].MemberCount(), 1u);
  EXPECT_STREQ(doc["metadata"]["labels"]["a"].GetString(), "b");
}

}  // namespace
}  // namespace rudder::api::patch
