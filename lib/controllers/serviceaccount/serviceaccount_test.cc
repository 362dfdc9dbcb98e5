#include "lib/controllers/serviceaccount/serviceaccount.h"

#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::core::v1::Namespace;
using api::core::v1::ServiceAccount;
using ctrl::testing::Eventually;

class ServiceAccountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddServiceAccountController(manager_.get()).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }
  bool HasDefault(const std::string& ns) {
    return client::TypedClient<ServiceAccount>(cluster_.client.get()).Get(ns, "default").ok();
  }

  FakeClock clock_;
  ctrl::testing::TestCluster cluster_;
  std::unique_ptr<ctrl::Manager> manager_;
};

TEST_F(ServiceAccountTest, CreatesDefaultInNewNamespaceAndRecreatesIt) {
  client::TypedClient<Namespace> namespaces(cluster_.client.get());
  Namespace ns;
  ns.mutable_metadata()->set_name("team-a");
  ASSERT_TRUE(namespaces.Create(ns).ok());
  ASSERT_TRUE(Eventually([&] { return HasDefault("team-a"); }));

  client::TypedClient<ServiceAccount> accounts(cluster_.client.get());
  ASSERT_TRUE(accounts.Delete("team-a", "default").ok());
  ASSERT_TRUE(Eventually([&] { return HasDefault("team-a"); }));
  // Other accounts are not touched.
  EXPECT_TRUE(absl::IsNotFound(accounts.Get("team-a", "other").status()));
}

}  // namespace
}  // namespace rudder::controllers
