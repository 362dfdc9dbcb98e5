#include "lib/sched/kube/scheduler_runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/base/json_quote.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/client/informer/handler.h"
#include "lib/client/informer/shared_informer.h"
#include "lib/client/leaderelection/leaderelection.h"
#include "lib/client/record/record.h"
#include "lib/sched/plugins/interpodaffinity.h"

namespace rudder::sched::kube {
namespace {

using api::core::v1::Namespace;
using api::core::v1::PodCondition;
using api::policy::v1::PodDisruptionBudget;
using client::ObjectRef;

constexpr char kComponent[] = "default-scheduler";

std::string KeyOf(const Pod& pod) {
  return absl::StrCat(pod.metadata().namespace_(), "/", pod.metadata().name());
}

bool Terminated(const Pod& pod) {
  return pod.status().phase() == "Succeeded" || pod.status().phase() == "Failed";
}

// The pods the scheduler hears about: not terminated, and not unassigned while being deleted.
bool Relevant(const google::protobuf::Message& m) {
  const auto* pod = dynamic_cast<const Pod*>(&m);
  if (pod == nullptr || Terminated(*pod)) return false;
  return !(pod->spec().nodename().empty() && pod->metadata().has_deletiontimestamp());
}

const PodCondition* ConditionOf(const Pod& pod, const std::string& type) {
  for (const PodCondition& c : pod.status().conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

// A strategic merge patch of status setting one condition (merged by type) and, when
// `nominated` is set, status.nominatedNodeName (null clears it).
absl::StatusOr<std::string> ConditionPatch(const PodCondition& c,
                                           const std::optional<std::string>& nominated) {
  RUDDER_ASSIGN_OR_RETURN(std::string cj, api::EncodeJson(c));
  std::string out = absl::StrCat(R"({"status":{"conditions":[)", cj, "]");
  if (nominated.has_value()) {
    absl::StrAppend(&out, R"(,"nominatedNodeName":)",
                    nominated->empty() ? "null" : JsonQuote(*nominated));
  }
  return out + "}}";
}

std::string DefaultIdentity() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "rudder");
  }
  std::random_device rd;
  return absl::StrCat(host, "_", absl::Hex(static_cast<uint32_t>(rd()), absl::kZeroPad8));
}

}  // namespace

class SchedulerRunner::Impl : public Binder, public ClusterAccess {
 public:
  Impl(client::Client* client, SchedulerRunnerOptions options)
      : client_(client),
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {}

  ~Impl() override { Stop(); }

  absl::Status Init() {
    std::shared_ptr<const api::KindInfo> pods = client_->scheme().ByResource({"", "v1", "pods"});
    if (pods == nullptr) return absl::NotFoundError("the client's scheme has no pods");
    pods_kind_ = pods;
    if (options_.registry == nullptr) {
      // The defaults, with InterPodAffinity's namespaceSelector resolved from the informer.
      PluginRegistry defaults = DefaultRegistry();
      for (const std::string& name : defaults.Names()) {
        if (name == plugins::kInterPodAffinity) {
          RUDDER_RETURN_IF_ERROR(registry_.Register(
              name, plugins::InterPodAffinityFactory(
                        [this](std::string_view ns) { return NamespaceLabels(ns); })));
          continue;
        }
        RUDDER_ASSIGN_OR_RETURN(const PluginFactory* f, defaults.Get(name));
        RUDDER_RETURN_IF_ERROR(registry_.Register(name, *f));
      }
    }
    // Validate the configuration now: a scheduler built and dropped.
    RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<Scheduler> probe, NewScheduler());
    probe.reset();
    if (options_.leader_election.enabled) {
      const LeaderElectionOptions& le = options_.leader_election;
      if (!(le.lease_duration > le.renew_deadline && le.renew_deadline > le.retry_period &&
            le.retry_period > absl::ZeroDuration())) {
        return absl::InvalidArgumentError(
            "leader election: need lease_duration > renew_deadline > retry_period > 0");
      }
      identity_ = le.identity.empty() ? DefaultIdentity() : le.identity;
    }
    if (options_.informers == nullptr) {
      client::FactoryOptions fo;
      fo.defaults.clock = clock_;
      fo.transform = client::StripManagedFields;
      own_factory_ = std::make_unique<client::SharedInformerFactory>(client_, fo);
      factory_ = own_factory_.get();
    } else {
      factory_ = options_.informers;
    }
    RUDDER_ASSIGN_OR_RETURN(pod_informer_, factory_->For<Pod>());
    RUDDER_ASSIGN_OR_RETURN(node_informer_, factory_->For<Node>());
    RUDDER_ASSIGN_OR_RETURN(pdb_informer_, factory_->For<PodDisruptionBudget>());
    RUDDER_ASSIGN_OR_RETURN(ns_informer_, factory_->For<Namespace>());
    if (options_.record_events) {
      record::BroadcasterOptions bo;
      bo.clock = clock_;
      broadcaster_ = record::EventBroadcaster::New(client_, bo);
      recorder_ = broadcaster_->NewRecorder({kComponent, identity_});
    }
    return absl::OkStatus();
  }

  absl::Status Start() {
    {
      MutexLock l(&mu_);
      if (started_ || stopping_) return absl::FailedPreconditionError("already started or stopped");
      started_ = true;
    }
    auto ns_handler = std::make_shared<client::ResourceEventHandlerFuncs>();
    ns_handler->add = [this](const ObjectRef& o, bool) { SetNamespace(o); };
    ns_handler->update = [this](const ObjectRef&, const ObjectRef& o) { SetNamespace(o); };
    ns_handler->del = [this](const ObjectRef& o, bool) { DropNamespace(o); };
    RUDDER_ASSIGN_OR_RETURN(ns_reg_, ns_informer_->AddEventHandler(ns_handler));
    factory_->Start();
    control_ = std::thread([this] { Control(); });
    return absl::OkStatus();
  }

  void Stop() {
    {
      MutexLock l(&mu_);
      stopping_ = true;
      cv_.SignalAll();
    }
    {
      MutexLock l(&elector_mu_);
      if (elector_ != nullptr) elector_->Stop();
    }
    // Stopping our own informers also ends a wait for their first sync.
    if (own_factory_ != nullptr) own_factory_->Shutdown();
    {
      MutexLock l(&control_mu_);
      if (control_.joinable()) control_.join();
    }
    StopTerm();
    if (broadcaster_ != nullptr) broadcaster_->Shutdown();
  }

  bool Ready() const {
    MutexLock l(&mu_);
    return term_ready_;
  }

  bool WaitForReady(absl::Time deadline) const {
    MutexLock l(&mu_);
    while (!term_ready_ && !stopping_ && clock_->Now() < deadline) {
      clock_->WaitUntil(&cv_, &mu_, deadline);
    }
    return term_ready_;
  }

  bool IsLeader() const {
    MutexLock l(&mu_);
    return term_active_;
  }

  std::string Busy() const {
    {
      MutexLock l(&mu_);
      if (stopping_ || !started_) return "";
      if (!synced_) return "scheduler: informers not synced";
      if (!options_.leader_election.enabled && !term_ready_) return "scheduler: starting";
      if (term_active_ && !term_ready_) return "scheduler: loading the cluster";
    }
    {
      MutexLock l(&term_mu_);
      if (term_ != nullptr) {
        Term& t = *term_;
        int64_t finished = t.cycles_finished.load();
        if (t.sched->queue().SchedulingCycle() != finished) return "scheduler: a cycle runs";
        if (t.sched->queue().NumActive() > 0) {
          return absl::StrCat("scheduler: ", t.sched->queue().NumActive(), " pods in activeQ");
        }
      }
    }
    {
      MutexLock l(&pending_mu_);
      if (!pending_.empty()) {
        return absl::StrCat("scheduler: binding ", pending_.begin()->first);
      }
      if (callbacks_running_ > 0) return "scheduler: writing a pod's status";
    }
    if (broadcaster_ != nullptr) {
      record::BroadcasterStats s = broadcaster_->Stats();
      int64_t done = s.created + s.patched + s.rate_limited + s.dropped;
      if (done < events_recorded_.load()) return "scheduler: events being written";
    }
    return "";
  }

  SchedulerRunnerStats Stats() const {
    MutexLock l(&stats_mu_);
    return stats_;
  }

  // Binder.
  absl::Status Bind(const Pod& pod, const std::string& node_name) override {
    api::core::v1::Binding b;
    b.mutable_metadata()->set_name(pod.metadata().name());
    b.mutable_metadata()->set_namespace_(pod.metadata().namespace_());
    b.mutable_metadata()->set_uid(pod.metadata().uid());
    b.mutable_target()->set_kind("Node");
    b.mutable_target()->set_name(node_name);
    return client_->Bind(pod.metadata().namespace_(), b, {});
  }

  // ClusterAccess.
  std::vector<std::shared_ptr<const PodDisruptionBudget>> ListPDBs() const override {
    std::vector<std::shared_ptr<const PodDisruptionBudget>> out;
    for (const ObjectRef& o : pdb_informer_->GetIndexer().List()) {
      if (o->GetDescriptor() != PodDisruptionBudget::descriptor()) continue;
      out.push_back(std::static_pointer_cast<const PodDisruptionBudget>(o));
    }
    return out;
  }

  absl::Status EvictVictim(const Pod& victim, const Pod& preemptor) override {
    const std::string& ns = victim.metadata().namespace_();
    const std::string& name = victim.metadata().name();
    PodCondition c;
    c.set_type("DisruptionTarget");
    c.set_status("True");
    c.set_reason("PreemptionByScheduler");
    c.set_message(absl::StrCat(preemptor.spec().schedulername().empty()
                                   ? std::string(kComponent)
                                   : preemptor.spec().schedulername(),
                               ": preempting to accommodate a higher priority pod"));
    *c.mutable_lasttransitiontime() =
        api::FromAbslTime(absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now())));
    const PodCondition* have = ConditionOf(victim, "DisruptionTarget");
    if (have == nullptr || have->status() != "True") {
      RUDDER_ASSIGN_OR_RETURN(std::string patch, ConditionPatch(c, std::nullopt));
      absl::Status s = client_
                           ->Patch(*pods_kind_, ns, name, client::PatchType::kStrategicMerge, patch,
                                   /*status=*/true, {})
                           .status();
      if (absl::IsNotFound(s)) return absl::OkStatus();
      if (!s.ok()) return s;
    }
    client::DeleteOptions d;
    d.precondition_uid = victim.metadata().uid();
    absl::Status s = client_->Delete(*pods_kind_, ns, name, d).status();
    if (absl::IsNotFound(s)) return absl::OkStatus();
    if (!s.ok()) return s;
    {
      MutexLock l(&stats_mu_);
      ++stats_.evictions;
    }
    Record(victim, record::kEventTypeNormal, "Preempted",
           absl::StrCat("Preempted by pod ", preemptor.metadata().uid(), " on node ",
                        victim.spec().nodename()));
    return absl::OkStatus();
  }

  absl::Status SetNominatedNodeName(const Pod& pod, const std::string& node) override {
    if (pod.status().nominatednodename() == node) return absl::OkStatus();
    std::string patch = absl::StrCat(R"({"status":{"nominatedNodeName":)",
                                     node.empty() ? "null" : JsonQuote(node), "}}");
    absl::Status s = client_
                         ->Patch(*pods_kind_, pod.metadata().namespace_(), pod.metadata().name(),
                                 client::PatchType::kMerge, patch,
                                 /*status=*/true, {})
                         .status();
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  }

 private:
  // One leadership term (the whole run without leader election): a Scheduler fed by handlers.
  struct Term {
    std::unique_ptr<Scheduler> sched;
    std::vector<
        std::pair<client::SharedIndexInformer*, std::shared_ptr<client::HandlerRegistration>>>
        regs;
    std::thread loop;
    std::thread janitor;
    std::atomic<int64_t> cycles_finished{0};
    Mutex mu;
    CondVar cv;
    bool stop ABSL_GUARDED_BY(mu) = false;
  };

  absl::StatusOr<std::unique_ptr<Scheduler>> NewScheduler() {
    SchedulerOptions so;
    so.config = options_.config;
    so.registry = options_.registry != nullptr ? options_.registry : &registry_;
    so.binder = this;
    so.cluster = this;
    so.clock = clock_;
    so.seed = options_.seed;
    so.binding_workers = options_.binding_workers;
    so.assumed_pod_ttl = options_.assumed_pod_ttl;
    so.on_failure = [this](const Pod& pod, const FailureInfo& f) { OnFailure(pod, f); };
    so.on_bound = [this](const Pod& pod, const std::string& node) { OnBound(pod, node); };
    return Scheduler::Create(std::move(so));
  }

  // The control thread: waits for the informers, then schedules (or campaigns).
  void Control() {
    std::vector<client::SharedIndexInformer*> all = {pod_informer_, node_informer_, pdb_informer_,
                                                     ns_informer_};
    while (true) {
      if (Stopping()) return;
      bool synced = true;
      for (auto* i : all) {
        if (i->IsStopped()) return;
        synced = synced && i->HasSynced();
      }
      if (synced) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    {
      MutexLock l(&mu_);
      synced_ = true;
      cv_.SignalAll();
    }
    if (!options_.leader_election.enabled) {
      StartTerm();
      return;
    }
    const LeaderElectionOptions& le = options_.leader_election;
    leaderelection::LeaderElectionConfig c;
    c.lock = leaderelection::NewLeaseLock(client_, le.lease_namespace, le.lease_name, identity_);
    c.lease_duration = le.lease_duration;
    c.renew_deadline = le.renew_deadline;
    c.retry_period = le.retry_period;
    c.release_on_cancel = le.release_on_cancel;
    c.clock = clock_;
    c.name = "scheduler";
    c.callbacks.on_started_leading = [this] { StartTerm(); };
    c.callbacks.on_stopped_leading = [this] { StopTerm(); };
    absl::StatusOr<std::unique_ptr<leaderelection::LeaderElector>> e =
        leaderelection::LeaderElector::New(std::move(c));
    if (!e.ok()) return;  // Validated in Init.
    leaderelection::LeaderElector* elector;
    {
      MutexLock l(&elector_mu_);
      elector_ = *std::move(e);
      elector = elector_.get();
    }
    if (Stopping()) return;
    while (true) {
      {
        MutexLock l(&mu_);
        if (stopping_) break;
      }
      elector->Run();  // Returns when leadership is lost (then campaign again) or on Stop.
      StopTerm();
    }
  }

  void StartTerm() {
    absl::StatusOr<std::unique_ptr<Scheduler>> s = NewScheduler();
    if (!s.ok()) return;
    auto t = std::make_unique<Term>();
    t->sched = *std::move(s);
    Term* term = t.get();
    {
      MutexLock l(&term_mu_);
      term_ = std::move(t);
    }
    {
      MutexLock l(&mu_);
      term_active_ = true;
    }
    Scheduler* sched = term->sched.get();
    // Nodes first, so pods' nodes are known when the pods arrive.
    auto nodes = std::make_shared<client::ResourceEventHandlerFuncs>();
    nodes->add = [this, sched](const ObjectRef& o, bool) {
      (void)sched->AddNode(static_cast<const Node&>(*o));
    };
    nodes->update = [this, sched](const ObjectRef& a, const ObjectRef& b) {
      if (a == b) return;
      (void)sched->UpdateNode(static_cast<const Node&>(*a), static_cast<const Node&>(*b));
    };
    nodes->del = [this, sched](const ObjectRef& o, bool) {
      (void)sched->DeleteNode(static_cast<const Node&>(*o));
    };
    auto pods_funcs = std::make_shared<client::ResourceEventHandlerFuncs>();
    pods_funcs->add = [this, sched](const ObjectRef& o, bool) {
      (void)sched->AddPod(static_cast<const Pod&>(*o));
    };
    pods_funcs->update = [this, sched](const ObjectRef& a, const ObjectRef& b) {
      if (a == b) return;
      (void)sched->UpdatePod(static_cast<const Pod&>(*a), static_cast<const Pod&>(*b));
    };
    pods_funcs->del = [this, sched](const ObjectRef& o, bool) {
      (void)sched->DeletePod(static_cast<const Pod&>(*o));
    };
    auto pods = std::make_shared<client::FilteringResourceEventHandler>(Relevant, pods_funcs);
    for (auto [inf, h] : std::vector<std::pair<client::SharedIndexInformer*,
                                               std::shared_ptr<client::ResourceEventHandler>>>{
             {node_informer_, nodes}, {pod_informer_, pods}}) {
      absl::StatusOr<std::shared_ptr<client::HandlerRegistration>> r =
          inf->AddEventHandler(h, absl::ZeroDuration());
      if (r.ok()) term->regs.push_back({inf, *r});
      // Wait for the handler to have seen the cache before the next kind.
      while (r.ok() && !(*r)->HasSynced() && !Stopping() && !inf->IsStopped()) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    sched->queue().Run();
    term->loop = std::thread([this, term] { Loop(term); });
    term->janitor = std::thread([this, term] {
      MutexLock l(&term->mu);
      while (!term->stop) {
        absl::Time next = clock_->Now() + absl::Seconds(1);
        while (!term->stop && clock_->Now() < next) clock_->WaitUntil(&term->cv, &term->mu, next);
        if (term->stop) break;
        term->mu.Unlock();
        term->sched->cache().CleanupExpiredAssumedPods();
        term->mu.Lock();
      }
    });
    MutexLock l(&mu_);
    term_ready_ = true;
    cv_.SignalAll();
  }

  void StopTerm() {
    std::unique_ptr<Term> t;
    {
      MutexLock l(&term_mu_);
      t = std::move(term_);
    }
    {
      MutexLock l(&mu_);
      term_ready_ = false;
      term_active_ = false;
      cv_.SignalAll();
    }
    if (t == nullptr) return;
    for (auto& [inf, reg] : t->regs) (void)inf->RemoveEventHandler(reg);
    t->sched->queue().Close();
    {
      MutexLock l(&t->mu);
      t->stop = true;
      t->cv.SignalAll();
    }
    if (t->loop.joinable()) t->loop.join();
    if (t->janitor.joinable()) t->janitor.join();
    t->sched->Stop();
    MutexLock l(&pending_mu_);
    pending_.clear();
  }

  bool Stopping() const {
    MutexLock l(&mu_);
    return stopping_;
  }

  // The scheduling loop of a term.
  void Loop(Term* term) {
    while (true) {
      std::vector<std::string> inline_done;
      tl_inline_done_ = &inline_done;
      std::optional<ScheduleResult> r = term->sched->ScheduleOne(/*block=*/true);
      tl_inline_done_ = nullptr;
      if (!r.has_value()) return;
      if (!r->node.empty() &&
          std::find(inline_done.begin(), inline_done.end(), r->pod) == inline_done.end()) {
        MutexLock l(&pending_mu_);
        if (++pending_[r->pod] == 0) pending_.erase(r->pod);
      }
      term->cycles_finished.fetch_add(1);
    }
  }

  // A binding cycle ended (on_bound / on_failure from a binding thread).
  void BindingDone(const std::string& key) {
    if (tl_inline_done_ != nullptr) {
      tl_inline_done_->push_back(key);
      return;
    }
    MutexLock l(&pending_mu_);
    if (--pending_[key] == 0) pending_.erase(key);
  }

  void OnBound(const Pod& pod, const std::string& node) {
    {
      MutexLock l(&stats_mu_);
      ++stats_.bound;
    }
    Record(pod, record::kEventTypeNormal, "Scheduled",
           absl::StrCat("Successfully assigned ", KeyOf(pod), " to ", node));
    BindingDone(KeyOf(pod));
  }

  void OnFailure(const Pod& pod, const FailureInfo& f) {
    {
      MutexLock l(&pending_mu_);
      ++callbacks_running_;
    }
    {
      MutexLock l(&stats_mu_);
      ++stats_.failed_attempts;
    }
    WriteFailure(pod, f);
    Record(pod, record::kEventTypeWarning, "FailedScheduling", f.message);
    {
      MutexLock l(&pending_mu_);
      --callbacks_running_;
    }
    // On the loop thread (a scheduling-cycle failure, or an inline binding cycle) nothing was
    // pending; from a binding thread, the pod's binding cycle is over.
    BindingDone(KeyOf(pod));
  }

  void WriteFailure(const Pod& pod, const FailureInfo& f) {
    PodCondition c;
    c.set_type("PodScheduled");
    c.set_status("False");
    c.set_reason(f.reason.empty() ? "Unschedulable" : f.reason);
    c.set_message(f.message);
    const PodCondition* have = ConditionOf(pod, "PodScheduled");
    std::optional<std::string> nominated;
    if (!f.nominated_node.empty() && f.nominated_node != pod.status().nominatednodename()) {
      nominated = f.nominated_node;
    }
    if (have != nullptr && have->status() == c.status() && have->reason() == c.reason() &&
        have->message() == c.message() && !nominated.has_value()) {
      return;  // Nothing changed.
    }
    absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now()));
    if (have != nullptr && have->status() == c.status()) {
      *c.mutable_lasttransitiontime() = have->lasttransitiontime();
    } else {
      *c.mutable_lasttransitiontime() = api::FromAbslTime(now);
    }
    absl::StatusOr<std::string> patch = ConditionPatch(c, nominated);
    if (!patch.ok()) return;
    absl::Status s = client_
                         ->Patch(*pods_kind_, pod.metadata().namespace_(), pod.metadata().name(),
                                 client::PatchType::kStrategicMerge, *patch, /*status=*/true, {})
                         .status();
    if (s.ok()) {
      MutexLock l(&stats_mu_);
      ++stats_.status_writes;
    }
  }

  void Record(const Pod& pod, const char* type, const std::string& reason,
              const std::string& message) {
    if (recorder_ == nullptr) return;
    events_recorded_.fetch_add(1);
    recorder_->Event(pod, type, reason, message);
  }

  // Namespaces' labels for InterPodAffinity's namespaceSelector. Replaced label maps are kept
  // until the runner goes, so a pointer handed out stays valid while a plugin reads it.
  const google::protobuf::Map<std::string, std::string>* NamespaceLabels(std::string_view ns) {
    MutexLock l(&ns_mu_);
    auto it = namespaces_.find(std::string(ns));
    if (it == namespaces_.end()) return nullptr;
    return &static_cast<const Namespace&>(*it->second).metadata().labels();
  }
  void SetNamespace(const ObjectRef& o) {
    MutexLock l(&ns_mu_);
    ObjectRef& slot = namespaces_[api::GetObjectMeta(*o)->name()];
    if (slot != nullptr) retired_.push_back(std::move(slot));
    slot = o;
  }
  void DropNamespace(const ObjectRef& o) {
    MutexLock l(&ns_mu_);
    auto it = namespaces_.find(api::GetObjectMeta(*o)->name());
    if (it == namespaces_.end()) return;
    retired_.push_back(std::move(it->second));
    namespaces_.erase(it);
  }

  client::Client* const client_;
  const SchedulerRunnerOptions options_;
  Clock* const clock_;
  PluginRegistry registry_;
  std::shared_ptr<const api::KindInfo> pods_kind_;
  std::string identity_;

  std::unique_ptr<client::SharedInformerFactory> own_factory_;
  client::SharedInformerFactory* factory_ = nullptr;
  client::SharedIndexInformer* pod_informer_ = nullptr;
  client::SharedIndexInformer* node_informer_ = nullptr;
  client::SharedIndexInformer* pdb_informer_ = nullptr;
  client::SharedIndexInformer* ns_informer_ = nullptr;
  std::shared_ptr<client::HandlerRegistration> ns_reg_;
  std::unique_ptr<record::EventBroadcaster> broadcaster_;
  std::unique_ptr<record::EventRecorder> recorder_;
  std::atomic<int64_t> events_recorded_{0};

  mutable Mutex mu_;
  mutable CondVar cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool term_active_ ABSL_GUARDED_BY(mu_) = false;
  bool term_ready_ ABSL_GUARDED_BY(mu_) = false;

  Mutex control_mu_;
  std::thread control_;
  Mutex elector_mu_;
  std::unique_ptr<leaderelection::LeaderElector> elector_ ABSL_GUARDED_BY(elector_mu_);

  mutable Mutex term_mu_;
  std::unique_ptr<Term> term_ ABSL_GUARDED_BY(term_mu_);

  mutable Mutex pending_mu_;
  // namespace/name -> binding cycles started minus finished (may dip below zero briefly).
  absl::flat_hash_map<std::string, int> pending_ ABSL_GUARDED_BY(pending_mu_);
  int callbacks_running_ ABSL_GUARDED_BY(pending_mu_) = 0;

  mutable Mutex stats_mu_;
  SchedulerRunnerStats stats_ ABSL_GUARDED_BY(stats_mu_);

  Mutex ns_mu_;
  absl::flat_hash_map<std::string, ObjectRef> namespaces_ ABSL_GUARDED_BY(ns_mu_);
  std::vector<ObjectRef> retired_ ABSL_GUARDED_BY(ns_mu_);

  // The loop thread's list of pods whose binding cycle ended inside ScheduleOne.
  static thread_local std::vector<std::string>* tl_inline_done_;
};

thread_local std::vector<std::string>* SchedulerRunner::Impl::tl_inline_done_ = nullptr;

absl::StatusOr<std::unique_ptr<SchedulerRunner>> SchedulerRunner::New(
    client::Client* client, SchedulerRunnerOptions options) {
  if (client == nullptr) return absl::InvalidArgumentError("SchedulerRunner: no client");
  auto impl = std::make_unique<Impl>(client, std::move(options));
  RUDDER_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<SchedulerRunner>(new SchedulerRunner(std::move(impl)));
}

SchedulerRunner::SchedulerRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchedulerRunner::~SchedulerRunner() { impl_->Stop(); }

absl::Status SchedulerRunner::Start() { return impl_->Start(); }
void SchedulerRunner::Stop() { impl_->Stop(); }
bool SchedulerRunner::Ready() const { return impl_->Ready(); }
bool SchedulerRunner::WaitForReady(absl::Time deadline) const {
  return impl_->WaitForReady(deadline);
}
bool SchedulerRunner::IsLeader() const { return impl_->IsLeader(); }
bool SchedulerRunner::Idle() const { return impl_->Busy().empty(); }
std::string SchedulerRunner::Busy() const { return impl_->Busy(); }
SchedulerRunnerStats SchedulerRunner::Stats() const { return impl_->Stats(); }

}  // namespace rudder::sched::kube
