#include "lib/base/status_macros.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace rudder {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  RUDDER_ASSIGN_OR_RETURN(int h, Half(x));
  RUDDER_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status CheckEven(int x) {
  RUDDER_RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<std::string>> MakeString(bool ok) {
  if (!ok) return absl::NotFoundError("none");
  return std::make_unique<std::string>("hi");
}

absl::StatusOr<std::string> MoveOnly(bool ok) {
  std::unique_ptr<std::string> s;
  RUDDER_ASSIGN_OR_RETURN(s, MakeString(ok));
  return *s;
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Quarter(3).status().message(), "odd");
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsTheStatus) {
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), absl::StatusCode::kInvalidArgument);
}

TEST(StatusMacrosTest, AssignsMoveOnlyValuesToExistingVariables) {
  EXPECT_EQ(*MoveOnly(true), "hi");
  EXPECT_EQ(MoveOnly(false).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rudder
