// Defaults of every built-in kind except the pod parts (pod.cc), and the lookup by type.
#include "lib/api/defaults/defaults.h"

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "lib/api/defaults/internal/util.h"
#include "lib/api/proto/apiextensions/v1/apiextensions.pb.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/autoscaling/v2/autoscaling.pb.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/api/proto/discovery/v1/discovery.pb.h"
#include "lib/api/proto/networking/v1/networking.pb.h"
#include "lib/api/proto/rbac/v1/rbac.pb.h"
#include "lib/api/proto/scheduling/v1/scheduling.pb.h"
#include "lib/api/proto/storage/v1/storage.pb.h"

namespace rudder::api::defaults {
namespace {

namespace core = ::rudder::api::core::v1;
namespace apps = ::rudder::api::apps::v1;
namespace batch = ::rudder::api::batch::v1;
namespace hpa = ::rudder::api::autoscaling::v2;
using defaults_internal::IntValue;
using defaults_internal::StringValue;

// ---- core/v1 ----

void PodTemplate(core::PodTemplate* t) { SetPodTemplateSpecDefaults(t->mutable_template_()); }

void Service(core::Service* svc) {
  core::ServiceSpec* spec = svc->mutable_spec();
  if (spec->sessionaffinity().empty()) spec->set_sessionaffinity("None");
  if (spec->type().empty()) spec->set_type("ClusterIP");
  if (spec->sessionaffinity() == "ClientIP" &&
      !spec->sessionaffinityconfig().clientip().has_timeoutseconds()) {
    spec->mutable_sessionaffinityconfig()->mutable_clientip()->set_timeoutseconds(10800);
  }
  for (core::ServicePort& p : *spec->mutable_ports()) {
    if (p.protocol().empty()) p.set_protocol("TCP");
    const intstr::IntOrString& t = p.targetport();
    bool zero = !p.has_targetport() || (t.type() == 0 && t.intval() == 0) ||
                (t.type() == 1 && t.strval().empty());
    if (zero) *p.mutable_targetport() = IntValue(p.port());
  }
  const std::string& type = spec->type();
  if ((type == "NodePort" || type == "LoadBalancer") && spec->externaltrafficpolicy().empty()) {
    spec->set_externaltrafficpolicy("Cluster");
  }
  if (type != "ExternalName" && !spec->has_internaltrafficpolicy()) {
    spec->set_internaltrafficpolicy("Cluster");
  }
  if (type == "LoadBalancer" && !spec->has_allocateloadbalancernodeports()) {
    spec->set_allocateloadbalancernodeports(true);
  }
}

void ReplicationController(core::ReplicationController* rc) {
  core::ReplicationControllerSpec* spec = rc->mutable_spec();
  if (spec->has_template_()) {
    const auto& labels = spec->template_().metadata().labels();
    if (!labels.empty()) {
      if (spec->selector().empty()) *spec->mutable_selector() = labels;
      if (rc->metadata().labels().empty()) *rc->mutable_metadata()->mutable_labels() = labels;
    }
    SetPodTemplateSpecDefaults(spec->mutable_template_());
  }
  if (!spec->has_replicas()) spec->set_replicas(1);
}

void Namespace(core::Namespace* ns) {
  // Every namespace carries its own name as a label (Kubernetes 1.21+).
  if (!ns->metadata().name().empty()) {
    (*ns->mutable_metadata()->mutable_labels())["kubernetes.io/metadata.name"] =
        ns->metadata().name();
  }
  if (ns->spec().finalizers().empty()) ns->mutable_spec()->add_finalizers("kubernetes");
  if (ns->status().phase().empty()) ns->mutable_status()->set_phase("Active");
}

void Node(core::Node* node) {
  core::NodeStatus* st = node->mutable_status();
  if (st->allocatable().empty() && !st->capacity().empty()) {
    *st->mutable_allocatable() = st->capacity();
  }
}

void Endpoints(core::Endpoints* ep) {
  for (core::EndpointSubset& s : *ep->mutable_subsets()) {
    for (core::EndpointPort& p : *s.mutable_ports()) {
      if (p.protocol().empty()) p.set_protocol("TCP");
    }
  }
}

void Secret(core::Secret* s) {
  if (s->type().empty()) s->set_type("Opaque");
}

void PersistentVolumeClaimSpec(core::PersistentVolumeClaimSpec* spec) {
  if (!spec->has_volumemode()) spec->set_volumemode("Filesystem");
}

void PersistentVolumeClaim(core::PersistentVolumeClaim* pvc) {
  PersistentVolumeClaimSpec(pvc->mutable_spec());
  if (pvc->status().phase().empty()) pvc->mutable_status()->set_phase("Pending");
}

void PersistentVolume(core::PersistentVolume* pv) {
  core::PersistentVolumeSpec* spec = pv->mutable_spec();
  if (spec->persistentvolumereclaimpolicy().empty())
    spec->set_persistentvolumereclaimpolicy("Retain");
  if (!spec->has_volumemode()) spec->set_volumemode("Filesystem");
  if (pv->status().phase().empty()) pv->mutable_status()->set_phase("Pending");
}

void LimitRange(core::LimitRange* lr) {
  for (core::LimitRangeItem& item : *lr->mutable_spec()->mutable_limits()) {
    if (item.type() != "Container") continue;
    // Default limit from max; default request from the default limit, then from min.
    for (const auto& [k, q] : item.max()) {
      if (!item.default_().contains(k)) (*item.mutable_default_())[k] = q;
    }
    for (const auto& [k, q] : item.default_()) {
      if (!item.defaultrequest().contains(k)) (*item.mutable_defaultrequest())[k] = q;
    }
    for (const auto& [k, q] : item.min()) {
      if (!item.defaultrequest().contains(k)) (*item.mutable_defaultrequest())[k] = q;
    }
  }
}

// ---- apps/v1 ----

void Deployment(apps::Deployment* d) {
  apps::DeploymentSpec* spec = d->mutable_spec();
  if (!spec->has_replicas()) spec->set_replicas(1);
  apps::DeploymentStrategy* strategy = spec->mutable_strategy();
  if (strategy->type().empty()) strategy->set_type("RollingUpdate");
  if (strategy->type() == "RollingUpdate") {
    apps::RollingUpdateDeployment* ru = strategy->mutable_rollingupdate();
    if (!ru->has_maxunavailable()) *ru->mutable_maxunavailable() = StringValue("25%");
    if (!ru->has_maxsurge()) *ru->mutable_maxsurge() = StringValue("25%");
  }
  if (!spec->has_revisionhistorylimit()) spec->set_revisionhistorylimit(10);
  if (!spec->has_progressdeadlineseconds()) spec->set_progressdeadlineseconds(600);
  SetPodTemplateSpecDefaults(spec->mutable_template_());
}

void ReplicaSet(apps::ReplicaSet* rs) {
  if (!rs->spec().has_replicas()) rs->mutable_spec()->set_replicas(1);
  SetPodTemplateSpecDefaults(rs->mutable_spec()->mutable_template_());
}

void DaemonSet(apps::DaemonSet* ds) {
  apps::DaemonSetSpec* spec = ds->mutable_spec();
  apps::DaemonSetUpdateStrategy* s = spec->mutable_updatestrategy();
  if (s->type().empty()) s->set_type("RollingUpdate");
  if (s->type() == "RollingUpdate") {
    apps::RollingUpdateDaemonSet* ru = s->mutable_rollingupdate();
    if (!ru->has_maxunavailable()) *ru->mutable_maxunavailable() = IntValue(1);
    if (!ru->has_maxsurge()) *ru->mutable_maxsurge() = IntValue(0);
  }
  if (!spec->has_revisionhistorylimit()) spec->set_revisionhistorylimit(10);
  SetPodTemplateSpecDefaults(spec->mutable_template_());
}

void StatefulSet(apps::StatefulSet* sts) {
  apps::StatefulSetSpec* spec = sts->mutable_spec();
  if (spec->podmanagementpolicy().empty()) spec->set_podmanagementpolicy("OrderedReady");
  apps::StatefulSetUpdateStrategy* s = spec->mutable_updatestrategy();
  if (s->type().empty()) s->set_type("RollingUpdate");
  if (s->type() == "RollingUpdate" && !s->rollingupdate().has_partition()) {
    s->mutable_rollingupdate()->set_partition(0);
  }
  auto* retention = spec->mutable_persistentvolumeclaimretentionpolicy();
  if (retention->whendeleted().empty()) retention->set_whendeleted("Retain");
  if (retention->whenscaled().empty()) retention->set_whenscaled("Retain");
  if (!spec->has_replicas()) spec->set_replicas(1);
  if (!spec->has_revisionhistorylimit()) spec->set_revisionhistorylimit(10);
  for (core::PersistentVolumeClaim& pvc : *spec->mutable_volumeclaimtemplates()) {
    PersistentVolumeClaim(&pvc);
  }
  SetPodTemplateSpecDefaults(spec->mutable_template_());
}

// ---- batch/v1 ----

void JobSpec(batch::JobSpec* spec) {
  if (!spec->has_completions() && !spec->has_parallelism()) {
    spec->set_completions(1);
    spec->set_parallelism(1);
  }
  if (!spec->has_parallelism()) spec->set_parallelism(1);
  if (!spec->has_backofflimit()) {
    spec->set_backofflimit(spec->has_backofflimitperindex() ? 2147483647 : 6);
  }
  if (!spec->has_completionmode()) spec->set_completionmode("NonIndexed");
  if (!spec->has_suspend()) spec->set_suspend(false);
  if (spec->has_podfailurepolicy()) {
    for (batch::PodFailurePolicyRule& r : *spec->mutable_podfailurepolicy()->mutable_rules()) {
      for (batch::PodFailurePolicyOnPodConditionsPattern& p : *r.mutable_onpodconditions()) {
        if (p.status().empty()) p.set_status("True");
      }
    }
  }
  if (!spec->has_podreplacementpolicy()) {
    spec->set_podreplacementpolicy(spec->has_podfailurepolicy() ? "Failed" : "TerminatingOrFailed");
  }
  SetPodTemplateSpecDefaults(spec->mutable_template_());
}

void Job(batch::Job* job) {
  JobSpec(job->mutable_spec());
  const auto& labels = job->spec().template_().metadata().labels();
  if (!labels.empty() && job->metadata().labels().empty()) {
    *job->mutable_metadata()->mutable_labels() = labels;
  }
}

void CronJob(batch::CronJob* cj) {
  batch::CronJobSpec* spec = cj->mutable_spec();
  if (spec->concurrencypolicy().empty()) spec->set_concurrencypolicy("Allow");
  if (!spec->has_suspend()) spec->set_suspend(false);
  if (!spec->has_successfuljobshistorylimit()) spec->set_successfuljobshistorylimit(3);
  if (!spec->has_failedjobshistorylimit()) spec->set_failedjobshistorylimit(1);
  SetPodTemplateSpecDefaults(spec->mutable_jobtemplate()->mutable_spec()->mutable_template_());
}

// ---- autoscaling/v2 ----

void AddPolicy(hpa::HPAScalingRules* r, const char* type, int value, int period) {
  hpa::HPAScalingPolicy* p = r->add_policies();
  p->set_type(type);
  p->set_value(value);
  p->set_periodseconds(period);
}

void HorizontalPodAutoscaler(hpa::HorizontalPodAutoscaler* h) {
  hpa::HorizontalPodAutoscalerSpec* spec = h->mutable_spec();
  if (!spec->has_minreplicas()) spec->set_minreplicas(1);
  if (spec->metrics().empty()) {
    hpa::MetricSpec* m = spec->add_metrics();
    m->set_type("Resource");
    m->mutable_resource()->set_name("cpu");
    m->mutable_resource()->mutable_target()->set_type("Utilization");
    m->mutable_resource()->mutable_target()->set_averageutilization(80);
  }
  // Behaviour is filled in only when given (nil behaviour means these same rules).
  if (!spec->has_behavior()) return;
  hpa::HPAScalingRules* up = spec->mutable_behavior()->mutable_scaleup();
  if (!up->has_stabilizationwindowseconds()) up->set_stabilizationwindowseconds(0);
  if (!up->has_selectpolicy()) up->set_selectpolicy("Max");
  if (up->policies().empty()) {
    AddPolicy(up, "Pods", 4, 15);
    AddPolicy(up, "Percent", 100, 15);
  }
  hpa::HPAScalingRules* down = spec->mutable_behavior()->mutable_scaledown();
  // The scale-down window stays unset: the controller's --horizontal-pod-autoscaler-
  // downscale-stabilization flag (300s) applies.
  if (!down->has_selectpolicy()) down->set_selectpolicy("Max");
  if (down->policies().empty()) AddPolicy(down, "Percent", 100, 15);
}

// ---- other groups ----

void NetworkPolicy(networking::v1::NetworkPolicy* np) {
  networking::v1::NetworkPolicySpec* spec = np->mutable_spec();
  for (auto& rule : *spec->mutable_ingress()) {
    for (auto& p : *rule.mutable_ports()) {
      if (!p.has_protocol()) p.set_protocol("TCP");
    }
  }
  for (auto& rule : *spec->mutable_egress()) {
    for (auto& p : *rule.mutable_ports()) {
      if (!p.has_protocol()) p.set_protocol("TCP");
    }
  }
  if (spec->policytypes().empty()) {
    spec->add_policytypes("Ingress");
    if (!spec->egress().empty()) spec->add_policytypes("Egress");
  }
}

template <typename B>
void RoleBindingLike(B* b) {
  if (b->roleref().apigroup().empty()) {
    b->mutable_roleref()->set_apigroup("rbac.authorization.k8s.io");
  }
  for (rbac::v1::Subject& s : *b->mutable_subjects()) {
    if (s.apigroup().empty() && (s.kind() == "User" || s.kind() == "Group")) {
      s.set_apigroup("rbac.authorization.k8s.io");
    }
  }
}

void StorageClass(storage::v1::StorageClass* sc) {
  if (!sc->has_reclaimpolicy()) sc->set_reclaimpolicy("Delete");
  if (!sc->has_volumebindingmode()) sc->set_volumebindingmode("Immediate");
}

void CSIDriver(storage::v1::CSIDriver* d) {
  storage::v1::CSIDriverSpec* spec = d->mutable_spec();
  if (!spec->has_attachrequired()) spec->set_attachrequired(true);
  if (!spec->has_podinfoonmount()) spec->set_podinfoonmount(false);
  if (!spec->has_storagecapacity()) spec->set_storagecapacity(false);
  if (!spec->has_fsgrouppolicy()) spec->set_fsgrouppolicy("ReadWriteOnceWithFSType");
  if (spec->volumelifecyclemodes().empty()) spec->add_volumelifecyclemodes("Persistent");
  if (!spec->has_requiresrepublish()) spec->set_requiresrepublish(false);
  if (!spec->has_selinuxmount()) spec->set_selinuxmount(false);
}

void EndpointSlice(discovery::v1::EndpointSlice* s) {
  for (auto& p : *s->mutable_ports()) {
    if (!p.has_name()) p.set_name("");
    if (!p.has_protocol()) p.set_protocol("TCP");
  }
}

void PriorityClass(scheduling::v1::PriorityClass* pc) {
  if (!pc->has_preemptionpolicy()) pc->set_preemptionpolicy("PreemptLowerPriority");
}

void CustomResourceDefinition(apiextensions::v1::CustomResourceDefinition* crd) {
  auto* spec = crd->mutable_spec();
  if (!spec->has_conversion()) spec->mutable_conversion()->set_strategy("None");
  if (spec->conversion().strategy().empty()) spec->mutable_conversion()->set_strategy("None");
  auto* names = spec->mutable_names();
  if (names->singular().empty() && !names->kind().empty()) {
    names->set_singular(absl::AsciiStrToLower(names->kind()));
  }
  if (names->listkind().empty() && !names->kind().empty())
    names->set_listkind(names->kind() + "List");
}

using Defaulter = std::function<void(google::protobuf::Message*)>;

template <typename M>
std::pair<std::string, Defaulter> Entry(void (*fn)(M*)) {
  return {M::descriptor()->full_name(),
          [fn](google::protobuf::Message* m) { fn(static_cast<M*>(m)); }};
}

const absl::flat_hash_map<std::string, Defaulter>& Registry() {
  static const auto* registry = new absl::flat_hash_map<std::string, Defaulter>{
      Entry(&SetPodDefaults),
      Entry(&PodTemplate),
      Entry(&Service),
      Entry(&ReplicationController),
      Entry(&Namespace),
      Entry(&Node),
      Entry(&Endpoints),
      Entry(&Secret),
      Entry(&PersistentVolumeClaim),
      Entry(&PersistentVolume),
      Entry(&LimitRange),
      Entry(&Deployment),
      Entry(&ReplicaSet),
      Entry(&DaemonSet),
      Entry(&StatefulSet),
      Entry(&Job),
      Entry(&CronJob),
      Entry(&HorizontalPodAutoscaler),
      Entry(&NetworkPolicy),
      Entry(&RoleBindingLike<rbac::v1::RoleBinding>),
      Entry(&RoleBindingLike<rbac::v1::ClusterRoleBinding>),
      Entry(&StorageClass),
      Entry(&CSIDriver),
      Entry(&EndpointSlice),
      Entry(&PriorityClass),
      Entry(&CustomResourceDefinition),
  };
  return *registry;
}

}  // namespace

std::function<void(google::protobuf::Message*)> DefaulterFor(std::string_view full_name) {
  auto it = Registry().find(absl::string_view(full_name.data(), full_name.size()));
  if (it == Registry().end()) return nullptr;
  return it->second;
}

std::function<void(google::protobuf::Message*)> DefaulterFor(
    const google::protobuf::Descriptor* descriptor) {
  if (descriptor == nullptr) return nullptr;
  return DefaulterFor(descriptor->full_name());
}

void SetDefaults(google::protobuf::Message* obj) {
  auto it = Registry().find(obj->GetDescriptor()->full_name());
  if (it != Registry().end()) it->second(obj);
}

}  // namespace rudder::api::defaults
