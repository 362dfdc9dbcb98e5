#include "lib/runtime/logs/logs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"

namespace rudder::runtime::logs {
namespace {

using cri::LogStream;

std::string TempDir() {
  std::string t =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/logsXXXXXX");
  return mkdtemp(t.data());
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string ReadAll(const std::string& path, const ReadOptions& o, absl::Status* st = nullptr) {
  std::string out;
  absl::Status s = ReadLogs(path, o, [&](std::string_view c) {
    out.append(c);
    return true;
  });
  if (st) *st = s;
  return out;
}

TEST(LogWriterTest, WritesCompleteLinesAndHoldsPartialOnes) {
  std::string dir = TempDir();
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  LogWriterOptions o;
  o.clock = &clock;
  auto w = LogWriter::Open(dir + "/0.log", o);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Write(LogStream::kStdout, "hello\nwor").ok());
  ASSERT_TRUE((*w)->Write(LogStream::kStderr, "oops\n").ok());
  ASSERT_TRUE((*w)->Write(LogStream::kStdout, "ld\ntail").ok());
  ASSERT_TRUE((*w)->Flush().ok());
  EXPECT_EQ(Slurp(dir + "/0.log"),
            "2023-11-14T22:13:20Z stdout F hello\n"
            "2023-11-14T22:13:20Z stderr F oops\n"
            "2023-11-14T22:13:20Z stdout F world\n"
            "2023-11-14T22:13:20Z stdout P tail\n");
}

TEST(LogWriterTest, SplitsLongLinesIntoPartialRecords) {
  std::string dir = TempDir();
  LogWriterOptions o;
  o.max_line_bytes = 4;
  auto w = LogWriter::Open(dir + "/0.log", o);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(LogStream::kStdout, "abcdefghij\n").ok());
  std::string all = Slurp(dir + "/0.log");
  EXPECT_NE(all.find(" stdout P abcd\n"), std::string::npos);
  EXPECT_NE(all.find(" stdout P efgh\n"), std::string::npos);
  EXPECT_NE(all.find(" stdout F ij\n"), std::string::npos);
  EXPECT_EQ(ReadAll(dir + "/0.log", {}), "abcdefghij\n");
}

TEST(LogWriterTest, RotatesBySizeAndKeepsMaxFiles) {
  std::string dir = TempDir();
  std::string path = dir + "/0.log";
  LogWriterOptions o;
  o.max_bytes = 100;  // about two records each
  o.max_files = 3;
  auto w = LogWriter::Open(path, o);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*w)->Write(LogStream::kStdout, absl::StrCat("line ", i, "\n")).ok());
  }
  EXPECT_EQ(access((path + ".1").c_str(), F_OK), 0);
  EXPECT_EQ(access((path + ".2").c_str(), F_OK), 0);
  EXPECT_NE(access((path + ".3").c_str(), F_OK), 0);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 100);
  EXPECT_EQ(RotatedFiles(path).size(), 3u);
  // The kept files hold the newest lines, in order, ending with the last.
  std::string all = ReadAll(path, {});
  EXPECT_EQ(all.substr(all.size() - 8), "line 19\n");
  EXPECT_EQ(all.find("line 0\n"), std::string::npos);
  size_t a = all.find("line 17\n"), b = all.find("line 18\n");
  EXPECT_LT(a, b);
}

TEST(ReadLogsTest, TailSinceTimestampsAndLimit) {
  std::string dir = TempDir();
  std::string path = dir + "/0.log";
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  LogWriterOptions o;
  o.clock = &clock;
  auto w = LogWriter::Open(path, o);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*w)->Write(LogStream::kStdout, absl::StrCat("l", i, "\n")).ok());
    clock.Advance(absl::Seconds(1));
  }
  ReadOptions tail;
  tail.tail_lines = 2;
  EXPECT_EQ(ReadAll(path, tail), "l3\nl4\n");
  tail.tail_lines = 0;
  EXPECT_EQ(ReadAll(path, tail), "");
  ReadOptions since;
  since.since = absl::FromUnixSeconds(1700000003);
  EXPECT_EQ(ReadAll(path, since), "l3\nl4\n");
  ReadOptions ts;
  ts.tail_lines = 1;
  ts.timestamps = true;
  EXPECT_EQ(ReadAll(path, ts), "2023-11-14T22:13:24Z l4\n");
  ReadOptions lim;
  lim.limit_bytes = 5;
  EXPECT_EQ(ReadAll(path, lim), "l0\nl1");
}

TEST(ReadLogsTest, Errors) {
  std::string dir = TempDir();
  absl::Status st;
  ReadAll(dir + "/none.log", {}, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  ReadOptions f;
  f.follow = true;
  { std::ofstream(dir + "/x.log") << ""; }
  ReadAll(dir + "/x.log", f, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  ReadOptions neg;
  neg.tail_lines = -1;
  ReadAll(dir + "/x.log", neg, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReadLogsTest, SkipsMalformedLines) {
  std::string dir = TempDir();
  { std::ofstream(dir + "/0.log") << "garbage\n2023-11-14T22:13:20Z stdout F ok\n"; }
  EXPECT_EQ(ReadAll(dir + "/0.log", {}), "ok\n");
}

// A writer of `path` that rotates at every record, keeping `max_files` files.
absl::StatusOr<std::unique_ptr<LogWriter>> OneRecordPerFile(const std::string& path,
                                                            int max_files) {
  LogWriterOptions o;
  o.max_bytes = 80;
  o.max_files = max_files;
  return LogWriter::Open(path, o);
}

// Follows `path` on a thread (ReadLogs with follow) until Stop(); WaitFor blocks until the text
// read so far contains `s`.
class Follower {
 public:
  Follower(const std::string& path, absl::Duration poll) {
    ReadOptions f;
    f.follow = true;
    f.poll_interval = poll;
    f.still_running = [this] { return running_.load(); };
    reader_ = std::thread([this, path, f] {
      status_ = ReadLogs(path, f, [this](std::string_view c) {
        MutexLock l(&mu_);
        got_.append(c);
        cv_.SignalAll();
        return true;
      });
    });
  }
  ~Follower() {
    running_ = false;
    if (reader_.joinable()) reader_.join();
  }
  void WaitFor(const std::string& s) {
    MutexLock l(&mu_);
    while (got_.find(s) == std::string::npos) cv_.Wait(&mu_);
  }
  // Ends the follow and returns everything read.
  std::string Stop() {
    running_ = false;
    reader_.join();
    EXPECT_TRUE(status_.ok()) << status_;
    MutexLock l(&mu_);
    return got_;
  }

 private:
  std::atomic<bool> running_{true};
  Mutex mu_;
  CondVar cv_;
  std::string got_ ABSL_GUARDED_BY(mu_);
  absl::Status status_;
  std::thread reader_;
};

TEST(ReadLogsTest, FollowSeesNewLinesAcrossRotationUntilStopped) {
  std::string path = TempDir() + "/0.log";
  auto w = OneRecordPerFile(path, 20);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(LogStream::kStdout, "first\n").ok());
  Follower follower(path, absl::Milliseconds(5));
  follower.WaitFor("first\n");
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*w)->Write(LogStream::kStdout, absl::StrCat("more ", i, "\n")).ok());
  }
  follower.WaitFor("more 5\n");
  EXPECT_EQ(follower.Stop(), "first\nmore 0\nmore 1\nmore 2\nmore 3\nmore 4\nmore 5\n");
}

// Many rotations between two polls, and rotations while the follower is moving to the new live
// file: every line still arrives once, in order (nothing is deleted: max_files is large).
TEST(ReadLogsTest, FollowLosesNoLineUnderRapidRotation) {
  std::string path = TempDir() + "/0.log";
  auto w = OneRecordPerFile(path, 400);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(LogStream::kStdout, "line 0\n").ok());
  Follower follower(path, absl::Microseconds(200));
  std::string want = "line 0\n";
  for (int i = 1; i < 300; ++i) {
    std::string line = absl::StrCat("line ", i, "\n");
    ASSERT_TRUE((*w)->Write(LogStream::kStdout, line).ok());
    want += line;
  }
  follower.WaitFor("line 299\n");
  EXPECT_EQ(follower.Stop(), want);
}

TEST(FindContainerLogTest, LatestAndPrevious) {
  std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/app").c_str(), 0755), 0);
  { std::ofstream(dir + "/app/0.log") << ""; }
  auto latest = FindContainerLog(dir, "app", false);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, dir + "/app/0.log");
  EXPECT_EQ(FindContainerLog(dir, "app", true).status().code(), absl::StatusCode::kNotFound);
  { std::ofstream(dir + "/app/10.log") << ""; }
  { std::ofstream(dir + "/app/2.log") << ""; }
  EXPECT_EQ(*FindContainerLog(dir, "app", false), dir + "/app/10.log");
  EXPECT_EQ(*FindContainerLog(dir, "app", true), dir + "/app/2.log");
  EXPECT_EQ(FindContainerLog(dir, "db", false).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rudder::runtime::logs
