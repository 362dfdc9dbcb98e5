// Perturbation mode of TestCluster, seen through the controllers' client: events of one object
// keep their revision order, a seed replays its schedule exactly, and a dropped connection ends
// the watch with 410 Gone only once everything up to the newest delivered event is delivered.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/store/store.h"
#include "lib/testing/test_cluster.h"

namespace rudder::testing {
namespace {

using api::core::v1::ConfigMap;

constexpr int kObjects = 6;
constexpr int kUpdates = 4;  // Per object, after its create.

struct Delivery {
  std::vector<std::pair<std::string, int64_t>> events;  // (name, resourceVersion), in order.
  absl::Status error;                                   // The ERROR event's, if one came.
  int64_t dropped = 0;                                  // TestCluster::DroppedWatches().
};

// A perturbed TestCluster and its controllers' client, for ConfigMaps.
struct Perturbed {
  std::unique_ptr<TestCluster> tc;
  client::Client* controllers = nullptr;
  std::shared_ptr<const api::KindInfo> kind;
};

Perturbed StartPerturbed(uint64_t seed, double drop_probability) {
  Perturbed p;
  TestClusterOptions o;
  o.perturbation.seed = seed;
  o.perturbation.drop_probability = drop_probability;
  o.controllers = {
      {"capture",
       [&](const ControllerContext& ctx) -> absl::StatusOr<std::unique_ptr<RunningController>> {
         p.controllers = ctx.client;
         return nullptr;
       }}};
  absl::StatusOr<std::unique_ptr<TestCluster>> tc = TestCluster::Start(std::move(o));
  EXPECT_TRUE(tc.ok()) << tc.status();
  if (!tc.ok() || p.controllers == nullptr) return p;
  p.kind = (*tc)->scheme().ByKind(api::GroupVersionKind{"", "v1", "ConfigMap"});
  EXPECT_NE(p.kind, nullptr);
  p.tc = *std::move(tc);
  return p;
}

// Writes kObjects ConfigMaps with kUpdates updates each, then reads them through one watch of
// the controllers' client opened at the revision before the writes.
Delivery WatchOnce(uint64_t seed, double drop_probability) {
  Delivery out;
  Perturbed p = StartPerturbed(seed, drop_probability);
  if (p.tc == nullptr) return out;
  TestCluster* tc = p.tc.get();
  client::Client* controllers = p.controllers;
  std::shared_ptr<const api::KindInfo> kind = p.kind;
  absl::StatusOr<client::ListResult> start = controllers->List(*kind, "", {});
  EXPECT_TRUE(start.ok()) << start.status();

  client::TypedClient<ConfigMap> maps(tc->client());
  for (int i = 0; i < kObjects; ++i) {
    ConfigMap cm;
    cm.mutable_metadata()->set_namespace_("default");
    cm.mutable_metadata()->set_name(absl::StrCat("cm-", i));
    absl::StatusOr<std::unique_ptr<ConfigMap>> c = maps.Create(cm);
    EXPECT_TRUE(c.ok()) << c.status();
  }
  for (int u = 0; u < kUpdates; ++u) {
    for (int i = 0; i < kObjects; ++i) {
      absl::StatusOr<std::unique_ptr<ConfigMap>> c = maps.Get("default", absl::StrCat("cm-", i));
      EXPECT_TRUE(c.ok()) << c.status();
      (*(*c)->mutable_data())["u"] = absl::StrCat(u);
      EXPECT_TRUE(maps.Update(**c).ok());
    }
  }

  client::WatchOptions w;
  w.resource_version = absl::StrCat(start->resource_version);
  // Of every namespace, as informers watch.
  absl::StatusOr<std::unique_ptr<client::ObjectWatcher>> watch = controllers->Watch(*kind, "", w);
  EXPECT_TRUE(watch.ok()) << watch.status();
  const size_t total = kObjects * (1 + kUpdates);
  // A bound on the loop (delays make Next return nothing a few times), not a timing check.
  for (int i = 0; i < 100000 && out.events.size() < total; ++i) {
    std::optional<client::ObjectEvent> e = (*watch)->Next(absl::Milliseconds(1));
    if (!e) continue;
    if (e->type == "ERROR") {
      out.error = e->error;
      break;
    }
    if (e->type == "BOOKMARK") continue;
    const google::protobuf::Message& m = e->shared != nullptr ? *e->shared : *e->object;
    const auto& cm = static_cast<const ConfigMap&>(m);
    int64_t rv = 0;
    EXPECT_TRUE(absl::SimpleAtoi(cm.metadata().resourceversion(), &rv));
    out.events.emplace_back(cm.metadata().name(), rv);
  }
  (*watch)->Cancel();
  watch->reset();
  out.dropped = tc->DroppedWatches();
  return out;
}

// What a watch of the controllers' client delivered while the test wrote one object at a time
// and read until that write arrived (the way a test drives a cluster step by step). A dropped
// connection is logged and the watch reopened from the last revision delivered, as an informer
// resumes it.
struct StepLog {
  std::vector<std::string> log;  // "cm-1@7" per event, "drop" per dropped connection.
  std::vector<int64_t> rvs;      // Revisions delivered, in order.
  int64_t dropped = 0;
  bool all_gone_errors = true;  // Every drop was 410 Gone (IsCompacted).
};

StepLog StepByStep(uint64_t seed, double drop_probability) {
  StepLog out;
  Perturbed p = StartPerturbed(seed, drop_probability);
  if (p.tc == nullptr) return out;
  TestCluster* tc = p.tc.get();
  client::Client* controllers = p.controllers;
  std::shared_ptr<const api::KindInfo> kind = p.kind;
  absl::StatusOr<client::ListResult> start = controllers->List(*kind, "default", {});
  EXPECT_TRUE(start.ok()) << start.status();
  int64_t last = start->resource_version;
  auto open = [&] {
    client::WatchOptions w;
    w.resource_version = absl::StrCat(last);
    absl::StatusOr<std::unique_ptr<client::ObjectWatcher>> watch =
        controllers->Watch(*kind, "default", w);
    EXPECT_TRUE(watch.ok()) << watch.status();
    return watch.ok() ? *std::move(watch) : nullptr;
  };
  std::unique_ptr<client::ObjectWatcher> watch = open();
  client::TypedClient<ConfigMap> maps(tc->client());
  for (int step = 0; step < kObjects * (1 + kUpdates) && watch != nullptr; ++step) {
    const std::string name = absl::StrCat("cm-", step % kObjects);
    absl::StatusOr<std::unique_ptr<ConfigMap>> written;
    if (step < kObjects) {
      ConfigMap cm;
      cm.mutable_metadata()->set_namespace_("default");
      cm.mutable_metadata()->set_name(name);
      written = maps.Create(cm);
    } else {
      absl::StatusOr<std::unique_ptr<ConfigMap>> c = maps.Get("default", name);
      EXPECT_TRUE(c.ok()) << c.status();
      (*(*c)->mutable_data())["step"] = absl::StrCat(step);
      written = maps.Update(**c);
    }
    EXPECT_TRUE(written.ok()) << written.status();
    int64_t want = 0;
    EXPECT_TRUE(absl::SimpleAtoi((*written)->metadata().resourceversion(), &want));
    // A bound on the loop, not a timing check.
    for (int i = 0; i < 100000 && last < want && watch != nullptr; ++i) {
      std::optional<client::ObjectEvent> e = watch->Next(absl::Milliseconds(1));
      if (!e || e->type == "BOOKMARK") continue;
      if (e->type == "ERROR") {
        out.log.push_back("drop");
        out.all_gone_errors = out.all_gone_errors && store::IsCompacted(e->error);
        watch = open();
        continue;
      }
      const google::protobuf::Message& m = e->shared != nullptr ? *e->shared : *e->object;
      const auto& cm = static_cast<const ConfigMap&>(m);
      int64_t rv = 0;
      EXPECT_TRUE(absl::SimpleAtoi(cm.metadata().resourceversion(), &rv));
      out.log.push_back(absl::StrCat(cm.metadata().name(), "@", rv));
      out.rvs.push_back(rv);
      last = std::max(last, rv);
    }
  }
  if (watch != nullptr) watch->Cancel();
  watch.reset();
  out.dropped = tc->DroppedWatches();
  return out;
}

TEST(PerturbationTest, ReordersAcrossObjectsButNeverWithinOne) {
  bool reordered = false;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Delivery d = WatchOnce(seed, /*drop_probability=*/0);
    ASSERT_TRUE(d.error.ok()) << "seed " << seed << ": " << d.error;
    ASSERT_EQ(d.events.size(), static_cast<size_t>(kObjects * (1 + kUpdates))) << "seed " << seed;
    std::map<std::string, int64_t> last;
    std::set<int64_t> rvs;
    int64_t prev = 0;
    for (const auto& [name, rv] : d.events) {
      EXPECT_GT(rv, last[name]) << "seed " << seed << ": " << name << " went back in revisions";
      last[name] = rv;
      EXPECT_TRUE(rvs.insert(rv).second) << "seed " << seed << ": revision " << rv << " twice";
      if (rv < prev) reordered = true;
      prev = rv;
    }
  }
  EXPECT_TRUE(reordered) << "no seed reordered anything";
}

TEST(PerturbationTest, ASeedDrivenStepByStepReplaysExactly) {
  std::set<std::vector<std::string>> schedules;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    StepLog first = StepByStep(seed, 0.2);
    StepLog again = StepByStep(seed, 0.2);
    EXPECT_EQ(first.log, again.log) << "seed " << seed;
    EXPECT_EQ(first.dropped, again.dropped) << "seed " << seed;
    schedules.insert(first.log);
  }
  EXPECT_GT(schedules.size(), 1u) << "every seed made the same schedule";
}

TEST(PerturbationTest, DroppedConnectionsAreGoneAndLoseNothing) {
  int64_t dropped = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    StepLog s = StepByStep(seed, 0.3);
    dropped += s.dropped;
    EXPECT_TRUE(s.all_gone_errors) << "seed " << seed;
    // Resumed from the last revision delivered, the watches delivered every write exactly
    // once, in order.
    std::vector<int64_t> expected;
    for (size_t k = 0; k < s.rvs.size(); ++k) expected.push_back(s.rvs.front() + k);
    EXPECT_EQ(s.rvs, expected) << "seed " << seed;
    EXPECT_EQ(s.rvs.size(), static_cast<size_t>(kObjects * (1 + kUpdates))) << "seed " << seed;
  }
  EXPECT_GT(dropped, 0);
}

// A watch opened after a batch of writes: the window takes the writes already made before it
// picks, however fast their events arrive, so a seed's schedule is the same on every run.
TEST(PerturbationTest, ABatchReplaysItsScheduleExactly) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    Delivery first = WatchOnce(seed, 0);
    Delivery again = WatchOnce(seed, 0);
    EXPECT_EQ(first.events, again.events) << "seed " << seed;
  }
}

}  // namespace
}  // namespace rudder::testing
