// Store benchmarks over every backend: bazel run -c opt //bench:store_benchmark
// (--benchmark_filter=memory to run one backend). See bench/store_benchmark_lib.h.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench/store_benchmark_lib.h"
#include "benchmark/benchmark.h"
#include "lib/store/etcd/testing/shared_etcd.h"
#include "lib/store/memory/memory_store.h"
#include "lib/store/rocks/rocks_store.h"

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
  // RocksStore with its default durability (fsync of every commit), each store in a fresh
  // directory under $TEST_TMPDIR (or /tmp), all removed at exit.
  RegisterStoreBenchmarks(StoreBenchBackend{
      .name = "rocks",
      .make =
          [] {
            // Never destroyed, so the exit handler can still use it.
            static const std::string* const root = [] {
              const char* t = std::getenv("TEST_TMPDIR");
              auto* r = new std::string(std::string(t ? t : "/tmp") + "/rocks_store_benchmark_" +
                                        std::to_string(::getpid()));
              std::atexit([] { std::filesystem::remove_all(*root); });
              return r;
            }();
            static std::atomic<int> next{0};
            rudder::store::RocksStoreOptions options;
            options.dir = *root + "/" + std::to_string(next.fetch_add(1));
            return rudder::store::OpenRocksStore(options);
          },
  });
  // Other backends register here, each with its dependency in bench/BUILD.bazel.

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
