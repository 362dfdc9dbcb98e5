#include "lib/apiserver/registry/eviction.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

using api::core::v1::Pod;
using api::policy::v1::Eviction;
using api::policy::v1::PodDisruptionBudget;

class EvictionTest : public ::testing::Test {
 protected:
  EvictionTest()
      : store_(*store::NewMemoryStore()),
        scheme_(api::NewBuiltinScheme()),
        registry_(store_.get(), scheme_.get()),
        pods_(scheme_->ByDescriptor(Pod::descriptor())),
        pdbs_(scheme_->ByDescriptor(PodDisruptionBudget::descriptor())) {}

  void CreatePod(const std::string& name, const std::string& phase = "Running", bool ready = true,
                 const std::string& app = "web") {
    auto p = std::make_unique<Pod>();
    p->mutable_metadata()->set_name(name);
    (*p->mutable_metadata()->mutable_labels())["app"] = app;
    p->mutable_spec()->set_nodename("n1");
    auto* c = p->mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox");
    auto created = registry_.Create(*pods_, "default", std::move(p));
    ASSERT_TRUE(created.ok()) << created.status();
    auto* pod = static_cast<Pod*>(created->get());
    pod->mutable_status()->set_phase(phase);
    auto* cond = pod->mutable_status()->add_conditions();
    cond->set_type("Ready");
    cond->set_status(ready ? "True" : "False");
    ASSERT_TRUE(registry_.Update(*pods_, "default", name, *std::move(created), true).ok());
  }
  // A budget over app=web whose status (as the disruption controller would write it) allows
  // `allowed` disruptions.
  void CreatePdb(const std::string& name, int allowed, int healthy = 2, int desired = 2,
                 bool current = true) {
    auto p = std::make_unique<PodDisruptionBudget>();
    p->mutable_metadata()->set_name(name);
    (*p->mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
    p->mutable_spec()->mutable_minavailable()->set_intval(desired);
    auto created = registry_.Create(*pdbs_, "default", std::move(p));
    ASSERT_TRUE(created.ok()) << created.status();
    auto* pdb = static_cast<PodDisruptionBudget*>(created->get());
    auto* st = pdb->mutable_status();
    st->set_observedgeneration(current ? pdb->metadata().generation() : 0);
    st->set_disruptionsallowed(allowed);
    st->set_currenthealthy(healthy);
    st->set_desiredhealthy(desired);
    st->set_expectedpods(healthy);
    ASSERT_TRUE(registry_.Update(*pdbs_, "default", name, *std::move(created), true).ok());
  }
  absl::Status Evict(const std::string& name, bool dry_run = false) {
    Eviction e;
    e.mutable_metadata()->set_name(name);
    e.mutable_metadata()->set_namespace_("default");
    e.mutable_deleteoptions()->set_graceperiodseconds(0);
    if (dry_run) e.mutable_deleteoptions()->add_dryrun("All");
    return EvictPod(&registry_, "default", name, e, {}, &clock_);
  }
  bool Gone(const std::string& name) {
    auto p = registry_.Get(*pods_, "default", name);
    return absl::IsNotFound(p.status()) ||
           (p.ok() && static_cast<const Pod&>(**p).metadata().has_deletiontimestamp());
  }
  PodDisruptionBudget GetPdb(const std::string& name) {
    return static_cast<const PodDisruptionBudget&>(**registry_.Get(*pdbs_, "default", name));
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  Registry registry_;
  std::shared_ptr<const api::KindInfo> pods_;
  std::shared_ptr<const api::KindInfo> pdbs_;
};

TEST_F(EvictionTest, NoBudgetDeletes) {
  CreatePod("web-0");
  ASSERT_TRUE(Evict("web-0").ok());
  EXPECT_TRUE(Gone("web-0"));
  EXPECT_TRUE(absl::IsNotFound(Evict("web-0")));
}

TEST_F(EvictionTest, BudgetRefusesWith429) {
  CreatePod("web-0");
  CreatePod("web-1");
  CreatePdb("web", 0);
  absl::Status s = Evict("web-0");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  api::meta::v1::Status api = ToApiStatus(s);
  EXPECT_EQ(api.code(), 429);
  EXPECT_EQ(api.reason(), "TooManyRequests");
  EXPECT_EQ(api.message(), "Cannot evict pod as it would violate the pod's disruption budget.");
  ASSERT_EQ(api.details().causes_size(), 1);
  EXPECT_EQ(api.details().causes(0).reason(), "DisruptionBudget");
  EXPECT_EQ(api.details().causes(0).message(),
            "The disruption budget web needs 2 healthy pods and has 2 currently");
  EXPECT_FALSE(Gone("web-0"));
}

TEST_F(EvictionTest, BudgetAllowsAndRecordsTheDisruption) {
  CreatePod("web-0");
  CreatePod("web-1");
  CreatePod("web-2");
  CreatePdb("web", 1, 3, 2);
  ASSERT_TRUE(Evict("web-0").ok());
  EXPECT_TRUE(Gone("web-0"));
  PodDisruptionBudget pdb = GetPdb("web");
  EXPECT_EQ(pdb.status().disruptionsallowed(), 0);
  ASSERT_TRUE(pdb.status().disruptedpods().contains("web-0"));
  EXPECT_EQ(pdb.status().disruptedpods().at("web-0").seconds(), 1700000000);
  // The next one is refused until the disruption controller recomputes the status.
  EXPECT_EQ(Evict("web-1").code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(EvictionTest, DryRunChangesNothing) {
  CreatePod("web-0");
  CreatePdb("web", 1, 3, 2);
  ASSERT_TRUE(Evict("web-0", /*dry_run=*/true).ok());
  EXPECT_FALSE(Gone("web-0"));
  EXPECT_EQ(GetPdb("web").status().disruptionsallowed(), 1);
}

TEST_F(EvictionTest, PendingAndUnreadyPodsBypassAHealthyBudget) {
  CreatePod("pending", "Pending", false);
  CreatePod("unready", "Running", false);
  CreatePdb("web", 0, 2, 2);
  EXPECT_TRUE(Evict("pending").ok());
  // IfHealthyBudget: the budget is met (2 >= 2), so an unready pod may go.
  EXPECT_TRUE(Evict("unready").ok());
  EXPECT_TRUE(Gone("unready"));
}

TEST_F(EvictionTest, StaleBudgetAndTwoBudgetsAndBadName) {
  CreatePod("web-0");
  CreatePdb("web", 1, 2, 1, /*current=*/false);
  absl::Status s = Evict("web-0");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ToApiStatus(s).details().causes(0).message(),
            "The disruption budget web is still being processed by the server.");
  CreatePdb("web2", 1);
  EXPECT_EQ(Evict("web-0").code(), absl::StatusCode::kInternal);
  Eviction e;
  e.mutable_metadata()->set_name("other");
  EXPECT_EQ(EvictPod(&registry_, "default", "web-0", e, {}, &clock_).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::apiserver
