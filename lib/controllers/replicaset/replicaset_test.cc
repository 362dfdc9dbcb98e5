#include "lib/controllers/replicaset/replicaset.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/controllerutil.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::apps::v1::ReplicaSet;
using api::core::v1::Pod;
using api::core::v1::ReplicationController;
using ctrl::testing::Eventually;

Pod MakePod(const std::string& name) {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_("default");
  *p.mutable_metadata()->mutable_creationtimestamp() =
      api::FromAbslTime(absl::FromUnixSeconds(1000));
  return p;
}

void SetReady(Pod* p, absl::Time since) {
  auto* c = p->mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  *c->mutable_lasttransitiontime() = api::FromAbslTime(since);
}

TEST(RankingTest, KubernetesOrder) {
  Pod unassigned = MakePod("a"), assigned = MakePod("b");
  assigned.mutable_spec()->set_nodename("n1");
  EXPECT_TRUE(RankedBeforeForDeletion(unassigned, 0, assigned, 1));
  EXPECT_FALSE(RankedBeforeForDeletion(assigned, 1, unassigned, 0));

  Pod pending = assigned, unknown = assigned, running = assigned;
  pending.mutable_status()->set_phase("Pending");
  unknown.mutable_status()->set_phase("Unknown");
  running.mutable_status()->set_phase("Running");
  EXPECT_TRUE(RankedBeforeForDeletion(pending, 1, unknown, 1));
  EXPECT_TRUE(RankedBeforeForDeletion(unknown, 1, running, 1));

  Pod ready = running, not_ready = running;
  SetReady(&ready, absl::FromUnixSeconds(2000));
  EXPECT_TRUE(RankedBeforeForDeletion(not_ready, 1, ready, 1));

  Pod cheap = ready, costly = ready;
  (*costly.mutable_metadata()
        ->mutable_annotations())["controller.kubernetes.io/pod-deletion-cost"] = "10";
  EXPECT_TRUE(RankedBeforeForDeletion(cheap, 1, costly, 1));

  // Doubled-up pods go first.
  EXPECT_TRUE(RankedBeforeForDeletion(ready, 3, ready, 1));

  Pod young = running, old = running;
  SetReady(&young, absl::FromUnixSeconds(3000));
  SetReady(&old, absl::FromUnixSeconds(2000));
  EXPECT_TRUE(RankedBeforeForDeletion(young, 1, old, 1));

  Pod restarted = old;
  restarted.mutable_status()->add_containerstatuses()->set_restartcount(4);
  EXPECT_TRUE(RankedBeforeForDeletion(restarted, 1, old, 1));

  Pod newer = old;
  *newer.mutable_metadata()->mutable_creationtimestamp() =
      api::FromAbslTime(absl::FromUnixSeconds(5000));
  EXPECT_TRUE(RankedBeforeForDeletion(newer, 1, old, 1));
  EXPECT_FALSE(RankedBeforeForDeletion(old, 1, newer, 1));
}

TEST(SlowStartTest, Doubles) {
  EXPECT_EQ(SlowStartBatches(0), std::vector<int>{});
  EXPECT_EQ(SlowStartBatches(1), std::vector<int>{1});
  EXPECT_EQ(SlowStartBatches(10), (std::vector<int>{1, 2, 4, 3}));
  EXPECT_EQ(SlowStartBatches(500), (std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128, 245}));
}

TEST(PodAvailableTest, MinReadySeconds) {
  Pod p = MakePod("a");
  const absl::Time t = absl::FromUnixSeconds(100);
  EXPECT_FALSE(PodAvailable(p, absl::ZeroDuration(), t));
  SetReady(&p, t);
  EXPECT_TRUE(PodAvailable(p, absl::ZeroDuration(), t));
  EXPECT_FALSE(PodAvailable(p, absl::Seconds(10), t + absl::Seconds(9)));
  EXPECT_TRUE(PodAvailable(p, absl::Seconds(10), t + absl::Seconds(10)));
}

// Forwards to `inner`, except that Pod creates fail with ResourceExhausted (an exhausted
// quota) once `budget` of them have succeeded. Logs each Pod create ('+' made, '-' refused)
// and each ReplicaSet status write ('U'), in order.
class QuotaClient : public client::Client {
 public:
  explicit QuotaClient(client::Client* inner) : inner_(inner) {}
  void SetBudget(int n) {
    MutexLock l(&mu_);
    budget_ = n;
  }
  std::string log() const {
    MutexLock l(&mu_);
    return log_;
  }

  api::Scheme& scheme() const override { return inner_->scheme(); }
  absl::StatusOr<client::ObjectPtr> Create(const api::KindInfo& kind, const std::string& ns,
                                           client::ObjectPtr obj,
                                           const client::WriteOptions& options) override {
    if (kind.gvk.kind == "Pod") {
      MutexLock l(&mu_);
      if (budget_ <= 0) {
        log_ += '-';
        return absl::ResourceExhaustedError("exceeded quota: pods");
      }
      --budget_;
      log_ += '+';
    }
    return inner_->Create(kind, ns, std::move(obj), options);
  }
  absl::StatusOr<client::ObjectPtr> Get(const api::KindInfo& kind, const std::string& ns,
                                        const std::string& name) override {
    return inner_->Get(kind, ns, name);
  }
  absl::StatusOr<client::ListResult> List(const api::KindInfo& kind, const std::string& ns,
                                          const client::ListOptions& options) override {
    return inner_->List(kind, ns, options);
  }
  absl::StatusOr<client::ObjectPtr> Update(const api::KindInfo& kind, const std::string& ns,
                                           client::ObjectPtr obj, bool status,
                                           const client::WriteOptions& options) override {
    if (status && kind.gvk.kind == "ReplicaSet") {
      MutexLock l(&mu_);
      log_ += 'U';
    }
    return inner_->Update(kind, ns, std::move(obj), status, options);
  }
  absl::StatusOr<client::ObjectPtr> Patch(const api::KindInfo& kind, const std::string& ns,
                                          const std::string& name, client::PatchType type,
                                          const std::string& patch, bool status,
                                          const client::WriteOptions& options) override {
    return inner_->Patch(kind, ns, name, type, patch, status, options);
  }
  absl::StatusOr<client::ObjectPtr> Delete(const api::KindInfo& kind, const std::string& ns,
                                           const std::string& name,
                                           const client::DeleteOptions& options) override {
    return inner_->Delete(kind, ns, name, options);
  }
  absl::StatusOr<std::unique_ptr<client::ObjectWatcher>> Watch(
      const api::KindInfo& kind, const std::string& ns,
      const client::WatchOptions& options) override {
    return inner_->Watch(kind, ns, options);
  }
  absl::StatusOr<std::unique_ptr<client::Scale>> GetScale(const api::KindInfo& kind,
                                                          const std::string& ns,
                                                          const std::string& name) override {
    return inner_->GetScale(kind, ns, name);
  }
  absl::StatusOr<std::unique_ptr<client::Scale>> UpdateScale(const api::KindInfo& kind,
                                                             const std::string& ns,
                                                             const std::string& name,
                                                             const client::Scale& scale) override {
    return inner_->UpdateScale(kind, ns, name, scale);
  }

 private:
  client::Client* inner_;
  mutable Mutex mu_;
  int budget_ ABSL_GUARDED_BY(mu_) = 1 << 30;
  std::string log_ ABSL_GUARDED_BY(mu_);
};

class ReplicaSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Advance(absl::Hours(1));
    auto m = ctrl::Manager::New(&quota_, {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddReplicaSetController(manager_.get()).ok());
    ASSERT_TRUE(AddReplicationControllerController(manager_.get()).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }

  ReplicaSet MakeRs(const std::string& name, int replicas) {
    ReplicaSet rs;
    rs.mutable_metadata()->set_namespace_("default");
    rs.mutable_metadata()->set_name(name);
    rs.mutable_spec()->set_replicas(replicas);
    auto* e = rs.mutable_spec()->mutable_selector()->add_matchexpressions();
    e->set_key("app");
    e->set_operator_("In");
    e->add_values(name);
    auto* t = rs.mutable_spec()->mutable_template_();
    (*t->mutable_metadata()->mutable_labels())["app"] = name;
    (*t->mutable_metadata()->mutable_labels())["tier"] = "web";
    auto* c = t->mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image("nginx");
    return rs;
  }
  std::vector<std::unique_ptr<Pod>> Pods(const std::string& app) {
    std::vector<std::unique_ptr<Pod>> out;
    auto list = pods_.List("default");
    if (!list.ok()) return out;
    for (auto& p : list->items) {
      auto it = p->metadata().labels().find("app");
      if (it != p->metadata().labels().end() && it->second == app &&
          !p->metadata().has_deletiontimestamp())
        out.push_back(std::move(p));
    }
    return out;
  }
  std::unique_ptr<ReplicaSet> GetRs(const std::string& name) {
    auto r = rss_.Get("default", name);
    return r.ok() ? *std::move(r) : nullptr;
  }
  void MarkReady(const Pod& pod) {
    Pod p = pod;
    p.mutable_status()->set_phase("Running");
    SetReady(&p, clock_.Now());
    auto r = pods_.UpdateStatus(p);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  // Sets spec.replicas, retrying on conflicts with the controller's status writes.
  void Scale(const std::string& name, int replicas) {
    for (int i = 0; i < 50; ++i) {
      auto rs = GetRs(name);
      ASSERT_NE(rs, nullptr);
      rs->mutable_spec()->set_replicas(replicas);
      auto r = rss_.Update(*rs);
      if (r.ok()) return;
      ASSERT_TRUE(absl::IsAborted(r.status())) << r.status();
    }
    FAIL() << "update kept conflicting";
  }
  // Reconciles `name` once more and waits until the controller is idle.
  void Settle(const std::string& controller, const std::string& name) {
    ctrl::Controller* c = manager_->GetController(controller);
    ASSERT_NE(c, nullptr);
    int64_t before = c->Metrics().reconcile_total;
    c->Enqueue({.ns = "default", .name = name});
    ASSERT_TRUE(Eventually([&] {
      ctrl::ControllerMetrics m = c->Metrics();
      return m.reconcile_total > before && m.active_workers == 0 && c->QueueLength() == 0;
    }));
  }

  FakeClock clock_;
  ctrl::testing::TestCluster cluster_;
  QuotaClient quota_{cluster_.client.get()};  // The controllers' client.
  std::unique_ptr<ctrl::Manager> manager_;
  client::TypedClient<ReplicaSet> rss_{cluster_.client.get()};
  client::TypedClient<ReplicationController> rcs_{cluster_.client.get()};
  client::TypedClient<Pod> pods_{cluster_.client.get()};
};

TEST_F(ReplicaSetTest, CreatesOwnedPodsAndNeverOvercreates) {
  ASSERT_TRUE(rss_.Create(MakeRs("web", 3)).ok());
  ASSERT_TRUE(Eventually([&] { return Pods("web").size() == 3; }));
  for (int i = 0; i < 3; ++i) Settle("replicaset", "web");
  auto pods = Pods("web");
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& p : pods) {
    ASSERT_EQ(p->metadata().ownerreferences_size(), 1);
    EXPECT_EQ(p->metadata().ownerreferences(0).kind(), "ReplicaSet");
    EXPECT_TRUE(p->metadata().ownerreferences(0).controller());
    EXPECT_TRUE(p->metadata().ownerreferences(0).blockownerdeletion());
    EXPECT_EQ(p->spec().containers(0).image(), "nginx");
  }
  ASSERT_TRUE(Eventually([&] {
    auto rs = GetRs("web");
    return rs && rs->status().replicas() == 3 && rs->status().fullylabeledreplicas() == 3 &&
           rs->status().observedgeneration() == rs->metadata().generation();
  }));
}

TEST_F(ReplicaSetTest, ReadyAndAvailableFollowMinReadySeconds) {
  ReplicaSet rs = MakeRs("web", 2);
  rs.mutable_spec()->set_minreadyseconds(30);
  ASSERT_TRUE(rss_.Create(rs).ok());
  ASSERT_TRUE(Eventually([&] { return Pods("web").size() == 2; }));
  for (const auto& p : Pods("web")) MarkReady(*p);
  ASSERT_TRUE(Eventually([&] {
    auto r = GetRs("web");
    return r && r->status().readyreplicas() == 2;
  }));
  Settle("replicaset", "web");
  EXPECT_EQ(GetRs("web")->status().availablereplicas(), 0);
  clock_.Advance(absl::Seconds(30));
  Settle("replicaset", "web");
  EXPECT_EQ(GetRs("web")->status().availablereplicas(), 2);
}

TEST_F(ReplicaSetTest, ScaleDownDeletesNotReadyFirst) {
  ASSERT_TRUE(rss_.Create(MakeRs("web", 3)).ok());
  ASSERT_TRUE(Eventually([&] { return Pods("web").size() == 3; }));
  auto pods = Pods("web");
  MarkReady(*pods[0]);
  MarkReady(*pods[2]);
  const std::string not_ready = pods[1]->metadata().name();
  // The controller has seen both pods ready.
  ASSERT_TRUE(Eventually([&] {
    auto r = GetRs("web");
    return r && r->status().readyreplicas() == 2;
  }));
  Scale("web", 2);
  ASSERT_TRUE(Eventually([&] { return Pods("web").size() == 2; }));
  for (const auto& p : Pods("web")) EXPECT_NE(p->metadata().name(), not_ready);
}

TEST_F(ReplicaSetTest, AdoptsOrphansAndReleasesNonMatching) {
  Pod orphan = MakePod("stray");
  (*orphan.mutable_metadata()->mutable_labels())["app"] = "web";
  auto* oc = orphan.mutable_spec()->add_containers();
  oc->set_name("x");
  oc->set_image("nginx");
  auto created = pods_.Create(orphan);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(rss_.Create(MakeRs("web", 2)).ok());
  ASSERT_TRUE(Eventually([&] { return Pods("web").size() == 2; }));
  for (int i = 0; i < 2; ++i) Settle("replicaset", "web");
  ASSERT_EQ(Pods("web").size(), 2u);
  auto adopted = pods_.Get("default", "stray");
  ASSERT_TRUE(adopted.ok());
  std::optional<api::meta::v1::OwnerReference> ref = ctrl::GetControllerOf(**adopted);
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->name(), "web");

  // Relabelled: released, and replaced.
  Pod moved = **adopted;
  (*moved.mutable_metadata()->mutable_labels())["app"] = "other";
  ASSERT_TRUE(pods_.Update(moved).ok());
  ASSERT_TRUE(Eventually([&] {
    auto p = pods_.Get("default", "stray");
    return p.ok() && !ctrl::GetControllerOf(**p).has_value() && Pods("web").size() == 2;
  }));
}

TEST_F(ReplicaSetTest, SlowStartStopsAtTheFirstFailingBatch) {
  // Room for 4 pods: batches of 1 and 2 succeed, the batch of 4 gets one and three refusals,
  // and the last batch (3) is never tried.
  quota_.SetBudget(4);
  ASSERT_TRUE(rss_.Create(MakeRs("web", 10)).ok());
  auto failure = [&]() -> std::string {
    auto rs = GetRs("web");
    if (rs == nullptr) return "";
    for (const auto& c : rs->status().conditions()) {
      if (c.type() == "ReplicaFailure") return c.status() + "/" + c.reason();
    }
    return "";
  };
  ASSERT_TRUE(Eventually([&] { return failure() == "True/FailedCreate"; }));
  // The first sync, up to its status write.
  const std::string log = quota_.log();
  EXPECT_EQ(log.substr(0, log.find('U')), "++++---");
  EXPECT_EQ(Pods("web").size(), 4u);
  EXPECT_NE(GetRs("web")->status().conditions(0).message().find("exceeded quota"),
            std::string::npos);
  // Room again: a later sync creates the other 6 and clears the condition.
  quota_.SetBudget(100);
  ASSERT_TRUE(Eventually([&] { return Pods("web").size() == 10u && failure().empty(); }, &clock_,
                         absl::Seconds(1)));
}

TEST_F(ReplicaSetTest, ReplicationControllerUsesEqualitySelector) {
  ReplicationController rc;
  rc.mutable_metadata()->set_namespace_("default");
  rc.mutable_metadata()->set_name("legacy");
  rc.mutable_spec()->set_replicas(2);
  (*rc.mutable_spec()->mutable_selector())["app"] = "legacy";
  auto* t = rc.mutable_spec()->mutable_template_();
  (*t->mutable_metadata()->mutable_labels())["app"] = "legacy";
  auto* c = t->mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("nginx");
  ASSERT_TRUE(rcs_.Create(rc).ok());
  ASSERT_TRUE(Eventually([&] { return Pods("legacy").size() == 2; }));
  EXPECT_EQ(Pods("legacy")[0]->metadata().ownerreferences(0).kind(), "ReplicationController");
  ASSERT_TRUE(Eventually([&] {
    auto r = rcs_.Get("default", "legacy");
    return r.ok() && (*r)->status().replicas() == 2;
  }));
}

}  // namespace
}  // namespace rudder::controllers
