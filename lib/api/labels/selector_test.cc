#include "lib/api/labels/selector.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

namespace rudder::api::labels {
namespace {

using Labels = std::map<std::string, std::string>;

const char kValueMsg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const char kNameMsg[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

Selector MustParse(std::string_view s) {
  absl::StatusOr<Selector> sel = Selector::Parse(s);
  EXPECT_TRUE(sel.ok()) << s << ": " << sel.status();
  return sel.ok() ? *sel : Selector::Nothing();
}

std::string ParseError(std::string_view s) {
  absl::StatusOr<Selector> sel = Selector::Parse(s);
  EXPECT_FALSE(sel.ok()) << s << " parsed as " << sel->String();
  if (sel.ok()) return "";
  EXPECT_EQ(sel.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(sel.status().message());
}

TEST(SelectorParseTest, GoodStringsRoundTrip) {
  // Kubernetes' TestSelectorParse good strings: String() is the input without spaces.
  for (const char* s :
       {"x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"}) {
    Selector sel = MustParse(s);
    std::string expect = s;
    expect.erase(std::remove(expect.begin(), expect.end(), ' '), expect.end());
    EXPECT_EQ(sel.String(), expect) << s;
    EXPECT_EQ(MustParse(sel.String()), sel) << s;
  }
}

TEST(SelectorParseTest, SetBasedSyntax) {
  struct {
    const char* in;
    const char* canonical;
  } table[] = {
      {"", ""},
      {"\rx", "x"},
      {"this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"},
      {"this-is-another-dns.domain.com/key-with-dash in (so,what)",
       "this-is-another-dns.domain.com/key-with-dash in (so,what)"},
      {"0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
       "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)"},
      {"foo  in\t (abc)", "foo in (abc)"},
      {"x notin\n (abc)", "x notin (abc)"},
      {"x  notin\t\t\t(abc,def)", "x notin (abc,def)"},
      {"x in (abc,def)", "x in (abc,def)"},
      {"x in (def,abc,def)", "x in (abc,def)"},
      {"x in (abc,)", "x in (,abc)"},
      {"x in ()", "x in ()"},
      {"x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"},
      {"x,y in (a)", "x,y in (a)"},
      {"x=a", "x=a"},
      {"x==a", "x==a"},
      {"x>1", "x>1"},
      {"x<7", "x<7"},
      {"x=a,y!=b", "x=a,y!=b"},
      {"x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"},
      {"x notin ( )", "x notin ()"},
      {"x notin (, a)", "x notin (,a)"},
      {"a in (xyz),b notin ()", "a in (xyz),b notin ()"},
      {"a in (xyz),c", "a in (xyz),c"},
      {"z=1,a=2,m=3", "a=2,m=3,z=1"},
      {"in in (in,notin)", "in in (in,notin)"},
      {"notin=in", "notin=in"},
      {"x in (a),x notin (b)", "x in (a),x notin (b)"},
  };
  for (const auto& c : table) {
    Selector sel = MustParse(c.in);
    EXPECT_EQ(sel.String(), c.canonical) << c.in;
    EXPECT_EQ(MustParse(sel.String()), sel) << c.in;
  }
}

TEST(SelectorParseTest, DocumentedExample) {
  Selector sel = MustParse("tier in (frontend,cache),app=web,!canary");
  EXPECT_EQ(sel.String(), "app=web,!canary,tier in (cache,frontend)");
  EXPECT_TRUE(sel.Matches(Labels{{"app", "web"}, {"tier", "cache"}}));
}

TEST(SelectorParseTest, ErrorsMatchKubernetes) {
  EXPECT_EQ(ParseError("x=a||y=b"),
            std::string("unable to parse requirement: values[0][x]: Invalid value: \"a||y\": ") +
                kValueMsg);
  EXPECT_EQ(ParseError("x==a==b"), "found '==', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError("!x=a"), "found '=', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError("x<a"),
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' "
            "operators, the value must be an integer");
  EXPECT_EQ(ParseError("x,,y"), "found ',', expected: identifier after ','");
  EXPECT_EQ(ParseError(",x,y"), "found ',', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(ParseError("x nott in (y)"),
            "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(ParseError("a in (xyz),"), "found '', expected: identifier after ','");
  EXPECT_EQ(ParseError("a in (xyz)b notin ()"), "found 'b', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError("x in (a b)"),
            "unable to parse requirement: found 'b', expected: ',' or ')'");
  EXPECT_EQ(ParseError("x in a"), "unable to parse requirement: found 'a' expected: '('");
  EXPECT_EQ(ParseError("x in (a"), "unable to parse requirement: found '', expected: ',' or ')'");
  EXPECT_EQ(ParseError("x in (=)"),
            "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  EXPECT_EQ(ParseError("!"), "unable to parse requirement: found '', expected: identifier");
  EXPECT_EQ(ParseError("x>"),
            "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' "
            "operators, the value must be an integer");
  EXPECT_EQ(ParseError("a/b/c=d"),
            "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name "
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
            "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an "
            "optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
  EXPECT_EQ(ParseError("-x"),
            std::string("unable to parse requirement: <nil>: Invalid value: \"-x\": ") + kNameMsg);
  EXPECT_EQ(ParseError("x=" + std::string(64, 'a')),
            "unable to parse requirement: values[0][x]: Invalid value: \"" + std::string(64, 'a') +
                "\": must be no more than 63 characters");
}

TEST(SelectorParseTest, EmbeddedNulEndsTheInputLikeKubernetes) {
  // Kubernetes' lexer reads NUL as the end of input.
  EXPECT_EQ(MustParse(std::string_view("x=a\0", 4)).String(), "x=a");
  EXPECT_EQ(MustParse(std::string_view("x\0,y", 5)).String(), "x,y");
}

struct MatchCase {
  const char* selector;
  Labels labels;
  bool match;
};

TEST(SelectorMatchTest, KubernetesCases) {
  const MatchCase table[] = {
      {"", {{"x", "y"}}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x=y,z=w", {{"x", "y"}, {"z", "w"}}, true},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "a"}}, true},
      {"notin=in", {{"notin", "in"}}, true},
      {"x", {{"x", "z"}}, true},
      {"!x", {{"y", "z"}}, true},
      {"x>1", {{"x", "2"}}, true},
      {"x<1", {{"x", "0"}}, true},
      {"x=z", {}, false},
      {"x=y", {{"x", "z"}}, false},
      {"x=y,z=w", {{"x", "w"}, {"z", "w"}}, false},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "w"}}, false},
      {"x", {{"y", "z"}}, false},
      {"!x", {{"x", "z"}}, false},
      {"x>1", {{"x", "0"}}, false},
      {"x<1", {{"x", "2"}}, false},
      {"x>1", {{"x", "a"}}, false},
      {"x>1", {}, false},
      {"x<1", {{"x", "-9223372036854775808"}}, true},
      {"x<1", {{"x", "-9223372036854775809"}}, false},
      {"x>2", {{"x", "+3"}}, true},
      {"x in (a,b)", {{"x", "b"}}, true},
      {"x in (a,b)", {{"x", "c"}}, false},
      {"x in (a,b)", {}, false},
      {"x notin (a,b)", {}, true},
      {"x notin (a,b)", {{"x", "a"}}, false},
      {"x notin (a,b)", {{"x", "c"}}, true},
      {"x in ()", {{"x", ""}}, true},
      {"x=", {{"x", ""}}, true},
      {"x=", {}, false},
      {"x!=", {}, true},
      {"x in (a,b,c,d,e,f,g,h)", {{"x", "g"}}, true},
      {"x in (a,b,c,d,e,f,g,h)", {{"x", "gg"}}, false},
  };
  for (const MatchCase& c : table) {
    Selector sel = MustParse(c.selector);
    EXPECT_EQ(sel.Matches(c.labels), c.match) << c.selector;
    absl::flat_hash_map<std::string, std::string> flat(c.labels.begin(), c.labels.end());
    EXPECT_EQ(sel.Matches(flat), c.match) << c.selector;
    std::unordered_map<std::string, std::string> unordered(c.labels.begin(), c.labels.end());
    EXPECT_EQ(sel.Matches(unordered), c.match) << c.selector;
    EXPECT_EQ(sel.MatchesLookup([&](const std::string& key, std::string_view* value) {
      auto it = c.labels.find(key);
      if (it == c.labels.end()) return false;
      *value = it->second;
      return true;
    }),
              c.match)
        << c.selector;
  }
}

TEST(SelectorTest, EverythingAndNothing) {
  EXPECT_TRUE(Selector::Everything().Empty());
  EXPECT_TRUE(Selector::Everything().Matches(Labels{{"a", "b"}}));
  EXPECT_EQ(Selector::Everything().String(), "");
  EXPECT_FALSE(Selector::Nothing().Empty());
  EXPECT_TRUE(Selector::Nothing().IsNothing());
  EXPECT_FALSE(Selector::Nothing().Matches(Labels{}));
  EXPECT_EQ(Selector::Nothing().String(), "");
  EXPECT_TRUE(
      Selector::Nothing().Add({*Requirement::Create("a", Operator::kExists, {})}).IsNothing());
}

TEST(SelectorTest, RequiresExactMatch) {
  Selector sel = MustParse("a=1,b in (2),c in (3,4),d!=5");
  EXPECT_EQ(sel.RequiresExactMatch("a"), "1");
  EXPECT_EQ(sel.RequiresExactMatch("b"), "2");
  EXPECT_EQ(sel.RequiresExactMatch("c"), std::nullopt);
  EXPECT_EQ(sel.RequiresExactMatch("d"), std::nullopt);
  EXPECT_EQ(sel.RequiresExactMatch("e"), std::nullopt);
}

TEST(SelectorTest, FromSetAndAdd) {
  Selector sel = Selector::FromSet({{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(sel.String(), "a=1,b=2");
  EXPECT_TRUE(Selector::FromSet({}).Empty());
  sel = sel.Add({*Requirement::Create("a0", Operator::kNotIn, {"y", "x"})});
  EXPECT_EQ(sel.String(), "a=1,a0 notin (x,y),b=2");
  absl::StatusOr<Selector> bad = Selector::ValidatedFromSet({{"a", "b c"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            std::string("values[0][a]: Invalid value: \"b c\": ") + kValueMsg);
}

TEST(RequirementTest, ConstructorRules) {
  struct {
    std::string key;
    Operator op;
    std::vector<std::string> values;
    bool ok;
  } table[] = {
      {"x1", Operator::kIn, {}, false},
      {"x2", Operator::kNotIn, {}, false},
      {"x3", Operator::kIn, {"foo"}, true},
      {"x4", Operator::kNotIn, {"foo"}, true},
      {"x5", Operator::kEquals, {"foo", "bar"}, false},
      {"x6", Operator::kExists, {}, true},
      {"x7", Operator::kDoesNotExist, {}, true},
      {"x8", Operator::kExists, {"foo"}, false},
      {"x9", Operator::kIn, {"bar"}, true},
      {"x11", Operator::kGreaterThan, {"1"}, true},
      {"x12", Operator::kLessThan, {"6"}, true},
      {"x13", Operator::kGreaterThan, {}, false},
      {"x14", Operator::kGreaterThan, {"bar"}, false},
      {"x15", Operator::kLessThan, {"bar"}, false},
      {std::string(254, 'a'), Operator::kExists, {}, false},
      {"x16", Operator::kEquals, {std::string(254, 'a')}, false},
      {"x17", Operator::kEquals, {"a b"}, false},
      {"x18", Operator::kNotEquals, {""}, true},
      {"example.com/x19", Operator::kDoubleEquals, {"v"}, true},
  };
  for (const auto& c : table) {
    absl::StatusOr<Requirement> r = Requirement::Create(c.key, c.op, c.values);
    EXPECT_EQ(r.ok(), c.ok) << c.key << ": " << r.status();
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(RequirementTest, ErrorTextsAndPaths) {
  absl::StatusOr<Requirement> r = Requirement::Create("x", Operator::kIn, {});
  EXPECT_EQ(r.status().message(),
            "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty");
  r = Requirement::Create("x", Operator::kEquals, {"a", "b"}, "spec.selector");
  EXPECT_EQ(r.status().message(),
            "spec.selector.values: Invalid value: [\"a\",\"b\"]: exact-match compatibility "
            "requires one single value");
  r = Requirement::Create("a b", Operator::kEquals, {"c d"});
  EXPECT_EQ(r.status().message(), std::string("[key: Invalid value: \"a b\": ") + kNameMsg +
                                      ", values[0][a b]: Invalid value: \"c d\": " + kValueMsg +
                                      "]");
  r = Requirement::Create("x", Operator::kGreaterThan, {"1", "2"});
  EXPECT_EQ(r.status().message(),
            "values: Invalid value: [\"1\",\"2\"]: for 'Gt', 'Lt' operators, exactly one value "
            "is required");
  r = Requirement::Create("x", Operator::kEquals, {"a\tb"});
  EXPECT_EQ(r.status().message(),
            std::string("values[0][x]: Invalid value: \"a\\tb\": ") + kValueMsg);
}

TEST(RequirementTest, StringForms) {
  EXPECT_EQ(Requirement::Create("x", Operator::kIn, {"c", "a", "b"})->String(), "x in (a,b,c)");
  EXPECT_EQ(Requirement::Create("x", Operator::kNotIn, {"a"})->String(), "x notin (a)");
  EXPECT_EQ(Requirement::Create("x", Operator::kEquals, {"a"})->String(), "x=a");
  EXPECT_EQ(Requirement::Create("x", Operator::kDoubleEquals, {"a"})->String(), "x==a");
  EXPECT_EQ(Requirement::Create("x", Operator::kNotEquals, {"a"})->String(), "x!=a");
  EXPECT_EQ(Requirement::Create("x", Operator::kExists, {})->String(), "x");
  EXPECT_EQ(Requirement::Create("x", Operator::kDoesNotExist, {})->String(), "!x");
  EXPECT_EQ(Requirement::Create("x", Operator::kGreaterThan, {"4"})->String(), "x>4");
  EXPECT_EQ(Requirement::Create("x", Operator::kLessThan, {"4"})->String(), "x<4");
  // Like Kubernetes, a gt/lt bound must also be a valid label value, so it cannot be negative.
  EXPECT_EQ(Requirement::Create("x", Operator::kLessThan, {"-4"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OperatorName(Operator::kNotIn), "notin");
}

TEST(LabelSelectorTest, AsSelector) {
  EXPECT_TRUE(LabelSelectorAsSelector(nullptr)->IsNothing());
  LabelSelector empty;
  EXPECT_TRUE(LabelSelectorAsSelector(&empty)->Empty());

  LabelSelector ls;
  ls.match_labels = {{"foo", "bar"}};
  ls.match_expressions = {{"baz", "In", {"qux", "norf"}},
                          {"gone", "DoesNotExist", {}},
                          {"has", "Exists", {}},
                          {"env", "NotIn", {"dev"}}};
  absl::StatusOr<Selector> sel = LabelSelectorAsSelector(&ls);
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(sel->String(), "baz in (norf,qux),env notin (dev),foo=bar,!gone,has");
  EXPECT_TRUE(sel->Matches(Labels{{"foo", "bar"}, {"baz", "qux"}, {"has", ""}}));
  EXPECT_FALSE(sel->Matches(Labels{{"foo", "bar"}, {"baz", "qux"}, {"has", ""}, {"gone", "1"}}));

  ls.match_expressions = {{"baz", "Foo", {"x"}}};
  EXPECT_EQ(LabelSelectorAsSelector(&ls).status().message(),
            "\"Foo\" is not a valid label selector operator");
  ls.match_expressions = {{"baz", "In", {}}};
  EXPECT_EQ(LabelSelectorAsSelector(&ls).status().message(),
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
  ls.match_expressions = {{"baz", "Exists", {"a"}}};
  EXPECT_EQ(LabelSelectorAsSelector(&ls).status().message(),
            "values: Invalid value: [\"a\"]: values set must be empty for exists and does not "
            "exist");
}

}  // namespace
}  // namespace rudder::api::labels
