#include "lib/runtime/internal/names_image_service.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace rudder::runtime::internal {

NamesImageService::NamesImageService(std::string scheme, uint64_t image_size,
                                     const std::vector<std::string>& images)
    : scheme_(std::move(scheme)), image_size_(image_size), images_(images.begin(), images.end()) {}

void NamesImageService::SetPullError(const std::string& image, absl::Status error) {
  MutexLock l(&mu_);
  if (error.ok()) {
    pull_errors_.erase(image);
  } else {
    pull_errors_[image] = std::move(error);
  }
}

size_t NamesImageService::Count() const {
  MutexLock l(&mu_);
  return images_.size();
}

void NamesImageService::Fill(const std::string& name, v1::Image* img) const {
  img->set_id(absl::StrCat(scheme_, "://", name));
  img->add_repo_tags(name);
  img->set_size(image_size_);
  img->mutable_spec()->set_image(name);
}

absl::StatusOr<v1::ListImagesResponse> NamesImageService::ListImages(
    const v1::ListImagesRequest& req) const {
  const std::string& only = req.filter().image().image();
  MutexLock l(&mu_);
  v1::ListImagesResponse r;
  for (const std::string& name : images_) {
    if (!only.empty() && only != name) continue;
    Fill(name, r.add_images());
  }
  return r;
}

absl::StatusOr<v1::ImageStatusResponse> NamesImageService::ImageStatus(
    const v1::ImageStatusRequest& req) const {
  MutexLock l(&mu_);
  v1::ImageStatusResponse r;
  if (images_.contains(req.image().image())) Fill(req.image().image(), r.mutable_image());
  return r;
}

absl::StatusOr<v1::PullImageResponse> NamesImageService::PullImage(
    const v1::PullImageRequest& req) {
  const std::string& image = req.image().image();
  if (image.empty()) return absl::InvalidArgumentError("image.image: empty image name");
  MutexLock l(&mu_);
  auto e = pull_errors_.find(image);
  if (e != pull_errors_.end()) return e->second;
  images_.insert(image);
  v1::PullImageResponse r;
  r.set_image_ref(absl::StrCat(scheme_, "://", image));
  return r;
}

absl::StatusOr<v1::RemoveImageResponse> NamesImageService::RemoveImage(
    const v1::RemoveImageRequest& req) {
  MutexLock l(&mu_);
  images_.erase(req.image().image());
  return v1::RemoveImageResponse();
}

}  // namespace rudder::runtime::internal
