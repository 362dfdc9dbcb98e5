// What a plugin execution is made of: its environment, its stdin, and the on-disk result cache.
// Pure functions over values (the cache ones touch only the given paths); thread-safe.
#ifndef RUDDER_LIB_RUNTIME_CNI_INTERNAL_INVOKE_H_
#define RUDDER_LIB_RUNTIME_CNI_INTERNAL_INVOKE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/runtime/cni/cni.h"
#include "lib/runtime/cni/config.h"

namespace rudder::cni::internal {

// InvalidArgument (with the field) unless the container id, interface name and CNI_ARGS are
// well formed: ids are alphanumerics, '_', '.', '-' starting with an alphanumeric; interface
// names are 1-15 characters without '/', ':' or whitespace; args have no ';' and keys no '='.
absl::Status ValidateRuntimeConf(const RuntimeConf& rt);

// The value of CNI_ARGS: "IgnoreUnknown=1;K=V;..." (IgnoreUnknown only if not given).
std::string CniArgs(const RuntimeConf& rt);

// The child's environment: `base` (usually environ) without CNI_* variables, with /usr/sbin and
// /sbin on PATH, plus CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH.
std::vector<std::string> BuildEnvironment(const std::string& command, const RuntimeConf& rt,
                                          const std::vector<std::string>& bin_dirs,
                                          const char* const* base);

// The runtimeConfig object for `plugin`: the capability arguments of `rt` the plugin declares,
// as JSON text, or "" if there are none.
absl::StatusOr<std::string> RuntimeConfigJson(const PluginConfig& plugin, const RuntimeConf& rt);

// The plugin's stdin: its configuration with the list's name and cniVersion, prevResult (if
// `prev_result` is given) and runtimeConfig (if any capability applies).
absl::StatusOr<std::string> BuildPluginStdin(const NetworkConfigList& list,
                                             const PluginConfig& plugin, const RuntimeConf& rt,
                                             const std::string* prev_result);

// <cache_dir>/results/<network>-<container_id>-<if_name>.
std::string CachePath(const std::string& cache_dir, const std::string& network,
                      const RuntimeConf& rt);

// A cache entry in libcni's "cniCacheV1" format.
struct CacheEntry {
  std::string config;           // the network configuration list's JSON text
  std::string result;           // the ADD result's JSON text
  std::string capability_args;  // JSON object of every capability argument ADD had, or ""
};

// Every capability argument of `rt` (portMappings, bandwidth and the others) as a JSON object,
// or "" if there are none.
absl::StatusOr<std::string> CapabilityArgsJson(const RuntimeConf& rt);

// True if `rt` carries no capability arguments.
bool HasNoCapabilityArgs(const RuntimeConf& rt);

// Puts the members of a CapabilityArgsJson object into rt->capability_args.
absl::Status RestoreCapabilityArgs(const std::string& json, RuntimeConf* rt);

// Writes the entry atomically (temporary file + rename), creating directories as needed.
absl::Status WriteCache(const std::string& path, const std::string& network, const RuntimeConf& rt,
                        const CacheEntry& entry);

// Reads an entry; nullopt if the file does not exist; InvalidArgument if it is malformed.
absl::StatusOr<std::optional<CacheEntry>> ReadCache(const std::string& path);

// Removes the entry; OK if it does not exist.
absl::Status RemoveCache(const std::string& path);

}  // namespace rudder::cni::internal

#endif  // RUDDER_LIB_RUNTIME_CNI_INTERNAL_INVOKE_H_
