// A small fixed thread pool running index ranges in parallel; the caller takes part.
#ifndef RUDDER_LIB_SCHED_INTERNAL_PARALLEL_H_
#define RUDDER_LIB_SCHED_INTERNAL_PARALLEL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "lib/base/mutex.h"

namespace rudder::sched::internal {

// Runs fn(chunk) for chunk in [0, num_chunks), chunks claimed in increasing order. One For at
// a time (the scheduling thread); For itself is not reentrant.
class Parallelizer {
 public:
  // parallelism - 1 worker threads are started (the caller is the last one).
  explicit Parallelizer(int parallelism);
  ~Parallelizer();
  Parallelizer(const Parallelizer&) = delete;
  Parallelizer& operator=(const Parallelizer&) = delete;

  int parallelism() const { return static_cast<int>(workers_.size()) + 1; }
  // Blocks until every claimed chunk ran. If `stop` is non-null, no chunk is claimed once it is
  // true, so the chunks that ran are always a prefix [0, k).
  void For(int num_chunks, const std::function<void(int)>& fn,
           const std::atomic<bool>* stop = nullptr);

 private:
  void Work();
  void RunChunks();

  std::vector<std::thread> workers_;
  Mutex mu_;
  CondVar cv_;
  std::atomic<bool> shutdown_{false};
  // The job control word: (generation << 32) | closed bit | number of workers that joined.
  // Workers join an open job only; the caller closes it when out of chunks and waits for the
  // workers that joined, so a worker that wakes late never delays the caller.
  std::atomic<uint64_t> ctl_{0};
  uint64_t generation_ = 0;  // Caller only.
  std::atomic<int> finished_{0};
  // The current job (valid for workers that joined it).
  const std::function<void(int)>* fn_ = nullptr;
  const std::atomic<bool>* stop_ = nullptr;
  int num_chunks_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> sleeping_{0};
};

}  // namespace rudder::sched::internal

#endif  // RUDDER_LIB_SCHED_INTERNAL_PARALLEL_H_
