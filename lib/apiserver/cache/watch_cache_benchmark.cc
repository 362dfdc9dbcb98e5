// Watch cache figures: a LIST of 10,000 pods through the registry with and without the cache,
// the cache's own list (shared objects, no copies), and one event fanned out to 1,000 watchers.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/cache/watch_cache.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr char kPod[] = R"({"metadata":{"name":"p","labels":{"app":"web","tier":"fe"}},
  "spec":{"containers":[{"name":"c","image":"busybox:1.36","command":["sleep","3600"]}]}})";
constexpr int kPods = 10000;

struct Env {
  explicit Env(bool cached) {
    RegistryOptions o;
    o.watch_cache = cached;
    registry = std::make_unique<Registry>(store.get(), scheme.get(), o);
    for (int i = 0; i < kPods; ++i) {
      ObjectPtr p = kind->New();
      (void)api::DecodeJson(kPod, p.get());
      api::MutableObjectMeta(p.get())->set_name(absl::StrCat("pod-", i));
      (void)registry->Create(*kind, "default", std::move(p));
    }
  }
  std::unique_ptr<store::Store> store = std::move(*store::NewMemoryStore());
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  std::shared_ptr<const api::KindInfo> kind = scheme->ByKind({"", "v1", "Pod"});
  std::unique_ptr<Registry> registry;
};

// Arg 0: uncached (store), 1: cached with resourceVersion "0", 2: cached consistent ("").
void BM_RegistryList10000Pods(benchmark::State& state) {
  Env env(state.range(0) != 0);
  ListOptions o;
  o.resource_version = state.range(0) == 1 ? "0" : "";
  for (auto _ : state) {
    auto r = env.registry->List(*env.kind, "default", o);
    if (!r.ok() || r->items.size() != kPods) state.SkipWithError("list failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * kPods);
}
BENCHMARK(BM_RegistryList10000Pods)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

absl::StatusOr<cache::ObjectRef> DecodePod(const store::KeyValue& kv) {
  auto pod = std::make_shared<api::core::v1::Pod>();
  if (!pod->ParseFromString(kv.value)) return absl::DataLossError("corrupt");
  pod->mutable_metadata()->set_resourceversion(absl::StrCat(kv.mod_revision));
  return cache::ObjectRef(std::move(pod));
}

std::string PodValue(int i) {
  api::core::v1::Pod p;
  (void)api::DecodeJson(kPod, &p);
  p.mutable_metadata()->set_name(absl::StrCat("pod-", i));
  p.mutable_metadata()->set_namespace_("default");
  return p.SerializeAsString();
}

// The cache's own list: shared objects, no copy per item. Arg: label-selected or not.
void BM_CacheList10000Pods(benchmark::State& state) {
  auto store = std::move(*store::NewMemoryStore());
  for (int i = 0; i < kPods; ++i) {
    (void)store->Put(absl::StrCat("/registry/core/pods/default/pod-", i), PodValue(i));
  }
  auto c = std::move(*cache::WatchCache::Start(store.get(), "/registry/core/pods/", DecodePod));
  cache::CacheListOptions o;
  o.resource_version = 0;
  if (state.range(0)) {
    o.filter = [](const google::protobuf::Message& m) {
      const auto& l = static_cast<const api::core::v1::Pod&>(m).metadata().labels();
      auto it = l.find("app");
      return it != l.end() && it->second == "web";
    };
  }
  for (auto _ : state) {
    auto r = c->List(o);
    if (!r.ok() || r->items.size() != kPods) state.SkipWithError("list failed");
    if (state.range(0) == 2) {  // plus a private copy of every object
      std::vector<std::unique_ptr<google::protobuf::Message>> copies;
      copies.reserve(r->items.size());
      for (const auto& i : r->items) {
        copies.emplace_back(i.object->New());
        copies.back()->CopyFrom(*i.object);
      }
      benchmark::DoNotOptimize(copies);
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * kPods);
}
// Arg 0: all; 1: with a label selector; 2: all, each object copied (what Registry::List returns).
BENCHMARK(BM_CacheList10000Pods)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// One pod update delivered to N cache watchers (one store watch); each watcher reads it.
void BM_WatchFanOut(benchmark::State& state) {
  const int watchers = static_cast<int>(state.range(0));
  auto store = std::move(*store::NewMemoryStore());
  (void)store->Put("/registry/core/pods/default/pod-0", PodValue(0));
  cache::CacheOptions co;
  co.watcher_buffer = 1 << 16;
  auto c = std::move(*cache::WatchCache::Start(store.get(), "/registry/core/pods/", DecodePod, co));
  std::vector<std::unique_ptr<cache::CacheWatcher>> ws;
  for (int i = 0; i < watchers; ++i) ws.push_back(std::move(*c->Watch({})));
  const std::string value = PodValue(0);
  for (auto _ : state) {
    (void)store->Put("/registry/core/pods/default/pod-0", value);
    for (auto& w : ws) {
      std::optional<cache::CacheEvent> e;
      do {
        e = w->Next(absl::Seconds(10));
      } while (e.has_value() && e->type == cache::CacheEvent::Type::kBookmark);
      if (!e.has_value()) state.SkipWithError("no event");
      benchmark::DoNotOptimize(e);
    }
  }
  state.SetItemsProcessed(state.iterations() * watchers);
}
BENCHMARK(BM_WatchFanOut)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace rudder::apiserver
