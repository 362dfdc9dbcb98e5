#include "lib/runtime/cni/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

namespace rudder::cni {
namespace {

constexpr char kBridgeList[] = R"({
  "cniVersion": "1.0.0",
  "name": "podnet",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local", "subnet": "10.1.0.0/16"}},
    {"type": "portmap", "capabilities": {"portMappings": true, "other": false}}
  ]
})";

TEST(ConfigTest, ParsesConfList) {
  auto list = ParseConfigList(kBridgeList);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->cni_version, "1.0.0");
  EXPECT_EQ(list->name, "podnet");
  EXPECT_FALSE(list->disable_check);
  ASSERT_EQ(list->plugins.size(), 2u);
  EXPECT_EQ(list->plugins[0].type, "bridge");
  EXPECT_TRUE(list->plugins[0].capabilities.empty());
  EXPECT_NE(list->plugins[0].json.find("\"ipam\""), std::string::npos);
  EXPECT_EQ(list->plugins[1].type, "portmap");
  EXPECT_EQ(list->plugins[1].capabilities, std::set<std::string>{"portMappings"});
  EXPECT_EQ(list->bytes, kBridgeList);
}

TEST(ConfigTest, DisableCheckAcceptsBoolAndString) {
  auto a = ParseConfigList(
      R"({"cniVersion":"0.4.0","name":"n","disableCheck":true,"plugins":[{"type":"x"}]})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->disable_check);
  auto b = ParseConfigList(
      R"({"cniVersion":"0.4.0","name":"n","disableCheck":"true","plugins":[{"type":"x"}]})");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->disable_check);
  auto c = ParseConfigList(
      R"({"cniVersion":"0.4.0","name":"n","disableCheck":3,"plugins":[{"type":"x"}]})");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("disableCheck"), std::string::npos);
}

struct BadCase {
  const char* json;
  const char* field;
};

TEST(ConfigTest, RejectsInvalidListsWithFieldPath) {
  const BadCase cases[] = {
      {R"({"name":"n","plugins":[{"type":"x"}]})", "cniVersion: required"},
      {R"({"cniVersion":"9.9.9","name":"n","plugins":[{"type":"x"}]})", "cniVersion: unsupported"},
      {R"({"cniVersion":1,"name":"n","plugins":[{"type":"x"}]})", "cniVersion: must be a string"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"x"}]})", "name: required"},
      {R"({"cniVersion":"1.0.0","name":"bad name","plugins":[{"type":"x"}]})",
       "name: \"bad name\""},
      {R"({"cniVersion":"1.0.0","name":"-n","plugins":[{"type":"x"}]})", "name: \"-n\""},
      {R"({"cniVersion":"1.0.0","name":"n"})", "plugins: required"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[]})", "plugins: must not be empty"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"x"},{}]})",
       "plugins[1].type: required"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../bin/sh"}]})", "plugins[0].type"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[3]})", "plugins[0]: must be an object"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"x","capabilities":{"a":1}}]})",
       "plugins[0].capabilities.a: must be a boolean"},
      {R"({"cniVersion":"1.0.0",)", "invalid JSON"},
      {R"([1,2])", "must be a JSON object"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"x"}]} trailing)", "invalid JSON"},
  };
  for (const BadCase& c : cases) {
    auto list = ParseConfigList(c.json);
    ASSERT_FALSE(list.ok()) << c.json;
    EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(list.status().message().find(c.field), std::string::npos)
        << c.json << " -> " << list.status();
  }
}

TEST(ConfigTest, TruncatedAndCorruptedInputFailsCleanly) {
  std::string text = kBridgeList;
  for (size_t n = 0; n < text.size(); ++n) {
    auto list = ParseConfigList(std::string_view(text.data(), n));
    EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument) << n;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    for (char c : {'\0', '"', '}', '[', '1', '/'}) {
      std::string bad = text;
      bad[i] = c;
      auto list = ParseConfigList(bad);  // either parses or fails; must not crash
      if (!list.ok()) {
        EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument) << i;
      }
    }
  }
}

TEST(ConfigTest, RejectsOversizedInput) {
  std::string huge(9 << 20, ' ');
  auto list = ParseConfigList(huge);
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, SingleConfBecomesListOfOne) {
  auto list = ParseConfig(
      R"({"cniVersion":"0.3.1","name":"lo","type":"loopback","capabilities":{"ips":true}})");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->cni_version, "0.3.1");
  EXPECT_EQ(list->name, "lo");
  ASSERT_EQ(list->plugins.size(), 1u);
  EXPECT_EQ(list->plugins[0].type, "loopback");
  EXPECT_EQ(list->plugins[0].capabilities, std::set<std::string>{"ips"});
  // Its bytes are a conflist that parses back to the same network.
  auto again = ParseConfigList(list->bytes);
  ASSERT_TRUE(again.ok()) << again.status() << " " << list->bytes;
  EXPECT_EQ(again->plugins[0].type, "loopback");
}

TEST(ConfigTest, SingleConfRejectsPluginListAndMissingType) {
  EXPECT_EQ(
      ParseConfig(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"x"}]})").status().code(),
      absl::StatusCode::kInvalidArgument);
  auto s = ParseConfig(R"({"cniVersion":"1.0.0","name":"n"})").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("type: required"), std::string::npos) << s;
}

TEST(ConfigTest, CompareVersions) {
  EXPECT_LT(CompareVersions("0.3.1", "0.4.0"), 0);
  EXPECT_EQ(CompareVersions("0.4.0", "0.4.0"), 0);
  EXPECT_GT(CompareVersions("1.0.0", "0.4.0"), 0);
  EXPECT_LT(CompareVersions("0.2.0", "0.10.0"), 0);
  EXPECT_TRUE(IsSupportedVersion("0.4.0"));
  EXPECT_FALSE(IsSupportedVersion("1.1.0"));
}

class ConfigDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cni-conf-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(ConfigDirTest, PicksFirstValidFileInLexicalOrder) {
  Write("README", "not a config");
  Write("20-b.conflist", R"({"cniVersion":"1.0.0","name":"second","plugins":[{"type":"bridge"}]})");
  Write("10-a.conflist", R"({"cniVersion":"1.0.0","name":"first","plugins":[{"type":"bridge"}]})");
  Write("05-broken.conf", R"({"cniVersion":"1.0.0"})");
  auto list = LoadDefaultNetwork(dir_);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->name, "first");
  EXPECT_EQ(list->source, dir_ + "/10-a.conflist");
}

TEST_F(ConfigDirTest, LoadsSingleConf) {
  Write("99-lo.conf", R"({"cniVersion":"0.4.0","name":"lo","type":"loopback"})");
  auto list = LoadDefaultNetwork(dir_);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->name, "lo");
  EXPECT_EQ(list->plugins.size(), 1u);
}

TEST_F(ConfigDirTest, NotFoundWhenNothingValid) {
  Write("00-broken.conflist", "{");
  auto list = LoadDefaultNetwork(dir_);
  EXPECT_EQ(list.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(list.status().message().find("00-broken.conflist"), std::string::npos) << list.status();
  EXPECT_EQ(LoadDefaultNetwork(dir_ + "/missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadConfigFile(dir_ + "/missing.conf").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rudder::cni
