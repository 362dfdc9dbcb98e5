#include "lib/api/defaults/defaults.h"

#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/autoscaling/v2/autoscaling.pb.h"
#include "lib/api/proto/batch/v1/batch.pb.h"

namespace rudder::api::defaults {
namespace {

namespace core = ::rudder::api::core::v1;
namespace apps = ::rudder::api::apps::v1;
namespace batch = ::rudder::api::batch::v1;
using google::protobuf::util::MessageDifferencer;

template <typename M>
M FromJson(const std::string& json) {
  M m;
  auto r = DecodeJson(json, &m);
  EXPECT_TRUE(r.ok()) << r.status() << "\n" << json;
  return m;
}

template <typename M>
std::string ToJson(const M& m) {
  auto r = EncodeJson(m);
  return r.ok() ? *r : r.status().ToString();
}

// What `kubectl create deployment web --image=nginx` sends.
constexpr char kCreatedDeployment[] = R"({"kind":"Deployment","apiVersion":"apps/v1",
  "metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},
  "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
  "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
  "spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},"strategy":{}},
  "status":{}})";

// What `kubectl get deploy web -o json` shows for it on a real cluster (server-set metadata
// and status left out).
constexpr char kStoredDeployment[] = R"({"kind":"Deployment","apiVersion":"apps/v1",
  "metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},
  "spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,
  "selector":{"matchLabels":{"app":"web"}},
  "strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},
  "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
  "spec":{"containers":[{"image":"nginx","imagePullPolicy":"Always","name":"nginx",
  "resources":{},"terminationMessagePath":"/dev/termination-log",
  "terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always",
  "schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}},
  "status":{}})";

TEST(DefaultsTest, KubectlCreateDeploymentMatchesRealCluster) {
  auto d = FromJson<apps::Deployment>(kCreatedDeployment);
  SetDefaults(&d);
  auto want = FromJson<apps::Deployment>(kStoredDeployment);
  EXPECT_TRUE(MessageDifferencer::Equals(d, want)) << ToJson(d) << "\nwant\n" << ToJson(want);
}

TEST(DefaultsTest, Idempotent) {
  auto d = FromJson<apps::Deployment>(kCreatedDeployment);
  SetDefaults(&d);
  apps::Deployment again = d;
  SetDefaults(&again);
  EXPECT_TRUE(MessageDifferencer::Equals(d, again));
}

TEST(DefaultsTest, NeverOverwritesUserValues) {
  auto d = FromJson<apps::Deployment>(R"({"spec":{"replicas":0,"revisionHistoryLimit":2,
    "strategy":{"type":"Recreate"},"template":{"spec":{"restartPolicy":"Never",
    "containers":[{"name":"a","image":"nginx","imagePullPolicy":"Never"}]}}}})");
  SetDefaults(&d);
  EXPECT_EQ(d.spec().replicas(), 0);
  EXPECT_EQ(d.spec().revisionhistorylimit(), 2);
  EXPECT_EQ(d.spec().strategy().type(), "Recreate");
  EXPECT_FALSE(d.spec().strategy().has_rollingupdate());
  EXPECT_EQ(d.spec().template_().spec().restartpolicy(), "Never");
  EXPECT_EQ(d.spec().template_().spec().containers(0).imagepullpolicy(), "Never");
}

TEST(DefaultsTest, ImagePullPolicy) {
  struct Case {
    const char* image;
    const char* want;
  } cases[] = {
      {"nginx", "Always"},
      {"nginx:latest", "Always"},
      {"nginx:1.25", "IfNotPresent"},
      {"registry.local:5000/nginx", "Always"},
      {"registry.local:5000/nginx:1.2", "IfNotPresent"},
      {"nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "IfNotPresent"},
      {"nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "Always"},
  };
  for (const Case& c : cases) EXPECT_EQ(DefaultImagePullPolicy(c.image), c.want) << c.image;
}

TEST(DefaultsTest, PodOnlyDefaults) {
  auto pod = FromJson<core::Pod>(R"({"spec":{"hostNetwork":true,"containers":[{"name":"a",
    "image":"a:1","ports":[{"containerPort":8080}],
    "resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}},
    "livenessProbe":{"httpGet":{"port":8080}}}],
    "volumes":[{"name":"s","secret":{"secretName":"x"}},{"name":"e"},
    {"name":"c","configMap":{"name":"y"}}]}})");
  SetDefaults(&pod);
  const core::PodSpec& s = pod.spec();
  EXPECT_TRUE(s.enableservicelinks());
  const core::Container& c = s.containers(0);
  EXPECT_EQ(c.imagepullpolicy(), "IfNotPresent");
  EXPECT_EQ(c.ports(0).protocol(), "TCP");
  EXPECT_EQ(c.ports(0).hostport(), 8080);
  EXPECT_EQ(c.resources().requests().at("cpu").string(), "500m");
  EXPECT_EQ(c.resources().requests().at("memory").string(), "1Gi");
  const core::Probe& p = c.livenessprobe();
  EXPECT_EQ(p.timeoutseconds(), 1);
  EXPECT_EQ(p.periodseconds(), 10);
  EXPECT_EQ(p.successthreshold(), 1);
  EXPECT_EQ(p.failurethreshold(), 3);
  EXPECT_EQ(p.handler().httpget().scheme(), "HTTP");
  EXPECT_EQ(p.handler().httpget().path(), "/");
  EXPECT_EQ(s.volumes(0).volumesource().secret().defaultmode(), 420);
  EXPECT_TRUE(s.volumes(1).volumesource().has_emptydir());
  EXPECT_EQ(s.volumes(2).volumesource().configmap().defaultmode(), 420);

  // Templates get neither enableServiceLinks nor requests from limits.
  auto rs = FromJson<apps::ReplicaSet>(R"({"spec":{"template":{"spec":{"containers":[{"name":"a",
    "image":"a","resources":{"limits":{"cpu":"1"}}}]}}}})");
  SetDefaults(&rs);
  EXPECT_FALSE(rs.spec().template_().spec().has_enableservicelinks());
  EXPECT_TRUE(rs.spec().template_().spec().containers(0).resources().requests().empty());
  EXPECT_EQ(rs.spec().replicas(), 1);
}

TEST(DefaultsTest, Service) {
  auto svc = FromJson<core::Service>(
      R"({"spec":{"selector":{"app":"web"},"ports":[{"port":80},{"port":443,"targetPort":"https"}]}})");
  SetDefaults(&svc);
  EXPECT_EQ(svc.spec().type(), "ClusterIP");
  EXPECT_EQ(svc.spec().sessionaffinity(), "None");
  EXPECT_EQ(svc.spec().internaltrafficpolicy(), "Cluster");
  EXPECT_FALSE(svc.spec().has_externaltrafficpolicy());
  EXPECT_EQ(svc.spec().ports(0).protocol(), "TCP");
  EXPECT_EQ(svc.spec().ports(0).targetport().intval(), 80);
  EXPECT_EQ(svc.spec().ports(1).targetport().strval(), "https");

  auto lb = FromJson<core::Service>(R"({"spec":{"type":"LoadBalancer","ports":[{"port":80}]}})");
  SetDefaults(&lb);
  EXPECT_EQ(lb.spec().externaltrafficpolicy(), "Cluster");
  EXPECT_TRUE(lb.spec().allocateloadbalancernodeports());
}

TEST(DefaultsTest, Workloads) {
  auto ds = FromJson<apps::DaemonSet>(R"({"spec":{}})");
  SetDefaults(&ds);
  EXPECT_EQ(ToJson(ds.spec().updatestrategy()),
            R"({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}})");
  EXPECT_EQ(ds.spec().revisionhistorylimit(), 10);

  auto sts = FromJson<apps::StatefulSet>(R"({"spec":{}})");
  SetDefaults(&sts);
  EXPECT_EQ(sts.spec().replicas(), 1);
  EXPECT_EQ(sts.spec().podmanagementpolicy(), "OrderedReady");
  EXPECT_EQ(sts.spec().updatestrategy().rollingupdate().partition(), 0);
  EXPECT_TRUE(sts.spec().updatestrategy().rollingupdate().has_partition());

  auto job = FromJson<batch::Job>(
      R"({"spec":{"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[]}}}})");
  SetDefaults(&job);
  EXPECT_EQ(job.spec().parallelism(), 1);
  EXPECT_EQ(job.spec().completions(), 1);
  EXPECT_EQ(job.spec().backofflimit(), 6);
  EXPECT_EQ(job.spec().completionmode(), "NonIndexed");
  EXPECT_TRUE(job.spec().has_suspend());
  EXPECT_FALSE(job.spec().suspend());
  EXPECT_EQ(job.metadata().labels().at("a"), "b");

  auto par = FromJson<batch::Job>(R"({"spec":{"parallelism":3}})");
  SetDefaults(&par);
  EXPECT_FALSE(par.spec().has_completions());  // A work queue: no completion count.

  auto cj = FromJson<batch::CronJob>(R"({"spec":{"schedule":"* * * * *"}})");
  SetDefaults(&cj);
  EXPECT_EQ(cj.spec().concurrencypolicy(), "Allow");
  EXPECT_EQ(cj.spec().successfuljobshistorylimit(), 3);
  EXPECT_EQ(cj.spec().failedjobshistorylimit(), 1);

  auto rc = FromJson<core::ReplicationController>(
      R"({"spec":{"template":{"metadata":{"labels":{"app":"x"}}}}})");
  SetDefaults(&rc);
  EXPECT_EQ(rc.spec().selector().at("app"), "x");
  EXPECT_EQ(rc.metadata().labels().at("app"), "x");
  EXPECT_EQ(rc.spec().replicas(), 1);
}

TEST(DefaultsTest, Hpa) {
  auto h = FromJson<autoscaling::v2::HorizontalPodAutoscaler>(
      R"({"spec":{"maxReplicas":5,"behavior":{"scaleDown":{"stabilizationWindowSeconds":60}}}})");
  SetDefaults(&h);
  EXPECT_EQ(h.spec().minreplicas(), 1);
  EXPECT_EQ(h.spec().metrics(0).resource().target().averageutilization(), 80);
  EXPECT_EQ(h.spec().behavior().scaledown().stabilizationwindowseconds(), 60);
  EXPECT_EQ(h.spec().behavior().scaleup().stabilizationwindowseconds(), 0);
  EXPECT_EQ(h.spec().behavior().scaleup().policies_size(), 2);
  EXPECT_EQ(h.spec().behavior().scaledown().policies(0).type(), "Percent");
  EXPECT_EQ(h.spec().behavior().scaleup().policies(0).type(), "Pods");
  EXPECT_EQ(h.spec().behavior().scaleup().selectpolicy(), "Max");

  // The scale-down window is left to the controller's flag.
  auto empty = FromJson<autoscaling::v2::HorizontalPodAutoscaler>(
      R"({"spec":{"maxReplicas":5,"behavior":{}}})");
  SetDefaults(&empty);
  EXPECT_FALSE(empty.spec().behavior().scaledown().has_stabilizationwindowseconds());
  EXPECT_EQ(empty.spec().behavior().scaledown().selectpolicy(), "Max");

  // No behaviour given: none is added.
  auto none = FromJson<autoscaling::v2::HorizontalPodAutoscaler>(R"({"spec":{"maxReplicas":5}})");
  SetDefaults(&none);
  EXPECT_FALSE(none.spec().has_behavior());
}

TEST(DefaultsTest, OtherKinds) {
  core::Secret secret;
  SetDefaults(&secret);
  EXPECT_EQ(secret.type(), "Opaque");

  auto ns = FromJson<core::Namespace>(R"({"metadata":{"name":"team"}})");
  SetDefaults(&ns);
  EXPECT_EQ(ns.metadata().labels().at("kubernetes.io/metadata.name"), "team");
  ASSERT_EQ(ns.spec().finalizers_size(), 1);
  EXPECT_EQ(ns.spec().finalizers(0), "kubernetes");
  EXPECT_EQ(ns.status().phase(), "Active");

  core::PersistentVolumeClaim pvc;
  SetDefaults(&pvc);
  EXPECT_EQ(pvc.spec().volumemode(), "Filesystem");
  core::PersistentVolume pv;
  SetDefaults(&pv);
  EXPECT_EQ(pv.spec().persistentvolumereclaimpolicy(), "Retain");

  EXPECT_EQ(DefaulterFor("rudder.api.core.v1.ConfigMap"), nullptr);
  EXPECT_NE(DefaulterFor("rudder.api.scheduling.v1.PriorityClass"), nullptr);
}

// A protobuf request body (kubectl's default) carries Go's by-value fields even when empty, so
// they arrive *set* to "" or 0; Kubernetes defaults them all the same.
TEST(DefaultsTest, EmptyStringsFromProtobufBodiesAreDefaulted) {
  auto d = FromJson<apps::Deployment>(kCreatedDeployment);
  d.mutable_spec()->mutable_strategy()->set_type("");
  core::PodSpec* spec = d.mutable_spec()->mutable_template_()->mutable_spec();
  spec->set_dnspolicy("");
  spec->set_restartpolicy("");
  spec->set_schedulername("");
  core::Container* c = spec->mutable_containers(0);
  c->set_imagepullpolicy("");
  c->set_terminationmessagepath("");
  c->set_terminationmessagepolicy("");
  core::Probe* probe = c->mutable_livenessprobe();
  probe->set_timeoutseconds(0);
  probe->set_periodseconds(0);
  ASSERT_TRUE(c->has_imagepullpolicy());
  SetDefaults(&d);
  EXPECT_EQ(d.spec().strategy().type(), "RollingUpdate");
  EXPECT_EQ(spec->dnspolicy(), "ClusterFirst");
  EXPECT_EQ(spec->restartpolicy(), "Always");
  EXPECT_EQ(spec->schedulername(), "default-scheduler");
  EXPECT_EQ(c->imagepullpolicy(), "Always");
  EXPECT_EQ(c->terminationmessagepath(), "/dev/termination-log");
  EXPECT_EQ(c->terminationmessagepolicy(), "File");
  EXPECT_EQ(probe->timeoutseconds(), 1);
  EXPECT_EQ(probe->periodseconds(), 10);
}

TEST(DefaultsTest, PreparePodForCreateSetsPendingAndQOSClass) {
  auto best = FromJson<core::Pod>(R"({"spec":{"containers":[{"name":"a","image":"x"}]}})");
  PreparePodForCreate(&best);
  EXPECT_EQ(best.status().phase(), "Pending");
  EXPECT_EQ(best.status().qosclass(), "BestEffort");

  auto guaranteed = FromJson<core::Pod>(R"({"spec":{"containers":[{"name":"a","image":"x",
    "resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"1000m","memory":"1Gi"}}}]}})");
  PreparePodForCreate(&guaranteed);
  EXPECT_EQ(guaranteed.status().qosclass(), "Guaranteed");

  auto burstable = FromJson<core::Pod>(R"({"spec":{"containers":[{"name":"a","image":"x",
    "resources":{"requests":{"cpu":"100m"}}}]}})");
  PreparePodForCreate(&burstable);
  EXPECT_EQ(burstable.status().qosclass(), "Burstable");

  // A status the creator gave is kept.
  auto running = FromJson<core::Pod>(R"({"spec":{"containers":[{"name":"a","image":"x"}]},
    "status":{"phase":"Running"}})");
  PreparePodForCreate(&running);
  EXPECT_EQ(running.status().phase(), "Running");
}

}  // namespace
}  // namespace rudder::api::defaults
