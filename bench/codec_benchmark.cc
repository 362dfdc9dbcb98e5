// JSON, YAML and protobuf encoding and decoding of a realistic Pod and of a 10,000-pod list.
//   bazel run -c opt //bench:codec_benchmark
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bench/fixtures/pod.h"
#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/unstructured.h"
#include "lib/api/codec/yaml.h"
#include "lib/api/proto/core/v1/core.pb.h"

namespace rudder::api {
namespace {

// A running pod as the API server returns it (about 3.7 KB of JSON).
constexpr const char* kPodJson = bench::kRunningPodJson;

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
