// core/v1 kinds other than Pod (core/validation).
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/validation/internal/common.h"
#include "lib/api/validation/internal/kinds_internal.h"
#include "lib/api/validation/kinds.h"
#include "lib/api/validation/names.h"

namespace rudder::api::validation_internal {
namespace {

namespace core = ::rudder::api::core::v1;
using field::Forbidden;
using field::Invalid;
using field::NotSupported;
using field::Quote;
using field::Required;
using google::protobuf::util::MessageDifferencer;
using validation::IsDNS1123Label;
using validation::IsDNS1123Subdomain;
using validation::IsQualifiedName;
using validation::IsValidLabelValue;

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};
constexpr int64_t kMaxSecretSize = 1024 * 1024;

// ---- Service ----

FieldErrors ValidateService(const core::Service& svc) {
  FieldErrors errs;
  Path spec("spec");
  const core::ServiceSpec& s = svc.spec();
  const std::string& type = s.type();
  bool headless = s.clusterip() == "None";
  Enum(type, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}, spec.Child("type"), &errs);
  if (type == "ExternalName") {
    if (!s.clusterip().empty() || !s.clusterips().empty()) {
      errs.Add(Forbidden(spec.Child("clusterIPs"), "may not be set for ExternalName services"));
    }
    std::string name = s.externalname();
    if (absl::EndsWith(name, ".")) name.pop_back();
    if (s.externalname().empty()) {
      errs.Add(Required(spec.Child("externalName"), ""));
    } else {
      for (const std::string& m : IsDNS1123Subdomain(name)) {
        errs.Add(Invalid(spec.Child("externalName"), Quote(s.externalname()), m));
      }
    }
  } else if (s.ports().empty() && !headless) {
    errs.Add(Required(spec.Child("ports"), ""));
  }
  if (!s.clusterip().empty() && !headless) IP(s.clusterip(), spec.Child("clusterIP"), &errs);
  if (headless && (type == "NodePort" || type == "LoadBalancer")) {
    errs.Add(Invalid(spec.Child("clusterIPs").Index(0), Quote("None"),
                     absl::StrCat("may not be set to 'None' for ", type, " services")));
  }
  std::set<std::string> names;
  std::set<std::string> ports;
  for (int i = 0; i < s.ports_size(); ++i) {
    const core::ServicePort& p = s.ports(i);
    Path pp = spec.Child("ports").Index(i);
    if (p.name().empty()) {
      if (s.ports_size() > 1) errs.Add(Required(pp.Child("name"), ""));
    } else {
      for (const std::string& m : IsDNS1123Label(p.name())) {
        errs.Add(Invalid(pp.Child("name"), Quote(p.name()), m));
      }
      if (!names.insert(p.name()).second)
        errs.Add(field::Duplicate(pp.Child("name"), Quote(p.name())));
    }
    PortNum(p.port(), pp.Child("port"), &errs);
    Enum(p.protocol(), kProtocols, pp.Child("protocol"), &errs);
    if (p.has_targetport()) IntOrStringPort(p.targetport(), pp.Child("targetPort"), &errs);
    if (p.nodeport() != 0) {
      if (type == "ClusterIP") {
        errs.Add(Forbidden(pp.Child("nodePort"), "may not be used when `type` is 'ClusterIP'"));
      } else if (p.nodeport() < 30000 || p.nodeport() > 32767) {
        errs.Add(Invalid(pp.Child("nodePort"), absl::StrCat(p.nodeport()),
                         "provided port is not in the valid range. The range of valid ports is "
                         "30000-32767"));
      }
    }
    std::string key = absl::StrCat(p.port(), "/", p.protocol());
    if (!ports.insert(key).second) errs.Add(field::Duplicate(pp, Quote(key)));
  }
  errs.Append(validation::ValidateLabels(s.selector(), spec.Child("selector")));
  Enum(s.sessionaffinity(), {"ClientIP", "None"}, spec.Child("sessionAffinity"), &errs);
  if (s.sessionaffinity() == "ClientIP") {
    int32_t t = s.sessionaffinityconfig().clientip().timeoutseconds();
    if (t <= 0 || t > 86400) {
      errs.Add(
          Invalid(spec.Child("sessionAffinityConfig").Child("clientIP").Child("timeoutSeconds"),
                  absl::StrCat(t), "must be greater than 0 and less than 86400"));
    }
  } else if (s.has_sessionaffinityconfig()) {
    errs.Add(Forbidden(spec.Child("sessionAffinityConfig"),
                       "must not be set when session affinity is None"));
  }
  if (type == "ClusterIP" || type == "ExternalName") {
    if (s.has_externaltrafficpolicy()) {
      errs.Add(Invalid(spec.Child("externalTrafficPolicy"), Quote(s.externaltrafficpolicy()),
                       "may only be set for externally-accessible services"));
    }
  } else {
    Enum(s.externaltrafficpolicy(), {"Cluster", "Local"}, spec.Child("externalTrafficPolicy"),
         &errs, false);
  }
  Enum(s.internaltrafficpolicy(), {"Cluster", "Local"}, spec.Child("internalTrafficPolicy"), &errs,
       false);
  for (int i = 0; i < s.externalips_size(); ++i) {
    IP(s.externalips(i), spec.Child("externalIPs").Index(i), &errs);
  }
  return errs;
}

FieldErrors ValidateServiceUpdate(const core::Service& svc, const core::Service& old) {
  FieldErrors errs;
  if (svc.spec().type() != "ExternalName" && old.spec().type() != "ExternalName" &&
      !old.spec().clusterip().empty() && svc.spec().clusterip() != old.spec().clusterip()) {
    errs.Add(Invalid(Path("spec").Child("clusterIPs").Index(0), Quote(svc.spec().clusterip()),
                     "may not change once set"));
  }
  return errs;
}

// ---- ConfigMap and Secret ----

template <typename Map>
int64_t KeyedSize(const Map& m) {
  int64_t n = 0;
  for (const auto& [k, v] : m) n += static_cast<int64_t>(v.size());
  return n;
}

template <typename Map>
void ConfigKeys(const Map& m, const Path& p, FieldErrors* errs) {
  for (const std::string& k : SortedKeys(m)) {
    for (const std::string& msg : IsConfigMapKey(k)) errs->Add(Invalid(p.Key(k), Quote(k), msg));
  }
}

FieldErrors ValidateConfigMap(const core::ConfigMap& cm) {
  FieldErrors errs;
  ConfigKeys(cm.data(), Path("data"), &errs);
  ConfigKeys(cm.binarydata(), Path("binaryData"), &errs);
  for (const std::string& k : SortedKeys(cm.binarydata())) {
    if (cm.data().contains(k)) {
      errs.Add(Invalid(Path("binaryData").Key(k), Quote(k), "duplicate of key present in data"));
    }
  }
  if (KeyedSize(cm.data()) + KeyedSize(cm.binarydata()) > kMaxSecretSize) {
    errs.Add(field::TooLong(Path(""), "", kMaxSecretSize));
  }
  return errs;
}

template <typename M>
void ImmutableData(const M& obj, const M& old, FieldErrors* errs) {
  if (!old.immutable()) return;
  if (!obj.immutable()) {
    errs->Add(Forbidden(Path("immutable"), "field is immutable when `immutable` is set"));
  }
  if (!MessageDifferencer::Equals(obj, old)) {
    M a = obj, b = old;
    a.clear_metadata();
    b.clear_metadata();
    a.clear_immutable();
    b.clear_immutable();
    if (!MessageDifferencer::Equals(a, b)) {
      errs->Add(Forbidden(Path("data"), "field is immutable when `immutable` is set"));
    }
  }
}

FieldErrors ValidateConfigMapUpdate(const core::ConfigMap& cm, const core::ConfigMap& old) {
  FieldErrors errs;
  ImmutableData(cm, old, &errs);
  return errs;
}

FieldErrors ValidateSecret(const core::Secret& s) {
  FieldErrors errs;
  Path data("data");
  ConfigKeys(s.data(), data, &errs);
  ConfigKeys(s.stringdata(), Path("stringData"), &errs);
  if (KeyedSize(s.data()) + KeyedSize(s.stringdata()) > kMaxSecretSize) {
    errs.Add(field::TooLong(data, "", kMaxSecretSize));
  }
  auto has = [&](const std::string& k) {
    return s.data().contains(k) || s.stringdata().contains(k);
  };
  const std::string& type = s.type();
  if (type == "kubernetes.io/service-account-token") {
    if (s.metadata().annotations().find("kubernetes.io/service-account.name") ==
        s.metadata().annotations().end()) {
      errs.Add(Required(
          Path("metadata").Child("annotations").Key("kubernetes.io/service-account.name"), ""));
    }
  } else if (type == "kubernetes.io/dockercfg") {
    if (!has(".dockercfg")) errs.Add(Required(data.Key(".dockercfg"), ""));
  } else if (type == "kubernetes.io/dockerconfigjson") {
    if (!has(".dockerconfigjson")) errs.Add(Required(data.Key(".dockerconfigjson"), ""));
  } else if (type == "kubernetes.io/basic-auth") {
    if (!has("username") && !has("password")) {
      errs.Add(Required(data.Key("username"), ""));
      errs.Add(Required(data.Key("password"), ""));
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    if (!has("ssh-privatekey")) errs.Add(Required(data.Key("ssh-privatekey"), ""));
  } else if (type == "kubernetes.io/tls") {
    if (!has("tls.crt")) errs.Add(Required(data.Key("tls.crt"), ""));
    if (!has("tls.key")) errs.Add(Required(data.Key("tls.key"), ""));
  }
  return errs;
}

FieldErrors ValidateSecretUpdate(const core::Secret& s, const core::Secret& old) {
  FieldErrors errs;
  Immutable(s.type(), old.type(), Path("type"), &errs);
  ImmutableData(s, old, &errs);
  return errs;
}

// ---- Namespace, Node ----

void FinalizerName(const std::string& f, const Path& p, FieldErrors* errs) {
  std::vector<std::string> msgs = IsQualifiedName(f);
  for (const std::string& m : msgs) errs->Add(Invalid(p, Quote(f), m));
  if (msgs.empty() && !absl::StrContains(f, '/') && f != "kubernetes" && f != "orphan" &&
      f != "foregroundDeletion") {
    errs->Add(Invalid(p, Quote(f),
                      "name is neither a standard finalizer name nor is it fully qualified"));
  }
}

FieldErrors ValidateNamespace(const core::Namespace& ns) {
  FieldErrors errs;
  for (const std::string& f : ns.spec().finalizers()) {
    FinalizerName(f, Path("spec").Child("finalizers"), &errs);
  }
  return errs;
}

FieldErrors ValidateNode(const core::Node& node) {
  FieldErrors errs;
  Path spec("spec");
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < node.spec().taints_size(); ++i) {
    const core::Taint& t = node.spec().taints(i);
    Path p = spec.Child("taints").Index(i);
    LabelKey(t.key(), p.Child("key"), &errs);
    for (const std::string& m : IsValidLabelValue(t.value())) {
      errs.Add(Invalid(p.Child("value"), Quote(t.value()), m));
    }
    Enum(t.effect(), {"NoSchedule", "PreferNoSchedule", "NoExecute"}, p.Child("effect"), &errs);
    if (!seen.insert({t.key(), t.effect()}).second) {
      errs.Add(field::Duplicate(p, Quote(t.key() + ":" + t.effect())));
    }
  }
  for (int i = 0; i < node.spec().podcidrs_size(); ++i) {
    if (!IsCIDR(node.spec().podcidrs(i))) {
      errs.Add(Invalid(spec.Child("podCIDRs").Index(i), Quote(node.spec().podcidrs(i)),
                       "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
    }
  }
  if (!node.spec().podcidr().empty() && !IsCIDR(node.spec().podcidr())) {
    errs.Add(Invalid(spec.Child("podCIDR"), Quote(node.spec().podcidr()),
                     "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
  }
  return errs;
}

FieldErrors ValidateNodeUpdate(const core::Node& node, const core::Node& old) {
  FieldErrors errs;
  if (!old.spec().podcidr().empty() && node.spec().podcidr() != old.spec().podcidr()) {
    errs.Add(Forbidden(Path("spec").Child("podCIDR"),
                       "node updates may not change podCIDR except from \"\" to valid"));
  }
  if (!old.spec().providerid().empty() && node.spec().providerid() != old.spec().providerid()) {
    errs.Add(Forbidden(Path("spec").Child("providerID"),
                       "node updates may not change providerID except from \"\" to valid"));
  }
  return errs;
}

// ---- Endpoints, Event, Binding, ServiceAccount ----

FieldErrors ValidateEndpoints(const core::Endpoints& ep) {
  FieldErrors errs;
  for (int i = 0; i < ep.subsets_size(); ++i) {
    const core::EndpointSubset& s = ep.subsets(i);
    Path sp = Path("subsets").Index(i);
    for (int j = 0; j < s.addresses_size(); ++j) {
      IP(s.addresses(j).ip(), sp.Child("addresses").Index(j).Child("ip"), &errs);
    }
    for (int j = 0; j < s.notreadyaddresses_size(); ++j) {
      IP(s.notreadyaddresses(j).ip(), sp.Child("notReadyAddresses").Index(j).Child("ip"), &errs);
    }
    for (int j = 0; j < s.ports_size(); ++j) {
      const core::EndpointPort& p = s.ports(j);
      Path pp = sp.Child("ports").Index(j);
      if (p.name().empty() && s.ports_size() > 1) errs.Add(Required(pp.Child("name"), ""));
      PortNum(p.port(), pp.Child("port"), &errs);
      Enum(p.protocol(), kProtocols, pp.Child("protocol"), &errs);
    }
  }
  return errs;
}

FieldErrors ValidateEvent(const core::Event& ev) {
  FieldErrors errs;
  if (!ev.has_involvedobject()) {
    errs.Add(Required(Path("involvedObject"), ""));
    return errs;
  }
  const std::string& ns = ev.involvedobject().namespace_();
  const std::string& own = ev.metadata().namespace_();
  bool ok = ns.empty() ? (own.empty() || own == "default") : ns == own;
  if (!ok) {
    errs.Add(Invalid(Path("involvedObject").Child("namespace"), Quote(ns),
                     "does not match event.namespace"));
  }
  Enum(ev.type(), {"Normal", "Warning"}, Path("type"), &errs, false);
  NonNegative(ev.count(), Path("count"), &errs);
  return errs;
}

FieldErrors ValidateBinding(const core::Binding& b) {
  FieldErrors errs;
  if (b.target().name().empty()) errs.Add(Required(Path("target").Child("name"), ""));
  if (!b.target().kind().empty() && b.target().kind() != "Node") {
    errs.Add(
        NotSupported(Path("target").Child("kind"), Quote(b.target().kind()), {"Node", "<empty>"}));
  }
  return errs;
}

FieldErrors ValidateServiceAccount(const core::ServiceAccount& sa) {
  FieldErrors errs;
  for (int i = 0; i < sa.imagepullsecrets_size(); ++i) {
    if (sa.imagepullsecrets(i).name().empty()) {
      errs.Add(Required(Path("imagePullSecrets").Index(i).Child("name"), ""));
    }
  }
  return errs;
}

FieldErrors ValidatePodTemplate(const core::PodTemplate& t) {
  return validation::ValidatePodTemplateSpec(t.template_(), Path("template"));
}

// ---- LimitRange, ResourceQuota ----

FieldErrors ValidateLimitRange(const core::LimitRange& lr) {
  FieldErrors errs;
  Path limits = Path("spec").Child("limits");
  for (int i = 0; i < lr.spec().limits_size(); ++i) {
    const core::LimitRangeItem& item = lr.spec().limits(i);
    Path p = limits.Index(i);
    Enum(item.type(), {"Container", "Pod", "PersistentVolumeClaim"}, p.Child("type"), &errs);
    ResourceList(item.max(), p.Child("max"), &errs);
    ResourceList(item.min(), p.Child("min"), &errs);
    ResourceList(item.default_(), p.Child("default"), &errs);
    ResourceList(item.defaultrequest(), p.Child("defaultRequest"), &errs);
    ResourceList(item.maxlimitrequestratio(), p.Child("maxLimitRequestRatio"), &errs);
    if (item.type() == "Pod") {
      if (!item.default_().empty()) {
        errs.Add(Forbidden(p.Child("default"), "may not be specified when `type` is 'Pod'"));
      }
      if (!item.defaultrequest().empty()) {
        errs.Add(Forbidden(p.Child("defaultRequest"), "may not be specified when `type` is 'Pod'"));
      }
    }
    for (const std::string& k : SortedKeys(item.min())) {
      auto max = item.max().find(k);
      if (max != item.max().end() && CompareQuantities(item.min().at(k), max->second) == 1) {
        errs.Add(Invalid(p.Child("min").Key(k), Quote(item.min().at(k).string()),
                         absl::StrCat("min value ", item.min().at(k).string(),
                                      " is greater than max value ", max->second.string())));
      }
    }
    for (const std::string& k : SortedKeys(item.defaultrequest())) {
      auto def = item.default_().find(k);
      if (def != item.default_().end() &&
          CompareQuantities(item.defaultrequest().at(k), def->second) == 1) {
        errs.Add(
            Invalid(p.Child("defaultRequest").Key(k), Quote(item.defaultrequest().at(k).string()),
                    absl::StrCat("default request value ", item.defaultrequest().at(k).string(),
                                 " is greater than default limit value ", def->second.string())));
      }
    }
    for (const std::string& k : SortedKeys(item.default_())) {
      auto max = item.max().find(k);
      if (max != item.max().end() && CompareQuantities(item.default_().at(k), max->second) == 1) {
        errs.Add(Invalid(p.Child("default").Key(k), Quote(item.default_().at(k).string()),
                         absl::StrCat("default value ", item.default_().at(k).string(),
                                      " is greater than max value ", max->second.string())));
      }
    }
    resource::Quantity one;
    one.set_string("1");
    for (const std::string& k : SortedKeys(item.maxlimitrequestratio())) {
      const resource::Quantity& r = item.maxlimitrequestratio().at(k);
      if (CompareQuantities(r, one) == -1) {
        errs.Add(Invalid(p.Child("maxLimitRequestRatio").Key(k), Quote(r.string()),
                         absl::StrCat("ratio ", r.string(), " is less than 1")));
      }
    }
  }
  return errs;
}

FieldErrors ValidateResourceQuota(const core::ResourceQuota& q) {
  FieldErrors errs;
  Path spec("spec");
  ResourceList(q.spec().hard(), spec.Child("hard"), &errs);
  for (int i = 0; i < q.spec().scopes_size(); ++i) {
    Enum(q.spec().scopes(i),
         {"Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
          "CrossNamespacePodAffinity"},
         spec.Child("scopes").Index(i), &errs);
  }
  return errs;
}

// ---- PersistentVolume, PersistentVolumeClaim ----

const std::vector<std::string> kAccessModes = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                               "ReadWriteOncePod"};

FieldErrors ValidatePersistentVolume(const core::PersistentVolume& pv) {
  FieldErrors errs;
  Path spec("spec");
  const core::PersistentVolumeSpec& s = pv.spec();
  if (s.accessmodes().empty()) errs.Add(Required(spec.Child("accessModes"), ""));
  for (int i = 0; i < s.accessmodes_size(); ++i) {
    Enum(s.accessmodes(i), kAccessModes, spec.Child("accessModes"), &errs);
  }
  if (s.capacity().empty()) {
    errs.Add(Required(spec.Child("capacity"), ""));
  } else if (!s.capacity().contains("storage") || s.capacity().size() > 1) {
    errs.Add(NotSupported(spec.Child("capacity"), "", {"storage"}));
  }
  ResourceList(s.capacity(), spec.Child("capacity"), &errs);
  Enum(s.persistentvolumereclaimpolicy(), {"Delete", "Recycle", "Retain"},
       spec.Child("persistentVolumeReclaimPolicy"), &errs, false);
  Enum(s.volumemode(), {"Block", "Filesystem"}, spec.Child("volumeMode"), &errs, false);
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  s.persistentvolumesource().GetReflection()->ListFields(s.persistentvolumesource(), &fields);
  if (fields.empty()) errs.Add(Required(spec, "must specify a volume type"));
  for (size_t j = 1; j < fields.size(); ++j) {
    errs.Add(
        Forbidden(spec.Child(fields[j]->json_name()), "may not specify more than 1 volume type"));
  }
  return errs;
}

FieldErrors ValidatePersistentVolumeUpdate(const core::PersistentVolume& pv,
                                           const core::PersistentVolume& old) {
  FieldErrors errs;
  if (!MessageDifferencer::Equals(pv.spec().persistentvolumesource(),
                                  old.spec().persistentvolumesource())) {
    errs.Add(Forbidden(Path("spec").Child("persistentvolumesource"),
                       "spec.persistentvolumesource is immutable after creation"));
  }
  Immutable(pv.spec().volumemode(), old.spec().volumemode(), Path("spec").Child("volumeMode"),
            &errs);
  return errs;
}

FieldErrors ValidatePvcSpec(const core::PersistentVolumeClaimSpec& s, const Path& spec) {
  FieldErrors errs;
  if (s.accessmodes().empty()) {
    errs.Add(Required(spec.Child("accessModes"), "at least 1 access mode is required"));
  }
  for (int i = 0; i < s.accessmodes_size(); ++i) {
    Enum(s.accessmodes(i), kAccessModes, spec.Child("accessModes"), &errs);
  }
  if (s.has_selector())
    errs.Append(validation::ValidateLabelSelector(s.selector(), spec.Child("selector")));
  auto storage = s.resources().requests().find("storage");
  if (storage == s.resources().requests().end()) {
    errs.Add(Required(spec.Child("resources").Key("storage"), ""));
  } else {
    resource::Quantity zero;
    zero.set_string("0");
    ResourceList(s.resources().requests(), spec.Child("resources").Child("requests"), &errs);
    if (CompareQuantities(storage->second, zero) == 0) {
      errs.Add(Invalid(spec.Child("resources").Child("requests").Key("storage"),
                       Quote(storage->second.string()), "must be greater than zero"));
    }
  }
  Enum(s.volumemode(), {"Block", "Filesystem"}, spec.Child("volumeMode"), &errs, false);
  return errs;
}

FieldErrors ValidatePersistentVolumeClaim(const core::PersistentVolumeClaim& pvc) {
  return ValidatePvcSpec(pvc.spec(), Path("spec"));
}

FieldErrors ValidatePersistentVolumeClaimUpdate(const core::PersistentVolumeClaim& pvc,
                                                const core::PersistentVolumeClaim& old) {
  FieldErrors errs;
  core::PersistentVolumeClaimSpec a = pvc.spec(), b = old.spec();
  // Requests may change (expansion); volumeName may be set once.
  a.mutable_resources()->clear_requests();
  b.mutable_resources()->clear_requests();
  if (b.volumename().empty()) b.set_volumename(a.volumename());
  if (!MessageDifferencer::Equals(a, b)) {
    errs.Add(Forbidden(Path("spec"),
                       "spec is immutable after creation except resources.requests and "
                       "volumeAttributesClassName for bound claims"));
  }
  return errs;
}

}  // namespace

void AddCoreRules(KindRulesList* out) {
  using validation::NameIsDNS1035Label;
  using validation::NameIsDNSLabel;
  using validation::NameIsDNSSubdomain;
  out->push_back(Rules<core::Pod>(NameIsDNSSubdomain, &ValidatePod, &ValidatePodUpdate));
  out->push_back(Rules<core::PodTemplate>(NameIsDNSSubdomain, &ValidatePodTemplate));
  out->push_back(
      Rules<core::Service>(NameIsDNS1035Label, &ValidateService, &ValidateServiceUpdate));
  out->push_back(
      Rules<core::ConfigMap>(NameIsDNSSubdomain, &ValidateConfigMap, &ValidateConfigMapUpdate));
  out->push_back(Rules<core::Secret>(NameIsDNSSubdomain, &ValidateSecret, &ValidateSecretUpdate));
  out->push_back(Rules<core::Namespace>(NameIsDNSLabel, &ValidateNamespace));
  out->push_back(Rules<core::Node>(NameIsDNSSubdomain, &ValidateNode, &ValidateNodeUpdate));
  out->push_back(Rules<core::Endpoints>(NameIsDNSSubdomain, &ValidateEndpoints));
  out->push_back(Rules<core::Event>(NameIsDNSSubdomain, &ValidateEvent));
  out->push_back(Rules<core::Binding>(NameIsDNSSubdomain, &ValidateBinding));
  out->push_back(Rules<core::ServiceAccount>(NameIsDNSSubdomain, &ValidateServiceAccount));
  out->push_back(Rules<core::LimitRange>(NameIsDNSSubdomain, &ValidateLimitRange));
  out->push_back(Rules<core::ResourceQuota>(NameIsDNSSubdomain, &ValidateResourceQuota));
  out->push_back(Rules<core::PersistentVolume>(NameIsDNSSubdomain, &ValidatePersistentVolume,
                                               &ValidatePersistentVolumeUpdate));
  out->push_back(Rules<core::PersistentVolumeClaim>(
      NameIsDNSSubdomain, &ValidatePersistentVolumeClaim, &ValidatePersistentVolumeClaimUpdate));
}

// Used by the StatefulSet validator for its claim templates.
FieldErrors ValidatePersistentVolumeClaimSpecAt(const core::PersistentVolumeClaimSpec& s,
                                                const Path& p) {
  return ValidatePvcSpec(s, p);
}

}  // namespace rudder::api::validation_internal
