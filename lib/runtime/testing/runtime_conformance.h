// A conformance suite for implementations of lib/runtime/runtime.h: the behaviour the node
// agent relies on, checked the same way for every runtime (the CRI client against containerd,
// the process runtime, the simulated runtime).
//
// Use: link //lib/runtime/testing:runtime_conformance into a test and instantiate the
// parameterised suite with one or more RuntimeUnderTest values:
//
//   INSTANTIATE_TEST_SUITE_P(Process, RuntimeConformanceTest,
//       ::testing::Values(RuntimeUnderTest{
//           .name = "process",
//           .start = [] { return StartMyRuntime(); },
//           .image = "busybox",
//           .runs_commands = true}),
//       RuntimeUnderTestName);
//
// Each test calls `start` once; when it returns Unavailable the test is skipped with its
// message (e.g. no root, no containerd). Sandboxes use fresh names and are removed at the end
// of every test.
#ifndef RUDDER_LIB_RUNTIME_TESTING_RUNTIME_CONFORMANCE_H_
#define RUDDER_LIB_RUNTIME_TESTING_RUNTIME_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::testing {

// A started runtime and whatever must outlive it (a containerd, a temp directory).
struct RuntimeInstance {
  std::shared_ptr<ContainerRuntime> runtime;
  // Directory under which tests put pods' log directories; must exist and be writable.
  std::string log_root;
  // Released after `runtime`.
  std::shared_ptr<void> keep_alive;
};

// One runtime to check.
struct RuntimeUnderTest {
  // Used in test names: letters, digits and '_' only.
  std::string name;
  // Starts (or returns a shared) runtime. Unavailable skips the tests.
  std::function<absl::StatusOr<RuntimeInstance>()> start;
  // An image the runtime can run without pulling, with /bin/sh, sleep and echo when
  // `runs_commands`.
  std::string image;
  // Whether containers run their commands: exit codes, ExecSync and log output are checked
  // only then (the simulated runtime runs nothing).
  bool runs_commands = true;
  // Whether sandboxes are put on the host network (NamespaceOption.network = NODE, no
  // hostname), for runtimes without a pod network in the test environment.
  bool host_network = true;
};

// Prints the name (gtest uses it in failure messages).
void PrintTo(const RuntimeUnderTest& runtime, std::ostream* os);

// gtest's name generator for INSTANTIATE_TEST_SUITE_P.
std::string RuntimeUnderTestName(const ::testing::TestParamInfo<RuntimeUnderTest>& info);

// The suite. Its tests are defined in runtime_conformance.cc.
class RuntimeConformanceTest : public ::testing::TestWithParam<RuntimeUnderTest> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A sandbox config with a fresh name derived from `name`.
  v1::PodSandboxConfig SandboxConfig(const std::string& name);
  // Runs a sandbox and remembers it for TearDown. Fails the test on error.
  std::string RunSandbox(const v1::PodSandboxConfig& config);
  // Creates a container of GetParam().image running `/bin/sh -c script`, logging to
  // "<name>/0.log" in the sandbox's log directory.
  absl::StatusOr<std::string> CreateContainer(const std::string& sandbox_id,
                                              const v1::PodSandboxConfig& sandbox,
                                              const std::string& name, const std::string& script);
  absl::StatusOr<v1::ContainerStatus> Status(const std::string& container_id);

  ContainerRuntime& rt() { return *instance_.runtime; }

  RuntimeInstance instance_;
  std::vector<std::string> sandboxes_;
};

}  // namespace rudder::runtime::testing

#endif  // RUDDER_LIB_RUNTIME_TESTING_RUNTIME_CONFORMANCE_H_
