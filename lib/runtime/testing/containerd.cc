#include "lib/runtime/testing/containerd.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/runtime/cri/cri_client.h"
#include "lib/runtime/testing/busybox_image.h"
#include "lib/runtime/testing/internal/subprocess.h"

namespace rudder::runtime::testing {
namespace {

namespace fs = std::filesystem;

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Undoes the octal escapes (\040 for a space, ...) of /proc/self/mountinfo.
std::string UnescapeMountPath(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t j = 1; j <= 3; ++j) {
        char c = s[i + j];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// Mount points at or below `dir`, deepest first.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> mounts;
  std::istringstream in(ReadText("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() < 5) continue;
    std::string point = UnescapeMountPath(f[4]);
    if (point == dir || absl::StartsWith(point, dir + "/")) mounts.push_back(point);
  }
  std::sort(mounts.begin(), mounts.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return mounts;
}

// Pids of the shims serving the containerd at `socket` (their command line names it).
std::vector<pid_t> ShimsOf(const std::string& socket) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::string cmdline = ReadText(entry.path().string() + "/cmdline");
    if (cmdline.find("containerd-shim") == std::string::npos) continue;
    std::vector<std::string> args = absl::StrSplit(cmdline, '\0');
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "-address" && args[i + 1] == socket) {
        pids.push_back(pid);
        break;
      }
    }
  }
  return pids;
}

std::string Config(const Containerd& c, const ContainerdOptions& o) {
  const std::string& d = c.dir();
  return absl::StrCat(R"(version = 2
root = ")",
                      d, R"(/root"
state = ")",
                      d, R"(/state"
oom_score = 0

[grpc]
  address = ")",
                      d, R"(/containerd.sock"

[ttrpc]
  address = ")",
                      d, R"(/containerd.sock.ttrpc"

[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = ")",
                      d, R"(/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ")",
                      kPauseImage, R"("
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = ")",
                      o.snapshotter, R"("
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ")",
                      o.cni_bin_dir, R"("
    conf_dir = ")",
                      d, R"(/cni/net.d"
    max_conf_num = 1
)");
}

std::string CniConfig(const Containerd& c) {
  return absl::StrCat(R"({
  "cniVersion": "0.4.0",
  "name": "rudder-cri-test",
  "plugins": [
    {
      "type": "bridge",
      "bridge": ")",
                      c.bridge(), R"(",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": ")",
                      c.subnet(), R"("}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": ")",
                      c.dir(), R"(/cni/ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
)");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Containerd>> Containerd::Start(const ContainerdOptions& options) {
  if (geteuid() != 0) {
    return absl::UnavailableError("containerd tests need root (mounts, namespaces, cgroups)");
  }
  for (const std::string& bin : {options.containerd_binary, options.ctr_binary,
                                 std::string("/usr/bin/containerd-shim-runc-v2")}) {
    if (!Executable(bin)) {
      return absl::UnavailableError(
          absl::StrCat(bin, " is missing; install it with `apt-get install -y containerd runc`"));
    }
  }
  if (!Executable("/usr/sbin/runc") && !Executable("/usr/bin/runc")) {
    return absl::UnavailableError("runc is missing; install it with `apt-get install -y runc`");
  }
  if (options.import_test_images && access(options.busybox_path.c_str(), R_OK) != 0) {
    return absl::UnavailableError(absl::StrCat(
        options.busybox_path, " is missing; install it with `apt-get install -y busybox-static`"));
  }
  if (!Executable(options.cni_bin_dir + "/bridge")) {
    return absl::UnavailableError(
        absl::StrCat(options.cni_bin_dir,
                     "/bridge is missing; install it with `apt-get install -y "
                     "containernetworking-plugins`"));
  }

  std::unique_ptr<Containerd> c(new Containerd());
  c->options_ = options;
  std::string tmpl = options.temp_root + "/rudder-cri-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp in ", options.temp_root));
  }
  c->dir_ = tmpl;
  // A bridge name (at most 15 bytes) and a /24 of our own, from the directory's random suffix.
  const std::string suffix = c->dir_.substr(c->dir_.size() - 6);
  unsigned h = 0;
  for (char ch : suffix) h = h * 131 + static_cast<unsigned char>(ch);
  c->bridge_ = absl::StrCat("rcri", h % 1000000);
  c->subnet_ = absl::StrCat("10.", 200 + h % 50, ".", (h / 50) % 250, ".0/24");

  std::error_code ec;
  for (const char* sub :
       {"/root", "/state", "/opt", "/cni/net.d", "/cni/ipam", "/logs", "/images"}) {
    fs::create_directories(c->dir_ + sub, ec);
    if (ec) return absl::InternalError(absl::StrCat("mkdir ", c->dir_, sub, ": ", ec.message()));
  }
  absl::Status s = WriteText(c->dir_ + "/config.toml", Config(*c, options));
  if (s.ok()) s = WriteText(c->dir_ + "/cni/net.d/10-rudder.conflist", CniConfig(*c));
  if (s.ok()) s = c->Launch();
  if (s.ok()) s = c->WaitReady();
  if (s.ok() && options.import_test_images) {
    BusyboxImageOptions busybox;
    busybox.busybox_path = options.busybox_path;
    busybox.names = {kBusyboxImage};
    busybox.cmd = {"sh"};
    BusyboxImageOptions pause = busybox;
    pause.names = {kPauseImage};
    pause.cmd = {"sleep", "2147483647"};
    const std::string busybox_tar = c->dir_ + "/images/busybox.tar";
    const std::string pause_tar = c->dir_ + "/images/pause.tar";
    s = WriteBusyboxImageTar(busybox, busybox_tar);
    if (s.ok()) s = WriteBusyboxImageTar(pause, pause_tar);
    if (s.ok()) s = c->ImportImage(busybox_tar, {kBusyboxImage});
    if (s.ok()) s = c->ImportImage(pause_tar, {kPauseImage});
  }
  if (!s.ok()) return s;  // The destructor cleans up.
  return c;
}

absl::Status Containerd::Launch() {
  auto pid = internal::StartProcess({options_.containerd_binary, "--config", dir_ + "/config.toml"},
                                    dir_ + "/containerd.log");
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  auto cri = cri::NewCriRuntime({.endpoint = Endpoint()});
  if (!cri.ok()) return cri.status();
  cri_ = std::move(*cri);
  return absl::OkStatus();
}

absl::Status Containerd::WaitReady() {
  const auto give_up =
      std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(options_.start_timeout);
  absl::Status last = absl::UnavailableError("not started");
  while (std::chrono::steady_clock::now() < give_up) {
    if (internal::HasExited(pid_)) {
      pid_ = -1;
      return absl::AbortedError(
          absl::StrCat("containerd exited during startup; its log ends with:\n", LogTail()));
    }
    if (access(SocketPath().c_str(), F_OK) == 0) {
      v1::VersionRequest request;
      request.set_version("v1");
      auto version = cri_->Version(request, absl::Seconds(2));
      if (version.ok()) return absl::OkStatus();
      last = version.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "containerd's CRI did not answer within ", absl::FormatDuration(options_.start_timeout),
      " (last: ", last.ToString(), "); its log ends with:\n", LogTail()));
}

std::string Containerd::Endpoint() const { return absl::StrCat("unix://", SocketPath()); }

absl::Status Containerd::ImportImage(const std::string& tar_path,
                                     const std::vector<std::string>& names) {
  auto result =
      internal::RunCommand({options_.ctr_binary, "--address", SocketPath(), "--namespace", "k8s.io",
                            "images", "import", "--snapshotter", options_.snapshotter, tar_path});
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("ctr images import ", tar_path, " exited with ",
                                            result->exit_code, ": ", result->output));
  }
  // The CRI plugin learns of new images from containerd's events: wait until it sees them.
  for (const std::string& name : names) {
    v1::ImageStatusRequest request;
    request.mutable_image()->set_image(name);
    for (int attempt = 0;; ++attempt) {
      auto status = cri_->ImageStatus(request, absl::Seconds(5));
      if (status.ok() && status->has_image()) break;
      if (attempt >= 200) {
        return absl::DeadlineExceededError(
            absl::StrCat("the CRI does not report ", name, " after importing it: ",
                         status.ok() ? std::string("absent") : status.status().ToString()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return absl::OkStatus();
}

std::string Containerd::LogTail(size_t max_bytes) const {
  std::string log = ReadText(dir_ + "/containerd.log");
  if (log.size() > max_bytes) log = log.substr(log.size() - max_bytes);
  return log;
}

void Containerd::Cleanup() {
  // 1. Pods: stop and remove every sandbox (and so its containers and network).
  if (cri_ != nullptr && pid_ > 0) {
    auto sandboxes = cri_->ListPodSandbox({}, absl::Seconds(10));
    if (sandboxes.ok()) {
      for (const v1::PodSandbox& sandbox : sandboxes->items()) {
        v1::StopPodSandboxRequest stop;
        stop.set_pod_sandbox_id(sandbox.id());
        (void)cri_->StopPodSandbox(stop, absl::Seconds(30));
        v1::RemovePodSandboxRequest remove;
        remove.set_pod_sandbox_id(sandbox.id());
        (void)cri_->RemovePodSandbox(remove, absl::Seconds(30));
      }
    }
  }
  cri_.reset();
  // 2. containerd itself.
  if (pid_ > 0) {
    internal::StopProcess(pid_, SIGTERM, 10000);
    pid_ = -1;
  }
  // 3. Shims it started that are still around (they outlive containerd by design).
  for (pid_t shim : ShimsOf(SocketPath())) kill(shim, SIGKILL);
  // 4. Mounts under the directory (snapshots, sandbox /dev/shm), deepest first.
  for (int round = 0; round < 3; ++round) {
    std::vector<std::string> mounts = MountsUnder(dir_);
    if (mounts.empty()) break;
    for (const std::string& m : mounts) umount2(m.c_str(), MNT_DETACH);
  }
  // 5. The bridge the CNI plugin created (CNI DEL leaves it).
  if (!bridge_.empty() && access(("/sys/class/net/" + bridge_).c_str(), F_OK) == 0) {
    for (const char* ip : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
      if (Executable(ip)) {
        (void)internal::RunCommand({ip, "link", "delete", bridge_});
        break;
      }
    }
  }
  // 6. The directory.
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Containerd::~Containerd() {
  if (!dir_.empty()) Cleanup();
}

}  // namespace rudder::runtime::testing
