#include "lib/runtime/cni/config.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "lib/runtime/cni/internal/json.h"

namespace rudder::cni {
namespace {

using internal::GetString;

// Network names: alphanumerics, '-', '_' and '.', starting with an alphanumeric.
bool ValidNetworkName(absl::string_view name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// Plugin types name a binary in the bin dirs: no path separators, no "." or "..".
bool ValidPluginType(absl::string_view type) {
  if (type.empty() || type == "." || type == "..") return false;
  return type.find('/') == absl::string_view::npos && type.find('\0') == absl::string_view::npos;
}

absl::Status ParseVersionAndName(const rapidjson::Value& obj, NetworkConfigList* out) {
  RUDDER_RETURN_IF_ERROR(GetString(obj, "cniVersion", "", &out->cni_version));
  if (out->cni_version.empty()) {
    return absl::InvalidArgumentError("cniVersion: required");
  }
  if (!IsSupportedVersion(out->cni_version)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cniVersion: unsupported version \"", out->cni_version,
                     "\" (supported: ", absl::StrJoin(SupportedVersions(), ", "), ")"));
  }
  RUDDER_RETURN_IF_ERROR(GetString(obj, "name", "", &out->name));
  if (out->name.empty()) return absl::InvalidArgumentError("name: required");
  if (!ValidNetworkName(out->name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: \"", out->name,
                     "\" must contain only alphanumerics, '-', '_' and '.', starting with an "
                     "alphanumeric"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PluginConfig> ParsePlugin(const rapidjson::Value& obj, absl::string_view path) {
  if (!obj.IsObject()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be an object"));
  PluginConfig plugin;
  RUDDER_RETURN_IF_ERROR(GetString(obj, "type", path, &plugin.type));
  if (plugin.type.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, path.empty() ? "" : ".", "type: required"));
  }
  if (!ValidPluginType(plugin.type)) {
    return absl::InvalidArgumentError(absl::StrCat(path, path.empty() ? "" : ".", "type: \"",
                                                   plugin.type, "\" is not a plugin name"));
  }
  auto caps = obj.FindMember("capabilities");
  if (caps != obj.MemberEnd() && !caps->value.IsNull()) {
    if (!caps->value.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, path.empty() ? "" : ".", "capabilities: must be an object"));
    }
    for (const auto& m : caps->value.GetObject()) {
      if (!m.value.IsBool()) {
        return absl::InvalidArgumentError(absl::StrCat(path, path.empty() ? "" : ".",
                                                       "capabilities.", m.name.GetString(),
                                                       ": must be a boolean"));
      }
      if (m.value.GetBool()) plugin.capabilities.emplace(m.name.GetString());
    }
  }
  plugin.json = internal::ToJson(obj);
  return plugin;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(err)));
  }
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    data.append(buf, in.gcount());
    if (data.size() > internal::kMaxJsonBytes) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": file is too large"));
    }
  }
  return data;
}

absl::Status WithSource(absl::Status s, const std::string& path) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

}  // namespace

const std::vector<std::string>& SupportedVersions() {
  static const auto* versions =
      new std::vector<std::string>{"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"};
  return *versions;
}

bool IsSupportedVersion(std::string_view version) {
  const auto& v = SupportedVersions();
  return std::find(v.begin(), v.end(), version) != v.end();
}

int CompareVersions(std::string_view a_in, std::string_view b_in) {
  absl::string_view a(a_in.data(), a_in.size()), b(b_in.data(), b_in.size());
  std::vector<absl::string_view> pa = absl::StrSplit(a, '.');
  std::vector<absl::string_view> pb = absl::StrSplit(b, '.');
  for (size_t i = 0; i < 3; ++i) {
    int x = 0, y = 0;
    if (i < pa.size() && !absl::SimpleAtoi(pa[i], &x)) x = 0;
    if (i < pb.size() && !absl::SimpleAtoi(pb[i], &y)) y = 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

absl::StatusOr<NetworkConfigList> ParseConfigList(std::string_view json) {
  rapidjson::Document doc;
  RUDDER_RETURN_IF_ERROR(internal::ParseObject(json, "network configuration list", &doc));
  NetworkConfigList list;
  RUDDER_RETURN_IF_ERROR(ParseVersionAndName(doc, &list));
  auto dc = doc.FindMember("disableCheck");
  if (dc != doc.MemberEnd() && !dc->value.IsNull()) {
    // libcni also accepts the strings "true"/"false".
    if (dc->value.IsBool()) {
      list.disable_check = dc->value.GetBool();
    } else if (dc->value.IsString() && (absl::string_view(dc->value.GetString()) == "true" ||
                                        absl::string_view(dc->value.GetString()) == "false")) {
      list.disable_check = absl::string_view(dc->value.GetString()) == "true";
    } else {
      return absl::InvalidArgumentError("disableCheck: must be a boolean");
    }
  }
  auto plugins = doc.FindMember("plugins");
  if (plugins == doc.MemberEnd() || !plugins->value.IsArray()) {
    return absl::InvalidArgumentError("plugins: required, must be an array");
  }
  if (plugins->value.Empty()) return absl::InvalidArgumentError("plugins: must not be empty");
  for (rapidjson::SizeType i = 0; i < plugins->value.Size(); ++i) {
    RUDDER_ASSIGN_OR_RETURN(PluginConfig p,
                            ParsePlugin(plugins->value[i], absl::StrCat("plugins[", i, "]")));
    list.plugins.push_back(std::move(p));
  }
  list.bytes = std::string(json);
  return list;
}

absl::StatusOr<NetworkConfigList> ParseConfig(std::string_view json) {
  rapidjson::Document doc;
  RUDDER_RETURN_IF_ERROR(internal::ParseObject(json, "network configuration", &doc));
  if (doc.HasMember("plugins")) {
    return absl::InvalidArgumentError(
        "plugins: a single network configuration has no plugin list (is this a .conflist?)");
  }
  NetworkConfigList list;
  RUDDER_RETURN_IF_ERROR(ParseVersionAndName(doc, &list));
  RUDDER_ASSIGN_OR_RETURN(PluginConfig p, ParsePlugin(doc, ""));
  list.plugins.push_back(std::move(p));
  // The list form, as libcni builds it for a single configuration.
  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  out.AddMember("cniVersion", rapidjson::Value(list.cni_version.c_str(), a), a);
  out.AddMember("name", rapidjson::Value(list.name.c_str(), a), a);
  rapidjson::Value arr(rapidjson::kArrayType);
  arr.PushBack(rapidjson::Value(doc, a), a);
  out.AddMember("plugins", arr, a);
  list.bytes = internal::ToJson(out);
  return list;
}

absl::StatusOr<NetworkConfigList> LoadConfigFile(const std::string& path) {
  RUDDER_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  absl::StatusOr<NetworkConfigList> list =
      absl::EndsWith(path, ".conflist") ? ParseConfigList(data) : ParseConfig(data);
  if (!list.ok()) return WithSource(list.status(), path);
  list->source = path;
  return list;
}

absl::StatusOr<NetworkConfigList> LoadDefaultNetwork(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("no CNI network configuration: ", dir, " does not exist"));
    }
    return absl::UnavailableError(absl::StrCat(dir, ": ", std::strerror(err)));
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    absl::string_view n = e->d_name;
    if (absl::EndsWith(n, ".conf") || absl::EndsWith(n, ".conflist") ||
        absl::EndsWith(n, ".json")) {
      names.emplace_back(n);
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<std::string> skipped;
  for (const std::string& n : names) {
    std::string path = absl::StrCat(dir, "/", n);
    absl::StatusOr<NetworkConfigList> list = LoadConfigFile(path);
    if (list.ok()) return list;
    skipped.push_back(std::string(list.status().message()));
  }
  return absl::NotFoundError(absl::StrCat(
      "no valid CNI network configuration in ", dir, skipped.empty() ? "" : " (skipped: ",
      absl::StrJoin(skipped, "; "), skipped.empty() ? "" : ")"));
}

}  // namespace rudder::cni
