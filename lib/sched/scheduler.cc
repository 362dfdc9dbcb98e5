#include "lib/sched/scheduler.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/sched/internal/framework_impl.h"
#include "lib/sched/internal/parallel.h"
#include "lib/sched/internal/sampling.h"

namespace rudder::sched {
namespace {

using internal::Framework;
using internal::Named;
using internal::NextRandom;
using internal::NumFeasibleNodesToFind;

constexpr char kDefaultSchedulerName[] = "default-scheduler";

uint32_t NodeUpdateActions(const Node& o, const Node& n) {
  uint32_t a = 0;
  auto same = [](const google::protobuf::Message& x, const google::protobuf::Message& y) {
    return x.SerializeAsString() == y.SerializeAsString();
  };
  auto same_map = [](const auto& x, const auto& y) {
    if (x.size() != y.size()) return false;
    for (const auto& [k, v] : x) {
      auto it = y.find(k);
      if (it == y.end() || !(it->second == v)) return false;
    }
    return true;
  };
  if (!same_map(o.metadata().labels(), n.metadata().labels())) a |= kUpdateNodeLabel;
  if (!same_map(o.metadata().annotations(), n.metadata().annotations())) a |= kUpdateNodeAnnotation;
  if (o.spec().taints_size() != n.spec().taints_size()) {
    a |= kUpdateNodeTaint;
  } else {
    for (int i = 0; i < o.spec().taints_size(); ++i) {
      if (!same(o.spec().taints(i), n.spec().taints(i))) a |= kUpdateNodeTaint;
    }
  }
  if (o.spec().unschedulable() != n.spec().unschedulable()) a |= kUpdateNodeSpecUnschedulable;
  bool alloc_same = o.status().allocatable().size() == n.status().allocatable().size();
  for (const auto& [k, v] : o.status().allocatable()) {
    auto it = n.status().allocatable().find(k);
    alloc_same =
        alloc_same && it != n.status().allocatable().end() && it->second.string() == v.string();
  }
  if (!alloc_same) a |= kUpdateNodeAllocatable;
  if (o.status().conditions_size() != n.status().conditions_size()) {
    a |= kUpdateNodeCondition;
  } else {
    for (int i = 0; i < o.status().conditions_size(); ++i) {
      if (o.status().conditions(i).type() != n.status().conditions(i).type() ||
          o.status().conditions(i).status() != n.status().conditions(i).status()) {
        a |= kUpdateNodeCondition;
      }
    }
  }
  return a;
}

// A pod held at Permit until every waiting plugin allows it, one rejects it, or a timeout.
class WaitingPodImpl : public WaitingPod {
 public:
  WaitingPodImpl(std::shared_ptr<const PodInfo> pod, std::string node,
                 const std::vector<std::pair<std::string, absl::Duration>>& waits, Clock* clock)
      : pod_(std::move(pod)), node_(std::move(node)), clock_(clock) {
    absl::Time now = clock_->Now();
    for (const auto& [plugin, timeout] : waits) pending_[plugin] = {now + timeout, timeout};
  }
  const Pod& pod() const override { return pod_->pod(); }
  const std::string& node_name() const override { return node_; }
  std::vector<std::string> PendingPlugins() const override {
    MutexLock l(&mu_);
    std::vector<std::string> out;
    for (const auto& [p, unused] : pending_) out.push_back(p);
    return out;
  }
  void Allow(std::string_view plugin) override {
    MutexLock l(&mu_);
    pending_.erase(std::string(plugin));
    if (pending_.empty() && !done_) {
      done_ = true;
      result_ = Status();
    }
    cv_.SignalAll();
  }
  void Reject(std::string_view plugin, std::string_view msg) override {
    MutexLock l(&mu_);
    if (!done_) {
      done_ = true;
      result_ = Status::Unschedulable(std::string(msg)).WithPlugin(plugin);
    }
    cv_.SignalAll();
  }
  // Blocks until decided (on the clock).
  Status Wait() {
    MutexLock l(&mu_);
    while (!done_) {
      absl::Time earliest = absl::InfiniteFuture();
      std::string plugin;
      absl::Duration timeout;
      for (const auto& [p, d] : pending_) {
        if (d.first < earliest) {
          earliest = d.first;
          plugin = p;
          timeout = d.second;
        }
      }
      if (clock_->Now() >= earliest) {
        done_ = true;
        result_ = Status::Unschedulable(absl::StrCat("rejected due to timeout after waiting ",
                                                     absl::FormatDuration(timeout), " at plugin ",
                                                     plugin))
                      .WithPlugin(plugin);
        break;
      }
      clock_->WaitUntil(&cv_, &mu_, earliest);
    }
    return result_;
  }

 private:
  std::shared_ptr<const PodInfo> pod_;
  const std::string node_;
  Clock* clock_;
  mutable Mutex mu_;
  CondVar cv_;
  std::map<std::string, std::pair<absl::Time, absl::Duration>> pending_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  Status result_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string FitErrorMessage(int num_all_nodes, const Diagnosis& d) {
  std::string msg = absl::StrCat("0/", num_all_nodes, " nodes are available:");
  if (!d.pre_filter_msg.empty()) {
    absl::StrAppend(&msg, " ", d.pre_filter_msg, ".");
  } else {
    std::map<std::string, int> counts;
    for (const auto& [node, status] : d.node_to_status.failed) {
      for (const auto& r : status.reasons()) ++counts[r];
    }
    std::vector<std::string> parts;
    for (const auto& [reason, n] : counts) parts.push_back(absl::StrCat(n, " ", reason));
    std::sort(parts.begin(), parts.end());
    if (!parts.empty()) absl::StrAppend(&msg, " ", absl::StrJoin(parts, ", "), ".");
  }
  if (!d.post_filter_msg.empty()) absl::StrAppend(&msg, " ", d.post_filter_msg);
  return msg;
}

absl::Status RecordingBinder::Bind(const Pod& pod, const std::string& node_name) {
  MutexLock l(&mu_);
  if (!error_.ok()) return error_;
  bindings_.push_back(
      {absl::StrCat(pod.metadata().namespace_(), "/", pod.metadata().name()), node_name});
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> RecordingBinder::Bindings() const {
  MutexLock l(&mu_);
  return bindings_;
}

size_t RecordingBinder::Count() const {
  MutexLock l(&mu_);
  return bindings_.size();
}

void RecordingBinder::SetError(absl::Status s) {
  MutexLock l(&mu_);
  error_ = std::move(s);
}

// ---------------------------------------------------------------------------------------------

class Scheduler::Impl : public Handle {
 public:
  explicit Impl(SchedulerOptions options)
      : options_(std::move(options)),
        clock_(options_.clock ? options_.clock : Clock::Real()),
        rng_(options_.seed) {}

  ~Impl() override { Stop(); }

  absl::Status Init() {
    if (!options_.registry) {
      owned_registry_ = std::make_unique<PluginRegistry>(DefaultRegistry());
      options_.registry = owned_registry_.get();
    }
    if (options_.config.profiles.empty()) options_.config.profiles.push_back(ProfileConfig());
    for (const ProfileConfig& p : options_.config.profiles) {
      if (frameworks_.count(p.scheduler_name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("duplicate profile \"", p.scheduler_name, "\""));
      }
      absl::StatusOr<std::unique_ptr<Framework>> fw =
          Framework::Create(p, options_.config.merge_defaults, *options_.registry, this);
      if (!fw.ok()) return fw.status();
      order_.push_back(p.scheduler_name);
      frameworks_[p.scheduler_name] = *std::move(fw);
    }
    const Framework& first = *frameworks_.at(order_[0]);
    QueueOptions qo;
    qo.clock = clock_;
    qo.initial_backoff = absl::Seconds(options_.config.pod_initial_backoff_seconds);
    qo.max_backoff = absl::Seconds(options_.config.pod_max_backoff_seconds);
    for (const auto& name : order_) {
      const Framework& fw = *frameworks_.at(name);
      if (fw.queue_sort().name != first.queue_sort().name) {
        return absl::InvalidArgumentError(
            absl::StrCat("profiles must use the same QueueSort plugin: \"", first.queue_sort().name,
                         "\" and \"", fw.queue_sort().name, "\""));
      }
      for (const auto& [plugin, events] : fw.events()) {
        auto& v = qo.events[plugin];
        v.insert(v.end(), events.begin(), events.end());
      }
    }
    QueueSortPlugin* qs = first.queue_sort().plugin;
    qo.less = [qs](const QueuedPodInfo& a, const QueuedPodInfo& b) { return qs->Less(a, b); };
    qo.pre_enqueue = [this](const PodInfo& pod) {
      Framework* fw = FrameworkFor(pod.pod());
      return fw ? fw->RunPreEnqueue(pod) : Status();
    };
    queue_ = std::make_unique<SchedulingQueue>(std::move(qo));
    cache_ = std::make_unique<Cache>(clock_, options_.assumed_pod_ttl);
    int parallelism = std::max(1, std::min<int>(options_.config.parallelism,
                                                std::max(1u, std::thread::hardware_concurrency())));
    parallelizer_ = std::make_unique<internal::Parallelizer>(parallelism);
    for (int i = 0; i < options_.binding_workers; ++i) {
      binders_.emplace_back([this] { BindWorker(); });
    }
    return absl::OkStatus();
  }

  // Handle.
  const NodeInfoLister& Snapshot() const override { return snapshot_; }
  Binder* binder() const override { return options_.binder; }
  Clock* clock() const override { return clock_; }
  ClusterAccess* cluster() const override { return options_.cluster; }
  void WithWaitingPod(std::string_view uid, const std::function<void(WaitingPod*)>& fn) override {
    std::shared_ptr<WaitingPodImpl> w;
    {
      MutexLock l(&waiting_mu_);
      auto it = waiting_.find(AbslView(uid));
      if (it != waiting_.end()) w = it->second;
    }
    fn(w.get());
  }
  void IterateOverWaitingPods(const std::function<void(WaitingPod*)>& fn) override {
    std::vector<std::shared_ptr<WaitingPodImpl>> all;
    {
      MutexLock l(&waiting_mu_);
      for (const auto& [uid, w] : waiting_) all.push_back(w);
    }
    for (const auto& w : all) fn(w.get());
  }

  Status RunFilterPluginsWithNominatedPods(const CycleState& state, const PodInfo& pod,
                                           const NodeInfo& node) override {
    Framework* fw = FrameworkFor(pod.pod());
    if (!fw) return Status::Error("no profile for the pod");
    std::vector<const Named<FilterPlugin>*> filters;
    for (const auto& f : fw->filter_plugins()) {
      if (!state.skip_filter_plugins().contains(f.name)) filters.push_back(&f);
    }
    return FilterWithNominatedPods(*fw, state, pod, node, filters);
  }
  Status RunPreFilterExtensionAddPod(CycleState& state, const PodInfo& pod, const PodInfo& to_add,
                                     const NodeInfo& node) override {
    Framework* fw = FrameworkFor(pod.pod());
    if (!fw) return Status::Error("no profile for the pod");
    return fw->RunPreFilterAddPod(state, pod, to_add, node);
  }
  Status RunPreFilterExtensionRemovePod(CycleState& state, const PodInfo& pod,
                                        const PodInfo& to_remove, const NodeInfo& node) override {
    Framework* fw = FrameworkFor(pod.pod());
    if (!fw) return Status::Error("no profile for the pod");
    return fw->RunPreFilterRemovePod(state, pod, to_remove, node);
  }
  std::vector<std::shared_ptr<const PodInfo>> NominatedPodsForNode(
      std::string_view node) const override {
    return queue_->NominatedPodsForNode(node);
  }
  void Parallelize(int num_chunks, const std::function<void(int)>& fn,
                   const std::atomic<bool>* stop) override {
    parallelizer_->For(num_chunks, fn, stop);
  }

  Framework* FrameworkFor(const Pod& pod) {
    const std::string& name = pod.spec().schedulername();
    auto it = frameworks_.find(name.empty() ? std::string_view(kDefaultSchedulerName) : name);
    return it == frameworks_.end() ? nullptr : it->second.get();
  }

  // ------------------------------------------------------------------------------------------
  // Feed.

  absl::Status AddNode(const Node& node) {
    auto n = std::make_shared<const Node>(node);
    absl::Status s = cache_->AddNode(n);
    if (!s.ok()) return s;
    queue_->MoveAllToActiveOrBackoffQueue({EventResource::kNode, kAdd, "NodeAdd"}, nullptr,
                                          n.get());
    return absl::OkStatus();
  }

  absl::Status UpdateNode(const Node& old_node, const Node& new_node) {
    auto n = std::make_shared<const Node>(new_node);
    absl::Status s = cache_->UpdateNode(n);
    if (!s.ok()) return s;
    uint32_t actions = NodeUpdateActions(old_node, new_node);
    if (actions != 0) {
      queue_->MoveAllToActiveOrBackoffQueue({EventResource::kNode, actions, "NodeUpdate"},
                                            &old_node, n.get());
    }
    return absl::OkStatus();
  }

  absl::Status DeleteNode(const Node& node) { return cache_->RemoveNode(node.metadata().name()); }

  absl::Status AddPod(const Pod& pod) {
    absl::StatusOr<std::shared_ptr<const PodInfo>> info = PodInfo::Create(pod);
    if (!info.ok()) return info.status();
    if (!pod.spec().nodename().empty()) {
      absl::Status s = cache_->AddPod(*info);
      if (!s.ok()) return s;
      queue_->Delete((*info)->uid());
      queue_->MoveAllToActiveOrBackoffQueue({EventResource::kAssignedPod, kAdd, "AssignedPodAdd"},
                                            nullptr, &pod);
      return absl::OkStatus();
    }
    if (!FrameworkFor(pod)) return absl::OkStatus();  // Another scheduler's pod.
    return queue_->Add(*std::move(info));
  }

  absl::Status UpdatePod(const Pod& old_pod, const Pod& new_pod) {
    absl::StatusOr<std::shared_ptr<const PodInfo>> info = PodInfo::Create(new_pod);
    if (!info.ok()) return info.status();
    if (!new_pod.spec().nodename().empty()) {
      if (old_pod.spec().nodename().empty() || cache_->IsAssumedPod((*info)->uid()) ||
          cache_->NodeOf((*info)->uid()).empty()) {
        // The binding landed: confirm the assumed pod.
        queue_->Delete((*info)->uid());
        absl::Status s = cache_->AddPod(*info);
        if (!s.ok()) return s;
        queue_->MoveAllToActiveOrBackoffQueue({EventResource::kAssignedPod, kAdd, "AssignedPodAdd"},
                                              nullptr, &new_pod);
        return absl::OkStatus();
      }
      absl::Status s = cache_->UpdatePod(*info);
      if (!s.ok()) return s;
      uint32_t actions = kUpdatePodOther;
      if (old_pod.metadata().labels_size() != new_pod.metadata().labels_size()) {
        actions |= kUpdatePodLabel;
      } else {
        for (const auto& [k, v] : old_pod.metadata().labels()) {
          auto it = new_pod.metadata().labels().find(k);
          if (it == new_pod.metadata().labels().end() || it->second != v)
            actions |= kUpdatePodLabel;
        }
      }
      absl::StatusOr<std::shared_ptr<const PodInfo>> old_info = PodInfo::Create(old_pod);
      if (old_info.ok()) {
        const Resource& o = (*old_info)->requests();
        const Resource& n = (*info)->requests();
        if (n.milli_cpu < o.milli_cpu || n.memory < o.memory) actions |= kUpdatePodScaleDown;
      }
      queue_->MoveAllToActiveOrBackoffQueue(
          {EventResource::kAssignedPod, actions, "AssignedPodUpdate"}, &old_pod, &new_pod);
      return absl::OkStatus();
    }
    if (!FrameworkFor(new_pod)) return absl::OkStatus();
    queue_->Update(*std::move(info));
    return absl::OkStatus();
  }

  absl::Status DeletePod(const Pod& pod) {
    std::string uid = pod.metadata().uid().empty()
                          ? absl::StrCat(pod.metadata().namespace_(), "/", pod.metadata().name())
                          : pod.metadata().uid();
    queue_->Delete(uid);
    WithWaitingPod(uid, [](WaitingPod* w) {
      if (w) w->Reject("", "pod deleted");
    });
    if (!cache_->NodeOf(uid).empty()) {
      absl::Status s = cache_->RemovePod(uid);
      if (!s.ok()) return s;
      queue_->MoveAllToActiveOrBackoffQueue(
          {EventResource::kAssignedPod, kDelete, "AssignedPodDelete"}, &pod, nullptr);
    }
    return absl::OkStatus();
  }

  // ------------------------------------------------------------------------------------------
  // Scheduling cycle.

  // Filters `nodes` in round-robin order from the start index until enough feasible nodes
  // are found; fills feasible_ and the diagnosis.
  Status FindNodesThatPassFilters(Framework& fw, const CycleState& state, const PodInfo& pod,
                                  std::span<const NodeInfo* const> nodes,
                                  std::span<const Named<FilterPlugin>* const> filters,
                                  Diagnosis* diagnosis, int* evaluated) {
    const int n = static_cast<int>(nodes.size());
    const int32_t pct =
        fw.percentage_of_nodes_to_score().value_or(options_.config.percentage_of_nodes_to_score);
    const int want = NumFeasibleNodesToFind(pct, n);
    feasible_.clear();
    if (n == 0) return Status();
    const int start = static_cast<int>(next_start_node_index_ % n);
    if (static_cast<int>(passed_.size()) < n) {
      passed_.resize(n);
      statuses_.resize(n);
    }
    const bool nominated = nominated_pods_ != nullptr;
    constexpr int kChunk = 16;
    const int chunks = (n + kChunk - 1) / kChunk;
    std::atomic<int> found{0};
    std::atomic<bool> stop{false};
    auto run_chunk = [&](int c) {
      int begin = c * kChunk, end = std::min(n, begin + kChunk);
      int local = 0;
      for (int i = begin; i < end; ++i) {
        if (i + 2 < end) PrefetchNodeInfo(nodes[(start + i + 2) % n]);
        const NodeInfo& node = *nodes[(start + i) % n];
        Status s = nominated ? FilterWithNominatedPods(fw, state, pod, node, filters)
                             : Framework::RunFilter(filters, state, pod, node);
        if (s.ok()) {
          passed_[i] = 1;
          ++local;
        } else {
          passed_[i] = 0;
          statuses_[i] = std::move(s);
        }
      }
      if (found.fetch_add(local) + local >= want) stop.store(true);
    };
    parallelizer_->For(chunks, run_chunk, &stop);
    // Chunks are claimed in order and no chunk is claimed once `want` nodes passed, so the
    // chunks that ran are a prefix holding at least `want` feasible nodes (or all nodes).
    // Taking the first `want` in order makes the result independent of the thread count;
    // flags past the prefix are stale and never reached.
    int processed = 0;
    const std::string* last_plugin = nullptr;  // the plugin last added to the diagnosis
    for (int i = 0; i < n && static_cast<int>(feasible_.size()) < want; ++i) {
      processed = i + 1;
      if (passed_[i]) {
        feasible_.push_back(nodes[(start + i) % n]);
      } else {
        if (statuses_[i].code() == Code::kError) {
          return statuses_[i];
        }
        // Most failures are copies of a few statuses: hash a plugin name only when it differs
        // from the previous one.
        const std::string& plugin = statuses_[i].plugin();
        if (!last_plugin || *last_plugin != plugin) {
          diagnosis->unschedulable_plugins.insert(plugin);
          last_plugin = &plugin;
        }
        diagnosis->node_to_status.failed.push_back(
            {nodes[(start + i) % n], std::move(statuses_[i])});
      }
    }
    *evaluated = processed;
    next_start_node_index_ = (start + processed) % n;
    return Status();
  }

  Status FilterWithNominatedPods(Framework& fw, const CycleState& state, const PodInfo& pod,
                                 const NodeInfo& node,
                                 std::span<const Named<FilterPlugin>* const> filters) {
    // The nominations taken at the start of the cycle (no queue lock per node).
    std::vector<const std::shared_ptr<const PodInfo>*> higher;
    if (nominated_pods_) {
      auto it = nominated_pods_->find(node.name());
      if (it != nominated_pods_->end()) {
        for (const auto& p : it->second) {
          if (p->uid() != pod.uid() && p->priority() >= pod.priority()) higher.push_back(&p);
        }
      }
    }
    if (!higher.empty()) {
      NodeInfo copy = node;
      std::unique_ptr<CycleState> st = state.Clone();
      for (const auto* p : higher) {
        copy.AddPod(*p, copy.generation());
        Status s = fw.RunPreFilterAddPod(*st, pod, **p, copy);
        if (!s.ok()) return s;
      }
      Status s = Framework::RunFilter(filters, *st, pod, copy);
      if (!s.ok()) return s;
    }
    return Framework::RunFilter(filters, state, pod, node);
  }

  struct CycleOutcome {
    Status status;
    std::string node;
    int evaluated = 0;
    int feasible = 0;
    Diagnosis diagnosis;
  };

  CycleOutcome SchedulePod(Framework& fw, CycleState& state, const PodInfo& pod) {
    CycleOutcome out;
    cache_->UpdateSnapshot(&snapshot_);
    nominated_pods_ = queue_->NominatedPods();
    const int all = snapshot_.NumNodes();
    if (all == 0) {
      out.status = Status::Error("no nodes available to schedule pods");
      return out;
    }
    PreFilterResult pfr;
    Status s = fw.RunPreFilter(state, pod, &pfr, &active_filters_);
    if (!s.ok()) {
      if (s.IsRejected()) {
        out.diagnosis.pre_filter_msg = s.Message();
        out.diagnosis.unschedulable_plugins.insert(s.plugin());
        for (const NodeInfo* n : snapshot_.List())
          out.diagnosis.node_to_status.failed.push_back({n, s});
      }
      out.status = std::move(s);
      return out;
    }
    std::span<const NodeInfo* const> nodes = snapshot_.List();
    if (pfr.node_names) {
      narrowed_.clear();
      for (const NodeInfo* n : nodes) {
        if (pfr.node_names->contains(n->name())) {
          narrowed_.push_back(n);
        } else {
          // Kubernetes records these as rejected, so they count in the FitError message and
          // are never preemption candidates.
          out.diagnosis.node_to_status.failed.push_back(
              {n, Status::Unresolvable("node is filtered out by the prefilter result")});
        }
      }
      nodes = narrowed_;
    }
    // A pod nominated by an earlier preemption tries its nominated node first (Kubernetes'
    // evaluateNominatedNode): if it fits there, it goes there without scoring.
    std::string nominated = pod.pod().status().nominatednodename();
    if (nominated.empty() && nominated_pods_) nominated = queue_->NominatedNodeOf(pod.uid());
    if (!nominated.empty()) {
      const NodeInfo* n = snapshot_.Get(nominated);
      if (n && n->node() && (!pfr.node_names || pfr.node_names->contains(nominated)) &&
          FilterWithNominatedPods(fw, state, pod, *n, active_filters_).ok()) {
        out.evaluated = 1;
        out.feasible = 1;
        out.node = nominated;
        return out;
      }
    }
    s = FindNodesThatPassFilters(fw, state, pod, nodes, active_filters_, &out.diagnosis,
                                 &out.evaluated);
    if (!s.ok()) {
      out.status = std::move(s);
      return out;
    }
    out.feasible = static_cast<int>(feasible_.size());
    if (feasible_.empty()) {
      out.status = Status(Code::kUnschedulable);
      return out;
    }
    if (feasible_.size() == 1) {
      out.node = feasible_[0]->name();
      return out;
    }
    s = fw.RunPreScoreAndScore(state, pod, feasible_, parallelizer_.get(), &score_scratch_,
                               &totals_);
    if (!s.ok()) {
      out.status = std::move(s);
      return out;
    }
    // Highest total; ties by reservoir sampling with the seeded RNG.
    size_t best = 0;
    int ties = 1;
    for (size_t i = 1; i < feasible_.size(); ++i) {
      if (totals_[i] > totals_[best]) {
        best = i;
        ties = 1;
      } else if (totals_[i] == totals_[best]) {
        ++ties;
        if (NextRandom(&rng_) % ties == 0) best = i;
      }
    }
    out.node = feasible_[best]->name();
    return out;
  }

  std::optional<ScheduleResult> ScheduleOne(bool block) {
    std::unique_ptr<QueuedPodInfo> qp = block ? queue_->Pop() : queue_->TryPop();
    if (!qp) return std::nullopt;
    const int64_t cycle = queue_->SchedulingCycle();
    std::shared_ptr<const PodInfo> pod = qp->pod_info;
    ScheduleResult result;
    result.pod = pod->key();
    Framework* fw = FrameworkFor(pod->pod());
    if (!fw || pod->pod().metadata().has_deletiontimestamp()) {
      queue_->Done(pod->uid());
      result.failure.code = Code::kError;
      result.failure.message = "skipped";
      return result;
    }
    auto state = std::make_shared<CycleState>();
    CycleOutcome out = SchedulePod(*fw, *state, *pod);
    result.evaluated_nodes = out.evaluated;
    result.feasible_nodes = out.feasible;
    if (!out.status.ok()) {
      FailureInfo f;
      f.code = out.status.code();
      if (out.status.IsRejected()) {
        if (fw->HasPostFilter()) {
          PostFilterResult pr;
          Status ps = fw->RunPostFilter(*state, *pod, out.diagnosis.node_to_status, &pr);
          if (!ps.Message().empty()) out.diagnosis.post_filter_msg = ps.Message();
          if (ps.ok() && pr.nominated_node_name) f.nominated_node = *pr.nominated_node_name;
        }
        f.reason = "Unschedulable";
        f.message = FitErrorMessage(snapshot_.NumNodes(), out.diagnosis);
        qp->unschedulable_plugins = std::move(out.diagnosis.unschedulable_plugins);
        qp->unschedulable_plugins.erase("");
      } else {
        f.reason = "SchedulerError";
        f.message = out.status.Message();
        qp->unschedulable_plugins.clear();
      }
      result.failure = f;
      Fail(std::move(qp), cycle, f);
      return result;
    }
    const std::string node = out.node;
    result.node = node;
    // Assume, Reserve, Permit.
    absl::Status as = cache_->AssumePod(pod, node);
    if (!as.ok()) {
      FailureInfo f{Code::kError, "SchedulerError", std::string(as.message()), ""};
      qp->unschedulable_plugins.clear();
      result.node.clear();
      result.failure = f;
      Fail(std::move(qp), cycle, f);
      return result;
    }
    Status rs = fw->RunReserve(*state, *pod, node);
    if (!rs.ok()) {
      fw->RunUnreserve(*state, *pod, node);
      (void)cache_->ForgetPod(pod->uid());
      FailureInfo f = FromStatus(rs);
      SetRejector(qp.get(), rs);
      result.node.clear();
      result.failure = f;
      Fail(std::move(qp), cycle, f);
      return result;
    }
    std::vector<std::pair<std::string, absl::Duration>> waits;
    Status ps = fw->RunPermit(*state, *pod, node, &waits);
    if (!ps.ok() && !ps.IsWait()) {
      fw->RunUnreserve(*state, *pod, node);
      (void)cache_->ForgetPod(pod->uid());
      FailureInfo f = FromStatus(ps);
      SetRejector(qp.get(), ps);
      result.node.clear();
      result.failure = f;
      Fail(std::move(qp), cycle, f);
      return result;
    }
    std::shared_ptr<WaitingPodImpl> waiting;
    if (ps.IsWait()) {
      waiting = std::make_shared<WaitingPodImpl>(pod, node, waits, clock_);
      MutexLock l(&waiting_mu_);
      waiting_[pod->uid()] = waiting;
    }
    // The binding cycle, asynchronously.
    auto shared_qp = std::make_shared<std::unique_ptr<QueuedPodInfo>>(std::move(qp));
    auto task = [this, fw, state, shared_qp, node, waiting, cycle] {
      BindingCycle(*fw, *state, std::move(*shared_qp), node, waiting.get(), cycle);
    };
    if (waiting) {
      MutexLock l(&bind_mu_);
      ++bindings_pending_;
      // Reap the threads of pods whose wait ended.
      std::erase_if(waiter_threads_, [](Waiter& w) {
        if (!w.done->load()) return false;
        w.thread.join();
        return true;
      });
      auto done = std::make_shared<std::atomic<bool>>(false);
      waiter_threads_.push_back({std::thread([task, done] {
                                   task();
                                   done->store(true);
                                 }),
                                 done});
    } else if (binders_.empty()) {
      {
        MutexLock l(&bind_mu_);
        ++bindings_pending_;
      }
      task();
    } else {
      MutexLock l(&bind_mu_);
      ++bindings_pending_;
      bind_tasks_.push_back(std::move(task));
      if (bind_waiting_ > 0) bind_cv_.Signal();
    }
    return result;
  }

  static FailureInfo FromStatus(const Status& s) {
    FailureInfo f;
    f.code = s.code();
    f.reason = s.IsRejected() ? "Unschedulable" : "SchedulerError";
    f.message = s.Message();
    return f;
  }

  static void SetRejector(QueuedPodInfo* qp, const Status& s) {
    qp->unschedulable_plugins.clear();
    if (s.IsRejected() && !s.plugin().empty()) qp->unschedulable_plugins.insert(s.plugin());
  }

  void Fail(std::unique_ptr<QueuedPodInfo> qp, int64_t cycle, const FailureInfo& f) {
    std::shared_ptr<const PodInfo> pod = qp->pod_info;
    queue_->AddUnschedulableIfNotPresent(std::move(qp), cycle);
    if (!f.nominated_node.empty()) {
      // Lower-priority pods nominated to the node lose their nomination (preemption made
      // room for this pod); the host is told through ClusterAccess.
      for (const auto& other : queue_->NominatedPodsForNode(f.nominated_node)) {
        if (other->uid() == pod->uid() || other->priority() >= pod->priority()) continue;
        queue_->DeleteNominatedPod(other->uid());
        if (options_.cluster) (void)options_.cluster->SetNominatedNodeName(other->pod(), "");
      }
      queue_->AddNominatedPod(pod, f.nominated_node);
      if (options_.cluster)
        (void)options_.cluster->SetNominatedNodeName(pod->pod(), f.nominated_node);
    }
    if (options_.on_failure) options_.on_failure(pod->pod(), f);
  }

  void BindingCycle(Framework& fw, CycleState& state, std::unique_ptr<QueuedPodInfo> qp,
                    const std::string& node, WaitingPodImpl* waiting, int64_t cycle) {
    std::shared_ptr<const PodInfo> pod = qp->pod_info;
    Status s;
    if (waiting) {
      s = waiting->Wait();
      MutexLock l(&waiting_mu_);
      waiting_.erase(pod->uid());
    }
    if (s.ok()) s = fw.RunPreBind(state, *pod, node);
    if (s.ok()) s = fw.RunBind(state, *pod, node);
    if (s.ok()) {
      (void)cache_->FinishBinding(pod->uid());
      fw.RunPostBind(state, *pod, node);
      queue_->Done(pod->uid());
      if (options_.on_bound) options_.on_bound(pod->pod(), node);
    } else {
      fw.RunUnreserve(state, *pod, node);
      (void)cache_->ForgetPod(pod->uid());
      queue_->MoveAllToActiveOrBackoffQueue(
          {EventResource::kAssignedPod, kDelete, "AssignedPodDelete"});
      SetRejector(qp.get(), s);
      Fail(std::move(qp), cycle, FromStatus(s));
    }
    MutexLock l(&bind_mu_);
    if (--bindings_pending_ == 0) bind_idle_cv_.SignalAll();
  }

  void BindWorker() {
    while (true) {
      std::function<void()> task;
      {
        MutexLock l(&bind_mu_);
        while (bind_tasks_.empty() && !bind_stop_) {
          ++bind_waiting_;
          bind_cv_.Wait(&bind_mu_);
          --bind_waiting_;
        }
        if (bind_tasks_.empty()) return;
        task = std::move(bind_tasks_.front());
        bind_tasks_.pop_front();
      }
      task();
    }
  }

  void WaitForBindings() {
    MutexLock l(&bind_mu_);
    while (bindings_pending_ > 0) bind_idle_cv_.Wait(&bind_mu_);
  }

  void Run() {
    MutexLock l(&run_mu_);
    if (loop_.joinable()) return;
    queue_->Run();
    loop_ = std::thread([this] {
      while (ScheduleOne(true).has_value()) {
      }
    });
    // Expires assumed pods whose binding was never confirmed, every second on the clock,
    // counted from Run (not from whenever the thread gets going).
    janitor_ = std::thread([this, first = clock_->Now() + absl::Seconds(1)] {
      MutexLock jl(&janitor_mu_);
      absl::Time next = first;
      while (!janitor_stop_) {
        while (!janitor_stop_ && clock_->Now() < next)
          clock_->WaitUntil(&janitor_cv_, &janitor_mu_, next);
        if (janitor_stop_) break;
        janitor_mu_.Unlock();
        cache_->CleanupExpiredAssumedPods();
        janitor_mu_.Lock();
        next = clock_->Now() + absl::Seconds(1);
      }
    });
  }

  void Stop() {
    if (!queue_) return;
    queue_->Close();
    {
      MutexLock l(&janitor_mu_);
      janitor_stop_ = true;
      janitor_cv_.SignalAll();
    }
    {
      MutexLock l(&run_mu_);
      if (loop_.joinable()) loop_.join();
      if (janitor_.joinable()) janitor_.join();
    }
    IterateOverWaitingPods([](WaitingPod* w) { w->Reject("", "scheduler stopped"); });
    WaitForBindings();
    std::vector<Waiter> waiters;
    {
      MutexLock l(&bind_mu_);
      bind_stop_ = true;
      bind_cv_.SignalAll();
      waiters.swap(waiter_threads_);
    }
    for (auto& t : binders_) t.join();
    binders_.clear();
    for (auto& w : waiters) w.thread.join();
  }

  SchedulerOptions options_;
  Clock* clock_;
  std::unique_ptr<PluginRegistry> owned_registry_;
  std::map<std::string, std::unique_ptr<Framework>, std::less<>> frameworks_;
  std::vector<std::string> order_;
  std::unique_ptr<SchedulingQueue> queue_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<internal::Parallelizer> parallelizer_;

  // Scheduling-thread state.
  sched::Snapshot snapshot_;
  uint64_t rng_;
  uint64_t next_start_node_index_ = 0;
  std::vector<const Named<FilterPlugin>*> active_filters_;
  std::vector<const NodeInfo*> narrowed_;
  // The queue's nominations at the start of the current cycle (null: none).
  std::shared_ptr<const NominatedPodsMap> nominated_pods_;
  std::vector<const NodeInfo*> feasible_;
  std::vector<uint8_t> passed_;
  std::vector<Status> statuses_;
  std::vector<int64_t> score_scratch_;
  std::vector<int64_t> totals_;

  Mutex waiting_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<WaitingPodImpl>> waiting_
      ABSL_GUARDED_BY(waiting_mu_);

  Mutex bind_mu_;
  CondVar bind_cv_;
  CondVar bind_idle_cv_;
  std::deque<std::function<void()>> bind_tasks_ ABSL_GUARDED_BY(bind_mu_);
  int bindings_pending_ ABSL_GUARDED_BY(bind_mu_) = 0;
  int bind_waiting_ ABSL_GUARDED_BY(bind_mu_) = 0;
  bool bind_stop_ ABSL_GUARDED_BY(bind_mu_) = false;
  std::vector<std::thread> binders_;
  struct Waiter {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Waiter> waiter_threads_ ABSL_GUARDED_BY(bind_mu_);

  Mutex run_mu_;
  std::thread loop_;
  std::thread janitor_;
  Mutex janitor_mu_;
  CondVar janitor_cv_;
  bool janitor_stop_ ABSL_GUARDED_BY(janitor_mu_) = false;
};

// ---------------------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(SchedulerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  absl::Status s = impl->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(impl)));
}

Scheduler::Scheduler(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)), queue_(impl_->queue_.get()), cache_(impl_->cache_.get()) {}

Scheduler::~Scheduler() { impl_->Stop(); }

absl::Status Scheduler::AddNode(const Node& node) { return impl_->AddNode(node); }
absl::Status Scheduler::UpdateNode(const Node& o, const Node& n) { return impl_->UpdateNode(o, n); }
absl::Status Scheduler::DeleteNode(const Node& node) { return impl_->DeleteNode(node); }
absl::Status Scheduler::AddPod(const Pod& pod) { return impl_->AddPod(pod); }
absl::Status Scheduler::UpdatePod(const Pod& o, const Pod& n) { return impl_->UpdatePod(o, n); }
absl::Status Scheduler::DeletePod(const Pod& pod) { return impl_->DeletePod(pod); }
std::optional<ScheduleResult> Scheduler::ScheduleOne(bool block) {
  return impl_->ScheduleOne(block);
}
void Scheduler::Run() { impl_->Run(); }
void Scheduler::Stop() { impl_->Stop(); }
void Scheduler::WaitForBindings() { impl_->WaitForBindings(); }
Handle* Scheduler::handle() { return impl_.get(); }
std::vector<std::string> Scheduler::ProfileNames() const { return impl_->order_; }

}  // namespace rudder::sched
