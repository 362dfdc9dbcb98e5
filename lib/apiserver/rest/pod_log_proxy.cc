#include "lib/apiserver/rest/pod_log_proxy.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "rapidjson/document.h"

namespace rudder::apiserver {
namespace {

using api::core::v1::Node;
using api::core::v1::Pod;

constexpr size_t kMaxHeaderBytes = 64 << 10;
constexpr size_t kMaxErrorBodyBytes = 64 << 10;
constexpr int kCancelCheckMs = 1000;

// Percent-encodes a path segment (everything but unreserved characters).
std::string EscapeSegment(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

int RemainingMs(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
}

// Connects to host:port within `timeout`; the socket is non-blocking.
absl::StatusOr<int> Connect(const std::string& host, int port, absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = absl::StrCat(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  absl::Time deadline = absl::Now() + timeout;
  std::string last = "no address";
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    int s = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (s < 0) {
      last = strerror(errno);
      continue;
    }
    int rc = connect(s, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{s, POLLOUT, 0};
      rc = poll(&p, 1, RemainingMs(deadline));
      if (rc == 0) {
        last = "connection timed out";
        rc = -1;
      } else if (rc > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        if (err != 0) last = strerror(err);
      } else {
        last = strerror(errno);
      }
    } else if (rc != 0) {
      last = strerror(errno);
    }
    if (rc == 0) {
      fd = s;
    } else {
      close(s);
    }
  }
  freeaddrinfo(res);
  if (fd < 0) return absl::UnavailableError(last);
  return fd;
}

// The body of a response being read off a socket: Content-Length, chunked, or up to EOF.
class NodeLogStream final : public PodLogStream {
 public:
  NodeLogStream(int fd, std::string buffered, bool chunked, int64_t length)
      : fd_(fd), in_(std::move(buffered)), chunked_(chunked), remaining_(length) {}
  ~NodeLogStream() override { close(fd_); }

  absl::Status Stream(const std::function<bool(std::string_view)>& sink,
                      const std::function<bool()>& cancelled) override {
    for (;;) {
      // Hand on whatever the buffer holds.
      bool more = true;
      absl::Status s = Drain(sink, &more);
      if (!s.ok() || !more) return s;
      // Wait for more, checking `cancelled` every second.
      pollfd p{fd_, POLLIN, 0};
      int rc = poll(&p, 1, kCancelCheckMs);
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0) return absl::UnavailableError(strerror(errno));
      if (rc == 0) {
        if (cancelled()) return absl::OkStatus();
        continue;
      }
      char buf[16 << 10];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) return absl::UnavailableError(absl::StrCat("reading the log: ", strerror(errno)));
      if (n == 0) {
        // The node closed the connection: the end for a body up to EOF.
        if (!chunked_ && remaining_ < 0) {
          if (!in_.empty()) sink(in_);
          return absl::OkStatus();
        }
        return absl::UnavailableError("the node closed the log stream early");
      }
      in_.append(buf, static_cast<size_t>(n));
      if (cancelled()) return absl::OkStatus();
    }
  }

 private:
  // Passes the buffered body bytes to `sink`; *more = false once the body ended or the sink
  // refused.
  absl::Status Drain(const std::function<bool(std::string_view)>& sink, bool* more) {
    if (!chunked_) {
      if (remaining_ == 0) {
        *more = false;
        return absl::OkStatus();
      }
      if (in_.empty()) return absl::OkStatus();
      size_t n = remaining_ < 0 ? in_.size() : std::min<size_t>(in_.size(), remaining_);
      if (remaining_ > 0) remaining_ -= static_cast<int64_t>(n);
      bool ok = sink(std::string_view(in_.data(), n));
      in_.erase(0, n);
      if (!ok || remaining_ == 0) *more = false;
      return absl::OkStatus();
    }
    size_t pos = 0;
    absl::Status result;
    while (true) {
      if (chunk_left_ > 0) {
        size_t n = std::min<size_t>(in_.size() - pos, chunk_left_);
        if (n == 0) break;
        chunk_left_ -= n;
        bool ok = sink(std::string_view(in_.data() + pos, n));
        pos += n;
        if (!ok) {
          *more = false;
          break;
        }
        if (chunk_left_ == 0) need_crlf_ = true;
        continue;
      }
      size_t eol = in_.find("\r\n", pos);
      if (eol == std::string::npos) {
        if (in_.size() - pos > 1024) result = absl::DataLossError("malformed chunked log stream");
        break;
      }
      if (need_crlf_) {
        if (eol != pos) {
          result = absl::DataLossError("malformed chunked log stream");
          break;
        }
        need_crlf_ = false;
        pos = eol + 2;
        continue;
      }
      absl::string_view size_text(in_.data() + pos, eol - pos);
      size_text = size_text.substr(0, size_text.find(';'));
      uint64_t size;
      if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(size_text), &size)) {
        result = absl::DataLossError("malformed chunk size in the log stream");
        break;
      }
      pos = eol + 2;
      if (size == 0) {  // the last chunk; trailers are not read
        *more = false;
        break;
      }
      chunk_left_ = size;
    }
    in_.erase(0, pos);
    if (!result.ok()) *more = false;
    return result;
  }

  const int fd_;
  std::string in_;
  const bool chunked_;
  int64_t remaining_;  // Content-Length left; -1: up to EOF
  uint64_t chunk_left_ = 0;
  bool need_crlf_ = false;
};

// A node's error response as a Status: the message of a Kubernetes Status body, else the text.
absl::Status NodeError(int code, const std::string& body, const NodeLogEndpoint& ep) {
  std::string message;
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("message") && d["message"].IsString()) {
    message = d["message"].GetString();
  } else {
    message = std::string(absl::StripAsciiWhitespace(body));
  }
  if (message.empty()) message = absl::StrCat("HTTP status ", code);
  switch (code) {
    case 400:
      return absl::InvalidArgumentError(message);
    case 404:
      return absl::NotFoundError(message);
    case 401:
    case 403:
      return absl::InternalError(absl::StrCat(
          "the node's log endpoint ", ep.host, ":", ep.port,
          " rejected the API server's credentials (", message,
          "): give the API server the node's log token (rudder apiserver --node-log-token-file)"));
    case 503:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(
          absl::StrCat("the node's log endpoint answered ", code, ": ", message));
  }
}

class PodLogRouter final : public PodLogSource {
 public:
  PodLogRouter(Registry* registry, const api::Scheme* scheme, std::shared_ptr<PodLogSource> local,
               std::string local_node, NodeLogClientOptions client)
      : registry_(registry),
        scheme_(scheme),
        local_(std::move(local)),
        local_node_(std::move(local_node)),
        client_(std::move(client)) {}

  absl::StatusOr<std::unique_ptr<PodLogStream>> OpenLog(const std::string& ns,
                                                        const std::string& name,
                                                        const PodLogOptions& options) override {
    if (local_ != nullptr && local_node_.empty()) return local_->OpenLog(ns, name, options);
    absl::StatusOr<Pod> pod = Get<Pod>("pods", ns, name);
    if (!pod.ok()) return pod.status();
    const std::string& node_name = pod->spec().nodename();
    if (node_name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("pod ", name, " does not have a host assigned"));
    }
    if (local_ != nullptr && local_node_ == node_name) return local_->OpenLog(ns, name, options);
    absl::StatusOr<Node> node = Get<Node>("nodes", "", node_name);
    if (!node.ok()) {
      if (absl::IsNotFound(node.status())) {
        return absl::NotFoundError(
            absl::StrCat("node \"", node_name, "\" of pod ", name, " not found"));
      }
      return node.status();
    }
    absl::StatusOr<NodeLogEndpoint> ep = NodeLogEndpointOf(*node);
    if (!ep.ok()) return ep.status();
    return OpenNodeLog(*ep, ns, name, options, client_);
  }

 private:
  template <typename T>
  absl::StatusOr<T> Get(const char* resource, const std::string& ns, const std::string& name) {
    std::shared_ptr<const api::KindInfo> kind = scheme_->ByResource({"", "v1", resource});
    if (kind == nullptr) {
      return absl::InternalError(absl::StrCat("the scheme has no ", resource));
    }
    absl::StatusOr<ObjectPtr> obj = registry_->Get(*kind, ns, name);
    if (!obj.ok()) return obj.status();
    T out;
    if (const T* typed = dynamic_cast<const T*>(obj->get())) {
      out = *typed;
    } else if (!out.ParseFromString((*obj)->SerializeAsString())) {
      return absl::InternalError(absl::StrCat("cannot read ", resource, "/", name));
    }
    return out;
  }

  Registry* const registry_;
  const api::Scheme* const scheme_;
  const std::shared_ptr<PodLogSource> local_;
  const std::string local_node_;
  const NodeLogClientOptions client_;
};

}  // namespace

absl::StatusOr<NodeLogEndpoint> NodeLogEndpointOf(const Node& node) {
  NodeLogEndpoint ep;
  ep.port = node.status().daemonendpoints().kubeletendpoint().port();
  for (const char* type : {"InternalIP", "ExternalIP", "Hostname"}) {
    for (const auto& a : node.status().addresses()) {
      if (ep.host.empty() && a.type() == type && !a.address().empty()) ep.host = a.address();
    }
  }
  if (ep.port <= 0 || ep.port > 65535 || ep.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node \"", node.metadata().name(),
        "\" publishes no log endpoint (status.addresses and "
        "status.daemonEndpoints.kubeletEndpoint.Port): its agent does not serve pods' logs"));
  }
  return ep;
}

absl::StatusOr<std::unique_ptr<PodLogStream>> OpenNodeLog(const NodeLogEndpoint& ep,
                                                          const std::string& ns,
                                                          const std::string& pod,
                                                          const PodLogOptions& options,
                                                          const NodeLogClientOptions& client) {
  const std::string where = absl::StrCat(ep.host, ":", ep.port);
  absl::StatusOr<int> fd = Connect(ep.host, ep.port, client.connect_timeout);
  if (!fd.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot reach the log endpoint of pod ", pod,
                                               "'s node at ", where, ": ", fd.status().message()));
  }
  struct Closer {
    int fd;
    bool keep = false;
    ~Closer() {
      if (!keep) close(fd);
    }
  } closer{*fd};

  std::string path = absl::StrCat("/containerLogs/", EscapeSegment(ns), "/", EscapeSegment(pod));
  if (!options.container.empty()) absl::StrAppend(&path, "/", EscapeSegment(options.container));
  if (std::string q = EncodePodLogQuery(options); !q.empty()) absl::StrAppend(&path, "?", q);
  std::string host_header =
      absl::StrContains(ep.host, ':') ? absl::StrCat("[", ep.host, "]") : ep.host;
  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host_header, ":", ep.port,
                                     "\r\nUser-Agent: rudder-apiserver\r\n");
  if (!client.bearer_token.empty()) {
    absl::StrAppend(&request, "Authorization: Bearer ", client.bearer_token, "\r\n");
  }
  absl::StrAppend(&request, "Connection: close\r\n\r\n");

  absl::Time deadline = absl::Now() + client.header_timeout;
  auto unavailable = [&](absl::string_view what) {
    return absl::UnavailableError(
        absl::StrCat("the log endpoint of pod ", pod, "'s node at ", where, ": ", what));
  };
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(*fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return unavailable(strerror(errno));
    pollfd p{*fd, POLLOUT, 0};
    if (poll(&p, 1, RemainingMs(deadline)) == 0) return unavailable("timed out sending");
  }

  // The status line and headers.
  std::string in;
  size_t header_end;
  while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
    if (in.size() > kMaxHeaderBytes) return unavailable("response headers too large");
    pollfd p{*fd, POLLIN, 0};
    int rc = poll(&p, 1, RemainingMs(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return unavailable("timed out waiting for the response");
    char buf[8192];
    ssize_t n = recv(*fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return unavailable(strerror(errno));
    if (n == 0) return unavailable("the connection closed before a response");
    in.append(buf, static_cast<size_t>(n));
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(in.data(), header_end), "\r\n");
  std::vector<absl::string_view> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  int code = 0;
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status_line[1], &code)) {
    return unavailable("not an HTTP response");
  }
  bool chunked = false;
  int64_t length = -1;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv.first));
    absl::string_view value = absl::StripAsciiWhitespace(kv.second);
    if (key == "transfer-encoding" && absl::StrContains(absl::AsciiStrToLower(value), "chunked")) {
      chunked = true;
    } else if (key == "content-length" && !absl::SimpleAtoi(value, &length)) {
      return unavailable("malformed Content-Length");
    }
  }
  if (chunked) length = -1;
  auto stream = std::make_unique<NodeLogStream>(*fd, in.substr(header_end + 4), chunked, length);
  closer.keep = true;  // the stream owns the socket now
  if (code == 200) return stream;

  std::string body;
  (void)stream->Stream(
      [&](std::string_view c) {
        body.append(c.data(), std::min(c.size(), kMaxErrorBodyBytes - body.size()));
        return body.size() < kMaxErrorBodyBytes;
      },
      [&] { return absl::Now() >= deadline; });
  return NodeError(code, body, ep);
}

std::unique_ptr<PodLogSource> NewPodLogRouter(Registry* registry, const api::Scheme* scheme,
                                              std::shared_ptr<PodLogSource> local,
                                              std::string local_node, NodeLogClientOptions client) {
  return std::make_unique<PodLogRouter>(registry, scheme, std::move(local), std::move(local_node),
                                        std::move(client));
}

}  // namespace rudder::apiserver
