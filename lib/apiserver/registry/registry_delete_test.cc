// The registry's dry runs, delete options (grace periods, propagation policies) and
// deletecollection.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

using api::KindInfo;
namespace core = api::core::v1;

class RegistryDeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    registry_ = std::make_unique<Registry>(store_.get(), scheme_.get());
    cm_ = scheme_->ByKind({"", "v1", "ConfigMap"});
    pod_ = scheme_->ByKind({"", "v1", "Pod"});
    job_ = scheme_->ByKind({"batch", "v1", "Job"});
    ns_ = scheme_->ByKind({"", "v1", "Namespace"});
    ASSERT_TRUE(cm_ && pod_ && job_ && ns_);
  }

  ObjectPtr Parse(const KindInfo& kind, const std::string& json) {
    ObjectPtr obj = kind.New();
    absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJson(json, obj.get());
    EXPECT_TRUE(r.ok()) << r.status();
    return obj;
  }

  void CreateCm(const std::string& name, const std::string& app) {
    ASSERT_TRUE(registry_
                    ->Create(*cm_, "default",
                             Parse(*cm_, R"({"metadata":{"name":")" + name +
                                             R"(","labels":{"app":")" + app + R"("}}})"))
                    .ok());
  }

  ObjectPtr Pod(const std::string& name, const std::string& node) {
    std::string spec = R"({"containers":[{"name":"c","image":"busybox"}])";
    if (!node.empty()) spec += R"(,"nodeName":")" + node + "\"";
    spec += "}";
    return Parse(*pod_, R"({"metadata":{"name":")" + name + R"("},"spec":)" + spec + "}");
  }

  static std::vector<std::string> Finalizers(const ObjectPtr& o) {
    const auto& f = api::GetObjectMeta(*o)->finalizers();
    return std::vector<std::string>(f.begin(), f.end());
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<Registry> registry_;
  std::shared_ptr<const KindInfo> cm_, pod_, job_, ns_;
};

TEST_F(RegistryDeleteTest, DryRunCreateUpdatePatchDeleteStoreNothing) {
  WriteOptions dry;
  dry.dry_run = true;
  absl::StatusOr<ObjectPtr> c =
      registry_->Create(*cm_, "default", Parse(*cm_, R"({"metadata":{"name":"a"}})"), dry);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(api::GetObjectMeta(**c)->uid().size(), 36u);  // what would have been stored
  EXPECT_TRUE(absl::IsNotFound(registry_->Get(*cm_, "default", "a").status()));

  CreateCm("a", "x");
  // Dry-run create of an existing name still fails as the real one would.
  EXPECT_TRUE(absl::IsAlreadyExists(
      registry_->Create(*cm_, "default", Parse(*cm_, R"({"metadata":{"name":"a"}})"), dry)
          .status()));
  absl::StatusOr<ObjectPtr> u =
      registry_->Update(*cm_, "default", "a",
                        Parse(*cm_, R"({"metadata":{"name":"a"},"data":{"k":"v"}})"), false, dry);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(static_cast<core::ConfigMap&>(**u).data().at("k"), "v");
  absl::StatusOr<ObjectPtr> p =
      registry_->Patch(*cm_, "default", "a", PatchType::kMerge, R"({"data":{"p":"q"}})", false,
                       api::FieldValidation::kWarn, dry);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(static_cast<core::ConfigMap&>(**p).data().at("p"), "q");
  absl::StatusOr<ObjectPtr> got = registry_->Get(*cm_, "default", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(static_cast<core::ConfigMap&>(**got).data().empty());

  DeleteOptions dd;
  dd.dry_run = true;
  bool deleted = false;
  ASSERT_TRUE(registry_->Delete(*cm_, "default", "a", dd, &deleted).ok());
  EXPECT_TRUE(deleted);                                    // would be deleted...
  EXPECT_TRUE(registry_->Get(*cm_, "default", "a").ok());  // ...but is still there
}

TEST_F(RegistryDeleteTest, PropagationPoliciesSetFinalizers) {
  CreateCm("orphan", "x");
  CreateCm("fg", "x");
  CreateCm("bg", "x");
  DeleteOptions o;
  bool deleted = true;
  o.propagation_policy = "Orphan";
  absl::StatusOr<ObjectPtr> r = registry_->Delete(*cm_, "default", "orphan", o, &deleted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(deleted);
  EXPECT_EQ(Finalizers(*r), std::vector<std::string>{"orphan"});
  EXPECT_TRUE(api::GetObjectMeta(**r)->has_deletiontimestamp());
  absl::StatusOr<ObjectPtr> stored = registry_->Get(*cm_, "default", "orphan");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(Finalizers(*stored), std::vector<std::string>{"orphan"});

  o.propagation_policy = "Foreground";
  r = registry_->Delete(*cm_, "default", "fg", o, &deleted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(deleted);
  EXPECT_EQ(Finalizers(*r), std::vector<std::string>{"foregroundDeletion"});

  // Switching the policy of an object being deleted swaps the finalizer.
  o.propagation_policy = "Orphan";
  r = registry_->Delete(*cm_, "default", "fg", o, &deleted);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Finalizers(*r), std::vector<std::string>{"orphan"});
  // Background removes the collector's finalizers, and with none left the object goes.
  o.propagation_policy = "Background";
  r = registry_->Delete(*cm_, "default", "fg", o, &deleted);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(absl::IsNotFound(registry_->Get(*cm_, "default", "fg").status()));

  r = registry_->Delete(*cm_, "default", "bg", o, &deleted);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(absl::IsNotFound(registry_->Get(*cm_, "default", "bg").status()));

  o.propagation_policy = "Sideways";
  EXPECT_EQ(registry_->Delete(*cm_, "default", "orphan", o).status().code(),
            absl::StatusCode::kInvalidArgument);
  DeleteOptions both;
  both.propagation_policy = "Orphan";
  both.orphan_dependents = true;
  EXPECT_EQ(registry_->Delete(*cm_, "default", "orphan", both).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryDeleteTest, OrphanDependentsAndKindDefaults) {
  CreateCm("a", "x");
  DeleteOptions o;
  o.orphan_dependents = true;
  absl::StatusOr<ObjectPtr> r = registry_->Delete(*cm_, "default", "a", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Finalizers(*r), std::vector<std::string>{"orphan"});

  // batch/v1 Jobs orphan their pods unless asked otherwise, as in Kubernetes.
  ASSERT_TRUE(
      registry_
          ->Create(*job_, "default", Parse(*job_, R"({"metadata":{"name":"j"},"spec":{"template":{
                             "spec":{"restartPolicy":"Never",
                             "containers":[{"name":"c","image":"busybox"}]}}}})"))
          .ok());
  bool deleted = true;
  r = registry_->Delete(*job_, "default", "j", {}, &deleted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(deleted);
  EXPECT_EQ(Finalizers(*r), std::vector<std::string>{"orphan"});
}

TEST_F(RegistryDeleteTest, ScheduledPodsAreDeletedGracefully) {
  ASSERT_TRUE(registry_->Create(*pod_, "default", Pod("run", "node-1")).ok());
  bool deleted = true;
  absl::StatusOr<ObjectPtr> r = registry_->Delete(*pod_, "default", "run", {}, &deleted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(deleted);
  const auto& m = *api::GetObjectMeta(**r);
  EXPECT_EQ(m.deletiongraceperiodseconds(), 30);  // the pod's terminationGracePeriodSeconds
  EXPECT_GE(m.deletiontimestamp().seconds(), m.creationtimestamp().seconds() + 30);
  ASSERT_TRUE(registry_->Get(*pod_, "default", "run").ok());

  // A shorter grace period moves the deadline; a longer one does not.
  DeleteOptions o;
  o.grace_period_seconds = 5;
  r = registry_->Delete(*pod_, "default", "run", o, &deleted);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(api::GetObjectMeta(**r)->deletiongraceperiodseconds(), 5);
  o.grace_period_seconds = 60;
  r = registry_->Delete(*pod_, "default", "run", o, &deleted);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(api::GetObjectMeta(**r)->deletiongraceperiodseconds(), 5);
  // Grace 0 (the node agent confirming, or --force) removes it.
  o.grace_period_seconds = 0;
  r = registry_->Delete(*pod_, "default", "run", o, &deleted);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(absl::IsNotFound(registry_->Get(*pod_, "default", "run").status()));
}

TEST_F(RegistryDeleteTest, UnscheduledPodsGoAtOnce) {
  ASSERT_TRUE(registry_->Create(*pod_, "default", Pod("pending", "")).ok());
  bool deleted = false;
  ASSERT_TRUE(registry_->Delete(*pod_, "default", "pending", {}, &deleted).ok());
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(absl::IsNotFound(registry_->Get(*pod_, "default", "pending").status()));
}

TEST_F(RegistryDeleteTest, NamespaceTerminatesWhileSpecFinalizersRemain) {
  ASSERT_TRUE(registry_->Create(*ns_, "", Parse(*ns_, R"({"metadata":{"name":"team"}})")).ok());
  bool deleted = true;
  absl::StatusOr<ObjectPtr> r = registry_->Delete(*ns_, "", "team", {}, &deleted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(deleted);
  EXPECT_EQ(static_cast<core::Namespace&>(**r).status().phase(), "Terminating");
  EXPECT_TRUE(api::GetObjectMeta(**r)->has_deletiontimestamp());
  // Deleting again changes nothing while the namespace's content is being removed.
  r = registry_->Delete(*ns_, "", "team", {}, &deleted);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(deleted);
  EXPECT_TRUE(registry_->Get(*ns_, "", "team").ok());
  // The namespace controller's finalize with no finalizers removes it.
  deleted = false;
  r = registry_->FinalizeNamespace(
      *ns_, "team", Parse(*ns_, R"({"metadata":{"name":"team"},"spec":{}})"), {}, &deleted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(absl::IsNotFound(registry_->Get(*ns_, "", "team").status()));
  // On a live namespace, finalize only sets spec.finalizers.
  ASSERT_TRUE(registry_->Create(*ns_, "", Parse(*ns_, R"({"metadata":{"name":"live"}})")).ok());
  r = registry_->FinalizeNamespace(
      *ns_, "live", Parse(*ns_, R"({"metadata":{"name":"live"},"spec":{"finalizers":["a/b"]}})"),
      {}, &deleted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(deleted);
  EXPECT_EQ(static_cast<core::Namespace&>(**r).spec().finalizers(0), "a/b");
  EXPECT_EQ(registry_->FinalizeNamespace(*cm_, "live", cm_->New()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryDeleteTest, DeleteCollectionBySelector) {
  CreateCm("a1", "a");
  CreateCm("a2", "a");
  CreateCm("b1", "b");
  ListOptions sel;
  sel.label_selector = "app=a";
  absl::StatusOr<std::vector<ObjectPtr>> gone = registry_->DeleteCollection(*cm_, "default", sel);
  ASSERT_TRUE(gone.ok()) << gone.status();
  ASSERT_EQ(gone->size(), 2u);
  absl::StatusOr<ListResult> left = registry_->List(*cm_, "default", {});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->items.size(), 1u);
  EXPECT_EQ(api::GetObjectMeta(*left->items[0])->name(), "b1");

  DeleteOptions dry;
  dry.dry_run = true;
  gone = registry_->DeleteCollection(*cm_, "default", {}, dry);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->size(), 1u);
  EXPECT_TRUE(registry_->Get(*cm_, "default", "b1").ok());
}

TEST_F(RegistryDeleteTest, PodsArePendingWithQOSClassOnCreateOnly) {
  absl::StatusOr<ObjectPtr> created = registry_->Create(*pod_, "default", Pod("p", ""));
  ASSERT_TRUE(created.ok()) << created.status();
  auto stored = registry_->Get(*pod_, "default", "p");
  ASSERT_TRUE(stored.ok());
  const auto& pod = static_cast<const api::core::v1::Pod&>(**stored);
  EXPECT_EQ(pod.status().phase(), "Pending");
  EXPECT_EQ(pod.status().qosclass(), "BestEffort");

  // An update (here of the status) does not fill them in again.
  auto next = std::make_unique<api::core::v1::Pod>(pod);
  next->mutable_status()->clear_phase();
  absl::StatusOr<ObjectPtr> updated =
      registry_->Update(*pod_, "default", "p", std::move(next), /*status=*/true);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(static_cast<const api::core::v1::Pod&>(**updated).status().phase(), "");
}

}  // namespace
}  // namespace rudder::apiserver
