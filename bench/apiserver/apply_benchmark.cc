// Server-side apply of a Deployment, per operation:
//  - ApplyAlgorithm: lib/api/apply alone (field set, merge, removal, conflicts) on JSON;
//  - RegistryApply: Registry::Patch with PatchType::kApply on the memory store (decode, apply,
//    encode managedFields, defaulting, validation, store write), alternating two replica counts
//    so that every operation writes;
//  - RegistryUpdate/{0,1}: a plain update without (0) and with (1) a field manager, i.e. the
//    cost of recording managedFields on ordinary writes.
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "lib/api/apply/apply.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"
#include "rapidjson/document.h"

namespace rudder::apiserver {
namespace {

std::string Config(int replicas) {
  return R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web","labels":{"app":"web","tier":"front"}},
  "spec":{"replicas":)" +
         std::to_string(replicas) + R"(,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[
        {"name":"app","image":"registry.example/app:1.2.3","args":["--port=8080","--v=2"],
         "ports":[{"containerPort":8080,"name":"http"}],
         "env":[{"name":"MODE","value":"prod"},{"name":"LOG","value":"json"}],
         "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}}},
        {"name":"sidecar","image":"registry.example/proxy:2.0",
         "ports":[{"containerPort":15001}]}]}}}})";
}

void BM_ApplyAlgorithm(benchmark::State& state) {
  std::unique_ptr<api::apply::Schema> schema =
      api::apply::Schema::ForMessage(api::apps::v1::Deployment::descriptor());
  rapidjson::Document c1, c2;
  c1.Parse(Config(2).c_str());
  c2.Parse(Config(3).c_str());
  api::apply::WriteOptions o;
  o.manager = "kubectl";
  o.api_version = "apps/v1";
  o.now = absl::FromUnixSeconds(1700000000);
  absl::StatusOr<api::apply::ApplyResult> first = api::apply::Apply(*schema, nullptr, c1, {}, o);
  if (!first.ok()) return state.SkipWithError("first apply failed");
  for (auto _ : state) {
    auto r = api::apply::Apply(*schema, &first->object, c2, first->managers, o);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ApplyAlgorithm);

struct Env {
  std::unique_ptr<store::Store> store = std::move(*store::NewMemoryStore());
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  Registry registry{store.get(), scheme.get()};
  std::shared_ptr<const api::KindInfo> kind = scheme->ByKind({"apps", "v1", "Deployment"});
};

void BM_RegistryApply(benchmark::State& state) {
  Env env;
  WriteOptions wo;
  wo.field_manager = "kubectl";
  const std::string a = Config(2), b = Config(3);
  if (!env.registry
           .Patch(*env.kind, "default", "web", PatchType::kApply, a, false,
                  api::FieldValidation::kStrict, wo)
           .ok()) {
    return state.SkipWithError("first apply failed");
  }
  int64_t i = 0;
  for (auto _ : state) {
    auto r = env.registry.Patch(*env.kind, "default", "web", PatchType::kApply, (i++ & 1) ? a : b,
                                false, api::FieldValidation::kStrict, wo);
    if (!r.ok()) return state.SkipWithError(std::string(r.status().message()).c_str());
  }
}
BENCHMARK(BM_RegistryApply);

void BM_RegistryUpdate(benchmark::State& state) {
  Env env;
  WriteOptions wo;
  if (state.range(0) == 1) wo.field_manager = "kubectl-edit";
  ObjectPtr obj = env.kind->New();
  (void)api::DecodeJson(Config(2), obj.get());
  if (!env.registry.Create(*env.kind, "default", std::move(obj), wo).ok()) {
    return state.SkipWithError("create failed");
  }
  int64_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<ObjectPtr> cur = env.registry.Get(*env.kind, "default", "web");
    if (!cur.ok()) return state.SkipWithError("get failed");
    static_cast<api::apps::v1::Deployment&>(**cur).mutable_spec()->set_replicas(2 + (i++ & 1));
    auto r = env.registry.Update(*env.kind, "default", "web", std::move(*cur), false, wo);
    if (!r.ok()) return state.SkipWithError(std::string(r.status().message()).c_str());
  }
}
BENCHMARK(BM_RegistryUpdate)->Arg(0)->Arg(1);

}  // namespace
}  // namespace rudder::apiserver
