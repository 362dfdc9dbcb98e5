// SyncSpinner: keeps a CPU busy while a write-ahead-log sync runs, so that the thread blocked
// in fdatasync resumes as soon as the device answers.
//
// On a shared virtual machine, a thread blocked in fdatasync on a CPU that went idle resumes
// milliseconds after the device answered (measured here: 3-6 ms per lone sync, 0.1-0.3 ms
// while the same CPU stays busy). The spinner binds itself to the CPU on which the last sync
// started and spins there while syncs run (the syncing thread, once woken, preempts it). It
// spins only while `worth_spinning` says so (the store asks: is a single write in flight?),
// at most `max_pauses` pause instructions per sync, and `linger_pauses` more after a sync
// ends (a lone writer's next sync follows within microseconds), then sleeps until the next
// sync starts. With `idle_class`, the spinner runs in the SCHED_IDLE scheduling class: it gets
// a CPU only when nothing else wants it, so it keeps the CPU from idling without taking time
// from runnable threads.
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
  SyncSpinner(std::function<bool()> worth_spinning, int64_t max_pauses, int64_t linger_pauses,
              bool idle_class = false);
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
  const bool idle_class_;
  std::atomic<int> running_{0};       // Syncs running now.
  std::atomic<uint64_t> started_{0};  // Syncs started so far.
  // Futex word: bumped when running_ leaves 0 (and on shutdown).
  std::atomic<int> generation_{0};
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> spins_{0};
  std::atomic<int> cpu_{-1};  // The CPU of the last thread that started a sync.
  int pinned_ = -1;           // The CPU the spinner is bound to (spinner thread only).
  std::thread thread_;
};

}  // namespace rudder::store_internal::rocks

#endif  // RUDDER_LIB_STORE_ROCKS_INTERNAL_SYNC_SPINNER_H_
