#include "lib/controllers/serviceaccount/serviceaccount.h"

#include <memory>
#include <utility>

#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/builder.h"

namespace rudder::controllers {
namespace {

using api::core::v1::Namespace;
using api::core::v1::ServiceAccount;

class ServiceAccountReconciler : public ctrl::Reconciler {
 public:
  ServiceAccountReconciler(ctrl::Manager* manager, ServiceAccountControllerOptions options)
      : manager_(manager), options_(std::move(options)) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    client::TypedClient<Namespace> namespaces(cluster->GetClient());
    absl::StatusOr<std::unique_ptr<Namespace>> ns = namespaces.Get("", req.name);
    if (absl::IsNotFound(ns.status())) return ctrl::Result{};
    if (!ns.ok()) return ns.status();
    if ((*ns)->metadata().has_deletiontimestamp() || (*ns)->status().phase() == "Terminating") {
      return ctrl::Result{};
    }
    client::TypedClient<ServiceAccount> accounts(cluster->GetClient());
    for (const std::string& name : options_.names) {
      absl::StatusOr<std::unique_ptr<ServiceAccount>> sa = accounts.Get(req.name, name);
      if (sa.ok()) continue;
      if (!absl::IsNotFound(sa.status())) return sa.status();
      ServiceAccount want;
      want.mutable_metadata()->set_namespace_(req.name);
      want.mutable_metadata()->set_name(name);
      absl::StatusOr<std::unique_ptr<ServiceAccount>> created = accounts.Create(want);
      // AlreadyExists: created meanwhile; Forbidden/NotFound: the namespace began terminating.
      if (!created.ok() && !absl::IsAlreadyExists(created.status()) &&
          !absl::IsNotFound(created.status())) {
        if (absl::IsPermissionDenied(created.status())) return ctrl::Result{};
        return created.status();
      }
    }
    return ctrl::Result{};
  }

 private:
  ctrl::Manager* const manager_;
  const ServiceAccountControllerOptions options_;
};

}  // namespace

absl::Status AddServiceAccountController(ctrl::Manager* manager,
                                         ServiceAccountControllerOptions options) {
  std::vector<std::string> names = options.names;
  ctrl::EventHandler to_namespace =
      ctrl::EnqueueRequestsFromMapFunc([names](const ctrl::Object& obj) {
        const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
        std::vector<ctrl::Request> out;
        if (m == nullptr) return out;
        for (const std::string& n : names) {
          if (m->name() == n) out.push_back({.ns = "", .name = m->namespace_()});
        }
        return out;
      });
  int workers = options.workers;
  return ctrl::Builder(manager)
      .For<Namespace>()
      .Watches<ServiceAccount>(to_namespace)
      .Named("serviceaccount")
      .WithOptions({.max_concurrent_reconciles = workers})
      .Complete(std::make_shared<ServiceAccountReconciler>(manager, std::move(options)));
}

}  // namespace rudder::controllers
