#include "lib/api/schema/schema.h"

#include <string>

#include "gtest/gtest.h"

namespace rudder::api::schema {
namespace {

std::shared_ptr<const Schema> MustParse(const std::string& json) {
  absl::StatusOr<std::shared_ptr<const Schema>> s = ParseSchema(json);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::make_shared<Schema>();
}

rapidjson::Document Doc(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

// The errors of validating `value` against `schema`, joined with "; ".
std::string Errors(const std::string& schema, const std::string& value) {
  auto s = MustParse(schema);
  rapidjson::Document d = Doc(value);
  field::FieldErrors errs = Validate(*s, d, field::Path());
  std::string out;
  for (const field::Error& e : errs.errors()) {
    if (!out.empty()) out += "; ";
    out += e.ToString();
  }
  return out;
}

std::string Spec(const std::string& props) {
  return R"({"type":"object","properties":{"spec":{"type":"object","properties":)" + props + "}}}";
}

TEST(SchemaTest, MaximumMessageMatchesKubernetes) {
  EXPECT_EQ(Errors(Spec(R"({"replicas":{"type":"integer","maximum":10}})"),
                   R"({"spec":{"replicas":11}})"),
            "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or "
            "equal to 10");
  EXPECT_EQ(Errors(Spec(R"({"replicas":{"type":"integer","maximum":10}})"),
                   R"({"spec":{"replicas":10}})"),
            "");
}

TEST(SchemaTest, ExclusiveBounds) {
  std::string s = Spec(R"({"n":{"type":"number","minimum":1,"exclusiveMinimum":true,"maximum":5,)"
                       R"("exclusiveMaximum":true}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"n":5}})"),
            "spec.n: Invalid value: 5: spec.n in body should be less than 5");
  EXPECT_EQ(Errors(s, R"({"spec":{"n":1}})"),
            "spec.n: Invalid value: 1: spec.n in body should be greater than 1");
  EXPECT_EQ(Errors(s, R"({"spec":{"n":2.5}})"), "");
}

TEST(SchemaTest, Minimum) {
  EXPECT_EQ(Errors(Spec(R"({"n":{"type":"integer","minimum":0}})"), R"({"spec":{"n":-1}})"),
            "spec.n: Invalid value: -1: spec.n in body should be greater than or equal to 0");
}

TEST(SchemaTest, MultipleOf) {
  EXPECT_EQ(Errors(Spec(R"({"n":{"type":"integer","multipleOf":5}})"), R"({"spec":{"n":7}})"),
            "spec.n: Invalid value: 7: spec.n in body should be a multiple of 5");
  EXPECT_EQ(Errors(Spec(R"({"n":{"type":"integer","multipleOf":5}})"), R"({"spec":{"n":15}})"), "");
}

TEST(SchemaTest, Types) {
  std::string s = Spec(R"({"i":{"type":"integer"},"s":{"type":"string"},"b":{"type":"boolean"},)"
                       R"("a":{"type":"array","items":{"type":"string"}},"o":{"type":"object"},)"
                       R"("n":{"type":"number"}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"i":1,"s":"x","b":true,"a":["y"],"o":{},"n":1.5}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"i":"one"}})"),
            "spec.i: Invalid value: \"string\": spec.i in body must be of type integer: "
            "\"string\"");
  EXPECT_EQ(Errors(s, R"({"spec":{"i":1.5}})"),
            "spec.i: Invalid value: \"number\": spec.i in body must be of type integer: "
            "\"number\"");
  EXPECT_EQ(Errors(s, R"({"spec":{"b":"true"}})"),
            "spec.b: Invalid value: \"string\": spec.b in body must be of type boolean: "
            "\"string\"");
  EXPECT_EQ(Errors(s, R"({"spec":{"a":[1]}})"),
            "spec.a[0]: Invalid value: \"integer\": spec.a[0] in body must be of type string: "
            "\"integer\"");
  EXPECT_EQ(Errors(s, R"({"spec":{"o":[]}})"),
            "spec.o: Invalid value: \"array\": spec.o in body must be of type object: \"array\"");
  EXPECT_EQ(Errors(s, R"({"spec":{"n":"1"}})"),
            "spec.n: Invalid value: \"string\": spec.n in body must be of type number: "
            "\"string\"");
  // An integral float is an integer, as in Go's JSON decoding.
  EXPECT_EQ(Errors(s, R"({"spec":{"i":2.0}})"), "");
}

TEST(SchemaTest, Required) {
  std::string s = R"({"type":"object","required":["spec"],"properties":{"spec":{"type":"object",)"
                  R"("required":["image","size"],"properties":{"image":{"type":"string"},)"
                  R"("size":{"type":"integer"}}}}})";
  EXPECT_EQ(Errors(s, R"({})"), "spec: Required value");
  EXPECT_EQ(Errors(s, R"({"spec":{"size":1}})"), "spec.image: Required value");
  EXPECT_EQ(Errors(s, R"({"spec":{}})"), "spec.image: Required value; spec.size: Required value");
}

TEST(SchemaTest, Enum) {
  std::string s = Spec(R"({"color":{"type":"string","enum":["red","green"]}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"color":"red"}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"color":"blue"}})"),
            "spec.color: Unsupported value: \"blue\": supported values: \"red\", \"green\"");
  EXPECT_EQ(Errors(Spec(R"({"n":{"type":"integer","enum":[1,2]}})"), R"({"spec":{"n":3}})"),
            "spec.n: Unsupported value: 3: supported values: \"1\", \"2\"");
}

TEST(SchemaTest, StringLengths) {
  std::string s = Spec(R"({"name":{"type":"string","minLength":2,"maxLength":4}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"name":"abc"}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"name":"a"}})"),
            "spec.name: Invalid value: \"a\": spec.name in body should be at least 2 chars long");
  EXPECT_EQ(Errors(s, R"({"spec":{"name":"abcde"}})"),
            "spec.name: Too long: \"abcde\": may not be more than 4 bytes");
  // Lengths count characters, not bytes.
  EXPECT_EQ(Errors(s, R"({"spec":{"name":"\u00e9\u00e9\u00e9"}})"), "");
}

TEST(SchemaTest, Pattern) {
  std::string s = Spec(R"({"cron":{"type":"string","pattern":"^[0-9*/ ]+$"}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"cron":"*/5 * * * *"}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"cron":"every minute"}})"),
            "spec.cron: Invalid value: \"every minute\": spec.cron in body should match "
            "'^[0-9*/ ]+$'");
  // Unanchored patterns match anywhere, as in JSON Schema.
  EXPECT_EQ(Errors(Spec(R"({"x":{"type":"string","pattern":"b"}})"), R"({"spec":{"x":"abc"}})"),
            "");
}

TEST(SchemaTest, PatternInputIsBounded) {
  std::string s = Spec(R"({"x":{"type":"string","pattern":"^(a|aa)+$"}})");
  std::string big(kMaxPatternInput + 1, 'a');
  std::string errs = Errors(s, R"({"spec":{"x":")" + big + R"("}})");
  EXPECT_NE(errs.find("should match '^(a|aa)+$'"), std::string::npos);
}

TEST(SchemaTest, BadPatternIsRejected) {
  absl::StatusOr<std::shared_ptr<const Schema>> s =
      ParseSchema(Spec(R"({"x":{"type":"string","pattern":"(["}})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("openAPIV3Schema.properties[spec].properties[x].pattern"),
            std::string::npos)
      << s.status();
}

TEST(SchemaTest, Items) {
  std::string s =
      Spec(R"({"ports":{"type":"array","minItems":1,"maxItems":2,"items":{"type":"integer",)"
           R"("maximum":65535}}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"ports":[80]}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"ports":[]}})"),
            "spec.ports: Invalid value: []: spec.ports in body should have at least 1 items");
  EXPECT_EQ(Errors(s, R"({"spec":{"ports":[1,2,3]}})"),
            "spec.ports: Too many: must have at most 2 items");
  EXPECT_EQ(Errors(s, R"({"spec":{"ports":[70000]}})"),
            "spec.ports[0]: Invalid value: 70000: spec.ports[0] in body should be less than or "
            "equal to 65535");
}

TEST(SchemaTest, Nullable) {
  std::string s = Spec(R"({"a":{"type":"string","nullable":true},"b":{"type":"string"}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"a":null}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"b":null}})"),
            "spec.b: Invalid value: \"null\": spec.b in body must be of type string: \"null\"");
}

TEST(SchemaTest, IntOrString) {
  std::string s = Spec(R"({"port":{"x-kubernetes-int-or-string":true}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"port":80}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"port":"http"}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"port":true}})"),
            "spec.port: Invalid value: true: spec.port in body must be of type integer,string: "
            "\"boolean\"");
  EXPECT_FALSE(
      ParseSchema(Spec(R"({"p":{"type":"string","x-kubernetes-int-or-string":true}})")).ok());
}

TEST(SchemaTest, AdditionalPropertiesValidatesMapValues) {
  std::string s = Spec(R"({"limits":{"type":"object","additionalProperties":{"type":"integer"}}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"limits":{"cpu":1,"mem":2}}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"limits":{"cpu":"x"}}})"),
            "spec.limits[cpu]: Invalid value: \"string\": spec.limits[cpu] in body must be of "
            "type integer: \"string\"");
}

TEST(SchemaTest, Properties) {
  std::string s = Spec(R"({"labels":{"type":"object","minProperties":1,"maxProperties":2}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"labels":{"a":"1"}}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"labels":{}}})"),
            "spec.labels: Invalid value: {}: spec.labels in body should have at least 1 "
            "properties");
  EXPECT_EQ(Errors(s, R"({"spec":{"labels":{"a":"1","b":"2","c":"3"}}})"),
            "spec.labels: Invalid value: {\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}: spec.labels in "
            "body should have at most 2 properties");
}

TEST(SchemaTest, EmbeddedResourceNeedsApiVersionAndKind) {
  std::string s = Spec(R"({"template":{"type":"object","x-kubernetes-embedded-resource":true,)"
                       R"("x-kubernetes-preserve-unknown-fields":true}})");
  EXPECT_EQ(Errors(s, R"({"spec":{"template":{"apiVersion":"v1","kind":"Pod"}}})"), "");
  EXPECT_EQ(Errors(s, R"({"spec":{"template":{"kind":"Pod"}}})"),
            "spec.template.apiVersion: Required value: must not be empty");
}

TEST(SchemaTest, RootMetadataIsNotValidated) {
  EXPECT_EQ(Errors(Spec(R"({})"), R"({"apiVersion":"a/v1","kind":"K","metadata":{"name":"x"}})"),
            "");
}

TEST(SchemaTest, ParseErrors) {
  EXPECT_EQ(ParseSchema("{").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSchema("[]").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::shared_ptr<const Schema>> s = ParseSchema(Spec(R"({"x":{"type":"text"}})"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("openAPIV3Schema.properties[spec].properties[x].type"),
            std::string::npos);
  EXPECT_FALSE(ParseSchema(Spec(R"({"x":{"type":"array"}})")).ok());  // items required
  EXPECT_FALSE(ParseSchema(Spec(R"({"x":{"description":"no type"}})")).ok());
  EXPECT_FALSE(ParseSchema(Spec(R"({"x":{"type":"string","maxLength":-1}})")).ok());
  // Deep nesting is bounded.
  std::string deep;
  for (int i = 0; i < kMaxDepth + 2; ++i) deep += R"({"type":"object","properties":{"a":)";
  deep += R"({"type":"string"})";
  for (int i = 0; i < kMaxDepth + 2; ++i) deep += "}}";
  EXPECT_EQ(ParseSchema(deep).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SchemaTest, DeepDefaultsAndEnumsAreRejected) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(ParseSchema(R"({"type":"array","items":{"type":"string"},"default":)" + deep + "}")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSchema(R"({"type":"array","items":{"type":"string"},"enum":)" + deep + "}")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

std::string Pruned(const std::string& schema, const std::string& value) {
  auto s = MustParse(schema);
  rapidjson::Document d = Doc(value);
  Prune(*s, &d, true);
  return CanonicalJson(d);
}

TEST(SchemaTest, PruneDropsUnknownFields) {
  std::string s = Spec(R"({"a":{"type":"string"},"o":{"type":"object","properties":{)"
                       R"("x":{"type":"integer"}}}})");
  EXPECT_EQ(
      Pruned(s, R"({"apiVersion":"a/v1","kind":"K","metadata":{"name":"n"},)"
                R"("spec":{"a":"1","b":2,"o":{"x":1,"y":2}},"extra":true})"),
      R"({"apiVersion":"a/v1","kind":"K","metadata":{"name":"n"},"spec":{"a":"1","o":{"x":1}}})");
}

TEST(SchemaTest, PruneKeepsPreservedAndMaps) {
  std::string s = Spec(
      R"({"free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},)"
      R"("m":{"type":"object","additionalProperties":{"type":"object","properties":{)"
      R"("k":{"type":"string"}}}},"any":{"type":"object","additionalProperties":true},)"
      R"("items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"string"}}}},)"
      R"("emb":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{)"
      R"("spec":{"type":"object"}}}})");
  EXPECT_EQ(
      Pruned(s, R"({"spec":{"free":{"z":{"q":1}},"m":{"a":{"k":"v","drop":1}},)"
                R"("any":{"x":1},"items":[{"n":"a","x":1}],)"
                R"("emb":{"apiVersion":"v1","kind":"Pod","metadata":{},"spec":{},"junk":1}}})"),
      R"({"spec":{"any":{"x":1},"emb":{"apiVersion":"v1","kind":"Pod","metadata":{},)"
      R"("spec":{}},"free":{"z":{"q":1}},"items":[{"n":"a"}],"m":{"a":{"k":"v"}}}})");
}

TEST(SchemaTest, PruneReportsWhatItRemoved) {
  auto s = MustParse(Spec(R"({"a":{"type":"string"},"l":{"type":"array","items":{"type":"object",)"
                          R"("properties":{"n":{"type":"string"}}}}})"));
  rapidjson::Document d = Doc(R"({"spec":{"a":"1","z":1,"l":[{"n":"x","q":2}]},"top":true})");
  std::vector<std::string> pruned;
  Prune(*s, &d, true, &pruned);
  EXPECT_EQ(pruned, (std::vector<std::string>{"spec.l[0].q", "spec.z", "top"}));
}

std::string Defaulted(const std::string& schema, const std::string& value) {
  auto s = MustParse(schema);
  rapidjson::Document d = Doc(value);
  ApplyDefaults(*s, &d, d.GetAllocator());
  return CanonicalJson(d);
}

TEST(SchemaTest, DefaultsFillAbsentFields) {
  std::string s =
      R"({"type":"object","properties":{"spec":{"type":"object","default":{},"properties":{)"
      R"("replicas":{"type":"integer","default":1},"mode":{"type":"string","default":"auto"},)"
      R"("opt":{"type":"string","nullable":true,"default":"x"},)"
      R"("ports":{"type":"array","items":{"type":"object","properties":{)"
      R"("proto":{"type":"string","default":"TCP"}}}}}}}})";
  EXPECT_EQ(Defaulted(s, R"({})"), R"({"spec":{"mode":"auto","opt":"x","replicas":1}})");
  EXPECT_EQ(Defaulted(s, R"({"spec":{"replicas":3,"opt":null,"ports":[{},{"proto":"UDP"}]}})"),
            R"({"spec":{"mode":"auto","opt":null,"ports":[{"proto":"TCP"},{"proto":"UDP"}],)"
            R"("replicas":3}})");
  // A non-nullable null takes the default.
  EXPECT_EQ(Defaulted(s, R"({"spec":{"replicas":null}})"),
            R"({"spec":{"mode":"auto","opt":"x","replicas":1}})");
}

TEST(SchemaTest, NonNullableNullWithoutDefaultIsDropped) {
  EXPECT_EQ(Defaulted(Spec(R"({"a":{"type":"string"}})"), R"({"spec":{"a":null}})"),
            R"({"spec":{}})");
}

TEST(SchemaTest, CanonicalJson) {
  rapidjson::Document d = Doc(R"({"b":1.0,"a":[true,null,"<x>"],"c":1.5,"d":-3})");
  EXPECT_EQ(CanonicalJson(d), R"({"a":[true,null,"\u003cx\u003e"],"b":1,"c":1.5,"d":-3})");
}

}  // namespace
}  // namespace rudder::api::schema
