#include "lib/store/memory/memory_store.h"

#include <memory>

#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/store/conformance/conformance.h"

namespace rudder::store {
namespace {

// The clock of the store the conformance case made last (cases run one at a time).
std::shared_ptr<FakeClock>& CurrentClock() {
  static auto* clock = new std::shared_ptr<FakeClock>();
  return *clock;
}

StoreFactory MemoryFactory(std::string name, MemoryStoreOptions base) {
  StoreFactory f;
  f.name = std::move(name);
  f.make = [base]() -> absl::StatusOr<std::unique_ptr<Store>> {
    CurrentClock() = std::make_shared<FakeClock>();
    MemoryStoreOptions options = base;
    options.clock = CurrentClock().get();
    return NewMemoryStore(options);
  };
  f.advance_time = [](absl::Duration d) { CurrentClock()->Advance(d); };
  f.progress_notify_interval = base.progress_notify_interval;
  return f;
}

MemoryStoreOptions SmallWindow() {
  // Replays mostly come from the MVCC history instead of the hub's window.
  MemoryStoreOptions options;
  options.watch_history_events = 2;
  options.progress_notify_interval = absl::Seconds(5);
  return options;
}

MemoryStoreOptions Defaults() {
  MemoryStoreOptions options;
  options.progress_notify_interval = absl::Seconds(5);
  return options;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest,
                         ::testing::Values(MemoryFactory("Default", Defaults()),
                                           MemoryFactory("SmallWatchWindow", SmallWindow())),
                         StoreFactoryName);

}  // namespace rudder::store
