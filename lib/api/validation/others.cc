// networking, rbac, storage, coordination, discovery, scheduling and apiextensions kinds.
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/proto/apiextensions/v1/apiextensions.pb.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/proto/discovery/v1/discovery.pb.h"
#include "lib/api/proto/networking/v1/networking.pb.h"
#include "lib/api/proto/rbac/v1/rbac.pb.h"
#include "lib/api/proto/scheduling/v1/scheduling.pb.h"
#include "lib/api/proto/storage/v1/storage.pb.h"
#include "lib/api/validation/internal/common.h"
#include "lib/api/validation/internal/kinds_internal.h"
#include "lib/api/validation/kinds.h"
#include "lib/api/validation/names.h"

namespace rudder::api::validation_internal {
namespace {

namespace net = ::rudder::api::networking::v1;
namespace rbac = ::rudder::api::rbac::v1;
namespace crd = ::rudder::api::apiextensions::v1;
using field::Forbidden;
using field::Invalid;
using field::NotSupported;
using field::Quote;
using field::Required;
using google::protobuf::util::MessageDifferencer;
using validation::IsDNS1035Label;
using validation::IsDNS1123Label;
using validation::IsDNS1123Subdomain;
using validation::IsQualifiedName;

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};
constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

// ---- NetworkPolicy ----

void NetworkPolicyPorts(const google::protobuf::RepeatedPtrField<net::NetworkPolicyPort>& ports,
                        const Path& path, FieldErrors* errs) {
  for (int i = 0; i < ports.size(); ++i) {
    const net::NetworkPolicyPort& p = ports[i];
    Path pp = path.Index(i);
    Enum(p.protocol(), kProtocols, pp.Child("protocol"), errs, false);
    if (p.has_port()) IntOrStringPort(p.port(), pp.Child("port"), errs);
    if (p.has_endport()) {
      if (!p.has_port() || IsString(p.port())) {
        errs->Add(Required(pp.Child("port"), "must be specified when endPort is specified"));
      } else if (p.endport() < p.port().intval()) {
        errs->Add(Invalid(pp.Child("endPort"), absl::StrCat(p.endport()),
                          "must be greater than or equal to `port`"));
      }
    }
  }
}

void NetworkPolicyPeers(const google::protobuf::RepeatedPtrField<net::NetworkPolicyPeer>& peers,
                        const Path& path, FieldErrors* errs) {
  for (int i = 0; i < peers.size(); ++i) {
    const net::NetworkPolicyPeer& peer = peers[i];
    Path p = path.Index(i);
    int n = peer.has_ipblock() + (peer.has_podselector() || peer.has_namespaceselector());
    if (n == 0) errs->Add(Required(p, "must specify a peer"));
    if (n > 1) errs->Add(Forbidden(p, "may not specify more than 1 peer type"));
    if (peer.has_podselector()) {
      errs->Append(validation::ValidateLabelSelector(peer.podselector(), p.Child("podSelector")));
    }
    if (peer.has_namespaceselector()) {
      errs->Append(validation::ValidateLabelSelector(peer.namespaceselector(),
                                                     p.Child("namespaceSelector")));
    }
    if (peer.has_ipblock()) {
      Path bp = p.Child("ipBlock");
      if (peer.ipblock().cidr().empty()) {
        errs->Add(Required(bp.Child("cidr"), ""));
      } else if (!IsCIDR(peer.ipblock().cidr())) {
        errs->Add(Invalid(bp.Child("cidr"), Quote(peer.ipblock().cidr()),
                          "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
      }
      for (int j = 0; j < peer.ipblock().except_size(); ++j) {
        if (!IsCIDR(peer.ipblock().except(j))) {
          errs->Add(Invalid(bp.Child("except").Index(j), Quote(peer.ipblock().except(j)),
                            "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
        }
      }
    }
  }
}

FieldErrors ValidateNetworkPolicy(const net::NetworkPolicy& np) {
  FieldErrors errs;
  Path spec("spec");
  const net::NetworkPolicySpec& s = np.spec();
  errs.Append(validation::ValidateLabelSelector(s.podselector(), spec.Child("podSelector")));
  for (int i = 0; i < s.ingress_size(); ++i) {
    Path p = spec.Child("ingress").Index(i);
    NetworkPolicyPorts(s.ingress(i).ports(), p.Child("ports"), &errs);
    NetworkPolicyPeers(s.ingress(i).from(), p.Child("from"), &errs);
  }
  for (int i = 0; i < s.egress_size(); ++i) {
    Path p = spec.Child("egress").Index(i);
    NetworkPolicyPorts(s.egress(i).ports(), p.Child("ports"), &errs);
    NetworkPolicyPeers(s.egress(i).to(), p.Child("to"), &errs);
  }
  for (int i = 0; i < s.policytypes_size(); ++i) {
    Enum(s.policytypes(i), {"Egress", "Ingress"}, spec.Child("policyTypes").Index(i), &errs);
  }
  if (s.policytypes_size() > 2) {
    errs.Add(Forbidden(spec.Child("policyTypes"), "may not specify more than two policyTypes"));
  }
  return errs;
}

// ---- Ingress, IngressClass ----

void IngressBackend(const net::IngressBackend& b, const Path& p, FieldErrors* errs) {
  if (b.has_service() && b.has_resource()) {
    errs->Add(Invalid(p, "", "cannot set both resource and service backends"));
    return;
  }
  if (b.has_service()) {
    Path sp = p.Child("service");
    if (b.service().name().empty()) {
      errs->Add(Required(sp.Child("name"), ""));
    } else {
      for (const std::string& m : IsDNS1035Label(b.service().name())) {
        errs->Add(Invalid(sp.Child("name"), Quote(b.service().name()), m));
      }
    }
    const net::ServiceBackendPort& port = b.service().port();
    bool has_name = !port.name().empty();
    bool has_number = port.number() != 0;
    if (has_name && has_number) {
      errs->Add(Invalid(sp.Child("port"), "", "cannot set both port name & port number"));
    } else if (has_name) {
      for (const std::string& m : IsValidPortName(port.name())) {
        errs->Add(Invalid(sp.Child("port").Child("name"), Quote(port.name()), m));
      }
    } else if (has_number) {
      PortNum(port.number(), sp.Child("port").Child("number"), errs);
    } else {
      errs->Add(Required(sp.Child("port"), "port name or number is required"));
    }
  } else if (b.has_resource()) {
    if (b.resource().kind().empty()) errs->Add(Required(p.Child("resource").Child("kind"), ""));
    if (b.resource().name().empty()) errs->Add(Required(p.Child("resource").Child("name"), ""));
  } else {
    errs->Add(Invalid(p, "", "resource or service backend is required"));
  }
}

void IngressHost(const std::string& host, const Path& p, FieldErrors* errs) {
  if (IsIPv4(host) || IsIPv6(host)) {
    errs->Add(Invalid(p, Quote(host), "must be a DNS name, not an IP address"));
    return;
  }
  std::string_view h = host;
  if (h.starts_with("*.")) h.remove_prefix(2);
  for (const std::string& m : IsDNS1123Subdomain(h)) errs->Add(Invalid(p, Quote(host), m));
}

FieldErrors ValidateIngress(const net::Ingress& ing) {
  FieldErrors errs;
  Path spec("spec");
  const net::IngressSpec& s = ing.spec();
  if (s.rules().empty() && !s.has_defaultbackend()) {
    errs.Add(Invalid(spec, "", "either `defaultBackend` or `rules` must be specified"));
  }
  if (s.has_defaultbackend())
    IngressBackend(s.defaultbackend(), spec.Child("defaultBackend"), &errs);
  if (s.has_ingressclassname()) {
    for (const std::string& m : IsDNS1123Subdomain(s.ingressclassname())) {
      errs.Add(Invalid(spec.Child("ingressClassName"), Quote(s.ingressclassname()), m));
    }
  }
  for (int i = 0; i < s.rules_size(); ++i) {
    const net::IngressRule& r = s.rules(i);
    Path rp = spec.Child("rules").Index(i);
    if (!r.host().empty()) IngressHost(r.host(), rp.Child("host"), &errs);
    if (!r.ingressrulevalue().has_http()) continue;
    const net::HTTPIngressRuleValue& http = r.ingressrulevalue().http();
    Path hp = rp.Child("http");
    if (http.paths().empty()) errs.Add(Required(hp.Child("paths"), ""));
    for (int j = 0; j < http.paths_size(); ++j) {
      const net::HTTPIngressPath& path = http.paths(j);
      Path pp = hp.Child("paths").Index(j);
      Enum(path.pathtype(), {"Exact", "ImplementationSpecific", "Prefix"}, pp.Child("pathType"),
           &errs);
      if ((path.pathtype() == "Exact" || path.pathtype() == "Prefix") &&
          !absl::StartsWith(path.path(), "/")) {
        errs.Add(Invalid(pp.Child("path"), Quote(path.path()), "must be an absolute path"));
      }
      IngressBackend(path.backend(), pp.Child("backend"), &errs);
    }
  }
  for (int i = 0; i < s.tls_size(); ++i) {
    for (int j = 0; j < s.tls(i).hosts_size(); ++j) {
      IngressHost(s.tls(i).hosts(j), spec.Child("tls").Index(i).Child("hosts").Index(j), &errs);
    }
  }
  return errs;
}

FieldErrors ValidateIngressClass(const net::IngressClass& ic) {
  FieldErrors errs;
  Path p = Path("spec").Child("controller");
  if (ic.spec().controller().empty()) {
    errs.Add(Required(p, ""));
  } else if (ic.spec().controller().size() > 250) {
    errs.Add(field::TooLong(p, "", 250));
  }
  return errs;
}

FieldErrors ValidateIngressClassUpdate(const net::IngressClass& ic, const net::IngressClass& old) {
  FieldErrors errs;
  Immutable(ic.spec().controller(), old.spec().controller(), Path("spec").Child("controller"),
            &errs);
  return errs;
}

// ---- RBAC ----

template <typename R>
FieldErrors ValidateRules(const R& role, bool namespaced) {
  FieldErrors errs;
  for (int i = 0; i < role.rules_size(); ++i) {
    const rbac::PolicyRule& r = role.rules(i);
    Path p = Path("rules").Index(i);
    if (r.verbs().empty())
      errs.Add(Required(p.Child("verbs"), "verbs must contain at least one value"));
    if (!r.nonresourceurls().empty()) {
      if (namespaced) {
        errs.Add(Invalid(p.Child("nonResourceURLs"), "",
                         "namespaced rules cannot apply to non-resource URLs"));
      }
      if (!r.apigroups().empty() || !r.resources().empty() || !r.resourcenames().empty()) {
        errs.Add(Invalid(p.Child("nonResourceURLs"), "",
                         "rules cannot apply to both regular resources and non-resource URLs"));
      }
      continue;
    }
    if (r.apigroups().empty()) {
      errs.Add(Required(p.Child("apiGroups"), "resource rules must supply at least one api group"));
    }
    if (r.resources().empty()) {
      errs.Add(Required(p.Child("resources"), "resource rules must supply at least one resource"));
    }
  }
  return errs;
}

FieldErrors ValidateRole(const rbac::Role& r) { return ValidateRules(r, true); }
FieldErrors ValidateClusterRole(const rbac::ClusterRole& r) {
  FieldErrors errs = ValidateRules(r, false);
  if (r.has_aggregationrule()) {
    for (int i = 0; i < r.aggregationrule().clusterroleselectors_size(); ++i) {
      errs.Append(validation::ValidateLabelSelector(
          r.aggregationrule().clusterroleselectors(i),
          Path("aggregationRule").Child("clusterRoleSelectors").Index(i)));
    }
  }
  return errs;
}

template <typename B>
FieldErrors ValidateBindingLike(const B& b, bool namespaced) {
  FieldErrors errs;
  Path ref("roleRef");
  if (b.roleref().apigroup() != kRbacGroup) {
    errs.Add(NotSupported(ref.Child("apiGroup"), Quote(b.roleref().apigroup()), {kRbacGroup}));
  }
  if (namespaced) {
    Enum(b.roleref().kind(), {"Role", "ClusterRole"}, ref.Child("kind"), &errs, false);
    if (b.roleref().kind().empty()) {
      errs.Add(NotSupported(ref.Child("kind"), Quote(""), {"Role", "ClusterRole"}));
    }
  } else if (b.roleref().kind() != "ClusterRole") {
    errs.Add(NotSupported(ref.Child("kind"), Quote(b.roleref().kind()), {"ClusterRole"}));
  }
  if (b.roleref().name().empty()) {
    errs.Add(Required(ref.Child("name"), ""));
  } else {
    for (const std::string& m : validation::NameIsPathSegment(b.roleref().name(), false)) {
      errs.Add(Invalid(ref.Child("name"), Quote(b.roleref().name()), m));
    }
  }
  for (int i = 0; i < b.subjects_size(); ++i) {
    const rbac::Subject& s = b.subjects(i);
    Path p = Path("subjects").Index(i);
    if (s.name().empty()) errs.Add(Required(p.Child("name"), ""));
    if (s.kind() == "ServiceAccount") {
      if (!s.apigroup().empty()) {
        errs.Add(NotSupported(p.Child("apiGroup"), Quote(s.apigroup()), {""}));
      }
      if (!s.name().empty()) {
        for (const std::string& m : IsDNS1123Subdomain(s.name())) {
          errs.Add(Invalid(p.Child("name"), Quote(s.name()), m));
        }
      }
      if (!namespaced && s.namespace_().empty()) errs.Add(Required(p.Child("namespace"), ""));
    } else if (s.kind() == "User" || s.kind() == "Group") {
      if (s.apigroup() != kRbacGroup) {
        errs.Add(NotSupported(p.Child("apiGroup"), Quote(s.apigroup()), {kRbacGroup}));
      }
    } else {
      errs.Add(NotSupported(p.Child("kind"), Quote(s.kind()), {"ServiceAccount", "User", "Group"}));
    }
  }
  return errs;
}

FieldErrors ValidateRoleBinding(const rbac::RoleBinding& b) { return ValidateBindingLike(b, true); }
FieldErrors ValidateClusterRoleBinding(const rbac::ClusterRoleBinding& b) {
  return ValidateBindingLike(b, false);
}
template <typename B>
FieldErrors ValidateBindingUpdate(const B& b, const B& old) {
  FieldErrors errs;
  if (!MessageDifferencer::Equals(b.roleref(), old.roleref())) {
    errs.Add(Invalid(Path("roleRef"), "", "cannot change roleRef"));
  }
  return errs;
}

// ---- storage ----

FieldErrors ValidateStorageClass(const storage::v1::StorageClass& sc) {
  FieldErrors errs;
  if (sc.provisioner().empty()) {
    errs.Add(Required(Path("provisioner"), ""));
  } else {
    for (const std::string& m : IsQualifiedName(absl::AsciiStrToLower(sc.provisioner()))) {
      errs.Add(Invalid(Path("provisioner"), Quote(sc.provisioner()), m));
    }
  }
  Enum(sc.reclaimpolicy(), {"Delete", "Retain"}, Path("reclaimPolicy"), &errs, false);
  Enum(sc.volumebindingmode(), {"Immediate", "WaitForFirstConsumer"}, Path("volumeBindingMode"),
       &errs, false);
  int64_t size = 0;
  for (const auto& [k, v] : sc.parameters()) size += static_cast<int64_t>(k.size() + v.size());
  if (size > 256 * 1024) errs.Add(field::TooLong(Path("parameters"), "", 256 * 1024));
  return errs;
}

FieldErrors ValidateStorageClassUpdate(const storage::v1::StorageClass& sc,
                                       const storage::v1::StorageClass& old) {
  FieldErrors errs;
  bool same = sc.parameters().size() == old.parameters().size();
  for (const auto& [k, v] : sc.parameters()) {
    auto it = old.parameters().find(k);
    same &= it != old.parameters().end() && it->second == v;
  }
  if (!same) errs.Add(Forbidden(Path("parameters"), "updates to parameters are forbidden."));
  if (sc.provisioner() != old.provisioner()) {
    errs.Add(Forbidden(Path("provisioner"), "updates to provisioner are forbidden."));
  }
  if (sc.reclaimpolicy() != old.reclaimpolicy()) {
    errs.Add(Forbidden(Path("reclaimPolicy"), "updates to reclaimPolicy are forbidden."));
  }
  Immutable(sc.volumebindingmode(), old.volumebindingmode(), Path("volumeBindingMode"), &errs);
  return errs;
}

FieldErrors ValidateCSINode(const storage::v1::CSINode& n) {
  FieldErrors errs;
  std::set<std::string> names;
  for (int i = 0; i < n.spec().drivers_size(); ++i) {
    const auto& d = n.spec().drivers(i);
    Path p = Path("spec").Child("drivers").Index(i);
    if (d.name().empty())
      errs.Add(Required(p.Child("name"), ""));
    else if (!names.insert(d.name()).second)
      errs.Add(field::Duplicate(p.Child("name"), Quote(d.name())));
    if (d.nodeid().empty()) errs.Add(Required(p.Child("nodeID"), ""));
  }
  return errs;
}

// ---- Lease, EndpointSlice, PriorityClass ----

FieldErrors ValidateLease(const coordination::v1::Lease& l) {
  FieldErrors errs;
  Path spec("spec");
  if (l.spec().has_leasedurationseconds() && l.spec().leasedurationseconds() <= 0) {
    errs.Add(Invalid(spec.Child("leaseDurationSeconds"),
                     absl::StrCat(l.spec().leasedurationseconds()), "must be greater than 0"));
  }
  if (l.spec().has_leasetransitions()) {
    NonNegative(l.spec().leasetransitions(), spec.Child("leaseTransitions"), &errs);
  }
  return errs;
}

FieldErrors ValidateEndpointSlice(const discovery::v1::EndpointSlice& s) {
  FieldErrors errs;
  const std::string& type = s.addresstype();
  Enum(type, {"FQDN", "IPv4", "IPv6"}, Path("addressType"), &errs);
  if (s.endpoints_size() > 1000)
    errs.Add(field::TooMany(Path("endpoints"), s.endpoints_size(), 1000));
  for (int i = 0; i < s.endpoints_size(); ++i) {
    const discovery::v1::Endpoint& e = s.endpoints(i);
    Path p = Path("endpoints").Index(i);
    if (e.addresses().empty()) {
      errs.Add(Required(p.Child("addresses"), "must contain at least 1 address"));
    } else if (e.addresses_size() > 100) {
      errs.Add(field::TooMany(p.Child("addresses"), e.addresses_size(), 100));
    }
    for (int j = 0; j < e.addresses_size(); ++j) {
      const std::string& a = e.addresses(j);
      Path ap = p.Child("addresses").Index(j);
      if (type == "IPv4" && !IsIPv4(a)) {
        errs.Add(Invalid(ap, Quote(a), "must be a valid IPv4 address"));
      } else if (type == "IPv6" && !IsIPv6(a)) {
        errs.Add(Invalid(ap, Quote(a), "must be a valid IPv6 address"));
      } else if (type == "FQDN") {
        for (const std::string& m : IsDNS1123Subdomain(a)) errs.Add(Invalid(ap, Quote(a), m));
      }
    }
    if (e.has_hostname()) {
      for (const std::string& m : IsDNS1123Label(e.hostname())) {
        errs.Add(Invalid(p.Child("hostname"), Quote(e.hostname()), m));
      }
    }
    if (e.has_nodename()) {
      for (const std::string& m : IsDNS1123Subdomain(e.nodename())) {
        errs.Add(Invalid(p.Child("nodeName"), Quote(e.nodename()), m));
      }
    }
  }
  std::set<std::string> names;
  for (int i = 0; i < s.ports_size(); ++i) {
    const discovery::v1::EndpointPort& port = s.ports(i);
    Path p = Path("ports").Index(i);
    if (!port.name().empty()) {
      for (const std::string& m : IsDNS1123Label(port.name())) {
        errs.Add(Invalid(p.Child("name"), Quote(port.name()), m));
      }
    }
    if (!names.insert(port.name()).second)
      errs.Add(field::Duplicate(p.Child("name"), Quote(port.name())));
    Enum(port.protocol(), kProtocols, p.Child("protocol"), &errs);
    if (port.has_port()) PortNum(port.port(), p.Child("port"), &errs);
  }
  return errs;
}

FieldErrors ValidateEndpointSliceUpdate(const discovery::v1::EndpointSlice& s,
                                        const discovery::v1::EndpointSlice& old) {
  FieldErrors errs;
  Immutable(s.addresstype(), old.addresstype(), Path("addressType"), &errs);
  return errs;
}

constexpr int64_t kHighestUserDefinablePriority = 1000000000;
constexpr int64_t kSystemCriticalPriority = 2 * kHighestUserDefinablePriority;

FieldErrors ValidatePriorityClass(const scheduling::v1::PriorityClass& pc) {
  FieldErrors errs;
  const std::string& name = pc.metadata().name();
  if (name == "system-node-critical" || name == "system-cluster-critical") {
    int64_t want =
        name == "system-node-critical" ? kSystemCriticalPriority + 1000 : kSystemCriticalPriority;
    if (pc.value() != want) {
      errs.Add(Forbidden(
          Path("metadata").Child("name"),
          absl::StrCat("priority class name ", name, " is reserved for system priority classes")));
    }
  } else if (absl::StartsWith(name, "system-")) {
    errs.Add(Forbidden(Path("metadata").Child("name"),
                       "priority class names with 'system-' prefix are reserved"));
  } else if (pc.value() > kHighestUserDefinablePriority) {
    errs.Add(Forbidden(Path("value"),
                       absl::StrCat("maximum allowed value of a user defined priority is ",
                                    kHighestUserDefinablePriority)));
  }
  Enum(pc.preemptionpolicy(), {"Never", "PreemptLowerPriority"}, Path("preemptionPolicy"), &errs,
       false);
  return errs;
}

FieldErrors ValidatePriorityClassUpdate(const scheduling::v1::PriorityClass& pc,
                                        const scheduling::v1::PriorityClass& old) {
  FieldErrors errs;
  if (pc.value() != old.value()) {
    errs.Add(Forbidden(Path("value"), "may not be changed in an update."));
  }
  Immutable(pc.preemptionpolicy(), old.preemptionpolicy(), Path("preemptionPolicy"), &errs);
  return errs;
}

// ---- CustomResourceDefinition ----

void Dns1035(const std::string& v, const Path& p, FieldErrors* errs) {
  for (const std::string& m : IsDNS1035Label(v)) errs->Add(Invalid(p, Quote(v), m));
}

FieldErrors ValidateCrd(const crd::CustomResourceDefinition& c) {
  FieldErrors errs;
  Path spec("spec");
  const crd::CustomResourceDefinitionSpec& s = c.spec();
  const crd::CustomResourceDefinitionNames& n = s.names();
  if (c.metadata().name() != n.plural() + "." + s.group()) {
    errs.Add(Invalid(Path("metadata").Child("name"), Quote(c.metadata().name()),
                     "must be spec.names.plural+\".\"+spec.group"));
  }
  if (s.group().empty()) {
    errs.Add(Required(spec.Child("group"), ""));
  } else {
    for (const std::string& m : IsDNS1123Subdomain(s.group())) {
      errs.Add(Invalid(spec.Child("group"), Quote(s.group()), m));
    }
    if (!absl::StrContains(s.group(), '.')) {
      errs.Add(Invalid(spec.Child("group"), Quote(s.group()),
                       "should be a domain with at least one dot"));
    }
  }
  Enum(s.scope(), {"Cluster", "Namespaced"}, spec.Child("scope"), &errs);
  Path np = spec.Child("names");
  if (n.plural().empty())
    errs.Add(Required(np.Child("plural"), ""));
  else
    Dns1035(n.plural(), np.Child("plural"), &errs);
  if (!n.singular().empty()) Dns1035(n.singular(), np.Child("singular"), &errs);
  if (n.kind().empty()) {
    errs.Add(Required(np.Child("kind"), ""));
  } else {
    for (const std::string& m : IsDNS1035Label(absl::AsciiStrToLower(n.kind()))) {
      errs.Add(Invalid(np.Child("kind"), Quote(n.kind()),
                       absl::StrCat("may have mixed case, but should otherwise match: ", m)));
    }
  }
  if (n.listkind().empty()) {
    errs.Add(Required(np.Child("listKind"), ""));
  } else if (n.listkind() == n.kind()) {
    errs.Add(Invalid(np.Child("listKind"), Quote(n.listkind()),
                     "kind and listKind may not be the same"));
  }
  for (int i = 0; i < n.shortnames_size(); ++i)
    Dns1035(n.shortnames(i), np.Child("shortNames").Index(i), &errs);
  for (int i = 0; i < n.categories_size(); ++i)
    Dns1035(n.categories(i), np.Child("categories").Index(i), &errs);
  Path vp = spec.Child("versions");
  if (s.versions().empty()) {
    errs.Add(Required(vp, "must have exactly one version marked as storage version"));
  }
  int storage = 0, served = 0;
  std::set<std::string> versions;
  for (int i = 0; i < s.versions_size(); ++i) {
    const crd::CustomResourceDefinitionVersion& v = s.versions(i);
    Path p = vp.Index(i);
    storage += v.storage();
    served += v.served();
    if (v.name().empty()) {
      errs.Add(Required(p.Child("name"), ""));
    } else {
      Dns1035(v.name(), p.Child("name"), &errs);
      if (!versions.insert(v.name()).second) {
        errs.Add(Invalid(p.Child("name"), Quote(v.name()), "must be unique"));
      }
    }
    if (!v.schema().has_openapiv3schema()) {
      errs.Add(Required(p.Child("schema").Child("openAPIV3Schema"), "schemas are required"));
    }
  }
  if (!s.versions().empty() && storage != 1) {
    errs.Add(Invalid(vp, "", "must have exactly one version marked as storage version"));
  }
  if (!s.versions().empty() && served == 0) {
    errs.Add(Invalid(vp, "", "must have at least one version marked as served"));
  }
  if (s.has_conversion()) {
    Enum(s.conversion().strategy(), {"None", "Webhook"}, spec.Child("conversion").Child("strategy"),
         &errs);
  }
  return errs;
}

FieldErrors ValidateCrdUpdate(const crd::CustomResourceDefinition& c,
                              const crd::CustomResourceDefinition& old) {
  FieldErrors errs;
  Immutable(c.spec().group(), old.spec().group(), Path("spec").Child("group"), &errs);
  Immutable(c.spec().scope(), old.spec().scope(), Path("spec").Child("scope"), &errs);
  Immutable(c.spec().names().plural(), old.spec().names().plural(),
            Path("spec").Child("names").Child("plural"), &errs);
  return errs;
}

}  // namespace

void AddOtherRules(KindRulesList* out) {
  using validation::NameIsDNSSubdomain;
  using validation::NameIsPathSegment;
  out->push_back(Rules<net::NetworkPolicy>(NameIsDNSSubdomain, &ValidateNetworkPolicy));
  out->push_back(Rules<net::Ingress>(NameIsDNSSubdomain, &ValidateIngress));
  out->push_back(Rules<net::IngressClass>(NameIsDNSSubdomain, &ValidateIngressClass,
                                          &ValidateIngressClassUpdate));
  out->push_back(Rules<rbac::Role>(NameIsPathSegment, &ValidateRole));
  out->push_back(Rules<rbac::ClusterRole>(NameIsPathSegment, &ValidateClusterRole));
  out->push_back(Rules<rbac::RoleBinding>(NameIsPathSegment, &ValidateRoleBinding,
                                          &ValidateBindingUpdate<rbac::RoleBinding>));
  out->push_back(Rules<rbac::ClusterRoleBinding>(NameIsPathSegment, &ValidateClusterRoleBinding,
                                                 &ValidateBindingUpdate<rbac::ClusterRoleBinding>));
  out->push_back(Rules<storage::v1::StorageClass>(NameIsDNSSubdomain, &ValidateStorageClass,
                                                  &ValidateStorageClassUpdate));
  out->push_back(Rules<storage::v1::CSINode>(NameIsDNSSubdomain, &ValidateCSINode));
  out->push_back(Rules<coordination::v1::Lease>(NameIsDNSSubdomain, &ValidateLease));
  out->push_back(Rules<discovery::v1::EndpointSlice>(NameIsDNSSubdomain, &ValidateEndpointSlice,
                                                     &ValidateEndpointSliceUpdate));
  out->push_back(Rules<scheduling::v1::PriorityClass>(NameIsDNSSubdomain, &ValidatePriorityClass,
                                                      &ValidatePriorityClassUpdate));
  out->push_back(
      Rules<crd::CustomResourceDefinition>(NameIsDNSSubdomain, &ValidateCrd, &ValidateCrdUpdate));
}

}  // namespace rudder::api::validation_internal
