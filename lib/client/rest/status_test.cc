#include "lib/client/rest/status.h"

#include "gtest/gtest.h"
#include "lib/api/field/errors.h"
#include "lib/apiserver/registry/errors.h"

namespace rudder::client {
namespace {

namespace meta = api::meta::v1;

// The round trip registry error -> Status object -> error gives the same Status object.
void ExpectRoundTrip(const absl::Status& original, absl::StatusCode want_code) {
  meta::Status api = apiserver::ToApiStatus(original);
  absl::Status back = FromApiStatus(api);
  EXPECT_EQ(back.code(), want_code) << back;
  EXPECT_EQ(back.message(), original.message());
  EXPECT_EQ(apiserver::ToApiStatus(back).SerializeAsString(), api.SerializeAsString())
      << apiserver::ToApiStatusJson(back) << " vs " << apiserver::ToApiStatusJson(original);
}

TEST(FromApiStatusTest, NotFoundKeepsDetails) {
  ExpectRoundTrip(apiserver::WithDetails(apiserver::NotFoundError("deployments.apps", "web"),
                                         "apps", "deployments", "web"),
                  absl::StatusCode::kNotFound);
}

TEST(FromApiStatusTest, ConflictAndAlreadyExists) {
  ExpectRoundTrip(apiserver::ConflictError("pods", "p", "the object has been modified"),
                  absl::StatusCode::kAborted);
  ExpectRoundTrip(apiserver::AlreadyExistsError("pods", "p"), absl::StatusCode::kAlreadyExists);
}

TEST(FromApiStatusTest, InvalidKeepsFieldCauses) {
  api::field::FieldErrors errs;
  errs.Add(api::field::Invalid(api::field::Path("spec").Child("replicas"), "-1",
                               "must be greater than or equal to 0"));
  errs.Add(api::field::Required(api::field::Path("metadata").Child("name")));
  absl::Status original =
      apiserver::WithDetails(errs.ToStatus("Deployment.apps", "web"), "apps", "Deployment", "web");
  ExpectRoundTrip(original, absl::StatusCode::kInvalidArgument);
  meta::Status api = apiserver::ToApiStatus(FromApiStatus(apiserver::ToApiStatus(original)));
  EXPECT_EQ(api.code(), 422);
  ASSERT_EQ(api.details().causes_size(), 2);
  EXPECT_EQ(api.details().causes(0).field(), "spec.replicas");
  EXPECT_EQ(api.details().causes(1).reason(), "FieldValueRequired");
}

TEST(FromApiStatusTest, ExpiredIs410) {
  ExpectRoundTrip(apiserver::ExpiredError("too old resource version: 3 (7)"),
                  absl::StatusCode::kOutOfRange);
}

TEST(FromApiStatusTest, ApplyConflictKeepsCauses) {
  meta::StatusCause cause;
  cause.set_reason("FieldManagerConflict");
  cause.set_message("conflict with \"kubectl\" using apps/v1");
  cause.set_field(".spec.replicas");
  absl::Status original = apiserver::ApplyConflictError(
      "Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas",
      {cause});
  ExpectRoundTrip(original, absl::StatusCode::kAborted);
  meta::Status api = apiserver::ToApiStatus(FromApiStatus(apiserver::ToApiStatus(original)));
  EXPECT_EQ(api.code(), 409);
  EXPECT_EQ(api.reason(), "Conflict");
  ASSERT_EQ(api.details().causes_size(), 1);
  EXPECT_EQ(api.details().causes(0).reason(), "FieldManagerConflict");
  EXPECT_EQ(api.details().causes(0).field(), ".spec.replicas");
}

TEST(FromApiStatusTest, TooManyRequestsIs429WithCauses) {
  meta::StatusCause cause;
  cause.set_reason("DisruptionBudget");
  cause.set_message("The disruption budget web needs 1 healthy pods and has 1 currently");
  absl::Status original = apiserver::TooManyRequestsError(
      "Cannot evict pod as it would violate the pod's disruption budget.", {cause});
  ExpectRoundTrip(original, absl::StatusCode::kResourceExhausted);
  // gRPC passes the code along: the same result.
  meta::Status api = apiserver::ToApiStatus(original);
  absl::Status back = FromApiStatus(api, absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(apiserver::ToApiStatus(back).SerializeAsString(), api.SerializeAsString());
  EXPECT_EQ(api.code(), 429);
  EXPECT_EQ(api.reason(), "TooManyRequests");
  // A 413 stays a 413.
  ExpectRoundTrip(absl::ResourceExhaustedError("too large"), absl::StatusCode::kResourceExhausted);
}

TEST(FromApiStatusTest, ExplicitCodeWins) {
  meta::Status api = apiserver::ToApiStatus(absl::FailedPreconditionError("busy"));
  EXPECT_EQ(api.code(), 409);
  EXPECT_EQ(FromApiStatus(api).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(FromApiStatus(api, absl::StatusCode::kFailedPrecondition).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FromApiStatusTest, SuccessIsOk) {
  meta::Status api;
  api.set_status("Success");
  EXPECT_TRUE(FromApiStatus(api).ok());
}

TEST(CodeFromHttpTest, Codes) {
  EXPECT_EQ(CodeFromHttp(422, "Invalid"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeFromHttp(409, "AlreadyExists"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeFromHttp(409, "Conflict"), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeFromHttp(503, ""), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeFromHttp(500, ""), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace rudder::client
