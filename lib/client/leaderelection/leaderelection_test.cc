#include "lib/client/leaderelection/leaderelection.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::leaderelection {
namespace {

using api::coordination::v1::Lease;

class LeaderElectionTest : public ::testing::Test {
 protected:
  LeaderElectionTest()
      : store_(*store::NewMemoryStore()),
        scheme_(api::NewBuiltinScheme()),
        registry_(store_.get(), scheme_.get()),
        client_(client::NewInProcessClient(&registry_)) {}

  LeaderElectionConfig Config(const std::string& identity) {
    LeaderElectionConfig c;
    c.lock = NewLeaseLock(client_.get(), "kube-system", "ctrl", identity);
    c.clock = &clock_;
    c.jitter_factor = 0;
    return c;
  }
  std::unique_ptr<LeaderElector> Elector(LeaderElectionConfig c) {
    absl::StatusOr<std::unique_ptr<LeaderElector>> e = LeaderElector::New(std::move(c));
    EXPECT_TRUE(e.ok()) << e.status();
    return *std::move(e);
  }
  Lease GetLease() {
    client::TypedClient<Lease> leases(client_.get());
    absl::StatusOr<std::unique_ptr<Lease>> l = leases.Get("kube-system", "ctrl");
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? **l : Lease();
  }
  // Advances the fake clock a second at a time until `done` (bounded by `max_steps`).
  bool AdvanceUntil(const std::function<bool()>& done, int max_steps = 600) {
    for (int i = 0; i < max_steps; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (done()) return true;
      clock_.Advance(absl::Milliseconds(250));
    }
    return done();
  }

  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  apiserver::Registry registry_;
  std::unique_ptr<client::Client> client_;
};

TEST_F(LeaderElectionTest, ConfigIsValidated) {
  LeaderElectionConfig no_lock;
  EXPECT_EQ(LeaderElector::New(std::move(no_lock)).status().code(),
            absl::StatusCode::kInvalidArgument);
  LeaderElectionConfig c = Config("a");
  c.renew_deadline = absl::Seconds(20);  // Not below the lease duration.
  EXPECT_EQ(LeaderElector::New(std::move(c)).status().code(), absl::StatusCode::kInvalidArgument);
  LeaderElectionConfig d = Config("a");
  d.retry_period = absl::Seconds(10);  // Not below the renew deadline.
  EXPECT_EQ(LeaderElector::New(std::move(d)).status().code(), absl::StatusCode::kInvalidArgument);
  LeaderElectionConfig e = Config("");
  EXPECT_EQ(LeaderElector::New(std::move(e)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LeaderElectionTest, AcquireRenewAndTakeOverAfterLeaseDuration) {
  std::unique_ptr<LeaderElector> a = Elector(Config("a"));
  std::unique_ptr<LeaderElector> b = Elector(Config("b"));
  absl::Time t0 = clock_.Now();

  // The first candidate creates the lease.
  ASSERT_TRUE(a->TryAcquireOrRenew());
  EXPECT_TRUE(a->IsLeader());
  Lease lease = GetLease();
  EXPECT_EQ(lease.spec().holderidentity(), "a");
  EXPECT_EQ(lease.spec().leasedurationseconds(), 15);
  EXPECT_EQ(api::ToAbslTime(lease.spec().acquiretime()), t0);
  EXPECT_EQ(api::ToAbslTime(lease.spec().renewtime()), t0);
  EXPECT_EQ(lease.spec().leasetransitions(), 0);

  // The second sees a valid lease held by someone else.
  EXPECT_FALSE(b->TryAcquireOrRenew());
  EXPECT_EQ(b->GetLeader(), "a");
  EXPECT_FALSE(b->IsLeader());

  // The leader renews: renewTime moves, acquireTime stays.
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(a->TryAcquireOrRenew());
  lease = GetLease();
  EXPECT_EQ(api::ToAbslTime(lease.spec().acquiretime()), t0);
  EXPECT_EQ(api::ToAbslTime(lease.spec().renewtime()), t0 + absl::Seconds(10));

  // b saw the lease change 10 s after it first looked: it restarts its wait from now.
  EXPECT_FALSE(b->TryAcquireOrRenew());
  clock_.Advance(absl::Seconds(14));
  EXPECT_FALSE(b->TryAcquireOrRenew());  // 14 s since the change: still valid.
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(b->TryAcquireOrRenew());  // 16 s without renewal: expired.
  EXPECT_TRUE(b->IsLeader());
  lease = GetLease();
  EXPECT_EQ(lease.spec().holderidentity(), "b");
  EXPECT_EQ(lease.spec().leasetransitions(), 1);
  EXPECT_EQ(api::ToAbslTime(lease.spec().acquiretime()), t0 + absl::Seconds(26));

  // The old leader notices it lost.
  EXPECT_FALSE(a->TryAcquireOrRenew());
  EXPECT_FALSE(a->IsLeader());
  EXPECT_EQ(a->GetLeader(), "b");
}

TEST_F(LeaderElectionTest, ConcurrentCreateHasOneWinner) {
  std::unique_ptr<LeaderElector> a = Elector(Config("a"));
  std::unique_ptr<LeaderElector> b = Elector(Config("b"));
  std::atomic<int> wins{0};
  std::thread ta([&] { wins += a->TryAcquireOrRenew(); });
  std::thread tb([&] { wins += b->TryAcquireOrRenew(); });
  ta.join();
  tb.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_NE(a->IsLeader(), b->IsLeader());
}

struct Events {
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
  Mutex mu;
  std::vector<std::string> leaders ABSL_GUARDED_BY(mu);

  LeaderCallbacks Callbacks() {
    LeaderCallbacks cb;
    cb.on_started_leading = [this] { ++started; };
    cb.on_stopped_leading = [this] { ++stopped; };
    cb.on_new_leader = [this](const std::string& id) {
      MutexLock lock(&mu);
      leaders.push_back(id);
    };
    return cb;
  }
  std::vector<std::string> Leaders() {
    MutexLock lock(&mu);
    return leaders;
  }
};

TEST_F(LeaderElectionTest, FailoverWhenTheLeaderStopsRenewing) {
  Events ea, eb;
  LeaderElectionConfig ca = Config("a");
  ca.callbacks = ea.Callbacks();
  LeaderElectionConfig cb = Config("b");
  cb.callbacks = eb.Callbacks();
  std::unique_ptr<LeaderElector> a = Elector(std::move(ca));
  std::unique_ptr<LeaderElector> b = Elector(std::move(cb));

  std::thread ta([&] { a->Run(); });
  ASSERT_TRUE(AdvanceUntil([&] { return ea.started == 1; }));
  std::thread tb([&] { b->Run(); });
  ASSERT_TRUE(AdvanceUntil([&] { return b->GetLeader() == "a"; }));

  // The leader keeps renewing: b never takes over, however long we wait.
  for (int i = 0; i < 40; ++i) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(AdvanceUntil([&] {
      return GetLease().spec().renewtime().seconds() >= absl::ToUnixSeconds(clock_.Now()) - 4;
    }));
  }
  EXPECT_EQ(eb.started, 0);
  EXPECT_EQ(GetLease().spec().holderidentity(), "a");

  // a stops without releasing: b takes over once the lease has expired.
  a->Stop();
  ta.join();
  absl::Time last_renew = api::ToAbslTime(GetLease().spec().renewtime());
  EXPECT_EQ(ea.stopped, 1);
  ASSERT_TRUE(AdvanceUntil([&] { return eb.started == 1; }, 2000));
  // Never before a whole lease duration after the last renewal b could have seen.
  EXPECT_GE(clock_.Now() - last_renew, absl::Seconds(15));
  Lease lease = GetLease();
  EXPECT_EQ(lease.spec().holderidentity(), "b");
  EXPECT_EQ(lease.spec().leasetransitions(), 1);
  EXPECT_TRUE(b->IsLeader());
  std::vector<std::string> seen = eb.Leaders();
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front(), "a");
  EXPECT_EQ(seen.back(), "b");

  b->Stop();
  tb.join();
  EXPECT_EQ(eb.stopped, 1);
}

TEST_F(LeaderElectionTest, ReleaseOnCancelHandsOverAtOnce) {
  Events ea, eb;
  LeaderElectionConfig ca = Config("a");
  ca.callbacks = ea.Callbacks();
  ca.release_on_cancel = true;
  LeaderElectionConfig cb = Config("b");
  cb.callbacks = eb.Callbacks();
  std::unique_ptr<LeaderElector> a = Elector(std::move(ca));
  std::unique_ptr<LeaderElector> b = Elector(std::move(cb));

  std::thread ta([&] { a->Run(); });
  ASSERT_TRUE(AdvanceUntil([&] { return ea.started == 1; }));
  a->Stop();
  ta.join();
  Lease lease = GetLease();
  EXPECT_EQ(lease.spec().holderidentity(), "");
  EXPECT_EQ(lease.spec().leasedurationseconds(), 1);

  // No lease duration to wait: b's first attempt wins.
  absl::Time before = clock_.Now();
  ASSERT_TRUE(b->TryAcquireOrRenew());
  EXPECT_EQ(clock_.Now(), before);
  EXPECT_EQ(GetLease().spec().leasetransitions(), 1);
}

TEST_F(LeaderElectionTest, LeaderThatCannotRenewStepsDown) {
  Events ea;
  LeaderElectionConfig ca = Config("a");
  ca.callbacks = ea.Callbacks();
  std::unique_ptr<LeaderElector> a = Elector(std::move(ca));
  std::thread ta([&] { a->Run(); });
  ASSERT_TRUE(AdvanceUntil([&] { return ea.started == 1; }));

  // Someone else takes the lease by force; a's renewals now fail until its renew deadline.
  client::TypedClient<Lease> leases(client_.get());
  Lease lease = GetLease();
  lease.mutable_spec()->set_holderidentity("intruder");
  *lease.mutable_spec()->mutable_renewtime() = api::MicroFromAbslTime(clock_.Now());
  ASSERT_TRUE(leases.Update(lease).ok());

  ASSERT_TRUE(AdvanceUntil([&] { return ea.stopped == 1; }, 2000));
  ta.join();  // Run returned on its own.
  EXPECT_FALSE(a->IsLeader());
  EXPECT_EQ(a->GetLeader(), "intruder");
  a->Stop();
}

}  // namespace
}  // namespace rudder::leaderelection
