#include "lib/runtime/cni/cni.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "lib/base/status_macros.h"
#include "lib/runtime/cni/internal/exec.h"
#include "lib/runtime/cni/internal/invoke.h"
#include "lib/runtime/cni/internal/json.h"

extern char** environ;

namespace rudder::cni {
namespace {

absl::Status Prefix(const absl::Status& s, absl::string_view prefix) {
  absl::Status out(s.code(), absl::StrCat(prefix, ": ", s.message()));
  s.ForEachPayload([&](auto key, const absl::Cord& value) { out.SetPayload(key, value); });
  return out;
}

std::string Trim(absl::string_view s, size_t max = 4096) {
  s = absl::StripAsciiWhitespace(s);
  if (s.size() > max) return absl::StrCat(s.substr(0, max), "...");
  return std::string(s);
}

}  // namespace

Cni::Cni(CniOptions options) : options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = Clock::Real();
}

absl::StatusOr<std::string> Cni::FindPlugin(const std::string& type) const {
  if (type.empty() || type.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("\"", type, "\" is not a plugin name"));
  }
  for (const std::string& dir : options_.bin_dirs) {
    std::string path = absl::StrCat(dir, "/", type);
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  return absl::NotFoundError(absl::StrCat("CNI plugin \"", type, "\" not found in ",
                                          absl::StrJoin(options_.bin_dirs, ":")));
}

absl::StatusOr<std::string> Cni::Invoke(const std::string& command, const PluginConfig& plugin,
                                        const std::string& stdin_data,
                                        const RuntimeConf& rt) const {
  RUDDER_ASSIGN_OR_RETURN(std::string path, FindPlugin(plugin.type));
  const std::string context = absl::StrCat("CNI plugin ", plugin.type, " ", command);
  internal::ExecRequest req;
  req.path = path;
  req.env = internal::BuildEnvironment(command, rt, options_.bin_dirs, environ);
  req.stdin_data = stdin_data;
  req.timeout = options_.timeout;
  req.clock = options_.clock;
  absl::StatusOr<internal::ExecOutput> out = internal::RunProcess(req);
  if (!out.ok()) return Prefix(out.status(), context);
  if (out->exit_code == 0) return std::move(out->stdout_data);
  // Plugins print their error object on stdout (some older ones on stderr).
  for (const std::string* text : {&out->stdout_data, &out->stderr_data}) {
    absl::StatusOr<PluginError> err = ParseError(*text);
    if (err.ok()) return ErrorToStatus(*err, context);
  }
  std::string detail = Trim(out->stderr_data.empty() ? out->stdout_data : out->stderr_data);
  if (out->term_signal != 0) {
    return absl::UnknownError(absl::StrCat(context, ": killed by signal ", out->term_signal,
                                           detail.empty() ? "" : ": ", detail));
  }
  return absl::UnknownError(
      absl::StrCat(context, ": exit status ", out->exit_code, detail.empty() ? "" : ": ", detail));
}

absl::StatusOr<Result> Cni::AddNetworkList(const NetworkConfigList& list,
                                           const RuntimeConf& rt) const {
  RUDDER_RETURN_IF_ERROR(internal::ValidateRuntimeConf(rt));
  if (list.plugins.empty()) return absl::InvalidArgumentError("plugins: must not be empty");
  std::optional<Result> prev;
  for (const PluginConfig& plugin : list.plugins) {
    RUDDER_ASSIGN_OR_RETURN(
        std::string stdin_data,
        internal::BuildPluginStdin(list, plugin, rt, prev ? &prev->json : nullptr));
    RUDDER_ASSIGN_OR_RETURN(std::string out, Invoke("ADD", plugin, stdin_data, rt));
    if (absl::StripAsciiWhitespace(out).empty()) {
      return absl::InternalError(
          absl::StrCat("CNI plugin ", plugin.type, " ADD: succeeded without printing a result"));
    }
    absl::StatusOr<Result> result = ParseResult(out, list.cni_version);
    if (!result.ok()) {
      return Prefix(result.status(), absl::StrCat("CNI plugin ", plugin.type, " ADD: result"));
    }
    prev = *std::move(result);
  }
  RUDDER_ASSIGN_OR_RETURN(std::string capability_args, internal::CapabilityArgsJson(rt));
  internal::CacheEntry entry{list.bytes, prev->json, std::move(capability_args)};
  if (absl::Status s = internal::WriteCache(internal::CachePath(options_.cache_dir, list.name, rt),
                                            list.name, rt, entry);
      !s.ok()) {
    return Prefix(s, absl::StrCat("caching the result of network ", list.name));
  }
  return *std::move(prev);
}

absl::Status Cni::CheckNetworkList(const NetworkConfigList& list, const RuntimeConf& rt) const {
  RUDDER_RETURN_IF_ERROR(internal::ValidateRuntimeConf(rt));
  if (CompareVersions(list.cni_version, "0.4.0") < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "network ", list.name, ": CHECK needs cniVersion 0.4.0 or later, not ", list.cni_version));
  }
  if (list.disable_check) return absl::OkStatus();
  RUDDER_ASSIGN_OR_RETURN(std::optional<Result> cached, GetCachedResult(list.name, rt));
  if (!cached.has_value()) {
    return absl::NotFoundError(absl::StrCat("network ", list.name,
                                            ": no cached result for container ", rt.container_id,
                                            " interface ", rt.if_name));
  }
  for (const PluginConfig& plugin : list.plugins) {
    RUDDER_ASSIGN_OR_RETURN(std::string stdin_data,
                            internal::BuildPluginStdin(list, plugin, rt, &cached->json));
    RUDDER_RETURN_IF_ERROR(Invoke("CHECK", plugin, stdin_data, rt).status());
  }
  return absl::OkStatus();
}

absl::Status Cni::DelNetworkList(const NetworkConfigList& list, const RuntimeConf& rt_in) const {
  RUDDER_RETURN_IF_ERROR(internal::ValidateRuntimeConf(rt_in));
  RuntimeConf rt = rt_in;
  const std::string path = internal::CachePath(options_.cache_dir, list.name, rt);
  // A corrupt cache entry must not block DEL forever: run without prevResult then.
  absl::StatusOr<std::optional<internal::CacheEntry>> cached = internal::ReadCache(path);
  const std::string* prev = nullptr;
  if (cached.ok() && cached->has_value() && CompareVersions(list.cni_version, "0.4.0") >= 0) {
    prev = &(*cached)->result;
  }
  // Without capability arguments of its own, DEL gets those ADD had: portmap, for one,
  // removes its rules only when it is told the port mappings.
  if (cached.ok() && cached->has_value() && internal::HasNoCapabilityArgs(rt)) {
    internal::RestoreCapabilityArgs((*cached)->capability_args, &rt).IgnoreError();
  }
  for (auto it = list.plugins.rbegin(); it != list.plugins.rend(); ++it) {
    RUDDER_ASSIGN_OR_RETURN(std::string stdin_data,
                            internal::BuildPluginStdin(list, *it, rt, prev));
    RUDDER_RETURN_IF_ERROR(Invoke("DEL", *it, stdin_data, rt).status());
  }
  return internal::RemoveCache(path);
}

absl::StatusOr<std::optional<Result>> Cni::GetCachedResult(const std::string& network,
                                                           const RuntimeConf& rt) const {
  RUDDER_RETURN_IF_ERROR(internal::ValidateRuntimeConf(rt));
  RUDDER_ASSIGN_OR_RETURN(
      std::optional<internal::CacheEntry> entry,
      internal::ReadCache(internal::CachePath(options_.cache_dir, network, rt)));
  if (!entry.has_value()) return std::nullopt;
  RUDDER_ASSIGN_OR_RETURN(Result result, ParseResult(entry->result));
  return result;
}

absl::StatusOr<std::optional<NetworkConfigList>> Cni::GetCachedConfig(const std::string& network,
                                                                      const RuntimeConf& rt) const {
  RUDDER_RETURN_IF_ERROR(internal::ValidateRuntimeConf(rt));
  RUDDER_ASSIGN_OR_RETURN(
      std::optional<internal::CacheEntry> entry,
      internal::ReadCache(internal::CachePath(options_.cache_dir, network, rt)));
  if (!entry.has_value() || entry->config.empty()) return std::nullopt;
  RUDDER_ASSIGN_OR_RETURN(NetworkConfigList list, ParseConfigList(entry->config));
  return list;
}

absl::StatusOr<VersionInfo> Cni::GetVersionInfo(const std::string& type) const {
  PluginConfig plugin;
  plugin.type = type;
  RuntimeConf rt;
  RUDDER_ASSIGN_OR_RETURN(std::string out,
                          Invoke("VERSION", plugin, "{\"cniVersion\":\"1.0.0\"}", rt));
  rapidjson::Document doc;
  RUDDER_RETURN_IF_ERROR(
      internal::ParseObject(out, absl::StrCat("CNI plugin ", type, " VERSION"), &doc));
  VersionInfo info;
  RUDDER_RETURN_IF_ERROR(internal::GetString(doc, "cniVersion", "", &info.cni_version));
  auto sv = doc.FindMember("supportedVersions");
  if (sv != doc.MemberEnd() && sv->value.IsArray()) {
    for (const auto& v : sv->value.GetArray()) {
      if (v.IsString()) info.supported_versions.emplace_back(v.GetString());
    }
  }
  if (info.supported_versions.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CNI plugin ", type, " VERSION: no supportedVersions"));
  }
  return info;
}

absl::Status Cni::ValidateNetworkList(const NetworkConfigList& list) const {
  for (const PluginConfig& plugin : list.plugins) {
    RUDDER_ASSIGN_OR_RETURN(VersionInfo info, GetVersionInfo(plugin.type));
    const auto& sv = info.supported_versions;
    if (std::find(sv.begin(), sv.end(), list.cni_version) == sv.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("CNI plugin ", plugin.type, " does not support cniVersion ",
                       list.cni_version, " (supports ", absl::StrJoin(sv, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace rudder::cni
