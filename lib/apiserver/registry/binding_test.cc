// The pods/binding subresource of the Registry.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

namespace core = api::core::v1;

class BindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    RegistryOptions o;
    o.admission = admission::NewDefaultChain();
    registry_ = std::make_unique<Registry>(store_.get(), scheme_.get(), o);
    pods_ = scheme_->ByResource({"", "v1", "pods"});
    ASSERT_NE(pods_, nullptr);
  }

  void CreatePod(const std::string& ns, const std::string& name) {
    auto p = std::make_unique<core::Pod>();
    p->mutable_metadata()->set_name(name);
    p->mutable_metadata()->set_namespace_(ns);
    auto* c = p->mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox");
    ASSERT_TRUE(registry_->Create(*pods_, ns, std::move(p)).ok());
  }

  static core::Binding To(const std::string& name, const std::string& node) {
    core::Binding b;
    b.mutable_metadata()->set_name(name);
    b.mutable_target()->set_kind("Node");
    b.mutable_target()->set_name(node);
    return b;
  }

  core::Pod Get(const std::string& ns, const std::string& name) {
    absl::StatusOr<ObjectPtr> o = registry_->Get(*pods_, ns, name);
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? static_cast<const core::Pod&>(**o) : core::Pod();
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<Registry> registry_;
  std::shared_ptr<const api::KindInfo> pods_;
};

const core::PodCondition* Scheduled(const core::Pod& p) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == "PodScheduled") return &c;
  }
  return nullptr;
}

TEST_F(BindingTest, SetsNodeNameAndPodScheduled) {
  CreatePod("default", "web");
  core::Binding b = To("web", "node-1");
  (*b.mutable_metadata()->mutable_annotations())["a"] = "b";
  absl::StatusOr<ObjectPtr> r =
      registry_->BindPod("default", "web", b, {}, absl::FromUnixSeconds(1700000000));
  ASSERT_TRUE(r.ok()) << r.status();
  core::Pod p = Get("default", "web");
  EXPECT_EQ(p.spec().nodename(), "node-1");
  EXPECT_EQ(p.metadata().annotations().at("a"), "b");
  const core::PodCondition* c = Scheduled(p);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status(), "True");
  EXPECT_EQ(c->lasttransitiontime().seconds(), 1700000000);
  EXPECT_EQ(p.metadata().resourceversion(), api::GetObjectMeta(**r)->resourceversion());
}

TEST_F(BindingTest, ReplacesUnschedulableCondition) {
  CreatePod("default", "web");
  auto p = std::make_unique<core::Pod>(Get("default", "web"));
  auto* c = p->mutable_status()->add_conditions();
  c->set_type("PodScheduled");
  c->set_status("False");
  c->set_reason("Unschedulable");
  c->set_message("0/1 nodes are available: 1 Insufficient cpu.");
  ASSERT_TRUE(registry_->Update(*pods_, "default", "web", std::move(p), true).ok());
  ASSERT_TRUE(registry_->BindPod("default", "web", To("web", "n")).ok());
  core::Pod got = Get("default", "web");
  ASSERT_EQ(got.status().conditions_size(), 1);
  EXPECT_EQ(got.status().conditions(0).status(), "True");
  EXPECT_EQ(got.status().conditions(0).reason(), "");
  EXPECT_EQ(got.status().conditions(0).message(), "");
}

TEST_F(BindingTest, AlreadyAssignedIsConflict) {
  CreatePod("default", "web");
  ASSERT_TRUE(registry_->BindPod("default", "web", To("web", "node-1")).ok());
  absl::StatusOr<ObjectPtr> r = registry_->BindPod("default", "web", To("web", "node-2"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(
      absl::StrContains(r.status().message(), "pod web is already assigned to node \"node-1\""))
      << r.status();
  EXPECT_EQ(ToApiStatus(r.status()).code(), 409);
  EXPECT_EQ(Get("default", "web").spec().nodename(), "node-1");
}

TEST_F(BindingTest, MissingPodOrNamespaceIsNotFound) {
  absl::StatusOr<ObjectPtr> r = registry_->BindPod("default", "nope", To("nope", "n"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "pods \"nope\" not found")) << r.status();
  r = registry_->BindPod("ghost", "web", To("web", "n"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "namespaces \"ghost\" not found"))
      << r.status();
}

TEST_F(BindingTest, InvalidBindings) {
  CreatePod("default", "web");
  core::Binding b = To("web", "");
  EXPECT_EQ(registry_->BindPod("default", "web", b).status().code(),
            absl::StatusCode::kInvalidArgument);
  b = To("web", "n");
  b.mutable_target()->set_kind("Pod");
  absl::Status s = registry_->BindPod("default", "web", b).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "target.kind")) << s;
  EXPECT_EQ(registry_->BindPod("default", "web", To("other", "n")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Get("default", "web").spec().nodename(), "");
}

TEST_F(BindingTest, PreconditionsAndDryRun) {
  CreatePod("default", "web");
  core::Binding b = To("web", "n");
  b.mutable_metadata()->set_uid("not-the-uid");
  EXPECT_EQ(registry_->BindPod("default", "web", b).status().code(), absl::StatusCode::kAborted);
  WriteOptions dry;
  dry.dry_run = true;
  absl::StatusOr<ObjectPtr> r = registry_->BindPod("default", "web", To("web", "n"), dry);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(static_cast<const core::Pod&>(**r).spec().nodename(), "n");
  EXPECT_EQ(Get("default", "web").spec().nodename(), "");
}

TEST_F(BindingTest, BeingDeletedIsConflict) {
  CreatePod("default", "web");
  auto p = std::make_unique<core::Pod>(Get("default", "web"));
  p->mutable_metadata()->add_finalizers("keep");
  ASSERT_TRUE(registry_->Update(*pods_, "default", "web", std::move(p)).ok());
  ASSERT_TRUE(registry_->Delete(*pods_, "default", "web").ok());
  absl::Status s = registry_->BindPod("default", "web", To("web", "n")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(absl::StrContains(s.message(), "is being deleted")) << s;
}

// Concurrent bindings of one pod: exactly one wins, the others get Conflict.
TEST_F(BindingTest, ConcurrentBindingsOneWins) {
  CreatePod("default", "web");
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          registry_->BindPod("default", "web", To("web", "node-" + std::to_string(i))).status();
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
    }
  }
  EXPECT_EQ(ok, 1);
}

}  // namespace
}  // namespace rudder::apiserver
