// The Priority admission plugin, through a Registry with the default chain.
#include "lib/apiserver/admission/priority.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/scheduling/v1/scheduling.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver::admission {
namespace {

using api::core::v1::Pod;
using api::scheduling::v1::PriorityClass;

class PriorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    RegistryOptions o;
    o.admission = NewDefaultChain();
    registry_ = std::make_unique<Registry>(store_.get(), scheme_.get(), o);
    pods_ = scheme_->ByResource({"", "v1", "pods"});
    classes_ = scheme_->ByResource({"scheduling.k8s.io", "v1", "priorityclasses"});
    ASSERT_NE(classes_, nullptr);
  }

  absl::Status AddClass(const std::string& name, int32_t value, bool global_default = false,
                        const std::string& policy = "") {
    auto pc = std::make_unique<PriorityClass>();
    pc->mutable_metadata()->set_name(name);
    pc->set_value(value);
    pc->set_globaldefault(global_default);
    if (!policy.empty()) pc->set_preemptionpolicy(policy);
    return registry_->Create(*classes_, "", std::move(pc)).status();
  }

  absl::StatusOr<Pod> CreatePod(const std::string& name, const std::string& class_name,
                                std::optional<int32_t> priority = std::nullopt) {
    auto p = std::make_unique<Pod>();
    p->mutable_metadata()->set_name(name);
    p->mutable_spec()->set_priorityclassname(class_name);
    if (priority.has_value()) p->mutable_spec()->set_priority(*priority);
    auto* c = p->mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox");
    absl::StatusOr<ObjectPtr> r = registry_->Create(*pods_, "default", std::move(p));
    if (!r.ok()) return r.status();
    return static_cast<const Pod&>(**r);
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<Registry> registry_;
  std::shared_ptr<const api::KindInfo> pods_, classes_;
};

TEST_F(PriorityTest, InTheDefaultChain) {
  std::vector<std::string> names = NewDefaultChain()->names();
  EXPECT_NE(std::find(names.begin(), names.end(), "Priority"), names.end());
}

TEST_F(PriorityTest, NoClassNoDefaultIsZero) {
  absl::StatusOr<Pod> p = CreatePod("a", "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->spec().has_priority());
  EXPECT_EQ(p->spec().priority(), 0);
  EXPECT_EQ(p->spec().preemptionpolicy(), "PreemptLowerPriority");
  EXPECT_EQ(p->spec().priorityclassname(), "");
}

TEST_F(PriorityTest, NamedClassAndGlobalDefault) {
  ASSERT_TRUE(AddClass("low", 100, /*global_default=*/true).ok());
  ASSERT_TRUE(AddClass("high", 1000, false, "Never").ok());
  absl::StatusOr<Pod> p = CreatePod("a", "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->spec().priorityclassname(), "low");
  EXPECT_EQ(p->spec().priority(), 100);
  EXPECT_EQ(p->spec().preemptionpolicy(), "PreemptLowerPriority");
  p = CreatePod("b", "high");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->spec().priority(), 1000);
  EXPECT_EQ(p->spec().preemptionpolicy(), "Never");
  // The same value given explicitly is accepted; another is not.
  EXPECT_TRUE(CreatePod("c", "high", 1000).ok());
  absl::Status s = CreatePod("d", "high", 5).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(s.message(),
            "pods \"d\" is forbidden: the integer value of priority (5) must not be provided in "
            "pod spec; priority admission controller computed 1000 from the given PriorityClass "
            "name");
}

TEST_F(PriorityTest, BuiltInSystemClasses) {
  absl::StatusOr<Pod> p = CreatePod("a", "system-node-critical");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->spec().priority(), 2000001000);
  p = CreatePod("b", "system-cluster-critical");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->spec().priority(), 2000000000);
}

TEST_F(PriorityTest, UnknownClassIsForbidden) {
  absl::Status s = CreatePod("a", "nope").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(s.message(), "pods \"a\" is forbidden: no PriorityClass with name nope was found");
  EXPECT_EQ(ToApiStatus(s).code(), 403);
  EXPECT_EQ(ToApiStatus(s).reason(), "Forbidden");
}

TEST_F(PriorityTest, OnlyOneGlobalDefault) {
  ASSERT_TRUE(AddClass("a", 1, true).ok());
  absl::Status s = AddClass("b", 2, true);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_NE(s.message().find("PriorityClass a is already marked as default. Only one default "
                             "can exist"),
            std::string::npos)
      << s;
  EXPECT_TRUE(AddClass("c", 3, false).ok());
}

}  // namespace
}  // namespace rudder::apiserver::admission
