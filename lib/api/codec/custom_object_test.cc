// The JSON form of rudder.api.unstructured.CustomObject: the object itself.
#include <string>

#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/unstructured/unstructured.pb.h"

namespace rudder::api {
namespace {

using unstructured::CustomObject;

TEST(CustomObjectJsonTest, DecodeSplitsMetadataStatusAndContent) {
  CustomObject o;
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(
      R"({"kind":"CronTab","apiVersion":"stable.example.com/v1","metadata":{"name":"a",)"
      R"("labels":{"x":"y"}},"status":{"ok":true},"spec":{"image":"i","n":1e3},"extra":[1]})",
      &o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type_meta.api_version, "stable.example.com/v1");
  EXPECT_EQ(r->type_meta.kind, "CronTab");
  EXPECT_EQ(o.metadata().name(), "a");
  EXPECT_EQ(o.metadata().labels().at("x"), "y");
  EXPECT_EQ(o.status().raw(), R"({"ok":true})");
  EXPECT_EQ(o.content(), R"({"extra":[1],"spec":{"image":"i","n":1e3}})");
}

TEST(CustomObjectJsonTest, EncodeSortsKeysLikeKubernetes) {
  CustomObject o;
  o.mutable_metadata()->set_name("a");
  o.mutable_status()->set_raw(R"({"ok":true})");
  o.set_content(R"({"spec":{"b":1,"a":"<"}})");
  JsonEncodeOptions enc;
  enc.api_version = "stable.example.com/v1";
  enc.kind = "CronTab";
  absl::StatusOr<std::string> json = EncodeJson(o, enc);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, R"({"apiVersion":"stable.example.com/v1","kind":"CronTab",)"
                   R"("metadata":{"name":"a","creationTimestamp":null},)"
                   R"("spec":{"a":"\u003c","b":1},"status":{"ok":true}})");
  enc.indent = true;
  json = EncodeJson(o, enc);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\n    \"kind\": \"CronTab\",\n"), std::string::npos) << *json;
}

TEST(CustomObjectJsonTest, RoundTrip) {
  const std::string in =
      R"({"apiVersion":"g/v1","kind":"K","metadata":{"name":"a","namespace":"n",)"
      R"("creationTimestamp":"2024-01-02T03:04:05Z"},)"
      R"("spec":{"list":[{"k":null}],"s":"x"}})";
  CustomObject o;
  ASSERT_TRUE(DecodeJson(in, &o).ok());
  JsonEncodeOptions enc{.api_version = "g/v1", .kind = "K"};
  EXPECT_EQ(*EncodeJson(o, enc), in);
}

TEST(CustomObjectJsonTest, BadInputIsInvalidArgument) {
  CustomObject o;
  EXPECT_EQ(DecodeJson("[1]", &o).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeJson("{", &o).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeJson(R"({"kind":1})", &o).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeJson(R"({"metadata":[]})", &o).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(R"({"metadata":{"name":5}})", &o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("metadata.name"), std::string::npos) << r.status();
  std::string deep(200, '[');
  deep = R"({"spec":)" + deep + std::string(200, ']') + "}";
  EXPECT_EQ(DecodeJson(deep, &o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CustomObjectJsonTest, UnknownMetadataFieldsFollowFieldValidation) {
  CustomObject o;
  JsonDecodeOptions dec;
  dec.validation = FieldValidation::kWarn;
  absl::StatusOr<JsonDecodeResult> r =
      DecodeJson(R"({"metadata":{"name":"a","bogus":1}})", &o, dec);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0], "unknown field \"metadata.bogus\"");
}

}  // namespace
}  // namespace rudder::api
