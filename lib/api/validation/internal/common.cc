#include "lib/api/validation/internal/common.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/labels/label_selector_proto.h"
#include "lib/api/resource/quantity.h"
#include "lib/api/validation/names.h"

namespace rudder::api::validation_internal {

using field::Invalid;
using field::Quote;

std::string GoStringMap(const StringMap& m) {
  std::vector<std::string> parts;
  for (const std::string& k : SortedKeys(m)) {
    parts.push_back(absl::StrCat(Quote(k), ":", Quote(m.at(k))));
  }
  return absl::StrCat("map[string]string{", absl::StrJoin(parts, ", "), "}");
}

bool IsString(const intstr::IntOrString& v) { return v.type() == 1; }

std::string RenderIntOrString(const intstr::IntOrString& v) {
  return IsString(v) ? Quote(v.strval()) : absl::StrCat(v.intval());
}

void NonNegative(int64_t v, const Path& p, FieldErrors* errs) {
  if (v < 0) errs->Add(Invalid(p, absl::StrCat(v), kNegative));
}

void Enum(std::string_view value, const std::vector<std::string>& valid, const Path& p,
          FieldErrors* errs, bool required) {
  if (value.empty()) {
    if (required) errs->Add(field::Required(p, ""));
    return;
  }
  if (std::find(valid.begin(), valid.end(), value) == valid.end()) {
    errs->Add(field::NotSupported(p, Quote(Av(value)), valid));
  }
}

void Immutable(const std::string& value, const std::string& old, const Path& p, FieldErrors* errs) {
  if (value != old) errs->Add(Invalid(p, Quote(value), kImmutable));
}

void ImmutableMessage(const google::protobuf::Message& a, const google::protobuf::Message& b,
                      const Path& p, FieldErrors* errs) {
  if (!google::protobuf::util::MessageDifferencer::Equals(a, b)) {
    errs->Add(Invalid(p, "", kImmutable));
  }
}

std::vector<std::string> IsValidPortNum(int64_t port) {
  if (port >= 1 && port <= 65535) return {};
  return {"must be between 1 and 65535, inclusive"};
}

std::vector<std::string> IsValidPortName(std::string_view port) {
  std::vector<std::string> errs;
  if (port.size() > 15) errs.push_back(validation::MaxLenError(15));
  bool charset = !port.empty();
  bool letter = false;
  for (char c : port) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) charset = false;
    if (c >= 'a' && c <= 'z') letter = true;
  }
  if (!charset) {
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!letter) errs.push_back("must contain at least one letter (a-z)");
  if (port.find("--") != std::string_view::npos)
    errs.push_back("must not contain consecutive hyphens");
  if (!port.empty() && (port.front() == '-' || port.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

void PortNum(int64_t port, const Path& p, FieldErrors* errs) {
  for (const std::string& m : IsValidPortNum(port)) errs->Add(Invalid(p, absl::StrCat(port), m));
}

void IntOrStringPort(const intstr::IntOrString& v, const Path& p, FieldErrors* errs) {
  if (IsString(v)) {
    for (const std::string& m : IsValidPortName(v.strval())) {
      errs->Add(Invalid(p, Quote(v.strval()), m));
    }
  } else {
    PortNum(v.intval(), p, errs);
  }
}

bool IsIPv4(std::string_view s) {
  in_addr a;
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}
bool IsIPv6(std::string_view s) {
  in6_addr a;
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}
bool IsCIDR(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view ip = s.substr(0, slash);
  int bits;
  if (!absl::SimpleAtoi(Av(s.substr(slash + 1)), &bits) || bits < 0) return false;
  if (IsIPv4(ip)) return bits <= 32;
  if (IsIPv6(ip)) return bits <= 128;
  return false;
}

void IP(std::string_view s, const Path& p, FieldErrors* errs) {
  if (!IsIPv4(s) && !IsIPv6(s)) {
    errs->Add(
        Invalid(p, Quote(Av(s)), "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  }
}

void IntOrPercent(const intstr::IntOrString& v, const Path& p, FieldErrors* errs, bool max100) {
  if (IsString(v)) {
    const std::string& s = v.strval();
    bool ok = s.size() >= 2 && s.back() == '%';
    for (size_t i = 0; ok && i + 1 < s.size(); ++i) ok = absl::ascii_isdigit(s[i]);
    if (!ok) {
      errs->Add(Invalid(p, Quote(s),
                        validation::RegexError("a valid percent string must be a numeric string "
                                               "followed by an ending '%'",
                                               "[0-9]+%", {"1%", "93%"})));
      return;
    }
    if (max100 && IntOrPercentValue(v) > 100) {
      errs->Add(Invalid(p, Quote(s), "must not be greater than 100%"));
    }
  } else {
    NonNegative(v.intval(), p, errs);
  }
}

int64_t IntOrPercentValue(const intstr::IntOrString& v) {
  if (!IsString(v)) return v.intval();
  int64_t n = 0;
  std::string_view s = v.strval();
  if (!s.empty() && s.back() == '%') s.remove_suffix(1);
  if (!absl::SimpleAtoi(Av(s), &n)) return -1;
  return n;
}

void LabelKey(std::string_view key, const Path& p, FieldErrors* errs) {
  for (const std::string& m : validation::IsQualifiedName(key))
    errs->Add(Invalid(p, Quote(Av(key)), m));
}

namespace {
bool IsStandardResourceName(std::string_view n) {
  static const char* const kStandard[] = {"cpu",
                                          "memory",
                                          "storage",
                                          "ephemeral-storage",
                                          "pods",
                                          "services",
                                          "replicationcontrollers",
                                          "resourcequotas",
                                          "secrets",
                                          "configmaps",
                                          "persistentvolumeclaims",
                                          "services.nodeports",
                                          "services.loadbalancers",
                                          "requests.cpu",
                                          "requests.memory",
                                          "requests.storage",
                                          "requests.ephemeral-storage",
                                          "limits.cpu",
                                          "limits.memory",
                                          "limits.ephemeral-storage"};
  for (const char* s : kStandard) {
    if (n == s) return true;
  }
  return n.starts_with("hugepages-") || n.starts_with("requests.hugepages-") ||
         n.starts_with("count/");
}
}  // namespace

void ResourceName(std::string_view name, const Path& p, FieldErrors* errs) {
  std::vector<std::string> msgs = validation::IsQualifiedName(name);
  if (!msgs.empty() && !name.starts_with("count/")) {
    for (const std::string& m : msgs) errs->Add(Invalid(p, Quote(Av(name)), m));
    return;
  }
  if (name.find('/') == std::string_view::npos && !IsStandardResourceName(name)) {
    errs->Add(Invalid(p, Quote(Av(name)), "must be a standard resource type or fully qualified"));
  }
}

void ResourceList(const QuantityMap& list, const Path& p, FieldErrors* errs) {
  for (const std::string& k : SortedKeys(list)) {
    Path kp = p.Key(k);
    ResourceName(k, kp, errs);
    const std::string& text = list.at(k).string();
    absl::StatusOr<Quantity> q = Quantity::Parse(text);
    if (!q.ok()) {
      errs->Add(Invalid(kp, Quote(text), q.status().message()));
    } else if (q->Sign() < 0) {
      errs->Add(Invalid(kp, Quote(text), kNegative));
    }
  }
}

int CompareQuantities(const resource::Quantity& a, const resource::Quantity& b) {
  absl::StatusOr<Quantity> qa = Quantity::Parse(a.string());
  absl::StatusOr<Quantity> qb = Quantity::Parse(b.string());
  if (!qa.ok() || !qb.ok()) return -2;
  return qa->Cmp(*qb);
}

std::vector<std::string> IsConfigMapKey(std::string_view key) {
  std::vector<std::string> errs;
  if (key.size() > validation::kDNS1123SubdomainMaxLength) {
    errs.push_back(validation::MaxLenError(validation::kDNS1123SubdomainMaxLength));
  }
  bool ok = !key.empty();
  for (char c : key) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) ok = false;
  }
  if (!ok) {
    errs.push_back(validation::RegexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  if (key == ".") {
    errs.push_back("must not be '.'");
  } else if (key == "..") {
    errs.push_back("must not be '..'");
  } else if (key.starts_with("..")) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

std::string SelectorString(const meta::v1::LabelSelector& s) {
  absl::StatusOr<labels::Selector> sel = labels::LabelSelectorAsSelector(&s);
  return sel.ok() ? Quote(sel->String()) : "";
}

void WorkloadSelector(bool has, const meta::v1::LabelSelector& s, std::string_view kind,
                      const Path& p, FieldErrors* errs) {
  if (!has) {
    errs->Add(field::Required(p, ""));
    return;
  }
  errs->Append(validation::ValidateLabelSelector(s, p));
  if (s.matchlabels().empty() && s.matchexpressions().empty()) {
    errs->Add(Invalid(p, "", absl::StrCat("empty selector is invalid for ", Av(kind))));
  }
}

void ControllerTemplate(const core::v1::PodTemplateSpec& tmpl,
                        const meta::v1::LabelSelector* selector,
                        const std::vector<std::string>& restart_policies, const Path& p,
                        FieldErrors* errs) {
  if (selector != nullptr &&
      !(selector->matchlabels().empty() && selector->matchexpressions().empty())) {
    absl::StatusOr<labels::Selector> sel = labels::LabelSelectorAsSelector(selector);
    if (sel.ok() && !sel->Matches(tmpl.metadata().labels())) {
      errs->Add(Invalid(p.Child("metadata").Child("labels"), GoStringMap(tmpl.metadata().labels()),
                        "`selector` does not match template `labels`"));
    }
  }
  errs->Append(validation::ValidatePodTemplateSpec(tmpl, p));
  const std::string& rp = tmpl.spec().restartpolicy();
  if (!restart_policies.empty() && !rp.empty() &&
      std::find(restart_policies.begin(), restart_policies.end(), rp) == restart_policies.end()) {
    errs->Add(
        field::NotSupported(p.Child("spec").Child("restartPolicy"), Quote(rp), restart_policies));
  }
}

}  // namespace rudder::api::validation_internal
