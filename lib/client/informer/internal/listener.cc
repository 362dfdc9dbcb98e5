#include "lib/client/informer/internal/listener.h"

#include <utility>

namespace rudder::client::internal {

Listener::~Listener() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
    stop_flag_.store(true, std::memory_order_release);
    cv_.SignalAll();
  }
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  MutexLock l(&mu_);
  CountWork(-static_cast<int64_t>(pending_.size()));
}

void Listener::Start() {
  std::shared_ptr<Listener> self = shared_from_this();
  thread_ = std::thread([self] { self->Run(); });
}

void Listener::Push(Notification n) {
  MutexLock l(&mu_);
  if (stopping_) return;
  CountWork(1);
  pending_.push_back(std::move(n));
  if (waiting_) cv_.Signal();
}

void Listener::PushBatch(const std::vector<Notification>& batch) {
  if (batch.empty()) return;
  MutexLock l(&mu_);
  if (stopping_) return;
  CountWork(static_cast<int64_t>(batch.size()));
  pending_.insert(pending_.end(), batch.begin(), batch.end());
  if (waiting_) cv_.Signal();
}

void Listener::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
    stop_flag_.store(true, std::memory_order_release);
    CountWork(-static_cast<int64_t>(pending_.size()));
    pending_.clear();
    cv_.SignalAll();
  }
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

void Listener::Run() {
  // Double buffering: the thread swaps the whole pending vector out, so producers and the
  // handler never contend per event, and both vectors keep their capacity.
  std::vector<Notification> batch;
  while (true) {
    {
      MutexLock l(&mu_);
      while (pending_.empty() && !stopping_) {
        waiting_ = true;
        cv_.Wait(&mu_);
        waiting_ = false;
      }
      if (stopping_) return;
      batch.swap(pending_);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      Notification& n = batch[i];
      // Stop promptly, even in the middle of a batch.
      if (stop_flag_.load(std::memory_order_acquire)) {
        CountWork(-static_cast<int64_t>(batch.size() - i));
        return;
      }
      switch (n.type) {
        case Notification::Type::kAdd:
          handler_->OnAdd(n.obj, n.flag);
          break;
        case Notification::Type::kUpdate:
          handler_->OnUpdate(n.old_obj, n.obj);
          break;
        case Notification::Type::kDelete:
          handler_->OnDelete(n.obj, n.flag);
          break;
        case Notification::Type::kSynced:
          synced_.store(true, std::memory_order_release);
          break;
      }
      delivered_.fetch_add(1, std::memory_order_relaxed);
      CountWork(-1);  // After the callback: what it enqueued is counted by then.
    }
    batch.clear();  // releases the objects outside the lock, keeps the capacity
  }
}

}  // namespace rudder::client::internal
