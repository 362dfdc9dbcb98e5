// RocksStore throughput and latency, side by side with a real etcd 3.4 (started by the
// EtcdCluster harness, fsyncing every commit like RocksStore's default) driven through
// EtcdStore with the same keys, values and writer counts.
//
//   bazel run -c opt //lib/store/rocks:rocks_store_benchmark
//
// Data directories live under $TEST_TMPDIR or /tmp and are removed at exit.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/store/etcd/etcd_store.h"
#include "lib/store/etcd/testing/shared_etcd.h"
#include "lib/store/rocks/rocks_store.h"

namespace rudder::store {
namespace {

namespace fs = std::filesystem;

const std::string kValue(256, 'v');

std::string TempRoot() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t ? t : "/tmp";
}

// One RocksStore per configuration for the whole binary.
enum class Config {
  kNoSync,
  kSync,              // Defaults (sync; spinning for a lone writer, SCHED_IDLE class).
  kNoSpin,            // Sync without spinning during syncs.
  kSpinNormalClass,   // The default rule, spinning in the normal scheduling class.
  kSpinAlwaysNormal,  // Spin during every sync, normal scheduling class.
  kSpinAlways,        // Spin during every sync (SCHED_IDLE).
  kSpinFewRunnable,   // Spin while fewer writers are runnable than CPUs (SCHED_IDLE).
  kCount,
};

Store* Rocks(Config config) {
  constexpr int kCount = static_cast<int>(Config::kCount);
  static std::unique_ptr<Store> stores[kCount];
  static std::string dirs[kCount];
  static std::once_flag once[kCount];
  const int i = static_cast<int>(config);
  std::call_once(once[i], [i, config] {
    dirs[i] = (fs::path(TempRoot()) / absl::StrCat("rocks_bench_", ::getpid(), "_", i)).string();
    fs::remove_all(dirs[i]);
    RocksStoreOptions o;
    o.dir = dirs[i];
    using Spin = RocksStoreOptions::SyncSpin;
    switch (config) {
      case Config::kNoSync:
        o.sync = false;
        break;
      case Config::kNoSpin:
        o.spin_during_sync = false;
        break;
      case Config::kSpinNormalClass:
        o.spin_idle_class = false;
        break;
      case Config::kSpinAlwaysNormal:
        o.sync_spin = Spin::kAlways;
        o.spin_idle_class = false;
        break;
      case Config::kSpinAlways:
        o.sync_spin = Spin::kAlways;
        break;
      case Config::kSpinFewRunnable:
        o.sync_spin = Spin::kFewRunnable;
        break;
      default:
        break;
    }
    auto s = OpenRocksStore(o);
    if (s.ok()) stores[i] = *std::move(s);
    static std::once_flag cleanup;
    std::call_once(cleanup, [] {
      std::atexit([] {
        for (int j = 0; j < kCount; ++j) {
          stores[j].reset();
          if (!dirs[j].empty()) fs::remove_all(dirs[j]);
        }
      });
    });
  });
  return stores[i].get();
}
// The configurations of earlier versions of this benchmark.
Store* Rocks(bool sync, bool spin = true) {
  return Rocks(!sync ? Config::kNoSync : (spin ? Config::kSync : Config::kNoSpin));
}

// The etcd-backed store of the side-by-side runs: the test harness's shared etcd (nullptr if
// etcd could not start).
Store* Etcd() {
  // Destroyed at exit before the shared etcd it talks to (constructed after it).
  static std::unique_ptr<Store> store = [] {
    absl::StatusOr<std::unique_ptr<Store>> s = testing::NewStoreOnSharedEtcd();
    return s.ok() ? *std::move(s) : nullptr;
  }();
  return store.get();
}

// CPU time of the whole process so far, in microseconds.
double ProcessCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Unconditional puts of 256-byte values over 10000 keys (every write is a new revision).
// proc_cpu_us: CPU time of this process (every thread, the store's included) per write; for
// etcd that is the client side only.
void RunPuts(benchmark::State& state, Store* store) {
  if (store == nullptr) {
    state.SkipWithError("store not available");
    return;
  }
  static std::atomic<int64_t> next{0};
  const double cpu_start = state.thread_index() == 0 ? ProcessCpuMicros() : 0;
  for (auto _ : state) {
    std::string key = absl::StrCat("put/", next.fetch_add(1) % 10000);
    auto rev = store->Put(key, kValue);
    if (!rev.ok()) {
      state.SkipWithError(std::string(rev.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0 && state.iterations() > 0) {
    // Every thread runs the same number of iterations; only thread 0 reports (counters add up).
    state.counters["proc_cpu_us"] = (ProcessCpuMicros() - cpu_start) /
                                    static_cast<double>(state.iterations() * state.threads());
  }
}

void BM_RocksPut(benchmark::State& state) { RunPuts(state, Rocks(/*sync=*/true)); }
BENCHMARK(BM_RocksPut)->Threads(1)->Threads(16)->Threads(256)->UseRealTime();

// The same without spinning during syncs (RocksStoreOptions::spin_during_sync = false).
void BM_RocksPutNoSpin(benchmark::State& state) { RunPuts(state, Rocks(true, false)); }
BENCHMARK(BM_RocksPutNoSpin)->Threads(1)->UseRealTime();

// Other spinning rules and classes (RocksStoreOptions::sync_spin, spin_idle_class).
void BM_RocksPutSpinNormalClass(benchmark::State& state) {
  RunPuts(state, Rocks(Config::kSpinNormalClass));
}
BENCHMARK(BM_RocksPutSpinNormalClass)->Threads(1)->Threads(16)->Threads(256)->UseRealTime();
void BM_RocksPutSpinAlwaysNormalClass(benchmark::State& state) {
  RunPuts(state, Rocks(Config::kSpinAlwaysNormal));
}
BENCHMARK(BM_RocksPutSpinAlwaysNormalClass)->Threads(1)->Threads(16)->Threads(256)->UseRealTime();
void BM_RocksPutSpinAlways(benchmark::State& state) { RunPuts(state, Rocks(Config::kSpinAlways)); }
BENCHMARK(BM_RocksPutSpinAlways)->Threads(1)->Threads(16)->Threads(256)->UseRealTime();
void BM_RocksPutSpinFewRunnable(benchmark::State& state) {
  RunPuts(state, Rocks(Config::kSpinFewRunnable));
}
BENCHMARK(BM_RocksPutSpinFewRunnable)->Threads(1)->Threads(16)->Threads(256)->UseRealTime();

void BM_EtcdPut(benchmark::State& state) { RunPuts(state, Etcd()); }
BENCHMARK(BM_EtcdPut)->Threads(1)->Threads(16)->Threads(256)->UseRealTime();

// The device itself, measured in the same run: append a 900-byte record to a preallocated
// file and fdatasync it, as a store's one writer does per put. Bounds BM_RocksPutNoSpin
// and shows how fast the disk syncs at the moment of the run.
void BM_RawFdatasync(benchmark::State& state) {
  const std::string path =
      (fs::path(TempRoot()) / absl::StrCat("rocks_bench_fsync_", ::getpid())).string();
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 || ::fallocate(fd, 0, 0, 64 << 20) != 0 || ::fsync(fd) != 0) {
    state.SkipWithError("cannot create the probe file");
    if (fd >= 0) ::close(fd);
    return;
  }
  const std::string record(900, 'r');
  for (auto _ : state) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  ::close(fd);
  fs::remove(path);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawFdatasync)->UseRealTime();

// Without fsync (process-crash safe, not power-loss safe): the CPU cost of a commit.
void BM_RocksPutNoSync(benchmark::State& state) { RunPuts(state, Rocks(/*sync=*/false)); }
BENCHMARK(BM_RocksPutNoSync)->Threads(1)->Threads(16)->UseRealTime();

// Compare-and-swap on one key per writer (the API server's update path).
void BM_RocksCas(benchmark::State& state) {
  Store* store = Rocks(true);
  std::string key = absl::StrCat("cas/", state.thread_index());
  int64_t mod = store->Put(key, kValue).value_or(0);
  for (auto _ : state) {
    TxnRequest req;
    req.compares.push_back(Compare::ModRevision(key, Compare::Op::kEqual, mod));
    req.success.push_back(TxnOp::Put(key, kValue));
    auto r = store->Txn(req);
    if (!r.ok() || !r->succeeded) {
      state.SkipWithError("compare-and-swap failed");
      break;
    }
    mod = r->revision;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RocksCas)->Threads(1)->Threads(16)->Threads(256)->UseRealTime();

void RunGets(benchmark::State& state, Store* store) {
  if (store == nullptr) {
    state.SkipWithError("store not available");
    return;
  }
  if (state.thread_index() == 0) store->Put("get/key", kValue).IgnoreError();
  for (auto _ : state) {
    auto kv = store->Get("get/key");
    benchmark::DoNotOptimize(kv);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RocksGet(benchmark::State& state) { RunGets(state, Rocks(true)); }
BENCHMARK(BM_RocksGet)->Threads(1)->Threads(16)->UseRealTime();

void BM_EtcdGet(benchmark::State& state) { RunGets(state, Etcd()); }
BENCHMARK(BM_EtcdGet)->Threads(1)->Threads(16)->UseRealTime();

// A prefix list of N keys, at the current revision and at a past one.
void RunRange(benchmark::State& state, Store* store, bool past) {
  if (store == nullptr) {
    state.SkipWithError("store not available");
    return;
  }
  const int64_t n = state.range(0);
  std::string prefix = absl::StrCat("range", n, "/");
  int64_t rev = 0;
  for (int64_t i = 0; i < n; ++i) {
    rev = store->Put(absl::StrCat(prefix, i), kValue).value_or(0);
  }
  // Newer versions of every key, so a past read has to skip them.
  if (past) {
    for (int64_t i = 0; i < n; ++i) store->Put(absl::StrCat(prefix, i), "new").IgnoreError();
  }
  RangeOptions o;
  o.revision = past ? rev : 0;
  for (auto _ : state) {
    auto r = store->Range(KeyRange::Prefix(prefix), o);
    if (!r.ok() || r->kvs.size() != static_cast<size_t>(n)) {
      state.SkipWithError("range failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_RocksRange(benchmark::State& state) { RunRange(state, Rocks(true), false); }
BENCHMARK(BM_RocksRange)->Arg(100)->Arg(1000);

void BM_RocksRangePastRevision(benchmark::State& state) { RunRange(state, Rocks(true), true); }
BENCHMARK(BM_RocksRangePastRevision)->Arg(100)->Arg(1000);

void BM_EtcdRange(benchmark::State& state) { RunRange(state, Etcd(), false); }
BENCHMARK(BM_EtcdRange)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace rudder::store
