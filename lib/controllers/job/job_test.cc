#include "lib/controllers/job/job.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::batch::v1::Job;
using api::core::v1::Pod;
using ctrl::testing::Eventually;

class JobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Advance(absl::Hours(1));
    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddJobController(manager_.get()).ok());
    ASSERT_TRUE(AddTtlAfterFinishedController(manager_.get()).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }

  Job MakeJob(const std::string& name, int completions, int parallelism,
              const std::string& restart = "Never") {
    Job j;
    j.mutable_metadata()->set_namespace_("default");
    j.mutable_metadata()->set_name(name);
    j.mutable_spec()->set_completions(completions);
    j.mutable_spec()->set_parallelism(parallelism);
    auto* t = j.mutable_spec()->mutable_template_();
    (*t->mutable_metadata()->mutable_labels())["app"] = name;
    t->mutable_spec()->set_restartpolicy(restart);
    auto* c = t->mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image("busybox");
    return j;
  }
  void Create(const Job& j) {
    auto r = jobs_.Create(j);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  std::unique_ptr<Job> GetJob(const std::string& name) {
    auto r = jobs_.Get("default", name);
    return r.ok() ? *std::move(r) : nullptr;
  }
  // Pods of job `name`, oldest first.
  std::vector<std::unique_ptr<Pod>> Pods(const std::string& name) {
    std::vector<std::unique_ptr<Pod>> out;
    auto list = pods_.List("default");
    if (!list.ok()) return out;
    for (auto& p : list->items) {
      auto it = p->metadata().labels().find(kJobName);
      if (it != p->metadata().labels().end() && it->second == name) out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a->metadata().creationtimestamp().seconds() * 1000000000LL +
                 a->metadata().creationtimestamp().nanos() <
             b->metadata().creationtimestamp().seconds() * 1000000000LL +
                 b->metadata().creationtimestamp().nanos();
    });
    return out;
  }
  std::unique_ptr<Pod> FirstActive(const std::string& name) {
    for (auto& p : Pods(name)) {
      if (p->status().phase().empty() || p->status().phase() == "Pending") return std::move(p);
    }
    ADD_FAILURE() << "no active pod of " << name;
    return std::make_unique<Pod>();
  }
  int ActivePods(const std::string& name) {
    int n = 0;
    for (const auto& p : Pods(name)) {
      if (p->status().phase() != "Succeeded" && p->status().phase() != "Failed") ++n;
    }
    return n;
  }
  void Finish(const Pod& pod, const std::string& phase) {
    Pod p = pod;
    p.mutable_status()->set_phase(phase);
    auto* cs = p.mutable_status()->add_containerstatuses();
    cs->set_name("main");
    cs->mutable_state()->mutable_terminated()->set_exitcode(phase == "Succeeded" ? 0 : 1);
    *cs->mutable_state()->mutable_terminated()->mutable_finishedat() =
        api::FromAbslTime(clock_.Now());
    auto r = pods_.UpdateStatus(p);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  bool HasCondition(const std::string& name, const std::string& type, const std::string& reason) {
    std::unique_ptr<Job> j = GetJob(name);
    if (j == nullptr) return false;
    for (const auto& c : j->status().conditions()) {
      if (c.type() == type && c.status() == "True" && c.reason() == reason) return true;
    }
    return false;
  }
  // Reconciles `job` once more at the current fake time and waits until the controller is idle.
  void Settle(const std::string& controller, const std::string& job) {
    ctrl::Controller* c = manager_->GetController(controller);
    ASSERT_NE(c, nullptr);
    int64_t before = c->Metrics().reconcile_total;
    c->Enqueue({.ns = "default", .name = job});
    ASSERT_TRUE(Eventually([&] {
      ctrl::ControllerMetrics m = c->Metrics();
      return m.reconcile_total > before && m.active_workers == 0 && c->QueueLength() == 0;
    }));
  }

  FakeClock clock_;
  ctrl::testing::TestCluster cluster_;
  std::unique_ptr<ctrl::Manager> manager_;
  client::TypedClient<Job> jobs_{cluster_.client.get()};
  client::TypedClient<Pod> pods_{cluster_.client.get()};
};

TEST_F(JobTest, RunsParallelPodsUntilCompletionsSucceed) {
  Create(MakeJob("pi", 3, 2));
  ASSERT_TRUE(Eventually([&] { return Pods("pi").size() == 2; }));
  for (const auto& p : Pods("pi")) {
    EXPECT_EQ(p->metadata().finalizers_size(), 1);
    EXPECT_EQ(p->metadata().finalizers(0), kJobTrackingFinalizer);
    EXPECT_EQ(p->metadata().ownerreferences(0).kind(), "Job");
    EXPECT_TRUE(p->metadata().ownerreferences(0).controller());
  }
  ASSERT_TRUE(Eventually([&] {
    auto j = GetJob("pi");
    return j && j->status().active() == 2 && j->status().has_starttime();
  }));
  for (const auto& p : Pods("pi")) Finish(*p, "Succeeded");
  // One more pod for the third completion.
  ASSERT_TRUE(Eventually([&] { return Pods("pi").size() == 3 && ActivePods("pi") == 1; }));
  ASSERT_TRUE(Eventually([&] { return GetJob("pi")->status().succeeded() == 2; }));
  Finish(*FirstActive("pi"), "Succeeded");
  ASSERT_TRUE(Eventually([&] { return HasCondition("pi", "Complete", "CompletionsReached"); }));
  std::unique_ptr<Job> j = GetJob("pi");
  EXPECT_EQ(j->status().succeeded(), 3);
  EXPECT_EQ(j->status().failed(), 0);
  EXPECT_EQ(j->status().active(), 0);
  EXPECT_TRUE(j->status().has_completiontime());
  EXPECT_EQ(j->status().uncountedterminatedpods().succeeded_size(), 0);
  ASSERT_TRUE(Eventually([&] {
    for (const auto& p : Pods("pi")) {
      if (p->metadata().finalizers_size() != 0) return false;
    }
    return true;
  }));
}

TEST_F(JobTest, ExponentialBackOffThenBackoffLimitExceeded) {
  Job job = MakeJob("flaky", 1, 1);
  job.mutable_spec()->set_backofflimit(2);
  Create(job);
  ASSERT_TRUE(Eventually([&] { return Pods("flaky").size() == 1; }));
  // Failure 1: the replacement waits 10 s from the failure.
  Finish(*Pods("flaky")[0], "Failed");
  ASSERT_TRUE(Eventually([&] { return GetJob("flaky")->status().failed() == 1; }));
  clock_.Advance(absl::Seconds(10) - absl::Milliseconds(1));
  Settle("job", "flaky");
  EXPECT_EQ(Pods("flaky").size(), 1u);
  clock_.Advance(absl::Milliseconds(1));
  Settle("job", "flaky");
  ASSERT_TRUE(Eventually([&] { return Pods("flaky").size() == 2; }));
  // Failure 2: 20 s.
  Finish(*FirstActive("flaky"), "Failed");
  ASSERT_TRUE(Eventually([&] { return GetJob("flaky")->status().failed() == 2; }));
  clock_.Advance(absl::Seconds(20) - absl::Milliseconds(1));
  Settle("job", "flaky");
  EXPECT_EQ(Pods("flaky").size(), 2u);
  clock_.Advance(absl::Milliseconds(1));
  Settle("job", "flaky");
  ASSERT_TRUE(Eventually([&] { return Pods("flaky").size() == 3; }));
  // Failure 3 exceeds backoffLimit 2.
  Finish(*FirstActive("flaky"), "Failed");
  ASSERT_TRUE(Eventually([&] { return HasCondition("flaky", "Failed", "BackoffLimitExceeded"); }));
  std::unique_ptr<Job> j = GetJob("flaky");
  EXPECT_EQ(j->status().failed(), 3);
  EXPECT_EQ(j->status().active(), 0);
  Settle("job", "flaky");
  EXPECT_EQ(Pods("flaky").size(), 3u);
}

TEST_F(JobTest, BackOffDoublesUpToTenMinutes) {
  Job job = MakeJob("slow", 1, 1);
  job.mutable_spec()->set_backofflimit(20);
  Create(job);
  ASSERT_TRUE(Eventually([&] { return Pods("slow").size() == 1; }));
  // 10 s * 2^(n-1) after the n-th failure, at most 10 min.
  const int delays[] = {10, 20, 40, 80, 160, 320, 600, 600};
  for (int n = 1; n <= 8; ++n) {
    SCOPED_TRACE(::testing::Message() << "failure " << n);
    Finish(*FirstActive("slow"), "Failed");
    ASSERT_TRUE(Eventually([&] { return GetJob("slow")->status().failed() == n; }));
    clock_.Advance(absl::Seconds(delays[n - 1]) - absl::Milliseconds(1));
    Settle("job", "slow");
    EXPECT_EQ(Pods("slow").size(), static_cast<size_t>(n));
    clock_.Advance(absl::Milliseconds(1));
    Settle("job", "slow");
    ASSERT_TRUE(Eventually([&] { return Pods("slow").size() == static_cast<size_t>(n + 1); }));
  }
}

TEST_F(JobTest, OnFailureCountsContainerRestarts) {
  Job job = MakeJob("restarts", 1, 1, "OnFailure");
  job.mutable_spec()->set_backofflimit(2);
  Create(job);
  ASSERT_TRUE(Eventually([&] { return Pods("restarts").size() == 1; }));
  Pod p = *Pods("restarts")[0];
  p.mutable_status()->set_phase("Running");
  auto* cs = p.mutable_status()->add_containerstatuses();
  cs->set_name("main");
  cs->set_restartcount(1);
  auto r = pods_.UpdateStatus(p);
  ASSERT_TRUE(r.ok()) << r.status();
  Settle("job", "restarts");
  EXPECT_FALSE(HasCondition("restarts", "Failed", "BackoffLimitExceeded"));
  p = **r;
  p.mutable_status()->mutable_containerstatuses(0)->set_restartcount(2);
  ASSERT_TRUE(pods_.UpdateStatus(p).ok());
  ASSERT_TRUE(
      Eventually([&] { return HasCondition("restarts", "Failed", "BackoffLimitExceeded"); }));
  ASSERT_TRUE(Eventually([&] { return Pods("restarts").empty(); }));
}

TEST_F(JobTest, ActiveDeadlineSeconds) {
  Job job = MakeJob("slow", 4, 2);
  job.mutable_spec()->set_activedeadlineseconds(30);
  Create(job);
  ASSERT_TRUE(Eventually([&] { return Pods("slow").size() == 2; }));
  clock_.Advance(absl::Seconds(30) - absl::Milliseconds(1));
  Settle("job", "slow");
  EXPECT_FALSE(HasCondition("slow", "Failed", "DeadlineExceeded"));
  clock_.Advance(absl::Milliseconds(1));
  Settle("job", "slow");
  ASSERT_TRUE(Eventually([&] { return HasCondition("slow", "Failed", "DeadlineExceeded"); }));
  ASSERT_TRUE(Eventually([&] { return Pods("slow").empty(); }));
  EXPECT_EQ(GetJob("slow")->status().active(), 0);
}

TEST_F(JobTest, IndexedCompletion) {
  Job job = MakeJob("idx", 3, 3);
  job.mutable_spec()->set_completionmode("Indexed");
  Create(job);
  ASSERT_TRUE(Eventually([&] { return Pods("idx").size() == 3; }));
  std::set<std::string> indexes;
  for (const auto& p : Pods("idx")) {
    const std::string& i = p->metadata().annotations().at(kJobCompletionIndex);
    indexes.insert(i);
    EXPECT_EQ(p->metadata().labels().at(kJobCompletionIndex), i);
    EXPECT_EQ(p->spec().hostname(), "idx-" + i);
    EXPECT_EQ(p->spec().containers(0).env(0).name(), "JOB_COMPLETION_INDEX");
  }
  EXPECT_EQ(indexes, (std::set<std::string>{"0", "1", "2"}));
  auto pod_for = [&](const std::string& i) -> std::unique_ptr<Pod> {
    for (auto& p : Pods("idx")) {
      if (p->metadata().annotations().at(kJobCompletionIndex) == i &&
          (p->status().phase().empty() || p->status().phase() == "Pending")) {
        return std::move(p);
      }
    }
    return nullptr;
  };
  Finish(*pod_for("1"), "Succeeded");
  ASSERT_TRUE(Eventually([&] { return GetJob("idx")->status().completedindexes() == "1"; }));
  // Index 0 fails: a new pod for index 0 after the back-off.
  Finish(*pod_for("0"), "Failed");
  ASSERT_TRUE(Eventually([&] { return GetJob("idx")->status().failed() == 1; }));
  clock_.Advance(absl::Seconds(10));
  Settle("job", "idx");
  ASSERT_TRUE(Eventually([&] { return pod_for("0") != nullptr; }));
  Finish(*pod_for("0"), "Succeeded");
  Finish(*pod_for("2"), "Succeeded");
  ASSERT_TRUE(Eventually([&] { return HasCondition("idx", "Complete", "CompletionsReached"); }));
  std::unique_ptr<Job> j = GetJob("idx");
  EXPECT_EQ(j->status().completedindexes(), "0-2");
  EXPECT_EQ(j->status().succeeded(), 3);
  EXPECT_EQ(j->status().failed(), 1);
}

TEST_F(JobTest, SuspendDeletesPodsAndResumeRecreates) {
  Create(MakeJob("sus", 2, 2));
  ASSERT_TRUE(Eventually([&] { return Pods("sus").size() == 2; }));
  ASSERT_TRUE(Eventually([&] {  // Retries conflicts with the controller's status writes.
    std::unique_ptr<Job> j = GetJob("sus");
    j->mutable_spec()->set_suspend(true);
    return jobs_.Update(*j).ok();
  }));
  ASSERT_TRUE(Eventually([&] { return HasCondition("sus", "Suspended", "JobSuspended"); }));
  ASSERT_TRUE(Eventually([&] { return Pods("sus").empty(); }));
  EXPECT_FALSE(GetJob("sus")->status().has_starttime());
  ASSERT_TRUE(Eventually([&] {  // Retries conflicts with the controller's status writes.
    std::unique_ptr<Job> j = GetJob("sus");
    j->mutable_spec()->set_suspend(false);
    return jobs_.Update(*j).ok();
  }));
  ASSERT_TRUE(Eventually([&] { return Pods("sus").size() == 2; }));
}

TEST_F(JobTest, TtlAfterFinishedDeletesJobAndPods) {
  Job job = MakeJob("ttl", 1, 1);
  job.mutable_spec()->set_ttlsecondsafterfinished(60);
  Create(job);
  ASSERT_TRUE(Eventually([&] { return Pods("ttl").size() == 1; }));
  Finish(*Pods("ttl")[0], "Succeeded");
  ASSERT_TRUE(Eventually([&] { return HasCondition("ttl", "Complete", "CompletionsReached"); }));
  clock_.Advance(absl::Seconds(60) - absl::Milliseconds(1));
  Settle("ttl-after-finished", "ttl");
  EXPECT_NE(GetJob("ttl"), nullptr);
  clock_.Advance(absl::Milliseconds(1));
  Settle("ttl-after-finished", "ttl");
  ASSERT_TRUE(Eventually([&] { return GetJob("ttl") == nullptr; }))
      << GetJob("ttl")->DebugString() << " errors "
      << manager_->GetController("ttl-after-finished")->Metrics().errors << " now " << clock_.Now();
  EXPECT_TRUE(Pods("ttl").empty());
}

}  // namespace
}  // namespace rudder::controllers
