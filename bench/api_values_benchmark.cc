// Benchmarks for resource quantities and label/field selectors (lib/api/resource,
// lib/api/labels). Run: bazel run -c opt //bench:api_values_benchmark
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "lib/api/labels/fields.h"
#include "lib/api/labels/selector.h"
#include "lib/api/resource/quantity.h"

namespace rudder::api {
namespace {

const char* const kQuantities[] = {"100m", "1.5Gi", "129e6", "250m", "512Mi", "2", "1.5", "0.1"};

void BM_QuantityParse(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<Quantity> q = Quantity::Parse(kQuantities[i++ % std::size(kQuantities)]);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_QuantityParse);

void BM_QuantityParseAndFormat(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<Quantity> q = Quantity::Parse(kQuantities[i++ % std::size(kQuantities)]);
    std::string s = q->String();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_QuantityParseAndFormat);

// Formatting a value whose canonical text is computed (not the retained input).
void BM_QuantityFormat(benchmark::State& state) {
  Quantity q = Quantity::ParseOrDie("1.5Gi");
  for (auto _ : state) {
    std::string s = q.String();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_QuantityFormat);

void BM_QuantityParseBig(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<Quantity> q = Quantity::Parse("123456789012345678901234567890.5");
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_QuantityParseBig);

void BM_QuantityAdd(benchmark::State& state) {
  Quantity a = Quantity::ParseOrDie("100m");
  Quantity b = Quantity::ParseOrDie("1.5");
  for (auto _ : state) {
    Quantity sum = a;
    sum.Add(b);
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_QuantityAdd);

void BM_QuantityAddBig(benchmark::State& state) {
  Quantity a = Quantity::ParseOrDie("9223372036854775807");
  Quantity b = Quantity::ParseOrDie("1.5");
  for (auto _ : state) {
    Quantity sum = a;
    sum.Add(b);
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_QuantityAddBig);

void BM_QuantityCmp(benchmark::State& state) {
  Quantity a = Quantity::ParseOrDie("1Gi");
  Quantity b = Quantity::ParseOrDie("1000M");
  for (auto _ : state) benchmark::DoNotOptimize(a.Cmp(b));
}
BENCHMARK(BM_QuantityCmp);

constexpr char kSelector[] = "app=web,tier in (frontend,cache),!canary,env!=dev,release";

void BM_LabelSelectorParse(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<labels::Selector> sel = labels::Selector::Parse(kSelector);
    benchmark::DoNotOptimize(sel);
  }
}
BENCHMARK(BM_LabelSelectorParse);

void BM_LabelSelectorString(benchmark::State& state) {
  labels::Selector sel = *labels::Selector::Parse(kSelector);
  for (auto _ : state) {
    std::string s = sel.String();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_LabelSelectorString);

std::map<std::string, std::string> PodLabels() {
  return {{"app", "web"},        {"tier", "frontend"},
          {"env", "prod"},       {"release", "stable"},
          {"version", "v1.2.3"}, {"team", "payments"},
          {"region", "eu-west"}, {"zone", "eu-west-1a"},
          {"component", "api"},  {"pod-template-hash", "5d8f7c9b6"}};
}

template <typename Map>
void BM_LabelSelectorMatch(benchmark::State& state) {
  labels::Selector sel = *labels::Selector::Parse(kSelector);
  std::map<std::string, std::string> base = PodLabels();
  if (state.range(0) == 0) base["tier"] = "backend";  // the no-match case
  Map pod(base.begin(), base.end());
  for (auto _ : state) benchmark::DoNotOptimize(sel.Matches(pod));
  state.SetLabel(state.range(0) != 0 ? "match" : "no-match");
}
BENCHMARK_TEMPLATE(BM_LabelSelectorMatch, std::map<std::string, std::string>)->Arg(1)->Arg(0);
BENCHMARK_TEMPLATE(BM_LabelSelectorMatch, absl::flat_hash_map<std::string, std::string>)
    ->Arg(1)
    ->Arg(0);

void BM_FieldSelectorParse(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<fields::Selector> sel =
        fields::Selector::Parse("metadata.name=web-0,status.phase!=Running");
    benchmark::DoNotOptimize(sel);
  }
}
BENCHMARK(BM_FieldSelectorParse);

void BM_FieldSelectorMatch(benchmark::State& state) {
  fields::Selector sel = *fields::Selector::Parse("metadata.namespace=prod,status.phase!=Failed");
  for (auto _ : state) {
    bool m = sel.Matches([](std::string_view f) -> std::string_view {
      if (f == "metadata.namespace") return "prod";
      if (f == "status.phase") return "Running";
      return "";
    });
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_FieldSelectorMatch);

}  // namespace
}  // namespace rudder::api
