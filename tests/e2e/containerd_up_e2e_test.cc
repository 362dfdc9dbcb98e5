// End-to-end: `rudder up --cri-endpoint` runs a pod in a real containerd. The test starts a
// private containerd (lib/runtime/testing/containerd.h, which imports the local busybox OCI
// image), starts the rudder binary against it, applies a busybox pod with kubectl, sees it
// Running, reads "hello" with kubectl logs, deletes it and checks that its sandbox is gone from
// containerd. Needs root, containerd, runc, busybox-static and kubectl; skips (saying what is
// missing) elsewhere.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/runtime/cri/cri_client.h"
#include "lib/runtime/testing/busybox_image.h"
#include "lib/runtime/testing/containerd.h"
#include "tests/lib/kubectl_util.h"

namespace rudder {
namespace {

constexpr absl::Duration kCall = absl::Seconds(10);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The rudder binary from the test's runfiles.
std::string RudderBinary() {
  const char* srcdir = getenv("TEST_SRCDIR");
  std::string path = absl::StrCat(srcdir ? srcdir : ".", "/rudder/cmd/rudder/rudder");
  return access(path.c_str(), X_OK) == 0 ? path : "";
}

// `rudder up` as a child process with its output in files; stopped (SIGTERM) on destruction.
class RudderUp {
 public:
  RudderUp(const std::string& binary, const std::string& dir, const std::string& endpoint)
      : dir_(dir) {
    pid_ = fork();
    if (pid_ == 0) {
      freopen((dir + "/up.out").c_str(), "w", stdout);
      freopen((dir + "/up.err").c_str(), "w", stderr);
      execl(binary.c_str(), binary.c_str(), "up", "--data-dir", (dir + "/data").c_str(), "--port",
            "0", "--cri-endpoint", endpoint.c_str(), nullptr);
      _exit(127);
    }
  }
  ~RudderUp() { Stop(); }
  // Waits (real time, a guard) until it printed "ready"; false if it exited or never did.
  bool WaitReady() {
    for (int i = 0; i < 1200; ++i) {
      if (absl::StrContains(ReadFile(dir_ + "/up.out"), "\nready\n")) return true;
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }
  // SIGTERM and wait; the exit code (-1 if it did not exit normally or was not running).
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  std::string Output() const {
    return ReadFile(dir_ + "/up.out") + "\n--- stderr\n" + ReadFile(dir_ + "/up.err");
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int status_ = 0;
};

// Sandboxes of pod default/`name` in containerd.
int SandboxesOf(runtime::ContainerRuntime* cri, const std::string& name) {
  runtime::v1::ListPodSandboxRequest q;
  (*q.mutable_filter()->mutable_label_selector())["io.kubernetes.pod.name"] = name;
  (*q.mutable_filter()->mutable_label_selector())["io.kubernetes.pod.namespace"] = "default";
  absl::StatusOr<runtime::v1::ListPodSandboxResponse> r = cri->ListPodSandbox(q, kCall);
  return r.ok() ? r->items_size() : -1;
}

TEST(ContainerdUpE2eTest, RunsLogsAndDeletesAPodInContainerd) {
  std::string kubectl = testing::FindKubectl();
  if (kubectl.empty()) GTEST_SKIP() << "kubectl not found; the containerd e2e test did not run";
  std::string rudder = RudderBinary();
  ASSERT_FALSE(rudder.empty()) << "the rudder binary is not in the runfiles";
  absl::StatusOr<std::unique_ptr<runtime::testing::Containerd>> containerd =
      runtime::testing::Containerd::Start({});
  if (absl::IsUnavailable(containerd.status())) {
    GTEST_SKIP() << "containerd cannot run here: " << containerd.status();
  }
  ASSERT_TRUE(containerd.ok()) << containerd.status();
  absl::StatusOr<std::unique_ptr<runtime::ContainerRuntime>> cri =
      runtime::cri::NewCriRuntime({.endpoint = (*containerd)->Endpoint()});
  ASSERT_TRUE(cri.ok()) << cri.status();

  std::string dir = absl::StrCat((*containerd)->dir(), "/e2e");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  RudderUp up(rudder, dir, (*containerd)->Endpoint());
  ASSERT_TRUE(up.WaitReady()) << up.Output();
  ASSERT_TRUE(absl::StrContains(ReadFile(dir + "/up.err"), "container runtime containerd"))
      << up.Output();

  std::string base = absl::StrCat(kubectl, " --kubeconfig=", dir, "/data/kubeconfig ");
  auto run = [&](const std::string& args) { return testing::RunShell(base + args); };
  std::string manifest = dir + "/pod.yaml";
  std::ofstream(manifest) << "apiVersion: v1\nkind: Pod\nmetadata: {name: hello}\nspec:\n"
                          << "  containers:\n  - name: app\n    image: "
                          << runtime::testing::kBusyboxImage
                          << "\n    imagePullPolicy: IfNotPresent\n"
                          << "    command: [\"sh\", \"-c\", \"echo hello; sleep 3600\"]\n";
  auto applied = run("apply -f " + manifest);
  ASSERT_EQ(applied.second, 0) << applied.first;

  // Running, as kubectl sees it (a real-time guard: image, sandbox and network setup).
  std::string phase;
  for (int i = 0; i < 600 && phase != "Running"; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(100));
    phase = run("get pod hello -o jsonpath={.status.phase}").first;
  }
  ASSERT_EQ(phase, "Running") << run("get pod hello -o yaml").first << up.Output()
                              << (*containerd)->LogTail();
  EXPECT_EQ(SandboxesOf(cri->get(), "hello"), 1);
  std::string ip = run("get pod hello -o jsonpath={.status.podIP}").first;
  EXPECT_FALSE(ip.empty());

  std::string logs;
  for (int i = 0; i < 100 && logs != "hello\n"; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(100));
    logs = run("logs hello").first;
  }
  EXPECT_EQ(logs, "hello\n");
  EXPECT_EQ(run("logs hello --tail=1 --timestamps").second, 0);

  // kubectl delete returns once the object is gone, which the agent does after removing the
  // sandbox.
  auto deleted = run("delete pod hello --timeout=60s");
  EXPECT_EQ(deleted.second, 0) << deleted.first << up.Output();
  EXPECT_EQ(SandboxesOf(cri->get(), "hello"), 0);

  EXPECT_EQ(up.Stop(), 0) << up.Output();
}

}  // namespace
}  // namespace rudder
