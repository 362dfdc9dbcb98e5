#include "lib/controllers/runtime/controllerutil.h"

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::ctrl {
namespace {

using api::apps::v1::Deployment;
using api::core::v1::ConfigMap;
using api::core::v1::Pod;

TEST(FinalizerTest, AddHasRemove) {
  ConfigMap cm;
  EXPECT_FALSE(HasFinalizer(cm, "example.com/cleanup"));
  EXPECT_TRUE(AddFinalizer(&cm, "example.com/cleanup"));
  EXPECT_FALSE(AddFinalizer(&cm, "example.com/cleanup"));
  EXPECT_TRUE(AddFinalizer(&cm, "other"));
  EXPECT_TRUE(HasFinalizer(cm, "example.com/cleanup"));
  cm.mutable_metadata()->add_finalizers("example.com/cleanup");  // A duplicate.
  EXPECT_TRUE(RemoveFinalizer(&cm, "example.com/cleanup"));
  EXPECT_FALSE(HasFinalizer(cm, "example.com/cleanup"));
  EXPECT_FALSE(RemoveFinalizer(&cm, "example.com/cleanup"));
  ASSERT_EQ(cm.metadata().finalizers_size(), 1);
  EXPECT_EQ(cm.metadata().finalizers(0), "other");
}

class ControllerUtilTest : public ::testing::Test {
 protected:
  ControllerUtilTest() {
    owner_.mutable_metadata()->set_namespace_("ns");
    owner_.mutable_metadata()->set_name("web");
    owner_.mutable_metadata()->set_uid("uid-web");
  }
  testing::TestCluster cluster_;
  Deployment owner_;
};

TEST_F(ControllerUtilTest, OwnerReferences) {
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("ns");
  cm.mutable_metadata()->set_name("cfg");
  ASSERT_TRUE(SetOwnerReference(owner_, &cm, *cluster_.scheme).ok());
  ASSERT_EQ(cm.metadata().ownerreferences_size(), 1);
  const auto& ref = cm.metadata().ownerreferences(0);
  EXPECT_EQ(ref.apiversion(), "apps/v1");
  EXPECT_EQ(ref.kind(), "Deployment");
  EXPECT_EQ(ref.name(), "web");
  EXPECT_EQ(ref.uid(), "uid-web");
  EXPECT_FALSE(ref.controller());
  EXPECT_FALSE(GetControllerOf(cm).has_value());

  // Becoming the controller replaces the plain reference.
  ASSERT_TRUE(SetControllerReference(owner_, &cm, *cluster_.scheme).ok());
  ASSERT_EQ(cm.metadata().ownerreferences_size(), 1);
  EXPECT_TRUE(cm.metadata().ownerreferences(0).controller());
  EXPECT_TRUE(cm.metadata().ownerreferences(0).blockownerdeletion());
  ASSERT_TRUE(GetControllerOf(cm).has_value());
  // Setting a plain reference again keeps the controller flag.
  ASSERT_TRUE(SetOwnerReference(owner_, &cm, *cluster_.scheme).ok());
  EXPECT_TRUE(cm.metadata().ownerreferences(0).controller());

  // Another controller is refused; another plain owner is fine.
  Deployment other = owner_;
  other.mutable_metadata()->set_name("api");
  other.mutable_metadata()->set_uid("uid-api");
  EXPECT_EQ(SetControllerReference(other, &cm, *cluster_.scheme).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(SetOwnerReference(other, &cm, *cluster_.scheme).ok());
  EXPECT_EQ(cm.metadata().ownerreferences_size(), 2);

  // Cross-namespace and cluster-scoped-to-namespaced references are invalid.
  ConfigMap elsewhere = cm;
  elsewhere.mutable_metadata()->set_namespace_("other");
  EXPECT_EQ(SetOwnerReference(owner_, &elsewhere, *cluster_.scheme).code(),
            absl::StatusCode::kInvalidArgument);
  api::core::v1::Namespace ns_obj;
  ns_obj.mutable_metadata()->set_name("x");
  EXPECT_EQ(SetOwnerReference(owner_, &ns_obj, *cluster_.scheme).code(),
            absl::StatusCode::kInvalidArgument);
  // An owner that was never stored has no uid.
  Deployment unsaved;
  unsaved.mutable_metadata()->set_namespace_("ns");
  unsaved.mutable_metadata()->set_name("new");
  EXPECT_EQ(SetOwnerReference(unsaved, &cm, *cluster_.scheme).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ControllerUtilTest, CreateOrUpdate) {
  client::Client* c = cluster_.client.get();
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("ns");
  cm.mutable_metadata()->set_name("cfg");
  std::function<absl::Status(ConfigMap*)> mutate = [](ConfigMap* m) {
    (*m->mutable_data())["mode"] = "fast";
    return absl::OkStatus();
  };
  absl::StatusOr<OperationResult> r = CreateOrUpdate<ConfigMap>(c, &cm, mutate);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, OperationResult::kCreated);
  EXPECT_FALSE(cm.metadata().uid().empty());

  r = CreateOrUpdate<ConfigMap>(c, &cm, mutate);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, OperationResult::kNone);

  std::string rv = cm.metadata().resourceversion();
  r = CreateOrUpdate<ConfigMap>(c, &cm, [](ConfigMap* m) {
    (*m->mutable_data())["mode"] = "safe";
    return absl::OkStatus();
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, OperationResult::kUpdated);
  EXPECT_NE(cm.metadata().resourceversion(), rv);
  EXPECT_EQ(cm.data().at("mode"), "safe");

  // Renaming inside mutate is refused; mutate errors come back as they are.
  EXPECT_EQ(CreateOrUpdate<ConfigMap>(c, &cm,
                                      [](ConfigMap* m) {
                                        m->mutable_metadata()->set_name("renamed");
                                        return absl::OkStatus();
                                      })
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  cm.mutable_metadata()->set_name("cfg");
  EXPECT_EQ(CreateOrUpdate<ConfigMap>(
                c, &cm, [](ConfigMap*) { return absl::FailedPreconditionError("no"); })
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ControllerUtilTest, CreateOrPatchSplitsStatus) {
  client::Client* c = cluster_.client.get();
  Deployment d;
  d.mutable_metadata()->set_namespace_("ns");
  d.mutable_metadata()->set_name("web");
  auto base = [](Deployment* x) {
    x->mutable_spec()->set_replicas(2);
    (*x->mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
    (*x->mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "web";
    if (x->spec().template_().spec().containers_size() == 0) {
      auto* ctr = x->mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
      ctr->set_name("web");
      ctr->set_image("nginx");
    }
    return absl::OkStatus();
  };
  absl::StatusOr<OperationResult> r = CreateOrPatch<Deployment>(c, &d, base);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, OperationResult::kCreated);

  r = CreateOrPatch<Deployment>(c, &d, base);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, OperationResult::kNone);

  r = CreateOrPatch<Deployment>(c, &d, [](Deployment* x) {
    x->mutable_status()->set_observedgeneration(7);
    return absl::OkStatus();
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, OperationResult::kUpdatedStatusOnly);
  EXPECT_EQ(d.status().observedgeneration(), 7);

  r = CreateOrPatch<Deployment>(c, &d, [](Deployment* x) {
    x->mutable_spec()->set_replicas(5);
    x->mutable_status()->set_observedgeneration(8);
    return absl::OkStatus();
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, OperationResult::kUpdatedStatus);
  client::TypedClient<Deployment> deployments(c);
  absl::StatusOr<std::unique_ptr<Deployment>> live = deployments.Get("ns", "web");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ((*live)->spec().replicas(), 5);
  EXPECT_EQ((*live)->status().observedgeneration(), 8);

  r = CreateOrPatch<Deployment>(c, &d, [](Deployment* x) {
    (*x->mutable_metadata()->mutable_labels())["tier"] = "front";
    return absl::OkStatus();
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, OperationResult::kUpdated);
  EXPECT_EQ(d.metadata().labels().at("tier"), "front");
}

TEST(MergePatchTest, Diff) {
  EXPECT_EQ(*CreateMergePatch(R"({"a":1,"b":{"c":2,"d":3},"e":[1]})",
                              R"({"a":1,"b":{"c":5},"e":[1,2],"f":"x"})"),
            R"({"b":{"d":null,"c":5},"e":[1,2],"f":"x"})");
  EXPECT_EQ(*CreateMergePatch("{}", "{}"), "{}");
  EXPECT_EQ(CreateMergePatch("[", "{}").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::ctrl
