#include "lib/api/scheme/builtin.h"

#include <set>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"

namespace rudder::api {
namespace {

TEST(BuiltinSchemeTest, HasEveryKindTheObjectModelPromises) {
  std::unique_ptr<Scheme> scheme = NewBuiltinScheme();
  ASSERT_NE(scheme, nullptr);
  const std::vector<GroupVersionKind> want = {
      {"", "v1", "Pod"},
      {"", "v1", "Node"},
      {"", "v1", "Namespace"},
      {"", "v1", "Service"},
      {"", "v1", "Endpoints"},
      {"", "v1", "ConfigMap"},
      {"", "v1", "Secret"},
      {"", "v1", "ServiceAccount"},
      {"", "v1", "ReplicationController"},
      {"", "v1", "PersistentVolume"},
      {"", "v1", "PersistentVolumeClaim"},
      {"", "v1", "LimitRange"},
      {"", "v1", "ResourceQuota"},
      {"", "v1", "Event"},
      {"", "v1", "Binding"},
      {"apps", "v1", "ReplicaSet"},
      {"apps", "v1", "Deployment"},
      {"apps", "v1", "DaemonSet"},
      {"apps", "v1", "ControllerRevision"},
      {"batch", "v1", "Job"},
      {"autoscaling", "v2", "HorizontalPodAutoscaler"},
      {"networking.k8s.io", "v1", "Ingress"},
      {"networking.k8s.io", "v1", "NetworkPolicy"},
      {"rbac.authorization.k8s.io", "v1", "Role"},
      {"rbac.authorization.k8s.io", "v1", "ClusterRole"},
      {"rbac.authorization.k8s.io", "v1", "RoleBinding"},
      {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"},
      {"storage.k8s.io", "v1", "StorageClass"},
      {"coordination.k8s.io", "v1", "Lease"},
      {"discovery.k8s.io", "v1", "EndpointSlice"},
      {"policy", "v1", "PodDisruptionBudget"},
      {"scheduling.k8s.io", "v1", "PriorityClass"},
      {"apiextensions.k8s.io", "v1", "CustomResourceDefinition"},
  };
  for (const GroupVersionKind& gvk : want) {
    std::shared_ptr<const KindInfo> k = scheme->ByKind(gvk);
    ASSERT_NE(k, nullptr) << gvk.ToString();
    ASSERT_NE(k->descriptor, nullptr) << gvk.ToString();
    // The message's name is the kind's, and (but for Binding-like kinds) it is an object.
    EXPECT_EQ(k->descriptor->name(), gvk.kind);
    EXPECT_TRUE(IsObjectType(k->descriptor)) << gvk.ToString();
    EXPECT_NE(k->New(), nullptr);
  }
}

TEST(BuiltinSchemeTest, NamesScopeAndSubresourcesMatchKubernetes) {
  std::unique_ptr<Scheme> scheme = NewBuiltinScheme();
  auto deploy = scheme->ResolveResource("deploy");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->plural, "deployments");
  EXPECT_EQ(deploy->singular, "deployment");
  EXPECT_TRUE(deploy->namespaced);
  EXPECT_TRUE(deploy->has_status);
  EXPECT_TRUE(deploy->has_scale);
  EXPECT_EQ(deploy->categories, std::vector<std::string>{"all"});

  auto node = scheme->ResolveResource("no");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->gvk.group, "");  // Core nodes win over metrics.k8s.io nodes.
  EXPECT_FALSE(node->namespaced);
  EXPECT_EQ(scheme->ResolveResource("nodes.metrics.k8s.io")->gvk.kind, "NodeMetrics");
  EXPECT_EQ(scheme->ResolveResource("crd")->gvk.kind, "CustomResourceDefinition");
  EXPECT_EQ(scheme->ResolveResource("hpa")->gvk.version, "v2");
  EXPECT_EQ(scheme->ResolveResource("svc")->gvk.kind, "Service");
  EXPECT_EQ(scheme->ResolveResource("pvc")->plural, "persistentvolumeclaims");
  EXPECT_EQ(scheme->ResolveResource("bindings")->verbs, std::vector<std::string>{"create"});
}

TEST(BuiltinSchemeTest, GroupVersionsStartWithTheCoreGroup) {
  std::unique_ptr<Scheme> scheme = NewBuiltinScheme();
  auto gvs = scheme->GroupVersions();
  ASSERT_FALSE(gvs.empty());
  EXPECT_EQ(gvs.front(), std::make_pair(std::string(""), std::string("v1")));
  std::set<std::string> groups;
  for (const auto& [g, v] : gvs) groups.insert(g);
  EXPECT_TRUE(groups.count("apps"));
  EXPECT_TRUE(groups.count("rbac.authorization.k8s.io"));
}

TEST(BuiltinSchemeTest, RegisteringTwiceFails) {
  std::unique_ptr<Scheme> scheme = NewBuiltinScheme();
  EXPECT_EQ(RegisterBuiltinKinds(*scheme).code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace rudder::api
