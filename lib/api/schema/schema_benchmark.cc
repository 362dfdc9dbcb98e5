// The per-request cost of a custom resource's schema: prune, default and validate one object.
#include <string>

#include "benchmark/benchmark.h"
#include "lib/api/schema/schema.h"

namespace rudder::api::schema {
namespace {

constexpr char kSchema[] = R"({"type":"object","properties":{
  "spec":{"type":"object","required":["cronSpec"],"properties":{
    "cronSpec":{"type":"string","pattern":"^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"},
    "image":{"type":"string","default":"busybox","maxLength":256},
    "replicas":{"type":"integer","minimum":1,"maximum":10,"default":1},
    "mode":{"type":"string","enum":["Allow","Forbid","Replace"]},
    "ports":{"type":"array","maxItems":16,"items":{"type":"object","required":["port"],
      "properties":{"name":{"type":"string"},"port":{"x-kubernetes-int-or-string":true},
                    "protocol":{"type":"string","default":"TCP"}}}},
    "labels":{"type":"object","additionalProperties":{"type":"string"}}}},
  "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}})";

constexpr char kObject[] = R"({"spec":{"cronSpec":"* * * * */5","image":"nginx:1.25",
  "replicas":3,"mode":"Allow","unknown":{"a":1},
  "ports":[{"name":"http","port":80},{"name":"https","port":"https","protocol":"TCP"}],
  "labels":{"app":"web","tier":"frontend"}},"status":{"ready":true}})";

void BM_PruneDefaultValidate(benchmark::State& state) {
  std::shared_ptr<const Schema> s = *ParseSchema(kSchema);
  for (auto _ : state) {
    rapidjson::Document d;
    d.Parse(kObject);
    Prune(*s, &d, true);
    ApplyDefaults(*s, &d, d.GetAllocator());
    field::FieldErrors errs = Validate(*s, d, field::Path());
    std::string out = CanonicalJson(d);
    benchmark::DoNotOptimize(errs);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_PruneDefaultValidate);

void BM_ParseSchema(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseSchema(kSchema));
}
BENCHMARK(BM_ParseSchema);

}  // namespace
}  // namespace rudder::api::schema
