#include "lib/controllers/runtime/controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rudder::ctrl {

int ShardOf(const std::string& ns, const std::string& name, int count) {
  if (count <= 1) return 0;
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  if (!ns.empty()) {
    for (unsigned char c : ns) mix(c);
    mix('/');
  }
  for (unsigned char c : name) mix(c);
  return static_cast<int>(h % static_cast<uint64_t>(count));
}

Controller::Controller(ControllerOptions options, std::shared_ptr<Reconciler> reconciler)
    : options_(std::move(options)), reconciler_(std::move(reconciler)) {
  if (options_.max_concurrent_reconciles < 1) options_.max_concurrent_reconciles = 1;
}

Controller::~Controller() { Stop(); }

absl::Status Controller::AddWatch(Watch watch) {
  if (sealed_) {
    return absl::FailedPreconditionError(absl::StrCat("controller ", options_.name,
                                                      ": watches must be added before it is added "
                                                      "to a manager"));
  }
  watches_.push_back(std::move(watch));
  return absl::OkStatus();
}

void Controller::SetRequestFilter(std::function<bool(const Request&)> accept) {
  accept_ = std::move(accept);
}

void Controller::SetDefaults(Clock* clock, const ShardOptions& shard) {
  if (options_.clock == nullptr) options_.clock = clock;
  if (!options_.shard.has_value()) options_.shard = shard;
}

bool Controller::InShard(const Request& r) const {
  if (!options_.shard.has_value() || options_.shard->count <= 1) return true;
  return ShardOf(r.ns, r.name, options_.shard->count) == options_.shard->id;
}

void Controller::Enqueue(const Request& request) {
  std::shared_ptr<Queue> q;
  {
    MutexLock lock(&mu_);
    if (queue_ == nullptr || stopping_ || !InShard(request)) {
      ++metrics_.dropped;
      return;
    }
    q = queue_;
  }
  q->Add(request);
}

void Controller::EnqueueAfter(const Request& request, absl::Duration delay) {
  std::shared_ptr<Queue> q;
  {
    MutexLock lock(&mu_);
    if (queue_ == nullptr || stopping_ || !InShard(request)) {
      ++metrics_.dropped;
      return;
    }
    q = queue_;
  }
  q->AddAfter(request, delay);
}

absl::Status Controller::Start() {
  MutexLock life(&lifecycle_mu_);
  MutexLock lock(&mu_);
  if (queue_ != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("controller ", options_.name, " is already running"));
  }
  Clock* clock = options_.clock != nullptr ? options_.clock : Clock::Real();
  std::unique_ptr<workqueue::RateLimiter<Request>> limiter =
      options_.rate_limiter ? options_.rate_limiter(clock)
                            : workqueue::DefaultControllerRateLimiter<Request>(clock);
  workqueue::QueueOptions qo;
  qo.name = options_.queue_metrics != nullptr ? options_.name : std::string();
  qo.clock = clock;
  qo.metrics_provider = options_.queue_metrics;
  queue_ = std::make_shared<Queue>(std::move(limiter), std::move(qo));
  stopping_ = false;
  for (int i = 0; i < options_.max_concurrent_reconciles; ++i) {
    workers_.emplace_back([this, q = queue_.get()] { Work(q); });
  }
  return absl::OkStatus();
}

void Controller::Stop() {
  MutexLock life(&lifecycle_mu_);
  std::shared_ptr<Queue> q;
  std::vector<std::thread> workers;
  {
    MutexLock lock(&mu_);
    if (queue_ == nullptr) return;
    stopping_ = true;
    q = queue_;
    workers = std::move(workers_);
    workers_.clear();
  }
  q->ShutDown();  // Workers drop what is left and exit.
  for (std::thread& t : workers) t.join();
  MutexLock lock(&mu_);
  queue_.reset();
}

bool Controller::Running() const {
  MutexLock lock(&mu_);
  return queue_ != nullptr && !stopping_;
}

ControllerMetrics Controller::Metrics() const {
  MutexLock lock(&mu_);
  return metrics_;
}

size_t Controller::QueueLength() const {
  MutexLock lock(&mu_);
  return queue_ == nullptr ? 0 : queue_->Len();
}

void Controller::Work(Queue* queue) {
  while (std::optional<Request> req = queue->Get()) {
    bool drop;
    {
      MutexLock lock(&mu_);
      drop = stopping_;
    }
    if (!drop && accept_ && !accept_(*req)) drop = true;
    if (drop) {
      queue->Forget(*req);
      queue->Done(*req);
      MutexLock lock(&mu_);
      ++metrics_.dropped;
      continue;
    }
    {
      MutexLock lock(&mu_);
      ++metrics_.active_workers;
    }
    absl::Time start = absl::Now();
    absl::StatusOr<Result> result = reconciler_->Reconcile(*req);
    absl::Duration took = absl::Now() - start;

    enum { kSuccess, kRequeue, kRequeueAfter, kError, kTerminal } outcome;
    if (!result.ok()) {
      if (IsTerminalError(result.status())) {
        queue->Forget(*req);
        outcome = kTerminal;
      } else {
        queue->AddRateLimited(*req);
        outcome = kError;
      }
    } else if (result->requeue_after > absl::ZeroDuration()) {
      queue->Forget(*req);
      queue->AddAfter(*req, result->requeue_after);
      outcome = kRequeueAfter;
    } else if (result->requeue) {
      queue->AddRateLimited(*req);
      outcome = kRequeue;
    } else {
      queue->Forget(*req);
      outcome = kSuccess;
    }
    {
      MutexLock lock(&mu_);
      --metrics_.active_workers;
      ++metrics_.reconcile_total;
      metrics_.reconcile_time += took;
      metrics_.max_reconcile_time = std::max(metrics_.max_reconcile_time, took);
      switch (outcome) {
        case kSuccess:
          ++metrics_.success;
          break;
        case kRequeue:
          ++metrics_.requeue;
          break;
        case kRequeueAfter:
          ++metrics_.requeue_after;
          break;
        case kError:
          ++metrics_.errors;
          break;
        case kTerminal:
          ++metrics_.errors;
          ++metrics_.terminal_errors;
          break;
      }
    }
    queue->Done(*req);
  }
}

}  // namespace rudder::ctrl
