#include "lib/client/client.h"

#include <memory>

#include "gtest/gtest.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::client {
namespace {

using api::core::v1::ConfigMap;

class ClientTest : public ::testing::Test {
 protected:
  ClientTest()
      : store_(*store::NewMemoryStore()),
        scheme_(api::NewBuiltinScheme()),
        registry_(store_.get(), scheme_.get()),
        client_(NewInProcessClient(&registry_)) {}

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  apiserver::Registry registry_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, TypedRoundTrip) {
  TypedClient<ConfigMap> cms(client_.get());
  ASSERT_NE(cms.kind(), nullptr);
  EXPECT_EQ(cms.kind()->plural, "configmaps");

  ConfigMap cm;
  cm.mutable_metadata()->set_name("settings");
  cm.mutable_metadata()->set_namespace_("team-a");
  (*cm.mutable_data())["mode"] = "fast";
  absl::StatusOr<std::unique_ptr<ConfigMap>> created = cms.Create(cm);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE((*created)->metadata().uid().empty());
  EXPECT_EQ((*created)->metadata().namespace_(), "team-a");

  absl::StatusOr<std::unique_ptr<ConfigMap>> got = cms.Get("team-a", "settings");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->data().at("mode"), "fast");

  (*got)->mutable_data()->at("mode") = "safe";
  absl::StatusOr<std::unique_ptr<ConfigMap>> updated = cms.Update(**got);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_NE((*updated)->metadata().resourceversion(), (*got)->metadata().resourceversion());

  // The stale copy conflicts.
  EXPECT_EQ(cms.Update(**got).status().code(), absl::StatusCode::kAborted);

  absl::StatusOr<TypedList<ConfigMap>> list = cms.List("team-a");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0]->data().at("mode"), "safe");
  EXPECT_GT(list->resource_version, 0);

  absl::StatusOr<std::unique_ptr<ConfigMap>> patched =
      cms.Patch("team-a", "settings", PatchType::kMerge, R"({"data":{"extra":"1"}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)->data().at("extra"), "1");

  ASSERT_TRUE(cms.Delete("team-a", "settings").ok());
  EXPECT_EQ(cms.Get("team-a", "settings").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, DryRunStoresNothing) {
  TypedClient<ConfigMap> cms(client_.get());
  ConfigMap cm;
  cm.mutable_metadata()->set_name("preview");
  absl::StatusOr<std::unique_ptr<ConfigMap>> r = cms.Create(cm, {.dry_run = true});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->metadata().name(), "preview");
  EXPECT_EQ(cms.Get("default", "preview").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, DeleteCollectionBySelector) {
  TypedClient<ConfigMap> cms(client_.get());
  for (const char* name : {"a", "b", "c"}) {
    ConfigMap cm;
    cm.mutable_metadata()->set_name(name);
    (*cm.mutable_metadata()->mutable_labels())["keep"] = name[0] == 'c' ? "yes" : "no";
    ASSERT_TRUE(cms.Create(cm).ok());
  }
  ListOptions selectors;
  selectors.label_selector = "keep=no";
  ASSERT_TRUE(client_->DeleteCollection(*cms.kind(), "default", selectors, {}).ok());
  absl::StatusOr<TypedList<ConfigMap>> left = cms.List("default");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->items.size(), 1u);
  EXPECT_EQ(left->items[0]->metadata().name(), "c");
}

TEST_F(ClientTest, FinalizeNamespaceRemovesATerminatingNamespace) {
  TypedClient<api::core::v1::Namespace> namespaces(client_.get());
  api::core::v1::Namespace ns;
  ns.mutable_metadata()->set_name("gone-soon");
  ASSERT_TRUE(namespaces.Create(ns).ok());
  ASSERT_TRUE(namespaces.Delete("", "gone-soon").ok());
  absl::StatusOr<std::unique_ptr<api::core::v1::Namespace>> terminating =
      namespaces.Get("", "gone-soon");
  ASSERT_TRUE(terminating.ok()) << "a namespace with spec.finalizers stays Terminating";
  (*terminating)->mutable_spec()->clear_finalizers();
  ASSERT_TRUE(client_->FinalizeNamespace(std::move(*terminating), {}).ok());
  EXPECT_EQ(namespaces.Get("", "gone-soon").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, UnregisteredTypeIsNotFound) {
  // A message type that is not an API kind.
  TypedClient<api::meta::v1::ObjectMeta> bogus(client_.get());
  EXPECT_EQ(bogus.kind(), nullptr);
  EXPECT_EQ(bogus.Get("default", "x").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, ScaleSubresource) {
  TypedClient<api::apps::v1::Deployment> deployments(client_.get());
  api::apps::v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_metadata()->set_namespace_("default");
  d.mutable_spec()->set_replicas(2);
  (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
  (*d.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = d.mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
  c->set_name("web");
  c->set_image("nginx");
  ASSERT_TRUE(deployments.Create(d).ok());

  absl::StatusOr<std::unique_ptr<Scale>> scale =
      client_->GetScale(*deployments.kind(), "default", "web");
  ASSERT_TRUE(scale.ok()) << scale.status();
  EXPECT_EQ((*scale)->spec().replicas(), 2);
  (*scale)->mutable_spec()->set_replicas(5);
  ASSERT_TRUE(client_->UpdateScale(*deployments.kind(), "default", "web", **scale).ok());
  EXPECT_EQ((*deployments.Get("default", "web"))->spec().replicas(), 5);
}

TEST_F(ClientTest, WatchSeesWrites) {
  TypedClient<ConfigMap> cms(client_.get());
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = cms.Watch("default");
  ASSERT_TRUE(w.ok()) << w.status();
  ConfigMap cm;
  cm.mutable_metadata()->set_name("a");
  ASSERT_TRUE(cms.Create(cm).ok());
  std::optional<ObjectEvent> ev = (*w)->Next(absl::Seconds(30));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, "ADDED");
  EXPECT_EQ(api::GetObjectMeta(*ev->object)->name(), "a");
}

}  // namespace
}  // namespace rudder::client
