// End-to-end: `kubectl logs` and `kubectl logs -f` against the API server, whose pods/log route
// reads the logs of a container run by the process runtime.
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/rest/pod_log.h"
#include "lib/apiserver/rest/server.h"
#include "lib/base/mutex.h"
#include "lib/runtime/logs/pod_log_stream.h"
#include "lib/runtime/process/process_runtime.h"
#include "lib/store/memory/memory_store.h"
#include "tests/lib/kubectl_util.h"

namespace rudder {
namespace {

using runtime::v1::ContainerStatusRequest;

constexpr absl::Duration kT = absl::Seconds(30);

// Serves the log of the one container the test registered for pod default/p.
class Source : public apiserver::PodLogSource {
 public:
  Source(runtime::process::ProcessRuntime* rt, std::string id) : rt_(rt), id_(std::move(id)) {}
  absl::StatusOr<std::unique_ptr<apiserver::PodLogStream>> OpenLog(
      const std::string& ns, const std::string& name, const apiserver::PodLogOptions& o) override {
    if (ns != "default" || name != "p") return absl::NotFoundError("pod is not on this node");
    if (!o.container.empty() && o.container != "app") {
      return absl::InvalidArgumentError(
          absl::StrCat("container ", o.container, " is not valid for pod p"));
    }
    ContainerStatusRequest r;
    r.set_container_id(id_);
    absl::StatusOr<runtime::v1::ContainerStatusResponse> s = rt_->ContainerStatus(r, kT);
    if (!s.ok()) return s.status();
    return runtime::logs::OpenFileLogStream(s->status().log_path(), o, nullptr, [this] {
      ContainerStatusRequest q;
      q.set_container_id(id_);
      auto st = rt_->ContainerStatus(q, kT);
      return st.ok() && st->status().state() == runtime::v1::CONTAINER_RUNNING;
    });
  }

 private:
  runtime::process::ProcessRuntime* rt_;
  std::string id_;
};

TEST(ProcessLogsE2eTest, KubectlLogsAndFollow) {
  std::string kubectl = testing::FindKubectl();
  if (kubectl.empty()) GTEST_SKIP() << "kubectl not found; the kubectl logs test did not run";
  std::string dir =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/e2eXXXXXX");
  ASSERT_NE(mkdtemp(dir.data()), nullptr);

  runtime::process::ProcessRuntimeOptions ro;
  ro.isolation = runtime::process::Isolation::kNone;
  auto rt = runtime::process::NewProcessRuntime(ro);
  ASSERT_TRUE(rt.ok());
  runtime::v1::RunPodSandboxRequest sr;
  sr.mutable_config()->mutable_metadata()->set_name("p");
  sr.mutable_config()->mutable_metadata()->set_namespace_("default");
  sr.mutable_config()->mutable_metadata()->set_uid("uid-e2e");
  sr.mutable_config()->set_log_directory(dir + "/pods/default_p_uid-e2e");
  auto sb = (*rt)->RunPodSandbox(sr, kT);
  ASSERT_TRUE(sb.ok()) << sb.status();
  runtime::v1::CreateContainerRequest cr;
  cr.set_pod_sandbox_id(sb->pod_sandbox_id());
  cr.mutable_config()->mutable_metadata()->set_name("app");
  cr.mutable_config()->add_command("sh");
  cr.mutable_config()->add_args("-c");
  cr.mutable_config()->add_args(absl::StrCat("echo one; echo two; while [ ! -f ", dir,
                                             "/go ]; do sleep 0.05; done; echo three"));
  cr.mutable_config()->set_log_path("app/0.log");
  auto c = (*rt)->CreateContainer(cr, kT);
  ASSERT_TRUE(c.ok()) << c.status();
  runtime::v1::StartContainerRequest start;
  start.set_container_id(c->container_id());
  ASSERT_TRUE((*rt)->StartContainer(start, kT).ok());

  auto store = std::move(*store::NewMemoryStore());
  auto scheme = api::NewBuiltinScheme();
  apiserver::ApiServerOptions o;
  o.store = store.get();
  o.scheme = scheme.get();
  o.pod_logs = std::make_shared<Source>(rt->get(), c->container_id());
  auto server = apiserver::ApiServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  int port = (*server)->port();
  httplib::Client http("127.0.0.1", port);
  auto pr = http.Post("/api/v1/namespaces/default/pods",
                      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},)"
                      R"("spec":{"containers":[{"name":"app","image":"busybox"}]}})",
                      "application/json");
  ASSERT_TRUE(pr);
  ASSERT_EQ(pr->status, 201) << pr->body;
  std::string kubeconfig = dir + "/kubeconfig";
  ASSERT_TRUE(testing::WriteLoopbackKubeconfig(kubeconfig, port));
  std::string base = absl::StrCat(kubectl, " --kubeconfig=", kubeconfig, " ");
  auto run = [&](const std::string& args) { return testing::RunShell(base + args).first; };
  // Wait until the first lines are in the log.
  std::string first;
  for (int i = 0; i < 500 && first.find("two") == std::string::npos; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(20));
    first = run("logs p");
  }
  ASSERT_NE(first.find("two"), std::string::npos) << first;
  EXPECT_EQ(run("logs p"), "one\ntwo\n");
  EXPECT_EQ(run("logs p --tail=1"), "two\n");
  EXPECT_EQ(run("logs p -c app --limit-bytes=2"), "on");
  EXPECT_NE(run("logs p -c nope").find("not valid"), std::string::npos);
  EXPECT_NE(run("logs nosuchpod").find("NotFound"), std::string::npos);

  // kubectl logs -f: sees "three" once the container prints it, and ends when it exits.
  FILE* follow = popen((base + "logs -f p 2>&1").c_str(), "r");
  ASSERT_NE(follow, nullptr);
  std::string got;
  char line[256];
  while (got.find("two\n") == std::string::npos && fgets(line, sizeof(line), follow)) got += line;
  std::ofstream(dir + "/go") << "";
  while (fgets(line, sizeof(line), follow)) got += line;  // EOF: the container exited
  pclose(follow);
  EXPECT_EQ(got, "one\ntwo\nthree\n");
  (*server)->Shutdown();
}

}  // namespace
}  // namespace rudder
