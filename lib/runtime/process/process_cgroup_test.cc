// The process runtime's cgroups as root: limits in the cgroup files, the process in the
// cgroup, the cgroup removed with the container. Runs outside Bazel's sandbox (tag no-sandbox)
// so that /sys/fs/cgroup is writable; skipped with a message when not root or not writable.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/runtime/process/process_runtime.h"

namespace rudder::runtime::process {
namespace {

constexpr absl::Duration kT = absl::Seconds(30);

std::string TempDir() {
  std::string t =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/cgroupXXXXXX");
  return mkdtemp(t.data());
}

}  // namespace
}  // namespace rudder::runtime::process

namespace rudder::runtime::process {
namespace {

std::string ReadAll(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  fclose(f);
  return out;
}

// The cgroup v1 path of `pid` in the hierarchy holding `controller` ("" if none).
std::string V1CgroupOf(int pid, const std::string& controller) {
  for (absl::string_view line :
       absl::StrSplit(ReadAll(absl::StrCat("/proc/", pid, "/cgroup")), '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() != 3) continue;
    for (absl::string_view c : absl::StrSplit(f[1], ',')) {
      if (c == controller) return f[2];
    }
  }
  return "";
}

// As root with cgroup v1 (or v2) writable: a container's cgroup carries its limits, holds its
// process, and is removed with the container.
TEST(ProcessRuntimeCgroupTest, LimitsAreAppliedAndTheCgroupIsRemoved) {
  if (geteuid() != 0) GTEST_SKIP() << "cgroup test skipped: not running as root";
  ProcessRuntimeOptions o;
  o.isolation = Isolation::kAuto;
  o.cgroup_parent = absl::StrCat("rudder-test-", getpid());
  absl::StatusOr<std::unique_ptr<ProcessRuntime>> rt = NewProcessRuntime(o);
  ASSERT_TRUE(rt.ok()) << rt.status();
  for (const std::string& line : (*rt)->IsolationReport()) {
    if (absl::StrContains(line, "cgroups skipped")) {
      GTEST_SKIP() << "cgroup test skipped: " << line;
    }
  }
  bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  std::string dir = TempDir();
  v1::RunPodSandboxRequest sreq;
  sreq.mutable_config()->mutable_metadata()->set_name("limited");
  sreq.mutable_config()->mutable_metadata()->set_namespace_("default");
  sreq.mutable_config()->mutable_metadata()->set_uid("uid-cgroup");
  sreq.mutable_config()->set_log_directory(dir);
  absl::StatusOr<v1::RunPodSandboxResponse> sb = (*rt)->RunPodSandbox(sreq, kT);
  ASSERT_TRUE(sb.ok()) << sb.status();
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(sb->pod_sandbox_id());
  v1::ContainerConfig* c = req.mutable_config();
  c->mutable_metadata()->set_name("app");
  c->mutable_image()->set_image("busybox");
  c->add_command("/bin/sh");
  c->add_args("-c");
  c->add_args("exec sleep 1000");
  c->set_log_path("app/0.log");
  auto* res = c->mutable_linux()->mutable_resources();
  res->set_cpu_period(100000);
  res->set_cpu_quota(50000);
  res->set_memory_limit_in_bytes(64 << 20);
  absl::StatusOr<v1::CreateContainerResponse> cr = (*rt)->CreateContainer(req, kT);
  ASSERT_TRUE(cr.ok()) << cr.status();
  v1::StartContainerRequest start;
  start.set_container_id(cr->container_id());
  ASSERT_TRUE((*rt)->StartContainer(start, kT).ok());
  absl::StatusOr<int> pid = (*rt)->ContainerPid(cr->container_id());
  ASSERT_TRUE(pid.ok()) << pid.status();

  std::vector<std::string> dirs;
  if (v2) {
    std::string rel = V1CgroupOf(*pid, "");  // v2: the "0::<path>" line
    for (absl::string_view line :
         absl::StrSplit(ReadAll(absl::StrCat("/proc/", *pid, "/cgroup")), '\n')) {
      if (absl::StartsWith(line, "0::")) rel = std::string(line.substr(3));
    }
    std::string d = "/sys/fs/cgroup" + rel;
    EXPECT_TRUE(absl::StrContains(rel, o.cgroup_parent)) << rel;
    EXPECT_EQ(ReadAll(d + "/memory.max"), "67108864\n");
    EXPECT_EQ(ReadAll(d + "/cpu.max"), "50000 100000\n");
    EXPECT_TRUE(absl::StrContains(ReadAll(d + "/cgroup.procs"), absl::StrCat(*pid, "\n")));
    dirs.push_back(d);
  } else {
    std::string mem = V1CgroupOf(*pid, "memory"), cpu = V1CgroupOf(*pid, "cpu");
    ASSERT_TRUE(absl::StrContains(mem, o.cgroup_parent)) << mem;
    ASSERT_TRUE(absl::StrContains(cpu, o.cgroup_parent)) << cpu;
    std::string md = "/sys/fs/cgroup/memory" + mem, cd = "/sys/fs/cgroup/cpu" + cpu;
    EXPECT_EQ(ReadAll(md + "/memory.limit_in_bytes"), "67108864\n");
    EXPECT_EQ(ReadAll(cd + "/cpu.cfs_quota_us"), "50000\n");
    EXPECT_EQ(ReadAll(cd + "/cpu.cfs_period_us"), "100000\n");
    EXPECT_TRUE(absl::StrContains(ReadAll(md + "/cgroup.procs"), absl::StrCat(*pid, "\n")));
    EXPECT_TRUE(absl::StrContains(ReadAll(cd + "/cgroup.procs"), absl::StrCat(*pid, "\n")));
    dirs = {md, cd};
  }
  for (const std::string& d : dirs) EXPECT_EQ(access(d.c_str(), F_OK), 0) << d;
  v1::StopContainerRequest stop;
  stop.set_container_id(cr->container_id());
  stop.set_timeout(5);
  ASSERT_TRUE((*rt)->StopContainer(stop, kT).ok());
  v1::RemoveContainerRequest rm;
  rm.set_container_id(cr->container_id());
  ASSERT_TRUE((*rt)->RemoveContainer(rm, kT).ok());
  for (const std::string& d : dirs) EXPECT_NE(access(d.c_str(), F_OK), 0) << d << " remains";
  rt->reset();
  // The parent made for this test goes too.
  for (const char* h : {"/sys/fs/cgroup/memory/", "/sys/fs/cgroup/cpu/", "/sys/fs/cgroup/"}) {
    rmdir(absl::StrCat(h, o.cgroup_parent).c_str());
  }
}

}  // namespace
}  // namespace rudder::runtime::process
