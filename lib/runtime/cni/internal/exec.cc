#include "lib/runtime/cni/internal/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace rudder::cni::internal {
namespace {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

absl::Status MakePipe(Fd* read_end, Fd* write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    return absl::ResourceExhaustedError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  read_end->Reset(p[0]);
  write_end->Reset(p[1]);
  return absl::OkStatus();
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Waits for `pid` to exit, retrying on EINTR; returns the wait status.
int Reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Kills the child's process group (and the child, should it have left the group) and reaps it.
void KillAndReap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  Reap(pid);
}

// Blocks SIGPIPE on this thread while alive, so a child that exits without reading its stdin
// makes write() fail with EPIPE instead of killing the process; a SIGPIPE raised meanwhile is
// consumed before the mask is restored.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~ScopedSigpipeBlock() {
    if (!was_pending_) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      struct timespec zero = {0, 0};
      while (sigtimedwait(&set, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

// Reads what is available from `fd` into `out`. Returns false at EOF or on error.
bool ReadSome(int fd, std::string* out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      out->append(buf, n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF or error
  }
}

}  // namespace

absl::StatusOr<ExecOutput> RunProcess(const ExecRequest& req) {
  Clock* clock = req.clock != nullptr ? req.clock : Clock::Real();
  const absl::Time deadline = clock->Now() + req.timeout;

  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  if (auto s = MakePipe(&in_r, &in_w); !s.ok()) return s;
  if (auto s = MakePipe(&out_r, &out_w); !s.ok()) return s;
  if (auto s = MakePipe(&err_r, &err_w); !s.ok()) return s;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  // Fds other threads opened without O_CLOEXEC must not leak into the plugin.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);

  std::vector<char*> argv;
  std::string argv0 = req.path;
  if (req.args.empty()) {
    argv.push_back(argv0.data());
  } else {
    for (const std::string& a : req.args) argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : req.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, req.path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    std::string msg = absl::StrCat("cannot run ", req.path, ": ", std::strerror(rc));
    if (rc == ENOENT || rc == ENOTDIR) return absl::NotFoundError(msg);
    if (rc == EACCES || rc == EPERM) return absl::PermissionDeniedError(msg);
    return absl::InternalError(msg);
  }
  in_r.Close();
  out_w.Close();
  err_w.Close();
  SetNonBlocking(in_w.get());
  SetNonBlocking(out_r.get());
  SetNonBlocking(err_r.get());
  // Debian 12 glibc declares pidfd_open without C linkage: use the system call.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  ScopedSigpipeBlock sigpipe_block;
  ExecOutput output;
  size_t written = 0;
  if (req.stdin_data.empty()) in_w.Close();
  bool exited = false;
  int wait_status = 0;

  while (!exited) {
    absl::Duration remaining = deadline - clock->Now();
    if (remaining <= absl::ZeroDuration()) {
      KillAndReap(pid);
      return absl::DeadlineExceededError(absl::StrCat(
          req.path, " did not finish within ", absl::FormatDuration(req.timeout), "; killed"));
    }
    // Poll in short slices so a deadline on a fake clock is noticed as soon as it moves.
    int timeout_ms = static_cast<int>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(remaining) + 1, 1, pidfd.valid() ? 100 : 10));
    struct pollfd fds[4];
    int n = 0, in_idx = -1, out_idx = -1, err_idx = -1, pid_idx = -1;
    if (in_w.valid()) fds[in_idx = n++] = {in_w.get(), POLLOUT, 0};
    if (out_r.valid()) fds[out_idx = n++] = {out_r.get(), POLLIN, 0};
    if (err_r.valid()) fds[err_idx = n++] = {err_r.get(), POLLIN, 0};
    if (pidfd.valid()) fds[pid_idx = n++] = {pidfd.get(), POLLIN, 0};
    int ready = ::poll(fds, n, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      int err = errno;
      KillAndReap(pid);
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(err)));
    }
    if (ready > 0) {
      if (in_idx >= 0 && fds[in_idx].revents != 0) {
        while (written < req.stdin_data.size()) {
          ssize_t w =
              ::write(in_w.get(), req.stdin_data.data() + written, req.stdin_data.size() - written);
          if (w > 0) {
            written += w;
          } else if (w < 0 && errno == EINTR) {
            continue;
          } else {
            break;
          }
        }
        // Done, or the child closed its stdin (EPIPE): either way stop writing.
        if (written >= req.stdin_data.size() || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          in_w.Close();
        }
      }
      if (out_idx >= 0 && fds[out_idx].revents != 0 &&
          !ReadSome(out_r.get(), &output.stdout_data)) {
        out_r.Close();
      }
      if (err_idx >= 0 && fds[err_idx].revents != 0 &&
          !ReadSome(err_r.get(), &output.stderr_data)) {
        err_r.Close();
      }
      if (pid_idx >= 0 && fds[pid_idx].revents != 0) exited = true;
    }
    if (!pidfd.valid()) {
      // No pidfd (old kernel): check for exit without blocking.
      pid_t w = ::waitpid(pid, &wait_status, WNOHANG);
      if (w == pid) {
        exited = true;
        pid = -1;
      }
    }
    if (output.stdout_data.size() > req.max_output || output.stderr_data.size() > req.max_output) {
      if (pid > 0) KillAndReap(pid);
      return absl::ResourceExhaustedError(
          absl::StrCat(req.path, " printed more than ", req.max_output, " bytes; killed"));
    }
  }
  if (pid > 0) wait_status = Reap(pid);
  // What the child wrote before it exited is in the pipes; a grandchild that kept them open
  // must not hold us up, so read only what is there now.
  if (out_r.valid()) ReadSome(out_r.get(), &output.stdout_data);
  if (err_r.valid()) ReadSome(err_r.get(), &output.stderr_data);
  if (WIFEXITED(wait_status)) {
    output.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    output.term_signal = WTERMSIG(wait_status);
  }
  return output;
}

}  // namespace rudder::cni::internal
