#include "lib/api/scheme/scheme.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/message.h"

namespace rudder::api {
namespace {

bool IsLowerDns(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '.')) return false;
  }
  return true;
}

}  // namespace

std::string GroupVersionKind::ApiVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

absl::StatusOr<GroupVersionKind> GroupVersionKind::FromApiVersion(absl::string_view api_version,
                                                                  absl::string_view kind) {
  GroupVersionKind gvk;
  gvk.kind = std::string(kind);
  std::vector<absl::string_view> parts = absl::StrSplit(api_version, '/');
  if (parts.size() == 1 && !parts[0].empty()) {
    gvk.version = std::string(parts[0]);
  } else if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty()) {
    gvk.group = std::string(parts[0]);
    gvk.version = std::string(parts[1]);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected GroupVersion string: \"", api_version, "\""));
  }
  return gvk;
}

std::string GroupVersionKind::ToString() const {
  return absl::StrCat(ApiVersion(), ", Kind=", kind);
}

std::unique_ptr<google::protobuf::Message> KindInfo::New() const {
  if (descriptor == nullptr) return nullptr;
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
  if (prototype == nullptr) return nullptr;
  return std::unique_ptr<google::protobuf::Message>(prototype->New());
}

absl::Status Scheme::Register(KindInfo info) {
  if (info.gvk.version.empty() || info.gvk.kind.empty()) {
    return absl::InvalidArgumentError("kind: version and kind are required");
  }
  if (!info.gvk.group.empty() && !IsLowerDns(info.gvk.group)) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", info.gvk.ToString(), ": group must be a lowercase DNS name"));
  }
  if (!IsLowerDns(info.plural) || absl::StrContains(info.plural, '.')) {
    return absl::InvalidArgumentError(absl::StrCat("kind ", info.gvk.ToString(),
                                                   ": plural must be a lowercase name, got \"",
                                                   info.plural, "\""));
  }
  if (info.singular.empty()) info.singular = absl::AsciiStrToLower(info.gvk.kind);
  if (info.list_kind.empty()) info.list_kind = info.gvk.kind + "List";
  if (info.verbs.empty()) {
    info.verbs = {"create", "delete", "deletecollection", "get",
                  "list",   "patch",  "update",           "watch"};
  }
  auto shared = std::make_shared<const KindInfo>(std::move(info));
  MutexLock lock(&mu_);
  if (by_kind_.count(shared->gvk)) {
    return absl::AlreadyExistsError(
        absl::StrCat("kind ", shared->gvk.ToString(), " is already registered"));
  }
  if (by_resource_.count(shared->gvr())) {
    return absl::AlreadyExistsError(absl::StrCat(
        "resource ", shared->plural, " of ", shared->gvk.ApiVersion(), " is already registered"));
  }
  by_kind_[shared->gvk] = shared;
  by_resource_[shared->gvr()] = shared;
  if (shared->descriptor != nullptr && !shared->custom_resource) {
    by_descriptor_.emplace(shared->descriptor, shared);
  }
  return absl::OkStatus();
}

absl::Status Scheme::Unregister(const GroupVersionKind& gvk) {
  MutexLock lock(&mu_);
  auto it = by_kind_.find(gvk);
  if (it == by_kind_.end()) {
    return absl::NotFoundError(absl::StrCat("kind ", gvk.ToString(), " is not registered"));
  }
  std::shared_ptr<const KindInfo> info = it->second;
  by_kind_.erase(it);
  by_resource_.erase(info->gvr());
  auto d = by_descriptor_.find(info->descriptor);
  if (d != by_descriptor_.end() && d->second == info) by_descriptor_.erase(d);
  return absl::OkStatus();
}

std::shared_ptr<const KindInfo> Scheme::ByKind(const GroupVersionKind& gvk) const {
  MutexLock lock(&mu_);
  auto it = by_kind_.find(gvk);
  return it == by_kind_.end() ? nullptr : it->second;
}

std::shared_ptr<const KindInfo> Scheme::ByResource(const GroupVersionResource& gvr) const {
  MutexLock lock(&mu_);
  auto it = by_resource_.find(gvr);
  return it == by_resource_.end() ? nullptr : it->second;
}

std::shared_ptr<const KindInfo> Scheme::ByDescriptor(const google::protobuf::Descriptor* d) const {
  MutexLock lock(&mu_);
  auto it = by_descriptor_.find(d);
  return it == by_descriptor_.end() ? nullptr : it->second;
}

std::shared_ptr<const KindInfo> Scheme::ResolveResource(absl::string_view name) const {
  std::string lower = absl::AsciiStrToLower(name);
  // "deployments.v1.apps" or "deployments.apps": a resource, then a version and/or group.
  std::string resource = lower, group, version;
  bool qualified = false;
  if (size_t dot = lower.find('.'); dot != std::string::npos) {
    qualified = true;
    resource = lower.substr(0, dot);
    std::string rest = lower.substr(dot + 1);
    size_t dot2 = rest.find('.');
    std::string first = dot2 == std::string::npos ? rest : rest.substr(0, dot2);
    // A version looks like v1, v2beta1; then the group follows it.
    bool looks_like_version = first.size() >= 2 && first[0] == 'v' && absl::ascii_isdigit(first[1]);
    if (looks_like_version && dot2 != std::string::npos) {
      version = first;
      group = rest.substr(dot2 + 1);
    } else {
      group = rest;
    }
  }
  auto matches = [&](const KindInfo& k) {
    if (qualified && k.gvk.group != group) return false;
    if (!version.empty() && k.gvk.version != version) return false;
    if (k.plural == resource || k.singular == resource ||
        absl::AsciiStrToLower(k.gvk.kind) == resource) {
      return true;
    }
    return std::find(k.short_names.begin(), k.short_names.end(), resource) != k.short_names.end();
  };
  std::shared_ptr<const KindInfo> best;
  MutexLock lock(&mu_);
  for (const auto& [gvk, info] : by_kind_) {
    if (!matches(*info)) continue;
    if (best == nullptr) {
      best = info;
      continue;
    }
    // Prefer the core group, then the shorter group name, then the lexically first.
    auto rank = [](const KindInfo& k) {
      return std::make_tuple(!k.gvk.group.empty(), k.gvk.group.size(), k.gvk.group);
    };
    if (rank(*info) < rank(*best)) best = info;
  }
  return best;
}

std::vector<std::shared_ptr<const KindInfo>> Scheme::All() const {
  MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const KindInfo>> all;
  all.reserve(by_resource_.size());
  for (const auto& [gvr, info] : by_resource_) all.push_back(info);
  return all;
}

std::vector<std::pair<std::string, std::string>> Scheme::GroupVersions() const {
  MutexLock lock(&mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [gvr, info] : by_resource_) {
    std::pair<std::string, std::string> gv(gvr.group, gvr.version);
    if (out.empty() || out.back() != gv) out.push_back(std::move(gv));
  }
  return out;
}

}  // namespace rudder::api
