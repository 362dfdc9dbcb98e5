#include "lib/runtime/cni/internal/invoke.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace rudder::cni::internal {
namespace {

RuntimeConf PodConf() {
  RuntimeConf rt;
  rt.container_id = "sandbox-1";
  rt.netns = "/run/netns/pod1";
  rt.if_name = "eth0";
  rt.args = {{"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", "web-0"}};
  return rt;
}

bool Has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

TEST(EnvTest, SetsCniVariablesAndDropsInheritedOnes) {
  const char* base[] = {"HOME=/root", "CNI_COMMAND=STALE", "CNI_FOO=1", "PATH=/usr/bin:/bin",
                        nullptr};
  auto env = BuildEnvironment("ADD", PodConf(), {"/opt/cni/bin", "/usr/lib/cni"}, base);
  EXPECT_TRUE(Has(env, "HOME=/root"));
  EXPECT_TRUE(Has(env, "CNI_COMMAND=ADD"));
  EXPECT_FALSE(Has(env, "CNI_COMMAND=STALE"));
  EXPECT_FALSE(Has(env, "CNI_FOO=1"));
  EXPECT_TRUE(Has(env, "CNI_CONTAINERID=sandbox-1"));
  EXPECT_TRUE(Has(env, "CNI_NETNS=/run/netns/pod1"));
  EXPECT_TRUE(Has(env, "CNI_IFNAME=eth0"));
  EXPECT_TRUE(Has(env, "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"));
  EXPECT_TRUE(Has(env, "CNI_PATH=/opt/cni/bin:/usr/lib/cni"));
  EXPECT_TRUE(Has(env, "PATH=/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"));
  EXPECT_EQ(std::count_if(env.begin(), env.end(),
                          [](const std::string& e) { return e.rfind("CNI_COMMAND=", 0) == 0; }),
            1);
}

TEST(EnvTest, VersionHasOnlyCommandAndPath) {
  auto env = BuildEnvironment("VERSION", RuntimeConf{}, {"/usr/lib/cni"}, nullptr);
  EXPECT_TRUE(Has(env, "CNI_COMMAND=VERSION"));
  EXPECT_TRUE(Has(env, "CNI_PATH=/usr/lib/cni"));
  for (const auto& e : env) EXPECT_NE(e.rfind("CNI_CONTAINERID", 0), 0u) << e;
}

TEST(EnvTest, CniArgsKeepsExplicitIgnoreUnknown) {
  RuntimeConf rt = PodConf();
  rt.args = {{"IgnoreUnknown", "true"}, {"A", "b"}};
  EXPECT_EQ(CniArgs(rt), "IgnoreUnknown=true;A=b");
}

TEST(ValidateTest, RejectsBadIdsNamesAndArgs) {
  RuntimeConf rt = PodConf();
  EXPECT_TRUE(ValidateRuntimeConf(rt).ok());
  rt.container_id = "";
  EXPECT_NE(ValidateRuntimeConf(rt).message().find("containerID"), std::string::npos);
  rt.container_id = "../etc";
  EXPECT_EQ(ValidateRuntimeConf(rt).code(), absl::StatusCode::kInvalidArgument);
  rt = PodConf();
  rt.if_name = "a-very-long-interface-name";
  EXPECT_NE(ValidateRuntimeConf(rt).message().find("ifName"), std::string::npos);
  rt.if_name = "eth/0";
  EXPECT_EQ(ValidateRuntimeConf(rt).code(), absl::StatusCode::kInvalidArgument);
  rt = PodConf();
  rt.args.push_back({"K", "a;b"});
  EXPECT_EQ(ValidateRuntimeConf(rt).code(), absl::StatusCode::kInvalidArgument);
}

NetworkConfigList TwoPlugins() {
  auto list = ParseConfigList(R"({"cniVersion":"1.0.0","name":"net1","plugins":[
      {"type":"bridge","name":"ignored","cniVersion":"0.1.0","ipam":{"type":"host-local"}},
      {"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false},
       "runtimeConfig":{"keep":1}},
      {"type":"bandwidth","capabilities":{"bandwidth":true,"custom":true}}]})");
  EXPECT_TRUE(list.ok()) << list.status();
  return *list;
}

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

TEST(StdinTest, InjectsNameVersionAndPrevResult) {
  NetworkConfigList list = TwoPlugins();
  RuntimeConf rt = PodConf();
  rt.port_mappings = {{8080, 80, "tcp", ""}};
  auto first = BuildPluginStdin(list, list.plugins[0], rt, nullptr);
  ASSERT_TRUE(first.ok()) << first.status();
  auto d = Parse(*first);
  EXPECT_STREQ(d["name"].GetString(), "net1");
  EXPECT_STREQ(d["cniVersion"].GetString(), "1.0.0");
  EXPECT_STREQ(d["ipam"]["type"].GetString(), "host-local");
  EXPECT_FALSE(d.HasMember("prevResult"));
  // bridge declares no capability: no runtimeConfig even though port mappings exist.
  EXPECT_FALSE(d.HasMember("runtimeConfig"));

  std::string prev = R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]})";
  auto second = BuildPluginStdin(list, list.plugins[1], rt, &prev);
  ASSERT_TRUE(second.ok()) << second.status();
  auto d2 = Parse(*second);
  EXPECT_STREQ(d2["prevResult"]["ips"][0]["address"].GetString(), "10.0.0.2/24");
  ASSERT_TRUE(d2.HasMember("runtimeConfig"));
  EXPECT_EQ(d2["runtimeConfig"]["keep"].GetInt(), 1);  // merged, not replaced
  const auto& pm = d2["runtimeConfig"]["portMappings"];
  ASSERT_EQ(pm.Size(), 1u);
  EXPECT_EQ(pm[0]["hostPort"].GetInt(), 8080);
  EXPECT_EQ(pm[0]["containerPort"].GetInt(), 80);
  EXPECT_STREQ(pm[0]["protocol"].GetString(), "tcp");
  EXPECT_FALSE(pm[0].HasMember("hostIP"));
}

TEST(StdinTest, CapabilitiesOnlyForDeclaringPlugins) {
  NetworkConfigList list = TwoPlugins();
  RuntimeConf rt = PodConf();
  rt.bandwidth = BandwidthLimits{1000, 2000, 3000, 4000};
  rt.capability_args["custom"] = R"({"x":[1,2]})";
  rt.capability_args["undeclared"] = "true";
  // portmap declares bandwidth=false: nothing for it.
  auto pm = Parse(*BuildPluginStdin(list, list.plugins[1], rt, nullptr));
  EXPECT_FALSE(pm["runtimeConfig"].HasMember("bandwidth"));
  EXPECT_FALSE(pm["runtimeConfig"].HasMember("portMappings"));  // none given
  auto bw = Parse(*BuildPluginStdin(list, list.plugins[2], rt, nullptr));
  EXPECT_EQ(bw["runtimeConfig"]["bandwidth"]["ingressRate"].GetInt64(), 1000);
  EXPECT_EQ(bw["runtimeConfig"]["bandwidth"]["egressBurst"].GetInt64(), 4000);
  EXPECT_EQ(bw["runtimeConfig"]["custom"]["x"][1].GetInt(), 2);
  EXPECT_FALSE(bw["runtimeConfig"].HasMember("undeclared"));
  rt.capability_args["custom"] = "{bad";
  EXPECT_EQ(BuildPluginStdin(list, list.plugins[2], rt, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CacheTest, RoundTripsInLibcniLayout) {
  char tmpl[] = "/tmp/cni-cache-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  RuntimeConf rt = PodConf();
  std::string path = CachePath(dir, "net1", rt);
  EXPECT_EQ(path, dir + "/results/net1-sandbox-1-eth0");
  auto missing = ReadCache(path);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  rt.port_mappings = {{8080, 80, "udp", "127.0.0.1"}};
  auto caps = CapabilityArgsJson(rt);
  ASSERT_TRUE(caps.ok()) << caps.status();
  CacheEntry entry{R"({"cniVersion":"1.0.0","name":"net1","plugins":[{"type":"x"}]})",
                   R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]})", *caps};
  ASSERT_TRUE(WriteCache(path, "net1", rt, entry).ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto d = Parse(text);
  EXPECT_STREQ(d["kind"].GetString(), "cniCacheV1");
  EXPECT_STREQ(d["containerId"].GetString(), "sandbox-1");
  EXPECT_STREQ(d["networkName"].GetString(), "net1");
  EXPECT_STREQ(d["ifName"].GetString(), "eth0");
  EXPECT_STREQ(d["cniArgs"][1][1].GetString(), "web-0");
  auto back = ReadCache(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->config, entry.config);
  EXPECT_EQ((*back)->result, entry.result);
  EXPECT_EQ((*back)->capability_args, *caps);
  RuntimeConf restored;
  ASSERT_TRUE(RestoreCapabilityArgs((*back)->capability_args, &restored).ok());
  EXPECT_EQ(restored.capability_args["portMappings"],
            R"([{"hostPort":8080,"containerPort":80,"protocol":"udp","hostIP":"127.0.0.1"}])");
  ASSERT_TRUE(RemoveCache(path).ok());
  EXPECT_TRUE(RemoveCache(path).ok());
  std::ofstream(path) << "{not json";
  EXPECT_EQ(ReadCache(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace rudder::cni::internal
