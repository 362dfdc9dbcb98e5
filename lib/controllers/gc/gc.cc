#include "lib/controllers/gc/gc.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/api/object/object.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/status_macros.h"
#include "lib/client/workqueue/rate_limiter.h"

namespace rudder::controllers {

namespace {

using api::meta::v1::ObjectMeta;
using api::meta::v1::OwnerReference;

bool HasFinalizerIn(const ObjectMeta& m, const char* f) {
  return std::find(m.finalizers().begin(), m.finalizers().end(), f) != m.finalizers().end();
}

bool Serves(const api::KindInfo& kind, const char* verb) {
  return std::find(kind.verbs.begin(), kind.verbs.end(), verb) != kind.verbs.end();
}

}  // namespace

// Feeds one kind's informer events into the graph.
class GarbageCollector::Handler : public client::ResourceEventHandler {
 public:
  Handler(GarbageCollector* gc, std::shared_ptr<const api::KindInfo> kind)
      : gc_(gc), kind_(std::move(kind)) {}
  void OnAdd(const client::ObjectRef& obj, bool) override { gc_->Observe(kind_, *obj); }
  void OnUpdate(const client::ObjectRef&, const client::ObjectRef& obj) override {
    gc_->Observe(kind_, *obj);
  }
  void OnDelete(const client::ObjectRef& obj, bool) override { gc_->Forget(*obj); }

 private:
  GarbageCollector* const gc_;
  const std::shared_ptr<const api::KindInfo> kind_;
};

absl::StatusOr<std::unique_ptr<GarbageCollector>> GarbageCollector::New(
    client::Client* client, client::SharedInformerFactory* informers,
    GarbageCollectorOptions options) {
  if (client == nullptr || informers == nullptr) {
    return absl::InvalidArgumentError("garbage collector: client and informers are required");
  }
  return std::unique_ptr<GarbageCollector>(
      new GarbageCollector(client, informers, std::move(options)));
}

GarbageCollector::GarbageCollector(client::Client* client, client::SharedInformerFactory* informers,
                                   GarbageCollectorOptions options)
    : client_(client),
      informers_(informers),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {
  workqueue::QueueOptions q;
  q.name = "garbagecollector";
  q.clock = clock_;
  queue_ = std::make_unique<workqueue::RateLimitingQueue<std::string>>(
      workqueue::DefaultControllerRateLimiter<std::string>(clock_), std::move(q));
}

GarbageCollector::~GarbageCollector() { Stop(); }

absl::Status GarbageCollector::WatchKind(const std::shared_ptr<const api::KindInfo>& kind) {
  if (!Serves(*kind, "list") || !Serves(*kind, "watch") || !Serves(*kind, "delete")) {
    return absl::OkStatus();
  }
  for (const api::GroupVersionKind& g : options_.ignored) {
    if (g == kind->gvk) return absl::OkStatus();
  }
  std::string key = kind->gvk.ToString();
  {
    MutexLock l(&mu_);
    if (!watched_.insert(key).second) return absl::OkStatus();
  }
  RUDDER_ASSIGN_OR_RETURN(client::SharedIndexInformer * informer, informers_->For(kind));
  auto handler = std::make_shared<Handler>(this, kind);
  RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<client::HandlerRegistration> reg,
                          informer->AddEventHandler(handler, absl::ZeroDuration()));
  informer->Start();
  MutexLock l(&mu_);
  registrations_.emplace_back(informer, std::move(reg));
  handlers_.push_back(std::move(handler));
  return absl::OkStatus();
}

absl::Status GarbageCollector::SyncKinds() {
  for (const std::shared_ptr<const api::KindInfo>& kind : client_->scheme().All()) {
    RUDDER_RETURN_IF_ERROR(WatchKind(kind));
  }
  return absl::OkStatus();
}

absl::Status GarbageCollector::Start() {
  {
    MutexLock l(&mu_);
    if (started_ || stopped_) return absl::FailedPreconditionError("garbage collector started");
    started_ = true;
  }
  RUDDER_RETURN_IF_ERROR(SyncKinds());
  absl::Time deadline = clock_->Now() + options_.cache_sync_timeout;
  std::vector<std::pair<client::SharedIndexInformer*, std::shared_ptr<client::HandlerRegistration>>>
      regs;
  {
    MutexLock l(&mu_);
    regs = registrations_;
  }
  for (auto& [informer, reg] : regs) {
    if (!informer->WaitForCacheSync(deadline)) {
      return absl::DeadlineExceededError(
          absl::StrCat("garbage collector: cache of ", informer->kind().plural, " not synced"));
    }
  }
  worker_ = std::thread([this] { Work(); });
  return absl::OkStatus();
}

void GarbageCollector::Stop() {
  std::vector<std::pair<client::SharedIndexInformer*, std::shared_ptr<client::HandlerRegistration>>>
      regs;
  {
    MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
    regs.swap(registrations_);
  }
  for (auto& [informer, reg] : regs) (void)informer->RemoveEventHandler(reg);
  queue_->ShutDown();
  if (worker_.joinable()) worker_.join();
}

bool GarbageCollector::Idle() const {
  MutexLock l(&mu_);
  return busy_ == 0 && queue_->Len() == 0;
}

size_t GarbageCollector::GraphSize() const {
  MutexLock l(&mu_);
  return nodes_.size();
}

GarbageCollectorMetrics GarbageCollector::Metrics() const {
  MutexLock l(&mu_);
  return metrics_;
}

void GarbageCollector::EnqueueLocked(const std::string& uid) { queue_->Add(uid); }

void GarbageCollector::Observe(const std::shared_ptr<const api::KindInfo>& kind,
                               const client::Object& obj) {
  const ObjectMeta* m = api::GetObjectMeta(obj);
  if (m == nullptr || m->uid().empty()) return;
  MutexLock l(&mu_);
  Node& n = nodes_[m->uid()];
  for (const OwnerReference& o : n.owners) {
    auto it = dependents_.find(o.uid());
    if (it != dependents_.end()) {
      it->second.erase(m->uid());
      if (it->second.empty()) dependents_.erase(it);
    }
  }
  n.kind = kind;
  n.ns = m->namespace_();
  n.name = m->name();
  n.uid = m->uid();
  n.owners.assign(m->ownerreferences().begin(), m->ownerreferences().end());
  n.deleting = m->has_deletiontimestamp();
  n.foreground = HasFinalizerIn(*m, apiserver::kFinalizerForeground);
  n.orphan = HasFinalizerIn(*m, apiserver::kFinalizerOrphan);
  for (const OwnerReference& o : n.owners) {
    dependents_[o.uid()].insert(n.uid);
    // An owner waiting for its dependents re-checks them when one changes.
    auto it = nodes_.find(o.uid());
    if (it != nodes_.end() && it->second.deleting) EnqueueLocked(o.uid());
  }
  if (!n.owners.empty() || (n.deleting && (n.foreground || n.orphan))) EnqueueLocked(n.uid);
}

void GarbageCollector::Forget(const client::Object& obj) {
  const ObjectMeta* m = api::GetObjectMeta(obj);
  if (m == nullptr || m->uid().empty()) return;
  MutexLock l(&mu_);
  auto it = nodes_.find(m->uid());
  if (it == nodes_.end()) return;
  for (const OwnerReference& o : it->second.owners) {
    auto d = dependents_.find(o.uid());
    if (d != dependents_.end()) {
      d->second.erase(m->uid());
      if (d->second.empty()) dependents_.erase(d);
    }
    if (nodes_.contains(o.uid())) EnqueueLocked(o.uid());
  }
  nodes_.erase(it);
  // Its dependents lost an owner.
  auto d = dependents_.find(m->uid());
  if (d != dependents_.end()) {
    for (const std::string& dep : d->second) EnqueueLocked(dep);
  }
}

void GarbageCollector::Work() {
  while (std::optional<std::string> uid = queue_->Get()) {
    {
      MutexLock l(&mu_);
      ++busy_;
    }
    absl::Status s = Process(*uid);
    if (s.ok()) {
      queue_->Forget(*uid);
    } else {
      queue_->AddRateLimited(*uid);
    }
    queue_->Done(*uid);
    MutexLock l(&mu_);
    if (!s.ok()) ++metrics_.errors;
    --busy_;
  }
}

absl::Status GarbageCollector::Process(const std::string& uid) {
  Node node;
  {
    MutexLock l(&mu_);
    auto it = nodes_.find(uid);
    if (it == nodes_.end()) return absl::OkStatus();
    node = it->second;
  }
  if (node.deleting && node.orphan) return ProcessOrphan(node);
  if (node.deleting && node.foreground) return ProcessForeground(node);
  if (node.deleting) return absl::OkStatus();
  return ProcessDependent(node);
}

absl::Status GarbageCollector::Mutate(const Node& node,
                                      const std::function<bool(client::Object*)>& mutate) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    absl::StatusOr<client::ObjectPtr> live = client_->Get(*node.kind, node.ns, node.name);
    if (absl::IsNotFound(live.status())) return absl::OkStatus();
    if (!live.ok()) return live.status();
    const ObjectMeta* m = api::GetObjectMeta(**live);
    if (m == nullptr || m->uid() != node.uid) return absl::OkStatus();
    if (!mutate(live->get())) return absl::OkStatus();
    absl::StatusOr<client::ObjectPtr> r =
        client_->Update(*node.kind, node.ns, *std::move(live), /*status=*/false, {});
    if (r.ok() || absl::IsNotFound(r.status())) return absl::OkStatus();
    if (!absl::IsAborted(r.status())) return r.status();
  }
  return absl::AbortedError(absl::StrCat("garbage collector: conflicts updating ", node.name));
}

absl::Status GarbageCollector::DeleteNode(const Node& node, const char* policy) {
  apiserver::DeleteOptions o;
  o.precondition_uid = node.uid;
  o.propagation_policy = policy;
  absl::StatusOr<client::ObjectPtr> r = client_->Delete(*node.kind, node.ns, node.name, o);
  // Gone already, or replaced by another object of the same name (uid precondition).
  if (absl::IsNotFound(r.status()) || absl::IsAborted(r.status())) return absl::OkStatus();
  if (r.ok()) {
    MutexLock l(&mu_);
    ++metrics_.deleted;
  }
  return r.status();
}

absl::Status GarbageCollector::ProcessOrphan(const Node& owner) {
  std::vector<Node> deps;
  {
    MutexLock l(&mu_);
    auto d = dependents_.find(owner.uid);
    if (d != dependents_.end()) {
      for (const std::string& uid : d->second) {
        auto it = nodes_.find(uid);
        if (it != nodes_.end()) deps.push_back(it->second);
      }
    }
  }
  for (const Node& dep : deps) {
    bool changed = false;
    RUDDER_RETURN_IF_ERROR(Mutate(dep, [&](client::Object* obj) {
      auto* refs = api::MutableObjectMeta(obj)->mutable_ownerreferences();
      int before = refs->size();
      for (int i = refs->size() - 1; i >= 0; --i) {
        if (refs->Get(i).uid() == owner.uid) refs->DeleteSubrange(i, 1);
      }
      changed = refs->size() != before;
      return changed;
    }));
    if (changed) {
      MutexLock l(&mu_);
      ++metrics_.orphaned;
    }
  }
  RUDDER_RETURN_IF_ERROR(Mutate(owner, [](client::Object* obj) {
    auto* f = api::MutableObjectMeta(obj)->mutable_finalizers();
    int before = f->size();
    for (int i = f->size() - 1; i >= 0; --i) {
      if (f->Get(i) == apiserver::kFinalizerOrphan) f->DeleteSubrange(i, 1);
    }
    return f->size() != before;
  }));
  MutexLock l(&mu_);
  ++metrics_.finalized;
  return absl::OkStatus();
}

absl::Status GarbageCollector::ProcessForeground(const Node& owner) {
  std::vector<std::pair<Node, bool>> deps;  // Dependent, whether it has dependents.
  bool blocked = false;
  {
    MutexLock l(&mu_);
    auto d = dependents_.find(owner.uid);
    if (d != dependents_.end()) {
      for (const std::string& uid : d->second) {
        auto it = nodes_.find(uid);
        if (it == nodes_.end()) continue;
        for (const OwnerReference& ref : it->second.owners) {
          if (ref.uid() == owner.uid && ref.blockownerdeletion()) blocked = true;
        }
        deps.emplace_back(it->second, dependents_.contains(uid));
      }
    }
  }
  for (const auto& [dep, has_dependents] : deps) {
    if (dep.deleting) continue;
    RUDDER_RETURN_IF_ERROR(DeleteNode(dep, has_dependents ? apiserver::kPropagationForeground
                                                          : apiserver::kPropagationBackground));
  }
  if (blocked) return absl::OkStatus();  // Re-enqueued as blocking dependents go away.
  RUDDER_RETURN_IF_ERROR(Mutate(owner, [](client::Object* obj) {
    auto* f = api::MutableObjectMeta(obj)->mutable_finalizers();
    int before = f->size();
    for (int i = f->size() - 1; i >= 0; --i) {
      if (f->Get(i) == apiserver::kFinalizerForeground) f->DeleteSubrange(i, 1);
    }
    return f->size() != before;
  }));
  MutexLock l(&mu_);
  ++metrics_.finalized;
  return absl::OkStatus();
}

absl::Status GarbageCollector::ProcessDependent(const Node& node) {
  if (node.owners.empty()) return absl::OkStatus();
  std::vector<std::string> solid, dangling, waiting;  // Owner uids.
  for (const OwnerReference& ref : node.owners) {
    bool known = false, ref_deleting = false, ref_foreground = false;
    {
      MutexLock l(&mu_);
      auto it = nodes_.find(ref.uid());
      if (it != nodes_.end()) {
        known = true;
        ref_deleting = it->second.deleting;
        ref_foreground = it->second.foreground;
      }
    }
    if (!known) {
      // Not in the graph (yet): ask the API server.
      absl::StatusOr<api::GroupVersionKind> gvk =
          api::GroupVersionKind::FromApiVersion(ref.apiversion(), ref.kind());
      std::shared_ptr<const api::KindInfo> kind =
          gvk.ok() ? client_->scheme().ByKind(*gvk) : nullptr;
      if (kind == nullptr) {
        solid.push_back(ref.uid());  // Unknown kinds are never presumed gone.
        continue;
      }
      absl::StatusOr<client::ObjectPtr> owner =
          client_->Get(*kind, kind->namespaced ? node.ns : "", ref.name());
      if (absl::IsNotFound(owner.status())) {
        dangling.push_back(ref.uid());
        continue;
      }
      if (!owner.ok()) return owner.status();
      const ObjectMeta* m = api::GetObjectMeta(**owner);
      if (m == nullptr || m->uid() != ref.uid()) {
        dangling.push_back(ref.uid());
        continue;
      }
      ref_deleting = m->has_deletiontimestamp();
      ref_foreground = HasFinalizerIn(*m, apiserver::kFinalizerForeground);
    }
    if (ref_deleting && ref_foreground) {
      waiting.push_back(ref.uid());
    } else {
      solid.push_back(ref.uid());
    }
  }
  if (!solid.empty()) {
    if (dangling.empty() && waiting.empty()) return absl::OkStatus();
    int removed = 0;
    RUDDER_RETURN_IF_ERROR(Mutate(node, [&](client::Object* obj) {
      auto* refs = api::MutableObjectMeta(obj)->mutable_ownerreferences();
      removed = 0;
      for (int i = refs->size() - 1; i >= 0; --i) {
        const std::string& u = refs->Get(i).uid();
        if (std::find(dangling.begin(), dangling.end(), u) != dangling.end() ||
            std::find(waiting.begin(), waiting.end(), u) != waiting.end()) {
          refs->DeleteSubrange(i, 1);
          ++removed;
        }
      }
      return removed > 0;
    }));
    MutexLock l(&mu_);
    metrics_.dangling_removed += removed;
    return absl::OkStatus();
  }
  bool has_dependents;
  {
    MutexLock l(&mu_);
    has_dependents = dependents_.contains(node.uid);
  }
  if (!waiting.empty() && has_dependents) {
    return DeleteNode(node, apiserver::kPropagationForeground);
  }
  return DeleteNode(node, apiserver::kPropagationBackground);
}

}  // namespace rudder::controllers
