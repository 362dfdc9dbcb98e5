// What serving older and newer clients costs: the protobuf form of the OpenAPI v2 document
// (converted once per document version, then cached) and an aggregated discovery answer
// (built on every request).
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/openapi/openapi.h"
#include "lib/apiserver/rest/internal/discovery.h"
#include "lib/apiserver/rest/internal/openapi_v2_proto.h"

namespace rudder::apiserver::rest_internal {
namespace {

void BM_SwaggerJsonToProto(benchmark::State& state) {
  auto scheme = api::NewBuiltinScheme();
  std::string json = openapi::BuildV2Document(*scheme);
  size_t out = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> pb = SwaggerJsonToProto(json);
    out = pb->size();
    benchmark::DoNotOptimize(pb);
  }
  state.counters["json_bytes"] = static_cast<double>(json.size());
  state.counters["proto_bytes"] = static_cast<double>(out);
}
BENCHMARK(BM_SwaggerJsonToProto)->Unit(benchmark::kMillisecond);

// Every group-version of the builtin scheme with `per_version` resources each.
void BM_AggregatedDiscoveryJson(benchmark::State& state) {
  auto scheme = api::NewBuiltinScheme();
  std::vector<DiscoveryGroup> groups;
  size_t resources = 0;
  for (const auto& k : scheme->All()) {
    if (groups.empty() || groups.back().name != k->gvk.group) groups.push_back({k->gvk.group, {}});
    auto& versions = groups.back().versions;
    if (versions.empty()) {
      versions.emplace_back();
      versions.back().set_groupversion(k->gvk.ApiVersion());
    }
    api::meta::v1::APIResource* r = versions.back().add_resources();
    r->set_name(k->plural);
    r->set_singularname(k->singular);
    r->set_namespaced(k->namespaced);
    r->set_kind(k->gvk.kind);
    for (const std::string& v : k->verbs) r->add_verbs(v);
    for (const std::string& s : k->short_names) r->add_shortnames(s);
    ++resources;
  }
  size_t bytes = 0;
  for (auto _ : state) {
    std::string json = AggregatedDiscoveryJson(groups, "v2");
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["resources"] = static_cast<double>(resources);
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_AggregatedDiscoveryJson)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace rudder::apiserver::rest_internal
