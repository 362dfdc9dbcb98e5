// A three-member etcd cluster loses its leader while writers and a watcher run through one
// EtcdStore: every acknowledged write survives and the watcher sees every revision once.
#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/base/mutex.h"
#include "lib/store/etcd/etcd_store.h"
#include "lib/store/etcd/testing/etcd_cluster.h"

namespace rudder::store {
namespace {

TEST(EtcdFailoverTest, LeaderKilledMidWriteLosesNoAcknowledgedWriteNorWatchEvent) {
  testing::EtcdClusterOptions cluster_options;
  cluster_options.members = 3;
  auto cluster = testing::EtcdCluster::Start(cluster_options);
  if (absl::IsUnavailable(cluster.status()))
    GTEST_SKIP() << "etcd not available: " << cluster.status();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto leader = (*cluster)->Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();

  // The leader first, so that both the writes and the watch stream start on it.
  EtcdStoreOptions options;
  options.endpoints.clear();
  options.endpoints.push_back((*cluster)->ClientEndpoint(*leader));
  for (int i = 0; i < (*cluster)->size(); ++i) {
    if (i != *leader) options.endpoints.push_back((*cluster)->ClientEndpoint(i));
  }
  auto store = NewEtcdStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto start = (*store)->CurrentRevision();
  ASSERT_TRUE(start.ok());
  auto watcher =
      (*store)->Watch(KeyRange::Prefix("w/"), WatchOptions{.start_revision = *start + 1});
  ASSERT_TRUE(watcher.ok()) << watcher.status();

  constexpr int kWriters = 4;
  constexpr int kWritesBeforeKill = 50;
  constexpr int kWritesAfterKill = 50;
  Mutex mu;
  std::map<std::string, int64_t> acked;  // key -> revision of the acknowledged put
  std::atomic<int> total_acked{0};
  std::atomic<bool> killed{false};
  std::atomic<int> unavailable{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      int after_kill = 0;
      for (int n = 0; after_kill < kWritesAfterKill; ++n) {
        std::string key = absl::StrCat("w/", t, "/", n);
        while (true) {
          auto rev = (*store)->Put(key, key);
          if (rev.ok()) {
            MutexLock lock(&mu);
            acked[key] = *rev;
            break;
          }
          // Unavailable means "retry": the put may or may not have been applied.
          ASSERT_EQ(rev.status().code(), absl::StatusCode::kUnavailable) << rev.status();
          unavailable++;
        }
        total_acked++;
        if (killed.load()) after_kill++;
      }
    });
  }
  while (total_acked.load() < kWriters * kWritesBeforeKill) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE((*cluster)->Kill(*leader).ok());
  killed = true;
  for (auto& w : writers) w.join();

  // Every acknowledged write is there, with its value.
  auto all = (*store)->Range(KeyRange::Prefix("w/"));
  ASSERT_TRUE(all.ok()) << all.status();
  std::map<std::string, std::string> present;
  for (const KeyValue& kv : all->kvs) present[kv.key] = kv.value;
  int64_t last_acked = 0;
  for (const auto& [key, rev] : acked) {
    ASSERT_EQ(present.count(key), 1u) << key << " acknowledged at " << rev << " but missing";
    EXPECT_EQ(present[key], key);
    last_acked = std::max(last_acked, rev);
  }

  // The watcher saw every revision from its start to the last acknowledged one, in order,
  // once, including every acknowledged put.
  int64_t expect = *start + 1;
  std::map<std::string, int64_t> watched;
  while (expect <= last_acked) {
    auto r = (*watcher)->Next(absl::Seconds(60));
    ASSERT_TRUE(r.has_value()) << "watch stalled before revision " << expect;
    ASSERT_TRUE(r->status.ok()) << r->status;
    for (const WatchEvent& e : r->events) {
      ASSERT_EQ(e.kv.mod_revision, expect) << "gap or duplicate in the watch";
      watched[e.kv.key] = e.kv.mod_revision;
      ++expect;
    }
  }
  for (const auto& [key, rev] : acked) EXPECT_EQ(watched.count(key), 1u) << key;
  std::cout << "acknowledged " << acked.size() << " writes, " << unavailable.load()
            << " Unavailable answers retried during the failover\n";
}

TEST(EtcdFailoverTest, WatchEndsUnavailableWhenNoMemberServesItAndTheStoreRecovers) {
  auto cluster = testing::EtcdCluster::Start({});
  if (absl::IsUnavailable(cluster.status()))
    GTEST_SKIP() << "etcd not available: " << cluster.status();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EtcdStoreOptions options;
  options.endpoints = (*cluster)->ClientEndpoints();
  options.request_timeout = absl::Seconds(2);
  options.watch_resume_timeout = absl::Seconds(1);
  auto store = NewEtcdStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto before = (*store)->Put("k", "1");
  ASSERT_TRUE(before.ok());
  auto watcher = (*store)->Watch(KeyRange::Prefix(""));
  ASSERT_TRUE(watcher.ok());

  ASSERT_TRUE((*cluster)->Kill(0).ok());
  EXPECT_EQ((*store)->Get("k").status().code(), absl::StatusCode::kUnavailable);
  std::optional<WatchResponse> end;
  do {
    end = (*watcher)->Next(absl::Seconds(60));
    ASSERT_TRUE(end.has_value()) << "the watch never ended";
  } while (end->status.ok());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kUnavailable) << end->status;

  // The member comes back with its data; the same store serves again.
  ASSERT_TRUE((*cluster)->Restart(0).ok());
  // Unavailable means retry: the store's channel reconnects on its own backoff schedule.
  auto kv = (*store)->Get("k");
  for (int i = 0; i < 30 && absl::IsUnavailable(kv.status()); ++i) kv = (*store)->Get("k");
  ASSERT_TRUE(kv.ok()) << kv.status();
  ASSERT_TRUE(kv->has_value());
  EXPECT_EQ((*kv)->mod_revision, *before);
  auto again = (*store)->Watch(KeyRange::Prefix(""), WatchOptions{.start_revision = *before});
  ASSERT_TRUE(again.ok()) << again.status();
  auto r = (*again)->Next(absl::Seconds(60));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->status.ok()) << r->status;
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_EQ(r->events[0].kv.mod_revision, *before);
}

}  // namespace
}  // namespace rudder::store
