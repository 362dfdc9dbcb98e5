// Running helper programs (containerd, ctr, ip) from the runtime test harness.
#ifndef RUDDER_LIB_RUNTIME_TESTING_INTERNAL_SUBPROCESS_H_
#define RUDDER_LIB_RUNTIME_TESTING_INTERNAL_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rudder::runtime::testing::internal {

// The PATH given to every child: where Debian installs containerd, its shims, runc and ctr.
inline constexpr char kChildPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Result of a command that ran to completion.
struct CommandResult {
  int exit_code = -1;  // 128 + signal number if it was killed.
  std::string output;  // stdout and stderr interleaved.
};

// Runs argv[0] (an absolute path) with argv, waits for it and returns its exit code and output.
// Internal if it cannot be started.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv);

// Starts argv[0] in the background in its own process group with stdout and stderr appended to
// `log_path`. The child gets SIGKILL if the calling thread exits (PR_SET_PDEATHSIG). Returns
// its pid; the caller reaps it (WaitForExit).
absl::StatusOr<pid_t> StartProcess(const std::vector<std::string>& argv,
                                   const std::string& log_path);

// Non-blocking check: true (and reaps it) if child `pid` has exited.
bool HasExited(pid_t pid);

// Sends `signal` to child `pid`, waits up to `grace` for it to exit, then sends SIGKILL and
// reaps it.
void StopProcess(pid_t pid, int signal, int grace_ms);

}  // namespace rudder::runtime::testing::internal

#endif  // RUDDER_LIB_RUNTIME_TESTING_INTERNAL_SUBPROCESS_H_
