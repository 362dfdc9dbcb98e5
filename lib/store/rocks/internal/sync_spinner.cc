#include "lib/store/rocks/internal/sync_spinner.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utility>

namespace rudder::store_internal::rocks {
namespace {

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

SyncSpinner::SyncSpinner(std::function<bool()> worth_spinning, int64_t max_pauses,
                         int64_t linger_pauses, bool idle_class)
    : worth_spinning_(std::move(worth_spinning)),
      max_pauses_(max_pauses),
      linger_pauses_(linger_pauses),
      idle_class_(idle_class) {
  thread_ = std::thread([this] { Loop(); });
}

SyncSpinner::~SyncSpinner() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  syscall(SYS_futex, reinterpret_cast<int*>(&generation_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr,
          0);
  thread_.join();
}

void SyncSpinner::Begin() {
  cpu_.store(sched_getcpu(), std::memory_order_relaxed);
  started_.fetch_add(1, std::memory_order_relaxed);
  if (running_.fetch_add(1, std::memory_order_seq_cst) != 0) return;
  generation_.fetch_add(1, std::memory_order_seq_cst);
  // Only a sleeping spinner needs the system call (seq_cst: either it sees the new generation
  // before sleeping, or this thread sees it asleep).
  if (sleeping_.load(std::memory_order_seq_cst)) {
    syscall(SYS_futex, reinterpret_cast<int*>(&generation_), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
  }
}

void SyncSpinner::End() { running_.fetch_sub(1, std::memory_order_release); }

void SyncSpinner::Loop() {
  if (idle_class_) {
    // Runs only on a CPU nothing else wants (fails harmlessly where not permitted).
    sched_param param{};
    param.sched_priority = 0;
    sched_setscheduler(0, SCHED_IDLE, &param);
  }
  int seen = generation_.load(std::memory_order_seq_cst);
  while (!stop_.load(std::memory_order_acquire)) {
    if (running_.load(std::memory_order_acquire) > 0 && worth_spinning_()) {
      spins_.fetch_add(1, std::memory_order_relaxed);
      // Spin on the CPU of the thread that syncs: that CPU must not go idle (spinning on
      // another one does not help), and the thread, once woken, preempts the spinner there.
      // Binding fails harmlessly if the CPU is not allowed.
      const int cpu = cpu_.load(std::memory_order_relaxed);
      if (cpu >= 0 && cpu != pinned_) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) == 0) pinned_ = cpu;
      }
      uint64_t started = started_.load(std::memory_order_relaxed);
      int64_t budget = max_pauses_;  // For the sync running now.
      int64_t idle = 0;              // Pauses since the last sync ended.
      for (int64_t i = 1; !stop_.load(std::memory_order_relaxed); ++i) {
        // Stop when there is other work for the CPU (checked now and then).
        if ((i & 255) == 0 && !worth_spinning_()) break;
        const uint64_t s = started_.load(std::memory_order_relaxed);
        if (s != started) {
          started = s;
          budget = max_pauses_;
        }
        if (running_.load(std::memory_order_acquire) > 0) {
          idle = 0;
          if (--budget <= 0) break;
        } else if (++idle > linger_pauses_) {
          break;
        }
        CpuRelax();
      }
    }
    // Sleep until the next sync starts (a new generation).
    sleeping_.store(true, std::memory_order_seq_cst);
    if (generation_.load(std::memory_order_seq_cst) == seen) {
      syscall(SYS_futex, reinterpret_cast<int*>(&generation_), FUTEX_WAIT_PRIVATE, seen, nullptr,
              nullptr, 0);
    }
    sleeping_.store(false, std::memory_order_seq_cst);
    seen = generation_.load(std::memory_order_seq_cst);
  }
}

}  // namespace rudder::store_internal::rocks
