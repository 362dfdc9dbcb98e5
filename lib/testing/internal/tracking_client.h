// The client a TestCluster hands its controllers: forwards every call to the in-process
// client, tracks how far each watch has delivered (for quiescence) and, with a seed, makes
// watches misbehave (delays, per-object reorders, dropped connections).
#ifndef RUDDER_LIB_TESTING_INTERNAL_TRACKING_CLIENT_H_
#define RUDDER_LIB_TESTING_INTERNAL_TRACKING_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
  TrackingClient(client::Client* next, Perturbation perturbation, TrackingClient* log = nullptr);
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
  // Empty when every full watch (all namespaces, no selector) has delivered every recorded
  // write of its kind and holds no delayed events; else what is still in flight.
  std::string Pending() const;
  // Watch connections dropped on purpose so far.
  int64_t Drops() const;

  // Called by watchers.
  void Unregister(TrackedWatcher* w);
  void CountDrop();

 private:
  void Note(const api::KindInfo& kind, const absl::StatusOr<client::ObjectPtr>& r, int64_t bump);

  client::Client* const next_;
  const Perturbation perturbation_;
  TrackingClient* const log_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> written_ ABSL_GUARDED_BY(mu_);  // Kind -> rv.
  std::vector<TrackedWatcher*> watchers_ ABSL_GUARDED_BY(mu_);
  int64_t next_watcher_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t drops_ ABSL_GUARDED_BY(mu_) = 0;
};

// The key TrackingClient uses for a kind.
std::string KindKey(const api::KindInfo& kind);

}  // namespace rudder::testing::internal

#endif  // RUDDER_LIB_TESTING_INTERNAL_TRACKING_CLIENT_H_
