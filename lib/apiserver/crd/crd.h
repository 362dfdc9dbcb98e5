// CustomResourceDefinitions: serving the kinds they define.
//
// A CrdController watches apiextensions.k8s.io/v1 CustomResourceDefinitions through a Registry
// and keeps the Registry's Scheme in step with them:
//  - a new or changed CRD registers one kind per served version (names, scope, status and
//    scale subresources, openAPIV3Schema), held as rudder.api.unstructured.CustomObject and
//    validated, defaulted and pruned by the version's structural schema (lib/api/schema);
//    the CRD gets the finalizer customresourcecleanup.apiextensions.k8s.io and the status
//    conditions NamesAccepted and Established (or NamesAccepted False with reason
//    ResourceNameConflict when another kind holds the names), acceptedNames and storedVersions;
//  - a CRD being deleted stops being served, its objects are deleted, and its finalizer is
//    removed so the deletion completes.
// Discovery, OpenAPI and the REST handlers read the Scheme per request, so they follow.
//
// Thread-safety: Start/Stop and Sync may be called from any thread; the watch runs on one
// background thread. The controller borrows the Registry (and its Scheme), which must outlive it.
#ifndef RUDDER_LIB_APISERVER_CRD_CRD_H_
#define RUDDER_LIB_APISERVER_CRD_CRD_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/api/proto/apiextensions/v1/apiextensions.pb.h"
#include "lib/api/scheme/scheme.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"

namespace rudder::apiserver::crd {

// The finalizer that holds a CRD until its objects are deleted.
inline constexpr char kCleanupFinalizer[] = "customresourcecleanup.apiextensions.k8s.io";

// The kinds a CRD serves, one per served version, with defaulting/pruning and validation by
// each version's schema. InvalidArgument (with a field path) for an unusable CRD: missing
// names or group, no served version, not exactly one storage version, a malformed schema.
absl::StatusOr<std::vector<api::KindInfo>> KindsFor(
    const api::apiextensions::v1::CustomResourceDefinition& crd);

// Keeps a Scheme serving the CRDs stored through a Registry.
class CrdController {
 public:
  // Borrows `registry` and `clock` (condition times, the back-off after a failed watch).
  explicit CrdController(Registry* registry, Clock* clock = Clock::Real());
  ~CrdController();  // Stops.
  CrdController(const CrdController&) = delete;
  CrdController& operator=(const CrdController&) = delete;

  // Serves every stored CRD (synchronously), then follows changes on a background thread.
  // FailedPrecondition if the scheme lacks the CRD kind.
  absl::Status Start();
  // Ends the watch and joins the thread. Kinds stay registered. Idempotent.
  void Stop();

  // Brings one CRD (as stored) into effect: registers or re-registers its kinds and writes its
  // status, or, when it is being deleted, unregisters them, deletes its objects and removes the
  // finalizer. Returns the error that kept it from being served, if any (also written to its
  // conditions).
  absl::Status Sync(const std::string& crd_name);

 private:
  struct Served {
    std::string spec_bytes;                    // the spec the kinds were built from
    std::vector<api::GroupVersionKind> kinds;  // registered kinds
  };
  void Run();
  absl::Status Resync();
  absl::Status SyncObject(const api::apiextensions::v1::CustomResourceDefinition& crd);
  absl::Status Cleanup(const api::apiextensions::v1::CustomResourceDefinition& crd);
  void UnregisterLocked(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteStatus(const api::apiextensions::v1::CustomResourceDefinition& crd,
                           const absl::Status& served);

  Registry* registry_;
  api::Scheme* scheme_;
  Clock* clock_;
  const std::shared_ptr<const api::KindInfo> crd_kind_;  // nullptr if the scheme lacks it
  Mutex mu_;
  std::map<std::string, Served> served_ ABSL_GUARDED_BY(mu_);  // by CRD name
  Mutex sync_mu_;                                              // one Sync at a time
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int64_t resource_version_ = 0;  // of the last list; used by the watch thread only
};

}  // namespace rudder::apiserver::crd

#endif  // RUDDER_LIB_APISERVER_CRD_CRD_H_
