// The ReplicaSet controller on a TestCluster whose watches lag, reorder and drop: its
// expectations keep it from creating or deleting a pod more than the counts ask for.
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "gtest/gtest.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/replicaset/replicaset.h"
#include "lib/testing/test_cluster.h"

namespace rudder::controllers {
namespace {

using api::apps::v1::ReplicaSet;
using api::core::v1::Pod;

testing::ControllerFactory ReplicaSetController() {
  return {"replicaset",
          [](const testing::ControllerContext& ctx)
              -> absl::StatusOr<std::unique_ptr<testing::RunningController>> {
            absl::Status st = AddReplicaSetController(ctx.manager);
            if (!st.ok()) return st;
            return nullptr;
          }};
}

ReplicaSet MakeRs(int replicas) {
  ReplicaSet rs;
  rs.mutable_metadata()->set_namespace_("default");
  rs.mutable_metadata()->set_name("web");
  rs.mutable_spec()->set_replicas(replicas);
  (*rs.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
  auto* t = rs.mutable_spec()->mutable_template_();
  (*t->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = t->mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("nginx");
  return rs;
}

struct Counts {
  int added = 0;
  int deleted = 0;
};

// Reads `w` up to the ADDED event of a marker pod created now; the watch delivers events in
// revision order, so every earlier pod event has been read by then.
Counts ReadUpToMarker(client::TypedClient<Pod>* pods, apiserver::ObjectWatcher* w,
                      const std::string& marker) {
  Pod m;
  m.mutable_metadata()->set_namespace_("default");
  m.mutable_metadata()->set_name(marker);
  auto* c = m.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("pause");
  EXPECT_TRUE(pods->Create(m).ok());
  Counts n;
  for (int i = 0; i < 100000; ++i) {
    std::optional<apiserver::ObjectEvent> e = w->Next(absl::Seconds(30));
    if (!e.has_value() || e->object == nullptr) {
      ADD_FAILURE() << "watch ended before the marker";
      return n;
    }
    const auto& meta = static_cast<const Pod&>(*e->object).metadata();
    if (meta.name() == marker) return n;
    if (e->type == "ADDED") ++n.added;
    if (e->type == "DELETED") ++n.deleted;
  }
  ADD_FAILURE() << "no marker";
  return n;
}

TEST(ReplicaSetLaggingWatchesTest, CreatesAndDeletesExactlyTheDifference) {
  int64_t drops = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    testing::TestClusterOptions o;
    o.controllers = {ReplicaSetController()};
    o.perturbation.seed = seed;
    o.perturbation.delay_probability = 0.9;
    o.perturbation.max_reorder_window = 64;
    o.perturbation.drop_probability = 0.05;
    auto tc = testing::TestCluster::Start(std::move(o));
    ASSERT_TRUE(tc.ok()) << tc.status();
    client::TypedClient<Pod> pods((*tc)->client());
    client::TypedClient<ReplicaSet> rss((*tc)->client());
    client::TypedClient<Pod> watch_pods((*tc)->direct_client());
    auto w = watch_pods.Watch("default");
    ASSERT_TRUE(w.ok()) << w.status();

    ASSERT_TRUE(rss.Create(MakeRs(30)).ok());
    ASSERT_TRUE((*tc)->WaitForQuiescence().ok());
    Counts n = ReadUpToMarker(&pods, w->get(), "marker-1");
    EXPECT_EQ(n.added, 30);
    EXPECT_EQ(n.deleted, 0);

    // Scale down and up again while events keep lagging.
    for (const auto& [replicas, want_added, want_deleted] :
         {std::tuple{10, 0, 20}, std::tuple{25, 15, 0}}) {
      for (int i = 0; i < 50; ++i) {
        auto rs = rss.Get("default", "web");
        ASSERT_TRUE(rs.ok()) << rs.status();
        (*rs)->mutable_spec()->set_replicas(replicas);
        auto r = rss.Update(**rs);
        if (r.ok()) break;
        ASSERT_TRUE(absl::IsAborted(r.status())) << r.status();
      }
      ASSERT_TRUE((*tc)->WaitForQuiescence().ok());
      n = ReadUpToMarker(&pods, w->get(), "marker-" + std::to_string(replicas));
      EXPECT_EQ(n.added, want_added) << "scaled to " << replicas;
      EXPECT_EQ(n.deleted, want_deleted) << "scaled to " << replicas;
    }
    auto list = pods.List("default");
    ASSERT_TRUE(list.ok());
    int web = 0;
    for (const auto& p : list->items) web += p->metadata().labels().count("app");
    EXPECT_EQ(web, 25);
    auto rs = rss.Get("default", "web");
    ASSERT_TRUE(rs.ok());
    EXPECT_EQ((*rs)->status().replicas(), 25);
    drops += (*tc)->DroppedWatches();
  }
  EXPECT_GT(drops, 0);  // Informers also relisted.
}

}  // namespace
}  // namespace rudder::controllers
