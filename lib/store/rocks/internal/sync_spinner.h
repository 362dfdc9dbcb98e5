// SyncSpinner: keeps one CPU busy while a write-ahead-log sync runs, so that the thread blocked
// in fdatasync resumes as soon as the device answers.
//
// On a virtual machine whose host is shared, a virtual CPU that goes idle (halts) is handed to
// another guest, and the interrupt that ends a sync wakes the blocked thread only once the host
// schedules that virtual CPU again: a lone sync then takes milliseconds although the device
// answered in ~100 us. A thread that spins while the sync runs keeps the CPU from halting. It
// spins only while `worth_spinning` says so (the store asks: does a single writer wait?), at
// most `max_pauses` pause instructions per sync, and keeps spinning for `linger_pauses` after
// a sync ends (a lone writer's next sync follows within microseconds; a thread that keeps
// running is kept on its own CPU by the scheduler, while a thread woken for each sync would
// be placed on the waker's CPU), then sleeps until the next sync starts.
#ifndef RUDDER_LIB_STORE_ROCKS_INTERNAL_SYNC_SPINNER_H_
#define RUDDER_LIB_STORE_ROCKS_INTERNAL_SYNC_SPINNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

namespace rudder::store_internal::rocks {

// See the file comment. Owns one thread. Begin/End may be called from any number of threads
// at once (each Begin matched by one End); the callback runs on the spinner's thread.
class SyncSpinner {
 public:
  SyncSpinner(std::function<bool()> worth_spinning, int64_t max_pauses, int64_t linger_pauses);
  ~SyncSpinner();
  SyncSpinner(const SyncSpinner&) = delete;
  SyncSpinner& operator=(const SyncSpinner&) = delete;

  // A sync starts: spin (if worth it) until every started sync has ended.
  void Begin();
  // A sync ended.
  void End();

  // Syncs during which the thread spun (for tests and statistics).
  uint64_t spins() const { return spins_.load(std::memory_order_relaxed); }

 private:
  void Loop();

  const std::function<bool()> worth_spinning_;
  const int64_t max_pauses_;
  const int64_t linger_pauses_;
  std::atomic<int> running_{0};       // Syncs running now.
  std::atomic<uint64_t> started_{0};  // Syncs started so far.
  // Futex word: bumped when running_ leaves 0 (and on shutdown).
  std::atomic<int> generation_{0};
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> spins_{0};
  std::thread thread_;
};

}  // namespace rudder::store_internal::rocks

#endif  // RUDDER_LIB_STORE_ROCKS_INTERNAL_SYNC_SPINNER_H_
