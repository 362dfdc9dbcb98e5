// CNI adapter costs: parsing configurations and results, building a plugin's stdin, starting a
// plugin process, and (as root, with Debian's plugins) a full ADD+DEL of loopback and of
// bridge + host-local.
//
//   bazel run -c opt //lib/runtime/cni:cni_benchmark -- --benchmark_min_time=0.2
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/runtime/cni/cni.h"
#include "lib/runtime/cni/config.h"
#include "lib/runtime/cni/internal/exec.h"
#include "lib/runtime/cni/internal/invoke.h"
#include "lib/runtime/cni/netns.h"
#include "lib/runtime/cni/result.h"

namespace rudder::cni {
namespace {

constexpr char kConflist[] = R"({
  "cniVersion": "1.0.0", "name": "podnet",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "bandwidth", "capabilities": {"bandwidth": true}}
  ]})";

constexpr char kResult[] = R"({"cniVersion":"1.0.0",
  "interfaces":[{"name":"cni0","mac":"8a:3e:5c:11:22:33"},{"name":"veth0a1b2c3d","mac":"aa:1b:2c:3d:4e:5f"},
                {"name":"eth0","mac":"0a:58:0a:58:00:05","sandbox":"/run/netns/cni-1234"}],
  "ips":[{"interface":2,"address":"10.88.0.5/16","gateway":"10.88.0.1"}],
  "routes":[{"dst":"0.0.0.0/0","gw":"10.88.0.1"}],
  "dns":{}})";

void BM_ParseConfigList(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseConfigList(kConflist));
}
BENCHMARK(BM_ParseConfigList);

void BM_ParseResult(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseResult(kResult));
}
BENCHMARK(BM_ParseResult);

void BM_BuildPluginStdin(benchmark::State& state) {
  NetworkConfigList list = *ParseConfigList(kConflist);
  RuntimeConf rt;
  rt.container_id = "c1";
  rt.port_mappings = {{8080, 80, "tcp", ""}, {8443, 443, "tcp", ""}};
  std::string prev = kResult;
  for (auto _ : state)
    benchmark::DoNotOptimize(internal::BuildPluginStdin(list, list.plugins[1], rt, &prev));
}
BENCHMARK(BM_BuildPluginStdin);

// The fixed cost of one plugin execution: spawn, pipes, wait.
void BM_RunProcessTrue(benchmark::State& state) {
  internal::ExecRequest req;
  req.path = "/bin/true";
  req.stdin_data = kConflist;
  for (auto _ : state) {
    auto out = internal::RunProcess(req);
    if (!out.ok()) state.SkipWithError(std::string(out.status().message()).c_str());
  }
}
BENCHMARK(BM_RunProcessTrue)->Unit(benchmark::kMicrosecond);

// A full ADD + DEL with real plugins in a fresh namespace per iteration set.
void AddDel(benchmark::State& state, const std::string& conflist, const std::string& if_name) {
  if (geteuid() != 0 || access("/usr/lib/cni/bridge", X_OK) != 0) {
    state.SkipWithError("needs root and /usr/lib/cni plugins");
    return;
  }
  char tmpl[] = "/tmp/cni-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return;
  std::string dir = tmpl;
  std::string text = conflist;
  size_t pos;
  while ((pos = text.find("DIR")) != std::string::npos) text.replace(pos, 3, dir);
  NetworkConfigList list = *ParseConfigList(text);
  auto ns = NetNamespace::Create("bench", dir);
  if (!ns.ok()) {
    state.SkipWithError(std::string(ns.status().message()).c_str());
    return;
  }
  CniOptions options;
  options.cache_dir = dir + "/cache";
  Cni cni(options);
  RuntimeConf rt;
  rt.container_id = absl::StrCat("bench", getpid());
  rt.netns = (*ns)->path();
  rt.if_name = if_name;
  for (auto _ : state) {
    auto r = cni.AddNetworkList(list, rt);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      break;
    }
    absl::Status s = cni.DelNetworkList(list, rt);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
  }
  ns->reset();
  std::system(absl::StrCat("ip link del rcnibench 2>/dev/null; rm -rf '", dir, "'").c_str());
}

void BM_AddDelLoopback(benchmark::State& state) {
  AddDel(state, R"({"cniVersion":"1.0.0","name":"lo","plugins":[{"type":"loopback"}]})", "lo");
}
BENCHMARK(BM_AddDelLoopback)->Unit(benchmark::kMillisecond);

void BM_AddDelBridgeHostLocal(benchmark::State& state) {
  AddDel(state, R"({"cniVersion":"1.0.0","name":"bench","plugins":[
      {"type":"bridge","bridge":"rcnibench","isGateway":true,
       "ipam":{"type":"host-local","dataDir":"DIR/ipam","ranges":[[{"subnet":"10.249.7.0/24"}]]}}]})",
         "eth0");
}
BENCHMARK(BM_AddDelBridgeHostLocal)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::cni
