// The process runtime: a ContainerRuntime (lib/runtime/runtime.h) whose containers are local
// processes, for running Rudder's node agent on a machine without containerd.
//
// A container is `command` + `args` (images are names only: there is no image content, no
// ENTRYPOINT/CMD, no root filesystem; the command must be given and is looked up in the
// container's PATH on the host), with exactly the container's `envs` (plus PATH and HOSTNAME
// when absent), `working_dir` ("/" when empty), stdin from /dev/null, in its own process group.
// Its stdout and stderr go to the CRI log file (PodSandboxConfig.log_directory + "/" +
// ContainerConfig.log_path) through lib/runtime/logs, rotated by size.
//
// Stop sends SIGTERM to the process group and SIGKILL after the grace period; exit codes are
// reported as CRI does (the exit status, or 128 + signal: 137 after SIGKILL). When the main
// process exits, what remains of its group is killed. A command that cannot be started leaves
// the container exited with code 128 and reason "StartError".
//
// Isolation (best effort, when running as root and `isolation` allows it):
//   - each sandbox gets an infra process in new PID, mount, UTS and IPC namespaces (the pod's
//     hostname; a private /proc); containers and exec commands join them;
//   - each container gets a cgroup (v2 if /sys/fs/cgroup is unified, else the v1 cpu, cpuacct
//     and memory hierarchies) with its linux resources: cpu quota/period, shares (v2: weight)
//     and memory limit; stats then come from the cgroup, else from /proc of the group.
//   - with a NetworkPlugin, a network namespace per sandbox set up by CNI.
// Whatever is unavailable is skipped, once, with a message on stderr (see IsolationReport()).
// There is no filesystem isolation: containers see the host's files.
//
// Thread-safe. Every child process is reaped by the runtime (no zombies); descriptors are
// close-on-exec and children close every descriptor beyond stdio.
#ifndef RUDDER_LIB_RUNTIME_PROCESS_PROCESS_RUNTIME_H_
#define RUDDER_LIB_RUNTIME_PROCESS_PROCESS_RUNTIME_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/clock.h"
#include "lib/runtime/cni/network_plugin.h"
#include "lib/runtime/logs/logs.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::process {

// How much isolation to apply.
enum class Isolation {
  kAuto,        // namespaces and cgroups when root and available, else none
  kNone,        // plain processes
  kNamespaces,  // like kAuto, but RunPodSandbox fails if namespaces cannot be created
};

// Options of a process runtime.
struct ProcessRuntimeOptions {
  Clock* clock = nullptr;  // borrowed; Clock::Real() if null. Timestamps and stop deadlines.
  Isolation isolation = Isolation::kAuto;
  // Cgroup below which containers' cgroups are made (relative to each hierarchy's root).
  std::string cgroup_parent = "rudder";
  // Rotation of container logs (its clock is set to `clock`).
  logs::LogWriterOptions log;
  // Images present before any pull.
  std::vector<std::string> images;
  // Pod networking through CNI (borrowed; null: pods share the host network and report no IP).
  cni::NetworkPlugin* network = nullptr;
  std::string netns_dir = "/run/netns";
};

// The process runtime, with test controls beyond ContainerRuntime.
class ProcessRuntime : public ContainerRuntime {
 public:
  // Makes the next pulls of `image` fail with `error` (OK: succeed again). Pulls of other
  // names always succeed.
  virtual void SetPullError(const std::string& image, absl::Status error) = 0;
  // What isolation is in effect and what was skipped, one line each.
  virtual std::vector<std::string> IsolationReport() const = 0;
  // The host pid of a running container's main process; NotFound/FailedPrecondition otherwise.
  virtual absl::StatusOr<int> ContainerPid(const std::string& container_id) const = 0;
};

// Creates a process runtime. Destroying it kills every container and sandbox process it
// started and reaps them.
absl::StatusOr<std::unique_ptr<ProcessRuntime>> NewProcessRuntime(
    const ProcessRuntimeOptions& options);

}  // namespace rudder::runtime::process

#endif  // RUDDER_LIB_RUNTIME_PROCESS_PROCESS_RUNTIME_H_
