#include "lib/api/codec/yaml.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace rudder::api {
namespace {

std::vector<std::string> Docs(absl::string_view yaml) {
  absl::StatusOr<std::vector<std::string>> d = YamlToJson(yaml);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : std::vector<std::string>{};
}

std::string One(absl::string_view yaml) {
  absl::StatusOr<std::string> d = YamlDocumentToJson(yaml);
  EXPECT_TRUE(d.ok()) << d.status() << " for " << yaml;
  return d.ok() ? *d : "";
}

TEST(YamlToJsonTest, MultiDocumentStreamSkipsEmptyDocuments) {
  std::vector<std::string> docs = Docs(
      "# leading comment\n"
      "---\n"
      "apiVersion: v1\n"
      "kind: ConfigMap   # trailing comment\n"
      "---\n"
      "# only a comment\n"
      "---\n"
      "---\n"
      "kind: Secret\n"
      "data:\n"
      "  a: Yg==\n"
      "...\n"
      "---\n"
      "null\n");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}");
  EXPECT_EQ(docs[1], "{\"kind\":\"Secret\",\"data\":{\"a\":\"Yg==\"}}");
  EXPECT_TRUE(Docs("").empty());
  EXPECT_TRUE(Docs("# nothing\n").empty());
}

TEST(YamlToJsonTest, Yaml11ScalarsAsKubernetesReadsThem) {
  EXPECT_EQ(One("a: true\nb: False\nc: yes\nd: No\ne: on\nf: OFF\ng: y\nh: n\n"),
            "{\"a\":true,\"b\":false,\"c\":true,\"d\":false,\"e\":true,\"f\":false,\"g\":true,"
            "\"h\":false}");
  EXPECT_EQ(One("a: ~\nb: null\nc:\nd: Null\n"), "{\"a\":null,\"b\":null,\"c\":null,\"d\":null}");
  EXPECT_EQ(One("a: 10\nb: -3\nc: 0x1F\nd: 0o17\ne: 017\nf: 0b101\ng: 1_000\nh: +5\n"),
            "{\"a\":10,\"b\":-3,\"c\":31,\"d\":15,\"e\":15,\"f\":5,\"g\":1000,\"h\":5}");
  EXPECT_EQ(One("a: 1.5\nb: 1e3\nc: .5\nd: 3.0\ne: 08\nf: 18446744073709551615\n"),
            "{\"a\":1.5,\"b\":1000,\"c\":0.5,\"d\":3,\"e\":8,\"f\":18446744073709551615}");
  EXPECT_EQ(One("a: \"true\"\nb: '10'\nc: !!str 5\nd: 2001-12-14\ne: 1:20\nf: 1.2.3\n"),
            "{\"a\":\"true\",\"b\":\"10\",\"c\":\"5\",\"d\":\"2001-12-14\",\"e\":\"1:20\","
            "\"f\":\"1.2.3\"}");
  EXPECT_EQ(One("s: |\n  line1\n  line2\nf: >\n  folded\n  text\n"),
            "{\"s\":\"line1\\nline2\\n\",\"f\":\"folded text\\n\"}");
  EXPECT_EQ(One("html: <b>&\n"), "{\"html\":\"\\u003cb\\u003e\\u0026\"}");
}

TEST(YamlToJsonTest, KeysAreAlwaysStrings) {
  EXPECT_EQ(One("1: a\ntrue: b\nyes: c\n~: d\n1.5: e\n"),
            "{\"1\":\"a\",\"true\":\"b\",\"true\":\"c\",\"null\":\"d\",\"1.5\":\"e\"}");
  EXPECT_EQ(YamlToJson("? [a]\n: b\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(YamlToJsonTest, AnchorsAliasesAndMergeKeys) {
  EXPECT_EQ(One("base: &b\n  x: 1\n  z: 2\nref: *b\nmerged:\n  <<: *b\n  z: 3\n"),
            "{\"base\":{\"x\":1,\"z\":2},\"ref\":{\"x\":1,\"z\":2},\"merged\":{\"x\":1,\"z\":3}}");
  // As in Kubernetes (YAML 1.1), an unquoted key y is the boolean true.
  EXPECT_EQ(One("y: 1\n"), "{\"true\":1}");
  EXPECT_EQ(One("a: &a {p: 1}\nb: &b {q: 2, p: 9}\nc:\n  <<: [*a, *b]\n"),
            "{\"a\":{\"p\":1},\"b\":{\"q\":2,\"p\":9},\"c\":{\"p\":1,\"q\":2}}");
  EXPECT_EQ(One("list: [1, \"two\", {three: 3}, [4]]\n"),
            "{\"list\":[1,\"two\",{\"three\":3},[4]]}");
}

TEST(YamlToJsonTest, DuplicateKeysArePassedOnForTheStrictDecoder) {
  EXPECT_EQ(One("a: 1\na: 2\n"), "{\"a\":1,\"a\":2}");
}

TEST(YamlToJsonTest, ErrorsCarryLineNumbers) {
  absl::Status s = YamlToJson("a: 1\nb: [1, 2\nc: 3\n").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line "), absl::string_view::npos) << s;
  s = YamlToJson("a: 1\n  b: 2\n").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("yaml: line 2"), absl::string_view::npos) << s;
  s = YamlToJson("a: 1\nb: .inf\n").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line 2"), absl::string_view::npos) << s;
  s = YamlToJson("a: *nope\n").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  s = YamlToJson("a: !!int abc\n").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(YamlDocumentToJson("a: 1\n---\nb: 2\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(YamlToJsonTest, StreamsThatWouldNeverFinishParsingAreErrors) {
  for (const char* bad : {",\n", "a: 1\n---\n,x\n", "- a\n,\n", "\"x\",\n", "[a]\n,\n"}) {
    absl::Status s = YamlToJson(bad).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("yaml: line "), absl::string_view::npos) << s;
  }
}

TEST(YamlToJsonTest, LimitsAreEnforced) {
  std::string deep(5000, '[');
  EXPECT_EQ(YamlToJson(deep).status().code(), absl::StatusCode::kInvalidArgument);
  std::string nested;
  for (int i = 0; i < 150; ++i) nested += std::string(i * 2, ' ') + "k:\n";
  nested += std::string(300, ' ') + "v\n";
  EXPECT_EQ(YamlToJson(nested).status().code(), absl::StatusCode::kInvalidArgument);
  // Billion laughs: aliases multiply the output.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += absl::StrCat(std::string(1, c), ": &", std::string(1, c), " [");
    for (int i = 0; i < 10; ++i) bomb += absl::StrCat(i ? ", " : "", "*", std::string(1, prev));
    bomb += "]\n";
    prev = c;
  }
  absl::Status s = YamlToJson(bomb).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("exceeds"), absl::string_view::npos) << s;
  YamlOptions o;
  o.max_bytes = 4;
  EXPECT_EQ(YamlToJson("a: 12345\n", o).status().code(), absl::StatusCode::kInvalidArgument);
}

std::string Y(absl::string_view json) {
  absl::StatusOr<std::string> y = JsonToYaml(json);
  EXPECT_TRUE(y.ok()) << y.status();
  return y.ok() ? *y : "";
}

TEST(JsonToYamlTest, KubectlLayout) {
  EXPECT_EQ(Y("{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"web\","
              "\"creationTimestamp\":null,\"labels\":{\"app\":\"web\"}},\"spec\":{\"replicas\":3,"
              "\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\","
              "\"ports\":[{\"containerPort\":80}],\"resources\":{}}]}},\"strategy\":{}},"
              "\"status\":{},\"list\":[[1,2],[],{}]}"),
            "apiVersion: apps/v1\n"
            "kind: Deployment\n"
            "list:\n"
            "- - 1\n"
            "  - 2\n"
            "- []\n"
            "- {}\n"
            "metadata:\n"
            "  creationTimestamp: null\n"
            "  labels:\n"
            "    app: web\n"
            "  name: web\n"
            "spec:\n"
            "  replicas: 3\n"
            "  strategy: {}\n"
            "  template:\n"
            "    spec:\n"
            "      containers:\n"
            "      - image: nginx\n"
            "        name: nginx\n"
            "        ports:\n"
            "        - containerPort: 80\n"
            "        resources: {}\n"
            "status: {}\n");
  EXPECT_EQ(Y("{}"), "{}\n");
  EXPECT_EQ(Y("[1,\"a\"]"), "- 1\n- a\n");
  EXPECT_EQ(Y("{\"f\":[0.5,1.0,1e3,1e6,1e-5,123456789012345678901234567890]}"),
            "f:\n- 0.5\n- 1\n- 1000\n- 1e+06\n- 1e-05\n- 1.2345678901234568e+29\n");
}

TEST(JsonToYamlTest, QuotesOnlyWhenNeeded) {
  // Each case as `kubectl create configmap --from-literal ... -o yaml` prints it.
  struct Case {
    const char* value;
    const char* yaml;
  } cases[] = {
      {"plain", "plain"},     {"yes", "\"yes\""},
      {"n", "\"n\""},         {"123", "\"123\""},
      {"1.5", "\"1.5\""},     {"1e3", "\"1e3\""},
      {"", "\"\""},           {"~", "\"~\""},
      {"0x1F", "\"0x1F\""},   {"0o17", "\"0o17\""},
      {"1_000", "\"1_000\""}, {".inf", "\".inf\""},
      {"1:20", "\"1:20\""},   {"2001-12-14", "\"2001-12-14\""},
      {"a: b", "'a: b'"},     {"x:", "'x:'"},
      {"a #b", "'a #b'"},     {"- x", "'- x'"},
      {"---x", "'---x'"},     {"...", "'...'"},
      {"{x}", "'{x}'"},       {"a,b", "a,b"},
      {"?x", "?x"},           {"? x", "'? x'"},
      {"%x", "'%x'"},         {"@x", "'@x'"},
      {"*x", "'*x'"},         {" x", "' x'"},
      {"it's", "it's"},       {"\\\"x\\\"", "'\"x\"'"},
      {"a\\tb", "\"a\\tb\""}, {"h\xC3\xA9llo", "h\xC3\xA9llo"},
      {"<&>", "<&>"},         {"'q", "'''q'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Y(absl::StrCat("{\"k\":\"", c.value, "\"}")), absl::StrCat("k: ", c.yaml, "\n"))
        << c.value;
  }
  EXPECT_EQ(Y("{\"n\":1,\"y\":2}"), "\"n\": 1\n\"y\": 2\n");
}

TEST(JsonToYamlTest, MultiLineAndLongStrings) {
  EXPECT_EQ(Y("{\"data\":{\"multi\":\"a\\nb\",\"oneNl\":\"x\\n\",\"trail\":\"x\\n\\n\","
              "\"lsp\":\"  x\\ny\",\"z\":1}}"),
            "data:\n"
            "  lsp: |2-\n"
            "      x\n"
            "    y\n"
            "  multi: |-\n"
            "    a\n"
            "    b\n"
            "  oneNl: |\n"
            "    x\n"
            "  trail: |+\n"
            "    x\n"
            "\n"
            "  z: 1\n");
  std::string words;
  for (int i = 0; i < 40; ++i) words += i ? " word" : "word";
  EXPECT_EQ(Y(absl::StrCat("{\"data\":{\"long\":\"", words, "\"}}")),
            "data:\n"
            "  long: word word word word word word word word word word word word word word word\n"
            "    word word word word word word word word word word word word word word word word\n"
            "    word word word word word word word word word\n");
  EXPECT_EQ(Y("[\"a\\nb\"]"), "- |-\n  a\n  b\n");
}

TEST(JsonToYamlTest, RoundTripsThroughYamlToJson) {
  const char* json =
      "{\"a\":{\"b\":[\"yes\",\"1\",\"x: y\",\"multi\\nline\\n\",\" lead\",\"\",null,true,"
      "5,0.25,{\"c\":[]}]},\"d\":\"tab\\there\"}";
  absl::StatusOr<std::string> yaml = JsonToYaml(json);
  ASSERT_TRUE(yaml.ok());
  EXPECT_EQ(One(*yaml), json);
}

TEST(JsonToYamlTest, RejectsMalformedJson) {
  EXPECT_EQ(JsonToYaml("{").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::api
