// Runs CNI plugins the way the CNI spec and libcni do: ADD, CHECK and DEL of a network
// configuration list for one container, and VERSION of a plugin.
//
// ADD runs the plugins in order, each receiving the previous one's result as prevResult, and
// caches the final result on disk (<cache_dir>/results/<network>-<container>-<ifname>, the
// libcni layout), so CHECK and DEL have it even after a restart. DEL runs the plugins in reverse
// order with the cached result and then removes it; DEL of an unknown container succeeds if the
// plugins say so (they must). Capability arguments (portMappings, bandwidth, ...) reach only
// the plugins that declare the capability, as "runtimeConfig".
//
// A Cni holds only its options: it is thread-safe, and calls for different containers may run
// concurrently.
#ifndef RUDDER_LIB_RUNTIME_CNI_CNI_H_
#define RUDDER_LIB_RUNTIME_CNI_CNI_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/runtime/cni/config.h"
#include "lib/runtime/cni/result.h"

namespace rudder::cni {

// A port to publish on the host (the "portMappings" capability).
struct PortMapping {
  int host_port = 0;
  int container_port = 0;
  std::string protocol = "tcp";  // "tcp", "udp" or "sctp"
  std::string host_ip;           // empty: all addresses
};

// Traffic shaping for the pod (the "bandwidth" capability), in bits per second and bits.
struct BandwidthLimits {
  int64_t ingress_rate = 0;
  int64_t ingress_burst = 0;
  int64_t egress_rate = 0;
  int64_t egress_burst = 0;
};

// What identifies one attachment of a container to a network, and its runtime arguments.
struct RuntimeConf {
  std::string container_id;      // CNI_CONTAINERID (the pod sandbox id)
  std::string netns;             // CNI_NETNS: path of the network namespace
  std::string if_name = "eth0";  // CNI_IFNAME
  // CNI_ARGS as key=value pairs, e.g. {"K8S_POD_NAME", "web-0"}; "IgnoreUnknown=1" is added.
  std::vector<std::pair<std::string, std::string>> args;
  std::vector<PortMapping> port_mappings;    // "portMappings"
  std::optional<BandwidthLimits> bandwidth;  // "bandwidth"
  // Other capabilities: name -> JSON value text, e.g. {"ips", "[\"10.0.0.5/24\"]"}.
  std::map<std::string, std::string> capability_args;
};

// Options of a Cni.
struct CniOptions {
  std::vector<std::string> bin_dirs = {"/usr/lib/cni"};  // searched in order; CNI_PATH
  std::string cache_dir = "/var/lib/cni";                // results/ is created below it
  absl::Duration timeout = absl::Seconds(60);            // per plugin execution
  Clock* clock = nullptr;                                // borrowed; Clock::Real() if null
};

// A plugin's answer to VERSION.
struct VersionInfo {
  std::string cni_version;
  std::vector<std::string> supported_versions;
};

class Cni {
 public:
  explicit Cni(CniOptions options);

  // Runs ADD through the chain and caches the result. Plugin failures map to statuses as in
  // ErrorToStatus; a missing plugin binary is NotFound; a hung plugin is DeadlineExceeded.
  // A failed ADD leaves what earlier plugins set up: call DelNetworkList to clean up.
  absl::StatusOr<Result> AddNetworkList(const NetworkConfigList& list, const RuntimeConf& rt) const;

  // Runs CHECK through the chain with the cached result (FailedPrecondition before cniVersion
  // 0.4.0, NotFound without a cached result, OK at once if the list disables checks).
  absl::Status CheckNetworkList(const NetworkConfigList& list, const RuntimeConf& rt) const;

  // Runs DEL through the chain in reverse order and removes the cached result. Safe to repeat.
  // If `rt` has no capability arguments, those cached by ADD are used.
  absl::Status DelNetworkList(const NetworkConfigList& list, const RuntimeConf& rt) const;

  // The cached ADD result for (network, container, ifname), or nullopt if none.
  absl::StatusOr<std::optional<Result>> GetCachedResult(const std::string& network,
                                                        const RuntimeConf& rt) const;

  // The network configuration cached with that result (what ADD ran), or nullopt if none.
  absl::StatusOr<std::optional<NetworkConfigList>> GetCachedConfig(const std::string& network,
                                                                   const RuntimeConf& rt) const;

  // Runs VERSION on the plugin named `type`.
  absl::StatusOr<VersionInfo> GetVersionInfo(const std::string& type) const;

  // Checks that every plugin of `list` exists and supports the list's cniVersion.
  absl::Status ValidateNetworkList(const NetworkConfigList& list) const;

  // The path of plugin `type` in the bin dirs; NotFound naming the dirs searched.
  absl::StatusOr<std::string> FindPlugin(const std::string& type) const;

  const CniOptions& options() const { return options_; }

 private:
  // Runs one plugin; returns its stdout on success.
  absl::StatusOr<std::string> Invoke(const std::string& command, const PluginConfig& plugin,
                                     const std::string& stdin_data, const RuntimeConf& rt) const;

  CniOptions options_;
};

}  // namespace rudder::cni

#endif  // RUDDER_LIB_RUNTIME_CNI_CNI_H_
