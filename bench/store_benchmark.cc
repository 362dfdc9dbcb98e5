// Store benchmarks over every backend: bazel run -c opt //bench:store_benchmark
// (--benchmark_filter=memory to run one backend). See bench/store_benchmark_lib.h.
#include "bench/store_benchmark_lib.h"
#include "benchmark/benchmark.h"
#include "lib/store/etcd/testing/shared_etcd.h"
#include "lib/store/memory/memory_store.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  using rudder::bench::RegisterStoreBenchmarks;
  using rudder::bench::StoreBenchBackend;

  RegisterStoreBenchmarks(StoreBenchBackend{
      .name = "memory",
      .make = [] { return rudder::store::NewMemoryStore(); },
  });
  // A real single-member etcd on loopback, started on first use; each store is a fresh prefix.
  RegisterStoreBenchmarks(StoreBenchBackend{
      .name = "etcd",
      .make = [] { return rudder::store::testing::NewStoreOnSharedEtcd(); },
  });
  // Other backends register here, each with its dependency in bench/BUILD.bazel.

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
