#include "lib/api/patch/merge_patch.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace rudder::api::patch {
namespace {

// Compares JSON texts as values (object key order ignored).
void ExpectJsonEq(const std::string& actual, const std::string& expected) {
  rapidjson::Document a, e;
  a.Parse(actual.c_str());
  e.Parse(expected.c_str());
  ASSERT_FALSE(a.HasParseError()) << actual;
  ASSERT_FALSE(e.HasParseError()) << expected;
  EXPECT_TRUE(a == e) << "actual:   " << actual << "\nexpected: " << expected;
}

struct Case {
  const char* name;
  const char* target;
  const char* patch;
  const char* result;
};

// RFC 7386 appendix A, and what kubectl sends.
const Case kCases[] = {
    {"replace_value", R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {"add_key", R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {"null_removes", R"({"a":"b"})", R"({"a":null})", R"({})"},
    {"null_removes_one", R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {"array_replaces_value", R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {"value_replaces_array", R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {"nested", R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
    {"array_of_objects_replaced", R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {"arrays_replaced", R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {"object_replaces_array", R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {"null_patch", R"({"a":"foo"})", "null", "null"},
    {"string_patch", R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {"null_value_kept_elsewhere", R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {"array_target", R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {"deep_new_with_nulls", R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
    {"kubectl_scale", R"({"spec":{"replicas":1,"paused":false}})", R"({"spec":{"replicas":3}})",
     R"({"spec":{"replicas":3,"paused":false}})"},
    {"kubectl_label", R"({"metadata":{"name":"x"}})", R"({"metadata":{"labels":{"a":"b"}}})",
     R"({"metadata":{"name":"x","labels":{"a":"b"}}})"},
    {"kubectl_unlabel", R"({"metadata":{"name":"x","labels":{"a":"b","c":"d"}}})",
     R"({"metadata":{"labels":{"a":null}}})", R"({"metadata":{"name":"x","labels":{"c":"d"}}})"},
};

class MergePatchTest : public testing::TestWithParam<Case> {};

TEST_P(MergePatchTest, Applies) {
  const Case& c = GetParam();
  absl::StatusOr<std::string> out = ApplyMergePatch(c.target, c.patch);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectJsonEq(*out, c.result);
}

TEST_P(MergePatchTest, CreatedPatchReproducesTheResult) {
  const Case& c = GetParam();
  absl::StatusOr<std::string> diff = CreateMergePatch(c.target, c.result);
  ASSERT_TRUE(diff.ok()) << diff.status();
  absl::StatusOr<std::string> out = ApplyMergePatch(c.target, *diff);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectJsonEq(*out, c.result);
}

INSTANTIATE_TEST_SUITE_P(Rfc7386, MergePatchTest, testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(MergePatch, KeepsDocumentKeyOrderAndAppendsNewKeys) {
  absl::StatusOr<std::string> out =
      ApplyMergePatch(R"({"z":1,"a":{"y":1,"b":2}})", R"({"a":{"c":3},"m":4})");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, R"({"z":1,"a":{"y":1,"b":2,"c":3},"m":4})");
}

TEST(MergePatch, DomForm) {
  rapidjson::Document doc, patch;
  doc.Parse(R"({"spec":{"replicas":1}})");
  patch.Parse(R"({"spec":{"replicas":3}})");
  ApplyMergePatch(doc, patch, doc.GetAllocator());
  EXPECT_EQ(doc["spec"]["replicas"].GetInt(), 3);
  EXPECT_EQ(patch["spec"]["replicas"].GetInt(), 3);  // the patch is not consumed
}

TEST(MergePatch, CreateSortsKeysAndNullsRemovals) {
  absl::StatusOr<std::string> p = CreateMergePatch(R"({"b":1,"a":{"x":1,"y":[1]},"gone":true})",
                                                   R"({"b":1,"a":{"x":2,"y":[1]},"c":{"z":1}})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, R"({"a":{"x":2},"c":{"z":1},"gone":null})");
  EXPECT_EQ(*CreateMergePatch(R"({"a":1})", R"({"a":1})"), "{}");
}

TEST(MergePatch, ThreeWayKeepsLiveOnlyFieldsAndDeletesDroppedOnes) {
  // original = last applied, modified = new configuration, current = live object.
  absl::StatusOr<std::string> p = CreateThreeWayMergePatch(
      R"({"spec":{"replicas":1,"foo":"x"}})", R"({"spec":{"replicas":2}})",
      R"({"spec":{"replicas":1,"foo":"x","bar":"server"},"status":{"ok":true}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, R"({"spec":{"foo":null,"replicas":2}})");
  // No last-applied configuration: nothing is deleted.
  p = CreateThreeWayMergePatch("", R"({"spec":{"replicas":2,"e":{}}})",
                               R"({"spec":{"replicas":1,"bar":"server"}})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, R"({"spec":{"e":{},"replicas":2}})");
}

TEST(MergePatch, Errors) {
  EXPECT_EQ(ApplyMergePatch("{", "{}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyMergePatch("{}", "{\"a\":").status().code(), absl::StatusCode::kInvalidArgument);
  PatchLimits small;
  small.max_patch_bytes = 8;
  EXPECT_EQ(ApplyMergePatch("{}", R"({"aaaaaaaa":1})", small).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string deep(2000, '[');
  deep += std::string(2000, ']');
  absl::Status s = ApplyMergePatch("{}", deep).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("levels deep"));
  EXPECT_EQ(CreateThreeWayMergePatch("[]", "{}", "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MergePatch, DuplicateKeysKeepTheLast) {
  absl::StatusOr<std::string> out = ApplyMergePatch(R"({"a":1})", R"({"a":2,"a":null})");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "{}");
}

}  // namespace
}  // namespace rudder::api::patch
