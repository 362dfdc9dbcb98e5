// Mutex, MutexLock and CondVar: thin, annotated wrappers over the standard library's.
//
// Rudder uses these instead of absl::Mutex because Debian's Abseil is not built with
// ThreadSanitizer annotations: TSan cannot see absl::Mutex's happens-before edges and would
// report false races, while std::mutex goes through pthreads, which TSan intercepts.
// The Clang thread-safety annotations (ABSL_GUARDED_BY and friends) work with these types.
#ifndef RUDDER_LIB_BASE_MUTEX_H_
#define RUDDER_LIB_BASE_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace rudder {

// A non-recursive exclusive lock. Thread-safe.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mu_.try_lock(); }
  // Documents (to the analysis) that the caller holds the lock.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for the lifetime of the scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

namespace base_internal {
// Something the calling thread must let go of before it blocks (FakeClock's books of threads
// that resumed at a fake deadline and have not waited since); run by every CondVar wait.
class ThreadWaitHook {
 public:
  virtual void BeforeWait() = 0;

 protected:
  ~ThreadWaitHook() = default;
};
inline thread_local ThreadWaitHook* thread_wait_hook = nullptr;
inline void BeforeThreadWaits() {
  if (ThreadWaitHook* hook = thread_wait_hook) hook->BeforeWait();
}
}  // namespace base_internal

// A condition variable used with Mutex. Waits may wake spuriously: loop on the predicate.
class CondVar {
 public:
  // Atomically releases `mu`, waits for a signal, and reacquires `mu`.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    base_internal::BeforeThreadWaits();
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // Like Wait, but gives up after `timeout` of real time; returns true on timeout. Timeouts
  // beyond a year (absl::InfiniteDuration() included) wait without limit.
  bool WaitWithTimeout(Mutex* mu, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (timeout > absl::Hours(24 * 365)) {
      Wait(mu);
      return false;
    }
    base_internal::BeforeThreadWaits();
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    bool timed_out =
        cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout)) == std::cv_status::timeout;
    lock.release();
    return timed_out;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace rudder

#endif  // RUDDER_LIB_BASE_MUTEX_H_
