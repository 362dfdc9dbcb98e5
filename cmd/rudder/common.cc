#include "cmd/rudder/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/client/rest/rest_client.h"

namespace rudder::cmd {

sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForSignal(const sigset_t& set, absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) {
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
  }
  timespec ts = absl::ToTimespec(std::max(timeout, absl::ZeroDuration()));
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

std::string DefaultDataDir() {
  const char* home = getenv("HOME");
  return absl::StrCat(home != nullptr && *home != '\0' ? home : ".", "/.rudder");
}

bool WriteKubeconfig(const std::string& path, const std::string& server) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "apiVersion: v1\n"
           "kind: Config\n"
           "clusters:\n"
           "- name: rudder\n"
           "  cluster:\n"
           "    server: "
        << server
        << "\n"
           "contexts:\n"
           "- name: rudder\n"
           "  context:\n"
           "    cluster: rudder\n"
           "    user: rudder\n"
           "current-context: rudder\n"
           "users:\n"
           "- name: rudder\n"
           "  user: {}\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

absl::Status CheckPortFree(int port) {
  if (port == 0) return absl::OkStatus();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  int one = 1;
  // The server binds with SO_REUSEADDR too: a port in TIME_WAIT is free for it.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  close(fd);
  if (rc != 0) return absl::UnavailableError(strerror(err));
  return absl::OkStatus();
}

absl::StatusOr<int> ParsePort(const std::string& flag, const std::string& value) {
  int port = 0;
  if (!absl::SimpleAtoi(value, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", value, "\" is not a port number"));
  }
  return port;
}

void AddApiServerFlags(FlagSet* flags) {
  flags->String("apiserver", "",
                "API server URL(s), comma-separated (http://127.0.0.1:6443); the next one is "
                "used when one cannot be reached");
  flags->String("kubeconfig", "", "kubeconfig file of the API server (default: $KUBECONFIG)");
}

namespace {

using client::ObjectPtr;

ObjectPtr Clone(const google::protobuf::Message& m) {
  ObjectPtr c(m.New());
  c->CopyFrom(m);
  return c;
}

class FailoverClient : public client::Client {
 public:
  explicit FailoverClient(std::vector<std::unique_ptr<client::Client>> backends)
      : backends_(std::move(backends)) {}

  api::Scheme& scheme() const override { return backends_[0]->scheme(); }

  absl::StatusOr<ObjectPtr> Create(const api::KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   const client::WriteOptions& options) override {
    return Try<ObjectPtr>(
        [&](client::Client* c) { return c->Create(kind, ns, Clone(*obj), options); });
  }
  absl::StatusOr<ObjectPtr> Get(const api::KindInfo& kind, const std::string& ns,
                                const std::string& name) override {
    return Try<ObjectPtr>([&](client::Client* c) { return c->Get(kind, ns, name); });
  }
  absl::StatusOr<client::ListResult> List(const api::KindInfo& kind, const std::string& ns,
                                          const client::ListOptions& options) override {
    return Try<client::ListResult>([&](client::Client* c) { return c->List(kind, ns, options); });
  }
  absl::StatusOr<ObjectPtr> Update(const api::KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   bool status, const client::WriteOptions& options) override {
    return Try<ObjectPtr>(
        [&](client::Client* c) { return c->Update(kind, ns, Clone(*obj), status, options); });
  }
  absl::StatusOr<ObjectPtr> Patch(const api::KindInfo& kind, const std::string& ns,
                                  const std::string& name, client::PatchType type,
                                  const std::string& patch, bool status,
                                  const client::WriteOptions& options) override {
    return Try<ObjectPtr>(
        [&](client::Client* c) { return c->Patch(kind, ns, name, type, patch, status, options); });
  }
  absl::StatusOr<ObjectPtr> Delete(const api::KindInfo& kind, const std::string& ns,
                                   const std::string& name,
                                   const client::DeleteOptions& options) override {
    return Try<ObjectPtr>([&](client::Client* c) { return c->Delete(kind, ns, name, options); });
  }
  absl::Status DeleteCollection(const api::KindInfo& kind, const std::string& ns,
                                const client::ListOptions& selectors,
                                const client::DeleteOptions& options) override {
    return Try<bool>([&](client::Client* c) -> absl::StatusOr<bool> {
             absl::Status s = c->DeleteCollection(kind, ns, selectors, options);
             if (!s.ok()) return s;
             return true;
           })
        .status();
  }
  absl::StatusOr<ObjectPtr> FinalizeNamespace(ObjectPtr ns_obj,
                                              const client::WriteOptions& options) override {
    return Try<ObjectPtr>(
        [&](client::Client* c) { return c->FinalizeNamespace(Clone(*ns_obj), options); });
  }
  absl::Status Bind(const std::string& ns, const api::core::v1::Binding& binding,
                    const client::WriteOptions& options) override {
    return Try<bool>([&](client::Client* c) -> absl::StatusOr<bool> {
             absl::Status s = c->Bind(ns, binding, options);
             if (!s.ok()) return s;
             return true;
           })
        .status();
  }
  absl::Status Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                     const client::WriteOptions& options) override {
    return Try<bool>([&](client::Client* c) -> absl::StatusOr<bool> {
             absl::Status s = c->Evict(ns, eviction, options);
             if (!s.ok()) return s;
             return true;
           })
        .status();
  }
  absl::StatusOr<std::unique_ptr<client::ObjectWatcher>> Watch(
      const api::KindInfo& kind, const std::string& ns,
      const client::WatchOptions& options) override {
    return Try<std::unique_ptr<client::ObjectWatcher>>(
        [&](client::Client* c) { return c->Watch(kind, ns, options); });
  }
  absl::StatusOr<std::unique_ptr<client::Scale>> GetScale(const api::KindInfo& kind,
                                                          const std::string& ns,
                                                          const std::string& name) override {
    return Try<std::unique_ptr<client::Scale>>(
        [&](client::Client* c) { return c->GetScale(kind, ns, name); });
  }
  absl::StatusOr<std::unique_ptr<client::Scale>> UpdateScale(const api::KindInfo& kind,
                                                             const std::string& ns,
                                                             const std::string& name,
                                                             const client::Scale& scale) override {
    return Try<std::unique_ptr<client::Scale>>(
        [&](client::Client* c) { return c->UpdateScale(kind, ns, name, scale); });
  }

 private:
  // Runs `call` on the current backend, moving on to the next while it fails with Unavailable.
  template <typename T, typename F>
  absl::StatusOr<T> Try(F call) {
    size_t n = backends_.size();
    size_t start = current_.load(std::memory_order_relaxed);
    absl::StatusOr<T> r;
    for (size_t k = 0; k < n; ++k) {
      size_t i = (start + k) % n;
      r = call(backends_[i].get());
      if (!absl::IsUnavailable(r.status())) {
        if (k > 0) current_.store(i, std::memory_order_relaxed);
        return r;
      }
    }
    return r;
  }

  std::vector<std::unique_ptr<client::Client>> backends_;
  std::atomic<size_t> current_{0};
};

}  // namespace

std::unique_ptr<client::Client> NewFailoverClient(
    std::vector<std::unique_ptr<client::Client>> backends) {
  if (backends.size() == 1) return std::move(backends[0]);
  return std::make_unique<FailoverClient>(std::move(backends));
}

absl::StatusOr<ApiConnection> ConnectToApiServer(const FlagSet& flags,
                                                 absl::Duration probe_timeout) {
  std::vector<client::RestClientOptions> options;
  if (!flags.Get("apiserver").empty()) {
    for (absl::string_view url : absl::StrSplit(flags.Get("apiserver"), ',', absl::SkipEmpty())) {
      client::RestClientOptions o;
      o.server = std::string(url);
      options.push_back(o);
    }
  } else {
    std::string path = flags.Get("kubeconfig");
    if (path.empty()) {
      const char* env = getenv("KUBECONFIG");
      if (env != nullptr) path = env;
    }
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "no API server: give --apiserver=URL or --kubeconfig=FILE (or set KUBECONFIG)");
    }
    absl::StatusOr<client::RestClientOptions> o = client::LoadKubeconfig(path);
    if (!o.ok()) return o.status();
    options.push_back(*o);
  }
  if (options.empty()) return absl::InvalidArgumentError("--apiserver: no URL given");

  ApiConnection conn;
  conn.scheme = api::NewBuiltinScheme();
  std::vector<std::unique_ptr<client::Client>> backends;
  std::string reachable_errors;
  bool any_reachable = false;
  for (const client::RestClientOptions& o : options) {
    conn.servers.push_back(o.server);
    // A probe with a short timeout: one list of at most one namespace.
    client::RestClientOptions probe_options = o;
    probe_options.timeout = probe_timeout;
    absl::StatusOr<std::unique_ptr<client::Client>> probe =
        client::NewRestClient(probe_options, conn.scheme.get());
    if (!probe.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("API server \"", o.server, "\": ", probe.status().message()));
    }
    absl::StatusOr<std::unique_ptr<client::Client>> c = client::NewRestClient(o, conn.scheme.get());
    if (!c.ok()) return c.status();
    backends.push_back(*std::move(c));
    if (!any_reachable) {
      client::ListOptions lo;
      lo.limit = 1;
      absl::StatusOr<client::TypedList<api::core::v1::Namespace>> r =
          client::TypedClient<api::core::v1::Namespace>(probe->get()).List("", lo);
      if (r.ok()) {
        any_reachable = true;
      } else {
        absl::StrAppend(&reachable_errors, reachable_errors.empty() ? "" : "; ", o.server, ": ",
                        r.status().message());
      }
    }
  }
  if (!any_reachable) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the API server (", reachable_errors, ")"));
  }
  conn.client = NewFailoverClient(std::move(backends));
  return conn;
}

int64_t PeakRssBytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return static_cast<int64_t>(std::strtod(line.c_str() + 6, nullptr)) * 1024;
    }
  }
  return 0;
}

std::string DefaultIdentity() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "rudder");
  return absl::StrCat(host, "_", getpid());
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read ", path, ": ", strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", path, " holds no token (one word expected)"));
  }
  return token;
}

}  // namespace rudder::cmd
