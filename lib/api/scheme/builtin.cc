#include "lib/api/scheme/builtin.h"

#include <string>
#include <vector>

#include "lib/api/defaults/defaults.h"
#include "lib/api/proto/apiextensions/v1/apiextensions.pb.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/autoscaling/v2/autoscaling.pb.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/discovery/v1/discovery.pb.h"
#include "lib/api/proto/metrics/v1beta1/metrics.pb.h"
#include "lib/api/proto/networking/v1/networking.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/api/proto/rbac/v1/rbac.pb.h"
#include "lib/api/proto/scheduling/v1/scheduling.pb.h"
#include "lib/api/proto/storage/v1/storage.pb.h"
#include "lib/api/validation/kinds.h"
#include "lib/base/status_macros.h"

namespace rudder::api {
namespace {

enum Flags : unsigned {
  kCluster = 1,  // Cluster-scoped (default: namespaced).
  kStatus = 2,   // Has the status subresource.
  kScale = 4,    // Has the scale subresource.
  kAll = 8,      // In the "all" category (kubectl get all).
};

struct Entry {
  const char* group;
  const char* version;
  const char* kind;
  const char* plural;
  std::vector<std::string> short_names;
  unsigned flags;
  const google::protobuf::Descriptor* descriptor;
  std::vector<std::string> verbs;  // Empty: all eight.
};

std::vector<Entry> Entries() {
  namespace core = ::rudder::api::core::v1;
  namespace apps = ::rudder::api::apps::v1;
  const std::vector<std::string> kGetList = {"get", "list"};
  return {
      // Core group (v1).
      {"", "v1", "Pod", "pods", {"po"}, kStatus | kAll, core::Pod::descriptor(), {}},
      {"", "v1", "Node", "nodes", {"no"}, kCluster | kStatus, core::Node::descriptor(), {}},
      {"",
       "v1",
       "Namespace",
       "namespaces",
       {"ns"},
       kCluster | kStatus,
       core::Namespace::descriptor(),
       {"create", "delete", "get", "list", "patch", "update", "watch"}},
      {"",
       "v1",
       "Service",
       "services",
       {"svc"},
       kStatus | kAll,
       core::Service::descriptor(),
       {"create", "delete", "get", "list", "patch", "update", "watch"}},
      {"", "v1", "Endpoints", "endpoints", {"ep"}, 0, core::Endpoints::descriptor(), {}},
      {"", "v1", "ConfigMap", "configmaps", {"cm"}, 0, core::ConfigMap::descriptor(), {}},
      {"", "v1", "Secret", "secrets", {}, 0, core::Secret::descriptor(), {}},
      {"",
       "v1",
       "ServiceAccount",
       "serviceaccounts",
       {"sa"},
       0,
       core::ServiceAccount::descriptor(),
       {}},
      {"",
       "v1",
       "ReplicationController",
       "replicationcontrollers",
       {"rc"},
       kStatus | kScale | kAll,
       core::ReplicationController::descriptor(),
       {}},
      {"",
       "v1",
       "PersistentVolume",
       "persistentvolumes",
       {"pv"},
       kCluster | kStatus,
       core::PersistentVolume::descriptor(),
       {}},
      {"",
       "v1",
       "PersistentVolumeClaim",
       "persistentvolumeclaims",
       {"pvc"},
       kStatus,
       core::PersistentVolumeClaim::descriptor(),
       {}},
      {"", "v1", "LimitRange", "limitranges", {"limits"}, 0, core::LimitRange::descriptor(), {}},
      {"",
       "v1",
       "ResourceQuota",
       "resourcequotas",
       {"quota"},
       kStatus,
       core::ResourceQuota::descriptor(),
       {}},
      {"", "v1", "Event", "events", {"ev"}, 0, core::Event::descriptor(), {}},
      {"", "v1", "Binding", "bindings", {}, 0, core::Binding::descriptor(), {"create"}},
      // apps/v1.
      {"apps",
       "v1",
       "Deployment",
       "deployments",
       {"deploy"},
       kStatus | kScale | kAll,
       apps::Deployment::descriptor(),
       {}},
      {"apps",
       "v1",
       "ReplicaSet",
       "replicasets",
       {"rs"},
       kStatus | kScale | kAll,
       apps::ReplicaSet::descriptor(),
       {}},
      {"apps",
       "v1",
       "DaemonSet",
       "daemonsets",
       {"ds"},
       kStatus | kAll,
       apps::DaemonSet::descriptor(),
       {}},
      {"apps",
       "v1",
       "StatefulSet",
       "statefulsets",
       {"sts"},
       kStatus | kScale | kAll,
       apps::StatefulSet::descriptor(),
       {}},
      {"apps",
       "v1",
       "ControllerRevision",
       "controllerrevisions",
       {},
       0,
       apps::ControllerRevision::descriptor(),
       {}},
      // batch/v1.
      {"batch", "v1", "Job", "jobs", {}, kStatus | kAll, batch::v1::Job::descriptor(), {}},
      {"batch",
       "v1",
       "CronJob",
       "cronjobs",
       {"cj"},
       kStatus | kAll,
       batch::v1::CronJob::descriptor(),
       {}},
      // autoscaling/v2.
      {"autoscaling",
       "v2",
       "HorizontalPodAutoscaler",
       "horizontalpodautoscalers",
       {"hpa"},
       kStatus | kAll,
       autoscaling::v2::HorizontalPodAutoscaler::descriptor(),
       {}},
      // networking.k8s.io/v1.
      {"networking.k8s.io",
       "v1",
       "Ingress",
       "ingresses",
       {"ing"},
       kStatus,
       networking::v1::Ingress::descriptor(),
       {}},
      {"networking.k8s.io",
       "v1",
       "IngressClass",
       "ingressclasses",
       {},
       kCluster,
       networking::v1::IngressClass::descriptor(),
       {}},
      {"networking.k8s.io",
       "v1",
       "NetworkPolicy",
       "networkpolicies",
       {"netpol"},
       0,
       networking::v1::NetworkPolicy::descriptor(),
       {}},
      // rbac.authorization.k8s.io/v1.
      {"rbac.authorization.k8s.io", "v1", "Role", "roles", {}, 0, rbac::v1::Role::descriptor(), {}},
      {"rbac.authorization.k8s.io",
       "v1",
       "ClusterRole",
       "clusterroles",
       {},
       kCluster,
       rbac::v1::ClusterRole::descriptor(),
       {}},
      {"rbac.authorization.k8s.io",
       "v1",
       "RoleBinding",
       "rolebindings",
       {},
       0,
       rbac::v1::RoleBinding::descriptor(),
       {}},
      {"rbac.authorization.k8s.io",
       "v1",
       "ClusterRoleBinding",
       "clusterrolebindings",
       {},
       kCluster,
       rbac::v1::ClusterRoleBinding::descriptor(),
       {}},
      // storage.k8s.io/v1.
      {"storage.k8s.io",
       "v1",
       "StorageClass",
       "storageclasses",
       {"sc"},
       kCluster,
       storage::v1::StorageClass::descriptor(),
       {}},
      {"storage.k8s.io",
       "v1",
       "CSIDriver",
       "csidrivers",
       {},
       kCluster,
       storage::v1::CSIDriver::descriptor(),
       {}},
      {"storage.k8s.io",
       "v1",
       "CSINode",
       "csinodes",
       {},
       kCluster,
       storage::v1::CSINode::descriptor(),
       {}},
      // coordination.k8s.io/v1.
      {"coordination.k8s.io",
       "v1",
       "Lease",
       "leases",
       {},
       0,
       coordination::v1::Lease::descriptor(),
       {}},
      // discovery.k8s.io/v1.
      {"discovery.k8s.io",
       "v1",
       "EndpointSlice",
       "endpointslices",
       {},
       0,
       discovery::v1::EndpointSlice::descriptor(),
       {}},
      // policy/v1.
      {"policy",
       "v1",
       "PodDisruptionBudget",
       "poddisruptionbudgets",
       {"pdb"},
       kStatus,
       policy::v1::PodDisruptionBudget::descriptor(),
       {}},
      // scheduling.k8s.io/v1.
      {"scheduling.k8s.io",
       "v1",
       "PriorityClass",
       "priorityclasses",
       {"pc"},
       kCluster,
       scheduling::v1::PriorityClass::descriptor(),
       {}},
      // apiextensions.k8s.io/v1.
      {"apiextensions.k8s.io",
       "v1",
       "CustomResourceDefinition",
       "customresourcedefinitions",
       {"crd", "crds"},
       kCluster | kStatus,
       apiextensions::v1::CustomResourceDefinition::descriptor(),
       {}},
      // metrics.k8s.io/v1beta1 (read-only, served from the node agents' figures).
      {"metrics.k8s.io",
       "v1beta1",
       "NodeMetrics",
       "nodes",
       {},
       kCluster,
       metrics::v1beta1::NodeMetrics::descriptor(),
       kGetList},
      {"metrics.k8s.io",
       "v1beta1",
       "PodMetrics",
       "pods",
       {},
       0,
       metrics::v1beta1::PodMetrics::descriptor(),
       kGetList},
  };
}

}  // namespace

absl::Status RegisterBuiltinKinds(Scheme& scheme) {
  for (Entry& e : Entries()) {
    KindInfo k;
    k.gvk = {e.group, e.version, e.kind};
    k.plural = e.plural;
    k.short_names = std::move(e.short_names);
    k.namespaced = (e.flags & kCluster) == 0;
    k.has_status = (e.flags & kStatus) != 0;
    k.has_scale = (e.flags & kScale) != 0;
    if (e.flags & kAll) k.categories = {"all"};
    if (k.has_scale && std::string(e.kind) != "ReplicationController") {
      k.scale.label_selector_path = ".spec.selector";
    }
    k.verbs = std::move(e.verbs);
    k.descriptor = e.descriptor;
    // Kubernetes' defaulting and validation of the kind (lib/api/defaults, lib/api/validation).
    k.defaulter = defaults::DefaulterFor(e.descriptor);
    validation::ValidationFuncs v = validation::ValidatorsFor(e.descriptor, k.namespaced);
    k.validate = std::move(v.validate);
    k.validate_update = std::move(v.validate_update);
    RUDDER_RETURN_IF_ERROR(scheme.Register(std::move(k)));
  }
  return absl::OkStatus();
}

std::unique_ptr<Scheme> NewBuiltinScheme() {
  auto scheme = std::make_unique<Scheme>();
  absl::Status s = RegisterBuiltinKinds(*scheme);
  // The built-in table is fixed: registering it into an empty scheme cannot fail.
  if (!s.ok()) return nullptr;
  return scheme;
}

}  // namespace rudder::api
