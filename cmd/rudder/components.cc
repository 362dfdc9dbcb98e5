#include "cmd/rudder/components.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cmd/rudder/common.h"
#include "cmd/rudder/flags.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/status_macros.h"
#include "lib/controllers/gc/gc.h"
#include "lib/controllers/manager/controller_manager.h"
#include "lib/runtime/agent/agent.h"
#include "lib/runtime/agent/log_server.h"
#include "lib/runtime/agent/pod_logs.h"
#include "lib/runtime/cri/cri_client.h"
#include "lib/runtime/process/process_runtime.h"
#include "lib/sched/config.h"
#include "lib/sched/kube/scheduler_runner.h"
#include "lib/sched/scheduler.h"

namespace rudder::cmd {
namespace {

// Declares the leader-election flags (kube-controller-manager's names) with `lease_name`.
void AddLeaderElectionFlags(FlagSet* flags, const std::string& lease_name) {
  flags->Bool("leader-elect", true, "run only while holding the Lease (several replicas)");
  flags->String("leader-elect-resource-namespace", "kube-system", "namespace of the Lease");
  flags->String("leader-elect-resource-name", lease_name, "name of the Lease");
  flags->String("leader-elect-identity", "", "this replica's identity (default: HOST_PID)");
  flags->String("leader-elect-lease-duration", "15s",
                "how long others wait after the leader's last renewal before taking over");
  flags->String("leader-elect-renew-deadline", "10s",
                "how long the leader retries a failed renewal before giving up");
  flags->String("leader-elect-retry-period", "2s", "wait between attempts to acquire or renew");
}

absl::StatusOr<absl::Duration> DurationFlag(const FlagSet& flags, const std::string& name) {
  absl::Duration d;
  if (!absl::ParseDuration(flags.Get(name), &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": \"", flags.Get(name), "\" is not a positive duration (15s)"));
  }
  return d;
}

absl::StatusOr<ctrl::LeaderElectionOptions> LeaderElectionFromFlags(const FlagSet& flags) {
  ctrl::LeaderElectionOptions le;
  le.enabled = flags.GetBool("leader-elect");
  le.lease_namespace = flags.Get("leader-elect-resource-namespace");
  le.lease_name = flags.Get("leader-elect-resource-name");
  le.identity = flags.Get("leader-elect-identity");
  if (le.identity.empty()) le.identity = DefaultIdentity();
  absl::StatusOr<absl::Duration> d = DurationFlag(flags, "leader-elect-lease-duration");
  if (!d.ok()) return d.status();
  le.lease_duration = *d;
  d = DurationFlag(flags, "leader-elect-renew-deadline");
  if (!d.ok()) return d.status();
  le.renew_deadline = *d;
  d = DurationFlag(flags, "leader-elect-retry-period");
  if (!d.ok()) return d.status();
  le.retry_period = *d;
  if (!(le.lease_duration > le.renew_deadline && le.renew_deadline > le.retry_period)) {
    return absl::InvalidArgumentError(
        "leader election wants lease-duration > renew-deadline > retry-period");
  }
  le.release_on_cancel = true;
  return le;
}

// Parses flags; returns -1 to go on, else the exit code (help printed, or bad flags).
int ParseOrExit(FlagSet& flags, const std::vector<std::string>& args, const std::string& cmd) {
  if (absl::Status s = flags.Parse(args); !s.ok()) {
    std::cerr << "rudder " << cmd << ": " << s.message() << "\n\n" << flags.Usage();
    return 2;
  }
  if (flags.GetBool("help")) {
    std::cout << flags.Usage();
    return 0;
  }
  if (!flags.positional().empty()) {
    std::cerr << "rudder " << cmd << ": unexpected argument \"" << flags.positional()[0] << "\"\n";
    return 2;
  }
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<controllers::GarbageCollector>> StartGarbageCollector(
    client::Client* client, client::SharedInformerFactory* informers) {
  absl::StatusOr<std::unique_ptr<controllers::GarbageCollector>> gc =
      controllers::GarbageCollector::New(client, informers);
  if (!gc.ok()) return gc.status();
  RUDDER_RETURN_IF_ERROR((*gc)->Start());
  return gc;
}

absl::StatusOr<std::unique_ptr<runtime::ContainerRuntime>> NewNodeRuntime(
    const std::string& cri_endpoint) {
  if (cri_endpoint.empty()) {
    runtime::process::ProcessRuntimeOptions po;
    po.isolation = runtime::process::Isolation::kNone;
    absl::StatusOr<std::unique_ptr<runtime::process::ProcessRuntime>> rt =
        runtime::process::NewProcessRuntime(po);
    if (!rt.ok()) {
      return absl::Status(rt.status().code(),
                          absl::StrCat("process runtime: ", rt.status().message()));
    }
    return std::unique_ptr<runtime::ContainerRuntime>(std::move(*rt));
  }
  absl::StatusOr<std::unique_ptr<runtime::ContainerRuntime>> rt =
      runtime::cri::NewCriRuntime({.endpoint = cri_endpoint});
  if (!rt.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cri-endpoint=", cri_endpoint, ": ", rt.status().message()));
  }
  absl::StatusOr<runtime::v1::VersionResponse> v = (*rt)->Version({}, absl::Seconds(5));
  if (!v.ok()) {
    return absl::UnavailableError(absl::StrCat("container runtime at ", cri_endpoint,
                                               " does not answer: ", v.status().message()));
  }
  std::cerr << "container runtime " << v->runtime_name() << " " << v->runtime_version() << " at "
            << cri_endpoint << "\n";
  return rt;
}

int RunControllerManager(const std::vector<std::string>& args) {
  const std::string cmd = "controller-manager";
  FlagSet flags(cmd);
  AddApiServerFlags(&flags);
  flags.String("controllers", "*", "controllers to run: *, name, -name (comma-separated)");
  flags.Bool("garbage-collector", true,
             "run the garbage collector (deletes objects whose owners are gone)");
  AddLeaderElectionFlags(&flags, "rudder-controller-manager");
  flags.Bool("help", false, "print the flags");
  if (int rc = ParseOrExit(flags, args, cmd); rc >= 0) return rc;
  absl::StatusOr<ctrl::LeaderElectionOptions> le = LeaderElectionFromFlags(flags);
  if (!le.ok()) {
    std::cerr << "rudder " << cmd << ": " << le.status().message() << "\n";
    return 2;
  }
  controllers::ControllerManagerOptions co;
  co.controllers = controllers::ParseControllersFlag(flags.Get("controllers"));
  if (absl::StatusOr<std::vector<std::string>> sel =
          controllers::SelectControllers(co.controllers, controllers::BuiltinControllers());
      !sel.ok()) {
    std::cerr << "rudder " << cmd << ": --controllers: " << sel.status().message() << "\n";
    return 2;
  }
  co.manager.leader_election = *le;

  sigset_t set = BlockStopSignals();
  absl::StatusOr<ApiConnection> conn = ConnectToApiServer(flags);
  if (!conn.ok()) {
    std::cerr << "rudder " << cmd << ": " << conn.status().message() << "\n";
    return absl::IsInvalidArgument(conn.status()) ? 2 : 1;
  }
  absl::StatusOr<std::unique_ptr<controllers::ControllerManager>> cm =
      controllers::ControllerManager::New(conn->client.get(), co);
  absl::Status s = cm.ok() ? (*cm)->Start() : cm.status();
  if (!s.ok()) {
    std::cerr << "rudder " << cmd << ": " << s.message() << "\n";
    return 1;
  }
  std::cout << "controller manager " << le->identity << " on " << conn->servers[0]
            << (le->enabled ? absl::StrCat(" (leader election on Lease ", le->lease_namespace, "/",
                                           le->lease_name, ")")
                            : std::string())
            << ": " << (*cm)->controllers().size() << " controllers\nready\n"
            << std::flush;
  // The garbage collector runs beside the controllers while this replica leads.
  std::unique_ptr<controllers::GarbageCollector> gc;
  const bool run_gc = flags.GetBool("garbage-collector");
  bool was_leader = false;
  int sig = 0;
  while ((sig = WaitForSignal(set, absl::Milliseconds(500))) == 0) {
    bool leader = (*cm)->manager()->IsLeader();
    if (leader != was_leader) {
      std::cout << (leader ? "leading\n" : "not leading\n") << std::flush;
      was_leader = leader;
    }
    if (leader && run_gc && gc == nullptr) {
      absl::StatusOr<std::unique_ptr<controllers::GarbageCollector>> g =
          StartGarbageCollector((*cm)->manager()->GetCluster()->GetAPIReader(),
                                (*cm)->manager()->GetCluster()->GetInformers());
      if (g.ok()) {
        gc = *std::move(g);
      } else {
        std::cerr << "rudder " << cmd << ": garbage collector: " << g.status().message()
                  << " (retrying)\n";
      }
    } else if (!leader && gc != nullptr) {
      gc->Stop();
      gc.reset();
    }
  }
  std::cerr << "rudder " << cmd << ": shutting down\n";
  if (gc != nullptr) gc->Stop();
  (*cm)->Stop();
  return 0;
}

int RunNode(const std::vector<std::string>& args) {
  const std::string cmd = "node";
  FlagSet flags(cmd);
  AddApiServerFlags(&flags);
  flags.String("name", "", "the node's name (required)");
  flags.String("cri-endpoint", "",
               "container runtime endpoint (unix:///run/containerd/containerd.sock); empty runs "
               "pods as local processes");
  flags.String("data-dir", "", "directory of pod logs (default: ~/.rudder/node-NAME)");
  flags.String("node-ip", "127.0.0.1", "the node's address (status.addresses, hostIP)");
  flags.String("static-pod-dir", "", "directory of static pod manifests");
  flags.Bool("serve-logs", true,
             "serve pods' logs to the API server (kubectl logs); the address is published in the "
             "Node's status");
  flags.String("log-bind-address", "127.0.0.1",
               "address of the log server; another address than loopback needs "
               "--log-token-file");
  flags.String("log-port", "0", "port of the log server; 0 picks a free one");
  flags.String("log-token-file", "",
               "file holding the bearer token the API server must present (its "
               "--node-log-token-file); empty: no authentication");
  flags.Bool("help", false, "print the flags");
  if (int rc = ParseOrExit(flags, args, cmd); rc >= 0) return rc;
  if (flags.Get("name").empty()) {
    std::cerr << "rudder node: --name is required\n";
    return 2;
  }
  const bool serve_logs = flags.GetBool("serve-logs");
  absl::StatusOr<int> log_port = ParsePort("log-port", flags.Get("log-port"));
  if (!log_port.ok()) {
    std::cerr << "rudder node: " << log_port.status().message() << "\n";
    return 2;
  }
  std::string log_token;
  if (serve_logs && !flags.Get("log-token-file").empty()) {
    absl::StatusOr<std::string> t = ReadTokenFile("log-token-file", flags.Get("log-token-file"));
    if (!t.ok()) {
      std::cerr << "rudder node: " << t.status().message() << "\n";
      return 2;
    }
    log_token = *t;
  }
  const std::string log_address = flags.Get("log-bind-address");
  if (serve_logs && log_token.empty() && log_address != "127.0.0.1" && log_address != "::1" &&
      log_address != "localhost") {
    std::cerr << "rudder node: --log-bind-address=" << log_address
              << " serves pods' logs beyond this machine: give --log-token-file (and the same "
                 "token to the API server's --node-log-token-file)\n";
    return 2;
  }
  std::string dir = flags.Get("data-dir");
  if (dir.empty()) dir = absl::StrCat(DefaultDataDir(), "/node-", flags.Get("name"));
  sigset_t set = BlockStopSignals();
  for (const std::string& d : {DefaultDataDir(), dir, dir + "/pods"}) {
    if (d == DefaultDataDir() && !flags.Get("data-dir").empty()) continue;
    if (mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) {
      std::cerr << "rudder node: cannot create " << d << ": " << strerror(errno) << "\n";
      return 1;
    }
  }
  absl::StatusOr<std::unique_ptr<runtime::ContainerRuntime>> rt =
      NewNodeRuntime(flags.Get("cri-endpoint"));
  if (!rt.ok()) {
    std::cerr << "rudder node: " << rt.status().message() << "\n";
    return absl::IsInvalidArgument(rt.status()) ? 2 : 1;
  }
  absl::StatusOr<ApiConnection> conn = ConnectToApiServer(flags);
  if (!conn.ok()) {
    std::cerr << "rudder node: " << conn.status().message() << "\n";
    return absl::IsInvalidArgument(conn.status()) ? 2 : 1;
  }
  // The log server reads the runtime's log files; its port goes into the Node's status.
  std::unique_ptr<apiserver::PodLogSource> log_source =
      runtime::agent::NewRuntimePodLogSource(rt->get());
  std::unique_ptr<runtime::agent::LogServer> log_server;
  if (serve_logs) {
    runtime::agent::LogServerOptions lo;
    lo.source = log_source.get();
    lo.address = log_address;
    lo.port = *log_port;
    lo.bearer_token = log_token;
    absl::StatusOr<std::unique_ptr<runtime::agent::LogServer>> ls =
        runtime::agent::LogServer::Start(lo);
    if (!ls.ok()) {
      std::cerr << "rudder node: " << ls.status().message() << "\n";
      return 1;
    }
    log_server = *std::move(ls);
  }
  runtime::agent::AgentOptions ao;
  ao.node_name = flags.Get("name");
  ao.pod_log_dir = dir + "/pods";
  ao.host_ip = flags.Get("node-ip");
  ao.static_pod_dir = flags.Get("static-pod-dir");
  if (log_server != nullptr) ao.log_server_port = log_server->port();
  absl::StatusOr<std::unique_ptr<runtime::agent::Agent>> agent =
      runtime::agent::NewAgent(conn->client.get(), rt->get(), ao);
  absl::Status s = agent.ok() ? (*agent)->Register() : agent.status();
  if (!s.ok()) {
    std::cerr << "rudder node: cannot register node " << ao.node_name << ": " << s.message()
              << "\n";
    return 1;
  }
  (*agent)->Start();
  std::cout << "node " << ao.node_name << " on " << conn->servers[0] << " ("
            << (flags.Get("cri-endpoint").empty() ? "process runtime"
                                                  : "CRI " + flags.Get("cri-endpoint"))
            << ")\n";
  if (log_server != nullptr) {
    std::cout << "pods' logs on http://" << log_address << ":" << log_server->port()
              << (log_token.empty() ? " (no authentication)" : " (bearer token)") << "\n";
  }
  std::cout << "ready\n" << std::flush;
  WaitForSignal(set);
  std::cerr << "rudder node: shutting down\n";
  if (log_server != nullptr) log_server->Shutdown();
  (*agent)->Stop();
  agent->reset();
  rt->reset();  // the process runtime stops the pods' processes
  return 0;
}

int RunScheduler(const std::vector<std::string>& args) {
  const std::string cmd = "scheduler";
  FlagSet flags(cmd);
  AddApiServerFlags(&flags);
  flags.String("config", "",
               "KubeSchedulerConfiguration-like file (YAML or JSON): profiles, plugins, "
               "weights; empty: the default profile");
  flags.String("binding-workers", "2", "threads writing bindings");
  AddLeaderElectionFlags(&flags, "rudder-scheduler");
  flags.Bool("help", false, "print the flags");
  if (int rc = ParseOrExit(flags, args, cmd); rc >= 0) return rc;
  absl::StatusOr<ctrl::LeaderElectionOptions> le = LeaderElectionFromFlags(flags);
  if (!le.ok()) {
    std::cerr << "rudder " << cmd << ": " << le.status().message() << "\n";
    return 2;
  }
  sched::kube::SchedulerRunnerOptions so;
  if (!flags.Get("config").empty()) {
    std::ifstream in(flags.Get("config"));
    if (!in) {
      std::cerr << "rudder " << cmd << ": --config: cannot read " << flags.Get("config") << "\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<sched::SchedulerConfig> config = sched::ParseSchedulerConfig(text.str());
    if (!config.ok()) {
      std::cerr << "rudder " << cmd << ": --config " << flags.Get("config") << ": "
                << config.status().message() << "\n";
      return 2;
    }
    so.config = *std::move(config);
  }
  {
    // The configuration is checked before anything connects: unknown plugins, bad weights.
    sched::RecordingBinder binder;
    sched::SchedulerOptions check;
    check.config = so.config;
    check.binder = &binder;
    if (absl::StatusOr<std::unique_ptr<sched::Scheduler>> s =
            sched::Scheduler::Create(std::move(check));
        !s.ok()) {
      std::cerr << "rudder " << cmd << ": --config: " << s.status().message() << "\n";
      return 2;
    }
  }
  if (!absl::SimpleAtoi(flags.Get("binding-workers"), &so.binding_workers) ||
      so.binding_workers < 0) {
    std::cerr << "rudder " << cmd << ": --binding-workers: want a number >= 0\n";
    return 2;
  }
  so.leader_election.enabled = le->enabled;
  so.leader_election.lease_namespace = le->lease_namespace;
  so.leader_election.lease_name = le->lease_name;
  so.leader_election.identity = le->identity;
  so.leader_election.lease_duration = le->lease_duration;
  so.leader_election.renew_deadline = le->renew_deadline;
  so.leader_election.retry_period = le->retry_period;

  sigset_t set = BlockStopSignals();
  absl::StatusOr<ApiConnection> conn = ConnectToApiServer(flags);
  if (!conn.ok()) {
    std::cerr << "rudder " << cmd << ": " << conn.status().message() << "\n";
    return absl::IsInvalidArgument(conn.status()) ? 2 : 1;
  }
  absl::StatusOr<std::unique_ptr<sched::kube::SchedulerRunner>> runner =
      sched::kube::SchedulerRunner::New(conn->client.get(), std::move(so));
  if (!runner.ok()) {
    std::cerr << "rudder " << cmd << ": " << runner.status().message() << "\n";
    return absl::IsInvalidArgument(runner.status()) ? 2 : 1;
  }
  if (absl::Status s = (*runner)->Start(); !s.ok()) {
    std::cerr << "rudder " << cmd << ": " << s.message() << "\n";
    return 1;
  }
  std::cout << "scheduler " << le->identity << " on " << conn->servers[0]
            << (le->enabled ? absl::StrCat(" (leader election on Lease ", le->lease_namespace, "/",
                                           le->lease_name, ")")
                            : std::string())
            << "\nready\n"
            << std::flush;
  bool was_leader = false;
  int sig = 0;
  while ((sig = WaitForSignal(set, absl::Milliseconds(500))) == 0) {
    bool leader = (*runner)->IsLeader() && (*runner)->Ready();
    if (leader != was_leader) {
      std::cout << (leader ? "leading\n" : "not leading\n") << std::flush;
      was_leader = leader;
    }
  }
  std::cerr << "rudder " << cmd << ": shutting down\n";
  (*runner)->Stop();
  return 0;
}

}  // namespace rudder::cmd
