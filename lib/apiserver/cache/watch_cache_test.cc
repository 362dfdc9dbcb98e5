#include "lib/apiserver/cache/watch_cache.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/clock.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver::cache {
namespace {

using api::core::v1::Pod;
using Type = CacheEvent::Type;

constexpr char kPrefix[] = "/registry/core/pods/";
const absl::Duration kWait = absl::Seconds(30);  // an upper bound, never reached when green

std::string Key(const std::string& ns, const std::string& name) {
  return absl::StrCat(kPrefix, ns, "/", name);
}

absl::StatusOr<ObjectRef> DecodePod(const store::KeyValue& kv) {
  auto pod = std::make_shared<Pod>();
  if (!pod->ParseFromString(kv.value)) return absl::DataLossError("corrupt");
  pod->mutable_metadata()->set_resourceversion(absl::StrCat(kv.mod_revision));
  return ObjectRef(std::move(pod));
}

std::string PodValue(const std::string& ns, const std::string& name, const std::string& app,
                     int gen = 0) {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_(ns);
  (*p.mutable_metadata()->mutable_labels())["app"] = app;
  (*p.mutable_metadata()->mutable_annotations())["gen"] = absl::StrCat(gen);
  return p.SerializeAsString();
}

const Pod& AsPod(const ObjectRef& o) { return static_cast<const Pod&>(*o); }
std::string Name(const ObjectRef& o) { return AsPod(o).metadata().name(); }
int64_t Rv(const ObjectRef& o) {
  int64_t rv = 0;
  (void)absl::SimpleAtoi(AsPod(o).metadata().resourceversion(), &rv);
  return rv;
}

Filter App(const std::string& app) {
  return [app](const google::protobuf::Message& m) {
    const auto& labels = static_cast<const Pod&>(m).metadata().labels();
    auto it = labels.find("app");
    return it != labels.end() && it->second == app;
  };
}

// A store whose watches the test can end with a chosen status; counts Watch calls.
class FlakyStore : public store::Store {
 public:
  explicit FlakyStore(store::Store* s) : s_(s) {}
  void EndWatches(absl::Status why) {
    kill_ = std::make_shared<absl::Status>(std::move(why));
    generation_.fetch_add(1);
  }
  int watch_calls() const { return watch_calls_.load(); }

  absl::StatusOr<store::RangeResult> Range(const store::KeyRange& r,
                                           const store::RangeOptions& o) override {
    return s_->Range(r, o);
  }
  absl::StatusOr<store::TxnResult> Txn(const store::TxnRequest& r) override { return s_->Txn(r); }
  absl::StatusOr<std::unique_ptr<store::Watcher>> Watch(const store::KeyRange& r,
                                                        const store::WatchOptions& o) override {
    watch_calls_.fetch_add(1);
    auto inner = s_->Watch(r, o);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<store::Watcher>(
        std::make_unique<W>(this, generation_.load(), std::move(*inner)));
  }
  absl::Status Compact(int64_t rev) override { return s_->Compact(rev); }
  absl::StatusOr<store::LeaseInfo> LeaseGrant(int64_t ttl, int64_t id) override {
    return s_->LeaseGrant(ttl, id);
  }
  absl::Status LeaseRevoke(int64_t id) override { return s_->LeaseRevoke(id); }
  absl::StatusOr<int64_t> LeaseKeepAlive(int64_t id) override { return s_->LeaseKeepAlive(id); }
  absl::StatusOr<store::LeaseInfo> LeaseTimeToLive(int64_t id, bool keys) override {
    return s_->LeaseTimeToLive(id, keys);
  }
  absl::StatusOr<int64_t> CurrentRevision() override { return s_->CurrentRevision(); }
  absl::StatusOr<int64_t> CompactRevision() override { return s_->CompactRevision(); }

 private:
  class W : public store::Watcher {
   public:
    W(FlakyStore* f, int gen, std::unique_ptr<store::Watcher> in)
        : f_(f), gen_(gen), in_(std::move(in)) {}
    std::optional<store::WatchResponse> Next(absl::Duration timeout) override {
      if (f_->generation_.load() != gen_) {
        store::WatchResponse r;
        r.status = *std::atomic_load(&f_->kill_);
        return r;
      }
      return in_->Next(std::min(timeout, absl::Milliseconds(20)));
    }
    void SetReadyCallback(std::function<void()> fn) override { in_->SetReadyCallback(fn); }
    void RequestProgress() override { in_->RequestProgress(); }
    void Cancel() override { in_->Cancel(); }

   private:
    FlakyStore* f_;
    int gen_;
    std::unique_ptr<store::Watcher> in_;
  };

  store::Store* s_;
  std::atomic<int> generation_{0};
  std::atomic<int> watch_calls_{0};
  std::shared_ptr<absl::Status> kill_ = std::make_shared<absl::Status>();
};

class WatchCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::MemoryStoreOptions mo;
    mo.clock = &clock_;
    mem_ = std::move(*store::NewMemoryStore(mo));
    store_ = std::make_unique<FlakyStore>(mem_.get());
  }
  std::unique_ptr<WatchCache> Start(CacheOptions o = {}) {
    o.clock = &clock_;
    auto c = WatchCache::Start(store_.get(), kPrefix, DecodePod, o);
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(*c);
  }
  int64_t Put(const std::string& ns, const std::string& name, const std::string& app, int gen = 0) {
    return *store_->Put(Key(ns, name), PodValue(ns, name, app, gen));
  }
  int64_t Del(const std::string& ns, const std::string& name) {
    EXPECT_EQ(*store_->Delete(store::KeyRange::Single(Key(ns, name))), 1);
    return *store_->CurrentRevision();
  }
  // The next non-bookmark event.
  static CacheEvent NextEvent(CacheWatcher& w) {
    while (true) {
      std::optional<CacheEvent> e = w.Next(kWait);
      if (!e.has_value())
        return CacheEvent{Type::kError, nullptr, 0, absl::DeadlineExceededError("none")};
      if (e->type != Type::kBookmark) return *e;
    }
  }
  static std::vector<std::string> Names(const CacheListResult& r) {
    std::vector<std::string> out;
    for (const auto& i : r.items) out.push_back(Name(i.object));
    return out;
  }

  FakeClock clock_;
  std::unique_ptr<store::Store> mem_;
  std::unique_ptr<FlakyStore> store_;
};

TEST_F(WatchCacheTest, ConsistentListSeesEveryEarlierWrite) {
  Put("a", "p0", "web");
  auto cache = Start();
  int64_t last = 0;
  for (int i = 1; i < 50; ++i) last = Put("a", absl::StrCat("p", i), "web");
  CacheListOptions o;  // resource_version -1: consistent
  auto r = cache->List(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->items.size(), 50u);
  EXPECT_GE(r->revision, last);
  Del("a", "p3");
  r = cache->List(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items.size(), 49u);
}

TEST_F(WatchCacheTest, EncodingIsMadeOncePerVersionAndSharedByListsAndWatchEvents) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  Encoder enc = [calls](const google::protobuf::Message& m) -> absl::StatusOr<std::string> {
    calls->fetch_add(1);
    const auto& meta = static_cast<const Pod&>(m).metadata();
    return absl::StrCat(meta.name(), "@", meta.resourceversion());
  };
  Put("a", "x", "web");
  auto c = WatchCache::Start(store_.get(), kPrefix, DecodePod, CacheOptions{.clock = &clock_}, enc);
  ASSERT_TRUE(c.ok()) << c.status();
  WatchCache& cache = **c;
  CacheWatchOptions wo;
  wo.initial_events = true;
  auto w = cache.Watch(wo);
  ASSERT_TRUE(w.ok());
  auto r = cache.List({});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->items.size(), 1u);
  const ValueRef v = r->items[0].value;
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->object(), r->items[0].object);
  EXPECT_FALSE(v->HasEncoding());  // made on first use only
  EXPECT_EQ(calls->load(), 0);
  ASSERT_TRUE(v->Encoded().ok());
  const std::string* bytes = &*v->Encoded();
  EXPECT_EQ(*bytes, absl::StrCat("x@", Rv(v->object())));
  EXPECT_TRUE(v->HasEncoding());
  // Another list and the watch's initial event share the version and its bytes.
  auto again = cache.List({});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->items[0].value, v);
  EXPECT_EQ(&*again->items[0].value->Encoded(), bytes);
  CacheEvent first = NextEvent(**w);
  ASSERT_EQ(first.type, Type::kAdded);
  EXPECT_EQ(first.value, v);
  EXPECT_EQ(first.object, v->object());
  EXPECT_EQ(calls->load(), 1);
  // A change is a new version with its own encoding; a deletion's event object carries the
  // deleting revision.
  int64_t rev = Put("a", "x", "web", 1);
  CacheEvent mod = NextEvent(**w);
  ASSERT_EQ(mod.type, Type::kModified);
  ASSERT_NE(mod.value, nullptr);
  EXPECT_EQ(*mod.value->Encoded(), absl::StrCat("x@", rev));
  int64_t gone = Del("a", "x");
  CacheEvent del = NextEvent(**w);
  ASSERT_EQ(del.type, Type::kDeleted);
  ASSERT_NE(del.value, nullptr);
  EXPECT_EQ(*del.value->Encoded(), absl::StrCat("x@", gone));
  EXPECT_EQ(calls->load(), 3);
  // The first version's bytes outlive its removal from the cache while referenced.
  EXPECT_EQ(*v->Encoded(), absl::StrCat("x@", Rv(v->object())));
}

TEST_F(WatchCacheTest, WithoutAnEncoderEncodedIsFailedPrecondition) {
  Put("a", "x", "web");
  auto cache = Start();
  auto r = cache->List({});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->items.size(), 1u);
  EXPECT_EQ(r->items[0].value->Encoded().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(WatchCacheTest, ConcurrentFirstUsesEncodeOnce) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  Encoder enc = [calls](const google::protobuf::Message& m) -> absl::StatusOr<std::string> {
    calls->fetch_add(1);
    return static_cast<const Pod&>(m).metadata().name();
  };
  for (int i = 0; i < 20; ++i) Put("a", absl::StrCat("p", i), "web");
  auto c = WatchCache::Start(store_.get(), kPrefix, DecodePod, CacheOptions{.clock = &clock_}, enc);
  ASSERT_TRUE(c.ok());
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      auto r = (*c)->List({});
      ASSERT_TRUE(r.ok());
      for (const CachedObject& o : r->items) {
        EXPECT_EQ(*o.value->Encoded(), Name(o.object));
      }
    });
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(calls->load(), 20);
}

TEST_F(WatchCacheTest, ListFiltersByNamespaceSelectorAndPagesWithLimit) {
  Put("a", "x", "web");
  Put("a", "y", "db");
  Put("a", "z", "web");
  Put("b", "x", "web");
  auto cache = Start();
  CacheListOptions o;
  o.key_prefix = absl::StrCat(kPrefix, "a/");
  EXPECT_EQ(Names(*cache->List(o)), (std::vector<std::string>{"x", "y", "z"}));
  o.filter = App("web");
  EXPECT_EQ(Names(*cache->List(o)), (std::vector<std::string>{"x", "z"}));
  o.filter = nullptr;
  o.limit = 2;
  auto r = cache->List(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r->next_key, Key("a", "z"));
  EXPECT_EQ(r->remaining, 1);
  o.key_prefix.clear();
  o.limit = 0;
  EXPECT_EQ(cache->List(o)->items.size(), 4u);
}

TEST_F(WatchCacheTest, ExactListRollsBackThroughTheRingElseOutOfRange) {
  CacheOptions co;
  co.event_ring_size = 3;
  auto cache = Start(co);
  Put("a", "x", "web", 1);
  int64_t at = Put("a", "y", "web", 1);
  Put("a", "x", "web", 2);
  int64_t now = Del("a", "y");
  CacheListOptions o;
  o.resource_version = now;
  ASSERT_TRUE(cache->List(o).ok());  // catch up
  o.resource_version = at;
  o.match = RvMatch::kExact;
  auto r = cache->List(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->revision, at);
  ASSERT_EQ(Names(*r), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(AsPod(r->items[0].object).metadata().annotations().at("gen"), "1");
  o.resource_version = at - 2;  // before x was created: older than the 3-event ring
  EXPECT_EQ(cache->List(o).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(WatchCacheTest, WatchReplaysFromRingThenLiveAndIsCompactedBelowIt) {
  CacheOptions co;
  co.event_ring_size = 4;
  auto cache = Start(co);
  std::vector<int64_t> revs;
  for (int i = 0; i < 6; ++i) revs.push_back(Put("a", absl::StrCat("p", i), "web"));
  CacheListOptions lo;
  ASSERT_TRUE(cache->List(lo).ok());
  CacheWatchOptions wo;
  wo.resource_version = revs[2];  // p3..p5 are in the ring
  auto w = cache->Watch(wo);
  ASSERT_TRUE(w.ok()) << w.status();
  for (int i = 3; i < 6; ++i) {
    CacheEvent e = NextEvent(**w);
    EXPECT_EQ(e.type, Type::kAdded);
    EXPECT_EQ(Name(e.object), absl::StrCat("p", i));
  }
  Put("a", "p0", "web", 7);
  CacheEvent e = NextEvent(**w);
  EXPECT_EQ(e.type, Type::kModified);
  EXPECT_EQ(Name(e.object), "p0");

  wo.resource_version = revs[0];  // p1's event left the ring
  auto old = cache->Watch(wo);
  ASSERT_FALSE(old.ok());
  EXPECT_TRUE(store::IsCompacted(old.status())) << old.status();
}

TEST_F(WatchCacheTest, WatchFromZeroSendsCurrentStateAsAddedThenLive) {
  Put("a", "x", "web");
  Put("a", "y", "web");
  Put("b", "z", "web");
  auto cache = Start();
  CacheWatchOptions wo;
  wo.initial_events = true;
  wo.key_prefix = absl::StrCat(kPrefix, "a/");
  auto w = cache->Watch(wo);
  ASSERT_TRUE(w.ok());
  CacheEvent e1 = NextEvent(**w), e2 = NextEvent(**w);
  EXPECT_EQ(e1.type, Type::kAdded);
  EXPECT_EQ(Name(e1.object), "x");
  EXPECT_EQ(Name(e2.object), "y");
  Put("b", "other", "web");  // another namespace: not seen
  int64_t rev = Del("a", "x");
  CacheEvent e3 = NextEvent(**w);
  EXPECT_EQ(e3.type, Type::kDeleted);
  EXPECT_EQ(Name(e3.object), "x");
  EXPECT_EQ(Rv(e3.object), rev);
}

TEST_F(WatchCacheTest, SelectorChangesBecomeAddedAndDeleted) {
  auto cache = Start();
  CacheWatchOptions wo;
  wo.initial_events = true;
  wo.filter = App("web");
  auto w = cache->Watch(wo);
  ASSERT_TRUE(w.ok());
  Put("a", "p", "db", 1);   // not selected: nothing
  Put("a", "p", "web", 2);  // moves in: ADDED
  Put("a", "p", "web", 3);  // MODIFIED
  Put("a", "p", "db", 4);   // moves out: DELETED (the new object)
  Del("a", "p");            // not selected: nothing
  int64_t last = Put("a", "q", "web");
  std::vector<std::pair<Type, std::string>> got;
  for (int i = 0; i < 4; ++i) {
    CacheEvent e = NextEvent(**w);
    got.emplace_back(
        e.type, absl::StrCat(Name(e.object), AsPod(e.object).metadata().annotations().at("gen")));
  }
  EXPECT_EQ(got, (std::vector<std::pair<Type, std::string>>{{Type::kAdded, "p2"},
                                                            {Type::kModified, "p3"},
                                                            {Type::kDeleted, "p4"},
                                                            {Type::kAdded, "q0"}}));
  (void)last;
}

TEST_F(WatchCacheTest, ManyWatchersSeeIdenticalOrderedSequencesOverOneStoreWatch) {
  auto cache = Start();
  constexpr int kWatchers = 50, kWrites = 200;
  std::vector<std::unique_ptr<CacheWatcher>> ws;
  for (int i = 0; i < kWatchers; ++i) {
    CacheWatchOptions wo;
    wo.initial_events = true;
    ws.push_back(std::move(*cache->Watch(wo)));
  }
  EXPECT_EQ(store_->watch_calls(), 1);
  EXPECT_EQ(cache->WatcherCount(), static_cast<size_t>(kWatchers));
  std::thread t1([&] {
    for (int i = 0; i < kWrites / 2; ++i) Put("a", absl::StrCat("x", i % 7), "web", i);
  });
  std::thread t2([&] {
    for (int i = 0; i < kWrites / 2; ++i) Put("b", absl::StrCat("y", i % 5), "web", i);
  });
  t1.join();
  t2.join();
  std::vector<std::vector<std::pair<int, int64_t>>> seqs(kWatchers);
  std::vector<std::thread> readers;
  for (int i = 0; i < kWatchers; ++i) {
    readers.emplace_back([&, i] {
      for (int n = 0; n < kWrites; ++n) {
        CacheEvent e = NextEvent(*ws[i]);
        seqs[i].emplace_back(static_cast<int>(e.type), e.object ? Rv(e.object) : -1);
      }
    });
  }
  for (auto& t : readers) t.join();
  for (size_t n = 1; n < seqs[0].size(); ++n) EXPECT_LT(seqs[0][n - 1].second, seqs[0][n].second);
  for (int i = 1; i < kWatchers; ++i) EXPECT_EQ(seqs[i], seqs[0]) << "watcher " << i;
  EXPECT_EQ(store_->watch_calls(), 1);
}

TEST_F(WatchCacheTest, SlowWatcherIsCutOffWithABoundedBuffer) {
  CacheOptions co;
  co.watcher_buffer = 5;
  auto cache = Start(co);
  CacheWatchOptions wo;
  auto w = cache->Watch(wo);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 20; ++i) Put("a", absl::StrCat("p", i), "web");
  CacheListOptions lo;
  ASSERT_TRUE(cache->List(lo).ok());  // the cache has seen every write
  int delivered = 0;
  CacheEvent e;
  while ((e = NextEvent(**w)).type != Type::kError) ++delivered;
  EXPECT_EQ(delivered, 5);
  EXPECT_EQ(e.error.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE((*w)->Next(absl::ZeroDuration()).has_value());
  EXPECT_EQ(cache->WatcherCount(), 0u);
}

TEST_F(WatchCacheTest, RelistsAfterTheStoreWatchIsCompactedAndEndsWatchersWith410) {
  Put("a", "x", "web");
  auto cache = Start();
  CacheWatchOptions wo;
  auto w = cache->Watch(wo);
  ASSERT_TRUE(w.ok());
  store_->EndWatches(store::CompactedError(2));
  Put("a", "y", "web");
  int64_t last = Del("a", "x");
  // The cache backs off on the fake clock before relisting.
  std::optional<CacheEvent> e;
  for (int i = 0; i < 3000; ++i) {
    clock_.Advance(absl::Seconds(1));
    e = (*w)->Next(absl::Milliseconds(10));
    // Events that raced with the failure may come first; the end is the 410.
    if (e.has_value() && e->type == Type::kError) break;
  }
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->type, Type::kError);
  EXPECT_TRUE(store::IsCompacted(e->error)) << e->error;
  CacheListOptions lo;
  auto r = cache->List(lo);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Names(*r), std::vector<std::string>{"y"});
  EXPECT_GE(r->revision, last);
  // The re-established watch feeds new watchers.
  auto w2 = cache->Watch(CacheWatchOptions{.resource_version = r->revision});
  ASSERT_TRUE(w2.ok());
  Put("a", "z", "web");
  EXPECT_EQ(Name(NextEvent(**w2).object), "z");
  EXPECT_GE(store_->watch_calls(), 2);
}

TEST_F(WatchCacheTest, UnavailableStoreWatchIsResumedWithoutLosingWatchers) {
  auto cache = Start();
  CacheWatchOptions wo;
  auto w = cache->Watch(wo);
  ASSERT_TRUE(w.ok());
  store_->EndWatches(absl::UnavailableError("stream broke"));
  Put("a", "x", "web");
  CacheEvent e;
  for (int i = 0; i < 3000; ++i) {
    clock_.Advance(absl::Seconds(1));
    std::optional<CacheEvent> n = (*w)->Next(absl::Milliseconds(10));
    if (n.has_value() && n->type != Type::kBookmark) {
      e = *n;
      break;
    }
  }
  EXPECT_EQ(e.type, Type::kAdded);
  ASSERT_NE(e.object, nullptr);
  EXPECT_EQ(Name(e.object), "x");
}

TEST_F(WatchCacheTest, BookmarksFollowProgressNotifications) {
  auto cache = Start();
  CacheWatchOptions wo;
  wo.bookmarks = true;
  auto w = cache->Watch(wo);
  ASSERT_TRUE(w.ok());
  int64_t rev = *store_->Put("other/key", "v");  // outside the prefix
  CacheListOptions lo;                           // a consistent list requests progress
  ASSERT_TRUE(cache->List(lo).ok());
  std::optional<CacheEvent> e = (*w)->Next(kWait);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type, Type::kBookmark);
  EXPECT_GE(e->revision, rev);
}

}  // namespace
}  // namespace rudder::apiserver::cache
