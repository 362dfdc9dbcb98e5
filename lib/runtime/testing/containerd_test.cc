// The harness itself: it starts containerd, and its destructor leaves nothing behind even when
// pods are still running. Skips, with the reason, where the machine cannot run containerd.
#include "lib/runtime/testing/containerd.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lib/runtime/cri/cri_client.h"
#include "lib/runtime/testing/busybox_image.h"

namespace rudder::runtime::testing {
namespace {

constexpr absl::Duration kCall = absl::Seconds(60);

std::string Mountinfo() {
  std::ifstream in("/proc/self/mountinfo");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ContainerdTest, DestructorRemovesRunningPodsMountsBridgeAndDirectory) {
  for (const char* snapshotter : {"overlayfs", "native"}) {
    SCOPED_TRACE(snapshotter);
    ContainerdOptions options;
    options.snapshotter = snapshotter;
    auto started = Containerd::Start(options);
    if (absl::IsUnavailable(started.status())) {
      GTEST_SKIP() << "this machine cannot run containerd: " << started.status();
    }
    ASSERT_TRUE(started.ok()) << started.status();
    std::unique_ptr<Containerd> containerd = std::move(*started);
    const std::string dir = containerd->dir();
    const std::string bridge = containerd->bridge();
    EXPECT_EQ(containerd->Endpoint(), "unix://" + dir + "/containerd.sock");

    auto runtime = cri::NewCriRuntime({.endpoint = containerd->Endpoint()});
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    v1::ImageStatusRequest image;
    image.mutable_image()->set_image(kPauseImage);
    auto pause = (*runtime)->ImageStatus(image, kCall);
    ASSERT_TRUE(pause.ok()) << pause.status();
    EXPECT_TRUE(pause->has_image());

    // A pod on the bridge network with a running container, left running on purpose.
    v1::RunPodSandboxRequest run;
    run.mutable_config()->mutable_metadata()->set_name("left-running");
    run.mutable_config()->mutable_metadata()->set_namespace_("default");
    run.mutable_config()->mutable_metadata()->set_uid("uid-left-running");
    run.mutable_config()->set_log_directory(containerd->LogDir() + "/left-running");
    auto sandbox = (*runtime)->RunPodSandbox(run, kCall);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status() << "\n" << containerd->LogTail();
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(sandbox->pod_sandbox_id());
    *create.mutable_sandbox_config() = run.config();
    create.mutable_config()->mutable_metadata()->set_name("sleeper");
    create.mutable_config()->mutable_image()->set_image(kBusyboxImage);
    create.mutable_config()->add_command("sleep");
    create.mutable_config()->add_args("1000");
    create.mutable_config()->set_log_path("sleeper/0.log");
    auto container = (*runtime)->CreateContainer(create, kCall);
    ASSERT_TRUE(container.ok()) << container.status();
    v1::StartContainerRequest start;
    start.set_container_id(container->container_id());
    ASSERT_TRUE((*runtime)->StartContainer(start, kCall).ok());
    EXPECT_TRUE(absl::StrContains(Mountinfo(), dir + "/")) << "the pod's mounts live in " << dir;
    EXPECT_EQ(access(("/sys/class/net/" + bridge).c_str(), F_OK), 0) << "bridge " << bridge;

    runtime->reset();
    containerd.reset();
    EXPECT_FALSE(absl::StrContains(Mountinfo(), dir + "/")) << Mountinfo();
    EXPECT_NE(access(dir.c_str(), F_OK), 0) << dir << " still exists";
    EXPECT_NE(access(("/sys/class/net/" + bridge).c_str(), F_OK), 0) << bridge << " still exists";
  }
}

TEST(ContainerdTest, MissingBinaryIsUnavailable) {
  ContainerdOptions options;
  options.containerd_binary = "/nonexistent/containerd";
  auto started = Containerd::Start(options);
  ASSERT_FALSE(started.ok());
  if (geteuid() == 0) {
    EXPECT_TRUE(absl::StrContains(started.status().message(), "apt-get install"))
        << started.status();
  }
  EXPECT_EQ(started.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rudder::runtime::testing
