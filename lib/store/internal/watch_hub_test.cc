#include "lib/store/internal/watch_hub.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/clock.h"

namespace rudder::store_internal {
namespace {

using store::KeyRange;
using store::KeyValue;
using store::SharedWatchResponse;
using store::Watcher;
using store::WatchEvent;
using store::WatchOptions;
using store::WatchResponse;

constexpr absl::Duration kPatience = absl::Seconds(30);

WatchEvent Put(const std::string& key, const std::string& value, int64_t rev,
               std::optional<std::string> prev = std::nullopt) {
  WatchEvent e;
  e.kv.key = key;
  e.kv.value = value;
  e.kv.mod_revision = rev;
  e.kv.create_revision = rev;
  e.kv.version = 1;
  if (prev.has_value()) {
    KeyValue p;
    p.key = key;
    p.value = *prev;
    e.prev_kv = p;
  }
  return e;
}

WatchHub::Options NoTicker() {
  WatchHub::Options options;
  options.progress_notify_interval = absl::ZeroDuration();
  return options;
}

std::unique_ptr<Watcher> MustWatch(WatchHub& hub, KeyRange range, WatchOptions options = {}) {
  auto w = hub.Watch(range, options);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? *std::move(w) : nullptr;
}

// Keys of the next response with events (empty on timeout).
std::vector<std::string> NextKeys(Watcher& w) {
  std::optional<WatchResponse> r = w.Next(kPatience);
  std::vector<std::string> keys;
  if (!r.has_value()) return keys;
  for (const WatchEvent& e : r->events) keys.push_back(e.kv.key);
  return keys;
}

TEST(WatchHubTest, DeliversToKeyPrefixRangeAndAllKeyWatchersOnly) {
  WatchHub hub(NoTicker(), 1, nullptr);
  auto single = MustWatch(hub, KeyRange::Single("/a/x"));
  auto prefix = MustWatch(hub, KeyRange::Prefix("/a/"));
  auto range = MustWatch(hub, KeyRange{"/b", "/c"});
  auto all = MustWatch(hub, KeyRange::Prefix(""));
  ASSERT_TRUE(hub.Publish(2, {Put("/a/x", "1", 2), Put("/b/y", "1", 2)}).ok());
  ASSERT_TRUE(hub.Publish(3, {Put("/z", "1", 3)}).ok());
  EXPECT_EQ(NextKeys(*single), std::vector<std::string>({"/a/x"}));
  EXPECT_EQ(NextKeys(*prefix), std::vector<std::string>({"/a/x"}));
  EXPECT_EQ(NextKeys(*range), std::vector<std::string>({"/b/y"}));
  EXPECT_EQ(NextKeys(*all), std::vector<std::string>({"/a/x", "/b/y", "/z"}));
  // Nothing more for the others.
  EXPECT_FALSE(single->Next(absl::ZeroDuration()).has_value());
  EXPECT_FALSE(range->Next(absl::ZeroDuration()).has_value());
}

TEST(WatchHubTest, WatchersShareEventObjectsAndPrevKvIsStrippedUnlessAsked) {
  WatchHub hub(NoTicker(), 1, nullptr);
  WatchOptions with_prev;
  with_prev.prev_kv = true;
  auto a = MustWatch(hub, KeyRange::Prefix("k"), with_prev);
  auto b = MustWatch(hub, KeyRange::Prefix("k"), with_prev);
  auto bare = MustWatch(hub, KeyRange::Prefix("k"));
  ASSERT_TRUE(hub.Publish(2, {Put("k", "new", 2, "old")}).ok());
  std::optional<SharedWatchResponse> ra = a->NextShared(kPatience);
  std::optional<SharedWatchResponse> rb = b->NextShared(kPatience);
  std::optional<SharedWatchResponse> rc = bare->NextShared(kPatience);
  ASSERT_TRUE(ra.has_value() && rb.has_value() && rc.has_value());
  ASSERT_EQ(ra->events.size(), 1u);
  EXPECT_EQ(ra->events[0].get(), rb->events[0].get());  // One object, not a copy per watcher.
  ASSERT_TRUE(ra->events[0]->prev_kv.has_value());
  EXPECT_EQ(ra->events[0]->prev_kv->value, "old");
  ASSERT_EQ(rc->events.size(), 1u);
  EXPECT_FALSE(rc->events[0]->prev_kv.has_value());
  EXPECT_EQ(rc->events[0]->kv.value, "new");
  EXPECT_EQ(ra->revision, 2);
}

TEST(WatchHubTest, RejectsRevisionsThatDoNotGrow) {
  WatchHub hub(NoTicker(), 5, nullptr);
  EXPECT_EQ(hub.Publish(5, {Put("a", "1", 5)}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(hub.Publish(6, {Put("a", "1", 6)}).ok());
  EXPECT_EQ(hub.Publish(6, {Put("a", "1", 6)}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(hub.revision(), 6);
}

TEST(WatchHubTest, ReplaysFromTheWindowAndAsksTheSourceForOlderHistory) {
  std::atomic<int> source_calls{0};
  int64_t asked_from = 0, asked_to = 0;
  WatchHub::Options options = NoTicker();
  options.history_events = 2;
  WatchHub hub(options, 1, [&](const KeyRange& range, int64_t from, int64_t to) {
    ++source_calls;
    asked_from = from;
    asked_to = to;
    std::vector<RevisionEvents> out;
    for (int64_t r = from; r <= to; ++r) {
      out.push_back({r, {Put(absl::StrCat("k", r), "v", r)}});
    }
    return absl::StatusOr<std::vector<RevisionEvents>>(out);
  });
  for (int64_t r = 2; r <= 6; ++r) {
    ASSERT_TRUE(hub.Publish(r, {Put(absl::StrCat("k", r), "v", r)}).ok());
  }
  // Revisions 5 and 6 are in the window: no source call.
  WatchOptions recent;
  recent.start_revision = 5;
  auto w1 = MustWatch(hub, KeyRange::Prefix("k"), recent);
  EXPECT_EQ(NextKeys(*w1), std::vector<std::string>({"k5", "k6"}));
  EXPECT_EQ(source_calls.load(), 0);
  // From 3: 3..4 from the source, then 5..6 from the window, then live events.
  WatchOptions old;
  old.start_revision = 3;
  auto w2 = MustWatch(hub, KeyRange::Prefix("k"), old);
  EXPECT_EQ(source_calls.load(), 1);
  EXPECT_EQ(asked_from, 3);
  EXPECT_EQ(asked_to, 4);
  ASSERT_TRUE(hub.Publish(7, {Put("k7", "v", 7)}).ok());
  std::vector<std::string> keys;
  while (keys.size() < 5) {
    std::vector<std::string> more = NextKeys(*w2);
    ASSERT_FALSE(more.empty());
    keys.insert(keys.end(), more.begin(), more.end());
  }
  EXPECT_EQ(keys, std::vector<std::string>({"k3", "k4", "k5", "k6", "k7"}));
}

TEST(WatchHubTest, WithoutASourceOldHistoryIsCompacted) {
  WatchHub::Options options = NoTicker();
  options.history_events = 1;
  WatchHub hub(options, 1, nullptr);
  ASSERT_TRUE(hub.Publish(2, {Put("a", "1", 2)}).ok());
  ASSERT_TRUE(hub.Publish(3, {Put("a", "2", 3)}).ok());
  WatchOptions old;
  old.start_revision = 2;
  auto w = hub.Watch(KeyRange::Single("a"), old);
  EXPECT_TRUE(store::IsCompacted(w.status())) << w.status();
  WatchOptions future;
  future.start_revision = 5;
  EXPECT_EQ(hub.Watch(KeyRange::Single("a"), future).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(hub.Watch(KeyRange{"", ""}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WatchHubTest, SlowWatcherIsCutOffAndUnregistered) {
  WatchHub hub(NoTicker(), 1, nullptr);
  WatchOptions small;
  small.max_buffered_events = 3;
  auto slow = MustWatch(hub, KeyRange::Prefix("k"), small);
  auto fine = MustWatch(hub, KeyRange::Prefix("k"));
  EXPECT_EQ(hub.watcher_count(), 2u);
  for (int64_t r = 2; r <= 5; ++r) ASSERT_TRUE(hub.Publish(r, {Put("k", "v", r)}).ok());
  std::optional<WatchResponse> end = slow->Next(kPatience);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(end->events.empty());
  EXPECT_EQ(hub.watcher_count(), 1u);
  std::optional<WatchResponse> r = fine->Next(kPatience);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->events.size(), 4u);
}

TEST(WatchHubTest, ReadyCallbackIsEdgeTriggered) {
  WatchHub hub(NoTicker(), 1, nullptr);
  auto w = MustWatch(hub, KeyRange::Prefix("k"));
  std::atomic<int> calls{0};
  w->SetReadyCallback([&calls] { ++calls; });
  ASSERT_TRUE(hub.Publish(2, {Put("k", "v", 2)}).ok());
  ASSERT_TRUE(hub.Publish(3, {Put("k", "v", 3)}).ok());
  EXPECT_EQ(calls.load(), 1);  // Not again until the consumer has read.
  std::optional<WatchResponse> r = w->Next(kPatience);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->revision, 3);
  ASSERT_TRUE(hub.Publish(4, {Put("k", "v", 4)}).ok());
  EXPECT_EQ(calls.load(), 2);
  ASSERT_TRUE(hub.Publish(5, {Put("other", "v", 5)}).ok());
  EXPECT_EQ(calls.load(), 2);
  w.reset();
}

TEST(WatchHubTest, ProgressOnRequestReportsTheHubRevision) {
  WatchHub hub(NoTicker(), 1, nullptr);
  auto w = MustWatch(hub, KeyRange::Prefix("k"));
  ASSERT_TRUE(hub.Publish(2, {Put("other", "v", 2)}).ok());
  hub.Advance(9);
  w->RequestProgress();
  std::optional<WatchResponse> p = w->Next(kPatience);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->status.ok());
  EXPECT_TRUE(p->events.empty());
  EXPECT_EQ(p->revision, 9);
}

TEST(WatchHubTest, ProgressNotifyTicksForIdleWatchersOnly) {
  FakeClock clock;
  WatchHub::Options options;
  options.clock = &clock;
  options.progress_notify_interval = absl::Seconds(10);
  WatchHub hub(options, 1, nullptr);
  WatchOptions notify;
  notify.progress_notify = true;
  auto w = MustWatch(hub, KeyRange::Prefix("k"), notify);
  auto quiet = MustWatch(hub, KeyRange::Prefix("k"));
  std::optional<WatchResponse> p;
  for (int i = 0; i < 3000 && !p.has_value(); ++i) {
    clock.Advance(absl::Seconds(10));
    p = w->Next(absl::Milliseconds(10));
  }
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->events.empty());
  EXPECT_EQ(p->revision, 1);
  EXPECT_FALSE(quiet->Next(absl::ZeroDuration()).has_value());
}

TEST(WatchHubTest, EndAllDeliversPendingEventsThenTheStatus) {
  WatchHub hub(NoTicker(), 1, nullptr);
  auto w = MustWatch(hub, KeyRange::Prefix("k"));
  ASSERT_TRUE(hub.Publish(2, {Put("k", "v", 2)}).ok());
  hub.EndAll(absl::UnavailableError("upstream broke"));
  EXPECT_EQ(NextKeys(*w), std::vector<std::string>({"k"}));
  std::optional<WatchResponse> end = w->Next(kPatience);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.watcher_count(), 0u);
}

TEST(WatchHubTest, WatchersOutliveTheHubAndEndCancelled) {
  auto hub = std::make_unique<WatchHub>(NoTicker(), 1, nullptr);
  auto w = MustWatch(*hub, KeyRange::Prefix("k"));
  hub.reset();
  std::optional<WatchResponse> end = w->Next(kPatience);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kCancelled);
  w->Cancel();
  w->RequestProgress();
}

TEST(WatchHubTest, CancelledWatchersAreUnregistered) {
  WatchHub hub(NoTicker(), 1, nullptr);
  for (int i = 0; i < 100; ++i) {
    auto w = MustWatch(hub, KeyRange::Single(absl::StrCat("k", i)));
  }
  auto kept = MustWatch(hub, KeyRange::Single("k"));
  ASSERT_TRUE(hub.Publish(2, {Put("x", "v", 2)}).ok());  // Sweeps.
  EXPECT_EQ(hub.watcher_count(), 1u);
}

TEST(WatchHubTest, MembersOfOneGroupReadAtTheirOwnPace) {
  WatchHub hub(NoTicker(), 1, nullptr);
  WatchOptions small;
  small.max_buffered_events = 4;
  auto fast = MustWatch(hub, KeyRange::Prefix("k"));
  auto slow = MustWatch(hub, KeyRange::Prefix("k"), small);
  for (int64_t r = 2; r <= 3; ++r) ASSERT_TRUE(hub.Publish(r, {Put("k", "v", r)}).ok());
  auto late = MustWatch(hub, KeyRange::Prefix("k"));  // Joins the group: sees only what follows.
  std::optional<WatchResponse> f = fast->Next(kPatience);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->events.size(), 2u);
  for (int64_t r = 4; r <= 12; ++r) {
    ASSERT_TRUE(hub.Publish(r, {Put("k", "v", r)}).ok());
    f = fast->Next(kPatience);
    ASSERT_TRUE(f.has_value());
    ASSERT_EQ(f->events.size(), 1u);
    EXPECT_EQ(f->events[0].kv.mod_revision, r);
  }
  std::optional<WatchResponse> s = slow->Next(kPatience);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->status.code(), absl::StatusCode::kResourceExhausted);
  std::optional<WatchResponse> l = late->Next(kPatience);
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->events.size(), 9u);
  EXPECT_EQ(l->events.front().kv.mod_revision, 4);
  EXPECT_EQ(l->events.back().kv.mod_revision, 12);
}

TEST(WatchHubTest, SkipIfUnwatchedDefersOldHistoryToTheSource) {
  int calls = 0;
  WatchHub hub(NoTicker(), 1, [&](const KeyRange&, int64_t from, int64_t to) {
    ++calls;
    std::vector<RevisionEvents> out;
    for (int64_t r = from; r <= to; ++r) out.push_back({r, {Put("k", "v", r)}});
    return absl::StatusOr<std::vector<RevisionEvents>>(out);
  });
  EXPECT_TRUE(hub.SkipIfUnwatched(2));
  EXPECT_TRUE(hub.SkipIfUnwatched(3));
  EXPECT_EQ(hub.revision(), 3);
  EXPECT_FALSE(hub.watched());
  WatchOptions from2;
  from2.start_revision = 2;
  auto w = MustWatch(hub, KeyRange::Prefix("k"), from2);
  EXPECT_TRUE(hub.watched());
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(hub.SkipIfUnwatched(4));  // Now it must be published.
  ASSERT_TRUE(hub.Publish(4, {Put("k", "v", 4)}).ok());
  std::vector<int64_t> revs;
  while (revs.size() < 3) {
    std::optional<WatchResponse> r = w->Next(kPatience);
    ASSERT_TRUE(r.has_value());
    for (const WatchEvent& e : r->events) revs.push_back(e.kv.mod_revision);
  }
  EXPECT_EQ(revs, std::vector<int64_t>({2, 3, 4}));
}

TEST(WatchHubTest, ConcurrentPublishConsumeAndChurnStayGapless) {
  WatchHub::Options options;
  options.progress_notify_interval = absl::Milliseconds(1);
  options.history_events = 16;
  WatchHub hub(options, 1, nullptr);
  constexpr int kWatchers = 8;
  constexpr int64_t kLast = 400;
  std::vector<std::unique_ptr<Watcher>> ws;
  for (int i = 0; i < kWatchers; ++i) {
    WatchOptions o;
    o.progress_notify = i % 2 == 0;
    o.prev_kv = i % 3 == 0;
    ws.push_back(MustWatch(hub, i % 4 == 0 ? KeyRange::Prefix("") : KeyRange::Prefix("k"), o));
  }
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    while (!stop.load()) {
      auto w = hub.Watch(KeyRange::Single("k1"), {});
      if (w.ok()) {
        (*w)->SetReadyCallback([] {});
        (*w)->RequestProgress();
        (*w)->Next(absl::Microseconds(100));
      }
    }
  });
  std::vector<std::thread> consumers;
  std::vector<int> ok(kWatchers, 0);  // Not vector<bool>: its bits share bytes.
  for (int i = 0; i < kWatchers; ++i) {
    consumers.emplace_back([&, i] {
      int64_t next = 2;
      while (next <= kLast) {
        std::optional<WatchResponse> r = ws[i]->Next(kPatience);
        if (!r.has_value() || !r->status.ok()) return;
        for (const WatchEvent& e : r->events) {
          if (e.kv.mod_revision != next) return;
          ++next;
        }
      }
      ok[i] = 1;
    });
  }
  for (int64_t r = 2; r <= kLast; ++r) {
    ASSERT_TRUE(hub.Publish(r, {Put(absl::StrCat("k", r % 3), "v", r, "old")}).ok());
  }
  for (std::thread& t : consumers) t.join();
  stop = true;
  churn.join();
  for (int i = 0; i < kWatchers; ++i) EXPECT_EQ(ok[i], 1) << "watcher " << i;
}

}  // namespace
}  // namespace rudder::store_internal
