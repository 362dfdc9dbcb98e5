#include "lib/controllers/runtime/reconcile.h"

#include "absl/strings/cord.h"

namespace rudder::ctrl {
namespace {

constexpr char kTerminalPayload[] = "rudder.io/controllers/terminal";

class FuncReconciler : public Reconciler {
 public:
  explicit FuncReconciler(ReconcileFunc fn) : fn_(std::move(fn)) {}
  absl::StatusOr<Result> Reconcile(const Request& request) override { return fn_(request); }

 private:
  ReconcileFunc fn_;
};

}  // namespace

absl::Status TerminalError(absl::Status error) {
  if (!error.ok()) error.SetPayload(kTerminalPayload, absl::Cord("true"));
  return error;
}

bool IsTerminalError(const absl::Status& status) {
  auto payload = status.GetPayload(kTerminalPayload);
  return payload.has_value();
}

std::shared_ptr<Reconciler> ReconcilerFunc(ReconcileFunc fn) {
  return std::make_shared<FuncReconciler>(std::move(fn));
}

}  // namespace rudder::ctrl
