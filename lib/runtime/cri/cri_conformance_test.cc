// The runtime conformance suite (lib/runtime/testing/runtime_conformance.h) run on the CRI
// client against a private containerd, once on the host network and once on the pod network.
#include "lib/runtime/cri/cri_client.h"
#include "lib/runtime/testing/busybox_image.h"
#include "lib/runtime/testing/containerd.h"
#include "lib/runtime/testing/runtime_conformance.h"

namespace rudder::runtime::testing {
namespace {

// One containerd for the whole binary; stopped (and cleaned up) at exit.
absl::StatusOr<RuntimeInstance> StartCri() {
  static absl::StatusOr<std::shared_ptr<Containerd>>* containerd = [] {
    auto started = Containerd::Start({});
    if (!started.ok()) return new absl::StatusOr<std::shared_ptr<Containerd>>(started.status());
    return new absl::StatusOr<std::shared_ptr<Containerd>>(std::move(*started));
  }();
  static const int cleanup = std::atexit([] { delete containerd; });
  (void)cleanup;
  if (!containerd->ok()) return containerd->status();
  auto runtime = cri::NewCriRuntime({.endpoint = (**containerd)->Endpoint()});
  if (!runtime.ok()) return runtime.status();
  RuntimeInstance instance;
  instance.runtime = std::move(*runtime);
  instance.log_root = (**containerd)->LogDir();
  instance.keep_alive = **containerd;
  return instance;
}

INSTANTIATE_TEST_SUITE_P(Containerd, RuntimeConformanceTest,
                         ::testing::Values(RuntimeUnderTest{.name = "cri_host_network",
                                                            .start = StartCri,
                                                            .image = kBusyboxImage,
                                                            .runs_commands = true,
                                                            .host_network = true},
                                           RuntimeUnderTest{.name = "cri_pod_network",
                                                            .start = StartCri,
                                                            .image = kBusyboxImage,
                                                            .runs_commands = true,
                                                            .host_network = false}),
                         RuntimeUnderTestName);

}  // namespace
}  // namespace rudder::runtime::testing
