#include "lib/store/etcd/etcd_store.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/base/mutex.h"
#include "lib/store/etcd/testing/etcd_cluster.h"

namespace rudder::store {
namespace {

using testing::EtcdCluster;
using testing::EtcdClusterOptions;

// One single-member etcd shared by the tests of this suite; each test works under its own key
// prefix, so tests assert relative revisions only.
class EtcdStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cluster = EtcdCluster::Start({});
    if (!cluster.ok()) {
      skip_ = new absl::Status(cluster.status());
      return;
    }
    cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete skip_;
    skip_ = nullptr;
  }

  void SetUp() override {
    if (skip_ != nullptr) GTEST_SKIP() << "etcd not available: " << *skip_;
    store_ = Open(absl::StrCat(
        "/test/", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "/"));
  }

  std::unique_ptr<Store> Open(const std::string& prefix) {
    EtcdStoreOptions options;
    options.endpoints = cluster_->ClientEndpoints();
    options.key_prefix = prefix;
    auto store = NewEtcdStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Waits (long, to stay clear of timing) for the next response with events or an error.
  static WatchResponse NextEvents(Watcher& w) {
    while (true) {
      std::optional<WatchResponse> r = w.Next(absl::Seconds(30));
      if (!r.has_value()) return WatchResponse{{}, 0, absl::DeadlineExceededError("no response")};
      if (!r->events.empty() || !r->status.ok()) return *r;
    }
  }

  static EtcdCluster* cluster_;
  static absl::Status* skip_;
  std::unique_ptr<Store> store_;
};
EtcdCluster* EtcdStoreTest::cluster_ = nullptr;
absl::Status* EtcdStoreTest::skip_ = nullptr;

TEST_F(EtcdStoreTest, PutGetTracksRevisionsAndVersions) {
  auto r1 = store_->Put("a", "1");
  ASSERT_TRUE(r1.ok()) << r1.status();
  auto r2 = store_->Put("a", "2");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(*r2, *r1 + 1);
  auto kv = store_->Get("a");
  ASSERT_TRUE(kv.ok());
  ASSERT_TRUE(kv->has_value());
  EXPECT_EQ((*kv)->key, "a");
  EXPECT_EQ((*kv)->value, "2");
  EXPECT_EQ((*kv)->create_revision, *r1);
  EXPECT_EQ((*kv)->mod_revision, *r2);
  EXPECT_EQ((*kv)->version, 2);
  auto old = store_->Get("a", *r1);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ((*old)->value, "1");
  auto current = store_->CurrentRevision();
  ASSERT_TRUE(current.ok());
  EXPECT_GE(*current, *r2);
  EXPECT_FALSE(store_->Get("missing")->has_value());
}

TEST_F(EtcdStoreTest, RangeHonoursLimitCountAndKeysOnly) {
  for (const char* k : {"r/a", "r/b", "r/c", "s/x"}) ASSERT_TRUE(store_->Put(k, "v").ok());
  RangeOptions limit;
  limit.limit = 2;
  auto r = store_->Range(KeyRange::Prefix("r/"), limit);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->kvs.size(), 2u);
  EXPECT_EQ(r->kvs[0].key, "r/a");
  EXPECT_EQ(r->kvs[1].key, "r/b");
  EXPECT_TRUE(r->more);
  EXPECT_EQ(r->count, 3);
  RangeOptions keys_only;
  keys_only.keys_only = true;
  r = store_->Range(KeyRange::Prefix(""), keys_only);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->kvs.size(), 4u);
  EXPECT_EQ(r->kvs[3].key, "s/x");
  EXPECT_EQ(r->kvs[3].value, "");
  RangeOptions count_only;
  count_only.count_only = true;
  r = store_->Range(KeyRange{"r/b", std::string(1, '\0')}, count_only);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->kvs.empty());
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(store_->Range(KeyRange{"", ""}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EtcdStoreTest, TxnComparesIncludingRanges) {
  auto rev = store_->Put("t/a", "1");
  ASSERT_TRUE(rev.ok());
  ASSERT_TRUE(store_->Put("t/b", "1").ok());
  TxnRequest cas;
  cas.compares.push_back(Compare::ModRevision("t/a", Compare::Op::kEqual, *rev));
  cas.success.push_back(TxnOp::Put("t/a", "2", 0, /*prev_kv=*/true));
  cas.failure.push_back(TxnOp::Get(KeyRange::Single("t/a")));
  auto r = store_->Txn(cas);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->succeeded);
  ASSERT_EQ(r->results.size(), 1u);
  ASSERT_EQ(r->results[0].prev_kvs.size(), 1u);
  EXPECT_EQ(r->results[0].prev_kvs[0].value, "1");
  EXPECT_EQ(r->results[0].prev_kvs[0].key, "t/a");
  // The same compare now fails and runs the failure branch.
  r = store_->Txn(cas);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->succeeded);
  ASSERT_EQ(r->results.size(), 1u);
  ASSERT_EQ(r->results[0].range.kvs.size(), 1u);
  EXPECT_EQ(r->results[0].range.kvs[0].value, "2");
  // A compare over a range holds only if it holds for every key of the range.
  TxnRequest all_v1;
  Compare c = Compare::Version("t/", Compare::Op::kEqual, 1);
  c.range = KeyRange::Prefix("t/");
  all_v1.compares.push_back(c);
  r = store_->Txn(all_v1);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->succeeded);  // t/a is at version 2.
  c.op = Compare::Op::kGreater;
  c.number = 0;
  TxnRequest all_exist;
  all_exist.compares.push_back(c);
  all_exist.success.push_back(TxnOp::Delete(KeyRange::Prefix("t/"), /*prev_kv=*/true));
  r = store_->Txn(all_exist);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->succeeded);
  EXPECT_EQ(r->results[0].deleted, 2);
  EXPECT_EQ(r->results[0].prev_kvs.size(), 2u);
  TxnRequest bad;
  bad.success.push_back(TxnOp::Get(KeyRange::Single("x"), RangeOptions{.revision = 1}));
  auto s = store_->Txn(bad).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("success[0].options.revision"), absl::string_view::npos) << s;
}

TEST_F(EtcdStoreTest, KeyPrefixIsolatesStoresOnOneCluster) {
  std::unique_ptr<Store> a = Open("/ns-a/");
  std::unique_ptr<Store> b = Open("/ns-b/");
  ASSERT_TRUE(a->Put("k", "a").ok());
  ASSERT_TRUE(b->Put("k", "b").ok());
  auto in_a = a->Range(KeyRange::Prefix(""));
  ASSERT_TRUE(in_a.ok());
  ASSERT_EQ(in_a->kvs.size(), 1u);
  EXPECT_EQ(in_a->kvs[0].key, "k");
  EXPECT_EQ(in_a->kvs[0].value, "a");
  ASSERT_TRUE(b->Delete(KeyRange::Prefix("")).ok());
  EXPECT_TRUE(a->Get("k")->has_value());
  // An unprefixed store sees both namespaces' raw keys.
  std::unique_ptr<Store> raw = Open("");
  auto all = raw->Range(KeyRange::Prefix("/ns-a/"));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->kvs.size(), 1u);
  EXPECT_EQ(all->kvs[0].key, "/ns-a/k");
}

TEST_F(EtcdStoreTest, WatchesStayInsideTheirNamespace) {
  std::unique_ptr<Store> a = Open("/wns-a/");
  std::unique_ptr<Store> b = Open("/wns-b/");
  auto w = a->Watch(KeyRange::Prefix(""));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(b->Put("k", "b").ok());
  auto mine = a->Put("k", "a");
  ASSERT_TRUE(mine.ok());
  WatchResponse r = NextEvents(**w);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].kv.key, "k");
  EXPECT_EQ(r.events[0].kv.value, "a");
  EXPECT_EQ(r.events[0].kv.mod_revision, *mine);
}

TEST_F(EtcdStoreTest, CompactionReportsCompactRevision) {
  auto r1 = store_->Put("c", "1");
  auto r2 = store_->Put("c", "2");
  ASSERT_TRUE(r1.ok() && r2.ok());
  ASSERT_TRUE(store_->Compact(*r2).ok());
  auto old = store_->Get("c", *r1);
  EXPECT_TRUE(IsCompacted(old.status())) << old.status();
  EXPECT_EQ(CompactedRevision(old.status()), *r2);
  EXPECT_EQ(*store_->CompactRevision(), *r2);
  // A fresh client (no local knowledge) finds the same compaction point.
  std::unique_ptr<Store> other = Open("/other/");
  EXPECT_EQ(*other->CompactRevision(), *r2);
  auto w = store_->Watch(KeyRange::Single("c"), WatchOptions{.start_revision = *r1});
  EXPECT_TRUE(IsCompacted(w.status())) << w.status();
  EXPECT_EQ(CompactedRevision(w.status()), *r2);
  EXPECT_TRUE(IsCompacted(store_->Compact(*r1)));
  EXPECT_EQ(store_->Compact(0).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EtcdStoreTest, FutureRevisionsAreOutOfRange) {
  auto rev = store_->CurrentRevision();
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(store_->Get("x", *rev + 1000).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(IsCompacted(store_->Get("x", *rev + 1000).status()));
  EXPECT_EQ(store_->Watch(KeyRange::Single("x"), WatchOptions{.start_revision = *rev + 1000})
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
}

TEST_F(EtcdStoreTest, LeasesAttachRenewAndRevoke) {
  auto lease = store_->LeaseGrant(60);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_NE(lease->id, 0);
  EXPECT_EQ(lease->granted_ttl, 60);
  ASSERT_TRUE(store_->Put("l/a", "v", lease->id).ok());
  auto ttl = store_->LeaseTimeToLive(lease->id, /*keys=*/true);
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ(ttl->granted_ttl, 60);
  EXPECT_GT(ttl->ttl, 0);
  EXPECT_EQ(ttl->keys, std::vector<std::string>{"l/a"});
  auto renewed = store_->LeaseKeepAlive(lease->id);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(*renewed, 60);
  EXPECT_EQ((*store_->Get("l/a"))->lease, lease->id);
  ASSERT_TRUE(store_->LeaseRevoke(lease->id).ok());
  EXPECT_FALSE(store_->Get("l/a")->has_value());
  EXPECT_EQ(store_->LeaseRevoke(lease->id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaseKeepAlive(lease->id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaseTimeToLive(lease->id).status().code(), absl::StatusCode::kNotFound);
  auto chosen = store_->LeaseGrant(60, 424242);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->id, 424242);
  EXPECT_EQ(store_->LeaseGrant(60, 424242).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->LeaseGrant(0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EtcdStoreTest, ExpiredLeaseDeletesKeysAndWatchersSeeIt) {
  auto lease = store_->LeaseGrant(1);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(store_->Put("e/a", "v", lease->id).ok());
  auto w = store_->Watch(KeyRange::Prefix("e/"));
  ASSERT_TRUE(w.ok());
  // etcd expires the lease in real time (about a second); the watcher sees the delete.
  WatchResponse r = NextEvents(**w);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(r.events[0].kv.key, "e/a");
  EXPECT_FALSE(store_->Get("e/a")->has_value());
  EXPECT_EQ(store_->LeaseKeepAlive(lease->id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EtcdStoreTest, WatchDeliversEventsWithPrevKvFromStartRevision) {
  auto r1 = store_->Put("w/a", "1");
  ASSERT_TRUE(r1.ok());
  auto w =
      store_->Watch(KeyRange::Prefix("w/"), WatchOptions{.start_revision = *r1, .prev_kv = true});
  ASSERT_TRUE(w.ok()) << w.status();
  auto r2 = store_->Put("w/a", "2");
  ASSERT_TRUE(r2.ok());
  ASSERT_TRUE(store_->Delete(KeyRange::Single("w/a")).ok());
  std::vector<WatchEvent> events;
  while (events.size() < 3) {
    WatchResponse r = NextEvents(**w);
    ASSERT_TRUE(r.status.ok()) << r.status;
    for (auto& e : r.events) events.push_back(e);
  }
  EXPECT_EQ(events[0].kv.mod_revision, *r1);
  EXPECT_FALSE(events[0].prev_kv.has_value());
  EXPECT_EQ(events[1].kv.value, "2");
  ASSERT_TRUE(events[1].prev_kv.has_value());
  EXPECT_EQ(events[1].prev_kv->value, "1");
  EXPECT_EQ(events[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[2].kv.key, "w/a");
  ASSERT_TRUE(events[2].prev_kv.has_value());
  EXPECT_EQ(events[2].prev_kv->value, "2");
  (*w)->Cancel();
  auto end = (*w)->Next(absl::Seconds(5));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kCancelled);
}

TEST_F(EtcdStoreTest, WatchersOfOneRangeShareHistoryAndStartRevisions) {
  auto w1 = store_->Watch(KeyRange::Prefix("s/"));
  ASSERT_TRUE(w1.ok());
  auto r1 = store_->Put("s/a", "1");
  auto r2 = store_->Put("s/b", "2");
  ASSERT_TRUE(r1.ok() && r2.ok());
  WatchResponse first = NextEvents(**w1);
  ASSERT_EQ(first.events[0].kv.mod_revision, *r1);
  // A second watcher of the same range from r2 gets exactly r2 onwards.
  auto w2 = store_->Watch(KeyRange::Prefix("s/"), WatchOptions{.start_revision = *r2});
  ASSERT_TRUE(w2.ok());
  WatchResponse second = NextEvents(**w2);
  ASSERT_TRUE(second.status.ok());
  EXPECT_EQ(second.events[0].kv.mod_revision, *r2);
  EXPECT_EQ(second.events[0].kv.key, "s/b");
  // And one from r1 (older than its history start) still gets everything.
  auto w3 = store_->Watch(KeyRange::Prefix("s/"), WatchOptions{.start_revision = *r1});
  ASSERT_TRUE(w3.ok());
  std::vector<int64_t> revs;
  while (revs.size() < 2) {
    WatchResponse r = NextEvents(**w3);
    ASSERT_TRUE(r.status.ok());
    for (auto& e : r.events) revs.push_back(e.kv.mod_revision);
  }
  EXPECT_EQ(revs, (std::vector<int64_t>{*r1, *r2}));
}

TEST_F(EtcdStoreTest, WatchersOfOneRangeShareEventObjects) {
  auto w1 = store_->Watch(KeyRange::Prefix("sh/"));
  auto w2 = store_->Watch(KeyRange::Prefix("sh/"));
  auto with_prev = store_->Watch(KeyRange::Prefix("sh/"), WatchOptions{.prev_kv = true});
  ASSERT_TRUE(w1.ok() && w2.ok() && with_prev.ok());
  ASSERT_TRUE(store_->Put("sh/a", "1").ok());
  ASSERT_TRUE(store_->Put("sh/a", "2").ok());
  auto next = [](Watcher& w) {
    std::vector<std::shared_ptr<const WatchEvent>> events;
    while (events.size() < 2) {
      auto r = w.NextShared(absl::Seconds(30));
      if (!r.has_value() || !r->status.ok()) break;
      events.insert(events.end(), r->events.begin(), r->events.end());
    }
    return events;
  };
  auto e1 = next(**w1);
  auto e2 = next(**w2);
  auto e3 = next(**with_prev);
  ASSERT_EQ(e1.size(), 2u);
  ASSERT_EQ(e2.size(), 2u);
  ASSERT_EQ(e3.size(), 2u);
  EXPECT_EQ(e1[0].get(), e2[0].get());
  EXPECT_EQ(e1[1].get(), e2[1].get());
  // The first put had no previous value: one object serves both kinds of watcher.
  EXPECT_EQ(e1[0].get(), e3[0].get());
  EXPECT_NE(e1[1].get(), e3[1].get());
  EXPECT_FALSE(e1[1]->prev_kv.has_value());
  ASSERT_TRUE(e3[1]->prev_kv.has_value());
  EXPECT_EQ(e3[1]->prev_kv->value, "1");
}

TEST_F(EtcdStoreTest, SlowWatcherIsCutOffWithoutHurtingOthers) {
  auto slow = store_->Watch(KeyRange::Prefix("q/"), WatchOptions{.max_buffered_events = 3});
  auto fast = store_->Watch(KeyRange::Prefix("q/"));
  ASSERT_TRUE(slow.ok() && fast.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store_->Put(absl::StrCat("q/", i), "v").ok());
  int seen = 0;
  while (seen < 10) {
    WatchResponse r = NextEvents(**fast);
    ASSERT_TRUE(r.status.ok()) << r.status;
    seen += r.events.size();
  }
  WatchResponse cut;
  do {
    cut = NextEvents(**slow);
  } while (cut.status.ok());
  EXPECT_EQ(cut.status.code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(EtcdStoreTest, ProgressNotifications) {
  auto rev = store_->Put("p/a", "1");
  ASSERT_TRUE(rev.ok());
  auto w = store_->Watch(KeyRange::Prefix("p/"), WatchOptions{.progress_notify = true});
  ASSERT_TRUE(w.ok());
  (*w)->RequestProgress();
  auto r = (*w)->Next(absl::Seconds(30));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->events.empty());
  EXPECT_GE(r->revision, *rev);
  // etcd's own periodic notification (every second under the harness) follows while idle.
  r = (*w)->Next(absl::Seconds(30));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->status.ok());
  EXPECT_TRUE(r->events.empty());
  EXPECT_GE(r->revision, *rev);
}

TEST_F(EtcdStoreTest, ReadyCallbackFires) {
  auto w = store_->Watch(KeyRange::Prefix("cb/"));
  ASSERT_TRUE(w.ok());
  struct State {
    Mutex mu;
    CondVar cv;
    int calls ABSL_GUARDED_BY(mu) = 0;
  };
  auto state = std::make_shared<State>();
  (*w)->SetReadyCallback([state] {
    MutexLock lock(&state->mu);
    state->calls++;
    state->cv.SignalAll();
  });
  ASSERT_TRUE(store_->Put("cb/a", "1").ok());
  {
    MutexLock lock(&state->mu);
    while (state->calls == 0) state->cv.Wait(&state->mu);
  }
  WatchResponse r = NextEvents(**w);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.events[0].kv.key, "cb/a");
}

TEST(EtcdStoreOptionsTest, RejectsBadOptionsAndUnreachableEndpoints) {
  EtcdStoreOptions none;
  none.endpoints.clear();
  EXPECT_EQ(NewEtcdStore(none).status().code(), absl::StatusCode::kInvalidArgument);
  EtcdStoreOptions tls;
  tls.endpoints = {"https://127.0.0.1:2379"};
  EXPECT_EQ(NewEtcdStore(tls).status().code(), absl::StatusCode::kInvalidArgument);
  EtcdStoreOptions dead;
  dead.endpoints = {"127.0.0.1:1"};
  dead.request_timeout = absl::Seconds(1);
  dead.dial_timeout = absl::Milliseconds(200);
  EXPECT_EQ(NewEtcdStore(dead).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rudder::store
