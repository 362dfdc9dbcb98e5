#include "lib/runtime/cni/internal/invoke.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "lib/runtime/cni/internal/json.h"
#include "rapidjson/document.h"

namespace rudder::cni::internal {
namespace {

using rapidjson::Value;

Value Str(const std::string& s, rapidjson::Document::AllocatorType& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

absl::Status MkdirAll(const std::string& dir) {
  std::string cur;
  for (absl::string_view part : absl::StrSplit(dir, '/')) {
    absl::StrAppend(&cur, part, "/");
    if (part.empty()) continue;
    if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::UnavailableError(absl::StrCat("mkdir ", cur, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRuntimeConf(const RuntimeConf& rt) {
  const std::string& id = rt.container_id;
  if (id.empty()) return absl::InvalidArgumentError("containerID: required");
  if (!std::isalnum(static_cast<unsigned char>(id[0])) ||
      !std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("containerID: \"", id,
                     "\" must be alphanumerics, '_', '.' and '-', starting with an "
                     "alphanumeric"));
  }
  const std::string& ifn = rt.if_name;
  if (ifn.empty() || ifn.size() > 15 || ifn == "." || ifn == ".." ||
      std::any_of(ifn.begin(), ifn.end(), [](char c) {
        return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || c == '\0';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("ifName: \"", ifn, "\" is not a valid interface name"));
  }
  for (const auto& [k, v] : rt.args) {
    if (k.empty() || absl::StrContains(k, '=') || absl::StrContains(k, ';') ||
        absl::StrContains(v, ';')) {
      return absl::InvalidArgumentError(absl::StrCat("args[", k,
                                                     "]: keys must be non-empty "
                                                     "without '=' or ';', values without ';'"));
    }
  }
  return absl::OkStatus();
}

std::string CniArgs(const RuntimeConf& rt) {
  std::vector<std::string> parts;
  bool has_ignore = false;
  for (const auto& [k, v] : rt.args) has_ignore |= k == "IgnoreUnknown";
  if (!has_ignore) parts.push_back("IgnoreUnknown=1");
  for (const auto& [k, v] : rt.args) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrJoin(parts, ";");
}

std::vector<std::string> BuildEnvironment(const std::string& command, const RuntimeConf& rt,
                                          const std::vector<std::string>& bin_dirs,
                                          const char* const* base) {
  std::vector<std::string> env;
  std::string path;
  for (; base != nullptr && *base != nullptr; ++base) {
    absl::string_view e = *base;
    if (absl::StartsWith(e, "CNI_")) continue;
    if (absl::StartsWith(e, "PATH=")) {
      path = std::string(e.substr(5));
      continue;
    }
    env.emplace_back(e);
  }
  // Plugins run iptables, ip and friends, which live in the sbin directories.
  std::vector<absl::string_view> dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  std::vector<std::string> extra;
  for (const char* d : {"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) extra.emplace_back(d);
  }
  if (!extra.empty()) {
    path = path.empty() ? absl::StrJoin(extra, ":")
                        : absl::StrCat(path, ":", absl::StrJoin(extra, ":"));
  }
  env.push_back(absl::StrCat("PATH=", path));
  env.push_back(absl::StrCat("CNI_COMMAND=", command));
  if (command != "VERSION") {
    env.push_back(absl::StrCat("CNI_CONTAINERID=", rt.container_id));
    env.push_back(absl::StrCat("CNI_NETNS=", rt.netns));
    env.push_back(absl::StrCat("CNI_IFNAME=", rt.if_name));
    env.push_back(absl::StrCat("CNI_ARGS=", CniArgs(rt)));
  }
  env.push_back(absl::StrCat("CNI_PATH=", absl::StrJoin(bin_dirs, ":")));
  return env;
}

absl::StatusOr<std::string> RuntimeConfigJson(const PluginConfig& plugin, const RuntimeConf& rt) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  if (plugin.capabilities.count("portMappings") != 0 && !rt.port_mappings.empty()) {
    Value arr(rapidjson::kArrayType);
    for (const PortMapping& pm : rt.port_mappings) {
      Value m(rapidjson::kObjectType);
      m.AddMember("hostPort", pm.host_port, a);
      m.AddMember("containerPort", pm.container_port, a);
      m.AddMember("protocol", Str(pm.protocol.empty() ? "tcp" : pm.protocol, a), a);
      if (!pm.host_ip.empty()) m.AddMember("hostIP", Str(pm.host_ip, a), a);
      arr.PushBack(m, a);
    }
    doc.AddMember("portMappings", arr, a);
  }
  if (plugin.capabilities.count("bandwidth") != 0 && rt.bandwidth.has_value()) {
    Value b(rapidjson::kObjectType);
    b.AddMember("ingressRate", static_cast<int64_t>(rt.bandwidth->ingress_rate), a);
    b.AddMember("ingressBurst", static_cast<int64_t>(rt.bandwidth->ingress_burst), a);
    b.AddMember("egressRate", static_cast<int64_t>(rt.bandwidth->egress_rate), a);
    b.AddMember("egressBurst", static_cast<int64_t>(rt.bandwidth->egress_burst), a);
    doc.AddMember("bandwidth", b, a);
  }
  for (const auto& [name, json] : rt.capability_args) {
    if (plugin.capabilities.count(name) == 0 || doc.HasMember(name.c_str())) continue;
    rapidjson::Document v(&a);
    v.Parse(json.data(), json.size());
    if (v.HasParseError()) {
      return absl::InvalidArgumentError(
          absl::StrCat("capabilityArgs.", name, ": value is not valid JSON"));
    }
    doc.AddMember(Str(name, a), Value(v, a), a);
  }
  if (doc.MemberCount() == 0) return std::string();
  return ToJson(doc);
}

absl::StatusOr<std::string> CapabilityArgsJson(const RuntimeConf& rt) {
  PluginConfig all;
  all.capabilities = {"portMappings", "bandwidth"};
  for (const auto& [name, json] : rt.capability_args) all.capabilities.insert(name);
  return RuntimeConfigJson(all, rt);
}

bool HasNoCapabilityArgs(const RuntimeConf& rt) {
  return rt.port_mappings.empty() && !rt.bandwidth.has_value() && rt.capability_args.empty();
}

absl::Status RestoreCapabilityArgs(const std::string& json, RuntimeConf* rt) {
  if (json.empty()) return absl::OkStatus();
  rapidjson::Document doc;
  RUDDER_RETURN_IF_ERROR(ParseObject(json, "capabilityArgs", &doc));
  for (const auto& m : doc.GetObject()) {
    rt->capability_args[std::string(m.name.GetString(), m.name.GetStringLength())] =
        ToJson(m.value);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BuildPluginStdin(const NetworkConfigList& list,
                                             const PluginConfig& plugin, const RuntimeConf& rt,
                                             const std::string* prev_result) {
  rapidjson::Document doc;
  RUDDER_RETURN_IF_ERROR(ParseObject(plugin.json, "plugin configuration", &doc));
  auto& a = doc.GetAllocator();
  doc.RemoveMember("name");
  doc.RemoveMember("cniVersion");
  doc.AddMember("name", Str(list.name, a), a);
  doc.AddMember("cniVersion", Str(list.cni_version, a), a);
  doc.RemoveMember("prevResult");
  if (prev_result != nullptr) {
    rapidjson::Document prev(&a);
    RUDDER_RETURN_IF_ERROR(ParseObject(*prev_result, "prevResult", &prev));
    doc.AddMember("prevResult", Value(prev, a), a);
  }
  RUDDER_ASSIGN_OR_RETURN(std::string runtime_config, RuntimeConfigJson(plugin, rt));
  if (!runtime_config.empty()) {
    rapidjson::Document rc(&a);
    rc.Parse(runtime_config.data(), runtime_config.size());
    auto existing = doc.FindMember("runtimeConfig");
    if (existing != doc.MemberEnd() && existing->value.IsObject()) {
      for (auto& m : rc.GetObject()) {
        existing->value.RemoveMember(m.name);
        existing->value.AddMember(Value(m.name, a), Value(m.value, a), a);
      }
    } else {
      doc.RemoveMember("runtimeConfig");
      doc.AddMember("runtimeConfig", Value(rc, a), a);
    }
  }
  return ToJson(doc);
}

std::string CachePath(const std::string& cache_dir, const std::string& network,
                      const RuntimeConf& rt) {
  return absl::StrCat(cache_dir, "/results/", network, "-", rt.container_id, "-", rt.if_name);
}

absl::Status WriteCache(const std::string& path, const std::string& network, const RuntimeConf& rt,
                        const CacheEntry& entry) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("kind", "cniCacheV1", a);
  doc.AddMember("containerId", Str(rt.container_id, a), a);
  doc.AddMember("config", Str(absl::Base64Escape(entry.config), a), a);
  doc.AddMember("ifName", Str(rt.if_name, a), a);
  doc.AddMember("networkName", Str(network, a), a);
  doc.AddMember("netns", Str(rt.netns, a), a);
  Value args(rapidjson::kArrayType);
  for (const auto& [k, v] : rt.args) {
    Value pair(rapidjson::kArrayType);
    pair.PushBack(Str(k, a), a);
    pair.PushBack(Str(v, a), a);
    args.PushBack(pair, a);
  }
  doc.AddMember("cniArgs", args, a);
  rapidjson::Document caps(&a);
  if (entry.capability_args.empty()) {
    caps.SetObject();
  } else {
    RUDDER_RETURN_IF_ERROR(ParseObject(entry.capability_args, "capabilityArgs", &caps));
  }
  doc.AddMember("capabilityArgs", Value(caps, a), a);
  rapidjson::Document result(&a);
  RUDDER_RETURN_IF_ERROR(ParseObject(entry.result, "result", &result));
  doc.AddMember("result", Value(result, a), a);
  std::string data = ToJson(doc);

  RUDDER_RETURN_IF_ERROR(MkdirAll(path.substr(0, path.rfind('/'))));
  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat(tmp, ": ", std::strerror(errno)));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::UnavailableError(absl::StrCat(tmp, ": ", std::strerror(err)));
    }
    off += n;
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("rename ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CacheEntry>> ReadCache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  rapidjson::Document doc;
  RUDDER_RETURN_IF_ERROR(ParseObject(data, path, &doc));
  CacheEntry entry;
  std::string config64;
  RUDDER_RETURN_IF_ERROR(GetString(doc, "config", "", &config64));
  if (!absl::Base64Unescape(config64, &entry.config)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": config: invalid base64"));
  }
  auto result = doc.FindMember("result");
  if (result == doc.MemberEnd() || !result->value.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": result: required object"));
  }
  entry.result = ToJson(result->value);
  auto caps = doc.FindMember("capabilityArgs");
  if (caps != doc.MemberEnd() && caps->value.IsObject() && caps->value.MemberCount() > 0) {
    entry.capability_args = ToJson(caps->value);
  }
  return entry;
}

absl::Status RemoveCache(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(absl::StrCat("remove ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace rudder::cni::internal
