// Plugin execution without root: RunProcess on small shell scripts, and Cni / NetworkPlugin
// driving fake plugins that log what they were given.
#include "lib/runtime/cni/internal/exec.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/runtime/cni/cni.h"
#include "lib/runtime/cni/network_plugin.h"

namespace rudder::cni {
namespace {

using internal::ExecRequest;
using internal::RunProcess;

int CountOpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (struct dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;  // the directory itself
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True if no child of this process is left, running or zombie.
bool NoChildrenLeft() {
  int status;
  return waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
}

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cni-exec-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    mkdir((dir_ + "/bin").c_str(), 0755);
    mkdir((dir_ + "/log").c_str(), 0755);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  // Writes an executable script into bin/; "LOG" in the body becomes the log directory.
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/bin/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << absl::StrReplaceAll(body, {{"LOG", dir_ + "/log"}});
    chmod(path.c_str(), 0755);
    return path;
  }

  std::string dir_;
};

using ExecTest = TempDirTest;

TEST_F(ExecTest, PassesStdinAndCapturesOutputs) {
  ExecRequest req;
  req.path = Script("echo", "cat; echo to-stderr >&2; exit 3\n");
  req.stdin_data = "hello";
  auto out = RunProcess(req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->exit_code, 3);
  EXPECT_EQ(out->stdout_data, "hello");
  EXPECT_EQ(out->stderr_data, "to-stderr\n");
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(ExecTest, LargeStdinAndStdoutDoNotDeadlock) {
  ExecRequest req;
  req.path = Script("cat", "cat\n");
  req.stdin_data = std::string(3 << 20, 'x');
  auto out = RunProcess(req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->exit_code, 0);
  EXPECT_EQ(out->stdout_data.size(), req.stdin_data.size());
}

TEST_F(ExecTest, ChildThatIgnoresStdinDoesNotRaiseSigpipe) {
  ExecRequest req;
  req.path = Script("quit", "exit 0\n");
  req.stdin_data = std::string(1 << 20, 'x');
  auto out = RunProcess(req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->exit_code, 0);
}

TEST_F(ExecTest, EnvironmentIsExactlyTheGivenOne) {
  ExecRequest req;
  req.path = Script("env", "echo \"$FOO|$HOME\"\n");
  req.env = {"FOO=bar"};
  auto out = RunProcess(req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->stdout_data, "bar|\n");
}

TEST_F(ExecTest, NoInheritedFdsAndNoLeakedFds) {
  int leaky = dup(2);  // without O_CLOEXEC, as another thread might have opened it
  ASSERT_GE(leaky, 3);
  ExecRequest req;
  req.path = Script("fds", absl::StrCat("if [ -e /proc/self/fd/", leaky,
                                        " ]; then echo open; else echo closed; fi\n"));
  int before = CountOpenFds();
  for (int i = 0; i < 20; ++i) {
    auto out = RunProcess(req);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->stdout_data, "closed\n");
  }
  EXPECT_EQ(CountOpenFds(), before);
  close(leaky);
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(ExecTest, MissingBinaryIsNotFound) {
  ExecRequest req;
  req.path = dir_ + "/bin/nothing-here";
  int before = CountOpenFds();
  EXPECT_EQ(RunProcess(req).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CountOpenFds(), before);
}

TEST_F(ExecTest, ReportsDeathBySignal) {
  ExecRequest req;
  req.path = Script("suicide", "kill -TERM $$\n");
  auto out = RunProcess(req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->exit_code, -1);
  EXPECT_EQ(out->term_signal, SIGTERM);
}

TEST_F(ExecTest, OutputLimitKillsTheChild) {
  ExecRequest req;
  req.path = Script("chatty", "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done\n");
  req.max_output = 1 << 16;
  EXPECT_EQ(RunProcess(req).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(NoChildrenLeft());
}

// Advances `clock` until `done`, so a deadline on the fake clock passes without real waiting
// for it; the outcome does not depend on timing.
class ClockPusher {
 public:
  explicit ClockPusher(FakeClock* clock)
      : thread_([this, clock] {
          while (!done_) {
            clock->Advance(absl::Seconds(1));
            usleep(1000);
          }
        }) {}
  ~ClockPusher() {
    done_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST_F(ExecTest, TimeoutKillsTheWholeProcessGroup) {
  FakeClock clock;
  ExecRequest req;
  // The plugin starts a helper that would outlive it, then hangs.
  req.path = Script("hang", "sleep 1000 & echo $! > LOG/helper; sleep 1000\n");
  req.timeout = absl::Seconds(30);
  req.clock = &clock;
  absl::StatusOr<internal::ExecOutput> out;
  {
    ClockPusher pusher(&clock);
    out = RunProcess(req);
  }
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded) << out.status();
  EXPECT_TRUE(NoChildrenLeft());
  // The helper was killed too: it is gone or a zombie waiting for init.
  std::string helper = ReadFile(dir_ + "/log/helper");
  ASSERT_FALSE(helper.empty());
  // SIGKILL lands asynchronously: wait until it has (a broken kill hangs here and fails).
  std::string stat_path = absl::StrCat("/proc/", std::atoi(helper.c_str()), "/stat");
  for (;;) {
    std::string stat = ReadFile(stat_path);
    if (stat.empty() || stat.find(") Z") != std::string::npos) break;
    usleep(1000);
  }
}

// A fake plugin: logs its stdin, CNI_* environment and call order, answers VERSION, and on ADD
// prints `result`.
std::string FakePlugin(const std::string& result) {
  return absl::StrCat(
      "name=$(basename \"$0\")\n"
      "cat > LOG/$name.$CNI_COMMAND.stdin\n"
      "env | grep '^CNI_' | sort > LOG/$name.$CNI_COMMAND.env\n"
      "echo \"$CNI_COMMAND $name\" >> LOG/order\n"
      "case \"$CNI_COMMAND\" in\n"
      "  ADD) printf '%s' '",
      result, "' ;;\n",
      "  VERSION) printf '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\"]}' "
      ";;\n"
      "esac\n");
}

constexpr char kResultA[] =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],)"
    R"("ips":[{"address":"10.9.0.7/24","gateway":"10.9.0.1","interface":0}]})";
constexpr char kResultB[] =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],)"
    R"("ips":[{"address":"10.9.0.7/24","gateway":"10.9.0.1","interface":0}],)"
    R"("dns":{"nameservers":["10.9.0.53"]}})";

class CniFakeTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    Script("fake-a", FakePlugin(kResultA));
    Script("fake-b", FakePlugin(kResultB));
    options_.bin_dirs = {dir_ + "/empty", dir_ + "/bin"};
    options_.cache_dir = dir_ + "/cache";
    rt_.container_id = "c1";
    rt_.netns = "/run/netns/x";
    rt_.args = {{"K8S_POD_NAME", "p"}};
    rt_.port_mappings = {{8080, 80, "tcp", ""}};
  }
  NetworkConfigList List(const std::string& version = "1.0.0", const std::string& extra = "") {
    auto list = ParseConfigList(
        absl::StrCat(R"({"cniVersion":")", version, R"(","name":"fakenet",)", extra,
                     R"("plugins":[{"type":"fake-a","ipam":{"x":1}},)",
                     R"({"type":"fake-b","capabilities":{"portMappings":true}}]})"));
    EXPECT_TRUE(list.ok()) << list.status();
    return *list;
  }
  std::string Log(const std::string& name) { return ReadFile(dir_ + "/log/" + name); }

  CniOptions options_;
  RuntimeConf rt_;
};

TEST_F(CniFakeTest, AddChainsPrevResultAndCachesResult) {
  Cni cni(options_);
  auto result = cni.AddNetworkList(List(), rt_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->dns.nameservers, std::vector<std::string>{"10.9.0.53"});
  EXPECT_EQ(Log("order"), "ADD fake-a\nADD fake-b\n");
  std::string env = Log("fake-a.ADD.env");
  EXPECT_NE(env.find("CNI_COMMAND=ADD\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CNI_CONTAINERID=c1\n"), std::string::npos);
  EXPECT_NE(env.find("CNI_NETNS=/run/netns/x\n"), std::string::npos);
  EXPECT_NE(env.find("CNI_IFNAME=eth0\n"), std::string::npos);
  EXPECT_NE(env.find("CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=p\n"), std::string::npos);
  EXPECT_NE(env.find(absl::StrCat("CNI_PATH=", dir_, "/empty:", dir_, "/bin\n")),
            std::string::npos);
  std::string a_in = Log("fake-a.ADD.stdin");
  EXPECT_NE(a_in.find(R"("name":"fakenet")"), std::string::npos) << a_in;
  EXPECT_EQ(a_in.find("prevResult"), std::string::npos);
  EXPECT_EQ(a_in.find("runtimeConfig"), std::string::npos);  // fake-a declares nothing
  std::string b_in = Log("fake-b.ADD.stdin");
  EXPECT_NE(b_in.find(R"("prevResult":{"cniVersion":"1.0.0")"), std::string::npos) << b_in;
  EXPECT_NE(b_in.find(R"("runtimeConfig":{"portMappings":[{"hostPort":8080)"), std::string::npos)
      << b_in;
  // A new instance (a restart) finds the cached result.
  auto cached = Cni(options_).GetCachedResult("fakenet", rt_);
  ASSERT_TRUE(cached.ok()) << cached.status();
  ASSERT_TRUE(cached->has_value());
  EXPECT_EQ((*cached)->dns.nameservers, std::vector<std::string>{"10.9.0.53"});
}

TEST_F(CniFakeTest, DelRunsInReverseWithCachedResultAndRemovesIt) {
  ASSERT_TRUE(Cni(options_).AddNetworkList(List(), rt_).ok());
  Cni restarted(options_);
  ASSERT_TRUE(restarted.DelNetworkList(List(), rt_).ok());
  EXPECT_EQ(Log("order"), "ADD fake-a\nADD fake-b\nDEL fake-b\nDEL fake-a\n");
  EXPECT_NE(Log("fake-a.DEL.stdin").find(R"("prevResult":{"cniVersion":"1.0.0")"),
            std::string::npos);
  EXPECT_NE(Log("fake-a.DEL.env").find("CNI_COMMAND=DEL"), std::string::npos);
  auto cached = restarted.GetCachedResult("fakenet", rt_);
  ASSERT_TRUE(cached.ok());
  EXPECT_FALSE(cached->has_value());
  // Again: no cached result, plugins run without prevResult, still fine.
  ASSERT_TRUE(restarted.DelNetworkList(List(), rt_).ok());
  EXPECT_EQ(Log("fake-a.DEL.stdin").find("prevResult"), std::string::npos);
}

TEST_F(CniFakeTest, DelUsesCachedCapabilityArgsWhenGivenNone) {
  ASSERT_TRUE(Cni(options_).AddNetworkList(List(), rt_).ok());
  RuntimeConf forgetful = rt_;
  forgetful.port_mappings.clear();
  ASSERT_TRUE(Cni(options_).DelNetworkList(List(), forgetful).ok());
  EXPECT_NE(Log("fake-b.DEL.stdin").find(R"("runtimeConfig":{"portMappings":[{"hostPort":8080)"),
            std::string::npos)
      << Log("fake-b.DEL.stdin");
  EXPECT_EQ(Log("fake-a.DEL.stdin").find("runtimeConfig"), std::string::npos);
}

TEST_F(CniFakeTest, DelBefore040HasNoPrevResult) {
  ASSERT_TRUE(Cni(options_).AddNetworkList(List("0.3.1"), rt_).ok());
  ASSERT_TRUE(Cni(options_).DelNetworkList(List("0.3.1"), rt_).ok());
  EXPECT_EQ(Log("fake-a.DEL.stdin").find("prevResult"), std::string::npos);
}

TEST_F(CniFakeTest, CheckUsesCachedResultAndHonoursVersionAndDisableCheck) {
  Cni cni(options_);
  EXPECT_EQ(cni.CheckNetworkList(List(), rt_).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(cni.AddNetworkList(List(), rt_).ok());
  ASSERT_TRUE(cni.CheckNetworkList(List(), rt_).ok());
  EXPECT_EQ(Log("order"), "ADD fake-a\nADD fake-b\nCHECK fake-a\nCHECK fake-b\n");
  EXPECT_NE(Log("fake-b.CHECK.stdin").find(R"("dns":{"nameservers":["10.9.0.53"]})"),
            std::string::npos);
  EXPECT_EQ(cni.CheckNetworkList(List("0.3.1"), rt_).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(cni.CheckNetworkList(List("1.0.0", R"("disableCheck":true,)"), rt_).ok());
  EXPECT_EQ(Log("order"), "ADD fake-a\nADD fake-b\nCHECK fake-a\nCHECK fake-b\n");
}

TEST_F(CniFakeTest, MissingPluginIsNotFound) {
  auto list = ParseConfigList(
      R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"fake-a"},{"type":"no-such"}]})");
  ASSERT_TRUE(list.ok());
  auto result = Cni(options_).AddNetworkList(*list, rt_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(result.status().message().find("CNI plugin \"no-such\" not found in"),
            std::string::npos)
      << result.status();
  EXPECT_EQ(Cni(options_).GetVersionInfo("no-such").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CniFakeTest, PluginErrorMapsToCodeAndMessage) {
  Script("failing",
         "cat >/dev/null; printf '%s' "
         "'{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"no subnet\",\"details\":\"ipam\"}'; "
         "exit 1\n");
  Script("crashing", "cat >/dev/null; echo 'panic: nil map' >&2; exit 2\n");
  Script("silent", "cat >/dev/null; exit 0\n");
  auto one = [](const std::string& type) {
    return *ParseConfigList(
        absl::StrCat(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":")", type, R"("}]})"));
  };
  auto failed = Cni(options_).AddNetworkList(one("failing"), rt_);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeOf(failed.status()), 7);
  EXPECT_NE(failed.status().message().find("CNI plugin failing ADD: no subnet: ipam"),
            std::string::npos)
      << failed.status();
  auto crashed = Cni(options_).AddNetworkList(one("crashing"), rt_);
  EXPECT_EQ(crashed.status().code(), absl::StatusCode::kUnknown);
  EXPECT_NE(crashed.status().message().find("exit status 2: panic: nil map"), std::string::npos)
      << crashed.status();
  auto silent = Cni(options_).AddNetworkList(one("silent"), rt_);
  EXPECT_EQ(silent.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(Cni(options_).DelNetworkList(one("silent"), rt_).ok());
}

TEST_F(CniFakeTest, HungPluginTimesOut) {
  Script("hang", "sleep 1000\n");
  FakeClock clock;
  options_.clock = &clock;
  options_.timeout = absl::Seconds(10);
  auto list = *ParseConfigList(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"hang"}]})");
  absl::StatusOr<Result> result;
  {
    ClockPusher pusher(&clock);
    result = Cni(options_).AddNetworkList(list, rt_);
  }
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(CniFakeTest, VersionAndValidate) {
  Cni cni(options_);
  auto info = cni.GetVersionInfo("fake-a");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->supported_versions, (std::vector<std::string>{"0.4.0", "1.0.0"}));
  EXPECT_TRUE(cni.ValidateNetworkList(List()).ok());
  EXPECT_EQ(cni.ValidateNetworkList(List("0.3.1")).code(), absl::StatusCode::kFailedPrecondition);
}

class NetworkPluginFakeTest : public CniFakeTest {
 protected:
  void SetUp() override {
    CniFakeTest::SetUp();
    mkdir((dir_ + "/conf").c_str(), 0755);
    // Stands in for the loopback plugin.
    Script("loopback", FakePlugin(R"({"cniVersion":"1.0.0","interfaces":[{"name":"lo"}]})"));
    plugin_options_.conf_dir = dir_ + "/conf";
    plugin_options_.bin_dirs = {dir_ + "/bin"};
    plugin_options_.cache_dir = dir_ + "/cache";
    pod_.pod_namespace = "default";
    pod_.pod_name = "web";
    pod_.pod_uid = "uid-1";
    pod_.sandbox_id = "sb1";
    pod_.netns_path = "/run/netns/x";
  }
  void WriteConf(const std::string& text) { std::ofstream(dir_ + "/conf/10-net.conflist") << text; }
  CniNetworkPluginOptions plugin_options_;
  PodNetworkRequest pod_;
};

TEST_F(NetworkPluginFakeTest, NotReadyWithoutConfigThenSetUpAndTearDown) {
  auto plugin = NewCniNetworkPlugin(plugin_options_);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_EQ((*plugin)->Status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*plugin)->SetUpPod(pod_).status().code(), absl::StatusCode::kFailedPrecondition);
  WriteConf(R"({"cniVersion":"1.0.0","name":"podnet","plugins":[{"type":"fake-a"}]})");
  ASSERT_TRUE((*plugin)->Status().ok()) << (*plugin)->Status();
  EXPECT_EQ((*plugin)->NetworkName(), "podnet");
  EXPECT_EQ(Log("order"), "VERSION fake-a\n");  // Status() checked the plugin's versions
  ASSERT_TRUE((*plugin)->Status().ok());
  EXPECT_EQ(Log("order"), "VERSION fake-a\n");  // not again for the same configuration
  std::remove((dir_ + "/log/order").c_str());
  auto status = (*plugin)->SetUpPod(pod_);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->ips, std::vector<std::string>{"10.9.0.7"});
  EXPECT_EQ(status->network_name, "podnet");
  EXPECT_EQ(Log("order"), "ADD loopback\nADD fake-a\n");
  EXPECT_NE(Log("loopback.ADD.env").find("CNI_IFNAME=lo\n"), std::string::npos);
  EXPECT_NE(Log("fake-a.ADD.env")
                .find("CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;"
                      "K8S_POD_INFRA_CONTAINER_ID=sb1;K8S_POD_UID=uid-1\n"),
            std::string::npos)
      << Log("fake-a.ADD.env");
  auto again = (*plugin)->GetPodNetworkStatus(pod_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ips, std::vector<std::string>{"10.9.0.7"});
  ASSERT_TRUE((*plugin)->CheckPod(pod_).ok());
  ASSERT_TRUE((*plugin)->TearDownPod(pod_).ok());
  EXPECT_EQ(Log("order"), "ADD loopback\nADD fake-a\nCHECK fake-a\nDEL fake-a\nDEL loopback\n");
  EXPECT_EQ((*plugin)->GetPodNetworkStatus(pod_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*plugin)->CheckPod(pod_).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((*plugin)->TearDownPod(pod_).ok());
  // A plugin binary that goes away makes the network not ready.
  std::remove((dir_ + "/bin/fake-a").c_str());
  absl::Status gone = (*plugin)->Status();
  EXPECT_EQ(gone.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(gone.message().find("\"fake-a\" not found"), std::string::npos) << gone;
}

TEST_F(NetworkPluginFakeTest, FailedSetUpIsUndone) {
  // Fails ADD, succeeds DEL (as the spec asks of DEL).
  Script("failing",
         "cat >/dev/null; echo \"$CNI_COMMAND failing\" >> LOG/order; "
         "[ \"$CNI_COMMAND\" = DEL ] && exit 0; "
         "printf '{\"code\":11,\"msg\":\"busy\"}'; exit 1\n");
  WriteConf(R"({"cniVersion":"1.0.0","name":"podnet",)"
            R"("plugins":[{"type":"fake-a"},{"type":"failing"}]})");
  auto plugin = NewCniNetworkPlugin(plugin_options_);
  ASSERT_TRUE(plugin.ok());
  auto status = (*plugin)->SetUpPod(pod_);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable) << status.status();
  EXPECT_EQ(Log("order"),
            "ADD loopback\nADD fake-a\nADD failing\nDEL failing\nDEL fake-a\nDEL loopback\n");
}

TEST_F(NetworkPluginFakeTest, ConcurrentPodsAndStatus) {
  WriteConf(R"({"cniVersion":"1.0.0","name":"podnet","plugins":[{"type":"fake-a"}]})");
  auto plugin = NewCniNetworkPlugin(plugin_options_);
  ASSERT_TRUE(plugin.ok());
  NetworkPlugin* p = plugin->get();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      PodNetworkRequest pod = pod_;
      pod.sandbox_id = absl::StrCat("sb-", i);
      if (!p->SetUpPod(pod).ok()) ++failures;
      if (!p->GetPodNetworkStatus(pod).ok()) ++failures;
      if (!p->TearDownPod(pod).ok()) ++failures;
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 4; ++i) {
      if (!p->Status().ok()) ++failures;
      if (p->NetworkName() != "podnet") ++failures;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

TEST(NetworkPluginOptionsTest, RejectsBadOptions) {
  CniNetworkPluginOptions o;
  o.conf_dir = "";
  EXPECT_EQ(NewCniNetworkPlugin(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = CniNetworkPluginOptions();
  o.timeout = absl::ZeroDuration();
  EXPECT_EQ(NewCniNetworkPlugin(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::cni
