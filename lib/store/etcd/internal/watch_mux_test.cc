#include "lib/store/etcd/internal/watch_mux.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/store/etcd/testing/etcd_cluster.h"

namespace rudder::store::etcd_internal {
namespace {

TEST(WatchMuxTest, OneUpstreamPerRangeSharedByLocalWatchers) {
  auto cluster = testing::EtcdCluster::Start({});
  if (absl::IsUnavailable(cluster.status()))
    GTEST_SKIP() << "etcd not available: " << cluster.status();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Connection connection((*cluster)->ClientEndpoints(), absl::Seconds(2), absl::Seconds(10));
  Codec codec("");
  auto mux = std::make_shared<WatchMux>(&connection, &codec, WatchMuxOptions{});
  auto a1 = mux->Add(KeyRange::Prefix("a/"), "a/", "a0", 2, {});
  auto a2 = mux->Add(KeyRange::Prefix("a/"), "a/", "a0", 2, {});
  auto a3 = mux->Add(KeyRange::Prefix("a/"), "a/", "a0", 5, {});
  EXPECT_EQ(mux->UpstreamCountForTest(), 1u);
  auto b = mux->Add(KeyRange::Single("b"), "b", "", 2, {});
  EXPECT_EQ(mux->UpstreamCountForTest(), 2u);
  a1.reset();
  a2.reset();
  EXPECT_EQ(mux->UpstreamCountForTest(), 2u);
  a3.reset();
  EXPECT_EQ(mux->UpstreamCountForTest(), 1u);
  mux->Shutdown();
  EXPECT_EQ(mux->UpstreamCountForTest(), 0u);
  auto end = b->Next(absl::Seconds(5));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kCancelled);
  // Adding after shutdown ends at once.
  auto late = mux->Add(KeyRange::Single("c"), "c", "", 2, {});
  auto late_end = late->Next(absl::Seconds(5));
  ASSERT_TRUE(late_end.has_value());
  EXPECT_EQ(late_end->status.code(), absl::StatusCode::kCancelled);
}

// Events of one range reach every watcher through the shared upstream's hub; a watcher that
// joins later (its start revision beyond what the upstream has received) shares the upstream
// and sees nothing before its start.
TEST(WatchMuxTest, LateWatcherSharesTheUpstreamAndSkipsEarlierRevisions) {
  auto cluster = testing::EtcdCluster::Start({});
  if (absl::IsUnavailable(cluster.status()))
    GTEST_SKIP() << "etcd not available: " << cluster.status();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Connection connection((*cluster)->ClientEndpoints(), absl::Seconds(2), absl::Seconds(10));
  Codec codec("");
  auto mux = std::make_shared<WatchMux>(&connection, &codec, WatchMuxOptions{});
  auto put = [&](const std::string& key) -> int64_t {
    etcdserverpb::PutRequest req;
    req.set_key(key);
    req.set_value("v");
    etcdserverpb::PutResponse resp;
    auto call = [&](Endpoint& ep, grpc::ClientContext* ctx) { return ep.kv->Put(ctx, req, &resp); };
    EXPECT_TRUE(connection.Run(false, call).ok());
    return resp.header().revision();
  };
  const int64_t first = put("x/0");  // Outside the watched range.
  auto early = mux->Add(KeyRange::Prefix("a/"), "a/", "a0", first + 1, {});
  const int64_t r1 = put("a/1");
  const int64_t unrelated = put("x/1");
  // Starts past revisions the upstream has not seen (nothing of "a/" happened there).
  auto late = mux->Add(KeyRange::Prefix("a/"), "a/", "a0", unrelated + 1, {});
  EXPECT_EQ(mux->UpstreamCountForTest(), 1u);
  const int64_t r2 = put("a/2");
  auto collect = [](Watcher& w, size_t n) {
    std::vector<int64_t> revisions;
    while (revisions.size() < n) {
      auto r = w.Next(absl::Seconds(30));
      if (!r.has_value() || !r->status.ok()) break;
      for (const WatchEvent& e : r->events) revisions.push_back(e.kv.mod_revision);
    }
    return revisions;
  };
  EXPECT_EQ(collect(*early, 2), (std::vector<int64_t>{r1, r2}));
  EXPECT_EQ(collect(*late, 1), (std::vector<int64_t>{r2}));
  early.reset();
  EXPECT_EQ(mux->UpstreamCountForTest(), 1u);
  late.reset();
  EXPECT_EQ(mux->UpstreamCountForTest(), 0u);
  mux->Shutdown();
}

// Thousands of upstreams created back to back: etcd answers each creation while we keep
// writing, so writes must never wait on the thread that reads those answers.
TEST(WatchMuxTest, ManyUpstreamsDoNotStallTheStream) {
  auto cluster = testing::EtcdCluster::Start({});
  if (absl::IsUnavailable(cluster.status()))
    GTEST_SKIP() << "etcd not available: " << cluster.status();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  Connection connection((*cluster)->ClientEndpoints(), absl::Seconds(2), absl::Seconds(10));
  Codec codec("");
  auto mux = std::make_shared<WatchMux>(&connection, &codec, WatchMuxOptions{});
  constexpr int kWatches = 5000;
  std::vector<std::unique_ptr<Watcher>> locals;
  for (int i = 0; i < kWatches; ++i) {
    const std::string key = absl::StrCat("k", i);
    locals.push_back(mux->Add(KeyRange::Single(key), key, "", 2, {}));
  }
  EXPECT_EQ(mux->UpstreamCountForTest(), static_cast<size_t>(kWatches));
  // A write to every key reaches its watcher.
  for (int i = 0; i < kWatches; ++i) {
    etcdserverpb::PutRequest put;
    put.set_key(absl::StrCat("k", i));
    put.set_value("v");
    etcdserverpb::PutResponse resp;
    auto call = [&](Endpoint& ep, grpc::ClientContext* ctx) { return ep.kv->Put(ctx, put, &resp); };
    ASSERT_TRUE(connection.Run(false, call).ok());
  }
  for (int i = 0; i < kWatches; ++i) {
    std::optional<WatchResponse> r;
    do {
      r = locals[i]->Next(absl::Seconds(60));
      ASSERT_TRUE(r.has_value()) << "no event for k" << i;
      ASSERT_TRUE(r->status.ok()) << r->status;
    } while (r->events.empty());
    EXPECT_EQ(r->events[0].kv.key, absl::StrCat("k", i));
  }
  locals.clear();
  EXPECT_EQ(mux->UpstreamCountForTest(), 0u);
}

TEST(LocalWatchTest, FiltersBeforeStartStripsPrevKvAndCutsOff) {
  WatchOptions options;
  options.max_buffered_events = 2;
  LocalWatch local(5, options);
  WatchEvent e4, e5, e6, e7;
  e4.kv.mod_revision = 4;
  e5.kv.mod_revision = 5;
  e5.prev_kv = KeyValue{};
  e6.kv.mod_revision = 6;
  e7.kv.mod_revision = 7;
  local.PushEvents({Share(e4), Share(e5)});
  auto r = local.Next(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_EQ(r->events[0].kv.mod_revision, 5);
  EXPECT_FALSE(r->events[0].prev_kv.has_value());
  EXPECT_EQ(r->revision, 5);
  EXPECT_FALSE(local.Next(absl::ZeroDuration()).has_value());
  local.PushEvents({Share(e6), Share(e7)});
  local.PushEvents({Share(e7)});
  r = local.Next(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code(), absl::StatusCode::kResourceExhausted);
  // Repeated at once afterwards.
  r = local.Next(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code(), absl::StatusCode::kResourceExhausted);
}

TEST(LocalWatchTest, ProgressNeverGoesBackwards) {
  WatchOptions options;
  options.progress_notify = true;
  LocalWatch local(10, options);
  local.PushProgress(3, false);  // Below the start: reported as start - 1.
  auto r = local.Next(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->revision, 9);
  WatchEvent e;
  e.kv.mod_revision = 12;
  local.PushEvents({Share(e)});
  local.PushProgress(11, false);  // Older than what was delivered: dropped.
  r = local.Next(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->revision, 12);
  EXPECT_FALSE(local.Next(absl::ZeroDuration()).has_value());
  local.PushProgress(11, true);  // Forced: reported at the delivered revision.
  r = local.Next(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->revision, 12);
}

}  // namespace
}  // namespace rudder::store::etcd_internal

namespace rudder::store::etcd_internal {
namespace {

TEST(LocalWatchTest, ReadyCallbackIsEdgeTriggeredAndAReadTakesEverything) {
  LocalWatch local(1, WatchOptions{});
  int calls = 0;
  local.SetReadyCallback([&calls] { ++calls; });
  WatchEvent e1, e2, e3;
  e1.kv.mod_revision = 1;
  e2.kv.mod_revision = 2;
  e3.kv.mod_revision = 3;
  for (auto* e : {&e1, &e2}) {
    if (auto fn = local.PushEvents({Share(*e)})) fn();
  }
  EXPECT_EQ(calls, 1);
  auto r = local.Next(absl::ZeroDuration());
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->revision, 2);
  EXPECT_FALSE(local.Next(absl::ZeroDuration()).has_value());
  if (auto fn = local.PushEvents({Share(e3)})) fn();
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace rudder::store::etcd_internal
