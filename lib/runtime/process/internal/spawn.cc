#include "lib/runtime/process/internal/spawn.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rudder::runtime::process::internal {
namespace {

// Async-signal-safe helpers for the forked child.
void CloseFrom(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  for (int fd = first; fd < 65536; ++fd) close(fd);
}

void ResetSignals() {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int s = 1; s < NSIG; ++s) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    signal(s, SIG_DFL);
  }
}

[[noreturn]] void ChildFail(int err_fd, int err) {
  ssize_t unused = write(err_fd, &err, sizeof(err));
  (void)unused;
  _exit(127);
}

int WriteFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n < 0 ? -1 : 0;
}

absl::Status ErrnoStatus(int err, const std::string& what) {
  std::string msg = absl::StrCat(what, ": ", strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

bool ReadFileString(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

bool WriteFileString(const std::string& path, const std::string& text) {
  return WriteFile(path.c_str(), text.c_str()) == 0;
}

}  // namespace

void Fd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::StatusOr<std::string> LookPath(const std::string& name, const std::string& path_list) {
  if (name.empty()) return absl::InvalidArgumentError("command: empty executable name");
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) != 0) return ErrnoStatus(errno, absl::StrCat("exec ", name));
    return name;
  }
  for (absl::string_view dir : absl::StrSplit(path_list, ':', absl::SkipEmpty())) {
    std::string p = absl::StrCat(dir, "/", name);
    struct stat st;
    if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0) {
      return p;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("exec: \"", name, "\": executable file not found in $PATH"));
}

absl::StatusOr<Spawned> Spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("command: empty");
  std::string path_list = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const std::string& e : spec.env) {
    if (e.rfind("PATH=", 0) == 0) path_list = e.substr(5);
  }
  absl::StatusOr<std::string> exe = LookPath(spec.argv[0], path_list);
  if (!exe.ok()) return exe.status();
  // Everything the child needs, prepared before fork (the child may not allocate).
  std::vector<char*> argv, envp;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<Fd> ns_fds;
  std::vector<int> ns_types;
  bool join_pid = false;
  for (const std::string& ns : spec.namespaces) {
    int fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", ns));
    ns_fds.emplace_back(fd);
    bool is_pid = ns.size() >= 4 && ns.compare(ns.size() - 4, 4, "/pid") == 0;
    ns_types.push_back(is_pid ? CLONE_NEWPID : 0);
    join_pid = join_pid || is_pid;
  }
  Fd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (devnull.get() < 0) return ErrnoStatus(errno, "open /dev/null");
  int errp[2];
  if (pipe2(errp, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  Fd err_r(errp[0]), err_w(errp[1]);
  const int out = spec.stdout_fd >= 0 ? spec.stdout_fd : devnull.get();
  const int err = spec.stderr_fd >= 0 ? spec.stderr_fd : devnull.get();
  const char* cwd = spec.cwd.empty() ? "/" : spec.cwd.c_str();

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    setpgid(0, 0);
    ResetSignals();
    int ew = err_w.get();
    for (const std::string& p : spec.cgroup_procs) WriteFile(p.c_str(), "0");
    for (size_t i = 0; i < ns_fds.size(); ++i) {
      if (setns(ns_fds[i].get(), ns_types[i]) != 0) ChildFail(ew, errno);
    }
    if (join_pid) {
      // setns(CLONE_NEWPID) applies to children: fork the process proper; this one waits for
      // it and exits with its status, ignoring the stop signals the group receives.
      pid_t c = fork();
      if (c < 0) ChildFail(ew, errno);
      if (c > 0) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        CloseFrom(0);
        int status = 0;
        while (waitpid(c, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
        _exit(WEXITSTATUS(status));
      }
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
    }
    if (dup2(devnull.get(), 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
      ChildFail(ew, errno);
    }
    if (dup2(ew, 3) < 0) _exit(127);
    fcntl(3, F_SETFD, FD_CLOEXEC);
    CloseFrom(4);
    if (chdir(cwd) != 0) ChildFail(3, errno);
    execve(exe->c_str(), argv.data(), envp.data());
    ChildFail(3, errno);
  }
  // Parent.
  setpgid(pid, pid);  // also done by the child; whichever runs first
  err_w.Reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(err_r.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return ErrnoStatus(child_errno, absl::StrCat("start ", *exe));
  }
  return Spawned{pid};
}

namespace {

struct InfraArgs {
  const char* hostname;
  int netns_fd;
  int ready_fd;
};

int InfraMain(void* p) {
  const InfraArgs* a = static_cast<const InfraArgs*>(p);
  setpgid(0, 0);
  ResetSignals();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (a->netns_fd >= 0 && setns(a->netns_fd, CLONE_NEWNET) != 0) _exit(10);
  if (a->hostname[0] != 0 && sethostname(a->hostname, strlen(a->hostname)) != 0) _exit(11);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(12);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) _exit(13);
  char ok = 1;
  ssize_t unused = write(a->ready_fd, &ok, 1);
  (void)unused;
  CloseFrom(0);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  while (true) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    sigwaitinfo(&chld, nullptr);
  }
}

}  // namespace

absl::StatusOr<pid_t> StartInfra(const std::string& hostname, const std::string& netns_path) {
  Fd netns;
  if (!netns_path.empty()) {
    netns = Fd(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (netns.get() < 0) return ErrnoStatus(errno, absl::StrCat("open ", netns_path));
  }
  int rp[2];
  if (pipe2(rp, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  Fd r(rp[0]), w(rp[1]);
  InfraArgs args{hostname.c_str(), netns.get(), w.get()};
  constexpr size_t kStack = 256 * 1024;
  std::unique_ptr<char[]> stack(new char[kStack]);
  pid_t pid = clone(InfraMain, stack.get() + kStack,
                    CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, &args);
  if (pid < 0) return ErrnoStatus(errno, "clone with new namespaces");
  w.Reset();
  char ok = 0;
  ssize_t n;
  do {
    n = read(r.get(), &ok, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return absl::InternalError(absl::StrCat("sandbox infra process failed to set up namespaces (",
                                            WIFEXITED(status) ? WEXITSTATUS(status) : -1, ")"));
  }
  return pid;
}

absl::Status ProbeJoin(pid_t pid) {
  static const char* const kNs[] = {"uts", "ipc", "pid", "mnt"};
  std::vector<Fd> fds;
  for (const char* ns : kNs) {
    std::string path = absl::StrCat("/proc/", pid, "/ns/", ns);
    fds.emplace_back(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fds.back().get() < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  pid_t c = fork();
  if (c < 0) return ErrnoStatus(errno, "fork");
  if (c == 0) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if (setns(fds[i].get(), 0) != 0) _exit(static_cast<int>(i) * 2 + 1 + (errno == EPERM));
    }
    _exit(0);
  }
  int status = 0;
  while (waitpid(c, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  if (code < 1 || code > 8) return absl::InternalError("namespace probe failed");
  return absl::PermissionDeniedError(absl::StrCat("cannot join the sandbox's ", kNs[(code - 1) / 2],
                                                  " namespace (",
                                                  code % 2 == 0 ? "EPERM" : "other error", ")"));
}

// ---- cgroups

namespace {
constexpr char kCgroupRoot[] = "/sys/fs/cgroup";

bool IsV2() { return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0; }

bool MkdirAll(const std::string& path, std::vector<std::string>* created) {
  std::string cur;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    absl::StrAppend(&cur, "/", part);
    if (mkdir(cur.c_str(), 0755) == 0) {
      if (created) created->push_back(cur);
    } else if (errno != EEXIST) {
      return false;
    }
  }
  return true;
}
}  // namespace

std::string CgroupUnavailableReason() {
  if (geteuid() != 0) return "not running as root";
  if (IsV2()) return "";
  if (access("/sys/fs/cgroup/memory", W_OK) != 0 || access("/sys/fs/cgroup/cpu", W_OK) != 0) {
    return "no writable cgroup v2 or v1 cpu/memory hierarchy under /sys/fs/cgroup";
  }
  return "";
}

absl::StatusOr<Cgroup> CreateCgroup(const std::string& parent, const std::string& name,
                                    const ::runtime::v1::LinuxContainerResources& r) {
  Cgroup cg;
  cg.v2 = IsV2();
  auto fail = [&](const std::string& what) {
    RemoveCgroup(cg);
    return absl::UnavailableError(absl::StrCat("cgroup ", what, ": ", strerror(errno)));
  };
  if (cg.v2) {
    std::string base = absl::StrCat(kCgroupRoot, "/", parent);
    std::string dir = absl::StrCat(base, "/", name);
    WriteFileString(absl::StrCat(kCgroupRoot, "/cgroup.subtree_control"), "+cpu +memory");
    std::vector<std::string> created;
    if (!MkdirAll(base, &created)) return fail(base);
    WriteFileString(absl::StrCat(base, "/cgroup.subtree_control"), "+cpu +memory");
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail(dir);
    cg.dirs.push_back(dir);
    cg.procs.push_back(dir + "/cgroup.procs");
    cg.cpu_usage_file = dir + "/cpu.stat";
    cg.memory_usage_file = dir + "/memory.current";
    cg.oom_file = dir + "/memory.events";
    if (r.cpu_quota() > 0) {
      int64_t period = r.cpu_period() > 0 ? r.cpu_period() : 100000;
      WriteFileString(dir + "/cpu.max", absl::StrCat(r.cpu_quota(), " ", period));
    }
    if (r.cpu_shares() > 0) {
      // The OCI conversion of shares [2, 262144] to weight [1, 10000].
      int64_t s = std::min<int64_t>(std::max<int64_t>(r.cpu_shares(), 2), 262144);
      WriteFileString(dir + "/cpu.weight", absl::StrCat(1 + ((s - 2) * 9999) / 262142));
    }
    if (r.memory_limit_in_bytes() > 0) {
      WriteFileString(dir + "/memory.max", absl::StrCat(r.memory_limit_in_bytes()));
    }
    return cg;
  }
  for (const char* h : {"cpu", "cpuacct", "memory"}) {
    std::string dir = absl::StrCat(kCgroupRoot, "/", h, "/", parent, "/", name);
    if (access(absl::StrCat(kCgroupRoot, "/", h).c_str(), W_OK) != 0) continue;
    if (!MkdirAll(dir, nullptr)) return fail(dir);
    cg.dirs.push_back(dir);
    cg.procs.push_back(dir + "/cgroup.procs");
    std::string hs = h;
    if (hs == "cpu") {
      if (r.cpu_quota() > 0) {
        int64_t period = r.cpu_period() > 0 ? r.cpu_period() : 100000;
        WriteFileString(dir + "/cpu.cfs_period_us", absl::StrCat(period));
        WriteFileString(dir + "/cpu.cfs_quota_us", absl::StrCat(r.cpu_quota()));
      }
      if (r.cpu_shares() > 0) WriteFileString(dir + "/cpu.shares", absl::StrCat(r.cpu_shares()));
    } else if (hs == "cpuacct") {
      cg.cpu_usage_file = dir + "/cpuacct.usage";
    } else {
      cg.memory_usage_file = dir + "/memory.usage_in_bytes";
      cg.oom_file = dir + "/memory.oom_control";
      if (r.memory_limit_in_bytes() > 0) {
        WriteFileString(dir + "/memory.limit_in_bytes", absl::StrCat(r.memory_limit_in_bytes()));
      }
    }
  }
  if (cg.dirs.empty()) return absl::UnavailableError("no cgroup v1 hierarchy is writable");
  return cg;
}

void RemoveCgroup(const Cgroup& cg) {
  for (auto it = cg.dirs.rbegin(); it != cg.dirs.rend(); ++it) rmdir(it->c_str());
}

int64_t CgroupCpuNanos(const Cgroup& cg) {
  std::string text;
  if (cg.cpu_usage_file.empty() || !ReadFileString(cg.cpu_usage_file, &text)) return -1;
  int64_t v;
  if (!cg.v2) {
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v) ? v : -1;
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "usage_usec ") && absl::SimpleAtoi(line, &v)) return v * 1000;
  }
  return -1;
}

int64_t CgroupMemoryBytes(const Cgroup& cg) {
  std::string text;
  if (cg.memory_usage_file.empty() || !ReadFileString(cg.memory_usage_file, &text)) return -1;
  int64_t v;
  return absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v) ? v : -1;
}

int64_t CgroupOomKills(const Cgroup& cg) {
  std::string text;
  if (cg.oom_file.empty() || !ReadFileString(cg.oom_file, &text)) return 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    int64_t v;
    if (absl::ConsumePrefix(&line, "oom_kill ") && absl::SimpleAtoi(line, &v)) return v;
  }
  return 0;
}

void GroupUsage(pid_t pgid, int64_t* cpu_nanos, int64_t* rss_bytes) {
  *cpu_nanos = 0;
  *rss_bytes = 0;
  static const long kTicks = sysconf(_SC_CLK_TCK);
  static const long kPage = sysconf(_SC_PAGESIZE);
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir("/proc"), closedir);
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d.get())) {
    int pid;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::string stat;
    if (!ReadFileString(absl::StrCat("/proc/", pid, "/stat"), &stat)) continue;
    size_t rp = stat.rfind(')');
    if (rp == std::string::npos) continue;
    // Fields after the command: state(3) ppid(4) pgrp(5) ... utime(14) stime(15) ... rss(24).
    std::vector<absl::string_view> f =
        absl::StrSplit(absl::string_view(stat).substr(rp + 2), ' ', absl::SkipEmpty());
    if (f.size() < 22) continue;
    int64_t pg, ut, st, rss;
    if (!absl::SimpleAtoi(f[2], &pg) || pg != pgid) continue;
    if (absl::SimpleAtoi(f[11], &ut) && absl::SimpleAtoi(f[12], &st)) {
      *cpu_nanos += (ut + st) * (1000000000LL / kTicks);
    }
    if (absl::SimpleAtoi(f[21], &rss)) *rss_bytes += rss * kPage;
  }
}

Fd PidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return Fd(fd);
  }
#endif
  return Fd();
}

}  // namespace rudder::runtime::process::internal
