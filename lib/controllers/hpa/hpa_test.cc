#include "lib/controllers/hpa/hpa.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/autoscaling/v2/autoscaling.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/mutex.h"
#include "lib/controllers/runtime/controller.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::apps::v1::Deployment;
using api::autoscaling::v2::HorizontalPodAutoscaler;
using api::core::v1::Pod;
using ctrl::testing::Eventually;

Pod MakePod(const std::string& name, const std::string& cpu_request, bool ready = true,
            const std::string& phase = "Running") {
  Pod p;
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_metadata()->set_name(name);
  (*p.mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("busybox");
  if (!cpu_request.empty()) {
    (*c->mutable_resources()->mutable_requests())["cpu"].set_string(cpu_request);
  }
  p.mutable_status()->set_phase(phase);
  auto* cond = p.mutable_status()->add_conditions();
  cond->set_type("Ready");
  cond->set_status(ready ? "True" : "False");
  return p;
}

ResourceReplicaInput CpuInput(const std::vector<Pod>& pods,
                              const std::map<std::string, int64_t>& usage, int32_t current,
                              int32_t target = 50) {
  ResourceReplicaInput in;
  in.current_replicas = current;
  in.resource = "cpu";
  in.target_utilization = target;
  for (const Pod& p : pods) in.pods.push_back(&p);
  for (const auto& [name, v] : usage) in.usage[name] = {.milli_value = v};
  return in;
}

TEST(ComputeResourceReplicasTest, UtilizationAndTolerance) {
  std::vector<Pod> pods = {MakePod("a", "100m"), MakePod("b", "100m")};
  auto r = ComputeResourceReplicas(CpuInput(pods, {{"a", 200}, {"b", 200}}, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 8);  // ceil(2 * 200 / 50)
  EXPECT_EQ(r->utilization, 200);
  EXPECT_EQ(r->average_milli, 200);
  // 54 % against 50 %: within the 10 % tolerance.
  r = ComputeResourceReplicas(CpuInput(pods, {{"a", 54}, {"b", 54}}, 3));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 3);
  // 56 %: beyond it.
  r = ComputeResourceReplicas(CpuInput(pods, {{"a", 56}, {"b", 56}}, 3));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 3);  // ceil(2 * 1.12) = 3
  r = ComputeResourceReplicas(CpuInput(pods, {{"a", 10}, {"b", 10}}, 4));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 1);  // ceil(2 * 0.2)
}

TEST(ComputeResourceReplicasTest, MissingMetricsCountAsFullWhenScalingDown) {
  std::vector<Pod> pods = {MakePod("a", "100m"), MakePod("b", "100m"), MakePod("c", "100m")};
  auto r = ComputeResourceReplicas(CpuInput(pods, {{"a", 0}, {"b", 0}}, 3));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 2);  // c at 100 %: 100/300 -> ratio 0.66, ceil(0.66 * 3)
  EXPECT_EQ(r->utilization, 0);
  // Scaling up, a pod without metrics counts as idle: 2 * 100 % + 0 over 3 -> 66 % -> 1.33.
  r = ComputeResourceReplicas(CpuInput(pods, {{"a", 100}, {"b", 100}}, 3));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 4);
}

TEST(ComputeResourceReplicasTest, UnreadyPodsDampScaleUp) {
  std::vector<Pod> pods = {MakePod("a", "100m"), MakePod("b", "100m"),
                           MakePod("c", "100m", /*ready=*/false)};
  // Ready pods alone: 60 % -> ceil(2 * 1.2) = 3. With the unready pod at 0 % the ratio is 0.8:
  // it crosses 1, so the count stays.
  auto r = ComputeResourceReplicas(CpuInput(pods, {{"a", 60}, {"b", 60}, {"c", 100}}, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 2);
  // Pending and deleting/failed pods: pending counts as unready, failed is ignored.
  std::vector<Pod> more = {MakePod("a", "100m"), MakePod("p", "100m", false, "Pending"),
                           MakePod("f", "100m", false, "Failed")};
  r = ComputeResourceReplicas(CpuInput(more, {{"a", 200}}, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 4);  // 200/200 -> ratio 2 over a and p: ceil(2 * 2)
}

TEST(ComputeResourceReplicasTest, AverageValueAndErrors) {
  std::vector<Pod> pods = {MakePod("a", ""), MakePod("b", "")};
  ResourceReplicaInput in;
  in.current_replicas = 2;
  in.resource = "memory";
  in.target_average_milli = 100000;
  for (const Pod& p : pods) in.pods.push_back(&p);
  in.usage["a"] = {.milli_value = 250000};
  in.usage["b"] = {.milli_value = 150000};
  auto r = ComputeResourceReplicas(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 4);  // average 200 against 100
  EXPECT_EQ(r->utilization, -1);
  EXPECT_EQ(r->average_milli, 200000);

  auto missing_request = ComputeResourceReplicas(CpuInput(pods, {{"a", 1}}, 2));
  EXPECT_EQ(missing_request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing_request.status().message(), "missing request for cpu in container c of Pod a");
  EXPECT_EQ(ComputeResourceReplicas(CpuInput({}, {}, 2)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Usage set by the test.
class FakeMetrics : public MetricsSource {
 public:
  void Set(int64_t milli) {
    MutexLock l(&mu_);
    milli_ = milli;
  }
  absl::StatusOr<std::map<std::string, PodUsage>> PodResourceUsage(
      const std::string& ns, const std::string& selector, const std::string& resource) override {
    MutexLock l(&mu_);
    return std::map<std::string, PodUsage>{{"web-0", {.milli_value = milli_}},
                                           {"web-1", {.milli_value = milli_}}};
  }

 private:
  Mutex mu_;
  int64_t milli_ ABSL_GUARDED_BY(mu_) = 0;
};

class HpaControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddHpaController(manager_.get(), {.metrics = &metrics_}).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }

  int32_t Replicas() {
    auto d = client::TypedClient<Deployment>(cluster_.client.get()).Get("default", "web");
    return d.ok() ? (*d)->spec().replicas() : -1;
  }
  HorizontalPodAutoscaler Hpa() {
    return **client::TypedClient<HorizontalPodAutoscaler>(cluster_.client.get())
                 .Get("default", "web");
  }
  std::string Condition(const std::string& type) {
    HorizontalPodAutoscaler h = Hpa();
    for (const auto& c : h.status().conditions()) {
      if (c.type() == type) return c.status() + "/" + c.reason();
    }
    return "";
  }
  int32_t Utilization() {
    HorizontalPodAutoscaler h = Hpa();
    if (h.status().currentmetrics_size() == 0) return -1;
    return h.status().currentmetrics(0).resource().current().averageutilization();
  }
  // Syncs that ended with the next one scheduled.
  int64_t Syncs() {
    return manager_->GetController("horizontalpodautoscaler")->Metrics().requeue_after;
  }
  // Sets the usage, moves to the next sync and waits until it has finished.
  void Step(int64_t milli) {
    metrics_.Set(milli);
    int64_t before = Syncs();
    clock_.Advance(absl::Seconds(15));
    ASSERT_TRUE(Eventually([&] { return Syncs() > before; }))
        << "at +" << absl::ToInt64Seconds(clock_.Now() - start_) << "s";
  }

  // The Deployment "web" with `replicas` and its two pods web-0 and web-1 (the ones
  // FakeMetrics reports), 100m cpu requested each.
  void CreateWorkload(int replicas) {
    Deployment d;
    d.mutable_metadata()->set_namespace_("default");
    d.mutable_metadata()->set_name("web");
    d.mutable_spec()->set_replicas(replicas);
    (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
    (*d.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "web";
    auto* c = d.mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox");
    ASSERT_TRUE(client::TypedClient<Deployment>(cluster_.client.get()).Create(d).ok());
    for (const char* name : {"web-0", "web-1"}) {
      auto created = client::TypedClient<Pod>(cluster_.client.get()).Create(MakePod(name, "100m"));
      ASSERT_TRUE(created.ok()) << created.status();
      Pod p = **created;
      *p.mutable_status() = MakePod(name, "100m").status();
      ASSERT_TRUE(client::TypedClient<Pod>(cluster_.client.get()).UpdateStatus(p).ok());
    }
  }
  // The HPA "web" on the Deployment: cpu at 50 % of the requests, replicas in [min, max].
  void CreateHpa(int min, int max) {
    HorizontalPodAutoscaler h;
    h.mutable_metadata()->set_namespace_("default");
    h.mutable_metadata()->set_name("web");
    auto* ref = h.mutable_spec()->mutable_scaletargetref();
    ref->set_apiversion("apps/v1");
    ref->set_kind("Deployment");
    ref->set_name("web");
    h.mutable_spec()->set_minreplicas(min);
    h.mutable_spec()->set_maxreplicas(max);
    auto* m = h.mutable_spec()->add_metrics();
    m->set_type("Resource");
    m->mutable_resource()->set_name("cpu");
    m->mutable_resource()->mutable_target()->set_type("Utilization");
    m->mutable_resource()->mutable_target()->set_averageutilization(50);
    ASSERT_TRUE(client::TypedClient<HorizontalPodAutoscaler>(cluster_.client.get()).Create(h).ok());
  }
  void SetBounds(int min, int max) {
    for (int i = 0; i < 20; ++i) {
      HorizontalPodAutoscaler h = Hpa();
      h.mutable_spec()->set_minreplicas(min);
      h.mutable_spec()->set_maxreplicas(max);
      auto r = client::TypedClient<HorizontalPodAutoscaler>(cluster_.client.get()).Update(h);
      if (r.ok()) return;
      ASSERT_TRUE(absl::IsAborted(r.status())) << r.status();
    }
    FAIL() << "update kept conflicting";
  }
  void SetReplicas(int replicas) {
    for (int i = 0; i < 20; ++i) {
      auto d = client::TypedClient<Deployment>(cluster_.client.get()).Get("default", "web");
      ASSERT_TRUE(d.ok());
      (*d)->mutable_spec()->set_replicas(replicas);
      auto r = client::TypedClient<Deployment>(cluster_.client.get()).Update(**d);
      if (r.ok()) return;
      ASSERT_TRUE(absl::IsAborted(r.status())) << r.status();
    }
    FAIL() << "update kept conflicting";
  }

  const absl::Time start_ = absl::FromUnixSeconds(1700000000);
  FakeClock clock_{start_};
  ctrl::testing::TestCluster cluster_;
  FakeMetrics metrics_;
  std::unique_ptr<ctrl::Manager> manager_;
};

TEST_F(HpaControllerTest, ScalesUpAtTheRateLimitAndDownAfterTheWindow) {
  CreateWorkload(2);
  metrics_.Set(200);
  CreateHpa(1, 10);

  // 200 % of a 50 % target wants 8; scale-up is limited to max(2 + 4, 2 * 200 %) = 6.
  ASSERT_TRUE(Eventually([&] { return Syncs() >= 1; }));
  EXPECT_EQ(Replicas(), 6);
  EXPECT_EQ(Condition("ScalingLimited"), "True/ScaleUpLimit");
  EXPECT_EQ(Condition("AbleToScale"), "True/SucceededRescale");
  EXPECT_EQ(Condition("ScalingActive"), "True/ValidMetricFound");
  EXPECT_EQ(Hpa().status().desiredreplicas(), 6);
  EXPECT_EQ(Hpa().status().currentreplicas(), 2);
  EXPECT_EQ(Utilization(), 200);
  // 15 s later the period has passed: 8.
  Step(200);
  EXPECT_EQ(Replicas(), 8);
  EXPECT_EQ(Condition("ScalingLimited"), "False/DesiredWithinRange");

  // Load drops at +30 s: the 300 s scale-down window keeps 8 until the last recommendation of
  // 8 (at +15 s) leaves it, at +315 s.
  for (int t = 30; t <= 300; t += 15) {
    Step(10);
    ASSERT_EQ(Utilization(), 10) << "at +" << t << "s";
    ASSERT_EQ(Replicas(), 8) << "at +" << t << "s";
  }
  EXPECT_EQ(Condition("AbleToScale"), "True/ReadyForNewScale");
  Step(10);  // +315 s
  EXPECT_EQ(Replicas(), 1);
  EXPECT_EQ(Hpa().status().desiredreplicas(), 1);
  EXPECT_EQ(absl::ToUnixSeconds(api::ToAbslTime(Hpa().status().lastscaletime())), 1700000000 + 315);
}

TEST_F(HpaControllerTest, MinAndMaxReplicasBoundTheCount) {
  // Above maxReplicas: brought down to it, whatever the metrics say.
  CreateWorkload(12);
  metrics_.Set(50);
  CreateHpa(1, 10);
  ASSERT_TRUE(Eventually([&] { return Syncs() >= 1; }));
  EXPECT_EQ(Replicas(), 10);
  EXPECT_EQ(Condition("ScalingLimited"), "True/TooManyReplicas");
  EXPECT_EQ(Hpa().status().desiredreplicas(), 10);

  // Below minReplicas: brought up to it by the sync the HPA's change starts.
  SetReplicas(2);
  SetBounds(4, 5);
  ASSERT_TRUE(Eventually([&] { return Replicas() == 4; }));
  ASSERT_TRUE(Eventually([&] { return Condition("ScalingLimited") == "True/TooFewReplicas"; }));
  // In range and on target: it stays.
  Step(50);
  EXPECT_EQ(Replicas(), 4);
  EXPECT_EQ(Condition("ScalingLimited"), "False/DesiredWithinRange");

  // 200 % of a 50 % target over the two pods with metrics wants 8; maxReplicas allows 5.
  Step(200);
  EXPECT_EQ(Replicas(), 5);
  EXPECT_EQ(Condition("ScalingLimited"), "True/TooManyReplicas");
  EXPECT_EQ(Hpa().status().desiredreplicas(), 5);
}

}  // namespace
}  // namespace rudder::controllers
