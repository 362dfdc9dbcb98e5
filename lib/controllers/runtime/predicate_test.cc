#include "lib/controllers/runtime/predicate.h"

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/handler.h"

namespace rudder::ctrl {
namespace {

using api::core::v1::ConfigMap;

ConfigMap Cm(int64_t generation, const std::string& rv) {
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("ns");
  cm.mutable_metadata()->set_name("cm");
  cm.mutable_metadata()->set_generation(generation);
  cm.mutable_metadata()->set_resourceversion(rv);
  return cm;
}

TEST(PredicateTest, ChangedPredicatesFilterUpdatesOnly) {
  ConfigMap a = Cm(1, "10"), b = Cm(1, "11"), c = Cm(2, "12");
  PredicatePtr gen = GenerationChanged();
  EXPECT_FALSE(gen->Update(a, b));
  EXPECT_TRUE(gen->Update(b, c));
  EXPECT_TRUE(gen->Create(a));
  EXPECT_TRUE(gen->Delete(a));
  EXPECT_TRUE(gen->Generic(a));

  PredicatePtr rv = ResourceVersionChanged();
  EXPECT_TRUE(rv->Update(a, b));
  EXPECT_FALSE(rv->Update(a, a));  // A resync.

  ConfigMap labeled = b;
  (*labeled.mutable_metadata()->mutable_labels())["app"] = "web";
  EXPECT_TRUE(LabelChanged()->Update(b, labeled));
  EXPECT_FALSE(LabelChanged()->Update(a, b));
  ConfigMap relabeled = labeled;
  (*relabeled.mutable_metadata()->mutable_labels())["app"] = "db";
  EXPECT_TRUE(LabelChanged()->Update(labeled, relabeled));

  ConfigMap annotated = b;
  (*annotated.mutable_metadata()->mutable_annotations())["note"] = "x";
  EXPECT_TRUE(AnnotationChanged()->Update(b, annotated));
  EXPECT_FALSE(AnnotationChanged()->Update(b, labeled));
}

TEST(PredicateTest, Combinators) {
  ConfigMap a = Cm(1, "10"), b = Cm(1, "11"), c = Cm(2, "12");
  PredicatePtr both = And({GenerationChanged(), ResourceVersionChanged()});
  EXPECT_FALSE(both->Update(a, b));
  EXPECT_TRUE(both->Update(b, c));
  PredicatePtr either = Or({GenerationChanged(), LabelChanged()});
  EXPECT_FALSE(either->Update(a, b));
  EXPECT_TRUE(either->Update(a, c));
  EXPECT_FALSE(Or({})->Create(a));
  EXPECT_TRUE(And({})->Create(a));
  EXPECT_TRUE(Not(GenerationChanged())->Update(a, b));
  EXPECT_FALSE(Not(GenerationChanged())->Create(a));

  PredicatePtr named =
      NewPredicateFuncs([](const Object& o) { return api::GetObjectMeta(o)->name() == "cm"; });
  ConfigMap other = a;
  other.mutable_metadata()->set_name("other");
  EXPECT_TRUE(named->Create(a));
  EXPECT_FALSE(named->Delete(other));
  EXPECT_FALSE(named->Update(a, other));

  auto funcs = std::make_shared<PredicateFuncs>();
  funcs->del = [](const Object&) { return false; };
  EXPECT_TRUE(funcs->Create(a));
  EXPECT_FALSE(funcs->Delete(a));
}

TEST(HandlerTest, ObjectAndOwnerMapping) {
  ConfigMap cm = Cm(1, "1");
  EventHandler self = EnqueueRequestForObject();
  EXPECT_FALSE(self.map_old_on_update);
  std::vector<Request> r = self.map(cm);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (Request{"", "ns", "cm"}));

  api::KindInfo deployments;
  deployments.gvk = {"apps", "v1", "Deployment"};
  deployments.namespaced = true;
  auto* ref = cm.mutable_metadata()->add_ownerreferences();
  ref->set_apiversion("apps/v1beta2");  // Versions do not matter, group and kind do.
  ref->set_kind("Deployment");
  ref->set_name("web");
  ref->set_controller(true);
  auto* other = cm.mutable_metadata()->add_ownerreferences();
  other->set_apiversion("apps/v1");
  other->set_kind("Deployment");
  other->set_name("also");
  auto* wrong_group = cm.mutable_metadata()->add_ownerreferences();
  wrong_group->set_apiversion("example.com/v1");
  wrong_group->set_kind("Deployment");
  wrong_group->set_name("nope");

  EventHandler owner = EnqueueRequestForOwner(deployments);
  EXPECT_TRUE(owner.map_old_on_update);
  EXPECT_EQ(owner.map(cm), (std::vector<Request>{{"", "ns", "web"}}));
  EventHandler any_owner = EnqueueRequestForOwner(deployments, /*only_controller=*/false);
  EXPECT_EQ(any_owner.map(cm), (std::vector<Request>{{"", "ns", "web"}, {"", "ns", "also"}}));

  api::KindInfo nodes;
  nodes.gvk = {"", "v1", "Node"};
  nodes.namespaced = false;
  auto* node_ref = cm.mutable_metadata()->add_ownerreferences();
  node_ref->set_apiversion("v1");
  node_ref->set_kind("Node");
  node_ref->set_name("n1");
  node_ref->set_controller(true);
  EXPECT_EQ(EnqueueRequestForOwner(nodes).map(cm), (std::vector<Request>{{"", "", "n1"}}));

  EventHandler fixed = EnqueueRequestsFromMapFunc([](const Object&) {
    return std::vector<Request>{{"", "a", "b"}};
  });
  EXPECT_EQ(fixed.map(cm), (std::vector<Request>{{"", "a", "b"}}));
}

}  // namespace
}  // namespace rudder::ctrl
