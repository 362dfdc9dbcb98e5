#include "lib/api/patch/json_patch.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace rudder::api::patch {
namespace {

using testing::HasSubstr;

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
  const char* doc;
  const char* patch;
  const char* result;  // null: an error is expected
  absl::StatusCode code = absl::StatusCode::kOk;
  const char* message = "";
};

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kFailed = absl::StatusCode::kFailedPrecondition;

const Case kCases[] = {
    // RFC 6902 appendix A.
    {"add_member", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
     R"({"foo":"bar","baz":"qux"})"},
    {"add_element", R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])",
     R"({"foo":["bar","qux","baz"]})"},
    {"remove_member", R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])",
     R"({"foo":"bar"})"},
    {"remove_element", R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])",
     R"({"foo":["bar","baz"]})"},
    {"replace", R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])",
     R"({"baz":"boo","foo":"bar"})"},
    {"move_member", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
     R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
     R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
    {"move_element", R"({"foo":["all","grass","cows","eat"]})",
     R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
     R"({"foo":["all","cows","eat","grass"]})"},
    {"test_ok", R"({"baz":"qux","foo":["a",2,"c"]})",
     R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
     R"({"baz":"qux","foo":["a",2,"c"]})"},
    {"test_fails", R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])", nullptr,
     kFailed, "operation 0 (test \"/baz\"): test failed"},
    {"add_nested", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
     R"({"foo":"bar","child":{"grandchild":{}}})"},
    {"unknown_members_ignored", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
    {"add_to_missing_parent", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":1}])",
     nullptr, kInvalid, "path \"/baz\" not found"},
    {"add_array_value", R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc"]}])",
     R"({"foo":["bar",["abc"]]})"},
    {"test_number_equality", R"({"n":1})", R"([{"op":"test","path":"/n","value":1.0}])",
     R"({"n":1})"},
    {"escapes", R"({"/":9,"~1":10})",
     R"([{"op":"test","path":"/~01","value":10},{"op":"replace","path":"/~1","value":1}])",
     R"({"/":1,"~1":10})"},
    {"test_null", R"({"a":null})", R"([{"op":"test","path":"/a","value":null}])", R"({"a":null})"},
    {"copy", R"({"a":{"b":[1]}})", R"([{"op":"copy","from":"/a","path":"/c"}])",
     R"({"a":{"b":[1]},"c":{"b":[1]}})"},
    {"replace_root", R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])", "[1]"},
    {"add_root", R"({"a":1})", R"([{"op":"add","path":"","value":{"b":2}}])", R"({"b":2})"},
    {"append_dash", R"({"a":[1]})", R"([{"op":"add","path":"/a/-","value":2}])", R"({"a":[1,2]})"},
    {"insert_at_end_index", R"({"a":[1]})", R"([{"op":"add","path":"/a/1","value":2}])",
     R"({"a":[1,2]})"},
    {"insert_at_front", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/0","value":0}])",
     R"({"a":[0,1,2]})"},
    {"move_same_path", R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])", R"({"a":1})"},
    {"empty_key", R"({"":1})", R"([{"op":"replace","path":"/","value":2}])", R"({"":2})"},
    // Errors.
    {"index_past_end", R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":2}])", nullptr,
     kInvalid, "out of range"},
    {"leading_zero", R"({"a":[1,2]})", R"([{"op":"replace","path":"/a/01","value":2}])", nullptr,
     kInvalid, "not a valid array index"},
    {"negative_index", R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/-1"}])", nullptr, kInvalid,
     "not a valid array index"},
    {"dash_on_remove", R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])", nullptr, kInvalid,
     "not a valid array index"},
    {"replace_missing", R"({"a":1})", R"([{"op":"replace","path":"/b","value":2}])", nullptr,
     kInvalid, "operation 0 (replace \"/b\"): path \"/b\" not found"},
    {"remove_missing", R"({"a":1})",
     R"([{"op":"test","path":"/a","value":1},{"op":"remove","path":"/b"}])", nullptr, kInvalid,
     "operation 1 (remove \"/b\")"},
    {"remove_root", R"({"a":1})", R"([{"op":"remove","path":""}])", nullptr, kInvalid,
     "whole document"},
    {"move_into_child", R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])",
     nullptr, kInvalid, "into its own child"},
    {"traverse_scalar", R"({"a":"s"})", R"([{"op":"add","path":"/a/b","value":1}])", nullptr,
     kInvalid, "cannot add to a string"},
    {"unknown_op", R"({})", R"([{"op":"frob","path":"/a"}])", nullptr, kInvalid,
     "unknown operation \"frob\""},
    {"missing_value", R"({})", R"([{"op":"add","path":"/a"}])", nullptr, kInvalid,
     "missing \"value\""},
    {"missing_from", R"({})", R"([{"op":"copy","path":"/a"}])", nullptr, kInvalid,
     "missing \"from\""},
    {"path_not_string", R"({})", R"([{"op":"add","path":1,"value":1}])", nullptr, kInvalid,
     "\"path\" must be a string"},
    {"bad_pointer", R"({})", R"([{"op":"add","path":"a","value":1}])", nullptr, kInvalid,
     "must be empty or start with"},
    {"bad_escape", R"({})", R"([{"op":"add","path":"/a~2","value":1}])", nullptr, kInvalid,
     "not followed by"},
    {"not_an_array", R"({})", R"({"op":"add"})", nullptr, kInvalid, "JSON array"},
    {"op_not_object", R"({})", R"([1])", nullptr, kInvalid, "must be a JSON object"},
    {"test_missing_path", R"({})", R"([{"op":"test","path":"/a","value":1}])", nullptr, kFailed,
     "test failed"},
};

class JsonPatchTest : public testing::TestWithParam<Case> {};

TEST_P(JsonPatchTest, Applies) {
  const Case& c = GetParam();
  absl::StatusOr<std::string> out = ApplyJsonPatch(c.doc, c.patch);
  if (c.result == nullptr) {
    ASSERT_FALSE(out.ok()) << *out;
    EXPECT_EQ(out.status().code(), c.code) << out.status();
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(c.message));
    return;
  }
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectJsonEq(*out, c.result);
}

INSTANTIATE_TEST_SUITE_P(Rfc6902, JsonPatchTest, testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(JsonPatch, KubectlPatchTypeJson) {
  // kubectl patch deployment x --type=json -p '[...]'
  const char* deployment =
      R"({"metadata":{"name":"x","labels":{"app":"web"}},"spec":{"replicas":1,)"
      R"("template":{"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}})";
  absl::StatusOr<std::string> out = ApplyJsonPatch(
      deployment,
      R"([{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"busybox:1.37"},)"
      R"({"op":"add","path":"/metadata/labels/app.kubernetes.io~1name","value":"x"},)"
      R"({"op":"remove","path":"/metadata/labels/app"}])");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(
      *out,
      R"({"metadata":{"name":"x","labels":{"app.kubernetes.io/name":"x"}},"spec":{"replicas":1,)"
      R"("template":{"spec":{"containers":[{"name":"c","image":"busybox:1.37"}]}}}})");
}

TEST(JsonPatch, StringFormIsAtomic) {
  // The string form returns nothing on error; the DOM form may have applied earlier operations.
  rapidjson::Document doc, patch;
  doc.Parse(R"({"a":1})");
  patch.Parse(R"([{"op":"replace","path":"/a","value":2},{"op":"remove","path":"/zz"}])");
  absl::Status s = ApplyJsonPatch(doc, patch);
  EXPECT_EQ(s.code(), kInvalid);
  EXPECT_THAT(std::string(s.message()), HasSubstr("operation 1 (remove \"/zz\")"));
}

TEST(JsonPatch, Limits) {
  PatchLimits limits;
  limits.max_operations = 2;
  EXPECT_EQ(
      ApplyJsonPatch("{}",
                     R"([{"op":"add","path":"/a","value":1},{"op":"add","path":"/b","value":1},)"
                     R"({"op":"add","path":"/c","value":1}])",
                     limits)
          .status()
          .code(),
      kInvalid);
  // Doubling a value with copies is bounded.
  std::string ops = R"([{"op":"add","path":"/a","value":[1,2,3,4]})";
  for (int i = 0; i < 40; ++i) ops += R"(,{"op":"copy","from":"/a","path":"/a/-"})";
  ops += "]";
  absl::Status s = ApplyJsonPatch("{}", ops).status();
  EXPECT_EQ(s.code(), kInvalid);
  EXPECT_THAT(std::string(s.message()), HasSubstr("values in total"));
  // Copying a value into itself deepens the document; depth is bounded.
  limits = PatchLimits{};
  limits.max_depth = 10;
  ops = R"([{"op":"add","path":"/a","value":{"b":{}}})";
  for (int i = 0; i < 20; ++i) ops += R"(,{"op":"copy","from":"/a","path":"/a/b/x"})";
  ops += "]";
  s = ApplyJsonPatch("{}", ops, limits).status();
  EXPECT_EQ(s.code(), kInvalid);
  EXPECT_THAT(std::string(s.message()), HasSubstr("levels deep"));
}

TEST(JsonPointer, ParseAndEscape) {
  auto toks = ParseJsonPointer("/a~1b/~0c/0/");
  ASSERT_TRUE(toks.ok());
  EXPECT_THAT(*toks, testing::ElementsAre("a/b", "~c", "0", ""));
  EXPECT_TRUE(ParseJsonPointer("")->empty());
  EXPECT_EQ(EscapeJsonPointerToken("a/b~c"), "a~1b~0c");
  EXPECT_EQ(ParseJsonPointer("/~").status().code(), kInvalid);
}

}  // namespace
}  // namespace rudder::api::patch
