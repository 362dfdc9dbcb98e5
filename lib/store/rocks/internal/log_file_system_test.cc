#include "lib/store/rocks/internal/log_file_system.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace rudder::store_internal::rocks {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  fs::path p = fs::path(t ? t : "/tmp") / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::unique_ptr<rocksdb::FSWritableFile> NewLog(LogFileSystem* lfs, const std::string& path) {
  rocksdb::FileOptions o = lfs->OptimizeForLogWrite(rocksdb::FileOptions(), rocksdb::DBOptions());
  std::unique_ptr<rocksdb::FSWritableFile> f;
  EXPECT_TRUE(lfs->NewWritableFile(path, o, &f, nullptr).ok());
  return f;
}

TEST(LogFileSystemTest, LogsArePreallocatedInFullAndTrimmedOnClose) {
  LogFileSystem lfs;
  const std::string path = TempDir("prealloc") + "/000001.log";
  std::unique_ptr<rocksdb::FSWritableFile> f = NewLog(&lfs, path);
  ASSERT_NE(f, nullptr);
  f->SetPreallocationBlockSize(1 << 20);
  f->PrepareWrite(0, 3, rocksdb::IOOptions(), nullptr);
  ASSERT_TRUE(f->Append("abc", rocksdb::IOOptions(), nullptr).ok());
  // The file's size covers the preallocated block, not only what was appended.
  EXPECT_GE(fs::file_size(path), 1u << 20);
  EXPECT_TRUE(lfs.SyncLogs().ok());
  ASSERT_TRUE(f->Close(rocksdb::IOOptions(), nullptr).ok());
  EXPECT_EQ(fs::file_size(path), 3u);
}

TEST(LogFileSystemTest, SyncLogsCoversEveryOpenLogAndRunsConcurrently) {
  LogFileSystem lfs;
  const std::string dir = TempDir("sync");
  std::unique_ptr<rocksdb::FSWritableFile> a = NewLog(&lfs, dir + "/000001.log");
  std::unique_ptr<rocksdb::FSWritableFile> b = NewLog(&lfs, dir + "/000002.log");
  ASSERT_TRUE(a->Append("a", rocksdb::IOOptions(), nullptr).ok());
  ASSERT_TRUE(b->Append("b", rocksdb::IOOptions(), nullptr).ok());
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { EXPECT_TRUE(lfs.SyncLogs().ok()); });
  }
  // Closing a log while syncs run is safe: it syncs itself and leaves the set.
  ASSERT_TRUE(a->Close(rocksdb::IOOptions(), nullptr).ok());
  a.reset();
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(b->Close(rocksdb::IOOptions(), nullptr).ok());
  EXPECT_TRUE(lfs.SyncLogs().ok());
}

TEST(LogFileSystemTest, OtherFilesAreNotPreallocated) {
  LogFileSystem lfs;
  const std::string path = TempDir("other") + "/MANIFEST-000001";
  std::unique_ptr<rocksdb::FSWritableFile> f;
  rocksdb::FileOptions o;
  ASSERT_TRUE(lfs.NewWritableFile(path, o, &f, nullptr).ok());
  f->SetPreallocationBlockSize(1 << 20);
  f->PrepareWrite(0, 3, rocksdb::IOOptions(), nullptr);
  ASSERT_TRUE(f->Append("abc", rocksdb::IOOptions(), nullptr).ok());
  EXPECT_LT(fs::file_size(path), 1u << 20);
  ASSERT_TRUE(f->Close(rocksdb::IOOptions(), nullptr).ok());
}

}  // namespace
}  // namespace rudder::store_internal::rocks
