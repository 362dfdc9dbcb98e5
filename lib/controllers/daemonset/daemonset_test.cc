#include "lib/controllers/daemonset/daemonset.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::apps::v1::ControllerRevision;
using api::apps::v1::DaemonSet;
using api::core::v1::Node;
using api::core::v1::Pod;
using ctrl::testing::Eventually;

class DaemonSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Advance(absl::Hours(1));
    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddDaemonSetController(manager_.get()).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }

  void CreateNode(const std::string& name, const std::string& role,
                  const std::vector<std::pair<std::string, std::string>>& taints = {}) {
    Node n;
    n.mutable_metadata()->set_name(name);
    (*n.mutable_metadata()->mutable_labels())["role"] = role;
    for (const auto& [key, effect] : taints) {
      auto* t = n.mutable_spec()->add_taints();
      t->set_key(key);
      t->set_effect(effect);
    }
    auto r = nodes_.Create(n);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  void UpdateNode(const std::string& name, const std::function<void(Node*)>& fn) {
    ASSERT_TRUE(Eventually([&] {
      auto n = nodes_.Get("", name);
      if (!n.ok()) return false;
      fn(n->get());
      return nodes_.Update(**n).ok();
    }));
  }
  DaemonSet MakeSet(const std::string& name, const std::string& image = "agent:1") {
    DaemonSet ds;
    ds.mutable_metadata()->set_namespace_("default");
    ds.mutable_metadata()->set_name(name);
    (*ds.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = name;
    auto* t = ds.mutable_spec()->mutable_template_();
    (*t->mutable_metadata()->mutable_labels())["app"] = name;
    auto* c = t->mutable_spec()->add_containers();
    c->set_name("agent");
    c->set_image(image);
    return ds;
  }
  void SetImage(const std::string& name, const std::string& image) {
    ASSERT_TRUE(Eventually([&] {
      auto ds = sets_.Get("default", name);
      if (!ds.ok()) return false;
      (*ds)->mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
          image);
      return sets_.Update(**ds).ok();
    }));
  }
  // Daemon pods by node.
  std::multimap<std::string, Pod> PodsByNode() {
    std::multimap<std::string, Pod> out;
    auto list = pods_.List("default");
    if (!list.ok()) return out;
    for (const auto& p : list->items) {
      const auto& terms = p->spec()
                              .affinity()
                              .nodeaffinity()
                              .requiredduringschedulingignoredduringexecution()
                              .nodeselectorterms();
      if (terms.empty() || terms[0].matchfields().empty()) continue;
      out.emplace(terms[0].matchfields(0).values(0), *p);
    }
    return out;
  }
  std::set<std::string> Nodes() {
    std::set<std::string> out;
    for (const auto& [n, p] : PodsByNode()) out.insert(n);
    return out;
  }
  std::string Image(const Pod& p) { return p.spec().containers(0).image(); }
  int CountImage(const std::string& image) {
    int n = 0;
    for (const auto& [node, p] : PodsByNode()) n += Image(p) == image;
    return n;
  }
  void MakeReady() {
    for (auto& [node, p] : PodsByNode()) {
      bool ready = false;
      for (const auto& c : p.status().conditions()) ready = ready || c.type() == "Ready";
      if (ready) continue;
      auto* c = p.mutable_status()->add_conditions();
      c->set_type("Ready");
      c->set_status("True");
      *c->mutable_lasttransitiontime() = api::FromAbslTime(clock_.Now());
      p.mutable_status()->set_phase("Running");
      ASSERT_TRUE(pods_.UpdateStatus(p).ok());
    }
  }
  // Reconciles `name` once more and waits until the controller is idle.
  void Settle(const std::string& name) {
    ctrl::Controller* c = manager_->GetController("daemonset");
    int64_t before = c->Metrics().reconcile_total;
    c->Enqueue({.ns = "default", .name = name});
    ASSERT_TRUE(Eventually([&] {
      ctrl::ControllerMetrics m = c->Metrics();
      return m.reconcile_total > before && m.active_workers == 0 && c->QueueLength() == 0;
    }));
  }
  std::unique_ptr<DaemonSet> Get(const std::string& name) {
    auto r = sets_.Get("default", name);
    return r.ok() ? *std::move(r) : nullptr;
  }

  FakeClock clock_;
  ctrl::testing::TestCluster cluster_;
  std::unique_ptr<ctrl::Manager> manager_;
  client::TypedClient<Node> nodes_{cluster_.client.get()};
  client::TypedClient<Pod> pods_{cluster_.client.get()};
  client::TypedClient<DaemonSet> sets_{cluster_.client.get()};
};

using Set = std::set<std::string>;

TEST_F(DaemonSetTest, OnePodPerEligibleNode) {
  CreateNode("n1", "worker");
  CreateNode("n2", "worker", {{"dedicated", "NoSchedule"}});
  CreateNode("n3", "infra");
  CreateNode("n4", "worker", {{"node.kubernetes.io/unschedulable", "NoSchedule"}});
  CreateNode("n5", "worker", {{"node.kubernetes.io/not-ready", "NoExecute"}});
  DaemonSet ds = MakeSet("agent");
  (*ds.mutable_spec()->mutable_template_()->mutable_spec()->mutable_nodeselector())["role"] =
      "worker";
  ASSERT_TRUE(sets_.Create(ds).ok());
  ASSERT_TRUE(Eventually([&] { return Nodes() == Set({"n1", "n4", "n5"}); }));
  for (const auto& [node, p] : PodsByNode()) {
    EXPECT_EQ(p.metadata().ownerreferences(0).kind(), "DaemonSet");
    EXPECT_EQ(p.metadata().labels().count(kControllerRevisionHash), 1u);
    EXPECT_TRUE(p.spec().nodename().empty());  // The scheduler binds it.
    std::set<std::string> tolerated;
    for (const auto& t : p.spec().tolerations()) tolerated.insert(t.key() + ":" + t.effect());
    EXPECT_EQ(tolerated, Set({"node.kubernetes.io/not-ready:NoExecute",
                              "node.kubernetes.io/unreachable:NoExecute",
                              "node.kubernetes.io/disk-pressure:NoSchedule",
                              "node.kubernetes.io/memory-pressure:NoSchedule",
                              "node.kubernetes.io/pid-pressure:NoSchedule",
                              "node.kubernetes.io/unschedulable:NoSchedule"}));
  }
  ASSERT_TRUE(Eventually([&] {
    auto d = Get("agent");
    return d->status().desirednumberscheduled() == 3 && d->status().currentnumberscheduled() == 3 &&
           d->status().numberready() == 0 && d->status().updatednumberscheduled() == 3 &&
           d->status().numberunavailable() == 3;
  }));
  MakeReady();
  ASSERT_TRUE(Eventually([&] {
    auto d = Get("agent");
    return d->status().numberready() == 3 && d->status().numberavailable() == 3;
  }));

  // A new node gets a pod.
  CreateNode("n6", "worker");
  ASSERT_TRUE(Eventually([&] { return Nodes() == Set({"n1", "n4", "n5", "n6"}); }));
  // A node no longer matching loses it.
  UpdateNode("n1", [](Node* n) { (*n->mutable_metadata()->mutable_labels())["role"] = "infra"; });
  ASSERT_TRUE(Eventually([&] { return Nodes() == Set({"n4", "n5", "n6"}); }));
  // An untolerated NoSchedule taint keeps the pod; NoExecute evicts it.
  UpdateNode("n4", [](Node* n) {
    auto* t = n->mutable_spec()->add_taints();
    t->set_key("maintenance");
    t->set_effect("NoSchedule");
  });
  UpdateNode("n6", [](Node* n) {
    auto* t = n->mutable_spec()->add_taints();
    t->set_key("broken");
    t->set_effect("NoExecute");
  });
  ASSERT_TRUE(Eventually([&] { return Nodes() == Set({"n4", "n5"}); }));
  ASSERT_TRUE(Eventually([&] {
    auto d = Get("agent");
    return d->status().desirednumberscheduled() == 1 && d->status().numbermisscheduled() == 1 &&
           d->status().currentnumberscheduled() == 1;
  }));
}

TEST_F(DaemonSetTest, RequiredNodeAffinity) {
  CreateNode("a", "worker");
  CreateNode("b", "gpu");
  DaemonSet ds = MakeSet("gpu");
  auto* term = ds.mutable_spec()
                   ->mutable_template_()
                   ->mutable_spec()
                   ->mutable_affinity()
                   ->mutable_nodeaffinity()
                   ->mutable_requiredduringschedulingignoredduringexecution()
                   ->add_nodeselectorterms();
  auto* r = term->add_matchexpressions();
  r->set_key("role");
  r->set_operator_("In");
  r->add_values("gpu");
  ASSERT_TRUE(sets_.Create(ds).ok());
  ASSERT_TRUE(Eventually([&] { return Nodes() == Set({"b"}); }));
  // The pod's affinity is the pin alone.
  std::multimap<std::string, Pod> pods = PodsByNode();
  const Pod& p = pods.begin()->second;
  const auto& terms =
      p.spec().affinity().nodeaffinity().requiredduringschedulingignoredduringexecution();
  ASSERT_EQ(terms.nodeselectorterms_size(), 1);
  EXPECT_EQ(terms.nodeselectorterms(0).matchexpressions_size(), 0);
  EXPECT_EQ(terms.nodeselectorterms(0).matchfields(0).key(), "metadata.name");
}

TEST_F(DaemonSetTest, RollingUpdateMaxUnavailableOneNodeAtATime) {
  for (const char* n : {"n1", "n2", "n3", "n4"}) CreateNode(n, "worker");
  ASSERT_TRUE(sets_.Create(MakeSet("agent")).ok());
  ASSERT_TRUE(Eventually([&] { return CountImage("agent:1") == 4; }));
  MakeReady();
  ASSERT_TRUE(Eventually([&] { return Get("agent")->status().numberavailable() == 4; }));
  SetImage("agent", "agent:2");
  // Step by step: (old, new) pods = (3,1) until the new one is ready, then (2,2), ...
  for (int step = 1; step <= 4; ++step) {
    ASSERT_TRUE(Eventually([&] {
      return CountImage("agent:2") == step && CountImage("agent:1") == 4 - step;
    })) << "step "
        << step;
    // Nothing more happens while the new pod is not ready.
    Settle("agent");
    EXPECT_EQ(CountImage("agent:2"), step);
    EXPECT_EQ(CountImage("agent:1"), 4 - step);
    MakeReady();
  }
  ASSERT_TRUE(Eventually([&] {
    auto d = Get("agent");
    return d->status().updatednumberscheduled() == 4 && d->status().numberavailable() == 4;
  }));
  // History: two revisions, the current one newest.
  auto revs = client::TypedClient<ControllerRevision>(cluster_.client.get()).List("default");
  ASSERT_TRUE(revs.ok());
  ASSERT_EQ(revs->items.size(), 2u);
  std::map<int64_t, std::string> by_rev;
  for (const auto& r : revs->items) {
    by_rev[r->revision()] = r->metadata().labels().at(kControllerRevisionHash);
  }
  EXPECT_EQ(by_rev.size(), 2u);
  EXPECT_EQ(by_rev.rbegin()->second,
            PodsByNode().begin()->second.metadata().labels().at(kControllerRevisionHash));
}

TEST_F(DaemonSetTest, RollingUpdateWithSurge) {
  for (const char* n : {"n1", "n2"}) CreateNode(n, "worker");
  DaemonSet ds = MakeSet("agent");
  auto* ru = ds.mutable_spec()->mutable_updatestrategy()->mutable_rollingupdate();
  ds.mutable_spec()->mutable_updatestrategy()->set_type("RollingUpdate");
  ru->mutable_maxsurge()->set_intval(1);
  ru->mutable_maxunavailable()->set_intval(0);
  ASSERT_TRUE(sets_.Create(ds).ok());
  ASSERT_TRUE(Eventually([&] { return CountImage("agent:1") == 2; }));
  MakeReady();
  ASSERT_TRUE(Eventually([&] { return Get("agent")->status().numberavailable() == 2; }));
  SetImage("agent", "agent:2");
  // One node runs both pods; the old one goes once the new one is available.
  ASSERT_TRUE(Eventually([&] { return CountImage("agent:2") == 1 && CountImage("agent:1") == 2; }));
  Settle("agent");
  EXPECT_EQ(PodsByNode().size(), 3u);
  MakeReady();
  ASSERT_TRUE(Eventually([&] { return CountImage("agent:2") == 2 && CountImage("agent:1") == 1; }));
  MakeReady();
  ASSERT_TRUE(Eventually([&] { return CountImage("agent:2") == 2 && CountImage("agent:1") == 0; }));
}

TEST_F(DaemonSetTest, OnDeleteReplacesOnlyDeletedPods) {
  for (const char* n : {"n1", "n2"}) CreateNode(n, "worker");
  DaemonSet ds = MakeSet("agent");
  ds.mutable_spec()->mutable_updatestrategy()->set_type("OnDelete");
  ASSERT_TRUE(sets_.Create(ds).ok());
  ASSERT_TRUE(Eventually([&] { return CountImage("agent:1") == 2; }));
  MakeReady();
  SetImage("agent", "agent:2");
  ASSERT_TRUE(Eventually([&] {
    auto d = Get("agent");
    return d->metadata().generation() == d->status().observedgeneration() &&
           d->status().updatednumberscheduled() == 0;
  }));
  EXPECT_EQ(CountImage("agent:1"), 2);
  std::multimap<std::string, Pod> pods = PodsByNode();
  auto it = pods.find("n1");
  ASSERT_TRUE(pods_.Delete("default", it->second.metadata().name()).ok());
  ASSERT_TRUE(Eventually([&] { return CountImage("agent:2") == 1 && CountImage("agent:1") == 1; }));
  EXPECT_EQ(Image(PodsByNode().find("n1")->second), "agent:2");
}

}  // namespace
}  // namespace rudder::controllers
