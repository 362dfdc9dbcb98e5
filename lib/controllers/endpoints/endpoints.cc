#include "lib/controllers/endpoints/endpoints.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/labels/selector.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/discovery/v1/discovery.pb.h"
#include "lib/base/status_macros.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/controllerutil.h"

namespace rudder::controllers {
namespace {

using api::core::v1::EndpointAddress;
using api::core::v1::Endpoints;
using api::core::v1::EndpointSubset;
using api::core::v1::Pod;
using api::core::v1::Service;
using api::core::v1::ServicePort;
using api::discovery::v1::EndpointSlice;
using google::protobuf::util::MessageDifferencer;

bool PodReady(const Pod& p) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

bool Headless(const Service& s) { return s.spec().clusterip() == "None"; }

// One resolved port of a pod for a service port.
struct ResolvedPort {
  std::string name;
  std::string protocol;
  int32_t port;
  std::string app_protocol;
  friend bool operator<(const ResolvedPort& a, const ResolvedPort& b) {
    return std::tie(a.name, a.protocol, a.port, a.app_protocol) <
           std::tie(b.name, b.protocol, b.port, b.app_protocol);
  }
  friend bool operator==(const ResolvedPort&, const ResolvedPort&) = default;
};

// The pod's ports for the service's ports; a named target port the pod lacks is left out.
std::vector<ResolvedPort> ResolvePorts(const Service& svc, const Pod& pod) {
  std::vector<ResolvedPort> out;
  for (const ServicePort& sp : svc.spec().ports()) {
    const std::string protocol = sp.protocol().empty() ? "TCP" : sp.protocol();
    int32_t port = 0;
    const auto& tp = sp.targetport();
    if (tp.type() == 1 || !tp.strval().empty()) {
      for (const auto& c : pod.spec().containers()) {
        for (const auto& cp : c.ports()) {
          const std::string cproto = cp.protocol().empty() ? "TCP" : cp.protocol();
          if (cp.name() == tp.strval() && cproto == protocol) port = cp.containerport();
        }
      }
      if (port == 0) continue;
    } else {
      port = tp.intval() != 0 ? tp.intval() : sp.port();
    }
    out.push_back({sp.name(), protocol, port, sp.appprotocol()});
  }
  std::sort(out.begin(), out.end());
  return out;
}

api::core::v1::ObjectReference PodRef(const Pod& p) {
  api::core::v1::ObjectReference r;
  r.set_kind("Pod");
  r.set_namespace_(p.metadata().namespace_());
  r.set_name(p.metadata().name());
  r.set_uid(p.metadata().uid());
  return r;
}

std::string Hostname(const Service& svc, const Pod& p) {
  if (Headless(svc) && !p.spec().hostname().empty() &&
      p.spec().subdomain() == svc.metadata().name()) {
    return p.spec().hostname();
  }
  return "";
}

// The pods the service selects (nullopt: the service has no selector).
absl::StatusOr<std::vector<std::unique_ptr<Pod>>> SelectedPods(client::Client* c,
                                                               const Service& svc) {
  std::map<std::string, std::string> sel(svc.spec().selector().begin(),
                                         svc.spec().selector().end());
  api::labels::Selector selector = api::labels::Selector::FromSet(sel);
  client::TypedClient<Pod> pods(c);
  RUDDER_ASSIGN_OR_RETURN(client::TypedList<Pod> list, pods.List(svc.metadata().namespace_()));
  std::vector<std::unique_ptr<Pod>> out;
  for (auto& p : list.items) {
    if (!selector.Matches(p->metadata().labels())) continue;
    if (p->status().podip().empty()) continue;
    if (p->status().phase() == "Succeeded" || p->status().phase() == "Failed") continue;
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->metadata().name() < b->metadata().name();
  });
  return out;
}

std::map<std::string, std::string> ManagedLabels(const Service& svc) {
  std::map<std::string, std::string> labels(svc.metadata().labels().begin(),
                                            svc.metadata().labels().end());
  if (Headless(svc)) labels[kHeadlessLabel] = "";
  return labels;
}

// Maps pods to the services in their namespace whose selectors match them.
ctrl::EventHandler PodToServices(ctrl::Manager* manager) {
  return ctrl::EnqueueRequestsFromMapFunc([manager](const ctrl::Object& obj) {
    std::vector<ctrl::Request> out;
    const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
    if (m == nullptr) return out;
    client::TypedClient<Service> services(manager->GetClient());
    absl::StatusOr<client::TypedList<Service>> list = services.List(m->namespace_());
    if (!list.ok()) return out;
    for (const auto& s : list->items) {
      if (s->spec().selector().empty()) continue;
      std::map<std::string, std::string> sel(s->spec().selector().begin(),
                                             s->spec().selector().end());
      if (api::labels::Selector::FromSet(sel).Matches(m->labels())) {
        out.push_back({.ns = m->namespace_(), .name = s->metadata().name()});
      }
    }
    return out;
  });
}

bool IsManaged(const Endpoints& e) {
  auto it = e.metadata().labels().find(kEndpointsManagedBy);
  return it != e.metadata().labels().end() && it->second == kEndpointsController;
}

class EndpointsReconciler : public ctrl::Reconciler {
 public:
  explicit EndpointsReconciler(ctrl::Manager* manager) : manager_(manager) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    client::Client* c = manager_->GetClient();
    client::TypedClient<Service> services(c);
    client::TypedClient<Endpoints> endpoints(c);
    absl::StatusOr<std::unique_ptr<Service>> svc = services.Get(req.ns, req.name);
    if (absl::IsNotFound(svc.status())) {
      // Only Endpoints this controller wrote go with their Service.
      absl::StatusOr<std::unique_ptr<Endpoints>> old = endpoints.Get(req.ns, req.name);
      if (!old.ok() || !IsManaged(**old)) return ctrl::Result{};
      absl::Status s = endpoints.Delete(req.ns, req.name);
      if (!s.ok() && !absl::IsNotFound(s)) return s;
      return ctrl::Result{};
    }
    if (!svc.ok()) return svc.status();
    if ((*svc)->spec().selector().empty()) return ctrl::Result{};
    RUDDER_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Pod>> pods, SelectedPods(c, **svc));

    std::map<std::vector<ResolvedPort>, EndpointSubset> subsets;
    const bool publish = (*svc)->spec().publishnotreadyaddresses();
    for (const auto& p : pods) {
      if (p->metadata().has_deletiontimestamp() && !publish) continue;
      std::vector<ResolvedPort> ports = ResolvePorts(**svc, *p);
      if (ports.empty() && !((*svc)->spec().ports().empty() && Headless(**svc))) continue;
      EndpointSubset& subset = subsets[ports];
      EndpointAddress* a =
          (publish || PodReady(*p)) ? subset.add_addresses() : subset.add_notreadyaddresses();
      a->set_ip(p->status().podip());
      if (!p->spec().nodename().empty()) a->set_nodename(p->spec().nodename());
      std::string host = Hostname(**svc, *p);
      if (!host.empty()) a->set_hostname(host);
      *a->mutable_targetref() = PodRef(*p);
    }
    Endpoints want;
    want.mutable_metadata()->set_namespace_(req.ns);
    want.mutable_metadata()->set_name(req.name);
    for (const auto& [k, v] : ManagedLabels(**svc)) {
      (*want.mutable_metadata()->mutable_labels())[k] = v;
    }
    (*want.mutable_metadata()->mutable_labels())[kEndpointsManagedBy] = kEndpointsController;
    for (auto& [ports, subset] : subsets) {
      for (const ResolvedPort& rp : ports) {
        auto* ep = subset.add_ports();
        if (!rp.name.empty()) ep->set_name(rp.name);
        ep->set_port(rp.port);
        ep->set_protocol(rp.protocol);
        if (!rp.app_protocol.empty()) ep->set_appprotocol(rp.app_protocol);
      }
      *want.add_subsets() = std::move(subset);
    }

    absl::StatusOr<std::unique_ptr<Endpoints>> have = endpoints.Get(req.ns, req.name);
    if (absl::IsNotFound(have.status())) {
      absl::StatusOr<std::unique_ptr<Endpoints>> r = endpoints.Create(want);
      if (absl::IsAlreadyExists(r.status())) return ctrl::Result{.requeue = true};
      return r.status().ok() ? absl::StatusOr<ctrl::Result>(ctrl::Result{}) : r.status();
    }
    if (!have.ok()) return have.status();
    Endpoints update = **have;
    *update.mutable_subsets() = want.subsets();
    *update.mutable_metadata()->mutable_labels() = want.metadata().labels();
    if (MessageDifferencer::Equals(update, **have)) return ctrl::Result{};
    RUDDER_RETURN_IF_ERROR(endpoints.Update(update).status());
    return ctrl::Result{};
  }

 private:
  ctrl::Manager* const manager_;
};

class SliceReconciler : public ctrl::Reconciler {
 public:
  SliceReconciler(ctrl::Manager* manager, EndpointsControllerOptions options)
      : manager_(manager), options_(options) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    client::Client* c = manager_->GetClient();
    client::TypedClient<Service> services(c);
    client::TypedClient<EndpointSlice> slices(c);
    client::ListOptions mine;
    mine.label_selector = absl::StrCat(kServiceNameLabel, "=", req.name, ",",
                                       kEndpointSliceManagedBy, "=", kEndpointSliceController);
    RUDDER_ASSIGN_OR_RETURN(client::TypedList<EndpointSlice> existing, slices.List(req.ns, mine));
    std::sort(existing.items.begin(), existing.items.end(), [](const auto& a, const auto& b) {
      return a->metadata().name() < b->metadata().name();
    });
    absl::StatusOr<std::unique_ptr<Service>> svc = services.Get(req.ns, req.name);
    std::vector<EndpointSlice> want;
    if (absl::IsNotFound(svc.status()) || (svc.ok() && (*svc)->spec().selector().empty())) {
      // Nothing to publish: the slices go (a service without selector is not ours).
    } else if (!svc.ok()) {
      return svc.status();
    } else {
      RUDDER_ASSIGN_OR_RETURN(want, Desired(c, **svc));
    }

    size_t i = 0;
    for (; i < want.size() && i < existing.items.size(); ++i) {
      EndpointSlice update = *existing.items[i];
      *update.mutable_endpoints() = want[i].endpoints();
      *update.mutable_ports() = want[i].ports();
      update.set_addresstype(want[i].addresstype());
      *update.mutable_metadata()->mutable_labels() = want[i].metadata().labels();
      if (MessageDifferencer::Equals(update, *existing.items[i])) continue;
      if (update.addresstype() != existing.items[i]->addresstype()) {
        // The address type is immutable: replace the slice.
        RUDDER_RETURN_IF_ERROR(DeleteSlice(slices, *existing.items[i]));
        RUDDER_RETURN_IF_ERROR(slices.Create(want[i]).status());
        continue;
      }
      RUDDER_RETURN_IF_ERROR(slices.Update(update).status());
    }
    for (; i < want.size(); ++i) RUDDER_RETURN_IF_ERROR(slices.Create(want[i]).status());
    for (; i < existing.items.size(); ++i) {
      RUDDER_RETURN_IF_ERROR(DeleteSlice(slices, *existing.items[i]));
    }
    return ctrl::Result{};
  }

 private:
  static absl::Status DeleteSlice(client::TypedClient<EndpointSlice>& slices,
                                  const EndpointSlice& s) {
    absl::Status st = slices.Delete(s.metadata().namespace_(), s.metadata().name());
    return absl::IsNotFound(st) ? absl::OkStatus() : st;
  }

  absl::StatusOr<std::vector<EndpointSlice>> Desired(client::Client* c, const Service& svc) {
    RUDDER_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Pod>> pods, SelectedPods(c, svc));
    const bool publish = svc.spec().publishnotreadyaddresses();
    // Endpoints grouped by (address type, ports).
    std::map<std::pair<std::string, std::vector<ResolvedPort>>,
             std::vector<api::discovery::v1::Endpoint>>
        groups;
    for (const auto& p : pods) {
      std::vector<ResolvedPort> ports = ResolvePorts(svc, *p);
      if (ports.empty() && !svc.spec().ports().empty()) continue;
      const std::string& ip = p->status().podip();
      std::string type = absl::StrContains(ip, ':') ? "IPv6" : "IPv4";
      api::discovery::v1::Endpoint e;
      e.add_addresses(ip);
      const bool terminating = p->metadata().has_deletiontimestamp();
      const bool serving = publish || PodReady(*p);
      e.mutable_conditions()->set_ready(serving && !terminating);
      e.mutable_conditions()->set_serving(serving);
      e.mutable_conditions()->set_terminating(terminating);
      std::string host = Hostname(svc, *p);
      if (!host.empty()) e.set_hostname(host);
      if (!p->spec().nodename().empty()) e.set_nodename(p->spec().nodename());
      *e.mutable_targetref() = PodRef(*p);
      groups[{type, ports}].push_back(std::move(e));
    }
    std::vector<EndpointSlice> out;
    std::map<std::string, std::string> labels = ManagedLabels(svc);
    labels[kServiceNameLabel] = svc.metadata().name();
    labels[kEndpointSliceManagedBy] = kEndpointSliceController;
    const size_t max = std::max(1, options_.max_endpoints_per_slice);
    for (auto& [key, endpoints] : groups) {
      for (size_t start = 0; start < endpoints.size(); start += max) {
        EndpointSlice s;
        auto* m = s.mutable_metadata();
        m->set_namespace_(svc.metadata().namespace_());
        m->set_generatename(absl::StrCat(svc.metadata().name(), "-"));
        for (const auto& [k, v] : labels) (*m->mutable_labels())[k] = v;
        RUDDER_RETURN_IF_ERROR(ctrl::SetControllerReference(svc, &s, c->scheme()));
        s.set_addresstype(key.first);
        for (const ResolvedPort& rp : key.second) {
          auto* port = s.add_ports();
          port->set_name(rp.name);
          port->set_protocol(rp.protocol);
          port->set_port(rp.port);
          if (!rp.app_protocol.empty()) port->set_appprotocol(rp.app_protocol);
        }
        for (size_t i = start; i < std::min(endpoints.size(), start + max); ++i) {
          *s.add_endpoints() = endpoints[i];
        }
        out.push_back(std::move(s));
      }
    }
    return out;
  }

  ctrl::Manager* const manager_;
  const EndpointsControllerOptions options_;
};

}  // namespace

absl::Status AddEndpointsController(ctrl::Manager* manager, EndpointsControllerOptions options) {
  return ctrl::Builder(manager)
      .For<Service>()
      .Watches<Pod>(PodToServices(manager))
      .Watches<Endpoints>(ctrl::EnqueueRequestForObject())
      .Named("endpoints")
      .WithOptions({.max_concurrent_reconciles = options.workers, .multi_cluster = false})
      .Complete(std::make_shared<EndpointsReconciler>(manager));
}

absl::Status AddEndpointSliceController(ctrl::Manager* manager,
                                        EndpointsControllerOptions options) {
  ctrl::EventHandler slice_to_service =
      ctrl::EnqueueRequestsFromMapFunc([](const ctrl::Object& obj) {
        std::vector<ctrl::Request> out;
        const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
        if (m == nullptr) return out;
        auto by = m->labels().find(kEndpointSliceManagedBy);
        auto svc = m->labels().find(kServiceNameLabel);
        if (by == m->labels().end() || by->second != kEndpointSliceController ||
            svc == m->labels().end()) {
          return out;
        }
        out.push_back({.ns = m->namespace_(), .name = svc->second});
        return out;
      });
  return ctrl::Builder(manager)
      .For<Service>()
      .Watches<Pod>(PodToServices(manager))
      .Watches<EndpointSlice>(slice_to_service)
      .Named("endpointslice")
      .WithOptions({.max_concurrent_reconciles = options.workers, .multi_cluster = false})
      .Complete(std::make_shared<SliceReconciler>(manager, options));
}

}  // namespace rudder::controllers
