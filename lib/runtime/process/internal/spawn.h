// Process spawning and cgroups for the process runtime. Internal.
#ifndef RUDDER_LIB_RUNTIME_PROCESS_INTERNAL_SPAWN_H_
#define RUDDER_LIB_RUNTIME_PROCESS_INTERNAL_SPAWN_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/runtime/cri/proto/api.pb.h"

namespace rudder::runtime::process::internal {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& o) noexcept : fd_(o.Release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }
  int get() const { return fd_; }
  int Release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void Reset();

 private:
  int fd_ = -1;
};

// What to start.
struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH of `env` unless it has a '/'
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";
  int stdout_fd = -1;  // -1: /dev/null
  int stderr_fd = -1;
  // Namespace files (/proc/<pid>/ns/...) to join, in order; a "pid" entry makes the child fork
  // once more (a shim that waits for the process and exits with its status).
  std::vector<std::string> namespaces;
  // cgroup.procs files the child moves itself into before it execs.
  std::vector<std::string> cgroup_procs;
};

// A started process: its pid (also its process group id).
struct Spawned {
  pid_t pid = -1;
};

// Starts a process in its own process group. Fails with NotFound if the executable is not
// found, PermissionDenied/Internal if it cannot be executed (the child has been reaped then).
absl::StatusOr<Spawned> Spawn(const SpawnSpec& spec);

// The executable for `name` in `path_list` (":"-separated). NotFound if none.
absl::StatusOr<std::string> LookPath(const std::string& name, const std::string& path_list);

// Starts a sandbox's infra process in new PID, mount, UTS and IPC namespaces (and the network
// namespace at `netns_path` if not empty), as pid 1 of its PID namespace with a fresh /proc,
// reaping orphans until killed. Needs root.
absl::StatusOr<pid_t> StartInfra(const std::string& hostname, const std::string& netns_path);

// Checks that a child can join the namespaces of process `pid` (uts, ipc, pid, mnt; the network
// namespace is joined by path).
// PermissionDenied naming the first that cannot be joined.
absl::Status ProbeJoin(pid_t pid);

// A container's cgroup(s). Best effort.
struct Cgroup {
  bool v2 = false;
  std::vector<std::string> dirs;   // created directories (removed by Remove)
  std::vector<std::string> procs;  // cgroup.procs files to join
  std::string cpu_usage_file;      // v2 cpu.stat (usage_usec) or v1 cpuacct.usage (ns)
  std::string memory_usage_file;   // v2 memory.current or v1 memory.usage_in_bytes
  std::string oom_file;            // v2 memory.events or v1 memory.oom_control
};

// Whether cgroups can be used here, and which version; "" if usable, else why not.
std::string CgroupUnavailableReason();

// Creates the cgroup <parent>/<name> in each hierarchy and applies `resources`.
absl::StatusOr<Cgroup> CreateCgroup(const std::string& parent, const std::string& name,
                                    const ::runtime::v1::LinuxContainerResources& resources);
// Removes the cgroup's directories (its processes must be gone).
void RemoveCgroup(const Cgroup& cg);
// CPU time used in nanoseconds, or -1.
int64_t CgroupCpuNanos(const Cgroup& cg);
// Memory in use in bytes, or -1.
int64_t CgroupMemoryBytes(const Cgroup& cg);
// Number of OOM kills, or 0.
int64_t CgroupOomKills(const Cgroup& cg);

// CPU time (ns) and resident memory (bytes) of the processes of process group `pgid`, from /proc.
void GroupUsage(pid_t pgid, int64_t* cpu_nanos, int64_t* rss_bytes);

// Opens a pidfd for `pid` (close-on-exec), or an invalid Fd where unsupported.
Fd PidFd(pid_t pid);

}  // namespace rudder::runtime::process::internal

#endif  // RUDDER_LIB_RUNTIME_PROCESS_INTERNAL_SPAWN_H_
