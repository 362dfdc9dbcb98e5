#include "lib/sched/registry.h"

#include "absl/strings/str_cat.h"

namespace rudder::sched {

absl::Status PluginRegistry::Register(std::string name, PluginFactory factory) {
  if (factories_.count(name)) {
    return absl::AlreadyExistsError(absl::StrCat("plugin \"", name, "\" is already registered"));
  }
  factories_.emplace(std::move(name), std::move(factory));
  return absl::OkStatus();
}

absl::StatusOr<const PluginFactory*> PluginRegistry::Get(std::string_view name) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    return absl::NotFoundError(
        absl::StrCat("plugin \"", std::string(name), "\" is not registered"));
  }
  return &it->second;
}

std::vector<std::string> PluginRegistry::Names() const {
  std::vector<std::string> out;
  for (const auto& [n, f] : factories_) out.push_back(n);
  return out;
}

}  // namespace rudder::sched
