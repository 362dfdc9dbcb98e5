#include "lib/apiserver/rest/pod_log.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rudder::apiserver {
namespace {

// The address and port of a socket address, "" for families other than IPv4/IPv6. IPv4
// addresses mapped into IPv6 come out as IPv4.
std::pair<std::string, int> AddressOf(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return {buf, ntohs(a->sin_port)};
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    std::string s = buf;
    if (absl::StartsWith(s, "::ffff:") && s.find('.') != std::string::npos) s = s.substr(7);
    return {s, ntohs(a->sin6_port)};
  }
  return {"", -1};
}

}  // namespace

absl::StatusOr<PodLogOptions> ParsePodLogQuery(
    const std::function<std::string(const char* key)>& param) {
  PodLogOptions o;
  o.container = param("container");
  auto flag = [&](const char* k) -> absl::StatusOr<bool> {
    std::string v = param(k);
    if (v.empty() || v == "false" || v == "0") return false;
    if (v == "true" || v == "1") return true;
    return absl::InvalidArgumentError(
        absl::StrCat(k, ": Invalid value: \"", v, "\": must be true or false"));
  };
  for (auto [key, out] : {std::tuple{"follow", &o.follow}, std::tuple{"previous", &o.previous},
                          std::tuple{"timestamps", &o.timestamps}}) {
    absl::StatusOr<bool> b = flag(key);
    if (!b.ok()) return b.status();
    *out = *b;
  }
  for (auto [key, out, min] : {std::tuple{"tailLines", &o.tail_lines, int64_t{0}},
                               std::tuple{"sinceSeconds", &o.since_seconds, int64_t{1}},
                               std::tuple{"limitBytes", &o.limit_bytes, int64_t{1}}}) {
    std::string v = param(key);
    if (v.empty()) continue;
    int64_t n;
    if (!absl::SimpleAtoi(v, &n) || n < min) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": Invalid value: \"", v, "\": must be at least ", min));
    }
    *out = n;
  }
  if (std::string v = param("sinceTime"); !v.empty()) {
    absl::Time tm;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, v, &tm, &err)) {
      return absl::InvalidArgumentError(absl::StrCat("sinceTime: Invalid value: \"", v, "\""));
    }
    o.since_time = tm;
  }
  if (o.since_time && o.since_seconds) {
    return absl::InvalidArgumentError("sinceTime, sinceSeconds: at most one of them may be set");
  }
  return o;
}

std::string EncodePodLogQuery(const PodLogOptions& o) {
  std::string q;
  auto add = [&q](absl::string_view k, absl::string_view v) {
    absl::StrAppend(&q, q.empty() ? "" : "&", k, "=", v);
  };
  if (o.follow) add("follow", "true");
  if (o.previous) add("previous", "true");
  if (o.timestamps) add("timestamps", "true");
  if (o.tail_lines) add("tailLines", absl::StrCat(*o.tail_lines));
  if (o.since_seconds) add("sinceSeconds", absl::StrCat(*o.since_seconds));
  if (o.since_time) {
    // RFC 3339 with a "Z" zone: only digits, '-', ':', '.', 'T', 'Z' (nothing to escape).
    add("sinceTime",
        absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", *o.since_time, absl::UTCTimeZone()));
  }
  if (o.limit_bytes) add("limitBytes", absl::StrCat(*o.limit_bytes));
  return q;
}

int FindConnectionSocket(int local_port, const std::string& remote_addr, int remote_port) {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int found = -1;
  while (dirent* e = readdir(d)) {
    int fd;
    if (!absl::SimpleAtoi(e->d_name, &fd) || fd == dirfd(d)) continue;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) {
      continue;
    }
    if (AddressOf(local).second != local_port) continue;
    auto [addr, port] = AddressOf(peer);
    if (port == remote_port && addr == remote_addr) {
      found = fd;
      break;
    }
  }
  closedir(d);
  return found;
}

bool ConnectionClosed(int fd) {
  if (fd < 0) return false;
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;
  if (n == 0) return true;
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

}  // namespace rudder::apiserver
