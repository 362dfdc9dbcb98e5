// A Client that reads from informer caches and reads its own writes.
//
// Gets and Lists are served from the cluster's SharedInformerFactory once the kind's informer
// has synced (the informer is created on first use). Every write through this client records
// the resourceVersion it produced for its object; until the cache has caught up with that
// revision (the cached object is at least that new, or the informer has applied an event at
// least that new), reads of that object, and lists of its kind that could include it, go to
// the API server instead. Lists with pages, a resourceVersion or a field selector always go
// to the API server. Watches and the scale subresource go to the API server.
//
// Thread-safe. Borrows the direct client and the factory (both must outlive it).
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_INTERNAL_CACHED_CLIENT_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_INTERNAL_CACHED_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/client/informer/factory.h"

namespace rudder::ctrl::internal {

// Counters of where reads went (for tests and metrics).
struct CachedClientStats {
  int64_t cache_reads = 0;
  int64_t direct_reads = 0;
};

class CachedClient : public client::Client {
 public:
  CachedClient(client::Client* direct, client::SharedInformerFactory* factory)
      : direct_(direct), factory_(factory) {}

  api::Scheme& scheme() const override { return direct_->scheme(); }
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
  absl::Status DeleteCollection(const api::KindInfo& kind, const std::string& ns,
                                const client::ListOptions& selectors,
                                const client::DeleteOptions& options) override;
  absl::StatusOr<client::ObjectPtr> FinalizeNamespace(
      client::ObjectPtr ns_obj, const client::WriteOptions& options) override {
    return direct_->FinalizeNamespace(std::move(ns_obj), options);
  }
  // Bind and Evict write through and record the pod's write, so a Get right after them sees it.
  absl::Status Bind(const std::string& ns, const api::core::v1::Binding& binding,
                    const client::WriteOptions& options) override;
  absl::Status Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                     const client::WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<client::ObjectWatcher>> Watch(
      const api::KindInfo& kind, const std::string& ns,
      const client::WatchOptions& options) override {
    return direct_->Watch(kind, ns, options);
  }
  absl::StatusOr<std::unique_ptr<client::Scale>> GetScale(const api::KindInfo& kind,
                                                          const std::string& ns,
                                                          const std::string& name) override {
    return direct_->GetScale(kind, ns, name);
  }
  absl::StatusOr<std::unique_ptr<client::Scale>> UpdateScale(const api::KindInfo& kind,
                                                             const std::string& ns,
                                                             const std::string& name,
                                                             const client::Scale& scale) override;

  CachedClientStats Stats() const;

 private:
  // (group/version/plural, namespace, name)
  using Key = std::tuple<std::string, std::string, std::string>;
  static std::string KindKey(const api::KindInfo& kind);
  // The synced informer of `kind`, or nullptr (read directly then).
  client::SharedIndexInformer* Informer(const api::KindInfo& kind);
  // Records that (kind, ns, name) was written at `rv` (a resourceVersion string).
  void Wrote(const api::KindInfo& kind, const std::string& ns, const std::string& name,
             const std::string& rv);
  void WroteObject(const api::KindInfo& kind, const std::string& ns,
                   const absl::StatusOr<client::ObjectPtr>& result);
  // After a pods subresource write that returns no object: records the pod as read back, or,
  // when it is gone, a revision past `before` (the pod as read before the write).
  void WrotePod(const std::string& ns, const std::string& name,
                const absl::StatusOr<client::ObjectPtr>& before);
  // Whether the cache has caught up with the recorded write of `key` (erasing it if so).
  bool CaughtUp(const Key& key, const client::SharedIndexInformer& informer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  client::Client* const direct_;
  client::SharedInformerFactory* const factory_;
  mutable Mutex mu_;
  std::map<Key, int64_t> pending_ ABSL_GUARDED_BY(mu_);
  CachedClientStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::ctrl::internal

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_INTERNAL_CACHED_CLIENT_H_
