#include "lib/testing/test_cluster.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/yaml.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/base/status_macros.h"
#include "lib/controllers/gc/gc.h"
#include "lib/sched/kube/scheduler_runner.h"
#include "lib/store/memory/memory_store.h"
#include "lib/testing/internal/sim_nodes.h"
#include "lib/testing/internal/tracking_client.h"

namespace rudder::testing {

struct TestCluster::Rest {
  std::unique_ptr<apiserver::ApiServer> server;
};

namespace {

class GcHandle : public RunningController {
 public:
  explicit GcHandle(std::unique_ptr<controllers::GarbageCollector> gc) : gc_(std::move(gc)) {}
  void Stop() override { gc_->Stop(); }
  bool Idle() const override { return gc_->Idle(); }

 private:
  std::unique_ptr<controllers::GarbageCollector> gc_;
};

class SchedulerHandle : public RunningController {
 public:
  explicit SchedulerHandle(std::unique_ptr<sched::kube::SchedulerRunner> r)
      : runner_(std::move(r)) {}
  void Stop() override { runner_->Stop(); }
  bool Idle() const override { return runner_->Idle(); }

 private:
  std::unique_ptr<sched::kube::SchedulerRunner> runner_;
};

std::string ToYaml(const google::protobuf::Message& m) {
  absl::StatusOr<std::string> json = api::EncodeJson(m);
  if (!json.ok()) return m.ShortDebugString();
  absl::StatusOr<std::string> yaml = api::JsonToYaml(*json);
  return yaml.ok() ? *yaml : *json;
}

}  // namespace

ControllerFactory GarbageCollectorController() {
  return {"garbagecollector",
          [](const ControllerContext& ctx) -> absl::StatusOr<std::unique_ptr<RunningController>> {
            RUDDER_ASSIGN_OR_RETURN(
                std::unique_ptr<controllers::GarbageCollector> gc,
                controllers::GarbageCollector::New(
                    ctx.client, ctx.manager->GetCluster()->GetInformers(), {.clock = ctx.clock}));
            RUDDER_RETURN_IF_ERROR(gc->Start());
            return std::make_unique<GcHandle>(std::move(gc));
          }};
}

absl::StatusOr<std::unique_ptr<TestCluster>> TestCluster::Start(TestClusterOptions options) {
  std::unique_ptr<TestCluster> tc(new TestCluster());
  tc->options_ = std::move(options);
  const TestClusterOptions& o = tc->options_;
  tc->clock_ = std::make_unique<FakeClock>(o.start_time);
  RUDDER_ASSIGN_OR_RETURN(tc->store_, store::NewMemoryStore());
  tc->scheme_ = api::NewBuiltinScheme();
  if (o.register_kinds) RUDDER_RETURN_IF_ERROR(o.register_kinds(tc->scheme_.get()));
  apiserver::RegistryOptions ro;
  ro.admission = apiserver::admission::NewDefaultChain();
  tc->registry_ = std::make_unique<apiserver::Registry>(tc->store_.get(), tc->scheme_.get(), ro);
  tc->direct_ = client::NewInProcessClient(tc->registry_.get());
  internal::Perturbation p;
  p.seed = o.perturbation.seed;
  p.delay_probability = o.perturbation.delay_probability;
  p.drop_probability = o.perturbation.drop_probability;
  p.max_reorder_window = o.perturbation.max_reorder_window;
  tc->controllers_ =
      std::make_unique<internal::TrackingClient>(tc->direct_.get(), p, nullptr, tc->clock_.get());
  tc->tracked_ = std::make_unique<internal::TrackingClient>(
      tc->direct_.get(), internal::Perturbation{}, tc->controllers_.get());
  ctrl::ManagerOptions mo;
  mo.clock = tc->clock_.get();
  RUDDER_ASSIGN_OR_RETURN(tc->manager_, ctrl::Manager::New(tc->controllers_.get(), mo));
  RUDDER_RETURN_IF_ERROR(tc->manager_->Start());
  ControllerContext ctx{tc->manager_.get(), tc->controllers_.get(), tc->clock_.get()};
  for (const ControllerFactory& f : o.controllers) {
    absl::StatusOr<std::unique_ptr<RunningController>> r = f.start(ctx);
    if (!r.ok()) {
      return absl::Status(r.status().code(),
                          absl::StrCat("controller ", f.name, ": ", r.status().message()));
    }
    if (*r != nullptr) tc->running_.push_back(*std::move(r));
  }
  if (o.scheduler && o.scheduler_factory) {
    RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<RunningController> s, o.scheduler_factory(ctx));
    if (s != nullptr) tc->running_.push_back(std::move(s));
  } else if (o.scheduler) {
    sched::kube::SchedulerRunnerOptions so;
    so.clock = tc->clock_.get();
    if (o.scheduler_options) o.scheduler_options(&so);
    RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<sched::kube::SchedulerRunner> runner,
                            sched::kube::SchedulerRunner::New(ctx.client, std::move(so)));
    RUDDER_RETURN_IF_ERROR(runner->Start());
    tc->scheduler_ = runner.get();
    tc->running_.push_back(std::make_unique<SchedulerHandle>(std::move(runner)));
  }
  if (o.nodes > 0 && !o.node_factory) {
    RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<internal::SimNodes> nodes,
                            internal::SimNodes::Start(ctx, o));
    tc->sim_nodes_ = nodes.get();
    tc->running_.push_back(std::move(nodes));
  }
  for (int i = 0; o.node_factory && i < o.nodes; ++i) {
    RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<RunningController> n, o.node_factory(ctx, i));
    if (n != nullptr) tc->running_.push_back(std::move(n));
  }
  if (o.serve_rest) {
    apiserver::ApiServerOptions so;
    so.store = tc->store_.get();
    so.scheme = tc->scheme_.get();
    so.admission = apiserver::admission::NewDefaultChain();
    so.max_threads = 16;
    tc->rest_ = std::make_unique<Rest>();
    RUDDER_ASSIGN_OR_RETURN(tc->rest_->server, apiserver::ApiServer::Start(so));
    tc->server_url_ = absl::StrCat("http://127.0.0.1:", tc->rest_->server->port());
    tc->kubeconfig_path_ = o.kubeconfig_path;
    if (tc->kubeconfig_path_.empty()) {
      const char* dir = std::getenv("TEST_TMPDIR");
      tc->kubeconfig_path_ = absl::StrCat(dir != nullptr ? dir : "/tmp", "/testcluster-",
                                          tc->rest_->server->port(), ".kubeconfig");
    }
    std::ofstream out(tc->kubeconfig_path_);
    out << "apiVersion: v1\nkind: Config\nclusters:\n- name: testcluster\n  cluster:\n"
        << "    server: " << tc->server_url_ << "\ncontexts:\n- name: testcluster\n"
        << "  context:\n    cluster: testcluster\n    user: test\n"
        << "current-context: testcluster\nusers:\n- name: test\n  user: {}\n";
    if (!out.good()) {
      return absl::InternalError(absl::StrCat("cannot write ", tc->kubeconfig_path_));
    }
  }
  return tc;
}

TestCluster::~TestCluster() {
  for (auto it = running_.rbegin(); it != running_.rend(); ++it) (*it)->Stop();
  if (manager_ != nullptr) manager_->Stop();
  running_.clear();
  if (rest_ != nullptr && rest_->server != nullptr) rest_->server->Shutdown();
}

client::Client* TestCluster::client() const { return tracked_.get(); }

runtime::sim::SimRuntime* TestCluster::node_runtime(int index) const {
  return sim_nodes_ == nullptr ? nullptr : sim_nodes_->Runtime(index);
}

int64_t TestCluster::DroppedWatches() const { return controllers_->Drops(); }

std::string TestCluster::Busy() const {
  std::string pending = controllers_->Pending();
  if (!pending.empty()) return pending;
  return BusyCounters();
}

std::string TestCluster::BusyCounters() const {
  int64_t in_flight = clock_->InFlight();
  if (in_flight != 0) {
    return absl::StrCat(in_flight, " in flight (", clock_->InFlightSummary(), ")");
  }
  if (scheduler_ != nullptr) {
    std::string busy = scheduler_->Busy();
    if (!busy.empty()) return busy;
  }
  for (size_t i = 0; i < running_.size(); ++i) {
    if (!running_[i]->Idle()) return absl::StrCat("controller #", i, " has work");
  }
  for (const std::string& name : manager_->ControllerNames()) {
    ctrl::Controller* c = manager_->GetController(name);
    if (c == nullptr) continue;
    if (c->QueueLength() > 0) return absl::StrCat("controller ", name, " has queued requests");
    if (c->Metrics().active_workers > 0) return absl::StrCat("controller ", name, " reconciles");
  }
  return "";
}

absl::Status TestCluster::WaitForQuiescence() {
  // Decided by counters only, around a fence: the counters are zero, then every full watch
  // has delivered every recorded write of its kind, then the counters are still zero and the
  // store's revision has not moved. Work that ran between the two counter reads either wrote
  // (the revision moved) or wrote before the watches were checked (and was delivered).
  absl::Time limit = absl::Now() + options_.quiescence_timeout;
  // This thread only polls from here on: it is not acting on a deadline of the clock.
  FakeClock::ReleaseThreadHold();
  std::string busy;
  for (;;) {
    busy = BusyCounters();
    if (busy.empty()) {
      absl::StatusOr<int64_t> before = store_->CurrentRevision();
      busy = controllers_->Pending();
      if (busy.empty()) busy = BusyCounters();
      if (busy.empty()) {
        absl::StatusOr<int64_t> after = store_->CurrentRevision();
        if (before.ok() && after.ok() && *before == *after) return absl::OkStatus();
        busy = "the store changed";
      }
    }
    if (absl::Now() > limit) {
      return absl::DeadlineExceededError(
          absl::StrCat("TestCluster: not quiescent after ",
                       absl::FormatDuration(options_.quiescence_timeout), ": ", busy));
    }
    // Only paces the checks; nothing is decided by how long it lasts.
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

absl::Status TestCluster::Advance(absl::Duration d) {
  clock_->Advance(d);
  return WaitForQuiescence();
}

absl::Status TestCluster::WaitFor(const api::GroupVersionKind& gvk, const std::string& ns,
                                  const std::string& name, const Predicate& predicate,
                                  const std::string& description) {
  std::shared_ptr<const api::KindInfo> kind = scheme_->ByKind(gvk);
  if (kind == nullptr) return absl::NotFoundError(absl::StrCat("unknown kind ", gvk.ToString()));
  std::string last = "<absent>";
  for (int round = 0; round < 3; ++round) {
    RUDDER_RETURN_IF_ERROR(WaitForQuiescence());
    absl::StatusOr<client::ObjectPtr> obj = direct_->Get(*kind, ns, name);
    if (!obj.ok() && !absl::IsNotFound(obj.status())) return obj.status();
    const google::protobuf::Message* m = obj.ok() ? obj->get() : nullptr;
    if (predicate(m)) return absl::OkStatus();
    last = m == nullptr ? "<absent>" : ToYaml(*m);
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "TestCluster: ", kind->plural, " ", ns.empty() ? name : absl::StrCat(ns, "/", name),
      ": expected ", description, " once the cluster was quiescent; last state:\n", last));
}

}  // namespace rudder::testing
