#include "lib/controllers/disruption/disruption.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/labels/label_selector_proto.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/base/status_macros.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/controllerutil.h"

namespace rudder::controllers {
namespace {

using api::core::v1::Pod;
using api::policy::v1::PodDisruptionBudget;

bool IsPodReady(const Pod& pod) {
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

std::map<std::string, std::string> Labels(const Pod& pod) {
  return {pod.metadata().labels().begin(), pod.metadata().labels().end()};
}

absl::StatusOr<api::labels::Selector> SelectorOf(const PodDisruptionBudget& pdb) {
  // policy/v1: an empty (or absent) selector selects every pod of the namespace.
  if (!pdb.spec().has_selector()) return api::labels::Selector::Everything();
  return api::labels::LabelSelectorAsSelector(&pdb.spec().selector());
}

class DisruptionReconciler : public ctrl::Reconciler {
 public:
  DisruptionReconciler(ctrl::Manager* manager, DisruptionOptions options)
      : manager_(manager), clock_(manager->clock()), options_(options) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    client::Client* c = cluster->GetClient();
    client::TypedClient<PodDisruptionBudget> pdbs(c);
    absl::StatusOr<std::unique_ptr<PodDisruptionBudget>> got = pdbs.Get(req.ns, req.name);
    if (absl::IsNotFound(got.status())) return ctrl::Result{};
    if (!got.ok()) return got.status();
    const PodDisruptionBudget& pdb = **got;
    const absl::Time now = clock_->Now();

    std::vector<std::unique_ptr<Pod>> pods;
    absl::StatusOr<api::labels::Selector> selector = SelectorOf(pdb);
    if (selector.ok()) {
      absl::StatusOr<client::TypedList<Pod>> list = client::TypedClient<Pod>(c).List(req.ns);
      if (!list.ok()) return list.status();
      for (std::unique_ptr<Pod>& p : list->items) {
        if (selector->Matches(Labels(*p))) pods.push_back(std::move(p));
      }
    }

    PodDisruptionBudget want = pdb;
    auto* st = want.mutable_status();
    st->set_observedgeneration(pdb.metadata().generation());
    absl::StatusOr<std::pair<int64_t, int64_t>> counts =
        selector.ok() ? ExpectedAndDesired(c, pdb, pods) : selector.status();

    // disruptedPods: drop entries whose pod is gone or deleting, or that timed out.
    std::map<std::string, const Pod*> by_name;
    for (const auto& p : pods) by_name[p->metadata().name()] = p.get();
    std::optional<absl::Time> next;
    std::vector<std::string> drop;
    for (const auto& [name, when] : st->disruptedpods()) {
      auto it = by_name.find(name);
      absl::Time expiry = api::ToAbslTime(when) + options_.deletion_timeout;
      if (it == by_name.end() || it->second->metadata().has_deletiontimestamp() || expiry <= now) {
        drop.push_back(name);
      } else {
        next = next ? std::min(*next, expiry) : expiry;
      }
    }
    for (const std::string& n : drop) st->mutable_disruptedpods()->erase(n);

    int64_t healthy = 0;
    for (const auto& p : pods) {
      if (p->metadata().has_deletiontimestamp() || !IsPodReady(*p)) continue;
      if (st->disruptedpods().contains(p->metadata().name())) continue;
      ++healthy;
    }
    st->set_currenthealthy(static_cast<int32_t>(healthy));
    if (counts.ok()) {
      st->set_expectedpods(static_cast<int32_t>(counts->first));
      st->set_desiredhealthy(static_cast<int32_t>(counts->second));
      int64_t allowed = std::max<int64_t>(0, healthy - counts->second);
      if (counts->first <= 0) allowed = 0;
      st->set_disruptionsallowed(static_cast<int32_t>(allowed));
      SetCondition(st, allowed > 0 ? "True" : "False",
                   allowed > 0 ? "SufficientPods" : "InsufficientPods", "", pdb, now);
    } else {
      st->set_disruptionsallowed(0);
      SetCondition(st, "False", "SyncFailed", std::string(counts.status().message()), pdb, now);
    }

    if (!google::protobuf::util::MessageDifferencer::Equals(pdb.status(), want.status())) {
      absl::StatusOr<std::unique_ptr<PodDisruptionBudget>> updated = pdbs.UpdateStatus(want);
      if (!updated.ok()) return updated.status();
    }
    if (next) return ctrl::Result{.requeue_after = std::max(*next - now, absl::Nanoseconds(1))};
    return ctrl::Result{};
  }

 private:
  static void SetCondition(api::policy::v1::PodDisruptionBudgetStatus* st,
                           const std::string& status, const std::string& reason,
                           const std::string& message, const PodDisruptionBudget& pdb,
                           absl::Time now) {
    api::meta::v1::Condition* cond = nullptr;
    for (auto& c : *st->mutable_conditions()) {
      if (c.type() == "DisruptionAllowed") cond = &c;
    }
    if (cond == nullptr) {
      cond = st->add_conditions();
      cond->set_type("DisruptionAllowed");
    }
    if (cond->status() != status) *cond->mutable_lasttransitiontime() = api::FromAbslTime(now);
    cond->set_status(status);
    cond->set_reason(reason);
    cond->set_message(message);
    cond->set_observedgeneration(pdb.metadata().generation());
  }

  // (expectedPods, desiredHealthy).
  absl::StatusOr<std::pair<int64_t, int64_t>> ExpectedAndDesired(
      client::Client* c, const PodDisruptionBudget& pdb,
      const std::vector<std::unique_ptr<Pod>>& pods) {
    const auto& spec = pdb.spec();
    if (spec.has_maxunavailable()) {
      RUDDER_ASSIGN_OR_RETURN(int64_t expected, ExpectedFromControllers(c, pdb, pods));
      absl::StatusOr<int64_t> max_unavailable =
          ScaledValueFromIntOrPercent(spec.maxunavailable(), expected, true);
      if (!max_unavailable.ok()) return max_unavailable.status();
      return std::make_pair(expected, std::max<int64_t>(0, expected - *max_unavailable));
    }
    if (spec.has_minavailable()) {
      if (spec.minavailable().type() == 0) {
        return std::make_pair(static_cast<int64_t>(pods.size()),
                              static_cast<int64_t>(spec.minavailable().intval()));
      }
      RUDDER_ASSIGN_OR_RETURN(int64_t expected, ExpectedFromControllers(c, pdb, pods));
      absl::StatusOr<int64_t> min_available =
          ScaledValueFromIntOrPercent(spec.minavailable(), expected, true);
      if (!min_available.ok()) return min_available.status();
      return std::make_pair(expected, *min_available);
    }
    // Neither set (validation normally rejects it): as minAvailable 0.
    return std::make_pair(static_cast<int64_t>(pods.size()), int64_t{0});
  }

  absl::StatusOr<int64_t> ExpectedFromControllers(client::Client* c, const PodDisruptionBudget& pdb,
                                                  const std::vector<std::unique_ptr<Pod>>& pods) {
    std::set<std::string> seen;  // controller uids
    int64_t expected = 0;
    for (const auto& p : pods) {
      std::optional<api::meta::v1::OwnerReference> ref = ctrl::GetControllerOf(*p);
      if (!ref) {
        return absl::FailedPreconditionError(
            absl::StrCat("found no controllers for pod \"", p->metadata().name(), "\""));
      }
      absl::StatusOr<std::pair<std::string, int64_t>> scale =
          ScaleOf(c, pdb.metadata().namespace_(), *ref);
      if (!scale.ok()) return scale.status();
      if (seen.insert(scale->first).second) expected += scale->second;
    }
    return expected;
  }

  // (uid, spec.replicas) of the controller `ref` points at, following a ReplicaSet to its
  // Deployment.
  absl::StatusOr<std::pair<std::string, int64_t>> ScaleOf(client::Client* c, const std::string& ns,
                                                          api::meta::v1::OwnerReference ref) {
    api::Scheme& scheme = c->scheme();
    for (int depth = 0; depth < 2; ++depth) {
      std::string group, version = ref.apiversion();
      if (size_t slash = version.find('/'); slash != std::string::npos) {
        group = version.substr(0, slash);
        version = version.substr(slash + 1);
      }
      std::shared_ptr<const api::KindInfo> kind = scheme.ByKind({group, version, ref.kind()});
      if (kind == nullptr) {
        return absl::FailedPreconditionError(absl::StrCat("unknown controller kind ", ref.kind()));
      }
      absl::StatusOr<client::ObjectPtr> owner = c->Get(*kind, ns, ref.name());
      if (!owner.ok()) return owner.status();
      if (ref.kind() == "ReplicaSet" && group == "apps") {
        std::optional<api::meta::v1::OwnerReference> up = ctrl::GetControllerOf(**owner);
        if (up && up->kind() == "Deployment") {
          ref = *up;
          continue;
        }
      }
      if (!kind->has_scale) {
        return absl::FailedPreconditionError(
            absl::StrCat(ref.kind(), " \"", ref.name(), "\" has no scale subresource"));
      }
      absl::StatusOr<std::unique_ptr<client::Scale>> scale = c->GetScale(*kind, ns, ref.name());
      if (!scale.ok()) return scale.status();
      return std::make_pair(ref.uid(), static_cast<int64_t>((*scale)->spec().replicas()));
    }
    return absl::FailedPreconditionError("controller chain too deep");
  }

  ctrl::Manager* const manager_;
  Clock* const clock_;
  const DisruptionOptions options_;
};

}  // namespace

absl::StatusOr<int64_t> ScaledValueFromIntOrPercent(const api::intstr::IntOrString& v,
                                                    int64_t total, bool round_up) {
  if (v.type() == 0) return v.intval();
  absl::string_view s = v.strval();
  int64_t pct = 0;
  if (!absl::ConsumeSuffix(&s, "%") || !absl::SimpleAtoi(s, &pct)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value for IntOrString: invalid value \"", v.strval(), "\""));
  }
  if (round_up) return (pct * total + 99) / 100;
  return pct * total / 100;
}

absl::Status AddDisruptionController(ctrl::Manager* manager, DisruptionOptions options) {
  ctrl::EventHandler pod_to_pdbs =
      ctrl::EnqueueRequestsFromMapFunc([manager](const ctrl::Object& o) {
        std::vector<ctrl::Request> out;
        if (o.GetDescriptor() != Pod::descriptor()) return out;
        const Pod& pod = static_cast<const Pod&>(o);
        std::shared_ptr<ctrl::Cluster> cluster = manager->GetCluster("");
        if (cluster == nullptr) return out;
        absl::StatusOr<client::TypedList<PodDisruptionBudget>> pdbs =
            client::TypedClient<PodDisruptionBudget>(cluster->GetClient())
                .List(pod.metadata().namespace_());
        if (!pdbs.ok()) return out;
        std::map<std::string, std::string> labels = Labels(pod);
        for (const auto& pdb : pdbs->items) {
          absl::StatusOr<api::labels::Selector> sel = SelectorOf(*pdb);
          if (sel.ok() && sel->Matches(labels)) {
            out.push_back({.ns = pdb->metadata().namespace_(), .name = pdb->metadata().name()});
          }
        }
        return out;
      });
  int workers = options.workers;
  return ctrl::Builder(manager)
      .For<PodDisruptionBudget>()
      .Watches<Pod>(pod_to_pdbs)
      .Named("disruption")
      .WithOptions({.max_concurrent_reconciles = workers})
      .Complete(std::make_shared<DisruptionReconciler>(manager, options));
}

}  // namespace rudder::controllers
