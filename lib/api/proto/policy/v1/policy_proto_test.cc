// Tests of the policy/v1 schema: PodDisruptionBudget budgets, status and merge keys.
#include <string>

#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/options.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"

namespace rudder::api::policy::v1 {
namespace {

TEST(PolicyProtoTest, PodDisruptionBudgetJsonRoundTrips) {
  const std::string in =
      R"({"metadata":{"name":"web","creationTimestamp":null},)"
      R"("spec":{"selector":{"matchLabels":{"app":"web"}},"maxUnavailable":"50%",)"
      R"("unhealthyPodEvictionPolicy":"AlwaysAllow"},)"
      R"("status":{"observedGeneration":2,)"
      R"("disruptedPods":{"web-1":"2024-01-02T03:04:05Z"},"disruptionsAllowed":0,)"
      R"("currentHealthy":2,"desiredHealthy":2,"expectedPods":3,)"
      R"("conditions":[{"type":"DisruptionAllowed","status":"False",)"
      R"("lastTransitionTime":"2024-01-02T03:04:05Z","reason":"InsufficientPods",)"
      R"("message":""}]}})";
  PodDisruptionBudget pdb;
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(in, &pdb);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(pdb.spec().maxunavailable().strval(), "50%");
  EXPECT_FALSE(pdb.spec().has_minavailable());
  EXPECT_TRUE(pdb.status().has_disruptionsallowed());
  EXPECT_EQ(pdb.status().disruptedpods().at("web-1").seconds(), 1704164645);

  absl::StatusOr<std::string> out = EncodeJson(pdb);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, in);
}

TEST(PolicyProtoTest, MergeOptionsAreKubernetes) {
  const auto& selector =
      PodDisruptionBudgetSpec::descriptor()->FindFieldByName("selector")->options();
  EXPECT_EQ(selector.GetExtension(rudder::api::patch_strategy), "replace");
  const auto& conditions =
      PodDisruptionBudgetStatus::descriptor()->FindFieldByName("conditions")->options();
  EXPECT_EQ(conditions.GetExtension(rudder::api::patch_merge_key), "type");
  EXPECT_EQ(conditions.GetExtension(rudder::api::patch_strategy), "merge");
}

TEST(PolicyProtoTest, EvictionCarriesDeleteOptions) {
  Eviction e;
  absl::StatusOr<JsonDecodeResult> r =
      DecodeJson(R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web-0",)"
                 R"("namespace":"default"},"deleteOptions":{"gracePeriodSeconds":0}})",
                 &e);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type_meta.kind, "Eviction");
  EXPECT_TRUE(e.deleteoptions().has_graceperiodseconds());
  EXPECT_EQ(Eviction::descriptor()->FindFieldByName("deleteOptions")->number(), 2);
}

}  // namespace
}  // namespace rudder::api::policy::v1
