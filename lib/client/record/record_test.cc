#include "lib/client/record/record.h"

#include <memory>
#include <thread>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/scheme/builtin.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::record {
namespace {

using api::core::v1::ConfigMap;
using api::core::v1::Event;

class RecordTest : public ::testing::Test {
 protected:
  RecordTest()
      : store_(*store::NewMemoryStore()),
        scheme_(api::NewBuiltinScheme()),
        registry_(store_.get(), scheme_.get()),
        client_(client::NewInProcessClient(&registry_)) {
    cm_.mutable_metadata()->set_namespace_("team-a");
    cm_.mutable_metadata()->set_name("settings");
    cm_.mutable_metadata()->set_uid("uid-1");
  }

  std::vector<std::unique_ptr<Event>> Events(const std::string& ns = "team-a") {
    client::TypedClient<Event> events(client_.get());
    absl::StatusOr<client::TypedList<Event>> list = events.List(ns);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? std::move(list->items) : std::vector<std::unique_ptr<Event>>{};
  }

  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  apiserver::Registry registry_;
  std::unique_ptr<client::Client> client_;
  ConfigMap cm_;
};

TEST_F(RecordTest, WritesAnEventWithItsFields) {
  auto b = EventBroadcaster::New(client_.get(), {.clock = &clock_});
  auto rec = b->NewRecorder({.component = "cm-controller", .host = "node-1"});
  rec->Event(cm_, kEventTypeNormal, "Synced", "synced \"settings\"");
  b->Flush();

  std::vector<std::unique_ptr<Event>> events = Events();
  ASSERT_EQ(events.size(), 1u);
  const Event& e = *events[0];
  EXPECT_EQ(e.involvedobject().kind(), "ConfigMap");
  EXPECT_EQ(e.involvedobject().apiversion(), "v1");
  EXPECT_EQ(e.involvedobject().namespace_(), "team-a");
  EXPECT_EQ(e.involvedobject().name(), "settings");
  EXPECT_EQ(e.involvedobject().uid(), "uid-1");
  EXPECT_EQ(e.reason(), "Synced");
  EXPECT_EQ(e.message(), "synced \"settings\"");
  EXPECT_EQ(e.type(), "Normal");
  EXPECT_EQ(e.source().component(), "cm-controller");
  EXPECT_EQ(e.source().host(), "node-1");
  EXPECT_EQ(e.count(), 1);
  EXPECT_EQ(api::ToAbslTime(e.firsttimestamp()), clock_.Now());
  EXPECT_EQ(api::ToAbslTime(e.lasttimestamp()), clock_.Now());
  EXPECT_EQ(e.metadata().name().rfind("settings.", 0), 0u);
  EXPECT_EQ(b->Stats().created, 1);
}

TEST_F(RecordTest, RepeatsWithinTheWindowIncrementTheCount) {
  auto b = EventBroadcaster::New(client_.get(), {.clock = &clock_});
  auto rec = b->NewRecorder({.component = "c"});
  absl::Time t0 = clock_.Now();
  rec->Event(cm_, kEventTypeWarning, "Failed", "boom");
  b->Flush();
  clock_.Advance(absl::Minutes(1));
  rec->Event(cm_, kEventTypeWarning, "Failed", "boom");
  b->Flush();
  clock_.Advance(absl::Minutes(2));
  rec->Event(cm_, kEventTypeWarning, "Failed", "boom");
  // A different message is a different event.
  rec->Event(cm_, kEventTypeWarning, "Failed", "bang");
  b->Flush();

  std::vector<std::unique_ptr<Event>> events = Events();
  ASSERT_EQ(events.size(), 2u);
  const Event& boom = events[0]->message() == "boom" ? *events[0] : *events[1];
  EXPECT_EQ(boom.count(), 3);
  EXPECT_EQ(api::ToAbslTime(boom.firsttimestamp()), t0);
  EXPECT_EQ(api::ToAbslTime(boom.lasttimestamp()), t0 + absl::Minutes(3));
  EXPECT_EQ(b->Stats().patched, 2);
  EXPECT_EQ(b->Stats().created, 2);

  // After the window, a new Event starts.
  clock_.Advance(absl::Minutes(11));
  rec->Event(cm_, kEventTypeWarning, "Failed", "boom");
  b->Flush();
  EXPECT_EQ(Events().size(), 3u);
}

TEST_F(RecordTest, RecreatesAnEventDeletedMeanwhile) {
  auto b = EventBroadcaster::New(client_.get(), {.clock = &clock_});
  auto rec = b->NewRecorder({.component = "c"});
  rec->Event(cm_, kEventTypeNormal, "Synced", "ok");
  b->Flush();
  std::vector<std::unique_ptr<Event>> events = Events();
  ASSERT_EQ(events.size(), 1u);
  client::TypedClient<Event> ec(client_.get());
  ASSERT_TRUE(ec.Delete("team-a", events[0]->metadata().name()).ok());
  clock_.Advance(absl::Seconds(1));
  rec->Event(cm_, kEventTypeNormal, "Synced", "ok");
  b->Flush();
  events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->count(), 1);
}

TEST_F(RecordTest, RateLimitsPerObject) {
  auto b = EventBroadcaster::New(
      client_.get(), {.clock = &clock_, .burst = 3, .refill_interval = absl::Minutes(1)});
  auto rec = b->NewRecorder({.component = "c"});
  for (int i = 0; i < 5; ++i) rec->Event(cm_, kEventTypeNormal, "Step", absl::StrCat("step ", i));
  // Another object has its own bucket.
  ConfigMap other = cm_;
  other.mutable_metadata()->set_name("other");
  rec->Event(other, kEventTypeNormal, "Step", "x");
  b->Flush();
  EXPECT_EQ(Events().size(), 4u);
  EXPECT_EQ(b->Stats().rate_limited, 2);

  // A token comes back after the refill interval.
  clock_.Advance(absl::Minutes(1));
  rec->Event(cm_, kEventTypeNormal, "Step", "late");
  rec->Event(cm_, kEventTypeNormal, "Step", "too late");
  b->Flush();
  EXPECT_EQ(Events().size(), 5u);
  EXPECT_EQ(b->Stats().rate_limited, 3);
}

TEST_F(RecordTest, ClusterScopedObjectsGoToDefault) {
  auto b = EventBroadcaster::New(client_.get(), {.clock = &clock_});
  auto rec = b->NewRecorder({.component = "c"});
  api::core::v1::Node node;
  node.mutable_metadata()->set_name("node-1");
  rec->Event(node, kEventTypeNormal, "Ready", "node is ready");
  b->Flush();
  std::vector<std::unique_ptr<Event>> events = Events("default");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->involvedobject().kind(), "Node");
  EXPECT_EQ(events[0]->involvedobject().namespace_(), "");
}

TEST_F(RecordTest, FullQueueDropsInsteadOfBlocking) {
  auto b = EventBroadcaster::New(client_.get(), {.clock = &clock_, .queue_size = 0});
  auto rec = b->NewRecorder({.component = "c"});
  rec->Event(cm_, kEventTypeNormal, "Synced", "ok");
  b->Flush();
  EXPECT_EQ(b->Stats().dropped, 1);
  EXPECT_TRUE(Events().empty());
}

TEST_F(RecordTest, ConcurrentRecordersAndShutdown) {
  auto b = EventBroadcaster::New(client_.get(), {.clock = &clock_, .burst = 1000});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto rec = b->NewRecorder({.component = absl::StrCat("c", t)});
      for (int i = 0; i < 20; ++i) rec->Event(cm_, kEventTypeNormal, "Tick", "tick");
    });
  }
  for (auto& t : threads) t.join();
  b->Shutdown();
  BroadcasterStats s = b->Stats();
  EXPECT_EQ(s.created, 4);   // One Event per source...
  EXPECT_EQ(s.patched, 76);  // ...counting the rest.
  int total = 0;
  for (const auto& e : Events()) total += e->count();
  EXPECT_EQ(total, 80);
}

TEST(FakeRecorderTest, KeepsEvents) {
  FakeRecorder rec;
  ConfigMap cm;
  rec.Event(cm, kEventTypeNormal, "Created", "made it");
  EXPECT_EQ(rec.Events(), std::vector<std::string>{"Normal Created made it"});
}

}  // namespace
}  // namespace rudder::record
