#include "lib/controllers/runtime/manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/controllers/runtime/internal/cached_client.h"

namespace rudder::ctrl {

namespace internal {

// Feeds one watch of a controller from one cluster's informer.
class WatchHandler : public client::ResourceEventHandler {
 public:
  WatchHandler(Controller* controller, Watch watch, std::string cluster)
      : controller_(controller), watch_(std::move(watch)), cluster_(std::move(cluster)) {}

  void OnAdd(const client::ObjectRef& obj, bool is_initial_list) override {
    for (const PredicatePtr& p : watch_.predicates) {
      if (!p->Create(*obj)) return;
    }
    Map(*obj);
  }
  void OnUpdate(const client::ObjectRef& old_obj, const client::ObjectRef& new_obj) override {
    for (const PredicatePtr& p : watch_.predicates) {
      if (!p->Update(*old_obj, *new_obj)) return;
    }
    Map(*new_obj);
    if (watch_.handler.map_old_on_update && old_obj != new_obj) Map(*old_obj);
  }
  void OnDelete(const client::ObjectRef& obj, bool final_state_unknown) override {
    for (const PredicatePtr& p : watch_.predicates) {
      if (!p->Delete(*obj)) return;
    }
    Map(*obj);
  }

 private:
  void Map(const Object& obj) {
    if (!watch_.handler.map) return;
    for (Request r : watch_.handler.map(obj)) {
      if (r.cluster.empty()) r.cluster = cluster_;
      controller_->Enqueue(r);
    }
  }

  Controller* const controller_;
  const Watch watch_;
  const std::string cluster_;
};

}  // namespace internal

// --- Cluster

Cluster::Cluster(std::string name, client::Client* direct, const ManagerOptions& options,
                 Clock* clock)
    : name_(std::move(name)), direct_(direct) {
  client::FactoryOptions fo;
  fo.defaults = options.informer;
  fo.defaults.clock = clock;
  factory_ = std::make_unique<client::SharedInformerFactory>(direct, fo);
  cached_ = std::make_unique<internal::CachedClient>(direct, factory_.get());
  record::BroadcasterOptions eo = options.events;
  eo.clock = clock;
  events_ = record::EventBroadcaster::New(direct, eo);
}

Cluster::~Cluster() {
  events_->Shutdown();
  factory_->Shutdown();
}

client::Client* Cluster::GetClient() const { return cached_.get(); }

std::unique_ptr<record::EventRecorder> Cluster::GetEventRecorderFor(const std::string& component) {
  return events_->NewRecorder({.component = component});
}

int64_t Cluster::CacheReads() const { return cached_->Stats().cache_reads; }
int64_t Cluster::DirectReads() const { return cached_->Stats().direct_reads; }

// --- Manager

absl::StatusOr<std::unique_ptr<Manager>> Manager::New(client::Client* client,
                                                      ManagerOptions options) {
  if (client == nullptr) return absl::InvalidArgumentError("client: required");
  if (options.shard.count < 1 || options.shard.id < 0 || options.shard.id >= options.shard.count) {
    return absl::InvalidArgumentError(
        absl::StrCat("shard.id: must be in [0, ", options.shard.count, ")"));
  }
  const LeaderElectionOptions& le = options.leader_election;
  if (le.enabled && (le.lease_name.empty() || le.lease_namespace.empty())) {
    return absl::InvalidArgumentError(
        "leaderElection.leaseName: the lease namespace and name are required");
  }
  if (le.enabled && le.identity.empty()) {
    return absl::InvalidArgumentError("leaderElection.identity: required");
  }
  std::unique_ptr<Manager> m(new Manager(client, std::move(options)));
  if (m->options_.leader_election.enabled) {
    const LeaderElectionOptions& le = m->options_.leader_election;
    leaderelection::LeaderElectionConfig config;
    config.lock =
        leaderelection::NewLeaseLock(client, le.lease_namespace, le.lease_name, le.identity);
    config.lease_duration = le.lease_duration;
    config.renew_deadline = le.renew_deadline;
    config.retry_period = le.retry_period;
    config.release_on_cancel = le.release_on_cancel;
    config.clock = m->clock_;
    Manager* self = m.get();
    config.callbacks.on_started_leading = [self] { self->SetLeading(true); };
    config.callbacks.on_stopped_leading = [self] { self->SetLeading(false); };
    absl::StatusOr<std::unique_ptr<leaderelection::LeaderElector>> elector =
        leaderelection::LeaderElector::New(std::move(config));
    if (!elector.ok()) return elector.status();
    m->elector_ = *std::move(elector);
  }
  return m;
}

Manager::Manager(client::Client* client, ManagerOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
      fake_(FakeClock::From(clock_)),
      client_(client) {
  MutexLock lock(&mu_);
  clusters_[""] = std::shared_ptr<Cluster>(new Cluster("", client, options_, clock_));
}

Manager::~Manager() {
  Stop();
  MutexLock ops(&ops_mu_);
  controllers_.clear();
}

std::shared_ptr<Cluster> Manager::GetCluster(const std::string& name) const {
  MutexLock lock(&mu_);
  auto it = clusters_.find(name);
  return it == clusters_.end() ? nullptr : it->second;
}

std::vector<std::string> Manager::ClusterNames() const {
  MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, c] : clusters_) out.push_back(name);
  return out;
}

client::Client* Manager::GetClient() const { return GetCluster("")->GetClient(); }
api::Scheme& Manager::scheme() const { return client_->scheme(); }

Controller* Manager::GetController(const std::string& name) const {
  MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<std::string> Manager::ControllerNames() const {
  MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, c] : by_name_) out.push_back(name);
  return out;
}

bool Manager::IsLeader() const {
  MutexLock lock(&mu_);
  if (elector_ == nullptr) return running_ && !stopping_;
  return leading_;
}

bool Manager::ShouldRun(const Controller& c) const {
  if (!started_) return false;
  if (elector_ == nullptr || !c.options().need_leader_election) return true;
  return leader_applied_;
}

absl::Status Manager::Engage(Entry* e, const std::shared_ptr<Cluster>& cluster) {
  Engagement& g = e->engaged[cluster->name()];
  std::vector<client::SharedIndexInformer*> informers;
  for (const Watch& w : e->controller->watches()) {
    std::shared_ptr<const api::KindInfo> kind = cluster->scheme().ByKind(w.gvk);
    if (kind == nullptr) {
      Disengage(e, cluster->name());
      return absl::NotFoundError(absl::StrCat("controller ", e->controller->name(), ": kind ",
                                              w.gvk.ToString(), " is not registered in cluster \"",
                                              cluster->name(), "\""));
    }
    absl::StatusOr<client::SharedIndexInformer*> informer =
        w.informer.has_value() ? cluster->GetInformers()->For(kind, *w.informer)
                               : cluster->GetInformers()->For(kind);
    if (!informer.ok()) {
      Disengage(e, cluster->name());
      return informer.status();
    }
    auto handler =
        std::make_shared<internal::WatchHandler>(e->controller.get(), w, cluster->name());
    absl::StatusOr<std::shared_ptr<client::HandlerRegistration>> reg =
        (*informer)->AddEventHandler(handler);
    if (!reg.ok()) {
      Disengage(e, cluster->name());
      return reg.status();
    }
    g.handlers.emplace_back(*informer, *reg);
    g.keep.push_back(std::move(handler));
    informers.push_back(*informer);
  }
  absl::Time deadline = clock_->Now() + e->controller->options().cache_sync_timeout;
  bool synced = true;
  for (client::SharedIndexInformer* informer : informers) {
    synced = synced && informer->WaitForCacheSync(deadline);
  }
  if (!synced) {
    Disengage(e, cluster->name());
    return absl::DeadlineExceededError(absl::StrCat("controller ", e->controller->name(),
                                                    ": caches of cluster \"", cluster->name(),
                                                    "\" did not sync"));
  }
  return absl::OkStatus();
}

void Manager::Disengage(Entry* e, const std::string& cluster) {
  auto it = e->engaged.find(cluster);
  if (it == e->engaged.end()) return;
  for (auto& [informer, reg] : it->second.handlers) {
    informer->RemoveEventHandler(reg).IgnoreError();  // NotFound once the informer stopped.
  }
  e->engaged.erase(it);
}

absl::Status Manager::StartController(Entry* e) {
  if (e->running) return absl::OkStatus();
  absl::Status s = e->controller->Start();
  if (!s.ok()) return s;
  e->running = true;
  std::vector<std::shared_ptr<Cluster>> clusters;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, c] : clusters_) {
      if (name.empty() || e->controller->options().multi_cluster) clusters.push_back(c);
    }
  }
  for (const std::shared_ptr<Cluster>& c : clusters) {
    s = Engage(e, c);
    if (!s.ok()) {
      StopController(e);
      return s;
    }
  }
  return absl::OkStatus();
}

void Manager::StopController(Entry* e) {
  std::vector<std::string> clusters;
  for (const auto& [name, g] : e->engaged) clusters.push_back(name);
  for (const std::string& name : clusters) Disengage(e, name);
  e->controller->Stop();
  e->running = false;
}

absl::Status Manager::Add(std::unique_ptr<Controller> controller) {
  if (controller == nullptr) return absl::InvalidArgumentError("controller: required");
  const std::string name = controller->name();
  if (name.empty()) return absl::InvalidArgumentError("controller.name: required");
  MutexLock ops(&ops_mu_);
  {
    MutexLock lock(&mu_);
    if (stopping_ || stopped_) return absl::FailedPreconditionError("the manager is stopped");
  }
  if (controllers_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("controller \"", name, "\" already exists"));
  }
  controller->SetDefaults(clock_, options_.shard);
  controller->SetRequestFilter([this](const Request& r) {
    MutexLock lock(&mu_);
    return clusters_.contains(r.cluster);
  });
  controller->Seal();
  Entry& e = controllers_[name];
  e.controller = std::move(controller);
  if (ShouldRun(*e.controller)) {
    absl::Status s = StartController(&e);
    if (!s.ok()) {
      controllers_.erase(name);
      return s;
    }
  }
  MutexLock lock(&mu_);
  by_name_[name] = e.controller.get();
  return absl::OkStatus();
}

absl::Status Manager::Remove(const std::string& name) {
  MutexLock ops(&ops_mu_);
  auto it = controllers_.find(name);
  if (it == controllers_.end()) {
    return absl::NotFoundError(absl::StrCat("controller \"", name, "\" not found"));
  }
  StopController(&it->second);
  {
    MutexLock lock(&mu_);
    by_name_.erase(name);
  }
  controllers_.erase(it);
  return absl::OkStatus();
}

absl::Status Manager::AddCluster(const std::string& name, client::Client* client) {
  if (name.empty()) return absl::InvalidArgumentError("name: a cluster name is required");
  if (client == nullptr) return absl::InvalidArgumentError("client: required");
  MutexLock ops(&ops_mu_);
  std::shared_ptr<Cluster> cluster;
  {
    MutexLock lock(&mu_);
    if (stopping_ || stopped_) return absl::FailedPreconditionError("the manager is stopped");
    if (clusters_.contains(name)) {
      return absl::AlreadyExistsError(absl::StrCat("cluster \"", name, "\" already exists"));
    }
    cluster = std::shared_ptr<Cluster>(new Cluster(name, client, options_, clock_));
    clusters_[name] = cluster;
  }
  if (!started_) return absl::OkStatus();
  cluster->GetInformers()->Start();
  for (auto& [cname, e] : controllers_) {
    if (!e.running || !e.controller->options().multi_cluster) continue;
    absl::Status s = Engage(&e, cluster);
    if (!s.ok()) {
      for (auto& [other, e2] : controllers_) Disengage(&e2, name);
      MutexLock lock(&mu_);
      clusters_.erase(name);
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Manager::RemoveCluster(const std::string& name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("name: the manager's own cluster cannot be removed");
  }
  MutexLock ops(&ops_mu_);
  std::shared_ptr<Cluster> cluster;
  {
    MutexLock lock(&mu_);
    auto it = clusters_.find(name);
    if (it == clusters_.end()) {
      return absl::NotFoundError(absl::StrCat("cluster \"", name, "\" not found"));
    }
    cluster = it->second;
    clusters_.erase(it);  // From now on its queued requests are dropped.
  }
  for (auto& [cname, e] : controllers_) Disengage(&e, name);
  cluster->GetInformers()->Shutdown();
  return absl::OkStatus();
}

absl::Status Manager::Start() {
  MutexLock ops(&ops_mu_);
  {
    MutexLock lock(&mu_);
    if (stopping_ || stopped_) return absl::FailedPreconditionError("the manager is stopped");
  }
  if (started_) return absl::FailedPreconditionError("the manager is already started");
  started_ = true;
  {
    MutexLock lock(&mu_);
    running_ = true;
  }
  for (const std::string& name : ClusterNames()) GetCluster(name)->GetInformers()->Start();
  absl::Status first;
  for (auto& [name, e] : controllers_) {
    if (!ShouldRun(*e.controller)) continue;
    absl::Status s = StartController(&e);
    if (!s.ok() && first.ok()) first = s;
  }
  if (elector_ != nullptr) {
    // The campaign's first attempt is work in flight on a FakeClock until the election thread
    // holds the clock itself (see ElectionLoop).
    if (fake_ != nullptr) fake_->AddWork(1);
    election_thread_ = std::thread([this] { ElectionLoop(); });
    leader_thread_ = std::thread([this] { LeaderLoop(); });
  }
  return first;
}

void Manager::SetLeading(bool leading) {
  MutexLock lock(&mu_);
  leading_ = leading;
  // Until LeaderLoop has started or stopped the controllers, the change is work in flight
  // (not once the manager stops: Stop stops the controllers itself).
  if (fake_ != nullptr && !stopping_ && !apply_pending_ && leading_ != leader_applied_shadow_) {
    apply_pending_ = true;
    fake_->AddWork(1);
  }
  cv_.SignalAll();
}

void Manager::ElectionLoop() {
  if (fake_ != nullptr) {
    // Hand the startup's count on to this thread: a wait that is due at once makes the thread
    // count as in flight (FakeClock) until it waits again, that is until the first attempt is
    // done and the elector waits for its next one.
    Mutex mu;
    CondVar cv;
    {
      MutexLock lock(&mu);
      fake_->WaitUntil(&cv, &mu, fake_->Now());
    }
    fake_->AddWork(-1);
  }
  while (true) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
    }
    elector_->Run();  // Returns when leadership is lost (campaign again) or on Stop.
  }
}

void Manager::LeaderLoop() {
  while (true) {
    {
      MutexLock lock(&mu_);
      while (!stopping_ && leading_ == leader_applied_shadow_ && !apply_pending_) {
        cv_.Wait(&mu_);
      }
      if (stopping_) return;
    }
    MutexLock ops(&ops_mu_);
    bool leading;
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      leading = leading_;
      leader_applied_shadow_ = leading;
    }
    if (leading != leader_applied_) {
      leader_applied_ = leading;
      for (auto& [name, e] : controllers_) {
        if (!e.controller->options().need_leader_election) continue;
        if (leading) {
          StartController(&e).IgnoreError();  // A controller that cannot start stays stopped.
        } else {
          StopController(&e);
        }
      }
    }
    MutexLock lock(&mu_);
    if (apply_pending_ && leading_ == leader_applied_shadow_) {
      apply_pending_ = false;
      fake_->AddWork(-1);
    }
  }
}

void Manager::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopped_ || stopping_) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  if (leader_thread_.joinable()) leader_thread_.join();
  {
    MutexLock lock(&mu_);
    if (apply_pending_) {  // Never applied: the controllers stop below anyway.
      apply_pending_ = false;
      fake_->AddWork(-1);
    }
  }
  {
    // Controllers stop first, so a successor never runs alongside them.
    MutexLock ops(&ops_mu_);
    for (auto& [name, e] : controllers_) StopController(&e);
    leader_applied_ = false;
  }
  if (elector_ != nullptr) elector_->Stop();  // Releases the lease if configured.
  if (election_thread_.joinable()) election_thread_.join();
  {
    MutexLock ops(&ops_mu_);
    for (const std::string& name : ClusterNames()) GetCluster(name)->GetInformers()->Shutdown();
  }
  MutexLock lock(&mu_);
  leading_ = false;
  running_ = false;
  stopped_ = true;
}

}  // namespace rudder::ctrl
