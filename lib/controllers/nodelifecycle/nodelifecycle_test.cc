#include "lib/controllers/nodelifecycle/nodelifecycle.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/apiserver/admission/admission.h"
#include "lib/client/informer/factory.h"
#include "lib/controllers/runtime/controller.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::coordination::v1::Lease;
using api::core::v1::Node;
using api::core::v1::Pod;
using api::core::v1::Taint;
using api::core::v1::Toleration;
using ctrl::testing::Eventually;

constexpr char kProbeTaint[] = "example.com/probe";
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

Toleration Tol(const std::string& key, const std::string& op, std::optional<int64_t> seconds,
               const std::string& effect = "NoExecute") {
  Toleration t;
  t.set_key(key);
  t.set_operator_(op);
  t.set_effect(effect);
  if (seconds) t.set_tolerationseconds(*seconds);
  return t;
}

class NodeLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddNodeLifecycleController(manager_.get()).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }

  // A node with a Ready condition and lease heartbeat at the current fake time, and a probe
  // NoExecute taint that every test pod but the probes tolerates.
  void CreateNode(const std::string& name) {
    Node n;
    n.mutable_metadata()->set_name(name);
    Taint* t = n.mutable_spec()->add_taints();
    t->set_key(kProbeTaint);
    t->set_effect("NoExecute");
    *t->mutable_timeadded() = api::FromAbslTime(kT0);
    auto created = nodes_.Create(n);
    ASSERT_TRUE(created.ok()) << created.status();
    PostStatus(name, "True");
    Lease l;
    l.mutable_metadata()->set_namespace_("kube-node-lease");
    l.mutable_metadata()->set_name(name);
    l.mutable_spec()->set_holderidentity(name);
    *l.mutable_spec()->mutable_renewtime() = api::MicroFromAbslTime(clock_.Now());
    ASSERT_TRUE(leases_.Create(l).ok());
  }
  void PostStatus(const std::string& name, const std::string& ready) {
    auto n = nodes_.Get("", name);
    ASSERT_TRUE(n.ok());
    (*n)->mutable_status()->clear_conditions();
    auto* c = (*n)->mutable_status()->add_conditions();
    c->set_type("Ready");
    c->set_status(ready);
    c->set_reason("KubeletReady");
    *c->mutable_lastheartbeattime() = api::FromAbslTime(clock_.Now());
    *c->mutable_lasttransitiontime() = api::FromAbslTime(clock_.Now());
    auto u = nodes_.UpdateStatus(**n);
    ASSERT_TRUE(u.ok()) << u.status();
  }
  void RenewLease(const std::string& name) {
    auto l = leases_.Get("kube-node-lease", name);
    ASSERT_TRUE(l.ok());
    *(*l)->mutable_spec()->mutable_renewtime() = api::MicroFromAbslTime(clock_.Now());
    auto updated = leases_.Update(**l);
    ASSERT_TRUE(updated.ok()) << updated.status();
    // The controller reads leases from its cache: let the renewal reach it before the clock
    // moves on, or a pass on the next timer may still see the old renewTime.
    auto informer = manager_->GetCluster()->GetInformers()->For<Lease>();
    ASSERT_TRUE(informer.ok()) << informer.status();
    const std::string rv = (*updated)->metadata().resourceversion();
    ASSERT_TRUE(Eventually([&] {
      client::ObjectRef o = (*informer)->GetIndexer().Get("kube-node-lease", name);
      return o != nullptr && static_cast<const Lease&>(*o).metadata().resourceversion() == rv;
    }));
  }
  void CreatePod(const std::string& name, const std::string& node,
                 std::vector<Toleration> tolerations, bool probe = false) {
    Pod p;
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_name(name);
    p.mutable_spec()->set_nodename(node);
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox");
    if (!probe) tolerations.push_back(Tol(kProbeTaint, "Exists", std::nullopt));
    for (auto& t : tolerations) *p.mutable_spec()->add_tolerations() = t;
    auto created = pods_.Create(p);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  bool Evicted(const std::string& name) {
    auto p = pods_.Get("default", name);
    return absl::IsNotFound(p.status()) || (p.ok() && (*p)->metadata().has_deletiontimestamp());
  }
  // Creates a pod tolerating nothing on `node` and waits for its eviction: a reconcile of the
  // node has then run at the current fake time.
  void Probe(const std::string& node) {
    std::string name = absl::StrCat("probe-", probes_++);
    CreatePod(name, node, {}, /*probe=*/true);
    ASSERT_TRUE(Eventually([&] { return Evicted(name); }));
    // Let that reconcile return (and schedule its follow-up) before the clock moves on.
    ASSERT_TRUE(Eventually([&] {
      ctrl::Controller* c = manager_->GetController("nodelifecycle");
      return c->Metrics().active_workers == 0 && c->QueueLength() == 0;
    }));
  }
  std::unique_ptr<Node> GetNode(const std::string& name) { return *nodes_.Get("", name); }
  std::string ReadyStatus(const std::string& name) {
    std::unique_ptr<Node> n = GetNode(name);
    for (const auto& c : n->status().conditions()) {
      if (c.type() == "Ready") return c.status();
    }
    return "";
  }
  const Taint* FindTaint(const Node& n, const std::string& key, const std::string& effect) {
    for (const Taint& t : n.spec().taints()) {
      if (t.key() == key && t.effect() == effect) return &t;
    }
    return nullptr;
  }
  bool HasTaint(const std::string& node, const std::string& key, const std::string& effect) {
    std::unique_ptr<Node> n = GetNode(node);
    return FindTaint(*n, key, effect) != nullptr;
  }

  FakeClock clock_{kT0};
  ctrl::testing::TestCluster cluster_;
  client::TypedClient<Node> nodes_{cluster_.client.get()};
  client::TypedClient<Pod> pods_{cluster_.client.get()};
  client::TypedClient<Lease> leases_{cluster_.client.get()};
  std::unique_ptr<ctrl::Manager> manager_;
  int probes_ = 0;
};

TEST_F(NodeLifecycleTest, SilentNodeBecomesUnknownAndPodsAreEvictedOnTime) {
  CreateNode("n1");
  CreatePod("p-300", "n1", {Tol(kTaintNodeUnreachable, "Exists", 300)});
  CreatePod("p-forever", "n1", {Tol(kTaintNodeUnreachable, "Exists", std::nullopt)});
  CreatePod("p-none", "n1", {});

  // Exactly at the grace period the node is still healthy.
  clock_.Advance(absl::Seconds(40));
  Probe("n1");
  EXPECT_EQ(ReadyStatus("n1"), "True");
  EXPECT_FALSE(HasTaint("n1", kTaintNodeUnreachable, "NoExecute"));
  EXPECT_FALSE(Evicted("p-none"));

  // Past it: Unknown, tainted, pods not ready, untolerating pods evicted at once.
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return Evicted("p-none"); }));
  std::unique_ptr<Node> n = GetNode("n1");
  for (const auto& c : n->status().conditions()) {
    if (c.type() != "Ready") continue;
    EXPECT_EQ(c.status(), "Unknown");
    EXPECT_EQ(c.reason(), "NodeStatusUnknown");
    EXPECT_EQ(c.message(), "Kubelet stopped posting node status.");
  }
  const Taint* t = FindTaint(*n, kTaintNodeUnreachable, "NoExecute");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(api::ToAbslTime(t->timeadded()), kT0 + absl::Seconds(41));
  EXPECT_NE(FindTaint(*n, kTaintNodeUnreachable, "NoSchedule"), nullptr);
  ASSERT_TRUE(Eventually([&] {
    auto p = pods_.Get("default", "p-300");
    for (const auto& c : (*p)->status().conditions()) {
      if (c.type() == "Ready") return c.status() == "False";
    }
    return false;
  }));

  // tolerationSeconds counts from the taint: 300 s after T0+41 s, not a second earlier.
  clock_.Advance(absl::Seconds(299));
  Probe("n1");
  EXPECT_FALSE(Evicted("p-300"));
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return Evicted("p-300"); }));
  auto evicted = pods_.Get("default", "p-300");
  if (evicted.ok()) {
    bool marked = false;
    for (const auto& c : (*evicted)->status().conditions()) {
      marked |= c.type() == "DisruptionTarget" && c.reason() == "DeletionByTaintManager";
    }
    EXPECT_TRUE(marked);
  }
  EXPECT_FALSE(Evicted("p-forever"));
}

TEST_F(NodeLifecycleTest, LeaseKeepsNodeHealthyAndRecoveryRemovesTaints) {
  CreateNode("n1");
  // The lease alone is a heartbeat.
  clock_.Advance(absl::Seconds(30));
  RenewLease("n1");
  clock_.Advance(absl::Seconds(30));
  Probe("n1");
  EXPECT_EQ(ReadyStatus("n1"), "True");

  clock_.Advance(absl::Seconds(11));
  ASSERT_TRUE(Eventually([&] { return HasTaint("n1", kTaintNodeUnreachable, "NoExecute"); }));
  EXPECT_EQ(ReadyStatus("n1"), "Unknown");

  // The agent comes back.
  RenewLease("n1");
  PostStatus("n1", "True");
  ASSERT_TRUE(Eventually([&] {
    return !HasTaint("n1", kTaintNodeUnreachable, "NoExecute") &&
           !HasTaint("n1", kTaintNodeUnreachable, "NoSchedule");
  }));
  EXPECT_TRUE(HasTaint("n1", kProbeTaint, "NoExecute"));  // user taints kept
}

TEST_F(NodeLifecycleTest, NotReadyTaintsAndCordon) {
  CreateNode("n1");
  PostStatus("n1", "False");
  ASSERT_TRUE(Eventually([&] {
    return HasTaint("n1", kTaintNodeNotReady, "NoExecute") &&
           HasTaint("n1", kTaintNodeNotReady, "NoSchedule");
  }));
  EXPECT_FALSE(HasTaint("n1", kTaintNodeUnreachable, "NoExecute"));
  PostStatus("n1", "True");
  ASSERT_TRUE(Eventually([&] { return !HasTaint("n1", kTaintNodeNotReady, "NoExecute"); }));

  auto patched =
      nodes_.Patch("", "n1", client::PatchType::kMerge, R"({"spec":{"unschedulable":true}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  ASSERT_TRUE(Eventually([&] { return HasTaint("n1", kTaintNodeUnschedulable, "NoSchedule"); }));
  ASSERT_TRUE(
      nodes_.Patch("", "n1", client::PatchType::kMerge, R"({"spec":{"unschedulable":false}})")
          .ok());
  ASSERT_TRUE(Eventually([&] { return !HasTaint("n1", kTaintNodeUnschedulable, "NoSchedule"); }));
}

TEST(TolerationTest, ToleratesTaint) {
  Taint taint;
  taint.set_key("k");
  taint.set_value("v");
  taint.set_effect("NoExecute");
  EXPECT_TRUE(ToleratesTaint(Tol("k", "Exists", std::nullopt), taint));
  EXPECT_TRUE(ToleratesTaint(Tol("", "Exists", std::nullopt, ""), taint));
  EXPECT_FALSE(ToleratesTaint(Tol("k", "Exists", std::nullopt, "NoSchedule"), taint));
  Toleration eq = Tol("k", "Equal", std::nullopt);
  eq.set_value("v");
  EXPECT_TRUE(ToleratesTaint(eq, taint));
  eq.set_value("w");
  EXPECT_FALSE(ToleratesTaint(eq, taint));
  Toleration dflt = Tol("k", "", std::nullopt);
  dflt.set_value("v");
  EXPECT_TRUE(ToleratesTaint(dflt, taint));
  EXPECT_FALSE(ToleratesTaint(Tol("other", "Exists", std::nullopt), taint));
}

TEST(DefaultTolerationSecondsTest, AddsMissingTolerations) {
  auto plugin = NewDefaultTolerationSeconds();
  EXPECT_EQ(plugin->name(), "DefaultTolerationSeconds");
  Pod pod;
  *pod.mutable_spec()->add_tolerations() = Tol(kTaintNodeUnreachable, "Exists", 10);
  apiserver::admission::Attributes a;
  a.operation = apiserver::admission::Operation::kCreate;
  a.object = &pod;
  ASSERT_TRUE(plugin->Admit(a).ok());
  ASSERT_EQ(pod.spec().tolerations_size(), 2);
  EXPECT_EQ(pod.spec().tolerations(1).key(), kTaintNodeNotReady);
  EXPECT_EQ(pod.spec().tolerations(1).operator_(), "Exists");
  EXPECT_EQ(pod.spec().tolerations(1).effect(), "NoExecute");
  EXPECT_EQ(pod.spec().tolerations(1).tolerationseconds(), 300);
  EXPECT_EQ(pod.spec().tolerations(0).tolerationseconds(), 10);  // the pod's own kept

  // A pod tolerating everything gets nothing; updates are not touched.
  Pod all;
  *all.mutable_spec()->add_tolerations() = Tol("", "Exists", std::nullopt, "");
  a.object = &all;
  ASSERT_TRUE(plugin->Admit(a).ok());
  EXPECT_EQ(all.spec().tolerations_size(), 1);
  Pod upd;
  a.operation = apiserver::admission::Operation::kUpdate;
  a.object = &upd;
  ASSERT_TRUE(plugin->Admit(a).ok());
  EXPECT_EQ(upd.spec().tolerations_size(), 0);
}

}  // namespace
}  // namespace rudder::controllers
