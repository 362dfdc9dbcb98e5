#include "lib/client/informer/shared_informer.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/api/labels/fields.h"
#include "lib/api/labels/selector.h"
#include "lib/api/object/object.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/base/mutex.h"
#include "lib/client/informer/internal/listener.h"
#include "lib/store/store.h"

namespace rudder::client {

void StripManagedFields(Object* obj) {
  const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*obj);
  if (m == nullptr || m->managedfields_size() == 0) return;
  // Swap the entries out so their memory is freed (clear() keeps them for reuse).
  google::protobuf::RepeatedPtrField<api::meta::v1::ManagedFieldsEntry> gone;
  gone.Swap(api::MutableObjectMeta(obj)->mutable_managedfields());
}

namespace {

using internal::Listener;
using internal::Notification;

constexpr absl::Duration kMinimumResync = absl::Seconds(1);
// How often a watch wait wakes to look at the clock (watch timeouts) in real time.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(50);
// Most watch events applied under one lock and handed to handlers at once.
constexpr size_t kMaxBatch = 256;

// Whether `s` means the requested resourceVersion is gone (410): relist.
bool IsExpired(const absl::Status& s) {
  if (s.ok()) return false;
  if (store::IsCompacted(s)) return true;
  api::meta::v1::Status st = apiserver::ToApiStatus(s);
  return st.code() == 410 || st.reason() == "Expired" || st.reason() == "Gone";
}

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class SharedIndexInformerImpl : public SharedIndexInformer {
 public:
  SharedIndexInformerImpl(Client* client, std::shared_ptr<const api::KindInfo> kind,
                          const InformerOptions& options)
      : client_(client),
        kind_(std::move(kind)),
        options_(options),
        clock_(options.clock != nullptr ? options.clock : Clock::Real()),
        ns_(kind_->namespaced ? options.ns : std::string()),
        share_(client->SharesCachedObjects()),
        indexer_(NewIndexer()) {
    rng_ = options.seed != 0 ? options.seed : reinterpret_cast<uintptr_t>(this);
  }

  ~SharedIndexInformerImpl() override { Stop(); }

  const api::KindInfo& kind() const override { return *kind_; }

  absl::StatusOr<std::shared_ptr<HandlerRegistration>> AddEventHandler(
      std::shared_ptr<ResourceEventHandler> handler,
      std::optional<absl::Duration> resync) override {
    if (handler == nullptr) return absl::InvalidArgumentError("handler: must not be null");
    absl::Duration period = resync.has_value() ? *resync : options_.resync;
    if (period < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("resync: must not be negative");
    }
    if (period > absl::ZeroDuration() && period < kMinimumResync) period = kMinimumResync;
    auto listener = std::make_shared<Listener>(std::move(handler), period, FakeClock::From(clock_));
    MutexLock l(&mu_);
    if (stopped_) {
      return absl::FailedPreconditionError("handler was not added to a stopped informer");
    }
    if (period > absl::ZeroDuration()) listener->next_resync = clock_->Now() + period;
    if (synced_) {
      // The current contents, as if they had just been listed.
      for (ObjectRef& o : indexer_->List()) {
        listener->Push({Notification::Type::kAdd, nullptr, std::move(o), true});
      }
      listener->Push({Notification::Type::kSynced, nullptr, nullptr, false});
    }
    listeners_.push_back(listener);
    listener->Start();
    cv_.SignalAll();  // the resync thread may have a new deadline
    return std::shared_ptr<HandlerRegistration>(listener);
  }

  absl::Status RemoveEventHandler(const std::shared_ptr<HandlerRegistration>& reg) override {
    std::shared_ptr<Listener> found;
    {
      MutexLock l(&mu_);
      auto it = std::find_if(listeners_.begin(), listeners_.end(),
                             [&](const std::shared_ptr<Listener>& li) { return li == reg; });
      if (it == listeners_.end()) {
        return absl::NotFoundError("handler registration not found in this informer");
      }
      found = std::move(*it);
      listeners_.erase(it);
    }
    found->Stop();
    return absl::OkStatus();
  }

  const Indexer& GetIndexer() const override { return *indexer_; }

  absl::Status AddIndexers(const Indexers& indexers) override {
    return indexer_->AddIndexers(indexers);
  }

  absl::Status SetTransform(TransformFunc transform) override {
    MutexLock l(&mu_);
    if (started_) return absl::FailedPreconditionError("informer has already started");
    transform_ = std::move(transform);
    return absl::OkStatus();
  }

  absl::Status SetWatchErrorHandler(WatchErrorHandler handler) override {
    MutexLock l(&mu_);
    if (started_) return absl::FailedPreconditionError("informer has already started");
    error_handler_ = std::move(handler);
    return absl::OkStatus();
  }

  void Start() override {
    MutexLock l(&mu_);
    if (started_ || stopped_) return;
    started_ = true;
    reflector_ = std::thread([this] { ReflectorLoop(); });
    resyncer_ = std::thread([this] { ResyncLoop(); });
  }

  void Stop() override {
    std::vector<std::shared_ptr<Listener>> listeners;
    {
      MutexLock l(&mu_);
      if (stopped_) return;
      stopped_ = true;
      stop_flag_.store(true, std::memory_order_release);
      if (watcher_ != nullptr) watcher_->Cancel();
      listeners.swap(listeners_);
      cv_.SignalAll();
    }
    for (std::thread* t : {&reflector_, &resyncer_}) {
      if (!t->joinable()) continue;
      if (t->get_id() == std::this_thread::get_id()) {
        t->detach();
      } else {
        t->join();
      }
    }
    for (const std::shared_ptr<Listener>& li : listeners) li->Stop();
  }

  bool IsStopped() const override {
    MutexLock l(&mu_);
    return stopped_;
  }

  bool HasSynced() const override {
    MutexLock l(&mu_);
    return synced_;
  }

  bool WaitForCacheSync(absl::Time deadline) override {
    MutexLock l(&mu_);
    while (!synced_ && !stopped_) {
      if (deadline == absl::InfiniteFuture()) {
        cv_.Wait(&mu_);  // no clock arithmetic with an infinite deadline
      } else if (clock_->WaitUntil(&cv_, &mu_, deadline) && !synced_) {
        break;
      }
    }
    return synced_;
  }

  std::string LastSyncResourceVersion() const override {
    MutexLock l(&mu_);
    return last_rv_;
  }

  InformerStats Stats() const override {
    MutexLock l(&mu_);
    return stats_;
  }

 private:
  bool Stopping() const { return stop_flag_.load(std::memory_order_acquire); }

  // --- Reflector.

  void ReflectorLoop() {
    bool need_list = true;
    while (!Stopping()) {
      if (need_list) {
        absl::Status s = ListOnce();
        if (Stopping()) return;
        if (!s.ok()) {
          ReportError(s);
          Backoff();
          continue;
        }
        need_list = false;
      }
      bool watch_started = false;
      absl::Status s = WatchOnce(&watch_started);
      if (Stopping()) return;
      if (s.ok()) continue;  // ended or timed out: resume from the last resourceVersion
      if (IsExpired(s)) {
        need_list = true;  // 410: relist at once
        NoteRelistCause(s);
        continue;
      }
      ReportError(s);
      // An error event ends the watch: relist (client-go). A failed watch request is retried.
      if (watch_started) {
        need_list = true;
        NoteRelistCause(s);
      }
      Backoff();
    }
  }

  void NoteRelistCause(const absl::Status& s) {
    MutexLock l(&mu_);
    stats_.last_relist_cause = s.ToString();
  }

  void ReportError(const absl::Status& s) {
    WatchErrorHandler handler;
    {
      MutexLock l(&mu_);
      handler = error_handler_;
    }
    if (handler) handler(s);
  }

  // Waits out the next back-off delay on the clock (or until stopped).
  void Backoff() {
    MutexLock l(&mu_);
    absl::Time now = clock_->Now();
    if (backoff_ == absl::ZeroDuration() || now - last_backoff_ > options_.backoff_reset) {
      backoff_ = options_.initial_backoff;
    } else {
      backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    }
    last_backoff_ = now;
    double jitter = static_cast<double>(SplitMix(&rng_) >> 11) / static_cast<double>(1ULL << 53);
    absl::Time deadline = now + backoff_ + backoff_ * jitter;
    while (!stopped_ && clock_->Now() < deadline) clock_->WaitUntil(&cv_, &mu_, deadline);
  }

  ObjectRef Freeze(ObjectPtr obj, const TransformFunc& transform) {
    if (transform) transform(obj.get());
    return ObjectRef(std::move(obj));
  }

  // The object to cache for a list item or watch event: `shared` (the server's own immutable
  // object) when there is one, as it is unless a transform other than StripManagedFields must
  // rewrite a copy; else `owned`, transformed.
  ObjectRef Take(ObjectPtr owned, ObjectRef shared, const TransformFunc& transform) {
    if (shared == nullptr) return owned == nullptr ? nullptr : Freeze(std::move(owned), transform);
    if (!transform || IsStripManagedFields(transform)) return shared;
    ObjectPtr copy(shared->New());
    copy->CopyFrom(*shared);
    return Freeze(std::move(copy), transform);
  }

  static bool IsStripManagedFields(const TransformFunc& transform) {
    auto* const* fn = transform.target<void (*)(Object*)>();
    return fn != nullptr && *fn == &StripManagedFields;
  }

  // `obj` itself, or the cached object with the same key and resourceVersion (the same
  // content), so a relist does not hold a second copy of what did not change.
  ObjectRef Dedup(ObjectRef obj) {
    const api::meta::v1::ObjectMeta* nm = api::GetObjectMeta(*obj);
    if (nm == nullptr || nm->resourceversion().empty()) return obj;
    ObjectRef old = indexer_->Get(ObjectKey(*obj));
    if (old == nullptr || old == obj) return obj;
    const api::meta::v1::ObjectMeta* om = api::GetObjectMeta(*old);
    if (om != nullptr && om->resourceversion() == nm->resourceversion() &&
        old->GetDescriptor() == obj->GetDescriptor()) {
      return old;
    }
    return obj;
  }

  // Lists the kind (in pages) and replaces the cache with the result.
  absl::Status ListOnce() {
    std::string rv;
    TransformFunc transform;
    {
      MutexLock l(&mu_);
      // First list: "0" (any recent state, the server's cache may answer). Later: not older
      // than what was seen. After a 410: the latest.
      rv = relist_latest_ ? std::string() : (last_rv_.empty() ? "0" : last_rv_);
      transform = transform_;
    }
    std::vector<ObjectRef> items;
    ListOptions lo;
    lo.label_selector = options_.label_selector;
    lo.field_selector = options_.field_selector;
    lo.resource_version = rv;
    // Shared objects are not copied, so paging (which bounds what a response copies) would
    // only send the later pages to the store, which decodes copies: one request.
    lo.limit = share_ ? 0 : options_.page_size;
    lo.share_cached_objects = share_;
    int64_t list_rv = 0;
    while (true) {
      absl::StatusOr<ListResult> page = client_->List(*kind_, ns_, lo);
      if (!page.ok()) {
        if (IsExpired(page.status())) {
          MutexLock l(&mu_);
          if (!relist_latest_) {
            relist_latest_ = true;  // retry at once with the latest state
            lo.continue_token.clear();
            lo.resource_version.clear();
            items.clear();
            continue;
          }
        }
        return page.status();
      }
      if (Stopping()) return absl::CancelledError("informer stopped");
      // Each page is matched with the cache at once: what did not change is kept as cached
      // and the listed copy freed, so a relist never holds two copies of the whole list.
      for (ObjectPtr& o : page->items) {
        if (o != nullptr) items.push_back(Dedup(Freeze(std::move(o), transform)));
      }
      for (ObjectRef& o : page->shared_items) {
        if (o != nullptr) items.push_back(Dedup(Take(nullptr, std::move(o), transform)));
      }
      if (list_rv == 0) list_rv = page->resource_version;
      // Every page of a list is read at its first page's revision.
      if (page->continue_token.empty()) break;
      lo.continue_token = std::move(page->continue_token);
      lo.resource_version.clear();
    }
    Replace(std::move(items), absl::StrCat(list_rv));
    return absl::OkStatus();
  }

  // Applies a complete list: adds and updates for what was listed, tombstone deletes for what
  // vanished.
  void Replace(std::vector<ObjectRef> items, std::string rv) {
    MutexLock l(&mu_);
    bool initial = !synced_;
    absl::flat_hash_set<std::string> listed;
    listed.reserve(items.size());
    for (ObjectRef& o : items) {
      std::string key = ObjectKey(*o);
      ObjectRef old = indexer_->Get(key);
      listed.insert(std::move(key));
      if (old != nullptr) {
        const api::meta::v1::ObjectMeta* om = api::GetObjectMeta(*old);
        const api::meta::v1::ObjectMeta* nm = api::GetObjectMeta(*o);
        // Unchanged: keep the cached object (no new memory), still announced as an update.
        if (om != nullptr && nm != nullptr && !om->resourceversion().empty() &&
            om->resourceversion() == nm->resourceversion()) {
          o = old;
        } else {
          indexer_->Update(o);
        }
        Distribute({Notification::Type::kUpdate, std::move(old), std::move(o), false});
      } else {
        indexer_->Add(o);
        Distribute({Notification::Type::kAdd, nullptr, std::move(o), initial});
      }
    }
    for (const std::string& key : indexer_->ListKeys()) {
      if (listed.contains(key)) continue;
      ObjectRef gone = indexer_->Delete(key);
      if (gone != nullptr)
        Distribute({Notification::Type::kDelete, nullptr, std::move(gone), true});
    }
    last_rv_ = std::move(rv);
    relist_latest_ = false;
    if (stats_.lists++ > 0) stats_.relists++;
    if (!synced_) {
      synced_ = true;
      Distribute({Notification::Type::kSynced, nullptr, nullptr, false});
    }
    Flush();
    cv_.SignalAll();
  }

  // Queues a notification for every handler; Flush() hands the queued ones over.
  void Distribute(Notification n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!listeners_.empty()) batch_.push_back(std::move(n));
  }
  // Hands the queued notifications to every handler, one lock and wake-up per handler. Called
  // before mu_ is released, so handlers added later never miss or repeat a change.
  void Flush() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (batch_.empty()) return;
    for (const std::shared_ptr<Listener>& li : listeners_) li->PushBatch(batch_);
    batch_.clear();
  }

  // Watches from the last resourceVersion until the watch ends, times out, fails or the
  // informer stops. OK when it ended without an error.
  absl::Status WatchOnce(bool* started) {
    WatchOptions wo;
    wo.selectors.label_selector = options_.label_selector;
    wo.selectors.field_selector = options_.field_selector;
    wo.allow_bookmarks = true;
    wo.share_cached_objects = share_;
    TransformFunc transform;
    {
      MutexLock l(&mu_);
      wo.resource_version = last_rv_;
      transform = transform_;
    }
    absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = client_->Watch(*kind_, ns_, wo);
    if (!w.ok()) return w.status();
    *started = true;
    absl::Time timeout_at = absl::InfiniteFuture();
    {
      MutexLock l(&mu_);
      if (stopped_) return absl::OkStatus();
      watcher_ = w->get();
      stats_.watches++;
      if (options_.watch_timeout > absl::ZeroDuration()) {
        double r = static_cast<double>(SplitMix(&rng_) >> 11) / static_cast<double>(1ULL << 53);
        timeout_at = clock_->Now() + options_.watch_timeout + options_.watch_timeout * r;
      }
    }
    absl::Status result = absl::OkStatus();
    std::vector<ObjectEvent> events;
    while (!Stopping() && result.ok()) {
      if (clock_->Now() >= timeout_at) break;
      // Take what has arrived (up to kMaxBatch events) and apply it under one lock.
      events.clear();
      std::optional<ObjectEvent> e = (*w)->Next(kWatchPoll);
      while (e.has_value()) {
        if (e->type == "ERROR") {
          result = e->error.ok() ? absl::UnknownError("watch ended with an error event") : e->error;
          break;
        }
        events.push_back(*std::move(e));
        if (events.size() >= kMaxBatch) break;
        e = (*w)->Next(absl::ZeroDuration());
      }
      if (events.empty()) continue;
      std::vector<ObjectRef> objs(events.size());
      for (size_t i = 0; i < events.size(); ++i) {
        if (events[i].type == "BOOKMARK") continue;
        objs[i] = Take(std::move(events[i].object), std::move(events[i].shared), transform);
      }
      MutexLock l(&mu_);
      if (stopped_) break;
      for (size_t i = 0; i < events.size(); ++i) {
        const ObjectEvent& ev = events[i];
        if (ev.type == "BOOKMARK") {
          const api::meta::v1::ObjectMeta* m =
              ev.object == nullptr ? nullptr : api::GetObjectMeta(*ev.object);
          if (m != nullptr && !m->resourceversion().empty()) last_rv_ = m->resourceversion();
          continue;
        }
        ObjectRef& obj = objs[i];
        const api::meta::v1::ObjectMeta* m = obj == nullptr ? nullptr : api::GetObjectMeta(*obj);
        if (m == nullptr) continue;
        stats_.watch_events++;
        if (!m->resourceversion().empty()) last_rv_ = m->resourceversion();
        std::string key = ObjectKey(*obj);
        if (ev.type == "DELETED") {
          indexer_->Delete(key);
          Distribute({Notification::Type::kDelete, nullptr, std::move(obj), false});
        } else {
          ObjectRef old = indexer_->Get(key);
          indexer_->Add(obj);
          if (old != nullptr) {
            Distribute({Notification::Type::kUpdate, std::move(old), std::move(obj), false});
          } else {
            Distribute({Notification::Type::kAdd, nullptr, std::move(obj), false});
          }
        }
      }
      Flush();
    }
    MutexLock l(&mu_);
    watcher_ = nullptr;
    return result;
  }

  // --- Resync.

  void ResyncLoop() {
    MutexLock l(&mu_);
    while (!stopped_) {
      absl::Time next = absl::InfiniteFuture();
      for (const std::shared_ptr<Listener>& li : listeners_) {
        if (li->resync() > absl::ZeroDuration()) next = std::min(next, li->next_resync);
      }
      absl::Time now = clock_->Now();
      if (next == absl::InfiniteFuture()) {
        cv_.Wait(&mu_);
        continue;
      }
      if (now < next) {
        clock_->WaitUntil(&cv_, &mu_, next);
        continue;
      }
      std::vector<ObjectRef> objs;
      bool listed = false;
      for (const std::shared_ptr<Listener>& li : listeners_) {
        if (li->resync() <= absl::ZeroDuration() || li->next_resync > now) continue;
        // Skip periods that passed entirely (the clock jumped), keeping the phase.
        while (li->next_resync <= now) li->next_resync += li->resync();
        if (!synced_) continue;
        if (!listed) {
          objs = indexer_->List();
          listed = true;
        }
        std::vector<Notification> batch;
        batch.reserve(objs.size());
        for (const ObjectRef& o : objs) batch.push_back({Notification::Type::kUpdate, o, o, false});
        li->PushBatch(batch);
      }
    }
  }

  Client* const client_;
  const std::shared_ptr<const api::KindInfo> kind_;
  const InformerOptions options_;
  Clock* const clock_;
  const std::string ns_;
  // The client hands out the server's cached objects (in process): cache those, not copies.
  const bool share_;
  const std::unique_ptr<Indexer> indexer_;
  std::atomic<bool> stop_flag_{false};

  mutable Mutex mu_;
  CondVar cv_;  // stop, sync, new handlers
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool relist_latest_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_rv_ ABSL_GUARDED_BY(mu_);
  InformerStats stats_ ABSL_GUARDED_BY(mu_);
  TransformFunc transform_ ABSL_GUARDED_BY(mu_);
  WatchErrorHandler error_handler_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Listener>> listeners_ ABSL_GUARDED_BY(mu_);
  std::vector<Notification> batch_ ABSL_GUARDED_BY(mu_);  // see Distribute/Flush
  ObjectWatcher* watcher_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t rng_ ABSL_GUARDED_BY(mu_);
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time last_backoff_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread reflector_;
  std::thread resyncer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SharedIndexInformer>> NewSharedIndexInformer(
    Client* client, std::shared_ptr<const api::KindInfo> kind, const InformerOptions& options) {
  if (client == nullptr) return absl::InvalidArgumentError("client: must not be null");
  if (kind == nullptr) return absl::InvalidArgumentError("kind: must not be null");
  if (!options.label_selector.empty()) {
    absl::StatusOr<api::labels::Selector> s = api::labels::Selector::Parse(options.label_selector);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("labelSelector: ", s.status().message()));
    }
  }
  if (!options.field_selector.empty()) {
    absl::StatusOr<api::fields::Selector> s = api::fields::Selector::Parse(options.field_selector);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("fieldSelector: ", s.status().message()));
    }
  }
  struct Named {
    const char* name;
    absl::Duration d;
  };
  for (const Named& n :
       {Named{"resync", options.resync}, Named{"watchTimeout", options.watch_timeout},
        Named{"initialBackoff", options.initial_backoff}, Named{"maxBackoff", options.max_backoff},
        Named{"backoffReset", options.backoff_reset}}) {
    if (n.d < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(n.name, ": must not be negative"));
    }
  }
  if (options.page_size < 0) return absl::InvalidArgumentError("pageSize: must not be negative");
  return std::unique_ptr<SharedIndexInformer>(
      std::make_unique<SharedIndexInformerImpl>(client, std::move(kind), options));
}

bool WaitForCacheSync(const std::vector<SharedIndexInformer*>& informers, absl::Time deadline) {
  bool all = true;
  for (SharedIndexInformer* i : informers) all = i->WaitForCacheSync(deadline) && all;
  return all;
}

}  // namespace rudder::client
