// The file system RocksStore runs RocksDB on: the default one, with two changes for its
// write-ahead logs (files ending in ".log"):
//  - Logs are preallocated in full (the file's size includes the preallocated space) instead of
//    growing with each append, so an append changes neither the file's size nor (beyond the
//    first write into each block) its extent map, and the fdatasync that follows flushes data
//    instead of also journaling the inode. A log closed normally is trimmed to its content; a
//    log cut short by a crash ends in zeros, which recovery reads as the end of the log.
//  - The store syncs the logs itself (SyncLogs) instead of through RocksDB's SyncWAL, which runs
//    one sync at a time: several syncs may run at once, each covering everything appended to any
//    log before it started. A log with unsynced appends is synced before it is closed.
#ifndef RUDDER_LIB_STORE_ROCKS_INTERNAL_LOG_FILE_SYSTEM_H_
#define RUDDER_LIB_STORE_ROCKS_INTERNAL_LOG_FILE_SYSTEM_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/mutex.h"
#include "rocksdb/file_system.h"

namespace rudder::store_internal::rocks {

// See the file comment. One per store (it tracks that store's open logs); must outlive the
// RocksDB database using it. Thread-safe.
class LogFileSystem : public rocksdb::FileSystemWrapper {
 public:
  LogFileSystem();
  ~LogFileSystem() override;

  const char* Name() const override { return "rudder.LogFileSystem"; }
  rocksdb::FileOptions OptimizeForLogWrite(const rocksdb::FileOptions& file_options,
                                           const rocksdb::DBOptions& db_options) const override;
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;

  // fdatasyncs every open log that has appends not yet synced. Everything appended to any log
  // before the call is durable when it returns OK. May run on several threads at once.
  absl::Status SyncLogs();

  // One open log (internal; shared with the file objects).
  struct Log;

 private:
  friend class LogFile;
  void Add(const std::shared_ptr<Log>& log);
  void Remove(const Log* log);

  Mutex mu_;
  std::vector<std::shared_ptr<Log>> logs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::store_internal::rocks

#endif  // RUDDER_LIB_STORE_ROCKS_INTERNAL_LOG_FILE_SYSTEM_H_
