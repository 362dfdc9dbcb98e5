#include "lib/controllers/replicaset/replicaset.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/api/labels/label_selector_proto.h"
#include "lib/api/labels/selector.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/client/client.h"
#include "lib/client/informer/factory.h"
#include "lib/client/informer/lister.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/controllerutil.h"

namespace rudder::controllers {

using api::core::v1::Pod;

bool PodReady(const Pod& p) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

namespace {

std::optional<absl::Time> ReadySince(const Pod& p) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == "Ready" && c.status() == "True") {
      if (!c.has_lasttransitiontime()) return std::nullopt;
      return api::ToAbslTime(c.lasttransitiontime());
    }
  }
  return std::nullopt;
}

int PhaseRank(const std::string& phase) {
  if (phase == "Pending") return 0;
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 0;
}

int DeletionCost(const Pod& p) {
  auto it = p.metadata().annotations().find("controller.kubernetes.io/pod-deletion-cost");
  int v = 0;
  if (it != p.metadata().annotations().end() && absl::SimpleAtoi(it->second, &v)) return v;
  return 0;
}

int Restarts(const Pod& p) {
  int m = 0;
  for (const auto& cs : p.status().containerstatuses()) m = std::max(m, cs.restartcount());
  return m;
}

absl::Time Created(const Pod& p) { return api::ToAbslTime(p.metadata().creationtimestamp()); }

}  // namespace

bool RankedBeforeForDeletion(const Pod& a, int rank_a, const Pod& b, int rank_b) {
  const bool aa = !a.spec().nodename().empty(), ab = !b.spec().nodename().empty();
  if (aa != ab) return !aa;
  const int pa = PhaseRank(a.status().phase()), pb = PhaseRank(b.status().phase());
  if (pa != pb) return pa < pb;
  const bool ra = PodReady(a), rb = PodReady(b);
  if (ra != rb) return !ra;
  const int ca = DeletionCost(a), cb = DeletionCost(b);
  if (ca != cb) return ca < cb;
  if (rank_a != rank_b) return rank_a > rank_b;
  if (ra && rb) {
    std::optional<absl::Time> ta = ReadySince(a), tb = ReadySince(b);
    if (ta && tb && *ta != *tb) return *ta > *tb;
  }
  const int xa = Restarts(a), xb = Restarts(b);
  if (xa != xb) return xa > xb;
  const absl::Time ka = Created(a), kb = Created(b);
  if (ka != kb) return ka > kb;
  return a.metadata().name() > b.metadata().name();
}

std::vector<int> SlowStartBatches(int count) {
  std::vector<int> out;
  for (int batch = 1, left = count; left > 0; batch *= 2) {
    const int n = std::min(batch, left);
    out.push_back(n);
    left -= n;
  }
  return out;
}

bool PodAvailable(const Pod& pod, absl::Duration min_ready, absl::Time now) {
  if (!PodReady(pod)) return false;
  if (min_ready <= absl::ZeroDuration()) return true;
  std::optional<absl::Time> since = ReadySince(pod);
  return since.has_value() && *since + min_ready <= now;
}

bool PodActive(const Pod& p) {
  return p.status().phase() != "Succeeded" && p.status().phase() != "Failed" &&
         !p.metadata().has_deletiontimestamp();
}

namespace {

// What differs between ReplicaSets and ReplicationControllers.
template <typename T>
struct SetTraits;

template <>
struct SetTraits<api::apps::v1::ReplicaSet> {
  static constexpr char kName[] = "replicaset";
  static absl::StatusOr<api::labels::Selector> Selector(const api::apps::v1::ReplicaSet& rs) {
    if (!rs.spec().has_selector()) return api::labels::Selector::Nothing();
    return api::labels::LabelSelectorAsSelector(&rs.spec().selector());
  }
};

template <>
struct SetTraits<api::core::v1::ReplicationController> {
  static constexpr char kName[] = "replicationcontroller";
  static absl::StatusOr<api::labels::Selector> Selector(
      const api::core::v1::ReplicationController& rc) {
    std::map<std::string, std::string> set;
    const auto& sel = rc.spec().selector().empty() ? rc.spec().template_().metadata().labels()
                                                   : rc.spec().selector();
    for (const auto& [k, v] : sel) set[k] = v;
    if (set.empty()) return api::labels::Selector::Nothing();
    return api::labels::Selector::FromSet(set);
  }
};

// Creations and deletions a set waits to see in its cache.
struct Expectation {
  std::set<std::string> adds;     // Names of created pods.
  std::set<std::string> deletes;  // UIDs of deleted pods.
  absl::Time since;
};

template <typename Cond>
bool SetFailure(google::protobuf::RepeatedPtrField<Cond>* conds, const absl::Status& st,
                const std::string& reason, absl::Time now) {
  for (int i = 0; i < conds->size(); ++i) {
    if (conds->Get(i).type() != "ReplicaFailure") continue;
    if (st.ok()) {
      conds->DeleteSubrange(i, 1);
      return true;
    }
    Cond* c = conds->Mutable(i);
    c->set_reason(reason);
    c->set_message(std::string(st.message()));
    return false;
  }
  if (st.ok()) return false;
  Cond* c = conds->Add();
  c->set_type("ReplicaFailure");
  c->set_status("True");
  c->set_reason(reason);
  c->set_message(std::string(st.message()));
  *c->mutable_lasttransitiontime() = api::FromAbslTime(now);
  return true;
}

using PodRef = std::shared_ptr<const Pod>;

template <typename T>
class SetReconciler : public ctrl::Reconciler {
 public:
  SetReconciler(ctrl::Manager* manager, ReplicaSetControllerOptions options)
      : manager_(manager), options_(options) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    client::Client* c = cluster->GetClient();
    client::TypedClient<T> sets(c);
    client::TypedClient<Pod> pods(c);
    const std::string key = absl::StrCat(req.cluster, "/", req.ns, "/", req.name);
    absl::StatusOr<std::unique_ptr<T>> got = sets.Get(req.ns, req.name);
    if (absl::IsNotFound(got.status())) {
      MutexLock lock(&mu_);
      expectations_.erase(key);
      return ctrl::Result{};
    }
    if (!got.ok()) return got.status();
    std::unique_ptr<T> set = *std::move(got);
    const absl::Time now = manager_->clock()->Now();
    RUDDER_ASSIGN_OR_RETURN(api::labels::Selector selector, SetTraits<T>::Selector(*set));
    const std::string& uid = set->metadata().uid();

    RUDDER_ASSIGN_OR_RETURN(std::vector<PodRef> list, ListPods(*cluster, pods, req.ns));
    // Claim: adopt matching orphans, release owned pods that no longer match.
    std::vector<PodRef> owned;
    for (PodRef& p : list) {
      std::optional<api::meta::v1::OwnerReference> ref = ctrl::GetControllerOf(*p);
      const bool matches = selector.Matches(p->metadata().labels());
      if (ref.has_value()) {
        if (ref->uid() != uid) continue;
        if (matches || set->metadata().has_deletiontimestamp()) {
          owned.push_back(std::move(p));
        } else if (!p->metadata().has_deletiontimestamp()) {
          Pod copy = *p;
          auto* refs = copy.mutable_metadata()->mutable_ownerreferences();
          for (int i = 0; i < refs->size(); ++i) {
            if (refs->Get(i).uid() == uid) {
              refs->DeleteSubrange(i, 1);
              break;
            }
          }
          absl::Status st = pods.Update(copy).status();
          if (!st.ok() && !absl::IsNotFound(st)) return st;
        }
        continue;
      }
      if (!matches || p->metadata().has_deletiontimestamp() ||
          set->metadata().has_deletiontimestamp() || !PodActive(*p)) {
        continue;
      }
      Pod copy = *p;
      RUDDER_RETURN_IF_ERROR(ctrl::SetControllerReference(*set, &copy, cluster->scheme()));
      absl::StatusOr<std::unique_ptr<Pod>> up = pods.Update(copy);
      if (absl::IsNotFound(up.status()) || absl::IsAborted(up.status())) continue;
      if (!up.ok()) return up.status();
      owned.push_back(PodRef(*std::move(up)));
    }

    std::vector<const Pod*> active;
    for (const auto& p : owned) {
      if (PodActive(*p)) active.push_back(p.get());
    }

    absl::Status manage_status;
    std::string failure_reason;
    bool requeue = false;
    if (!set->metadata().has_deletiontimestamp() && Satisfied(key, owned, now)) {
      const int want = set->spec().has_replicas() ? set->spec().replicas() : 1;
      const int diff = static_cast<int>(active.size()) - want;
      if (diff < 0) {
        const int n = std::min(-diff, options_.burst);
        requeue = n < -diff;
        failure_reason = "FailedCreate";
        manage_status = CreatePods(*set, n, cluster.get(), pods, key, now);
      } else if (diff > 0) {
        const int n = std::min(diff, options_.burst);
        requeue = n < diff;
        failure_reason = "FailedDelete";
        manage_status = DeletePods(active, n, pods, key, now);
      }
    }

    // Status.
    const absl::Duration min_ready = absl::Seconds(set->spec().minreadyseconds());
    int fully = 0, ready = 0, available = 0;
    std::optional<absl::Duration> next_available;
    const auto& tmpl_labels = set->spec().template_().metadata().labels();
    for (const Pod* p : active) {
      bool all = true;
      for (const auto& [k, v] : tmpl_labels) {
        auto it = p->metadata().labels().find(k);
        if (it == p->metadata().labels().end() || it->second != v) {
          all = false;
          break;
        }
      }
      fully += all;
      if (!PodReady(*p)) continue;
      ++ready;
      if (PodAvailable(*p, min_ready, now)) {
        ++available;
      } else if (std::optional<absl::Time> since = ReadySince(*p); since.has_value()) {
        absl::Duration left = *since + min_ready - now;
        if (!next_available || left < *next_available) next_available = left;
      }
    }
    T updated = *set;
    auto* s = updated.mutable_status();
    s->set_replicas(static_cast<int>(active.size()));
    s->set_fullylabeledreplicas(fully);
    s->set_readyreplicas(ready);
    s->set_availablereplicas(available);
    s->set_observedgeneration(set->metadata().generation());
    if (!failure_reason.empty() || !manage_status.ok()) {
      SetFailure(s->mutable_conditions(), manage_status, failure_reason, now);
    }
    if (updated.status().SerializeAsString() != set->status().SerializeAsString()) {
      absl::Status st = sets.UpdateStatus(updated).status();
      if (!st.ok() && !absl::IsNotFound(st) && !absl::IsAborted(st)) return st;
      if (absl::IsAborted(st)) return ctrl::Result{.requeue = true};
    }
    if (!manage_status.ok()) return manage_status;
    ctrl::Result r;
    r.requeue = requeue;
    if (next_available) r.requeue_after = std::max(*next_available, absl::Milliseconds(1));
    return r;
  }

 private:
  // Whether the cache shows every creation and deletion this controller expects for `key`.
  // The pods of namespace `ns`: read-only objects shared with the pod informer's cache once it
  // has synced (no copy of every pod on each sync; expectations cover the cache's lag, as in
  // Kubernetes), else a list through `pods`.
  static absl::StatusOr<std::vector<PodRef>> ListPods(ctrl::Cluster& cluster,
                                                      client::TypedClient<Pod>& pods,
                                                      const std::string& ns) {
    std::vector<PodRef> out;
    absl::StatusOr<client::SharedIndexInformer*> informer =
        cluster.GetInformers() == nullptr ? absl::UnavailableError("no informers")
                                          : cluster.GetInformers()->For<Pod>();
    if (informer.ok() && (*informer)->HasSynced() && !(*informer)->IsStopped()) {
      for (client::ObjectRef& o :
           client::GenericLister((*informer)->GetIndexer()).Namespace(ns).List()) {
        if (o->GetDescriptor() != Pod::descriptor()) continue;
        out.push_back(std::static_pointer_cast<const Pod>(std::move(o)));
      }
      return out;
    }
    RUDDER_ASSIGN_OR_RETURN(client::TypedList<Pod> list, pods.List(ns));
    out.reserve(list.items.size());
    for (std::unique_ptr<Pod>& p : list.items) out.push_back(PodRef(std::move(p)));
    return out;
  }

  bool Satisfied(const std::string& key, const std::vector<PodRef>& owned, absl::Time now) {
    MutexLock lock(&mu_);
    auto it = expectations_.find(key);
    if (it == expectations_.end()) return true;
    Expectation& e = it->second;
    for (const auto& p : owned) {
      e.adds.erase(p->metadata().name());
      if (!p->metadata().has_deletiontimestamp() && PodActive(*p)) continue;
      e.deletes.erase(p->metadata().uid());
    }
    std::set<std::string> present;
    for (const auto& p : owned) {
      if (!p->metadata().has_deletiontimestamp()) present.insert(p->metadata().uid());
    }
    for (auto d = e.deletes.begin(); d != e.deletes.end();) {
      d = present.count(*d) ? std::next(d) : e.deletes.erase(d);
    }
    if ((e.adds.empty() && e.deletes.empty()) || now - e.since >= options_.expectations_ttl) {
      expectations_.erase(it);
      return true;
    }
    return false;
  }

  void Expect(const std::string& key, absl::Time now, const std::string& add,
              const std::string& del) {
    MutexLock lock(&mu_);
    Expectation& e = expectations_[key];
    if (e.adds.empty() && e.deletes.empty()) e.since = now;
    if (!add.empty()) e.adds.insert(add);
    if (!del.empty()) e.deletes.insert(del);
  }

  absl::Status CreatePods(const T& set, int count, ctrl::Cluster* cluster,
                          client::TypedClient<Pod>& pods, const std::string& key, absl::Time now) {
    for (int batch : SlowStartBatches(count)) {
      absl::Status first_error;
      for (int i = 0; i < batch; ++i) {
        auto pod = std::make_unique<Pod>();
        *pod->mutable_metadata()->mutable_labels() = set.spec().template_().metadata().labels();
        *pod->mutable_metadata()->mutable_annotations() =
            set.spec().template_().metadata().annotations();
        *pod->mutable_spec() = set.spec().template_().spec();
        pod->mutable_metadata()->set_namespace_(set.metadata().namespace_());
        pod->mutable_metadata()->set_generatename(absl::StrCat(set.metadata().name(), "-"));
        RUDDER_RETURN_IF_ERROR(ctrl::SetControllerReference(set, pod.get(), cluster->scheme()));
        absl::StatusOr<std::unique_ptr<Pod>> r = pods.Create(std::move(pod));
        if (!r.ok()) {
          if (first_error.ok()) first_error = r.status();
          continue;
        }
        Expect(key, now, (*r)->metadata().name(), "");
      }
      // Stop at the first batch with a failure (a quota or an admission error stays).
      if (!first_error.ok()) return first_error;
    }
    return absl::OkStatus();
  }

  absl::Status DeletePods(std::vector<const Pod*> active, int count, client::TypedClient<Pod>& pods,
                          const std::string& key, absl::Time now) {
    std::map<std::string, int> per_node;
    for (const Pod* p : active) {
      if (!p->spec().nodename().empty()) ++per_node[p->spec().nodename()];
    }
    auto rank = [&](const Pod* p) {
      return p->spec().nodename().empty() ? 0 : per_node[p->spec().nodename()];
    };
    std::vector<std::pair<const Pod*, int>> ranked;
    for (const Pod* p : active) ranked.emplace_back(p, rank(p));
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return RankedBeforeForDeletion(*a.first, a.second, *b.first, b.second);
    });
    absl::Status first_error;
    for (int i = 0; i < count && i < static_cast<int>(ranked.size()); ++i) {
      const Pod& p = *ranked[i].first;
      client::DeleteOptions opts;
      opts.precondition_uid = p.metadata().uid();
      absl::Status st = pods.Delete(p.metadata().namespace_(), p.metadata().name(), opts);
      if (st.ok()) {
        Expect(key, now, "", p.metadata().uid());
      } else if (!absl::IsNotFound(st) && first_error.ok()) {
        first_error = st;
      }
    }
    return first_error;
  }

  ctrl::Manager* const manager_;
  const ReplicaSetControllerOptions options_;
  Mutex mu_;
  std::map<std::string, Expectation> expectations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::Status AddReplicaSetController(ctrl::Manager* manager, ReplicaSetControllerOptions options) {
  using api::apps::v1::ReplicaSet;
  return ctrl::Builder(manager)
      .For<ReplicaSet>()
      .Owns<Pod>()
      .Named("replicaset")
      .WithOptions({.max_concurrent_reconciles = options.workers})
      .Complete(std::make_shared<SetReconciler<ReplicaSet>>(manager, options));
}

absl::Status AddReplicationControllerController(ctrl::Manager* manager,
                                                ReplicaSetControllerOptions options) {
  using api::core::v1::ReplicationController;
  return ctrl::Builder(manager)
      .For<ReplicationController>()
      .Owns<Pod>()
      .Named("replicationcontroller")
      .WithOptions({.max_concurrent_reconciles = options.workers})
      .Complete(std::make_shared<SetReconciler<ReplicationController>>(manager, options));
}

}  // namespace rudder::controllers
