#include "lib/runtime/cni/result.h"

#include "gtest/gtest.h"
#include "lib/runtime/cni/network_plugin.h"

namespace rudder::cni {
namespace {

// The shape the bridge plugin prints for 1.0.0.
constexpr char kBridgeResult[] = R"({
  "cniVersion": "1.0.0",
  "interfaces": [
    {"name": "cni0", "mac": "aa:bb:cc:00:00:01"},
    {"name": "veth1234", "mac": "aa:bb:cc:00:00:02"},
    {"name": "eth0", "mac": "aa:bb:cc:00:00:03", "sandbox": "/run/netns/pod", "mtu": 1500}
  ],
  "ips": [
    {"interface": 2, "address": "10.22.0.5/24", "gateway": "10.22.0.1"},
    {"interface": 2, "address": "fd00::5/64", "gateway": "fd00::1"}
  ],
  "routes": [{"dst": "0.0.0.0/0", "gw": "10.22.0.1"}, {"dst": "::/0"}],
  "dns": {"nameservers": ["10.96.0.10"], "domain": "cluster.local",
          "search": ["default.svc.cluster.local"], "options": ["ndots:5"]}
})";

TEST(ResultTest, ParsesCurrentFormat) {
  auto r = ParseResult(kBridgeResult);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cni_version, "1.0.0");
  ASSERT_EQ(r->interfaces.size(), 3u);
  EXPECT_EQ(r->interfaces[2].name, "eth0");
  EXPECT_EQ(r->interfaces[2].sandbox, "/run/netns/pod");
  EXPECT_EQ(r->interfaces[2].mtu, 1500);
  EXPECT_FALSE(r->interfaces[0].mtu.has_value());
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[0].address, "10.22.0.5/24");
  EXPECT_EQ(r->ips[0].Ip(), "10.22.0.5");
  EXPECT_EQ(r->ips[0].gateway, "10.22.0.1");
  EXPECT_EQ(r->ips[0].interface, 2);
  EXPECT_FALSE(r->ips[0].IsV6());
  EXPECT_TRUE(r->ips[1].IsV6());
  ASSERT_EQ(r->routes.size(), 2u);
  EXPECT_EQ(r->routes[0].dst, "0.0.0.0/0");
  EXPECT_EQ(r->routes[0].gw, "10.22.0.1");
  EXPECT_EQ(r->routes[1].gw, "");
  EXPECT_EQ(r->dns.nameservers, std::vector<std::string>{"10.96.0.10"});
  EXPECT_EQ(r->dns.domain, "cluster.local");
  EXPECT_EQ(r->dns.search, std::vector<std::string>{"default.svc.cluster.local"});
  EXPECT_EQ(r->dns.options, std::vector<std::string>{"ndots:5"});
  EXPECT_EQ(r->json, kBridgeResult);
}

TEST(ResultTest, Parses040WithVersionField) {
  auto r = ParseResult(
      R"({"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/x"}],
          "ips":[{"version":"4","interface":0,"address":"192.168.1.2/24"}],"dns":{}})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->ips.size(), 1u);
  EXPECT_EQ(r->ips[0].Ip(), "192.168.1.2");
}

TEST(ResultTest, ParsesLegacyFormat) {
  auto r = ParseResult(R"({"cniVersion":"0.2.0",
      "ip4":{"ip":"10.0.0.2/8","gateway":"10.0.0.1","routes":[{"dst":"0.0.0.0/0"}]},
      "ip6":{"ip":"fd00::2/64"}, "dns":{"nameservers":["1.1.1.1"]}})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[0].address, "10.0.0.2/8");
  EXPECT_EQ(r->ips[0].gateway, "10.0.0.1");
  EXPECT_FALSE(r->ips[0].interface.has_value());
  EXPECT_EQ(r->ips[1].address, "fd00::2/64");
  ASSERT_EQ(r->routes.size(), 1u);
  EXPECT_EQ(r->routes[0].dst, "0.0.0.0/0");
  EXPECT_EQ(r->dns.nameservers.size(), 1u);
}

TEST(ResultTest, UsesDefaultVersionWhenMissing) {
  auto r = ParseResult(R"({"ips":[{"address":"10.0.0.2/8"}]})", "1.0.0");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cni_version, "1.0.0");
  EXPECT_EQ(ParseResult(R"({"ips":[]})").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ResultTest, RejectsMalformedResultsWithFieldPath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1"}]})", "ips[0].address"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","interface":0}]})",
       "ips[0].interface: index 0 is out of range"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","interface":"0"}]})",
       "ips[0].interface: must be an integer"},
      {R"({"cniVersion":"1.0.0","interfaces":{}})", "interfaces: must be an array"},
      {R"({"cniVersion":"1.0.0","interfaces":[{"name":3}]})", "interfaces[0].name"},
      {R"({"cniVersion":"1.0.0","routes":[{"gw":"1.2.3.4"}]})", "routes[0].dst: required"},
      {R"({"cniVersion":"1.0.0","dns":{"nameservers":[1]}})", "dns.nameservers[0]"},
      {R"({"cniVersion":"0.2.0","ip4":{"ip":"bad"}})", "ip4.ip"},
      {R"({"cniVersion":"7.0.0"})", "unsupported result version"},
      {R"(not json)", "invalid JSON"},
  };
  for (const auto& [json, field] : cases) {
    auto r = ParseResult(json);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_NE(r.status().message().find(field), std::string::npos) << json << " -> " << r.status();
  }
}

TEST(ResultTest, TruncatedAndCorruptedInputFailsCleanly) {
  std::string text = kBridgeResult;
  for (size_t n = 0; n < text.size(); ++n) {
    auto r = ParseResult(std::string_view(text.data(), n));
    EXPECT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
  for (size_t i = 0; i < text.size(); ++i) {
    for (char c : {'\0', '"', '}', '[', '9', '-'}) {
      std::string bad = text;
      bad[i] = c;
      auto r = ParseResult(bad);  // either parses or fails; must not crash
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << i;
      }
    }
  }
}

TEST(ResultTest, ParsesErrors) {
  auto e = ParseError(
      R"({"cniVersion":"1.0.0","code":7,"msg":"invalid config","details":"subnet missing"})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->code, 7);
  EXPECT_EQ(e->msg, "invalid config");
  EXPECT_EQ(e->details, "subnet missing");
  EXPECT_EQ(ParseError(R"({"msg":"no code"})").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseError("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ResultTest, ErrorCodesMapToStatusCodes) {
  const std::pair<int, absl::StatusCode> cases[] = {
      {1, absl::StatusCode::kFailedPrecondition}, {2, absl::StatusCode::kInvalidArgument},
      {3, absl::StatusCode::kNotFound},           {4, absl::StatusCode::kInvalidArgument},
      {5, absl::StatusCode::kInternal},           {6, absl::StatusCode::kInvalidArgument},
      {7, absl::StatusCode::kInvalidArgument},    {11, absl::StatusCode::kUnavailable},
      {100, absl::StatusCode::kUnknown},          {999, absl::StatusCode::kUnknown},
  };
  for (const auto& [code, want] : cases) {
    absl::Status s = ErrorToStatus({code, "boom", "because"}, "CNI plugin x ADD");
    EXPECT_EQ(s.code(), want) << code;
    EXPECT_EQ(ErrorCodeOf(s), code);
    EXPECT_NE(s.message().find("CNI plugin x ADD: boom: because"), std::string::npos) << s;
  }
  EXPECT_FALSE(ErrorCodeOf(absl::InternalError("x")).has_value());
}

TEST(PodIpsTest, PicksSandboxInterfaceAddressesV4First) {
  auto r = ParseResult(R"({"cniVersion":"1.0.0",
      "interfaces":[{"name":"cni0"},{"name":"eth0","sandbox":"/run/netns/p"}],
      "ips":[{"address":"fd00::5/64","interface":1},{"address":"10.0.0.1/24","interface":0},
             {"address":"10.0.0.5/24","interface":1}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(PodIps(*r, "eth0"), (std::vector<std::string>{"10.0.0.5", "fd00::5"}));
  // Without interface information every address counts.
  auto bare = ParseResult(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.9/24"}]})");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(PodIps(*bare, "eth0"), std::vector<std::string>{"10.0.0.9"});
}

}  // namespace
}  // namespace rudder::cni
