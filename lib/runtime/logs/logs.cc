#include "lib/runtime/logs/logs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"

namespace rudder::runtime::logs {
namespace {

absl::Status ErrnoStatus(int err, std::string_view what) {
  std::string msg = absl::StrCat(std::string(what), ": ", strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

absl::Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write log");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

class LogWriterImpl : public LogWriter {
 public:
  LogWriterImpl(std::string path, const LogWriterOptions& o)
      : path_(std::move(path)), options_(o), clock_(o.clock ? o.clock : Clock::Real()) {
    if (options_.max_files < 1) options_.max_files = 1;
    if (options_.max_line_bytes == 0) options_.max_line_bytes = 16 * 1024;
  }
  ~LogWriterImpl() override {
    MutexLock l(&mu_);
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status OpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) return ErrnoStatus(errno, absl::StrCat("open ", path_));
    struct stat st;
    size_ = ::fstat(fd_, &st) == 0 ? st.st_size : 0;
    return absl::OkStatus();
  }

  absl::Status Write(cri::LogStream stream, std::string_view data) override {
    MutexLock l(&mu_);
    absl::Time now = clock_->Now();
    std::string& held = held_[static_cast<int>(stream)];
    while (!data.empty()) {
      size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        held.append(data);
        while (held.size() > options_.max_line_bytes) {
          RUDDER_RETURN_IF_ERROR(
              Record(now, stream, true, std::string_view(held).substr(0, options_.max_line_bytes)));
          held.erase(0, options_.max_line_bytes);
        }
        break;
      }
      std::string_view line = data.substr(0, nl);
      data.remove_prefix(nl + 1);
      if (!held.empty()) {
        held.append(line);
        absl::Status s = EmitLine(now, stream, held);
        held.clear();
        if (!s.ok()) return s;
      } else {
        RUDDER_RETURN_IF_ERROR(EmitLine(now, stream, line));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    MutexLock l(&mu_);
    absl::Time now = clock_->Now();
    for (int s = 0; s < 2; ++s) {
      if (held_[s].empty()) continue;
      RUDDER_RETURN_IF_ERROR(Record(now, static_cast<cri::LogStream>(s), true, held_[s]));
      held_[s].clear();
    }
    return absl::OkStatus();
  }

  absl::Status Reopen() override {
    MutexLock l(&mu_);
    return OpenLocked();
  }

  const std::string& path() const override { return path_; }

 private:
  // A complete line, split into "P" records when longer than max_line_bytes.
  absl::Status EmitLine(absl::Time now, cri::LogStream stream, std::string_view line)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (line.size() > options_.max_line_bytes) {
      RUDDER_RETURN_IF_ERROR(Record(now, stream, true, line.substr(0, options_.max_line_bytes)));
      line.remove_prefix(options_.max_line_bytes);
    }
    return Record(now, stream, false, line);
  }

  absl::Status Record(absl::Time now, cri::LogStream stream, bool partial, std::string_view content)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    buf_.clear();
    cri::AppendLogLine(now, stream, partial, content, &buf_);
    if (options_.max_bytes > 0 && size_ > 0 &&
        size_ + static_cast<int64_t>(buf_.size()) > options_.max_bytes) {
      RUDDER_RETURN_IF_ERROR(Rotate());
    }
    if (fd_ < 0) RUDDER_RETURN_IF_ERROR(OpenLocked());
    RUDDER_RETURN_IF_ERROR(WriteAll(fd_, buf_));
    size_ += static_cast<int64_t>(buf_.size());
    return absl::OkStatus();
  }

  absl::Status Rotate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int keep = options_.max_files - 1;  // rotated files kept
    if (keep == 0) {
      if (::ftruncate(fd_, 0) != 0) return ErrnoStatus(errno, "truncate log");
      size_ = 0;
      return absl::OkStatus();
    }
    ::unlink(absl::StrCat(path_, ".", keep).c_str());
    for (int i = keep - 1; i >= 1; --i) {
      ::rename(absl::StrCat(path_, ".", i).c_str(), absl::StrCat(path_, ".", i + 1).c_str());
    }
    if (::rename(path_.c_str(), absl::StrCat(path_, ".1").c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("rotate ", path_));
    }
    return OpenLocked();
  }

  const std::string path_;
  LogWriterOptions options_;
  Clock* const clock_;
  Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t size_ ABSL_GUARDED_BY(mu_) = 0;
  std::string held_[2] ABSL_GUARDED_BY(mu_);
  std::string buf_ ABSL_GUARDED_BY(mu_);
};

// Reads one file sequentially, line by line, keeping an incomplete last line for later.
class Cursor {
 public:
  explicit Cursor(int fd) : fd_(fd) {}
  ~Cursor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // Reads what is available; calls `f` for every complete line. Returns false if `f` did.
  template <typename F>
  bool Drain(F&& f) {
    char chunk[64 * 1024];
    while (true) {
      ssize_t n = ::read(fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return true;
      buf_.append(chunk, static_cast<size_t>(n));
      size_t start = 0;
      while (true) {
        size_t nl = buf_.find('\n', start);
        if (nl == std::string::npos) break;
        if (!f(std::string_view(buf_).substr(start, nl - start + 1))) {
          buf_.erase(0, nl + 1);
          return false;
        }
        start = nl + 1;
      }
      buf_.erase(0, start);
    }
  }
  ino_t inode() const {
    struct stat st;
    return ::fstat(fd_, &st) == 0 ? st.st_ino : 0;
  }

 private:
  int fd_;
  std::string buf_;
};

ino_t InodeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Applies since/timestamps/limit and hands lines to the sink.
class Emitter {
 public:
  Emitter(const ReadOptions& o, const LogSink& sink) : o_(o), sink_(sink) {}

  // Feeds one raw record line; returns false when reading must stop.
  bool Feed(std::string_view raw) {
    absl::StatusOr<cri::LogRecord> r = cri::ParseLogLine(raw);
    if (!r.ok()) return true;
    cri::LogLineAssembler::Line line;
    if (!asm_.Add(*r, &line)) return true;
    return Line(line);
  }

  bool Line(const cri::LogLineAssembler::Line& line) {
    if (o_.since && line.time < *o_.since) return true;
    std::string out;
    if (o_.timestamps) absl::StrAppend(&out, cri::FormatRfc3339Nano(line.time), " ");
    absl::StrAppend(&out, line.content, "\n");
    if (tail_) {
      tail_->push_back(std::move(out));
      if (static_cast<int64_t>(tail_->size()) > *o_.tail_lines) tail_->pop_front();
      return true;
    }
    return Send(out);
  }

  // Hands on the text of lines the file ended in the middle of (written without a newline).
  bool FlushPartial() {
    cri::LogLineAssembler::Line line;
    while (asm_.Flush(&line)) {
      if (!Line(line)) return false;
    }
    return true;
  }

  void StartTail() {
    if (o_.tail_lines) tail_.emplace();
  }
  // Ends the tail phase: sends what it kept.
  bool EndTail() {
    if (!tail_) return true;
    std::deque<std::string> kept = std::move(*tail_);
    tail_.reset();
    for (const std::string& s : kept) {
      if (!Send(s)) return false;
    }
    return true;
  }
  bool done() const { return done_; }

 private:
  bool Send(std::string_view s) {
    if (done_) return false;
    if (o_.limit_bytes) {
      int64_t left = *o_.limit_bytes - sent_;
      if (left <= 0) return done_ = true, false;
      if (static_cast<int64_t>(s.size()) > left) s = s.substr(0, static_cast<size_t>(left));
    }
    sent_ += static_cast<int64_t>(s.size());
    if (!sink_(s)) return done_ = true, false;
    if (o_.limit_bytes && sent_ >= *o_.limit_bytes) return done_ = true, false;
    return true;
  }

  const ReadOptions& o_;
  const LogSink& sink_;
  cri::LogLineAssembler asm_;
  std::optional<std::deque<std::string>> tail_;
  int64_t sent_ = 0;
  bool done_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogWriter>> LogWriter::Open(const std::string& path,
                                                           const LogWriterOptions& options) {
  auto w = std::make_unique<LogWriterImpl>(path, options);
  absl::Status s = w->Reopen();
  if (!s.ok()) return s;
  return std::unique_ptr<LogWriter>(std::move(w));
}

std::vector<std::string> RotatedFiles(const std::string& path) {
  std::vector<std::string> out;
  std::vector<std::string> rotated;
  for (int i = 1;; ++i) {
    std::string p = absl::StrCat(path, ".", i);
    if (::access(p.c_str(), F_OK) != 0) break;
    rotated.push_back(std::move(p));
  }
  for (auto it = rotated.rbegin(); it != rotated.rend(); ++it) out.push_back(*it);
  if (::access(path.c_str(), F_OK) == 0) out.push_back(path);
  return out;
}

namespace {

// A log file and the rotated files before it, opened.
struct LogChain {
  std::unique_ptr<Cursor> live;                // `path`, if it exists
  std::vector<std::unique_ptr<Cursor>> older;  // oldest first
};

// Opens `path`, then the rotated files older than it and newer than the file with inode `after`
// (0: all of them). The live file is opened first, so every file written before it is among the
// rotated ones; the writer only moves rotated files to higher suffixes, so scanning upwards meets
// them newest first (a file that moves past the scan is met twice; its inode tells). A rotation
// in progress leaves one suffix missing for a moment: three missing in a row end the scan.
LogChain OpenChain(const std::string& path, ino_t after) {
  LogChain chain;
  int live_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (live_fd >= 0) chain.live = std::make_unique<Cursor>(live_fd);
  const ino_t live_ino = chain.live != nullptr ? chain.live->inode() : 0;
  std::vector<ino_t> seen;
  for (int i = 1, missing = 0; missing < 3; ++i) {
    int fd = ::open(absl::StrCat(path, ".", i).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ++missing;
      continue;
    }
    missing = 0;
    auto c = std::make_unique<Cursor>(fd);
    ino_t ino = c->inode();
    if (after != 0 && ino == after) break;
    if (live_ino != 0 && ino == live_ino) {
      // The live file was rotated after it was opened: what was met so far is newer than it.
      chain.older.clear();
      seen.clear();
      continue;
    }
    if (std::find(seen.begin(), seen.end(), ino) != seen.end()) continue;
    seen.push_back(ino);
    chain.older.push_back(std::move(c));
  }
  std::reverse(chain.older.begin(), chain.older.end());
  return chain;
}

}  // namespace

absl::Status ReadLogs(const std::string& path, const ReadOptions& options, const LogSink& sink) {
  if (options.follow && !options.still_running) {
    return absl::InvalidArgumentError("follow: still_running is required");
  }
  if (options.tail_lines && *options.tail_lines < 0) {
    return absl::InvalidArgumentError("tailLines: must be non-negative");
  }
  if (options.limit_bytes && *options.limit_bytes <= 0) {
    return absl::InvalidArgumentError("limitBytes: must be positive");
  }
  LogChain chain = OpenChain(path, 0);
  if (chain.live == nullptr && chain.older.empty()) {
    return absl::NotFoundError(absl::StrCat("log file ", path, " not found"));
  }
  Emitter em(options, sink);
  em.StartTail();
  auto feed = [&](std::string_view raw) { return em.Feed(raw); };
  // Reads a chain's rotated files to their ends and takes its live file; `last` becomes the
  // inode of the newest file read to its end when there is no live file.
  ino_t last = 0;
  std::unique_ptr<Cursor> live;
  auto take = [&](LogChain& c) {
    for (std::unique_ptr<Cursor>& f : c.older) {
      if (!f->Drain(feed)) return false;
      last = f->inode();
    }
    live = std::move(c.live);
    return true;
  };
  if (!take(chain)) return absl::OkStatus();
  if (live != nullptr && !live->Drain(feed)) return absl::OkStatus();
  if (!options.follow && !em.FlushPartial()) return absl::OkStatus();
  if (!em.EndTail()) return absl::OkStatus();
  if (!options.follow) return absl::OkStatus();
  Clock* clock = options.clock ? options.clock : Clock::Real();
  while (true) {
    bool running = options.still_running();
    if (live == nullptr) {
      LogChain next = OpenChain(path, last);
      if (!take(next)) return absl::OkStatus();
    }
    if (live != nullptr) {
      if (!live->Drain(feed)) return absl::OkStatus();
      ino_t now_ino = InodeOf(path);
      if (now_ino != 0 && now_ino != live->inode()) {
        // Rotated, perhaps several times since the last poll: nothing more is written to this
        // file; finish it, then continue with the files rotated after it.
        if (!live->Drain(feed)) return absl::OkStatus();
        last = live->inode();
        live.reset();
        continue;
      }
    }
    if (!running) {
      em.FlushPartial();
      return absl::OkStatus();
    }
    clock->SleepUntil(clock->Now() + options.poll_interval);
  }
}

absl::StatusOr<std::string> FindContainerLog(const std::string& pod_log_dir,
                                             const std::string& container, bool previous) {
  std::string dir = absl::StrCat(pod_log_dir, "/", container);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return absl::NotFoundError(absl::StrCat("no logs for container \"", container, "\""));
  }
  std::vector<int64_t> attempts;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.ends_with(".log")) continue;
    name.remove_suffix(4);
    int64_t n;
    if (absl::SimpleAtoi(absl::string_view(name.data(), name.size()), &n) && n >= 0) {
      attempts.push_back(n);
    }
  }
  ::closedir(d);
  std::sort(attempts.begin(), attempts.end());
  size_t want = previous ? 2 : 1;
  if (attempts.size() < want) {
    return absl::NotFoundError(
        absl::StrCat(previous ? "previous terminated container \"" : "container \"", container,
                     "\" has no log", previous ? " (no earlier attempt)" : ""));
  }
  return absl::StrCat(dir, "/", attempts[attempts.size() - want], ".log");
}

}  // namespace rudder::runtime::logs
