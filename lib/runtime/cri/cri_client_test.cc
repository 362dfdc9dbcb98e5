// The CRI client against a real containerd (started by the test harness in a temp directory).
// Tests that need containerd skip, with the reason, where the machine cannot run it.
#include "lib/runtime/cri/cri_client.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/runtime/cri/log_format.h"
#include "lib/runtime/testing/busybox_image.h"
#include "lib/runtime/testing/containerd.h"

namespace rudder::runtime::cri {
namespace {

using ::rudder::runtime::testing::Containerd;
using ::rudder::runtime::testing::kBusyboxImage;

constexpr absl::Duration kCall = absl::Seconds(60);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `done` every 50 ms, at most `limit` times; returns whether it became true. Used to wait
// for asynchronous effects (a container exiting, its output reaching the log) without asserting
// on how long they take.
template <typename F>
bool Eventually(F done, int limit = 1200) {
  for (int i = 0; i < limit; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(CriClientTest, EmptyOrRelativeEndpointIsInvalid) {
  EXPECT_EQ(NewCriRuntime({.endpoint = ""}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewCriRuntime({.endpoint = "unix:run/containerd.sock"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CriClientTest, NothingListeningIsUnavailable) {
  auto runtime = NewCriRuntime({.endpoint = "/tmp/rudder-no-such-dir/containerd.sock"});
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto version = (*runtime)->Version({}, absl::Seconds(10));
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.status().code(), absl::StatusCode::kUnavailable) << version.status();
  EXPECT_TRUE(absl::StartsWith(version.status().message(), "CRI Version: ")) << version.status();
}

class ContainerdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = Containerd::Start({});
    if (!started.ok()) {
      *start_error_ = started.status();
      return;
    }
    containerd_ = started->release();
    auto runtime = NewCriRuntime({.endpoint = containerd_->Endpoint()});
    if (!runtime.ok()) {
      *start_error_ = runtime.status();
      return;
    }
    runtime_ = runtime->release();
  }

  static void TearDownTestSuite() {
    delete runtime_;
    runtime_ = nullptr;
    delete containerd_;
    containerd_ = nullptr;
  }

  void SetUp() override {
    if (runtime_ == nullptr) {
      if (absl::IsUnavailable(*start_error_)) {
        GTEST_SKIP() << "this machine cannot run containerd: " << *start_error_;
      }
      FAIL() << "containerd did not start: " << *start_error_;
    }
  }

  // A sandbox config; on the host network unless `pod_network` (then on the harness's bridge).
  static v1::PodSandboxConfig SandboxConfig(const std::string& name, bool pod_network = false) {
    v1::PodSandboxConfig config;
    config.mutable_metadata()->set_name(name);
    config.mutable_metadata()->set_namespace_("default");
    config.mutable_metadata()->set_uid(absl::StrCat("uid-", name));
    config.set_log_directory(absl::StrCat(containerd_->LogDir(), "/", name));
    (*config.mutable_labels())["app"] = name;
    if (pod_network) {
      config.set_hostname(name);
    } else {
      // A pod on the host network shares the host's UTS namespace: runc refuses a hostname.
      config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
          v1::NODE);
    }
    return config;
  }

  static absl::StatusOr<std::string> RunSandbox(const v1::PodSandboxConfig& config) {
    v1::RunPodSandboxRequest request;
    *request.mutable_config() = config;
    auto response = runtime_->RunPodSandbox(request, kCall);
    if (!response.ok()) return response.status();
    return response->pod_sandbox_id();
  }

  static absl::StatusOr<std::string> CreateContainer(const std::string& sandbox_id,
                                                     const v1::PodSandboxConfig& sandbox,
                                                     const std::string& name,
                                                     const std::string& script) {
    v1::CreateContainerRequest request;
    request.set_pod_sandbox_id(sandbox_id);
    *request.mutable_sandbox_config() = sandbox;
    v1::ContainerConfig* config = request.mutable_config();
    config->mutable_metadata()->set_name(name);
    config->mutable_image()->set_image(kBusyboxImage);
    config->add_command("sh");
    config->add_args("-c");
    config->add_args(script);
    config->set_log_path(absl::StrCat(name, "/0.log"));
    auto response = runtime_->CreateContainer(request, kCall);
    if (!response.ok()) return response.status();
    return response->container_id();
  }

  static absl::StatusOr<v1::ContainerStatus> Status(const std::string& id) {
    v1::ContainerStatusRequest request;
    request.set_container_id(id);
    auto response = runtime_->ContainerStatus(request, kCall);
    if (!response.ok()) return response.status();
    return response->status();
  }

  static absl::Status Start(const std::string& id) {
    v1::StartContainerRequest request;
    request.set_container_id(id);
    return runtime_->StartContainer(request, kCall).status();
  }

  static void RemoveSandbox(const std::string& id) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    EXPECT_TRUE(runtime_->StopPodSandbox(stop, kCall).ok());
    v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(id);
    EXPECT_TRUE(runtime_->RemovePodSandbox(remove, kCall).ok());
  }

  static inline Containerd* containerd_ = nullptr;
  static inline ContainerRuntime* runtime_ = nullptr;
  static inline absl::Status* start_error_ = new absl::Status();
};

TEST_F(ContainerdTest, Version) {
  v1::VersionRequest request;
  request.set_version("v1");
  auto version = runtime_->Version(request, kCall);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->runtime_name(), "containerd");
  EXPECT_EQ(version->runtime_api_version(), "v1");
  EXPECT_FALSE(version->runtime_version().empty());
}

TEST_F(ContainerdTest, ConcurrentCallsShareOneClient) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (!runtime_->Version({}, kCall).ok()) ++failures;
        if (!runtime_->ListPodSandbox({}, kCall).ok()) ++failures;
        v1::ImageStatusRequest request;
        request.mutable_image()->set_image(kBusyboxImage);
        auto image = runtime_->ImageStatus(request, kCall);
        if (!image.ok() || !image->has_image()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ContainerdTest, StatusReportsRuntimeReady) {
  auto status = runtime_->Status({}, kCall);
  ASSERT_TRUE(status.ok()) << status.status();
  bool runtime_ready = false;
  for (const v1::RuntimeCondition& c : status->status().conditions()) {
    if (c.type() == "RuntimeReady") runtime_ready = c.status();
  }
  EXPECT_TRUE(runtime_ready) << status->DebugString();
}

TEST_F(ContainerdTest, ImportedImageIsVisible) {
  v1::ImageStatusRequest request;
  request.mutable_image()->set_image(kBusyboxImage);
  auto status = runtime_->ImageStatus(request, kCall);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(status->has_image());
  EXPECT_TRUE(absl::StartsWith(status->image().id(), "sha256:")) << status->image().id();
  EXPECT_GT(status->image().size(), 0u);
  EXPECT_EQ(status->image().repo_tags_size(), 1);
  EXPECT_EQ(status->image().repo_tags(0), kBusyboxImage);

  auto list = runtime_->ListImages({}, kCall);
  ASSERT_TRUE(list.ok()) << list.status();
  bool found = false;
  for (const v1::Image& image : list->images()) {
    for (const std::string& tag : image.repo_tags()) found |= tag == kBusyboxImage;
  }
  EXPECT_TRUE(found) << list->DebugString();

  auto fs = runtime_->ImageFsInfo({}, kCall);
  ASSERT_TRUE(fs.ok()) << fs.status();
  ASSERT_GT(fs->image_filesystems_size(), 0);
  EXPECT_TRUE(absl::StartsWith(fs->image_filesystems(0).fs_id().mountpoint(), containerd_->dir()))
      << fs->DebugString();
}

TEST_F(ContainerdTest, AbsentImageHasNoStatusAndIsNotAnError) {
  v1::ImageStatusRequest request;
  request.mutable_image()->set_image("rudder.local/absent:v1");
  auto status = runtime_->ImageStatus(request, kCall);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->has_image());
}

// IfNotPresent as the node agent applies it: ImageStatus first, PullImage only when absent.
absl::StatusOr<std::string> EnsureImageIfNotPresent(ImageService* images,
                                                    const std::string& image) {
  v1::ImageStatusRequest status_request;
  status_request.mutable_image()->set_image(image);
  auto status = images->ImageStatus(status_request, kCall);
  if (!status.ok()) return status.status();
  if (status->has_image()) return status->image().id();
  v1::PullImageRequest pull;
  pull.mutable_image()->set_image(image);
  auto pulled = images->PullImage(pull, kCall);
  if (!pulled.ok()) return pulled.status();
  return pulled->image_ref();
}

TEST_F(ContainerdTest, PullIfNotPresentUsesTheLocalImageAndRemoteNamesFailClearly) {
  auto local = EnsureImageIfNotPresent(runtime_, kBusyboxImage);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_TRUE(absl::StartsWith(*local, "sha256:"));

  // No registry is reachable here: the pull fails, and the message names the image.
  auto remote = EnsureImageIfNotPresent(runtime_, "rudder.invalid/nothing:v1");
  ASSERT_FALSE(remote.ok());
  EXPECT_TRUE(absl::StrContains(remote.status().message(), "CRI PullImage: ")) << remote.status();
  EXPECT_TRUE(absl::StrContains(remote.status().message(), "rudder.invalid/nothing:v1"))
      << remote.status();
}

TEST_F(ContainerdTest, UnknownContainerAndSandboxAreNotFound) {
  v1::ContainerStatusRequest container;
  container.set_container_id("0123456789abcdef");
  EXPECT_EQ(runtime_->ContainerStatus(container, kCall).status().code(),
            absl::StatusCode::kNotFound);
  v1::PodSandboxStatusRequest sandbox;
  sandbox.set_pod_sandbox_id("0123456789abcdef");
  EXPECT_EQ(runtime_->PodSandboxStatus(sandbox, kCall).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ContainerdTest, PodLifecycle) {
  const v1::PodSandboxConfig sandbox = SandboxConfig("lifecycle");
  auto sandbox_id = RunSandbox(sandbox);
  ASSERT_TRUE(sandbox_id.ok()) << sandbox_id.status() << "\n" << containerd_->LogTail();

  v1::PodSandboxStatusRequest sandbox_status;
  sandbox_status.set_pod_sandbox_id(*sandbox_id);
  auto ready = runtime_->PodSandboxStatus(sandbox_status, kCall);
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status().state(), v1::SANDBOX_READY);
  EXPECT_EQ(ready->status().metadata().name(), "lifecycle");
  EXPECT_EQ(ready->status().labels().at("app"), "lifecycle");

  v1::ListPodSandboxRequest list_sandboxes;
  (*list_sandboxes.mutable_filter()->mutable_label_selector())["app"] = "lifecycle";
  auto sandboxes = runtime_->ListPodSandbox(list_sandboxes, kCall);
  ASSERT_TRUE(sandboxes.ok()) << sandboxes.status();
  ASSERT_EQ(sandboxes->items_size(), 1);
  EXPECT_EQ(sandboxes->items(0).id(), *sandbox_id);

  auto id = CreateContainer(*sandbox_id, sandbox, "main", "trap '' TERM; echo hello; sleep 1000");
  ASSERT_TRUE(id.ok()) << id.status();
  auto created = Status(*id);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->state(), v1::CONTAINER_CREATED);

  ASSERT_TRUE(Start(*id).ok());
  auto running = Status(*id);
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(running->state(), v1::CONTAINER_RUNNING);
  EXPECT_GT(running->started_at(), 0);
  EXPECT_EQ(running->log_path(), sandbox.log_directory() + "/main/0.log");

  v1::ListContainersRequest list;
  list.mutable_filter()->set_pod_sandbox_id(*sandbox_id);
  auto containers = runtime_->ListContainers(list, kCall);
  ASSERT_TRUE(containers.ok()) << containers.status();
  ASSERT_EQ(containers->containers_size(), 1);
  EXPECT_EQ(containers->containers(0).id(), *id);
  EXPECT_EQ(containers->containers(0).state(), v1::CONTAINER_RUNNING);

  // The log file, in the CRI format.
  std::string log;
  ASSERT_TRUE(Eventually([&] {
    log = ReadFile(running->log_path());
    return absl::StrContains(log, "hello");
  })) << "log: "
      << log;
  const std::string first_line = log.substr(0, log.find('\n') + 1);
  auto record = ParseLogLine(first_line);  // The record points into first_line.
  ASSERT_TRUE(record.ok()) << record.status() << ": " << log;
  EXPECT_EQ(record->stream, LogStream::kStdout);
  EXPECT_FALSE(record->partial);
  EXPECT_EQ(record->content, "hello");
  EXPECT_GE(absl::ToUnixNanos(record->time), running->created_at());

  // Exec: exit code, stdout and stderr come back separately.
  v1::ExecSyncRequest exec;
  exec.set_container_id(*id);
  exec.add_cmd("sh");
  exec.add_cmd("-c");
  exec.add_cmd("echo out; echo err >&2; exit 7");
  exec.set_timeout(30);
  auto exec_result = runtime_->ExecSync(exec, kCall);
  ASSERT_TRUE(exec_result.ok()) << exec_result.status();
  EXPECT_EQ(exec_result->exit_code(), 7);
  EXPECT_EQ(exec_result->stdout(), "out\n");
  EXPECT_EQ(exec_result->stderr(), "err\n");

  // Output beyond gRPC's default 4 MiB message limit arrives whole.
  v1::ExecSyncRequest big;
  big.set_container_id(*id);
  big.add_cmd("dd");
  big.add_cmd("if=/dev/zero");
  big.add_cmd("bs=1048576");
  big.add_cmd("count=6");
  big.set_timeout(30);
  auto big_result = runtime_->ExecSync(big, kCall);
  ASSERT_TRUE(big_result.ok()) << big_result.status();
  EXPECT_EQ(big_result->exit_code(), 0);
  EXPECT_EQ(big_result->stdout().size(), size_t{6} << 20);

  // A command that outlives its timeout.
  v1::ExecSyncRequest slow;
  slow.set_container_id(*id);
  slow.add_cmd("sleep");
  slow.add_cmd("30");
  slow.set_timeout(1);
  auto slow_result = runtime_->ExecSync(slow, kCall);
  ASSERT_FALSE(slow_result.ok());
  EXPECT_EQ(slow_result.status().code(), absl::StatusCode::kDeadlineExceeded)
      << slow_result.status();

  v1::ContainerStatsRequest stats_request;
  stats_request.set_container_id(*id);
  auto stats = runtime_->ContainerStats(stats_request, kCall);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->stats().attributes().id(), *id);
  EXPECT_GT(stats->stats().memory().working_set_bytes().value(), 0u) << stats->DebugString();
  auto all_stats = runtime_->ListContainerStats({}, kCall);
  ASSERT_TRUE(all_stats.ok()) << all_stats.status();
  EXPECT_GE(all_stats->stats_size(), 1);

  v1::ReopenContainerLogRequest reopen;
  reopen.set_container_id(*id);
  EXPECT_TRUE(runtime_->ReopenContainerLog(reopen, kCall).ok());

  // The container ignores SIGTERM (and sleep inherits that): after the 1 s grace period the
  // runtime sends SIGKILL, and the exit code says so (128 + 9).
  v1::StopContainerRequest stop;
  stop.set_container_id(*id);
  stop.set_timeout(1);
  auto stopped_call = runtime_->StopContainer(stop, kCall);
  ASSERT_TRUE(stopped_call.ok()) << stopped_call.status();
  auto stopped = Status(*id);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(stopped->exit_code(), 137);
  EXPECT_GT(stopped->finished_at(), 0);
  EXPECT_TRUE(runtime_->StopContainer(stop, kCall).ok()) << "StopContainer is idempotent";

  v1::RemoveContainerRequest remove;
  remove.set_container_id(*id);
  ASSERT_TRUE(runtime_->RemoveContainer(remove, kCall).ok());
  EXPECT_EQ(Status(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(runtime_->RemoveContainer(remove, kCall).ok()) << "RemoveContainer is idempotent";

  v1::StopPodSandboxRequest stop_sandbox;
  stop_sandbox.set_pod_sandbox_id(*sandbox_id);
  ASSERT_TRUE(runtime_->StopPodSandbox(stop_sandbox, kCall).ok());
  auto not_ready = runtime_->PodSandboxStatus(sandbox_status, kCall);
  ASSERT_TRUE(not_ready.ok()) << not_ready.status();
  EXPECT_EQ(not_ready->status().state(), v1::SANDBOX_NOTREADY);

  v1::RemovePodSandboxRequest remove_sandbox;
  remove_sandbox.set_pod_sandbox_id(*sandbox_id);
  ASSERT_TRUE(runtime_->RemovePodSandbox(remove_sandbox, kCall).ok());
  EXPECT_EQ(runtime_->PodSandboxStatus(sandbox_status, kCall).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(runtime_->RemovePodSandbox(remove_sandbox, kCall).ok())
      << "RemovePodSandbox is idempotent";
  // Stopping what no longer exists is NotFound in containerd (the interface allows OK too).
  EXPECT_EQ(runtime_->StopPodSandbox(stop_sandbox, kCall).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(runtime_->StopContainer(stop, kCall).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ContainerdTest, GracefulStopRunsTheTermHandler) {
  const v1::PodSandboxConfig sandbox = SandboxConfig("graceful");
  auto sandbox_id = RunSandbox(sandbox);
  ASSERT_TRUE(sandbox_id.ok()) << sandbox_id.status();
  auto id = CreateContainer(*sandbox_id, sandbox, "trapper",
                            "trap 'echo bye; exit 0' TERM; echo ready; "
                            "while true; do sleep 0.1; done");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Start(*id).ok());
  const std::string log_path = sandbox.log_directory() + "/trapper/0.log";
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(ReadFile(log_path), "ready"); }));

  v1::StopContainerRequest stop;
  stop.set_container_id(*id);
  stop.set_timeout(30);
  ASSERT_TRUE(runtime_->StopContainer(stop, kCall).ok());
  auto stopped = Status(*id);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(stopped->exit_code(), 0);
  EXPECT_EQ(stopped->reason(), "Completed");
  EXPECT_TRUE(absl::StrContains(ReadFile(log_path), " stdout F bye\n")) << ReadFile(log_path);
  RemoveSandbox(*sandbox_id);
}

TEST_F(ContainerdTest, LongLinesAreSplitIntoPartialRecordsAndReassemble) {
  // The harness sets max_container_log_line_size = 16384: a 40000-byte line is split.
  const v1::PodSandboxConfig sandbox = SandboxConfig("longline");
  auto sandbox_id = RunSandbox(sandbox);
  ASSERT_TRUE(sandbox_id.ok()) << sandbox_id.status();
  auto id = CreateContainer(*sandbox_id, sandbox, "long",
                            "head -c 40000 /dev/zero | tr '\\0' a; echo; echo short; echo err >&2");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Start(*id).ok());
  absl::StatusOr<v1::ContainerStatus> status;
  ASSERT_TRUE(Eventually([&] {
    status = Status(*id);
    return status.ok() && status->state() == v1::CONTAINER_EXITED;
  })) << status.status();
  const std::string log = ReadFile(status->log_path());

  std::vector<LogLineAssembler::Line> lines;
  int partial_records = 0;
  LogLineAssembler assembler;
  size_t pos = 0;
  while (pos < log.size()) {
    const size_t end = log.find('\n', pos);
    ASSERT_NE(end, std::string::npos) << "the last record ends with a newline";
    const std::string text = log.substr(pos, end - pos + 1);
    pos = end + 1;
    auto record = ParseLogLine(text);
    ASSERT_TRUE(record.ok()) << record.status() << ": " << text.substr(0, 80);
    partial_records += record->partial;
    LogLineAssembler::Line line;
    if (assembler.Add(*record, &line)) lines.push_back(line);
  }
  EXPECT_GE(partial_records, 2);
  ASSERT_EQ(lines.size(), 3u);
  std::vector<std::string> stdout_lines;
  for (const auto& line : lines) {
    if (line.stream == LogStream::kStdout)
      stdout_lines.push_back(line.content);
    else
      EXPECT_EQ(line.content, "err");
  }
  ASSERT_EQ(stdout_lines.size(), 2u);
  EXPECT_EQ(stdout_lines[0], std::string(40000, 'a'));
  EXPECT_EQ(stdout_lines[1], "short");
  RemoveSandbox(*sandbox_id);
}

TEST_F(ContainerdTest, ExitCodeIsRecorded) {
  const v1::PodSandboxConfig sandbox = SandboxConfig("exit3");
  auto sandbox_id = RunSandbox(sandbox);
  ASSERT_TRUE(sandbox_id.ok()) << sandbox_id.status();
  auto id = CreateContainer(*sandbox_id, sandbox, "fail", "echo failing >&2; exit 3");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Start(*id).ok());
  absl::StatusOr<v1::ContainerStatus> status;
  ASSERT_TRUE(Eventually([&] {
    status = Status(*id);
    return status.ok() && status->state() == v1::CONTAINER_EXITED;
  })) << status.status();
  EXPECT_EQ(status->exit_code(), 3);
  EXPECT_EQ(status->reason(), "Error");
  EXPECT_GT(status->finished_at(), 0);
  EXPECT_TRUE(absl::StrContains(ReadFile(status->log_path()), " stderr F failing\n"));

  // Exec in, or a second start of, an exited container is refused.
  v1::ExecSyncRequest exec;
  exec.set_container_id(*id);
  exec.add_cmd("true");
  // containerd reports wrong-state errors as UNKNOWN, with the state in the message.
  auto exec_result = runtime_->ExecSync(exec, kCall);
  ASSERT_FALSE(exec_result.ok());
  EXPECT_EQ(exec_result.status().code(), absl::StatusCode::kUnknown) << exec_result.status();
  EXPECT_TRUE(absl::StrContains(exec_result.status().message(), "CONTAINER_EXITED"))
      << exec_result.status();
  v1::StartContainerRequest restart;
  restart.set_container_id(*id);
  EXPECT_EQ(runtime_->StartContainer(restart, kCall).status().code(), absl::StatusCode::kUnknown);
  RemoveSandbox(*sandbox_id);
}

TEST_F(ContainerdTest, PodNetworkGetsAnAddressFromTheBridge) {
  const v1::PodSandboxConfig sandbox = SandboxConfig("net", /*pod_network=*/true);
  auto sandbox_id = RunSandbox(sandbox);
  ASSERT_TRUE(sandbox_id.ok()) << sandbox_id.status() << "\n" << containerd_->LogTail();
  v1::PodSandboxStatusRequest request;
  request.set_pod_sandbox_id(*sandbox_id);
  auto status = runtime_->PodSandboxStatus(request, kCall);
  ASSERT_TRUE(status.ok()) << status.status();
  const std::string& subnet = containerd_->subnet();
  const std::string prefix = subnet.substr(0, subnet.rfind('.') + 1);  // "10.a.b."
  EXPECT_TRUE(absl::StartsWith(status->status().network().ip(), prefix))
      << status->status().network().ip() << " not in " << subnet;

  auto id = CreateContainer(*sandbox_id, sandbox, "web", "httpd -f -p 8080 -h /var/www");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Start(*id).ok());
  // The container shares the sandbox's network namespace: its httpd answers on the pod IP.
  v1::ExecSyncRequest exec;
  exec.set_container_id(*id);
  exec.add_cmd("sh");
  exec.add_cmd("-c");
  exec.add_cmd(absl::StrCat("for i in $(seq 50); do wget -q -O - http://",
                            status->status().network().ip(),
                            ":8080/ && exit 0; sleep 0.1; done; exit 1"));
  exec.set_timeout(30);
  auto exec_result = runtime_->ExecSync(exec, kCall);
  ASSERT_TRUE(exec_result.ok()) << exec_result.status();
  EXPECT_EQ(exec_result->exit_code(), 0) << exec_result->stderr();
  EXPECT_EQ(exec_result->stdout(), "rudder\n");
  RemoveSandbox(*sandbox_id);
}

}  // namespace
}  // namespace rudder::runtime::cri
