#include "lib/controllers/runtime/manager.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/controllerutil.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::ctrl {
namespace {

using api::core::v1::ConfigMap;
using api::core::v1::Secret;
using testing::Eventually;
using testing::TestCluster;

ConfigMap Cm(const std::string& name, const std::string& value = "v") {
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("ns");
  cm.mutable_metadata()->set_name(name);
  (*cm.mutable_data())["k"] = value;
  return cm;
}

// Counts reconciles per request (thread-safe).
class Recorder {
 public:
  std::shared_ptr<ctrl::Reconciler> Make(std::function<absl::Status(const Request&)> also = {}) {
    return ReconcilerFunc([this, also](const Request& r) -> absl::StatusOr<Result> {
      absl::Status s = also ? also(r) : absl::OkStatus();
      {
        MutexLock lock(&mu_);
        ++counts_[r.String()];
        ++total_;
      }
      if (!s.ok()) return s;
      return Result{};
    });
  }
  int Count(const std::string& key) {
    MutexLock lock(&mu_);
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }
  int Total() {
    MutexLock lock(&mu_);
    return total_;
  }
  std::set<std::string> Keys() {
    MutexLock lock(&mu_);
    std::set<std::string> out;
    for (const auto& [k, v] : counts_) out.insert(k);
    return out;
  }

 private:
  Mutex mu_;
  std::map<std::string, int> counts_ ABSL_GUARDED_BY(mu_);
  int total_ ABSL_GUARDED_BY(mu_) = 0;
};

class ManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Manager> NewManager(ManagerOptions o = {}) {
    o.clock = &clock_;
    absl::StatusOr<std::unique_ptr<Manager>> m = Manager::New(cluster_.client.get(), o);
    EXPECT_TRUE(m.ok()) << m.status();
    return *std::move(m);
  }
  void Create(const ConfigMap& cm, TestCluster* c = nullptr) {
    client::TypedClient<ConfigMap> cms((c != nullptr ? c : &cluster_)->client.get());
    absl::StatusOr<std::unique_ptr<ConfigMap>> r = cms.Create(cm);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  FakeClock clock_;
  TestCluster cluster_;
};

TEST_F(ManagerTest, ForAndOwns) {
  Recorder rec;
  std::unique_ptr<Manager> mgr = NewManager();
  // Keeps a Secret "<name>-copy" holding the ConfigMap's data, controlled by the ConfigMap.
  auto reconciler = rec.Make([&](const Request& r) -> absl::Status {
    client::Client* c = mgr->GetCluster(r.cluster)->GetClient();
    client::TypedClient<ConfigMap> cms(c);
    absl::StatusOr<std::unique_ptr<ConfigMap>> cm = cms.Get(r.ns, r.name);
    if (absl::IsNotFound(cm.status())) return absl::OkStatus();
    if (!cm.ok()) return cm.status();
    Secret s;
    s.mutable_metadata()->set_namespace_(r.ns);
    s.mutable_metadata()->set_name(r.name + "-copy");
    return CreateOrUpdate<Secret>(c, &s,
                                  [&](Secret* s) {
                                    s->clear_stringdata();
                                    s->mutable_data()->clear();
                                    for (const auto& [k, v] : (*cm)->data()) {
                                      (*s->mutable_data())[k] = v;
                                    }
                                    return SetControllerReference(**cm, s, c->scheme());
                                  })
        .status();
  });
  absl::StatusOr<Controller*> ctrl =
      Builder(mgr.get()).For<ConfigMap>().Owns<Secret>().Build(reconciler);
  ASSERT_TRUE(ctrl.ok()) << ctrl.status();
  EXPECT_EQ((*ctrl)->name(), "configmap");
  EXPECT_FALSE(mgr->IsLeader());
  ASSERT_TRUE(mgr->Start().ok());
  EXPECT_TRUE(mgr->IsLeader());

  Create(Cm("app", "one"));
  client::TypedClient<Secret> secrets(cluster_.client.get());
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<std::unique_ptr<Secret>> s = secrets.Get("ns", "app-copy");
    return s.ok() && (*s)->data().contains("k") && (*s)->data().at("k") == "one";
  }));

  // Tampering with the owned Secret wakes its owner, which repairs it.
  absl::StatusOr<std::unique_ptr<Secret>> s = secrets.Get("ns", "app-copy");
  ASSERT_TRUE(s.ok());
  (*(*s)->mutable_data())["k"] = "tampered";
  ASSERT_TRUE(secrets.Update(**s).ok());
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<std::unique_ptr<Secret>> s = secrets.Get("ns", "app-copy");
    return s.ok() && (*s)->data().at("k") == "one";
  }));
  EXPECT_EQ(rec.Keys(), std::set<std::string>{"ns/app"});
  mgr->Stop();
  EXPECT_FALSE((*ctrl)->Running());
}

TEST_F(ManagerTest, ClientReadsItsOwnWrites) {
  std::unique_ptr<Manager> mgr = NewManager();
  ASSERT_TRUE(mgr->Start().ok());
  client::TypedClient<ConfigMap> cms(mgr->GetClient());
  // Warm the informer.
  Create(Cm("warm"));
  ASSERT_TRUE(Eventually([&] {
    (void)cms.Get("ns", "warm");
    return mgr->GetCluster()->CacheReads() > 0;
  }));

  absl::StatusOr<std::unique_ptr<ConfigMap>> cm = cms.Create(Cm("rw", "0"));
  ASSERT_TRUE(cm.ok()) << cm.status();
  for (int i = 1; i <= 200; ++i) {
    (*(*cm)->mutable_data())["k"] = absl::StrCat(i);
    absl::StatusOr<std::unique_ptr<ConfigMap>> updated = cms.Update(**cm);
    ASSERT_TRUE(updated.ok()) << updated.status();
    absl::StatusOr<std::unique_ptr<ConfigMap>> got = cms.Get("ns", "rw");
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ((*got)->data().at("k"), absl::StrCat(i)) << "stale read after write " << i;
    absl::StatusOr<client::TypedList<ConfigMap>> list = cms.List("ns");
    ASSERT_TRUE(list.ok());
    bool found = false;
    for (const auto& item : list->items) {
      if (item->metadata().name() == "rw") {
        found = true;
        ASSERT_EQ(item->data().at("k"), absl::StrCat(i)) << "stale list after write " << i;
      }
    }
    ASSERT_TRUE(found);
    cm = std::move(got);
  }
  // Status-less patches and deletes too.
  ASSERT_TRUE(cms.Patch("ns", "rw", client::PatchType::kMerge, R"({"data":{"k":"patched"}})").ok());
  EXPECT_EQ((*cms.Get("ns", "rw"))->data().at("k"), "patched");
  ASSERT_TRUE(cms.Delete("ns", "rw").ok());
  EXPECT_EQ(cms.Get("ns", "rw").status().code(), absl::StatusCode::kNotFound);

  // Once the cache caught up, reads come from it.
  int64_t before = mgr->GetCluster()->CacheReads();
  ASSERT_TRUE(Eventually([&] {
    (void)cms.Get("ns", "warm");
    return mgr->GetCluster()->CacheReads() > before;
  }));
}

// Status writes (UpdateStatus and status patches) through the manager's client: a Get and a
// List right after see them, never the cached object from before.
TEST_F(ManagerTest, ClientReadsItsOwnStatusWrites) {
  std::unique_ptr<Manager> mgr = NewManager();
  ASSERT_TRUE(mgr->Start().ok());
  client::TypedClient<api::core::v1::Pod> pods(mgr->GetClient());
  api::core::v1::Pod p;
  p.mutable_metadata()->set_namespace_("ns");
  p.mutable_metadata()->set_name("warm");
  auto* ctr = p.mutable_spec()->add_containers();
  ctr->set_name("app");
  ctr->set_image("busybox");
  ASSERT_TRUE(pods.Create(p).ok());
  ASSERT_TRUE(Eventually([&] {
    (void)pods.Get("ns", "warm");
    return mgr->GetCluster()->CacheReads() > 0;
  }));

  p.mutable_metadata()->set_name("st");
  absl::StatusOr<std::unique_ptr<api::core::v1::Pod>> pod = pods.Create(p);
  ASSERT_TRUE(pod.ok()) << pod.status();
  for (int i = 1; i <= 100; ++i) {
    (*pod)->mutable_status()->set_message(absl::StrCat("update-", i));
    absl::StatusOr<std::unique_ptr<api::core::v1::Pod>> updated = pods.UpdateStatus(**pod);
    ASSERT_TRUE(updated.ok()) << updated.status();
    absl::StatusOr<std::unique_ptr<api::core::v1::Pod>> got = pods.Get("ns", "st");
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ((*got)->status().message(), absl::StrCat("update-", i))
        << "stale read after status update " << i;

    const std::string patched = absl::StrCat("patch-", i);
    ASSERT_TRUE(pods.Patch("ns", "st", client::PatchType::kMerge,
                           absl::StrCat(R"({"status":{"message":")", patched, R"("}})"),
                           /*status=*/true)
                    .ok());
    absl::StatusOr<client::TypedList<api::core::v1::Pod>> list = pods.List("ns");
    ASSERT_TRUE(list.ok()) << list.status();
    bool found = false;
    for (const auto& item : list->items) {
      if (item->metadata().name() != "st") continue;
      found = true;
      ASSERT_EQ(item->status().message(), patched) << "stale list after status patch " << i;
    }
    ASSERT_TRUE(found);
    got = pods.Get("ns", "st");
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ((*got)->status().message(), patched) << "stale read after status patch " << i;
    pod = std::move(got);
  }
}

// Stop waits for the reconcile that runs, drops what is queued, releases the lease and stops
// the informers; the manager cannot be started again.
TEST_F(ManagerTest, StopWaitsForRunningReconcilesThenReleasesAndStopsInformers) {
  ManagerOptions o;
  o.leader_election.enabled = true;
  o.leader_election.lease_name = "stop-lock";
  o.leader_election.identity = "a";
  std::unique_ptr<Manager> mgr = NewManager(o);
  std::atomic<bool> release{false}, finished{false};
  std::atomic<int> started{0};
  absl::StatusOr<Controller*> c = Builder(mgr.get()).For<ConfigMap>().Build(
      ReconcilerFunc([&](const Request&) -> absl::StatusOr<Result> {
        ++started;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        finished = true;
        return Result{};
      }));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(mgr->Start().ok());
  ASSERT_TRUE(Eventually([&] { return (*c)->Running(); }, &clock_, absl::Milliseconds(500)));
  Create(Cm("a"));
  Create(Cm("b"));
  ASSERT_TRUE(Eventually([&] { return started == 1; }));

  std::atomic<bool> finished_when_stop_returned{false};
  std::thread stopper([&] {
    mgr->Stop();
    finished_when_stop_returned = finished.load();
  });
  ASSERT_TRUE(Eventually([&] { return !(*c)->Running(); }));  // Stop began.
  release = true;
  stopper.join();
  EXPECT_TRUE(finished_when_stop_returned);
  EXPECT_EQ(started.load(), 1);  // "b" was dropped, not reconciled during shutdown.
  EXPECT_FALSE(mgr->IsLeader());

  client::TypedClient<api::coordination::v1::Lease> leases(cluster_.client.get());
  absl::StatusOr<std::unique_ptr<api::coordination::v1::Lease>> lease =
      leases.Get("default", "stop-lock");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ((*lease)->spec().holderidentity(), "");  // Released for a successor.
  EXPECT_EQ(mgr->GetCluster()->GetInformers()->For<ConfigMap>().status().code(),
            absl::StatusCode::kFailedPrecondition);  // Informers are shut down.
  EXPECT_EQ(mgr->Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Builder(mgr.get())
                .For<Secret>()
                .Named("late")
                .Complete(ReconcilerFunc(
                    [](const Request&) -> absl::StatusOr<Result> { return Result{}; }))
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

// pods/binding and pods/eviction through the manager's client: a Get right after sees them.
TEST_F(ManagerTest, ClientBindsAndEvictsAndReadsThoseWrites) {
  std::unique_ptr<Manager> mgr = NewManager();
  ASSERT_TRUE(mgr->Start().ok());
  client::Client* c = mgr->GetClient();
  client::TypedClient<api::core::v1::Pod> pods(c);
  auto pod = [](const std::string& name) {
    api::core::v1::Pod p;
    p.mutable_metadata()->set_namespace_("ns");
    p.mutable_metadata()->set_name(name);
    auto* ctr = p.mutable_spec()->add_containers();
    ctr->set_name("app");
    ctr->set_image("busybox");
    return p;
  };
  ASSERT_TRUE(pods.Create(pod("warm")).ok());
  ASSERT_TRUE(Eventually([&] {
    (void)pods.Get("ns", "warm");
    return mgr->GetCluster()->CacheReads() > 0;
  }));
  for (int i = 0; i < 50; ++i) {
    std::string name = absl::StrCat("p", i);
    ASSERT_TRUE(pods.Create(pod(name)).ok());
    api::core::v1::Binding b;
    b.mutable_metadata()->set_name(name);
    b.mutable_target()->set_kind("Node");
    b.mutable_target()->set_name("n1");
    ASSERT_TRUE(c->Bind("ns", b, {}).ok());
    absl::StatusOr<std::unique_ptr<api::core::v1::Pod>> got = pods.Get("ns", name);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ((*got)->spec().nodename(), "n1") << "stale read after binding " << name;
    api::policy::v1::Eviction e;
    e.mutable_metadata()->set_name(name);
    ASSERT_TRUE(c->Evict("ns", e, {}).ok());
    // Gone, or (bound, with a grace period) marked for deletion.
    absl::StatusOr<std::unique_ptr<api::core::v1::Pod>> evicted = pods.Get("ns", name);
    ASSERT_TRUE(absl::IsNotFound(evicted.status()) ||
                (evicted.ok() && (*evicted)->metadata().has_deletiontimestamp()))
        << "stale read after eviction " << name;
  }
}

TEST_F(ManagerTest, PredicatesFilterEvents) {
  Recorder rec;
  std::unique_ptr<Manager> mgr = NewManager();
  ASSERT_TRUE(Builder(mgr.get()).For<ConfigMap>({GenerationChanged()}).Complete(rec.Make()).ok());
  ASSERT_TRUE(mgr->Start().ok());
  client::TypedClient<ConfigMap> cms(cluster_.client.get());
  Create(Cm("a"));
  ASSERT_TRUE(Eventually([&] { return rec.Count("ns/a") == 1; }));

  // A label change keeps the generation: filtered. The sentinel proves the event went by
  // (one informer delivers in order; one worker takes the queue in order).
  absl::StatusOr<std::unique_ptr<ConfigMap>> a = cms.Get("ns", "a");
  (*(*a)->mutable_metadata()->mutable_labels())["x"] = "y";
  ASSERT_TRUE(cms.Update(**a).ok());
  Create(Cm("sentinel"));
  ASSERT_TRUE(Eventually([&] { return rec.Count("ns/sentinel") == 1; }));
  EXPECT_EQ(rec.Count("ns/a"), 1);

  // A data change bumps the generation: reconciled.
  a = cms.Get("ns", "a");
  (*(*a)->mutable_data())["k"] = "changed";
  ASSERT_TRUE(cms.Update(**a).ok());
  ASSERT_TRUE(Eventually([&] { return rec.Count("ns/a") == 2; }));
}

TEST_F(ManagerTest, ControllersAreAddedAndRemovedAtRunTime) {
  Recorder first, second;
  std::unique_ptr<Manager> mgr = NewManager();
  ASSERT_TRUE(mgr->Start().ok());
  ASSERT_TRUE(Builder(mgr.get()).For<ConfigMap>().Named("first").Complete(first.Make()).ok());
  Create(Cm("a"));
  ASSERT_TRUE(Eventually([&] { return first.Count("ns/a") == 1; }));
  EXPECT_EQ(Builder(mgr.get()).For<ConfigMap>().Named("first").Complete(second.Make()).code(),
            absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(mgr->Remove("first").ok());
  EXPECT_EQ(mgr->GetController("first"), nullptr);
  EXPECT_EQ(mgr->Remove("first").code(), absl::StatusCode::kNotFound);

  // Its handlers are gone: a later object reaches only the new controller.
  Create(Cm("b"));
  ASSERT_TRUE(Builder(mgr.get()).For<ConfigMap>().Named("second").Complete(second.Make()).ok());
  Create(Cm("c"));
  ASSERT_TRUE(Eventually([&] { return second.Count("ns/c") == 1; }));
  EXPECT_EQ(second.Count("ns/a"), 1);  // Replayed from the cache to the new handler.
  EXPECT_EQ(second.Count("ns/b"), 1);
  EXPECT_EQ(first.Total(), 1);
  EXPECT_EQ(mgr->ControllerNames(), std::vector<std::string>{"second"});
}

TEST_F(ManagerTest, ClustersJoinAndLeave) {
  TestCluster other;
  Recorder rec;
  std::unique_ptr<Manager> mgr = NewManager();
  Mutex mu;
  std::vector<std::string> seen_values;
  ASSERT_TRUE(Builder(mgr.get())
                  .For<ConfigMap>()
                  .Complete(rec.Make([&](const Request& r) -> absl::Status {
                    std::shared_ptr<Cluster> c = mgr->GetCluster(r.cluster);
                    if (c == nullptr) return absl::OkStatus();
                    client::TypedClient<ConfigMap> cms(c->GetClient());
                    absl::StatusOr<std::unique_ptr<ConfigMap>> cm = cms.Get(r.ns, r.name);
                    if (cm.ok()) {
                      MutexLock lock(&mu);
                      seen_values.push_back((*cm)->data().at("k"));
                    }
                    return absl::OkStatus();
                  }))
                  .ok());
  ASSERT_TRUE(mgr->Start().ok());
  Create(Cm("a", "home"));
  Create(Cm("a", "away"), &other);
  ASSERT_TRUE(Eventually([&] { return rec.Count("ns/a") == 1; }));

  ASSERT_TRUE(mgr->AddCluster("other", other.client.get()).ok());
  EXPECT_EQ(mgr->AddCluster("other", other.client.get()).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(Eventually([&] { return rec.Count("other:ns/a") == 1; }));
  {
    MutexLock lock(&mu);
    EXPECT_EQ(seen_values, (std::vector<std::string>{"home", "away"}));
  }
  EXPECT_EQ(mgr->ClusterNames(), (std::vector<std::string>{"", "other"}));

  ASSERT_TRUE(mgr->RemoveCluster("other").ok());
  EXPECT_EQ(mgr->GetCluster("other"), nullptr);
  EXPECT_EQ(mgr->RemoveCluster("other").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(mgr->RemoveCluster("").code(), absl::StatusCode::kInvalidArgument);
  Create(Cm("b"), &other);  // Not watched any more.
  Create(Cm("sentinel"));
  ASSERT_TRUE(Eventually([&] { return rec.Count("ns/sentinel") == 1; }));
  EXPECT_EQ(rec.Count("other:ns/b"), 0);
}

TEST_F(ManagerTest, ShardsSplitKeysAcrossReplicas) {
  Recorder rec[2];
  std::unique_ptr<Manager> mgrs[2];
  for (int id = 0; id < 2; ++id) {
    mgrs[id] = NewManager({.shard = {2, id}});
    ASSERT_TRUE(Builder(mgrs[id].get()).For<ConfigMap>().Complete(rec[id].Make()).ok());
    ASSERT_TRUE(mgrs[id]->Start().ok());
  }
  for (int i = 0; i < 20; ++i) Create(Cm(absl::StrCat("cm-", i)));
  ASSERT_TRUE(Eventually([&] { return rec[0].Total() + rec[1].Total() == 20; }));
  for (int id = 0; id < 2; ++id) {
    for (const std::string& key : rec[id].Keys()) {
      EXPECT_EQ(ShardOf("ns", key.substr(3), 2), id) << key;
    }
    EXPECT_GT(rec[id].Total(), 0);
  }
  EXPECT_EQ(Manager::New(cluster_.client.get(), {.shard = {2, 2}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ManagerTest, LeaderElectionFailoverBetweenManagers) {
  auto options = [](const std::string& id) {
    ManagerOptions o;
    o.leader_election.enabled = true;
    o.leader_election.lease_name = "cm-controller";
    o.leader_election.identity = id;
    o.leader_election.release_on_cancel = false;
    return o;
  };
  Recorder ra, rb, always_a;
  std::unique_ptr<Manager> a = NewManager(options("a"));
  std::unique_ptr<Manager> b = NewManager(options("b"));
  ASSERT_TRUE(Builder(a.get()).For<ConfigMap>().Complete(ra.Make()).ok());
  ASSERT_TRUE(Builder(b.get()).For<ConfigMap>().Complete(rb.Make()).ok());
  // Controllers that do not need leadership run everywhere.
  ControllerOptions no_le;
  no_le.need_leader_election = false;
  ASSERT_TRUE(Builder(a.get())
                  .For<ConfigMap>()
                  .Named("everywhere")
                  .WithOptions(no_le)
                  .Complete(always_a.Make())
                  .ok());

  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(Eventually([&] { return a->IsLeader(); }, &clock_, absl::Milliseconds(500)));
  ASSERT_TRUE(b->Start().ok());
  Create(Cm("one"));
  ASSERT_TRUE(Eventually([&] { return ra.Count("ns/one") == 1; }));
  ASSERT_TRUE(Eventually([&] { return always_a.Count("ns/one") == 1; }));
  // b campaigns for a while and stays a follower while a renews.
  for (int i = 0; i < 40; ++i) {
    clock_.Advance(absl::Milliseconds(500));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_FALSE(b->IsLeader());
  EXPECT_EQ(rb.Total(), 0);

  // a goes away without releasing the lease; b takes over once it expires and catches up.
  a->Stop();
  ASSERT_TRUE(Eventually([&] { return b->IsLeader(); }, &clock_, absl::Milliseconds(500)));
  ASSERT_TRUE(Eventually([&] { return rb.Count("ns/one") == 1; }));
  Create(Cm("two"));
  ASSERT_TRUE(Eventually([&] { return rb.Count("ns/two") == 1; }));
  EXPECT_EQ(ra.Count("ns/two"), 0);
  b->Stop();
}

TEST_F(ManagerTest, LosingTheLeaseStopsLeaderControllersUntilItIsWonBack) {
  ManagerOptions o;
  o.leader_election.enabled = true;
  o.leader_election.lease_name = "lock";
  o.leader_election.identity = "a";
  Recorder rec;
  std::unique_ptr<Manager> mgr = NewManager(o);
  absl::StatusOr<Controller*> c = Builder(mgr.get()).For<ConfigMap>().Build(rec.Make());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(mgr->Start().ok());
  ASSERT_TRUE(Eventually([&] { return (*c)->Running(); }, &clock_, absl::Milliseconds(500)));

  // Another holder takes the lease: renewals fail until the renew deadline, then a steps down.
  client::TypedClient<api::coordination::v1::Lease> leases(cluster_.client.get());
  absl::StatusOr<std::unique_ptr<api::coordination::v1::Lease>> lease =
      leases.Get("default", "lock");
  ASSERT_TRUE(lease.ok());
  (*lease)->mutable_spec()->set_holderidentity("intruder");
  ASSERT_TRUE(leases.Update(**lease).ok());
  ASSERT_TRUE(Eventually([&] { return !mgr->IsLeader() && !(*c)->Running(); }, &clock_,
                         absl::Milliseconds(500)));

  // The intruder never renews: a campaigns again and wins it back after the lease duration.
  ASSERT_TRUE(Eventually([&] { return mgr->IsLeader() && (*c)->Running(); }, &clock_,
                         absl::Milliseconds(500)));
  Create(Cm("after"));
  ASSERT_TRUE(Eventually([&] { return rec.Count("ns/after") == 1; }));
  absl::StatusOr<std::unique_ptr<api::coordination::v1::Lease>> now = leases.Get("default", "lock");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ((*now)->spec().holderidentity(), "a");
  EXPECT_EQ((*now)->spec().leasetransitions(), 1);
}

TEST_F(ManagerTest, ClustersRecordEvents) {
  std::unique_ptr<Manager> mgr = NewManager();
  std::unique_ptr<record::EventRecorder> recorder =
      mgr->GetCluster()->GetEventRecorderFor("cm-controller");
  ConfigMap cm = Cm("a");
  cm.mutable_metadata()->set_uid("uid-a");
  recorder->Event(cm, record::kEventTypeNormal, "Synced", "synced");
  recorder->Event(cm, record::kEventTypeNormal, "Synced", "synced");
  client::TypedClient<api::core::v1::Event> events(cluster_.client.get());
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<client::TypedList<api::core::v1::Event>> list = events.List("ns");
    return list.ok() && list->items.size() == 1 && list->items[0]->count() == 2;
  }));
  absl::StatusOr<client::TypedList<api::core::v1::Event>> list = events.List("ns");
  EXPECT_EQ(list->items[0]->source().component(), "cm-controller");
  EXPECT_EQ(list->items[0]->involvedobject().name(), "a");
}

TEST_F(ManagerTest, BuilderErrors) {
  Recorder rec;
  std::unique_ptr<Manager> mgr = NewManager();
  EXPECT_EQ(Builder(mgr.get()).Owns<Secret>().Complete(rec.Make()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Builder(mgr.get())
                .For<api::meta::v1::ObjectMeta>()  // Not a kind.
                .Complete(rec.Make())
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Builder(mgr.get()).Complete(rec.Make()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Builder(mgr.get()).For<ConfigMap>().For<Secret>().Complete(rec.Make()).code(),
            absl::StatusCode::kInvalidArgument);
  // A watch-only controller needs a name.
  ASSERT_TRUE(Builder(mgr.get())
                  .Named("mapped")
                  .Watches<Secret>(EnqueueRequestsFromMapFunc([](const Object&) {
                    return std::vector<Request>{{"", "ns", "fixed"}};
                  }))
                  .Complete(rec.Make())
                  .ok());
  ASSERT_TRUE(mgr->Start().ok());
  EXPECT_EQ(mgr->Start().code(), absl::StatusCode::kFailedPrecondition);
  client::TypedClient<Secret> secrets(cluster_.client.get());
  Secret s;
  s.mutable_metadata()->set_namespace_("ns");
  s.mutable_metadata()->set_name("any");
  ASSERT_TRUE(secrets.Create(s).ok());
  ASSERT_TRUE(Eventually([&] { return rec.Count("ns/fixed") == 1; }));
  mgr->Stop();
  EXPECT_EQ(mgr->Start().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace rudder::ctrl
