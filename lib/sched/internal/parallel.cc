#include "lib/sched/internal/parallel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RUDDER_CPU_RELAX() _mm_pause()
#else
#define RUDDER_CPU_RELAX() std::this_thread::yield()
#endif

namespace rudder::sched::internal {
namespace {
// How long an idle worker polls for the next job before sleeping: under load, scheduling
// cycles come every few tens of microseconds. It polls with sched_yield, so on a busy machine
// the binding thread (or anyone else) gets the core instead of a spinning worker.
constexpr int kSpins = 16;
constexpr int kYields = 200;
constexpr uint64_t kClosed = uint64_t{1} << 31;
constexpr uint64_t kCountMask = kClosed - 1;
}  // namespace

Parallelizer::Parallelizer(int parallelism) {
  for (int i = 1; i < parallelism; ++i) workers_.emplace_back([this] { Work(); });
}

Parallelizer::~Parallelizer() {
  {
    MutexLock l(&mu_);
    shutdown_.store(true);
    // A closed job of a new generation wakes everyone without letting anyone join.
    ctl_.store(((++generation_) << 32) | kClosed);
    cv_.SignalAll();
  }
  for (auto& t : workers_) t.join();
}

void Parallelizer::RunChunks() {
  while (!(stop_ && stop_->load(std::memory_order_relaxed))) {
    int i = next_.fetch_add(1);
    if (i >= num_chunks_) break;
    (*fn_)(i);
  }
}

void Parallelizer::For(int num_chunks, const std::function<void(int)>& fn,
                       const std::atomic<bool>* stop) {
  if (num_chunks <= 0) return;
  fn_ = &fn;
  stop_ = stop;
  num_chunks_ = num_chunks;
  next_.store(0);
  if (workers_.empty() || num_chunks == 1) {
    RunChunks();
    return;
  }
  finished_.store(0);
  ctl_.store((++generation_) << 32);  // Opens the job.
  if (sleeping_.load() > 0) {
    MutexLock l(&mu_);
    cv_.SignalAll();
  }
  RunChunks();
  uint64_t joined = ctl_.fetch_or(kClosed) & kCountMask;
  while (finished_.load() < static_cast<int>(joined)) RUDDER_CPU_RELAX();
}

void Parallelizer::Work() {
  uint64_t seen = 0;
  while (true) {
    uint64_t c = ctl_.load();
    for (int i = 0; i < kSpins && (c >> 32) == seen; ++i) {
      RUDDER_CPU_RELAX();
      c = ctl_.load();
    }
    for (int i = 0; i < kYields && (c >> 32) == seen; ++i) {
      std::this_thread::yield();
      c = ctl_.load();
    }
    if ((c >> 32) == seen) {
      MutexLock l(&mu_);
      sleeping_.fetch_add(1);
      while ((ctl_.load() >> 32) == seen && !shutdown_.load()) cv_.Wait(&mu_);
      sleeping_.fetch_sub(1);
      c = ctl_.load();
    }
    if (shutdown_.load()) return;
    seen = c >> 32;
    // Join the job unless the caller already closed it (or a newer one started).
    bool joined = false;
    while ((c >> 32) == seen && !(c & kClosed)) {
      if (ctl_.compare_exchange_weak(c, c + 1)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    RunChunks();
    finished_.fetch_add(1);
  }
}

}  // namespace rudder::sched::internal
