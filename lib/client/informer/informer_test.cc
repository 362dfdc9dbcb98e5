#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/client/informer/factory.h"
#include "lib/client/informer/lister.h"
#include "lib/client/informer/shared_informer.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::client {
namespace {

using api::core::v1::ConfigMap;
using api::core::v1::Secret;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::UnorderedElementsAre;

// Waits (in real time) for `cond`; fails the test with `what` if it never holds. The bound only
// catches hangs: no assertion depends on timing.
bool WaitFor(const std::function<bool()>& cond, const std::string& what) {
  absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (!cond()) {
    if (absl::Now() > give_up) {
      ADD_FAILURE() << "timed out waiting for " << what;
      return false;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Records every notification as text: "add ns/name rv [initial]", "update ns/name rv->rv",
// "resync ns/name", "delete ns/name [tombstone]".
class Recorder : public ResourceEventHandler {
 public:
  void OnAdd(const ObjectRef& obj, bool initial) override {
    Record(absl::StrCat("add ", ObjectKey(*obj), initial ? " initial" : ""));
  }
  void OnUpdate(const ObjectRef& old_obj, const ObjectRef& new_obj) override {
    if (old_obj == new_obj) {
      Record(absl::StrCat("resync ", ObjectKey(*new_obj)));
      return;
    }
    Record(absl::StrCat("update ", ObjectKey(*new_obj)));
  }
  void OnDelete(const ObjectRef& obj, bool tombstone) override {
    Record(absl::StrCat("delete ", ObjectKey(*obj), tombstone ? " tombstone" : ""));
  }
  std::vector<std::string> events() const {
    MutexLock l(&mu_);
    return events_;
  }
  size_t size() const {
    MutexLock l(&mu_);
    return events_.size();
  }
  size_t Count(const std::string& prefix) const {
    MutexLock l(&mu_);
    size_t n = 0;
    for (const std::string& e : events_) n += e.rfind(prefix, 0) == 0;
    return n;
  }

 private:
  void Record(std::string e) {
    MutexLock l(&mu_);
    events_.push_back(std::move(e));
  }
  mutable Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

// A Client that forwards to another and lets a test hold back watches, fail lists, and count
// calls.
class GatedClient : public Client {
 public:
  explicit GatedClient(Client* inner) : inner_(inner) {}
  api::Scheme& scheme() const override { return inner_->scheme(); }
  absl::StatusOr<ObjectPtr> Create(const api::KindInfo& k, const std::string& ns, ObjectPtr o,
                                   const WriteOptions& w) override {
    return inner_->Create(k, ns, std::move(o), w);
  }
  absl::StatusOr<ObjectPtr> Get(const api::KindInfo& k, const std::string& ns,
                                const std::string& n) override {
    return inner_->Get(k, ns, n);
  }
  // Forwards the inner client's sharing of cached objects only when a test asks for it.
  bool SharesCachedObjects() const override { return share_ && inner_->SharesCachedObjects(); }
  void set_share(bool share) { share_ = share; }
  absl::StatusOr<ListResult> List(const api::KindInfo& k, const std::string& ns,
                                  const ListOptions& o) override {
    {
      MutexLock l(&mu_);
      lists_.push_back(o);
      if (!list_error_.ok()) return list_error_;
    }
    return inner_->List(k, ns, o);
  }
  absl::StatusOr<ObjectPtr> Update(const api::KindInfo& k, const std::string& ns, ObjectPtr o,
                                   bool s, const WriteOptions& w) override {
    return inner_->Update(k, ns, std::move(o), s, w);
  }
  absl::StatusOr<ObjectPtr> Patch(const api::KindInfo& k, const std::string& ns,
                                  const std::string& n, PatchType t, const std::string& p, bool s,
                                  const WriteOptions& w) override {
    return inner_->Patch(k, ns, n, t, p, s, w);
  }
  absl::StatusOr<ObjectPtr> Delete(const api::KindInfo& k, const std::string& ns,
                                   const std::string& n, const DeleteOptions& o) override {
    return inner_->Delete(k, ns, n, o);
  }
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const api::KindInfo& k,
                                                       const std::string& ns,
                                                       const WatchOptions& o) override {
    {
      MutexLock l(&mu_);
      watch_rvs_.push_back(o.resource_version);
      if (!watch_error_.ok()) {
        ++rejected_watches_;
        return watch_error_;
      }
    }
    absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = inner_->Watch(k, ns, o);
    if (!w.ok()) return w;
    ++watches_;
    return std::unique_ptr<ObjectWatcher>(std::make_unique<Injecting>(this, *std::move(w)));
  }
  // Makes the live watch end with an ERROR event carrying `s`.
  void InjectWatchError(absl::Status s) {
    MutexLock l(&mu_);
    inject_ = std::move(s);
  }
  absl::StatusOr<std::unique_ptr<Scale>> GetScale(const api::KindInfo& k, const std::string& ns,
                                                  const std::string& n) override {
    return inner_->GetScale(k, ns, n);
  }
  absl::StatusOr<std::unique_ptr<Scale>> UpdateScale(const api::KindInfo& k, const std::string& ns,
                                                     const std::string& n,
                                                     const Scale& s) override {
    return inner_->UpdateScale(k, ns, n, s);
  }

  // Forwards a watch, ending it with an injected error when asked.
  class Injecting : public ObjectWatcher {
   public:
    Injecting(GatedClient* c, std::unique_ptr<ObjectWatcher> w) : c_(c), w_(std::move(w)) {}
    std::optional<ObjectEvent> Next(absl::Duration timeout) override {
      {
        MutexLock l(&c_->mu_);
        if (!c_->inject_.ok()) {
          ObjectEvent e;
          e.type = "ERROR";
          e.error = std::move(c_->inject_);
          c_->inject_ = absl::OkStatus();
          return e;
        }
      }
      return w_->Next(std::min(timeout, absl::Milliseconds(5)));
    }
    void Cancel() override { w_->Cancel(); }

   private:
    GatedClient* c_;
    std::unique_ptr<ObjectWatcher> w_;
  };

  void SetWatchError(absl::Status s) {
    MutexLock l(&mu_);
    watch_error_ = std::move(s);
  }
  void SetListError(absl::Status s) {
    MutexLock l(&mu_);
    list_error_ = std::move(s);
  }
  int rejected_watches() const {
    MutexLock l(&mu_);
    return rejected_watches_;
  }
  int watches() const { return watches_.load(); }
  std::vector<ListOptions> lists() const {
    MutexLock l(&mu_);
    return lists_;
  }
  std::vector<std::string> watch_rvs() const {
    MutexLock l(&mu_);
    return watch_rvs_;
  }

 private:
  Client* inner_;
  mutable Mutex mu_;
  absl::Status watch_error_ ABSL_GUARDED_BY(mu_);
  absl::Status list_error_ ABSL_GUARDED_BY(mu_);
  absl::Status inject_ ABSL_GUARDED_BY(mu_);
  int rejected_watches_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<ListOptions> lists_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> watch_rvs_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> watches_{0};
  bool share_ = false;
};

class InformerTest : public ::testing::Test {
 protected:
  void SetUpCluster(apiserver::RegistryOptions ro = {}) {
    store::MemoryStoreOptions so;
    so.clock = &store_clock_;
    so.progress_notify_interval = absl::Seconds(5);
    store_ = *store::NewMemoryStore(so);
    scheme_ = api::NewBuiltinScheme();
    registry_ = std::make_unique<apiserver::Registry>(store_.get(), scheme_.get(), ro);
    inner_ = NewInProcessClient(registry_.get());
    client_ = std::make_unique<GatedClient>(inner_.get());
    cms_ = std::make_unique<TypedClient<ConfigMap>>(client_.get());
  }
  void SetUp() override { SetUpCluster(); }

  InformerOptions Options() {
    InformerOptions o;
    o.clock = &clock_;
    o.seed = 1;
    return o;
  }
  std::unique_ptr<SharedIndexInformer> NewInformer(const InformerOptions& o) {
    absl::StatusOr<std::shared_ptr<const api::KindInfo>> kind =
        KindFor(client_->scheme(), ConfigMap::descriptor());
    EXPECT_TRUE(kind.ok());
    absl::StatusOr<std::unique_ptr<SharedIndexInformer>> inf =
        NewSharedIndexInformer(client_.get(), *kind, o);
    EXPECT_TRUE(inf.ok()) << inf.status();
    return *std::move(inf);
  }

  void CreateCm(const std::string& ns, const std::string& name,
                std::map<std::string, std::string> labels = {}) {
    ConfigMap cm;
    cm.mutable_metadata()->set_namespace_(ns);
    cm.mutable_metadata()->set_name(name);
    for (auto& [k, v] : labels) (*cm.mutable_metadata()->mutable_labels())[k] = v;
    absl::StatusOr<std::unique_ptr<ConfigMap>> r = cms_->Create(cm);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  void UpdateCm(const std::string& ns, const std::string& name, const std::string& value) {
    absl::StatusOr<std::unique_ptr<ConfigMap>> cm = cms_->Get(ns, name);
    ASSERT_TRUE(cm.ok()) << cm.status();
    (*(*cm)->mutable_data())["v"] = value;
    ASSERT_TRUE(cms_->Update(**cm).ok());
  }
  void DeleteCm(const std::string& ns, const std::string& name) {
    ASSERT_TRUE(cms_->Delete(ns, name).ok());
  }
  int64_t Revision() { return *store_->CurrentRevision(); }

  FakeClock clock_;
  FakeClock store_clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<apiserver::Registry> registry_;
  std::unique_ptr<Client> inner_;
  std::unique_ptr<GatedClient> client_;
  std::unique_ptr<TypedClient<ConfigMap>> cms_;
};

TEST_F(InformerTest, ListThenWatchSeesEverythingInOrder) {
  CreateCm("a", "one");
  CreateCm("a", "two");
  CreateCm("b", "three");
  InformerOptions o = Options();
  o.page_size = 2;  // the list takes two pages
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(o);
  auto rec = std::make_shared<Recorder>();
  absl::StatusOr<std::shared_ptr<HandlerRegistration>> reg = inf->AddEventHandler(rec);
  ASSERT_TRUE(reg.ok());
  EXPECT_FALSE(inf->HasSynced());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  EXPECT_EQ(inf->GetIndexer().Size(), 3u);
  ASSERT_TRUE(WaitFor([&] { return (*reg)->HasSynced(); }, "handler sync"));
  EXPECT_THAT(rec->events(), UnorderedElementsAre("add a/one initial", "add a/two initial",
                                                  "add b/three initial"));

  // The first list is read at "0", in pages of two.
  std::vector<ListOptions> lists = client_->lists();
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].resource_version, "0");
  EXPECT_EQ(lists[0].limit, 2);
  EXPECT_FALSE(lists[1].continue_token.empty());

  // The watch starts at the list's resourceVersion.
  ASSERT_TRUE(WaitFor([&] { return client_->watches() == 1; }, "watch"));
  EXPECT_EQ(client_->watch_rvs()[0], inf->LastSyncResourceVersion());

  CreateCm("a", "four");
  UpdateCm("a", "one", "x");
  DeleteCm("a", "two");
  UpdateCm("a", "four", "y");
  ASSERT_TRUE(WaitFor([&] { return rec->size() == 7; }, "watch events"));
  std::vector<std::string> ev = rec->events();
  EXPECT_THAT(std::vector<std::string>(ev.begin() + 3, ev.end()),
              ElementsAre("add a/four", "update a/one", "delete a/two", "update a/four"));
  EXPECT_EQ(inf->LastSyncResourceVersion(), absl::StrCat(Revision()));
  EXPECT_THAT(inf->GetIndexer().ListKeys(), UnorderedElementsAre("a/one", "a/four", "b/three"));
  inf->Stop();
  EXPECT_TRUE(inf->IsStopped());
}

TEST_F(InformerTest, ObjectsAreSharedNotCopied) {
  CreateCm("a", "one");
  Mutex mu;
  std::vector<const Object*> seen;
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  for (int i = 0; i < 3; ++i) {
    auto h = std::make_shared<ResourceEventHandlerFuncs>();
    h->add = [&](const ObjectRef& o, bool) {
      MutexLock l(&mu);
      seen.push_back(o.get());
    };
    ASSERT_TRUE(inf->AddEventHandler(h).ok());
  }
  inf->Start();
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock l(&mu);
        return seen.size() == 3;
      },
      "adds"));
  ObjectRef cached = inf->GetIndexer().Get("a", "one");
  MutexLock l(&mu);
  EXPECT_THAT(seen, ElementsAre(cached.get(), cached.get(), cached.get()));
}

TEST_F(InformerTest, InProcessInformersShareTheServersObjects) {
  client_->set_share(true);
  CreateCm("a", "listed");
  std::unique_ptr<SharedIndexInformer> first = NewInformer(Options());
  std::unique_ptr<SharedIndexInformer> second = NewInformer(Options());
  ASSERT_TRUE(second->SetTransform(StripManagedFields).ok());
  std::unique_ptr<SharedIndexInformer> labelled = NewInformer(Options());
  ASSERT_TRUE(labelled
                  ->SetTransform([](Object* o) {
                    (*api::MutableObjectMeta(o)->mutable_labels())["seen"] = "yes";
                  })
                  .ok());
  for (SharedIndexInformer* inf : {first.get(), second.get(), labelled.get()}) {
    inf->Start();
    ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  }
  ASSERT_TRUE(client_->lists()[0].share_cached_objects);
  EXPECT_EQ(client_->lists()[0].limit, 0);  // one unpaged list, all of it from the cache
  CreateCm("a", "watched");
  ASSERT_TRUE(WaitFor(
      [&] {
        return first->GetIndexer().Size() == 2 && second->GetIndexer().Size() == 2 &&
               labelled->GetIndexer().Size() == 2;
      },
      "watched object in every cache"));
  for (const char* name : {"listed", "watched"}) {
    SCOPED_TRACE(name);
    ObjectRef a = first->GetIndexer().Get("a", name);
    ObjectRef b = second->GetIndexer().Get("a", name);
    ObjectRef c = labelled->GetIndexer().Get("a", name);
    ASSERT_NE(a, nullptr);
    // One object for both (the server's own), StripManagedFields or not.
    EXPECT_EQ(a.get(), b.get());
    // A transform rewrites a copy; the shared object is left as it was.
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c.get(), a.get());
    EXPECT_EQ(api::GetObjectMeta(*c)->labels().at("seen"), "yes");
    EXPECT_FALSE(api::GetObjectMeta(*a)->labels().contains("seen"));
  }
}

TEST_F(InformerTest, RelistKeepsTheCachedObjectsThatDidNotChange) {
  CreateCm("a", "same");
  CreateCm("a", "changed");
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  ASSERT_TRUE(WaitFor([&] { return client_->watches() == 1; }, "watch"));
  ObjectRef same = inf->GetIndexer().Get("a", "same");
  ObjectRef changed = inf->GetIndexer().Get("a", "changed");
  ASSERT_NE(same, nullptr);
  // The watch ends with 410 and the relist fails until the update is in: the relist brings it.
  client_->SetListError(absl::UnavailableError("no lists now"));
  client_->InjectWatchError(apiserver::ExpiredError("too old resource version"));
  ASSERT_TRUE(WaitFor([&] { return client_->lists().size() == 2; }, "relist refused"));
  UpdateCm("a", "changed", "x");
  client_->SetListError(absl::OkStatus());
  ASSERT_TRUE(WaitFor(
      [&] {
        clock_.Advance(absl::Milliseconds(100));
        return client_->lists().size() == 3 &&
               inf->LastSyncResourceVersion() == absl::StrCat(Revision());
      },
      "relist"));
  // The list returned a new copy of each; the unchanged one is the cached object kept.
  EXPECT_EQ(inf->GetIndexer().Get("a", "same").get(), same.get());
  ObjectRef now = inf->GetIndexer().Get("a", "changed");
  EXPECT_NE(now.get(), changed.get());
  EXPECT_EQ(static_cast<const ConfigMap&>(*now).data().at("v"), "x");
}

TEST_F(InformerTest, RelistAfterCompactionDeliversTombstones) {
  apiserver::RegistryOptions ro;
  ro.watch_cache = false;  // watches from old revisions go to the store, which compacts
  SetUpCluster(ro);
  CreateCm("a", "keep");
  CreateCm("a", "gone");
  Mutex mu;  // declared before the informer, which uses them until it is destroyed
  std::vector<absl::Status> errors;
  InformerOptions o = Options();
  o.watch_timeout = absl::Minutes(1);
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(o);
  auto rec = std::make_shared<Recorder>();
  ASSERT_TRUE(inf->AddEventHandler(rec).ok());
  ASSERT_TRUE(inf->SetWatchErrorHandler([&](const absl::Status& s) {
                   MutexLock l(&mu);
                   errors.push_back(s);
                 })
                  .ok());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  ASSERT_TRUE(WaitFor([&] { return client_->watches() == 1; }, "watch"));
  std::string synced_rv = inf->LastSyncResourceVersion();

  // The watch times out (fake time) and the next watch is refused for a while.
  client_->SetWatchError(absl::UnavailableError("connection refused"));
  clock_.Advance(absl::Minutes(2));
  ASSERT_TRUE(WaitFor([&] { return client_->rejected_watches() >= 1; }, "refused watch"));
  // Meanwhile an object goes away and history is compacted past the informer's position.
  DeleteCm("a", "gone");
  CreateCm("a", "new");
  ASSERT_TRUE(store_->Compact(Revision()).ok());
  client_->SetWatchError(absl::OkStatus());
  int lists_before = client_->lists().size();
  // The fake time moves on until the back-off (at most 1.6 s) has passed and the relist is in.
  ASSERT_TRUE(WaitFor(
      [&] {
        clock_.Advance(absl::Milliseconds(100));
        return rec->Count("delete") == 1 && rec->Count("add a/new") == 1;
      },
      "relist"));
  EXPECT_EQ(rec->Count("delete a/gone tombstone"), 1u);
  // Unchanged objects of the relist are announced as updates with old == new (as a resync).
  EXPECT_EQ(rec->Count("resync a/keep"), 1u);
  EXPECT_EQ(rec->Count("add a/new"), 1u);  // not initial: the informer had synced
  EXPECT_THAT(inf->GetIndexer().ListKeys(), UnorderedElementsAre("a/keep", "a/new"));
  // The watch resumed from the old revision, got 410 and the informer relisted.
  std::vector<std::string> rvs = client_->watch_rvs();
  EXPECT_THAT(rvs, ::testing::Contains(synced_rv));
  EXPECT_GT(static_cast<int>(client_->lists().size()), lists_before);
  ASSERT_TRUE(WaitFor([&] { return inf->LastSyncResourceVersion() == absl::StrCat(Revision()); },
                      "rv after relist"));
  MutexLock l(&mu);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].code(), absl::StatusCode::kUnavailable);
}

TEST_F(InformerTest, TimedOutWatchResumesWithoutRelist) {
  CreateCm("a", "one");
  InformerOptions o = Options();
  o.watch_timeout = absl::Minutes(1);
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(o);
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  ASSERT_TRUE(WaitFor([&] { return client_->watches() == 1; }, "watch"));
  CreateCm("a", "two");
  ASSERT_TRUE(WaitFor([&] { return inf->GetIndexer().Size() == 2; }, "event"));
  std::string rv = inf->LastSyncResourceVersion();
  clock_.Advance(absl::Minutes(2));  // past any timeout in [1 min, 2 min)
  ASSERT_TRUE(WaitFor([&] { return client_->watches() == 2; }, "second watch"));
  EXPECT_EQ(client_->watch_rvs()[1], rv);
  EXPECT_EQ(client_->lists().size(), 1u);  // no relist
}

TEST_F(InformerTest, WatchErrorEventRelistsAfterBackoff) {
  CreateCm("a", "one");
  std::atomic<int> errors{0};
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  ASSERT_TRUE(inf->SetWatchErrorHandler([&](const absl::Status& s) {
                   EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
                   ++errors;
                 })
                  .ok());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  ASSERT_TRUE(WaitFor([&] { return client_->watches() == 1; }, "watch"));
  client_->InjectWatchError(absl::InternalError("stream broken"));
  ASSERT_TRUE(WaitFor([&] { return errors.load() == 1; }, "error reported"));
  ASSERT_TRUE(WaitFor(
      [&] {
        clock_.Advance(absl::Milliseconds(100));
        return client_->lists().size() == 2 && client_->watches() == 2;
      },
      "relist and watch after back-off"));
  // A 410 error event relists too.
  client_->InjectWatchError(apiserver::ExpiredError("too old resource version"));
  ASSERT_TRUE(WaitFor(
      [&] {
        clock_.Advance(absl::Milliseconds(100));
        return client_->lists().size() == 3;
      },
      "relist after 410"));
  EXPECT_EQ(errors.load(), 1);  // 410 is not an error worth reporting
  EXPECT_EQ(inf->GetIndexer().Size(), 1u);
  ASSERT_TRUE(WaitFor([&] { return inf->Stats().lists == 3; }, "relist applied"));
  InformerStats st = inf->Stats();
  EXPECT_EQ(st.relists, 2);
  EXPECT_GE(st.watches, 2);
  EXPECT_NE(st.last_relist_cause.find("too old resource version"), std::string::npos)
      << st.last_relist_cause;
}

TEST_F(InformerTest, BookmarksAdvanceTheResourceVersion) {
  CreateCm("a", "one");
  InformerOptions o = Options();
  o.watch_timeout = absl::ZeroDuration();
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(o);
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  ASSERT_TRUE(WaitFor([&] { return client_->watches() == 1; }, "watch"));
  int64_t before;
  ASSERT_TRUE(absl::SimpleAtoi(inf->LastSyncResourceVersion(), &before));
  // Another kind moves the store on; config maps see nothing but the progress notification.
  TypedClient<Secret> secrets(client_.get());
  Secret s;
  s.mutable_metadata()->set_namespace_("a");
  s.mutable_metadata()->set_name("s");
  ASSERT_TRUE(secrets.Create(s).ok());
  int64_t now = Revision();
  ASSERT_GT(now, before);
  ASSERT_TRUE(WaitFor(
      [&] {
        store_clock_.Advance(absl::Seconds(5));
        int64_t rv = 0;
        return absl::SimpleAtoi(inf->LastSyncResourceVersion(), &rv) && rv >= now;
      },
      "bookmark"));
}

TEST_F(InformerTest, SlowHandlerDoesNotBlockOthers) {
  for (int i = 0; i < 5; ++i) CreateCm("a", absl::StrCat("cm", i));
  Mutex mu;
  CondVar cv;
  bool release = false;
  std::atomic<int> slow_seen{0};
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  // Whatever happens, the slow handler is released before the informer stops.
  absl::Cleanup release_on_exit = [&] {
    MutexLock l(&mu);
    release = true;
    cv.SignalAll();
  };
  auto slow = std::make_shared<ResourceEventHandlerFuncs>();
  slow->add = [&](const ObjectRef&, bool) {
    MutexLock l(&mu);
    while (!release) cv.Wait(&mu);
    ++slow_seen;
  };
  auto fast = std::make_shared<Recorder>();
  ASSERT_TRUE(inf->AddEventHandler(slow).ok());
  ASSERT_TRUE(inf->AddEventHandler(fast).ok());
  inf->Start();
  ASSERT_TRUE(WaitFor([&] { return fast->size() == 5; }, "fast handler (initial list)"));
  for (int i = 5; i < 10; ++i) CreateCm("a", absl::StrCat("cm", i));
  ASSERT_TRUE(WaitFor([&] { return fast->size() == 10; }, "fast handler (watch)"));
  EXPECT_EQ(slow_seen.load(), 0);
  {
    MutexLock l(&mu);
    release = true;
    cv.SignalAll();
  }
  ASSERT_TRUE(WaitFor([&] { return slow_seen.load() == 10; }, "slow handler"));
}

TEST_F(InformerTest, LateHandlerGetsTheCurrentState) {
  CreateCm("a", "one");
  CreateCm("b", "two");
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  auto late = std::make_shared<Recorder>();
  absl::StatusOr<std::shared_ptr<HandlerRegistration>> reg = inf->AddEventHandler(late);
  ASSERT_TRUE(reg.ok());
  ASSERT_TRUE(WaitFor([&] { return (*reg)->HasSynced(); }, "late handler sync"));
  EXPECT_THAT(late->events(), UnorderedElementsAre("add a/one initial", "add b/two initial"));
  CreateCm("a", "three");
  ASSERT_TRUE(WaitFor([&] { return late->size() == 3; }, "live event"));
  EXPECT_EQ(late->events()[2], "add a/three");
}

TEST_F(InformerTest, ResyncFiresAtTheFakeTimes) {
  CreateCm("a", "one");
  CreateCm("a", "two");
  InformerOptions o = Options();
  o.resync = absl::Seconds(30);
  o.watch_timeout = absl::ZeroDuration();
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(o);
  auto resynced = std::make_shared<Recorder>();
  auto never = std::make_shared<Recorder>();
  ASSERT_TRUE(inf->AddEventHandler(resynced).ok());
  ASSERT_TRUE(inf->AddEventHandler(never, absl::ZeroDuration()).ok());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  ASSERT_TRUE(WaitFor([&] { return resynced->size() == 2; }, "initial adds"));
  EXPECT_EQ(resynced->Count("resync"), 0u);

  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(WaitFor([&] { return resynced->Count("resync") == 2; }, "first resync"));
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(WaitFor([&] { return resynced->Count("resync") == 4; }, "second resync"));
  EXPECT_THAT(resynced->events(), ElementsAreArray({
                                      ::testing::StartsWith("add"),
                                      ::testing::StartsWith("add"),
                                      ::testing::StartsWith("resync"),
                                      ::testing::StartsWith("resync"),
                                      ::testing::StartsWith("resync"),
                                      ::testing::StartsWith("resync"),
                                  }));
  // A marker event proves the second handler has seen everything before it: no resyncs.
  CreateCm("a", "marker");
  ASSERT_TRUE(WaitFor([&] { return never->Count("add a/marker") == 1; }, "marker"));
  EXPECT_EQ(never->Count("resync"), 0u);
}

TEST_F(InformerTest, RemovedHandlerHearsNothingMore) {
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  auto removed = std::make_shared<Recorder>();
  auto kept = std::make_shared<Recorder>();
  absl::StatusOr<std::shared_ptr<HandlerRegistration>> reg = inf->AddEventHandler(removed);
  ASSERT_TRUE(reg.ok());
  ASSERT_TRUE(inf->AddEventHandler(kept).ok());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  CreateCm("a", "one");
  ASSERT_TRUE(WaitFor([&] { return removed->size() == 1 && kept->size() == 1; }, "first add"));
  ASSERT_TRUE(inf->RemoveEventHandler(*reg).ok());
  EXPECT_EQ(inf->RemoveEventHandler(*reg).code(), absl::StatusCode::kNotFound);
  CreateCm("a", "two");
  ASSERT_TRUE(WaitFor([&] { return kept->size() == 2; }, "second add"));
  EXPECT_EQ(removed->size(), 1u);
}

TEST_F(InformerTest, HandlerCanRemoveItself) {
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  std::shared_ptr<HandlerRegistration> reg;
  Mutex mu;
  std::atomic<int> calls{0};
  auto h = std::make_shared<ResourceEventHandlerFuncs>();
  h->add = [&](const ObjectRef&, bool) {
    ++calls;
    std::shared_ptr<HandlerRegistration> r;
    {
      MutexLock l(&mu);
      r = reg;
    }
    EXPECT_TRUE(inf->RemoveEventHandler(r).ok());
  };
  {
    MutexLock l(&mu);
    reg = *inf->AddEventHandler(h);
  }
  CreateCm("a", "one");
  CreateCm("a", "two");
  inf->Start();
  ASSERT_TRUE(WaitFor([&] { return calls.load() >= 1; }, "first call"));
  inf->Stop();
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(InformerTest, TransformRunsBeforeCaching) {
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("a");
  cm.mutable_metadata()->set_name("one");
  (*cm.mutable_metadata()->mutable_annotations())["big"] = std::string(1000, 'x');
  ASSERT_TRUE(cms_->Create(cm).ok());
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  ASSERT_TRUE(inf->SetTransform([](Object* o) {
                   StripManagedFields(o);
                   api::MutableObjectMeta(o)->mutable_annotations()->erase("big");
                 })
                  .ok());
  inf->Start();
  EXPECT_EQ(inf->SetTransform(nullptr).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(inf->SetWatchErrorHandler(nullptr).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  ObjectRef cached = inf->GetIndexer().Get("a", "one");
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(api::GetObjectMeta(*cached)->annotations().count("big"), 0u);
}

TEST(FilteringHandlerTest, UpdatesCrossingTheFilterBecomeAddsAndDeletes) {
  auto rec = std::make_shared<Recorder>();
  FilteringResourceEventHandler f(
      [](const Object& o) { return api::GetObjectMeta(o)->labels().contains("keep"); }, rec);
  auto make = [](bool keep) {
    auto cm = std::make_shared<ConfigMap>();
    cm->mutable_metadata()->set_namespace_("a");
    cm->mutable_metadata()->set_name("x");
    if (keep) (*cm->mutable_metadata()->mutable_labels())["keep"] = "1";
    return ObjectRef(cm);
  };
  f.OnAdd(make(false), true);
  f.OnAdd(make(true), true);
  f.OnUpdate(make(true), make(true));
  f.OnUpdate(make(true), make(false));
  f.OnUpdate(make(false), make(true));
  f.OnUpdate(make(false), make(false));
  f.OnDelete(make(false), false);
  f.OnDelete(make(true), true);
  EXPECT_THAT(rec->events(), ElementsAre("add a/x initial", "update a/x", "delete a/x", "add a/x",
                                         "delete a/x tombstone"));
}

TEST(StripManagedFieldsTest, ClearsManagedFields) {
  ConfigMap cm;
  cm.mutable_metadata()->set_name("x");
  cm.mutable_metadata()->add_managedfields()->set_manager("kubectl");
  StripManagedFields(&cm);
  EXPECT_EQ(cm.metadata().managedfields_size(), 0);
  EXPECT_EQ(cm.metadata().name(), "x");
}

TEST_F(InformerTest, IndexersCanBeAddedAfterStart) {
  CreateCm("a", "one", {{"app", "web"}});
  CreateCm("b", "two", {{"app", "db"}});
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  ASSERT_TRUE(inf->AddIndexers({{"byApp",
                                 [](const Object& o) {
                                   std::vector<std::string> out;
                                   const auto& l = api::GetObjectMeta(o)->labels();
                                   if (auto it = l.find("app"); it != l.end()) {
                                     out.push_back(it->second);
                                   }
                                   return out;
                                 }}})
                  .ok());
  EXPECT_THAT(*inf->GetIndexer().IndexKeys("byApp", "web"), ElementsAre("a/one"));
  CreateCm("c", "three", {{"app", "web"}});
  ASSERT_TRUE(WaitFor([&] { return inf->GetIndexer().IndexKeys("byApp", "web")->size() == 2; },
                      "indexed watch event"));
  EXPECT_EQ(inf->AddIndexers({{"byApp", NamespaceIndexFunc}}).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(InformerTest, ListErrorsBackOffOnTheClockAndWaitForCacheSyncGivesUp) {
  client_->SetListError(absl::UnavailableError("server down"));
  std::atomic<int> errors{0};
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  ASSERT_TRUE(inf->SetWatchErrorHandler([&](const absl::Status& s) {
                   EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
                   ++errors;
                 })
                  .ok());
  inf->Start();
  ASSERT_TRUE(WaitFor([&] { return errors.load() == 1; }, "first error"));
  // The retry waits for the fake clock.
  ASSERT_TRUE(WaitFor(
      [&] {
        clock_.Advance(absl::Milliseconds(100));
        return errors.load() >= 2;
      },
      "second error"));
  absl::Time deadline = clock_.Now() + absl::Seconds(10);
  std::atomic<bool> done{false};
  bool synced = true;
  std::thread waiter([&] {
    synced = inf->WaitForCacheSync(deadline);
    done = true;
  });
  clock_.Advance(absl::Seconds(11));
  waiter.join();
  EXPECT_FALSE(synced);
  // Once the server answers, the informer syncs.
  client_->SetListError(absl::OkStatus());
  ASSERT_TRUE(WaitFor(
      [&] {
        clock_.Advance(absl::Seconds(1));
        return inf->HasSynced();
      },
      "sync after errors"));
}

TEST_F(InformerTest, BadOptionsAreRejected) {
  absl::StatusOr<std::shared_ptr<const api::KindInfo>> kind =
      KindFor(client_->scheme(), ConfigMap::descriptor());
  InformerOptions o;
  o.label_selector = "a b";
  EXPECT_EQ(NewSharedIndexInformer(client_.get(), *kind, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = InformerOptions();
  o.field_selector = "a";
  EXPECT_EQ(NewSharedIndexInformer(client_.get(), *kind, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = InformerOptions();
  o.resync = absl::Seconds(-1);
  EXPECT_EQ(NewSharedIndexInformer(client_.get(), *kind, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(InformerTest, SelectorsAndNamespaceLimitTheCache) {
  CreateCm("a", "web", {{"app", "web"}});
  CreateCm("a", "db", {{"app", "db"}});
  CreateCm("b", "web2", {{"app", "web"}});
  InformerOptions o = Options();
  o.ns = "a";
  o.label_selector = "app=web";
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(o);
  auto rec = std::make_shared<Recorder>();
  ASSERT_TRUE(inf->AddEventHandler(rec).ok());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  EXPECT_THAT(inf->GetIndexer().ListKeys(), ElementsAre("a/web"));
  CreateCm("a", "web3", {{"app", "web"}});
  CreateCm("b", "web4", {{"app", "web"}});
  CreateCm("a", "db2", {{"app", "db"}});
  CreateCm("a", "web5", {{"app", "web"}});
  ASSERT_TRUE(WaitFor([&] { return rec->size() == 3; }, "events"));
  EXPECT_THAT(rec->events(), ElementsAre("add a/web initial", "add a/web3", "add a/web5"));
}

TEST_F(InformerTest, StoppedInformerRefusesHandlers) {
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  inf->Start();
  inf->Stop();
  inf->Stop();
  EXPECT_EQ(inf->AddEventHandler(std::make_shared<Recorder>()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(inf->AddEventHandler(nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(InformerTest, FactorySharesOneInformerPerKindAndOptions) {
  FactoryOptions fo;
  fo.defaults = Options();
  SharedInformerFactory factory(client_.get(), fo);
  absl::StatusOr<SharedIndexInformer*> a = factory.For<ConfigMap>();
  absl::StatusOr<SharedIndexInformer*> b = factory.For<ConfigMap>();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  InformerOptions ns_a;
  ns_a.ns = "a";
  absl::StatusOr<SharedIndexInformer*> c = factory.For<ConfigMap>(ns_a);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*a, *c);
  EXPECT_EQ(*factory.For<ConfigMap>(ns_a), *c);
  absl::StatusOr<SharedIndexInformer*> secrets = factory.For<Secret>();
  ASSERT_TRUE(secrets.ok());
  EXPECT_NE(static_cast<void*>(*secrets), static_cast<void*>(*a));
  EXPECT_EQ(factory.For<api::meta::v1::ObjectMeta>().status().code(), absl::StatusCode::kNotFound);

  CreateCm("a", "one");
  CreateCm("b", "two");
  factory.Start();
  ASSERT_TRUE(factory.WaitForCacheSync(absl::InfiniteFuture()));
  EXPECT_EQ((*a)->GetIndexer().Size(), 2u);
  EXPECT_EQ((*c)->GetIndexer().Size(), 1u);
  // Informers asked for after Start() start at once.
  InformerOptions ns_b;
  ns_b.ns = "b";
  absl::StatusOr<SharedIndexInformer*> d = factory.For<ConfigMap>(ns_b);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->WaitForCacheSync(absl::InfiniteFuture()));
  EXPECT_EQ((*d)->GetIndexer().Size(), 1u);

  factory.Shutdown();
  EXPECT_TRUE((*a)->IsStopped());
  EXPECT_EQ(factory.For<ConfigMap>().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(InformerTest, ListersReadTheCache) {
  CreateCm("a", "web", {{"app", "web"}});
  CreateCm("a", "db", {{"app", "db"}});
  CreateCm("b", "web", {{"app", "web"}});
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(Options());
  inf->Start();
  ASSERT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));

  Lister<ConfigMap> lister(inf->GetIndexer(), "configmaps");
  absl::StatusOr<api::labels::Selector> web = api::labels::Selector::Parse("app=web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(lister.List().size(), 3u);
  EXPECT_EQ(lister.List(*web).size(), 2u);
  EXPECT_EQ(lister.Namespace("a").List(*web).size(), 1u);
  EXPECT_EQ(lister.Namespace("a").List().size(), 2u);

  absl::StatusOr<std::shared_ptr<const ConfigMap>> got = lister.Get("a", "db");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->metadata().labels().at("app"), "db");
  // The typed object is the cached one.
  EXPECT_EQ(static_cast<const Object*>(got->get()), inf->GetIndexer().Get("a", "db").get());
  absl::StatusOr<std::shared_ptr<const ConfigMap>> missing = lister.Namespace("b").Get("db");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "configmaps \"db\" not found");

  // A typed lister of the wrong type sees nothing.
  Lister<Secret> wrong(inf->GetIndexer());
  EXPECT_TRUE(wrong.List().empty());
  EXPECT_EQ(wrong.Get("a", "db").status().code(), absl::StatusCode::kNotFound);

  GenericLister generic(inf->GetIndexer());
  EXPECT_EQ(generic.Namespace("b").List().size(), 1u);
  EXPECT_TRUE(generic.Get("b", "web").ok());
}

TEST_F(InformerTest, WaitForCacheSyncOnTheRealClock) {
  CreateCm("a", "one");
  InformerOptions o;  // Clock::Real()
  std::unique_ptr<SharedIndexInformer> inf = NewInformer(o);
  inf->Start();
  EXPECT_TRUE(inf->WaitForCacheSync(absl::InfiniteFuture()));
  EXPECT_TRUE(WaitForCacheSync({inf.get()}, absl::InfiniteFuture()));
  EXPECT_EQ(inf->GetIndexer().Size(), 1u);
}

}  // namespace
}  // namespace rudder::client
