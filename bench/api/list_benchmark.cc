// LIST of 10,000 pods served from the watch cache:
//  - over real HTTP (a cpp-httplib client against the REST server on 127.0.0.1; the body is
//    read, not decoded), as JSON and as a Table (kubectl get), with and without gzip;
//  - in process: the registry's list plus the JSON list body as the REST handler builds it;
//  - memory: bytes per cached pod in the watch cache (heap growth measured with mallinfo2).
//
//   bazel run -c opt //bench/api:list_benchmark -- --benchmark_min_time=0.5
#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmark/benchmark.h"
#include "httplib.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/apiserver/rest/internal/list_body.h"
#include "lib/apiserver/rest/server.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

constexpr int kPods = 10000;
constexpr char kNamespace[] = "list";

// A scheduled pod with one container (about 1.5 KB of JSON).
constexpr char kPod[] =
    R"({"metadata":{"labels":{"app":"web","pod-template-hash":"7d4b9c8f6d"},
    "annotations":{"prometheus.io/scrape":"true"}},
    "spec":{"containers":[{"name":"web","image":"nginx:1.25","args":["--port","8080"],
    "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
    "env":[{"name":"A","value":"1"}],
    "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"64Mi"}},
    "readinessProbe":{"tcpSocket":{"port":8080},"periodSeconds":10},
    "imagePullPolicy":"IfNotPresent"}],
    "restartPolicy":"Always","terminationGracePeriodSeconds":30,"nodeName":"node-17",
    "serviceAccountName":"web","schedulerName":"default-scheduler",
    "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]},
    "status":{"phase":"Running","podIP":"10.0.0.1","hostIP":"192.168.0.17",
    "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}],
    "containerStatuses":[{"name":"web","ready":true,"restartCount":0,"image":"nginx:1.25",
    "imageID":"docker.io/library/nginx@sha256:0123456789abcdef","started":true,
    "state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}}]}})";

// The store with 10,000 pods, a registry over it, and a REST server over it; made once.
struct Env {
  Env() {
    store = std::move(*store::NewMemoryStore());
    scheme = api::NewBuiltinScheme();
    kind = scheme->ByKind({"", "v1", "Pod"});
    registry = std::make_unique<Registry>(store.get(), scheme.get());
    for (int i = 0; i < kPods; ++i) {
      ObjectPtr p = kind->New();
      if (!api::DecodeJson(kPod, p.get()).ok()) std::abort();
      api::MutableObjectMeta(p.get())->set_name(absl::StrCat("web-", i));
      if (!registry->Create(*kind, kNamespace, std::move(p)).ok()) std::abort();
    }
    // Start the registry's watch cache and make its encodings (the state after a first LIST).
    ListOptions lo;
    lo.share_cached_objects = true;
    absl::StatusOr<ListResult> first = registry->List(*kind, kNamespace, lo);
    if (!first.ok() || first->shared_values.size() != kPods) std::abort();
    for (const cache::ValueRef& v : first->shared_values) (void)v->Encoded();
    ApiServerOptions o;
    o.store = store.get();
    o.scheme = scheme.get();
    absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o);
    if (!s.ok()) std::abort();
    server = std::move(*s);
  }
  std::unique_ptr<store::Store> store;
  std::unique_ptr<api::Scheme> scheme;
  std::shared_ptr<const api::KindInfo> kind;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<ApiServer> server;
};

Env& GetEnv() {
  static Env* env = new Env();  // lives until exit
  return *env;
}

// Arg 0: JSON; 1: JSON, gzip accepted; 2: Table (kubectl get's Accept); 3: JSON on a kept-alive
// connection as lib/client's REST transport makes them.
void BM_HttpList10kPods(benchmark::State& state) {
  Env& env = GetEnv();
  httplib::Client client("127.0.0.1", env.server->port());
  client.set_read_timeout(60, 0);
  client.set_decompress(true);
  httplib::Headers headers;
  const int mode = static_cast<int>(state.range(0));
  if (mode == 3) {
    // As lib/client's REST transport connects: kept alive, TCP_NODELAY, no Accept-Encoding.
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    client.set_decompress(false);
  } else {
    headers.emplace("Accept-Encoding", mode == 1 ? "gzip" : "identity");
  }
  if (mode == 2) {
    headers.emplace("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  }
  std::string label = mode == 0   ? "json"
                      : mode == 1 ? "json,gzip accepted"
                      : mode == 2 ? "table"
                                  : "json,keep-alive";
  const std::string path = absl::StrCat("/api/v1/namespaces/", kNamespace, "/pods");
  size_t bytes = 0;
  std::string encoding;
  if (!client.Get(path, headers)) return state.SkipWithError("LIST failed");  // warm
  for (auto _ : state) {
    httplib::Result r = client.Get(path, headers);
    if (!r || r->status != 200) return state.SkipWithError("LIST failed");
    bytes = r->body.size();
    encoding = r->get_header_value("Content-Encoding");
  }
  state.SetLabel(absl::StrCat(label, ", sent ", encoding.empty() ? "identity" : encoding));
  state.counters["body_MB"] = static_cast<double>(bytes) / 1e6;
  state.SetItemsProcessed(state.iterations() * kPods);
}
BENCHMARK(BM_HttpList10kPods)->DenseRange(0, 3)->UseRealTime()->Unit(benchmark::kMillisecond);

// The registry's list (each object copied out of the cache) and every item encoded again and
// joined into one body: what the REST handler did for each LIST before the shared encodings.
void BM_InProcessList10kPodsCopyEncode(benchmark::State& state) {
  Env& env = GetEnv();
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<ListResult> list = env.registry->List(*env.kind, kNamespace, {});
    if (!list.ok()) return state.SkipWithError(list.status().ToString().c_str());
    std::vector<std::string> items;
    items.reserve(list->items.size());
    for (const ObjectPtr& obj : list->items) {
      absl::StatusOr<std::string> json = api::EncodeJson(*obj);
      if (!json.ok()) return state.SkipWithError("encode failed");
      items.push_back(std::move(*json));
    }
    std::string body =
        absl::StrCat(R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[)",
                     absl::StrJoin(items, ","), "]}");
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_MB"] = static_cast<double>(bytes) / 1e6;
  state.SetItemsProcessed(state.iterations() * kPods);
}
BENCHMARK(BM_InProcessList10kPodsCopyEncode)->Unit(benchmark::kMillisecond);

// The REST handler's work for a LIST: the registry's page of the cache's shared objects, each
// item's JSON made once per object version (reused after the first LIST), the body assembled
// from views of those bytes and written in 256 KB batches.
void BM_InProcessList10kPodsShared(benchmark::State& state) {
  Env& env = GetEnv();
  const std::string type_meta = rest_internal::TypeMetaPrefix("v1", "Pod");
  size_t bytes = 0;
  std::string batch;
  for (auto _ : state) {
    ListOptions o;
    o.share_cached_objects = true;
    absl::StatusOr<ListResult> list = env.registry->List(*env.kind, kNamespace, o);
    if (!list.ok()) return state.SkipWithError(list.status().ToString().c_str());
    if (list->shared_values.size() != kPods) return state.SkipWithError("not served by the cache");
    rest_internal::JsonListBody body(
        R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[)", "]}");
    for (const cache::ValueRef& v : list->shared_values) {
      const absl::StatusOr<std::string>& json = v->Encoded();
      if (!json.ok()) return state.SkipWithError("encode failed");
      body.AddView(rest_internal::AfterTypeMeta(*json, type_meta), /*open_brace=*/true);
    }
    bytes = 0;
    while (true) {
      batch.clear();
      if (!body.Next(256 * 1024, &batch)) break;
      bytes += batch.size();
      benchmark::DoNotOptimize(batch.data());
    }
  }
  state.counters["body_MB"] = static_cast<double>(bytes) / 1e6;
  state.SetItemsProcessed(state.iterations() * kPods);
}
BENCHMARK(BM_InProcessList10kPodsShared)->Unit(benchmark::kMillisecond);

size_t HeapInUse() { return mallinfo2().uordblks; }

// A new registry's watch cache of the 10,000 pods: heap bytes per cached pod once the cache
// holds the decoded objects (bytes_per_pod_objects) and after a LIST has been served from it
// (bytes_per_pod_after_list: what serving leaves behind in the cache).
void BM_CacheMemoryPerPod(benchmark::State& state) {
  Env& env = GetEnv();
  double objects = 0, after_list = 0, json = 0;
  for (auto _ : state) {
    auto registry = std::make_unique<Registry>(env.store.get(), env.scheme.get());
    ListOptions one;
    one.limit = 1;
    size_t m0 = HeapInUse();
    if (!registry->List(*env.kind, kNamespace, one).ok()) return state.SkipWithError("list");
    size_t m1 = HeapInUse();
    {
      // What a REST LIST leaves in the cache: every object's JSON.
      ListOptions o;
      o.share_cached_objects = true;
      absl::StatusOr<ListResult> all = registry->List(*env.kind, kNamespace, o);
      if (!all.ok()) return state.SkipWithError("list");
      json = 0;
      for (const cache::ValueRef& v : all->shared_values) {
        if (!v->Encoded().ok()) return state.SkipWithError("encode");
        json += static_cast<double>(v->Encoded()->capacity()) / kPods;
      }
    }
    size_t m2 = HeapInUse();
    objects = (static_cast<double>(m1) - static_cast<double>(m0)) / kPods;
    after_list = (static_cast<double>(m2) - static_cast<double>(m0)) / kPods;
  }
  state.counters["bytes_per_pod_objects"] = objects;
  state.counters["bytes_per_pod_after_list"] = after_list;
  state.counters["json_bytes_per_pod"] = json;
}
BENCHMARK(BM_CacheMemoryPerPod)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::apiserver
