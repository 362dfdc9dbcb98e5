#include "lib/api/validation/kinds.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/defaults/defaults.h"
#include "lib/api/patch/merge_patch.h"
#include "lib/api/proto/apiextensions/v1/apiextensions.pb.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/autoscaling/v2/autoscaling.pb.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/proto/discovery/v1/discovery.pb.h"
#include "lib/api/proto/networking/v1/networking.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/api/proto/rbac/v1/rbac.pb.h"
#include "lib/api/proto/scheduling/v1/scheduling.pb.h"
#include "lib/api/proto/storage/v1/storage.pb.h"

namespace rudder::api::validation {
namespace {

using field::ErrorType;
using google::protobuf::Descriptor;
using google::protobuf::Message;
using Want = std::vector<std::pair<ErrorType, std::string>>;
constexpr auto kRequired = ErrorType::kRequired;
constexpr auto kInvalid = ErrorType::kInvalid;
constexpr auto kNotSupported = ErrorType::kNotSupported;
constexpr auto kDuplicate = ErrorType::kDuplicate;
constexpr auto kForbidden = ErrorType::kForbidden;
constexpr auto kNotFound = ErrorType::kNotFound;

// Decodes `json` with `patch` (an RFC 7386 merge patch, may be empty) applied, then defaults
// it as the API server does before validating.
std::unique_ptr<Message> Object(const Descriptor* d, const std::string& json,
                                const std::string& patch = "") {
  std::string doc = json;
  if (!patch.empty()) {
    absl::StatusOr<std::string> patched = patch::ApplyMergePatch(json, patch);
    EXPECT_TRUE(patched.ok()) << patched.status();
    doc = *patched;
  }
  std::unique_ptr<Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
  auto r = DecodeJson(doc, m.get());
  EXPECT_TRUE(r.ok()) << r.status() << "\n" << doc;
  defaults::SetDefaults(m.get());
  return m;
}

Want Got(const field::FieldErrors& errs) {
  Want got;
  for (const field::Error& e : errs.errors()) got.emplace_back(e.type, e.field);
  return got;
}

std::string Describe(const field::FieldErrors& errs) {
  std::string s;
  for (const field::Error& e : errs.errors()) absl::StrAppend(&s, "  ", e.ToString(), "\n");
  return s;
}

struct Case {
  const char* name;
  const char* patch;  // Applied to the kind's valid base object.
  Want want;          // Exactly these (type, field) errors, in order; empty: valid.
};

void RunCases(const Descriptor* d, bool namespaced, const std::string& base,
              const std::vector<Case>& cases) {
  ValidationFuncs v = ValidatorsFor(d, namespaced);
  ASSERT_TRUE(v.validate);
  for (const Case& c : cases) {
    std::unique_ptr<Message> obj = Object(d, base, c.patch);
    field::FieldErrors errs = v.validate(*obj);
    EXPECT_EQ(Got(errs), c.want) << d->name() << " case " << c.name << ":\n" << Describe(errs);
  }
}

void RunUpdate(const Descriptor* d, bool namespaced, const std::string& base, const char* patch,
               const Want& want) {
  // As a client does: read the stored (defaulted) object, change it, send it back.
  ValidationFuncs v = ValidatorsFor(d, namespaced);
  std::unique_ptr<Message> old = Object(d, base);
  absl::StatusOr<std::string> stored = EncodeJson(*old);
  ASSERT_TRUE(stored.ok()) << stored.status();
  std::unique_ptr<Message> obj = Object(d, *stored, patch);
  field::FieldErrors errs = v.validate_update(*obj, *old);
  EXPECT_EQ(Got(errs), want) << d->name() << " update " << patch << ":\n" << Describe(errs);
}

// ---- Pod ----

constexpr char kPod[] = R"({"metadata":{"name":"web","namespace":"default"},
  "spec":{"containers":[{"name":"c","image":"nginx"}]}})";

TEST(ValidatePodTest, Table) {
  std::string c0 = "spec.containers[0]";
  RunCases(
      core::v1::Pod::descriptor(), true, kPod,
      {
          {"valid", "", {}},
          {"generateName only", R"({"metadata":{"name":null,"generateName":"web-"}})", {}},
          {"no name", R"({"metadata":{"name":null}})", {{kRequired, "metadata.name"}}},
          {"bad name", R"({"metadata":{"name":"Web"}})", {{kInvalid, "metadata.name"}}},
          {"bad generateName",
           R"({"metadata":{"generateName":"Web-"}})",
           {{kInvalid, "metadata.generateName"}}},
          {"no namespace",
           R"({"metadata":{"namespace":null}})",
           {{kRequired, "metadata.namespace"}}},
          {"bad label key",
           R"({"metadata":{"labels":{"a b":"x"}}})",
           {{kInvalid, "metadata.labels"}}},
          {"bad label value",
           R"({"metadata":{"labels":{"a":"x y"}}})",
           {{kInvalid, "metadata.labels"}}},
          {"bad annotation key",
           R"({"metadata":{"annotations":{"-a":"x"}}})",
           {{kInvalid, "metadata.annotations"}}},
          {"owner without uid",
           R"({"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"r"}]}})",
           {{kInvalid, "metadata.ownerReferences.uid"}}},
          {"bad finalizer",
           R"({"metadata":{"finalizers":["a b"]}})",
           {{kInvalid, "metadata.finalizers"}}},
          {"no containers", R"({"spec":{"containers":[]}})", {{kRequired, "spec.containers"}}},
          {"bad container name",
           R"({"spec":{"containers":[{"name":"C_1","image":"x"}]}})",
           {{kInvalid, c0 + ".name"}}},
          {"duplicate across init and app",
           R"({"spec":{"initContainers":[{"name":"c","image":"x"}]}})",
           {{kDuplicate, c0 + ".name"}}},
          {"no image", R"({"spec":{"containers":[{"name":"c"}]}})", {{kRequired, c0 + ".image"}}},
          {"port out of range",
           R"({"spec":{"containers":[{"name":"c","image":"x","ports":[{"containerPort":70000}]}]}})",
           {{kInvalid, c0 + ".ports[0].containerPort"}}},
          {"duplicate port names",
           R"({"spec":{"containers":[{"name":"c","image":"x","ports":[{"name":"http","containerPort":80},
       {"name":"http","containerPort":81}]}]}})",
           {{kDuplicate, c0 + ".ports[1].name"}}},
          {"bad protocol",
           R"({"spec":{"containers":[{"name":"c","image":"x","ports":[{"containerPort":80,"protocol":"ICMP"}]}]}})",
           {{kNotSupported, c0 + ".ports[0].protocol"}}},
          {"restartPolicy",
           R"({"spec":{"restartPolicy":"Sometimes"}})",
           {{kNotSupported, "spec.restartPolicy"}}},
          {"dnsPolicy", R"({"spec":{"dnsPolicy":"Google"}})", {{kNotSupported, "spec.dnsPolicy"}}},
          {"imagePullPolicy",
           R"({"spec":{"containers":[{"name":"c","image":"x","imagePullPolicy":"Sometimes"}]}})",
           {{kNotSupported, c0 + ".imagePullPolicy"}}},
          {"requests above limits",
           R"({"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1"},
       "requests":{"cpu":"2"}}}]}})",
           {{kInvalid, c0 + ".resources.requests[cpu]"}}},
          {"probe without handler",
           R"({"spec":{"containers":[{"name":"c","image":"x","livenessProbe":{"periodSeconds":5}}]}})",
           {{kRequired, c0 + ".livenessProbe"}}},
          {"liveness successThreshold",
           R"({"spec":{"containers":[{"name":"c","image":"x","livenessProbe":{"tcpSocket":{"port":80},
       "successThreshold":2}}]}})",
           {{kInvalid, c0 + ".livenessProbe.successThreshold"}}},
          {"negative probe period",
           R"({"spec":{"containers":[{"name":"c","image":"x","readinessProbe":{"exec":{"command":["true"]},
       "periodSeconds":-1}}]}})",
           {{kInvalid, c0 + ".readinessProbe.periodSeconds"}}},
          {"duplicate volumes",
           R"({"spec":{"volumes":[{"name":"v"},{"name":"v"}]}})",
           {{kDuplicate, "spec.volumes[1].name"}}},
          {"two volume sources",
           R"({"spec":{"volumes":[{"name":"v","emptyDir":{},"configMap":{"name":"x"}}]}})",
           {{kForbidden, "spec.volumes[0].configMap"}}},
          {"secret without name",
           R"({"spec":{"volumes":[{"name":"v","secret":{}}]}})",
           {{kRequired, "spec.volumes[0].secret.secretName"}}},
          {"mount of unknown volume",
           R"({"spec":{"containers":[{"name":"c","image":"x","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}})",
           {{kNotFound, c0 + ".volumeMounts[0].name"}}},
          {"env name",
           R"({"spec":{"containers":[{"name":"c","image":"x","env":[{"name":"1X"}]}]}})",
           {{kInvalid, c0 + ".env[0].name"}}},
          {"toleration operator",
           R"({"spec":{"tolerations":[{"key":"k","operator":"Near"}]}})",
           {{kNotSupported, "spec.tolerations[0].operator"}}},
          {"toleration effect",
           R"({"spec":{"tolerations":[{"key":"k","effect":"Maybe"}]}})",
           {{kNotSupported, "spec.tolerations[0].effect"}}},
          {"toleration without key",
           R"({"spec":{"tolerations":[{"operator":"Equal","value":"v"}]}})",
           {{kInvalid, "spec.tolerations[0].operator"}}},
          {"tolerationSeconds without NoExecute",
           R"({"spec":{"tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule",
       "tolerationSeconds":5}]}})",
           {{kInvalid, "spec.tolerations[0].effect"}}},
          {"nodeSelector",
           R"({"spec":{"nodeSelector":{"a b":"c"}}})",
           {{kInvalid, "spec.nodeSelector"}}},
          {"affinity operator",
           R"({"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
       {"nodeSelectorTerms":[{"matchExpressions":[{"key":"k","operator":"Near","values":["a"]}]}]}}}}})",
           {{kInvalid,
             "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
             "nodeSelectorTerms[0].matchExpressions[0].operator"}}},
          {"pod affinity topologyKey",
           R"({"spec":{"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
       [{"labelSelector":{"matchLabels":{"a":"b"}}}]}}}})",
           {{kRequired,
             "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
             ".topologyKey"}}},
          {"topology spread",
           R"({"spec":{"topologySpreadConstraints":[{"maxSkew":0,"topologyKey":"zone",
       "whenUnsatisfiable":"Whenever"}]}})",
           {{kInvalid, "spec.topologySpreadConstraints[0].maxSkew"},
            {kNotSupported, "spec.topologySpreadConstraints[0].whenUnsatisfiable"}}},
          {"activeDeadlineSeconds",
           R"({"spec":{"activeDeadlineSeconds":0}})",
           {{kInvalid, "spec.activeDeadlineSeconds"}}},
      });
}

TEST(ValidatePodTest, Messages) {
  ValidationFuncs v = ValidatorsFor(core::v1::Pod::descriptor(), true);
  auto pod = Object(core::v1::Pod::descriptor(), kPod,
                    R"({"spec":{"containers":[{"name":"c"}],"restartPolicy":"Sometimes"}})");
  EXPECT_EQ(v.validate(*pod).ToStatus("Pod", "web").message(),
            "Pod \"web\" is invalid: [spec.containers[0].image: Required value, "
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
            "\"OnFailure\", \"Never\"]");
  auto big = Object(core::v1::Pod::descriptor(), kPod);
  auto* typed = static_cast<core::v1::Pod*>(big.get());
  (*typed->mutable_metadata()->mutable_annotations())["a"] = std::string(256 * 1024, 'x');
  EXPECT_EQ(Got(v.validate(*typed)), (Want{{ErrorType::kTooLong, "metadata.annotations"}}));
}

TEST(ValidatePodTest, Update) {
  const Descriptor* d = core::v1::Pod::descriptor();
  RunUpdate(d, true, kPod,
            R"({"spec":{"containers":[{"name":"c","image":"nginx:2","imagePullPolicy":"Always",
              "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
              "resources":{}}]}})",
            {});
  RunUpdate(d, true, kPod, R"({"spec":{"activeDeadlineSeconds":30}})", {});
  RunUpdate(d, true, kPod, R"({"spec":{"tolerations":[{"key":"k","operator":"Exists"}]}})", {});
  RunUpdate(d, true, kPod, R"({"spec":{"nodeName":"n1"}})", {{kForbidden, "spec"}});
  RunUpdate(d, true, kPod,
            R"({"spec":{"containers":[{"name":"c","image":"nginx"},{"name":"d","image":"x"}]}})",
            {{kForbidden, "spec.containers"}});
  RunUpdate(d, true, kPod, R"({"metadata":{"name":"other"}})", {{kInvalid, "metadata.name"}});
  RunUpdate(d, true, kPod, R"({"metadata":{"uid":"u2"}})", {{kInvalid, "metadata.uid"}});
  RunUpdate(d, true, kPod, R"({"metadata":{"labels":{"a":"b"}}})", {});
}

// ---- Workloads ----

constexpr char kDeployment[] = R"({"metadata":{"name":"web","namespace":"default",
  "labels":{"app":"web"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
  "template":{"metadata":{"labels":{"app":"web"}},
  "spec":{"containers":[{"name":"nginx","image":"nginx"}]}}}})";

TEST(ValidateWorkloadsTest, Deployment) {
  RunCases(
      apps::v1::Deployment::descriptor(), true, kDeployment,
      {
          {"valid", "", {}},
          {"selector mismatch",
           R"({"spec":{"template":{"metadata":{"labels":{"app":"x"}}}}})",
           {{kInvalid, "spec.template.metadata.labels"}}},
          {"no selector", R"({"spec":{"selector":null}})", {{kRequired, "spec.selector"}}},
          {"empty selector",
           R"({"spec":{"selector":{"matchLabels":null}}})",
           {{kInvalid, "spec.selector"}}},
          {"bad selector operator",
           R"({"spec":{"selector":{"matchExpressions":[{"key":"app","operator":"Is","values":["web"]}]}}})",
           {{kInvalid, "spec.selector.matchExpressions[0].operator"}}},
          {"negative replicas", R"({"spec":{"replicas":-1}})", {{kInvalid, "spec.replicas"}}},
          {"restartPolicy",
           R"({"spec":{"template":{"spec":{"restartPolicy":"Never"}}}})",
           {{kNotSupported, "spec.template.spec.restartPolicy"}}},
          {"template container",
           R"({"spec":{"template":{"spec":{"containers":[{"name":"x"}]}}}})",
           {{kRequired, "spec.template.spec.containers[0].image"}}},
          {"both zero",
           R"({"spec":{"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":0}}}})",
           {{kInvalid, "spec.strategy.rollingUpdate.maxUnavailable"}}},
          {"percent format",
           R"({"spec":{"strategy":{"rollingUpdate":{"maxSurge":"lots"}}}})",
           {{kInvalid, "spec.strategy.rollingUpdate.maxSurge"}}},
          {"over 100%",
           R"({"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":"150%"}}}})",
           {{kInvalid, "spec.strategy.rollingUpdate.maxUnavailable"}}},
          {"recreate with rollingUpdate",
           R"({"spec":{"strategy":{"type":"Recreate","rollingUpdate":{"maxSurge":1}}}})",
           {{kForbidden, "spec.strategy.rollingUpdate"}}},
          {"strategy type",
           R"({"spec":{"strategy":{"type":"Blue"}}})",
           {{kNotSupported, "spec.strategy.type"}}},
          {"progress deadline",
           R"({"spec":{"minReadySeconds":700}})",
           {{kInvalid, "spec.progressDeadlineSeconds"}}},
      });
  RunUpdate(
      apps::v1::Deployment::descriptor(), true, kDeployment,
      R"({"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:2"}]}}}})",
      {});
  RunUpdate(apps::v1::Deployment::descriptor(), true, kDeployment,
            R"({"spec":{"selector":{"matchLabels":{"app":"web","v":"2"}},
                "template":{"metadata":{"labels":{"app":"web","v":"2"}}}}})",
            {{kInvalid, "spec.selector"}});
}

TEST(ValidateWorkloadsTest, DeploymentMessage) {
  ValidationFuncs v = ValidatorsFor(apps::v1::Deployment::descriptor(), true);
  auto d = Object(apps::v1::Deployment::descriptor(), kDeployment,
                  R"({"spec":{"template":{"metadata":{"labels":{"app":"x"}}}}})");
  EXPECT_EQ(v.validate(*d).ToStatus("Deployment.apps", "web").message(),
            "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
            "map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`");
}

TEST(ValidateWorkloadsTest, OtherControllers) {
  RunCases(apps::v1::ReplicaSet::descriptor(), true, kDeployment,
           {
               {"valid", R"({"spec":{"strategy":null}})", {}},
               {"mismatch",
                R"({"spec":{"template":{"metadata":{"labels":{"app":"x"}}}}})",
                {{kInvalid, "spec.template.metadata.labels"}}},
               {"activeDeadlineSeconds",
                R"({"spec":{"template":{"spec":{"activeDeadlineSeconds":5}}}})",
                {{kForbidden, "spec.template.spec.activeDeadlineSeconds"}}},
           });
  RunCases(
      apps::v1::DaemonSet::descriptor(), true, kDeployment,
      {
          {"valid", R"({"spec":{"replicas":null}})", {}},
          {"no selector",
           R"({"spec":{"replicas":null,"selector":null}})",
           {{kRequired, "spec.selector"}}},
          {"strategy",
           R"({"spec":{"replicas":null,"updateStrategy":{"type":"Later"}}})",
           {{kNotSupported, "spec.updateStrategy.type"}}},
          {"both zero",
           R"({"spec":{"replicas":null,"updateStrategy":{"rollingUpdate":{"maxUnavailable":0}}}})",
           {{kInvalid, "spec.updateStrategy.rollingUpdate.maxUnavailable"}}},
      });
  RunCases(apps::v1::StatefulSet::descriptor(), true, kDeployment,
           {
               {"valid", R"({"spec":{"serviceName":"web"}})", {}},
               {"podManagementPolicy",
                R"({"spec":{"podManagementPolicy":"Random"}})",
                {{kInvalid, "spec.podManagementPolicy"}}},
               {"restartPolicy",
                R"({"spec":{"template":{"spec":{"restartPolicy":"OnFailure"}}}})",
                {{kNotSupported, "spec.template.spec.restartPolicy"}}},
           });
  RunUpdate(apps::v1::StatefulSet::descriptor(), true, kDeployment,
            R"({"spec":{"serviceName":"other"}})", {{kForbidden, "spec"}});
  RunUpdate(apps::v1::StatefulSet::descriptor(), true, kDeployment, R"({"spec":{"replicas":3}})",
            {});
  RunCases(core::v1::ReplicationController::descriptor(), true,
           R"({"metadata":{"name":"rc","namespace":"default"},"spec":{"template":{"metadata":
             {"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}})",
           {
               {"valid (selector from template)", "", {}},
               {"mismatch",
                R"({"spec":{"selector":{"app":"other"}}})",
                {{kInvalid, "spec.template.metadata.labels"}}},
           });
}

constexpr char kJob[] = R"({"metadata":{"name":"pi","namespace":"default"},
  "spec":{"template":{"spec":{"restartPolicy":"Never",
  "containers":[{"name":"pi","image":"perl"}]}}}})";

TEST(ValidateWorkloadsTest, Job) {
  RunCases(
      batch::v1::Job::descriptor(), true, kJob,
      {
          {"valid", "", {}},
          {"restartPolicy",
           R"({"spec":{"template":{"spec":{"restartPolicy":"Always"}}}})",
           {{kNotSupported, "spec.template.spec.restartPolicy"}}},
          {"parallelism", R"({"spec":{"parallelism":-1}})", {{kInvalid, "spec.parallelism"}}},
          {"completions", R"({"spec":{"completions":-1}})", {{kInvalid, "spec.completions"}}},
          {"backoffLimit", R"({"spec":{"backoffLimit":-1}})", {{kInvalid, "spec.backoffLimit"}}},
          {"completionMode",
           R"({"spec":{"completionMode":"Some"}})",
           {{kNotSupported, "spec.completionMode"}}},
          {"selector mismatch",
           R"({"spec":{"selector":{"matchLabels":{"a":"b"}}}})",
           {{kInvalid, "spec.template.metadata.labels"}}},
      });
  const char* with_selector = R"({"spec":{"selector":{"matchLabels":{"a":"b"}},
      "template":{"metadata":{"labels":{"a":"b"}}}}})";
  auto base = Object(batch::v1::Job::descriptor(), kJob, with_selector);
  auto changed = Object(batch::v1::Job::descriptor(), kJob,
                        R"({"spec":{"selector":{"matchLabels":{"a":"c"}},
                            "template":{"metadata":{"labels":{"a":"c"}}}}})");
  ValidationFuncs v = ValidatorsFor(batch::v1::Job::descriptor(), true);
  Want got = Got(v.validate_update(*changed, *base));
  EXPECT_EQ(got, (Want{{kInvalid, "spec.selector"}, {kInvalid, "spec.template"}}));
  RunCases(
      batch::v1::CronJob::descriptor(), true,
      R"({"metadata":{"name":"pi","namespace":"default"},"spec":{"schedule":"*/5 * * * *",
             "jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure",
             "containers":[{"name":"pi","image":"perl"}]}}}}}})",
      {
          {"valid", "", {}},
          {"macro", R"({"spec":{"schedule":"@hourly"}})", {}},
          {"schedule", R"({"spec":{"schedule":"every minute"}})", {{kInvalid, "spec.schedule"}}},
          {"concurrencyPolicy",
           R"({"spec":{"concurrencyPolicy":"Sometimes"}})",
           {{kNotSupported, "spec.concurrencyPolicy"}}},
      });
}

TEST(ValidateWorkloadsTest, HpaAndPdb) {
  RunCases(autoscaling::v2::HorizontalPodAutoscaler::descriptor(), true,
           R"({"metadata":{"name":"web","namespace":"default"},"spec":{"scaleTargetRef":
             {"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":5}})",
           {
               {"valid", "", {}},
               {"min above max", R"({"spec":{"minReplicas":6}})", {{kInvalid, "spec.maxReplicas"}}},
               {"no target name",
                R"({"spec":{"scaleTargetRef":{"name":null}}})",
                {{kRequired, "spec.scaleTargetRef.name"}}},
               {"metric type",
                R"({"spec":{"metrics":[{"type":"Magic"}]}})",
                {{kNotSupported, "spec.metrics[0].type"}}},
           });
  RunCases(
      policy::v1::PodDisruptionBudget::descriptor(), true,
      R"({"metadata":{"name":"web","namespace":"default"},"spec":{"minAvailable":1,
             "selector":{"matchLabels":{"app":"web"}}}})",
      {
          {"valid", "", {}},
          {"both", R"({"spec":{"maxUnavailable":"10%"}})", {{kInvalid, "spec"}}},
          {"bad percent", R"({"spec":{"minAvailable":"ten"}})", {{kInvalid, "spec.minAvailable"}}},
      });
}

// ---- Core kinds ----

TEST(ValidateCoreTest, Service) {
  RunCases(
      core::v1::Service::descriptor(), true,
      R"({"metadata":{"name":"web","namespace":"default"},"spec":{"selector":{"app":"web"},
             "ports":[{"port":80}]}})",
      {
          {"valid", "", {}},
          {"headless without ports", R"({"spec":{"clusterIP":"None","ports":null}})", {}},
          {"externalName",
           R"({"spec":{"type":"ExternalName","externalName":"example.com",
                 "ports":null}})",
           {}},
          {"no ports", R"({"spec":{"ports":null}})", {{kRequired, "spec.ports"}}},
          {"DNS-1035 name", R"({"metadata":{"name":"1web"}})", {{kInvalid, "metadata.name"}}},
          {"port range",
           R"({"spec":{"ports":[{"port":0}]}})",
           {{kInvalid, "spec.ports[0].port"}, {kInvalid, "spec.ports[0].targetPort"}}},
          {"protocol",
           R"({"spec":{"ports":[{"port":80,"protocol":"HTTP"}]}})",
           {{kNotSupported, "spec.ports[0].protocol"}}},
          {"two unnamed ports",
           R"({"spec":{"ports":[{"port":80,"name":"a"},{"port":81}]}})",
           {{kRequired, "spec.ports[1].name"}}},
          {"type", R"({"spec":{"type":"Magic"}})", {{kNotSupported, "spec.type"}}},
          {"None for NodePort",
           R"({"spec":{"type":"NodePort","clusterIP":"None"}})",
           {{kInvalid, "spec.clusterIPs[0]"}}},
          {"nodePort range",
           R"({"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}})",
           {{kInvalid, "spec.ports[0].nodePort"}}},
          {"nodePort in range",
           R"({"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}})",
           {}},
          {"selector", R"({"spec":{"selector":{"app":"a b"}}})", {{kInvalid, "spec.selector"}}},
          {"clusterIP", R"({"spec":{"clusterIP":"10.0.0"}})", {{kInvalid, "spec.clusterIP"}}},
      });
}

TEST(ValidateCoreTest, ConfigMapAndSecret) {
  const char* cm = R"({"metadata":{"name":"cfg","namespace":"default"},"data":{"a.conf":"x"}})";
  RunCases(core::v1::ConfigMap::descriptor(), true, cm,
           {
               {"valid", "", {}},
               {"bad key", R"({"data":{"a b":"x"}})", {{kInvalid, "data[a b]"}}},
               {"dot dot", R"({"data":{"..a":"x"}})", {{kInvalid, "data[..a]"}}},
           });
  auto big = Object(core::v1::ConfigMap::descriptor(), cm);
  (*static_cast<core::v1::ConfigMap*>(big.get())->mutable_data())["b"] =
      std::string(1024 * 1024, 'x');
  EXPECT_EQ(Got(ValidatorsFor(core::v1::ConfigMap::descriptor(), true).validate(*big)),
            (Want{{ErrorType::kTooLong, ""}}));
  RunUpdate(
      core::v1::ConfigMap::descriptor(), true,
      R"({"metadata":{"name":"cfg","namespace":"default"},"immutable":true,"data":{"a":"x"}})",
      R"({"data":{"a":"y"}})", {{kForbidden, "data"}});
  RunCases(core::v1::Secret::descriptor(), true,
           R"({"metadata":{"name":"s","namespace":"default"},"data":{"k":"dg=="}})",
           {
               {"valid", "", {}},
               {"tls without key",
                R"({"type":"kubernetes.io/tls","data":{"tls.crt":"dg=="}})",
                {{kRequired, "data[tls.key]"}}},
           });
}

TEST(ValidateCoreTest, ClusterScopedAndOthers) {
  RunCases(
      core::v1::Namespace::descriptor(), false, R"({"metadata":{"name":"team-a"}})",
      {
          {"valid", "", {}},
          {"dotted name", R"({"metadata":{"name":"team.a"}})", {{kInvalid, "metadata.name"}}},
          {"namespace set",
           R"({"metadata":{"namespace":"x"}})",
           {{kForbidden, "metadata.namespace"}}},
          {"finalizer", R"({"spec":{"finalizers":["custom"]}})", {{kInvalid, "spec.finalizers"}}},
      });
  RunCases(core::v1::Node::descriptor(), false,
           R"({"metadata":{"name":"n1"},"spec":{"taints":[{"key":"k","effect":"NoSchedule"}]}})",
           {
               {"valid", "", {}},
               {"effect",
                R"({"spec":{"taints":[{"key":"k","effect":"Sometimes"}]}})",
                {{kNotSupported, "spec.taints[0].effect"}}},
               {"no key",
                R"({"spec":{"taints":[{"effect":"NoSchedule"}]}})",
                {{kInvalid, "spec.taints[0].key"}, {kInvalid, "spec.taints[0].key"}}},
               {"duplicate",
                R"({"spec":{"taints":[{"key":"k","effect":"NoSchedule"},
                 {"key":"k","value":"v","effect":"NoSchedule"}]}})",
                {{kDuplicate, "spec.taints[1]"}}},
           });
  RunCases(core::v1::Event::descriptor(), true,
           R"({"metadata":{"name":"e","namespace":"default"},"involvedObject":{"kind":"Pod",
             "name":"web","namespace":"default"},"reason":"Started"})",
           {
               {"valid", "", {}},
               {"no involvedObject", R"({"involvedObject":null})", {{kRequired, "involvedObject"}}},
               {"namespace mismatch",
                R"({"involvedObject":{"namespace":"other"}})",
                {{kInvalid, "involvedObject.namespace"}}},
           });
  RunCases(
      core::v1::Binding::descriptor(), true,
      R"({"metadata":{"name":"web","namespace":"default"},"target":{"kind":"Node","name":"n1"}})",
      {
          {"valid", "", {}},
          {"no target", R"({"target":{"name":null}})", {{kRequired, "target.name"}}},
      });
  RunCases(core::v1::LimitRange::descriptor(), true,
           R"({"metadata":{"name":"l","namespace":"default"},"spec":{"limits":[{"type":"Container",
             "min":{"cpu":"100m"},"max":{"cpu":"1"}}]}})",
           {
               {"valid", "", {}},
               {"min above max",
                R"({"spec":{"limits":[{"type":"Container","min":{"cpu":"2"},
                 "max":{"cpu":"1"}}]}})",
                {{kInvalid, "spec.limits[0].min[cpu]"}}},
           });
  RunCases(core::v1::ResourceQuota::descriptor(), true,
           R"({"metadata":{"name":"q","namespace":"default"},"spec":{"hard":{"pods":"10"}}})",
           {
               {"valid", "", {}},
               {"negative", R"({"spec":{"hard":{"pods":"-1"}}})", {{kInvalid, "spec.hard[pods]"}}},
           });
  RunCases(core::v1::PersistentVolume::descriptor(), false,
           R"({"metadata":{"name":"pv"},"spec":{"capacity":{"storage":"1Gi"},
             "accessModes":["ReadWriteOnce"],"hostPath":{"path":"/data"}}})",
           {
               {"valid", "", {}},
               {"no capacity", R"({"spec":{"capacity":null}})", {{kRequired, "spec.capacity"}}},
               {"no source", R"({"spec":{"hostPath":null}})", {{kRequired, "spec"}}},
           });
  RunCases(
      core::v1::PersistentVolumeClaim::descriptor(), true,
      R"({"metadata":{"name":"c","namespace":"default"},"spec":{"accessModes":["ReadWriteOnce"],
             "resources":{"requests":{"storage":"1Gi"}}}})",
      {
          {"valid", "", {}},
          {"no access modes",
           R"({"spec":{"accessModes":null}})",
           {{kRequired, "spec.accessModes"}}},
          {"access mode",
           R"({"spec":{"accessModes":["Sometimes"]}})",
           {{kNotSupported, "spec.accessModes"}}},
      });
  RunCases(core::v1::ServiceAccount::descriptor(), true,
           R"({"metadata":{"name":"default","namespace":"default"}})", {{"valid", "", {}}});
}

// ---- Other groups ----

TEST(ValidateOtherTest, Table) {
  RunCases(coordination::v1::Lease::descriptor(), true,
           R"({"metadata":{"name":"l","namespace":"default"},"spec":{"holderIdentity":"a",
             "leaseDurationSeconds":15}})",
           {
               {"valid", "", {}},
               {"duration",
                R"({"spec":{"leaseDurationSeconds":0}})",
                {{kInvalid, "spec.leaseDurationSeconds"}}},
           });
  RunCases(scheduling::v1::PriorityClass::descriptor(), false,
           R"({"metadata":{"name":"high"},"value":1000})",
           {
               {"valid", "", {}},
               {"too high", R"({"value":2000000000})", {{kForbidden, "value"}}},
               {"reserved name",
                R"({"metadata":{"name":"system-high"}})",
                {{kForbidden, "metadata.name"}}},
           });
  RunCases(rbac::v1::RoleBinding::descriptor(), true,
           R"({"metadata":{"name":"rb","namespace":"default"},"roleRef":{"apiGroup":
             "rbac.authorization.k8s.io","kind":"Role","name":"r"},"subjects":[{"kind":"User",
             "name":"alice"}]})",
           {
               {"valid", "", {}},
               {"no roleRef name", R"({"roleRef":{"name":null}})", {{kRequired, "roleRef.name"}}},
               {"subject kind",
                R"({"subjects":[{"kind":"Robot","name":"r"}]})",
                {{kNotSupported, "subjects[0].kind"}}},
           });
  RunUpdate(rbac::v1::RoleBinding::descriptor(), true,
            R"({"metadata":{"name":"rb","namespace":"default"},"roleRef":{"apiGroup":
              "rbac.authorization.k8s.io","kind":"Role","name":"r"}})",
            R"({"roleRef":{"name":"other"}})", {{kInvalid, "roleRef"}});
  RunCases(rbac::v1::Role::descriptor(), true,
           R"({"metadata":{"name":"r","namespace":"default"},"rules":[{"apiGroups":[""],
             "resources":["pods"],"verbs":["get"]}]})",
           {
               {"valid", "", {}},
               {"no verbs",
                R"({"rules":[{"apiGroups":[""],"resources":["pods"]}]})",
                {{kRequired, "rules[0].verbs"}}},
           });
  RunCases(networking::v1::NetworkPolicy::descriptor(), true,
           R"({"metadata":{"name":"np","namespace":"default"},"spec":{"podSelector":{},
             "ingress":[{"ports":[{"port":80}]}]}})",
           {
               {"valid", "", {}},
               {"protocol",
                R"({"spec":{"ingress":[{"ports":[{"port":80,"protocol":"ICMP"}]}]}})",
                {{kNotSupported, "spec.ingress[0].ports[0].protocol"}}},
               {"peer",
                R"({"spec":{"ingress":[{"from":[{}]}]}})",
                {{kRequired, "spec.ingress[0].from[0]"}}},
           });
  RunCases(
      networking::v1::Ingress::descriptor(), true,
      R"({"metadata":{"name":"ing","namespace":"default"},"spec":{"rules":[{"host":"a.example.com",
             "http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web",
             "port":{"number":80}}}}]}}]}})",
      {
          {"valid", "", {}},
          {"nothing", R"({"spec":{"rules":null}})", {{kInvalid, "spec"}}},
          {"pathType",
           R"({"spec":{"rules":[{"http":{"paths":[{"path":"/","pathType":"Glob",
                 "backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})",
           {{kNotSupported, "spec.rules[0].http.paths[0].pathType"}}},
      });
  RunCases(discovery::v1::EndpointSlice::descriptor(), true,
           R"({"metadata":{"name":"web-abc","namespace":"default"},"addressType":"IPv4",
             "endpoints":[{"addresses":["10.0.0.1"]}],"ports":[{"name":"http","port":80}]})",
           {
               {"valid", "", {}},
               {"no addressType", R"({"addressType":null})", {{kRequired, "addressType"}}},
               {"bad address",
                R"({"endpoints":[{"addresses":["10.0.0.300"]}]})",
                {{kInvalid, "endpoints[0].addresses[0]"}}},
           });
  RunCases(storage::v1::StorageClass::descriptor(), false,
           R"({"metadata":{"name":"fast"},"provisioner":"example.com/fast"})",
           {
               {"valid", "", {}},
               {"no provisioner", R"({"provisioner":null})", {{kRequired, "provisioner"}}},
           });
  const char* crd = R"({"metadata":{"name":"widgets.example.com"},"spec":{"group":"example.com",
      "names":{"plural":"widgets","kind":"Widget"},"scope":"Namespaced",
      "versions":[{"name":"v1","served":true,"storage":true,
      "schema":{"openAPIV3Schema":{"type":"object"}}}]}})";
  RunCases(
      apiextensions::v1::CustomResourceDefinition::descriptor(), false, crd,
      {
          {"valid", "", {}},
          {"name", R"({"metadata":{"name":"gadgets.example.com"}})", {{kInvalid, "metadata.name"}}},
          {"scope", R"({"spec":{"scope":"Global"}})", {{kNotSupported, "spec.scope"}}},
          {"no storage version",
           R"({"spec":{"versions":[{"name":"v1","served":true,"storage":false,
       "schema":{"openAPIV3Schema":{"type":"object"}}}]}})",
           {{kInvalid, "spec.versions"}}},
      });
  RunUpdate(apiextensions::v1::CustomResourceDefinition::descriptor(), false, crd,
            R"({"spec":{"scope":"Cluster"}})", {{kInvalid, "spec.scope"}});
}

TEST(ValidatorsForTest, UnknownTypes) {
  // Types without ObjectMeta get no validators.
  EXPECT_FALSE(ValidatorsFor(core::v1::PodSpec::descriptor(), true).validate);
  EXPECT_FALSE(ValidatorsFor(nullptr, true).validate);
}

}  // namespace
}  // namespace rudder::api::validation
