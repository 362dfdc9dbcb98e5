// CRI log lines: parsing (what `kubectl logs` costs per line on the node) and formatting (what a
// runtime writing logs costs per line).
#include <string>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "lib/runtime/cri/log_format.h"

namespace rudder::runtime::cri {
namespace {

void BM_ParseLogLine(benchmark::State& state) {
  const std::string line =
      "2024-05-06T07:08:09.123456789Z stdout F GET /healthz 200 0.000123s user-agent=kube-probe\n";
  for (auto _ : state) {
    auto record = ParseLogLine(line);
    benchmark::DoNotOptimize(record);
  }
  state.SetBytesProcessed(state.iterations() * line.size());
}
BENCHMARK(BM_ParseLogLine);

void BM_ParseLogLineWithOffset(benchmark::State& state) {
  const std::string line = "2024-05-06T09:08:09.123456+02:00 stderr P partial output\n";
  for (auto _ : state) {
    auto record = ParseLogLine(line);
    benchmark::DoNotOptimize(record);
  }
}
BENCHMARK(BM_ParseLogLineWithOffset);

// For comparison: the same timestamp through absl::ParseTime.
void BM_AbslParseTimeBaseline(benchmark::State& state) {
  const std::string text = "2024-05-06T07:08:09.123456789Z";
  for (auto _ : state) {
    absl::Time t;
    std::string err;
    bool ok = absl::ParseTime(absl::RFC3339_full, text, &t, &err);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_AbslParseTimeBaseline);

void BM_AppendLogLine(benchmark::State& state) {
  const absl::Time t = absl::FromUnixNanos(1714979289123456789);
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendLogLine(t, LogStream::kStdout, false, "GET /healthz 200 0.000123s", &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_AppendLogLine);

}  // namespace
}  // namespace rudder::runtime::cri
