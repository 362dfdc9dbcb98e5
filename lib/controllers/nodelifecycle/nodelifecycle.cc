#include "lib/controllers/nodelifecycle/nodelifecycle.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/builder.h"

namespace rudder::controllers {
namespace {

using api::coordination::v1::Lease;
using api::core::v1::Node;
using api::core::v1::NodeCondition;
using api::core::v1::Pod;
using api::core::v1::PodCondition;
using api::core::v1::Taint;
using api::core::v1::Toleration;

constexpr char kNodeLeaseNamespace[] = "kube-node-lease";
constexpr char kNoExecute[] = "NoExecute";
constexpr char kNoSchedule[] = "NoSchedule";

// The conditions a node agent reports and that go Unknown when it falls silent.
constexpr const char* kMonitoredConditions[] = {"Ready", "MemoryPressure", "DiskPressure",
                                                "PIDPressure"};

const NodeCondition* FindCondition(const Node& node, const std::string& type) {
  for (const NodeCondition& c : node.status().conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

bool IsManagedTaint(const Taint& t) {
  if (t.key() == kTaintNodeUnschedulable) return t.effect() == kNoSchedule;
  return (t.key() == kTaintNodeNotReady || t.key() == kTaintNodeUnreachable) &&
         (t.effect() == kNoExecute || t.effect() == kNoSchedule);
}

class NodeLifecycleReconciler : public ctrl::Reconciler {
 public:
  NodeLifecycleReconciler(ctrl::Manager* manager, NodeLifecycleOptions options)
      : manager_(manager), clock_(manager->clock()), options_(options) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    client::Client* c = cluster->GetClient();
    client::TypedClient<Node> nodes(c);
    absl::StatusOr<std::unique_ptr<Node>> got = nodes.Get("", req.name);
    if (absl::IsNotFound(got.status())) return ctrl::Result{};
    if (!got.ok()) return got.status();
    std::unique_ptr<Node> node = *std::move(got);
    const absl::Time now = clock_->Now();
    std::optional<absl::Time> next;
    auto at = [&next](absl::Time t) { next = next ? std::min(*next, t) : t; };

    // 1. Health: the latest heartbeat against the grace period.
    std::optional<absl::Time> beat;
    auto seen = [&beat](absl::Time t) { beat = beat ? std::max(*beat, t) : t; };
    const NodeCondition* ready = FindCondition(*node, "Ready");
    if (ready != nullptr && ready->has_lastheartbeattime()) {
      seen(api::ToAbslTime(ready->lastheartbeattime()));
    }
    absl::StatusOr<std::unique_ptr<Lease>> lease =
        client::TypedClient<Lease>(c).Get(kNodeLeaseNamespace, req.name);
    if (lease.ok() && (*lease)->spec().has_renewtime()) {
      seen(api::ToAbslTime((*lease)->spec().renewtime()));
    } else if (!lease.ok() && !absl::IsNotFound(lease.status())) {
      return lease.status();
    }
    const absl::Time heartbeat =
        beat ? *beat : api::ToAbslTime(node->metadata().creationtimestamp());
    const absl::Time deadline = heartbeat + options_.node_monitor_grace_period;
    if (now > deadline) {
      if (MarkUnknown(node.get(), now)) {
        absl::StatusOr<std::unique_ptr<Node>> updated = nodes.UpdateStatus(*node);
        if (!updated.ok()) return updated.status();
        node = *std::move(updated);
      }
    } else {
      at(deadline + absl::Nanoseconds(1));
    }

    // 2. Taints from the Ready condition and spec.unschedulable.
    ready = FindCondition(*node, "Ready");
    std::string ready_status = ready == nullptr ? "Unknown" : ready->status();
    if (ready == nullptr && now <= deadline) ready_status = "";  // not reported yet
    std::vector<Taint> want;
    auto add = [&](const char* key, const char* effect) {
      Taint t;
      t.set_key(key);
      t.set_effect(effect);
      want.push_back(std::move(t));
    };
    if (ready_status == "False") {
      add(kTaintNodeNotReady, kNoSchedule);
      add(kTaintNodeNotReady, kNoExecute);
    } else if (ready_status == "Unknown") {
      add(kTaintNodeUnreachable, kNoSchedule);
      add(kTaintNodeUnreachable, kNoExecute);
    }
    if (node->spec().unschedulable()) add(kTaintNodeUnschedulable, kNoSchedule);
    if (SyncTaints(node.get(), want, now)) {
      absl::StatusOr<std::unique_ptr<Node>> updated = nodes.Update(*node);
      if (!updated.ok()) return updated.status();
      node = *std::move(updated);
    }

    // 3. Pods on the node: Ready=False when the node is not ready; NoExecute evictions.
    // A ready node without NoExecute taints has nothing to do to its pods: skip the list,
    // which would copy every pod of the cluster on each of the node's events.
    std::vector<const Taint*> no_execute;
    for (const Taint& t : node->spec().taints()) {
      if (t.effect() == kNoExecute) no_execute.push_back(&t);
    }
    const bool not_ready = ready_status == "False" || ready_status == "Unknown";
    if (!not_ready && (!options_.enable_taint_manager || no_execute.empty())) {
      if (next) return ctrl::Result{.requeue_after = std::max(*next - now, absl::Nanoseconds(1))};
      return ctrl::Result{};
    }
    client::TypedClient<Pod> pods(c);
    absl::StatusOr<client::TypedList<Pod>> list = pods.List("");
    if (!list.ok()) return list.status();
    absl::Status first_error;
    for (std::unique_ptr<Pod>& pod : list->items) {
      if (pod->spec().nodename() != req.name) continue;
      if (pod->metadata().has_deletiontimestamp()) continue;
      absl::Status s;
      if (not_ready) s = MarkPodNotReady(pods, *pod, now);
      if (s.ok() && options_.enable_taint_manager && !no_execute.empty()) {
        s = ProcessTaints(pods, *pod, no_execute, now, at);
      }
      if (!s.ok() && !absl::IsNotFound(s) && first_error.ok()) first_error = s;
    }
    if (!first_error.ok()) return first_error;
    if (next) return ctrl::Result{.requeue_after = std::max(*next - now, absl::Nanoseconds(1))};
    return ctrl::Result{};
  }

 private:
  // Sets every monitored condition to Unknown; false when nothing changed.
  static bool MarkUnknown(Node* node, absl::Time now) {
    bool changed = false;
    for (const char* type : kMonitoredConditions) {
      NodeCondition* cond = nullptr;
      for (NodeCondition& c : *node->mutable_status()->mutable_conditions()) {
        if (c.type() == type) cond = &c;
      }
      const bool never = cond == nullptr;
      if (never) {
        if (std::string(type) != "Ready") continue;
        cond = node->mutable_status()->add_conditions();
        cond->set_type(type);
      }
      if (cond->status() == "Unknown") continue;
      cond->set_status("Unknown");
      cond->set_reason(never ? "NodeStatusNeverUpdated" : "NodeStatusUnknown");
      cond->set_message(never ? "Kubelet never posted node status."
                              : "Kubelet stopped posting node status.");
      *cond->mutable_lasttransitiontime() = api::FromAbslTime(now);
      if (never) *cond->mutable_lastheartbeattime() = node->metadata().creationtimestamp();
      changed = true;
    }
    return changed;
  }

  // Makes the managed taints equal `want` (other taints kept); false when nothing changed.
  static bool SyncTaints(Node* node, const std::vector<Taint>& want, absl::Time now) {
    std::vector<Taint> out;
    bool changed = false;
    for (const Taint& t : node->spec().taints()) {
      if (!IsManagedTaint(t)) {
        out.push_back(t);
        continue;
      }
      bool keep = std::any_of(want.begin(), want.end(), [&](const Taint& w) {
        return w.key() == t.key() && w.effect() == t.effect();
      });
      if (keep) {
        out.push_back(t);
      } else {
        changed = true;
      }
    }
    for (const Taint& w : want) {
      bool have = std::any_of(out.begin(), out.end(), [&](const Taint& t) {
        return w.key() == t.key() && w.effect() == t.effect();
      });
      if (have) continue;
      Taint t = w;
      if (t.effect() == kNoExecute) *t.mutable_timeadded() = api::FromAbslTime(now);
      out.push_back(std::move(t));
      changed = true;
    }
    if (changed) {
      node->mutable_spec()->clear_taints();
      for (Taint& t : out) *node->mutable_spec()->add_taints() = std::move(t);
    }
    return changed;
  }

  static absl::Status MarkPodNotReady(client::TypedClient<Pod>& pods, const Pod& pod,
                                      absl::Time now) {
    for (const PodCondition& cond : pod.status().conditions()) {
      if (cond.type() == "Ready" && cond.status() == "False") return absl::OkStatus();
    }
    if (pod.status().phase() == "Succeeded" || pod.status().phase() == "Failed") {
      return absl::OkStatus();
    }
    Pod updated = pod;
    PodCondition* ready = nullptr;
    for (PodCondition& cond : *updated.mutable_status()->mutable_conditions()) {
      if (cond.type() == "Ready") ready = &cond;
    }
    if (ready == nullptr) {
      ready = updated.mutable_status()->add_conditions();
      ready->set_type("Ready");
    }
    ready->set_status("False");
    *ready->mutable_lasttransitiontime() = api::FromAbslTime(now);
    return pods.UpdateStatus(updated).status();
  }

  template <typename At>
  absl::Status ProcessTaints(client::TypedClient<Pod>& pods, const Pod& pod,
                             const std::vector<const Taint*>& taints, absl::Time now, At& at) {
    // Each taint is tolerated for the smallest tolerationSeconds among the tolerations that
    // match it, counted from when it was added; none with seconds: forever.
    std::optional<absl::Time> when;
    for (const Taint* taint : taints) {
      bool tolerated = false;
      std::optional<int64_t> seconds;
      for (const Toleration& tol : pod.spec().tolerations()) {
        if (!ToleratesTaint(tol, *taint)) continue;
        tolerated = true;
        if (tol.has_tolerationseconds()) {
          int64_t s = std::max<int64_t>(0, tol.tolerationseconds());
          seconds = seconds ? std::min(*seconds, s) : s;
        }
      }
      if (!tolerated) return Evict(pods, pod, now);
      if (!seconds) continue;
      absl::Time added = taint->has_timeadded() ? api::ToAbslTime(taint->timeadded())
                                                : FirstSeen(pod, *taint, now);
      absl::Time t = added + absl::Seconds(*seconds);
      when = when ? std::min(*when, t) : t;
    }
    if (!when) return absl::OkStatus();
    if (now >= *when) return Evict(pods, pod, now);
    at(*when);
    return absl::OkStatus();
  }

  absl::Status Evict(client::TypedClient<Pod>& pods, const Pod& pod, absl::Time now) {
    Forget(pod);
    Pod marked = pod;
    PodCondition* cond = nullptr;
    for (PodCondition& c : *marked.mutable_status()->mutable_conditions()) {
      if (c.type() == "DisruptionTarget") cond = &c;
    }
    if (cond == nullptr || cond->status() != "True") {
      if (cond == nullptr) cond = marked.mutable_status()->add_conditions();
      cond->set_type("DisruptionTarget");
      cond->set_status("True");
      cond->set_reason("DeletionByTaintManager");
      cond->set_message("Taint manager: deleting due to NoExecute taint");
      *cond->mutable_lasttransitiontime() = api::FromAbslTime(now);
      absl::Status s = pods.UpdateStatus(marked).status();
      if (!s.ok() && !absl::IsAborted(s)) return s;
    }
    return pods.Delete(pod.metadata().namespace_(), pod.metadata().name());
  }

  // When this controller first saw `pod` under a taint without timeAdded.
  absl::Time FirstSeen(const Pod& pod, const Taint& taint, absl::Time now) {
    MutexLock l(&mu_);
    auto [it, inserted] = first_seen_[pod.metadata().uid()].try_emplace(
        absl::StrCat(taint.key(), ":", taint.effect()), now);
    return it->second;
  }
  void Forget(const Pod& pod) {
    MutexLock l(&mu_);
    first_seen_.erase(pod.metadata().uid());
  }

  ctrl::Manager* const manager_;
  Clock* const clock_;
  const NodeLifecycleOptions options_;
  Mutex mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, absl::Time>> first_seen_
      ABSL_GUARDED_BY(mu_);
};

class DefaultTolerationSeconds : public apiserver::admission::Plugin {
 public:
  explicit DefaultTolerationSeconds(int64_t seconds) : seconds_(seconds) {}
  std::string_view name() const override { return "DefaultTolerationSeconds"; }
  absl::Status Admit(apiserver::admission::Attributes& a) override {
    if (a.operation != apiserver::admission::Operation::kCreate || !a.subresource.empty() ||
        a.object == nullptr || a.object->GetDescriptor() != Pod::descriptor()) {
      return absl::OkStatus();
    }
    Pod* pod = static_cast<Pod*>(a.object);
    bool not_ready = false;
    bool unreachable = false;
    for (const Toleration& t : pod->spec().tolerations()) {
      bool effect = t.effect().empty() || t.effect() == kNoExecute;
      if (!effect) continue;
      if (t.key().empty() || t.key() == kTaintNodeNotReady) not_ready = true;
      if (t.key().empty() || t.key() == kTaintNodeUnreachable) unreachable = true;
    }
    auto add = [&](const char* key) {
      Toleration* t = pod->mutable_spec()->add_tolerations();
      t->set_key(key);
      t->set_operator_("Exists");
      t->set_effect(kNoExecute);
      t->set_tolerationseconds(seconds_);
    };
    if (!not_ready) add(kTaintNodeNotReady);
    if (!unreachable) add(kTaintNodeUnreachable);
    return absl::OkStatus();
  }

 private:
  const int64_t seconds_;
};

}  // namespace

bool ToleratesTaint(const Toleration& toleration, const Taint& taint) {
  if (!toleration.effect().empty() && toleration.effect() != taint.effect()) return false;
  if (!toleration.key().empty() && toleration.key() != taint.key()) return false;
  const std::string& op = toleration.operator_();
  if (op == "Exists") return true;
  if (op.empty() || op == "Equal") {
    return !toleration.key().empty() && toleration.value() == taint.value();
  }
  return false;
}

absl::Status AddNodeLifecycleController(ctrl::Manager* manager, NodeLifecycleOptions options) {
  if (options.node_monitor_grace_period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("node_monitor_grace_period: must be positive");
  }
  ctrl::EventHandler lease_to_node = ctrl::EnqueueRequestsFromMapFunc([](const ctrl::Object& o) {
    std::vector<ctrl::Request> out;
    const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(o);
    if (m != nullptr && m->namespace_() == kNodeLeaseNamespace) {
      out.push_back({.ns = "", .name = m->name()});
    }
    return out;
  });
  ctrl::EventHandler pod_to_node = ctrl::EnqueueRequestsFromMapFunc([](const ctrl::Object& o) {
    std::vector<ctrl::Request> out;
    if (o.GetDescriptor() != Pod::descriptor()) return out;
    const Pod& pod = static_cast<const Pod&>(o);
    if (!pod.spec().nodename().empty()) out.push_back({.ns = "", .name = pod.spec().nodename()});
    return out;
  });
  int workers = options.workers;
  return ctrl::Builder(manager)
      .For<Node>()
      .Watches<Lease>(lease_to_node)
      .Watches<Pod>(pod_to_node)
      .Named("nodelifecycle")
      .WithOptions({.max_concurrent_reconciles = workers})
      .Complete(std::make_shared<NodeLifecycleReconciler>(manager, options));
}

std::unique_ptr<apiserver::admission::Plugin> NewDefaultTolerationSeconds(int64_t seconds) {
  return std::make_unique<DefaultTolerationSeconds>(seconds);
}

void RegisterDefaultTolerationSeconds(apiserver::admission::PluginRegistry* registry) {
  registry->Register("DefaultTolerationSeconds",
                     []() -> absl::StatusOr<std::unique_ptr<apiserver::admission::Plugin>> {
                       return NewDefaultTolerationSeconds();
                     });
}

}  // namespace rudder::controllers
