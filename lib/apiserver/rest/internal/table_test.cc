#include "lib/apiserver/rest/internal/table.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lib/api/scheme/builtin.h"

namespace rudder::apiserver::rest_internal {
namespace {

TEST(HumanDurationTest, MatchesKubernetesForms) {
  EXPECT_EQ(HumanDuration(absl::Seconds(5)), "5s");
  EXPECT_EQ(HumanDuration(absl::Seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(absl::Seconds(185)), "3m5s");
  EXPECT_EQ(HumanDuration(absl::Minutes(45)), "45m");
  EXPECT_EQ(HumanDuration(absl::Minutes(250)), "4h10m");
  EXPECT_EQ(HumanDuration(absl::Hours(20)), "20h");
  EXPECT_EQ(HumanDuration(absl::Hours(50)), "2d2h");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 30)), "30d");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 365 * 3)), "3y");
}

TEST(RenderTableTest, PodColumns) {
  auto scheme = api::NewBuiltinScheme();
  auto pod = scheme->ByKind({"", "v1", "Pod"});
  const std::string json =
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","creationTimestamp":)"
      R"("2026-01-01T00:00:00Z"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},)"
      R"("status":{"phase":"Running","containerStatuses":[{"name":"a","ready":true,)"
      R"("restartCount":2},{"name":"b","ready":false,"restartCount":1}]}})";
  absl::Time now;
  std::string err;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2026-01-01T00:00:30Z", &now, &err));
  std::string t = RenderTable(*pod, {json}, "7", "", now);
  EXPECT_TRUE(absl::StrContains(t, R"("cells":["p","1/2","Running",3,"30s"])")) << t;
  EXPECT_TRUE(absl::StrContains(t, R"("kind":"PartialObjectMetadata")")) << t;
  EXPECT_TRUE(absl::StrContains(t, R"("metadata":{"resourceVersion":"7"})")) << t;
}

TEST(RenderTableTest, DeploymentAndGenericColumns) {
  auto scheme = api::NewBuiltinScheme();
  auto deploy = scheme->ByKind({"apps", "v1", "Deployment"});
  const std::string json =
      R"({"metadata":{"name":"d","creationTimestamp":"2026-01-01T00:00:00Z"},)"
      R"("spec":{"replicas":3},"status":{"readyReplicas":2,"updatedReplicas":3,)"
      R"("availableReplicas":1}})";
  absl::Time now = absl::FromUnixSeconds(1767225600 + 600);
  std::string t = RenderTable(*deploy, {json}, "1", "", now);
  EXPECT_TRUE(absl::StrContains(t, R"("cells":["d","2/3",3,1,"10m"])")) << t;
  auto cm = scheme->ByKind({"", "v1", "ConfigMap"});
  t = RenderTable(*cm, {json}, "1", "tok", now);
  EXPECT_TRUE(absl::StrContains(t, R"("cells":["d","10m"])")) << t;
  EXPECT_TRUE(absl::StrContains(t, R"("continue":"tok")")) << t;
}

TEST(RenderTableTest, PrinterColumns) {
  api::KindInfo k;
  k.gvk = {"stable.example.com", "v1", "CronTab"};
  k.plural = "crontabs";
  k.printer_columns = {{"Spec", "string", "", "The cron spec.", 0, ".spec.cronSpec"},
                       {"Replicas", "integer", "", "", 0, ".spec.replicas"},
                       {"First", "string", "", "", 1, ".spec.ports[0].name"},
                       {"Missing", "string", "", "", 0, ".status.nothing"},
                       {"Age", "date", "", "", 0, ".metadata.creationTimestamp"}};
  const std::string json =
      R"({"metadata":{"name":"c","creationTimestamp":"2026-01-01T00:00:00Z"},)"
      R"("spec":{"cronSpec":"* * * * *","replicas":3,"ports":[{"name":"http"}]}})";
  absl::Time now = absl::FromUnixSeconds(1767225600 + 90);
  std::string t = RenderTable(k, {json}, "1", "", now);
  EXPECT_TRUE(absl::StrContains(t, R"("cells":["c","* * * * *",3,"http",null,"90s"])")) << t;
  EXPECT_TRUE(absl::StrContains(
      t,
      R"({"name":"Spec","type":"string","format":"","description":"The cron spec.","priority":0})"))
      << t;
  EXPECT_TRUE(absl::StrContains(
      t, R"("name":"First","type":"string","format":"","description":"","priority":1)"))
      << t;
}

}  // namespace
}  // namespace rudder::apiserver::rest_internal
