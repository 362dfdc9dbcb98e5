// RocksStore: the embedded, durable Store, kept in a RocksDB database in one directory.
//
// Guarantees:
//  - Durable: with `sync` (the default), a write is acknowledged only after its write-ahead log
//    record is fsynced, so it survives kill -9 and power loss. Concurrent writers share fsyncs
//    (group commit), so throughput grows with the number of writers.
//  - Complete MVCC history until compaction: reads at past revisions and watches from past
//    revisions work after a restart too.
//  - Leases keep absolute deadlines on disk; a lease that expired while the store was closed
//    expires when it is opened again, deleting its keys (with watch events).
//  - One process at a time: a second open of the same directory fails FailedPrecondition.
//    A directory holding something else, or damaged data, fails to open (never silently
//    recreated): FailedPrecondition for a foreign directory, Internal for corruption.
//
// The store is safe for concurrent use by many threads (see lib/store/store.h).
//
// Example:
//   RocksStoreOptions options;
//   options.dir = "/var/lib/rudder/store";
//   RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenRocksStore(options));
//   RUDDER_ASSIGN_OR_RETURN(int64_t rev, store->Put("/registry/pods/default/web", bytes));
#ifndef RUDDER_LIB_STORE_ROCKS_ROCKS_STORE_H_
#define RUDDER_LIB_STORE_ROCKS_ROCKS_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/store/store.h"

namespace rudder::store {

// Options of OpenRocksStore.
struct RocksStoreOptions {
  // The data directory; created if missing.
  std::string dir;
  // Time source for lease deadlines, progress notifications and auto-compaction (borrowed; must
  // outlive the store). nullptr means Clock::Real().
  Clock* clock = nullptr;
  // fsync every acknowledged commit. false trades durability on power loss (not on a process
  // crash) for speed.
  bool sync = true;
  // Events of the latest revisions kept in memory for watch replay; older replays read RocksDB.
  size_t watch_history_events = 100000;
  // If > 0, compact automatically, keeping this many revisions of history, every
  // `auto_compaction_interval`.
  int64_t auto_compaction_retention = 0;
  absl::Duration auto_compaction_interval = absl::Minutes(5);
  // Period of progress notifications to idle watchers that asked for them.
  absl::Duration progress_notify_interval = absl::Minutes(1);
  // While a log sync runs and no other write waits, keep one thread spinning so the CPU does
  // not go idle: on a virtual machine an idle CPU can take milliseconds to resume the thread
  // whose sync finished. Costs CPU time while syncing; no effect without `sync`.
  bool spin_during_sync = true;
  // When the spinner spins (with `spin_during_sync`). Spinning during group commits
  // (kFewRunnable, kAlways) measured slower with 16 and 256 writers (docs/store.md).
  enum class SyncSpin {
    kLoneWriter,   // Only while a single write is in flight.
    kFewRunnable,  // While fewer writer threads are runnable than the process has CPUs.
    kAlways,       // During every log sync.
  };
  SyncSpin sync_spin = SyncSpin::kLoneWriter;
  // Spin in the SCHED_IDLE scheduling class: the spinner gets a CPU only when nothing else
  // wants it, so a thread woken there (the writer whose sync ended) runs at once.
  bool spin_idle_class = true;
  // RocksDB block cache size.
  size_t block_cache_bytes = 64 << 20;
  // Memory for the current key-values of recently written or read keys, so that a write's
  // compares and previous value are found without reading RocksDB. 0 turns it off.
  size_t current_cache_bytes = 64 << 20;
};

// Opens (creating if needed) the store in options.dir. See the file comment for errors.
absl::StatusOr<std::unique_ptr<Store>> OpenRocksStore(const RocksStoreOptions& options);

}  // namespace rudder::store

#endif  // RUDDER_LIB_STORE_ROCKS_ROCKS_STORE_H_
