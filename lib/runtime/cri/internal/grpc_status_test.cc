#include "lib/runtime/cri/internal/grpc_status.h"

#include <chrono>

#include "gtest/gtest.h"

namespace rudder::runtime::cri::internal {
namespace {

TEST(GrpcStatusTest, CodesKeepTheirMeaning) {
  EXPECT_EQ(ToAbslCode(grpc::StatusCode::NOT_FOUND), absl::StatusCode::kNotFound);
  EXPECT_EQ(ToAbslCode(grpc::StatusCode::UNAVAILABLE), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ToAbslCode(grpc::StatusCode::DEADLINE_EXCEEDED), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ToAbslCode(grpc::StatusCode::ALREADY_EXISTS), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ToAbslCode(grpc::StatusCode::FAILED_PRECONDITION),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ToAbslCode(grpc::StatusCode::UNIMPLEMENTED), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ToAbslCode(static_cast<grpc::StatusCode>(999)), absl::StatusCode::kUnknown);
}

TEST(GrpcStatusTest, MessageNamesTheMethod) {
  absl::Status s =
      ToAbslStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "container \"x\" not found"),
                   "CRI ContainerStatus");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "CRI ContainerStatus: container \"x\" not found");
  EXPECT_TRUE(ToAbslStatus(grpc::Status::OK, "CRI Version").ok());
}

TEST(GrpcStatusTest, Deadlines) {
  using Clock = std::chrono::system_clock;
  EXPECT_EQ(DeadlineFromTimeout(absl::InfiniteDuration()), Clock::time_point::max());
  EXPECT_EQ(DeadlineFromTimeout(absl::Hours(24 * 365 * 1000)), Clock::time_point::max());
  const auto before = Clock::now();
  const auto d = DeadlineFromTimeout(absl::Seconds(10));
  EXPECT_GE(d, before + std::chrono::seconds(10));
  const auto past = DeadlineFromTimeout(-absl::Seconds(5));
  EXPECT_LE(past, Clock::now());
}

}  // namespace
}  // namespace rudder::runtime::cri::internal
