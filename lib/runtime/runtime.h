// The container runtime interface of Rudder's node agent.
//
// It is shaped after the Kubernetes Container Runtime Interface (CRI v1): two services,
// RuntimeService (pod sandboxes and containers) and ImageService (images), whose methods take
// and return the CRI v1 messages of lib/runtime/cri/proto/api.proto (C++ namespace
// `runtime::v1`, aliased here as `rudder::runtime::v1`). Every runtime of Rudder implements
// this header:
//   - the CRI client (lib/runtime/cri), which forwards each call over gRPC to containerd or any
//     other CRI runtime;
//   - the process runtime, which runs containers as local processes;
//   - the simulated runtime, which runs nothing and follows a script.
// The node agent is written against this header only, so it behaves the same on all three.
//
// Conventions every implementation follows:
//   - Each call takes a `timeout`: the call either completes within it or fails with
//     DeadlineExceeded. A runtime that does no waiting may ignore it.
//     absl::InfiniteDuration() means no limit.
//   - Errors are absl::Status codes, used as CRI runtimes use gRPC codes:
//       NotFound           the sandbox, container or image does not exist (status calls and
//                          calls acting on one object);
//       InvalidArgument    a malformed request (missing metadata, empty command, ...);
//       FailedPrecondition the object is in the wrong state (e.g. starting an exited
//                          container, exec in a container that is not running); containerd
//                          reports these as Unknown, so callers must not rely on the code;
//       AlreadyExists      a sandbox or container with the same metadata already exists;
//       Unavailable        the runtime cannot be reached right now (retry later);
//       DeadlineExceeded   the timeout expired;
//       Unimplemented      the runtime does not offer this call;
//       Internal/Unknown   anything else, with the runtime's message.
//   - Stop* and Remove* are idempotent: stopping a stopped object and removing a removed one
//     succeed. Stop* on an object that no longer exists may return NotFound instead (containerd
//     does); callers treat that as stopped.
//   - ImageStatus of an absent image is not an error: it returns a response whose `image` is
//     unset (has_image() is false), as in CRI.
//   - Times in the messages (created_at, started_at, finished_at, stats timestamps) are
//     nanoseconds since the Unix epoch.
//   - Containers write their stdout and stderr to
//     PodSandboxConfig.log_directory + "/" + ContainerConfig.log_path in the CRI log format
//     ("<RFC3339Nano time> <stdout|stderr> <F|P> <text>"; see lib/runtime/cri/log_format.h),
//     and ContainerStatus.log_path reports that absolute path.
//   - Implementations are thread-safe: the node agent calls them from many pod workers at once.
// lib/runtime/testing/runtime_conformance.h checks these conventions for an implementation.
#ifndef RUDDER_LIB_RUNTIME_RUNTIME_H_
#define RUDDER_LIB_RUNTIME_RUNTIME_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/runtime/cri/proto/api.pb.h"

namespace rudder::runtime {

// The CRI v1 messages, e.g. rudder::runtime::v1::PodSandboxConfig.
namespace v1 = ::runtime::v1;

// The timeout the node agent uses for ordinary runtime calls (as the kubelet's 2 minutes).
inline constexpr absl::Duration kDefaultCallTimeout = absl::Minutes(2);

// Pod sandboxes and containers. Thread-safe.
class RuntimeService {
 public:
  virtual ~RuntimeService() = default;

  // The runtime's name and version and the CRI API version it speaks.
  virtual absl::StatusOr<v1::VersionResponse> Version(const v1::VersionRequest& request,
                                                      absl::Duration timeout) = 0;

  // Creates and starts a pod sandbox (the pod's shared namespaces and network); the sandbox is
  // ready when this returns. Returns the new sandbox's id.
  virtual absl::StatusOr<v1::RunPodSandboxResponse> RunPodSandbox(
      const v1::RunPodSandboxRequest& request, absl::Duration timeout) = 0;

  // Stops every container of the sandbox (forcibly) and releases its network. Idempotent;
  // NotFound (or OK) once the sandbox has been removed.
  virtual absl::StatusOr<v1::StopPodSandboxResponse> StopPodSandbox(
      const v1::StopPodSandboxRequest& request, absl::Duration timeout) = 0;

  // Removes the sandbox and its containers, forcibly stopping what still runs. Idempotent.
  virtual absl::StatusOr<v1::RemovePodSandboxResponse> RemovePodSandbox(
      const v1::RemovePodSandboxRequest& request, absl::Duration timeout) = 0;

  // The sandbox's state, metadata, IP addresses, labels and annotations. NotFound if unknown.
  virtual absl::StatusOr<v1::PodSandboxStatusResponse> PodSandboxStatus(
      const v1::PodSandboxStatusRequest& request, absl::Duration timeout) = 0;

  // The sandboxes matching the request's filter (all when the filter is unset).
  virtual absl::StatusOr<v1::ListPodSandboxResponse> ListPodSandbox(
      const v1::ListPodSandboxRequest& request, absl::Duration timeout) = 0;

  // Creates (does not start) a container in a sandbox. Returns the container's id.
  virtual absl::StatusOr<v1::CreateContainerResponse> CreateContainer(
      const v1::CreateContainerRequest& request, absl::Duration timeout) = 0;

  // Starts a created container.
  virtual absl::StatusOr<v1::StartContainerResponse> StartContainer(
      const v1::StartContainerRequest& request, absl::Duration timeout) = 0;

  // Stops a running container: the stop signal (SIGTERM unless the image says otherwise), then
  // SIGKILL after `request.timeout()` seconds (0: at once). Idempotent. The call's own `timeout`
  // must exceed the grace period for the stop to complete. NotFound (or OK) once removed.
  virtual absl::StatusOr<v1::StopContainerResponse> StopContainer(
      const v1::StopContainerRequest& request, absl::Duration timeout) = 0;

  // Removes a container, forcibly stopping it if it runs. Idempotent.
  virtual absl::StatusOr<v1::RemoveContainerResponse> RemoveContainer(
      const v1::RemoveContainerRequest& request, absl::Duration timeout) = 0;

  // The containers matching the request's filter (all when the filter is unset).
  virtual absl::StatusOr<v1::ListContainersResponse> ListContainers(
      const v1::ListContainersRequest& request, absl::Duration timeout) = 0;

  // A container's state, times, exit code, reason and log path. NotFound if unknown.
  virtual absl::StatusOr<v1::ContainerStatusResponse> ContainerStatus(
      const v1::ContainerStatusRequest& request, absl::Duration timeout) = 0;

  // Runs a command in a running container and waits for it; returns its stdout, stderr and
  // exit code (a non-zero exit code is a successful call). `request.timeout()` (seconds) bounds
  // the command; on expiry the call fails with DeadlineExceeded.
  virtual absl::StatusOr<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& request,
                                                        absl::Duration timeout) = 0;

  // CPU, memory and writable-layer usage of one container. NotFound if unknown.
  virtual absl::StatusOr<v1::ContainerStatsResponse> ContainerStats(
      const v1::ContainerStatsRequest& request, absl::Duration timeout) = 0;

  // Usage of the containers matching the request's filter.
  virtual absl::StatusOr<v1::ListContainerStatsResponse> ListContainerStats(
      const v1::ListContainerStatsRequest& request, absl::Duration timeout) = 0;

  // Asks the runtime to reopen a running container's log file (after the node agent rotated
  // it). FailedPrecondition (or another error) if the container is not running.
  virtual absl::StatusOr<v1::ReopenContainerLogResponse> ReopenContainerLog(
      const v1::ReopenContainerLogRequest& request, absl::Duration timeout) = 0;

  // The runtime's conditions (RuntimeReady, NetworkReady).
  virtual absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest& request,
                                                    absl::Duration timeout) = 0;
};

// Images. Thread-safe.
class ImageService {
 public:
  virtual ~ImageService() = default;

  // The images matching the request's filter (all when the filter is unset).
  virtual absl::StatusOr<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& request,
                                                            absl::Duration timeout) = 0;

  // One image's id, names and size; `image` is unset in the response when it is absent.
  virtual absl::StatusOr<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& request,
                                                              absl::Duration timeout) = 0;

  // Fetches an image (always: policies such as IfNotPresent are the caller's, decided with
  // ImageStatus first). Returns the image's reference (id or digest).
  virtual absl::StatusOr<v1::PullImageResponse> PullImage(const v1::PullImageRequest& request,
                                                          absl::Duration timeout) = 0;

  // Removes an image. Idempotent.
  virtual absl::StatusOr<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& request,
                                                              absl::Duration timeout) = 0;

  // Usage of the filesystem(s) holding images.
  virtual absl::StatusOr<v1::ImageFsInfoResponse> ImageFsInfo(const v1::ImageFsInfoRequest& request,
                                                              absl::Duration timeout) = 0;
};

// A runtime offering both services through one object; what runtime factories return.
class ContainerRuntime : public RuntimeService, public ImageService {};

}  // namespace rudder::runtime

#endif  // RUDDER_LIB_RUNTIME_RUNTIME_H_
