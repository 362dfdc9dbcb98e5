#include "lib/sched/internal/parallel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RUDDER_CPU_RELAX() _mm_pause()
#else
#define RUDDER_CPU_RELAX() std::this_thread::yield()
#endif

namespace rudder::sched::internal {
namespace {
// How long an idle worker spins for the next job before sleeping (in pause instructions):
// scheduling cycles come every few tens of microseconds under load.
constexpr int kSpins = 4000;
}  // namespace

Parallelizer::Parallelizer(int parallelism) {
  for (int i = 1; i < parallelism; ++i) workers_.emplace_back([this] { Work(); });
}

Parallelizer::~Parallelizer() {
  {
    MutexLock l(&mu_);
    shutdown_ = true;
    job_.fetch_add(1);
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
  active_.store(static_cast<int>(workers_.size()));
  job_.fetch_add(1);
  if (sleeping_.load() > 0) {
    MutexLock l(&mu_);
    cv_.SignalAll();
  }
  RunChunks();
  while (active_.load() != 0) RUDDER_CPU_RELAX();
}

void Parallelizer::Work() {
  uint64_t seen = 0;
  while (true) {
    uint64_t j = job_.load();
    for (int i = 0; i < kSpins && j == seen; ++i) {
      RUDDER_CPU_RELAX();
      j = job_.load();
    }
    if (j == seen) {
      MutexLock l(&mu_);
      sleeping_.fetch_add(1);
      while (job_.load() == seen && !shutdown_) cv_.Wait(&mu_);
      sleeping_.fetch_sub(1);
      if (shutdown_) return;
      j = job_.load();
    } else {
      MutexLock l(&mu_);
      if (shutdown_) return;
    }
    seen = j;
    RunChunks();
    active_.fetch_sub(1);
  }
}

}  // namespace rudder::sched::internal
