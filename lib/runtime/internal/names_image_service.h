// An in-memory image store for runtimes whose images are names only (the process and simulated
// runtimes): a pull records the name (or fails as a test asked), nothing is downloaded.
#ifndef RUDDER_LIB_RUNTIME_INTERNAL_NAMES_IMAGE_SERVICE_H_
#define RUDDER_LIB_RUNTIME_INTERNAL_NAMES_IMAGE_SERVICE_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/mutex.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::internal {

// Images by name. Image ids and refs are "<scheme>://<name>". Thread-safe.
class NamesImageService {
 public:
  // `scheme`: the id prefix ("sim", "process"); `image_size`: the size each image reports;
  // `images`: names present from the start.
  NamesImageService(std::string scheme, uint64_t image_size,
                    const std::vector<std::string>& images);

  // Makes the next pulls of `image` fail with `error` (OK: succeed again).
  void SetPullError(const std::string& image, absl::Status error);
  // Number of images present.
  size_t Count() const;

  // The ImageService calls (ImageFsInfo stays with each runtime). ListImages honours the
  // filter's image name; PullImage fails with InvalidArgument for an empty name.
  absl::StatusOr<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& req) const;
  absl::StatusOr<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& req) const;
  absl::StatusOr<v1::PullImageResponse> PullImage(const v1::PullImageRequest& req);
  absl::StatusOr<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& req);

 private:
  void Fill(const std::string& name, v1::Image* img) const;

  const std::string scheme_;
  const uint64_t image_size_;
  mutable Mutex mu_;
  std::set<std::string> images_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Status> pull_errors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::runtime::internal

#endif  // RUDDER_LIB_RUNTIME_INTERNAL_NAMES_IMAGE_SERVICE_H_
