// The CRI container log format: what containerd (and Rudder's own runtimes) write to a
// container's log file, and what the node agent reads back to serve `kubectl logs`.
//
// Each line of the file is
//   <time RFC3339Nano> <stream> <tags> <content>\n
// e.g. "2016-10-06T00:17:09.669794202Z stdout F hello world". <stream> is "stdout" or
// "stderr"; <tags> is a ':'-separated list whose first tag is "F" (the content ends a line of
// the container's output) or "P" (a partial line: the runtime split a long line, or the
// container wrote no newline yet, and the next record of the same stream continues it).
// <content> is the raw output without its newline and may be empty.
//
// All functions are pure and thread-safe.
#ifndef RUDDER_LIB_RUNTIME_CRI_LOG_FORMAT_H_
#define RUDDER_LIB_RUNTIME_CRI_LOG_FORMAT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rudder::runtime::cri {

// The output stream a record came from.
enum class LogStream { kStdout, kStderr };

// "stdout" or "stderr".
std::string_view LogStreamName(LogStream stream);

// One parsed record. `content` points into the line given to ParseLogLine.
struct LogRecord {
  absl::Time time;
  LogStream stream = LogStream::kStdout;
  bool partial = false;  // Tag "P": the next record of this stream continues the line.
  std::string_view content;
};

// Parses one record; `line` may end with "\n" (and "\r\n"), which is not part of the content.
// InvalidArgument, naming the field (time, stream, tags), if the line is not in the format.
absl::StatusOr<LogRecord> ParseLogLine(std::string_view line);

// Appends one record, newline included, to `out`: the time in UTC with nanoseconds and
// trailing zeros removed (as RFC3339Nano), the stream, "F" or "P", and `content`, which must
// not contain a newline (split it first).
void AppendLogLine(absl::Time time, LogStream stream, bool partial, std::string_view content,
                   std::string* out);

// Joins partial records ("P") with the record that completes them ("F"), per stream, into the
// lines the container wrote. Feed records in file order. Not thread-safe; one per reader.
class LogLineAssembler {
 public:
  // A complete line: the time of its last record, its stream and its text (no newline).
  struct Line {
    absl::Time time;
    LogStream stream = LogStream::kStdout;
    std::string content;
  };

  // Adds a record. Returns true and fills `*line` when the record completes a line (it is not
  // partial); returns false while a line is still incomplete. Partial records of stdout and
  // stderr are kept apart, so interleaved streams reassemble correctly.
  bool Add(const LogRecord& record, Line* line);

  // The text of incomplete lines still held (e.g. at the end of a file that is still being
  // written), stdout first; clears them. Returns false if there is none.
  bool Flush(Line* line);

  // Bytes held in incomplete lines; a reader can cap memory by flushing above a limit.
  size_t pending_bytes() const { return pending_[0].size() + pending_[1].size(); }

 private:
  std::string pending_[2];  // Indexed by LogStream.
  absl::Time pending_time_[2];
};

// Formats `time` as RFC3339Nano in UTC ("2016-10-06T00:17:09.669794202Z", trailing zeros of
// the fraction removed, no fraction when it is zero).
std::string FormatRfc3339Nano(absl::Time time);

// Parses an RFC3339 time with an optional fraction of up to nine digits and a "Z" or
// "+hh:mm"/"-hh:mm" offset. InvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseRfc3339Nano(std::string_view text);

}  // namespace rudder::runtime::cri

#endif  // RUDDER_LIB_RUNTIME_CRI_LOG_FORMAT_H_
