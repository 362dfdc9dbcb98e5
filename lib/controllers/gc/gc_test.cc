#include "lib/controllers/gc/gc.h"

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::core::v1::ConfigMap;
using api::core::v1::Node;
using api::meta::v1::OwnerReference;
using ctrl::testing::Eventually;

class GarbageCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client::FactoryOptions f;
    f.defaults.clock = &clock_;
    factory_ = std::make_unique<client::SharedInformerFactory>(cluster_.client.get(), f);
    auto gc = GarbageCollector::New(cluster_.client.get(), factory_.get(), {.clock = &clock_});
    ASSERT_TRUE(gc.ok()) << gc.status();
    gc_ = *std::move(gc);
    ASSERT_TRUE(gc_->Start().ok());
  }
  void TearDown() override {
    gc_->Stop();
    factory_->Shutdown();
  }

  // Creates ConfigMap `name`, owned by `owners` (blockOwnerDeletion = `block`).
  ConfigMap Make(const std::string& name,
                 const std::vector<const google::protobuf::Message*>& owners, bool block = true) {
    ConfigMap cm;
    cm.mutable_metadata()->set_namespace_("default");
    cm.mutable_metadata()->set_name(name);
    for (const google::protobuf::Message* o : owners) {
      const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*o);
      OwnerReference* r = cm.mutable_metadata()->add_ownerreferences();
      r->set_apiversion("v1");
      r->set_kind(o->GetDescriptor()->name());
      r->set_name(m->name());
      r->set_uid(m->uid());
      r->set_blockownerdeletion(block);
    }
    auto c = maps_.Create(cm);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? **c : cm;
  }
  bool Gone(const std::string& name) {
    return absl::IsNotFound(maps_.Get("default", name).status());
  }
  bool Exists(const std::string& name) { return maps_.Get("default", name).ok(); }
  absl::Status Delete(const std::string& name, const char* policy) {
    apiserver::DeleteOptions o;
    o.propagation_policy = policy;
    return maps_.Delete("default", name, o);
  }
  // Waits until the collector has nothing to do (a bound on the poll, not a timing assertion).
  void Settle() {
    int idle = 0;
    ASSERT_TRUE(Eventually([&] { return gc_->Idle() ? ++idle > 20 : (idle = 0, false); }));
  }

  FakeClock clock_;
  ctrl::testing::TestCluster cluster_;
  client::TypedClient<ConfigMap> maps_{cluster_.client.get()};
  std::unique_ptr<client::SharedInformerFactory> factory_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(GarbageCollectorTest, BackgroundDeletesDependentsOfAGoneOwner) {
  ConfigMap owner = Make("owner", {});
  Make("dep-1", {&owner});
  Make("dep-2", {&owner});
  Make("unrelated", {});
  ASSERT_TRUE(Delete("owner", apiserver::kPropagationBackground).ok());
  EXPECT_TRUE(Eventually([&] { return Gone("dep-1") && Gone("dep-2"); }));
  Settle();
  EXPECT_TRUE(Exists("unrelated"));
  EXPECT_GE(gc_->Metrics().deleted, 2);
}

TEST_F(GarbageCollectorTest, ChainsAreCollected) {
  ConfigMap a = Make("a", {});
  ConfigMap b = Make("b", {&a});
  Make("c", {&b});
  ASSERT_TRUE(Delete("a", apiserver::kPropagationBackground).ok());
  EXPECT_TRUE(Eventually([&] { return Gone("b") && Gone("c"); }));
}

TEST_F(GarbageCollectorTest, DanglingOwnerWithAnotherUidIsRemovedOrCollected) {
  ConfigMap owner = Make("owner", {});
  ConfigMap impostor = owner;
  impostor.mutable_metadata()->set_uid("not-the-owners-uid");
  // Only a dangling owner: collected even though an object of that name exists.
  Make("orphan-dep", {&impostor});
  EXPECT_TRUE(Eventually([&] { return Gone("orphan-dep"); }));
  // A live owner and a dangling one: only the dangling reference goes.
  Make("both", {&owner, &impostor});
  EXPECT_TRUE(Eventually([&] {
    auto b = maps_.Get("default", "both");
    return b.ok() && (*b)->metadata().ownerreferences_size() == 1 &&
           (*b)->metadata().ownerreferences(0).uid() == owner.metadata().uid();
  }));
  EXPECT_TRUE(Exists("owner"));
}

TEST_F(GarbageCollectorTest, ForegroundDeletesDependentsBeforeTheOwner) {
  ConfigMap owner = Make("owner", {});
  ConfigMap mid = Make("mid", {&owner});
  Make("leaf", {&mid});
  ASSERT_TRUE(Delete("owner", apiserver::kPropagationForeground).ok());
  // The owner is only marked until its blocking dependents are gone.
  auto marked = maps_.Get("default", "owner");
  ASSERT_TRUE(marked.ok());
  EXPECT_TRUE((*marked)->metadata().has_deletiontimestamp());
  EXPECT_TRUE(Eventually([&] { return Gone("owner"); }));
  EXPECT_TRUE(Gone("mid"));
  EXPECT_TRUE(Gone("leaf"));
}

TEST_F(GarbageCollectorTest, ForegroundWaitsOnlyForBlockingDependents) {
  ConfigMap owner = Make("owner", {});
  Make("loose", {&owner}, /*block=*/false);
  ASSERT_TRUE(Delete("owner", apiserver::kPropagationForeground).ok());
  EXPECT_TRUE(Eventually([&] { return Gone("owner") && Gone("loose"); }));
}

// A dependent that cannot go yet (it has a finalizer of its own) holds a foreground-deleted
// owner only when its reference has blockOwnerDeletion: true.
TEST_F(GarbageCollectorTest, ForegroundOwnerWaitsForABlockingDependentThatCannotGoYet) {
  const std::string kHold = "example.com/hold";
  auto with_hold = [&](const std::string& name, const ConfigMap& owner, bool block) {
    ConfigMap dep = Make(name, {&owner}, block);
    dep.mutable_metadata()->add_finalizers(kHold);
    auto updated = maps_.Update(dep);
    ASSERT_TRUE(updated.ok()) << updated.status();
  };
  auto release = [&](const std::string& name) {
    auto dep = maps_.Get("default", name);
    ASSERT_TRUE(dep.ok()) << dep.status();
    (*dep)->mutable_metadata()->clear_finalizers();
    auto updated = maps_.Update(**dep);
    ASSERT_TRUE(updated.ok()) << updated.status();
  };
  auto deleting = [&](const std::string& name) {
    auto c = maps_.Get("default", name);
    return c.ok() && (*c)->metadata().has_deletiontimestamp();
  };

  // Blocking: the owner stays (deleting) while the dependent waits for its finalizer.
  ConfigMap owner = Make("owner", {});
  with_hold("blocking", owner, /*block=*/true);
  ASSERT_TRUE(Delete("owner", apiserver::kPropagationForeground).ok());
  ASSERT_TRUE(Eventually([&] { return deleting("blocking"); }));
  Settle();
  EXPECT_TRUE(deleting("owner"));
  release("blocking");
  EXPECT_TRUE(Eventually([&] { return Gone("blocking") && Gone("owner"); }));

  // Not blocking: the owner goes while the dependent still waits for its finalizer.
  ConfigMap loose_owner = Make("loose-owner", {});
  with_hold("loose", loose_owner, /*block=*/false);
  ASSERT_TRUE(Delete("loose-owner", apiserver::kPropagationForeground).ok());
  EXPECT_TRUE(Eventually([&] { return Gone("loose-owner"); }));
  EXPECT_TRUE(deleting("loose"));
  release("loose");
  EXPECT_TRUE(Eventually([&] { return Gone("loose"); }));
}

TEST_F(GarbageCollectorTest, OrphanRemovesReferencesThenTheFinalizer) {
  ConfigMap owner = Make("owner", {});
  ConfigMap other = Make("other", {});
  Make("dep", {&owner, &other});
  ASSERT_TRUE(Delete("owner", apiserver::kPropagationOrphan).ok());
  EXPECT_TRUE(Eventually([&] { return Gone("owner"); }));
  Settle();
  auto dep = maps_.Get("default", "dep");
  ASSERT_TRUE(dep.ok());
  ASSERT_EQ((*dep)->metadata().ownerreferences_size(), 1);
  EXPECT_EQ((*dep)->metadata().ownerreferences(0).uid(), other.metadata().uid());
  EXPECT_GE(gc_->Metrics().orphaned, 1);
}

TEST_F(GarbageCollectorTest, ClusterScopedOwner) {
  client::TypedClient<Node> nodes(cluster_.client.get());
  Node n;
  n.mutable_metadata()->set_name("node-1");
  auto created = nodes.Create(n);
  ASSERT_TRUE(created.ok()) << created.status();
  Make("node-config", {created->get()});
  Settle();
  EXPECT_TRUE(Exists("node-config"));
  ASSERT_TRUE(nodes.Delete("", "node-1").ok());
  EXPECT_TRUE(Eventually([&] { return Gone("node-config"); }));
}

TEST_F(GarbageCollectorTest, LiveOwnerKeepsDependents) {
  ConfigMap owner = Make("owner", {});
  Make("dep", {&owner});
  Settle();
  EXPECT_TRUE(Exists("dep"));
  EXPECT_EQ(gc_->Metrics().deleted, 0);
}

}  // namespace
}  // namespace rudder::controllers
