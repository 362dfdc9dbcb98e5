#include "lib/api/object/fields.h"

#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"

namespace rudder::api {
namespace {

namespace core = ::rudder::api::core::v1;
namespace fields = ::rudder::api::fields;

core::Pod RunningPod() {
  core::Pod p;
  p.mutable_metadata()->set_name("web-1");
  p.mutable_metadata()->set_namespace_("shop");
  p.mutable_spec()->set_nodename("node-a");
  p.mutable_spec()->set_hostnetwork(false);
  p.mutable_status()->set_phase("Running");
  return p;
}

TEST(SelectableFieldsTest, PodsSupportKubernetesFieldsAndRejectOthers) {
  std::vector<std::string> names = SelectableFieldNames(*core::Pod::descriptor());
  EXPECT_NE(std::find(names.begin(), names.end(), "spec.nodeName"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "status.phase"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "metadata.namespace"), names.end());

  auto ok = *fields::Selector::Parse("spec.nodeName=node-a,status.phase!=Pending");
  EXPECT_TRUE(CheckFieldSelector(ok, *core::Pod::descriptor()).ok());
  EXPECT_TRUE(ok.Matches(SelectableFields(RunningPod())));

  auto bad = *fields::Selector::Parse("spec.containers=x");
  absl::Status s = CheckFieldSelector(bad, *core::Pod::descriptor());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "field label not supported: spec.containers");
}

TEST(SelectableFieldsTest, ValuesAreRenderedAsKubernetesDoes) {
  std::map<std::string, std::string> f = SelectableFields(RunningPod());
  EXPECT_EQ(f["metadata.name"], "web-1");
  EXPECT_EQ(f["metadata.namespace"], "shop");
  EXPECT_EQ(f["spec.hostNetwork"], "false");
  EXPECT_EQ(f["status.podIP"], "");
  auto no_match = *fields::Selector::Parse("metadata.name=web-2");
  EXPECT_FALSE(no_match.Matches(f));
}

TEST(SelectableFieldsTest, KindsWithoutExtrasHaveOnlyMetadataFields) {
  EXPECT_EQ(SelectableFieldNames(*core::ConfigMap::descriptor()),
            (std::vector<std::string>{"metadata.name", "metadata.namespace"}));
  core::ConfigMap cm;
  cm.mutable_metadata()->set_name("c");
  auto sel = *fields::Selector::Parse("data.x=1");
  EXPECT_FALSE(CheckFieldSelector(sel, *core::ConfigMap::descriptor()).ok());
  core::Secret secret;
  secret.set_type("Opaque");
  EXPECT_EQ(SelectableFields(secret)["type"], "Opaque");
  core::Node node;
  node.mutable_spec()->set_unschedulable(true);
  EXPECT_EQ(SelectableFields(node)["spec.unschedulable"], "true");
}

}  // namespace
}  // namespace rudder::api
