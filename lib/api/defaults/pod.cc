// Defaults of pods, pod templates and their parts (core/v1 defaults.go).
#include <string>
#include <string_view>

#include "lib/api/defaults/defaults.h"
#include "lib/api/defaults/internal/util.h"
#include "lib/api/resource/quantity.h"

namespace rudder::api::defaults {

namespace core = ::rudder::api::core::v1;
using defaults_internal::IsUnsetIntOrString;

std::string_view DefaultImagePullPolicy(std::string_view image) {
  // The tag follows the last ':' after the last '/' (a ':' before it belongs to a registry
  // host:port); a digest follows '@'. No tag and no digest means "latest".
  std::string_view name = image;
  bool has_digest = false;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    has_digest = true;
    name = name.substr(0, at);
  }
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  std::string_view tag;
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = name.substr(colon + 1);
  }
  if (image.empty()) return "IfNotPresent";
  if (tag == "latest" || (tag.empty() && !has_digest)) return "Always";
  return "IfNotPresent";
}

namespace {

void SetProbeDefaults(core::Probe* p) {
  if (p->timeoutseconds() == 0) p->set_timeoutseconds(1);
  if (p->periodseconds() == 0) p->set_periodseconds(10);
  if (p->successthreshold() == 0) p->set_successthreshold(1);
  if (p->failurethreshold() == 0) p->set_failurethreshold(3);
}

void SetHTTPGetDefaults(core::HTTPGetAction* h) {
  if (h->path().empty()) h->set_path("/");
  if (h->scheme().empty()) h->set_scheme("HTTP");
}

void SetProbeHandlerDefaults(core::Probe* p) {
  if (p->has_handler() && p->handler().has_httpget()) {
    SetHTTPGetDefaults(p->mutable_handler()->mutable_httpget());
  }
}

void SetLifecycleHandlerDefaults(core::LifecycleHandler* h) {
  if (h->has_httpget()) SetHTTPGetDefaults(h->mutable_httpget());
}

void SetObjectFieldSelectorDefaults(core::ObjectFieldSelector* f) {
  if (f->apiversion().empty()) f->set_apiversion("v1");
}

void SetVolumeDefaults(core::Volume* v) {
  core::VolumeSource* src = v->mutable_volumesource();
  // A volume without a source is an emptyDir.
  if (src->ByteSizeLong() == 0 && !src->has_emptydir()) src->mutable_emptydir();
  if (src->has_secret() && !src->secret().has_defaultmode()) {
    src->mutable_secret()->set_defaultmode(0644);
  }
  if (src->has_configmap() && !src->configmap().has_defaultmode()) {
    src->mutable_configmap()->set_defaultmode(0644);
  }
  if (src->has_downwardapi()) {
    core::DownwardAPIVolumeSource* d = src->mutable_downwardapi();
    if (!d->has_defaultmode()) d->set_defaultmode(0644);
    for (core::DownwardAPIVolumeFile& f : *d->mutable_items()) {
      if (f.has_fieldref()) SetObjectFieldSelectorDefaults(f.mutable_fieldref());
    }
  }
  if (src->has_projected()) {
    core::ProjectedVolumeSource* p = src->mutable_projected();
    if (!p->has_defaultmode()) p->set_defaultmode(0644);
    for (core::VolumeProjection& s : *p->mutable_sources()) {
      if (s.has_serviceaccounttoken() && !s.serviceaccounttoken().has_expirationseconds()) {
        s.mutable_serviceaccounttoken()->set_expirationseconds(3600);
      }
      if (s.has_downwardapi()) {
        for (core::DownwardAPIVolumeFile& f : *s.mutable_downwardapi()->mutable_items()) {
          if (f.has_fieldref()) SetObjectFieldSelectorDefaults(f.mutable_fieldref());
        }
      }
    }
  }
  if (src->has_hostpath() && !src->hostpath().has_type()) src->mutable_hostpath()->set_type("");
  if (src->has_ephemeral() && src->ephemeral().has_volumeclaimtemplate()) {
    core::PersistentVolumeClaimSpec* spec =
        src->mutable_ephemeral()->mutable_volumeclaimtemplate()->mutable_spec();
    if (!spec->has_volumemode()) spec->set_volumemode("Filesystem");
  }
}

template <typename C>
void SetContainerFields(C* c) {
  if (c->imagepullpolicy().empty()) {
    c->set_imagepullpolicy(std::string(DefaultImagePullPolicy(c->image())));
  }
  if (c->terminationmessagepath().empty()) c->set_terminationmessagepath("/dev/termination-log");
  if (c->terminationmessagepolicy().empty()) c->set_terminationmessagepolicy("File");
  // Kubernetes' resources is a plain struct, always printed ("resources: {}").
  c->mutable_resources();
  for (core::ContainerPort& p : *c->mutable_ports()) {
    if (p.protocol().empty()) p.set_protocol("TCP");
  }
  for (core::EnvVar& e : *c->mutable_env()) {
    if (e.has_valuefrom() && e.valuefrom().has_fieldref()) {
      SetObjectFieldSelectorDefaults(e.mutable_valuefrom()->mutable_fieldref());
    }
  }
  for (core::Probe* p : {c->has_livenessprobe() ? c->mutable_livenessprobe() : nullptr,
                         c->has_readinessprobe() ? c->mutable_readinessprobe() : nullptr,
                         c->has_startupprobe() ? c->mutable_startupprobe() : nullptr}) {
    if (p == nullptr) continue;
    SetProbeDefaults(p);
    SetProbeHandlerDefaults(p);
  }
  if (c->has_lifecycle()) {
    core::Lifecycle* l = c->mutable_lifecycle();
    if (l->has_poststart()) SetLifecycleHandlerDefaults(l->mutable_poststart());
    if (l->has_prestop()) SetLifecycleHandlerDefaults(l->mutable_prestop());
  }
}

// Requests default to limits for each resource with a limit and no request (Pods only).
void SetRequestsFromLimits(core::Container* c) {
  if (!c->has_resources()) return;
  core::ResourceRequirements* r = c->mutable_resources();
  for (const auto& [name, q] : r->limits()) {
    if (!r->requests().contains(name)) (*r->mutable_requests())[name] = q;
  }
}

}  // namespace

void SetContainerDefaults(core::Container* c) { SetContainerFields(c); }

void SetPodSpecDefaults(core::PodSpec* spec) {
  if (spec->dnspolicy().empty()) spec->set_dnspolicy("ClusterFirst");
  if (spec->restartpolicy().empty()) spec->set_restartpolicy("Always");
  if (!spec->has_terminationgraceperiodseconds()) spec->set_terminationgraceperiodseconds(30);
  if (!spec->has_securitycontext()) spec->mutable_securitycontext();
  if (spec->schedulername().empty()) spec->set_schedulername("default-scheduler");
  // serviceAccount is the deprecated twin of serviceAccountName; Kubernetes keeps them equal.
  if (spec->serviceaccountname().empty() && !spec->serviceaccount().empty()) {
    spec->set_serviceaccountname(spec->serviceaccount());
  }
  if (!spec->serviceaccountname().empty() && spec->serviceaccount().empty()) {
    spec->set_serviceaccount(spec->serviceaccountname());
  }
  for (core::Volume& v : *spec->mutable_volumes()) SetVolumeDefaults(&v);
  for (core::Container& c : *spec->mutable_initcontainers()) SetContainerFields(&c);
  for (core::Container& c : *spec->mutable_containers()) SetContainerFields(&c);
  for (core::EphemeralContainer& e : *spec->mutable_ephemeralcontainers()) {
    SetContainerFields(e.mutable_ephemeralcontainercommon());
  }
  for (core::TopologySpreadConstraint& t : *spec->mutable_topologyspreadconstraints()) {
    (void)t;  // nodeAffinityPolicy/nodeTaintsPolicy stay unset (Kubernetes' nil = Honor/Ignore).
  }
}

void SetPodDefaults(core::Pod* pod) {
  core::PodSpec* spec = pod->mutable_spec();
  SetPodSpecDefaults(spec);
  if (!spec->has_enableservicelinks()) spec->set_enableservicelinks(true);
  for (core::Container& c : *spec->mutable_initcontainers()) SetRequestsFromLimits(&c);
  for (core::Container& c : *spec->mutable_containers()) SetRequestsFromLimits(&c);
  if (spec->hostnetwork()) {
    for (auto* list : {spec->mutable_initcontainers(), spec->mutable_containers()}) {
      for (core::Container& c : *list) {
        for (core::ContainerPort& p : *c.mutable_ports()) {
          if (p.hostport() == 0) p.set_hostport(p.containerport());
        }
      }
    }
  }
}

void SetPodTemplateSpecDefaults(core::PodTemplateSpec* tmpl) {
  SetPodSpecDefaults(tmpl->mutable_spec());
}

std::string PodQOSClass(const core::Pod& pod) {
  // Positive CPU and memory quantities only; a container whose limits miss either one, or
  // whose requests differ from its limits, makes the pod at best Burstable.
  auto positive = [](const resource::Quantity& q, Quantity* out) {
    absl::StatusOr<Quantity> v = Quantity::Parse(q.string());
    if (!v.ok() || v->Sign() <= 0) return false;
    *out = *v;
    return true;
  };
  bool any = false;
  bool guaranteed = true;
  for (const auto* list : {&pod.spec().initcontainers(), &pod.spec().containers()}) {
    for (const core::Container& c : *list) {
      for (const char* name : {"cpu", "memory"}) {
        Quantity req, lim;
        bool has_req = false, has_lim = false;
        if (auto it = c.resources().requests().find(name); it != c.resources().requests().end()) {
          has_req = positive(it->second, &req);
        }
        if (auto it = c.resources().limits().find(name); it != c.resources().limits().end()) {
          has_lim = positive(it->second, &lim);
        }
        any = any || has_req || has_lim;
        if (!has_lim || !has_req || req.Cmp(lim) != 0) guaranteed = false;
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

void PreparePodForCreate(core::Pod* pod) {
  core::PodStatus* st = pod->mutable_status();
  if (st->phase().empty()) st->set_phase("Pending");
  if (st->qosclass().empty()) st->set_qosclass(PodQOSClass(*pod));
}

}  // namespace rudder::api::defaults
