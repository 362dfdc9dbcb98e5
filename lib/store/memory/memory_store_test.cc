#include "lib/store/memory/memory_store.h"

#include <atomic>
#include <memory>

#include "gtest/gtest.h"
#include "lib/base/clock.h"
#include "lib/store/conformance/conformance.h"

namespace rudder::store {
namespace {

// The clock of the store the conformance case made last (cases run one at a time).
std::shared_ptr<FakeClock>& CurrentClock() {
  static auto* clock = new std::shared_ptr<FakeClock>();
  return *clock;
}

StoreFactory MemoryFactory(std::string name, MemoryStoreOptions base) {
  StoreFactory f;
  f.name = std::move(name);
  f.make = [base]() -> absl::StatusOr<std::unique_ptr<Store>> {
    CurrentClock() = std::make_shared<FakeClock>();
    MemoryStoreOptions options = base;
    options.clock = CurrentClock().get();
    return NewMemoryStore(options);
  };
  f.advance_time = [](absl::Duration d) { CurrentClock()->Advance(d); };
  f.progress_notify_interval = base.progress_notify_interval;
  return f;
}

MemoryStoreOptions SmallWindow() {
  // Replays mostly come from the MVCC history instead of the hub's window.
  MemoryStoreOptions options;
  options.watch_history_events = 2;
  options.progress_notify_interval = absl::Seconds(5);
  return options;
}

MemoryStoreOptions Defaults() {
  MemoryStoreOptions options;
  options.progress_notify_interval = absl::Seconds(5);
  return options;
}

TEST(MemoryStoreTest, RejectsNegativeOptions) {
  MemoryStoreOptions options;
  options.history_retention = -1;
  EXPECT_EQ(NewMemoryStore(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MemoryStoreTest, HistoryRetentionCompactsAutomatically) {
  MemoryStoreOptions options;
  options.history_retention = 3;
  auto store = NewMemoryStore(options);
  ASSERT_TRUE(store.ok());
  int64_t rev = 0;
  for (int i = 0; i < 20; ++i) rev = *(*store)->Put("k", std::to_string(i));
  auto compacted = (*store)->CompactRevision();
  ASSERT_TRUE(compacted.ok());
  EXPECT_GT(*compacted, 1);
  EXPECT_GE(*compacted, rev - 6);  // Within two retention windows.
  EXPECT_LE(*compacted, rev - 2);  // The last three revisions stay readable.
  for (int64_t r = rev - 2; r <= rev; ++r) {
    auto kv = (*store)->Get("k", r);
    ASSERT_TRUE(kv.ok()) << kv.status();
    ASSERT_TRUE(kv->has_value());
  }
  EXPECT_TRUE(IsCompacted((*store)->Get("k", *compacted - 1).status()));
}

TEST(MemoryStoreTest, LeaseTtlIsBounded) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->LeaseGrant(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->LeaseGrant(INT64_MAX).status().code(), absl::StatusCode::kInvalidArgument);
  auto longest = (*store)->LeaseGrant(9'000'000'000);
  ASSERT_TRUE(longest.ok()) << longest.status();
  auto info = (*store)->LeaseTimeToLive(longest->id);
  ASSERT_TRUE(info.ok());
  EXPECT_GT(info->ttl, 8'999'999'000);
}

TEST(MemoryStoreTest, ReadyCallbacksMayCallTheStore) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store.ok());
  auto w = (*store)->Watch(KeyRange::Prefix(""));
  ASSERT_TRUE(w.ok());
  std::atomic<int64_t> seen{0};
  Store* s = store->get();
  (*w)->SetReadyCallback([s, &seen] {
    auto rev = s->CurrentRevision();  // Would deadlock if run under the store's lock.
    if (rev.ok()) seen = *rev;
  });
  ASSERT_TRUE((*store)->Put("a", "1").ok());
  EXPECT_EQ(seen.load(), 2);
  (*w)->SetReadyCallback(nullptr);
}

TEST(MemoryStoreTest, ClosingTheStoreEndsItsWatchersCancelled) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store.ok());
  auto w = (*store)->Watch(KeyRange::Prefix(""));
  ASSERT_TRUE(w.ok());
  store->reset();
  std::optional<WatchResponse> end = (*w)->Next(absl::Seconds(30));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kCancelled);
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest,
                         ::testing::Values(MemoryFactory("Default", Defaults()),
                                           MemoryFactory("SmallWatchWindow", SmallWindow())),
                         StoreFactoryName);

}  // namespace rudder::store
