#include "examples/custom-controller/website_controller.h"

#include "gtest/gtest.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/testing/test_cluster.h"

namespace example {
namespace {

using rudder::api::apps::v1::Deployment;
using rudder::api::core::v1::Service;
using rudder::testing::TestCluster;
using rudder::testing::TestClusterOptions;
using website::v1::Website;

std::unique_ptr<TestCluster> StartCluster(uint64_t seed = 0) {
  TestClusterOptions o;
  o.register_kinds = RegisterWebsite;
  o.controllers = {rudder::testing::GarbageCollectorController(),
                   {"website",
                    [](const rudder::testing::ControllerContext& ctx)
                        -> absl::StatusOr<std::unique_ptr<rudder::testing::RunningController>> {
                      absl::Status s = AddWebsiteController(ctx.manager);
                      if (!s.ok()) return s;
                      return nullptr;
                    }}};
  o.perturbation.seed = seed;
  auto tc = TestCluster::Start(std::move(o));
  EXPECT_TRUE(tc.ok()) << tc.status();
  return tc.ok() ? *std::move(tc) : nullptr;
}

Website Site(int replicas) {
  Website w;
  w.mutable_metadata()->set_namespace_("default");
  w.mutable_metadata()->set_name("blog");
  w.mutable_spec()->set_image("nginx:1.25");
  w.mutable_spec()->set_replicas(replicas);
  w.mutable_spec()->set_domain("blog.example.com");
  return w;
}

bool OwnedBy(const rudder::api::meta::v1::ObjectMeta& m, const std::string& uid) {
  return m.ownerreferences_size() == 1 && m.ownerreferences(0).uid() == uid &&
         m.ownerreferences(0).controller();
}

TEST(WebsiteControllerTest, CreatesUpdatesAndCollects) {
  auto tc = StartCluster();
  ASSERT_NE(tc, nullptr);
  rudder::client::TypedClient<Website> sites(tc->client());
  auto site = sites.Create(Site(2));
  ASSERT_TRUE(site.ok()) << site.status();
  const std::string uid = (*site)->metadata().uid();

  absl::Status s = tc->WaitFor<Deployment>(
      "default", "blog",
      [&](const Deployment* d) {
        return d != nullptr && d->spec().replicas() == 2 && OwnedBy(d->metadata(), uid) &&
               d->spec().template_().spec().containers(0).image() == "nginx:1.25";
      },
      "a Deployment of 2 nginx:1.25 pods owned by the Website");
  EXPECT_TRUE(s.ok()) << s;
  s = tc->WaitFor<Service>(
      "default", "blog",
      [&](const Service* v) {
        return v != nullptr && v->spec().ports(0).port() == 80 && OwnedBy(v->metadata(), uid);
      },
      "a Service on port 80 owned by the Website");
  EXPECT_TRUE(s.ok()) << s;
  s = tc->WaitFor<Website>(
      "default", "blog",
      [](const Website* w) {
        return w != nullptr && w->status().url() == "http://blog.example.com";
      },
      "status.url set");
  EXPECT_TRUE(s.ok()) << s;

  // Scale the site.
  auto live = sites.Get("default", "blog");
  ASSERT_TRUE(live.ok());
  (*live)->mutable_spec()->set_replicas(5);
  ASSERT_TRUE(sites.Update(**live).ok());
  s = tc->WaitFor<Deployment>(
      "default", "blog",
      [](const Deployment* d) { return d != nullptr && d->spec().replicas() == 5; }, "5 replicas");
  EXPECT_TRUE(s.ok()) << s;

  // Delete it: the garbage collector removes what it owned.
  ASSERT_TRUE(sites.Delete("default", "blog").ok());
  s = tc->WaitFor<Deployment>(
      "default", "blog", [](const Deployment* d) { return d == nullptr; },
      "the Deployment collected");
  EXPECT_TRUE(s.ok()) << s;
  s = tc->WaitFor<Service>(
      "default", "blog", [](const Service* v) { return v == nullptr; }, "the Service collected");
  EXPECT_TRUE(s.ok()) << s;
}

TEST(WebsiteControllerTest, ConvergesUnderPerturbedWatches) {
  // Quiescence is exact (no real-time window), so every seed converges however loaded the
  // machine is; a failing seed replays alone.
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    auto tc = StartCluster(seed);
    ASSERT_NE(tc, nullptr);
    rudder::client::TypedClient<Website> sites(tc->client());
    auto site = sites.Create(Site(1));
    ASSERT_TRUE(site.ok());
    auto live = *std::move(site);
    live->mutable_spec()->set_replicas(3);
    // Racing the controller's first reconcile is fine: retry on conflicts.
    for (int i = 0; i < 10; ++i) {
      auto u = sites.Update(*live);
      if (u.ok()) break;
      auto again = sites.Get("default", "blog");
      ASSERT_TRUE(again.ok());
      (*again)->mutable_spec()->set_replicas(3);
      live = *std::move(again);
    }
    absl::Status s = tc->WaitFor<Deployment>(
        "default", "blog",
        [](const Deployment* d) { return d != nullptr && d->spec().replicas() == 3; },
        "3 replicas");
    ASSERT_TRUE(s.ok()) << "seed " << seed << ": " << s;
    ASSERT_TRUE(sites.Delete("default", "blog").ok());
    s = tc->WaitFor<Service>(
        "default", "blog", [](const Service* v) { return v == nullptr; }, "the Service collected");
    ASSERT_TRUE(s.ok()) << "seed " << seed << ": " << s;
  }
}

}  // namespace
}  // namespace example
