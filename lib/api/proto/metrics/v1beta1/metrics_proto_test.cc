// Tests of the metrics.k8s.io/v1beta1 schema against the JSON a metrics server serves.
#include <string>

#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/metrics/v1beta1/metrics.pb.h"

namespace rudder::api::metrics::v1beta1 {
namespace {

TEST(MetricsProtoTest, NodeMetricsRoundTripsMetricsServerJson) {
  const std::string in =
      R"({"kind":"NodeMetrics","apiVersion":"metrics.k8s.io/v1beta1",)"
      R"("metadata":{"name":"node-1","creationTimestamp":"2024-01-02T03:04:06Z"},)"
      R"("timestamp":"2024-01-02T03:04:05Z","window":"10.062s",)"
      R"("usage":{"cpu":"123m","memory":"456Ki"}})";
  NodeMetrics m;
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(in, &m);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(m.timestamp().seconds(), 1704164645);
  EXPECT_EQ(m.window().duration(), 10062000000);
  EXPECT_EQ(m.usage().at("cpu").string(), "123m");

  absl::StatusOr<std::string> out = EncodeJson(
      m, JsonEncodeOptions{.api_version = "metrics.k8s.io/v1beta1", .kind = "NodeMetrics"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, in);
}

TEST(MetricsProtoTest, PodMetricsKeepsContainerOrder) {
  PodMetrics m;
  m.mutable_metadata()->set_name("web-0");
  for (const char* name : {"app", "sidecar"}) {
    ContainerMetrics* c = m.add_containers();
    c->set_name(name);
    (*c->mutable_usage())["cpu"].set_string("1m");
  }
  PodMetrics back;
  ASSERT_TRUE(back.ParseFromString(m.SerializeAsString()));
  ASSERT_EQ(back.containers_size(), 2);
  EXPECT_EQ(back.containers(1).name(), "sidecar");
  EXPECT_EQ(PodMetrics::descriptor()->FindFieldByName("containers")->number(), 4);
  EXPECT_EQ(NodeMetrics::descriptor()->FindFieldByName("usage")->number(), 4);
}

TEST(MetricsProtoTest, TimestampAndUsageAlwaysPrint) {
  NodeMetrics m;
  absl::StatusOr<std::string> out = EncodeJson(m);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"timestamp":null,"usage":{}})");
}

}  // namespace
}  // namespace rudder::api::metrics::v1beta1
