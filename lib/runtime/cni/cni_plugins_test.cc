// The CNI adapter with Debian's real plugins (containernetworking-plugins in /usr/lib/cni):
// loopback, bridge with host-local IPAM, portmap. Each test makes its own network namespaces,
// bridge name, subnet and host-local data directory, and removes them even when it fails.
// Needs root; skips (with a message) when not root or when network namespaces cannot be made.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "lib/runtime/cni/cni.h"
#include "lib/runtime/cni/netns.h"
#include "lib/runtime/cni/network_plugin.h"

namespace rudder::cni {
namespace {

constexpr char kBinDir[] = "/usr/lib/cni";

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(("PATH=/usr/sbin:/usr/bin:/sbin:/bin; " + cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class CniPluginsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: the CNI plugin tests need root";
    ASSERT_TRUE(Exists(absl::StrCat(kBinDir, "/bridge")))
        << "CNI plugins missing: apt-get install -y containernetworking-plugins iproute2";
    char tmpl[] = "/tmp/cni-plugins-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Unique per process (and per test through the counter), short enough for an ifname.
    static int counter = 0;
    int id = (getpid() * 7 + counter++) % 200;
    suffix_ = absl::StrCat(getpid() % 100000, "-", counter);
    bridge_ = absl::StrCat("rcni", getpid() % 100000, counter);
    subnet_prefix_ = absl::StrCat("10.", 50 + id, ".", counter % 250);
    options_.bin_dirs = {kBinDir};
    options_.cache_dir = dir_ + "/cache";
    // Probe: can this machine make a network namespace at all?
    auto probe = NetNamespace::Create("probe-" + suffix_, dir_);
    if (!probe.ok()) {
      skipped_ = true;
      GTEST_SKIP() << "SKIPPED: cannot create a network namespace: " << probe.status();
    }
  }

  void TearDown() override {
    for (const auto& [list, rt] : attached_) {
      absl::Status s = Cni(options_).DelNetworkList(list, rt);
      if (!s.ok())
        std::fprintf(stderr, "cleanup: DEL %s: %s\n", rt.container_id.c_str(),
                     s.ToString().c_str());
    }
    namespaces_.clear();
    if (!bridge_.empty()) Shell("ip link del " + bridge_);
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  NetNamespace* NewNetns() {
    auto ns = NetNamespace::Create(absl::StrCat("pod-", suffix_, "-", namespaces_.size()), dir_);
    EXPECT_TRUE(ns.ok()) << ns.status();
    if (!ns.ok()) return nullptr;
    namespaces_.push_back(*std::move(ns));
    return namespaces_.back().get();
  }

  RuntimeConf Pod(const NetNamespace* ns, const std::string& id) {
    RuntimeConf rt;
    rt.container_id = id;
    rt.netns = ns->path();
    rt.args = {{"K8S_POD_NAMESPACE", "default"},
               {"K8S_POD_NAME", id},
               {"K8S_POD_INFRA_CONTAINER_ID", id},
               {"K8S_POD_UID", "uid-" + id}};
    return rt;
  }

  // Runs ADD and remembers the attachment so TearDown deletes it if the test does not.
  absl::StatusOr<Result> Add(const NetworkConfigList& list, const RuntimeConf& rt) {
    attached_.push_back({list, rt});
    return Cni(options_).AddNetworkList(list, rt);
  }

  // bridge + host-local handing out addresses .10 and .11 only, optionally with portmap.
  std::string BridgeConflist(bool portmap) {
    std::string text = absl::StrReplaceAll(
        R"({"cniVersion":"1.0.0","name":"net-SUFFIX","plugins":[
          {"type":"bridge","bridge":"BRIDGE","isGateway":true,
           "ipam":{"type":"host-local","dataDir":"DIR/ipam",
                   "ranges":[[{"subnet":"PREFIX.0/24","rangeStart":"PREFIX.10",
                               "rangeEnd":"PREFIX.11"}]],
                   "routes":[{"dst":"0.0.0.0/0"}]}}PORTMAP]})",
        {{"SUFFIX", suffix_},
         {"BRIDGE", bridge_},
         {"DIR", dir_},
         {"PREFIX", subnet_prefix_},
         {"PORTMAP",
          portmap ? R"(,{"type":"portmap","capabilities":{"portMappings":true}})" : ""}});
    return text;
  }
  NetworkConfigList BridgeList(bool portmap) {
    auto list = ParseConfigList(BridgeConflist(portmap));
    EXPECT_TRUE(list.ok()) << list.status();
    return *list;
  }

  std::string InNetns(const NetNamespace* ns, const std::string& cmd) {
    return Shell(absl::StrCat("nsenter --net=", ns->path(), " ", cmd));
  }

  bool skipped_ = false;
  std::string dir_, suffix_, bridge_, subnet_prefix_;
  CniOptions options_;
  std::vector<std::unique_ptr<NetNamespace>> namespaces_;
  std::vector<std::pair<NetworkConfigList, RuntimeConf>> attached_;
};

TEST_F(CniPluginsTest, LoopbackComesUp) {
  NetNamespace* ns = NewNetns();
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(InNetns(ns, "ip -o link show lo").find("UP"), std::string::npos);  // new: down
  auto list =
      *ParseConfigList(R"({"cniVersion":"1.0.0","name":"lo","plugins":[{"type":"loopback"}]})");
  RuntimeConf rt = Pod(ns, "lo-" + suffix_);
  rt.if_name = "lo";
  auto result = Add(list, rt);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_FALSE(result->interfaces.empty());
  EXPECT_EQ(result->interfaces[0].name, "lo");
  EXPECT_NE(InNetns(ns, "ip -o link show lo").find("UP"), std::string::npos);
  EXPECT_TRUE(Cni(options_).CheckNetworkList(list, rt).ok());
  EXPECT_TRUE(Cni(options_).DelNetworkList(list, rt).ok());
}

TEST_F(CniPluginsTest, BridgeHostLocalAssignsDistinctIpsAndReusesReleasedOnes) {
  NetNamespace* ns1 = NewNetns();
  NetNamespace* ns2 = NewNetns();
  NetNamespace* ns3 = NewNetns();
  ASSERT_TRUE(ns1 && ns2 && ns3);
  NetworkConfigList list = BridgeList(false);
  RuntimeConf pod1 = Pod(ns1, "p1-" + suffix_), pod2 = Pod(ns2, "p2-" + suffix_),
              pod3 = Pod(ns3, "p3-" + suffix_);

  auto r1 = Add(list, pod1);
  ASSERT_TRUE(r1.ok()) << r1.status();
  std::vector<std::string> ips1 = PodIps(*r1, "eth0");
  ASSERT_EQ(ips1.size(), 1u);
  EXPECT_EQ(ips1[0].rfind(subnet_prefix_ + ".", 0), 0u) << ips1[0];
  ASSERT_EQ(r1->ips.size(), 1u);
  EXPECT_EQ(r1->ips[0].gateway, subnet_prefix_ + ".1");
  // The address is really on eth0 inside the namespace, and the bridge exists on the host.
  EXPECT_NE(InNetns(ns1, "ip -o addr show eth0").find(ips1[0] + "/24"), std::string::npos);
  EXPECT_NE(Shell("ip -o link show " + bridge_).find(bridge_), std::string::npos);
  std::string lease = absl::StrCat(dir_, "/ipam/", list.name, "/", ips1[0]);
  EXPECT_TRUE(Exists(lease)) << lease;

  // CHECK after ADD passes, and notices when the pod's interface is gone.
  ASSERT_TRUE(Cni(options_).CheckNetworkList(list, pod1).ok())
      << Cni(options_).CheckNetworkList(list, pod1);
  InNetns(ns1, "ip link del eth0");
  absl::Status broken = Cni(options_).CheckNetworkList(list, pod1);
  EXPECT_FALSE(broken.ok());
  EXPECT_NE(broken.message().find("CNI plugin bridge CHECK"), std::string::npos) << broken;

  auto r2 = Add(list, pod2);
  ASSERT_TRUE(r2.ok()) << r2.status();
  std::vector<std::string> ips2 = PodIps(*r2, "eth0");
  ASSERT_EQ(ips2.size(), 1u);
  EXPECT_NE(ips2[0], ips1[0]);

  // The range has two addresses: a third pod gets host-local's error, with its message.
  auto r3 = Add(list, pod3);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(ErrorCodeOf(r3.status()).has_value(), true) << r3.status();
  EXPECT_NE(r3.status().message().find("no IP addresses available"), std::string::npos)
      << r3.status();
  ASSERT_TRUE(Cni(options_).DelNetworkList(list, pod3).ok());

  // DEL releases pod1's address (host-local's lease file goes) and the next pod gets it.
  ASSERT_TRUE(Cni(options_).DelNetworkList(list, pod1).ok());
  EXPECT_FALSE(Exists(lease));
  auto r3b = Add(list, pod3);
  ASSERT_TRUE(r3b.ok()) << r3b.status();
  EXPECT_EQ(PodIps(*r3b, "eth0"), ips1);

  // DEL twice is fine.
  EXPECT_TRUE(Cni(options_).DelNetworkList(list, pod1).ok());
  EXPECT_TRUE(Cni(options_).DelNetworkList(list, pod2).ok());
  EXPECT_TRUE(Cni(options_).DelNetworkList(list, pod2).ok());
}

TEST_F(CniPluginsTest, OlderSpecVersions) {
  NetNamespace* ns = NewNetns();
  ASSERT_NE(ns, nullptr);
  for (const char* version : {"0.4.0", "0.3.1"}) {
    std::string text = absl::StrReplaceAll(
        BridgeConflist(false),
        {{R"("cniVersion":"1.0.0")", absl::StrCat(R"("cniVersion":")", version, "\"")}});
    auto list = ParseConfigList(text);
    ASSERT_TRUE(list.ok()) << list.status();
    RuntimeConf rt = Pod(ns, absl::StrCat("old-", suffix_));
    auto result = Add(*list, rt);
    ASSERT_TRUE(result.ok()) << version << ": " << result.status();
    EXPECT_EQ(result->cni_version, version);
    EXPECT_NE(result->json.find(R"("version": "4")"), std::string::npos) << result->json;
    std::vector<std::string> ips = PodIps(*result, "eth0");
    ASSERT_EQ(ips.size(), 1u);
    EXPECT_NE(InNetns(ns, "ip -o addr show eth0").find(ips[0] + "/24"), std::string::npos);
    absl::Status check = Cni(options_).CheckNetworkList(*list, rt);
    if (std::string(version) == "0.4.0") {
      EXPECT_TRUE(check.ok()) << check;
    } else {
      EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition) << check;
    }
    ASSERT_TRUE(Cni(options_).DelNetworkList(*list, rt).ok());
    EXPECT_EQ(InNetns(ns, "ip -o link show eth0").find("eth0:"), std::string::npos);
  }
}

TEST_F(CniPluginsTest, PortmapChainedAfterBridgeAndCheck) {
  NetNamespace* ns = NewNetns();
  ASSERT_NE(ns, nullptr);
  NetworkConfigList list = BridgeList(true);
  RuntimeConf rt = Pod(ns, "pm-" + suffix_);
  int host_port = 20000 + getpid() % 10000;
  rt.port_mappings = {{host_port, 80, "tcp", ""}};
  auto result = Add(list, rt);
  ASSERT_TRUE(result.ok()) << result.status();
  std::vector<std::string> ips = PodIps(*result, "eth0");
  ASSERT_EQ(ips.size(), 1u);
  // portmap passes the bridge's result through and installs the DNAT rule to the pod.
  std::string nat = Shell("iptables -w -t nat -S");
  EXPECT_NE(
      nat.find(absl::StrCat("--dport ", host_port, " -j DNAT --to-destination ", ips[0], ":80")),
      std::string::npos)
      << nat;

  Cni cni(options_);
  // CHECK runs both plugins with the cached result. portmap 1.1.1 (Debian 12) also looks for
  // an ip6tables chain for an IPv4-only pod when ip6tables exists, and fails; newer portmap
  // passes. Either way the chain ran and the failure is portmap's, with its message.
  absl::Status check = cni.CheckNetworkList(list, rt);
  if (!check.ok()) {
    EXPECT_NE(check.message().find("CNI plugin portmap CHECK: could not check ipv6 dnat"),
              std::string::npos)
        << check;
  }

  ASSERT_TRUE(cni.DelNetworkList(list, rt).ok());
  nat = Shell("iptables -w -t nat -S");
  EXPECT_EQ(nat.find(absl::StrCat("--dport ", host_port, " ")), std::string::npos) << nat;
  EXPECT_TRUE(cni.DelNetworkList(list, rt).ok());
}

TEST_F(CniPluginsTest, MissingPluginAndPluginErrors) {
  NetNamespace* ns = NewNetns();
  ASSERT_NE(ns, nullptr);
  RuntimeConf rt = Pod(ns, "err-" + suffix_);
  auto missing = ParseConfigList(
      R"({"cniVersion":"1.0.0","name":"m","plugins":[{"type":"loopback"},{"type":"nope-xyz"}]})");
  ASSERT_TRUE(missing.ok());
  rt.if_name = "lo";
  auto r = Add(*missing, rt);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("\"nope-xyz\" not found in /usr/lib/cni"), std::string::npos)
      << r.status();

  rt.if_name = "eth0";
  std::string bad = absl::StrReplaceAll(
      BridgeConflist(false), {{"rangeStart\":\"" + subnet_prefix_, "rangeStart\":\"192.0.2"}});
  auto list = ParseConfigList(bad);
  ASSERT_TRUE(list.ok()) << list.status();
  auto failed = Add(*list, rt);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(ErrorCodeOf(failed.status()), 999) << failed.status();
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnknown);
  EXPECT_NE(failed.status().message().find("CNI plugin bridge ADD: "), std::string::npos);
  EXPECT_NE(failed.status().message().find("RangeStart 192.0.2.10 not in network"),
            std::string::npos)
      << failed.status();
}

TEST_F(CniPluginsTest, NetworkPluginSetsUpAndTearsDownPods) {
  NetNamespace* ns = NewNetns();
  ASSERT_NE(ns, nullptr);
  std::string conf = dir_ + "/net.d";
  mkdir(conf.c_str(), 0755);
  std::ofstream(conf + "/10-pods.conflist") << BridgeConflist(true);
  CniNetworkPluginOptions o;
  o.conf_dir = conf;
  o.bin_dirs = {kBinDir};
  o.cache_dir = options_.cache_dir;
  auto plugin = NewCniNetworkPlugin(o);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  ASSERT_TRUE((*plugin)->Status().ok()) << (*plugin)->Status();

  PodNetworkRequest pod;
  pod.pod_namespace = "default";
  pod.pod_name = "web-0";
  pod.pod_uid = "0b1c";
  pod.sandbox_id = "sb-" + suffix_;
  pod.netns_path = ns->path();
  pod.port_mappings = {{30000 + getpid() % 2000, 8080, "tcp", ""}};
  ASSERT_TRUE((*plugin)->CheckPod(pod).code() == absl::StatusCode::kNotFound);
  attached_.push_back({BridgeList(true), RuntimeConf{pod.sandbox_id, ns->path()}});

  auto status = (*plugin)->SetUpPod(pod);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->ips.size(), 1u);
  EXPECT_EQ(status->ips[0].rfind(subnet_prefix_ + ".", 0), 0u);
  EXPECT_NE(InNetns(ns, "ip -o link show lo").find("UP"), std::string::npos);
  EXPECT_NE(InNetns(ns, "ip -o addr show eth0").find(status->ips[0]), std::string::npos);

  // A new instance (the node agent restarted) reads the cache for status and teardown.
  auto restarted = NewCniNetworkPlugin(o);
  ASSERT_TRUE(restarted.ok());
  auto again = (*restarted)->GetPodNetworkStatus(pod);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ips, status->ips);
  // Teardown after a restart may not know the port mappings any more: the cached ones are used.
  PodNetworkRequest forgetful = pod;
  forgetful.port_mappings.clear();
  ASSERT_TRUE((*restarted)->TearDownPod(forgetful).ok());
  std::string nat = Shell("iptables -w -t nat -S");
  EXPECT_EQ(nat.find(absl::StrCat("--dport ", pod.port_mappings[0].host_port, " ")),
            std::string::npos)
      << nat;
  EXPECT_EQ(InNetns(ns, "ip -o link show eth0").find("eth0:"), std::string::npos);
  EXPECT_EQ((*restarted)->GetPodNetworkStatus(pod).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*restarted)->TearDownPod(pod).ok());
}

TEST(NetNamespaceTest, CreateRemoveAndDuplicates) {
  if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: creating network namespaces needs root";
  char tmpl[] = "/tmp/cni-netns-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto ns = NetNamespace::Create("a", dir);
  if (!ns.ok()) {
    rmdir(dir.c_str());
    GTEST_SKIP() << "SKIPPED: cannot create a network namespace: " << ns.status();
  }
  EXPECT_EQ(NetNamespace::Create("a", dir).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(NetNamespace::Create("../a", dir).status().code(), absl::StatusCode::kInvalidArgument);
  // A different namespace from ours.
  EXPECT_NE(Shell("readlink " + (*ns)->path()), Shell("readlink /proc/self/ns/net"));
  EXPECT_EQ(Shell("nsenter --net=" + (*ns)->path() + " ip -o link").find("eth0"),
            std::string::npos);
  std::string path = (*ns)->path();
  ASSERT_TRUE((*ns)->Remove().ok());
  EXPECT_FALSE(Exists(path));
  EXPECT_TRUE(RemoveNetNamespace(path).ok());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace rudder::cni
