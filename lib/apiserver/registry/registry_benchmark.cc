// Registry hot paths on the memory store: create, get, update and a 1000-object list.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr char kDeploy[] = R"({"metadata":{"name":"web","labels":{"app":"web"}},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}})";

struct Env {
  std::unique_ptr<store::Store> store = std::move(*store::NewMemoryStore());
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  Registry registry{store.get(), scheme.get()};
  std::shared_ptr<const api::KindInfo> kind = scheme->ByKind({"apps", "v1", "Deployment"});
  ObjectPtr Make(const std::string& name) {
    ObjectPtr o = kind->New();
    (void)api::DecodeJson(kDeploy, o.get());
    api::MutableObjectMeta(o.get())->set_name(name);
    return o;
  }
};

void BM_Create(benchmark::State& state) {
  Env env;
  int64_t i = 0;
  for (auto _ : state) {
    auto r = env.registry.Create(*env.kind, "default", env.Make(absl::StrCat("d", i++)));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Create);

void BM_Get(benchmark::State& state) {
  Env env;
  (void)env.registry.Create(*env.kind, "default", env.Make("web"));
  for (auto _ : state) {
    auto r = env.registry.Get(*env.kind, "default", "web");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Get);

void BM_UpdateSpec(benchmark::State& state) {
  Env env;
  auto cur = env.registry.Create(*env.kind, "default", env.Make("web"));
  int32_t n = 0;
  for (auto _ : state) {
    ObjectPtr next((*cur)->New());
    next->CopyFrom(**cur);
    api::MutableObjectMeta(next.get())->clear_resourceversion();
    (*api::MutableObjectMeta(next.get())->mutable_annotations())["n"] = absl::StrCat(n++);
    cur = env.registry.Update(*env.kind, "default", "web", std::move(next));
  }
}
BENCHMARK(BM_UpdateSpec);

void BM_List1000(benchmark::State& state) {
  Env env;
  for (int i = 0; i < 1000; ++i) {
    (void)env.registry.Create(*env.kind, "default", env.Make(absl::StrCat("d", i)));
  }
  ListOptions o;
  o.label_selector = state.range(0) ? "app=web" : "";
  for (auto _ : state) {
    auto r = env.registry.List(*env.kind, "default", o);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_List1000)->Arg(0)->Arg(1);

}  // namespace
}  // namespace rudder::apiserver
