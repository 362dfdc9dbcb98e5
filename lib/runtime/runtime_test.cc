#include "lib/runtime/runtime.h"

#include <type_traits>

#include "gtest/gtest.h"

namespace rudder::runtime {
namespace {

static_assert(std::is_abstract_v<RuntimeService>);
static_assert(std::is_abstract_v<ImageService>);
static_assert(std::is_base_of_v<RuntimeService, ContainerRuntime>);
static_assert(std::is_base_of_v<ImageService, ContainerRuntime>);

TEST(RuntimeTest, MessagesLiveInTheCriWirePackage) {
  // containerd routes calls by the full method name, which starts with the proto package.
  EXPECT_EQ(v1::PodSandboxConfig::descriptor()->full_name(), "runtime.v1.PodSandboxConfig");
  EXPECT_EQ(v1::RunPodSandboxRequest::descriptor()->file()->service(0)->full_name(),
            "runtime.v1.RuntimeService");
  EXPECT_EQ(v1::RunPodSandboxRequest::descriptor()->file()->service(1)->full_name(),
            "runtime.v1.ImageService");
}

TEST(RuntimeTest, FieldNumbersMatchCri) {
  // A few field numbers that are easy to get wrong because CRI added them out of order.
  auto* sc = v1::LinuxSandboxSecurityContext::descriptor();
  EXPECT_EQ(sc->FindFieldByName("run_as_group")->number(), 8);
  EXPECT_EQ(sc->FindFieldByName("supplemental_groups_policy")->number(), 11);
  auto* csc = v1::LinuxContainerSecurityContext::descriptor();
  EXPECT_EQ(csc->FindFieldByName("run_as_group")->number(), 12);
  EXPECT_EQ(csc->FindFieldByName("no_new_privs")->number(), 11);
  EXPECT_EQ(v1::ImageSpec::descriptor()->FindFieldByName("user_specified_image")->number(), 18);
  EXPECT_EQ(v1::ContainerStatus::descriptor()->FindFieldByName("log_path")->number(), 15);
  EXPECT_EQ(v1::ContainerConfig::descriptor()->FindFieldByName("linux")->number(), 15);
}

}  // namespace
}  // namespace rudder::runtime
