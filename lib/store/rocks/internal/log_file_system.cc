#include "lib/store/rocks/internal/log_file_system.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rudder::store_internal::rocks {

// A log's own descriptor (read-only: fdatasync works on any descriptor of the file) and its
// append and sync counters. Shared, so that a sync running while the log is closed still holds
// a valid descriptor.
struct LogFileSystem::Log {
  std::string path;
  int fd = -1;
  std::atomic<uint64_t> appended{0};  // Appends so far.
  std::atomic<uint64_t> synced{0};    // Appends known durable.

  ~Log() {
    if (fd >= 0) ::close(fd);
  }

  // Syncs if anything appended is not yet durable.
  absl::Status Sync() {
    const uint64_t upto = appended.load(std::memory_order_acquire);
    if (synced.load(std::memory_order_acquire) >= upto) return absl::OkStatus();
    if (::fdatasync(fd) != 0) {
      return absl::UnavailableError(
          absl::StrCat("rocks store: syncing ", path, ": ", std::strerror(errno)));
    }
    uint64_t s = synced.load(std::memory_order_relaxed);
    while (s < upto && !synced.compare_exchange_weak(s, upto, std::memory_order_acq_rel)) {
    }
    return absl::OkStatus();
  }
};

// A log file: counts appends and syncs itself before closing if needed.
class LogFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  LogFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<LogFileSystem::Log> log,
          LogFileSystem* fs)
      : FSWritableFileOwnerWrapper(std::move(file)), log_(std::move(log)), fs_(fs) {}

  // Destroyed without Close (RocksDB closes its files first): still sync what was appended.
  ~LogFile() override {
    if (fs_ != nullptr) log_->Sync().IgnoreError();
    Unregister();
  }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) log_->appended.fetch_add(1, std::memory_order_acq_rel);
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->Append(data, options, info, dbg);
    if (s.ok()) log_->appended.fetch_add(1, std::memory_order_acq_rel);
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) log_->appended.fetch_add(1, std::memory_order_acq_rel);
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->PositionedAppend(data, offset, options, info, dbg);
    if (s.ok()) log_->appended.fetch_add(1, std::memory_order_acq_rel);
    return s;
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    // Whatever was appended must be durable before the log leaves SyncLogs' view.
    absl::Status synced = log_->Sync();
    rocksdb::IOStatus s = target()->Close(options, dbg);
    Unregister();
    if (!synced.ok()) return rocksdb::IOStatus::IOError(std::string(synced.message()));
    return s;
  }

 private:
  void Unregister() {
    if (fs_ != nullptr) fs_->Remove(log_.get());
    fs_ = nullptr;
  }

  std::shared_ptr<LogFileSystem::Log> log_;
  LogFileSystem* fs_;
};

LogFileSystem::LogFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

LogFileSystem::~LogFileSystem() = default;

rocksdb::FileOptions LogFileSystem::OptimizeForLogWrite(
    const rocksdb::FileOptions& file_options, const rocksdb::DBOptions& db_options) const {
  rocksdb::FileOptions o = target()->OptimizeForLogWrite(file_options, db_options);
  o.fallocate_with_keep_size = false;
  return o;
}

rocksdb::IOStatus LogFileSystem::NewWritableFile(const std::string& fname,
                                                 const rocksdb::FileOptions& options,
                                                 std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                 rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
  if (!s.ok() || !absl::EndsWith(fname, ".log")) return s;
  auto log = std::make_shared<Log>();
  log->path = fname;
  log->fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC);
  if (log->fd < 0) {
    result->reset();
    return rocksdb::IOStatus::IOError(absl::StrCat("opening ", fname, ": ", std::strerror(errno)));
  }
  Add(log);
  *result = std::make_unique<LogFile>(std::move(*result), std::move(log), this);
  return s;
}

void LogFileSystem::Add(const std::shared_ptr<Log>& log) {
  MutexLock lock(&mu_);
  logs_.push_back(log);
}

void LogFileSystem::Remove(const Log* log) {
  MutexLock lock(&mu_);
  for (size_t i = 0; i < logs_.size(); ++i) {
    if (logs_[i].get() == log) {
      logs_.erase(logs_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

absl::Status LogFileSystem::SyncLogs() {
  std::vector<std::shared_ptr<Log>> logs;
  {
    MutexLock lock(&mu_);
    logs = logs_;
  }
  for (const std::shared_ptr<Log>& log : logs) {
    absl::Status s = log->Sync();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace rudder::store_internal::rocks
