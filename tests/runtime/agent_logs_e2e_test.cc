// End-to-end: `kubectl logs` and `kubectl logs -f` (kubectl 1.33) on a pod that the node agent
// runs with the process runtime; the REST server reads the logs through the agent's
// PodLogSource (containers found by the labels the agent puts on them).
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

TEST(AgentLogsE2eTest, KubectlLogsFollowsAnAgentRunContainer) {
  std::string kubectl = testing::FindKubectl();
  if (kubectl.empty()) GTEST_SKIP() << "kubectl not found; the kubectl logs test did not run";
  std::string dir =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/alogsXXXXXX");
  ASSERT_NE(mkdtemp(dir.data()), nullptr);

  auto store = std::move(*store::NewMemoryStore());
  auto scheme = api::NewBuiltinScheme();
  apiserver::Registry registry(store.get(), scheme.get());
  std::unique_ptr<client::Client> client = client::NewInProcessClient(&registry);
  runtime::process::ProcessRuntimeOptions ro;
  ro.isolation = runtime::process::Isolation::kNone;
  auto rt = runtime::process::NewProcessRuntime(ro);
  ASSERT_TRUE(rt.ok()) << rt.status();
  apiserver::ApiServerOptions so;
  so.store = store.get();
  so.scheme = scheme.get();
  so.pod_logs = runtime::agent::NewRuntimePodLogSource(rt->get());
  auto server = apiserver::ApiServer::Start(so);
  ASSERT_TRUE(server.ok()) << server.status();

  runtime::agent::AgentOptions ao;
  ao.node_name = "n1";
  ao.capacity = {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", "10"}};
  ao.pod_log_dir = dir + "/pods";
  ao.sync_interval = absl::Milliseconds(50);
  ao.eviction_memory_available_bytes = 0;
  auto agent = runtime::agent::NewAgent(client.get(), rt->get(), ao);
  ASSERT_TRUE(agent.ok()) << agent.status();
  (*agent)->Start();

  Pod p;
  ASSERT_TRUE(api::DecodeJson(absl::StrCat(R"({"metadata":{"name":"p","namespace":"default"},
      "spec":{"nodeName":"n1","restartPolicy":"Never","containers":[{"name":"app",
      "image":"busybox","command":["sh","-c","echo one; echo two; while [ ! -f )",
                                           dir, R"(/go ]; do sleep 0.05; done; echo three"]}]}})"),
                              &p)
                  .ok());
  ASSERT_TRUE(client::TypedClient<Pod>(client.get()).Create(p).ok());

  std::string kubeconfig = dir + "/kubeconfig";
  ASSERT_TRUE(testing::WriteLoopbackKubeconfig(kubeconfig, (*server)->port()));
  std::string base = absl::StrCat(kubectl, " --kubeconfig=", kubeconfig, " ");
  auto run = [&](const std::string& args) { return testing::RunShell(base + args).first; };
  // Wait (a real-time guard, not a timing check) until the agent has started it.
  std::string first;
  for (int i = 0; i < 500 && first != "one\ntwo\n"; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(20));
    first = run("logs p");
  }
  ASSERT_EQ(first, "one\ntwo\n");
  EXPECT_EQ(run("logs p -c app --tail=1"), "two\n");

  FILE* follow = popen((base + "logs -f p 2>&1").c_str(), "r");
  ASSERT_NE(follow, nullptr);
  std::string got;
  char line[256];
  while (got.find("two\n") == std::string::npos && fgets(line, sizeof(line), follow)) got += line;
  std::ofstream(dir + "/go") << "";
  while (fgets(line, sizeof(line), follow)) got += line;  // EOF: the container exited
  pclose(follow);
  EXPECT_EQ(got, "one\ntwo\nthree\n");

  // The agent sees the exit: restartPolicy Never with code 0 is Succeeded.
  std::string phase;
  for (int i = 0; i < 500 && phase != "Succeeded"; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(20));
    phase = (*client::TypedClient<Pod>(client.get()).Get("default", "p"))->status().phase();
  }
  EXPECT_EQ(phase, "Succeeded");
  (*agent)->Stop();
  (*server)->Shutdown();
  agent->reset();
  rt->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rudder
