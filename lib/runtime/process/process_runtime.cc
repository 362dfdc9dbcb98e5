#include "lib/runtime/process/process_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/runtime/cni/netns.h"
#include "lib/runtime/internal/names_image_service.h"
#include "lib/runtime/process/internal/spawn.h"

namespace rudder::runtime::process {
namespace {

using internal::Fd;

constexpr int kStartErrorExit = 128;

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

absl::Status ErrnoStatus(int err, const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(err)));
}

bool LabelsMatch(const google::protobuf::Map<std::string, std::string>& labels,
                 const google::protobuf::Map<std::string, std::string>& selector) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

bool MkdirAll(const std::string& path) {
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    if (!cur.empty() && mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return false;
    i = j + 1;
  }
  return true;
}

std::string Dirname(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? "." : p.substr(0, s);
}

// The exit code CRI reports for a wait status.
int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

void KillGroup(pid_t pgid, int sig) {
  if (pgid > 0) {
    kill(-pgid, sig);
    kill(pgid, sig);
  }
}

// Waits for `pid` to exit, pumping `out`/`err` (may be -1) into `on_data` meanwhile, until the
// pipes are closed. `deadline_hit` is polled every 50ms; when it returns true the group is
// killed. Returns the wait status. Kills leftovers of the group once the main process exits.
template <typename OnData, typename Expired>
int WaitAndPump(pid_t pid, Fd out, Fd err, OnData on_data, Expired expired) {
  Fd pidfd = internal::PidFd(pid);
  bool exited = false;
  int status = 0;
  char buf[32 * 1024];
  absl::Time drain_until = absl::InfiniteFuture();
  while (out.get() >= 0 || err.get() >= 0 || !exited) {
    pollfd fds[3];
    int n = 0;
    int idx_out = -1, idx_err = -1, idx_pid = -1;
    if (out.get() >= 0) fds[idx_out = n++] = {out.get(), POLLIN, 0};
    if (err.get() >= 0) fds[idx_err = n++] = {err.get(), POLLIN, 0};
    if (!exited && pidfd.get() >= 0) fds[idx_pid = n++] = {pidfd.get(), POLLIN, 0};
    int timeout_ms = (pidfd.get() >= 0 || exited) ? 50 : 20;
    int r = poll(fds, n, timeout_ms);
    if (r < 0 && errno != EINTR) break;
    auto pump = [&](int idx, Fd& fd, cri::LogStream s) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t k = read(fd.get(), buf, sizeof(buf));
      if (k > 0) {
        on_data(s, std::string_view(buf, static_cast<size_t>(k)));
      } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
        fd.Reset();
      }
    };
    if (r > 0) {
      pump(idx_out, out, cri::LogStream::kStdout);
      pump(idx_err, err, cri::LogStream::kStderr);
    }
    if (!exited) {
      siginfo_t si{};
      // Observe the exit without reaping, so the group id cannot be reused while we kill it.
      if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
        KillGroup(pid, SIGKILL);  // what remains of the container
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        exited = true;
        drain_until = absl::Now() + absl::Seconds(2);
      } else if (expired()) {
        KillGroup(pid, SIGKILL);
      }
    } else if (absl::Now() > drain_until) {
      break;  // a process outside the group holds the pipes; stop reading them
    }
  }
  return status;
}

struct Sandbox {
  std::string id;
  v1::PodSandboxConfig config;
  v1::PodSandboxState state = v1::SANDBOX_READY;
  int64_t created_at = 0;
  pid_t infra = -1;
  std::unique_ptr<cni::NetNamespace> netns;
  std::string ip;
};

struct Container {
  std::string id;
  std::string sandbox_id;
  v1::ContainerConfig config;
  std::string log_path;  // absolute; "" if none
  v1::ContainerState state = v1::CONTAINER_CREATED;
  absl::Time created, started = absl::InfinitePast(), finished = absl::InfinitePast();
  int32_t exit_code = 0;
  std::string reason, message;
  pid_t pid = -1;
  bool stopping = false;
  std::unique_ptr<logs::LogWriter> log;
  std::optional<internal::Cgroup> cgroup;
  std::thread waiter;
};

class ProcessRuntimeImpl : public ProcessRuntime {
 public:
  explicit ProcessRuntimeImpl(const ProcessRuntimeOptions& o)
      : options_(o), clock_(o.clock ? o.clock : Clock::Real()), images_("process", 0, o.images) {
    options_.log.clock = clock_;
    MutexLock l(&mu_);
    bool root = geteuid() == 0;
    use_namespaces_ = o.isolation != Isolation::kNone && root;
    if (o.isolation != Isolation::kNone && !root) {
      Note("namespaces and cgroups skipped: not running as root");
    }
    if (o.isolation != Isolation::kNone && root) {
      std::string why = internal::CgroupUnavailableReason();
      use_cgroups_ = why.empty();
      Note(use_cgroups_ ? "cgroups: per-container cpu and memory limits"
                        : absl::StrCat("cgroups skipped: ", why));
      Note("namespaces: PID, mount, UTS and IPC per sandbox");
    }
  }

  ~ProcessRuntimeImpl() override {
    std::vector<std::shared_ptr<Container>> all;
    std::vector<std::shared_ptr<Sandbox>> sbs;
    {
      MutexLock l(&mu_);
      for (auto& [id, c] : containers_) all.push_back(c);
      for (auto& [id, s] : sandboxes_) sbs.push_back(s);
      containers_.clear();
      sandboxes_.clear();
    }
    for (auto& c : all) KillAndJoin(*c);
    for (auto& s : sbs) ReleaseSandbox(*s);
  }

  // ---- controls
  void SetPullError(const std::string& image, absl::Status error) override {
    images_.SetPullError(image, std::move(error));
  }
  std::vector<std::string> IsolationReport() const override {
    MutexLock l(&mu_);
    return report_;
  }
  absl::StatusOr<int> ContainerPid(const std::string& id) const override {
    MutexLock l(&mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return absl::NotFoundError(absl::StrCat("container ", id));
    if (it->second->state != v1::CONTAINER_RUNNING) {
      return absl::FailedPreconditionError("container is not running");
    }
    return it->second->pid;
  }

  // ---- RuntimeService
  absl::StatusOr<v1::VersionResponse> Version(const v1::VersionRequest&, absl::Duration) override {
    v1::VersionResponse r;
    r.set_version("0.1.0");
    r.set_runtime_name("rudder-process");
    r.set_runtime_version("0.1.0");
    r.set_runtime_api_version("v1");
    return r;
  }

  absl::StatusOr<v1::RunPodSandboxResponse> RunPodSandbox(const v1::RunPodSandboxRequest& req,
                                                          absl::Duration) override {
    const v1::PodSandboxConfig& c = req.config();
    if (c.metadata().name().empty() || c.metadata().uid().empty()) {
      return absl::InvalidArgumentError("sandbox config: metadata.name and metadata.uid required");
    }
    auto sb = std::make_shared<Sandbox>();
    {
      MutexLock l(&mu_);
      for (const auto& [id, s] : sandboxes_) {
        if (s->config.metadata().uid() == c.metadata().uid() &&
            s->config.metadata().attempt() == c.metadata().attempt()) {
          return absl::AlreadyExistsError(absl::StrCat("sandbox for pod uid ", c.metadata().uid(),
                                                       " attempt ", c.metadata().attempt(),
                                                       " exists: ", id));
        }
      }
      sb->id = absl::StrCat("p", ++next_id_, "-", c.metadata().uid().substr(0, 8));
    }
    sb->config = c;
    sb->created_at = Nanos(clock_->Now());
    if (!c.log_directory().empty() && !MkdirAll(c.log_directory())) {
      return ErrnoStatus(errno, absl::StrCat("create log directory ", c.log_directory()));
    }
    bool host_network = c.linux().security_context().namespace_options().network() == v1::NODE;
    if (options_.network != nullptr && !host_network && geteuid() == 0) {
      RUDDER_ASSIGN_OR_RETURN(sb->netns, cni::NetNamespace::Create(absl::StrCat("rudder-", sb->id),
                                                                   options_.netns_dir));
      absl::StatusOr<cni::PodNetworkStatus> net = options_.network->SetUpPod(NetRequest(*sb));
      if (!net.ok()) return net.status();
      if (!net->ips.empty()) sb->ip = net->ips[0];
    }
    bool namespaces;
    {
      MutexLock l(&mu_);
      namespaces = use_namespaces_;
    }
    if (namespaces) {
      absl::StatusOr<pid_t> infra =
          internal::StartInfra(c.hostname().empty() ? c.metadata().name() : c.hostname(),
                               sb->netns ? sb->netns->path() : "");
      if (infra.ok()) {
        absl::Status join = internal::ProbeJoin(*infra);
        if (!join.ok()) {
          kill(*infra, SIGKILL);
          while (waitpid(*infra, nullptr, 0) < 0 && errno == EINTR) {
          }
          infra = join;
        }
      }
      if (infra.ok()) {
        sb->infra = *infra;
      } else if (options_.isolation == Isolation::kNamespaces) {
        ReleaseSandbox(*sb);
        return infra.status();
      } else {
        MutexLock l(&mu_);
        use_namespaces_ = false;
        Note(absl::StrCat("namespaces skipped: ", infra.status().message()));
      }
    }
    MutexLock l(&mu_);
    sandboxes_[sb->id] = sb;
    v1::RunPodSandboxResponse r;
    r.set_pod_sandbox_id(sb->id);
    return r;
  }

  absl::StatusOr<v1::StopPodSandboxResponse> StopPodSandbox(const v1::StopPodSandboxRequest& req,
                                                            absl::Duration timeout) override {
    std::shared_ptr<Sandbox> sb;
    std::vector<std::shared_ptr<Container>> cs;
    {
      MutexLock l(&mu_);
      auto it = sandboxes_.find(req.pod_sandbox_id());
      if (it == sandboxes_.end()) return v1::StopPodSandboxResponse();
      sb = it->second;
      for (auto& [id, c] : containers_) {
        if (c->sandbox_id == sb->id) cs.push_back(c);
      }
    }
    for (auto& c : cs) RUDDER_RETURN_IF_ERROR(Stop(*c, absl::ZeroDuration(), timeout));
    MutexLock l(&mu_);
    if (sb->state == v1::SANDBOX_READY) {
      sb->state = v1::SANDBOX_NOTREADY;
      StopInfra(*sb);
      if (sb->netns != nullptr && options_.network != nullptr) {
        absl::Status s = options_.network->TearDownPod(NetRequest(*sb));
        if (!s.ok()) return s;
      }
    }
    return v1::StopPodSandboxResponse();
  }

  absl::StatusOr<v1::RemovePodSandboxResponse> RemovePodSandbox(
      const v1::RemovePodSandboxRequest& req, absl::Duration timeout) override {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(req.pod_sandbox_id());
    RUDDER_RETURN_IF_ERROR(StopPodSandbox(stop, timeout).status());
    std::shared_ptr<Sandbox> sb;
    std::vector<std::shared_ptr<Container>> cs;
    {
      MutexLock l(&mu_);
      auto it = sandboxes_.find(req.pod_sandbox_id());
      if (it == sandboxes_.end()) return v1::RemovePodSandboxResponse();
      sb = it->second;
      sandboxes_.erase(it);
      for (auto c = containers_.begin(); c != containers_.end();) {
        if (c->second->sandbox_id == sb->id) {
          cs.push_back(c->second);
          containers_.erase(c++);
        } else {
          ++c;
        }
      }
    }
    for (auto& c : cs) KillAndJoin(*c);
    ReleaseSandbox(*sb);
    return v1::RemovePodSandboxResponse();
  }

  absl::StatusOr<v1::PodSandboxStatusResponse> PodSandboxStatus(
      const v1::PodSandboxStatusRequest& req, absl::Duration) override {
    MutexLock l(&mu_);
    auto it = sandboxes_.find(req.pod_sandbox_id());
    if (it == sandboxes_.end()) {
      return absl::NotFoundError(absl::StrCat("sandbox ", req.pod_sandbox_id(), " not found"));
    }
    const Sandbox& sb = *it->second;
    v1::PodSandboxStatusResponse r;
    v1::PodSandboxStatus* s = r.mutable_status();
    s->set_id(sb.id);
    *s->mutable_metadata() = sb.config.metadata();
    s->set_state(sb.state);
    s->set_created_at(sb.created_at);
    if (!sb.ip.empty()) s->mutable_network()->set_ip(sb.ip);
    *s->mutable_labels() = sb.config.labels();
    *s->mutable_annotations() = sb.config.annotations();
    return r;
  }

  absl::StatusOr<v1::ListPodSandboxResponse> ListPodSandbox(const v1::ListPodSandboxRequest& req,
                                                            absl::Duration) override {
    MutexLock l(&mu_);
    v1::ListPodSandboxResponse r;
    const v1::PodSandboxFilter& f = req.filter();
    for (const auto& [id, sb] : sandboxes_) {
      if (!f.id().empty() && f.id() != id) continue;
      if (f.has_state() && f.state().state() != sb->state) continue;
      if (!LabelsMatch(sb->config.labels(), f.label_selector())) continue;
      v1::PodSandbox* p = r.add_items();
      p->set_id(id);
      *p->mutable_metadata() = sb->config.metadata();
      p->set_state(sb->state);
      p->set_created_at(sb->created_at);
      *p->mutable_labels() = sb->config.labels();
      *p->mutable_annotations() = sb->config.annotations();
    }
    return r;
  }

  absl::StatusOr<v1::CreateContainerResponse> CreateContainer(const v1::CreateContainerRequest& req,
                                                              absl::Duration) override {
    const v1::ContainerConfig& c = req.config();
    if (c.metadata().name().empty()) {
      return absl::InvalidArgumentError("container config: metadata.name required");
    }
    if (c.command().empty() && c.args().empty()) {
      return absl::InvalidArgumentError(
          "container config: command: required (the process runtime has no image entrypoint)");
    }
    MutexLock l(&mu_);
    auto sb = sandboxes_.find(req.pod_sandbox_id());
    if (sb == sandboxes_.end()) {
      return absl::NotFoundError(absl::StrCat("sandbox ", req.pod_sandbox_id(), " not found"));
    }
    if (sb->second->state != v1::SANDBOX_READY) {
      return absl::FailedPreconditionError("sandbox is not ready");
    }
    for (const auto& [id, x] : containers_) {
      if (x->sandbox_id == req.pod_sandbox_id() &&
          x->config.metadata().name() == c.metadata().name() &&
          x->config.metadata().attempt() == c.metadata().attempt()) {
        return absl::AlreadyExistsError(absl::StrCat("container ", c.metadata().name(), " attempt ",
                                                     c.metadata().attempt(), " exists"));
      }
    }
    auto x = std::make_shared<Container>();
    x->id = absl::StrCat("c", ++next_id_, "-", c.metadata().name());
    x->sandbox_id = req.pod_sandbox_id();
    x->config = c;
    x->created = clock_->Now();
    const std::string& dir = sb->second->config.log_directory();
    if (!dir.empty() && !c.log_path().empty()) x->log_path = absl::StrCat(dir, "/", c.log_path());
    containers_[x->id] = x;
    v1::CreateContainerResponse r;
    r.set_container_id(x->id);
    return r;
  }

  absl::StatusOr<v1::StartContainerResponse> StartContainer(const v1::StartContainerRequest& req,
                                                            absl::Duration) override {
    MutexLock l(&mu_);
    RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, Find(req.container_id()));
    if (c->state != v1::CONTAINER_CREATED || c->pid > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", req.container_id(), " is not in the created state"));
    }
    auto sbit = sandboxes_.find(c->sandbox_id);
    if (sbit == sandboxes_.end()) return absl::NotFoundError("sandbox of the container is gone");
    const Sandbox& sb = *sbit->second;
    if (!c->log_path.empty() && c->log == nullptr) {
      if (!MkdirAll(Dirname(c->log_path))) {
        return ErrnoStatus(errno, absl::StrCat("create ", Dirname(c->log_path)));
      }
      RUDDER_ASSIGN_OR_RETURN(c->log, logs::LogWriter::Open(c->log_path, options_.log));
    }
    internal::SpawnSpec spec = SpecFor(*c, sb, c->config.command(), c->config.args());
    if (use_cgroups_ && !c->cgroup) {
      absl::StatusOr<internal::Cgroup> cg =
          internal::CreateCgroup(options_.cgroup_parent, c->id, c->config.linux().resources());
      if (cg.ok()) {
        c->cgroup = std::move(*cg);
      } else {
        use_cgroups_ = false;
        Note(absl::StrCat("cgroups skipped: ", cg.status().message()));
      }
    }
    if (c->cgroup) spec.cgroup_procs = c->cgroup->procs;
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
    Fd out_r(outp[0]), out_w(outp[1]);
    if (pipe2(errp, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
    Fd err_r(errp[0]), err_w(errp[1]);
    spec.stdout_fd = out_w.get();
    spec.stderr_fd = err_w.get();
    c->started = clock_->Now();
    absl::StatusOr<internal::Spawned> sp = internal::Spawn(spec);
    if (!sp.ok()) {
      c->state = v1::CONTAINER_EXITED;
      c->finished = c->started;
      c->exit_code = kStartErrorExit;
      c->reason = "StartError";
      c->message = std::string(sp.status().message());
      if (c->log) {
        (void)c->log->Write(cri::LogStream::kStderr, absl::StrCat(c->message, "\n"));
      }
      return absl::FailedPreconditionError(c->message);
    }
    c->pid = sp->pid;
    c->state = v1::CONTAINER_RUNNING;
    out_w.Reset();
    err_w.Reset();
    c->waiter = std::thread([this, c, out = std::move(out_r), err = std::move(err_r)]() mutable {
      Wait(c, std::move(out), std::move(err));
    });
    return v1::StartContainerResponse();
  }

  absl::StatusOr<v1::StopContainerResponse> StopContainer(const v1::StopContainerRequest& req,
                                                          absl::Duration timeout) override {
    std::shared_ptr<Container> c;
    {
      MutexLock l(&mu_);
      auto it = containers_.find(req.container_id());
      if (it == containers_.end()) return v1::StopContainerResponse();
      c = it->second;
    }
    RUDDER_RETURN_IF_ERROR(Stop(*c, absl::Seconds(std::max<int64_t>(req.timeout(), 0)), timeout));
    return v1::StopContainerResponse();
  }

  absl::StatusOr<v1::RemoveContainerResponse> RemoveContainer(const v1::RemoveContainerRequest& req,
                                                              absl::Duration) override {
    std::shared_ptr<Container> c;
    {
      MutexLock l(&mu_);
      auto it = containers_.find(req.container_id());
      if (it == containers_.end()) return v1::RemoveContainerResponse();
      c = it->second;
      containers_.erase(it);
    }
    KillAndJoin(*c);
    return v1::RemoveContainerResponse();
  }

  absl::StatusOr<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest& req,
                                                            absl::Duration) override {
    MutexLock l(&mu_);
    v1::ListContainersResponse r;
    const v1::ContainerFilter& f = req.filter();
    for (auto& [id, c] : containers_) {
      if (!f.id().empty() && f.id() != id) continue;
      if (!f.pod_sandbox_id().empty() && f.pod_sandbox_id() != c->sandbox_id) continue;
      if (f.has_state() && f.state().state() != c->state) continue;
      if (!LabelsMatch(c->config.labels(), f.label_selector())) continue;
      v1::Container* o = r.add_containers();
      o->set_id(id);
      o->set_pod_sandbox_id(c->sandbox_id);
      *o->mutable_metadata() = c->config.metadata();
      *o->mutable_image() = c->config.image();
      o->set_image_ref(c->config.image().image());
      o->set_state(c->state);
      o->set_created_at(Nanos(c->created));
      *o->mutable_labels() = c->config.labels();
      *o->mutable_annotations() = c->config.annotations();
    }
    return r;
  }

  absl::StatusOr<v1::ContainerStatusResponse> ContainerStatus(const v1::ContainerStatusRequest& req,
                                                              absl::Duration) override {
    MutexLock l(&mu_);
    RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, Find(req.container_id()));
    v1::ContainerStatusResponse r;
    v1::ContainerStatus* s = r.mutable_status();
    s->set_id(c->id);
    *s->mutable_metadata() = c->config.metadata();
    s->set_state(c->state);
    s->set_created_at(Nanos(c->created));
    if (c->started != absl::InfinitePast()) s->set_started_at(Nanos(c->started));
    if (c->state == v1::CONTAINER_EXITED) {
      s->set_finished_at(Nanos(c->finished));
      s->set_exit_code(c->exit_code);
      s->set_reason(c->reason);
      s->set_message(c->message);
    }
    *s->mutable_image() = c->config.image();
    s->set_image_ref(c->config.image().image());
    *s->mutable_labels() = c->config.labels();
    *s->mutable_annotations() = c->config.annotations();
    s->set_log_path(c->log_path);
    return r;
  }

  absl::StatusOr<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& req,
                                                absl::Duration timeout) override {
    if (req.cmd().empty()) return absl::InvalidArgumentError("exec: cmd: empty command");
    internal::SpawnSpec spec;
    {
      MutexLock l(&mu_);
      RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, Find(req.container_id()));
      if (c->state != v1::CONTAINER_RUNNING) {
        return absl::FailedPreconditionError(
            absl::StrCat("container ", req.container_id(), " is not running"));
      }
      auto sb = sandboxes_.find(c->sandbox_id);
      if (sb == sandboxes_.end()) return absl::NotFoundError("sandbox of the container is gone");
      spec = SpecFor(*c, *sb->second, req.cmd(), {});
      if (c->cgroup) spec.cgroup_procs = c->cgroup->procs;
    }
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
    Fd out_r(outp[0]), out_w(outp[1]);
    if (pipe2(errp, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
    Fd err_r(errp[0]), err_w(errp[1]);
    spec.stdout_fd = out_w.get();
    spec.stderr_fd = err_w.get();
    absl::Duration limit = timeout;
    if (req.timeout() > 0) limit = std::min(limit, absl::Seconds(req.timeout()));
    absl::Time deadline = clock_->Now() + limit;
    absl::StatusOr<internal::Spawned> sp = internal::Spawn(spec);
    if (!sp.ok()) {
      // As runc: a command that cannot be started is a failed exec, not a failed call.
      v1::ExecSyncResponse r;
      r.set_exit_code(sp.status().code() == absl::StatusCode::kNotFound ? 127 : 126);
      r.set_stderr(absl::StrCat(sp.status().message(), "\n"));
      return r;
    }
    out_w.Reset();
    err_w.Reset();
    v1::ExecSyncResponse r;
    std::string out, err;
    bool expired = false;
    constexpr size_t kMaxOutput = 16 * 1024 * 1024;
    int status = WaitAndPump(
        sp->pid, std::move(out_r), std::move(err_r),
        [&](cri::LogStream s, std::string_view d) {
          std::string& dst = s == cri::LogStream::kStdout ? out : err;
          if (dst.size() < kMaxOutput) dst.append(d.substr(0, kMaxOutput - dst.size()));
        },
        [&] {
          if (clock_->Now() >= deadline) expired = true;
          return expired;
        });
    if (expired) {
      return absl::DeadlineExceededError(absl::StrCat(
          "exec: command ", req.cmd(0), " timed out after ", absl::FormatDuration(limit)));
    }
    r.set_stdout(std::move(out));
    r.set_stderr(std::move(err));
    r.set_exit_code(ExitCodeOf(status));
    return r;
  }

  absl::StatusOr<v1::ContainerStatsResponse> ContainerStats(const v1::ContainerStatsRequest& req,
                                                            absl::Duration) override {
    std::shared_ptr<Container> c;
    {
      MutexLock l(&mu_);
      RUDDER_ASSIGN_OR_RETURN(c, Find(req.container_id()));
    }
    v1::ContainerStatsResponse r;
    Stats(*c, r.mutable_stats());
    return r;
  }

  absl::StatusOr<v1::ListContainerStatsResponse> ListContainerStats(
      const v1::ListContainerStatsRequest& req, absl::Duration) override {
    std::vector<std::shared_ptr<Container>> cs;
    {
      MutexLock l(&mu_);
      const v1::ContainerStatsFilter& f = req.filter();
      for (auto& [id, c] : containers_) {
        if (!f.id().empty() && f.id() != id) continue;
        if (!f.pod_sandbox_id().empty() && f.pod_sandbox_id() != c->sandbox_id) continue;
        if (!LabelsMatch(c->config.labels(), f.label_selector())) continue;
        cs.push_back(c);
      }
    }
    v1::ListContainerStatsResponse r;
    for (auto& c : cs) Stats(*c, r.add_stats());
    return r;
  }

  absl::StatusOr<v1::ReopenContainerLogResponse> ReopenContainerLog(
      const v1::ReopenContainerLogRequest& req, absl::Duration) override {
    MutexLock l(&mu_);
    RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, Find(req.container_id()));
    if (c->state != v1::CONTAINER_RUNNING) {
      return absl::FailedPreconditionError("container is not running");
    }
    if (c->log) RUDDER_RETURN_IF_ERROR(c->log->Reopen());
    return v1::ReopenContainerLogResponse();
  }

  absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest&, absl::Duration) override {
    v1::StatusResponse r;
    v1::RuntimeCondition* rc = r.mutable_status()->add_conditions();
    rc->set_type("RuntimeReady");
    rc->set_status(true);
    v1::RuntimeCondition* nc = r.mutable_status()->add_conditions();
    nc->set_type("NetworkReady");
    absl::Status net = options_.network ? options_.network->Status() : absl::OkStatus();
    nc->set_status(net.ok());
    if (!net.ok()) {
      nc->set_reason("NetworkPluginNotReady");
      nc->set_message(std::string(net.message()));
    }
    return r;
  }

  // ---- ImageService
  absl::StatusOr<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& req,
                                                    absl::Duration) override {
    return images_.ListImages(req);
  }
  absl::StatusOr<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& req,
                                                      absl::Duration) override {
    return images_.ImageStatus(req);
  }
  absl::StatusOr<v1::PullImageResponse> PullImage(const v1::PullImageRequest& req,
                                                  absl::Duration) override {
    return images_.PullImage(req);
  }
  absl::StatusOr<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& req,
                                                      absl::Duration) override {
    return images_.RemoveImage(req);
  }
  absl::StatusOr<v1::ImageFsInfoResponse> ImageFsInfo(const v1::ImageFsInfoRequest&,
                                                      absl::Duration) override {
    v1::ImageFsInfoResponse r;
    v1::FilesystemUsage* u = r.add_image_filesystems();
    u->set_timestamp(Nanos(clock_->Now()));
    u->mutable_fs_id()->set_mountpoint("/");
    struct statvfs st;
    if (statvfs("/", &st) == 0) {
      u->mutable_used_bytes()->set_value((st.f_blocks - st.f_bfree) * st.f_frsize);
      u->mutable_inodes_used()->set_value(st.f_files - st.f_ffree);
    }
    return r;
  }

 private:
  void Note(std::string line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    fprintf(stderr, "process runtime: %s\n", line.c_str());
    report_.push_back(std::move(line));
  }

  absl::StatusOr<std::shared_ptr<Container>> Find(const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      return absl::NotFoundError(absl::StrCat("container ", id, " not found"));
    }
    return it->second;
  }

  cni::PodNetworkRequest NetRequest(const Sandbox& sb) const {
    cni::PodNetworkRequest p;
    p.pod_namespace = sb.config.metadata().namespace_();
    p.pod_name = sb.config.metadata().name();
    p.pod_uid = sb.config.metadata().uid();
    p.sandbox_id = sb.id;
    p.netns_path = sb.netns ? sb.netns->path() : "";
    return p;
  }

  // The process of a container or an exec in it.
  template <typename Strings>
  internal::SpawnSpec SpecFor(const Container& c, const Sandbox& sb, const Strings& command,
                              const google::protobuf::RepeatedPtrField<std::string>& args) const {
    internal::SpawnSpec spec;
    for (const std::string& a : command) spec.argv.push_back(a);
    for (const std::string& a : args) spec.argv.push_back(a);
    bool has_path = false, has_host = false;
    for (const v1::KeyValue& kv : c.config.envs()) {
      spec.env.push_back(absl::StrCat(kv.key(), "=", kv.value()));
      has_path = has_path || kv.key() == "PATH";
      has_host = has_host || kv.key() == "HOSTNAME";
    }
    if (!has_path) {
      spec.env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
    if (!has_host) {
      spec.env.push_back(absl::StrCat("HOSTNAME=", sb.config.hostname().empty()
                                                       ? sb.config.metadata().name()
                                                       : sb.config.hostname()));
    }
    spec.cwd = c.config.working_dir().empty() ? "/" : c.config.working_dir();
    if (sb.netns) spec.namespaces.push_back(sb.netns->path());
    if (sb.infra > 0) {
      for (const char* ns : {"uts", "ipc", "pid", "mnt"}) {
        spec.namespaces.push_back(absl::StrCat("/proc/", sb.infra, "/ns/", ns));
      }
    }
    return spec;
  }

  // The waiter thread of a started container: pumps its output into the log and records its
  // exit.
  void Wait(std::shared_ptr<Container> c, Fd out, Fd err) {
    logs::LogWriter* log = c->log.get();
    int status = WaitAndPump(
        c->pid, std::move(out), std::move(err),
        [&](cri::LogStream s, std::string_view d) {
          if (log) (void)log->Write(s, d);
        },
        [] { return false; });
    if (log) (void)log->Flush();
    int64_t ooms = c->cgroup ? internal::CgroupOomKills(*c->cgroup) : 0;
    MutexLock l(&mu_);
    c->state = v1::CONTAINER_EXITED;
    c->finished = clock_->Now();
    c->exit_code = ExitCodeOf(status);
    c->reason = ooms > 0 ? "OOMKilled" : (c->exit_code == 0 ? "Completed" : "Error");
    c->pid = -1;
    cv_.SignalAll();
  }

  // SIGTERM, then SIGKILL after `grace`; waits for the exit within `timeout`.
  absl::Status Stop(Container& c, absl::Duration grace, absl::Duration timeout) {
    MutexLock l(&mu_);
    if (c.state == v1::CONTAINER_CREATED) {
      c.state = v1::CONTAINER_EXITED;
      c.finished = clock_->Now();
      c.reason = "Stopped";
      return absl::OkStatus();
    }
    if (c.state != v1::CONTAINER_RUNNING) return absl::OkStatus();
    absl::Time start = clock_->Now();
    absl::Time call_deadline =
        timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : start + timeout;
    absl::Time kill_at = grace <= absl::ZeroDuration() ? start : start + grace;
    if (grace > absl::ZeroDuration()) KillGroup(c.pid, SIGTERM);
    while (c.state == v1::CONTAINER_RUNNING && clock_->Now() < std::min(kill_at, call_deadline)) {
      clock_->WaitUntil(&cv_, &mu_, std::min(kill_at, call_deadline));
    }
    if (c.state == v1::CONTAINER_RUNNING && clock_->Now() >= kill_at) KillGroup(c.pid, SIGKILL);
    while (c.state == v1::CONTAINER_RUNNING && clock_->Now() < call_deadline) {
      clock_->WaitUntil(&cv_, &mu_, call_deadline);
    }
    if (c.state == v1::CONTAINER_RUNNING) {
      return absl::DeadlineExceededError(absl::StrCat("stop container ", c.id, ": timed out"));
    }
    return absl::OkStatus();
  }

  // Kills a container (removed from the maps) if it runs, joins its waiter, drops its cgroup.
  void KillAndJoin(Container& c) {
    {
      MutexLock l(&mu_);
      if (c.state == v1::CONTAINER_RUNNING) KillGroup(c.pid, SIGKILL);
      while (c.state == v1::CONTAINER_RUNNING) cv_.Wait(&mu_);
    }
    if (c.waiter.joinable()) c.waiter.join();
    if (c.cgroup) internal::RemoveCgroup(*c.cgroup);
  }

  void StopInfra(Sandbox& sb) {
    if (sb.infra > 0) {
      kill(sb.infra, SIGKILL);
      while (waitpid(sb.infra, nullptr, 0) < 0 && errno == EINTR) {
      }
      sb.infra = -1;
    }
  }

  void ReleaseSandbox(Sandbox& sb) {
    StopInfra(sb);
    if (sb.netns != nullptr) {
      if (options_.network != nullptr && sb.state == v1::SANDBOX_READY) {
        (void)options_.network->TearDownPod(NetRequest(sb));
      }
      (void)sb.netns->Remove();
      sb.netns.reset();
    }
  }

  void Stats(Container& c, v1::ContainerStats* s) {
    int64_t cpu = -1, mem = -1;
    pid_t pid;
    {
      MutexLock l(&mu_);
      s->mutable_attributes()->set_id(c.id);
      *s->mutable_attributes()->mutable_metadata() = c.config.metadata();
      *s->mutable_attributes()->mutable_labels() = c.config.labels();
      *s->mutable_attributes()->mutable_annotations() = c.config.annotations();
      pid = c.state == v1::CONTAINER_RUNNING ? c.pid : -1;
      if (c.cgroup) {
        cpu = internal::CgroupCpuNanos(*c.cgroup);
        mem = internal::CgroupMemoryBytes(*c.cgroup);
      }
    }
    if ((cpu < 0 || mem < 0) && pid > 0) {
      int64_t gcpu, grss;
      internal::GroupUsage(pid, &gcpu, &grss);
      if (cpu < 0) cpu = gcpu;
      if (mem < 0) mem = grss;
    }
    int64_t ts = Nanos(clock_->Now());
    s->mutable_cpu()->set_timestamp(ts);
    s->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(std::max<int64_t>(cpu, 0));
    s->mutable_memory()->set_timestamp(ts);
    s->mutable_memory()->mutable_working_set_bytes()->set_value(std::max<int64_t>(mem, 0));
    s->mutable_memory()->mutable_usage_bytes()->set_value(std::max<int64_t>(mem, 0));
  }

  ProcessRuntimeOptions options_;
  Clock* const clock_;
  mutable Mutex mu_;
  CondVar cv_;
  bool use_namespaces_ ABSL_GUARDED_BY(mu_) = false;
  bool use_cgroups_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> report_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::shared_ptr<Sandbox>> sandboxes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Container>> containers_ ABSL_GUARDED_BY(mu_);
  runtime::internal::NamesImageService images_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProcessRuntime>> NewProcessRuntime(
    const ProcessRuntimeOptions& options) {
  return std::unique_ptr<ProcessRuntime>(new ProcessRuntimeImpl(options));
}

}  // namespace rudder::runtime::process
