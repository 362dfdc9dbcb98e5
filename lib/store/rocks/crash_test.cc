// Crash test: a child process writes with several threads and reports every acknowledged write
// over a pipe; the parent kills it with SIGKILL at random moments, reopens the store and checks
// that every acknowledged write is there, with its value and revision, and that the revisions
// are contiguous from 2 (the first write) to the current one.
//
// The child is this binary re-executed with --crash_child_dir=DIR --crash_child_fd=N.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/store/rocks/rocks_store.h"

namespace rudder::store {
namespace {

namespace fs = std::filesystem;

constexpr int kWriterThreads = 4;

void Report(int fd, const std::string& line) {
  // Lines are shorter than PIPE_BUF, so each write is atomic.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(3);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// The child: writes forever until killed.
int RunChild(const std::string& dir, int fd) {
  RocksStoreOptions o;
  o.dir = dir;
  auto store = OpenRocksStore(o);
  if (!store.ok()) {
    std::fprintf(stderr, "child: open failed: %s\n", store.status().ToString().c_str());
    return 2;
  }
  Store* s = store->get();
  std::vector<std::thread> threads;
  const int pid = ::getpid();
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back([s, fd, t, pid] {
      for (int i = 0;; ++i) {
        if (t == 0) {
          // Conditional writer: compare-and-swap increments of one counter.
          auto cur = s->Get("counter");
          if (!cur.ok()) std::_Exit(4);
          int64_t n = 0;
          int64_t mod = 0;
          if (cur->has_value()) {
            if (!absl::SimpleAtoi((*cur)->value, &n)) std::_Exit(5);
            mod = (*cur)->mod_revision;
          }
          TxnRequest req;
          req.compares.push_back(Compare::ModRevision("counter", Compare::Op::kEqual, mod));
          req.success.push_back(TxnOp::Put("counter", absl::StrCat(n + 1)));
          auto r = s->Txn(req);
          if (!r.ok()) std::_Exit(6);
          if (r->succeeded) Report(fd, absl::StrCat("C ", r->revision, " ", n + 1, "\n"));
          continue;
        }
        std::string key = absl::StrCat("k/", pid, "/", t, "/", i);
        std::string value = absl::StrCat("v", i * 7919 + t, "-", std::string(i % 50, 'x'));
        auto r = s->Put(key, value);
        if (!r.ok()) std::_Exit(7);
        Report(fd, absl::StrCat("P ", *r, " ", key, " ", value, "\n"));
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}

struct Acked {
  int64_t rev;
  std::string value;
};

TEST(RocksStoreCrashTest, AcknowledgedWritesSurviveKill9) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = (fs::path(tmp ? tmp : "/tmp") / "rocks_crash").string();
  fs::remove_all(dir);
  std::string self = fs::read_symlink("/proc/self/exe").string();

  std::map<std::string, Acked> puts;      // key -> acknowledged write
  std::map<int64_t, int64_t> counter_at;  // revision -> acknowledged counter value
  std::mt19937 rng(12345);
  constexpr int kRounds = 20;
  int64_t last_rev = 1;
  int preallocated_tails = 0;  // Rounds that left a preallocated log ending in zeros.
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      std::string a1 = absl::StrCat("--crash_child_dir=", dir);
      std::string a2 = absl::StrCat("--crash_child_fd=", fds[1]);
      char* argv[] = {self.data(), a1.data(), a2.data(), nullptr};
      ::execv(self.c_str(), argv);
      std::_Exit(127);
    }
    ::close(fds[1]);
    // Read acknowledgements until a random moment, then SIGKILL.
    absl::Time kill_at = absl::Now() + absl::Milliseconds(50 + rng() % 600);
    std::string buf;
    bool killed = false;
    while (true) {
      int wait_ms =
          killed ? 1000 : std::max<int64_t>(0, absl::ToInt64Milliseconds(kill_at - absl::Now()));
      pollfd p{fds[0], POLLIN, 0};
      int pr = ::poll(&p, 1, wait_ms);
      if (pr > 0) {
        char chunk[65536];
        ssize_t n = ::read(fds[0], chunk, sizeof chunk);
        if (n > 0) {
          buf.append(chunk, static_cast<size_t>(n));
          continue;
        }
        if (n == 0) break;  // EOF: the child is gone.
        if (errno == EINTR) continue;
        FAIL() << "read: " << std::strerror(errno);
      }
      if (!killed && absl::Now() >= kill_at) {
        ::kill(pid, SIGKILL);
        killed = true;
      }
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child exited by itself with status " << status << " in round " << round;

    // Only complete lines count: a line cut by the kill was never fully reported.
    size_t end = buf.rfind('\n');
    buf.resize(end == std::string::npos ? 0 : end);
    int64_t round_acks = 0;
    for (absl::string_view line : absl::StrSplit(buf, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      int64_t rev = 0;
      ASSERT_TRUE(f.size() >= 3 && absl::SimpleAtoi(f[1], &rev)) << line;
      if (f[0] == "P") {
        ASSERT_EQ(f.size(), 4u) << line;
        puts[f[2]] = Acked{rev, f[3]};
      } else {
        int64_t v = 0;
        ASSERT_TRUE(absl::SimpleAtoi(f[2], &v)) << line;
        counter_at[rev] = v;
      }
      ++round_acks;
    }

    // The live write-ahead log is preallocated in full: recovery must read past its content
    // into the zeros behind it.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".log" && entry.file_size(ec) >= (8u << 20)) {
        ++preallocated_tails;
        break;
      }
    }

    RocksStoreOptions o;
    o.dir = dir;
    o.watch_history_events = 0;  // Replay everything from disk.
    auto opened = OpenRocksStore(o);
    ASSERT_TRUE(opened.ok()) << "round " << round << ": " << opened.status();
    Store* s = opened->get();
    int64_t current = *s->CurrentRevision();
    ASSERT_GE(current, last_rev) << "round " << round;
    last_rev = current;
    for (const auto& [key, acked] : puts) {
      auto kv = s->Get(key);
      ASSERT_TRUE(kv.ok()) << kv.status();
      ASSERT_TRUE(kv->has_value()) << "round " << round << ": lost " << key << " @" << acked.rev;
      ASSERT_EQ((*kv)->value, acked.value) << key;
      ASSERT_EQ((*kv)->mod_revision, acked.rev) << key;
    }
    for (const auto& [rev, value] : counter_at) {
      auto kv = s->Get("counter", rev);
      ASSERT_TRUE(kv.ok() && kv->has_value()) << "counter @" << rev;
      ASSERT_EQ((*kv)->value, absl::StrCat(value)) << "counter @" << rev;
      ASSERT_EQ((*kv)->mod_revision, rev);
    }
    // Every revision from 2 to current has at least one event; none beyond it.
    WatchOptions wo;
    wo.start_revision = 1;
    wo.max_buffered_events = 1 << 30;
    auto w = s->Watch(KeyRange::Prefix(""), wo);
    ASSERT_TRUE(w.ok()) << w.status();
    int64_t expect = 2;
    while (expect <= current) {
      auto r = (*w)->Next(absl::Seconds(30));
      ASSERT_TRUE(r.has_value() && r->status.ok()) << "round " << round;
      for (const WatchEvent& e : r->events) {
        int64_t rev = e.kv.mod_revision;
        ASSERT_TRUE(rev == expect || rev == expect - 1)
            << "round " << round << ": revision " << rev << " after " << expect - 1;
        if (rev == expect) ++expect;
      }
    }
    std::printf("round %d: %lld acknowledged, revision %lld\n", round,
                static_cast<long long>(round_acks), static_cast<long long>(current));
  }
  EXPECT_GT(puts.size(), 0u);
  // Kills land at random moments (some before the first write): at least one must have left a
  // live, preallocated log for recovery to read through.
  std::printf("%d of %d kills left a preallocated log\n", preallocated_tails, kRounds);
  EXPECT_GT(preallocated_tails, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rudder::store

int main(int argc, char** argv) {
  std::string dir;
  int fd = -1;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--crash_child_dir=")) dir = std::string(a);
    if (absl::ConsumePrefix(&a, "--crash_child_fd=") && !absl::SimpleAtoi(a, &fd)) return 2;
  }
  if (!dir.empty()) return rudder::store::RunChild(dir, fd);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
