#include "lib/api/scheme/scheme.h"

#include <thread>

#include "gtest/gtest.h"
#include "lib/api/scheme/testdata/widget.pb.h"

namespace rudder::api {
namespace {

KindInfo Kind(std::string group, std::string version, std::string kind, std::string plural,
              std::vector<std::string> short_names = {}) {
  KindInfo k;
  k.gvk = {std::move(group), std::move(version), std::move(kind)};
  k.plural = std::move(plural);
  k.short_names = std::move(short_names);
  return k;
}

TEST(GroupVersionKindTest, ApiVersionRoundTrip) {
  GroupVersionKind core{"", "v1", "Pod"};
  EXPECT_EQ(core.ApiVersion(), "v1");
  GroupVersionKind apps{"apps", "v1", "Deployment"};
  EXPECT_EQ(apps.ApiVersion(), "apps/v1");
  EXPECT_EQ(apps.ToString(), "apps/v1, Kind=Deployment");
  EXPECT_EQ(*GroupVersionKind::FromApiVersion("apps/v1", "Deployment"), apps);
  EXPECT_EQ(*GroupVersionKind::FromApiVersion("v1", "Pod"), core);
  EXPECT_EQ(GroupVersionKind::FromApiVersion("a/b/c", "X").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GroupVersionKind::FromApiVersion("", "X").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SchemeTest, RegisterFillsDefaultsAndLooksUpEveryWay) {
  Scheme scheme;
  ASSERT_TRUE(
      scheme.Register<schemetest::Widget>(Kind("example.com", "v1", "Widget", "widgets", {"wd"}))
          .ok());
  auto by_kind = scheme.ByKind({"example.com", "v1", "Widget"});
  ASSERT_NE(by_kind, nullptr);
  EXPECT_EQ(by_kind->singular, "widget");
  EXPECT_EQ(by_kind->list_kind, "WidgetList");
  EXPECT_EQ(by_kind->verbs.size(), 8u);
  EXPECT_EQ(scheme.ByResource({"example.com", "v1", "widgets"}), by_kind);
  EXPECT_EQ(scheme.ByDescriptor(schemetest::Widget::descriptor()), by_kind);
  std::unique_ptr<google::protobuf::Message> obj = by_kind->New();
  ASSERT_NE(obj, nullptr);
  EXPECT_EQ(obj->GetDescriptor(), schemetest::Widget::descriptor());
}

TEST(SchemeTest, CustomResourceKindsShareTheirMessageAndAreNotFoundByIt) {
  Scheme scheme;
  KindInfo a = Kind("example.com", "v1", "Widget", "widgets");
  a.custom_resource = true;
  KindInfo b = Kind("example.com", "v1", "Gadget", "gadgets");
  b.custom_resource = true;
  ASSERT_TRUE(scheme.Register<schemetest::Widget>(a).ok());
  ASSERT_TRUE(scheme.Register<schemetest::Widget>(b).ok());
  EXPECT_EQ(scheme.ByDescriptor(schemetest::Widget::descriptor()), nullptr);
  ASSERT_NE(scheme.ByKind({"example.com", "v1", "Gadget"}), nullptr);
  EXPECT_TRUE(scheme.ByKind({"example.com", "v1", "Gadget"})->custom_resource);
}

TEST(SchemeTest, RejectsDuplicatesAndMalformedNames) {
  Scheme scheme;
  ASSERT_TRUE(scheme.Register(Kind("", "v1", "Pod", "pods")).ok());
  EXPECT_EQ(scheme.Register(Kind("", "v1", "Pod", "pods2")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(scheme.Register(Kind("", "v1", "Other", "pods")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(scheme.Register(Kind("Bad_Group", "v1", "X", "xs")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheme.Register(Kind("", "v1", "X", "Xs")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheme.Register(Kind("", "", "X", "xs")).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SchemeTest, ResolvesWhatUsersTypeLikeKubectl) {
  Scheme scheme;
  ASSERT_TRUE(scheme.Register(Kind("", "v1", "Pod", "pods", {"po"})).ok());
  ASSERT_TRUE(scheme.Register(Kind("apps", "v1", "Deployment", "deployments", {"deploy"})).ok());
  ASSERT_TRUE(scheme.Register(Kind("", "v1", "Event", "events", {"ev"})).ok());
  ASSERT_TRUE(scheme.Register(Kind("events.k8s.io", "v1", "Event", "events", {"ev"})).ok());
  ASSERT_TRUE(
      scheme.Register(Kind("networking.k8s.io", "v1", "Ingress", "ingresses", {"ing"})).ok());
  EXPECT_EQ(scheme.ResolveResource("po")->gvk.kind, "Pod");
  EXPECT_EQ(scheme.ResolveResource("Pod")->gvk.kind, "Pod");
  EXPECT_EQ(scheme.ResolveResource("pod")->gvk.kind, "Pod");
  EXPECT_EQ(scheme.ResolveResource("deploy")->gvk.group, "apps");
  EXPECT_EQ(scheme.ResolveResource("deployments.apps")->plural, "deployments");
  EXPECT_EQ(scheme.ResolveResource("deployments.v1.apps")->plural, "deployments");
  EXPECT_EQ(scheme.ResolveResource("deployments.extensions"), nullptr);
  // The core group wins a tie; a group qualifier picks the other.
  EXPECT_EQ(scheme.ResolveResource("events")->gvk.group, "");
  EXPECT_EQ(scheme.ResolveResource("events.events.k8s.io")->gvk.group, "events.k8s.io");
  EXPECT_EQ(scheme.ResolveResource("ingresses.networking.k8s.io")->gvk.kind, "Ingress");
  EXPECT_EQ(scheme.ResolveResource("nothing"), nullptr);
}

TEST(SchemeTest, UnregisterRemovesAndOutstandingRecordsStayValid) {
  Scheme scheme;
  ASSERT_TRUE(scheme.Register(Kind("example.com", "v1", "Widget", "widgets")).ok());
  auto held = scheme.ByKind({"example.com", "v1", "Widget"});
  ASSERT_TRUE(scheme.Unregister({"example.com", "v1", "Widget"}).ok());
  EXPECT_EQ(scheme.ByResource({"example.com", "v1", "widgets"}), nullptr);
  EXPECT_EQ(held->plural, "widgets");
  EXPECT_EQ(scheme.Unregister({"example.com", "v1", "Widget"}).code(), absl::StatusCode::kNotFound);
  // Now the names are free again.
  EXPECT_TRUE(scheme.Register(Kind("example.com", "v1", "Widget", "widgets")).ok());
}

TEST(SchemeTest, GroupVersionsAreOrderedAndDistinct) {
  Scheme scheme;
  ASSERT_TRUE(scheme.Register(Kind("apps", "v1", "Deployment", "deployments")).ok());
  ASSERT_TRUE(scheme.Register(Kind("apps", "v1", "ReplicaSet", "replicasets")).ok());
  ASSERT_TRUE(scheme.Register(Kind("", "v1", "Pod", "pods")).ok());
  std::vector<std::pair<std::string, std::string>> want = {{"", "v1"}, {"apps", "v1"}};
  EXPECT_EQ(scheme.GroupVersions(), want);
  EXPECT_EQ(scheme.All().size(), 3u);
}

TEST(SchemeTest, ConcurrentRegistrationAndLookupIsSafe) {
  Scheme scheme;
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      std::string n = "kind" + std::to_string(i);
      ASSERT_TRUE(scheme.Register(Kind("example.com", "v1", "K" + n, n)).ok());
    }
  });
  // Readers race the writer; TSan checks the locking, the asserts check the end state.
  for (int i = 0; i < 2000; ++i) scheme.ResolveResource("kind" + std::to_string(i % 200));
  writer.join();
  EXPECT_EQ(scheme.All().size(), 200u);
  EXPECT_NE(scheme.ResolveResource("kind199"), nullptr);
}

}  // namespace
}  // namespace rudder::api
