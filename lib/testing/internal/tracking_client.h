// The client a TestCluster hands its controllers: forwards every call to the in-process
// client, tracks how far each watch has delivered (for quiescence) and, with a seed, makes
// watches misbehave (delays, per-object reorders, dropped connections).
//
// On the cluster's FakeClock it counts as work in flight (FakeClock::AddWork): every event a
// watch holds back, every event handed to the consumer until the consumer asks for more with
// a nonzero timeout (a reflector drains a batch with zero timeouts and hands it to its
// handlers before it waits again), every watch that ended with an error or was closed without
// Cancel, until the same watch (kind, namespace, selectors) is opened again, and every
// informer's first list (at resourceVersion "0") until its watch is open.
#ifndef RUDDER_LIB_TESTING_INTERNAL_TRACKING_CLIENT_H_
#define RUDDER_LIB_TESTING_INTERNAL_TRACKING_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"

namespace rudder::testing::internal {

// How watches misbehave (see TestClusterOptions::perturbation).
struct Perturbation {
  uint64_t seed = 0;  // 0: watches behave.
  double delay_probability = 0.2;
  double drop_probability = 0.02;
  int max_reorder_window = 8;
};

class TrackedWatcher;

// Thread-safe. Borrows `next` (must outlive it).
class TrackingClient : public client::Client {
 public:
  // `log`, when set, receives this client's writes instead and this client's watches are
  // neither tracked nor perturbed (the test's own client).
  // `work`, when set, receives the watches' in-flight counts.
  TrackingClient(client::Client* next, Perturbation perturbation, TrackingClient* log = nullptr,
                 FakeClock* work = nullptr);
  ~TrackingClient() override;

  api::Scheme& scheme() const override { return next_->scheme(); }
  absl::StatusOr<client::ObjectPtr> Create(const api::KindInfo& kind, const std::string& ns,
                                           client::ObjectPtr obj,
                                           const client::WriteOptions& options) override;
  absl::StatusOr<client::ObjectPtr> Get(const api::KindInfo& kind, const std::string& ns,
                                        const std::string& name) override;
  absl::StatusOr<client::ListResult> List(const api::KindInfo& kind, const std::string& ns,
                                          const client::ListOptions& options) override;
  absl::StatusOr<client::ObjectPtr> Update(const api::KindInfo& kind, const std::string& ns,
                                           client::ObjectPtr obj, bool status,
                                           const client::WriteOptions& options) override;
  absl::StatusOr<client::ObjectPtr> Patch(const api::KindInfo& kind, const std::string& ns,
                                          const std::string& name, client::PatchType type,
                                          const std::string& patch, bool status,
                                          const client::WriteOptions& options) override;
  absl::StatusOr<client::ObjectPtr> Delete(const api::KindInfo& kind, const std::string& ns,
                                           const std::string& name,
                                           const client::DeleteOptions& options) override;
  absl::StatusOr<std::unique_ptr<client::ObjectWatcher>> Watch(
      const api::KindInfo& kind, const std::string& ns,
      const client::WatchOptions& options) override;
  // Binds through `next` and records the pod's write.
  absl::Status Bind(const std::string& ns, const api::core::v1::Binding& binding,
                    const client::WriteOptions& options) override;
  // Evicts through `next` and records the pod's write (or, once it is gone, a revision past
  // the pod as read before).
  absl::Status Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                     const client::WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<client::Scale>> GetScale(const api::KindInfo& kind,
                                                          const std::string& ns,
                                                          const std::string& name) override;
  absl::StatusOr<std::unique_ptr<client::Scale>> UpdateScale(const api::KindInfo& kind,
                                                             const std::string& ns,
                                                             const std::string& name,
                                                             const client::Scale& scale) override;

  // Records a write of `kind` at `rv` made elsewhere (the test's own client): every full
  // watch of the kind must deliver an event at or past it before the cluster is quiescent.
  void NoteWrite(const std::string& kind_key, int64_t rv);
  // The newest revision recorded for writes of `kind_key`; 0 when none.
  int64_t Written(const std::string& kind_key) const;
  // Empty when every full watch (all namespaces, no selector) has delivered every recorded
  // write of its kind and holds no delayed events; else what is still in flight.
  std::string Pending() const;
  // Watch connections dropped on purpose so far.
  int64_t Drops() const;

  // Called by watchers.
  void Unregister(TrackedWatcher* w);
  void CountDrop();
  // The watch `watch_key` ended (error or abandoned while owing events): its consumer is
  // expected to open it again, and until then it is in flight.
  void ExpectRewatch(const std::string& watch_key);
  FakeClock* work() const { return work_; }

 private:
  void Note(const api::KindInfo& kind, const absl::StatusOr<client::ObjectPtr>& r, int64_t bump);

  client::Client* const next_;
  const Perturbation perturbation_;
  TrackingClient* const log_;
  FakeClock* const work_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> rewatch_ ABSL_GUARDED_BY(mu_);  // Watch key -> n.
  absl::flat_hash_set<std::string> listing_ ABSL_GUARDED_BY(mu_);  // Listed at "0", not watched.
  absl::flat_hash_map<std::string, int64_t> written_ ABSL_GUARDED_BY(mu_);  // Kind -> rv.
  std::vector<TrackedWatcher*> watchers_ ABSL_GUARDED_BY(mu_);
  int64_t next_watcher_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t drops_ ABSL_GUARDED_BY(mu_) = 0;
};

// The key TrackingClient uses for a kind.
std::string KindKey(const api::KindInfo& kind);
// The key of one watch: kind, namespace and selectors.
std::string WatchKey(const api::KindInfo& kind, const std::string& ns, const std::string& labels,
                     const std::string& fields);

}  // namespace rudder::testing::internal

#endif  // RUDDER_LIB_TESTING_INTERNAL_TRACKING_CLIENT_H_
