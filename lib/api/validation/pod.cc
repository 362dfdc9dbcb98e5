// Pods and pod templates (core/validation ValidatePodSpec and friends).
#include <map>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/validation/internal/common.h"
#include "lib/api/validation/internal/kinds_internal.h"
#include "lib/api/validation/kinds.h"
#include "lib/api/validation/names.h"

namespace rudder::api::validation {

namespace core = ::rudder::api::core::v1;
using field::FieldErrors;
using field::Invalid;
using field::Path;
using field::Quote;
using field::Required;
using namespace validation_internal;  // NOLINT: the helpers of this library.

namespace {

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};

std::vector<std::string> IsEnvVarName(std::string_view name) {
  bool ok = !name.empty() && !absl::ascii_isdigit(name[0]);
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) ok = false;
  }
  if (ok) return {};
  return {
      RegexError("a valid environment variable name must consist of alphabetic characters, "
                 "digits, '_', '-', or '.', and must not start with a digit",
                 "[-._a-zA-Z][-._a-zA-Z0-9]*", {"my.env-name", "MY_ENV.NAME", "MyEnvName1"})};
}

// The volume sources set in `src`, by JSON name.
std::vector<std::string> SetSources(const google::protobuf::Message& src) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  src.GetReflection()->ListFields(src, &fields);
  std::vector<std::string> names;
  for (const auto* f : fields) names.push_back(f->json_name());
  return names;
}

void Mode(bool has, int32_t mode, const Path& p, FieldErrors* errs) {
  if (has && (mode < 0 || mode > 0777)) {
    errs->Add(Invalid(p, absl::StrCat(mode),
                      "must be a number between 0 and 0777 (octal), both inclusive"));
  }
}

FieldErrors ValidateVolumes(const core::PodSpec& spec, const Path& path,
                            std::set<std::string>* names) {
  FieldErrors errs;
  for (int i = 0; i < spec.volumes_size(); ++i) {
    const core::Volume& v = spec.volumes(i);
    Path p = path.Index(i);
    if (v.name().empty()) {
      errs.Add(Required(p.Child("name"), ""));
    } else {
      for (const std::string& m : IsDNS1123Label(v.name())) {
        errs.Add(Invalid(p.Child("name"), Quote(v.name()), m));
      }
      if (!names->insert(v.name()).second)
        errs.Add(field::Duplicate(p.Child("name"), Quote(v.name())));
    }
    std::vector<std::string> sources = SetSources(v.volumesource());
    if (sources.empty()) {
      errs.Add(Required(p, "must specify a volume type"));
      continue;
    }
    for (size_t j = 1; j < sources.size(); ++j) {
      errs.Add(field::Forbidden(p.Child(sources[j]), "may not specify more than 1 volume type"));
    }
    const core::VolumeSource& s = v.volumesource();
    if (s.has_secret()) {
      if (s.secret().secretname().empty()) {
        errs.Add(Required(p.Child("secret").Child("secretName"), ""));
      }
      Mode(s.secret().has_defaultmode(), s.secret().defaultmode(),
           p.Child("secret").Child("defaultMode"), &errs);
    }
    if (s.has_configmap()) {
      if (s.configmap().localobjectreference().name().empty()) {
        errs.Add(Required(p.Child("configMap").Child("name"), ""));
      }
      Mode(s.configmap().has_defaultmode(), s.configmap().defaultmode(),
           p.Child("configMap").Child("defaultMode"), &errs);
    }
    if (s.has_hostpath() && s.hostpath().path().empty()) {
      errs.Add(Required(p.Child("hostPath").Child("path"), ""));
    }
    if (s.has_persistentvolumeclaim() && s.persistentvolumeclaim().claimname().empty()) {
      errs.Add(Required(p.Child("persistentVolumeClaim").Child("claimName"), ""));
    }
    if (s.has_nfs()) {
      if (s.nfs().server().empty()) errs.Add(Required(p.Child("nfs").Child("server"), ""));
      if (s.nfs().path().empty()) errs.Add(Required(p.Child("nfs").Child("path"), ""));
    }
    if (s.has_csi() && s.csi().driver().empty()) {
      errs.Add(Required(p.Child("csi").Child("driver"), ""));
    }
  }
  return errs;
}

void ValidateProbe(const core::Probe& probe, bool must_succeed_once, const Path& p,
                   FieldErrors* errs) {
  std::vector<std::string> handlers = SetSources(probe.handler());
  if (handlers.empty()) {
    errs->Add(Required(p, "must specify a handler type"));
  }
  for (size_t j = 1; j < handlers.size(); ++j) {
    errs->Add(field::Forbidden(p.Child(handlers[j]), "may not specify more than 1 handler type"));
  }
  const core::ProbeHandler& h = probe.handler();
  if (h.has_exec() && h.exec().command().empty()) {
    errs->Add(Required(p.Child("exec").Child("command"), ""));
  }
  if (h.has_httpget()) {
    IntOrStringPort(h.httpget().port(), p.Child("httpGet").Child("port"), errs);
    Enum(h.httpget().scheme(), {"HTTP", "HTTPS"}, p.Child("httpGet").Child("scheme"), errs, false);
  }
  if (h.has_tcpsocket())
    IntOrStringPort(h.tcpsocket().port(), p.Child("tcpSocket").Child("port"), errs);
  if (h.has_grpc()) PortNum(h.grpc().port(), p.Child("grpc").Child("port"), errs);
  NonNegative(probe.initialdelayseconds(), p.Child("initialDelaySeconds"), errs);
  NonNegative(probe.timeoutseconds(), p.Child("timeoutSeconds"), errs);
  NonNegative(probe.periodseconds(), p.Child("periodSeconds"), errs);
  NonNegative(probe.successthreshold(), p.Child("successThreshold"), errs);
  NonNegative(probe.failurethreshold(), p.Child("failureThreshold"), errs);
  if (must_succeed_once && probe.has_successthreshold() && probe.successthreshold() != 1) {
    errs->Add(
        Invalid(p.Child("successThreshold"), absl::StrCat(probe.successthreshold()), "must be 1"));
  }
}

void ValidateResources(const core::ResourceRequirements& r, const Path& p, FieldErrors* errs) {
  ResourceList(r.limits(), p.Child("limits"), errs);
  ResourceList(r.requests(), p.Child("requests"), errs);
  for (const std::string& k : SortedKeys(r.requests())) {
    auto lim = r.limits().find(k);
    if (lim == r.limits().end()) continue;
    const resource::Quantity& req = r.requests().at(k);
    if (CompareQuantities(req, lim->second) == 1) {
      errs->Add(Invalid(
          p.Child("requests").Key(k), Quote(req.string()),
          absl::StrCat("must be less than or equal to ", k, " limit of ", lim->second.string())));
    }
  }
}

void ValidateContainer(const core::Container& c, bool init, const Path& p,
                       const std::set<std::string>& volumes, std::set<std::string>* names,
                       bool host_network, FieldErrors* errs) {
  if (c.name().empty()) {
    errs->Add(Required(p.Child("name"), ""));
  } else {
    for (const std::string& m : IsDNS1123Label(c.name())) {
      errs->Add(Invalid(p.Child("name"), Quote(c.name()), m));
    }
    if (!names->insert(c.name()).second)
      errs->Add(field::Duplicate(p.Child("name"), Quote(c.name())));
  }
  if (c.image().empty()) errs->Add(Required(p.Child("image"), ""));
  std::set<std::string> port_names;
  for (int i = 0; i < c.ports_size(); ++i) {
    const core::ContainerPort& port = c.ports(i);
    Path pp = p.Child("ports").Index(i);
    if (!port.name().empty()) {
      for (const std::string& m : IsValidPortName(port.name())) {
        errs->Add(Invalid(pp.Child("name"), Quote(port.name()), m));
      }
      if (!port_names.insert(port.name()).second) {
        errs->Add(field::Duplicate(pp.Child("name"), Quote(port.name())));
      }
    }
    PortNum(port.containerport(), pp.Child("containerPort"), errs);
    if (port.hostport() != 0) PortNum(port.hostport(), pp.Child("hostPort"), errs);
    if (host_network && port.hostport() != 0 && port.hostport() != port.containerport()) {
      errs->Add(Invalid(pp.Child("hostPort"), absl::StrCat(port.hostport()),
                        "must match `containerPort` when `hostNetwork` is true"));
    }
    Enum(port.protocol(), kProtocols, pp.Child("protocol"), errs);
  }
  for (int i = 0; i < c.env_size(); ++i) {
    const core::EnvVar& e = c.env(i);
    Path ep = p.Child("env").Index(i);
    if (e.name().empty()) {
      errs->Add(Required(ep.Child("name"), ""));
    } else {
      for (const std::string& m : IsEnvVarName(e.name())) {
        errs->Add(Invalid(ep.Child("name"), Quote(e.name()), m));
      }
    }
    if (e.has_valuefrom() && !e.value().empty()) {
      errs->Add(
          Invalid(ep.Child("valueFrom"), "", "may not be specified when `value` is not empty"));
    }
  }
  std::set<std::string> mount_paths;
  for (int i = 0; i < c.volumemounts_size(); ++i) {
    const core::VolumeMount& m = c.volumemounts(i);
    Path mp = p.Child("volumeMounts").Index(i);
    if (m.name().empty()) {
      errs->Add(Required(mp.Child("name"), ""));
    } else if (!volumes.contains(m.name())) {
      errs->Add(field::NotFound(mp.Child("name"), Quote(m.name())));
    }
    if (m.mountpath().empty()) {
      errs->Add(Required(mp.Child("mountPath"), ""));
    } else if (!mount_paths.insert(m.mountpath()).second) {
      errs->Add(Invalid(mp.Child("mountPath"), Quote(m.mountpath()), "must be unique"));
    }
  }
  if (c.has_resources()) ValidateResources(c.resources(), p.Child("resources"), errs);
  if (c.has_livenessprobe()) ValidateProbe(c.livenessprobe(), true, p.Child("livenessProbe"), errs);
  if (c.has_readinessprobe()) {
    ValidateProbe(c.readinessprobe(), false, p.Child("readinessProbe"), errs);
  }
  if (c.has_startupprobe()) ValidateProbe(c.startupprobe(), true, p.Child("startupProbe"), errs);
  if (init && c.restartpolicy() != "Always") {
    // Plain init containers run to completion: probes make no sense for them.
    if (c.has_livenessprobe()) {
      errs->Add(field::Forbidden(p.Child("livenessProbe"), "may not be set for init containers"));
    }
    if (c.has_readinessprobe()) {
      errs->Add(field::Forbidden(p.Child("readinessProbe"), "may not be set for init containers"));
    }
    if (c.has_startupprobe()) {
      errs->Add(field::Forbidden(p.Child("startupProbe"), "may not be set for init containers"));
    }
  }
  if (init) {
    Enum(c.restartpolicy(), {"Always"}, p.Child("restartPolicy"), errs, false);
  } else if (c.has_restartpolicy()) {
    errs->Add(field::Forbidden(p.Child("restartPolicy"), "may not be set for non-init containers"));
  }
  Enum(c.imagepullpolicy(), {"Always", "IfNotPresent", "Never"}, p.Child("imagePullPolicy"), errs);
  Enum(c.terminationmessagepolicy(), {"File", "FallbackToLogsOnError"},
       p.Child("terminationMessagePolicy"), errs);
}

void ValidateNodeSelectorTerm(const core::NodeSelectorTerm& term, const Path& p,
                              FieldErrors* errs) {
  for (int i = 0; i < term.matchexpressions_size(); ++i) {
    const core::NodeSelectorRequirement& r = term.matchexpressions(i);
    Path rp = p.Child("matchExpressions").Index(i);
    const std::string& op = r.operator_();
    if (op == "In" || op == "NotIn") {
      if (r.values().empty()) {
        errs->Add(
            Required(rp.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!r.values().empty()) {
        errs->Add(
            field::Forbidden(rp.Child("values"),
                             "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
    } else if (op == "Gt" || op == "Lt") {
      if (r.values_size() != 1) {
        errs->Add(Required(rp.Child("values"),
                           "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      }
    } else {
      errs->Add(Invalid(rp.Child("operator"), Quote(op), "not a valid selector operator"));
    }
    LabelKey(r.key(), rp.Child("key"), errs);
  }
}

void Weight(int32_t w, const Path& p, FieldErrors* errs) {
  if (w < 1 || w > 100) errs->Add(Invalid(p, absl::StrCat(w), "must be in the range 1-100"));
}

void ValidatePodAffinityTerm(const core::PodAffinityTerm& t, const Path& p, FieldErrors* errs) {
  if (t.has_labelselector())
    errs->Append(ValidateLabelSelector(t.labelselector(), p.Child("labelSelector")));
  if (t.has_namespaceselector()) {
    errs->Append(ValidateLabelSelector(t.namespaceselector(), p.Child("namespaceSelector")));
  }
  for (int i = 0; i < t.namespaces_size(); ++i) {
    for (const std::string& m : IsDNS1123Label(t.namespaces(i))) {
      errs->Add(Invalid(p.Child("namespaces").Index(i), Quote(t.namespaces(i)), m));
    }
  }
  if (t.topologykey().empty()) {
    errs->Add(Required(p.Child("topologyKey"), "can not be empty"));
  } else {
    LabelKey(t.topologykey(), p.Child("topologyKey"), errs);
  }
}

template <typename A>
void ValidatePodAffinityLike(const A& a, const Path& p, FieldErrors* errs) {
  for (int i = 0; i < a.requiredduringschedulingignoredduringexecution_size(); ++i) {
    ValidatePodAffinityTerm(a.requiredduringschedulingignoredduringexecution(i),
                            p.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i),
                            errs);
  }
  for (int i = 0; i < a.preferredduringschedulingignoredduringexecution_size(); ++i) {
    const auto& w = a.preferredduringschedulingignoredduringexecution(i);
    Path wp = p.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i);
    Weight(w.weight(), wp.Child("weight"), errs);
    ValidatePodAffinityTerm(w.podaffinityterm(), wp.Child("podAffinityTerm"), errs);
  }
}

void ValidateAffinity(const core::Affinity& a, const Path& p, FieldErrors* errs) {
  if (a.has_nodeaffinity()) {
    const core::NodeAffinity& na = a.nodeaffinity();
    Path np = p.Child("nodeAffinity");
    if (na.has_requiredduringschedulingignoredduringexecution()) {
      const core::NodeSelector& ns = na.requiredduringschedulingignoredduringexecution();
      Path sp = np.Child("requiredDuringSchedulingIgnoredDuringExecution");
      if (ns.nodeselectorterms().empty()) {
        errs->Add(
            Required(sp.Child("nodeSelectorTerms"), "must have at least one node selector term"));
      }
      for (int i = 0; i < ns.nodeselectorterms_size(); ++i) {
        ValidateNodeSelectorTerm(ns.nodeselectorterms(i), sp.Child("nodeSelectorTerms").Index(i),
                                 errs);
      }
    }
    for (int i = 0; i < na.preferredduringschedulingignoredduringexecution_size(); ++i) {
      const core::PreferredSchedulingTerm& t =
          na.preferredduringschedulingignoredduringexecution(i);
      Path tp = np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i);
      Weight(t.weight(), tp.Child("weight"), errs);
      ValidateNodeSelectorTerm(t.preference(), tp.Child("preference"), errs);
    }
  }
  if (a.has_podaffinity()) ValidatePodAffinityLike(a.podaffinity(), p.Child("podAffinity"), errs);
  if (a.has_podantiaffinity()) {
    ValidatePodAffinityLike(a.podantiaffinity(), p.Child("podAntiAffinity"), errs);
  }
}

void ValidateTolerations(const google::protobuf::RepeatedPtrField<core::Toleration>& ts,
                         const Path& path, FieldErrors* errs) {
  for (int i = 0; i < ts.size(); ++i) {
    const core::Toleration& t = ts[i];
    Path p = path.Index(i);
    if (!t.key().empty()) LabelKey(t.key(), p.Child("key"), errs);
    if (t.key().empty() && t.operator_() != "Exists") {
      errs->Add(Invalid(p.Child("operator"), Quote(t.operator_()),
                        "operator must be Exists when `key` is empty, which means \"match all "
                        "values and all keys\""));
    }
    if (t.has_tolerationseconds() && t.effect() != "NoExecute") {
      errs->Add(Invalid(p.Child("effect"), Quote(t.effect()),
                        "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    const std::string& op = t.operator_();
    if (op.empty() || op == "Equal") {
      std::vector<std::string> msgs = IsValidLabelValue(t.value());
      if (!msgs.empty()) errs->Add(Invalid(p.Child("operator"), Quote(t.value()), msgs[0]));
    } else if (op == "Exists") {
      if (!t.value().empty()) {
        errs->Add(
            Invalid(p.Child("operator"), "", "value must be empty when `operator` is 'Exists'"));
      }
    } else {
      errs->Add(field::NotSupported(p.Child("operator"), Quote(op), {"Equal", "Exists"}));
    }
    Enum(t.effect(), {"NoSchedule", "PreferNoSchedule", "NoExecute"}, p.Child("effect"), errs,
         false);
  }
}

void ValidateTopologySpread(const core::PodSpec& spec, const Path& path, FieldErrors* errs) {
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < spec.topologyspreadconstraints_size(); ++i) {
    const core::TopologySpreadConstraint& c = spec.topologyspreadconstraints(i);
    Path p = path.Index(i);
    if (c.maxskew() <= 0) {
      errs->Add(
          Invalid(p.Child("maxSkew"), absl::StrCat(c.maxskew()), "must be greater than zero"));
    }
    if (c.topologykey().empty()) {
      errs->Add(Required(p.Child("topologyKey"), "can not be empty"));
    } else {
      LabelKey(c.topologykey(), p.Child("topologyKey"), errs);
    }
    Enum(c.whenunsatisfiable(), {"DoNotSchedule", "ScheduleAnyway"}, p.Child("whenUnsatisfiable"),
         errs);
    if (c.has_mindomains()) {
      if (c.mindomains() <= 0) {
        errs->Add(
            Invalid(p.Child("minDomains"), absl::StrCat(c.mindomains()), "must be greater than 0"));
      } else if (c.whenunsatisfiable() != "DoNotSchedule") {
        errs->Add(
            Invalid(p.Child("minDomains"), absl::StrCat(c.mindomains()),
                    absl::StrCat("can only use minDomains if whenUnsatisfiable=DoNotSchedule, "
                                 "not ",
                                 c.whenunsatisfiable())));
      }
    }
    Enum(c.nodeaffinitypolicy(), {"Honor", "Ignore"}, p.Child("nodeAffinityPolicy"), errs, false);
    Enum(c.nodetaintspolicy(), {"Honor", "Ignore"}, p.Child("nodeTaintsPolicy"), errs, false);
    if (!seen.insert({c.topologykey(), c.whenunsatisfiable()}).second) {
      errs->Add(field::Duplicate(
          p, absl::StrCat("{", c.topologykey(), ", ", c.whenunsatisfiable(), "}")));
    }
    if (c.has_labelselector()) {
      errs->Append(ValidateLabelSelector(c.labelselector(), p.Child("labelSelector")));
    }
  }
}

}  // namespace

FieldErrors ValidatePodSpec(const core::PodSpec& spec, const Path& path) {
  FieldErrors errs;
  std::set<std::string> volumes;
  errs.Append(ValidateVolumes(spec, path.Child("volumes"), &volumes));
  std::set<std::string> names;
  if (spec.containers().empty()) errs.Add(Required(path.Child("containers"), ""));
  for (int i = 0; i < spec.initcontainers_size(); ++i) {
    ValidateContainer(spec.initcontainers(i), true, path.Child("initContainers").Index(i), volumes,
                      &names, spec.hostnetwork(), &errs);
  }
  for (int i = 0; i < spec.containers_size(); ++i) {
    ValidateContainer(spec.containers(i), false, path.Child("containers").Index(i), volumes, &names,
                      spec.hostnetwork(), &errs);
  }
  Enum(spec.restartpolicy(), {"Always", "OnFailure", "Never"}, path.Child("restartPolicy"), &errs);
  Enum(spec.dnspolicy(), {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"},
       path.Child("dnsPolicy"), &errs);
  if (spec.dnspolicy() == "None" && spec.dnsconfig().nameservers().empty()) {
    errs.Add(Required(path.Child("dnsConfig").Child("nameservers"),
                      "must provide at least one DNS nameserver when DNS policy is None"));
  }
  errs.Append(ValidateLabels(spec.nodeselector(), path.Child("nodeSelector")));
  if (!spec.serviceaccountname().empty()) {
    for (const std::string& m : IsDNS1123Subdomain(spec.serviceaccountname())) {
      errs.Add(Invalid(path.Child("serviceAccountName"), Quote(spec.serviceaccountname()), m));
    }
  }
  if (!spec.nodename().empty()) {
    for (const std::string& m : IsDNS1123Subdomain(spec.nodename())) {
      errs.Add(Invalid(path.Child("nodeName"), Quote(spec.nodename()), m));
    }
  }
  if (spec.has_activedeadlineseconds()) {
    int64_t v = spec.activedeadlineseconds();
    if (v < 1 || v > 2147483647) {
      errs.Add(Invalid(path.Child("activeDeadlineSeconds"), absl::StrCat(v),
                       "must be between 1 and 2147483647, inclusive"));
    }
  }
  if (!spec.hostname().empty()) {
    for (const std::string& m : IsDNS1123Label(spec.hostname())) {
      errs.Add(Invalid(path.Child("hostname"), Quote(spec.hostname()), m));
    }
  }
  if (!spec.subdomain().empty()) {
    for (const std::string& m : IsDNS1123Label(spec.subdomain())) {
      errs.Add(Invalid(path.Child("subdomain"), Quote(spec.subdomain()), m));
    }
  }
  if (spec.has_affinity()) ValidateAffinity(spec.affinity(), path.Child("affinity"), &errs);
  ValidateTolerations(spec.tolerations(), path.Child("tolerations"), &errs);
  ValidateTopologySpread(spec, path.Child("topologySpreadConstraints"), &errs);
  Enum(spec.preemptionpolicy(), {"Never", "PreemptLowerPriority"}, path.Child("preemptionPolicy"),
       &errs, false);
  for (int i = 0; i < spec.imagepullsecrets_size(); ++i) {
    if (spec.imagepullsecrets(i).name().empty()) {
      errs.Add(Required(path.Child("imagePullSecrets").Index(i).Child("name"), ""));
    }
  }
  return errs;
}

FieldErrors ValidatePodTemplateSpec(const core::PodTemplateSpec& tmpl, const Path& path) {
  FieldErrors errs;
  // Kubernetes reports template labels at `<template>.labels`, not under metadata.
  errs.Append(ValidateLabels(tmpl.metadata().labels(), path.Child("labels")));
  errs.Append(validation_internal::ValidateAnnotations(tmpl.metadata().annotations(),
                                                       path.Child("annotations")));
  errs.Append(ValidatePodSpec(tmpl.spec(), path.Child("spec")));
  return errs;
}

}  // namespace rudder::api::validation

namespace rudder::api::validation_internal {

namespace core = ::rudder::api::core::v1;
using field::Invalid;
using validation::ValidatePodSpec;

FieldErrors ValidatePod(const core::Pod& pod) { return ValidatePodSpec(pod.spec(), Path("spec")); }

FieldErrors ValidatePodUpdate(const core::Pod& pod, const core::Pod& old) {
  FieldErrors errs;
  Path spec = Path("spec");
  const core::PodSpec& s = pod.spec();
  const core::PodSpec& o = old.spec();
  if (s.containers_size() != o.containers_size()) {
    errs.Add(
        field::Forbidden(spec.Child("containers"), "pod updates may not add or remove containers"));
    return errs;
  }
  if (s.initcontainers_size() != o.initcontainers_size()) {
    errs.Add(field::Forbidden(spec.Child("initContainers"),
                              "pod init containers may not be added or removed"));
    return errs;
  }
  if (o.has_activedeadlineseconds()) {
    if (!s.has_activedeadlineseconds()) {
      errs.Add(Invalid(spec.Child("activeDeadlineSeconds"), "null",
                       "must not update from a positive integer to nil value"));
    } else if (s.activedeadlineseconds() > o.activedeadlineseconds()) {
      errs.Add(Invalid(spec.Child("activeDeadlineSeconds"), absl::StrCat(s.activedeadlineseconds()),
                       "must be less than or equal to previous value"));
    }
  }
  // Tolerations: existing ones stay (tolerationSeconds may only shrink); new ones may be added.
  for (const core::Toleration& ot : o.tolerations()) {
    bool kept = false;
    for (const core::Toleration& nt : s.tolerations()) {
      if (nt.key() == ot.key() && nt.operator_() == ot.operator_() && nt.value() == ot.value() &&
          nt.effect() == ot.effect() && nt.has_tolerationseconds() == ot.has_tolerationseconds() &&
          nt.tolerationseconds() <= ot.tolerationseconds()) {
        kept = true;
        break;
      }
    }
    if (!kept) {
      errs.Add(field::Forbidden(spec.Child("tolerations"),
                                "existing toleration can not be modified except its "
                                "tolerationSeconds"));
      break;
    }
  }
  // Everything else must be unchanged: compare with the mutable fields copied over.
  core::PodSpec munged = o;
  for (int i = 0; i < s.containers_size(); ++i) {
    munged.mutable_containers(i)->set_image(s.containers(i).image());
  }
  for (int i = 0; i < s.initcontainers_size(); ++i) {
    munged.mutable_initcontainers(i)->set_image(s.initcontainers(i).image());
  }
  if (s.has_activedeadlineseconds()) {
    munged.set_activedeadlineseconds(s.activedeadlineseconds());
  } else {
    munged.clear_activedeadlineseconds();
  }
  *munged.mutable_tolerations() = s.tolerations();
  if (o.terminationgraceperiodseconds() < 0 && s.terminationgraceperiodseconds() == 1) {
    munged.set_terminationgraceperiodseconds(1);
  }
  // Scheduling gates may only be removed.
  bool gates_subset = true;
  for (const core::PodSchedulingGate& g : s.schedulinggates()) {
    bool found = false;
    for (const core::PodSchedulingGate& og : o.schedulinggates()) found |= og.name() == g.name();
    gates_subset &= found;
  }
  if (gates_subset) *munged.mutable_schedulinggates() = s.schedulinggates();
  if (!google::protobuf::util::MessageDifferencer::Equals(munged, s)) {
    errs.Add(field::Forbidden(
        spec,
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
        "set to 1 if it was previously negative)"));
  }
  return errs;
}

}  // namespace rudder::api::validation_internal
