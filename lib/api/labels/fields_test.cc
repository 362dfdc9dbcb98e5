#include "lib/api/labels/fields.h"

#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

namespace rudder::api::fields {
namespace {

using Fields = std::map<std::string, std::string>;

Selector MustParse(std::string_view s) {
  absl::StatusOr<Selector> sel = Selector::Parse(s);
  EXPECT_TRUE(sel.ok()) << s << ": " << sel.status();
  return sel.ok() ? *sel : Selector();
}

TEST(FieldSelectorParseTest, GoodStringsRoundTrip) {
  for (const char* s : {"x=a,y=b,z=c", "", "x!=a,y=b", "x=a||y\\=b", "x=a\\=\\=b",
                        "metadata.name=web-0,status.phase!=Running", "x=a\\,b", "x=a\\\\b"}) {
    Selector sel = MustParse(s);
    EXPECT_EQ(sel.String(), s) << s;
    EXPECT_EQ(MustParse(sel.String()), sel) << s;
  }
}

TEST(FieldSelectorParseTest, SortsTermsAndNormalizesDoubleEquals) {
  EXPECT_EQ(MustParse("z=c,x=a").String(), "x=a,z=c");
  EXPECT_EQ(MustParse("x==a").String(), "x=a");
  EXPECT_EQ(MustParse(",x=a,,").String(), "x=a");
  Selector sel = MustParse("b!=2,a==1");
  ASSERT_EQ(sel.Requirements().size(), 2u);
  EXPECT_EQ(sel.Requirements()[0], (Requirement{"a", Operator::kEquals, "1"}));
  EXPECT_EQ(sel.Requirements()[1], (Requirement{"b", Operator::kNotEquals, "2"}));
  EXPECT_EQ(MustParse("a=b\\,c").Requirements()[0].value, "b,c");
}

TEST(FieldSelectorParseTest, ErrorsMatchKubernetes) {
  struct {
    const char* in;
    const char* message;
  } table[] = {
      {"x=a||y=b", "invalid field selector: unescaped character in value: 61"},
      {"x==a==b", "invalid field selector: unescaped character in value: 61"},
      {"x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"},
      {"x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'"},
      {"x in (a,b,c)", "invalid selector: 'x in (a,b,c)'; can't understand 'b'"},
      {"x", "invalid selector: 'x'; can't understand 'x'"},
      {"x=a\\", "invalid field selector: invalid escape sequence: \\"},
      {"x=a\\b", "invalid field selector: invalid escape sequence: \\b"},
  };
  for (const auto& c : table) {
    absl::StatusOr<Selector> sel = Selector::Parse(c.in);
    ASSERT_FALSE(sel.ok()) << c.in;
    EXPECT_EQ(sel.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(sel.status().message(), c.message) << c.in;
  }
}

TEST(FieldSelectorMatchTest, KubernetesCases) {
  struct {
    const char* selector;
    Fields fields;
    bool match;
  } table[] = {
      {"", {{"x", "y"}}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x=y,z=w", {{"x", "y"}, {"z", "w"}}, true},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "a"}}, true},
      {"notin=in", {{"notin", "in"}}, true},
      {"x=y", {{"x", "z"}}, false},
      {"x=y,z=w", {{"x", "w"}, {"z", "w"}}, false},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "w"}}, false},
      {"spec.nodeName=", {}, true},
      {"spec.nodeName!=", {}, false},
      {"spec.nodeName!=", {{"spec.nodeName", "n1"}}, true},
      {"x=a\\,b", {{"x", "a,b"}}, true},
  };
  for (const auto& c : table) {
    Selector sel = MustParse(c.selector);
    EXPECT_EQ(sel.Matches(c.fields), c.match) << c.selector;
    absl::flat_hash_map<std::string, std::string> flat(c.fields.begin(), c.fields.end());
    EXPECT_EQ(sel.Matches(flat), c.match) << c.selector;
    EXPECT_EQ(sel.Matches([&](std::string_view f) -> std::string_view {
      auto it = c.fields.find(std::string(f));
      return it == c.fields.end() ? std::string_view() : std::string_view(it->second);
    }),
              c.match)
        << c.selector;
  }
}

TEST(FieldSelectorTest, EscapeAndUnescape) {
  struct {
    const char* raw;
    const char* escaped;
  } table[] = {
      {"foo", "foo"}, {"\\", "\\\\"}, {",", "\\,"}, {"=", "\\="}, {"a\\,b=c", "a\\\\\\,b\\=c"},
      {"", ""}};
  for (const auto& c : table) {
    EXPECT_EQ(EscapeValue(c.raw), c.escaped);
    EXPECT_EQ(*UnescapeValue(c.escaped), c.raw);
  }
  EXPECT_EQ(UnescapeValue("\\").status().message(),
            "invalid field selector: invalid escape sequence: \\");
  EXPECT_EQ(UnescapeValue("\\a").status().message(),
            "invalid field selector: invalid escape sequence: \\a");
  EXPECT_EQ(UnescapeValue(",").status().message(),
            "invalid field selector: unescaped character in value: 44");
  EXPECT_EQ(UnescapeValue("\\\\\xff").value(), "\\\xef\xbf\xbd");  // Go's rune decoding
  EXPECT_EQ(UnescapeValue("\xff").value(), "\xff");                // untouched fast path
}

TEST(FieldSelectorTest, HelpersAndSupportedFields) {
  Selector sel = MustParse("metadata.name=web-0,spec.nodeName!=n1");
  EXPECT_EQ(sel.RequiresExactMatch("metadata.name"), "web-0");
  EXPECT_EQ(sel.RequiresExactMatch("spec.nodeName"), std::nullopt);
  EXPECT_TRUE(Selector::Everything().Empty());
  EXPECT_EQ(Selector::OneTermEqual("a", "b=c").String(), "a=b\\=c");
  EXPECT_EQ(Selector::FromSet({{"b", "1"}, {"a", "2"}}).String(), "a=2,b=1");

  auto metadata_only = [](std::string_view f) {
    for (std::string_view s : kMetadataFields) {
      if (s == f) return true;
    }
    return false;
  };
  absl::Status st = CheckSupportedFields(sel, metadata_only);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "field label not supported: spec.nodeName");
  EXPECT_TRUE(CheckSupportedFields(MustParse("metadata.namespace=x"), metadata_only).ok());

  absl::StatusOr<Selector> renamed =
      sel.Transform([](std::string_view f,
                       std::string_view v) -> absl::StatusOr<std::pair<std::string, std::string>> {
        if (f == "spec.nodeName") return std::make_pair(std::string("spec.host"), std::string(v));
        return std::make_pair(std::string(f), std::string(v));
      });
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->String(), "metadata.name=web-0,spec.host!=n1");
}

}  // namespace
}  // namespace rudder::api::fields
