// Leader election on coordination.k8s.io/v1 Lease objects, with client-go's semantics.
//
// Candidates share one Lease. The holder renews it (spec.renewTime) every retry period; the
// others watch it and take it over once it has not changed for a whole lease duration, as
// measured on their own clock from the moment they last saw it change (so clock skew between
// candidates does not matter). Taking over a lease from another holder increments
// spec.leaseTransitions; spec.acquireTime records when the current holder got it. Every write is
// an optimistic update of the Lease read just before it, so two candidates never both win.
//
// A leader that cannot renew for `renew_deadline` gives up leadership (OnStoppedLeading). With
// `release_on_cancel`, a leader that is stopped clears holderIdentity so another candidate
// takes over at once instead of after the lease duration.
//
// Every timer runs on the configured Clock: a FakeClock makes a failover test deterministic.
//
// Example:
//   LeaderElectionConfig config;
//   config.lock = NewLeaseLock(client, "kube-system", "my-controller", "replica-a");
//   config.callbacks.on_started_leading = [&] { StartControllers(); };
//   config.callbacks.on_stopped_leading = [&] { StopControllers(); };
//   auto elector = LeaderElector::New(std::move(config));
//   std::thread t([&] { (*elector)->Run(); });   // returns when leadership is lost or Stop()
#ifndef RUDDER_LIB_CLIENT_LEADERELECTION_LEADERELECTION_H_
#define RUDDER_LIB_CLIENT_LEADERELECTION_LEADERELECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"

namespace rudder::leaderelection {

// What a lock holds: client-go's LeaderElectionRecord, the spec of a Lease.
struct LeaderElectionRecord {
  std::string holder_identity;  // Empty: nobody holds the lock.
  int lease_duration_seconds = 0;
  absl::Time acquire_time = absl::UnixEpoch();
  absl::Time renew_time = absl::UnixEpoch();
  int leader_transitions = 0;

  friend bool operator==(const LeaderElectionRecord&, const LeaderElectionRecord&) = default;
};

// The object candidates compete for. Implementations are thread-safe.
class ResourceLock {
 public:
  virtual ~ResourceLock() = default;
  // Reads the record (remembering the object's version for the next Update). NotFound when the
  // lock object does not exist.
  virtual absl::StatusOr<LeaderElectionRecord> Get() = 0;
  // Creates the lock object holding `record`. AlreadyExists when another candidate was first.
  virtual absl::Status Create(const LeaderElectionRecord& record) = 0;
  // Writes `record` over the version last read or written. Aborted when someone else wrote
  // since.
  virtual absl::Status Update(const LeaderElectionRecord& record) = 0;
  // This candidate's identity.
  virtual const std::string& Identity() const = 0;
  // "namespace/name", for messages.
  virtual std::string Describe() const = 0;
};

// A lock on the Lease `ns`/`name` through `client` (borrowed; must outlive the lock), held as
// `identity` (unique among the candidates, e.g. host name plus a random suffix).
std::unique_ptr<ResourceLock> NewLeaseLock(client::Client* client, const std::string& ns,
                                           const std::string& name, const std::string& identity);

// Notifications of an elector. They run on the thread that called Run() and must return
// promptly (start work elsewhere): the elector does not renew while they run.
struct LeaderCallbacks {
  // This candidate became the leader.
  std::function<void()> on_started_leading;
  // This candidate stopped being the leader (lost the lease or was stopped). Called only after
  // on_started_leading.
  std::function<void()> on_stopped_leading;
  // The observed holder changed (to `identity`, possibly this candidate's own).
  std::function<void(const std::string& identity)> on_new_leader;
};

// How an elector behaves; the defaults are client-go's usual ones (15 s, 10 s, 2 s).
struct LeaderElectionConfig {
  std::unique_ptr<ResourceLock> lock;
  // How long non-leaders wait, after last seeing the lease change, before taking it over.
  absl::Duration lease_duration = absl::Seconds(15);
  // How long the leader keeps retrying a failed renewal before giving up leadership.
  absl::Duration renew_deadline = absl::Seconds(10);
  // The wait between attempts to acquire or renew.
  absl::Duration retry_period = absl::Seconds(2);
  // Attempts to acquire wait retry_period * (1 + r * jitter_factor), r random in [0, 1).
  double jitter_factor = 1.2;
  uint64_t seed = 0;  // Of the jitter; 0: from the identity.
  LeaderCallbacks callbacks;
  // Give the lease up (empty holder) when stopped while leading.
  bool release_on_cancel = false;
  // Time source (borrowed); nullptr: Clock::Real().
  Clock* clock = nullptr;
  // Names the election in messages.
  std::string name;
};

// One candidate of an election. Thread-safe: Run() on one thread, the rest from any.
class LeaderElector {
 public:
  // InvalidArgument unless a lock is set, every duration is positive and, as client-go checks,
  // lease_duration > renew_deadline > jitter_factor * retry_period.
  static absl::StatusOr<std::unique_ptr<LeaderElector>> New(LeaderElectionConfig config);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Campaigns until this candidate is the leader, then renews until it loses the lease or
  // Stop() is called; returns then. May be called again after a loss (not after Stop()).
  void Run();
  // Makes Run() return (releasing the lease first with release_on_cancel). Permanent.
  void Stop();

  // Whether this candidate holds the lease, as last observed.
  bool IsLeader() const;
  // The identity of the holder last observed ("" when none).
  std::string GetLeader() const;

  // One attempt to acquire or renew the lease (what Run() does every retry period). Public so
  // tests can step an election without threads.
  bool TryAcquireOrRenew();

 private:
  explicit LeaderElector(LeaderElectionConfig config);
  // Waits on the clock until `deadline` or Stop(); returns false if stopped.
  bool WaitUntil(absl::Time deadline);
  absl::Duration Jittered(absl::Duration d);
  void Release();

  LeaderElectionConfig config_;
  Clock* const clock_;
  mutable Mutex mu_;
  CondVar cv_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  LeaderElectionRecord observed_ ABSL_GUARDED_BY(mu_);
  bool has_observed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time observed_time_ ABSL_GUARDED_BY(mu_);
  std::string reported_leader_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::leaderelection

#endif  // RUDDER_LIB_CLIENT_LEADERELECTION_LEADERELECTION_H_
