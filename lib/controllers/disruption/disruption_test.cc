#include "lib/controllers/disruption/disruption.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::apps::v1::ReplicaSet;
using api::core::v1::Pod;
using api::policy::v1::PodDisruptionBudget;
using ctrl::testing::Eventually;

api::intstr::IntOrString Int(int v) {
  api::intstr::IntOrString o;
  o.set_type(0);
  o.set_intval(v);
  return o;
}
api::intstr::IntOrString Str(const std::string& v) {
  api::intstr::IntOrString o;
  o.set_type(1);
  o.set_strval(v);
  return o;
}

class DisruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddDisruptionController(manager_.get()).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }

  void CreatePod(const std::string& name, bool ready, const ReplicaSet* owner = nullptr) {
    Pod p;
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_name(name);
    (*p.mutable_metadata()->mutable_labels())["app"] = "web";
    if (owner != nullptr) {
      auto* ref = p.mutable_metadata()->add_ownerreferences();
      ref->set_apiversion("apps/v1");
      ref->set_kind("ReplicaSet");
      ref->set_name(owner->metadata().name());
      ref->set_uid(owner->metadata().uid());
      ref->set_controller(true);
    }
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox");
    auto created = pods_.Create(p);
    ASSERT_TRUE(created.ok()) << created.status();
    SetReady(name, ready);
  }
  void SetReady(const std::string& name, bool ready) {
    auto p = pods_.Get("default", name);
    ASSERT_TRUE(p.ok());
    (*p)->mutable_status()->clear_conditions();
    auto* cond = (*p)->mutable_status()->add_conditions();
    cond->set_type("Ready");
    cond->set_status(ready ? "True" : "False");
    ASSERT_TRUE(pods_.UpdateStatus(**p).ok());
  }
  void CreatePdb(const std::string& name, std::optional<api::intstr::IntOrString> min,
                 std::optional<api::intstr::IntOrString> max) {
    PodDisruptionBudget pdb;
    pdb.mutable_metadata()->set_namespace_("default");
    pdb.mutable_metadata()->set_name(name);
    (*pdb.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
    if (min) *pdb.mutable_spec()->mutable_minavailable() = *min;
    if (max) *pdb.mutable_spec()->mutable_maxunavailable() = *max;
    auto created = pdbs_.Create(pdb);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  std::unique_ptr<PodDisruptionBudget> Get(const std::string& name) {
    return *pdbs_.Get("default", name);
  }
  // Waits until the status shows (expected, desired, healthy, allowed).
  bool StatusIs(const std::string& name, int expected, int desired, int healthy, int allowed) {
    return Eventually([&] {
      auto s = Get(name)->status();
      return s.expectedpods() == expected && s.desiredhealthy() == desired &&
             s.currenthealthy() == healthy && s.disruptionsallowed() == allowed;
    });
  }
  std::string Condition(const std::string& name) {
    std::unique_ptr<PodDisruptionBudget> pdb = Get(name);
    for (const auto& c : pdb->status().conditions()) {
      if (c.type() == "DisruptionAllowed") return c.status() + "/" + c.reason();
    }
    return "";
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  ctrl::testing::TestCluster cluster_;
  client::TypedClient<Pod> pods_{cluster_.client.get()};
  client::TypedClient<PodDisruptionBudget> pdbs_{cluster_.client.get()};
  std::unique_ptr<ctrl::Manager> manager_;
};

TEST_F(DisruptionTest, MinAvailableCountsReadyPods) {
  CreatePod("web-0", true);
  CreatePod("web-1", true);
  CreatePod("web-2", true);
  CreatePdb("web", Int(2), std::nullopt);
  ASSERT_TRUE(StatusIs("web", 3, 2, 3, 1));
  EXPECT_EQ(Condition("web"), "True/SufficientPods");
  EXPECT_EQ(Get("web")->status().observedgeneration(), Get("web")->metadata().generation());

  SetReady("web-2", false);
  ASSERT_TRUE(StatusIs("web", 3, 2, 2, 0));
  EXPECT_EQ(Condition("web"), "False/InsufficientPods");
}

TEST_F(DisruptionTest, MaxUnavailablePercentUsesControllerScale) {
  ReplicaSet rs;
  rs.mutable_metadata()->set_namespace_("default");
  rs.mutable_metadata()->set_name("web-rs");
  rs.mutable_spec()->set_replicas(4);
  (*rs.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
  (*rs.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = rs.mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("busybox");
  auto created = client::TypedClient<ReplicaSet>(cluster_.client.get()).Create(rs);
  ASSERT_TRUE(created.ok()) << created.status();
  // Three of the four replicas exist: expected stays 4; 25% of 4 rounds up to 1.
  CreatePod("web-0", true, created->get());
  CreatePod("web-1", true, created->get());
  CreatePod("web-2", true, created->get());
  CreatePdb("web", std::nullopt, Str("25%"));
  ASSERT_TRUE(StatusIs("web", 4, 3, 3, 0));
  CreatePod("web-3", true, created->get());
  ASSERT_TRUE(StatusIs("web", 4, 3, 4, 1));
}

TEST_F(DisruptionTest, PodWithoutControllerFailsSync) {
  CreatePod("bare", true);
  CreatePdb("web", std::nullopt, Int(1));
  ASSERT_TRUE(Eventually([&] { return Condition("web") == "False/SyncFailed"; }));
  EXPECT_EQ(Get("web")->status().disruptionsallowed(), 0);
}

TEST_F(DisruptionTest, DisruptedPodsExpireAfterTimeout) {
  CreatePod("web-0", true);
  CreatePod("web-1", true);
  CreatePdb("web", Int(1), std::nullopt);
  ASSERT_TRUE(StatusIs("web", 2, 1, 2, 1));
  // An eviction admitted for web-0 (as the eviction subresource records it).
  ASSERT_TRUE(Eventually([&] {
    std::unique_ptr<PodDisruptionBudget> pdb = Get("web");
    (*pdb->mutable_status()->mutable_disruptedpods())["web-0"] = api::FromAbslTime(clock_.Now());
    pdb->mutable_status()->set_disruptionsallowed(0);
    return pdbs_.UpdateStatus(*pdb).ok();
  }));
  ASSERT_TRUE(StatusIs("web", 2, 1, 1, 0));
  clock_.Advance(absl::Minutes(2));
  ASSERT_TRUE(StatusIs("web", 2, 1, 2, 1));
  EXPECT_TRUE(Get("web")->status().disruptedpods().empty());
}

TEST(ScaledValueTest, IntAndPercent) {
  EXPECT_EQ(*ScaledValueFromIntOrPercent(Int(3), 10, true), 3);
  EXPECT_EQ(*ScaledValueFromIntOrPercent(Str("25%"), 10, true), 3);
  EXPECT_EQ(*ScaledValueFromIntOrPercent(Str("25%"), 10, false), 2);
  EXPECT_EQ(ScaledValueFromIntOrPercent(Str("abc"), 10, true).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::controllers
