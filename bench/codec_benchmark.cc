// JSON, YAML and protobuf encoding and decoding of a realistic Pod and of a 10,000-pod list.
//   bazel run -c opt //bench:codec_benchmark
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/unstructured.h"
#include "lib/api/codec/yaml.h"
#include "lib/api/proto/core/v1/core.pb.h"

namespace rudder::api {
namespace {

// A running pod as the API server returns it (about 3.7 KB of JSON).
constexpr char kPodJson[] =
    R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-7d4b9c8f6d-x2k9p",
"generateName":"web-7d4b9c8f6d-","namespace":"prod","uid":"5f0c6d4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
"resourceVersion":"123456789","creationTimestamp":"2024-01-02T03:04:05Z",
"labels":{"app":"web","pod-template-hash":"7d4b9c8f6d","tier":"frontend"},
"annotations":{"kubectl.kubernetes.io/restartedAt":"2024-01-02T03:00:00Z","prometheus.io/scrape":"true"},
"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c8f6d",
"uid":"0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d","controller":true,"blockOwnerDeletion":true}]},
"spec":{"volumes":[{"name":"data","emptyDir":{"sizeLimit":"1Gi"}},{"name":"cfg","configMap":{"name":"cfg",
"items":[{"key":"a","path":"a.txt"}],"defaultMode":420}},{"name":"kube-api-access-abcde","projected":{"sources":[
{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt",
"items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{
"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],
"containers":[{"name":"web","image":"nginx:1.25","args":["--port","8080"],"ports":[{"name":"http",
"containerPort":8080,"protocol":"TCP"}],"env":[{"name":"A","value":"1"},{"name":"POD","valueFrom":{"fieldRef":{
"apiVersion":"v1","fieldPath":"metadata.name"}}}],"resources":{"limits":{"cpu":"500m","memory":"128Mi"},
"requests":{"cpu":"250m","memory":"64Mi"}},"volumeMounts":[{"name":"data","mountPath":"/data"},
{"name":"kube-api-access-abcde","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],
"livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"initialDelaySeconds":5,
"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"readinessProbe":{"tcpSocket":{
"port":8080},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},
"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent",
"securityContext":{"capabilities":{"drop":["ALL"]},"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false}}],
"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"web",
"serviceAccount":"web","nodeName":"node-17","securityContext":{"runAsUser":1000,"runAsNonRoot":true,"fsGroup":2000},
"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists",
"effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists",
"effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,
"preemptionPolicy":"PreemptLowerPriority"},
"status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True","lastProbeTime":null,
"lastTransitionTime":"2024-01-02T03:04:05Z"},{"type":"Ready","status":"True","lastProbeTime":null,
"lastTransitionTime":"2024-01-02T03:04:15Z"},{"type":"ContainersReady","status":"True","lastProbeTime":null,
"lastTransitionTime":"2024-01-02T03:04:15Z"},{"type":"PodScheduled","status":"True","lastProbeTime":null,
"lastTransitionTime":"2024-01-02T03:04:05Z"}],"hostIP":"10.0.0.17","hostIPs":[{"ip":"10.0.0.17"}],
"podIP":"10.244.3.21","podIPs":[{"ip":"10.244.3.21"}],"startTime":"2024-01-02T03:04:05Z",
"containerStatuses":[{"name":"web","state":{"running":{"startedAt":"2024-01-02T03:04:08Z"}},"lastState":{},
"ready":true,"restartCount":0,"image":"docker.io/library/nginx:1.25",
"imageID":"docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
"containerID":"containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","started":true}],
"qosClass":"Burstable"}})";

std::string PodJson() {
  static const std::string* json = [] {
    core::v1::Pod pod;
    absl::StatusOr<JsonDecodeResult> r =
        DecodeJson(absl::StrReplaceAll(kPodJson, {{"\n", ""}}), &pod);
    if (!r.ok()) {
      fprintf(stderr, "benchmark pod does not decode: %s\n", r.status().ToString().c_str());
      abort();
    }
    return new std::string(*EncodeJson(pod, {"v1", "Pod"}));
  }();
  return *json;
}

const core::v1::Pod& Pod() {
  static const core::v1::Pod* pod = [] {
    auto* p = new core::v1::Pod;
    (void)DecodeJson(PodJson(), p);
    return p;
  }();
  return *pod;
}

const core::v1::PodList& PodList() {
  static const core::v1::PodList* list = [] {
    auto* l = new core::v1::PodList;
    l->mutable_metadata()->set_resourceversion("123456789");
    for (int i = 0; i < 10000; ++i) {
      core::v1::Pod* p = l->add_items();
      *p = Pod();
      p->mutable_metadata()->set_name(absl::StrCat("web-", i));
      p->mutable_metadata()->set_uid(absl::StrCat("uid-", i));
    }
    return l;
  }();
  return *list;
}

const std::string& PodListJson() {
  static const std::string* json = new std::string(*EncodeJson(PodList(), {"v1", "PodList"}));
  return *json;
}

void BM_PodJsonEncode(benchmark::State& state) {
  const core::v1::Pod& pod = Pod();
  JsonEncodeOptions o{"v1", "Pod"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(JsonCodec::Default().Encode(pod, o, &out));
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.counters["bytes"] = out.size();
}
BENCHMARK(BM_PodJsonEncode);

void BM_PodJsonDecode(benchmark::State& state) {
  std::string json = PodJson();
  core::v1::Pod pod;
  for (auto _ : state) {
    benchmark::DoNotOptimize(DecodeJson(json, &pod));
  }
  state.SetBytesProcessed(state.iterations() * json.size());
}
BENCHMARK(BM_PodJsonDecode);

void BM_PodPeekTypeMeta(benchmark::State& state) {
  std::string json = PodJson();
  for (auto _ : state) benchmark::DoNotOptimize(PeekTypeMeta(json));
}
BENCHMARK(BM_PodPeekTypeMeta);

void BM_PodProtoEncode(benchmark::State& state) {
  const core::v1::Pod& pod = Pod();
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(pod.SerializeToString(&out));
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.counters["bytes"] = out.size();
}
BENCHMARK(BM_PodProtoEncode);

void BM_PodProtoDecode(benchmark::State& state) {
  std::string bytes = Pod().SerializeAsString();
  core::v1::Pod pod;
  for (auto _ : state) benchmark::DoNotOptimize(pod.ParseFromString(bytes));
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_PodProtoDecode);

void BM_PodUnstructuredParse(benchmark::State& state) {
  std::string json = PodJson();
  for (auto _ : state) benchmark::DoNotOptimize(Unstructured::FromJson(json));
  state.SetBytesProcessed(state.iterations() * json.size());
}
BENCHMARK(BM_PodUnstructuredParse);

void BM_PodToYaml(benchmark::State& state) {
  std::string json = PodJson();
  for (auto _ : state) benchmark::DoNotOptimize(JsonToYaml(json));
  state.SetBytesProcessed(state.iterations() * json.size());
}
BENCHMARK(BM_PodToYaml);

void BM_PodFromYaml(benchmark::State& state) {
  std::string yaml = *JsonToYaml(PodJson());
  for (auto _ : state) benchmark::DoNotOptimize(YamlToJson(yaml));
  state.SetBytesProcessed(state.iterations() * yaml.size());
}
BENCHMARK(BM_PodFromYaml);

void BM_PodListJsonEncode(benchmark::State& state) {
  const core::v1::PodList& list = PodList();
  JsonEncodeOptions o{"v1", "PodList"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(JsonCodec::Default().Encode(list, o, &out));
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.counters["bytes"] = out.size();
}
BENCHMARK(BM_PodListJsonEncode)->Unit(benchmark::kMillisecond);

void BM_PodListJsonDecode(benchmark::State& state) {
  const std::string& json = PodListJson();
  JsonDecodeOptions o;
  o.max_bytes = json.size();
  core::v1::PodList list;
  for (auto _ : state) benchmark::DoNotOptimize(DecodeJson(json, &list, o));
  state.SetBytesProcessed(state.iterations() * json.size());
}
BENCHMARK(BM_PodListJsonDecode)->Unit(benchmark::kMillisecond);

void BM_PodListProtoEncode(benchmark::State& state) {
  const core::v1::PodList& list = PodList();
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(list.SerializeToString(&out));
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.counters["bytes"] = out.size();
}
BENCHMARK(BM_PodListProtoEncode)->Unit(benchmark::kMillisecond);

void BM_PodListProtoDecode(benchmark::State& state) {
  std::string bytes = PodList().SerializeAsString();
  core::v1::PodList list;
  for (auto _ : state) benchmark::DoNotOptimize(list.ParseFromString(bytes));
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_PodListProtoDecode)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::api
