// The admission chain and the built-in plugins, run by a Registry over an in-memory store.
#include "lib/apiserver/admission/admission.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/auth.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver::admission {
namespace {

using api::KindInfo;
namespace core = api::core::v1;

// Records the order its phases run in.
class Recorder : public Plugin {
 public:
  Recorder(std::string name, std::vector<std::string>* log) : name_(std::move(name)), log_(log) {}
  std::string_view name() const override { return name_; }
  absl::Status Admit(Attributes& a) override {
    log_->push_back(name_ + ".Admit " + std::string(OperationName(a.operation)));
    if (auto* cm = dynamic_cast<core::ConfigMap*>(a.object)) (*cm->mutable_data())[name_] = "x";
    return absl::OkStatus();
  }
  absl::Status Validate(const Attributes& a) override {
    log_->push_back(name_ + ".Validate");
    return absl::OkStatus();
  }

 private:
  std::string name_;
  std::vector<std::string>* log_;
};

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    cm_ = scheme_->ByKind({"", "v1", "ConfigMap"});
    pod_ = scheme_->ByKind({"", "v1", "Pod"});
    ns_ = scheme_->ByKind({"", "v1", "Namespace"});
    lr_ = scheme_->ByKind({"", "v1", "LimitRange"});
    rq_ = scheme_->ByKind({"", "v1", "ResourceQuota"});
    sa_ = scheme_->ByKind({"", "v1", "ServiceAccount"});
    ASSERT_TRUE(cm_ && pod_ && ns_ && lr_ && rq_ && sa_);
    UseChain(NewDefaultChain());
  }

  void UseChain(std::shared_ptr<const Chain> chain) {
    RegistryOptions o;
    o.admission = std::move(chain);
    registry_ = std::make_unique<Registry>(store_.get(), scheme_.get(), o);
  }

  ObjectPtr Parse(const KindInfo& kind, const std::string& json) {
    ObjectPtr obj = kind.New();
    absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJson(json, obj.get());
    EXPECT_TRUE(r.ok()) << r.status() << " in " << json;
    return obj;
  }

  absl::StatusOr<ObjectPtr> CreateCm(const std::string& ns, const std::string& name) {
    return registry_->Create(*cm_, ns, Parse(*cm_, R"({"metadata":{"name":")" + name + R"("}})"));
  }

  // A pod with one container whose resources are the JSON `resources` ("" for none).
  absl::StatusOr<ObjectPtr> CreatePod(const std::string& name, const std::string& resources,
                                      bool dry_run = false) {
    std::string c = R"({"name":"c","image":"busybox")";
    if (!resources.empty()) c += R"(,"resources":)" + resources;
    c += "}";
    WriteOptions o;
    o.dry_run = dry_run;
    return registry_->Create(*pod_, "default",
                             Parse(*pod_, R"({"metadata":{"name":")" + name +
                                              R"("},"spec":{"containers":[)" + c + "]}}"),
                             o);
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<Registry> registry_;
  std::shared_ptr<const KindInfo> cm_, pod_, ns_, lr_, rq_, sa_;
};

TEST_F(AdmissionTest, ChainRunsEveryMutatingPluginThenEveryValidatingOne) {
  std::vector<std::string> log;
  PluginRegistry plugins;
  plugins.Register("A", [&log] { return std::make_unique<Recorder>("A", &log); });
  plugins.Register("B", [&log] { return std::make_unique<Recorder>("B", &log); });
  absl::StatusOr<std::shared_ptr<Chain>> chain = plugins.NewChain({"B", "A"});
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ((*chain)->names(), (std::vector<std::string>{"B", "A"}));
  UseChain(*chain);
  absl::StatusOr<ObjectPtr> c = CreateCm("default", "c");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(log, (std::vector<std::string>{"B.Admit CREATE", "A.Admit CREATE", "B.Validate",
                                           "A.Validate"}));
  // Mutations are stored.
  EXPECT_EQ(static_cast<core::ConfigMap&>(**c).data().at("A"), "x");
  log.clear();
  ASSERT_TRUE(registry_->Delete(*cm_, "default", "c").ok());
  EXPECT_EQ(log.front(), "B.Admit DELETE");
}

TEST_F(AdmissionTest, RegistryRejectsUnknownAndRepeatedNames) {
  PluginRegistry plugins;
  RegisterBuiltins(&plugins);
  EXPECT_TRUE(plugins.Has("ResourceQuota"));
  absl::StatusOr<std::shared_ptr<Chain>> c = plugins.NewChain({"NamespaceLifecycle", "Nope"});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "unknown admission plugin: Nope");
  c = plugins.NewChain({"AlwaysAdmit", "AlwaysAdmit"});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  c = plugins.NewChain(DefaultPluginNames());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->names(), DefaultPluginNames());
}

TEST_F(AdmissionTest, AlwaysDenyForbidsWrites) {
  std::vector<std::unique_ptr<Plugin>> p;
  p.push_back(NewAlwaysDeny());
  UseChain(std::make_shared<Chain>(std::move(p)));
  absl::StatusOr<ObjectPtr> c = CreateCm("default", "c");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(c.status().message(),
            "configmaps \"c\" is forbidden: admission control is denying all modifications");
  EXPECT_EQ(ToApiStatus(c.status()).code(), 403);
  EXPECT_EQ(ToApiStatus(c.status()).reason(), "Forbidden");
}

TEST_F(AdmissionTest, NamespaceLifecycle) {
  // default exists without an object; a missing namespace is 404.
  ASSERT_TRUE(CreateCm("default", "a").ok());
  absl::StatusOr<ObjectPtr> c = CreateCm("missing", "a");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(), "namespaces \"missing\" not found");
  // Dry runs are admitted alike.
  WriteOptions dry;
  dry.dry_run = true;
  EXPECT_EQ(registry_->Create(*cm_, "missing", Parse(*cm_, R"({"metadata":{"name":"a"}})"), dry)
                .status()
                .code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(registry_->Create(*ns_, "", Parse(*ns_, R"({"metadata":{"name":"team"}})")).ok());
  ASSERT_TRUE(CreateCm("team", "a").ok());
  ASSERT_TRUE(registry_->Delete(*ns_, "", "team").ok());  // Terminating (spec.finalizers)
  c = CreateCm("team", "b");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(c.status().message(),
            "configmaps \"b\" is forbidden: unable to create new content in namespace team "
            "because it is being terminated");
  // Existing content can still be changed and deleted.
  EXPECT_TRUE(
      registry_
          ->Update(*cm_, "team", "a", Parse(*cm_, R"({"metadata":{"name":"a"},"data":{"k":"v"}})"))
          .ok());
  EXPECT_TRUE(registry_->Delete(*cm_, "team", "a").ok());

  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    absl::Status s = registry_->Delete(*ns_, "", name).status();
    if (std::string(name) == "default") {
      EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);  // no object: nothing to delete
    }
    ASSERT_TRUE(
        registry_
            ->Create(*ns_, "", Parse(*ns_, std::string(R"({"metadata":{"name":")") + name + "\"}}"))
            .ok());
    s = registry_->Delete(*ns_, "", name).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << name;
    EXPECT_EQ(s.message(), std::string("namespaces \"") + name +
                               "\" is forbidden: this namespace may not be deleted");
  }
}

TEST_F(AdmissionTest, LimitRangerDefaultsAndBounds) {
  ASSERT_TRUE(registry_
                  ->Create(*lr_, "default", Parse(*lr_, R"({"metadata":{"name":"lr"},
    "spec":{"limits":[{"type":"Container","max":{"cpu":"1"},"min":{"memory":"10Mi"},
      "default":{"cpu":"500m","memory":"64Mi"},"defaultRequest":{"cpu":"100m"},
      "maxLimitRequestRatio":{"cpu":"10"}}]}})"))
                  .ok());
  absl::StatusOr<ObjectPtr> p = CreatePod("plain", "");
  ASSERT_TRUE(p.ok()) << p.status();
  const core::ResourceRequirements& r =
      static_cast<core::Pod&>(**p).spec().containers(0).resources();
  EXPECT_EQ(r.limits().at("cpu").string(), "500m");
  EXPECT_EQ(r.limits().at("memory").string(), "64Mi");
  EXPECT_EQ(r.requests().at("cpu").string(), "100m");
  EXPECT_EQ(r.requests().at("memory").string(), "64Mi");  // defaultRequest from default
  EXPECT_EQ(static_cast<core::Pod&>(**p).metadata().annotations().at("kubernetes.io/limit-ranger"),
            "LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for "
            "container c");

  p = CreatePod("big", R"({"limits":{"cpu":"2"},"requests":{"cpu":"1","memory":"20Mi"}})");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p.status().message(),
            "pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2");

  p = CreatePod("two", R"({"limits":{"cpu":"2","memory":"5Mi"},"requests":{"cpu":"1",
    "memory":"5Mi"}})");
  EXPECT_EQ(p.status().message(),
            "pods \"two\" is forbidden: [minimum memory usage per Container is 10Mi, but "
            "request is 5Mi, maximum cpu usage per Container is 1, but limit is 2]");

  p = CreatePod("ratio", R"({"limits":{"cpu":"1"},"requests":{"cpu":"50m"}})");
  EXPECT_EQ(p.status().message(),
            "pods \"ratio\" is forbidden: cpu max limit to request ratio per Container is 10, "
            "but provided ratio is 20.000000");
}

TEST_F(AdmissionTest, ServiceAccountDefaultsAndOptionallyRequiresTheAccount) {
  absl::StatusOr<ObjectPtr> p = CreatePod("p", "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(static_cast<core::Pod&>(**p).spec().serviceaccountname(), "default");

  std::vector<std::unique_ptr<Plugin>> plugins;
  plugins.push_back(NewServiceAccount({.require_service_account = true}));
  UseChain(std::make_shared<Chain>(std::move(plugins)));
  p = CreatePod("q", "");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p.status().message(),
            "pods \"q\" is forbidden: error looking up service account default/default: "
            "serviceaccount \"default\" not found");
  ASSERT_TRUE(
      registry_->Create(*sa_, "default", Parse(*sa_, R"({"metadata":{"name":"default"}})")).ok());
  EXPECT_TRUE(CreatePod("q", "").ok());
}

TEST_F(AdmissionTest, ResourceQuotaCountsAndCompute) {
  ASSERT_TRUE(registry_
                  ->Create(*rq_, "default", Parse(*rq_, R"({"metadata":{"name":"q"},
    "spec":{"hard":{"pods":"2","requests.cpu":"1","count/configmaps":"1"}}})"))
                  .ok());
  const std::string res = R"({"requests":{"cpu":"400m"}})";
  ASSERT_TRUE(CreatePod("p1", res).ok());
  // A dry run is checked but not charged.
  ASSERT_TRUE(CreatePod("p2", res, /*dry_run=*/true).ok());
  ASSERT_TRUE(CreatePod("p2", res).ok());
  absl::StatusOr<ObjectPtr> q = registry_->Get(*rq_, "default", "q");
  ASSERT_TRUE(q.ok());
  const auto& used = static_cast<core::ResourceQuota&>(**q).status().used();
  EXPECT_EQ(used.at("pods").string(), "2");
  EXPECT_EQ(used.at("requests.cpu").string(), "800m");
  EXPECT_EQ(static_cast<core::ResourceQuota&>(**q).status().hard().at("pods").string(), "2");

  absl::StatusOr<ObjectPtr> p = CreatePod("p3", res);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p.status().message(),
            "pods \"p3\" is forbidden: exceeded quota: q, requested: pods=1,requests.cpu=400m, "
            "used: pods=2,requests.cpu=800m, limited: pods=2,requests.cpu=1");
  p = CreatePod("p4", "");
  EXPECT_EQ(p.status().message(),
            "pods \"p4\" is forbidden: failed quota: q: must specify requests.cpu");

  // A delete gives its usage back.
  ASSERT_TRUE(registry_->Delete(*pod_, "default", "p1").ok());
  q = registry_->Get(*rq_, "default", "q");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(static_cast<core::ResourceQuota&>(**q).status().used().at("pods").string(), "1");
  EXPECT_EQ(static_cast<core::ResourceQuota&>(**q).status().used().at("requests.cpu").string(),
            "400m");
  EXPECT_TRUE(CreatePod("p5", R"({"requests":{"cpu":"100m"}})").ok());

  ASSERT_TRUE(CreateCm("default", "one").ok());
  absl::StatusOr<ObjectPtr> c = CreateCm("default", "two");
  EXPECT_EQ(c.status().message(),
            "configmaps \"two\" is forbidden: exceeded quota: q, requested: count/configmaps=1, "
            "used: count/configmaps=1, limited: count/configmaps=1");
}

TEST_F(AdmissionTest, ConcurrentCreatesNeverOverrunAQuota) {
  ASSERT_TRUE(registry_
                  ->Create(*rq_, "default",
                           Parse(*rq_, R"({"metadata":{"name":"q"},"spec":{"hard":{"pods":"5"}}})"))
                  .ok());
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        if (CreatePod(absl::StrCat("p", t, "-", i), "").ok()) ++admitted;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 5);
  absl::StatusOr<ListResult> pods = registry_->List(*pod_, "default", {});
  ASSERT_TRUE(pods.ok());
  EXPECT_EQ(pods->items.size(), 5u);
  absl::StatusOr<ObjectPtr> q = registry_->Get(*rq_, "default", "q");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(static_cast<core::ResourceQuota&>(**q).status().used().at("pods").string(), "5");
}

TEST(AuthTest, AuthorizerMessages) {
  std::unique_ptr<Authorizer> deny = NewAlwaysDenyAuthorizer();
  AuthzAttributes a;
  a.user.name = "jane";
  a.verb = "list";
  a.resource = "pods";
  a.ns = "default";
  absl::Status s = Authorize(*deny, a);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "pods is forbidden: User \"jane\" cannot list resource \"pods\" in API group \"\" in "
            "the namespace \"default\"");
  a.verb = "get";
  a.api_group = "apps";
  a.resource = "deployments";
  a.subresource = "scale";
  a.name = "web";
  a.ns = "";
  EXPECT_EQ(Authorize(*deny, a).message(),
            "deployments/scale.apps \"web\" is forbidden: User \"jane\" cannot get resource "
            "\"deployments/scale\" in API group \"apps\" at the cluster scope");
  std::vector<std::unique_ptr<Authorizer>> u;
  u.push_back(NewAlwaysAllowAuthorizer());
  u.push_back(NewAlwaysDenyAuthorizer());
  EXPECT_TRUE(Authorize(*NewUnionAuthorizer(std::move(u)), a).ok());
  EXPECT_FALSE(Authorize(*NewUnionAuthorizer({}), a).ok());
  absl::StatusOr<UserInfo> anon = NewAnonymousAuthenticator()->Authenticate({});
  ASSERT_TRUE(anon.ok());
  EXPECT_EQ(anon->name, "system:anonymous");
}

}  // namespace
}  // namespace rudder::apiserver::admission
