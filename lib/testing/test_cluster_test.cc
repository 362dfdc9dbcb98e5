#include "lib/testing/test_cluster.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/mutex.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/predicate.h"
#include "lib/sched/kube/scheduler_runner.h"

namespace rudder::testing {
namespace {

using api::core::v1::ConfigMap;

ConfigMap Map(const std::string& name, const ConfigMap* owner = nullptr) {
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("default");
  cm.mutable_metadata()->set_name(name);
  if (owner != nullptr) {
    auto* r = cm.mutable_metadata()->add_ownerreferences();
    r->set_apiversion("v1");
    r->set_kind("ConfigMap");
    r->set_name(owner->metadata().name());
    r->set_uid(owner->metadata().uid());
    r->set_blockownerdeletion(true);
  }
  return cm;
}

std::unique_ptr<TestCluster> StartCluster(TestClusterOptions o) {
  auto tc = TestCluster::Start(std::move(o));
  EXPECT_TRUE(tc.ok()) << tc.status();
  return tc.ok() ? *std::move(tc) : nullptr;
}

// A controller of ConfigMaps whose every reconcile counts itself and requeues after `period`.
ControllerFactory RequeueingController(const std::string& name, absl::Duration period,
                                       std::atomic<int>* reconciles) {
  return {name,
          [period, reconciles](
              const ControllerContext& ctx) -> absl::StatusOr<std::unique_ptr<RunningController>> {
            auto r = ctrl::Builder(ctx.manager)
                         .For<ConfigMap>()
                         .Complete(ctrl::ReconcilerFunc([period, reconciles](const ctrl::Request&) {
                           ++*reconciles;
                           return ctrl::Result{.requeue_after = period};
                         }));
            if (!r.ok()) return r;
            return nullptr;
          }};
}

TEST(TestClusterTest, GarbageCollectorRunsInTheCluster) {
  TestClusterOptions o;
  o.controllers = {GarbageCollectorController()};
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<ConfigMap> maps(tc->client());
  auto owner = maps.Create(Map("owner"));
  ASSERT_TRUE(owner.ok());
  ASSERT_TRUE(maps.Create(Map("dep", owner->get())).ok());
  {
    absl::Status q = tc->WaitForQuiescence();
    ASSERT_TRUE(q.ok()) << q;
  }
  EXPECT_TRUE(maps.Get("default", "dep").ok());
  ASSERT_TRUE(maps.Delete("default", "owner").ok());
  // Quiescent means done: no polling.
  {
    absl::Status q = tc->WaitForQuiescence();
    ASSERT_TRUE(q.ok()) << q;
  }
  EXPECT_TRUE(absl::IsNotFound(maps.Get("default", "dep").status()));
}

TEST(TestClusterTest, AdvanceFiresRequeueAfterExactlyWhenDue) {
  std::atomic<int> reconciles{0};
  TestClusterOptions o;
  o.controllers = {RequeueingController("periodic", absl::Minutes(1), &reconciles)};
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<ConfigMap> maps(tc->client());
  ASSERT_TRUE(maps.Create(Map("cm")).ok());
  {
    absl::Status q = tc->WaitForQuiescence();
    ASSERT_TRUE(q.ok()) << q;
  }
  EXPECT_EQ(reconciles.load(), 1);
  ASSERT_TRUE(tc->Advance(absl::Seconds(59)).ok());
  EXPECT_EQ(reconciles.load(), 1);
  ASSERT_TRUE(tc->Advance(absl::Seconds(1)).ok());
  EXPECT_EQ(reconciles.load(), 2);
  ASSERT_TRUE(tc->Advance(absl::Minutes(1)).ok());
  EXPECT_EQ(reconciles.load(), 3);
}

// A handler that takes a while (in real time) before it enqueues: quiescence waits for the
// event to reach the queue and for its reconcile, however long that takes.
TEST(TestClusterTest, QuiescenceWaitsForASlowHandler) {
  TestClusterOptions o;
  o.controllers = {
      {"copier",
       [](const ControllerContext& ctx) -> absl::StatusOr<std::unique_ptr<RunningController>> {
         client::Client* c = ctx.client;
         auto slow = ctrl::NewPredicateFuncs([](const client::Object&) {
           std::this_thread::sleep_for(std::chrono::milliseconds(20));
           return true;
         });
         auto r = ctrl::Builder(ctx.manager)
                      .For<ConfigMap>({slow})
                      .Complete(ctrl::ReconcilerFunc([c](const ctrl::Request& req) {
                        api::core::v1::Secret s;
                        s.mutable_metadata()->set_namespace_(req.ns);
                        s.mutable_metadata()->set_name("copy-" + req.name);
                        (void)client::TypedClient<api::core::v1::Secret>(c).Create(s);
                        return ctrl::Result{};
                      }));
         if (!r.ok()) return r;
         return nullptr;
       }}};
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<ConfigMap> maps(tc->client());
  client::TypedClient<api::core::v1::Secret> secrets(tc->direct_client());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(maps.Create(Map("cm-" + std::to_string(i))).ok());
    // One quiescence, no retries: the copy must be there.
    absl::Status q = tc->WaitForQuiescence();
    ASSERT_TRUE(q.ok()) << q;
    EXPECT_TRUE(secrets.Get("default", "copy-cm-" + std::to_string(i)).ok()) << i;
    EXPECT_EQ(tc->clock()->InFlight(), 0);
  }
}

// An eviction through the cluster's client is a write quiescence waits for: a controller that
// sees the pod gone has acted once WaitForQuiescence returns.
TEST(TestClusterTest, EvictionIsAWriteQuiescenceWaitsFor) {
  TestClusterOptions o;
  o.controllers = {
      {"gone-marker",
       [](const ControllerContext& ctx) -> absl::StatusOr<std::unique_ptr<RunningController>> {
         client::Client* c = ctx.client;
         auto r = ctrl::Builder(ctx.manager)
                      .For<api::core::v1::Pod>()
                      .Complete(ctrl::ReconcilerFunc([c](const ctrl::Request& req) {
                        client::TypedClient<api::core::v1::Pod> pods(c);
                        if (absl::IsNotFound(pods.Get(req.ns, req.name).status())) {
                          (void)client::TypedClient<ConfigMap>(c).Create(Map("gone-" + req.name));
                        }
                        return ctrl::Result{};
                      }));
         if (!r.ok()) return r;
         return nullptr;
       }}};
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  api::core::v1::Pod p;
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_metadata()->set_name("p");
  auto* ctr = p.mutable_spec()->add_containers();
  ctr->set_name("app");
  ctr->set_image("busybox");
  ASSERT_TRUE(client::TypedClient<api::core::v1::Pod>(tc->client()).Create(p).ok());
  ASSERT_TRUE(tc->WaitForQuiescence().ok());
  api::policy::v1::Eviction e;
  e.mutable_metadata()->set_name("p");
  ASSERT_TRUE(tc->client()->Evict("default", e, {}).ok());
  absl::Status q = tc->WaitForQuiescence();
  ASSERT_TRUE(q.ok()) << q;
  EXPECT_TRUE(client::TypedClient<ConfigMap>(tc->direct_client()).Get("default", "gone-p").ok());
}

// A reconcile requeued exactly at the instant the test advances to runs before Advance
// returns, each time, with no retries.
TEST(TestClusterTest, RequeueDueAtTheAdvanceRunsBeforeItReturns) {
  std::atomic<int> reconciles{0};
  TestClusterOptions o;
  o.controllers = {RequeueingController("ticker", absl::Seconds(10), &reconciles)};
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<ConfigMap> maps(tc->client());
  ASSERT_TRUE(maps.Create(Map("cm")).ok());
  ASSERT_TRUE(tc->WaitForQuiescence().ok());
  ASSERT_EQ(reconciles.load(), 1);
  for (int i = 2; i <= 30; ++i) {
    absl::Status s = tc->Advance(absl::Seconds(10));
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(reconciles.load(), i);
  }
}

// A controller outside the manager whose thread acts at a deadline of the fake clock: it
// works for a while (in real time, reporting nothing) before its write. Advance waits for it:
// the thread counts from the instant its deadline is reached until it waits again.
class TimedWriter : public RunningController {
 public:
  TimedWriter(client::Client* c, FakeClock* clock) : client_(c), clock_(clock) {
    thread_ = std::thread([this] { Run(); });
    // The thread holds mu_ from `started_` until its first wait on the clock lets go of it.
    MutexLock lock(&mu_);
    while (!started_) started_cv_.Wait(&mu_);
  }
  ~TimedWriter() override { Stop(); }
  void Stop() override {
    {
      MutexLock lock(&mu_);
      stop_ = true;
      cv_.SignalAll();
    }
    if (thread_.joinable()) thread_.join();
  }
  bool Idle() const override { return true; }  // nothing queued: only its timer

 private:
  void Run() {
    MutexLock lock(&mu_);
    started_ = true;
    started_cv_.SignalAll();
    for (int i = 1; !stop_; ++i) {
      absl::Time at = start_ + absl::Seconds(10) * i;
      while (!stop_ && !clock_->WaitUntil(&cv_, &mu_, at)) {
      }
      if (stop_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      (void)client::TypedClient<ConfigMap>(client_).Create(Map("tick-" + std::to_string(i)));
    }
  }

  client::Client* const client_;
  FakeClock* const clock_;
  const absl::Time start_ = clock_->Now();
  Mutex mu_;
  CondVar cv_;
  CondVar started_cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

TEST(TestClusterTest, AdvanceWaitsForWorkDoneAtADeadline) {
  TestClusterOptions o;
  o.controllers = {
      {"timed-writer",
       [](const ControllerContext& ctx) -> absl::StatusOr<std::unique_ptr<RunningController>> {
         return std::make_unique<TimedWriter>(ctx.client, ctx.clock);
       }}};
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  client::TypedClient<ConfigMap> maps(tc->direct_client());
  for (int i = 1; i <= 3; ++i) {
    absl::Status s = tc->Advance(absl::Seconds(10));
    ASSERT_TRUE(s.ok()) << s;
    // One Advance, no retries: the write made at the deadline is there.
    EXPECT_TRUE(maps.Get("default", "tick-" + std::to_string(i)).ok()) << i;
  }
}

TEST(TestClusterTest, WaitForExplainsFailureWithTheLastState) {
  auto tc = StartCluster({});
  ASSERT_NE(tc, nullptr);
  client::TypedClient<ConfigMap> maps(tc->client());
  ConfigMap cm = Map("cm");
  (*cm.mutable_data())["color"] = "blue";
  ASSERT_TRUE(maps.Create(cm).ok());
  absl::Status s = tc->WaitFor<ConfigMap>(
      "default", "cm",
      [](const ConfigMap* c) { return c != nullptr && c->data().at("color") == "red"; },
      "data.color to be red");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("data.color to be red"), std::string::npos) << s;
  EXPECT_NE(s.message().find("color: blue"), std::string::npos) << s;
  EXPECT_TRUE(tc->WaitFor<ConfigMap>(
                    "default", "cm", [](const ConfigMap* c) { return c != nullptr; }, "present")
                  .ok());
  EXPECT_TRUE(tc->WaitFor<ConfigMap>(
                    "default", "absent", [](const ConfigMap* c) { return c == nullptr; }, "absent")
                  .ok());
}

TEST(TestClusterTest, SchedulerIsBuiltIn) {
  TestClusterOptions s;
  s.scheduler = true;
  absl::StatusOr<std::unique_ptr<TestCluster>> tc = TestCluster::Start(std::move(s));
  ASSERT_TRUE(tc.ok()) << tc.status();
  ASSERT_NE((*tc)->scheduler(), nullptr);
  ASSERT_TRUE((*tc)->WaitForQuiescence().ok());
  EXPECT_TRUE((*tc)->scheduler()->Ready());
}

TEST(TestClusterTest, ServesRestAndWritesAKubeconfig) {
  TestClusterOptions o;
  o.serve_rest = true;
  auto tc = StartCluster(std::move(o));
  ASSERT_NE(tc, nullptr);
  EXPECT_EQ(tc->server_url().rfind("http://127.0.0.1:", 0), 0u);
  std::ifstream in(tc->kubeconfig_path());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("server: " + tc->server_url()), std::string::npos) << text.str();
}

TEST(TestClusterTest, PerturbedWatchesStillConverge) {
  int64_t drops = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    TestClusterOptions o;
    o.controllers = {GarbageCollectorController()};
    o.perturbation.seed = seed;
    o.perturbation.drop_probability = 0.2;
    auto tc = StartCluster(std::move(o));
    ASSERT_NE(tc, nullptr);
    client::TypedClient<ConfigMap> maps(tc->client());
    auto owner = maps.Create(Map("owner"));
    ASSERT_TRUE(owner.ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(maps.Create(Map("dep-" + std::to_string(i), owner->get())).ok());
    }
    ASSERT_TRUE(maps.Delete("default", "owner").ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(tc->WaitFor<ConfigMap>(
                        "default", "dep-" + std::to_string(i),
                        [](const ConfigMap* c) { return c == nullptr; }, "collected")
                      .ok())
          << "seed " << seed;
    }
    drops += tc->DroppedWatches();
  }
  EXPECT_GT(drops, 0);
}

}  // namespace
}  // namespace rudder::testing
