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

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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
#include "lib/runtime/process/process_runtime.h"
#include "lib/store/etcd/etcd_store.h"
#include "lib/store/rocks/rocks_store.h"

namespace rudder::cmd {
namespace {

std::string DefaultDataDir() {
  const char* home = getenv("HOME");
  return absl::StrCat(home != nullptr && *home != '\0' ? home : ".", "/.rudder");
}

// Writes a kubeconfig for http://127.0.0.1:port (atomically, through a temporary file).
bool WriteKubeconfig(const std::string& path, int port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "apiVersion: v1\n"
           "kind: Config\n"
           "clusters:\n"
           "- name: rudder\n"
           "  cluster:\n"
           "    server: http://127.0.0.1:"
        << port
        << "\n"
           "contexts:\n"
           "- name: rudder\n"
           "  context:\n"
           "    cluster: rudder\n"
           "    user: rudder\n"
           "current-context: rudder\n"
           "users:\n"
           "- name: rudder\n"
           "  user: {}\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// OK when nothing listens on 127.0.0.1:port (the server's own bind may share a port).
absl::Status CheckPortFree(int port) {
  if (port == 0) return absl::OkStatus();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  close(fd);
  if (rc != 0) return absl::UnavailableError(strerror(err));
  return absl::OkStatus();
}

bool NodeReady(const api::core::v1::Node& node) {
  for (const auto& c : node.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
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
  flags.Bool("help", false, "print the flags");
  if (absl::Status s = flags.Parse(args); !s.ok()) {
    std::cerr << "rudder up: " << s.message() << "\n\n" << flags.Usage();
    return 2;
  }
  if (flags.GetBool("help")) {
    std::cout << flags.Usage();
    return 0;
  }
  int port = 0;
  if (!absl::SimpleAtoi(flags.Get("port"), &port) || port < 0 || port > 65535) {
    std::cerr << "rudder up: --port: \"" << flags.Get("port") << "\" is not a port number\n";
    return 2;
  }
  if (!flags.Get("cri-endpoint").empty()) {
    std::cerr << "rudder up: --cri-endpoint is not supported by this build of `rudder up` yet; "
                 "leave it empty to run pods as local processes\n";
    return 2;
  }
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
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  store::RocksStoreOptions so;
  so.dir = dir + "/store";
  so.auto_compaction_retention = 10000;
  absl::StatusOr<std::unique_ptr<store::Store>> st = store::OpenRocksStore(so);
  if (!st.ok()) {
    std::cerr << "rudder up: cannot open the store in " << so.dir << ": " << st.status().message()
              << "\n";
    return 1;
  }
  // The node's runtime comes first: the API server serves pods' logs from it.
  runtime::process::ProcessRuntimeOptions po;
  po.isolation = runtime::process::Isolation::kNone;
  absl::StatusOr<std::unique_ptr<runtime::process::ProcessRuntime>> rt =
      runtime::process::NewProcessRuntime(po);
  if (!rt.ok()) {
    std::cerr << "rudder up: process runtime: " << rt.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  apiserver::ApiServerOptions ao;
  ao.store = st->get();
  ao.scheme = scheme.get();
  ao.port = port;
  ao.pod_logs = runtime::agent::NewRuntimePodLogSource(rt->get());
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

  runtime::agent::AgentOptions ago;
  ago.node_name = flags.Get("node-name");
  ago.pod_log_dir = dir + "/pods";
  mkdir(ago.pod_log_dir.c_str(), 0700);
  absl::StatusOr<std::unique_ptr<runtime::agent::Agent>> agent =
      runtime::agent::NewAgent(client.get(), rt->get(), ago);
  s = agent.ok() ? (*agent)->Register() : agent.status();
  if (!s.ok()) {
    std::cerr << "rudder up: node agent: " << s.message() << "\n";
    (*cm)->Stop();
    (*server)->Shutdown();
    return 1;
  }
  (*agent)->Start();

  std::string kubeconfig = dir + "/kubeconfig";
  if (!WriteKubeconfig(kubeconfig, (*server)->port())) {
    std::cerr << "rudder up: cannot write " << kubeconfig << "\n";
    return 1;
  }
  std::cout << "API server on http://127.0.0.1:" << (*server)->port()
            << " (plain HTTP, no authentication)\n"
            << "export KUBECONFIG=" << kubeconfig << "\n"
            << std::flush;

  // Ready once the node reports Ready (the agent's first status pass); a signal stops waiting.
  client::TypedClient<api::core::v1::Node> nodes(client.get());
  int sig = 0;
  struct timespec tick = {0, 100 * 1000 * 1000};
  for (;;) {
    absl::StatusOr<std::unique_ptr<api::core::v1::Node>> n = nodes.Get("", ago.node_name);
    if (n.ok() && NodeReady(**n)) {
      std::cout << "ready\n" << std::flush;
      break;
    }
    sig = sigtimedwait(&set, nullptr, &tick);
    if (sig > 0) break;
  }
  if (sig <= 0) sigwait(&set, &sig);

  std::cerr << "rudder up: shutting down\n";
  (*agent)->Stop();
  (*cm)->Stop();
  (*server)->Shutdown();
  agent->reset();
  rt->reset();  // stops the pods' processes
  return 0;
}

int RunApiserver(const std::vector<std::string>& args) {
  FlagSet flags("apiserver");
  flags.String("data-dir", "", "RocksDB store directory (exclusive with --etcd-servers)");
  flags.String("etcd-servers", "", "etcd client endpoints, comma-separated (host:port)");
  flags.String("port", "6443", "port of the API server on 127.0.0.1 (plain HTTP)");
  flags.Bool("help", false, "print the flags");
  if (absl::Status s = flags.Parse(args); !s.ok()) {
    std::cerr << "rudder apiserver: " << s.message() << "\n\n" << flags.Usage();
    return 2;
  }
  if (flags.GetBool("help")) {
    std::cout << flags.Usage();
    return 0;
  }
  int port = 0;
  if (!absl::SimpleAtoi(flags.Get("port"), &port) || port < 0 || port > 65535) {
    std::cerr << "rudder apiserver: --port: \"" << flags.Get("port") << "\" is not a port number\n";
    return 2;
  }
  if (flags.Get("data-dir").empty() == flags.Get("etcd-servers").empty()) {
    std::cerr << "rudder apiserver: give exactly one of --data-dir and --etcd-servers\n";
    return 2;
  }
  if (absl::Status p = CheckPortFree(port); !p.ok()) {
    std::cerr << "rudder apiserver: cannot serve the API on 127.0.0.1:" << port << ": "
              << p.message() << "\n";
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  absl::StatusOr<std::unique_ptr<store::Store>> st;
  if (!flags.Get("data-dir").empty()) {
    store::RocksStoreOptions so;
    so.dir = flags.Get("data-dir");
    st = store::OpenRocksStore(so);
  } else {
    store::EtcdStoreOptions eo;
    eo.endpoints = absl::StrSplit(flags.Get("etcd-servers"), ',', absl::SkipEmpty());
    st = store::NewEtcdStore(eo);
  }
  if (!st.ok()) {
    std::cerr << "rudder apiserver: cannot open the store: " << st.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  apiserver::ApiServerOptions ao;
  ao.store = st->get();
  ao.scheme = scheme.get();
  ao.port = port;
  ao.admission = apiserver::admission::NewDefaultChain();
  absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> server = apiserver::ApiServer::Start(ao);
  if (!server.ok()) {
    std::cerr << "rudder apiserver: cannot serve the API on 127.0.0.1:" << port << ": "
              << server.status().message() << "\n";
    return 1;
  }
  std::cout << "API server on http://127.0.0.1:" << (*server)->port()
            << " (plain HTTP, no authentication)\nready\n"
            << std::flush;
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->Shutdown();
  return 0;
}

}  // namespace rudder::cmd
