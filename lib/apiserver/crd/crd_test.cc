#include "lib/apiserver/crd/crd.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver::crd {
namespace {

using api::apiextensions::v1::CustomResourceDefinition;

constexpr char kCronTabs[] = R"({
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "crontabs.stable.example.com"},
  "spec": {
    "group": "stable.example.com", "scope": "Namespaced",
    "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab",
              "shortNames": ["ct"], "categories": ["all"]},
    "versions": [{
      "name": "v1", "served": true, "storage": true,
      "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                               "statusReplicasPath": ".status.replicas"}},
      "schema": {"openAPIV3Schema": {
        "type": "object",
        "properties": {
          "spec": {"type": "object", "required": ["cronSpec"], "properties": {
            "cronSpec": {"type": "string", "pattern": "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"},
            "image": {"type": "string", "default": "busybox"},
            "replicas": {"type": "integer", "minimum": 1, "maximum": 10}}},
          "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}
    }]
  }
})";

class CrdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    registry_ = std::make_unique<Registry>(store_.get(), scheme_.get());
    crd_kind_ = scheme_->ByKind({"apiextensions.k8s.io", "v1", "CustomResourceDefinition"});
    ASSERT_NE(crd_kind_, nullptr);
    controller_ = std::make_unique<CrdController>(registry_.get(), &clock_);
  }

  ObjectPtr Parse(const api::KindInfo& kind, const std::string& json) {
    ObjectPtr obj = kind.New();
    absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJson(json, obj.get());
    EXPECT_TRUE(r.ok()) << r.status();
    return obj;
  }

  std::string Json(const api::KindInfo& kind, const google::protobuf::Message& m) {
    api::JsonEncodeOptions enc{.api_version = kind.gvk.ApiVersion(), .kind = kind.gvk.kind};
    return *api::EncodeJson(m, enc);
  }

  // Creates the CronTab CRD and brings it into effect.
  std::shared_ptr<const api::KindInfo> ServeCronTabs() {
    absl::StatusOr<ObjectPtr> c = registry_->Create(*crd_kind_, "", Parse(*crd_kind_, kCronTabs));
    EXPECT_TRUE(c.ok()) << c.status();
    absl::Status st = controller_->Sync("crontabs.stable.example.com");
    EXPECT_TRUE(st.ok()) << st;
    return scheme_->ByKind({"stable.example.com", "v1", "CronTab"});
  }

  CustomResourceDefinition GetCrd(const std::string& name) {
    CustomResourceDefinition crd;
    absl::StatusOr<ObjectPtr> o = registry_->Get(*crd_kind_, "", name);
    EXPECT_TRUE(o.ok()) << o.status();
    if (o.ok()) crd.CopyFrom(**o);
    return crd;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<Registry> registry_;
  std::shared_ptr<const api::KindInfo> crd_kind_;
  FakeClock clock_{absl::FromUnixSeconds(1767225600)};  // 2026-01-01T00:00:00Z
  std::unique_ptr<CrdController> controller_;
};

TEST_F(CrdTest, KindsForBuildsOneKindPerServedVersion) {
  CustomResourceDefinition crd;
  ASSERT_TRUE(api::DecodeJson(kCronTabs, &crd).ok());
  auto* v2 = crd.mutable_spec()->add_versions();
  *v2 = crd.spec().versions(0);
  v2->set_name("v2");
  v2->set_storage(false);
  auto* off = crd.mutable_spec()->add_versions();
  *off = crd.spec().versions(0);
  off->set_name("v3");
  off->set_storage(false);
  off->set_served(false);
  absl::StatusOr<std::vector<api::KindInfo>> kinds = KindsFor(crd);
  ASSERT_TRUE(kinds.ok()) << kinds.status();
  ASSERT_EQ(kinds->size(), 2u);
  const api::KindInfo& k = (*kinds)[0];
  EXPECT_EQ(k.gvk, (api::GroupVersionKind{"stable.example.com", "v1", "CronTab"}));
  EXPECT_EQ(k.plural, "crontabs");
  EXPECT_EQ(k.singular, "crontab");
  EXPECT_EQ(k.list_kind, "CronTabList");
  EXPECT_EQ(k.short_names, std::vector<std::string>{"ct"});
  EXPECT_EQ(k.categories, std::vector<std::string>{"all"});
  EXPECT_TRUE(k.namespaced);
  EXPECT_TRUE(k.has_status);
  EXPECT_TRUE(k.has_scale);
  EXPECT_EQ(k.scale.spec_replicas_path, ".spec.replicas");
  EXPECT_TRUE(k.custom_resource);
  EXPECT_FALSE(k.openapi_schema.empty());
  EXPECT_EQ((*kinds)[1].gvk.version, "v2");
}

TEST_F(CrdTest, KindsForRejectsInvalidDefinitions) {
  CustomResourceDefinition crd;
  ASSERT_TRUE(api::DecodeJson(kCronTabs, &crd).ok());
  crd.mutable_metadata()->set_name("wrong");
  crd.mutable_spec()->set_scope("Galaxy");
  crd.mutable_spec()->mutable_versions(0)->set_storage(false);
  absl::StatusOr<std::vector<api::KindInfo>> kinds = KindsFor(crd);
  ASSERT_FALSE(kinds.ok());
  EXPECT_EQ(kinds.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(kinds.status().message(), "metadata.name")) << kinds.status();
  EXPECT_TRUE(absl::StrContains(kinds.status().message(), "spec.scope: Unsupported value"));
  EXPECT_TRUE(absl::StrContains(kinds.status().message(), "exactly one version"));

  ASSERT_TRUE(api::DecodeJson(kCronTabs, &crd).ok());
  crd.mutable_spec()->mutable_versions(0)->mutable_schema()->mutable_openapiv3schema()->set_raw(
      R"({"type":"object","properties":{"spec":{"type":"widget"}}})");
  kinds = KindsFor(crd);
  ASSERT_FALSE(kinds.ok());
  EXPECT_TRUE(absl::StrContains(kinds.status().message(),
                                "spec.versions[0].schema.openAPIV3Schema.properties[spec].type"))
      << kinds.status();
}

TEST_F(CrdTest, SyncRegistersTheKindAndEstablishesTheCrd) {
  std::shared_ptr<const api::KindInfo> ct = ServeCronTabs();
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(scheme_->ResolveResource("ct"), ct);
  CustomResourceDefinition crd = GetCrd("crontabs.stable.example.com");
  ASSERT_EQ(crd.status().conditions_size(), 2);
  EXPECT_EQ(crd.status().conditions(0).type(), "NamesAccepted");
  EXPECT_EQ(crd.status().conditions(0).status(), "True");
  EXPECT_EQ(crd.status().conditions(1).type(), "Established");
  EXPECT_EQ(crd.status().conditions(1).status(), "True");
  EXPECT_EQ(crd.status().conditions(1).lasttransitiontime().seconds(), 1767225600);
  EXPECT_EQ(crd.status().acceptednames().plural(), "crontabs");
  EXPECT_EQ(crd.status().acceptednames().listkind(), "CronTabList");
  ASSERT_EQ(crd.status().storedversions_size(), 1);
  EXPECT_EQ(crd.status().storedversions(0), "v1");
  ASSERT_EQ(crd.metadata().finalizers_size(), 1);
  EXPECT_EQ(crd.metadata().finalizers(0), kCleanupFinalizer);
  // A second sync changes nothing.
  const std::string rv = crd.metadata().resourceversion();
  ASSERT_TRUE(controller_->Sync("crontabs.stable.example.com").ok());
  EXPECT_EQ(GetCrd("crontabs.stable.example.com").metadata().resourceversion(), rv);
}

TEST_F(CrdTest, CreateAppliesDefaultsPrunesAndValidates) {
  std::shared_ptr<const api::KindInfo> ct = ServeCronTabs();
  ASSERT_NE(ct, nullptr);
  absl::StatusOr<ObjectPtr> o = registry_->Create(
      *ct, "default",
      Parse(*ct, R"({"apiVersion":"stable.example.com/v1","kind":"CronTab",)"
                 R"("metadata":{"name":"a"},"spec":{"cronSpec":"* * * * */5","replicas":2,)"
                 R"("bogus":true},"junk":1})"));
  ASSERT_TRUE(o.ok()) << o.status();
  std::string json = Json(*ct, **o);
  EXPECT_TRUE(absl::StrContains(
      json, R"("spec":{"cronSpec":"* * * * */5","image":"busybox","replicas":2})"))
      << json;
  EXPECT_FALSE(absl::StrContains(json, "bogus"));
  ObjectPtr raw = Parse(*ct, R"({"spec":{"cronSpec":"* * * * *","bogus":1},"junk":2})");
  EXPECT_EQ(ct->unknown_fields(*raw), (std::vector<std::string>{"junk", "spec.bogus"}));
  EXPECT_FALSE(absl::StrContains(json, "junk"));
  EXPECT_EQ(api::GetObjectMeta(**o)->generation(), 1);
  EXPECT_FALSE(api::GetObjectMeta(**o)->uid().empty());

  absl::StatusOr<ObjectPtr> bad = registry_->Create(
      *ct, "default",
      Parse(*ct, R"({"metadata":{"name":"b"},"spec":{"cronSpec":"often","replicas":11}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "CronTab.stable.example.com \"b\" is invalid: [spec.cronSpec: Invalid value: "
            "\"often\": spec.cronSpec in body should match "
            "'^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$', spec.replicas: Invalid value: 11: "
            "spec.replicas in body should be less than or equal to 10]");
  EXPECT_EQ(ToApiStatus(bad.status()).code(), 422);
  EXPECT_EQ(ToApiStatus(bad.status()).details().kind(), "CronTab");  // kubectl: The CronTab "b"
  bad = registry_->Create(*ct, "default", Parse(*ct, R"({"metadata":{"name":"c"},"spec":{}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "spec.cronSpec: Required value"));
}

TEST_F(CrdTest, GetListUpdatePatchAndStatus) {
  std::shared_ptr<const api::KindInfo> ct = ServeCronTabs();
  ASSERT_NE(ct, nullptr);
  ASSERT_TRUE(registry_
                  ->Create(*ct, "default",
                           Parse(*ct, R"({"metadata":{"name":"a","labels":{"x":"1"}},)"
                                      R"("spec":{"cronSpec":"* * * * *"}})"))
                  .ok());
  ASSERT_TRUE(
      registry_
          ->Create(*ct, "other",
                   Parse(*ct, R"({"metadata":{"name":"b"},"spec":{"cronSpec":"* * * * *"}})"))
          .ok());
  absl::StatusOr<ListResult> all = registry_->List(*ct, "", ListOptions());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->items.size(), 2u);
  ListOptions sel;
  sel.label_selector = "x=1";
  EXPECT_EQ(registry_->List(*ct, "", sel)->items.size(), 1u);

  // Merge patch: spec changes bump generation.
  absl::StatusOr<ObjectPtr> p =
      registry_->Patch(*ct, "default", "a", PatchType::kMerge, R"({"spec":{"replicas":3}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(absl::StrContains(Json(*ct, **p), R"("replicas":3)"));
  EXPECT_EQ(api::GetObjectMeta(**p)->generation(), 2);
  // JSON patch, validated.
  p = registry_->Patch(*ct, "default", "a", PatchType::kJson,
                       R"([{"op":"replace","path":"/spec/replicas","value":50}])");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  p = registry_->Patch(*ct, "default", "a", PatchType::kJson,
                       R"([{"op":"replace","path":"/spec/image","value":"nginx"}])");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(absl::StrContains(Json(*ct, **p), R"("image":"nginx")"));

  // The main resource ignores status; the status subresource changes only status.
  p = registry_->Patch(*ct, "default", "a", PatchType::kMerge, R"({"status":{"replicas":7}})");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(absl::StrContains(Json(*ct, **p), "status"));
  p = registry_->Patch(*ct, "default", "a", PatchType::kMerge,
                       R"({"spec":{"replicas":9},"status":{"replicas":7,"extra":1}})",
                       /*status=*/true);
  ASSERT_TRUE(p.ok()) << p.status();
  std::string json = Json(*ct, **p);
  EXPECT_TRUE(absl::StrContains(json, R"("status":{"replicas":7})")) << json;
  EXPECT_TRUE(absl::StrContains(json, R"("replicas":3)")) << json;
  EXPECT_EQ(api::GetObjectMeta(**p)->generation(), 3);

  // Scale.
  absl::StatusOr<std::unique_ptr<api::autoscaling::v1::Scale>> s =
      registry_->GetScale(*ct, "default", "a");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->spec().replicas(), 3);
  EXPECT_EQ((*s)->status().replicas(), 7);
}

TEST_F(CrdTest, UpdateScaleSetsTheSpecPath) {
  std::shared_ptr<const api::KindInfo> ct = ServeCronTabs();
  ASSERT_NE(ct, nullptr);
  ASSERT_TRUE(
      registry_
          ->Create(*ct, "default",
                   Parse(*ct, R"({"metadata":{"name":"a"},"spec":{"cronSpec":"* * * * *"}})"))
          .ok());
  api::autoscaling::v1::Scale scale;
  scale.mutable_spec()->set_replicas(4);
  absl::StatusOr<std::unique_ptr<api::autoscaling::v1::Scale>> s =
      registry_->UpdateScale(*ct, "default", "a", scale);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->spec().replicas(), 4);
  EXPECT_TRUE(
      absl::StrContains(Json(*ct, **registry_->Get(*ct, "default", "a")), R"("replicas":4)"));
  // The schema still applies: 11 is over the maximum.
  scale.mutable_spec()->set_replicas(11);
  EXPECT_EQ(registry_->UpdateScale(*ct, "default", "a", scale).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CrdTest, EveryServedVersionReadsTheSameObjects) {
  CustomResourceDefinition crd;
  ASSERT_TRUE(api::DecodeJson(kCronTabs, &crd).ok());
  auto* beta = crd.mutable_spec()->add_versions();
  *beta = crd.spec().versions(0);
  beta->set_name("v1beta1");
  beta->set_storage(false);
  ASSERT_TRUE(
      registry_->Create(*crd_kind_, "", std::make_unique<CustomResourceDefinition>(crd)).ok());
  ASSERT_TRUE(controller_->Sync("crontabs.stable.example.com").ok());
  auto v1 = scheme_->ByKind({"stable.example.com", "v1", "CronTab"});
  auto v1beta1 = scheme_->ByKind({"stable.example.com", "v1beta1", "CronTab"});
  ASSERT_NE(v1, nullptr);
  ASSERT_NE(v1beta1, nullptr);
  ASSERT_TRUE(
      registry_
          ->Create(*v1, "default",
                   Parse(*v1, R"({"metadata":{"name":"a"},"spec":{"cronSpec":"* * * * *"}})"))
          .ok());
  absl::StatusOr<ObjectPtr> o = registry_->Get(*v1beta1, "default", "a");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(
      absl::StrContains(Json(*v1beta1, **o), R"("apiVersion":"stable.example.com/v1beta1")"));
  // storedVersions lists the storage version only.
  CustomResourceDefinition stored = GetCrd("crontabs.stable.example.com");
  ASSERT_EQ(stored.status().storedversions_size(), 1);
  EXPECT_EQ(stored.status().storedversions(0), "v1");
}

TEST_F(CrdTest, WatchSeesCustomObjects) {
  std::shared_ptr<const api::KindInfo> ct = ServeCronTabs();
  ASSERT_NE(ct, nullptr);
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = registry_->Watch(*ct, "default", {});
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(
      registry_
          ->Create(*ct, "default",
                   Parse(*ct, R"({"metadata":{"name":"a"},"spec":{"cronSpec":"* * * * *"}})"))
          .ok());
  std::optional<ObjectEvent> e;
  while (!(e = (*w)->Next(absl::Seconds(1))).has_value()) {
  }
  EXPECT_EQ(e->type, "ADDED");
  EXPECT_EQ(api::GetObjectMeta(*e->object)->name(), "a");
}

TEST_F(CrdTest, DeletingTheCrdStopsServingAndDeletesObjects) {
  std::shared_ptr<const api::KindInfo> ct = ServeCronTabs();
  ASSERT_NE(ct, nullptr);
  ASSERT_TRUE(
      registry_
          ->Create(*ct, "default",
                   Parse(*ct, R"({"metadata":{"name":"a"},"spec":{"cronSpec":"* * * * *"}})"))
          .ok());
  absl::StatusOr<ObjectPtr> d = registry_->Delete(*crd_kind_, "", "crontabs.stable.example.com");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(api::GetObjectMeta(**d)->has_deletiontimestamp());  // held by the finalizer
  ASSERT_TRUE(controller_->Sync("crontabs.stable.example.com").ok());
  EXPECT_EQ(scheme_->ByKind({"stable.example.com", "v1", "CronTab"}), nullptr);
  EXPECT_EQ(registry_->Get(*crd_kind_, "", "crontabs.stable.example.com").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->List(*ct, "", ListOptions())->items.size(), 0u);
  // Created again, it starts empty.
  ct = ServeCronTabs();
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(registry_->Get(*ct, "default", "a").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CrdTest, NameConflictsAreReportedNotServed) {
  ASSERT_NE(ServeCronTabs(), nullptr);
  // Another plural of the same group with the same kind.
  std::string json = kCronTabs;
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"crontabs.stable", "crontimes.stable"}, {"\"crontabs\"", "\"crontimes\""}}) {
    for (size_t at; (at = json.find(from)) != std::string::npos;) json.replace(at, from.size(), to);
  }
  absl::StatusOr<ObjectPtr> created = registry_->Create(*crd_kind_, "", Parse(*crd_kind_, json));
  ASSERT_TRUE(created.ok()) << created.status();
  absl::Status st = controller_->Sync("crontimes.stable.example.com");
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(scheme_->ByResource({"stable.example.com", "v1", "crontimes"}), nullptr);
  EXPECT_EQ(scheme_->ByKind({"stable.example.com", "v1", "CronTab"})->plural, "crontabs");
  CustomResourceDefinition crd = GetCrd("crontimes.stable.example.com");
  ASSERT_EQ(crd.status().conditions_size(), 2);
  EXPECT_EQ(crd.status().conditions(0).status(), "False");
  EXPECT_EQ(crd.status().conditions(0).reason(), "ResourceNameConflict");
  EXPECT_EQ(crd.status().conditions(1).type(), "Established");
  EXPECT_EQ(crd.status().conditions(1).status(), "False");
}

TEST_F(CrdTest, StartedControllerFollowsCrdsInTheBackground) {
  ASSERT_TRUE(controller_->Start().ok());
  ASSERT_TRUE(registry_->Create(*crd_kind_, "", Parse(*crd_kind_, kCronTabs)).ok());
  // Waits for the watch thread (no bound on how long it may take).
  while (scheme_->ByKind({"stable.example.com", "v1", "CronTab"}) == nullptr) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  while (GetCrd("crontabs.stable.example.com").status().conditions_size() < 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(registry_->Delete(*crd_kind_, "", "crontabs.stable.example.com").ok());
  while (scheme_->ByKind({"stable.example.com", "v1", "CronTab"}) != nullptr ||
         registry_->Get(*crd_kind_, "", "crontabs.stable.example.com").ok()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  controller_->Stop();
}

TEST_F(CrdTest, StartServesCrdsAlreadyStored) {
  ASSERT_TRUE(registry_->Create(*crd_kind_, "", Parse(*crd_kind_, kCronTabs)).ok());
  ASSERT_TRUE(controller_->Start().ok());
  EXPECT_NE(scheme_->ByKind({"stable.example.com", "v1", "CronTab"}), nullptr);
}

}  // namespace
}  // namespace rudder::apiserver::crd
