#include "lib/client/leaderelection/leaderelection.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"

namespace rudder::leaderelection {
namespace {

using api::coordination::v1::Lease;

class LeaseLock : public ResourceLock {
 public:
  LeaseLock(client::Client* client, std::string ns, std::string name, std::string identity)
      : leases_(client),
        ns_(std::move(ns)),
        name_(std::move(name)),
        identity_(std::move(identity)) {}

  absl::StatusOr<LeaderElectionRecord> Get() override {
    absl::StatusOr<std::unique_ptr<Lease>> lease = leases_.Get(ns_, name_);
    if (!lease.ok()) return lease.status();
    LeaderElectionRecord record = ToRecord(**lease);
    MutexLock lock(&mu_);
    last_ = *std::move(lease);
    return record;
  }

  absl::Status Create(const LeaderElectionRecord& record) override {
    Lease lease;
    lease.mutable_metadata()->set_namespace_(ns_);
    lease.mutable_metadata()->set_name(name_);
    SetSpec(record, &lease);
    absl::StatusOr<std::unique_ptr<Lease>> created = leases_.Create(lease);
    if (!created.ok()) return created.status();
    MutexLock lock(&mu_);
    last_ = *std::move(created);
    return absl::OkStatus();
  }

  absl::Status Update(const LeaderElectionRecord& record) override {
    Lease lease;
    {
      MutexLock lock(&mu_);
      if (last_ == nullptr) {
        return absl::FailedPreconditionError(
            absl::StrCat("lease ", Describe(), " must be read or created before it is updated"));
      }
      lease = *last_;
    }
    SetSpec(record, &lease);
    absl::StatusOr<std::unique_ptr<Lease>> updated = leases_.Update(lease);
    if (!updated.ok()) return updated.status();
    MutexLock lock(&mu_);
    last_ = *std::move(updated);
    return absl::OkStatus();
  }

  const std::string& Identity() const override { return identity_; }
  std::string Describe() const override { return absl::StrCat(ns_, "/", name_); }

 private:
  static LeaderElectionRecord ToRecord(const Lease& lease) {
    LeaderElectionRecord r;
    r.holder_identity = lease.spec().holderidentity();
    r.lease_duration_seconds = lease.spec().leasedurationseconds();
    r.acquire_time = api::ToAbslTime(lease.spec().acquiretime());
    r.renew_time = api::ToAbslTime(lease.spec().renewtime());
    r.leader_transitions = lease.spec().leasetransitions();
    return r;
  }
  static void SetSpec(const LeaderElectionRecord& r, Lease* lease) {
    auto* spec = lease->mutable_spec();
    spec->set_holderidentity(r.holder_identity);
    spec->set_leasedurationseconds(r.lease_duration_seconds);
    *spec->mutable_acquiretime() = api::MicroFromAbslTime(r.acquire_time);
    *spec->mutable_renewtime() = api::MicroFromAbslTime(r.renew_time);
    spec->set_leasetransitions(r.leader_transitions);
  }

  client::TypedClient<Lease> leases_;
  const std::string ns_;
  const std::string name_;
  const std::string identity_;
  Mutex mu_;
  std::unique_ptr<Lease> last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<ResourceLock> NewLeaseLock(client::Client* client, const std::string& ns,
                                           const std::string& name, const std::string& identity) {
  return std::make_unique<LeaseLock>(client, ns, name, identity);
}

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::New(LeaderElectionConfig config) {
  if (config.lock == nullptr) return absl::InvalidArgumentError("lock: a lock is required");
  if (config.lock->Identity().empty()) {
    return absl::InvalidArgumentError("lock.identity: an identity is required");
  }
  if (config.lease_duration <= absl::ZeroDuration() ||
      config.renew_deadline <= absl::ZeroDuration() ||
      config.retry_period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "leaseDuration, renewDeadline and retryPeriod must be greater than zero");
  }
  if (config.lease_duration <= config.renew_deadline) {
    return absl::InvalidArgumentError("leaseDuration must be greater than renewDeadline");
  }
  if (config.jitter_factor < 0) {
    return absl::InvalidArgumentError("jitterFactor must not be negative");
  }
  if (config.renew_deadline <= config.retry_period * std::max(1.0, config.jitter_factor)) {
    return absl::InvalidArgumentError(
        "renewDeadline must be greater than retryPeriod * jitterFactor");
  }
  return std::unique_ptr<LeaderElector>(new LeaderElector(std::move(config)));
}

LeaderElector::LeaderElector(LeaderElectionConfig config)
    : config_(std::move(config)),
      clock_(config_.clock != nullptr ? config_.clock : Clock::Real()),
      rng_(config_.seed != 0 ? config_.seed : absl::HashOf(config_.lock->Identity())) {}

LeaderElector::~LeaderElector() = default;

bool LeaderElector::IsLeader() const {
  MutexLock lock(&mu_);
  return has_observed_ && observed_.holder_identity == config_.lock->Identity();
}

std::string LeaderElector::GetLeader() const {
  MutexLock lock(&mu_);
  return observed_.holder_identity;
}

void LeaderElector::Stop() {
  MutexLock lock(&mu_);
  stopped_ = true;
  cv_.SignalAll();
}

bool LeaderElector::WaitUntil(absl::Time deadline) {
  MutexLock lock(&mu_);
  while (!stopped_ && clock_->Now() < deadline) clock_->WaitUntil(&cv_, &mu_, deadline);
  return !stopped_;
}

absl::Duration LeaderElector::Jittered(absl::Duration d) {
  MutexLock lock(&mu_);
  if (config_.jitter_factor <= 0) return d;
  double r = std::uniform_real_distribution<double>(0, 1)(rng_);
  return d + d * (r * config_.jitter_factor);
}

bool LeaderElector::TryAcquireOrRenew() {
  const std::string& id = config_.lock->Identity();
  absl::Time now = clock_->Now();
  LeaderElectionRecord record;
  record.holder_identity = id;
  record.lease_duration_seconds = static_cast<int>(absl::ToInt64Seconds(config_.lease_duration));
  record.acquire_time = now;
  record.renew_time = now;

  absl::StatusOr<LeaderElectionRecord> old = config_.lock->Get();
  if (!old.ok()) {
    if (!absl::IsNotFound(old.status())) return false;
    if (!config_.lock->Create(record).ok()) return false;
    MutexLock lock(&mu_);
    observed_ = record;
    has_observed_ = true;
    observed_time_ = now;
    return true;
  }

  bool leader;
  {
    MutexLock lock(&mu_);
    if (!has_observed_ || !(observed_ == *old)) {
      observed_ = *old;
      has_observed_ = true;
      observed_time_ = now;
    }
    leader = observed_.holder_identity == id;
    // Someone else holds a lease that has not expired (on our clock): wait.
    if (!old->holder_identity.empty() && observed_time_ + config_.lease_duration > now && !leader) {
      return false;
    }
  }
  if (leader) {
    record.acquire_time = old->acquire_time;
    record.leader_transitions = old->leader_transitions;
  } else {
    record.leader_transitions = old->leader_transitions + 1;
  }
  if (!config_.lock->Update(record).ok()) return false;
  MutexLock lock(&mu_);
  observed_ = record;
  observed_time_ = now;
  return true;
}

void LeaderElector::Release() {
  LeaderElectionRecord record;
  {
    MutexLock lock(&mu_);
    if (!has_observed_ || observed_.holder_identity != config_.lock->Identity()) return;
    record.leader_transitions = observed_.leader_transitions;
  }
  absl::Time now = clock_->Now();
  record.lease_duration_seconds = 1;
  record.acquire_time = now;
  record.renew_time = now;
  if (config_.lock->Update(record).ok()) {
    MutexLock lock(&mu_);
    observed_ = record;
    observed_time_ = now;
  }
}

void LeaderElector::Run() {
  auto report = [this] {
    std::string leader;
    {
      MutexLock lock(&mu_);
      if (observed_.holder_identity == reported_leader_) return;
      reported_leader_ = observed_.holder_identity;
      leader = reported_leader_;
    }
    if (config_.callbacks.on_new_leader) config_.callbacks.on_new_leader(leader);
  };

  // Campaign.
  while (true) {
    {
      MutexLock lock(&mu_);
      if (stopped_) return;
    }
    bool acquired = TryAcquireOrRenew();
    report();
    if (acquired) break;
    if (!WaitUntil(clock_->Now() + Jittered(config_.retry_period))) return;
  }
  if (config_.callbacks.on_started_leading) config_.callbacks.on_started_leading();

  // Renew every retry period; give up after renew_deadline of failures.
  bool stopped = false;
  while (true) {
    absl::Time deadline = clock_->Now() + config_.renew_deadline;
    bool renewed = false;
    while (true) {
      renewed = TryAcquireOrRenew();
      report();
      if (renewed) break;
      absl::Time next = clock_->Now() + config_.retry_period;
      if (next > deadline) break;
      if (!WaitUntil(next)) {
        stopped = true;
        break;
      }
    }
    if (!renewed || stopped) break;
    if (!WaitUntil(clock_->Now() + config_.retry_period)) {
      stopped = true;
      break;
    }
  }
  if (stopped && config_.release_on_cancel) Release();
  if (config_.callbacks.on_stopped_leading) config_.callbacks.on_stopped_leading();
}

}  // namespace rudder::leaderelection
