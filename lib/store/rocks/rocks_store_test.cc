#include "lib/store/rocks/rocks_store.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "rocksdb/db.h"

namespace rudder::store {
namespace {

namespace fs = std::filesystem;

std::string TempDir(absl::string_view name) {
  const char* base = std::getenv("TEST_TMPDIR");
  fs::path p = fs::path(base ? base : "/tmp") / absl::StrCat("rocks_", name, "_", ::getpid());
  fs::remove_all(p);
  return p.string();
}

class RocksStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  RocksStoreOptions Options() {
    RocksStoreOptions o;
    o.dir = dir_;
    o.clock = &clock_;
    o.watch_history_events = window_;
    return o;
  }
  void Reopen() {
    store_.reset();
    auto s = OpenRocksStore(Options());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  int64_t Put(absl::string_view k, absl::string_view v, int64_t lease = 0) {
    auto r = store_->Put(k, v, lease);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : -1;
  }
  std::optional<KeyValue> Get(absl::string_view k, int64_t rev = 0) {
    auto r = store_->Get(k, rev);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::nullopt;
  }
  // Collects watch events until one at or above `until` arrives.
  std::vector<WatchEvent> Collect(Watcher* w, int64_t until) {
    std::vector<WatchEvent> out;
    while (out.empty() || out.back().kv.mod_revision < until) {
      auto r = w->Next(absl::Seconds(30));
      if (!r.has_value() || !r->status.ok()) {
        ADD_FAILURE() << "watch ended or timed out";
        break;
      }
      for (auto& e : r->events) out.push_back(std::move(e));
    }
    return out;
  }

  std::string dir_;
  size_t window_ = 100000;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(RocksStoreTest, NewStoreStartsAtRevisionOneAndPutsAdvanceIt) {
  EXPECT_EQ(*store_->CurrentRevision(), 1);
  EXPECT_EQ(Put("a", "1"), 2);
  EXPECT_EQ(Put("a", "2"), 3);
  std::optional<KeyValue> kv = Get("a");
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->value, "2");
  EXPECT_EQ(kv->create_revision, 2);
  EXPECT_EQ(kv->mod_revision, 3);
  EXPECT_EQ(kv->version, 2);
}

TEST_F(RocksStoreTest, ReopenRecoversStateAndPastRevisions) {
  Put("/p/a", "a1");                                        // 2
  Put("/p/b", "b1");                                        // 3
  Put("/p/a", "a2");                                        // 4
  ASSERT_EQ(*store_->Delete(KeyRange::Single("/p/b")), 1);  // 5
  Put(std::string("/p/\0z", 5), "nul");                     // 6
  Reopen();
  EXPECT_EQ(*store_->CurrentRevision(), 6);
  EXPECT_EQ(Get("/p/a")->value, "a2");
  EXPECT_FALSE(Get("/p/b").has_value());
  EXPECT_EQ(Get("/p/b", 4)->value, "b1");
  EXPECT_EQ(Get("/p/a", 3)->value, "a1");
  EXPECT_FALSE(Get("/p/a", 1).has_value());

  RangeOptions at4;
  at4.revision = 4;
  auto r = store_->Range(KeyRange::Prefix("/p/"), at4);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->kvs.size(), 2u);
  EXPECT_EQ(r->kvs[0].key, "/p/a");
  EXPECT_EQ(r->kvs[0].value, "a2");
  EXPECT_EQ(r->kvs[1].key, "/p/b");
  EXPECT_EQ(r->revision, 6);

  auto now = store_->Range(KeyRange::Prefix("/p/"));
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->kvs.size(), 2u);
  EXPECT_EQ(now->kvs[0].key, std::string("/p/\0z", 5));
  EXPECT_EQ(now->kvs[1].key, "/p/a");
  EXPECT_EQ(Put("/p/c", "c"), 7);
}

TEST_F(RocksStoreTest, RangeLimitCountAndFutureRevision) {
  for (int i = 0; i < 5; ++i) Put(absl::StrCat("k", i), "v");
  RangeOptions o;
  o.limit = 2;
  auto r = store_->Range(KeyRange::Prefix("k"), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kvs.size(), 2u);
  EXPECT_TRUE(r->more);
  EXPECT_EQ(r->count, 5);
  o.revision = 4;  // k0..k2 existed.
  r = store_->Range(KeyRange::Prefix("k"), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, 3);
  EXPECT_TRUE(r->more);
  RangeOptions future;
  future.revision = 100;
  EXPECT_EQ(store_->Range(KeyRange::Prefix("k"), future).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store_->Range(KeyRange{"", ""}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RocksStoreTest, CompactionIsDurableAndKeepsReadsAtOrAboveIt) {
  Put("a", "1");                                        // 2
  Put("b", "1");                                        // 3
  Put("a", "2");                                        // 4
  store_->Delete(KeyRange::Single("b")).IgnoreError();  // 5
  Put("a", "3");                                        // 6
  ASSERT_TRUE(store_->Compact(5).ok());
  EXPECT_TRUE(IsCompacted(store_->Compact(5)));
  EXPECT_TRUE(IsCompacted(store_->Get("a", 4).status()));
  EXPECT_EQ(CompactedRevision(store_->Get("a", 4).status()), 5);
  Reopen();
  EXPECT_EQ(*store_->CompactRevision(), 5);
  EXPECT_TRUE(IsCompacted(store_->Get("a", 3).status()));
  EXPECT_EQ(Get("a", 5)->value, "2");
  EXPECT_FALSE(Get("b", 5).has_value());
  EXPECT_EQ(Get("a", 6)->value, "3");
  WatchOptions wo;
  wo.start_revision = 4;
  EXPECT_TRUE(IsCompacted(store_->Watch(KeyRange::Prefix(""), wo).status()));
  wo.start_revision = 5;
  wo.prev_kv = true;
  auto w = store_->Watch(KeyRange::Prefix(""), wo);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<WatchEvent> events = Collect(w->get(), 6);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[0].kv.key, "b");
  ASSERT_TRUE(events[0].prev_kv.has_value());
  EXPECT_EQ(events[0].prev_kv->value, "1");
  EXPECT_EQ(events[1].kv.value, "3");
  ASSERT_TRUE(events[1].prev_kv.has_value());
  EXPECT_EQ(events[1].prev_kv->value, "2");
  EXPECT_EQ(store_->Compact(100).code(), absl::StatusCode::kOutOfRange);
}

TEST_F(RocksStoreTest, WatchReplaysOldHistoryFromDiskAfterReopen) {
  window_ = 2;
  Reopen();
  for (int i = 0; i < 10; ++i) Put(absl::StrCat("w/", i % 3), absl::StrCat(i));  // 2..11
  Reopen();
  WatchOptions wo;
  wo.start_revision = 3;
  wo.prev_kv = true;
  auto w = store_->Watch(KeyRange::Prefix("w/"), wo);
  ASSERT_TRUE(w.ok()) << w.status();
  Put("w/0", "live");  // 12
  std::vector<WatchEvent> events = Collect(w->get(), 12);
  ASSERT_EQ(events.size(), 10u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].kv.mod_revision, static_cast<int64_t>(i) + 3);
  }
  EXPECT_EQ(events[0].kv.value, "1");
  EXPECT_FALSE(events[0].prev_kv.has_value());  // w/1 created at 3.
  ASSERT_TRUE(events[3].prev_kv.has_value());   // w/1 again at 6.
  EXPECT_EQ(events[3].prev_kv->value, "1");
  EXPECT_EQ(events.back().kv.value, "live");
  ASSERT_TRUE(events.back().prev_kv.has_value());
  EXPECT_EQ(events.back().prev_kv->value, "9");
}

TEST_F(RocksStoreTest, TxnComparesSeeEarlierWritesOfTheSameBatch) {
  // Many concurrent compare-and-swap increments: each success must have seen the previous one,
  // so the counter ends at exactly the number of successes, with distinct revisions.
  Put("counter", "0");
  constexpr int kThreads = 16;
  constexpr int kAttempts = 200;
  std::atomic<int> successes{0};
  std::vector<std::vector<int64_t>> revs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAttempts; ++i) {
        auto cur = store_->Get("counter");
        if (!cur.ok() || !cur->has_value()) continue;
        TxnRequest req;
        req.compares.push_back(
            Compare::ModRevision("counter", Compare::Op::kEqual, (*cur)->mod_revision));
        req.success.push_back(TxnOp::Put("counter", absl::StrCat(std::stoi((*cur)->value) + 1)));
        auto r = store_->Txn(req);
        if (r.ok() && r->succeeded) {
          ++successes;
          revs[t].push_back(r->revision);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Get("counter")->value, absl::StrCat(successes.load()));
  std::set<int64_t> all;
  for (const auto& v : revs) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(successes.load()));
  EXPECT_EQ(*store_->CurrentRevision(), 2 + successes.load());
  Reopen();
  EXPECT_EQ(Get("counter")->value, absl::StrCat(successes.load()));
}

TEST_F(RocksStoreTest, ConcurrentPutsGetContiguousRevisions) {
  constexpr int kThreads = 32;
  constexpr int kPuts = 50;
  std::vector<std::vector<int64_t>> revs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) revs[t].push_back(Put(absl::StrCat("c/", t, "/", i), "v"));
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& v : revs) all.insert(v.begin(), v.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPuts));
  EXPECT_EQ(*all.begin(), 2);
  EXPECT_EQ(*all.rbegin(), 1 + kThreads * kPuts);
}

TEST_F(RocksStoreTest, EverySpinningRuleKeepsConcurrentWritesDurableAndContiguous) {
  using Spin = RocksStoreOptions::SyncSpin;
  int64_t expected_rev = 1;
  for (Spin rule : {Spin::kLoneWriter, Spin::kFewRunnable, Spin::kAlways}) {
    for (bool idle_class : {false, true}) {
      store_.reset();
      RocksStoreOptions o = Options();
      o.sync_spin = rule;
      o.spin_idle_class = idle_class;
      auto opened = OpenRocksStore(o);
      ASSERT_TRUE(opened.ok()) << opened.status();
      store_ = std::move(*opened);
      constexpr int kThreads = 8;
      constexpr int kPuts = 20;
      const std::string prefix = absl::StrCat("s/", static_cast<int>(rule), "/", idle_class, "/");
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < kPuts; ++i) Put(absl::StrCat(prefix, t, "/", i), "v");
        });
      }
      for (auto& th : threads) th.join();
      expected_rev += kThreads * kPuts;
      // Every acknowledged write survives a reopen, at contiguous revisions.
      Reopen();
      auto rev = store_->CurrentRevision();
      ASSERT_TRUE(rev.ok());
      EXPECT_EQ(*rev, expected_rev);
      for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kPuts; ++i) {
          EXPECT_TRUE(Get(absl::StrCat(prefix, t, "/", i)).has_value());
        }
      }
    }
  }
}

TEST_F(RocksStoreTest, WritesSeeDeletesRevokesAndReopensWithEveryCacheSize) {
  // The leader keeps recently written key-values in memory (current_cache_bytes): a write's
  // compares and previous value must match RocksDB's state however small the cache is
  // (0: off; 300 bytes: about one entry, emptied on nearly every write) and after a reopen
  // (empty cache).
  for (size_t cache : {size_t{0}, size_t{300}, size_t{64} << 20}) {
    store_.reset();
    RocksStoreOptions o = Options();
    o.current_cache_bytes = cache;
    auto opened = OpenRocksStore(o);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    const std::string p = absl::StrCat("cache", cache, "/");

    // A deleted key is absent to the next write: version 0, created anew.
    Put(p + "a", "1");
    ASSERT_TRUE(store_->Delete(KeyRange::Single(p + "a")).ok());
    TxnRequest create;
    create.compares.push_back(Compare::Version(p + "a", Compare::Op::kEqual, 0));
    create.success.push_back(TxnOp::Put(p + "a", "2", 0, /*prev_kv=*/true));
    auto created = store_->Txn(create);
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_TRUE(created->succeeded);
    EXPECT_TRUE(created->results[0].prev_kvs.empty());
    auto a = Get(p + "a");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->version, 1);
    EXPECT_EQ(a->create_revision, created->revision);

    // A key deleted by a lease revocation is absent too.
    auto lease = store_->LeaseGrant(60);
    ASSERT_TRUE(lease.ok());
    Put(p + "b", "x", lease->id);
    ASSERT_TRUE(store_->LeaseRevoke(lease->id).ok());
    TxnRequest absent;
    absent.compares.push_back(Compare::CreateRevision(p + "b", Compare::Op::kEqual, 0));
    auto r = store_->Txn(absent);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->succeeded);

    // Previous values and versions, before and after a reopen.
    Put(p + "c", "1");
    auto put = store_->Txn({.success = {TxnOp::Put(p + "c", "2", 0, true)}});
    ASSERT_TRUE(put.ok());
    ASSERT_EQ(put->results[0].prev_kvs.size(), 1u);
    EXPECT_EQ(put->results[0].prev_kvs[0].value, "1");
    store_.reset();
    opened = OpenRocksStore(o);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    put = store_->Txn({.success = {TxnOp::Put(p + "c", "3", 0, true)}});
    ASSERT_TRUE(put.ok());
    ASSERT_EQ(put->results[0].prev_kvs.size(), 1u);
    EXPECT_EQ(put->results[0].prev_kvs[0].value, "2");
    EXPECT_EQ(put->results[0].prev_kvs[0].version, 2);
    EXPECT_EQ(Get(p + "c")->version, 3);
  }
}

TEST_F(RocksStoreTest, ConcurrentCompareAndSwapWithATinyCache) {
  // As TxnComparesSeeEarlierWritesOfTheSameBatch, with a cache that is emptied all the time.
  store_.reset();
  RocksStoreOptions o = Options();
  o.current_cache_bytes = 300;
  auto opened = OpenRocksStore(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  store_ = std::move(*opened);
  constexpr int kThreads = 8;
  constexpr int kAttempts = 100;
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAttempts; ++i) {
        // Other keys written meanwhile push the counter out of the cache.
        Put(absl::StrCat("noise/", t), std::string(100, 'n'));
        TxnRequest req;
        auto cur = store_->Get("counter");
        if (!cur.ok()) continue;
        const int64_t version = cur->has_value() ? (*cur)->version : 0;
        const int value = cur->has_value() ? std::stoi((*cur)->value) : 0;
        req.compares.push_back(Compare::Version("counter", Compare::Op::kEqual, version));
        req.success.push_back(TxnOp::Put("counter", absl::StrCat(value + 1)));
        auto r = store_->Txn(req);
        if (r.ok() && r->succeeded) ++successes;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_GT(successes.load(), 0);
  auto counter = Get("counter");
  ASSERT_TRUE(counter.has_value());
  EXPECT_EQ(counter->value, absl::StrCat(successes.load()));
  EXPECT_EQ(counter->version, successes.load());
}

TEST_F(RocksStoreTest, TxnAppliesBranchAndRejectsUnknownLease) {
  Put("x", "1");
  TxnRequest req;
  req.compares.push_back(Compare::Value("x", Compare::Op::kEqual, "2"));
  req.success.push_back(TxnOp::Put("y", "s"));
  req.failure.push_back(TxnOp::Put("y", "f"));
  req.failure.push_back(TxnOp::Get(KeyRange::Single("y")));
  auto r = store_->Txn(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->succeeded);
  EXPECT_EQ(r->revision, 3);
  ASSERT_EQ(r->results.size(), 2u);
  ASSERT_EQ(r->results[1].range.kvs.size(), 1u);
  EXPECT_EQ(r->results[1].range.kvs[0].value, "f");

  TxnRequest missing;
  missing.compares.push_back(Compare::Value("nope", Compare::Op::kNotEqual, "z"));
  auto m = store_->Txn(missing);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->succeeded);  // A missing key never compares true on value.

  EXPECT_EQ(store_->Put("z", "v", 12345).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->CurrentRevision(), 3);
}

TEST_F(RocksStoreTest, LeasesSurviveReopenAndExpireWhileClosed) {
  auto lease = store_->LeaseGrant(10, 0);
  ASSERT_TRUE(lease.ok()) << lease.status();
  Put("l/a", "1", lease->id);  // 2
  Put("l/b", "1", lease->id);  // 3
  Put("keep", "1");            // 4
  clock_.Advance(absl::Seconds(4));
  ASSERT_EQ(*store_->LeaseKeepAlive(lease->id), 10);  // Deadline now start+14s.
  Reopen();
  auto ttl = store_->LeaseTimeToLive(lease->id, true);
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_EQ(ttl->ttl, 10);
  EXPECT_EQ(ttl->keys, (std::vector<std::string>{"l/a", "l/b"}));
  store_.reset();
  clock_.Advance(absl::Seconds(11));  // Past the deadline while closed.
  Reopen();
  EXPECT_EQ(store_->LeaseTimeToLive(lease->id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(Get("l/a").has_value());
  EXPECT_FALSE(Get("l/b").has_value());
  EXPECT_TRUE(Get("keep").has_value());
  EXPECT_EQ(*store_->CurrentRevision(), 5);  // Both deletes at one revision.
  WatchOptions wo;
  wo.start_revision = 5;
  auto w = store_->Watch(KeyRange::Prefix("l/"), wo);
  ASSERT_TRUE(w.ok());
  std::vector<WatchEvent> events = Collect(w->get(), 5);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[1].type, WatchEvent::Type::kDelete);
}

TEST_F(RocksStoreTest, LeaseExpiresOnFakeClockWhileOpen) {
  auto lease = store_->LeaseGrant(5, 77);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->id, 77);
  EXPECT_EQ(store_->LeaseGrant(5, 77).status().code(), absl::StatusCode::kAlreadyExists);
  Put("e", "1", 77);  // 2
  auto w = store_->Watch(KeyRange::Single("e"));
  ASSERT_TRUE(w.ok());
  clock_.Advance(absl::Seconds(6));
  std::vector<WatchEvent> events = Collect(w->get(), 3);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(store_->LeaseKeepAlive(77).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaseRevoke(77).code(), absl::StatusCode::kNotFound);
}

TEST_F(RocksStoreTest, SecondOpenOfTheSameDirectoryFails) {
  auto second = OpenRocksStore(Options());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
}

TEST(RocksStoreOpenTest, ForeignDirectoriesAreRefused) {
  std::string dir = TempDir("foreign");
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / "notes.txt") << "not a store";
  RocksStoreOptions o;
  o.dir = dir;
  EXPECT_EQ(OpenRocksStore(o).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs::exists(fs::path(dir) / "notes.txt"));

  // A RocksDB database of someone else.
  std::string other = TempDir("other_rocksdb");
  {
    rocksdb::Options ro;
    ro.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(ro, other, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "theirs", "data").ok());
    delete db;
  }
  o.dir = other;
  EXPECT_EQ(OpenRocksStore(o).status().code(), absl::StatusCode::kFailedPrecondition);
  o.dir = "";
  EXPECT_EQ(OpenRocksStore(o).status().code(), absl::StatusCode::kInvalidArgument);
  fs::remove_all(dir);
  fs::remove_all(other);
}

TEST(RocksStoreOpenTest, CreationInterruptedByACrashIsCompletedOnOpen) {
  // Killed after RocksDB created the database but before the store wrote anything: the empty
  // database (with or without the store's column families) is taken over.
  for (bool with_cfs : {false, true}) {
    std::string dir = TempDir(absl::StrCat("interrupted_", with_cfs));
    {
      rocksdb::Options ro;
      ro.create_if_missing = true;
      rocksdb::DB* db = nullptr;
      ASSERT_TRUE(rocksdb::DB::Open(ro, dir, &db).ok());
      if (with_cfs) {
        for (const char* cf : {"current", "index", "history"}) {
          rocksdb::ColumnFamilyHandle* h = nullptr;
          ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), cf, &h).ok());
          db->DestroyColumnFamilyHandle(h);
        }
      }
      delete db;
    }
    RocksStoreOptions o;
    o.dir = dir;
    auto s = OpenRocksStore(o);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(*(*s)->CurrentRevision(), 1);
    EXPECT_EQ(*(*s)->Put("k", "v"), 2);
    s->reset();
    s = OpenRocksStore(o);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(*(*s)->CurrentRevision(), 2);
    s->reset();
    fs::remove_all(dir);
  }
}

TEST(RocksStoreOpenTest, CreationKilledBeforeCurrentExistedStartsOver) {
  std::string dir = TempDir("before_current");
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / "LOCK") << "";
  std::ofstream(fs::path(dir) / "IDENTITY") << "abc";
  std::ofstream(fs::path(dir) / "MANIFEST-000001") << "partial";
  RocksStoreOptions o;
  o.dir = dir;
  auto s = OpenRocksStore(o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*(*s)->Put("k", "v"), 2);
  s->reset();
  // But table files without CURRENT are someone's damaged data: refused.
  std::string damaged = TempDir("no_current");
  fs::create_directories(damaged);
  std::ofstream(fs::path(damaged) / "MANIFEST-000005") << "m";
  std::ofstream(fs::path(damaged) / "000004.sst") << "table";
  o.dir = damaged;
  EXPECT_EQ(OpenRocksStore(o).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs::exists(fs::path(damaged) / "000004.sst"));
  fs::remove_all(dir);
  fs::remove_all(damaged);
}

TEST(RocksStoreOpenTest, CorruptDataIsAnErrorNotAFreshStore) {
  std::string dir = TempDir("corrupt");
  RocksStoreOptions o;
  o.dir = dir;
  {
    auto s = OpenRocksStore(o);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Put("k", "v").ok());
  }
  // Point CURRENT at a manifest that does not exist.
  std::ofstream(fs::path(dir) / "CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
  auto s = OpenRocksStore(o);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().code(), absl::StatusCode::kUnknown);
  // Garbage in every SST/log/manifest file.
  fs::remove_all(dir);
  {
    auto fresh = OpenRocksStore(o);
    ASSERT_TRUE(fresh.ok());
    ASSERT_TRUE((*fresh)->Put("k", "v").ok());
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "MANIFEST")) {
      std::ofstream(entry.path(), std::ios::trunc) << "garbage garbage garbage garbage";
    }
  }
  s = OpenRocksStore(o);
  EXPECT_FALSE(s.ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rudder::store
