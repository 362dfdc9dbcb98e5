// Informer benchmarks: memory per cached Pod, event dispatch to 10 handlers, list and sync of
// 10,000 pods.
//   bazel run -c opt //bench/client:informer_benchmark -- --benchmark_min_time=0.1
//
// Memory is measured with glibc's mallinfo2(): heap bytes in use after the informer has synced,
// minus before, divided by the number of pods; compared with the Pod's protobuf size.
#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "bench/fixtures/pod.h"
#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/client/informer/shared_informer.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::client {
namespace {

using api::core::v1::ConfigMap;
using api::core::v1::Pod;

// A running pod as the API server returns it.
constexpr const char* kPodJson = bench::kRunningPodJson;

// The managedFields entries a pod typically carries (kube-controller-manager's create and the
// kubelet's status updates), as fieldsV1 JSON.
constexpr char kControllerFields[] =
    R"({"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{},"f:tier":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:args":{},"f:env":{".":{},"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"POD\"}":{".":{},"f:name":{},"f:valueFrom":{".":{},"f:fieldRef":{}}}},"f:image":{},"f:imagePullPolicy":{},"f:livenessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},"f:port":{},"f:scheme":{}},"f:initialDelaySeconds":{},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSeconds":{}},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},"f:readinessProbe":{".":{},"f:failureThreshold":{},"f:periodSeconds":{},"f:successThreshold":{},"f:tcpSocket":{".":{},"f:port":{}},"f:timeoutSeconds":{}},"f:resources":{".":{},"f:limits":{".":{},"f:cpu":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:securityContext":{".":{},"f:allowPrivilegeEscalation":{},"f:capabilities":{".":{},"f:drop":{}},"f:readOnlyRootFilesystem":{}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{},"f:volumeMounts":{".":{},"k:{\"mountPath\":\"/data\"}":{".":{},"f:mountPath":{},"f:name":{}}}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{".":{},"f:fsGroup":{},"f:runAsNonRoot":{},"f:runAsUser":{}},"f:serviceAccount":{},"f:serviceAccountName":{},"f:terminationGracePeriodSeconds":{},"f:volumes":{".":{},"k:{\"name\":\"cfg\"}":{".":{},"f:configMap":{".":{},"f:defaultMode":{},"f:items":{},"f:name":{}},"f:name":{}},"k:{\"name\":\"data\"}":{".":{},"f:emptyDir":{".":{},"f:sizeLimit":{}},"f:name":{}}}}})";
constexpr char kKubeletFields[] =
    R"({"f:status":{"f:conditions":{"k:{\"type\":\"ContainersReady\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Initialized\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Ready\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:hostIPs":{},"f:phase":{},"f:podIP":{},"f:podIPs":{".":{},"k:{\"ip\":\"10.244.3.21\"}":{".":{},"f:ip":{}}},"f:startTime":{}}})";

Pod MakePod(int i, bool managed_fields) {
  static const Pod* base = [] {
    auto* p = new Pod;
    absl::StatusOr<api::JsonDecodeResult> r =
        api::DecodeJson(absl::StrReplaceAll(kPodJson, {{"\n", ""}}), p);
    if (!r.ok()) {
      fprintf(stderr, "benchmark pod does not decode: %s\n", r.status().ToString().c_str());
      abort();
    }
    return p;
  }();
  Pod p = *base;
  p.mutable_metadata()->set_name(absl::StrCat("web-7d4b9c8f6d-", i));
  p.mutable_metadata()->set_uid(absl::StrCat("5f0c6d4e-1a2b-4c3d-9e8f-", 100000000000 + i));
  if (managed_fields) {
    auto* m = p.mutable_metadata()->add_managedfields();
    m->set_manager("kube-controller-manager");
    m->set_operation("Update");
    m->set_apiversion("v1");
    m->set_fieldstype("FieldsV1");
    m->mutable_fieldsv1()->set_raw(kControllerFields);
    m = p.mutable_metadata()->add_managedfields();
    m->set_manager("kubelet");
    m->set_operation("Update");
    m->set_apiversion("v1");
    m->set_fieldstype("FieldsV1");
    m->set_subresource("status");
    m->mutable_fieldsv1()->set_raw(kKubeletFields);
  }
  return p;
}

size_t HeapInUse() { return mallinfo2().uordblks; }

// An API server in this process holding `n` pods.
struct Cluster {
  explicit Cluster(int n, bool managed_fields) {
    store = *store::NewMemoryStore();
    scheme = api::NewBuiltinScheme();
    registry = std::make_unique<apiserver::Registry>(store.get(), scheme.get());
    client = NewInProcessClient(registry.get());
    TypedClient<Pod> pods(client.get());
    for (int i = 0; i < n; ++i) {
      absl::StatusOr<std::unique_ptr<Pod>> p = pods.Create(MakePod(i, managed_fields));
      if (!p.ok()) {
        fprintf(stderr, "create: %s\n", p.status().ToString().c_str());
        abort();
      }
    }
    kind = *KindFor(*scheme, Pod::descriptor());
    // Warm the API server's watch cache, so only the informer's memory is measured.
    (void)client->List(*kind, "", {});
  }
  std::unique_ptr<store::Store> store;
  std::unique_ptr<api::Scheme> scheme;
  std::unique_ptr<apiserver::Registry> registry;
  std::unique_ptr<Client> client;
  std::shared_ptr<const api::KindInfo> kind;
};

// Forwards List and Watch to an in-process client without sharing its cached objects: the
// informer decodes a copy of each, as over a remote transport.
class CopyingClient : public Client {
 public:
  explicit CopyingClient(Client* inner) : inner_(inner) {}
  api::Scheme& scheme() const override { return inner_->scheme(); }
  absl::StatusOr<ObjectPtr> Create(const api::KindInfo&, const std::string&, ObjectPtr,
                                   const WriteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ObjectPtr> Get(const api::KindInfo&, const std::string&,
                                const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ListResult> List(const api::KindInfo& k, const std::string& ns,
                                  const ListOptions& o) override {
    return inner_->List(k, ns, o);
  }
  absl::StatusOr<ObjectPtr> Update(const api::KindInfo&, const std::string&, ObjectPtr, bool,
                                   const WriteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ObjectPtr> Patch(const api::KindInfo&, const std::string&, const std::string&,
                                  PatchType, const std::string&, bool,
                                  const WriteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ObjectPtr> Delete(const api::KindInfo&, const std::string&, const std::string&,
                                   const DeleteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const api::KindInfo& k,
                                                       const std::string& ns,
                                                       const WatchOptions& o) override {
    return inner_->Watch(k, ns, o);
  }
  absl::StatusOr<std::unique_ptr<Scale>> GetScale(const api::KindInfo&, const std::string&,
                                                  const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::unique_ptr<Scale>> UpdateScale(const api::KindInfo&, const std::string&,
                                                     const std::string&, const Scale&) override {
    return absl::UnimplementedError("");
  }

 private:
  Client* inner_;
};

// Heap bytes per pod held by a synced informer of 10,000 pods (first arg 0: plain pods; 1:
// pods with managedFields; 2: with managedFields, stripped by the informer's transform. Second
// arg 1: over the in-process client, which shares the API server's cached objects; 0: through
// a client that does not, so the informer holds its own decoded copy of each pod).
void BM_InformerMemoryPerPod(benchmark::State& state) {
  constexpr int kPods = 10000;
  const bool managed = state.range(0) >= 1;
  const bool strip = state.range(0) == 2;
  const bool share = state.range(1) == 1;
  Cluster cluster(kPods, managed);
  CopyingClient copying(cluster.client.get());
  Client* client = share ? cluster.client.get() : &copying;
  for (auto _ : state) {
    malloc_trim(0);
    size_t before = HeapInUse();
    std::unique_ptr<SharedIndexInformer> inf = *NewSharedIndexInformer(
        client, cluster.kind, InformerOptions{.watch_timeout = absl::ZeroDuration()});
    if (strip) (void)inf->SetTransform(StripManagedFields);
    inf->Start();
    inf->WaitForCacheSync(absl::InfiniteFuture());
    size_t after = HeapInUse();
    if (inf->GetIndexer().Size() != kPods) state.SkipWithError("informer did not sync");
    Pod sample = MakePod(0, managed);
    if (strip) StripManagedFields(&sample);
    double per_pod = static_cast<double>(after - before) / kPods;
    state.counters["heap_bytes_per_pod"] = per_pod;
    state.counters["proto_bytes_per_pod"] = sample.ByteSizeLong();
    state.counters["heap_to_proto"] = per_pod / sample.ByteSizeLong();
    state.counters["json_bytes_per_pod"] =
        api::EncodeJson(MakePod(0, managed), {"v1", "Pod"})->size();
    inf->Stop();
  }
}
BENCHMARK(BM_InformerMemoryPerPod)
    ->ArgsProduct({{0, 1, 2}, {0, 1}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Heap bytes per pod of the bare cache: pods decoded from protobuf into an Indexer.
void BM_IndexerMemoryPerPod(benchmark::State& state) {
  constexpr int kPods = 10000;
  std::vector<std::string> wire;
  for (int i = 0; i < kPods; ++i) wire.push_back(MakePod(i, false).SerializeAsString());
  for (auto _ : state) {
    malloc_trim(0);
    size_t before = HeapInUse();
    std::unique_ptr<Indexer> idx = NewIndexer();
    for (const std::string& w : wire) {
      auto p = std::make_shared<Pod>();
      p->ParseFromString(w);
      idx->Add(std::move(p));
    }
    size_t after = HeapInUse();
    double per_pod = static_cast<double>(after - before) / kPods;
    state.counters["heap_bytes_per_pod"] = per_pod;
    state.counters["proto_bytes_per_pod"] = wire[0].size();
    state.counters["heap_to_proto"] = per_pod / wire[0].size();
    idx.reset();
    // The pods alone, in a vector: the cache's own share is the difference.
    malloc_trim(0);
    before = HeapInUse();
    std::vector<std::unique_ptr<Pod>> bare;
    bare.reserve(kPods);
    for (const std::string& w : wire) {
      bare.push_back(std::make_unique<Pod>());
      bare.back()->ParseFromString(w);
    }
    state.counters["bare_pod_heap_bytes"] = static_cast<double>(HeapInUse() - before) / kPods;
  }
}
BENCHMARK(BM_IndexerMemoryPerPod)->Iterations(1)->Unit(benchmark::kMillisecond);

// The same, each pod on its own protobuf Arena whose first block is sized from the pod's
// SpaceUsedLong() (arg: percent of that estimate).
void BM_IndexerMemoryPerPodArena(benchmark::State& state) {
  constexpr int kPods = 10000;
  std::vector<std::string> wire;
  for (int i = 0; i < kPods; ++i) wire.push_back(MakePod(i, false).SerializeAsString());
  Pod sample;
  sample.ParseFromString(wire[0]);
  size_t estimate = sample.SpaceUsedLong() * state.range(0) / 100;
  for (auto _ : state) {
    malloc_trim(0);
    size_t before = HeapInUse();
    std::unique_ptr<Indexer> idx = NewIndexer();
    for (const std::string& w : wire) {
      google::protobuf::ArenaOptions ao;
      ao.start_block_size = estimate;
      ao.max_block_size = estimate;
      auto arena = std::make_shared<google::protobuf::Arena>(ao);
      Pod* p = google::protobuf::Arena::CreateMessage<Pod>(arena.get());
      p->ParseFromString(w);
      idx->Add(ObjectRef(arena, p));
    }
    size_t after = HeapInUse();
    double per_pod = static_cast<double>(after - before) / kPods;
    state.counters["heap_bytes_per_pod"] = per_pod;
    state.counters["space_used_estimate"] = sample.SpaceUsedLong();
    state.counters["heap_to_proto"] = per_pod / wire[0].size();
  }
}
BENCHMARK(BM_IndexerMemoryPerPodArena)
    ->Arg(50)
    ->Arg(100)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// List and sync of 10,000 pods from an in-process API server (pages of 500).
void BM_ListAndSync10kPods(benchmark::State& state) {
  constexpr int kPods = 10000;
  Cluster cluster(kPods, /*managed_fields=*/false);
  for (auto _ : state) {
    std::unique_ptr<SharedIndexInformer> inf = *NewSharedIndexInformer(
        cluster.client.get(), cluster.kind, InformerOptions{.watch_timeout = absl::ZeroDuration()});
    inf->Start();
    inf->WaitForCacheSync(absl::InfiniteFuture());
    if (inf->GetIndexer().Size() != kPods) state.SkipWithError("informer did not sync");
    state.PauseTiming();
    inf.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kPods);
}
BENCHMARK(BM_ListAndSync10kPods)->Unit(benchmark::kMillisecond)->UseRealTime();

// The server's share of the above: the same paged list of 10,000 pods, without an informer.
void BM_PagedList10kPods(benchmark::State& state) {
  constexpr int kPods = 10000;
  Cluster cluster(kPods, /*managed_fields=*/false);
  for (auto _ : state) {
    ListOptions lo;
    lo.resource_version = "0";
    lo.limit = 500;
    size_t n = 0;
    while (true) {
      absl::StatusOr<ListResult> page = cluster.client->List(*cluster.kind, "", lo);
      if (!page.ok()) {
        state.SkipWithError("list failed");
        break;
      }
      n += page->items.size();
      if (page->continue_token.empty()) break;
      lo.continue_token = page->continue_token;
      lo.resource_version.clear();
    }
    if (n != kPods) state.SkipWithError("short list");
  }
  state.SetItemsProcessed(state.iterations() * kPods);
}
BENCHMARK(BM_PagedList10kPods)->Unit(benchmark::kMillisecond)->UseRealTime();

// A client whose list is empty and whose watch replays prepared events as fast as they are
// taken: measures the informer alone.
class ReplayClient : public Client {
 public:
  ReplayClient(api::Scheme* scheme, std::vector<ObjectPtr>* events)
      : scheme_(scheme), events_(events) {}
  api::Scheme& scheme() const override { return *scheme_; }
  absl::StatusOr<ObjectPtr> Create(const api::KindInfo&, const std::string&, ObjectPtr,
                                   const WriteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ObjectPtr> Get(const api::KindInfo&, const std::string&,
                                const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ListResult> List(const api::KindInfo&, const std::string&,
                                  const ListOptions&) override {
    ListResult r;
    r.resource_version = 1;
    return r;
  }
  absl::StatusOr<ObjectPtr> Update(const api::KindInfo&, const std::string&, ObjectPtr, bool,
                                   const WriteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ObjectPtr> Patch(const api::KindInfo&, const std::string&, const std::string&,
                                  PatchType, const std::string&, bool,
                                  const WriteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ObjectPtr> Delete(const api::KindInfo&, const std::string&, const std::string&,
                                   const DeleteOptions&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const api::KindInfo&, const std::string&,
                                                       const WatchOptions&) override {
    class Replay : public ObjectWatcher {
     public:
      explicit Replay(std::vector<ObjectPtr>* events) : events_(events) {}
      std::optional<ObjectEvent> Next(absl::Duration timeout) override {
        if (next_ < events_->size()) {
          ObjectEvent e;
          e.type = next_ < 1000 ? "ADDED" : "MODIFIED";
          e.object = std::move((*events_)[next_++]);
          return e;
        }
        MutexLock l(&mu_);
        if (!cancelled_) cv_.WaitWithTimeout(&mu_, timeout);
        return std::nullopt;
      }
      void Cancel() override {
        MutexLock l(&mu_);
        cancelled_ = true;
        cv_.SignalAll();
      }

     private:
      std::vector<ObjectPtr>* events_;
      size_t next_ = 0;
      Mutex mu_;
      CondVar cv_;
      bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
    };
    return std::make_unique<Replay>(events_);
  }
  absl::StatusOr<std::unique_ptr<Scale>> GetScale(const api::KindInfo&, const std::string&,
                                                  const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::unique_ptr<Scale>> UpdateScale(const api::KindInfo&, const std::string&,
                                                     const std::string&, const Scale&) override {
    return absl::UnimplementedError("");
  }

 private:
  api::Scheme* scheme_;
  std::vector<ObjectPtr>* events_;
};

// Watch events through the informer (cache update and fan-out) to 10 handlers, each on its own
// delivery thread; items are events (each delivered 10 times).
void BM_DispatchTo10Handlers(benchmark::State& state) {
  constexpr int kEvents = 100000;
  constexpr int kHandlers = 10;
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  std::shared_ptr<const api::KindInfo> kind = *KindFor(*scheme, ConfigMap::descriptor());
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<ObjectPtr> events;
    events.reserve(kEvents);
    for (int i = 0; i < kEvents; ++i) {
      auto cm = std::make_unique<ConfigMap>();
      cm->mutable_metadata()->set_namespace_("default");
      cm->mutable_metadata()->set_name(absl::StrCat("cm-", i % 1000));
      cm->mutable_metadata()->set_resourceversion(absl::StrCat(i + 2));
      (*cm->mutable_data())["k"] = "v";
      events.push_back(std::move(cm));
    }
    ReplayClient client(scheme.get(), &events);
    std::unique_ptr<SharedIndexInformer> inf = *NewSharedIndexInformer(
        &client, kind, InformerOptions{.watch_timeout = absl::ZeroDuration()});
    std::atomic<int64_t> delivered{0};
    for (int h = 0; h < kHandlers; ++h) {
      auto f = std::make_shared<ResourceEventHandlerFuncs>();
      f->add = [&](const ObjectRef&, bool) { delivered.fetch_add(1, std::memory_order_relaxed); };
      f->update = [&](const ObjectRef&, const ObjectRef&) {
        delivered.fetch_add(1, std::memory_order_relaxed);
      };
      (void)inf->AddEventHandler(f);
    }
    state.ResumeTiming();
    inf->Start();
    while (delivered.load(std::memory_order_relaxed) < int64_t{kEvents} * kHandlers) {
      std::this_thread::yield();
    }
    state.PauseTiming();
    inf.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.counters["deliveries_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kEvents * kHandlers, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DispatchTo10Handlers)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace rudder::client
