#include "lib/store/etcd/testing/etcd_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "lib/store/etcd/proto/rpc.grpc.pb.h"

namespace rudder::store::testing {
namespace {

// Whether `port` can be bound on 127.0.0.1 right now.
bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Picks a free port below the ephemeral range (32768+), so that no outgoing connection of
// another process takes it between our probe and etcd's bind.
absl::StatusOr<int> PickPort(std::set<int>* taken) {
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  std::uniform_int_distribution<int> dist(12000, 32000);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = dist(rng);
    if (taken->count(port) != 0 || !PortFree(port)) continue;
    taken->insert(port);
    return port;
  }
  return absl::UnavailableError("no free loopback port found");
}

// One Maintenance.Status call; returns the response or the RPC's error.
absl::StatusOr<etcdserverpb::StatusResponse> MemberStatus(const std::string& endpoint,
                                                          absl::Duration timeout) {
  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  auto stub = etcdserverpb::Maintenance::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  etcdserverpb::StatusResponse resp;
  grpc::Status s = stub->Status(&ctx, etcdserverpb::StatusRequest(), &resp);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat(endpoint, ": ", s.error_message()));
  return resp;
}

// The last few lines of a log file, for error messages.
std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr size_t kTail = 2000;
  return text.size() > kTail ? text.substr(text.size() - kTail) : text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(const EtcdClusterOptions& options) {
  if (options.members < 1) return absl::InvalidArgumentError("members: must be at least 1");
  if (access(options.etcd_binary.c_str(), X_OK) != 0) {
    return absl::UnavailableError(
        absl::StrCat("etcd is not installed (", options.etcd_binary, " is not executable)"));
  }
  // A member that exits at startup most likely lost a port to another process between our
  // probe and its bind: try again on other ports.
  absl::StatusOr<std::unique_ptr<EtcdCluster>> cluster;
  for (int attempt = 0; attempt < 3; ++attempt) {
    cluster = StartOnce(options);
    if (cluster.ok() || !absl::IsAborted(cluster.status())) break;
  }
  return cluster;
}

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::StartOnce(
    const EtcdClusterOptions& options) {
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(options));
  std::string parent = options.data_root;
  if (parent.empty()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  std::string templ = parent + "/etcd-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", templ, ": ", std::strerror(errno)));
  }
  cluster->root_ = templ;
  cluster->token_ = absl::StrCat("rudder-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
  std::set<int> taken;
  std::vector<std::string> peers;
  for (int i = 0; i < options.members; ++i) {
    Member m;
    m.name = absl::StrCat("m", i);
    m.dir = absl::StrCat(cluster->root_, "/", m.name);
    if (mkdir(m.dir.c_str(), 0700) != 0) {
      return absl::InternalError(absl::StrCat("mkdir ", m.dir, ": ", std::strerror(errno)));
    }
    auto client = PickPort(&taken);
    if (!client.ok()) return client.status();
    auto peer = PickPort(&taken);
    if (!peer.ok()) return peer.status();
    m.client_port = *client;
    m.peer_port = *peer;
    peers.push_back(absl::StrCat(m.name, "=http://127.0.0.1:", m.peer_port));
    cluster->members_.push_back(std::move(m));
  }
  cluster->initial_cluster_ = absl::StrJoin(peers, ",");
  for (int i = 0; i < options.members; ++i) {
    if (absl::Status s = cluster->Spawn(i, /*new_cluster=*/true); !s.ok()) return s;
  }
  if (absl::Status s = cluster->WaitHealthy(options.start_timeout); !s.ok()) return s;
  return cluster;
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < size(); ++i) Kill(i).IgnoreError();
  if (!root_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
}

absl::Status EtcdCluster::Spawn(int i, bool new_cluster) {
  Member& m = members_[i];
  std::string client_url = absl::StrCat("http://127.0.0.1:", m.client_port);
  std::string peer_url = absl::StrCat("http://127.0.0.1:", m.peer_port);
  std::vector<std::string> args = {
      options_.etcd_binary,
      "--name=" + m.name,
      "--data-dir=" + m.dir + "/data",
      "--listen-client-urls=" + client_url,
      "--advertise-client-urls=" + client_url,
      "--listen-peer-urls=" + peer_url,
      "--initial-advertise-peer-urls=" + peer_url,
      "--initial-cluster=" + initial_cluster_,
      std::string("--initial-cluster-state=") + (new_cluster ? "new" : "existing"),
      "--initial-cluster-token=" + token_,
      absl::StrCat("--heartbeat-interval=", options_.heartbeat_interval_ms),
      absl::StrCat("--election-timeout=", options_.election_timeout_ms),
      absl::StrCat("--experimental-watch-progress-notify-interval=",
                   absl::ToInt64Milliseconds(options_.watch_progress_notify_interval), "ms"),
      "--logger=zap",
      "--log-outputs=stderr",
  };
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char env_path[] = "PATH=/usr/bin:/bin";
  char* envp[] = {env_path, nullptr};
  std::string log = m.dir + "/etcd.log";
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("open ", log, ": ", strerror(errno)));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve(argv[0], argv.data(), envp);
    _exit(127);
  }
  close(log_fd);
  m.pid = pid;
  return absl::OkStatus();
}

std::vector<std::string> EtcdCluster::ClientEndpoints() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(ClientEndpoint(i));
  return out;
}

std::string EtcdCluster::ClientEndpoint(int i) const {
  return absl::StrCat("127.0.0.1:", members_[i].client_port);
}

bool EtcdCluster::IsRunning(int i) const { return members_[i].pid > 0; }

std::string EtcdCluster::MemberDir(int i) const { return members_[i].dir; }

absl::StatusOr<int> EtcdCluster::Leader() const {
  std::vector<uint64_t> ids(size(), 0);
  uint64_t leader = 0;
  for (int i = 0; i < size(); ++i) {
    if (!IsRunning(i)) continue;
    auto s = MemberStatus(ClientEndpoint(i), absl::Seconds(2));
    if (!s.ok()) continue;
    ids[i] = s->header().member_id();
    if (s->leader() != 0) leader = s->leader();
  }
  for (int i = 0; i < size(); ++i) {
    if (leader != 0 && ids[i] == leader) return i;
  }
  return absl::UnavailableError("no running member reports a leader");
}

absl::Status EtcdCluster::Kill(int i) {
  Member& m = members_[i];
  if (m.pid <= 0) return absl::FailedPreconditionError(absl::StrCat(m.name, " is not running"));
  kill(m.pid, SIGKILL);
  int status = 0;
  while (waitpid(m.pid, &status, 0) < 0 && errno == EINTR) {
  }
  m.pid = -1;
  return absl::OkStatus();
}

absl::Status EtcdCluster::Restart(int i) {
  if (IsRunning(i)) return absl::FailedPreconditionError(absl::StrCat("m", i, " is running"));
  if (absl::Status s = Spawn(i, /*new_cluster=*/false); !s.ok()) return s;
  return WaitHealthy(options_.start_timeout);
}

absl::Status EtcdCluster::WaitHealthy(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  absl::Status last = absl::OkStatus();
  while (true) {
    // Healthy: every running member answers and names the same leader, itself running (a
    // follower keeps naming a killed leader until its election timeout fires).
    bool healthy = true;
    std::set<uint64_t> running_ids;
    std::set<uint64_t> leaders;
    for (int i = 0; i < size() && healthy; ++i) {
      if (!IsRunning(i)) continue;
      // A member that exited on its own (bad flags, port taken) never becomes healthy.
      int status = 0;
      if (waitpid(members_[i].pid, &status, WNOHANG) == members_[i].pid) {
        members_[i].pid = -1;
        return absl::AbortedError(absl::StrCat("etcd member ", members_[i].name,
                                               " exited at startup; its log ends with:\n",
                                               LogTail(members_[i].dir + "/etcd.log")));
      }
      auto s = MemberStatus(ClientEndpoint(i), absl::Milliseconds(500));
      if (!s.ok()) {
        last = s.status();
        healthy = false;
      } else {
        running_ids.insert(s->header().member_id());
        leaders.insert(s->leader());
      }
    }
    if (healthy && (leaders.size() != 1 || running_ids.count(*leaders.begin()) == 0)) {
      last = absl::UnavailableError("the running members do not agree on a running leader");
      healthy = false;
    }
    if (healthy) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("etcd cluster not healthy in time: ", last.message()));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace rudder::store::testing
