#include "lib/client/dynamic/dynamic_client.h"

#include "gtest/gtest.h"
#include "lib/api/proto/unstructured/unstructured.pb.h"
#include "lib/client/conformance/transports.h"

namespace rudder::client {
namespace {

constexpr char kDeployment[] = R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web","namespace":"team","labels":{"app":"web"}},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"main","image":"nginx:1.25"}]}}}})";

const api::GroupVersionResource kDeployments{"apps", "v1", "deployments"};

class DynamicClientTest : public ::testing::TestWithParam<TransportFactory> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ClientEnv>> env = GetParam().make();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }
  std::unique_ptr<ClientEnv> env_;
};

TEST_P(DynamicClientTest, CrudOverTypedKind) {
  DynamicClient dyn(env_->client());
  absl::StatusOr<api::Unstructured> in = api::Unstructured::FromJson(kDeployment);
  ASSERT_TRUE(in.ok()) << in.status();
  absl::StatusOr<api::Unstructured> created = dyn.Create(kDeployments, "", *in);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->ApiVersion(), "apps/v1");
  EXPECT_EQ(created->Kind(), "Deployment");
  EXPECT_EQ(created->Namespace(), "team");
  EXPECT_FALSE(created->Uid().empty());
  EXPECT_EQ(created->GetInt64({"spec", "replicas"}), 2);

  absl::StatusOr<api::Unstructured> got = dyn.Get(kDeployments, "team", "web");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->ToJson(), created->ToJson());

  api::Unstructured changed = *got;
  ASSERT_TRUE(changed.SetInt64({"spec", "replicas"}, 4).ok());
  absl::StatusOr<api::Unstructured> updated = dyn.Update(kDeployments, changed);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->GetInt64({"spec", "replicas"}), 4);
  // The old copy is stale.
  EXPECT_EQ(dyn.Update(kDeployments, *got).status().code(), absl::StatusCode::kAborted);

  api::Unstructured status = *updated;
  ASSERT_TRUE(status.SetInt64({"status", "readyReplicas"}, 1).ok());
  absl::StatusOr<api::Unstructured> with_status = dyn.UpdateStatus(kDeployments, status);
  ASSERT_TRUE(with_status.ok()) << with_status.status();
  EXPECT_EQ(with_status->GetInt64({"status", "readyReplicas"}), 1);

  absl::StatusOr<api::Unstructured> patched = dyn.Patch(
      kDeployments, "team", "web", PatchType::kMerge, R"({"metadata":{"labels":{"tier":"a"}}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(patched->Labels().at("tier"), "a");

  absl::StatusOr<UnstructuredList> list = dyn.List(kDeployments, "team");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].Name(), "web");
  EXPECT_GT(list->resource_version, 0);

  WatchOptions wo;
  wo.resource_version = updated->ResourceVersion();
  absl::StatusOr<std::unique_ptr<UnstructuredWatcher>> w = dyn.Watch(kDeployments, "team", wo);
  ASSERT_TRUE(w.ok()) << w.status();
  std::optional<UnstructuredEvent> e = (*w)->Next(absl::Seconds(30));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type, "MODIFIED");
  EXPECT_EQ(e->object.Kind(), "Deployment");
  EXPECT_EQ(e->object.GetInt64({"status", "readyReplicas"}), 1);

  ASSERT_TRUE(dyn.Delete(kDeployments, "team", "web").ok());
  EXPECT_EQ(dyn.Get(kDeployments, "team", "web").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(DynamicClientTest, RejectsWhatTheKindCannotHold) {
  DynamicClient dyn(env_->client());
  absl::StatusOr<api::Unstructured> in = api::Unstructured::FromJson(kDeployment);
  ASSERT_TRUE(in.ok());
  // Unknown field: strict decoding names it.
  api::Unstructured unknown = *in;
  ASSERT_TRUE(unknown.SetString({"spec", "replicaz"}, "x").ok());
  absl::Status st = dyn.Create(kDeployments, "", unknown).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("spec.replicaz"), std::string::npos) << st;
  // Wrong kind for the resource.
  api::Unstructured wrong = *in;
  wrong.SetKind("StatefulSet");
  EXPECT_EQ(dyn.Create(kDeployments, "", wrong).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Unknown resource.
  EXPECT_EQ(dyn.Get({"example.com", "v1", "widgets"}, "team", "x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(DynamicClientTest, CustomResource) {
  api::KindInfo widget;
  widget.gvk = {"example.com", "v1", "Widget"};
  widget.plural = "widgets";
  widget.singular = "widget";
  widget.has_status = true;
  widget.custom_resource = true;
  widget.descriptor = api::unstructured::CustomObject::descriptor();
  ASSERT_TRUE(env_->scheme()->Register(widget).ok());
  const api::GroupVersionResource widgets{"example.com", "v1", "widgets"};
  DynamicClient dyn(env_->client());
  absl::StatusOr<api::Unstructured> in = api::Unstructured::FromJson(
      R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1","namespace":"team"},
          "spec":{"size":3,"colors":["red","blue"],"nested":{"on":true}}})");
  ASSERT_TRUE(in.ok()) << in.status();
  absl::StatusOr<api::Unstructured> created = dyn.Create(widgets, "", *in);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->Kind(), "Widget");
  EXPECT_EQ(created->GetInt64({"spec", "size"}), 3);
  EXPECT_EQ(created->GetBool({"spec", "nested", "on"}), true);
  absl::StatusOr<api::Unstructured> got = dyn.Get(widgets, "team", "w1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->GetStringSlice({"spec", "colors"}), (std::vector<std::string>{"red", "blue"}));
  absl::StatusOr<api::Unstructured> patched =
      dyn.Patch(widgets, "team", "w1", PatchType::kMerge, R"({"spec":{"size":5}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(patched->GetInt64({"spec", "size"}), 5);
  EXPECT_TRUE(dyn.Delete(widgets, "team", "w1").ok());
}

INSTANTIATE_TEST_SUITE_P(All, DynamicClientTest, ::testing::ValuesIn(AllTransports()),
                         [](const ::testing::TestParamInfo<TransportFactory>& i) {
                           return i.param.name;
                         });

}  // namespace
}  // namespace rudder::client
