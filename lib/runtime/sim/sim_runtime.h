// The simulated container runtime: a ContainerRuntime (lib/runtime/runtime.h) that runs nothing.
//
// Sandboxes and containers are small records; what a container does is decided by a per-pod
// script read from the sandbox's annotation `sim.rudder.dev/script` (the node agent copies the
// pod's annotations into PodSandboxConfig), or from SimOptions::default_script. Everything is
// timed on a rudder::Clock, so tests drive it with a FakeClock. A container costs a few hundred
// bytes, so 100,000 pods fit in one process.
//
// Script syntax: clauses separated by ';', each `<container>: key=value key=value ...`, where
// <container> is a container name or `*` (every container without its own clause). Keys:
//   exit=<duration>        the container exits this long after it starts (absent: runs on)
//   code=<int>             its exit code (default 0)
//   attempts=<int>         only the first N starts exit (later ones run on); default: all
//   exec-fail-after=<dur>  exec commands (probes, hooks) exit 1 once it has run this long
//   exec-ok-after=<dur>    exec commands exit 1 until it has run this long
//   term=<duration>        how long it takes to exit after SIGTERM (default 0); a stop whose
//                          grace period is shorter kills it (exit code 137), else it exits
//                          with code 143 (terminated by SIGTERM)
//   cpu=<millicores>       CPU usage while running
//   memory=<quantity>      memory working set while running ("64Mi")
//   disk=<quantity>        writable-layer disk usage while running ("1Gi")
// Durations are Go-style ("500ms", "10s", "2m"). Example:
//   "init: exit=2s; app: exit=30s code=1 memory=32Mi; *: cpu=5"
//
// Thread-safe: one mutex per runtime (a node agent owns one runtime per simulated node).
#ifndef RUDDER_LIB_RUNTIME_SIM_SIM_RUNTIME_H_
#define RUDDER_LIB_RUNTIME_SIM_SIM_RUNTIME_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/clock.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::sim {

// The annotation holding a pod's script.
inline constexpr char kScriptAnnotation[] = "sim.rudder.dev/script";

// What one container does, parsed from a script clause.
struct ContainerScript {
  std::optional<absl::Duration> exit_after;
  int32_t exit_code = 0;
  int32_t exiting_attempts = -1;  // -1: every attempt exits
  std::optional<absl::Duration> exec_fail_after;
  std::optional<absl::Duration> exec_ok_after;
  absl::Duration term = absl::ZeroDuration();
  int64_t cpu_millicores = 0;
  int64_t memory_bytes = 0;
  int64_t disk_bytes = 0;
};

// A parsed script: clauses by container name, plus the `*` clause.
struct Script {
  std::vector<std::pair<std::string, ContainerScript>> containers;
  ContainerScript any;
  // The clause for container `name`.
  const ContainerScript& For(const std::string& name) const;
};

// Parses a script. InvalidArgument naming the clause and key on bad input.
absl::StatusOr<Script> ParseScript(const std::string& text);

// Options of a simulated runtime.
struct SimOptions {
  Clock* clock = nullptr;  // borrowed; Clock::Real() if null
  // The script of pods without the annotation.
  std::string default_script;
  // When set, asked first for each new sandbox (the pod's namespace, name and annotations);
  // a non-empty answer is the pod's script, an empty one falls back to the annotation or
  // default_script. Called without the runtime's lock held; must be thread-safe.
  std::function<std::string(const v1::PodSandboxConfig& sandbox)> script_for;
  // Images present before any pull.
  std::vector<std::string> images;
  // The sandbox IPs handed out: <prefix><n> for n = 2, 3, ... (wraps within the /16).
  std::string ip_prefix = "10.88.";
};

// The simulated runtime, with test controls beyond ContainerRuntime.
class SimRuntime : public ContainerRuntime {
 public:
  // Makes the next pulls of `image` fail with `error` (OK: succeed again).
  virtual void SetPullError(const std::string& image, absl::Status error) = 0;
  // Overrides the exit code of exec commands whose argv[0] is `command` in container
  // `container` of every pod named `pod_name` (in any namespace); -1 removes the override.
  virtual void SetExecExitCode(const std::string& pod_name, const std::string& container,
                               const std::string& command, int exit_code) = 0;
  // Every mutating call made so far ("RunPodSandbox default/web", "PullImage nginx",
  // "StartContainer default/web/app", "ExecSync default/web/app sh", "StopContainer
  // default/web/app 30", "StopPodSandbox default/web", "RemovePodSandbox default/web"), in order;
  // recorded only when SimOptions or EnableCallLog asks.
  virtual std::vector<std::string> CallLog() const = 0;
  virtual void EnableCallLog(bool on) = 0;
  // Number of sandboxes and containers held.
  virtual size_t SandboxCount() const = 0;
  virtual size_t ContainerCount() const = 0;
};

// Creates a simulated runtime.
std::unique_ptr<SimRuntime> NewSimRuntime(const SimOptions& options = {});

}  // namespace rudder::runtime::sim

#endif  // RUDDER_LIB_RUNTIME_SIM_SIM_RUNTIME_H_
