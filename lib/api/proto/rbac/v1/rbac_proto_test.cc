// Tests of the rbac.authorization.k8s.io/v1 schema against Kubernetes' JSON.
#include <string>

#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/rbac/v1/rbac.pb.h"

namespace rudder::api::rbac::v1 {
namespace {

TEST(RbacProtoTest, RoleWithoutRulesPrintsRules) {
  // Role.rules has no omitempty in Kubernetes: an empty role still shows the key.
  Role role;
  role.mutable_metadata()->set_name("empty");
  absl::StatusOr<std::string> json = EncodeJson(role);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find(R"("rules":[])"), std::string::npos) << *json;
}

TEST(RbacProtoTest, ClusterRoleBindingRoundTrips) {
  const std::string in =
      R"({"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1",)"
      R"("metadata":{"name":"admins","creationTimestamp":null},)"
      R"("subjects":[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"ops"},)"
      R"({"kind":"ServiceAccount","name":"deployer","namespace":"ci"}],)"
      R"("roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole",)"
      R"("name":"cluster-admin"}})";
  ClusterRoleBinding b;
  ASSERT_TRUE(DecodeJson(in, &b).ok());
  EXPECT_EQ(b.subjects(1).namespace_(), "ci");
  absl::StatusOr<std::string> out =
      EncodeJson(b, JsonEncodeOptions{.api_version = "rbac.authorization.k8s.io/v1",
                                      .kind = "ClusterRoleBinding"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, in);
}

TEST(RbacProtoTest, AggregatedClusterRole) {
  ClusterRole role;
  ASSERT_TRUE(DecodeJson(R"({"metadata":{"name":"monitoring"},"aggregationRule":)"
                         R"({"clusterRoleSelectors":[{"matchLabels":)"
                         R"({"rbac.example.com/aggregate-to-monitoring":"true"}}]},)"
                         R"("rules":[{"verbs":["get","list"],"apiGroups":[""],)"
                         R"("resources":["pods"]}]})",
                         &role)
                  .ok());
  EXPECT_EQ(role.aggregationrule().clusterroleselectors_size(), 1);
  EXPECT_EQ(role.rules(0).verbs(1), "list");
  EXPECT_EQ(ClusterRole::descriptor()->FindFieldByName("aggregationRule")->number(), 3);
  EXPECT_EQ(PolicyRule::descriptor()->FindFieldByName("nonResourceURLs")->number(), 5);
}

}  // namespace
}  // namespace rudder::api::rbac::v1
