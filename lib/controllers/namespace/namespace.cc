#include "lib/controllers/namespace/namespace.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/object/object.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/builder.h"

namespace rudder::controllers {
namespace {

using api::core::v1::Namespace;
using api::core::v1::NamespaceCondition;

void SetCondition(api::core::v1::NamespaceStatus* s, const std::string& type, bool value,
                  const std::string& reason, const std::string& message, absl::Time now) {
  const std::string status = value ? "True" : "False";
  for (NamespaceCondition& c : *s->mutable_conditions()) {
    if (c.type() != type) continue;
    if (c.status() != status) *c.mutable_lasttransitiontime() = api::FromAbslTime(now);
    c.set_status(status);
    c.set_reason(reason);
    c.set_message(message);
    return;
  }
  NamespaceCondition* c = s->add_conditions();
  c->set_type(type);
  c->set_status(status);
  c->set_reason(reason);
  c->set_message(message);
  *c->mutable_lasttransitiontime() = api::FromAbslTime(now);
}

bool HasFinalizer(const Namespace& ns) {
  for (const std::string& f : ns.spec().finalizers()) {
    if (f == kNamespaceFinalizer) return true;
  }
  return false;
}

// Codes meaning "this kind cannot be listed or deleted here" (not a failure).
bool Unsupported(const absl::Status& s) { return absl::IsUnimplemented(s) || absl::IsNotFound(s); }

class NamespaceReconciler : public ctrl::Reconciler {
 public:
  NamespaceReconciler(ctrl::Manager* manager, NamespaceControllerOptions options)
      : manager_(manager), options_(std::move(options)) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    // Reads and deletes go to the API server: caches of every kind would be too many.
    client::Client* c = cluster->GetAPIReader();
    client::TypedClient<Namespace> namespaces(c);
    absl::StatusOr<std::unique_ptr<Namespace>> ns = namespaces.Get("", req.name);
    if (absl::IsNotFound(ns.status())) return ctrl::Result{};
    if (!ns.ok()) return ns.status();
    if (!(*ns)->metadata().has_deletiontimestamp() || !HasFinalizer(**ns)) return ctrl::Result{};

    std::vector<std::string> failures;
    std::map<std::string, int> remaining;   // resource.group -> objects left
    std::map<std::string, int> finalizers;  // finalizer -> objects it holds
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& kind : c->scheme().All()) {
      if (!kind->namespaced) continue;
      if (!kind->verbs.empty() &&
          (std::find(kind->verbs.begin(), kind->verbs.end(), "list") == kind->verbs.end() ||
           std::find(kind->verbs.begin(), kind->verbs.end(), "delete") == kind->verbs.end())) {
        continue;
      }
      if (!seen.insert({kind->gvk.group, kind->plural}).second) continue;
      const std::string resource =
          kind->gvk.group.empty() ? kind->plural : absl::StrCat(kind->plural, ".", kind->gvk.group);
      absl::Status del = c->DeleteCollection(*kind, req.name, {}, {});
      if (!del.ok() && !Unsupported(del)) {
        failures.push_back(absl::StrCat(resource, ": ", del.message()));
        continue;
      }
      absl::StatusOr<client::ListResult> left = c->List(*kind, req.name, {});
      if (!left.ok()) {
        if (!Unsupported(left.status())) {
          failures.push_back(absl::StrCat(resource, ": ", left.status().message()));
        }
        continue;
      }
      if (left->items.empty()) continue;
      remaining[resource] += static_cast<int>(left->items.size());
      for (const auto& obj : left->items) {
        const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*obj);
        if (m == nullptr) continue;
        for (const std::string& f : m->finalizers()) ++finalizers[f];
      }
    }

    const absl::Time now = manager_->clock()->Now();
    Namespace update = **ns;
    auto* st = update.mutable_status();
    SetCondition(st, "NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered",
                 "All resources successfully discovered", now);
    SetCondition(st, "NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions",
                 "All legacy kube types successfully parsed", now);
    if (failures.empty()) {
      SetCondition(st, "NamespaceDeletionContentFailure", false, "ContentDeleted",
                   "All content successfully deleted, may be waiting on finalization", now);
    } else {
      SetCondition(st, "NamespaceDeletionContentFailure", true, "ContentDeletionFailed",
                   absl::StrCat("Failed to delete all resource types, ", failures.size(),
                                " remaining: ", absl::StrJoin(failures, ", ")),
                   now);
    }
    if (remaining.empty()) {
      SetCondition(st, "NamespaceContentRemaining", false, "ContentRemoved",
                   "All content successfully removed", now);
    } else {
      std::vector<std::string> parts;
      for (const auto& [r, n] : remaining) {
        parts.push_back(absl::StrCat(r, " has ", n, " resource instances"));
      }
      SetCondition(st, "NamespaceContentRemaining", true, "SomeResourcesRemain",
                   absl::StrCat("Some resources are remaining: ", absl::StrJoin(parts, ", ")), now);
    }
    if (finalizers.empty()) {
      SetCondition(st, "NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers",
                   "All content-preserving finalizers finished", now);
    } else {
      std::vector<std::string> parts;
      for (const auto& [f, n] : finalizers) {
        parts.push_back(absl::StrCat(f, " in ", n, " resource instances"));
      }
      SetCondition(st, "NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                   absl::StrCat("Some content in the namespace has finalizers remaining: ",
                                absl::StrJoin(parts, ", ")),
                   now);
    }
    if (!google::protobuf::util::MessageDifferencer::Equals(update.status(), (*ns)->status())) {
      absl::StatusOr<std::unique_ptr<Namespace>> r = namespaces.UpdateStatus(update);
      if (absl::IsNotFound(r.status())) return ctrl::Result{};
      if (!r.ok()) return r.status();
      update = **r;
    }
    if (!failures.empty() || !remaining.empty()) {
      return ctrl::Result{.requeue_after = options_.recheck};
    }
    // Empty: drop our finalizer.
    auto* fs = update.mutable_spec()->mutable_finalizers();
    for (int i = fs->size() - 1; i >= 0; --i) {
      if (fs->Get(i) == kNamespaceFinalizer) fs->DeleteSubrange(i, 1);
    }
    absl::Status s = options_.finalize(update);
    if (absl::IsNotFound(s)) return ctrl::Result{};
    if (!s.ok()) return s;
    return ctrl::Result{};
  }

 private:
  ctrl::Manager* const manager_;
  const NamespaceControllerOptions options_;
};

}  // namespace

NamespaceFinalizeFunc RegistryNamespaceFinalizer(apiserver::Registry* registry) {
  return [registry](const Namespace& ns) -> absl::Status {
    std::shared_ptr<const api::KindInfo> kind =
        registry->scheme().ByDescriptor(Namespace::descriptor());
    if (kind == nullptr) return absl::NotFoundError("Namespace is not registered");
    return registry->FinalizeNamespace(*kind, ns.metadata().name(), std::make_unique<Namespace>(ns))
        .status();
  };
}

absl::Status AddNamespaceController(ctrl::Manager* manager, NamespaceControllerOptions options) {
  if (!options.finalize) {
    client::Client* c = manager->GetClient();
    options.finalize = [c](const Namespace& ns) -> absl::Status {
      return c->FinalizeNamespace(std::make_unique<Namespace>(ns), {}).status();
    };
  }
  int workers = options.workers;
  return ctrl::Builder(manager)
      .For<Namespace>()
      .Named("namespace")
      .WithOptions({.max_concurrent_reconciles = workers})
      .Complete(std::make_shared<NamespaceReconciler>(manager, std::move(options)));
}

}  // namespace rudder::controllers
