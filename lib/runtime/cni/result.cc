#include "lib/runtime/cni/result.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/runtime/cni/config.h"
#include "lib/runtime/cni/internal/json.h"

namespace rudder::cni {
namespace {

using internal::GetString;

constexpr char kErrorCodePayload[] = "rudder.io/cni-error-code";

std::string Path(absl::string_view parent, absl::string_view child) {
  return parent.empty() ? std::string(child) : absl::StrCat(parent, ".", child);
}

absl::Status GetStringArray(const rapidjson::Value& obj, const char* key, absl::string_view path,
                            std::vector<std::string>* out) {
  out->clear();
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return absl::OkStatus();
  if (!it->value.IsArray()) {
    return absl::InvalidArgumentError(absl::StrCat(Path(path, key), ": must be an array"));
  }
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    const auto& v = it->value[i];
    if (!v.IsString()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Path(path, key), "[", i, "]: must be a string"));
    }
    out->emplace_back(v.GetString(), v.GetStringLength());
  }
  return absl::OkStatus();
}

// Returns the array member `key` (or nullptr if absent/null); InvalidArgument if not an array.
absl::StatusOr<const rapidjson::Value*> GetArray(const rapidjson::Value& obj, const char* key,
                                                 absl::string_view path) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  if (!it->value.IsArray()) {
    return absl::InvalidArgumentError(absl::StrCat(Path(path, key), ": must be an array"));
  }
  return &it->value;
}

absl::Status ParseRoutes(const rapidjson::Value& obj, absl::string_view path,
                         std::vector<Route>* out) {
  RUDDER_ASSIGN_OR_RETURN(const rapidjson::Value* routes, GetArray(obj, "routes", path));
  if (routes == nullptr) return absl::OkStatus();
  for (rapidjson::SizeType i = 0; i < routes->Size(); ++i) {
    std::string p = absl::StrCat(Path(path, "routes"), "[", i, "]");
    const auto& r = (*routes)[i];
    if (!r.IsObject()) return absl::InvalidArgumentError(absl::StrCat(p, ": must be an object"));
    Route route;
    RUDDER_RETURN_IF_ERROR(GetString(r, "dst", p, &route.dst));
    if (route.dst.empty()) return absl::InvalidArgumentError(absl::StrCat(p, ".dst: required"));
    RUDDER_RETURN_IF_ERROR(GetString(r, "gw", p, &route.gw));
    out->push_back(std::move(route));
  }
  return absl::OkStatus();
}

absl::Status ParseDns(const rapidjson::Value& obj, Dns* dns) {
  auto it = obj.FindMember("dns");
  if (it == obj.MemberEnd() || it->value.IsNull()) return absl::OkStatus();
  if (!it->value.IsObject()) return absl::InvalidArgumentError("dns: must be an object");
  const auto& d = it->value;
  RUDDER_RETURN_IF_ERROR(GetStringArray(d, "nameservers", "dns", &dns->nameservers));
  RUDDER_RETURN_IF_ERROR(GetString(d, "domain", "dns", &dns->domain));
  RUDDER_RETURN_IF_ERROR(GetStringArray(d, "search", "dns", &dns->search));
  RUDDER_RETURN_IF_ERROR(GetStringArray(d, "options", "dns", &dns->options));
  return absl::OkStatus();
}

// 0.3.0 and later: interfaces, ips, routes, dns.
absl::Status ParseCurrent(const rapidjson::Value& doc, Result* result) {
  RUDDER_ASSIGN_OR_RETURN(const rapidjson::Value* ifs, GetArray(doc, "interfaces", ""));
  if (ifs != nullptr) {
    for (rapidjson::SizeType i = 0; i < ifs->Size(); ++i) {
      std::string p = absl::StrCat("interfaces[", i, "]");
      const auto& v = (*ifs)[i];
      if (!v.IsObject()) return absl::InvalidArgumentError(absl::StrCat(p, ": must be an object"));
      Interface iface;
      RUDDER_RETURN_IF_ERROR(GetString(v, "name", p, &iface.name));
      RUDDER_RETURN_IF_ERROR(GetString(v, "mac", p, &iface.mac));
      RUDDER_RETURN_IF_ERROR(GetString(v, "sandbox", p, &iface.sandbox));
      auto mtu = v.FindMember("mtu");
      if (mtu != v.MemberEnd() && !mtu->value.IsNull()) {
        if (!mtu->value.IsInt()) {
          return absl::InvalidArgumentError(absl::StrCat(p, ".mtu: must be an integer"));
        }
        iface.mtu = mtu->value.GetInt();
      }
      result->interfaces.push_back(std::move(iface));
    }
  }
  RUDDER_ASSIGN_OR_RETURN(const rapidjson::Value* ips, GetArray(doc, "ips", ""));
  if (ips != nullptr) {
    for (rapidjson::SizeType i = 0; i < ips->Size(); ++i) {
      std::string p = absl::StrCat("ips[", i, "]");
      const auto& v = (*ips)[i];
      if (!v.IsObject()) return absl::InvalidArgumentError(absl::StrCat(p, ": must be an object"));
      IpConfig ip;
      RUDDER_RETURN_IF_ERROR(GetString(v, "address", p, &ip.address));
      if (ip.address.empty() || ip.address.find('/') == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(p, ".address: must be an address in CIDR form"));
      }
      RUDDER_RETURN_IF_ERROR(GetString(v, "gateway", p, &ip.gateway));
      auto idx = v.FindMember("interface");
      if (idx != v.MemberEnd() && !idx->value.IsNull()) {
        if (!idx->value.IsInt()) {
          return absl::InvalidArgumentError(absl::StrCat(p, ".interface: must be an integer"));
        }
        int n = idx->value.GetInt();
        if (n < 0 || static_cast<size_t>(n) >= result->interfaces.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat(p, ".interface: index ", n, " is out of range (",
                           result->interfaces.size(), " interfaces)"));
        }
        ip.interface = n;
      }
      result->ips.push_back(std::move(ip));
    }
  }
  RUDDER_RETURN_IF_ERROR(ParseRoutes(doc, "", &result->routes));
  return ParseDns(doc, &result->dns);
}

// 0.1.0 and 0.2.0: "ip4" and "ip6" objects, each with ip, gateway and routes.
absl::Status ParseLegacy(const rapidjson::Value& doc, Result* result) {
  for (const char* family : {"ip4", "ip6"}) {
    auto it = doc.FindMember(family);
    if (it == doc.MemberEnd() || it->value.IsNull()) continue;
    if (!it->value.IsObject()) {
      return absl::InvalidArgumentError(absl::StrCat(family, ": must be an object"));
    }
    IpConfig ip;
    RUDDER_RETURN_IF_ERROR(GetString(it->value, "ip", family, &ip.address));
    if (ip.address.find('/') == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(family, ".ip: must be an address in CIDR form"));
    }
    RUDDER_RETURN_IF_ERROR(GetString(it->value, "gateway", family, &ip.gateway));
    result->ips.push_back(std::move(ip));
    RUDDER_RETURN_IF_ERROR(ParseRoutes(it->value, family, &result->routes));
  }
  return ParseDns(doc, &result->dns);
}

absl::StatusCode CodeFor(int cni_code) {
  switch (cni_code) {
    case kIncompatibleVersion:
      return absl::StatusCode::kFailedPrecondition;
    case kUnsupportedField:
    case kInvalidEnvironment:
    case kDecodeFailure:
    case kInvalidNetworkConfig:
      return absl::StatusCode::kInvalidArgument;
    case kContainerUnknown:
      return absl::StatusCode::kNotFound;
    case kIoFailure:
      return absl::StatusCode::kInternal;
    case kTryAgainLater:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

std::string IpConfig::Ip() const { return address.substr(0, address.find('/')); }

bool IpConfig::IsV6() const { return address.find(':') != std::string::npos; }

absl::StatusOr<Result> ParseResult(std::string_view json, std::string_view default_version) {
  rapidjson::Document doc;
  RUDDER_RETURN_IF_ERROR(internal::ParseObject(json, "CNI result", &doc));
  Result result;
  RUDDER_RETURN_IF_ERROR(GetString(doc, "cniVersion", "", &result.cni_version));
  if (result.cni_version.empty()) result.cni_version = std::string(default_version);
  if (result.cni_version.empty()) return absl::InvalidArgumentError("cniVersion: required");
  if (!IsSupportedVersion(result.cni_version)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cniVersion: unsupported result version \"", result.cni_version, "\""));
  }
  if (CompareVersions(result.cni_version, "0.3.0") < 0) {
    RUDDER_RETURN_IF_ERROR(ParseLegacy(doc, &result));
  } else {
    RUDDER_RETURN_IF_ERROR(ParseCurrent(doc, &result));
  }
  result.json = std::string(json);
  return result;
}

absl::StatusOr<PluginError> ParseError(std::string_view json) {
  rapidjson::Document doc;
  RUDDER_RETURN_IF_ERROR(internal::ParseObject(json, "CNI error", &doc));
  auto code = doc.FindMember("code");
  if (code == doc.MemberEnd() || !code->value.IsInt()) {
    return absl::InvalidArgumentError("code: required, must be an integer");
  }
  PluginError err;
  err.code = code->value.GetInt();
  RUDDER_RETURN_IF_ERROR(GetString(doc, "msg", "", &err.msg));
  RUDDER_RETURN_IF_ERROR(GetString(doc, "details", "", &err.details));
  return err;
}

absl::Status ErrorToStatus(const PluginError& error, std::string_view context_in) {
  absl::string_view context(context_in.data(), context_in.size());
  std::string msg = absl::StrCat(context, ": ", error.msg.empty() ? "(no message)" : error.msg);
  if (!error.details.empty()) absl::StrAppend(&msg, ": ", error.details);
  absl::StrAppend(&msg, " (CNI error code ", error.code, ")");
  absl::Status status(CodeFor(error.code), msg);
  status.SetPayload(kErrorCodePayload, absl::Cord(absl::StrCat(error.code)));
  return status;
}

std::optional<int> ErrorCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorCodePayload);
  if (!payload.has_value()) return std::nullopt;
  int code = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &code)) return std::nullopt;
  return code;
}

}  // namespace rudder::cni
