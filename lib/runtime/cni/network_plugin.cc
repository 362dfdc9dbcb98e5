#include "lib/runtime/cni/network_plugin.h"

#include <algorithm>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"

namespace rudder::cni {
namespace {

constexpr char kLoopbackConfig[] =
    R"({"cniVersion":"1.0.0","name":"cni-loopback","plugins":[{"type":"loopback"}]})";

class CniNetworkPlugin : public NetworkPlugin {
 public:
  CniNetworkPlugin(CniNetworkPluginOptions options, NetworkConfigList loopback)
      : options_(std::move(options)),
        cni_(CniOptions{options_.bin_dirs, options_.cache_dir, options_.timeout, options_.clock}),
        loopback_(std::move(loopback)) {
    absl::StatusOr<NetworkConfigList> net = LoadDefaultNetwork(options_.conf_dir);
    if (net.ok()) network_ = *std::move(net);
  }

  std::string NetworkName() const override {
    MutexLock lock(&mu_);
    return network_.has_value() ? network_->name : "";
  }

  absl::StatusOr<PodNetworkStatus> SetUpPod(const PodNetworkRequest& pod) override {
    RUDDER_ASSIGN_OR_RETURN(NetworkConfigList net, CurrentNetwork());
    RuntimeConf rt = MakeRuntimeConf(pod);
    if (options_.loopback) {
      RuntimeConf lo = LoopbackConf(rt);
      RUDDER_RETURN_IF_ERROR(cni_.AddNetworkList(loopback_, lo).status());
    }
    absl::StatusOr<Result> result = cni_.AddNetworkList(net, rt);
    if (!result.ok()) {
      // Undo what the chain set up before it failed; the ADD error is what the caller needs.
      cni_.DelNetworkList(net, rt).IgnoreError();
      if (options_.loopback) cni_.DelNetworkList(loopback_, LoopbackConf(rt)).IgnoreError();
      return result.status();
    }
    return MakeStatus(net.name, *std::move(result));
  }

  absl::Status TearDownPod(const PodNetworkRequest& pod) override {
    RUDDER_ASSIGN_OR_RETURN(NetworkConfigList net, CurrentNetwork());
    RuntimeConf rt = MakeRuntimeConf(pod);
    // Delete with the configuration the pod was set up with, if it changed since.
    absl::StatusOr<std::optional<NetworkConfigList>> cached = cni_.GetCachedConfig(net.name, rt);
    if (cached.ok() && cached->has_value()) net = **std::move(cached);
    absl::Status status = cni_.DelNetworkList(net, rt);
    if (options_.loopback) {
      absl::Status lo = cni_.DelNetworkList(loopback_, LoopbackConf(rt));
      if (status.ok()) status = lo;
    }
    return status;
  }

  absl::StatusOr<PodNetworkStatus> GetPodNetworkStatus(const PodNetworkRequest& pod) override {
    RUDDER_ASSIGN_OR_RETURN(NetworkConfigList net, CurrentNetwork());
    RuntimeConf rt = MakeRuntimeConf(pod);
    RUDDER_ASSIGN_OR_RETURN(std::optional<Result> cached, cni_.GetCachedResult(net.name, rt));
    if (!cached.has_value()) {
      return absl::NotFoundError(absl::StrCat("pod ", pod.pod_namespace, "/", pod.pod_name,
                                              " (sandbox ", pod.sandbox_id,
                                              ") has no network set up on ", net.name));
    }
    return MakeStatus(net.name, *std::move(cached));
  }

  absl::Status CheckPod(const PodNetworkRequest& pod) override {
    RUDDER_ASSIGN_OR_RETURN(NetworkConfigList net, CurrentNetwork());
    RuntimeConf rt = MakeRuntimeConf(pod);
    if (CompareVersions(net.cni_version, "0.4.0") < 0) return absl::OkStatus();
    absl::Status status = cni_.CheckNetworkList(net, rt);
    if (absl::IsNotFound(status) && !ErrorCodeOf(status).has_value()) {
      return absl::NotFoundError(absl::StrCat("pod ", pod.pod_namespace, "/", pod.pod_name,
                                              " (sandbox ", pod.sandbox_id,
                                              ") has no network set up on ", net.name));
    }
    return status;
  }

  absl::Status Status() override {
    absl::StatusOr<NetworkConfigList> net = LoadDefaultNetwork(options_.conf_dir);
    if (!net.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("network not ready: ", net.status().message()));
    }
    // Asking every plugin for its versions costs a process each: do it when the configuration
    // changed, and otherwise only check that the binaries are still there.
    bool validated;
    {
      MutexLock lock(&mu_);
      validated = validated_bytes_ == net->bytes;
    }
    absl::Status s = absl::OkStatus();
    if (validated) {
      for (const PluginConfig& plugin : net->plugins) {
        s = cni_.FindPlugin(plugin.type).status();
        if (!s.ok()) break;
      }
    } else {
      s = cni_.ValidateNetworkList(*net);
    }
    if (!s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("network not ready: ", net->source, ": ", s.message()));
    }
    if (options_.loopback) {
      if (absl::Status s = cni_.FindPlugin("loopback").status(); !s.ok()) {
        return absl::FailedPreconditionError(absl::StrCat("network not ready: ", s.message()));
      }
    }
    MutexLock lock(&mu_);
    validated_bytes_ = net->bytes;
    network_ = *std::move(net);
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<NetworkConfigList> CurrentNetwork() {
    {
      MutexLock lock(&mu_);
      if (network_.has_value()) return *network_;
    }
    absl::StatusOr<NetworkConfigList> net = LoadDefaultNetwork(options_.conf_dir);
    if (!net.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("network not ready: ", net.status().message()));
    }
    MutexLock lock(&mu_);
    if (!network_.has_value()) network_ = *net;
    return *network_;
  }

  RuntimeConf MakeRuntimeConf(const PodNetworkRequest& pod) const {
    RuntimeConf rt;
    rt.container_id = pod.sandbox_id;
    rt.netns = pod.netns_path;
    rt.if_name = options_.if_name;
    rt.args = {{"K8S_POD_NAMESPACE", pod.pod_namespace},
               {"K8S_POD_NAME", pod.pod_name},
               {"K8S_POD_INFRA_CONTAINER_ID", pod.sandbox_id},
               {"K8S_POD_UID", pod.pod_uid}};
    rt.port_mappings = pod.port_mappings;
    rt.bandwidth = pod.bandwidth;
    return rt;
  }

  static RuntimeConf LoopbackConf(const RuntimeConf& rt) {
    RuntimeConf lo;
    lo.container_id = rt.container_id;
    lo.netns = rt.netns;
    lo.if_name = "lo";
    lo.args = rt.args;
    return lo;
  }

  PodNetworkStatus MakeStatus(std::string name, Result result) const {
    PodNetworkStatus status;
    status.network_name = std::move(name);
    status.interface_name = options_.if_name;
    status.ips = PodIps(result, options_.if_name);
    status.result = std::move(result);
    return status;
  }

  const CniNetworkPluginOptions options_;
  const Cni cni_;
  const NetworkConfigList loopback_;
  mutable Mutex mu_;
  std::optional<NetworkConfigList> network_ ABSL_GUARDED_BY(mu_);
  // The configuration whose plugins last passed ValidateNetworkList.
  std::string validated_bytes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::vector<std::string> PodIps(const Result& result, const std::string& if_name) {
  std::vector<const IpConfig*> chosen;
  for (const IpConfig& ip : result.ips) {
    if (ip.interface.has_value() && *ip.interface >= 0 &&
        static_cast<size_t>(*ip.interface) < result.interfaces.size()) {
      const Interface& iface = result.interfaces[*ip.interface];
      if (iface.name != if_name || iface.sandbox.empty()) continue;
    }
    chosen.push_back(&ip);
  }
  if (chosen.empty()) {
    for (const IpConfig& ip : result.ips) chosen.push_back(&ip);
  }
  std::stable_sort(chosen.begin(), chosen.end(),
                   [](const IpConfig* a, const IpConfig* b) { return !a->IsV6() && b->IsV6(); });
  std::vector<std::string> ips;
  for (const IpConfig* ip : chosen) ips.push_back(ip->Ip());
  return ips;
}

absl::StatusOr<std::unique_ptr<NetworkPlugin>> NewCniNetworkPlugin(
    CniNetworkPluginOptions options) {
  if (options.conf_dir.empty()) return absl::InvalidArgumentError("confDir: required");
  if (options.bin_dirs.empty()) return absl::InvalidArgumentError("binDirs: required");
  if (options.cache_dir.empty()) return absl::InvalidArgumentError("cacheDir: required");
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout: must be positive");
  }
  if (options.clock == nullptr) options.clock = Clock::Real();
  RUDDER_ASSIGN_OR_RETURN(NetworkConfigList loopback, ParseConfigList(kLoopbackConfig));
  return std::unique_ptr<NetworkPlugin>(
      new CniNetworkPlugin(std::move(options), std::move(loopback)));
}

}  // namespace rudder::cni
