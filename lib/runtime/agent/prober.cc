#include "lib/runtime/agent/prober.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace rudder::runtime::agent {
namespace {

int TimeoutMs(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return -1;
  return static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

class DefaultProber : public Prober {
 public:
  explicit DefaultProber(RuntimeService* rt) : rt_(rt) {}

  ProbeOutcome Exec(const std::string& id, const std::vector<std::string>& command,
                    absl::Duration timeout) override {
    v1::ExecSyncRequest req;
    req.set_container_id(id);
    for (const std::string& c : command) req.add_cmd(c);
    req.set_timeout(std::max<int64_t>(1, absl::ToInt64Seconds(timeout)));
    absl::StatusOr<v1::ExecSyncResponse> r = rt_->ExecSync(req, timeout + absl::Seconds(1));
    if (!r.ok()) return {false, r.status().ToString()};
    if (r->exit_code() != 0) {
      return {false, absl::StrCat("exit code ", r->exit_code(), ": ", r->stdout(), r->stderr())};
    }
    return {true, ""};
  }

  ProbeOutcome Tcp(const std::string& host, int port, absl::Duration timeout) override {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string p = absl::StrCat(port);
    if (int e = getaddrinfo(host.c_str(), p.c_str(), &hints, &res); e != 0) {
      return {false, absl::StrCat("resolve ", host, ": ", gai_strerror(e))};
    }
    ProbeOutcome out{false, "no address"};
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      int rc = connect(fd, a->ai_addr, a->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        pollfd pfd{fd, POLLOUT, 0};
        int pr = poll(&pfd, 1, TimeoutMs(timeout));
        if (pr == 1) {
          int err = 0;
          socklen_t len = sizeof(err);
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
          rc = err == 0 ? 0 : -1;
          errno = err;
        } else {
          if (pr == 0) errno = ETIMEDOUT;
          rc = -1;
        }
      }
      if (rc == 0) {
        out = {true, ""};
      } else {
        out = {false, absl::StrCat("dial ", host, ":", port, ": ", strerror(errno))};
      }
      close(fd);
      if (out.success) break;
    }
    freeaddrinfo(res);
    return out;
  }

  ProbeOutcome Http(const std::string& scheme, const std::string& host, int port,
                    const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    absl::Duration timeout) override {
    if (scheme == "HTTPS" || scheme == "https") {
      return {false, "HTTPS probes are not supported by this build"};
    }
    httplib::Client cli(host, port);
    int64_t us = absl::ToInt64Microseconds(timeout);
    cli.set_connection_timeout(us / 1000000, us % 1000000);
    cli.set_read_timeout(us / 1000000, us % 1000000);
    httplib::Headers h;
    h.emplace("User-Agent", "rudder-probe/1.0");
    for (const auto& [k, v] : headers) h.emplace(k, v);
    httplib::Result r = cli.Get(path.empty() ? "/" : path, h);
    if (!r) return {false, absl::StrCat("GET ", path, ": ", httplib::to_string(r.error()))};
    if (r->status >= 200 && r->status < 400) return {true, ""};
    return {false, absl::StrCat("HTTP probe failed with statuscode: ", r->status)};
  }

 private:
  RuntimeService* rt_;
};

}  // namespace

std::unique_ptr<Prober> NewProber(RuntimeService* runtime) {
  return std::make_unique<DefaultProber>(runtime);
}

}  // namespace rudder::runtime::agent
