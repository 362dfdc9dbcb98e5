#include "lib/apiserver/registry/eviction.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/api/labels/label_selector_proto.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/apiserver/registry/errors.h"

namespace rudder::apiserver {
namespace {

using api::core::v1::Pod;
using api::policy::v1::PodDisruptionBudget;

constexpr char kViolation[] = "Cannot evict pod as it would violate the pod's disruption budget.";
// Kubernetes refuses evictions while this many are unconfirmed by the disruption controller.
constexpr int kMaxDisruptedPods = 2000;

bool IsReady(const Pod& pod) {
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

absl::Status Violation(const std::string& cause) {
  api::meta::v1::StatusCause c;
  c.set_reason("DisruptionBudget");
  c.set_message(cause);
  return TooManyRequestsError(kViolation, {c});
}

}  // namespace

absl::Status EvictPod(Registry* registry, const std::string& ns, const std::string& name,
                      const api::policy::v1::Eviction& eviction, const admission::UserInfo& user,
                      Clock* clock) {
  if (clock == nullptr) clock = Clock::Real();
  if (!eviction.metadata().name().empty() && eviction.metadata().name() != name) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata.name: Invalid value: \"", eviction.metadata().name(),
                     "\": name in URL does not match name in Eviction object"));
  }
  api::Scheme& scheme = registry->scheme();
  std::shared_ptr<const api::KindInfo> pod_kind = scheme.ByDescriptor(Pod::descriptor());
  std::shared_ptr<const api::KindInfo> pdb_kind =
      scheme.ByDescriptor(PodDisruptionBudget::descriptor());
  if (pod_kind == nullptr) return absl::NotFoundError("pods are not served");

  DeleteOptions del;
  del.user = user;
  const api::meta::v1::DeleteOptions& d = eviction.deleteoptions();
  if (d.has_graceperiodseconds()) del.grace_period_seconds = d.graceperiodseconds();
  if (d.has_preconditions() && d.preconditions().has_uid()) {
    del.precondition_uid = d.preconditions().uid();
  }
  if (d.has_preconditions() && d.preconditions().has_resourceversion()) {
    del.precondition_resource_version = d.preconditions().resourceversion();
  }
  if (d.has_propagationpolicy()) del.propagation_policy = d.propagationpolicy();
  if (d.has_orphandependents()) del.orphan_dependents = d.orphandependents();
  for (const std::string& v : d.dryrun()) {
    if (v != "All") {
      return absl::InvalidArgumentError(
          absl::StrCat("dryRun: Unsupported value: \"", v, "\": supported values: \"All\""));
    }
    del.dry_run = true;
  }
  auto remove = [&]() -> absl::Status {
    return registry->Delete(*pod_kind, ns, name, del).status();
  };

  // Conflicts on the budget are retried against a fresh read.
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<ObjectPtr> got = registry->Get(*pod_kind, ns, name);
    if (!got.ok()) return got.status();
    const Pod& pod = static_cast<const Pod&>(**got);
    const std::string& phase = pod.status().phase();
    if (phase == "Succeeded" || phase == "Failed" || phase == "Pending" ||
        pod.metadata().has_deletiontimestamp() || pdb_kind == nullptr) {
      return remove();
    }
    absl::StatusOr<ListResult> list = registry->List(*pdb_kind, ns, {});
    if (!list.ok()) return list.status();
    std::map<std::string, std::string> labels(pod.metadata().labels().begin(),
                                              pod.metadata().labels().end());
    std::vector<PodDisruptionBudget*> matching;
    for (ObjectPtr& o : list->items) {
      auto* pdb = static_cast<PodDisruptionBudget*>(o.get());
      absl::StatusOr<api::labels::Selector> sel =
          pdb->spec().has_selector() ? api::labels::LabelSelectorAsSelector(&pdb->spec().selector())
                                     : api::labels::Selector::Everything();
      if (sel.ok() && sel->Matches(labels)) matching.push_back(pdb);
    }
    if (matching.empty()) return remove();
    if (matching.size() > 1) {
      return absl::InternalError(
          "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
          "not support.");
    }
    PodDisruptionBudget& pdb = *matching[0];
    const auto& st = pdb.status();
    if (!IsReady(pod)) {
      const std::string& policy = pdb.spec().unhealthypodevictionpolicy();
      if (policy == "AlwaysAllow" ||
          (st.observedgeneration() >= pdb.metadata().generation() &&
           st.currenthealthy() >= st.desiredhealthy() && st.desiredhealthy() > 0)) {
        return remove();
      }
    }
    if (st.observedgeneration() < pdb.metadata().generation()) {
      return Violation(absl::StrCat("The disruption budget ", pdb.metadata().name(),
                                    " is still being processed by the server."));
    }
    if (st.disruptionsallowed() < 0) {
      return ForbiddenError("poddisruptionbudgets.policy", pdb.metadata().name(),
                            "pdb disruptions allowed is negative");
    }
    if (st.disruptedpods_size() > kMaxDisruptedPods) {
      return ForbiddenError(
          "poddisruptionbudgets.policy", pdb.metadata().name(),
          "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
    }
    if (st.disruptionsallowed() == 0) {
      return Violation(absl::StrCat("The disruption budget ", pdb.metadata().name(), " needs ",
                                    st.desiredhealthy(), " healthy pods and has ",
                                    st.currenthealthy(), " currently"));
    }
    if (del.dry_run) return remove();
    auto* mst = pdb.mutable_status();
    mst->set_disruptionsallowed(st.disruptionsallowed() - 1);
    if (mst->disruptionsallowed() == 0) {
      for (auto& c : *mst->mutable_conditions()) {
        if (c.type() != "DisruptionAllowed") continue;
        if (c.status() != "False")
          *c.mutable_lasttransitiontime() = api::FromAbslTime(clock->Now());
        c.set_status("False");
        c.set_reason("InsufficientPods");
      }
    }
    (*mst->mutable_disruptedpods())[name] = api::FromAbslTime(clock->Now());
    WriteOptions wo;
    wo.user = user;
    ObjectPtr copy(pdb.New());
    copy->CopyFrom(pdb);
    absl::StatusOr<ObjectPtr> updated =
        registry->Update(*pdb_kind, ns, pdb.metadata().name(), std::move(copy), true, wo);
    if (absl::IsAborted(updated.status())) continue;
    if (!updated.ok()) return updated.status();
    return remove();
  }
  return ConflictError("poddisruptionbudgets.policy", name,
                       "the budget kept changing; please try again");
}

}  // namespace rudder::apiserver
