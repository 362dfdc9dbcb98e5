// Container log files in the CRI log format (lib/runtime/cri/log_format.h): a writer with
// size-based rotation, and a reader with the options of `kubectl logs` (tail, since, limit,
// timestamps, follow).
//
// Rotation: the live file is `path`; when a write would make it exceed `max_bytes`, it is
// renamed to `path.1` (older ones shift to `path.2`, ...) and a new `path` is started; at most
// `max_files` files are kept in all (the live one included), the oldest removed. Readers read
// `path.<max>` ... `path.1`, `path` in that order, so rotation is invisible to them.
//
// Layout of a pod's logs, as the kubelet's: <pod log dir>/<container>/<attempt>.log.
#ifndef RUDDER_LIB_RUNTIME_LOGS_LOGS_H_
#define RUDDER_LIB_RUNTIME_LOGS_LOGS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/runtime/cri/log_format.h"

namespace rudder::runtime::logs {

// Options of a LogWriter.
struct LogWriterOptions {
  // Rotate when the live file would exceed this size; 0: never rotate.
  int64_t max_bytes = 10 * 1024 * 1024;
  // Files kept in all, the live one included (at least 1).
  int max_files = 5;
  // Longest record content; longer output lines are split into partial ("P") records.
  size_t max_line_bytes = 16 * 1024;
  Clock* clock = nullptr;  // borrowed; Clock::Real() if null. Stamps each record.
};

// Appends a container's output to its log file. Thread-safe.
class LogWriter {
 public:
  // Opens (creating, appending) `path`; its directory must exist.
  static absl::StatusOr<std::unique_ptr<LogWriter>> Open(const std::string& path,
                                                         const LogWriterOptions& options);
  virtual ~LogWriter() = default;

  // Writes raw output of `stream`: each complete line becomes an "F" record; a trailing
  // incomplete line is held until its newline arrives (or Flush), and held text longer than
  // max_line_bytes is written as "P" records.
  virtual absl::Status Write(cri::LogStream stream, std::string_view data) = 0;

  // Writes held incomplete lines as "P" records (the output ended without a newline).
  virtual absl::Status Flush() = 0;

  // Closes and reopens `path` (after someone else moved it away).
  virtual absl::Status Reopen() = 0;

  // The live file's path.
  virtual const std::string& path() const = 0;
};

// The files of a rotated log, oldest first (`path.N`, ..., `path.1`, `path`), those that exist.
std::vector<std::string> RotatedFiles(const std::string& path);

// What to read, as `kubectl logs` asks it.
struct ReadOptions {
  std::optional<int64_t> tail_lines;   // only the last N lines
  std::optional<absl::Time> since;     // only lines at or after this time
  std::optional<int64_t> limit_bytes;  // stop after this many bytes of output
  bool timestamps = false;             // prefix each line with its RFC3339Nano time and a space
  bool follow = false;                 // keep reading new lines (see `still_running`)
  // With `follow`: called between polls; reading ends once it returns false and the file has
  // been read to its end. Required with `follow`.
  std::function<bool()> still_running;
  absl::Duration poll_interval = absl::Milliseconds(100);
  Clock* clock = nullptr;  // borrowed; Clock::Real() if null. Times follow's polls.
};

// Receives output; returning false stops the read (e.g. the client went away).
using LogSink = std::function<bool(std::string_view chunk)>;

// Reads the log at `path` (with its rotated files) and hands each line, newline included, to
// `sink`. NotFound if neither `path` nor a rotated file exists. Malformed lines are skipped.
absl::Status ReadLogs(const std::string& path, const ReadOptions& options, const LogSink& sink);

// The log file of `container`'s latest attempt under a pod's log directory
// (<dir>/<container>/<attempt>.log with the highest attempt), or the one before it when
// `previous`. NotFound if there is none.
absl::StatusOr<std::string> FindContainerLog(const std::string& pod_log_dir,
                                             const std::string& container, bool previous);

}  // namespace rudder::runtime::logs

#endif  // RUDDER_LIB_RUNTIME_LOGS_LOGS_H_
