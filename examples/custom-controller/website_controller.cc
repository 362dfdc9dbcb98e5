#include "examples/custom-controller/website_controller.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/controllerutil.h"

namespace example {

using rudder::api::apps::v1::Deployment;
using rudder::api::core::v1::Service;
using website::v1::Website;
namespace ctrl = rudder::ctrl;
namespace client = rudder::client;

absl::Status RegisterWebsite(rudder::api::Scheme* scheme) {
  rudder::api::KindInfo k;
  k.gvk = {"example.com", "v1", "Website"};
  k.plural = "websites";
  k.singular = "website";
  k.short_names = {"site"};
  k.has_status = true;
  return scheme->Register<Website>(std::move(k));
}

namespace {

class WebsiteReconciler : public ctrl::Reconciler {
 public:
  explicit WebsiteReconciler(ctrl::Manager* manager) : manager_(manager) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    client::Client* c = manager_->GetClient();
    client::TypedClient<Website> sites(c);
    absl::StatusOr<std::unique_ptr<Website>> site = sites.Get(req.ns, req.name);
    if (absl::IsNotFound(site.status())) return ctrl::Result{};  // Gone: GC cleans up.
    if (!site.ok()) return site.status();
    if ((*site)->metadata().has_deletiontimestamp()) return ctrl::Result{};
    const Website& w = **site;
    const std::string app = w.metadata().name();

    Deployment d;
    d.mutable_metadata()->set_namespace_(req.ns);
    d.mutable_metadata()->set_name(app);
    absl::StatusOr<ctrl::OperationResult> dr =
        ctrl::CreateOrUpdate<Deployment>(c, &d, [&](Deployment* d) {
          (*d->mutable_metadata()->mutable_labels())["app"] = app;
          d->mutable_spec()->set_replicas(w.spec().replicas());
          (*d->mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = app;
          auto* t = d->mutable_spec()->mutable_template_();
          (*t->mutable_metadata()->mutable_labels())["app"] = app;
          if (t->spec().containers_size() == 0) t->mutable_spec()->add_containers();
          auto* ctr = t->mutable_spec()->mutable_containers(0);
          ctr->set_name("web");
          ctr->set_image(w.spec().image());
          return ctrl::SetControllerReference(w, d, c->scheme());
        });
    if (!dr.ok()) return dr.status();

    Service s;
    s.mutable_metadata()->set_namespace_(req.ns);
    s.mutable_metadata()->set_name(app);
    absl::StatusOr<ctrl::OperationResult> sr =
        ctrl::CreateOrUpdate<Service>(c, &s, [&](Service* s) {
          (*s->mutable_spec()->mutable_selector())["app"] = app;
          if (s->spec().ports_size() == 0) s->mutable_spec()->add_ports();
          s->mutable_spec()->mutable_ports(0)->set_name("http");
          s->mutable_spec()->mutable_ports(0)->set_port(80);
          return ctrl::SetControllerReference(w, s, c->scheme());
        });
    if (!sr.ok()) return sr.status();

    Website updated = w;
    updated.mutable_status()->set_url(
        absl::StrCat("http://", w.spec().domain().empty() ? app : w.spec().domain()));
    updated.mutable_status()->set_readyreplicas(d.status().readyreplicas());
    if (updated.status().SerializeAsString() != w.status().SerializeAsString()) {
      absl::StatusOr<std::unique_ptr<Website>> u = sites.UpdateStatus(updated);
      if (!u.ok()) return u.status();
    }
    return ctrl::Result{};
  }

 private:
  ctrl::Manager* const manager_;
};

}  // namespace

absl::Status AddWebsiteController(ctrl::Manager* manager) {
  return ctrl::Builder(manager).For<Website>().Owns<Deployment>().Owns<Service>().Complete(
      std::make_shared<WebsiteReconciler>(manager));
}

}  // namespace example
