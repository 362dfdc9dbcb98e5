#include "lib/api/validation/names.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rudder::api::validation {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DNS1123LabelTest, AcceptsValidLabels) {
  for (const char* good :
       {"a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "0-0", "1a", "1-a"}) {
    EXPECT_THAT(IsDNS1123Label(good), IsEmpty()) << good;
  }
  EXPECT_THAT(IsDNS1123Label(std::string(63, 'a')), IsEmpty());
}

TEST(DNS1123LabelTest, RejectsWithKubernetesMessages) {
  const std::string regex_msg =
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
      "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
      "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  for (const char* bad : {"", "A", "ABC", "aBc", "A1", "a_1", "-1", "1-", "a b", "_", "~a", "a~"}) {
    EXPECT_THAT(IsDNS1123Label(bad), ElementsAre(regex_msg)) << bad;
  }
  EXPECT_THAT(IsDNS1123Label("a.b"), ElementsAre("must not contain dots"));
  EXPECT_THAT(IsDNS1123Label(std::string(64, 'a')),
              ElementsAre("must be no more than 63 characters"));
}

TEST(DNS1123SubdomainTest, AcceptsAndRejects) {
  for (const char* good : {"a", "a.b", "a.b.c", "1.2.3", "a-1.b-2", "example.com", "0.a"}) {
    EXPECT_THAT(IsDNS1123Subdomain(good), IsEmpty()) << good;
  }
  const std::string regex_msg =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
      "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
      "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  for (const char* bad : {"", ".", "a.", ".a", "a..b", "A.b", "a.-b", "a-.b", "a_b"}) {
    EXPECT_THAT(IsDNS1123Subdomain(bad), ElementsAre(regex_msg)) << bad;
  }
  std::string long_name(254, 'a');
  EXPECT_THAT(IsDNS1123Subdomain(long_name), ElementsAre("must be no more than 253 characters"));
  EXPECT_THAT(IsDNS1123Subdomain(std::string(253, 'a')), IsEmpty());
}

TEST(DNS1035LabelTest, AcceptsAndRejects) {
  for (const char* good : {"a", "ab", "a1", "a-1", "a--1--2--b"}) {
    EXPECT_THAT(IsDNS1035Label(good), IsEmpty()) << good;
  }
  const std::string regex_msg =
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
      "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
      "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  for (const char* bad : {"", "0", "01", "1a", "A", "a-", "a.b", "a_b"}) {
    EXPECT_THAT(IsDNS1035Label(bad), ElementsAre(regex_msg)) << bad;
  }
}

TEST(QualifiedNameTest, AcceptsValidKeys) {
  for (const char* good :
       {"simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple",
        "now-with-dashes/simple", "now-with-dashes/now-with-dashes", "now.with.dots/simple",
        "now-with.dashes-and.dots/simple", "1-num.2-num/3-num", "1234/5678", "1.2.3.4/5678",
        "Uppercase_Is_OK_123", "example.com/Uppercase_Is_OK_123", "a.b/c"}) {
    EXPECT_THAT(IsQualifiedName(good), IsEmpty()) << good;
  }
  EXPECT_THAT(IsQualifiedName(std::string(253, 'a') + "/" + std::string(63, 'b')), IsEmpty());
}

TEST(QualifiedNameTest, RejectsWithKubernetesMessages) {
  const std::string name_msg =
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
      "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
      "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  EXPECT_THAT(IsQualifiedName("nospecialchars%^=@"), ElementsAre(name_msg));
  EXPECT_THAT(IsQualifiedName("-dash-start"), ElementsAre(name_msg));
  EXPECT_THAT(IsQualifiedName(""), ElementsAre("name part must be non-empty", name_msg));
  EXPECT_THAT(IsQualifiedName("a/"), ElementsAre("name part must be non-empty", name_msg));
  EXPECT_THAT(IsQualifiedName("/a"), ElementsAre("prefix part must be non-empty"));
  EXPECT_THAT(IsQualifiedName(std::string(64, 'a')),
              ElementsAre("name part must be no more than 63 characters"));
  EXPECT_THAT(
      IsQualifiedName("Example.com/abc"),
      ElementsAre("prefix part a lowercase RFC 1123 subdomain must consist of lower case "
                  "alphanumeric characters, '-' or '.', and must start and end with an "
                  "alphanumeric character (e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  EXPECT_THAT(
      IsQualifiedName("a/b/c"),
      ElementsAre("a qualified name must consist of alphanumeric characters, '-', '_' or '.', "
                  "and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                  "'my.name',  or '123-abc', regex used for validation is "
                  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                  "prefix and '/' (e.g. 'example.com/MyName')"));
}

TEST(LabelValueTest, AcceptsAndRejects) {
  for (const char* good : {"", "simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1",
                           "1234", "Uppercase_Is_OK_123", "a.b"}) {
    EXPECT_THAT(IsValidLabelValue(good), IsEmpty()) << good;
  }
  EXPECT_THAT(IsValidLabelValue(std::string(63, 'a')), IsEmpty());
  const std::string msg =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
      "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
      "'my_value',  or '12345', regex used for validation is "
      "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  for (const char* bad :
       {"nospecialchars%^=@", "Tama-nui-te-rā.is.Māori.sun", "\\backslashes", "-starts-with-dash",
        "ends-with-dash-", ".starts.with.dot", "ends.with.dot.", "a b"}) {
    EXPECT_THAT(IsValidLabelValue(bad), ElementsAre(msg)) << bad;
  }
  EXPECT_THAT(IsValidLabelValue(std::string(64, 'a')),
              ElementsAre("must be no more than 63 characters"));
}

}  // namespace
}  // namespace rudder::api::validation
