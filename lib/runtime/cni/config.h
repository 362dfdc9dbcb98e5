// CNI network configuration: a network configuration list (.conflist), whose plugins run as a
// chain, or a single network configuration (.conf), which is treated as a list of one plugin.
//
// Loading only validates what the runtime needs (cniVersion, name, plugin types, declared
// capabilities); each plugin's object is kept as written and handed to the plugin on stdin.
// All types here are plain values; functions are thread-safe.
#ifndef RUDDER_LIB_RUNTIME_CNI_CONFIG_H_
#define RUDDER_LIB_RUNTIME_CNI_CONFIG_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rudder::cni {

// The CNI spec versions this adapter speaks, oldest first.
const std::vector<std::string>& SupportedVersions();

// True if `version` is one of SupportedVersions().
bool IsSupportedVersion(std::string_view version);

// Compares two "major.minor.patch" versions: negative, zero or positive like strcmp.
// Unparsable components compare as 0.
int CompareVersions(std::string_view a, std::string_view b);

// One plugin of a network: its type (the binary's name), the capabilities it declares with
// `"capabilities": {"portMappings": true}`, and its configuration object as JSON text.
struct PluginConfig {
  std::string type;
  std::set<std::string> capabilities;
  std::string json;
};

// A network: the chain of plugins that ADD runs in order and DEL in reverse.
struct NetworkConfigList {
  std::string cni_version;
  std::string name;
  // `disableCheck`: CHECK succeeds without running the plugins.
  bool disable_check = false;
  std::vector<PluginConfig> plugins;
  // The configuration as loaded (JSON text of the list), kept in the result cache.
  std::string bytes;
  // The file it came from, or empty.
  std::string source;
};

// Parses a .conflist document. Errors are InvalidArgument with the field path
// (e.g. "plugins[1].type: must be a non-empty string").
absl::StatusOr<NetworkConfigList> ParseConfigList(std::string_view json);

// Parses a single-plugin .conf document into a list of one plugin.
absl::StatusOr<NetworkConfigList> ParseConfig(std::string_view json);

// Loads a file: ".conflist" as a list, ".conf" and ".json" as a single configuration.
// NotFound if the file does not exist.
absl::StatusOr<NetworkConfigList> LoadConfigFile(const std::string& path);

// Loads the default network of a configuration directory the way the kubelet does: files ending
// in .conf, .conflist or .json, in lexical order; the first that loads and has plugins wins
// (invalid files are skipped). NotFound if there is none, with the reasons files were skipped.
absl::StatusOr<NetworkConfigList> LoadDefaultNetwork(const std::string& dir);

}  // namespace rudder::cni

#endif  // RUDDER_LIB_RUNTIME_CNI_CONFIG_H_
