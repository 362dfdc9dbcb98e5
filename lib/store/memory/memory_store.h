// MemoryStore: the Store (lib/store/store.h) held in process memory.
//
// The fastest backend, for tests, simulations and single-process hosts that need no
// durability: full etcd v3 semantics (MVCC history per key until compaction, transactions,
// leases, watches with replay) with nothing written to disk. Lease expiry follows the injected
// Clock, so a test on a FakeClock expires leases exactly when it advances the clock.
// Watches are served by the shared fan-out (one thread for all watchers' progress ticks, no
// thread per watcher).
//
// Thread-safe. Destroying the store ends its watchers with Cancelled.
//
// Example:
//   FakeClock clock;
//   MemoryStoreOptions options;
//   options.clock = &clock;
//   RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, NewMemoryStore(options));
//   RUDDER_ASSIGN_OR_RETURN(LeaseInfo lease, store->LeaseGrant(10));
//   RUDDER_RETURN_IF_ERROR(store->Put("/leader", "me", lease.id).status());
//   clock.Advance(absl::Seconds(11));  // "/leader" is deleted (watchers see it).
#ifndef RUDDER_LIB_STORE_MEMORY_MEMORY_STORE_H_
#define RUDDER_LIB_STORE_MEMORY_MEMORY_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/store/store.h"

namespace rudder::store {

struct MemoryStoreOptions {
  // Time source for lease expiry and progress notifications (borrowed; must outlive the
  // store). nullptr means Clock::Real().
  Clock* clock = nullptr;
  // If > 0, compact automatically so that (at least) the last `history_retention` revisions
  // stay readable; 0 keeps all history until Compact().
  int64_t history_retention = 0;
  // Events of the latest revisions kept ready for watch replay (older replays are built from
  // the MVCC history, which is slower).
  size_t watch_history_events = 10000;
  // Period of progress notifications to idle watchers that asked for them; zero disables.
  absl::Duration progress_notify_interval = absl::Minutes(1);
};

// Makes an empty store at revision 1. InvalidArgument for negative options.
absl::StatusOr<std::unique_ptr<Store>> NewMemoryStore(const MemoryStoreOptions& options = {});

}  // namespace rudder::store

#endif  // RUDDER_LIB_STORE_MEMORY_MEMORY_STORE_H_
