#include "lib/runtime/testing/internal/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"

namespace rudder::runtime::testing::internal {
namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

// Forks and execs with stdout/stderr on `out_fd`; returns the pid.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv_in, int out_fd, bool new_group,
                            int close_fd) {
  if (argv_in.empty()) return absl::InvalidArgumentError("argv: empty");
  std::vector<std::string> args = argv_in;
  std::vector<char*> argv = Argv(args);
  std::string path_env = absl::StrCat("PATH=", kChildPath);
  char* envp[] = {path_env.data(), nullptr};
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (new_group) setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    if (close_fd >= 0) close(close_fd);
    execve(argv[0], argv.data(), envp);
    _exit(127);
  }
  return pid;
}

int WaitStatusToCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  auto pid = Spawn(argv, fds[1], /*new_group=*/false, fds[0]);
  close(fds[1]);
  if (!pid.ok()) {
    close(fds[0]);
    return pid.status();
  }
  CommandResult result;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      result.output.append(buf, n);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WaitStatusToCode(status);
  if (result.exit_code == 127 && result.output.empty()) {
    return absl::InternalError(absl::StrCat("cannot run ", argv[0]));
  }
  return result;
}

absl::StatusOr<pid_t> StartProcess(const std::vector<std::string>& argv,
                                   const std::string& log_path) {
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", strerror(errno)));
  }
  auto pid = Spawn(argv, log_fd, /*new_group=*/true, -1);
  close(log_fd);
  return pid;
}

bool HasExited(pid_t pid) {
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

void StopProcess(pid_t pid, int signal, int grace_ms) {
  if (pid <= 0) return;
  kill(pid, signal);
  for (int waited = 0; waited < grace_ms; waited += 10) {
    if (HasExited(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace rudder::runtime::testing::internal
