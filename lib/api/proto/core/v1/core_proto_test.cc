// Tests of the core/v1 schema: binary round trips of a realistic pod, wire compatibility with
// Kubernetes' field numbers, the strategic-merge and JSON field options, and the JSON form of
// core kinds through the codec.
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/proto/options.pb.h"

namespace rudder::api::core::v1 {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::util::MessageDifferencer;

// A pod close to what a Deployment's controller and the node agent produce: two containers
// with ports, env (literal and valueFrom), resources, probes of every kind, lifecycle hooks,
// mounts and security settings; an init container; volumes; affinity, tolerations, spread
// constraints; and a running status.
Pod MakePod() {
  Pod pod;
  auto* md = pod.mutable_metadata();
  md->set_name("web-7d4b9c8f5-x2k9p");
  md->set_generatename("web-7d4b9c8f5-");
  md->set_namespace_("default");
  md->set_uid("5c1f4b8e-2d3a-4e6b-9f70-1a2b3c4d5e6f");
  md->set_resourceversion("12345");
  md->mutable_creationtimestamp()->set_seconds(1700000000);
  (*md->mutable_labels())["app"] = "web";
  (*md->mutable_labels())["pod-template-hash"] = "7d4b9c8f5";
  auto* owner = md->add_ownerreferences();
  owner->set_apiversion("apps/v1");
  owner->set_kind("ReplicaSet");
  owner->set_name("web-7d4b9c8f5");
  owner->set_uid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  owner->set_controller(true);
  owner->set_blockownerdeletion(true);

  PodSpec* spec = pod.mutable_spec();
  Volume* config = spec->add_volumes();
  config->set_name("config");
  config->mutable_volumesource()->mutable_configmap()->mutable_localobjectreference()->set_name(
      "web-config");
  config->mutable_volumesource()->mutable_configmap()->set_defaultmode(420);
  Volume* cache = spec->add_volumes();
  cache->set_name("cache");
  cache->mutable_volumesource()->mutable_emptydir()->mutable_sizelimit()->set_string("1Gi");
  Volume* token = spec->add_volumes();
  token->set_name("kube-api-access");
  auto* projection = token->mutable_volumesource()->mutable_projected()->add_sources();
  projection->mutable_serviceaccounttoken()->set_path("token");
  projection->mutable_serviceaccounttoken()->set_expirationseconds(3607);

  Container* init = spec->add_initcontainers();
  init->set_name("migrate");
  init->set_image("registry.example/web:1.4.2");
  init->add_command("/bin/migrate");
  init->add_args("--once");

  Container* web = spec->add_containers();
  web->set_name("web");
  web->set_image("registry.example/web:1.4.2");
  web->set_imagepullpolicy("IfNotPresent");
  web->add_command("/bin/web");
  web->add_args("--port=8080");
  web->set_workingdir("/srv");
  ContainerPort* http = web->add_ports();
  http->set_name("http");
  http->set_containerport(8080);
  http->set_protocol("TCP");
  EnvVar* mode = web->add_env();
  mode->set_name("MODE");
  mode->set_value("production");
  EnvVar* pod_ip = web->add_env();
  pod_ip->set_name("POD_IP");
  pod_ip->mutable_valuefrom()->mutable_fieldref()->set_apiversion("v1");
  pod_ip->mutable_valuefrom()->mutable_fieldref()->set_fieldpath("status.podIP");
  EnvVar* password = web->add_env();
  password->set_name("DB_PASSWORD");
  auto* key = password->mutable_valuefrom()->mutable_secretkeyref();
  key->mutable_localobjectreference()->set_name("db");
  key->set_key("password");
  web->add_envfrom()->mutable_configmapref()->mutable_localobjectreference()->set_name("env");
  auto* res = web->mutable_resources();
  (*res->mutable_requests())["cpu"].set_string("250m");
  (*res->mutable_requests())["memory"].set_string("64Mi");
  (*res->mutable_limits())["memory"].set_string("128Mi");
  res->add_claims()->set_name("gpu");
  VolumeMount* mount = web->add_volumemounts();
  mount->set_name("config");
  mount->set_mountpath("/etc/web");
  mount->set_readonly(true);
  Probe* liveness = web->mutable_livenessprobe();
  liveness->mutable_handler()->mutable_httpget()->set_path("/healthz");
  liveness->mutable_handler()->mutable_httpget()->mutable_port()->set_type(1);
  liveness->mutable_handler()->mutable_httpget()->mutable_port()->set_strval("http");
  liveness->set_periodseconds(10);
  Probe* readiness = web->mutable_readinessprobe();
  readiness->mutable_handler()->mutable_tcpsocket()->mutable_port()->set_intval(8080);
  Probe* startup = web->mutable_startupprobe();
  startup->mutable_handler()->mutable_grpc()->set_port(9090);
  startup->set_failurethreshold(30);
  web->mutable_lifecycle()->mutable_prestop()->mutable_exec()->add_command("/bin/drain");
  web->mutable_lifecycle()->mutable_poststart()->mutable_sleep()->set_seconds(1);
  web->set_terminationmessagepath("/dev/termination-log");
  web->set_terminationmessagepolicy("File");
  auto* sc = web->mutable_securitycontext();
  sc->set_runasnonroot(true);
  sc->set_allowprivilegeescalation(false);
  sc->mutable_capabilities()->add_drop("ALL");
  sc->mutable_seccompprofile()->set_type("RuntimeDefault");

  Container* sidecar = spec->add_containers();
  sidecar->set_name("log-shipper");
  sidecar->set_image("registry.example/shipper:2");
  sidecar->set_stdin(true);
  sidecar->set_tty(true);
  sidecar->mutable_readinessprobe()->mutable_handler()->mutable_exec()->add_command("true");

  spec->set_restartpolicy("Always");
  spec->set_terminationgraceperiodseconds(30);
  spec->set_activedeadlineseconds(3600);
  spec->set_dnspolicy("ClusterFirst");
  (*spec->mutable_nodeselector())["kubernetes.io/os"] = "linux";
  spec->set_serviceaccountname("web");
  spec->set_automountserviceaccounttoken(false);
  spec->set_nodename("node-1");
  spec->set_hostnetwork(false);
  spec->mutable_securitycontext()->set_fsgroup(2000);
  spec->add_imagepullsecrets()->set_name("registry");
  spec->set_hostname("web-0");
  spec->set_subdomain("web");
  auto* node_term = spec->mutable_affinity()
                        ->mutable_nodeaffinity()
                        ->mutable_requiredduringschedulingignoredduringexecution()
                        ->add_nodeselectorterms();
  auto* zone = node_term->add_matchexpressions();
  zone->set_key("topology.kubernetes.io/zone");
  zone->set_operator_("In");
  zone->add_values("a");
  auto* by_name = node_term->add_matchfields();
  by_name->set_key("metadata.name");
  by_name->set_operator_("NotIn");
  by_name->add_values("node-9");
  auto* anti = spec->mutable_affinity()
                   ->mutable_podantiaffinity()
                   ->add_preferredduringschedulingignoredduringexecution();
  anti->set_weight(100);
  anti->mutable_podaffinityterm()->set_topologykey("kubernetes.io/hostname");
  (*anti->mutable_podaffinityterm()->mutable_labelselector()->mutable_matchlabels())["app"] = "web";
  anti->mutable_podaffinityterm()->add_matchlabelkeys("pod-template-hash");
  anti->mutable_podaffinityterm()->mutable_namespaceselector();
  spec->set_schedulername("default-scheduler");
  Toleration* tol = spec->add_tolerations();
  tol->set_key("node.kubernetes.io/not-ready");
  tol->set_operator_("Exists");
  tol->set_effect("NoExecute");
  tol->set_tolerationseconds(300);
  spec->set_priorityclassname("high");
  spec->set_priority(1000);
  spec->add_readinessgates()->set_conditiontype("example.com/ready");
  spec->set_enableservicelinks(true);
  spec->set_preemptionpolicy("PreemptLowerPriority");
  auto* spread = spec->add_topologyspreadconstraints();
  spread->set_maxskew(1);
  spread->set_topologykey("topology.kubernetes.io/zone");
  spread->set_whenunsatisfiable("DoNotSchedule");
  spread->set_mindomains(2);
  spread->set_nodeaffinitypolicy("Honor");
  spread->set_nodetaintspolicy("Ignore");
  spread->add_matchlabelkeys("pod-template-hash");

  PodStatus* status = pod.mutable_status();
  status->set_phase("Running");
  PodCondition* ready = status->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  ready->mutable_lasttransitiontime()->set_seconds(1700000030);
  status->set_hostip("10.0.0.11");
  status->add_hostips()->set_ip("10.0.0.11");
  status->set_podip("10.244.1.7");
  status->add_podips()->set_ip("10.244.1.7");
  status->mutable_starttime()->set_seconds(1700000001);
  status->set_qosclass("Burstable");
  ContainerStatus* cs = status->add_containerstatuses();
  cs->set_name("web");
  cs->mutable_state()->mutable_running()->mutable_startedat()->set_seconds(1700000020);
  cs->mutable_laststate()->mutable_terminated()->set_exitcode(137);
  cs->mutable_laststate()->mutable_terminated()->set_reason("OOMKilled");
  cs->set_ready(true);
  cs->set_restartcount(1);
  cs->set_image("registry.example/web:1.4.2");
  cs->set_imageid("registry.example/web@sha256:0123");
  cs->set_containerid("containerd://abc");
  cs->set_started(true);
  return pod;
}

// The binary form with map entries sorted by key, as Kubernetes writes them.
std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  EXPECT_TRUE(m.SerializeToCodedStream(&coded));
  coded.Trim();
  return out;
}

const FieldDescriptor* Field(const Descriptor* d, const std::string& name) {
  const FieldDescriptor* f = d->FindFieldByName(name);
  EXPECT_NE(f, nullptr) << d->full_name() << "." << name;
  return f;
}

TEST(CoreProtoTest, PodRoundTripsThroughBinary) {
  Pod pod = MakePod();
  const std::string wire = Deterministic(pod);
  Pod back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_TRUE(MessageDifferencer::Equals(pod, back));
  EXPECT_EQ(Deterministic(back), wire);
  EXPECT_EQ(back.spec().containers_size(), 2);
  EXPECT_EQ(back.spec().containers(0).env(1).valuefrom().fieldref().fieldpath(), "status.podIP");
  EXPECT_EQ(back.spec().containers(0).resources().requests().at("cpu").string(), "250m");
  EXPECT_EQ(back.spec().containers(0).livenessprobe().handler().httpget().port().strval(), "http");
  EXPECT_EQ(back.status().containerstatuses(0).laststate().terminated().reason(), "OOMKilled");
  EXPECT_EQ(back.metadata().ownerreferences(0).kind(), "ReplicaSet");
}

TEST(CoreProtoTest, EncodesExactlyAsKubernetesDoes) {
  // Bytes Kubernetes writes for {metadata: {name: "a"}, spec: {containers: [{name: "c",
  // image: "i"}]}, status: {phase: "P"}}: Pod.metadata=1, ObjectMeta.name=1, Pod.spec=2,
  // PodSpec.containers=2, Container.name=1, Container.image=2, Pod.status=3, PodStatus.phase=1.
  Pod pod;
  pod.mutable_metadata()->set_name("a");
  Container* c = pod.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("i");
  pod.mutable_status()->set_phase("P");
  const std::string expected(
      "\x0a\x03\x0a\x01"
      "a"
      "\x12\x08\x12\x06\x0a\x01"
      "c"
      "\x12\x01"
      "i"
      "\x1a\x03\x0a\x01"
      "P",
      20);
  EXPECT_EQ(pod.SerializeAsString(), expected);
  Pod parsed;
  ASSERT_TRUE(parsed.ParseFromString(expected));
  EXPECT_EQ(parsed.spec().containers(0).image(), "i");
}

TEST(CoreProtoTest, FieldNumbersAreKubernetes) {
  struct Case {
    const Descriptor* message;
    const char* field;
    int number;
  };
  const std::vector<Case> cases = {
      {Pod::descriptor(), "metadata", 1},
      {Pod::descriptor(), "spec", 2},
      {Pod::descriptor(), "status", 3},
      {rudder::api::meta::v1::ObjectMeta::descriptor(), "resourceVersion", 6},
      {rudder::api::meta::v1::ObjectMeta::descriptor(), "creationTimestamp", 8},
      {rudder::api::meta::v1::ObjectMeta::descriptor(), "ownerReferences", 13},
      {rudder::api::meta::v1::ObjectMeta::descriptor(), "managedFields", 17},
      {rudder::api::meta::v1::OwnerReference::descriptor(), "apiVersion", 5},
      {rudder::api::meta::v1::ListOptions::descriptor(), "allowWatchBookmarks", 9},
      {rudder::api::meta::v1::CreateOptions::descriptor(), "fieldManager", 3},
      {PodSpec::descriptor(), "volumes", 1},
      {PodSpec::descriptor(), "containers", 2},
      {PodSpec::descriptor(), "initContainers", 20},
      {PodSpec::descriptor(), "automountServiceAccountToken", 21},
      {PodSpec::descriptor(), "tolerations", 22},
      {PodSpec::descriptor(), "topologySpreadConstraints", 33},
      {PodSpec::descriptor(), "ephemeralContainers", 34},
      {Container::descriptor(), "image", 2},
      {Container::descriptor(), "env", 7},
      {Container::descriptor(), "resources", 8},
      {Container::descriptor(), "envFrom", 19},
      {Container::descriptor(), "startupProbe", 22},
      {Container::descriptor(), "restartPolicy", 24},
      {ContainerStatus::descriptor(), "started", 9},
      {PodStatus::descriptor(), "nominatedNodeName", 11},
      {PodStatus::descriptor(), "podIPs", 12},
      {PodStatus::descriptor(), "hostIPs", 16},
      {PodAffinityTerm::descriptor(), "matchLabelKeys", 5},
      {TopologySpreadConstraint::descriptor(), "matchLabelKeys", 8},
      {VolumeSource::descriptor(), "configMap", 19},
      {VolumeSource::descriptor(), "projected", 26},
      {VolumeSource::descriptor(), "csi", 28},
      {ServiceSpec::descriptor(), "clusterIPs", 18},
      {ServiceSpec::descriptor(), "ipFamilyPolicy", 17},
      {ServiceSpec::descriptor(), "internalTrafficPolicy", 22},
      {ServicePort::descriptor(), "appProtocol", 6},
      {NodeSpec::descriptor(), "podCIDRs", 7},
      {Event::descriptor(), "eventTime", 10},
      {Event::descriptor(), "reportingInstance", 15},
      {Secret::descriptor(), "stringData", 4},
      {Secret::descriptor(), "immutable", 5},
      {ConfigMap::descriptor(), "immutable", 4},
  };
  for (const Case& c : cases) {
    const FieldDescriptor* f = Field(c.message, c.field);
    if (f == nullptr) continue;
    EXPECT_EQ(f->number(), c.number) << c.message->name() << "." << c.field;
  }
}

TEST(CoreProtoTest, StrategicMergeOptionsFollowKubernetes) {
  struct Case {
    const Descriptor* message;
    const char* field;
    const char* key;
    const char* strategy;
  };
  const std::vector<Case> cases = {
      {PodSpec::descriptor(), "containers", "name", "merge"},
      {PodSpec::descriptor(), "initContainers", "name", "merge"},
      {PodSpec::descriptor(), "volumes", "name", "merge,retainKeys"},
      {PodSpec::descriptor(), "imagePullSecrets", "name", "merge"},
      {PodSpec::descriptor(), "hostAliases", "ip", "merge"},
      {PodSpec::descriptor(), "topologySpreadConstraints", "topologyKey", "merge"},
      {Container::descriptor(), "ports", "containerPort", "merge"},
      {Container::descriptor(), "env", "name", "merge"},
      {Container::descriptor(), "volumeMounts", "mountPath", "merge"},
      {Container::descriptor(), "volumeDevices", "devicePath", "merge"},
      {PodStatus::descriptor(), "conditions", "type", "merge"},
      {PodStatus::descriptor(), "podIPs", "ip", "merge"},
      {NodeStatus::descriptor(), "addresses", "type", "merge"},
      {ServiceSpec::descriptor(), "ports", "port", "merge"},
      {ServiceAccount::descriptor(), "secrets", "name", "merge"},
      {rudder::api::meta::v1::ObjectMeta::descriptor(), "ownerReferences", "uid", "merge"},
      {rudder::api::meta::v1::ObjectMeta::descriptor(), "finalizers", "", "merge"},
      {NodeSpec::descriptor(), "podCIDRs", "", "merge"},
  };
  for (const Case& c : cases) {
    const FieldDescriptor* f = Field(c.message, c.field);
    if (f == nullptr) continue;
    EXPECT_EQ(f->options().GetExtension(rudder::api::patch_merge_key), c.key)
        << c.message->name() << "." << c.field;
    EXPECT_EQ(f->options().GetExtension(rudder::api::patch_strategy), c.strategy)
        << c.message->name() << "." << c.field;
  }
  // Kubernetes gives these no patch strategy: they are replaced as a whole.
  for (const char* name : {"tolerations", "readinessGates", "nodeSelector"}) {
    const FieldDescriptor* f = Field(PodSpec::descriptor(), name);
    if (f == nullptr) continue;
    EXPECT_FALSE(f->options().HasExtension(rudder::api::patch_strategy)) << name;
  }
  EXPECT_FALSE(Field(Container::descriptor(), "envFrom")
                   ->options()
                   .HasExtension(rudder::api::patch_strategy));
}

TEST(CoreProtoTest, JsonAlwaysMarksFieldsKubernetesPrintsWhenEmpty) {
  for (auto [message, name] : std::vector<std::pair<const Descriptor*, const char*>>{
           {rudder::api::meta::v1::ObjectMeta::descriptor(), "creationTimestamp"},
           {PodSpec::descriptor(), "containers"},
           {PodCondition::descriptor(), "lastProbeTime"},
           {NodeCondition::descriptor(), "lastHeartbeatTime"},
           {Event::descriptor(), "firstTimestamp"},
           {Event::descriptor(), "eventTime"},
           {PodList::descriptor(), "items"},
           {LimitRangeSpec::descriptor(), "limits"},
           {ContainerStatus::descriptor(), "ready"},
           {ContainerStatus::descriptor(), "restartCount"},
           {rudder::api::meta::v1::OwnerReference::descriptor(), "uid"},
       }) {
    const FieldDescriptor* f = Field(message, name);
    if (f == nullptr) continue;
    EXPECT_TRUE(f->options().GetExtension(rudder::api::json_always)) << name;
  }
  EXPECT_FALSE(Field(PodStatus::descriptor(), "startTime")
                   ->options()
                   .GetExtension(rudder::api::json_always));
}

TEST(CoreProtoTest, PodJsonMatchesKubernetesShapes) {
  Pod pod;
  pod.mutable_metadata()->set_name("p");
  Container* c = pod.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx");
  (*c->mutable_resources()->mutable_limits())["cpu"].set_string("500m");
  PodCondition* cond = pod.mutable_status()->add_conditions();
  cond->set_type("PodScheduled");
  cond->set_status("True");
  cond->mutable_lasttransitiontime()->set_seconds(1704164645);  // 2024-01-02T03:04:05Z
  absl::StatusOr<std::string> json =
      EncodeJson(pod, JsonEncodeOptions{.api_version = "v1", .kind = "Pod"});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(
      *json,
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","creationTimestamp":null},)"
      R"("spec":{"containers":[{"name":"c","image":"nginx","resources":{"limits":{"cpu":"500m"}}}]},)"
      R"("status":{"conditions":[{"type":"PodScheduled","status":"True","lastProbeTime":null,)"
      R"("lastTransitionTime":"2024-01-02T03:04:05Z"}]}})");

  Pod back;
  absl::StatusOr<JsonDecodeResult> r = DecodeJson(*json, &back);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type_meta.kind, "Pod");
  EXPECT_TRUE(MessageDifferencer::Equals(pod, back));
}

TEST(CoreProtoTest, ServiceAndSecretJson) {
  Service svc;
  svc.mutable_metadata()->set_name("web");
  ServicePort* port = svc.mutable_spec()->add_ports();
  port->set_name("http");
  port->set_protocol("TCP");
  port->set_port(80);
  port->mutable_targetport()->set_type(1);
  port->mutable_targetport()->set_strval("http");
  (*svc.mutable_spec()->mutable_selector())["app"] = "web";
  svc.mutable_spec()->set_type("ClusterIP");
  absl::StatusOr<std::string> json = EncodeJson(svc);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(
      json->find(R"("ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":"http"}])"),
      std::string::npos)
      << *json;

  Secret secret;
  absl::StatusOr<JsonDecodeResult> r =
      DecodeJson(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"type":"Opaque",)"
                 R"("data":{"password":"aHVudGVyMg=="},"immutable":true})",
                 &secret);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(secret.data().at("password"), "hunter2");
  EXPECT_TRUE(secret.immutable());
  EXPECT_EQ(secret.type(), "Opaque");
}

TEST(CoreProtoTest, EventTimesPrintAsKubernetesDoes) {
  Event ev;
  ev.mutable_metadata()->set_name("web.17a");
  ev.mutable_involvedobject()->set_kind("Pod");
  ev.mutable_involvedobject()->set_name("web");
  ev.set_reason("Scheduled");
  ev.mutable_source();
  ev.set_type("Normal");
  ev.mutable_eventtime()->set_seconds(1704164645);
  ev.mutable_eventtime()->set_nanos(123456000);
  ev.set_reportingcomponent("default-scheduler");
  ev.set_reportinginstance("");
  absl::StatusOr<std::string> json = EncodeJson(ev);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find(R"("source":{},"firstTimestamp":null,"lastTimestamp":null,)"),
            std::string::npos)
      << *json;
  EXPECT_NE(json->find(R"("eventTime":"2024-01-02T03:04:05.123456Z")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("reportingInstance":"")"), std::string::npos) << *json;
}

}  // namespace
}  // namespace rudder::api::core::v1
