// The Store conformance suite on RocksStore: a fresh directory and FakeClock per case, with
// reopen (the durability cases) and fake-time progress notifications.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/store/conformance/conformance.h"
#include "lib/store/rocks/rocks_store.h"

namespace rudder::store {
namespace {

namespace fs = std::filesystem;

std::string TempDir(absl::string_view name) {
  const char* base = std::getenv("TEST_TMPDIR");
  fs::path p = fs::path(base ? base : "/tmp") / absl::StrCat("rocks_", name, "_", ::getpid());
  fs::remove_all(p);
  return p.string();
}

// The conformance suite, on a fresh directory and FakeClock per case, with reopen.
struct ConformanceState {
  std::unique_ptr<FakeClock> clock;
  std::string dir;
  int next = 0;
  size_t cache_bytes = 0;
};

ConformanceState& Conformance() {
  static ConformanceState* state = new ConformanceState;
  return *state;
}

RocksStoreOptions ConformanceOptions() {
  RocksStoreOptions o;
  o.dir = Conformance().dir;
  o.clock = Conformance().clock.get();
  o.progress_notify_interval = absl::Seconds(1);
  o.current_cache_bytes = Conformance().cache_bytes;
  return o;
}

// `cache_bytes`: RocksStoreOptions::current_cache_bytes (the default, and 400 bytes: about one
// key-value, so the leader's cache is emptied on nearly every write).
StoreFactory RocksFactory(std::string name, size_t cache_bytes) {
  return StoreFactory{
      .name = std::move(name),
      .make =
          [cache_bytes] {
            ConformanceState& s = Conformance();
            if (!s.dir.empty()) fs::remove_all(s.dir);
            s.clock = std::make_unique<FakeClock>();
            s.dir = TempDir(absl::StrCat("conformance_", s.next++));
            s.cache_bytes = cache_bytes;
            return OpenRocksStore(ConformanceOptions());
          },
      .advance_time = [](absl::Duration d) { Conformance().clock->Advance(d); },
      .reopen =
          [](std::unique_ptr<Store> store) {
            store.reset();
            return OpenRocksStore(ConformanceOptions());
          },
      .progress_notify_interval = absl::Seconds(1),
  };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Rocks, StoreConformanceTest,
                         ::testing::Values(RocksFactory("rocks",
                                                        RocksStoreOptions().current_cache_bytes),
                                           RocksFactory("rocks_tiny_cache", 400)),
                         StoreFactoryName);

}  // namespace rudder::store
