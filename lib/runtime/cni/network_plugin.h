// The pod network interface the node agent calls: set up a pod sandbox's network, tear it down,
// and report its addresses. NewCniNetworkPlugin implements it over a CNI configuration
// directory, the way the kubelet uses CNI.
#ifndef RUDDER_LIB_RUNTIME_CNI_NETWORK_PLUGIN_H_
#define RUDDER_LIB_RUNTIME_CNI_NETWORK_PLUGIN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/runtime/cni/cni.h"
#include "lib/runtime/cni/result.h"

namespace rudder::cni {

// One pod sandbox, as the network plugin needs it.
struct PodNetworkRequest {
  std::string pod_namespace;                 // K8S_POD_NAMESPACE
  std::string pod_name;                      // K8S_POD_NAME
  std::string pod_uid;                       // K8S_POD_UID
  std::string sandbox_id;                    // CNI_CONTAINERID and K8S_POD_INFRA_CONTAINER_ID
  std::string netns_path;                    // CNI_NETNS (may be empty on teardown)
  std::vector<PortMapping> port_mappings;    // hostPort entries of the pod's containers
  std::optional<BandwidthLimits> bandwidth;  // from the pod's bandwidth annotations
};

// A pod's network as set up: its IPs (IPv4 first, without prefix length; the first is the
// pod's primary IP, status.podIP) and the full result of the network's last plugin.
struct PodNetworkStatus {
  std::string network_name;
  std::string interface_name;
  std::vector<std::string> ips;
  Result result;
};

// The pod network of a node. Implementations are thread-safe.
class NetworkPlugin {
 public:
  virtual ~NetworkPlugin() = default;

  // The name of the network pods are attached to ("" before a configuration is loaded).
  virtual std::string NetworkName() const = 0;

  // Attaches the pod's network namespace to the network. On failure whatever was half set up is
  // torn down again before the error is returned.
  virtual absl::StatusOr<PodNetworkStatus> SetUpPod(const PodNetworkRequest& pod) = 0;

  // Detaches the pod; succeeds if it was never attached or already detached.
  virtual absl::Status TearDownPod(const PodNetworkRequest& pod) = 0;

  // The pod's network as recorded when it was set up (from the result cache, so it survives a
  // restart). NotFound if the pod was not set up.
  virtual absl::StatusOr<PodNetworkStatus> GetPodNetworkStatus(const PodNetworkRequest& pod) = 0;

  // Runs CNI CHECK on the pod's network (OK at once where the configuration disables checks or
  // predates cniVersion 0.4.0). NotFound if the pod was not set up.
  virtual absl::Status CheckPod(const PodNetworkRequest& pod) = 0;

  // Readiness of the node network: reloads the configuration directory and checks that its
  // plugins exist and speak its cniVersion. FailedPrecondition ("network not ready") if not.
  virtual absl::Status Status() = 0;
};

// Options of the CNI network plugin.
struct CniNetworkPluginOptions {
  std::string conf_dir = "/etc/cni/net.d";
  std::vector<std::string> bin_dirs = {"/usr/lib/cni"};
  std::string cache_dir = "/var/lib/cni";
  std::string if_name = "eth0";
  // Also bring up "lo" in the pod with the loopback plugin.
  bool loopback = true;
  absl::Duration timeout = absl::Seconds(60);  // per plugin execution
  Clock* clock = nullptr;                      // borrowed; Clock::Real() if null
};

// Creates the CNI network plugin. The configuration directory is read on creation and again by
// Status(); a missing or empty directory is not an error here (Status() reports it).
absl::StatusOr<std::unique_ptr<NetworkPlugin>> NewCniNetworkPlugin(CniNetworkPluginOptions options);

// The pod IPs of a result for interface `if_name`: addresses on that interface (all addresses if
// the result does not say which interface they are on), IPv4 before IPv6, without prefix.
std::vector<std::string> PodIps(const Result& result, const std::string& if_name);

}  // namespace rudder::cni

#endif  // RUDDER_LIB_RUNTIME_CNI_NETWORK_PLUGIN_H_
