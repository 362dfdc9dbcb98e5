#include "examples/branded-scheduler/branded.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/mutex.h"
#include "lib/sched/plugins/plugins.h"

namespace branded {
namespace {

using rudder::Mutex;
using rudder::MutexLock;
using namespace rudder::sched;  // NOLINT: the framework's vocabulary.

// ---------------------------------------------------------------------------------------------
// GpuBinPacking

class GpuBinPacking : public PreScorePlugin, public ScorePlugin {
 public:
  std::string_view Name() const override { return kGpuBinPacking; }

  // Pods without GPUs are not scored by this plugin.
  Status PreScore(CycleState&, const PodInfo& pod, std::span<const NodeInfo* const>) override {
    return pod.requests().Scalar(kGpuResource) > 0 ? Status() : Status::Skip();
  }

  // Raw score: the GPUs left idle on the node after placing the pod (lower is better).
  Status Score(const CycleState&, const PodInfo& pod, const NodeInfo& node,
               int64_t* score) override {
    int64_t free = node.allocatable().Scalar(kGpuResource) - node.requested().Scalar(kGpuResource);
    *score = std::max<int64_t>(0, free - pod.requests().Scalar(kGpuResource));
    return Status();
  }

  // The least waste scores 100.
  Status NormalizeScore(const CycleState&, const PodInfo&, std::span<int64_t> scores) override {
    plugins::DefaultNormalizeScore(kMaxNodeScore, /*reverse=*/true, scores);
    return Status();
  }
};

// ---------------------------------------------------------------------------------------------
// Gang

struct GangId {
  std::string ns, name;
  auto operator<=>(const GangId&) const = default;
};

// The gang a pod belongs to and its size; nullopt for pods outside any gang.
std::optional<std::pair<GangId, int>> GangOf(const Pod& pod) {
  const auto& labels = pod.metadata().labels();
  auto n = labels.find(kGangLabel);
  auto s = labels.find(kGangSizeLabel);
  int size = 0;
  if (n == labels.end() || s == labels.end() || !absl::SimpleAtoi(s->second, &size) || size < 1) {
    return std::nullopt;
  }
  return std::make_pair(GangId{pod.metadata().namespace_(), n->second}, size);
}

class Gang : public ReservePlugin, public PermitPlugin, public EnqueueExtensions {
 public:
  Gang(Handle* handle, absl::Duration timeout) : handle_(handle), timeout_(timeout) {}
  std::string_view Name() const override { return kGang; }

  Status Reserve(CycleState&, const PodInfo& pod, const std::string&) override {
    if (auto g = GangOf(pod.pod())) {
      MutexLock l(&mu_);
      reserved_[g->first].insert(pod.uid());
    }
    return Status();
  }

  // A member that fails after Reserve (rejected, timed out, binding failed) takes the whole
  // gang down: every other waiting member is rejected too.
  void Unreserve(CycleState&, const PodInfo& pod, const std::string&) override {
    auto g = GangOf(pod.pod());
    if (!g) return;
    {
      MutexLock l(&mu_);
      auto it = reserved_.find(g->first);
      if (it == reserved_.end()) return;
      it->second.erase(pod.uid());
      if (it->second.empty()) reserved_.erase(it);
    }
    std::string msg =
        absl::StrCat("gang ", g->first.name, " rejected: member ", pod.key(), " was unreserved");
    ForEachWaitingMember(g->first, [&](WaitingPod* w) { w->Reject(kGang, msg); });
  }

  // Waits until `size` members are reserved; the last one allows the others.
  Status Permit(CycleState&, const PodInfo& pod, const std::string&,
                absl::Duration* timeout) override {
    auto g = GangOf(pod.pod());
    if (!g) return Status();
    size_t reserved;
    {
      MutexLock l(&mu_);
      reserved = reserved_[g->first].size();
    }
    if (static_cast<int>(reserved) < g->second) {
      *timeout = timeout_;
      return Status(Code::kWait);
    }
    ForEachWaitingMember(g->first, [](WaitingPod* w) { w->Allow(kGang); });
    return Status();
  }

  // A gang member rejected for lack of room may fit when nodes or room appear.
  std::vector<ClusterEventWithHint> EventsToRegister() const override {
    return {{{EventResource::kNode, kAdd | kUpdateNodeAllocatable, "NodeAdd"}, nullptr},
            {{EventResource::kAssignedPod, kDelete, "AssignedPodDelete"}, nullptr}};
  }

 private:
  void ForEachWaitingMember(const GangId& id, const std::function<void(WaitingPod*)>& fn) {
    handle_->IterateOverWaitingPods([&](WaitingPod* w) {
      auto g = GangOf(w->pod());
      if (g && g->first == id) fn(w);
    });
  }

  Handle* const handle_;
  const absl::Duration timeout_;
  Mutex mu_;
  std::map<GangId, std::set<std::string>> reserved_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

PluginRegistry BrandedRegistry() {
  PluginRegistry r = DefaultRegistry();
  (void)r.Register(kGpuBinPacking,
                   [](const ConfigValue&, Handle*) -> absl::StatusOr<std::unique_ptr<Plugin>> {
                     return std::make_unique<GpuBinPacking>();
                   });
  (void)r.Register(
      kGang, [](const ConfigValue& args, Handle* h) -> absl::StatusOr<std::unique_ptr<Plugin>> {
        double seconds = 30;
        if (const ConfigValue* t = args.Find("timeoutSeconds")) {
          absl::StatusOr<double> v = t->AsDouble("args.timeoutSeconds");
          if (!v.ok()) return v.status();
          if (*v <= 0) return absl::InvalidArgumentError("args.timeoutSeconds: must be positive");
          seconds = *v;
        }
        return std::make_unique<Gang>(h, absl::Seconds(seconds));
      });
  return r;
}

absl::StatusOr<std::unique_ptr<Scheduler>> NewBrandedScheduler(std::string_view config_text,
                                                               const PluginRegistry* registry,
                                                               SchedulerOptions options) {
  absl::StatusOr<SchedulerConfig> config = ParseSchedulerConfig(config_text);
  if (!config.ok()) return config.status();
  options.config = *std::move(config);
  options.registry = registry;
  return Scheduler::Create(std::move(options));
}

}  // namespace branded
