// End-to-end: `kubectl logs`, `kubectl logs -f` and `kubectl logs --previous` (kubectl 1.33) on
// pods that the node agent runs with the process runtime; the REST server reads the logs through
// the agent's PodLogSource (containers found by the labels the agent puts on them).
#include <stdio.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/apiserver/rest/server.h"
#include "lib/client/client.h"
#include "lib/runtime/agent/agent.h"
#include "lib/runtime/agent/pod_logs.h"
#include "lib/runtime/process/process_runtime.h"
#include "lib/store/memory/memory_store.h"
#include "tests/lib/kubectl_util.h"

namespace rudder {
namespace {

using api::core::v1::Pod;

// A memory store, a REST server reading logs through the agent, and one agent (node "n1") on
// the process runtime; `Kubectl(args)` runs kubectl against the server.
class AgentLogsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl_ = testing::FindKubectl();
    if (kubectl_.empty()) GTEST_SKIP() << "kubectl not found; the kubectl logs test did not run";
    dir_ = absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/alogsXXXXXX");
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    registry_ = std::make_unique<apiserver::Registry>(store_.get(), scheme_.get());
    client_ = client::NewInProcessClient(registry_.get());
    runtime::process::ProcessRuntimeOptions ro;
    ro.isolation = runtime::process::Isolation::kNone;
    auto rt = runtime::process::NewProcessRuntime(ro);
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = std::move(*rt);
    apiserver::ApiServerOptions so;
    so.store = store_.get();
    so.scheme = scheme_.get();
    so.pod_logs = runtime::agent::NewRuntimePodLogSource(rt_.get());
    auto server = apiserver::ApiServer::Start(so);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    runtime::agent::AgentOptions ao;
    ao.node_name = "n1";
    ao.capacity = {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", "10"}};
    ao.pod_log_dir = dir_ + "/pods";
    ao.sync_interval = absl::Milliseconds(50);
    ao.eviction_memory_available_bytes = 0;
    auto agent = runtime::agent::NewAgent(client_.get(), rt_.get(), ao);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    agent_->Start();
    std::string kubeconfig = dir_ + "/kubeconfig";
    ASSERT_TRUE(testing::WriteLoopbackKubeconfig(kubeconfig, server_->port()));
    base_ = absl::StrCat(kubectl_, " --kubeconfig=", kubeconfig, " ");
  }
  void TearDown() override {
    if (agent_) agent_->Stop();
    if (server_) server_->Shutdown();
    agent_.reset();
    rt_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void CreatePod(const std::string& json) {
    Pod p;
    ASSERT_TRUE(api::DecodeJson(json, &p).ok()) << json;
    ASSERT_TRUE(client::TypedClient<Pod>(client_.get()).Create(p).ok());
  }
  std::string Kubectl(const std::string& args) { return testing::RunShell(base_ + args).first; }
  // Runs kubectl until it prints `want` (a real-time guard for the agent, not a timing check).
  std::string KubectlUntil(const std::string& args, const std::string& want) {
    std::string got;
    for (int i = 0; i < 500 && got != want; ++i) {
      if (i > 0) absl::SleepFor(absl::Milliseconds(20));
      got = Kubectl(args);
    }
    return got;
  }

  std::string kubectl_, dir_, base_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<apiserver::Registry> registry_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<runtime::process::ProcessRuntime> rt_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<runtime::agent::Agent> agent_;
};

TEST_F(AgentLogsE2eTest, KubectlLogsFollowsAnAgentRunContainer) {
  CreatePod(absl::StrCat(R"({"metadata":{"name":"p","namespace":"default"},
      "spec":{"nodeName":"n1","restartPolicy":"Never","containers":[{"name":"app",
      "image":"busybox","command":["sh","-c","echo one; echo two; while [ ! -f )",
                         dir_, R"(/go ]; do sleep 0.05; done; echo three"]}]}})"));
  ASSERT_EQ(KubectlUntil("logs p", "one\ntwo\n"), "one\ntwo\n");
  EXPECT_EQ(Kubectl("logs p -c app --tail=1"), "two\n");

  FILE* follow = popen((base_ + "logs -f p 2>&1").c_str(), "r");
  ASSERT_NE(follow, nullptr);
  std::string got;
  char line[256];
  while (got.find("two\n") == std::string::npos && fgets(line, sizeof(line), follow)) got += line;
  std::ofstream(dir_ + "/go") << "";
  while (fgets(line, sizeof(line), follow)) got += line;  // EOF: the container exited
  pclose(follow);
  EXPECT_EQ(got, "one\ntwo\nthree\n");

  // The agent sees the exit: restartPolicy Never with code 0 is Succeeded.
  std::string phase;
  for (int i = 0; i < 500 && phase != "Succeeded"; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(20));
    phase = (*client::TypedClient<Pod>(client_.get()).Get("default", "p"))->status().phase();
  }
  EXPECT_EQ(phase, "Succeeded");
}

// A crashing container restarts; `kubectl logs --previous` prints the exited instance's output
// and `kubectl logs` the current one's.
TEST_F(AgentLogsE2eTest, KubectlLogsPreviousPrintsTheExitedInstance) {
  std::string counter = dir_ + "/n";
  CreatePod(absl::StrCat(R"({"metadata":{"name":"c","namespace":"default"},
      "spec":{"nodeName":"n1","restartPolicy":"Always","containers":[{"name":"app",
      "image":"busybox","command":["sh","-c","n=$(cat )",
                         counter, R"( 2>/dev/null || echo 0); echo attempt $n; echo $((n+1)) > )",
                         counter, R"(; sleep 0.3; exit 1"]}]}})"));
  // The first instance exits and restarts at once; the second exits into a 10 s back-off.
  EXPECT_EQ(KubectlUntil("logs c --previous", "attempt 0\n"), "attempt 0\n");
  EXPECT_EQ(KubectlUntil("logs c", "attempt 1\n"), "attempt 1\n");
}

}  // namespace
}  // namespace rudder
