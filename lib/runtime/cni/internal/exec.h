// Runs a plugin binary: stdin from a string, stdout and stderr captured, a deadline on a Clock.
//
// The child runs in its own process group with only fds 0-2 open, default signal dispositions
// and an empty signal mask. On timeout the whole group is killed with SIGKILL. The child is
// always reaped before RunProcess returns, and every fd it opened is closed. Thread-safe.
#ifndef RUDDER_LIB_RUNTIME_CNI_INTERNAL_EXEC_H_
#define RUDDER_LIB_RUNTIME_CNI_INTERNAL_EXEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"

namespace rudder::cni::internal {

struct ExecRequest {
  std::string path;               // absolute path of the binary
  std::vector<std::string> args;  // argv; argv[0] defaults to `path`
  std::vector<std::string> env;   // "KEY=value" entries: the child's whole environment
  std::string stdin_data;
  absl::Duration timeout = absl::Seconds(60);
  Clock* clock = nullptr;        // borrowed; Clock::Real() if null
  size_t max_output = 16 << 20;  // limit on stdout and on stderr, each
};

struct ExecOutput {
  int exit_code = -1;   // exit status, or -1 if killed by a signal
  int term_signal = 0;  // the signal that ended it, or 0
  std::string stdout_data;
  std::string stderr_data;
};

// Runs the process to completion. DeadlineExceeded if the timeout passed (the process group
// was killed), ResourceExhausted if it printed more than max_output, NotFound/PermissionDenied
// if it could not be started. A non-zero exit is not an error here: see ExecOutput.
absl::StatusOr<ExecOutput> RunProcess(const ExecRequest& request);

}  // namespace rudder::cni::internal

#endif  // RUDDER_LIB_RUNTIME_CNI_INTERNAL_EXEC_H_
