#include "lib/testing/internal/sim_nodes.h"

#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/client/informer/handler.h"
#include "lib/client/informer/shared_informer.h"
#include "lib/runtime/agent/agent.h"
#include "lib/runtime/agent/pod_source.h"

namespace rudder::testing::internal {
namespace {

using api::core::v1::Pod;

struct Node {
  std::string name;
  std::unique_ptr<runtime::sim::SimRuntime> runtime;
  std::unique_ptr<runtime::agent::PodSource> source;
  std::unique_ptr<runtime::agent::Agent> agent;
};

class SimNodesImpl : public SimNodes {
 public:
  explicit SimNodesImpl(Clock* clock, absl::Duration sync_interval)
      : clock_(clock), sync_interval_(sync_interval) {}
  ~SimNodesImpl() override { Stop(); }

  absl::Status Init(const ControllerContext& ctx, const TestClusterOptions& o) {
    for (int i = 0; i < o.nodes; ++i) index_[absl::StrCat("node-", i)] = i;
    RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<const api::KindInfo> kind,
                            client::KindFor(ctx.client->scheme(), Pod::descriptor()));
    client::InformerOptions io;
    io.clock = ctx.clock;
    io.watch_timeout = absl::ZeroDuration();
    RUDDER_ASSIGN_OR_RETURN(informer_, client::NewSharedIndexInformer(ctx.client, kind, io));
    RUDDER_RETURN_IF_ERROR(informer_->SetTransform(client::StripManagedFields));
    auto handler = std::make_shared<client::ResourceEventHandlerFuncs>();
    handler->add = [this](const client::ObjectRef& p, bool) { Touch(*p); };
    handler->update = [this](const client::ObjectRef& old_p, const client::ObjectRef& p) {
      Touch(*old_p);
      Touch(*p);
    };
    handler->del = [this](const client::ObjectRef& p, bool) { Touch(*p); };
    RUDDER_RETURN_IF_ERROR(informer_->AddEventHandler(handler).status());
    informer_->Start();
    if (!informer_->WaitForCacheSync(absl::InfiniteFuture())) {
      return absl::UnavailableError("simulated nodes: pod informer did not sync");
    }
    std::function<std::string(const runtime::v1::PodSandboxConfig&)> script_for;
    if (o.pod_script) {
      auto hook = o.pod_script;
      script_for = [hook](const runtime::v1::PodSandboxConfig& c) {
        return hook(c.metadata().namespace_(), c.metadata().name());
      };
    }
    for (int i = 0; i < o.nodes; ++i) {
      SimNodeOptions so = o.node_options ? o.node_options(i) : SimNodeOptions{};
      auto n = std::make_unique<Node>();
      n->name = absl::StrCat("node-", i);
      runtime::sim::SimOptions ro;
      ro.clock = ctx.clock;
      ro.script_for = script_for;
      n->runtime = runtime::sim::NewSimRuntime(ro);
      RUDDER_ASSIGN_OR_RETURN(n->source,
                              runtime::agent::NewSharedInformerPodSource(informer_.get(), n->name));
      runtime::agent::AgentOptions ao;
      ao.node_name = n->name;
      ao.clock = ctx.clock;
      ao.capacity = so.capacity;
      if (ao.capacity.empty()) ao.capacity = {{"cpu", "4"}, {"memory", "16Gi"}, {"pods", "110"}};
      ao.labels = so.labels;
      ao.taints = so.taints;
      ao.host_ip = absl::StrCat("10.0.", i / 250, ".", i % 250 + 2);
      ao.pod_source = n->source.get();
      ao.pod_log_dir = "/nonexistent/sim-logs";
      ao.sync_interval = sync_interval_;
      ao.publish_metrics = o.publish_node_metrics;
      RUDDER_ASSIGN_OR_RETURN(n->agent, runtime::agent::NewAgent(ctx.client, n->runtime.get(), ao));
      RUDDER_RETURN_IF_ERROR(n->agent->Register());
      nodes_.push_back(std::move(n));
    }
    {
      MutexLock l(&mu_);
      next_due_ = clock_->Now();  // a first pass at once
    }
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  void Stop() override {
    {
      MutexLock l(&mu_);
      if (stop_) return;
      stop_ = true;
      cv_.SignalAll();
    }
    if (thread_.joinable()) thread_.join();
    if (informer_ != nullptr) informer_->Stop();
    for (auto& n : nodes_) n->agent->Stop();
  }

  bool Idle() const override {
    MutexLock l(&mu_);
    return stop_ || (!busy_ && dirty_.empty() && clock_->Now() < next_due_);
  }

  runtime::sim::SimRuntime* Runtime(int index) const override {
    if (index < 0 || index >= static_cast<int>(nodes_.size())) return nullptr;
    return nodes_[index]->runtime.get();
  }

 private:
  void Touch(const client::Object& o) {
    if (o.GetDescriptor() != Pod::descriptor()) return;
    auto it = index_.find(static_cast<const Pod&>(o).spec().nodename());
    if (it == index_.end()) return;
    MutexLock l(&mu_);
    dirty_.insert(it->second);
    cv_.Signal();
  }

  void Loop() {
    mu_.Lock();
    while (!stop_) {
      absl::Time now = clock_->Now();
      bool due = now >= next_due_;
      if (!due && dirty_.empty()) {
        clock_->WaitUntil(&cv_, &mu_, next_due_);
        continue;
      }
      std::vector<int> todo;
      if (due) {
        for (size_t i = 0; i < nodes_.size(); ++i) todo.push_back(static_cast<int>(i));
        next_due_ = now + sync_interval_;
      } else {
        todo.assign(dirty_.begin(), dirty_.end());
      }
      dirty_.clear();
      busy_ = true;
      mu_.Unlock();
      for (int i : todo) (void)nodes_[i]->agent->SyncOnce();
      mu_.Lock();
      busy_ = false;
    }
    mu_.Unlock();
  }

  Clock* const clock_;
  const absl::Duration sync_interval_;
  std::unique_ptr<client::SharedIndexInformer> informer_;
  std::vector<std::unique_ptr<Node>> nodes_;     // fixed after Init
  absl::flat_hash_map<std::string, int> index_;  // node name -> index; set before the informer
  mutable Mutex mu_;
  CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  std::set<int> dirty_ ABSL_GUARDED_BY(mu_);
  absl::Time next_due_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SimNodes>> SimNodes::Start(const ControllerContext& ctx,
                                                          const TestClusterOptions& options) {
  auto n = std::make_unique<SimNodesImpl>(ctx.clock, options.node_sync_interval);
  RUDDER_RETURN_IF_ERROR(n->Init(ctx, options));
  return n;
}

}  // namespace rudder::testing::internal
