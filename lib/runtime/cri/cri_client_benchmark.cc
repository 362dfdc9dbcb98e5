// CRI calls against a real containerd started by the test harness: the client's round trip
// (Version, ContainerStatus), an exec probe (ExecSync) and a whole pod start and stop.
// Needs root and containerd; each benchmark reports an error and does nothing otherwise.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/runtime/cri/cri_client.h"
#include "lib/runtime/testing/busybox_image.h"
#include "lib/runtime/testing/containerd.h"

namespace rudder::runtime::cri {
namespace {

using ::rudder::runtime::testing::Containerd;

constexpr absl::Duration kCall = absl::Seconds(60);

struct Env {
  std::unique_ptr<Containerd> containerd;
  std::unique_ptr<ContainerRuntime> runtime;
  absl::Status error;
};

Env StartEnv() {
  Env e;
  auto c = Containerd::Start({});
  if (!c.ok()) {
    e.error = c.status();
    return e;
  }
  e.containerd = std::move(*c);
  auto r = NewCriRuntime({.endpoint = e.containerd->Endpoint()});
  if (!r.ok()) {
    e.error = r.status();
    return e;
  }
  e.runtime = std::move(*r);
  return e;
}

// Started on first use; destroyed at exit, which stops containerd and removes its directory.
Env& GetEnv() {
  static Env env = StartEnv();
  return env;
}

v1::PodSandboxConfig Sandbox(int n) {
  v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name(absl::StrCat("bench-", n));
  config.mutable_metadata()->set_namespace_("default");
  config.mutable_metadata()->set_uid(absl::StrCat("bench-uid-", n));
  config.set_log_directory(absl::StrCat(GetEnv().containerd->LogDir(), "/bench-", n));
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      v1::NODE);
  return config;
}

// Runs a sandbox with one `sleep` container; returns {sandbox id, container id}.
std::pair<std::string, std::string> StartPod(int n, benchmark::State& state) {
  ContainerRuntime& rt = *GetEnv().runtime;
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = Sandbox(n);
  auto sandbox = rt.RunPodSandbox(run, kCall);
  if (!sandbox.ok()) {
    state.SkipWithError(sandbox.status().ToString().c_str());
    return {};
  }
  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(sandbox->pod_sandbox_id());
  *create.mutable_sandbox_config() = run.config();
  create.mutable_config()->mutable_metadata()->set_name("main");
  create.mutable_config()->mutable_image()->set_image(testing::kBusyboxImage);
  create.mutable_config()->add_command("sleep");
  create.mutable_config()->add_args("1000");
  create.mutable_config()->set_log_path("main/0.log");
  auto container = rt.CreateContainer(create, kCall);
  if (!container.ok()) {
    state.SkipWithError(container.status().ToString().c_str());
    return {};
  }
  v1::StartContainerRequest start;
  start.set_container_id(container->container_id());
  if (auto s = rt.StartContainer(start, kCall); !s.ok()) {
    state.SkipWithError(s.status().ToString().c_str());
  }
  return {sandbox->pod_sandbox_id(), container->container_id()};
}

void StopPod(const std::string& sandbox_id) {
  ContainerRuntime& rt = *GetEnv().runtime;
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sandbox_id);
  (void)rt.StopPodSandbox(stop, kCall);
  v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(sandbox_id);
  (void)rt.RemovePodSandbox(remove, kCall);
}

bool Ready(benchmark::State& state) {
  if (GetEnv().runtime == nullptr) {
    state.SkipWithError(
        absl::StrCat("containerd unavailable: ", GetEnv().error.ToString()).c_str());
    return false;
  }
  return true;
}

void BM_Version(benchmark::State& state) {
  if (!Ready(state)) return;
  for (auto _ : state) {
    auto v = GetEnv().runtime->Version({}, kCall);
    if (!v.ok()) state.SkipWithError(v.status().ToString().c_str());
  }
}
BENCHMARK(BM_Version)->UseRealTime();

void BM_ContainerStatus(benchmark::State& state) {
  if (!Ready(state)) return;
  auto [sandbox, container] = StartPod(1, state);
  v1::ContainerStatusRequest request;
  request.set_container_id(container);
  for (auto _ : state) {
    auto s = GetEnv().runtime->ContainerStatus(request, kCall);
    if (!s.ok()) state.SkipWithError(s.status().ToString().c_str());
  }
  StopPod(sandbox);
}
BENCHMARK(BM_ContainerStatus)->UseRealTime();

void BM_ExecSyncProbe(benchmark::State& state) {
  if (!Ready(state)) return;
  auto [sandbox, container] = StartPod(2, state);
  v1::ExecSyncRequest request;
  request.set_container_id(container);
  request.add_cmd("true");
  request.set_timeout(10);
  for (auto _ : state) {
    auto r = GetEnv().runtime->ExecSync(request, kCall);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  StopPod(sandbox);
}
BENCHMARK(BM_ExecSyncProbe)->UseRealTime()->Unit(benchmark::kMillisecond);

// RunPodSandbox + CreateContainer + StartContainer, then StopPodSandbox + RemovePodSandbox.
void BM_PodStartStop(benchmark::State& state) {
  if (!Ready(state)) return;
  int n = 100;
  for (auto _ : state) {
    auto [sandbox, container] = StartPod(n++, state);
    StopPod(sandbox);
  }
}
BENCHMARK(BM_PodStartStop)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::runtime::cri
