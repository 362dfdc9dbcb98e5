// Reconcile: the unit of work of a controller (controller-runtime's pkg/reconcile).
//
// A Reconciler is handed a Request naming one object (cluster, namespace, name) and makes the
// world match that object's desired state. It reads the object itself (it may be gone), so
// many events about one object collapse into one Request. Its Result says whether to look
// again: `requeue_after` schedules a new attempt after a delay (on the controller's Clock),
// `requeue` retries with the rate limiter's back-off, an error retries with back-off too
// (unless wrapped with TerminalError), and an empty Result forgets the back-off.
//
// Example:
//   class ConfigMapReconciler : public Reconciler {
//     absl::StatusOr<Result> Reconcile(const Request& req) override {
//       ... read req.ns/req.name, act ...
//       return Result{.requeue_after = absl::Minutes(5)};
//     }
//   };
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_RECONCILE_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_RECONCILE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace rudder::ctrl {

// Names the object to reconcile. `cluster` is the cluster the event came from ("" for the
// manager's own cluster); `ns` is empty for cluster-scoped objects.
struct Request {
  std::string cluster;
  std::string ns;
  std::string name;

  // "ns/name" (or "name"), prefixed with "cluster:" when the cluster is not "".
  std::string String() const {
    std::string key = ns.empty() ? name : absl::StrCat(ns, "/", name);
    return cluster.empty() ? key : absl::StrCat(cluster, ":", key);
  }
  friend bool operator==(const Request&, const Request&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Request& r) {
    return H::combine(std::move(h), r.cluster, r.ns, r.name);
  }
};

// What a successful reconcile asks for next. The zero Result: nothing (the back-off of the
// request is forgotten).
struct Result {
  // Retry after the rate limiter's back-off (ignored when requeue_after > 0).
  bool requeue = false;
  // Retry after this delay (and forget the back-off).
  absl::Duration requeue_after = absl::ZeroDuration();

  bool IsZero() const { return !requeue && requeue_after <= absl::ZeroDuration(); }
};

// Marks `error` as terminal: the controller counts it but does not retry the request (it is
// reconciled again on its next event). OK stays OK.
absl::Status TerminalError(absl::Status error);
// Whether `status` was marked with TerminalError.
bool IsTerminalError(const absl::Status& status);

// Makes the world match one object's desired state. Implementations are called from several
// worker threads at once (never for the same Request concurrently) and must be thread-safe.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual absl::StatusOr<Result> Reconcile(const Request& request) = 0;
};

// A Reconciler calling `fn`.
using ReconcileFunc = std::function<absl::StatusOr<Result>(const Request& request)>;
std::shared_ptr<Reconciler> ReconcilerFunc(ReconcileFunc fn);

}  // namespace rudder::ctrl

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_RECONCILE_H_
