// Store benchmarks that run against any backend (lib/store/store.h).
//
// A backend adds itself to //bench:store_benchmark by calling RegisterStoreBenchmarks from
// that binary's main (bench/store_benchmark.cc) with a factory; every figure is then reported
// per backend under the same names:
//   BM_Put/<backend>/threads:N        put throughput with N concurrent writers
//   BM_Get/<backend>/threads:N        point read of one of 10,000 keys, N concurrent readers
//   BM_RangePrefix100/<backend>       range of a 100-key prefix among 10,000 keys
//   BM_RangeLimit100/<backend>        first 100 keys of a 10,000-key prefix (with the count)
//   BM_WatchFanout/<backend>/...      delivery latency (p50_us, p99_us counters) of 1,000
//                                     events/s to 10,000 watchers, all watching one prefix
//                                     (every event to every watcher) or each its own key; two
//                                     consumer threads read through ready callbacks and
//                                     NextShared (consumer_ns_per_event: their CPU per event;
//                                     the CPU column is the publishing thread)
//   BM_WatcherMemory/<backend>/...    heap bytes per idle watcher (bytes_per_watcher counter)
#ifndef RUDDER_BENCH_STORE_BENCHMARK_LIB_H_
#define RUDDER_BENCH_STORE_BENCHMARK_LIB_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/store/store.h"

namespace rudder::bench {

// A backend under benchmark: `make` returns a fresh, empty store each call.
struct StoreBenchBackend {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<store::Store>>()> make;
  // Whether to run the 10,000-watcher benchmarks (off for backends where they would mostly
  // measure something else, e.g. a remote server's limits).
  bool watch_fanout = true;
};

// Registers the benchmarks listed above for `backend` with Google Benchmark. Call before
// benchmark::RunSpecifiedBenchmarks().
void RegisterStoreBenchmarks(const StoreBenchBackend& backend);

}  // namespace rudder::bench

#endif  // RUDDER_BENCH_STORE_BENCHMARK_LIB_H_
