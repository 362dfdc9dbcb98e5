// The CRI client against an in-process gRPC server speaking runtime.v1: what goes on the wire,
// deadlines and status codes. Needs neither root nor containerd.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"
#include "gtest/gtest.h"
#include "lib/base/mutex.h"
#include "lib/runtime/cri/cri_client.h"
#include "lib/runtime/cri/proto/api.grpc.pb.h"

namespace rudder::runtime::cri {
namespace {

// Answers Version with fixed values, records RunPodSandbox requests, blocks
// ContainerStatus until the call is cancelled, and fails ExecSync with NOT_FOUND.
class FakeRuntime final : public ::runtime::v1::RuntimeService::Service {
 public:
  grpc::Status Version(grpc::ServerContext*, const v1::VersionRequest* request,
                       v1::VersionResponse* response) override {
    response->set_version(request->version());
    response->set_runtime_name("fake");
    response->set_runtime_version("1.2.3");
    response->set_runtime_api_version("v1");
    return grpc::Status::OK;
  }

  grpc::Status RunPodSandbox(grpc::ServerContext* context, const v1::RunPodSandboxRequest* request,
                             v1::RunPodSandboxResponse* response) override {
    MutexLock lock(&mu_);
    last_run_ = *request;
    response->set_pod_sandbox_id("sandbox-1");
    return grpc::Status::OK;
  }

  grpc::Status ContainerStatus(grpc::ServerContext* context, const v1::ContainerStatusRequest*,
                               v1::ContainerStatusResponse*) override {
    while (!context->IsCancelled()) usleep(1000);
    return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  }

  grpc::Status ExecSync(grpc::ServerContext*, const v1::ExecSyncRequest* request,
                        v1::ExecSyncResponse* response) override {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("container \"", request->container_id(), "\" not found"));
  }

  v1::RunPodSandboxRequest last_run() {
    MutexLock lock(&mu_);
    return last_run_;
  }

 private:
  Mutex mu_;
  v1::RunPodSandboxRequest last_run_ ABSL_GUARDED_BY(mu_);
};

class FakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Unix socket paths are limited to 107 bytes; $TEST_TMPDIR can be longer.
    std::string tmpl = "/tmp/rudder-cri-fake-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    endpoint_ = absl::StrCat("unix://", dir_, "/cri.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort(endpoint_, grpc::InsecureServerCredentials());
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto runtime = NewCriRuntime({.endpoint = endpoint_});
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    runtime_ = std::move(*runtime);
  }

  void TearDown() override {
    runtime_.reset();
    if (server_ != nullptr) server_->Shutdown();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  FakeRuntime service_;
  std::string dir_;
  std::string endpoint_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ContainerRuntime> runtime_;
};

TEST_F(FakeServerTest, RequestAndResponseCrossTheWire) {
  v1::VersionRequest version;
  version.set_version("v1");
  auto reply = runtime_->Version(version, absl::Seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->version(), "v1");
  EXPECT_EQ(reply->runtime_name(), "fake");
  EXPECT_EQ(reply->runtime_version(), "1.2.3");

  v1::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_name("web");
  run.mutable_config()->mutable_metadata()->set_namespace_("prod");
  (*run.mutable_config()->mutable_annotations())["a"] = "b";
  run.mutable_config()
      ->mutable_linux()
      ->mutable_security_context()
      ->mutable_run_as_group()
      ->set_value(7);
  run.set_runtime_handler("runc");
  auto sandbox = runtime_->RunPodSandbox(run, absl::Seconds(10));
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  EXPECT_EQ(sandbox->pod_sandbox_id(), "sandbox-1");
  v1::RunPodSandboxRequest seen = service_.last_run();
  EXPECT_EQ(seen.config().metadata().name(), "web");
  EXPECT_EQ(seen.config().metadata().namespace_(), "prod");
  EXPECT_EQ(seen.config().annotations().at("a"), "b");
  EXPECT_EQ(seen.config().linux().security_context().run_as_group().value(), 7);
  EXPECT_EQ(seen.runtime_handler(), "runc");
}

TEST_F(FakeServerTest, TimeoutBecomesDeadlineExceeded) {
  v1::ContainerStatusRequest request;
  request.set_container_id("slow");
  auto status = runtime_->ContainerStatus(request, absl::Milliseconds(100));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kDeadlineExceeded) << status.status();
  EXPECT_TRUE(absl::StartsWith(status.status().message(), "CRI ContainerStatus: "))
      << status.status();
}

TEST_F(FakeServerTest, ServerCodesMapToAbslCodes) {
  v1::ExecSyncRequest exec;
  exec.set_container_id("gone");
  auto result = runtime_->ExecSync(exec, absl::Seconds(10));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), "CRI ExecSync: container \"gone\" not found");
}

TEST_F(FakeServerTest, UnimplementedMethodsAreUnimplemented) {
  // The fake registers no ImageService at all.
  auto images = runtime_->ListImages({}, absl::Seconds(10));
  ASSERT_FALSE(images.ok());
  EXPECT_EQ(images.status().code(), absl::StatusCode::kUnimplemented) << images.status();
  // And the RuntimeService methods it does not override.
  auto stats = runtime_->ListContainerStats({}, absl::Seconds(10));
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kUnimplemented) << stats.status();
}

}  // namespace
}  // namespace rudder::runtime::cri
