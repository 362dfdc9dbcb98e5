#include "lib/runtime/cri/cri_client.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "lib/runtime/cri/internal/grpc_status.h"
#include "lib/runtime/cri/proto/api.grpc.pb.h"

namespace rudder::runtime::cri {
namespace {

using RuntimeStub = ::runtime::v1::RuntimeService::Stub;
using ImageStub = ::runtime::v1::ImageService::Stub;

// One unary call: a fresh context with the deadline, the stub method, the status mapping.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Call(
    Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& request, absl::Duration timeout, std::string_view name) {
  grpc::ClientContext context;
  context.set_deadline(internal::DeadlineFromTimeout(timeout));
  Response response;
  grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return internal::ToAbslStatus(status, name);
  return response;
}

// Channels and stubs are thread-safe in gRPC, so this class holds no lock.
class CriRuntime final : public ContainerRuntime {
 public:
  explicit CriRuntime(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)),
        runtime_(::runtime::v1::RuntimeService::NewStub(channel_)),
        images_(::runtime::v1::ImageService::NewStub(channel_)) {}

#define RUDDER_CRI_RUNTIME_CALL(Method)                                                  \
  absl::StatusOr<v1::Method##Response> Method(const v1::Method##Request& request,        \
                                              absl::Duration timeout) override {         \
    return Call(runtime_.get(), &RuntimeStub::Method, request, timeout, "CRI " #Method); \
  }
#define RUDDER_CRI_IMAGE_CALL(Method)                                                 \
  absl::StatusOr<v1::Method##Response> Method(const v1::Method##Request& request,     \
                                              absl::Duration timeout) override {      \
    return Call(images_.get(), &ImageStub::Method, request, timeout, "CRI " #Method); \
  }

  RUDDER_CRI_RUNTIME_CALL(Version)
  RUDDER_CRI_RUNTIME_CALL(RunPodSandbox)
  RUDDER_CRI_RUNTIME_CALL(StopPodSandbox)
  RUDDER_CRI_RUNTIME_CALL(RemovePodSandbox)
  RUDDER_CRI_RUNTIME_CALL(PodSandboxStatus)
  RUDDER_CRI_RUNTIME_CALL(ListPodSandbox)
  RUDDER_CRI_RUNTIME_CALL(CreateContainer)
  RUDDER_CRI_RUNTIME_CALL(StartContainer)
  RUDDER_CRI_RUNTIME_CALL(StopContainer)
  RUDDER_CRI_RUNTIME_CALL(RemoveContainer)
  RUDDER_CRI_RUNTIME_CALL(ListContainers)
  RUDDER_CRI_RUNTIME_CALL(ContainerStatus)
  RUDDER_CRI_RUNTIME_CALL(ExecSync)
  RUDDER_CRI_RUNTIME_CALL(ContainerStats)
  RUDDER_CRI_RUNTIME_CALL(ListContainerStats)
  RUDDER_CRI_RUNTIME_CALL(ReopenContainerLog)
  RUDDER_CRI_RUNTIME_CALL(Status)

  RUDDER_CRI_IMAGE_CALL(ListImages)
  RUDDER_CRI_IMAGE_CALL(ImageStatus)
  RUDDER_CRI_IMAGE_CALL(PullImage)
  RUDDER_CRI_IMAGE_CALL(RemoveImage)
  RUDDER_CRI_IMAGE_CALL(ImageFsInfo)

#undef RUDDER_CRI_RUNTIME_CALL
#undef RUDDER_CRI_IMAGE_CALL

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<RuntimeStub> runtime_;
  std::unique_ptr<ImageStub> images_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ContainerRuntime>> NewCriRuntime(const CriClientOptions& options) {
  std::string target = options.endpoint;
  if (target.empty()) return absl::InvalidArgumentError("endpoint: must not be empty");
  if (absl::StartsWith(target, "/")) {
    target = absl::StrCat("unix://", target);
  } else if (absl::StartsWith(target, "unix:")) {
    // gRPC wants "unix:///abs/path" or "unix:relative"; CRI endpoints are absolute.
    if (!absl::StartsWith(target, "unix:///")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "endpoint: unix socket endpoints must be absolute (unix:///path), got \"", target, "\""));
    }
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // A unix socket name is not a DNS authority; keep gRPC from putting the path in :authority.
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, "localhost");
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  if (channel == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint: cannot use \"", target, "\""));
  }
  return std::make_unique<CriRuntime>(std::move(channel));
}

}  // namespace rudder::runtime::cri
