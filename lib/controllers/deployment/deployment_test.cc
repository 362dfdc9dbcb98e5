#include "lib/controllers/deployment/deployment.h"

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/replicaset/replicaset.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::apps::v1::Deployment;
using api::apps::v1::ReplicaSet;
using api::core::v1::Pod;
using ctrl::testing::Eventually;

api::intstr::IntOrString Int(int v) {
  api::intstr::IntOrString x;
  x.set_type(0);
  x.set_intval(v);
  return x;
}
api::intstr::IntOrString Pct(const std::string& v) {
  api::intstr::IntOrString x;
  x.set_type(1);
  x.set_strval(v);
  return x;
}

TEST(FencepostTest, SurgeRoundsUpUnavailableRoundsDown) {
  EXPECT_EQ(*ScaledValue(Pct("25%"), 10, true), 3);
  EXPECT_EQ(*ScaledValue(Pct("25%"), 10, false), 2);
  EXPECT_EQ(*ScaledValue(Int(7), 10, false), 7);
  EXPECT_EQ(ScaledValue(Pct("x%"), 10, true).status().code(), absl::StatusCode::kInvalidArgument);
  Deployment d;
  d.mutable_spec()->set_replicas(10);
  Fenceposts f = *ResolveFenceposts(d);
  EXPECT_EQ(f.max_surge, 3);
  EXPECT_EQ(f.max_unavailable, 2);
  auto* ru = d.mutable_spec()->mutable_strategy()->mutable_rollingupdate();
  *ru->mutable_maxsurge() = Int(0);
  *ru->mutable_maxunavailable() = Pct("5%");
  f = *ResolveFenceposts(d);
  EXPECT_EQ(f.max_surge, 0);
  EXPECT_EQ(f.max_unavailable, 1);  // 0 and 0 resolves to 1.
  *ru->mutable_maxsurge() = Pct("bad");
  EXPECT_EQ(ResolveFenceposts(d).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HashTest, DependsOnTemplateAndCollisions) {
  api::core::v1::PodTemplateSpec a, b;
  a.mutable_spec()->add_containers()->set_image("nginx:1");
  b.mutable_spec()->add_containers()->set_image("nginx:2");
  EXPECT_EQ(ComputePodTemplateHash(a, 0), ComputePodTemplateHash(a, 0));
  EXPECT_NE(ComputePodTemplateHash(a, 0), ComputePodTemplateHash(b, 0));
  EXPECT_NE(ComputePodTemplateHash(a, 0), ComputePodTemplateHash(a, 1));
  for (char c : ComputePodTemplateHash(a, 0)) {
    EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos);
  }
}

class DeploymentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Advance(absl::Hours(1));
    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddReplicaSetController(manager_.get()).ok());
    ASSERT_TRUE(AddDeploymentController(manager_.get()).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }

  Deployment MakeDeployment(int replicas, int surge, int unavailable) {
    Deployment d;
    d.mutable_metadata()->set_namespace_("default");
    d.mutable_metadata()->set_name("web");
    d.mutable_spec()->set_replicas(replicas);
    (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
    auto* ru = d.mutable_spec()->mutable_strategy()->mutable_rollingupdate();
    d.mutable_spec()->mutable_strategy()->set_type("RollingUpdate");
    *ru->mutable_maxsurge() = Int(surge);
    *ru->mutable_maxunavailable() = Int(unavailable);
    auto* t = d.mutable_spec()->mutable_template_();
    (*t->mutable_metadata()->mutable_labels())["app"] = "web";
    auto* c = t->mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image("nginx:1");
    return d;
  }
  // 10 replicas with maxSurge and maxUnavailable of 25%.
  Deployment TenReplicasAt25Percent() {
    Deployment d = MakeDeployment(10, 0, 0);
    auto* ru = d.mutable_spec()->mutable_strategy()->mutable_rollingupdate();
    *ru->mutable_maxsurge() = Pct("25%");
    *ru->mutable_maxunavailable() = Pct("25%");
    return d;
  }

  std::unique_ptr<Deployment> Get() {
    auto r = deployments_.Get("default", "web");
    return r.ok() ? *std::move(r) : nullptr;
  }
  void Mutate(const std::function<void(Deployment*)>& f) {
    for (int i = 0; i < 20; ++i) {
      std::unique_ptr<Deployment> d = Get();
      ASSERT_NE(d, nullptr);
      f(d.get());
      auto r = deployments_.Update(*d);
      if (r.ok()) return;
      ASSERT_TRUE(absl::IsAborted(r.status())) << r.status();
    }
    FAIL() << "update kept conflicting";
  }
  void SetImage(const std::string& image) {
    Mutate([&](Deployment* d) {
      d->mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
          image);
    });
  }
  // ReplicaSets of the Deployment, oldest first.
  std::vector<std::unique_ptr<ReplicaSet>> Sets() {
    std::vector<std::unique_ptr<ReplicaSet>> out;
    auto list = rss_.List("default");
    if (!list.ok()) return out;
    for (auto& rs : list->items) out.push_back(std::move(rs));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return api::ToAbslTime(a->metadata().creationtimestamp()) <
             api::ToAbslTime(b->metadata().creationtimestamp());
    });
    return out;
  }
  std::unique_ptr<ReplicaSet> SetWithImage(const std::string& image) {
    for (auto& rs : Sets()) {
      if (rs->spec().template_().spec().containers(0).image() == image) return std::move(rs);
    }
    return nullptr;
  }
  int SpecOf(const std::string& image) {
    auto rs = SetWithImage(image);
    return rs ? rs->spec().replicas() : -1;
  }
  std::vector<std::unique_ptr<Pod>> Pods() {
    std::vector<std::unique_ptr<Pod>> out;
    auto list = pods_.List("default");
    if (!list.ok()) return out;
    for (auto& p : list->items) {
      if (!p->metadata().has_deletiontimestamp()) out.push_back(std::move(p));
    }
    return out;
  }
  // Marks one not-ready pod with `image` Ready; false when there is none.
  bool ReadyOne(const std::string& image) {
    for (auto& p : Pods()) {
      if (p->spec().containers(0).image() != image || PodReady(*p)) continue;
      Pod copy = *p;
      copy.mutable_status()->set_phase("Running");
      auto* c = copy.mutable_status()->add_conditions();
      c->set_type("Ready");
      c->set_status("True");
      *c->mutable_lasttransitiontime() = api::FromAbslTime(clock_.Now());
      return pods_.UpdateStatus(copy).ok();
    }
    return false;
  }
  void ReadyAll(const std::string& image) {
    while (ReadyOne(image)) {
    }
  }
  // Waits until both controllers are idle with nothing queued, over several polls.
  void Quiesce() {
    ctrl::Controller* rs = manager_->GetController("replicaset");
    ctrl::Controller* dc = manager_->GetController("deployment");
    int stable = 0;
    int64_t last = -1;
    ASSERT_TRUE(Eventually([&] {
      const int64_t total = rs->Metrics().reconcile_total + dc->Metrics().reconcile_total;
      const bool idle = rs->QueueLength() == 0 && dc->QueueLength() == 0 &&
                        rs->Metrics().active_workers == 0 && dc->Metrics().active_workers == 0;
      stable = (idle && total == last) ? stable + 1 : 0;
      last = total;
      return stable >= 10;
    }));
  }
  // Re-reconciles the Deployment at the current fake time.
  void Resync() {
    manager_->GetController("deployment")->Enqueue({.ns = "default", .name = "web"});
    Quiesce();
  }
  bool Condition(const std::string& type, const std::string& status, const std::string& reason) {
    auto d = Get();
    if (!d) return false;
    for (const auto& c : d->status().conditions()) {
      if (c.type() == type) return c.status() == status && c.reason() == reason;
    }
    return false;
  }
  // Creates the Deployment and waits until it is fully available.
  void CreateAvailable(const Deployment& d) {
    ASSERT_TRUE(deployments_.Create(d).ok());
    Quiesce();
    ReadyAll("nginx:1");
    Quiesce();
    ASSERT_TRUE(Condition("Available", "True", "MinimumReplicasAvailable"));
    ASSERT_TRUE(Condition("Progressing", "True", "NewReplicaSetAvailable"));
  }

  FakeClock clock_;
  ctrl::testing::TestCluster cluster_;
  std::unique_ptr<ctrl::Manager> manager_;
  client::TypedClient<Deployment> deployments_{cluster_.client.get()};
  client::TypedClient<ReplicaSet> rss_{cluster_.client.get()};
  client::TypedClient<Pod> pods_{cluster_.client.get()};
};

using Step = std::pair<int, int>;

TEST_F(DeploymentTest, NamesReplicaSetByTemplateHashAndSetsRevision) {
  CreateAvailable(MakeDeployment(2, 1, 0));
  auto sets = Sets();
  ASSERT_EQ(sets.size(), 1u);
  const std::string hash = sets[0]->metadata().labels().at(kPodTemplateHashLabel);
  EXPECT_EQ(sets[0]->metadata().name(), "web-" + hash);
  EXPECT_EQ(sets[0]->spec().selector().matchlabels().at(kPodTemplateHashLabel), hash);
  EXPECT_EQ(sets[0]->metadata().annotations().at(kRevisionAnnotation), "1");
  EXPECT_EQ(Get()->metadata().annotations().at(kRevisionAnnotation), "1");
  for (const auto& p : Pods()) EXPECT_EQ(p->metadata().labels().at(kPodTemplateHashLabel), hash);
  auto d = Get();
  EXPECT_EQ(d->status().replicas(), 2);
  EXPECT_EQ(d->status().updatedreplicas(), 2);
  EXPECT_EQ(d->status().readyreplicas(), 2);
  EXPECT_EQ(d->status().availablereplicas(), 2);
  EXPECT_EQ(d->status().unavailablereplicas(), 0);
  EXPECT_EQ(d->status().observedgeneration(), d->metadata().generation());
}

TEST_F(DeploymentTest, RollingUpdateSurgeOneUnavailableZero) {
  CreateAvailable(MakeDeployment(4, 1, 0));
  SetImage("nginx:2");
  Quiesce();
  std::vector<Step> steps = {{SpecOf("nginx:1"), SpecOf("nginx:2")}};
  while (ReadyOne("nginx:2")) {
    Quiesce();
    steps.emplace_back(SpecOf("nginx:1"), SpecOf("nginx:2"));
    EXPECT_LE(Pods().size(), 5u);
  }
  EXPECT_EQ(steps, (std::vector<Step>{{4, 1}, {3, 2}, {2, 3}, {1, 4}, {0, 4}}));
  EXPECT_TRUE(Condition("Progressing", "True", "NewReplicaSetAvailable"));
  auto d = Get();
  EXPECT_EQ(d->status().updatedreplicas(), 4);
  EXPECT_EQ(d->status().replicas(), 4);
  EXPECT_EQ(d->metadata().annotations().at(kRevisionAnnotation), "2");
}

TEST_F(DeploymentTest, RollingUpdateSurgeZeroUnavailableOne) {
  CreateAvailable(MakeDeployment(3, 0, 1));
  SetImage("nginx:2");
  Quiesce();
  std::vector<Step> steps = {{SpecOf("nginx:1"), SpecOf("nginx:2")}};
  while (ReadyOne("nginx:2")) {
    Quiesce();
    steps.emplace_back(SpecOf("nginx:1"), SpecOf("nginx:2"));
    EXPECT_LE(Pods().size(), 3u);
  }
  EXPECT_EQ(steps, (std::vector<Step>{{2, 1}, {1, 2}, {0, 3}, {0, 3}}));
}

TEST_F(DeploymentTest, RollingUpdatePercentagesStepByStep) {
  // 10 replicas, 25%/25%: maxSurge rounds up to 3, maxUnavailable down to 2, so at most 13
  // pods exist and at least 8 stay available.
  CreateAvailable(TenReplicasAt25Percent());
  SetImage("nginx:2");
  Quiesce();
  std::vector<Step> steps = {{SpecOf("nginx:1"), SpecOf("nginx:2")}};
  while (ReadyOne("nginx:2")) {
    Quiesce();
    steps.emplace_back(SpecOf("nginx:1"), SpecOf("nginx:2"));
    EXPECT_LE(Pods().size(), 13u);
    EXPECT_GE(Get()->status().availablereplicas(), 8);
  }
  EXPECT_EQ(steps, (std::vector<Step>{{8, 5},
                                      {7, 6},
                                      {6, 7},
                                      {5, 8},
                                      {4, 9},
                                      {3, 10},
                                      {2, 10},
                                      {1, 10},
                                      {0, 10},
                                      {0, 10},
                                      {0, 10}}));
  EXPECT_TRUE(Condition("Progressing", "True", "NewReplicaSetAvailable"));
}

TEST_F(DeploymentTest, ScalingMidRolloutIsProportional) {
  CreateAvailable(TenReplicasAt25Percent());
  SetImage("nginx:2");
  Quiesce();
  // The rollout waits for new pods to become ready: 8 old + 5 new = 10 + maxSurge 3.
  ASSERT_EQ(Step(SpecOf("nginx:1"), SpecOf("nginx:2")), Step(8, 5));
  // `kubectl scale --replicas=20`: 20 + maxSurge 5 = 25 = 13 + 12. Each set grows to its share
  // of 25 by its max-replicas annotation (13): 8 -> round(15.4) = 15, 5 -> round(9.6) = 10.
  Mutate([](Deployment* d) { d->mutable_spec()->set_replicas(20); });
  Quiesce();
  EXPECT_EQ(Step(SpecOf("nginx:1"), SpecOf("nginx:2")), Step(15, 10));
  EXPECT_EQ(SetWithImage("nginx:1")->metadata().annotations().at(kMaxReplicasAnnotation), "25");
  // Down to 5: 5 + maxSurge 2 = 7: 15 -> round(4.2) = 4, 10 -> round(2.8) = 3.
  Mutate([](Deployment* d) { d->mutable_spec()->set_replicas(5); });
  Quiesce();
  EXPECT_EQ(Step(SpecOf("nginx:1"), SpecOf("nginx:2")), Step(4, 3));
  // The rollout then completes at the new size.
  while (ReadyOne("nginx:2")) Quiesce();
  EXPECT_EQ(Step(SpecOf("nginx:1"), SpecOf("nginx:2")), Step(0, 5));
  EXPECT_EQ(Get()->status().availablereplicas(), 5);
}

TEST_F(DeploymentTest, MinReadySecondsHoldsTheRollout) {
  Deployment d = MakeDeployment(2, 1, 0);
  d.mutable_spec()->set_minreadyseconds(30);
  ASSERT_TRUE(deployments_.Create(d).ok());
  Quiesce();
  ReadyAll("nginx:1");
  Quiesce();
  // Ready, not yet available.
  EXPECT_EQ(Get()->status().readyreplicas(), 2);
  EXPECT_EQ(Get()->status().availablereplicas(), 0);
  EXPECT_TRUE(Condition("Available", "False", "MinimumReplicasUnavailable"));
  clock_.Advance(absl::Seconds(30));
  Quiesce();
  EXPECT_EQ(Get()->status().availablereplicas(), 2);
  EXPECT_TRUE(Condition("Available", "True", "MinimumReplicasAvailable"));

  SetImage("nginx:2");
  Quiesce();
  ASSERT_TRUE(ReadyOne("nginx:2"));
  Quiesce();
  clock_.Advance(absl::Seconds(29));
  Quiesce();
  // The new pod is ready but not available for 30 s: no old pod goes (maxUnavailable 0).
  EXPECT_EQ(Step(SpecOf("nginx:1"), SpecOf("nginx:2")), Step(2, 1));
  clock_.Advance(absl::Seconds(1));
  Quiesce();
  EXPECT_EQ(Step(SpecOf("nginx:1"), SpecOf("nginx:2")), Step(1, 2));
}

TEST_F(DeploymentTest, RecreateRemovesOldPodsBeforeNewOnes) {
  Deployment d = MakeDeployment(2, 0, 0);
  d.mutable_spec()->mutable_strategy()->clear_rollingupdate();
  d.mutable_spec()->mutable_strategy()->set_type("Recreate");
  CreateAvailable(d);
  // Old pods linger while terminating (a finalizer holds them).
  for (auto& p : Pods()) {
    Pod copy = *p;
    copy.mutable_metadata()->add_finalizers("example.com/hold");
    ASSERT_TRUE(pods_.Update(copy).ok());
  }
  SetImage("nginx:2");
  Quiesce();
  EXPECT_EQ(SpecOf("nginx:1"), 0);
  EXPECT_EQ(SetWithImage("nginx:2"), nullptr);
  auto list = pods_.List("default");
  ASSERT_TRUE(list.ok());
  for (auto& p : list->items) {
    Pod copy = *p;
    copy.mutable_metadata()->clear_finalizers();
    ASSERT_TRUE(pods_.Update(copy).ok());
  }
  Quiesce();
  Resync();
  EXPECT_EQ(SpecOf("nginx:2"), 2);
}

TEST_F(DeploymentTest, RollbackReusesOldReplicaSet) {
  CreateAvailable(MakeDeployment(2, 1, 0));
  SetImage("nginx:2");
  Quiesce();
  ReadyAll("nginx:2");
  Quiesce();
  ReadyAll("nginx:2");
  Quiesce();
  ASSERT_EQ(SpecOf("nginx:1"), 0);
  ASSERT_EQ(SpecOf("nginx:2"), 2);
  // What `kubectl rollout undo` does: the old set's template, without pod-template-hash.
  auto old = SetWithImage("nginx:1");
  ASSERT_NE(old, nullptr);
  api::core::v1::PodTemplateSpec t = old->spec().template_();
  t.mutable_metadata()->mutable_labels()->erase(kPodTemplateHashLabel);
  Mutate([&](Deployment* d) { *d->mutable_spec()->mutable_template_() = t; });
  Quiesce();
  ReadyAll("nginx:1");
  Quiesce();
  ReadyAll("nginx:1");
  Quiesce();
  EXPECT_EQ(Sets().size(), 2u);
  EXPECT_EQ(SpecOf("nginx:1"), 2);
  EXPECT_EQ(SpecOf("nginx:2"), 0);
  EXPECT_EQ(SetWithImage("nginx:1")->metadata().annotations().at(kRevisionAnnotation), "3");
  EXPECT_EQ(Get()->metadata().annotations().at(kRevisionAnnotation), "3");
}

TEST_F(DeploymentTest, PausedDeploymentDoesNotRollOut) {
  CreateAvailable(MakeDeployment(2, 1, 0));
  Mutate([](Deployment* d) { d->mutable_spec()->set_paused(true); });
  Quiesce();
  EXPECT_TRUE(Condition("Progressing", "Unknown", "DeploymentPaused"));
  SetImage("nginx:2");
  Quiesce();
  EXPECT_EQ(Sets().size(), 1u);
  // Scaling still works while paused.
  Mutate([](Deployment* d) { d->mutable_spec()->set_replicas(3); });
  Quiesce();
  EXPECT_EQ(SpecOf("nginx:1"), 3);
  Mutate([](Deployment* d) { d->mutable_spec()->set_paused(false); });
  Quiesce();
  EXPECT_EQ(Sets().size(), 2u);
  EXPECT_EQ(SpecOf("nginx:2"), 1);
}

TEST_F(DeploymentTest, ProgressDeadlineExceeded) {
  Deployment d = MakeDeployment(2, 1, 0);
  d.mutable_spec()->set_progressdeadlineseconds(60);
  ASSERT_TRUE(deployments_.Create(d).ok());
  Quiesce();
  EXPECT_TRUE(Condition("Progressing", "True", "NewReplicaSetCreated") ||
              Condition("Progressing", "True", "ReplicaSetUpdated"));
  clock_.Advance(absl::Seconds(30));
  Resync();
  EXPECT_FALSE(Condition("Progressing", "False", "ProgressDeadlineExceeded"));
  clock_.Advance(absl::Seconds(31));
  Resync();
  EXPECT_TRUE(Condition("Progressing", "False", "ProgressDeadlineExceeded"));
  EXPECT_TRUE(Condition("Available", "False", "MinimumReplicasUnavailable"));
}

TEST_F(DeploymentTest, RevisionHistoryLimitDeletesOldestSets) {
  Deployment d = MakeDeployment(1, 1, 0);
  d.mutable_spec()->set_revisionhistorylimit(1);
  CreateAvailable(d);
  for (const std::string image : {"nginx:2", "nginx:3"}) {
    SetImage(image);
    Quiesce();
    ReadyAll(image);
    Quiesce();
    Resync();
  }
  std::set<std::string> images;
  for (const auto& rs : Sets()) images.insert(rs->spec().template_().spec().containers(0).image());
  EXPECT_EQ(images, (std::set<std::string>{"nginx:2", "nginx:3"}));
}

}  // namespace
}  // namespace rudder::controllers
