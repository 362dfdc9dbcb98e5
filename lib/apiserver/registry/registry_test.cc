#include "lib/apiserver/registry/registry.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

using api::KindInfo;
namespace apps = api::apps::v1;
namespace core = api::core::v1;

constexpr char kDeploy[] = R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web","labels":{"app":"web"}},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}})";

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    registry_ = std::make_unique<Registry>(store_.get(), scheme_.get());
    deploy_ = scheme_->ByKind({"apps", "v1", "Deployment"});
    cm_ = scheme_->ByKind({"", "v1", "ConfigMap"});
    ASSERT_NE(deploy_, nullptr);
    ASSERT_NE(cm_, nullptr);
  }

  ObjectPtr Parse(const KindInfo& kind, const std::string& json) {
    ObjectPtr obj = kind.New();
    EXPECT_TRUE(api::DecodeJson(json, obj.get()).ok());
    return obj;
  }

  ObjectPtr ConfigMap(const std::string& name, const std::string& app) {
    return Parse(*cm_, R"({"metadata":{"name":")" + name + R"(","labels":{"app":")" + app +
                           R"("}},"data":{"k":"v"}})");
  }

  const api::meta::v1::ObjectMeta& Meta(const ObjectPtr& o) { return *api::GetObjectMeta(*o); }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<Registry> registry_;
  std::shared_ptr<const KindInfo> deploy_, cm_;
};

TEST_F(RegistryTest, CreateSetsServerFieldsAndStoresUnderKey) {
  absl::StatusOr<ObjectPtr> d = registry_->Create(*deploy_, "ns1", Parse(*deploy_, kDeploy));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(Meta(*d).namespace_(), "ns1");
  EXPECT_EQ(Meta(*d).generation(), 1);
  EXPECT_EQ(Meta(*d).uid().size(), 36u);
  EXPECT_GT(Meta(*d).creationtimestamp().seconds(), 0);
  auto kv = store_->Get("/registry/apps/deployments/ns1/web");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  EXPECT_EQ(Meta(*d).resourceversion(), std::to_string((*kv)->mod_revision));
  // Stored as protobuf without the resourceVersion.
  apps::Deployment stored;
  ASSERT_TRUE(stored.ParseFromString((*kv)->value));
  EXPECT_FALSE(stored.metadata().has_resourceversion());
  EXPECT_EQ(stored.spec().replicas(), 2);

  absl::StatusOr<ObjectPtr> got = registry_->Get(*deploy_, "ns1", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Meta(*got).resourceversion(), Meta(*d).resourceversion());
  EXPECT_EQ(Meta(*got).uid(), Meta(*d).uid());
}

TEST_F(RegistryTest, ClusterScopedKey) {
  std::shared_ptr<const KindInfo> ns = scheme_->ByKind({"", "v1", "Namespace"});
  ASSERT_TRUE(registry_->Create(*ns, "", Parse(*ns, R"({"metadata":{"name":"team"}})")).ok());
  auto kv = store_->Get("/registry/core/namespaces/team");
  ASSERT_TRUE(kv.ok() && kv->has_value());
}

TEST_F(RegistryTest, CreateTwiceIsAlreadyExists409) {
  ASSERT_TRUE(registry_->Create(*deploy_, "default", Parse(*deploy_, kDeploy)).ok());
  absl::StatusOr<ObjectPtr> again =
      registry_->Create(*deploy_, "default", Parse(*deploy_, kDeploy));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  api::meta::v1::Status s = ToApiStatus(again.status());
  EXPECT_EQ(s.code(), 409);
  EXPECT_EQ(s.reason(), "AlreadyExists");
  EXPECT_EQ(s.message(), "deployments.apps \"web\" already exists");
  EXPECT_EQ(s.details().name(), "web");
  EXPECT_EQ(s.details().group(), "apps");
  EXPECT_EQ(s.details().kind(), "deployments");
}

TEST_F(RegistryTest, NamespaceMismatchIsBadRequest) {
  ObjectPtr d = Parse(*deploy_, kDeploy);
  api::MutableObjectMeta(d.get())->set_namespace_("other");
  absl::StatusOr<ObjectPtr> r = registry_->Create(*deploy_, "default", std::move(d));
  EXPECT_EQ(ToApiStatus(r.status()).code(), 400);
}

TEST_F(RegistryTest, GenerateNameAddsRandomSuffix) {
  ObjectPtr c = Parse(*cm_, R"({"metadata":{"generateName":"cfg-"}})");
  absl::StatusOr<ObjectPtr> r = registry_->Create(*cm_, "default", std::move(c));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StartsWith(Meta(*r).name(), "cfg-"));
  EXPECT_EQ(Meta(*r).name().size(), 9u);
}

TEST_F(RegistryTest, MissingNameIsInvalid422WithCause) {
  absl::StatusOr<ObjectPtr> r = registry_->Create(*cm_, "default", Parse(*cm_, R"({"data":{}})"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  api::meta::v1::Status s = ToApiStatus(r.status());
  EXPECT_EQ(s.code(), 422);
  EXPECT_EQ(s.reason(), "Invalid");
  ASSERT_EQ(s.details().causes_size(), 1);
  EXPECT_EQ(s.details().causes(0).field(), "metadata.name");
  EXPECT_EQ(s.details().causes(0).reason(), "FieldValueRequired");
}

TEST_F(RegistryTest, ValidationRunsOnCreateAndUpdate) {
  KindInfo strict = *cm_;
  strict.validate = [](const google::protobuf::Message& m) {
    api::field::FieldErrors errs;
    const auto& cm = static_cast<const core::ConfigMap&>(m);
    if (cm.data().contains("bad")) {
      errs.Add(api::field::Invalid(api::field::Path("data").Key("bad"), "\"x\"", "not allowed"));
    }
    return errs;
  };
  ObjectPtr bad = Parse(strict, R"({"metadata":{"name":"c"},"data":{"bad":"x"}})");
  absl::StatusOr<ObjectPtr> r = registry_->Create(strict, "default", std::move(bad));
  EXPECT_EQ(ToApiStatus(r.status()).code(), 422);
  EXPECT_EQ(ToApiStatus(r.status()).details().causes(0).field(), "data[bad]");
  ASSERT_TRUE(registry_->Create(strict, "default", ConfigMap("c", "a")).ok());
  r = registry_->Update(strict, "default", "c",
                        Parse(strict, R"({"metadata":{"name":"c"},"data":{"bad":"x"}})"));
  EXPECT_EQ(ToApiStatus(r.status()).code(), 422);
}

TEST_F(RegistryTest, GetMissingIsNotFound404) {
  absl::StatusOr<ObjectPtr> r = registry_->Get(*deploy_, "default", "nope");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  api::meta::v1::Status s = ToApiStatus(r.status());
  EXPECT_EQ(s.code(), 404);
  EXPECT_EQ(s.reason(), "NotFound");
  EXPECT_EQ(s.message(), "deployments.apps \"nope\" not found");
}

TEST_F(RegistryTest, StaleUpdateIsConflictWithKubernetesMessage) {
  absl::StatusOr<ObjectPtr> d = registry_->Create(*deploy_, "default", Parse(*deploy_, kDeploy));
  ASSERT_TRUE(d.ok());
  ObjectPtr first(d->get()->New());
  first->CopyFrom(**d);
  static_cast<apps::Deployment*>(d->get())->mutable_spec()->set_replicas(3);
  ASSERT_TRUE(registry_->Update(*deploy_, "default", "web", std::move(*d)).ok());
  static_cast<apps::Deployment*>(first.get())->mutable_spec()->set_replicas(4);
  absl::StatusOr<ObjectPtr> stale = registry_->Update(*deploy_, "default", "web", std::move(first));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  api::meta::v1::Status s = ToApiStatus(stale.status());
  EXPECT_EQ(s.code(), 409);
  EXPECT_EQ(s.reason(), "Conflict");
  EXPECT_EQ(s.message(),
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been "
            "modified; please apply your changes to the latest version and try again");
}

TEST_F(RegistryTest, GenerationBumpsOnlyOnSpecChange) {
  absl::StatusOr<ObjectPtr> d = registry_->Create(*deploy_, "default", Parse(*deploy_, kDeploy));
  ASSERT_TRUE(d.ok());
  (*api::MutableObjectMeta(d->get())->mutable_labels())["x"] = "y";
  absl::StatusOr<ObjectPtr> u = registry_->Update(*deploy_, "default", "web", std::move(*d));
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(Meta(*u).generation(), 1);
  static_cast<apps::Deployment*>(u->get())->mutable_spec()->set_replicas(5);
  u = registry_->Update(*deploy_, "default", "web", std::move(*u));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(Meta(*u).generation(), 2);
}

TEST_F(RegistryTest, UnchangedUpdateDoesNotWrite) {
  absl::StatusOr<ObjectPtr> c = registry_->Create(*cm_, "default", ConfigMap("c", "a"));
  ASSERT_TRUE(c.ok());
  std::string rv = Meta(*c).resourceversion();
  absl::StatusOr<ObjectPtr> u = registry_->Update(*cm_, "default", "c", std::move(*c));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(Meta(*u).resourceversion(), rv);
}

TEST_F(RegistryTest, StatusSubresourceSeparatesSpecAndStatus) {
  absl::StatusOr<ObjectPtr> d = registry_->Create(*deploy_, "default", Parse(*deploy_, kDeploy));
  ASSERT_TRUE(d.ok());
  auto* dep = static_cast<apps::Deployment*>(d->get());
  // Main resource: status changes are dropped.
  dep->mutable_status()->set_replicas(7);
  absl::StatusOr<ObjectPtr> u = registry_->Update(*deploy_, "default", "web", std::move(*d));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(static_cast<apps::Deployment&>(**u).status().replicas(), 0);
  // Status subresource: only status changes.
  dep = static_cast<apps::Deployment*>(u->get());
  dep->mutable_status()->set_replicas(2);
  dep->mutable_spec()->set_replicas(9);
  u = registry_->Update(*deploy_, "default", "web", std::move(*u), /*status=*/true);
  ASSERT_TRUE(u.ok()) << u.status();
  const auto& out = static_cast<apps::Deployment&>(**u);
  EXPECT_EQ(out.status().replicas(), 2);
  EXPECT_EQ(out.spec().replicas(), 2);
  EXPECT_EQ(out.metadata().generation(), 1);
  // Kinds without a status subresource have none.
  EXPECT_EQ(registry_->Update(*cm_, "default", "x", ConfigMap("x", "a"), true).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, DeletePreconditions) {
  ASSERT_TRUE(registry_->Create(*cm_, "default", ConfigMap("c", "a")).ok());
  DeleteOptions o;
  o.precondition_uid = "wrong";
  absl::StatusOr<ObjectPtr> r = registry_->Delete(*cm_, "default", "c", o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ToApiStatus(r.status()).code(), 409);
  o = {};
  o.precondition_resource_version = "1";
  EXPECT_EQ(registry_->Delete(*cm_, "default", "c", o).status().code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(registry_->Delete(*cm_, "default", "c").ok());
  EXPECT_EQ(registry_->Get(*cm_, "default", "c").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Delete(*cm_, "default", "c").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, FinalizersDelayDeletion) {
  ObjectPtr c = ConfigMap("c", "a");
  api::MutableObjectMeta(c.get())->add_finalizers("example.com/hold");
  ASSERT_TRUE(registry_->Create(*cm_, "default", std::move(c)).ok());
  absl::StatusOr<ObjectPtr> d = registry_->Delete(*cm_, "default", "c");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(Meta(*d).has_deletiontimestamp());
  absl::StatusOr<ObjectPtr> still = registry_->Get(*cm_, "default", "c");
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(Meta(*still).has_deletiontimestamp());
  // An update cannot clear deletionTimestamp.
  api::MutableObjectMeta(still->get())->clear_deletiontimestamp();
  (*api::MutableObjectMeta(still->get())->mutable_labels())["b"] = "c";
  absl::StatusOr<ObjectPtr> u = registry_->Update(*cm_, "default", "c", std::move(*still));
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(Meta(*u).has_deletiontimestamp());
  // Removing the last finalizer deletes the object.
  api::MutableObjectMeta(u->get())->clear_finalizers();
  ASSERT_TRUE(registry_->Update(*cm_, "default", "c", std::move(*u)).ok());
  EXPECT_EQ(registry_->Get(*cm_, "default", "c").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, PatchKinds) {
  ASSERT_TRUE(registry_->Create(*deploy_, "default", Parse(*deploy_, kDeploy)).ok());
  absl::StatusOr<ObjectPtr> p =
      registry_->Patch(*deploy_, "default", "web", PatchType::kMerge, R"({"spec":{"replicas":4}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(static_cast<apps::Deployment&>(**p).spec().replicas(), 4);
  EXPECT_EQ(Meta(*p).generation(), 2);
  p = registry_->Patch(*deploy_, "default", "web", PatchType::kJson,
                       R"([{"op":"replace","path":"/spec/replicas","value":6}])");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(static_cast<apps::Deployment&>(**p).spec().replicas(), 6);
  p = registry_->Patch(
      *deploy_, "default", "web", PatchType::kStrategicMerge,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"d","image":"nginx"}]}}}})");
  ASSERT_TRUE(p.ok()) << p.status();
  // Strategic merge keeps container c and adds d (merge by name).
  EXPECT_EQ(static_cast<apps::Deployment&>(**p).spec().template_().spec().containers_size(), 2);
  // A patch naming a stale resourceVersion conflicts.
  p = registry_->Patch(*deploy_, "default", "web", PatchType::kMerge,
                       R"({"metadata":{"resourceVersion":"1"}})");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kAborted);
  // A malformed patch is a bad request.
  p = registry_->Patch(*deploy_, "default", "web", PatchType::kJson, "{not json");
  EXPECT_EQ(ToApiStatus(p.status()).code(), 400);
  // Unknown fields in strict mode are a bad request.
  p = registry_->Patch(*deploy_, "default", "web", PatchType::kMerge, R"({"spec":{"nope":1}})",
                       false, api::FieldValidation::kStrict);
  EXPECT_EQ(ToApiStatus(p.status()).code(), 400);
  EXPECT_EQ(registry_->Patch(*deploy_, "default", "gone", PatchType::kMerge, "{}").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, ListSelectorsLimitContinue) {
  for (const char* n : {"a", "b", "c", "d", "e"}) {
    ASSERT_TRUE(registry_->Create(*cm_, "ns1", ConfigMap(n, n[0] < 'c' ? "x" : "y")).ok());
  }
  ASSERT_TRUE(registry_->Create(*cm_, "ns2", ConfigMap("z", "x")).ok());
  absl::StatusOr<int64_t> rev = store_->CurrentRevision();

  absl::StatusOr<ListResult> all = registry_->List(*cm_, "", {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 6u);
  EXPECT_EQ(all->resource_version, *rev);

  ListOptions o;
  o.label_selector = "app=x";
  absl::StatusOr<ListResult> l = registry_->List(*cm_, "ns1", o);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->items.size(), 2u);
  EXPECT_EQ(Meta(l->items[1]).name(), "b");

  o = {};
  o.field_selector = "metadata.name=z";
  l = registry_->List(*cm_, "", o);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->items.size(), 1u);
  EXPECT_EQ(Meta(l->items[0]).namespace_(), "ns2");

  o = {};
  o.field_selector = "data.k=v";
  EXPECT_EQ(ToApiStatus(registry_->List(*cm_, "", o).status()).code(), 400);

  // Pages of two, stable at the first page's revision even after a write.
  o = {};
  o.limit = 2;
  l = registry_->List(*cm_, "ns1", o);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->items.size(), 2u);
  ASSERT_FALSE(l->continue_token.empty());
  EXPECT_EQ(l->remaining, 3);
  ASSERT_TRUE(registry_->Create(*cm_, "ns1", ConfigMap("bb", "x")).ok());
  std::vector<std::string> names;
  while (true) {
    for (const ObjectPtr& i : l->items) names.push_back(Meta(i).name());
    EXPECT_EQ(l->resource_version, *rev);
    if (l->continue_token.empty()) break;
    o.continue_token = l->continue_token;
    l = registry_->List(*cm_, "ns1", o);
    ASSERT_TRUE(l.ok()) << l.status();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));

  // A limit with a selector fills pages with matches.
  o = {};
  o.limit = 1;
  o.label_selector = "app=y";
  l = registry_->List(*cm_, "ns1", o);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->items.size(), 1u);
  EXPECT_EQ(Meta(l->items[0]).name(), "c");

  o = {};
  o.continue_token = "garbage!";
  EXPECT_EQ(ToApiStatus(registry_->List(*cm_, "ns1", o).status()).code(), 400);
}

TEST_F(RegistryTest, ContinueAfterCompactionIsExpired410) {
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_TRUE(registry_->Create(*cm_, "ns1", ConfigMap(n, "x")).ok());
  }
  ListOptions o;
  o.limit = 1;
  absl::StatusOr<ListResult> l = registry_->List(*cm_, "ns1", o);
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(registry_->Delete(*cm_, "ns1", "c").ok());
  ASSERT_TRUE(store_->Compact(*store_->CurrentRevision()).ok());
  o.continue_token = l->continue_token;
  absl::StatusOr<ListResult> next = registry_->List(*cm_, "ns1", o);
  api::meta::v1::Status s = ToApiStatus(next.status());
  EXPECT_EQ(s.code(), 410);
  EXPECT_EQ(s.reason(), "Expired");
}

std::vector<std::string> Drain(ObjectWatcher& w, size_t n) {
  std::vector<std::string> out;
  while (out.size() < n) {
    std::optional<ObjectEvent> e = w.Next(absl::Seconds(30));
    if (!e.has_value()) break;
    std::string name = e->object ? api::GetObjectMeta(*e->object)->name() : "";
    out.push_back(e->type + " " + name);
  }
  return out;
}

TEST_F(RegistryTest, WatchFromResourceVersion) {
  absl::StatusOr<ObjectPtr> a = registry_->Create(*cm_, "default", ConfigMap("a", "x"));
  ASSERT_TRUE(a.ok());
  WatchOptions o;
  o.resource_version = Meta(*a).resourceversion();
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = registry_->Watch(*cm_, "default", o);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(registry_->Create(*cm_, "default", ConfigMap("b", "x")).ok());
  ASSERT_TRUE(
      registry_->Patch(*cm_, "default", "a", PatchType::kMerge, R"({"data":{"k":"w"}})").ok());
  ASSERT_TRUE(registry_->Delete(*cm_, "default", "b").ok());
  ASSERT_TRUE(registry_->Create(*cm_, "other", ConfigMap("c", "x")).ok());  // other namespace
  EXPECT_EQ(Drain(**w, 3), (std::vector<std::string>{"ADDED b", "MODIFIED a", "DELETED b"}));
}

TEST_F(RegistryTest, WatchFromZeroListsFirstAndFollowsSelectors) {
  ASSERT_TRUE(registry_->Create(*cm_, "default", ConfigMap("a", "x")).ok());
  ASSERT_TRUE(registry_->Create(*cm_, "default", ConfigMap("b", "y")).ok());
  WatchOptions o;
  o.resource_version = "0";
  o.selectors.label_selector = "app=x";
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = registry_->Watch(*cm_, "", o);
  ASSERT_TRUE(w.ok());
  // a leaves the selector (DELETED), b enters it (ADDED).
  ASSERT_TRUE(
      registry_
          ->Patch(*cm_, "default", "a", PatchType::kMerge, R"({"metadata":{"labels":{"app":"z"}}})")
          .ok());
  ASSERT_TRUE(
      registry_
          ->Patch(*cm_, "default", "b", PatchType::kMerge, R"({"metadata":{"labels":{"app":"x"}}})")
          .ok());
  EXPECT_EQ(Drain(**w, 3), (std::vector<std::string>{"ADDED a", "DELETED a", "ADDED b"}));
}

TEST_F(RegistryTest, WatchFromCompactedRevisionIsExpired410) {
  ASSERT_TRUE(registry_->Create(*cm_, "default", ConfigMap("a", "x")).ok());
  ASSERT_TRUE(registry_->Create(*cm_, "default", ConfigMap("b", "x")).ok());
  ASSERT_TRUE(store_->Compact(*store_->CurrentRevision()).ok());
  WatchOptions o;
  o.resource_version = "1";
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = registry_->Watch(*cm_, "default", o);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(ToApiStatus(w.status()).code(), 410);
  EXPECT_EQ(ToApiStatus(w.status()).reason(), "Expired");
}

TEST(RegistryBookmarkTest, BookmarksCarryTheRevision) {
  store::MemoryStoreOptions so;
  so.progress_notify_interval = absl::Milliseconds(10);
  std::unique_ptr<store::Store> st = std::move(*store::NewMemoryStore(so));
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  Registry registry(st.get(), scheme.get());
  auto cm = scheme->ByKind({"", "v1", "ConfigMap"});
  ObjectPtr c = cm->New();
  api::MutableObjectMeta(c.get())->set_name("a");
  absl::StatusOr<ObjectPtr> created = registry.Create(*cm, "default", std::move(c));
  ASSERT_TRUE(created.ok());
  WatchOptions o;
  o.resource_version = api::GetObjectMeta(**created)->resourceversion();
  o.allow_bookmarks = true;
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = registry.Watch(*cm, "default", o);
  ASSERT_TRUE(w.ok());
  std::optional<ObjectEvent> e;
  while (!(e = (*w)->Next(absl::Seconds(30))).has_value()) {
  }
  EXPECT_EQ(e->type, "BOOKMARK");
  EXPECT_EQ(api::GetObjectMeta(*e->object)->resourceversion(),
            api::GetObjectMeta(**created)->resourceversion());
  EXPECT_TRUE(api::GetObjectMeta(*e->object)->name().empty());
}

TEST_F(RegistryTest, ScaleSubresource) {
  ASSERT_TRUE(registry_->Create(*deploy_, "default", Parse(*deploy_, kDeploy)).ok());
  auto scale = registry_->GetScale(*deploy_, "default", "web");
  ASSERT_TRUE(scale.ok()) << scale.status();
  EXPECT_EQ((*scale)->spec().replicas(), 2);
  EXPECT_EQ((*scale)->status().selector(), "app=web");
  scale = registry_->PatchScale(*deploy_, "default", "web", PatchType::kMerge,
                                R"({"spec":{"replicas":4}})");
  ASSERT_TRUE(scale.ok()) << scale.status();
  EXPECT_EQ((*scale)->spec().replicas(), 4);
  auto d = registry_->Get(*deploy_, "default", "web");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(static_cast<apps::Deployment&>(**d).spec().replicas(), 4);
  api::autoscaling::v1::Scale s;
  s.mutable_spec()->set_replicas(-1);
  EXPECT_EQ(ToApiStatus(registry_->UpdateScale(*deploy_, "default", "web", s).status()).code(),
            422);
  s.mutable_spec()->set_replicas(1);
  s.mutable_metadata()->set_resourceversion("1");
  EXPECT_EQ(registry_->UpdateScale(*deploy_, "default", "web", s).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(registry_->GetScale(*cm_, "default", "x").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, ErrorMappingCodes) {
  EXPECT_EQ(ToApiStatus(absl::UnimplementedError("x")).code(), 405);
  EXPECT_EQ(ToApiStatus(absl::UnimplementedError("x")).reason(), "MethodNotAllowed");
  EXPECT_EQ(ToApiStatus(absl::InternalError("x")).code(), 500);
  EXPECT_EQ(ToApiStatus(absl::InternalError("x")).reason(), "InternalError");
  EXPECT_EQ(ToApiStatus(absl::InvalidArgumentError("x")).reason(), "BadRequest");
  EXPECT_EQ(ToApiStatus(store::CompactedError(5)).code(), 410);
  EXPECT_EQ(ToApiStatus(absl::InternalError("x")).status(), "Failure");
}

TEST_F(RegistryTest, ListExactResourceVersionWithAndWithoutTheWatchCache) {
  RegistryOptions uncached;
  uncached.watch_cache = false;
  Registry plain(store_.get(), scheme_.get(), uncached);
  for (Registry* r : {registry_.get(), &plain}) {
    SCOPED_TRACE(r == &plain ? "store" : "cache");
    const std::string name = r == &plain ? "p" : "c";
    absl::StatusOr<ObjectPtr> v1 = r->Create(*cm_, "ns", ConfigMap(name, "x"));
    ASSERT_TRUE(v1.ok());
    ObjectPtr next = ConfigMap(name, "y");
    ASSERT_TRUE(r->Update(*cm_, "ns", name, std::move(next)).ok());
    ListOptions o;
    o.resource_version = Meta(*v1).resourceversion();
    o.resource_version_match = "Exact";
    o.field_selector = "metadata.name=" + name;
    absl::StatusOr<ListResult> l = r->List(*cm_, "ns", o);
    ASSERT_TRUE(l.ok()) << l.status();
    ASSERT_EQ(l->items.size(), 1u);
    EXPECT_EQ(Meta(l->items[0]).labels().at("app"), "x");
    EXPECT_EQ(absl::StrCat(l->resource_version), Meta(*v1).resourceversion());
    o.resource_version_match = "NotOlderThan";
    l = r->List(*cm_, "ns", o);
    ASSERT_TRUE(l.ok());
    ASSERT_EQ(l->items.size(), 1u);
    EXPECT_EQ(Meta(l->items[0]).labels().at("app"), "y");
    o.resource_version_match = "Newest";
    EXPECT_EQ(ToApiStatus(r->List(*cm_, "ns", o).status()).code(), 400);
  }
}

TEST_F(RegistryTest, ManyCachedWatchersSeeSelectorEntryAndExit) {
  std::vector<std::unique_ptr<ObjectWatcher>> ws;
  WatchOptions wo;
  wo.selectors.label_selector = "app=x";
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = registry_->Watch(*cm_, "ns", wo);
    ASSERT_TRUE(w.ok());
    ws.push_back(std::move(*w));
  }
  ASSERT_TRUE(registry_->Create(*cm_, "ns", ConfigMap("a", "x")).ok());
  ASSERT_TRUE(registry_->Update(*cm_, "ns", "a", ConfigMap("a", "y")).ok());
  for (auto& w : ws) {
    std::optional<ObjectEvent> e = w->Next(absl::Seconds(30));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->type, "ADDED");
    e = w->Next(absl::Seconds(30));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->type, "DELETED");  // left the selector
    EXPECT_EQ(Meta(e->object).labels().at("app"), "y");
  }
}

}  // namespace
}  // namespace rudder::apiserver
