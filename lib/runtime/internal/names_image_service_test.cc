#include "lib/runtime/internal/names_image_service.h"

#include "gtest/gtest.h"

namespace rudder::runtime::internal {
namespace {

v1::PullImageRequest Pull(const std::string& name) {
  v1::PullImageRequest r;
  r.mutable_image()->set_image(name);
  return r;
}

TEST(NamesImageServiceTest, PullListStatusRemove) {
  NamesImageService s("sim", 42, {"pause"});
  EXPECT_EQ(s.Count(), 1u);
  auto p = s.PullImage(Pull("nginx"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->image_ref(), "sim://nginx");
  v1::ImageStatusRequest st;
  st.mutable_image()->set_image("nginx");
  auto got = s.ImageStatus(st);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_image());
  EXPECT_EQ(got->image().id(), "sim://nginx");
  EXPECT_EQ(got->image().size(), 42u);
  v1::ListImagesRequest all;
  EXPECT_EQ(s.ListImages(all)->images_size(), 2);
  v1::ListImagesRequest one;
  one.mutable_filter()->mutable_image()->set_image("pause");
  ASSERT_EQ(s.ListImages(one)->images_size(), 1);
  EXPECT_EQ(s.ListImages(one)->images(0).repo_tags(0), "pause");
  v1::RemoveImageRequest rm;
  rm.mutable_image()->set_image("nginx");
  ASSERT_TRUE(s.RemoveImage(rm).ok());
  EXPECT_FALSE(s.ImageStatus(st)->has_image());
}

TEST(NamesImageServiceTest, PullErrorsAndEmptyName) {
  NamesImageService s("process", 0, {});
  EXPECT_EQ(s.PullImage(Pull("")).status().code(), absl::StatusCode::kInvalidArgument);
  s.SetPullError("bad", absl::NotFoundError("no such image"));
  EXPECT_EQ(s.PullImage(Pull("bad")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.Count(), 0u);
  s.SetPullError("bad", absl::OkStatus());
  EXPECT_TRUE(s.PullImage(Pull("bad")).ok());
  EXPECT_EQ(s.Count(), 1u);
}

}  // namespace
}  // namespace rudder::runtime::internal
