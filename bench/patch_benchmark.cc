// Patches of a realistic Deployment: the strategic merge patch `kubectl apply` sends, the merge
// patch of `kubectl scale`, a `kubectl patch --type=json` patch, and patch creation.
//
//   bazel run -c opt //bench:patch_benchmark
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "lib/api/patch/json_patch.h"
#include "lib/api/patch/merge_patch.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/patch/strategic_merge_patch.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace {

using namespace rudder::api::patch;  // NOLINT

// A live Deployment as the API server stores it (about 2 KiB).
constexpr char kLive[] = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{
"name":"web","namespace":"default","uid":"5c8a7e4e-0b8f-4d59-9d6e-8b7f2f1f6a10",
"resourceVersion":"123456","generation":3,"creationTimestamp":"2024-01-02T03:04:05Z",
"labels":{"app":"web","tier":"frontend"},
"annotations":{"deployment.kubernetes.io/revision":"3",
"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":1}}"}},
"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
"template":{"metadata":{"labels":{"app":"web","tier":"frontend"}},
"spec":{"containers":[{"name":"c","image":"busybox:1.36","command":["sh","-c","sleep 3600"],
"ports":[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}],
"env":[{"name":"MODE","value":"prod"},{"name":"LEVEL","value":"info"},{"name":"REGION","value":"eu"}],
"resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"64Mi"}},
"volumeMounts":[{"name":"config","mountPath":"/etc/web"}],
"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"},
{"name":"sidecar","image":"envoy:1.30","ports":[{"containerPort":15000,"protocol":"TCP"}],
"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],
"volumes":[{"name":"config","configMap":{"name":"web-config","defaultMode":420}}],
"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
"schedulerName":"default-scheduler","securityContext":{}}},
"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},
"revisionHistoryLimit":10,"progressDeadlineSeconds":600},
"status":{"observedGeneration":3,"replicas":1,"updatedReplicas":1,"readyReplicas":1,"availableReplicas":1,
"conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"},
{"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable"}]}})";

// What kubectl apply sends after a change of image and replicas.
constexpr char kApplyPatch[] =
    R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},)"
    R"("spec":{"replicas":2,"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},)"
    R"({"name":"sidecar"}],"containers":[{"image":"busybox:1.37","name":"c"}]}}}})";

const PatchMeta& Meta() {
  static const PatchMeta* const meta =
      NewProtoPatchMeta(rudder::api::apps::v1::Deployment::descriptor()).release();
  return *meta;
}

void BM_StrategicMerge_KubectlApply(benchmark::State& state) {
  const PatchMeta& meta = Meta();
  for (auto _ : state) {
    absl::StatusOr<std::string> out = ApplyStrategicMergePatch(kLive, kApplyPatch, meta);
    if (!out.ok()) state.SkipWithError(std::string(out.status().message()).c_str());
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_StrategicMerge_KubectlApply);

// The merge alone, on a parsed document (copied each iteration, included in the time).
void BM_StrategicMerge_KubectlApplyDom(benchmark::State& state) {
  const PatchMeta& meta = Meta();
  rapidjson::Document live, patch;
  live.Parse(kLive);
  patch.Parse(kApplyPatch);
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.CopyFrom(live, doc.GetAllocator());
    absl::Status s = ApplyStrategicMergePatch(doc, patch, meta);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    benchmark::DoNotOptimize(doc);
  }
}
BENCHMARK(BM_StrategicMerge_KubectlApplyDom);

void BM_ParseAndWriteOnly(benchmark::State& state) {
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse(kLive);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    doc.Accept(w);
    benchmark::DoNotOptimize(buf.GetString());
  }
}
BENCHMARK(BM_ParseAndWriteOnly);

void BM_MergePatch_KubectlScale(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<std::string> out = ApplyMergePatch(kLive, R"({"spec":{"replicas":3}})");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_MergePatch_KubectlScale);

void BM_JsonPatch_ThreeOps(benchmark::State& state) {
  constexpr char kPatch[] =
      R"([{"op":"test","path":"/metadata/resourceVersion","value":"123456"},)"
      R"({"op":"replace","path":"/spec/template/spec/containers/0/image","value":"busybox:1.37"},)"
      R"({"op":"add","path":"/metadata/labels/app.kubernetes.io~1name","value":"web"}])";
  for (auto _ : state) {
    absl::StatusOr<std::string> out = ApplyJsonPatch(kLive, kPatch);
    if (!out.ok()) state.SkipWithError(std::string(out.status().message()).c_str());
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_JsonPatch_ThreeOps);

// kubectl apply's client side: the three-way patch from last-applied, new config and live.
void BM_CreateThreeWay_KubectlApply(benchmark::State& state) {
  constexpr char kLastApplied[] =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1,)"
      R"("selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},)"
      R"("spec":{"containers":[{"name":"c","image":"busybox:1.36"},{"name":"sidecar","image":"envoy:1.30"}]}}}})";
  constexpr char kModified[] =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,)"
      R"("selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},)"
      R"("spec":{"containers":[{"name":"c","image":"busybox:1.37"},{"name":"sidecar","image":"envoy:1.30"}]}}}})";
  const PatchMeta& meta = Meta();
  for (auto _ : state) {
    absl::StatusOr<std::string> p = CreateThreeWayMergePatch(kLastApplied, kModified, kLive, meta);
    if (!p.ok()) state.SkipWithError(std::string(p.status().message()).c_str());
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_CreateThreeWay_KubectlApply);

void BM_CreateTwoWay_LiveToPatched(benchmark::State& state) {
  const PatchMeta& meta = Meta();
  std::string patched = *ApplyStrategicMergePatch(kLive, kApplyPatch, meta);
  for (auto _ : state) {
    absl::StatusOr<std::string> p = CreateTwoWayMergePatch(kLive, patched, meta);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_CreateTwoWay_LiveToPatched);

void BM_NewProtoPatchMeta_Deployment(benchmark::State& state) {
  for (auto _ : state) {
    auto meta = NewProtoPatchMeta(rudder::api::apps::v1::Deployment::descriptor());
    benchmark::DoNotOptimize(meta);
  }
}
BENCHMARK(BM_NewProtoPatchMeta_Deployment);

}  // namespace
