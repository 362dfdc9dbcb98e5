// One handler of a SharedIndexInformer with its own unbounded buffer and delivery thread.
#ifndef RUDDER_LIB_CLIENT_INFORMER_INTERNAL_LISTENER_H_
#define RUDDER_LIB_CLIENT_INFORMER_INTERNAL_LISTENER_H_

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/informer/handler.h"

namespace rudder::client::internal {

// A notification waiting for delivery.
struct Notification {
  enum class Type { kAdd, kUpdate, kDelete, kSynced };
  Type type = Type::kAdd;
  ObjectRef old_obj;  // kUpdate
  ObjectRef obj;
  bool flag = false;  // kAdd: is_initial_list; kDelete: final_state_unknown
};

// Delivers notifications to one handler, in order, from its own thread. Thread-safe.
class Listener : public HandlerRegistration, public std::enable_shared_from_this<Listener> {
 public:
  // `work`, when set (the informer runs on a FakeClock), counts every notification from its
  // Push until its callback has returned (FakeClock::AddWork).
  Listener(std::shared_ptr<ResourceEventHandler> handler, absl::Duration resync,
           FakeClock* work = nullptr)
      : handler_(std::move(handler)), resync_(resync), work_(work) {}
  ~Listener() override;

  bool HasSynced() const override { return synced_.load(std::memory_order_acquire); }

  // Starts the delivery thread.
  void Start();
  // Queues a notification (never blocks on the handler).
  void Push(Notification n);
  // Queues notifications in order, taking the lock and waking the thread once.
  void PushBatch(const std::vector<Notification>& batch);
  // Stops delivering (pending notifications are dropped) and joins the thread, unless called
  // from the thread itself (which then finishes on its own after the current callback).
  void Stop();

  // The resync period (zero: none) and the next resync time, which the informer keeps under
  // its own lock.
  absl::Duration resync() const { return resync_; }
  absl::Time next_resync = absl::InfiniteFuture();
  const ResourceEventHandler* handler() const { return handler_.get(); }

  // Notifications delivered so far (tests and benchmarks).
  int64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void CountWork(int64_t delta) {
    if (work_ != nullptr && delta != 0) work_->AddWork(delta);
  }

  const std::shared_ptr<ResourceEventHandler> handler_;
  const absl::Duration resync_;
  FakeClock* const work_;
  std::atomic<bool> synced_{false};
  std::atomic<int64_t> delivered_{0};
  std::atomic<bool> stop_flag_{false};
  Mutex mu_;
  CondVar cv_;
  std::vector<Notification> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;  // the thread is blocked in cv_.Wait
  std::thread thread_;
};

}  // namespace rudder::client::internal

#endif  // RUDDER_LIB_CLIENT_INFORMER_INTERNAL_LISTENER_H_
