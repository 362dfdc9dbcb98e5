// Builder: declares a controller's watches and adds it to a Manager (controller-runtime's
// pkg/builder).
//
//   For<T>()       reconciles objects of T: each event requests the object itself.
//   Owns<T>()      objects of T whose controller ownerReference points at a For object
//                  request that owner (SetControllerReference sets such references).
//   Watches(...)   objects of any kind, mapped to requests by an EventHandler.
//   predicates     per watch (the arguments) and for all watches (WithEventFilter).
//   WithOptions    workers, rate limiter, sharding, leader election, clock.
//   Named          the controller's name (default: the For kind in lower case).
//
// Example:
//   absl::StatusOr<Controller*> c = Builder(manager)
//       .For<Deployment>({GenerationChanged()})
//       .Owns<ReplicaSet>()
//       .WithOptions({.max_concurrent_reconciles = 4})
//       .Complete(std::make_shared<DeploymentReconciler>(manager));
//
// A Builder is used once, from one thread; errors (an unregistered type, a missing For, a
// taken name) are reported by Build/Complete.
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_BUILDER_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_BUILDER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/controllers/runtime/controller.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::ctrl {

class Builder {
 public:
  // Borrows `manager` (it owns the controller built).
  explicit Builder(Manager* manager) : manager_(manager) {}

  // The kind reconciled. Exactly one For (or a Named controller with only Watches).
  template <typename T>
  Builder& For(std::vector<PredicatePtr> predicates = {}) {
    return For(Gvk(T::descriptor()), std::move(predicates));
  }
  Builder& For(std::optional<api::GroupVersionKind> gvk, std::vector<PredicatePtr> predicates = {});

  // A kind whose objects are controlled by objects of the For kind.
  template <typename T>
  Builder& Owns(std::vector<PredicatePtr> predicates = {}) {
    return Owns(Gvk(T::descriptor()), std::move(predicates));
  }
  Builder& Owns(std::optional<api::GroupVersionKind> gvk,
                std::vector<PredicatePtr> predicates = {});

  // Any kind, mapped to requests by `handler`.
  template <typename T>
  Builder& Watches(EventHandler handler, std::vector<PredicatePtr> predicates = {}) {
    return Watches(Gvk(T::descriptor()), std::move(handler), std::move(predicates));
  }
  Builder& Watches(std::optional<api::GroupVersionKind> gvk, EventHandler handler,
                   std::vector<PredicatePtr> predicates = {});

  // Watch options (namespace, selectors) of the watch added last.
  Builder& WithInformerOptions(client::InformerOptions options);
  // A predicate every watch applies.
  Builder& WithEventFilter(PredicatePtr predicate);
  // Options of the controller (its name is replaced by Named's, if called).
  Builder& WithOptions(ControllerOptions options);
  Builder& Named(std::string name);

  // Builds the controller, adds it to the manager (starting it if the manager runs) and
  // returns it (owned by the manager).
  absl::StatusOr<Controller*> Build(std::shared_ptr<Reconciler> reconciler);
  absl::Status Complete(std::shared_ptr<Reconciler> reconciler) {
    return Build(std::move(reconciler)).status();
  }

 private:
  std::optional<api::GroupVersionKind> Gvk(const google::protobuf::Descriptor* d);

  Manager* const manager_;
  absl::Status error_;
  std::optional<api::GroupVersionKind> for_;
  std::vector<Watch> watches_;
  std::vector<PredicatePtr> global_predicates_;
  ControllerOptions options_;
  std::string name_;
};

}  // namespace rudder::ctrl

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_BUILDER_H_
