#include "lib/runtime/agent/log_server.h"

#include <openssl/crypto.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "httplib.h"
#include "lib/apiserver/registry/errors.h"

namespace rudder::runtime::agent {
namespace {

void WriteError(httplib::Response& res, const absl::Status& status) {
  std::string body = apiserver::ToApiStatusJson(status);
  res.status = apiserver::ToApiStatus(status).code();
  res.set_content(body, "application/json");
}

// Constant-time comparison of the presented Authorization header with the expected one.
bool Authorized(const httplib::Request& req, const std::string& want) {
  std::string got = req.get_header_value("Authorization");
  return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
}

class LogServerImpl final : public LogServer {
 public:
  explicit LogServerImpl(const LogServerOptions& o) : options_(o) {
    if (!o.bearer_token.empty()) want_auth_ = absl::StrCat("Bearer ", o.bearer_token);
  }
  ~LogServerImpl() override { Shutdown(); }

  absl::Status Init() {
    const int threads = std::max(2, options_.max_threads);
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_tcp_nodelay(true);
    // SO_REUSEADDR only: cpp-httplib's default also sets SO_REUSEPORT, which would let a second
    // server bind a port in use.
    server_.set_socket_options([](int sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server_.Get("/containerLogs/.*", [this](const httplib::Request& req, httplib::Response& res) {
      ServeLog(req, res);
    });
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty() && res.status == 404) {
        WriteError(res, absl::NotFoundError("the server could not find the requested resource"));
      }
    });
    port_ = options_.port == 0
                ? server_.bind_to_any_port(options_.address)
                : (server_.bind_to_port(options_.address, options_.port) ? options_.port : -1);
    if (port_ <= 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address, ":",
                                                 options_.port, " for pods' logs"));
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    bool expected = false;
    if (!stopping_.compare_exchange_strong(expected, true)) return;
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void ServeLog(const httplib::Request& req, httplib::Response& res) {
    if (!want_auth_.empty() && !Authorized(req, want_auth_)) {
      res.set_header("WWW-Authenticate", "Bearer");
      return WriteError(res, absl::UnauthenticatedError("Unauthorized"));
    }
    // /containerLogs/NS/POD[/CONTAINER] (the path is already percent-decoded).
    std::vector<std::string> parts =
        absl::StrSplit(req.path.substr(sizeof("/containerLogs/") - 1), '/');
    if (!parts.empty() && parts.back().empty()) parts.pop_back();
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
      return WriteError(res, absl::NotFoundError(
                                 "want /containerLogs/NAMESPACE/POD[/CONTAINER], got " + req.path));
    }
    absl::StatusOr<apiserver::PodLogOptions> o = apiserver::ParsePodLogQuery(
        [&](const char* k) { return req.has_param(k) ? req.get_param_value(k) : ""; });
    if (!o.ok()) return WriteError(res, o.status());
    if (parts.size() == 3) o->container = parts[2];
    absl::StatusOr<std::unique_ptr<apiserver::PodLogStream>> stream =
        options_.source->OpenLog(parts[0], parts[1], *o);
    if (!stream.ok()) return WriteError(res, stream.status());
    std::shared_ptr<apiserver::PodLogStream> s = std::move(*stream);
    int conn = o->follow ? apiserver::FindConnectionSocket(req.local_port, req.remote_addr,
                                                           req.remote_port)
                         : -1;
    res.status = 200;
    // Not text/*: no compression holding lines back.
    res.set_chunked_content_provider(
        "application/octet-stream", [this, s, conn](size_t, httplib::DataSink& sink) {
          (void)s->Stream([&](std::string_view c) { return sink.write(c.data(), c.size()); },
                          [&] {
                            return stopping_.load() || apiserver::ConnectionClosed(conn) ||
                                   (sink.is_writable && !sink.is_writable());
                          });
          sink.done();
          return true;
        });
  }

  const LogServerOptions options_;
  std::string want_auth_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<bool> stopping_{false};
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogServer>> LogServer::Start(const LogServerOptions& options) {
  if (options.source == nullptr) return absl::InvalidArgumentError("log server: no source");
  auto s = std::make_unique<LogServerImpl>(options);
  if (absl::Status st = s->Init(); !st.ok()) return st;
  return std::unique_ptr<LogServer>(std::move(s));
}

}  // namespace rudder::runtime::agent
