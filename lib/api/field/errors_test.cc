#include "lib/api/field/errors.h"

#include "gtest/gtest.h"

namespace rudder::api::field {
namespace {

TEST(PathTest, BuildsKubernetesStylePaths) {
  Path p = Path("spec").Child("template").Child("spec").Child("containers").Index(0);
  EXPECT_EQ(p.String(), "spec.template.spec.containers[0]");
  EXPECT_EQ(Path("metadata").Child("labels").Key("app").String(), "metadata.labels[app]");
  EXPECT_EQ(Path().Child("spec").String(), "spec");
}

TEST(ErrorTest, RendersLikeKubernetes) {
  EXPECT_EQ(Invalid(Path("spec").Child("replicas"), "-1", "must be greater than or equal to 0")
                .ToString(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  EXPECT_EQ(Required(Path("spec.containers[0].image")).ToString(),
            "spec.containers[0].image: Required value");
  EXPECT_EQ(
      NotSupported(Path("spec.restartPolicy"), Quote("Sometimes"), {"Always", "OnFailure", "Never"})
          .ToString(),
      "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
      "\"Always\", \"OnFailure\", \"Never\"");
  EXPECT_EQ(Forbidden(Path("spec.selector"), "field is immutable").ToString(),
            "spec.selector: Forbidden: field is immutable");
  EXPECT_EQ(Duplicate(Path("spec.containers[1].name"), Quote("c")).ToString(),
            "spec.containers[1].name: Duplicate value: \"c\"");
  EXPECT_EQ(ErrorTypeReason(ErrorType::kRequired), "FieldValueRequired");
}

TEST(QuoteTest, EscapesQuotesAndBackslashes) { EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\""); }

TEST(FieldErrorsTest, OkWhenEmptyAndOneMessageForAll) {
  FieldErrors none;
  EXPECT_TRUE(none.ToStatus("Pod", "p").ok());

  FieldErrors one;
  one.Add(Required(Path("spec.containers")));
  absl::Status s1 = one.ToStatus("Pod", "p");
  EXPECT_EQ(s1.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s1.message(), "Pod \"p\" is invalid: spec.containers: Required value");

  FieldErrors two;
  two.Add(Required(Path("spec.containers")));
  two.Add(Invalid(Path("metadata.name"), Quote("A"), "must be lowercase"));
  absl::Status s2 = two.ToStatus("Deployment.apps", "web");
  EXPECT_EQ(s2.message(),
            "Deployment.apps \"web\" is invalid: [spec.containers: Required value, "
            "metadata.name: Invalid value: \"A\": must be lowercase]");
}

TEST(FieldErrorsTest, StructuredErrorsSurviveInTheStatus) {
  FieldErrors errs;
  errs.Add(Invalid(Path("spec.replicas"), "-1", "must be >= 0"));
  errs.Add(Required(Path("spec.selector")));
  std::vector<Error> back = ErrorsFromStatus(errs.ToStatus("Deployment.apps", "web"));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].type, ErrorType::kInvalid);
  EXPECT_EQ(back[0].field, "spec.replicas");
  EXPECT_EQ(back[0].bad_value, "-1");
  EXPECT_EQ(back[0].detail, "must be >= 0");
  EXPECT_EQ(back[1].type, ErrorType::kRequired);
  EXPECT_TRUE(ErrorsFromStatus(absl::InvalidArgumentError("x")).empty());
}

}  // namespace
}  // namespace rudder::api::field
