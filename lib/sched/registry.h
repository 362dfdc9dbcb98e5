// PluginRegistry: plugin factories by name. A scheduler builds each profile's plugins from it.
#ifndef RUDDER_LIB_SCHED_REGISTRY_H_
#define RUDDER_LIB_SCHED_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/sched/config.h"
#include "lib/sched/framework.h"

namespace rudder::sched {

// Creates a plugin from its args (null when the config gives none). `handle` outlives it.
using PluginFactory =
    std::function<absl::StatusOr<std::unique_ptr<Plugin>>(const ConfigValue& args, Handle* handle)>;

// Name -> factory. Not thread-safe to mutate; register everything before creating schedulers.
class PluginRegistry {
 public:
  // AlreadyExists if the name is taken.
  absl::Status Register(std::string name, PluginFactory factory);
  // NotFound if unknown.
  absl::StatusOr<const PluginFactory*> Get(std::string_view name) const;
  bool Contains(std::string_view name) const { return factories_.count(std::string(name)) > 0; }
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, PluginFactory, std::less<>> factories_;
};

// A registry holding the default (in-tree) plugins (plugins/plugins.h lists them).
PluginRegistry DefaultRegistry();

}  // namespace rudder::sched

#endif  // RUDDER_LIB_SCHED_REGISTRY_H_
