// The cost of admission on the registry's create path (memory store): pods created in a
// namespace with no chain, with the default chain (NamespaceLifecycle, LimitRanger,
// ServiceAccount, ResourceQuota) and no policies, and with a LimitRange and a ResourceQuota
// (every create then also charges the quota's status).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver::admission {
namespace {

constexpr char kPod[] = R"({"metadata":{"name":"p","labels":{"app":"web"}},
  "spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}})";

struct Env {
  explicit Env(bool chain) {
    RegistryOptions o;
    if (chain) o.admission = NewDefaultChain();
    registry = std::make_unique<Registry>(store.get(), scheme.get(), o);
    auto ns = scheme->ByKind({"", "v1", "Namespace"});
    (void)registry->Create(*ns, "", Parse(ns, R"({"metadata":{"name":"team"}})"));
  }
  ObjectPtr Parse(const std::shared_ptr<const api::KindInfo>& kind, const char* json) {
    ObjectPtr o = kind->New();
    (void)api::DecodeJson(json, o.get());
    return o;
  }
  void Policies() {
    (void)registry->Create(*scheme->ByKind({"", "v1", "LimitRange"}), "team",
                           Parse(scheme->ByKind({"", "v1", "LimitRange"}),
                                 R"({"metadata":{"name":"lr"},"spec":{"limits":[
        {"type":"Container","default":{"cpu":"500m","memory":"64Mi"},
         "defaultRequest":{"cpu":"100m","memory":"32Mi"},"max":{"cpu":"2"}}]}})"));
    (void)registry->Create(*scheme->ByKind({"", "v1", "ResourceQuota"}), "team",
                           Parse(scheme->ByKind({"", "v1", "ResourceQuota"}),
                                 R"({"metadata":{"name":"q"},"spec":{"hard":{
        "pods":"1000000000","requests.cpu":"1000000","limits.memory":"1000Ti"}}})"));
  }
  std::unique_ptr<store::Store> store = std::move(*store::NewMemoryStore());
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  std::unique_ptr<Registry> registry;
  std::shared_ptr<const api::KindInfo> pod = scheme->ByKind({"", "v1", "Pod"});
};

// Arg 0: no chain; 1: default chain; 2: default chain with a LimitRange and a ResourceQuota.
void BM_CreatePod(benchmark::State& state) {
  Env env(state.range(0) > 0);
  if (state.range(0) == 2) env.Policies();
  int64_t i = 0;
  for (auto _ : state) {
    ObjectPtr o = env.Parse(env.pod, kPod);
    api::MutableObjectMeta(o.get())->set_name(absl::StrCat("p", i++));
    auto r = env.registry->Create(*env.pod, "team", std::move(o));
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CreatePod)->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace rudder::apiserver::admission
