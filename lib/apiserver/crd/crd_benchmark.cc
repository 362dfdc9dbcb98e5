// Custom objects through the registry: create (decode, prune, default, validate, store) and
// get + encode, over the memory store.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/crd/crd.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver::crd {
namespace {

constexpr char kCrd[] = R"({"metadata":{"name":"crontabs.stable.example.com"},
  "spec":{"group":"stable.example.com","scope":"Namespaced",
    "names":{"plural":"crontabs","kind":"CronTab"},
    "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
      "schema":{"openAPIV3Schema":{"type":"object","properties":{
        "spec":{"type":"object","required":["cronSpec"],"properties":{
          "cronSpec":{"type":"string","pattern":"^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"},
          "image":{"type":"string","default":"busybox"},
          "replicas":{"type":"integer","minimum":1,"maximum":10,"default":1},
          "labels":{"type":"object","additionalProperties":{"type":"string"}}}},
        "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}]}})";

struct Fixture {
  Fixture() {
    store = std::move(*store::NewMemoryStore());
    scheme = api::NewBuiltinScheme();
    RegistryOptions o;
    o.watch_cache = false;
    registry = std::make_unique<Registry>(store.get(), scheme.get(), o);
    auto crd_kind = scheme->ByKind({"apiextensions.k8s.io", "v1", "CustomResourceDefinition"});
    ObjectPtr crd = crd_kind->New();
    (void)api::DecodeJson(kCrd, crd.get());
    (void)registry->Create(*crd_kind, "", std::move(crd));
    controller = std::make_unique<CrdController>(registry.get());
    (void)controller->Sync("crontabs.stable.example.com");
    kind = scheme->ByKind({"stable.example.com", "v1", "CronTab"});
  }
  std::unique_ptr<store::Store> store;
  std::unique_ptr<api::Scheme> scheme;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<CrdController> controller;
  std::shared_ptr<const api::KindInfo> kind;
};

std::string Body(int i) {
  return absl::StrCat(R"({"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{)",
                      R"("name":"c)", i, R"(","labels":{"app":"web"}},"spec":{)",
                      R"("cronSpec":"*/5 * * * *","replicas":3,"labels":{"a":"b","c":"d"},)",
                      R"("dropped":true}})");
}

void BM_CreateCustomObject(benchmark::State& state) {
  Fixture f;
  int i = 0;
  for (auto _ : state) {
    ObjectPtr obj = f.kind->New();
    (void)api::DecodeJson(Body(i++), obj.get());
    absl::StatusOr<ObjectPtr> r = f.registry->Create(*f.kind, "default", std::move(obj));
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
  }
}
BENCHMARK(BM_CreateCustomObject);

void BM_GetAndEncodeCustomObject(benchmark::State& state) {
  Fixture f;
  ObjectPtr obj = f.kind->New();
  (void)api::DecodeJson(Body(0), obj.get());
  (void)f.registry->Create(*f.kind, "default", std::move(obj));
  api::JsonEncodeOptions enc{.api_version = "stable.example.com/v1", .kind = "CronTab"};
  for (auto _ : state) {
    absl::StatusOr<ObjectPtr> r = f.registry->Get(*f.kind, "default", "c0");
    absl::StatusOr<std::string> json = api::EncodeJson(**r, enc);
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_GetAndEncodeCustomObject);

}  // namespace
}  // namespace rudder::apiserver::crd
