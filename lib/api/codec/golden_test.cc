// Golden tests: JSON and YAML exactly as kubectl prints them (testdata/golden/, produced by
// `kubectl create ... --dry-run=client -o json|yaml` and `kubectl run ... -o json|yaml`)
// must decode strictly into the real kinds and re-encode byte for byte.
#include <fstream>
#include <sstream>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/yaml.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/networking/v1/networking.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/api/proto/scheduling/v1/scheduling.pb.h"

namespace rudder::api {
namespace {

std::string Read(const std::string& name) {
  std::ifstream in("lib/api/codec/testdata/golden/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename M>
void ExpectGolden(const std::string& base) {
  SCOPED_TRACE(base);
  std::string golden_json = Read(base + ".json");
  std::string golden_yaml = Read(base + ".yaml");
  ASSERT_FALSE(golden_json.empty());
  ASSERT_EQ(golden_json.back(), '\n');  // kubectl ends its output with a newline

  // JSON -> message -> JSON, strictly: every field is known.
  M m;
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(golden_json, &m);
  ASSERT_TRUE(r.ok()) << r.status();
  JsonEncodeOptions o;
  o.api_version = r->type_meta.api_version;
  o.kind = r->type_meta.kind;
  o.indent = true;
  absl::StatusOr<std::string> json = EncodeJson(m, o);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json + "\n", golden_json);

  // The compact form is the indented one without whitespace.
  o.indent = false;
  absl::StatusOr<std::string> compact = EncodeJson(m, o);
  ASSERT_TRUE(compact.ok());
  EXPECT_EQ(*FormatJson(golden_json, false), *compact);

  // JSON -> YAML as `-o yaml` prints it.
  absl::StatusOr<std::string> yaml = JsonToYaml(*compact);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  EXPECT_EQ(*yaml, golden_yaml);

  // YAML -> JSON -> message gives the same object.
  absl::StatusOr<std::string> from_yaml = YamlDocumentToJson(golden_yaml);
  ASSERT_TRUE(from_yaml.ok()) << from_yaml.status();
  M m2;
  r = DecodeJson(*from_yaml, &m2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(m2, m))
      << m2.DebugString() << "\nvs\n"
      << m.DebugString();
}

TEST(GoldenTest, PodFromKubectlRun) { ExpectGolden<core::v1::Pod>("pod_run"); }
TEST(GoldenTest, RichPod) { ExpectGolden<core::v1::Pod>("pod_rich"); }
TEST(GoldenTest, ConfigMap) { ExpectGolden<core::v1::ConfigMap>("configmap"); }
TEST(GoldenTest, Secret) { ExpectGolden<core::v1::Secret>("secret"); }
TEST(GoldenTest, Service) { ExpectGolden<core::v1::Service>("service"); }
TEST(GoldenTest, NodePortService) { ExpectGolden<core::v1::Service>("service_nodeport"); }
TEST(GoldenTest, ResourceQuota) { ExpectGolden<core::v1::ResourceQuota>("quota"); }
TEST(GoldenTest, Deployment) { ExpectGolden<apps::v1::Deployment>("deployment"); }
TEST(GoldenTest, Job) { ExpectGolden<batch::v1::Job>("job"); }
TEST(GoldenTest, CronJob) { ExpectGolden<batch::v1::CronJob>("cronjob"); }
TEST(GoldenTest, Ingress) { ExpectGolden<networking::v1::Ingress>("ingress"); }
TEST(GoldenTest, PodDisruptionBudget) { ExpectGolden<policy::v1::PodDisruptionBudget>("pdb"); }
TEST(GoldenTest, PriorityClass) { ExpectGolden<scheduling::v1::PriorityClass>("priorityclass"); }

TEST(GoldenTest, StrictDecodingNamesTheUnknownFieldAsKubernetesDoes) {
  std::string json = Read("pod_run.json");
  size_t at = json.find("\"image\"");
  ASSERT_NE(at, std::string::npos);
  json.replace(at, 7, "\"imagee\"");
  core::v1::Pod pod;
  absl::Status s = DecodeJson(json, &pod).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "strict decoding error: unknown field \"spec.containers[0].imagee\"");
}

TEST(GoldenTest, PeekTypeMeta) {
  absl::StatusOr<TypeMeta> tm = PeekTypeMeta(Read("service.json"));
  ASSERT_TRUE(tm.ok());
  EXPECT_EQ(*tm, (TypeMeta{"v1", "Service"}));
}

}  // namespace
}  // namespace rudder::api
