#include "lib/runtime/testing/busybox_image.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lib/runtime/testing/internal/subprocess.h"
#include "lib/runtime/testing/internal/tar_writer.h"

namespace rudder::runtime::testing {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// A stand-in for busybox so the test needs no package: any file will do for the archive.
std::string FakeBusybox() {
  std::string path = TempPath("fake-busybox");
  FILE* f = fopen(path.c_str(), "wb");
  fputs("#!/bin/sh\necho fake\n", f);
  fclose(f);
  return path;
}

std::string TarList(const std::string& tar_path) {
  auto r = internal::RunCommand({"/bin/tar", "-tvf", tar_path});
  if (!r.ok() || r->exit_code != 0) return "";
  return r->output;
}

TEST(TarWriterTest, GnuTarReadsItBack) {
  internal::TarWriter tar;
  ASSERT_TRUE(tar.AddDirectory("d", 0755).ok());
  ASSERT_TRUE(tar.AddFile("d/f", 0644, std::string(1000, 'x')).ok());
  ASSERT_TRUE(tar.AddSymlink("d/l", "f").ok());
  std::string archive = tar.Finish();
  EXPECT_EQ(archive.size() % 512, 0u);
  std::string path = TempPath("t.tar");
  FILE* f = fopen(path.c_str(), "wb");
  fwrite(archive.data(), 1, archive.size(), f);
  fclose(f);
  if (access("/bin/tar", X_OK) != 0) GTEST_SKIP() << "/bin/tar is not installed";
  std::string list = TarList(path);
  EXPECT_TRUE(absl::StrContains(list, "d/f")) << list;
  EXPECT_TRUE(absl::StrContains(list, "1000")) << list;
  EXPECT_TRUE(absl::StrContains(list, "d/l -> f")) << list;
}

TEST(TarWriterTest, RejectsAbsoluteAndLongNames) {
  internal::TarWriter tar;
  EXPECT_EQ(tar.AddFile("/etc/passwd", 0644, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tar.AddFile(std::string(120, 'a'), 0644, "").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BusyboxImageTest, LayoutHasIndexNamesAndBlobs) {
  BusyboxImageOptions options;
  options.busybox_path = FakeBusybox();
  options.names = {"rudder.local/busybox:test", "rudder.local/other:v1"};
  options.applets = {"sh", "sleep"};
  auto tar = BuildBusyboxImageTar(options);
  ASSERT_TRUE(tar.ok()) << tar.status();
  EXPECT_TRUE(
      absl::StrContains(*tar, "\"io.containerd.image.name\":\"rudder.local/busybox:test\""));
  EXPECT_TRUE(absl::StrContains(*tar, "\"io.containerd.image.name\":\"rudder.local/other:v1\""));
  EXPECT_TRUE(absl::StrContains(*tar, "\"org.opencontainers.image.ref.name\":\"v1\""));
  EXPECT_TRUE(absl::StrContains(*tar, "\"Cmd\":[\"sh\"]"));
  std::string path = TempPath("image.tar");
  ASSERT_TRUE(WriteBusyboxImageTar(options, path).ok());
  if (access("/bin/tar", X_OK) != 0) GTEST_SKIP() << "/bin/tar is not installed";
  std::string list = TarList(path);
  EXPECT_TRUE(absl::StrContains(list, "oci-layout")) << list;
  EXPECT_TRUE(absl::StrContains(list, "index.json")) << list;
  EXPECT_TRUE(absl::StrContains(list, "blobs/sha256/")) << list;
}

TEST(BusyboxImageTest, DeterministicForTheSameInput) {
  BusyboxImageOptions options;
  options.busybox_path = FakeBusybox();
  auto a = BuildBusyboxImageTar(options);
  auto b = BuildBusyboxImageTar(options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  options.cmd = {"sleep", "1"};
  auto c = BuildBusyboxImageTar(options);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*a, *c);
}

TEST(BusyboxImageTest, Errors) {
  BusyboxImageOptions options;
  options.busybox_path = "/nonexistent/busybox";
  EXPECT_EQ(BuildBusyboxImageTar(options).status().code(), absl::StatusCode::kNotFound);
  options.busybox_path = FakeBusybox();
  options.names = {};
  EXPECT_EQ(BuildBusyboxImageTar(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.names = {"localhost:5000/busybox"};
  EXPECT_EQ(BuildBusyboxImageTar(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::runtime::testing
