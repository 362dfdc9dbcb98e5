#include "lib/api/codec/json.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/codec/testdata/codectest.pb.h"

namespace rudder::api {
namespace {

using codectest::Everything;
using codectest::Typed;

// The built-in JSON forms under the test messages' names.
const JsonCodec& Codec() {
  static const JsonCodec* codec = [] {
    JsonSpecialTypes t;
    EXPECT_TRUE(t.Register("rudder.api.codectest.Quantity", NewQuantityJsonType()).ok());
    EXPECT_TRUE(t.Register("rudder.api.codectest.IntOrString", NewIntOrStringJsonType()).ok());
    EXPECT_TRUE(t.Register("rudder.api.codectest.Time", NewTimeJsonType()).ok());
    EXPECT_TRUE(t.Register("rudder.api.codectest.MicroTime", NewMicroTimeJsonType()).ok());
    EXPECT_TRUE(t.Register("rudder.api.codectest.Duration", NewDurationJsonType()).ok());
    EXPECT_TRUE(t.Register("rudder.api.codectest.RawExtension", NewRawJsonType()).ok());
    EXPECT_TRUE(t.RegisterInlineField("rudder.api.codectest.Holder.embedded").ok());
    return new JsonCodec(std::move(t));
  }();
  return *codec;
}

std::string Enc(const google::protobuf::Message& m, JsonEncodeOptions o = {}) {
  absl::StatusOr<std::string> s = Codec().Encode(m, o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

Everything Dec(absl::string_view json, JsonDecodeOptions o = {}) {
  Everything e;
  absl::StatusOr<JsonDecodeResult> r = Codec().Decode(json, &e, o);
  EXPECT_TRUE(r.ok()) << r.status() << " for " << json;
  return e;
}

absl::Status DecErr(absl::string_view json, JsonDecodeOptions o = {}) {
  Everything e;
  return Codec().Decode(json, &e, o).status();
}

// Decodes and re-encodes: the output must equal the input (canonical JSON).
void ExpectRoundTrip(absl::string_view json) {
  Everything e = Dec(json);
  EXPECT_EQ(Enc(e), json);
}

TEST(JsonEncodeTest, EmptyMessageIsEmptyObject) {
  EXPECT_EQ(Enc(Everything()), "{\"always\":[],\"alwaysMap\":{},\"alwaysItem\":null}");
}

TEST(JsonEncodeTest, DeclarationOrderAndZeroButSet) {
  Everything e;
  e.set_afirst("a");
  e.set_zlast("z");
  e.set_i32(0);
  e.set_str("");
  e.set_flag(false);
  e.mutable_item();
  EXPECT_EQ(Enc(e),
            "{\"str\":\"\",\"i32\":0,\"flag\":false,\"item\":{},\"always\":[],\"alwaysMap\":{},"
            "\"alwaysItem\":null,\"afirst\":\"a\",\"zlast\":\"z\"}");
}

TEST(JsonEncodeTest, TypeMetaFirstKindThenApiVersion) {
  Everything e;
  e.mutable_metadata()->set_name("x");
  JsonEncodeOptions o;
  o.kind = "Thing";
  o.api_version = "example.com/v1";
  EXPECT_EQ(
      Enc(e, o).rfind("{\"kind\":\"Thing\",\"apiVersion\":\"example.com/v1\",\"metadata\":{", 0),
      0u);
}

TEST(JsonEncodeTest, JsonAlwaysUnsetMessageIsNull) {
  Everything e;
  e.mutable_metadata()->set_name("web");
  std::string json = Enc(e);
  EXPECT_NE(json.find("\"metadata\":{\"name\":\"web\",\"creationTimestamp\":null}"),
            std::string::npos)
      << json;
}

TEST(JsonEncodeTest, AllScalarKinds) {
  Everything e;
  e.set_i64(-9007199254740993);  // not representable as a double: must stay exact
  e.set_u64(18446744073709551615ull);
  e.set_dbl(0.1);
  e.set_flt(1.5f);
  e.set_color(codectest::GREEN);
  e.set_data(std::string("\x00\xff hi", 5));
  e.set_dash_name("d");
  std::string json = Enc(e);
  EXPECT_NE(json.find("\"i64\":-9007199254740993,\"u64\":18446744073709551615,\"dbl\":0.1,"
                      "\"flt\":1.5,\"data\":\"AP8gaGk=\",\"color\":\"GREEN\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"dash-name\":\"d\""), std::string::npos) << json;
  Everything back = Dec(json);
  EXPECT_EQ(back.SerializeAsString(), e.SerializeAsString());
}

TEST(JsonEncodeTest, MapsAreSortedObjects) {
  Everything e;
  (*e.mutable_labels())["zeta"] = "1";
  (*e.mutable_labels())["alpha"] = "2";
  (*e.mutable_labels())["Mid"] = "3";
  (*e.mutable_bynumber())[10] = "ten";
  (*e.mutable_bynumber())[9] = "nine";
  std::string json = Enc(e);
  EXPECT_NE(json.find("\"labels\":{\"Mid\":\"3\",\"alpha\":\"2\",\"zeta\":\"1\"}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"byNumber\":{\"10\":\"ten\",\"9\":\"nine\"}"), std::string::npos) << json;
  EXPECT_EQ(Dec(json).SerializeAsString().size(), e.SerializeAsString().size());
}

TEST(JsonEncodeTest, IndentMatchesKubectl) {
  Everything e;
  e.mutable_metadata()->set_name("web");
  e.add_items()->set_name("a");
  e.mutable_item();
  JsonEncodeOptions o;
  o.indent = true;
  o.kind = "Everything";
  o.api_version = "v1";
  EXPECT_EQ(Enc(e, o),
            "{\n"
            "    \"kind\": \"Everything\",\n"
            "    \"apiVersion\": \"v1\",\n"
            "    \"metadata\": {\n"
            "        \"name\": \"web\",\n"
            "        \"creationTimestamp\": null\n"
            "    },\n"
            "    \"item\": {},\n"
            "    \"items\": [\n"
            "        {\n"
            "            \"name\": \"a\"\n"
            "        }\n"
            "    ],\n"
            "    \"always\": [],\n"
            "    \"alwaysMap\": {},\n"
            "    \"alwaysItem\": null\n"
            "}");
}

TEST(JsonRoundTripTest, Canonical) {
  ExpectRoundTrip(
      "{\"metadata\":{\"name\":\"n\",\"creationTimestamp\":\"2024-01-02T03:04:05Z\","
      "\"labels\":{\"a\":\"b\"}},\"str\":\"\\u003ctag\\u003e \\\"q\\\" \\n\",\"i32\":-5,"
      "\"item\":{\"name\":\"x\",\"children\":[{\"name\":\"y\",\"children\":[{\"port\":1}]}]},"
      "\"items\":[{},{\"port\":0}],\"names\":[\"a\",\"\"],\"numbers\":[1,-2,3],"
      "\"itemMap\":{\"k\":{\"name\":\"v\"}},\"limits\":{\"cpu\":\"100m\",\"memory\":\"1Gi\"},"
      "\"blobs\":{\"b\":\"YQ==\"},\"quantity\":\"1500m\",\"port\":8080,"
      "\"time\":\"2024-01-02T03:04:05Z\",\"micro\":\"2024-01-02T03:04:05.123456Z\","
      "\"duration\":\"1h2m3s\",\"raw\":{\"any\":[1,2.50,{\"x\":null}],\"b\":true},"
      "\"raws\":[1,\"s\",null,[]],\"quantities\":[\"1\",\"2Ki\"],\"always\":[\"x\"],"
      "\"alwaysMap\":{\"k\":\"v\"},\"alwaysItem\":{},\"alwaysStr\":\"\","
      "\"next\":{\"str\":\"deep\",\"always\":[],\"alwaysMap\":{},\"alwaysItem\":null}}");
}

TEST(JsonDecodeTest, NullIsUnset) {
  Everything e =
      Dec("{\"str\":null,\"item\":null,\"items\":null,\"labels\":null,"
          "\"quantity\":null,\"time\":null,\"raw\":null}");
  EXPECT_FALSE(e.has_str());
  EXPECT_FALSE(e.has_item());
  EXPECT_EQ(e.items_size(), 0);
  EXPECT_FALSE(e.has_quantity());
  EXPECT_FALSE(e.has_time());
  EXPECT_FALSE(e.has_raw());
  e = Dec("{\"items\":[null,{\"port\":1}],\"names\":[null],\"labels\":{\"a\":null}}");
  EXPECT_EQ(e.items_size(), 2);
  EXPECT_EQ(e.names(0), "");
  EXPECT_EQ(e.labels().at("a"), "");
}

TEST(JsonDecodeTest, SpecialTypesAcceptAlternateForms) {
  Everything e = Dec("{\"quantity\":0.5,\"port\":\"25%\",\"limits\":{\"cpu\":2}}");
  EXPECT_EQ(e.quantity().string(), "500m");  // canonical, as Kubernetes re-encodes it
  EXPECT_EQ(e.port().type(), 1);
  EXPECT_EQ(Dec("{\"quantity\":\"1000m\"}").quantity().string(), "1");
  EXPECT_EQ(Dec("{\"quantity\":\"1Gi\"}").quantity().string(), "1Gi");
  EXPECT_EQ(e.port().strval(), "25%");
  EXPECT_EQ(e.limits().at("cpu").string(), "2");
  EXPECT_EQ(Enc(e),
            "{\"limits\":{\"cpu\":\"2\"},\"quantity\":\"500m\",\"port\":\"25%\","
            "\"always\":[],\"alwaysMap\":{},\"alwaysItem\":null}");
  e = Dec("{\"time\":\"2024-01-02T05:04:05.75+02:00\",\"micro\":\"2024-01-02T03:04:05Z\"}");
  EXPECT_EQ(e.time().seconds(), 1704164645);
  EXPECT_EQ(e.time().nanos(), 750000000);
  EXPECT_NE(
      Enc(e).find("\"time\":\"2024-01-02T03:04:05Z\",\"micro\":\"2024-01-02T03:04:05.000000Z\""),
      std::string::npos);
  e = Dec("{\"duration\":\"90s\"}");
  EXPECT_EQ(e.duration().duration(), 90000000000);
  EXPECT_NE(Enc(e).find("\"duration\":\"1m30s\""), std::string::npos);
}

TEST(JsonDecodeTest, RawExtensionIsVerbatimAndCompactedOnOutput) {
  Everything e = Dec("{\"raw\": { \"a\" : [1, 1.0, 1e3],\n \"s\": \"<\\u0041>\" } }");
  EXPECT_EQ(e.raw().raw(), "{ \"a\" : [1, 1.0, 1e3],\n \"s\": \"<\\u0041>\" }");
  EXPECT_NE(Enc(e).find("\"raw\":{\"a\":[1,1.0,1e3],\"s\":\"\\u003c\\u0041\\u003e\"}"),
            std::string::npos)
      << Enc(e);
  e = Dec("{\"raws\":[\"a\\\"b\", 7 ,false]}");
  ASSERT_EQ(e.raws_size(), 3);
  EXPECT_EQ(e.raws(0).raw(), "\"a\\\"b\"");
  EXPECT_EQ(e.raws(1).raw(), "7");
  EXPECT_EQ(e.raws(2).raw(), "false");
  Everything bad;
  bad.mutable_raw()->set_raw("{not json");
  EXPECT_EQ(Codec().Encode(bad).status().code(), absl::StatusCode::kInvalidArgument);
  Everything empty;
  empty.mutable_raw();
  EXPECT_NE(Enc(empty).find("\"raw\":null"), std::string::npos);
}

TEST(JsonDecodeTest, BadSpecialValuesNameThePath) {
  struct Case {
    const char* json;
    const char* message_start;
  } cases[] = {
      {"{\"quantity\":\"ten\"}", "quantity: quantities must match"},
      {"{\"quantity\":true}", "quantity: expected a quantity"},
      {"{\"limits\":{\"cpu\":\"1x\"}}", "limits[cpu]: quantities must match"},
      {"{\"port\":1.5}", "port: cannot unmarshal number 1.5"},
      {"{\"port\":4294967296}", "port: cannot unmarshal number"},
      {"{\"port\":{}}", "port: expected an integer or a string"},
      {"{\"time\":\"2024-01-02\"}", "time: invalid RFC 3339 time"},
      {"{\"time\":12}", "time: expected an RFC 3339 time string"},
      {"{\"duration\":\"1 hour\"}", "duration: invalid duration"},
      {"{\"duration\":5}", "duration: expected a duration string"},
      {"{\"quantities\":[\"1\",\"oops\"]}", "quantities[1]: quantities must match"},
  };
  for (const Case& c : cases) {
    absl::Status s = DecErr(c.json);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(s.message().substr(0, strlen(c.message_start)), c.message_start)
        << c.json << " -> " << s;
  }
}

TEST(JsonDecodeTest, WrongTypesNameThePath) {
  struct Case {
    const char* json;
    const char* message;
  } cases[] = {
      {"{\"i32\":\"5\"}", "i32: expected an integer, got a string"},
      {"{\"i32\":1.0}", "i32: expected an integer, got number 1.0"},
      {"{\"i32\":2147483648}", "i32: number 2147483648 is out of range for int32"},
      {"{\"u32\":-1}", "u32: number -1 is out of range for uint32"},
      {"{\"i64\":123456789012345678901234567890}",
       "i64: number 123456789012345678901234567890 is out of range for int64"},
      {"{\"str\":5}", "str: expected a string, got number 5"},
      {"{\"flag\":\"true\"}", "flag: expected a boolean, got a string"},
      {"{\"item\":[]}", "item: expected an object, got an array"},
      {"{\"item\":\"x\"}", "item: expected an object, got a string"},
      {"{\"items\":{}}", "items: expected an array, got an object"},
      {"{\"items\":[{\"children\":[{\"port\":\"80\"}]}]}",
       "items[0].children[0].port: expected an integer, got a string"},
      {"{\"labels\":[]}", "labels: expected an object, got an array"},
      {"{\"labels\":{\"a\":1}}", "labels[a]: expected a string, got number 1"},
      {"{\"data\":\"!!!\"}", "data: illegal base64 data"},
      {"{\"color\":\"BLUE\"}", "color: unknown value "},
      {"{\"dbl\":1e999}", "invalid JSON at line 1, column 8 (offset 7): Number too big"},
      {"{\"byNumber\":{\"x\":\"y\"}}", "byNumber[x]: invalid integer map key"},
      {"[]", "expected a JSON object, got an array"},
      {"\"s\"", "expected a JSON object, got a string"},
      {"{\"kind\":5}", "expected a string, got number 5"},
  };
  for (const Case& c : cases) {
    absl::Status s = DecErr(c.json);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(s.message().substr(0, strlen(c.message)), c.message) << c.json << " -> " << s;
  }
}

TEST(JsonDecodeTest, StrictReportsEveryUnknownAndDuplicateFieldWithKubernetesWording) {
  const char* json =
      "{\"metadata\":{\"name\":\"a\",\"name\":\"b\"},\"items\":[{},{\"children\":[{\"nmae\":1}]}],"
      "\"bogus\":{\"deep\":[1,{\"x\":2}]},\"labels\":{\"k\":\"1\",\"k\":\"2\"}}";
  absl::Status s = DecErr(json);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "strict decoding error: duplicate field \"metadata.name\", unknown field "
            "\"items[1].children[0].nmae\", unknown field \"bogus\", duplicate field "
            "\"labels[k]\"");
}

TEST(JsonDecodeTest, WarnAndIgnoreModesDecodeAnyway) {
  const char* json =
      "{\"str\":\"a\",\"str\":\"b\",\"extra\":[1],\"labels\":{\"k\":\"1\",\"k\":\"2\"},"
      "\"items\":[{\"name\":\"x\"}],\"items\":[{\"name\":\"y\"}]}";
  JsonDecodeOptions o;
  o.validation = FieldValidation::kWarn;
  Everything e;
  absl::StatusOr<JsonDecodeResult> r = Codec().Decode(json, &e, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(e.str(), "b");
  EXPECT_EQ(e.labels().size(), 1u);
  EXPECT_EQ(e.labels().at("k"), "2");
  ASSERT_EQ(e.items_size(), 1);
  EXPECT_EQ(e.items(0).name(), "y");
  EXPECT_EQ(r->warnings, (std::vector<std::string>{
                             "duplicate field \"str\"", "unknown field \"extra\"",
                             "duplicate field \"labels[k]\"", "duplicate field \"items\""}));
  o.validation = FieldValidation::kIgnore;
  r = Codec().Decode(json, &e, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->warnings.empty());
  // Lenient modes still reject wrong types.
  EXPECT_EQ(DecErr("{\"extra\":1,\"i32\":\"x\"}", o).code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonDecodeTest, TypeMetaIsReturned) {
  Everything e;
  absl::StatusOr<JsonDecodeResult> r =
      Codec().Decode("{\"apiVersion\":\"apps/v1\",\"str\":\"x\",\"kind\":\"Deployment\"}", &e);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type_meta, (TypeMeta{"apps/v1", "Deployment"}));
  EXPECT_EQ(e.str(), "x");
  // A message with its own kind/apiVersion fields gets them too, and they are written as fields.
  Typed t;
  r = Codec().Decode("{\"kind\":\"K\",\"apiVersion\":\"v1\",\"name\":\"n\"}", &t);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(t.kind(), "K");
  EXPECT_EQ(r->type_meta.kind, "K");
  EXPECT_EQ(Enc(t), "{\"kind\":\"K\",\"apiVersion\":\"v1\",\"name\":\"n\"}");
  // Nested "kind" keys are ordinary (unknown) fields.
  EXPECT_EQ(DecErr("{\"item\":{\"kind\":\"x\"}}").message(),
            "strict decoding error: unknown field \"item.kind\"");
}

TEST(JsonInlineTest, EmbeddedMembersSitInTheHolder) {
  codectest::Holder h;
  h.set_name("n");
  h.mutable_embedded()->set_a("x");
  h.mutable_embedded()->mutable_item()->set_port(1);
  h.set_after(2);
  EXPECT_EQ(Enc(h), "{\"name\":\"n\",\"a\":\"x\",\"item\":{\"port\":1},\"list\":[],\"after\":2}");
  codectest::Holder back;
  absl::StatusOr<JsonDecodeResult> r = Codec().Decode(Enc(h), &back);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(back.embedded().a(), "x");
  EXPECT_EQ(back.embedded().item().port(), 1);
  EXPECT_EQ(back.after(), 2);
  // Unset embedded message: its json_always members still print, as Go's embedded struct.
  EXPECT_EQ(Enc(codectest::Holder()), "{\"list\":[]}");
  // The embedding field itself is not a JSON name.
  EXPECT_EQ(Codec().Decode("{\"embedded\":{}}", &back).status().message(),
            "strict decoding error: unknown field \"embedded\"");
  EXPECT_EQ(Codec().Decode("{\"a\":\"1\",\"a\":\"2\"}", &back).status().message(),
            "strict decoding error: duplicate field \"a\"");
  EXPECT_EQ(Codec().Decode("{\"item\":{\"port\":\"x\"}}", &back).status().message(),
            "item.port: expected an integer, got a string");
}

TEST(PeekTypeMetaTest, ReadsOnlyTopLevel) {
  absl::StatusOr<TypeMeta> tm = PeekTypeMeta(
      "{\"metadata\":{\"kind\":\"no\"},\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{");
  ASSERT_TRUE(tm.ok()) << tm.status();  // Stops before the truncated rest.
  EXPECT_EQ(*tm, (TypeMeta{"v1", "Pod"}));
  tm = PeekTypeMeta("{\"kind\":\"List\",\"items\":[]}");
  ASSERT_TRUE(tm.ok());
  EXPECT_EQ(*tm, (TypeMeta{"", "List"}));
  EXPECT_EQ(PeekTypeMeta("{\"kind\":1}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PeekTypeMeta("[1]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PeekTypeMeta("{\"a\":").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonDecodeTest, LimitsAreEnforced) {
  std::string deep = "{\"raw\":";
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  deep += "}";
  absl::Status s = DecErr(deep);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("maximum nesting depth of 100"), absl::string_view::npos) << s;
  JsonDecodeOptions o;
  o.max_depth = 300;
  EXPECT_TRUE(DecErr(deep, o).ok());
  // A deep unknown field is bounded as well.
  std::string deep_unknown = "{\"x\":" + std::string(100000, '[');
  EXPECT_NE(DecErr(deep_unknown).message().find("maximum nesting depth"), absl::string_view::npos);
  o = {};
  o.max_bytes = 10;
  EXPECT_EQ(DecErr("{\"str\":\"0123456789\"}", o).code(), absl::StatusCode::kInvalidArgument);
  // Encoding a too-deep message fails cleanly.
  Everything e;
  Everything* cur = &e;
  for (int i = 0; i < 150; ++i) cur = cur->mutable_next();
  EXPECT_EQ(Codec().Encode(e).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonDecodeTest, MalformedInputIsAnErrorWithPosition) {
  const char* cases[] = {
      "",
      "{",
      "{\"str\":\"abc",
      "{\"str\":\"abc\"",
      "{\"str\" \"abc\"}",
      "{\"str\":\"abc\",}",
      "{\"i32\":01}",
      "{\"i32\":-}",
      "{\"str\":\"\xff\"}",
      "{\"str\":\"\\ud800\"}",
      "{} {}",
      "{\"str\":'x'}",
      "nul",
  };
  for (const char* c : cases) {
    absl::Status s = DecErr(c);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c;
  }
  // A NUL byte is never valid JSON, even after a complete document.
  EXPECT_EQ(DecErr(std::string("{}\0{\"x\":1}", 10)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecErr(std::string("{\"str\":\"a\0b\"}", 12)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PeekTypeMeta(std::string("{\"kind\":\"A\0\"}", 13)).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status s = DecErr("{\n  \"str\": tru\n}");
  EXPECT_NE(s.message().find("invalid JSON at line 2"), absl::string_view::npos) << s;
}

TEST(JsonDecodeTest, DecodeStringParsesInPlaceLikeDecode) {
  const std::string json =
      R"({"str":"a\u00e9","i32":7,"raw":{"x":[1,2]},"quantity":"1500m","names":["p","q"]})";
  Everything from_view;
  Everything in_place;
  absl::StatusOr<JsonDecodeResult> a = Codec().Decode(json, &from_view);
  absl::StatusOr<JsonDecodeResult> b = Codec().DecodeString(json, &in_place);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(in_place.SerializeAsString(), from_view.SerializeAsString());
  EXPECT_EQ(in_place.str(), "a\xc3\xa9");
  // Errors are the same too: a NUL inside the string is not taken for its end.
  const std::string nul("{\"str\":\"a\0b\"}", 13);
  EXPECT_EQ(Codec().DecodeString(nul, &in_place).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string cut = "{\"str\":\"abc";
  absl::Status s1 = Codec().Decode(cut, &from_view).status();
  absl::Status s2 = Codec().DecodeString(cut, &in_place).status();
  EXPECT_EQ(s2.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s2.message(), s1.message());
}

TEST(JsonDecodeTest, DecodeClearsTheMessageFirst) {
  Everything e;
  e.set_str("old");
  ASSERT_TRUE(Codec().Decode("{\"i32\":1}", &e).ok());
  EXPECT_FALSE(e.has_str());
}

TEST(JsonCodecTest, SharedAcrossThreads) {
  // A fresh codec, so the threads race to build the plans.
  JsonSpecialTypes t;
  ASSERT_TRUE(t.Register("rudder.api.codectest.Quantity", NewQuantityJsonType()).ok());
  JsonCodec codec(std::move(t));
  const std::string json =
      "{\"metadata\":{\"name\":\"n\",\"labels\":{\"a\":\"b\"}},\"items\":[{\"name\":\"x\"}],"
      "\"limits\":{\"cpu\":\"1\"},\"next\":{\"item\":{\"port\":1}}}";
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 50; ++k) {
        Everything e;
        ASSERT_TRUE(codec.Decode(json, &e).ok());
        ASSERT_TRUE(codec.Encode(e).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
}

TEST(FormatJsonTest, IndentsAndCompacts) {
  EXPECT_EQ(*FormatJson("{\"a\":[1,{}]}", true),
            "{\n    \"a\": [\n        1,\n        {}\n    ]\n}");
  EXPECT_EQ(*FormatJson("{ \"a\" : [ 1 ] }", false), "{\"a\":[1]}");
  EXPECT_EQ(FormatJson("{", false).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonSpecialTypesTest, RegistryRejectsDuplicatesAndHostTypesWork) {
  class Upper : public JsonSpecialType {
   public:
    absl::Status Encode(const google::protobuf::Message& m, std::string* out) const override {
      AppendJsonString("ITEM:" + static_cast<const codectest::Item&>(m).name(), out);
      return absl::OkStatus();
    }
    absl::Status Decode(const JsonValueRef& v, google::protobuf::Message* m) const override {
      if (v.kind != JsonValueRef::Kind::kString) return absl::InvalidArgumentError("want string");
      static_cast<codectest::Item*>(m)->set_name(std::string(v.string_value));
      return absl::OkStatus();
    }
  };
  JsonSpecialTypes t = NewBuiltinJsonSpecialTypes();
  EXPECT_EQ(t.Register("rudder.api.resource.Quantity", NewQuantityJsonType()).code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(t.Register("rudder.api.codectest.Item", std::make_shared<Upper>()).ok());
  JsonCodec codec(std::move(t));
  Everything e;
  absl::StatusOr<JsonDecodeResult> r = codec.Decode("{\"item\":\"x\",\"items\":[\"y\"]}", &e);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(e.item().name(), "x");
  EXPECT_EQ(e.items(0).name(), "y");
  EXPECT_EQ(*codec.Encode(e),
            "{\"item\":\"ITEM:x\",\"items\":[\"ITEM:y\"],\"always\":[],"
            "\"alwaysMap\":{},\"alwaysItem\":null}");
  EXPECT_EQ(codec.Decode("{\"item\":1}", &e).status().message(), "item: want string");
}

}  // namespace
}  // namespace rudder::api
