// The source of pods' logs behind GET /api/v1/namespaces/NS/pods/NAME/log: the API server finds
// the pod, then asks a PodLogSource (the node agent, or anything that can reach it) for the
// log. Without a source the route answers 503 ServiceUnavailable.
#ifndef RUDDER_LIB_APISERVER_REST_POD_LOG_H_
#define RUDDER_LIB_APISERVER_REST_POD_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rudder::apiserver {

// The query parameters of the log subresource (Kubernetes' PodLogOptions).
struct PodLogOptions {
  std::string container;  // "" : the pod's only container (the source decides)
  bool follow = false;
  bool previous = false;  // the previous terminated instance of the container
  bool timestamps = false;
  std::optional<int64_t> tail_lines;
  std::optional<int64_t> since_seconds;
  std::optional<absl::Time> since_time;  // sinceTime (RFC3339); at most one of the two
  std::optional<int64_t> limit_bytes;
};

// An opened log, ready to stream. Used by one thread.
class PodLogStream {
 public:
  virtual ~PodLogStream() = default;
  // Hands the log's lines (newline included) to `sink` until the end (or, with `follow`, until
  // the container stops); stops early when `sink` returns false or `cancelled()` returns true
  // (checked at least every second while waiting for output).
  virtual absl::Status Stream(const std::function<bool(std::string_view)>& sink,
                              const std::function<bool()>& cancelled) = 0;
};

// Opens pods' logs. Thread-safe.
class PodLogSource {
 public:
  virtual ~PodLogSource() = default;
  // Opens the log of a container of pod `ns`/`name` (which exists in the API). Errors, as
  // Kubernetes reports them: InvalidArgument (400) when the container must be named or does
  // not exist or has no previous instance, NotFound (404) when the pod is not on this source's
  // node(s), Unavailable (503) when the node cannot be reached.
  virtual absl::StatusOr<std::unique_ptr<PodLogStream>> OpenLog(const std::string& ns,
                                                                const std::string& name,
                                                                const PodLogOptions& options) = 0;
};

// Reads PodLogOptions from a request's query parameters (container, follow, previous,
// timestamps, tailLines, sinceSeconds, sinceTime, limitBytes), as the log subresource and the
// node's /containerLogs endpoint take them. `param` returns "" for an absent parameter.
// InvalidArgument naming the parameter for a malformed or out-of-range value.
absl::StatusOr<PodLogOptions> ParsePodLogQuery(
    const std::function<std::string(const char* key)>& param);

// The query string of `options` without the container ("follow=true&tailLines=5"; "" when
// every option has its default), the inverse of ParsePodLogQuery.
std::string EncodePodLogQuery(const PodLogOptions& options);

// For log servers over cpp-httplib, whose response sinks cannot tell that the client went
// away while no output is due: the socket of the connection a request came in on, found by
// its addresses (Request::local_port, remote_addr, remote_port); -1 when none matches.
int FindConnectionSocket(int local_port, const std::string& remote_addr, int remote_port);

// Whether the client of connection socket `fd` closed it (or it failed). Never blocks; false
// for fd < 0.
bool ConnectionClosed(int fd);

}  // namespace rudder::apiserver

#endif  // RUDDER_LIB_APISERVER_REST_POD_LOG_H_
