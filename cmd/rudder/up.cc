#include "cmd/rudder/up.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cmd/rudder/common.h"
#include "cmd/rudder/components.h"
#include "cmd/rudder/flags.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/apiserver/rest/server.h"
#include "lib/client/client.h"
#include "lib/controllers/manager/controller_manager.h"
#include "lib/runtime/agent/agent.h"
#include "lib/runtime/agent/pod_logs.h"
#include "lib/sched/kube/scheduler_runner.h"
#include "lib/store/etcd/etcd_store.h"
#include "lib/store/rocks/rocks_store.h"

namespace rudder::cmd {
namespace {

bool NodeReady(const api::core::v1::Node& node) {
  for (const auto& c : node.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

// A hint for the usual causes of a store that does not open.
std::string StoreHint(const absl::Status& s) {
  std::string m(s.message());
  if (m.find("lock") != std::string::npos || m.find("LOCK") != std::string::npos) {
    return " (another rudder process uses this data directory)";
  }
  if (absl::IsDataLoss(s) || m.find("orrupt") != std::string::npos) {
    return " (the store is damaged: restore it from a backup, see docs/operations.md)";
  }
  return "";
}

}  // namespace

int RunUp(const std::vector<std::string>& args) {
  FlagSet flags("up");
  flags.String("data-dir", DefaultDataDir(), "directory of the store, kubeconfig and pod logs");
  flags.String("port", "6443", "port of the API server on 127.0.0.1 (plain HTTP)");
  flags.String("node-name", "rudder", "name of the node this process runs");
  flags.String("controllers", "*", "controllers to run: *, name, -name (comma-separated)");
  flags.String("cri-endpoint", "",
               "container runtime endpoint (unix:///...); empty runs pods as local processes");
  flags.String("node-log-token-file", "",
               "file holding the bearer token for the log servers of nodes that join "
               "(rudder node --log-token-file)");
  flags.Bool("help", false, "print the flags");
  if (absl::Status s = flags.Parse(args); !s.ok()) {
    std::cerr << "rudder up: " << s.message() << "\n\n" << flags.Usage();
    return 2;
  }
  if (flags.GetBool("help")) {
    std::cout << flags.Usage();
    return 0;
  }
  std::string node_log_token;
  if (!flags.Get("node-log-token-file").empty()) {
    absl::StatusOr<std::string> t =
        ReadTokenFile("node-log-token-file", flags.Get("node-log-token-file"));
    if (!t.ok()) {
      std::cerr << "rudder up: " << t.status().message() << "\n";
      return 2;
    }
    node_log_token = *t;
  }
  absl::StatusOr<int> parsed_port = ParsePort("port", flags.Get("port"));
  if (!parsed_port.ok()) {
    std::cerr << "rudder up: " << parsed_port.status().message() << "\n";
    return 2;
  }
  const int port = *parsed_port;
  if (absl::Status p = CheckPortFree(port); !p.ok()) {
    std::cerr << "rudder up: cannot serve the API on 127.0.0.1:" << port << ": " << p.message()
              << "\n";
    return 1;
  }
  std::string dir = flags.Get("data-dir");
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::cerr << "rudder up: cannot create data directory " << dir << ": " << strerror(errno)
              << "\n";
    return 1;
  }

  // Signals are taken by sigwait below, in this thread only.
  sigset_t set = BlockStopSignals();

  store::RocksStoreOptions so;
  so.dir = dir + "/store";
  so.auto_compaction_retention = 10000;
  absl::StatusOr<std::unique_ptr<store::Store>> st = store::OpenRocksStore(so);
  if (!st.ok()) {
    std::cerr << "rudder up: cannot open the store in " << so.dir << ": " << st.status().message()
              << StoreHint(st.status()) << "\n";
    return 1;
  }
  // The node's runtime comes first: the API server serves pods' logs from it.
  absl::StatusOr<std::unique_ptr<runtime::ContainerRuntime>> rt =
      NewNodeRuntime(flags.Get("cri-endpoint"));
  if (!rt.ok()) {
    std::cerr << "rudder up: " << rt.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  apiserver::ApiServerOptions ao;
  ao.store = st->get();
  ao.scheme = scheme.get();
  ao.port = port;
  ao.pod_logs = runtime::agent::NewRuntimePodLogSource(rt->get());
  ao.pod_logs_node = flags.Get("node-name");
  ao.node_logs.bearer_token = node_log_token;
  ao.admission = apiserver::admission::NewDefaultChain();
  absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> server = apiserver::ApiServer::Start(ao);
  if (!server.ok()) {
    std::cerr << "rudder up: cannot serve the API on 127.0.0.1:" << port << ": "
              << server.status().message() << "\n";
    return 1;
  }
  apiserver::RegistryOptions ro;
  ro.admission = ao.admission;
  apiserver::Registry registry(st->get(), scheme.get(), ro);
  std::unique_ptr<client::Client> client = client::NewInProcessClient(&registry);

  controllers::ControllerManagerOptions co;
  co.controllers = controllers::ParseControllersFlag(flags.Get("controllers"));
  absl::StatusOr<std::unique_ptr<controllers::ControllerManager>> cm =
      controllers::ControllerManager::New(client.get(), co);
  absl::Status s = cm.ok() ? (*cm)->Start() : cm.status();
  if (!s.ok()) {
    std::cerr << "rudder up: controller manager: " << s.message() << "\n";
    (*server)->Shutdown();
    return 1;
  }

  // The garbage collector starts beside the rest: it waits for a cache of every kind.
  std::unique_ptr<controllers::GarbageCollector> gc;
  std::thread gc_starter([&] {
    absl::StatusOr<std::unique_ptr<controllers::GarbageCollector>> g =
        StartGarbageCollector(client.get(), (*cm)->manager()->GetCluster()->GetInformers());
    if (g.ok()) {
      gc = *std::move(g);
    } else {
      std::cerr << "rudder up: garbage collector: " << g.status().message() << "\n";
    }
  });
  auto stop_gc = [&] {
    gc_starter.join();
    if (gc != nullptr) gc->Stop();
  };

  sched::kube::SchedulerRunnerOptions sro;
  absl::StatusOr<std::unique_ptr<sched::kube::SchedulerRunner>> scheduler =
      sched::kube::SchedulerRunner::New(client.get(), std::move(sro));
  s = scheduler.ok() ? (*scheduler)->Start() : scheduler.status();
  if (!s.ok()) {
    std::cerr << "rudder up: scheduler: " << s.message() << "\n";
    stop_gc();
    (*cm)->Stop();
    (*server)->Shutdown();
    return 1;
  }

  runtime::agent::AgentOptions ago;
  ago.node_name = flags.Get("node-name");
  ago.pod_log_dir = dir + "/pods";
  mkdir(ago.pod_log_dir.c_str(), 0700);
  absl::StatusOr<std::unique_ptr<runtime::agent::Agent>> agent =
      runtime::agent::NewAgent(client.get(), rt->get(), ago);
  s = agent.ok() ? (*agent)->Register() : agent.status();
  if (!s.ok()) {
    std::cerr << "rudder up: node agent: " << s.message() << "\n";
    (*scheduler)->Stop();
    stop_gc();
    (*cm)->Stop();
    (*server)->Shutdown();
    return 1;
  }
  (*agent)->Start();
  auto shutdown = [&] {
    (*agent)->Stop();
    (*scheduler)->Stop();
    stop_gc();
    (*cm)->Stop();
    (*server)->Shutdown();
    agent->reset();
    rt->reset();  // stops the pods' processes
  };

  std::string kubeconfig = dir + "/kubeconfig";
  if (!WriteKubeconfig(kubeconfig, absl::StrCat("http://127.0.0.1:", (*server)->port()))) {
    std::cerr << "rudder up: cannot write " << kubeconfig << "\n";
    shutdown();
    return 1;
  }
  std::cout << "API server on http://127.0.0.1:" << (*server)->port()
            << " (plain HTTP, no authentication)\n"
            << "export KUBECONFIG=" << kubeconfig << "\n"
            << std::flush;

  // Ready once the node reports Ready (the agent's first status pass); a signal stops waiting.
  client::TypedClient<api::core::v1::Node> nodes(client.get());
  int sig = 0;
  for (;;) {
    absl::StatusOr<std::unique_ptr<api::core::v1::Node>> n = nodes.Get("", ago.node_name);
    if (n.ok() && NodeReady(**n)) {
      std::cout << "ready\n" << std::flush;
      break;
    }
    if ((sig = WaitForSignal(set, absl::Milliseconds(100))) != 0) break;
  }
  if (sig == 0) WaitForSignal(set);

  std::cerr << "rudder up: shutting down\n";
  shutdown();
  return 0;
}

int RunApiserver(const std::vector<std::string>& args) {
  FlagSet flags("apiserver");
  flags.String("data-dir", "", "RocksDB store directory (exclusive with --etcd-servers)");
  flags.String("etcd-servers", "", "etcd client endpoints, comma-separated (host:port)");
  flags.String("etcd-prefix", "",
               "prefix of every key in etcd, to keep several clusters in one etcd (API servers of "
               "one cluster use the same prefix)");
  flags.String("bind-address", "127.0.0.1",
               "address to serve on (plain HTTP without authentication: keep it private)");
  flags.String("port", "6443", "port of the API server (plain HTTP); 0 picks a free one");
  flags.String("max-connections", "512", "connections served at once (watches included)");
  flags.String("node-log-token-file", "",
               "file holding the bearer token presented to nodes' log servers for kubectl logs "
               "(rudder node --log-token-file)");
  flags.Bool("help", false, "print the flags");
  if (absl::Status s = flags.Parse(args); !s.ok()) {
    std::cerr << "rudder apiserver: " << s.message() << "\n\n" << flags.Usage();
    return 2;
  }
  if (flags.GetBool("help")) {
    std::cout << flags.Usage();
    return 0;
  }
  std::string node_log_token;
  if (!flags.Get("node-log-token-file").empty()) {
    absl::StatusOr<std::string> t =
        ReadTokenFile("node-log-token-file", flags.Get("node-log-token-file"));
    if (!t.ok()) {
      std::cerr << "rudder apiserver: " << t.status().message() << "\n";
      return 2;
    }
    node_log_token = *t;
  }
  absl::StatusOr<int> port = ParsePort("port", flags.Get("port"));
  int max_connections = 0;
  if (!port.ok()) {
    std::cerr << "rudder apiserver: " << port.status().message() << "\n";
    return 2;
  }
  if (!absl::SimpleAtoi(flags.Get("max-connections"), &max_connections) || max_connections < 4) {
    std::cerr << "rudder apiserver: --max-connections: \"" << flags.Get("max-connections")
              << "\" is not a number >= 4\n";
    return 2;
  }
  if (flags.Get("data-dir").empty() == flags.Get("etcd-servers").empty()) {
    std::cerr << "rudder apiserver: give exactly one of --data-dir and --etcd-servers\n";
    return 2;
  }
  const std::string host = flags.Get("bind-address");
  if (host == "127.0.0.1") {
    if (absl::Status p = CheckPortFree(*port); !p.ok()) {
      std::cerr << "rudder apiserver: cannot serve the API on 127.0.0.1:" << *port << ": "
                << p.message() << "\n";
      return 1;
    }
  }
  sigset_t set = BlockStopSignals();
  absl::StatusOr<std::unique_ptr<store::Store>> st;
  if (!flags.Get("data-dir").empty()) {
    store::RocksStoreOptions so;
    so.dir = flags.Get("data-dir");
    so.auto_compaction_retention = 10000;
    st = store::OpenRocksStore(so);
  } else {
    store::EtcdStoreOptions eo;
    eo.endpoints = absl::StrSplit(flags.Get("etcd-servers"), ',', absl::SkipEmpty());
    eo.key_prefix = flags.Get("etcd-prefix");
    eo.dial_timeout = absl::Seconds(2);
    eo.request_timeout = absl::Seconds(5);
    st = store::NewEtcdStore(eo);
  }
  if (!st.ok()) {
    std::cerr << "rudder apiserver: cannot open the store ("
              << (flags.Get("data-dir").empty() ? "etcd at " + flags.Get("etcd-servers")
                                                : flags.Get("data-dir"))
              << "): " << st.status().message() << StoreHint(st.status()) << "\n";
    return 1;
  }
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  apiserver::ApiServerOptions ao;
  ao.store = st->get();
  ao.scheme = scheme.get();
  ao.host = host;
  ao.port = *port;
  ao.max_threads = max_connections;
  ao.node_logs.bearer_token = node_log_token;
  ao.admission = apiserver::admission::NewDefaultChain();
  absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> server = apiserver::ApiServer::Start(ao);
  if (!server.ok()) {
    std::cerr << "rudder apiserver: cannot serve the API on " << host << ":" << *port << ": "
              << server.status().message() << "\n";
    return 1;
  }
  std::cout << "API server on http://" << host << ":" << (*server)->port()
            << " (plain HTTP, no authentication)\nready\n"
            << std::flush;
  WaitForSignal(set);
  std::cerr << "rudder apiserver: shutting down\n";
  (*server)->Shutdown();
  return 0;
}

}  // namespace rudder::cmd
