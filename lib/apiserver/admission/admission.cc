#include "lib/apiserver/admission/admission.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace rudder::apiserver::admission {

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kCreate:
      return "CREATE";
    case Operation::kUpdate:
      return "UPDATE";
    case Operation::kDelete:
      return "DELETE";
    case Operation::kConnect:
      return "CONNECT";
  }
  return "";
}

Chain::Chain(std::vector<std::unique_ptr<Plugin>> plugins) : plugins_(std::move(plugins)) {}

absl::Status Chain::Admit(Attributes& a) const {
  for (const std::unique_ptr<Plugin>& p : plugins_) RUDDER_RETURN_IF_ERROR(p->Admit(a));
  return absl::OkStatus();
}

absl::Status Chain::Validate(const Attributes& a) const {
  for (const std::unique_ptr<Plugin>& p : plugins_) RUDDER_RETURN_IF_ERROR(p->Validate(a));
  return absl::OkStatus();
}

void Chain::Committed(const Attributes& a) const {
  for (const std::unique_ptr<Plugin>& p : plugins_) p->Committed(a);
}

std::vector<std::string> Chain::names() const {
  std::vector<std::string> out;
  for (const std::unique_ptr<Plugin>& p : plugins_) out.emplace_back(p->name());
  return out;
}

void PluginRegistry::Register(const std::string& name, Factory factory) {
  MutexLock l(&mu_);
  factories_[name] = std::move(factory);
}

bool PluginRegistry::Has(const std::string& name) const {
  MutexLock l(&mu_);
  return factories_.count(name) > 0;
}

absl::StatusOr<std::shared_ptr<Chain>> PluginRegistry::NewChain(
    const std::vector<std::string>& names) const {
  std::vector<Factory> factories;
  {
    MutexLock l(&mu_);
    std::set<std::string> seen;
    for (const std::string& n : names) {
      auto it = factories_.find(n);
      if (it == factories_.end()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown admission plugin: ", n));
      }
      if (!seen.insert(n).second) {
        return absl::InvalidArgumentError(absl::StrCat("admission plugin listed twice: ", n));
      }
      factories.push_back(it->second);
    }
  }
  std::vector<std::unique_ptr<Plugin>> plugins;
  for (size_t i = 0; i < factories.size(); ++i) {
    absl::StatusOr<std::unique_ptr<Plugin>> p = factories[i]();
    if (!p.ok()) {
      return absl::Status(p.status().code(),
                          absl::StrCat("admission plugin ", names[i], ": ", p.status().message()));
    }
    if (*p == nullptr) {
      return absl::InternalError(absl::StrCat("admission plugin ", names[i], " is null"));
    }
    plugins.push_back(std::move(*p));
  }
  return std::make_shared<Chain>(std::move(plugins));
}

}  // namespace rudder::apiserver::admission
