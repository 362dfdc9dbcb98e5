// Workloads: apps/v1, ReplicationController, batch/v1, autoscaling/v2, policy/v1.
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/autoscaling/v2/autoscaling.pb.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/api/validation/internal/common.h"
#include "lib/api/validation/internal/kinds_internal.h"
#include "lib/api/validation/kinds.h"
#include "lib/api/validation/names.h"

namespace rudder::api::validation_internal {
namespace {

namespace core = ::rudder::api::core::v1;
namespace apps = ::rudder::api::apps::v1;
namespace batch = ::rudder::api::batch::v1;
namespace hpa = ::rudder::api::autoscaling::v2;
using field::Forbidden;
using field::Invalid;
using field::Quote;
using field::Required;
using google::protobuf::util::MessageDifferencer;

const std::vector<std::string> kAlways = {"Always"};

void NoActiveDeadline(const core::PodTemplateSpec& t, std::string_view kind, const Path& p,
                      FieldErrors* errs) {
  if (t.spec().has_activedeadlineseconds()) {
    errs->Add(Forbidden(p.Child("spec").Child("activeDeadlineSeconds"),
                        absl::StrCat("activeDeadlineSeconds in ", Av(kind), " is not Supported")));
  }
}

void SelectorImmutable(const meta::v1::LabelSelector& s, const meta::v1::LabelSelector& old,
                       FieldErrors* errs) {
  if (!MessageDifferencer::Equals(s, old)) {
    errs->Add(Invalid(Path("spec").Child("selector"), SelectorString(s), kImmutable));
  }
}

void RollingUpdate(const intstr::IntOrString& max_unavailable, const intstr::IntOrString& max_surge,
                   const Path& p, FieldErrors* errs) {
  IntOrPercent(max_unavailable, p.Child("maxUnavailable"), errs, true);
  IntOrPercent(max_surge, p.Child("maxSurge"), errs);
  if (IntOrPercentValue(max_unavailable) == 0 && IntOrPercentValue(max_surge) == 0) {
    errs->Add(Invalid(p.Child("maxUnavailable"), RenderIntOrString(max_unavailable),
                      "may not be 0 when `maxSurge` is 0"));
  }
}

// ---- Deployment ----

FieldErrors ValidateDeployment(const apps::Deployment& d) {
  FieldErrors errs;
  Path spec("spec");
  const apps::DeploymentSpec& s = d.spec();
  NonNegative(s.replicas(), spec.Child("replicas"), &errs);
  WorkloadSelector(s.has_selector(), s.selector(), "deployment", spec.Child("selector"), &errs);
  ControllerTemplate(s.template_(), s.has_selector() ? &s.selector() : nullptr, kAlways,
                     spec.Child("template"), &errs);
  NoActiveDeadline(s.template_(), "ReplicaSet", spec.Child("template"), &errs);
  const apps::DeploymentStrategy& st = s.strategy();
  Path sp = spec.Child("strategy");
  if (st.type() == "Recreate") {
    if (st.has_rollingupdate()) {
      errs.Add(Forbidden(sp.Child("rollingUpdate"),
                         "may not be specified when strategy `type` is 'Recreate'"));
    }
  } else if (st.type() == "RollingUpdate") {
    if (!st.has_rollingupdate()) {
      errs.Add(Required(sp.Child("rollingUpdate"), "this should be defaulted and never be nil"));
    } else {
      RollingUpdate(st.rollingupdate().maxunavailable(), st.rollingupdate().maxsurge(),
                    sp.Child("rollingUpdate"), &errs);
    }
  } else {
    Enum(st.type(), {"Recreate", "RollingUpdate"}, sp.Child("type"), &errs);
  }
  NonNegative(s.minreadyseconds(), spec.Child("minReadySeconds"), &errs);
  if (s.has_revisionhistorylimit()) {
    NonNegative(s.revisionhistorylimit(), spec.Child("revisionHistoryLimit"), &errs);
  }
  if (s.has_progressdeadlineseconds()) {
    NonNegative(s.progressdeadlineseconds(), spec.Child("progressDeadlineSeconds"), &errs);
    if (s.progressdeadlineseconds() <= s.minreadyseconds()) {
      errs.Add(Invalid(spec.Child("progressDeadlineSeconds"),
                       absl::StrCat(s.progressdeadlineseconds()),
                       "must be greater than minReadySeconds"));
    }
  }
  return errs;
}

FieldErrors ValidateDeploymentUpdate(const apps::Deployment& d, const apps::Deployment& old) {
  FieldErrors errs;
  SelectorImmutable(d.spec().selector(), old.spec().selector(), &errs);
  return errs;
}

// ---- ReplicaSet, ReplicationController ----

FieldErrors ValidateReplicaSet(const apps::ReplicaSet& rs) {
  FieldErrors errs;
  Path spec("spec");
  const apps::ReplicaSetSpec& s = rs.spec();
  NonNegative(s.replicas(), spec.Child("replicas"), &errs);
  NonNegative(s.minreadyseconds(), spec.Child("minReadySeconds"), &errs);
  WorkloadSelector(s.has_selector(), s.selector(), "deployment", spec.Child("selector"), &errs);
  ControllerTemplate(s.template_(), s.has_selector() ? &s.selector() : nullptr, kAlways,
                     spec.Child("template"), &errs);
  NoActiveDeadline(s.template_(), "ReplicaSet", spec.Child("template"), &errs);
  return errs;
}

FieldErrors ValidateReplicaSetUpdate(const apps::ReplicaSet& rs, const apps::ReplicaSet& old) {
  FieldErrors errs;
  SelectorImmutable(rs.spec().selector(), old.spec().selector(), &errs);
  return errs;
}

FieldErrors ValidateReplicationController(const core::ReplicationController& rc) {
  FieldErrors errs;
  Path spec("spec");
  const core::ReplicationControllerSpec& s = rc.spec();
  NonNegative(s.replicas(), spec.Child("replicas"), &errs);
  NonNegative(s.minreadyseconds(), spec.Child("minReadySeconds"), &errs);
  if (s.selector().empty()) {
    errs.Add(Required(spec.Child("selector"), ""));
  } else {
    errs.Append(validation::ValidateLabels(s.selector(), spec.Child("selector")));
  }
  if (!s.has_template_()) {
    errs.Add(Required(spec.Child("template"), ""));
    return errs;
  }
  meta::v1::LabelSelector sel;
  *sel.mutable_matchlabels() = s.selector();
  ControllerTemplate(s.template_(), &sel, kAlways, spec.Child("template"), &errs);
  NoActiveDeadline(s.template_(), "ReplicationController", spec.Child("template"), &errs);
  return errs;
}

// ---- DaemonSet ----

FieldErrors ValidateDaemonSet(const apps::DaemonSet& ds) {
  FieldErrors errs;
  Path spec("spec");
  const apps::DaemonSetSpec& s = ds.spec();
  WorkloadSelector(s.has_selector(), s.selector(), "daemonset", spec.Child("selector"), &errs);
  ControllerTemplate(s.template_(), s.has_selector() ? &s.selector() : nullptr, kAlways,
                     spec.Child("template"), &errs);
  NoActiveDeadline(s.template_(), "DaemonSet", spec.Child("template"), &errs);
  NonNegative(s.minreadyseconds(), spec.Child("minReadySeconds"), &errs);
  if (s.has_revisionhistorylimit()) {
    NonNegative(s.revisionhistorylimit(), spec.Child("revisionHistoryLimit"), &errs);
  }
  Path up = spec.Child("updateStrategy");
  const apps::DaemonSetUpdateStrategy& st = s.updatestrategy();
  Enum(st.type(), {"OnDelete", "RollingUpdate"}, up.Child("type"), &errs);
  if (st.type() == "RollingUpdate") {
    if (!st.has_rollingupdate()) {
      errs.Add(Required(up.Child("rollingUpdate"), ""));
    } else {
      RollingUpdate(st.rollingupdate().maxunavailable(), st.rollingupdate().maxsurge(),
                    up.Child("rollingUpdate"), &errs);
    }
  }
  return errs;
}

FieldErrors ValidateDaemonSetUpdate(const apps::DaemonSet& ds, const apps::DaemonSet& old) {
  FieldErrors errs;
  SelectorImmutable(ds.spec().selector(), old.spec().selector(), &errs);
  return errs;
}

// ---- StatefulSet ----

FieldErrors ValidateStatefulSet(const apps::StatefulSet& sts) {
  FieldErrors errs;
  Path spec("spec");
  const apps::StatefulSetSpec& s = sts.spec();
  const std::string& pmp = s.podmanagementpolicy();
  if (pmp.empty()) {
    errs.Add(Required(spec.Child("podManagementPolicy"), ""));
  } else if (pmp != "OrderedReady" && pmp != "Parallel") {
    errs.Add(Invalid(spec.Child("podManagementPolicy"), Quote(pmp),
                     "must be 'OrderedReady' or 'Parallel'"));
  }
  Path up = spec.Child("updateStrategy");
  Enum(s.updatestrategy().type(), {"OnDelete", "RollingUpdate"}, up.Child("type"), &errs);
  if (s.updatestrategy().type() == "OnDelete" && s.updatestrategy().has_rollingupdate()) {
    errs.Add(
        Invalid(up.Child("rollingUpdate"), "", "only allowed for updateStrategy 'RollingUpdate'"));
  }
  if (s.updatestrategy().rollingupdate().has_partition()) {
    NonNegative(s.updatestrategy().rollingupdate().partition(),
                up.Child("rollingUpdate").Child("partition"), &errs);
  }
  Enum(s.persistentvolumeclaimretentionpolicy().whendeleted(), {"Retain", "Delete"},
       spec.Child("persistentVolumeClaimRetentionPolicy").Child("whenDeleted"), &errs, false);
  Enum(s.persistentvolumeclaimretentionpolicy().whenscaled(), {"Retain", "Delete"},
       spec.Child("persistentVolumeClaimRetentionPolicy").Child("whenScaled"), &errs, false);
  NonNegative(s.replicas(), spec.Child("replicas"), &errs);
  NonNegative(s.minreadyseconds(), spec.Child("minReadySeconds"), &errs);
  if (s.has_ordinals())
    NonNegative(s.ordinals().start(), spec.Child("ordinals").Child("start"), &errs);
  WorkloadSelector(s.has_selector(), s.selector(), "statefulset", spec.Child("selector"), &errs);
  ControllerTemplate(s.template_(), s.has_selector() ? &s.selector() : nullptr, kAlways,
                     spec.Child("template"), &errs);
  NoActiveDeadline(s.template_(), "StatefulSet", spec.Child("template"), &errs);
  for (int i = 0; i < s.volumeclaimtemplates_size(); ++i) {
    Path p = spec.Child("volumeClaimTemplates").Index(i);
    errs.Append(
        ValidatePersistentVolumeClaimSpecAt(s.volumeclaimtemplates(i).spec(), p.Child("spec")));
  }
  return errs;
}

FieldErrors ValidateStatefulSetUpdate(const apps::StatefulSet& sts, const apps::StatefulSet& old) {
  FieldErrors errs;
  apps::StatefulSetSpec a = sts.spec(), b = old.spec();
  for (apps::StatefulSetSpec* s : {&a, &b}) {
    s->clear_replicas();
    s->clear_ordinals();
    s->clear_template_();
    s->clear_updatestrategy();
    s->clear_persistentvolumeclaimretentionpolicy();
    s->clear_minreadyseconds();
    s->clear_revisionhistorylimit();
  }
  if (!MessageDifferencer::Equals(a, b)) {
    errs.Add(Forbidden(Path("spec"),
                       "updates to statefulset spec for fields other than 'replicas', "
                       "'ordinals', 'template', 'updateStrategy', "
                       "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
                       "forbidden"));
  }
  return errs;
}

// ---- Job, CronJob ----

FieldErrors ValidateJobSpec(const batch::JobSpec& s, const Path& spec, bool from_cronjob) {
  FieldErrors errs;
  if (s.has_parallelism()) NonNegative(s.parallelism(), spec.Child("parallelism"), &errs);
  if (s.has_completions()) NonNegative(s.completions(), spec.Child("completions"), &errs);
  if (s.has_activedeadlineseconds()) {
    NonNegative(s.activedeadlineseconds(), spec.Child("activeDeadlineSeconds"), &errs);
  }
  if (s.has_backofflimit()) NonNegative(s.backofflimit(), spec.Child("backoffLimit"), &errs);
  if (s.has_ttlsecondsafterfinished()) {
    NonNegative(s.ttlsecondsafterfinished(), spec.Child("ttlSecondsAfterFinished"), &errs);
  }
  Enum(s.completionmode(), {"NonIndexed", "Indexed"}, spec.Child("completionMode"), &errs, false);
  if (s.completionmode() == "Indexed" && !s.has_completions()) {
    errs.Add(Required(spec.Child("completions"), "when completion mode is Indexed"));
  }
  Enum(s.podreplacementpolicy(), {"TerminatingOrFailed", "Failed"},
       spec.Child("podReplacementPolicy"), &errs, false);
  if (s.manualselector() && !s.has_selector() && !from_cronjob) {
    errs.Add(Required(spec.Child("selector"), ""));
  }
  if (s.has_selector()) {
    errs.Append(validation::ValidateLabelSelector(s.selector(), spec.Child("selector")));
  }
  ControllerTemplate(s.template_(), s.has_selector() ? &s.selector() : nullptr,
                     {"OnFailure", "Never"}, spec.Child("template"), &errs);
  return errs;
}

FieldErrors ValidateJob(const batch::Job& job) {
  return ValidateJobSpec(job.spec(), Path("spec"), false);
}

FieldErrors ValidateJobUpdate(const batch::Job& job, const batch::Job& old) {
  FieldErrors errs;
  Path spec("spec");
  if (old.spec().has_selector() || job.spec().has_selector()) {
    SelectorImmutable(job.spec().selector(), old.spec().selector(), &errs);
  }
  Immutable(job.spec().completionmode(), old.spec().completionmode(), spec.Child("completionMode"),
            &errs);
  if (job.spec().completions() != old.spec().completions() &&
      job.spec().completionmode() != "Indexed") {
    errs.Add(
        Invalid(spec.Child("completions"), absl::StrCat(job.spec().completions()), kImmutable));
  }
  // The pod template may change only while the job is suspended.
  if (!(job.spec().suspend() && old.spec().suspend()) &&
      !MessageDifferencer::Equals(job.spec().template_(), old.spec().template_())) {
    errs.Add(Invalid(spec.Child("template"), "", kImmutable));
  }
  return errs;
}

// A cron schedule: five fields, or a macro (@hourly, ...). Fields are checked for their
// characters and ranges only.
bool ValidSchedule(std::string_view s) {
  static const char* const kMacros[] = {"@yearly", "@annually", "@monthly", "@weekly",
                                        "@daily",  "@midnight", "@hourly"};
  for (const char* m : kMacros) {
    if (s == m) return true;
  }
  if (s.starts_with("@every ")) return true;
  std::vector<absl::string_view> fields = absl::StrSplit(Av(s), ' ', absl::SkipEmpty());
  if (fields.size() != 5) return false;
  for (absl::string_view f : fields) {
    for (char c : f) {
      if (!(absl::ascii_isalnum(c) || c == '*' || c == '/' || c == ',' || c == '-' || c == '?')) {
        return false;
      }
    }
  }
  return true;
}

FieldErrors ValidateCronJob(const batch::CronJob& cj) {
  FieldErrors errs;
  Path spec("spec");
  const batch::CronJobSpec& s = cj.spec();
  if (cj.metadata().name().size() > 52) {
    errs.Add(Invalid(Path("metadata").Child("name"), Quote(cj.metadata().name()),
                     "must be no more than 52 characters"));
  }
  if (s.schedule().empty()) {
    errs.Add(Required(spec.Child("schedule"), ""));
  } else if (!ValidSchedule(s.schedule())) {
    errs.Add(Invalid(spec.Child("schedule"), Quote(s.schedule()), "invalid schedule format"));
  } else if (absl::StrContains(s.schedule(), "TZ")) {
    errs.Add(Invalid(spec.Child("schedule"), Quote(s.schedule()),
                     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  }
  Enum(s.concurrencypolicy(), {"Allow", "Forbid", "Replace"}, spec.Child("concurrencyPolicy"),
       &errs);
  if (s.has_startingdeadlineseconds()) {
    NonNegative(s.startingdeadlineseconds(), spec.Child("startingDeadlineSeconds"), &errs);
  }
  if (s.has_successfuljobshistorylimit()) {
    NonNegative(s.successfuljobshistorylimit(), spec.Child("successfulJobsHistoryLimit"), &errs);
  }
  if (s.has_failedjobshistorylimit()) {
    NonNegative(s.failedjobshistorylimit(), spec.Child("failedJobsHistoryLimit"), &errs);
  }
  Path jt = spec.Child("jobTemplate");
  errs.Append(validation::ValidateLabels(s.jobtemplate().metadata().labels(),
                                         jt.Child("metadata").Child("labels")));
  errs.Append(ValidateJobSpec(s.jobtemplate().spec(), jt.Child("spec"), true));
  return errs;
}

// ---- HorizontalPodAutoscaler ----

void MetricTarget(const hpa::MetricTarget& t, const Path& p, FieldErrors* errs) {
  Enum(t.type(), {"AverageValue", "Utilization", "Value"}, p.Child("type"), errs);
  if (t.has_averageutilization() && t.averageutilization() < 1) {
    errs->Add(Invalid(p.Child("averageUtilization"), absl::StrCat(t.averageutilization()),
                      "must be greater than 0"));
  }
  if (t.type() == "Utilization" && !t.has_averageutilization()) {
    errs->Add(Required(p.Child("averageUtilization"),
                       "must set averageUtilization when target type is Utilization"));
  }
  if (t.type() == "Value" && !t.has_value()) {
    errs->Add(Required(p.Child("value"), "must set value when target type is Value"));
  }
  if (t.type() == "AverageValue" && !t.has_averagevalue()) {
    errs->Add(Required(p.Child("averageValue"),
                       "must set averageValue when target type is AverageValue"));
  }
}

void ScalingRules(const hpa::HPAScalingRules& r, const Path& p, FieldErrors* errs) {
  if (r.has_stabilizationwindowseconds() &&
      (r.stabilizationwindowseconds() < 0 || r.stabilizationwindowseconds() > 3600)) {
    errs->Add(Invalid(p.Child("stabilizationWindowSeconds"),
                      absl::StrCat(r.stabilizationwindowseconds()),
                      "must be less than or equal to 3600"));
  }
  Enum(r.selectpolicy(), {"Disabled", "Max", "Min"}, p.Child("selectPolicy"), errs, false);
  if (r.policies().empty() && r.selectpolicy() != "Disabled") {
    errs->Add(Required(p.Child("policies"), "must specify at least one Policy"));
  }
  for (int i = 0; i < r.policies_size(); ++i) {
    const hpa::HPAScalingPolicy& pol = r.policies(i);
    Path pp = p.Child("policies").Index(i);
    Enum(pol.type(), {"Percent", "Pods"}, pp.Child("type"), errs);
    if (pol.value() <= 0) {
      errs->Add(Invalid(pp.Child("value"), absl::StrCat(pol.value()), "must be greater than zero"));
    }
    if (pol.periodseconds() <= 0 || pol.periodseconds() > 1800) {
      errs->Add(Invalid(pp.Child("periodSeconds"), absl::StrCat(pol.periodseconds()),
                        pol.periodseconds() <= 0 ? "must be greater than zero"
                                                 : "must be less than or equal to 1800"));
    }
  }
}

FieldErrors ValidateHpa(const hpa::HorizontalPodAutoscaler& h) {
  FieldErrors errs;
  Path spec("spec");
  const hpa::HorizontalPodAutoscalerSpec& s = h.spec();
  Path ref = spec.Child("scaleTargetRef");
  if (s.scaletargetref().kind().empty()) {
    errs.Add(Required(ref.Child("kind"), ""));
  } else {
    for (const std::string& m : validation::NameIsPathSegment(s.scaletargetref().kind(), false)) {
      errs.Add(Invalid(ref.Child("kind"), Quote(s.scaletargetref().kind()), m));
    }
  }
  if (s.scaletargetref().name().empty()) {
    errs.Add(Required(ref.Child("name"), ""));
  } else {
    for (const std::string& m : validation::NameIsPathSegment(s.scaletargetref().name(), false)) {
      errs.Add(Invalid(ref.Child("name"), Quote(s.scaletargetref().name()), m));
    }
  }
  if (s.has_minreplicas() && s.minreplicas() < 1) {
    errs.Add(Invalid(spec.Child("minReplicas"), absl::StrCat(s.minreplicas()),
                     "must be greater than or equal to 1"));
  }
  if (s.maxreplicas() < 1) {
    errs.Add(Invalid(spec.Child("maxReplicas"), absl::StrCat(s.maxreplicas()),
                     "must be greater than 0"));
  }
  if (s.has_minreplicas() && s.maxreplicas() < s.minreplicas()) {
    errs.Add(Invalid(spec.Child("maxReplicas"), absl::StrCat(s.maxreplicas()),
                     "must be greater than or equal to `minReplicas`"));
  }
  for (int i = 0; i < s.metrics_size(); ++i) {
    const hpa::MetricSpec& m = s.metrics(i);
    Path mp = spec.Child("metrics").Index(i);
    Enum(m.type(), {"ContainerResource", "External", "Object", "Pods", "Resource"},
         mp.Child("type"), &errs);
    const std::string& t = m.type();
    auto need = [&](bool has, const char* name) {
      if (!has)
        errs.Add(Required(mp.Child(name), "must populate information for the given metric source"));
    };
    if (t == "Resource") {
      need(m.has_resource(), "resource");
      if (m.has_resource()) {
        if (m.resource().name().empty()) errs.Add(Required(mp.Child("resource").Child("name"), ""));
        MetricTarget(m.resource().target(), mp.Child("resource").Child("target"), &errs);
      }
    } else if (t == "ContainerResource") {
      need(m.has_containerresource(), "containerResource");
      if (m.has_containerresource()) {
        if (m.containerresource().container().empty()) {
          errs.Add(Required(mp.Child("containerResource").Child("container"), ""));
        }
        MetricTarget(m.containerresource().target(), mp.Child("containerResource").Child("target"),
                     &errs);
      }
    } else if (t == "Pods") {
      need(m.has_pods(), "pods");
      if (m.has_pods()) MetricTarget(m.pods().target(), mp.Child("pods").Child("target"), &errs);
    } else if (t == "Object") {
      need(m.has_object(), "object");
      if (m.has_object())
        MetricTarget(m.object().target(), mp.Child("object").Child("target"), &errs);
    } else if (t == "External") {
      need(m.has_external(), "external");
      if (m.has_external())
        MetricTarget(m.external().target(), mp.Child("external").Child("target"), &errs);
    }
  }
  if (s.has_behavior()) {
    Path bp = spec.Child("behavior");
    if (s.behavior().has_scaleup())
      ScalingRules(s.behavior().scaleup(), bp.Child("scaleUp"), &errs);
    if (s.behavior().has_scaledown()) {
      ScalingRules(s.behavior().scaledown(), bp.Child("scaleDown"), &errs);
    }
  }
  return errs;
}

// ---- PodDisruptionBudget, ControllerRevision ----

FieldErrors ValidatePdb(const policy::v1::PodDisruptionBudget& pdb) {
  FieldErrors errs;
  Path spec("spec");
  const policy::v1::PodDisruptionBudgetSpec& s = pdb.spec();
  if (s.has_minavailable() && s.has_maxunavailable()) {
    errs.Add(Invalid(spec, "", "minAvailable and maxUnavailable cannot be both set"));
  }
  if (s.has_minavailable()) IntOrPercent(s.minavailable(), spec.Child("minAvailable"), &errs, true);
  if (s.has_maxunavailable()) {
    IntOrPercent(s.maxunavailable(), spec.Child("maxUnavailable"), &errs, true);
  }
  if (s.has_selector())
    errs.Append(validation::ValidateLabelSelector(s.selector(), spec.Child("selector")));
  Enum(s.unhealthypodevictionpolicy(), {"AlwaysAllow", "IfHealthyBudget"},
       spec.Child("unhealthyPodEvictionPolicy"), &errs, false);
  return errs;
}

FieldErrors ValidateControllerRevision(const apps::ControllerRevision& r) {
  FieldErrors errs;
  if (!r.has_data()) errs.Add(Required(Path("data"), "data is mandatory"));
  NonNegative(r.revision(), Path("revision"), &errs);
  return errs;
}

FieldErrors ValidateControllerRevisionUpdate(const apps::ControllerRevision& r,
                                             const apps::ControllerRevision& old) {
  FieldErrors errs;
  if (!MessageDifferencer::Equals(r.data(), old.data()))
    errs.Add(Invalid(Path("data"), "", kImmutable));
  return errs;
}

}  // namespace

void AddWorkloadRules(KindRulesList* out) {
  using validation::NameIsDNSSubdomain;
  using validation::NameIsPathSegment;
  out->push_back(
      Rules<apps::Deployment>(NameIsDNSSubdomain, &ValidateDeployment, &ValidateDeploymentUpdate));
  out->push_back(
      Rules<apps::ReplicaSet>(NameIsDNSSubdomain, &ValidateReplicaSet, &ValidateReplicaSetUpdate));
  out->push_back(
      Rules<core::ReplicationController>(NameIsDNSSubdomain, &ValidateReplicationController));
  out->push_back(
      Rules<apps::DaemonSet>(NameIsDNSSubdomain, &ValidateDaemonSet, &ValidateDaemonSetUpdate));
  out->push_back(Rules<apps::StatefulSet>(NameIsDNSSubdomain, &ValidateStatefulSet,
                                          &ValidateStatefulSetUpdate));
  out->push_back(Rules<apps::ControllerRevision>(NameIsDNSSubdomain, &ValidateControllerRevision,
                                                 &ValidateControllerRevisionUpdate));
  out->push_back(Rules<batch::Job>(NameIsDNSSubdomain, &ValidateJob, &ValidateJobUpdate));
  out->push_back(Rules<batch::CronJob>(NameIsDNSSubdomain, &ValidateCronJob));
  out->push_back(Rules<hpa::HorizontalPodAutoscaler>(NameIsPathSegment, &ValidateHpa));
  out->push_back(Rules<policy::v1::PodDisruptionBudget>(NameIsDNSSubdomain, &ValidatePdb));
}

}  // namespace rudder::api::validation_internal
