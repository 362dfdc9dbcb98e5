#include "lib/controllers/runtime/builder.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace rudder::ctrl {

std::optional<api::GroupVersionKind> Builder::Gvk(const google::protobuf::Descriptor* d) {
  std::shared_ptr<const api::KindInfo> kind = manager_->scheme().ByDescriptor(d);
  if (kind == nullptr) {
    if (error_.ok()) {
      error_ = absl::NotFoundError(
          absl::StrCat(d->full_name(), " is not a kind registered in the manager's scheme"));
    }
    return std::nullopt;
  }
  return kind->gvk;
}

Builder& Builder::For(std::optional<api::GroupVersionKind> gvk,
                      std::vector<PredicatePtr> predicates) {
  if (!gvk.has_value()) return *this;
  if (for_.has_value()) {
    if (error_.ok()) error_ = absl::InvalidArgumentError("For: may only be called once");
    return *this;
  }
  for_ = gvk;
  watches_.push_back(Watch{*gvk, std::nullopt, EnqueueRequestForObject(), std::move(predicates)});
  return *this;
}

Builder& Builder::Owns(std::optional<api::GroupVersionKind> gvk,
                       std::vector<PredicatePtr> predicates) {
  if (!gvk.has_value()) return *this;
  if (!for_.has_value()) {
    if (error_.ok()) error_ = absl::InvalidArgumentError("Owns: must follow For");
    return *this;
  }
  std::shared_ptr<const api::KindInfo> owner = manager_->scheme().ByKind(*for_);
  watches_.push_back(
      Watch{*gvk, std::nullopt, EnqueueRequestForOwner(*owner, true), std::move(predicates)});
  return *this;
}

Builder& Builder::Watches(std::optional<api::GroupVersionKind> gvk, EventHandler handler,
                          std::vector<PredicatePtr> predicates) {
  if (!gvk.has_value()) return *this;
  if (manager_->scheme().ByKind(*gvk) == nullptr && error_.ok()) {
    error_ = absl::NotFoundError(absl::StrCat("Watches: kind ", gvk->ToString(),
                                              " is not registered in the manager's scheme"));
  }
  watches_.push_back(Watch{*gvk, std::nullopt, std::move(handler), std::move(predicates)});
  return *this;
}

Builder& Builder::WithInformerOptions(client::InformerOptions options) {
  if (watches_.empty()) {
    if (error_.ok()) {
      error_ = absl::InvalidArgumentError("WithInformerOptions: must follow a watch");
    }
    return *this;
  }
  watches_.back().informer = std::move(options);
  return *this;
}

Builder& Builder::WithEventFilter(PredicatePtr predicate) {
  global_predicates_.push_back(std::move(predicate));
  return *this;
}

Builder& Builder::WithOptions(ControllerOptions options) {
  options_ = std::move(options);
  return *this;
}

Builder& Builder::Named(std::string name) {
  name_ = std::move(name);
  return *this;
}

absl::StatusOr<Controller*> Builder::Build(std::shared_ptr<Reconciler> reconciler) {
  if (!error_.ok()) return error_;
  if (reconciler == nullptr) return absl::InvalidArgumentError("reconciler: required");
  if (!for_.has_value() && name_.empty()) {
    return absl::InvalidArgumentError("For or Named: a controller needs a kind or a name");
  }
  ControllerOptions options = options_;
  if (!name_.empty()) {
    options.name = name_;
  } else if (options.name.empty()) {
    options.name = absl::AsciiStrToLower(for_->kind);
  }
  auto controller = std::make_unique<Controller>(options, std::move(reconciler));
  for (Watch w : watches_) {
    w.predicates.insert(w.predicates.end(), global_predicates_.begin(), global_predicates_.end());
    absl::Status s = controller->AddWatch(std::move(w));
    if (!s.ok()) return s;
  }
  Controller* out = controller.get();
  absl::Status s = manager_->Add(std::move(controller));
  if (!s.ok()) return s;
  return out;
}

}  // namespace rudder::ctrl
