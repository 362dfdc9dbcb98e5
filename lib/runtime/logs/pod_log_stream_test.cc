#include "lib/runtime/logs/pod_log_stream.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace rudder::runtime::logs {
namespace {

std::string TempDir() {
  std::string t =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/plsXXXXXX");
  return mkdtemp(t.data());
}

TEST(PodLogStreamTest, MapsOptionsAndStreams) {
  std::string path = TempDir() + "/0.log";
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  LogWriterOptions wo;
  wo.clock = &clock;
  auto w = LogWriter::Open(path, wo);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE((*w)->Write(cri::LogStream::kStdout, absl::StrCat("l", i, "\n")).ok());
    clock.Advance(absl::Seconds(10));
  }
  apiserver::PodLogOptions o;
  o.since_seconds = 25;  // now is +40s: lines at +20 and +30
  auto s = OpenFileLogStream(path, o, &clock, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  std::string got;
  ASSERT_TRUE((*s)->Stream(
                      [&](std::string_view c) {
                        got.append(c);
                        return true;
                      },
                      [] { return false; })
                  .ok());
  EXPECT_EQ(got, "l2\nl3\n");
  EXPECT_EQ(OpenFileLogStream(path + ".x", o, &clock, nullptr).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(PodLogStreamTest, FollowEndsWhenCancelled) {
  std::string path = TempDir() + "/0.log";
  auto w = LogWriter::Open(path, {});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(cri::LogStream::kStdout, "a\n").ok());
  apiserver::PodLogOptions o;
  o.follow = true;
  auto s = OpenFileLogStream(path, o, nullptr, nullptr);
  ASSERT_TRUE(s.ok());
  std::string got;
  std::atomic<bool> cancel{false};
  ASSERT_TRUE((*s)->Stream(
                      [&](std::string_view c) {
                        got.append(c);
                        cancel = true;  // the client goes away after the first line
                        return true;
                      },
                      [&] { return cancel.load(); })
                  .ok());
  EXPECT_EQ(got, "a\n");
}

}  // namespace
}  // namespace rudder::runtime::logs
