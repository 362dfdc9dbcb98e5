// Serving a container's log file for the API server's pods/NAME/log route: converts the API's
// PodLogOptions into ReadOptions and wraps ReadLogs as an apiserver::PodLogStream, so a node
// agent's PodLogSource only has to find the file.
#ifndef RUDDER_LIB_RUNTIME_LOGS_POD_LOG_STREAM_H_
#define RUDDER_LIB_RUNTIME_LOGS_POD_LOG_STREAM_H_

#include <functional>
#include <memory>
#include <string>

#include "lib/apiserver/rest/pod_log.h"
#include "lib/base/clock.h"
#include "lib/runtime/logs/logs.h"

namespace rudder::runtime::logs {

// The ReadOptions for `o` (sinceSeconds counts back from clock->Now()); `still_running` as in
// ReadOptions, used when `o.follow`.
ReadOptions ToReadOptions(const apiserver::PodLogOptions& o, Clock* clock,
                          std::function<bool()> still_running);

// A stream over the log file `path` (with its rotated files). NotFound if there is none.
// `still_running` (may be null when not following) tells a follow when the container stopped.
// `clock` is borrowed (Clock::Real() if null).
absl::StatusOr<std::unique_ptr<apiserver::PodLogStream>> OpenFileLogStream(
    const std::string& path, const apiserver::PodLogOptions& o, Clock* clock,
    std::function<bool()> still_running);

}  // namespace rudder::runtime::logs

#endif  // RUDDER_LIB_RUNTIME_LOGS_POD_LOG_STREAM_H_
