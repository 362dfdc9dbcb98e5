#include "lib/controllers/hpa/hpa.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/labels/selector.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/autoscaling/v2/autoscaling.pb.h"
#include "lib/api/proto/metrics/v1beta1/metrics.pb.h"
#include "lib/api/resource/quantity.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/predicate.h"

namespace rudder::controllers {
namespace {

using api::autoscaling::v2::HorizontalPodAutoscaler;
using api::autoscaling::v2::HPAScalingRules;
using api::core::v1::Pod;

int64_t MilliOf(const api::resource::Quantity& q) {
  absl::StatusOr<api::Quantity> v = api::Quantity::Parse(q.string());
  return v.ok() ? v->MilliValue() : 0;
}

bool IsReady(const Pod& pod) {
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

class PodMetricsSource : public MetricsSource {
 public:
  explicit PodMetricsSource(client::Client* client) : client_(client) {}
  absl::StatusOr<std::map<std::string, PodUsage>> PodResourceUsage(
      const std::string& ns, const std::string& selector, const std::string& resource) override {
    client::TypedClient<api::metrics::v1beta1::PodMetrics> metrics(client_);
    client::ListOptions o;
    o.label_selector = selector;
    RUDDER_ASSIGN_OR_RETURN(auto list, metrics.List(ns, o));
    std::map<std::string, PodUsage> out;
    for (const auto& m : list.items) {
      PodUsage u;
      u.timestamp = api::ToAbslTime(m->timestamp());
      bool any = false;
      for (const auto& c : m->containers()) {
        auto it = c.usage().find(resource);
        if (it == c.usage().end()) continue;
        u.milli_value += MilliOf(it->second);
        any = true;
      }
      if (any) out[m->metadata().name()] = u;
    }
    return out;
  }

 private:
  client::Client* const client_;
};

// Ratio of usage to target over `usage` (pod name -> milli usage).
struct Ratio {
  double ratio = 0;
  int32_t utilization = -1;
  int64_t average = 0;
};

absl::StatusOr<Ratio> UsageRatio(const ResourceReplicaInput& in,
                                 const std::map<std::string, int64_t>& usage,
                                 const std::map<std::string, int64_t>& requests) {
  int64_t total = 0, requested = 0;
  for (const auto& [name, v] : usage) {
    total += v;
    auto it = requests.find(name);
    if (it != requests.end()) requested += it->second;
  }
  Ratio r;
  r.average = usage.empty() ? 0 : total / static_cast<int64_t>(usage.size());
  if (in.target_utilization) {
    if (requested <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("no ", in.resource, " requests on the pods with metrics"));
    }
    r.utilization = static_cast<int32_t>(total * 100 / requested);
    r.ratio = static_cast<double>(r.utilization) / *in.target_utilization;
  } else {
    r.ratio = static_cast<double>(total) / static_cast<double>(usage.size()) /
              static_cast<double>(*in.target_average_milli);
  }
  return r;
}

// Per-HPA memory of recommendations and scale events.
struct History {
  std::deque<std::pair<absl::Time, int32_t>> recommendations;
  std::deque<std::pair<absl::Time, int32_t>> events;  // replica change (+ up, - down)
};

HPAScalingRules Rules(const HorizontalPodAutoscaler& hpa, bool up) {
  HPAScalingRules r;
  const auto& b = hpa.spec().behavior();
  if (up && b.has_scaleup()) r = b.scaleup();
  if (!up && b.has_scaledown()) r = b.scaledown();
  if (!r.has_stabilizationwindowseconds()) r.set_stabilizationwindowseconds(up ? 0 : 300);
  if (!r.has_selectpolicy()) r.set_selectpolicy("Max");
  if (r.policies_size() == 0) {
    auto* p = r.add_policies();
    p->set_type("Percent");
    p->set_value(100);
    p->set_periodseconds(15);
    if (up) {
      p = r.add_policies();
      p->set_type("Pods");
      p->set_value(4);
      p->set_periodseconds(15);
    }
  }
  return r;
}

// Kubernetes' scale-up/-down limit from the rules and the events of each policy's period.
int32_t RateLimit(const HPAScalingRules& rules, int32_t current, const History& h, absl::Time now,
                  bool up) {
  if (rules.selectpolicy() == "Disabled") return current;
  const bool max = rules.selectpolicy() != "Min";
  int32_t result = up ? (max ? INT32_MIN : INT32_MAX) : (max ? INT32_MAX : INT32_MIN);
  for (const auto& p : rules.policies()) {
    absl::Time cutoff = now - absl::Seconds(p.periodseconds());
    int32_t added = 0, removed = 0;
    for (const auto& [t, change] : h.events) {
      if (t <= cutoff) continue;
      (change > 0 ? added : removed) += std::abs(change);
    }
    int32_t start = up ? current - added + removed : current + removed - added;
    int32_t proposed;
    if (p.type() == "Pods") {
      proposed = up ? start + p.value() : start - p.value();
    } else if (up) {
      proposed = static_cast<int32_t>(std::ceil(start * (1.0 + p.value() / 100.0)));
    } else {
      proposed = static_cast<int32_t>(start * (1.0 - p.value() / 100.0));
    }
    if (up) {
      result = max ? std::max(result, proposed) : std::min(result, proposed);
    } else {
      result = max ? std::min(result, proposed) : std::max(result, proposed);
    }
  }
  return result;
}

void SetCondition(HorizontalPodAutoscaler* hpa, const std::string& type, bool status,
                  const std::string& reason, const std::string& message, absl::Time now) {
  api::autoscaling::v2::HorizontalPodAutoscalerCondition* cond = nullptr;
  for (auto& c : *hpa->mutable_status()->mutable_conditions()) {
    if (c.type() == type) cond = &c;
  }
  if (cond == nullptr) {
    cond = hpa->mutable_status()->add_conditions();
    cond->set_type(type);
  }
  const std::string s = status ? "True" : "False";
  if (cond->status() != s) *cond->mutable_lasttransitiontime() = api::FromAbslTime(now);
  cond->set_status(s);
  cond->set_reason(reason);
  cond->set_message(message);
}

class HpaReconciler : public ctrl::Reconciler {
 public:
  HpaReconciler(ctrl::Manager* manager, HpaOptions options,
                std::unique_ptr<MetricsSource> own_metrics)
      : manager_(manager),
        clock_(manager->clock()),
        options_(options),
        own_metrics_(std::move(own_metrics)) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    client::Client* c = cluster->GetClient();
    // The HPA itself is read from the API server: its status is rewritten every sync, and a
    // stale cached copy would only produce a conflict.
    client::TypedClient<HorizontalPodAutoscaler> hpas(cluster->GetAPIReader());
    absl::StatusOr<std::unique_ptr<HorizontalPodAutoscaler>> got = hpas.Get(req.ns, req.name);
    if (absl::IsNotFound(got.status())) {
      MutexLock l(&mu_);
      history_.erase(req.String());
      return ctrl::Result{};
    }
    if (!got.ok()) return got.status();
    const HorizontalPodAutoscaler& hpa = **got;
    HorizontalPodAutoscaler want = hpa;
    const absl::Time now = clock_->Now();
    want.mutable_status()->set_observedgeneration(hpa.metadata().generation());
    absl::Status st = Sync(c, req, hpa, &want, now);
    if (!google::protobuf::util::MessageDifferencer::Equals(hpa.status(), want.status())) {
      absl::StatusOr<std::unique_ptr<HorizontalPodAutoscaler>> u = hpas.UpdateStatus(want);
      if (!u.ok()) return u.status();
    }
    if (!st.ok()) return st;
    return ctrl::Result{.requeue_after = options_.sync_period};
  }

 private:
  absl::Status Sync(client::Client* c, const ctrl::Request& req, const HorizontalPodAutoscaler& hpa,
                    HorizontalPodAutoscaler* want, absl::Time now) {
    const auto& ref = hpa.spec().scaletargetref();
    std::string group, version = ref.apiversion();
    if (size_t slash = version.find('/'); slash != std::string::npos) {
      group = version.substr(0, slash);
      version = version.substr(slash + 1);
    }
    std::shared_ptr<const api::KindInfo> kind = c->scheme().ByKind({group, version, ref.kind()});
    absl::StatusOr<std::unique_ptr<client::Scale>> scale =
        kind == nullptr ? absl::NotFoundError(absl::StrCat("unknown kind ", ref.kind()))
                        : c->GetScale(*kind, req.ns, ref.name());
    if (!scale.ok()) {
      SetCondition(want, "AbleToScale", false, "FailedGetScale",
                   absl::StrCat("the HPA controller was unable to get the target's current scale: ",
                                scale.status().message()),
                   now);
      return absl::OkStatus();  // retried at the next sync
    }
    const int32_t current = (*scale)->spec().replicas();
    const int32_t min = hpa.spec().has_minreplicas() ? hpa.spec().minreplicas() : 1;
    const int32_t max = hpa.spec().maxreplicas();
    want->mutable_status()->set_currentreplicas(current);
    int32_t desired = current;
    std::string limit_reason, limit_message;

    if (current == 0 && min != 0) {
      desired = 0;
      SetCondition(want, "ScalingActive", false, "ScalingDisabled",
                   "scaling is disabled since the replica count of the target is zero", now);
    } else if (current > max) {
      desired = max;
      limit_reason = "TooManyReplicas";
      limit_message = "the desired replica count is more than the maximum replica count";
    } else if (current < min) {
      desired = min;
      limit_reason = "TooFewReplicas";
      limit_message = "the desired replica count is less than the minimum replica count";
    } else {
      std::optional<int32_t> proposal;
      std::string metric_name;
      absl::Status metric_error;
      want->mutable_status()->clear_currentmetrics();
      absl::StatusOr<std::vector<std::unique_ptr<Pod>>> pods =
          SelectedPods(c, req.ns, (*scale)->status().selector());
      for (const auto& m : hpa.spec().metrics()) {
        if (m.type() != "Resource" || !pods.ok()) {
          if (metric_error.ok()) {
            metric_error = pods.ok() ? absl::UnimplementedError(absl::StrCat(
                                           "metric type ", m.type(), " is not supported"))
                                     : pods.status();
          }
          continue;
        }
        ResourceReplicaInput in;
        in.current_replicas = current;
        in.resource = m.resource().name();
        in.tolerance = options_.tolerance;
        const auto& target = m.resource().target();
        if (target.type() == "Utilization") {
          in.target_utilization = target.averageutilization();
        } else {
          in.target_average_milli = MilliOf(target.averagevalue());
        }
        for (const auto& p : *pods) in.pods.push_back(p.get());
        absl::StatusOr<std::map<std::string, PodUsage>> usage =
            options_.metrics->PodResourceUsage(req.ns, (*scale)->status().selector(), in.resource);
        absl::StatusOr<ResourceReplicaResult> r =
            usage.ok() ? (in.usage = *std::move(usage), ComputeResourceReplicas(in))
                       : absl::StatusOr<ResourceReplicaResult>(usage.status());
        if (!r.ok()) {
          if (metric_error.ok()) metric_error = r.status();
          continue;
        }
        auto* ms = want->mutable_status()->add_currentmetrics();
        ms->set_type("Resource");
        ms->mutable_resource()->set_name(in.resource);
        auto* cur = ms->mutable_resource()->mutable_current();
        if (r->utilization >= 0) cur->set_averageutilization(r->utilization);
        cur->mutable_averagevalue()->set_string(
            api::Quantity::FromMilli(r->average_milli).String());
        if (!proposal || r->replicas > *proposal) {
          proposal = r->replicas;
          metric_name = absl::StrCat(
              in.resource, in.target_utilization ? " resource utilization (percentage of request)"
                                                 : " resource");
        }
      }
      if (!proposal) {
        SetCondition(want, "ScalingActive", false, "FailedGetResourceMetric",
                     absl::StrCat("the HPA was unable to compute the replica count: ",
                                  metric_error.ok() ? "no metrics" : metric_error.message()),
                     now);
        return absl::OkStatus();
      }
      SetCondition(want, "ScalingActive", true, "ValidMetricFound",
                   absl::StrCat("the HPA was able to successfully calculate a replica count from ",
                                metric_name),
                   now);
      desired = Normalize(req.String(), hpa, current, *proposal, min, max, now, &limit_reason,
                          &limit_message);
    }

    if (!limit_reason.empty()) {
      SetCondition(want, "ScalingLimited", true, limit_reason, limit_message, now);
    } else {
      SetCondition(want, "ScalingLimited", false, "DesiredWithinRange",
                   "the desired count is within the acceptable range", now);
    }
    want->mutable_status()->set_desiredreplicas(desired);
    if (desired == current) {
      SetCondition(want, "AbleToScale", true, "ReadyForNewScale",
                   "recommended size matches current size", now);
      return absl::OkStatus();
    }
    client::Scale next = **scale;
    next.mutable_spec()->set_replicas(desired);
    absl::StatusOr<std::unique_ptr<client::Scale>> updated =
        c->UpdateScale(*kind, req.ns, ref.name(), next);
    if (!updated.ok()) {
      SetCondition(want, "AbleToScale", false, "FailedUpdateScale",
                   absl::StrCat("the HPA controller was unable to update the target scale: ",
                                updated.status().message()),
                   now);
      return updated.status();
    }
    {
      MutexLock l(&mu_);
      history_[req.String()].events.emplace_back(now, desired - current);
    }
    *want->mutable_status()->mutable_lastscaletime() = api::FromAbslTime(now);
    SetCondition(
        want, "AbleToScale", true, "SucceededRescale",
        absl::StrCat("the HPA controller was able to update the target scale to ", desired), now);
    return absl::OkStatus();
  }

  static absl::StatusOr<std::vector<std::unique_ptr<Pod>>> SelectedPods(
      client::Client* c, const std::string& ns, const std::string& selector) {
    if (selector.empty()) {
      return absl::FailedPreconditionError("the target's scale has no selector");
    }
    RUDDER_ASSIGN_OR_RETURN(api::labels::Selector sel, api::labels::Selector::Parse(selector));
    RUDDER_ASSIGN_OR_RETURN(auto list, client::TypedClient<Pod>(c).List(ns));
    std::vector<std::unique_ptr<Pod>> out;
    for (auto& p : list.items) {
      std::map<std::string, std::string> labels(p->metadata().labels().begin(),
                                                p->metadata().labels().end());
      if (sel.Matches(labels)) out.push_back(std::move(p));
    }
    return out;
  }

  // Stabilization windows, rate-limit policies and min/max (Kubernetes'
  // normalizeDesiredReplicasWithBehaviors).
  int32_t Normalize(const std::string& key, const HorizontalPodAutoscaler& hpa, int32_t current,
                    int32_t proposal, int32_t min, int32_t max, absl::Time now, std::string* reason,
                    std::string* message) {
    HPAScalingRules up = Rules(hpa, true);
    HPAScalingRules down = Rules(hpa, false);
    MutexLock l(&mu_);
    History& h = history_[key];
    absl::Time up_cutoff = now - absl::Seconds(up.stabilizationwindowseconds());
    absl::Time down_cutoff = now - absl::Seconds(down.stabilizationwindowseconds());
    int32_t up_rec = proposal, down_rec = proposal;
    for (const auto& [t, r] : h.recommendations) {
      if (t > up_cutoff) up_rec = std::min(up_rec, r);
      if (t > down_cutoff) down_rec = std::max(down_rec, r);
    }
    int32_t desired = current;
    if (desired < up_rec) desired = up_rec;
    if (desired > down_rec) desired = down_rec;
    h.recommendations.emplace_back(now, proposal);
    absl::Time keep = std::min(up_cutoff, down_cutoff);
    while (!h.recommendations.empty() && h.recommendations.front().first <= keep) {
      h.recommendations.pop_front();
    }
    int64_t longest = 0;
    for (const auto* rules : {&up, &down}) {
      for (const auto& p : rules->policies())
        longest = std::max<int64_t>(longest, p.periodseconds());
    }
    while (!h.events.empty() && h.events.front().first <= now - absl::Seconds(longest)) {
      h.events.pop_front();
    }

    if (desired > current) {
      int32_t limit = std::max(current, RateLimit(up, current, h, now, true));
      int32_t allowed = max;
      if (allowed > limit) {
        allowed = limit;
        *reason = "ScaleUpLimit";
        *message = "the desired replica count is increasing faster than the maximum scale rate";
      } else {
        *reason = "TooManyReplicas";
        *message = "the desired replica count is more than the maximum replica count";
      }
      if (desired > allowed) return allowed;
    } else if (desired < current) {
      int32_t limit = std::min(current, RateLimit(down, current, h, now, false));
      int32_t allowed = min;
      if (allowed < limit) {
        allowed = limit;
        *reason = "ScaleDownLimit";
        *message = "the desired replica count is decreasing faster than the maximum scale rate";
      } else {
        *reason = "TooFewReplicas";
        *message = "the desired replica count is less than the minimum replica count";
      }
      if (desired < allowed) return allowed;
    }
    reason->clear();
    message->clear();
    return desired;
  }

  ctrl::Manager* const manager_;
  Clock* const clock_;
  const HpaOptions options_;
  const std::unique_ptr<MetricsSource> own_metrics_;  // when options_.metrics was null
  Mutex mu_;
  absl::flat_hash_map<std::string, History> history_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<MetricsSource> NewPodMetricsSource(client::Client* client) {
  return std::make_unique<PodMetricsSource>(client);
}

absl::StatusOr<ResourceReplicaResult> ComputeResourceReplicas(const ResourceReplicaInput& in) {
  if (in.target_utilization.has_value() == in.target_average_milli.has_value()) {
    return absl::InvalidArgumentError("exactly one of a utilization or average value target");
  }
  if ((in.target_utilization && *in.target_utilization <= 0) ||
      (in.target_average_milli && *in.target_average_milli <= 0)) {
    return absl::InvalidArgumentError("the target must be positive");
  }
  if (in.pods.empty()) {
    return absl::FailedPreconditionError(
        "no pods returned by selector while calculating replica count");
  }
  std::map<std::string, int64_t> requests;
  std::map<std::string, int64_t> usage;  // ready pods with metrics
  std::vector<std::string> unready, missing;
  for (const Pod* pod : in.pods) {
    const std::string& name = pod->metadata().name();
    if (pod->metadata().has_deletiontimestamp() || pod->status().phase() == "Failed") continue;
    int64_t request = 0;
    for (const auto& c : pod->spec().containers()) {
      auto it = c.resources().requests().find(in.resource);
      if (it == c.resources().requests().end()) {
        if (in.target_utilization) {
          return absl::InvalidArgumentError(absl::StrCat(
              "missing request for ", in.resource, " in container ", c.name(), " of Pod ", name));
        }
        continue;
      }
      request += MilliOf(it->second);
    }
    requests[name] = request;
    if (pod->status().phase() == "Pending") {
      unready.push_back(name);
      continue;
    }
    auto m = in.usage.find(name);
    if (m == in.usage.end()) {
      missing.push_back(name);
      continue;
    }
    if (in.resource == "cpu" && !IsReady(*pod)) {
      unready.push_back(name);
      continue;
    }
    usage[name] = m->second.milli_value;
  }
  if (usage.empty()) {
    return absl::FailedPreconditionError(
        "did not receive metrics for targeted pods (pods might be unready)");
  }
  const int32_t ready_count = static_cast<int32_t>(usage.size());
  RUDDER_ASSIGN_OR_RETURN(Ratio first, UsageRatio(in, usage, requests));
  ResourceReplicaResult out;
  out.utilization = first.utilization;
  out.average_milli = first.average;
  const bool rebalance_unready = !unready.empty() && first.ratio > 1.0;
  if (!rebalance_unready && missing.empty()) {
    out.replicas = std::abs(1.0 - first.ratio) <= in.tolerance
                       ? in.current_replicas
                       : static_cast<int32_t>(std::ceil(first.ratio * ready_count));
    return out;
  }
  for (const std::string& name : missing) {
    // Scaling down: missing pods as if at their target; scaling up: as if idle.
    int64_t assumed = 0;
    if (first.ratio < 1.0) {
      assumed = in.target_utilization ? requests[name] : *in.target_average_milli;
    }
    usage[name] = assumed;
  }
  if (rebalance_unready) {
    for (const std::string& name : unready) usage[name] = 0;
  }
  RUDDER_ASSIGN_OR_RETURN(Ratio second, UsageRatio(in, usage, requests));
  if (std::abs(1.0 - second.ratio) <= in.tolerance || (first.ratio < 1.0 && second.ratio > 1.0) ||
      (first.ratio > 1.0 && second.ratio < 1.0)) {
    out.replicas = in.current_replicas;
    return out;
  }
  int32_t replicas = static_cast<int32_t>(std::ceil(second.ratio * usage.size()));
  if ((second.ratio < 1.0 && replicas > in.current_replicas) ||
      (second.ratio > 1.0 && replicas < in.current_replicas)) {
    replicas = in.current_replicas;
  }
  out.replicas = replicas;
  return out;
}

absl::Status AddHpaController(ctrl::Manager* manager, HpaOptions options) {
  std::unique_ptr<MetricsSource> own;
  if (options.metrics == nullptr) {
    own = NewPodMetricsSource(manager->GetClient());
    options.metrics = own.get();
  }
  int workers = options.workers;
  return ctrl::Builder(manager)
      .For<HorizontalPodAutoscaler>({ctrl::GenerationChanged()})
      .Named("horizontalpodautoscaler")
      .WithOptions({.max_concurrent_reconciles = workers})
      .Complete(std::make_shared<HpaReconciler>(manager, options, std::move(own)));
}

}  // namespace rudder::controllers
