// Containerd: a private containerd with the CRI plugin for tests, started as root with its
// root, state, socket, CNI configuration and config file in a fresh temporary directory.
//
// Start() writes a config (CRI plugin on, runc v2, the chosen snapshotter,
// restrict_oom_score_adj so the sandbox container starts without CAP_SYS_RESOURCE, the
// sandbox image kPauseImage), a bridge + portmap CNI network list (a bridge and a /24 private
// to this instance, plugins from /usr/lib/cni), starts /usr/bin/containerd, waits until the CRI
// answers Version, and imports the busybox test images (kBusyboxImage and kPauseImage, built
// by busybox_image.h) into the "k8s.io" namespace with ctr.
//
// The destructor stops and removes every pod sandbox through the CRI, stops containerd
// (SIGTERM, then SIGKILL), kills shims it left behind, unmounts whatever is still mounted
// under the directory, deletes the bridge and removes the directory.
//
// Example:
//   auto containerd = Containerd::Start({});
//   if (absl::IsUnavailable(containerd.status())) GTEST_SKIP() << containerd.status();
//   auto runtime = cri::NewCriRuntime({.endpoint = (*containerd)->Endpoint()});
//
// Not thread-safe: drive it from one thread (the CRI clients may be used from any).
#ifndef RUDDER_LIB_RUNTIME_TESTING_CONTAINERD_H_
#define RUDDER_LIB_RUNTIME_TESTING_CONTAINERD_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::testing {

// How to run containerd.
struct ContainerdOptions {
  std::string containerd_binary = "/usr/bin/containerd";
  std::string ctr_binary = "/usr/bin/ctr";
  std::string busybox_path = "/bin/busybox";
  std::string cni_bin_dir = "/usr/lib/cni";
  // "overlayfs" (default) or "native" (copies, works on any filesystem).
  std::string snapshotter = "overlayfs";
  // Parent of the temporary directory. Unix socket paths are limited to 107 bytes, so this
  // stays short: /tmp by default.
  std::string temp_root = "/tmp";
  // Whether Start() builds and imports kBusyboxImage and kPauseImage.
  bool import_test_images = true;
  // How long Start() waits for the CRI to answer.
  absl::Duration start_timeout = absl::Seconds(60);
};

// A running private containerd. See the file comment.
class Containerd {
 public:
  // Starts containerd. Unavailable (tests GTEST_SKIP on it) when the machine cannot run it:
  // not root, or containerd, runc, ctr or busybox-static missing (the message names the Debian
  // packages to install). DeadlineExceeded if the CRI does not answer within start_timeout;
  // Aborted, with the end of containerd's log, if containerd exits during startup.
  static absl::StatusOr<std::unique_ptr<Containerd>> Start(const ContainerdOptions& options);

  ~Containerd();
  Containerd(const Containerd&) = delete;
  Containerd& operator=(const Containerd&) = delete;

  // "unix:///tmp/rudder-cri-XXXXXX/containerd.sock", for cri::NewCriRuntime.
  std::string Endpoint() const;
  // The socket's path.
  std::string SocketPath() const { return dir_ + "/containerd.sock"; }
  // The temporary directory (config.toml, containerd.log, root/, state/, cni/, logs/).
  const std::string& dir() const { return dir_; }
  // A directory for pods' logs (PodSandboxConfig.log_directory), removed with the rest.
  std::string LogDir() const { return dir_ + "/logs"; }
  // The bridge the CNI network creates for pods that are not on the host network.
  const std::string& bridge() const { return bridge_; }
  // The pods' subnet, e.g. "10.234.17.0/24".
  const std::string& subnet() const { return subnet_; }

  // Imports an image archive (OCI layout or docker save format) into the "k8s.io" namespace
  // with ctr, then waits until the CRI reports each of `names` (which may be empty).
  absl::Status ImportImage(const std::string& tar_path, const std::vector<std::string>& names);

  // The last `max_bytes` of containerd's log, for failure messages.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  Containerd() = default;
  absl::Status Launch();
  absl::Status WaitReady();
  void Cleanup();

  ContainerdOptions options_;
  std::string dir_;
  std::string bridge_;
  std::string subnet_;
  pid_t pid_ = -1;
  std::unique_ptr<ContainerRuntime> cri_;
};

}  // namespace rudder::runtime::testing

#endif  // RUDDER_LIB_RUNTIME_TESTING_CONTAINERD_H_
