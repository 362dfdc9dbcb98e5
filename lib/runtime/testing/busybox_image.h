// A minimal OCI image built from Debian's busybox-static, for runtime tests on machines that
// reach no registry.
//
// The image has one uncompressed layer: /bin/busybox, a symlink per applet (/bin/sh,
// /bin/sleep, /bin/echo, /bin/cat, /bin/httpd, ...), /etc/passwd and /etc/group with root and
// nobody, /tmp, /var/www/index.html, and the mount points /proc, /sys and /dev. The archive is
// an OCI image layout (oci-layout, index.json, blobs/sha256/...) whose index lists the manifest
// once per name with the "io.containerd.image.name" annotation, so
// `ctr -n k8s.io images import <tar>` registers every name. Building is deterministic: the
// same options and busybox binary give the same digests.
//
// Functions are thread-safe.
#ifndef RUDDER_LIB_RUNTIME_TESTING_BUSYBOX_IMAGE_H_
#define RUDDER_LIB_RUNTIME_TESTING_BUSYBOX_IMAGE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rudder::runtime::testing {

// The image name the harness imports for test containers.
inline constexpr char kBusyboxImage[] = "rudder.local/busybox:test";
// The image the harness's containerd uses for pod sandboxes (the "pause" container): the same
// layer, running `sleep` for ever.
inline constexpr char kPauseImage[] = "rudder.local/pause:test";

// What to build.
struct BusyboxImageOptions {
  // Fully qualified names ("registry/repository:tag"); at least one.
  std::vector<std::string> names = {kBusyboxImage};
  // The image's Entrypoint and Cmd (OCI image config).
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd = {"sh"};
  // The statically linked busybox to copy in.
  std::string busybox_path = "/bin/busybox";
  // Applet symlinks to create in /bin; empty means a default set of common ones.
  std::vector<std::string> applets;
};

// The image as an OCI layout tar archive, in memory. NotFound if busybox_path does not exist;
// InvalidArgument if `names` is empty or a name has no tag.
absl::StatusOr<std::string> BuildBusyboxImageTar(const BusyboxImageOptions& options);

// BuildBusyboxImageTar written to `path`.
absl::Status WriteBusyboxImageTar(const BusyboxImageOptions& options, const std::string& path);

}  // namespace rudder::runtime::testing

#endif  // RUDDER_LIB_RUNTIME_TESTING_BUSYBOX_IMAGE_H_
