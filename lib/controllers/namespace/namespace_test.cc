#include "lib/controllers/namespace/namespace.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "lib/api/codec/unstructured.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/unstructured/unstructured.pb.h"
#include "lib/client/client.h"
#include "lib/client/dynamic/dynamic_client.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::core::v1::ConfigMap;
using api::core::v1::Namespace;
using api::core::v1::Pod;
using ctrl::testing::Eventually;

class NamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api::KindInfo widget;
    widget.gvk = {"example.com", "v1", "Widget"};
    widget.plural = "widgets";
    widget.singular = "widget";
    widget.custom_resource = true;
    widget.descriptor = api::unstructured::CustomObject::descriptor();
    ASSERT_TRUE(cluster_.scheme->Register(widget).ok());

    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddNamespaceController(manager_.get(),
                                       {.finalize = RegistryNamespaceFinalizer(&cluster_.registry)})
                    .ok());
    ASSERT_TRUE(manager_->Start().ok());
    Namespace ns;
    ns.mutable_metadata()->set_name("doomed");
    ASSERT_TRUE(namespaces_.Create(ns).ok());
  }
  void TearDown() override { manager_->Stop(); }

  void CreateConfigMap(const std::string& name, const std::string& finalizer = "") {
    ConfigMap cm;
    cm.mutable_metadata()->set_namespace_("doomed");
    cm.mutable_metadata()->set_name(name);
    if (!finalizer.empty()) cm.mutable_metadata()->add_finalizers(finalizer);
    auto r = configmaps_.Create(cm);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  std::unique_ptr<Namespace> Ns() {
    auto r = namespaces_.Get("", "doomed");
    return r.ok() ? *std::move(r) : nullptr;
  }
  std::string Condition(const std::string& type) {
    std::unique_ptr<Namespace> ns = Ns();
    if (ns == nullptr) return "";
    for (const auto& c : ns->status().conditions()) {
      if (c.type() == type) return c.status() + "/" + c.reason() + "/" + c.message();
    }
    return "";
  }

  FakeClock clock_;
  ctrl::testing::TestCluster cluster_;
  std::unique_ptr<ctrl::Manager> manager_;
  client::TypedClient<Namespace> namespaces_{cluster_.client.get()};
  client::TypedClient<ConfigMap> configmaps_{cluster_.client.get()};
};

TEST_F(NamespaceTest, DeletionEmptiesNamespaceIncludingCustomResources) {
  CreateConfigMap("a");
  CreateConfigMap("b");
  Pod pod;
  pod.mutable_metadata()->set_namespace_("doomed");
  pod.mutable_metadata()->set_name("p");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("busybox");
  ASSERT_TRUE(client::TypedClient<Pod>(cluster_.client.get()).Create(pod).ok());
  client::DynamicClient dyn(cluster_.client.get());
  auto w = api::Unstructured::FromJson(
      R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"doomed"},"spec":{"size":1}})");
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(dyn.Create({"example.com", "v1", "widgets"}, "", *w).ok());

  ASSERT_TRUE(namespaces_.Delete("", "doomed").ok());
  ASSERT_TRUE(Eventually([&] { return Ns() == nullptr; }));
  EXPECT_TRUE(configmaps_.List("doomed")->items.empty());
  EXPECT_TRUE(absl::IsNotFound(dyn.Get({"example.com", "v1", "widgets"}, "doomed", "w").status()));
}

TEST_F(NamespaceTest, WaitsForFinalizersOfItsContent) {
  CreateConfigMap("held", "example.com/hold");
  ASSERT_TRUE(namespaces_.Delete("", "doomed").ok());
  EXPECT_EQ(Ns()->status().phase(), "Terminating");
  ASSERT_TRUE(Eventually([&] {
    return Condition("NamespaceFinalizersRemaining") ==
           "True/SomeFinalizersRemain/Some content in the namespace has finalizers remaining: "
           "example.com/hold in 1 resource instances";
  }));
  EXPECT_EQ(Condition("NamespaceContentRemaining"),
            "True/SomeResourcesRemain/Some resources are remaining: configmaps has 1 resource "
            "instances");
  EXPECT_EQ(Condition("NamespaceDeletionContentFailure").substr(0, 5), "False");
  // The finalizer goes; the next look (after `recheck`) finishes the namespace.
  auto cm = configmaps_.Get("doomed", "held");
  ASSERT_TRUE(cm.ok());
  (*cm)->mutable_metadata()->clear_finalizers();
  ASSERT_TRUE(configmaps_.Update(**cm).ok());
  ASSERT_TRUE(Eventually([&] { return Ns() == nullptr; }, &clock_, absl::Seconds(1)));
}

TEST(NamespaceOptionsTest, DefaultFinalizerUsesTheManagersClient) {
  FakeClock clock;
  ctrl::testing::TestCluster cluster;
  auto m = ctrl::Manager::New(cluster.client.get(), {.clock = &clock});
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(AddNamespaceController(m->get(), {}).ok());
  ASSERT_TRUE((*m)->Start().ok());
  client::TypedClient<Namespace> namespaces(cluster.client.get());
  Namespace ns;
  ns.mutable_metadata()->set_name("short-lived");
  ASSERT_TRUE(namespaces.Create(ns).ok());
  ASSERT_TRUE(namespaces.Delete("", "short-lived").ok());
  // Only namespaces/finalize (through Client::FinalizeNamespace) can remove the namespace.
  EXPECT_TRUE(
      Eventually([&] { return absl::IsNotFound(namespaces.Get("", "short-lived").status()); }));
  (*m)->Stop();
}

}  // namespace
}  // namespace rudder::controllers
