// Server-side apply and managedFields through the Registry.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lib/api/apply/fieldset.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

using api::KindInfo;
namespace apps = api::apps::v1;

constexpr char kDeploy[] = R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web","labels":{"app":"web"}},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}})";

constexpr char kDeployYaml[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox:1.37
)";

class RegistryApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    registry_ = std::make_unique<Registry>(store_.get(), scheme_.get());
    deploy_ = scheme_->ByKind({"apps", "v1", "Deployment"});
    ASSERT_NE(deploy_, nullptr);
  }

  WriteOptions As(const std::string& manager, bool force = false) {
    WriteOptions o;
    o.field_manager = manager;
    o.force = force;
    return o;
  }

  absl::StatusOr<ObjectPtr> Apply(const std::string& body, const WriteOptions& o) {
    return registry_->Patch(*deploy_, "default", "web", PatchType::kApply, body, false,
                            api::FieldValidation::kWarn, o);
  }

  static const apps::Deployment& D(const ObjectPtr& o) {
    return static_cast<const apps::Deployment&>(*o);
  }

  static const api::meta::v1::ManagedFieldsEntry* Entry(const ObjectPtr& o,
                                                        const std::string& manager) {
    for (const auto& e : api::GetObjectMeta(*o)->managedfields()) {
      if (e.manager() == manager) return &e;
    }
    return nullptr;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<Registry> registry_;
  std::shared_ptr<const KindInfo> deploy_;
};

TEST_F(RegistryApplyTest, ApplyCreatesThenUpdates) {
  absl::StatusOr<ObjectPtr> created = Apply(kDeploy, As("kubectl"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(D(*created).spec().replicas(), 2);
  EXPECT_FALSE(D(*created).metadata().uid().empty());
  EXPECT_EQ(D(*created).spec().strategy().type(), "RollingUpdate");  // defaulted
  const auto* e = Entry(*created, "kubectl");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->operation(), "Apply");
  EXPECT_EQ(e->apiversion(), "apps/v1");
  EXPECT_EQ(e->fieldstype(), "FieldsV1");
  EXPECT_TRUE(e->has_time());
  EXPECT_TRUE(absl::StrContains(e->fieldsv1().raw(), R"("f:spec":{"f:replicas":{})"))
      << e->fieldsv1().raw();
  // Defaulted fields belong to nobody.
  EXPECT_FALSE(absl::StrContains(e->fieldsv1().raw(), "strategy")) << e->fieldsv1().raw();
  EXPECT_EQ(D(*created).metadata().managedfields_size(), 1);

  // YAML, a new value, and the label app dropped: removed.
  absl::StatusOr<ObjectPtr> updated = Apply(kDeployYaml, As("kubectl"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(D(*updated).spec().replicas(), 5);
  EXPECT_EQ(D(*updated).spec().template_().spec().containers(0).image(), "busybox:1.37");
  EXPECT_TRUE(D(*updated).metadata().labels().empty());
  EXPECT_EQ(D(*updated).metadata().generation(), 2);
  absl::StatusOr<ObjectPtr> got = registry_->Get(*deploy_, "default", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(D(*got).metadata().managedfields_size(), 1);
  // The same configuration again changes nothing.
  absl::StatusOr<ObjectPtr> again = Apply(kDeployYaml, As("kubectl"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(D(*again).metadata().resourceversion(), D(*updated).metadata().resourceversion());
}

TEST_F(RegistryApplyTest, FieldManagerIsRequired) {
  absl::StatusOr<ObjectPtr> r = Apply(kDeploy, As(""));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  api::meta::v1::Status s = ToApiStatus(r.status());
  EXPECT_EQ(s.code(), 422);
  EXPECT_TRUE(absl::StrContains(s.message(), "fieldManager: Required value")) << s.message();
}

TEST_F(RegistryApplyTest, BadConfigurations) {
  EXPECT_EQ(Apply("a: [", As("m")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Apply(R"({"metadata":{"name":"web"}})", As("m")).status().code(),
            absl::StatusCode::kInvalidArgument);  // no apiVersion/kind
  EXPECT_EQ(Apply(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"}})", As("m"))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Apply(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}})", As("m"))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ObjectPtr> unknown = Apply(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"bogus":1}})",
      As("m"));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "bogus")) << unknown.status();
  absl::StatusOr<ObjectPtr> mf = Apply(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","managedFields":[{}]}})",
      As("m"));
  EXPECT_TRUE(absl::StrContains(mf.status().message(), "managedFields must be nil")) << mf.status();
  // Invalid objects are rejected by validation (422).
  absl::StatusOr<ObjectPtr> invalid = Apply(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":-1}})",
      As("m"));
  EXPECT_EQ(ToApiStatus(invalid.status()).code(), 422) << invalid.status();
}

TEST_F(RegistryApplyTest, ConflictWithUpdateOwnerThenForce) {
  ObjectPtr obj = deploy_->New();
  ASSERT_TRUE(api::DecodeJson(kDeploy, obj.get()).ok());
  absl::StatusOr<ObjectPtr> created =
      registry_->Create(*deploy_, "default", std::move(obj), As("kubectl-client-side-apply"));
  ASSERT_TRUE(created.ok()) << created.status();
  const auto* e = Entry(*created, "kubectl-client-side-apply");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->operation(), "Update");
  // Defaulted fields belong to the creator, as in Kubernetes.
  EXPECT_TRUE(absl::StrContains(e->fieldsv1().raw(), R"("f:strategy")")) << e->fieldsv1().raw();

  absl::StatusOr<ObjectPtr> r = Apply(kDeployYaml, As("kubectl"));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kAborted) << r.status();
  api::meta::v1::Status s = ToApiStatus(r.status());
  EXPECT_EQ(s.code(), 409);
  EXPECT_EQ(s.reason(), "Conflict");
  ASSERT_EQ(s.details().causes_size(), 2);
  EXPECT_EQ(s.details().causes(0).reason(), "FieldManagerConflict");
  EXPECT_EQ(s.details().causes(0).message(),
            "conflict with \"kubectl-client-side-apply\" using apps/v1");
  EXPECT_EQ(s.details().causes(0).field(), ".spec.replicas");
  EXPECT_EQ(s.details().causes(1).field(), ".spec.template.spec.containers[name=\"c\"].image");
  EXPECT_TRUE(absl::StartsWith(s.message(),
                               "Apply failed with 2 conflicts: conflicts with "
                               "\"kubectl-client-side-apply\" using apps/v1:"))
      << s.message();

  // The same values: no conflict, shared ownership.
  absl::StatusOr<ObjectPtr> shared = Apply(kDeploy, As("kubectl"));
  ASSERT_TRUE(shared.ok()) << shared.status();

  absl::StatusOr<ObjectPtr> forced = Apply(kDeployYaml, As("kubectl", /*force=*/true));
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(D(*forced).spec().replicas(), 5);
  const auto* csa = Entry(*forced, "kubectl-client-side-apply");
  ASSERT_NE(csa, nullptr);
  EXPECT_FALSE(absl::StrContains(csa->fieldsv1().raw(), "f:replicas")) << csa->fieldsv1().raw();
  // Labels kubectl applied before and client-side apply also owns stay.
  EXPECT_EQ(D(*forced).metadata().labels().at("app"), "web");
  // Apply entries come first.
  EXPECT_EQ(D(*forced).metadata().managedfields(0).operation(), "Apply");
}

TEST_F(RegistryApplyTest, UpdatesKeepOrResetManagedFields) {
  ASSERT_TRUE(Apply(kDeploy, As("kubectl")).ok());
  absl::StatusOr<ObjectPtr> cur = registry_->Get(*deploy_, "default", "web");
  ASSERT_TRUE(cur.ok());
  // A client that drops managedFields does not erase them; its change is recorded.
  auto next = std::make_unique<apps::Deployment>(D(*cur));
  next->mutable_metadata()->clear_managedfields();
  next->mutable_spec()->set_replicas(7);
  absl::StatusOr<ObjectPtr> u =
      registry_->Update(*deploy_, "default", "web", std::move(next), false, As("scaler"));
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(D(*u).metadata().managedfields_size(), 2);
  const auto* scaler = Entry(*u, "scaler");
  ASSERT_NE(scaler, nullptr);
  EXPECT_EQ(scaler->fieldsv1().raw(), R"({"f:spec":{"f:replicas":{}}})");
  EXPECT_FALSE(absl::StrContains(Entry(*u, "kubectl")->fieldsv1().raw(), "f:replicas"));
  // A status write records a status entry.
  auto st = std::make_unique<apps::Deployment>(D(*u));
  st->mutable_status()->set_replicas(7);
  absl::StatusOr<ObjectPtr> s =
      registry_->Update(*deploy_, "default", "web", std::move(st), true, As("controller"));
  ASSERT_TRUE(s.ok()) << s.status();
  const auto* ctrl = Entry(*s, "controller");
  ASSERT_NE(ctrl, nullptr);
  EXPECT_EQ(ctrl->subresource(), "status");
  EXPECT_EQ(ctrl->fieldsv1().raw(), R"({"f:status":{"f:replicas":{}}})");
  // Writers without a manager are not recorded and keep what is there.
  auto anon = std::make_unique<apps::Deployment>(D(*s));
  anon->mutable_metadata()->clear_managedfields();
  anon->mutable_spec()->set_paused(true);
  absl::StatusOr<ObjectPtr> a =
      registry_->Update(*deploy_, "default", "web", std::move(anon), false, WriteOptions());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(D(*a).metadata().managedfields_size(), 3);
  // One empty entry clears them.
  auto reset = std::make_unique<apps::Deployment>(D(*a));
  reset->mutable_metadata()->clear_managedfields();
  reset->mutable_metadata()->add_managedfields();
  absl::StatusOr<ObjectPtr> r =
      registry_->Update(*deploy_, "default", "web", std::move(reset), false, WriteOptions());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(D(*r).metadata().managedfields_size(), 0);
}

TEST_F(RegistryApplyTest, DryRunStoresNothing) {
  WriteOptions o = As("kubectl");
  o.dry_run = true;
  absl::StatusOr<ObjectPtr> r = Apply(kDeploy, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(D(*r).metadata().managedfields_size(), 1);
  EXPECT_EQ(registry_->Get(*deploy_, "default", "web").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryApplyTest, StatusSubresourceApply) {
  ASSERT_TRUE(Apply(kDeploy, As("kubectl")).ok());
  absl::StatusOr<ObjectPtr> r =
      registry_->Patch(*deploy_, "default", "web", PatchType::kApply,
                       R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},)"
                       R"("spec":{"replicas":9},"status":{"readyReplicas":1}})",
                       true, api::FieldValidation::kWarn, As("ctrl"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(D(*r).status().readyreplicas(), 1);
  EXPECT_EQ(D(*r).spec().replicas(), 2);  // the status subresource writes status only
  const auto* e = Entry(*r, "ctrl");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->subresource(), "status");
  EXPECT_EQ(e->fieldsv1().raw(), R"({"f:status":{"f:readyReplicas":{}}})");
}

}  // namespace
}  // namespace rudder::apiserver
