#include "lib/controllers/deployment/deployment.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/labels/label_selector_proto.h"
#include "lib/api/object/object.h"
#include "lib/base/status_macros.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/controllerutil.h"

namespace rudder::controllers {

using api::apps::v1::Deployment;
using api::apps::v1::DeploymentCondition;
using api::apps::v1::DeploymentStatus;
using api::apps::v1::ReplicaSet;
using api::core::v1::Pod;
using api::core::v1::PodTemplateSpec;

absl::StatusOr<int> ScaledValue(const api::intstr::IntOrString& value, int total, bool round_up) {
  if (value.type() == 0) return value.intval();
  absl::string_view s = value.strval();
  int pct;
  if (!absl::ConsumeSuffix(&s, "%") || !absl::SimpleAtoi(s, &pct) || pct < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value for IntOrString: invalid type: string is not a percentage: \"",
                     value.strval(), "\""));
  }
  const int64_t num = static_cast<int64_t>(pct) * total;
  return static_cast<int>(round_up ? (num + 99) / 100 : num / 100);
}

absl::StatusOr<Fenceposts> ResolveFenceposts(const Deployment& d) {
  const int replicas = d.spec().has_replicas() ? d.spec().replicas() : 1;
  api::intstr::IntOrString surge, unavailable;
  surge.set_type(1);
  surge.set_strval("25%");
  unavailable = surge;
  const auto& ru = d.spec().strategy().rollingupdate();
  if (ru.has_maxsurge()) surge = ru.maxsurge();
  if (ru.has_maxunavailable()) unavailable = ru.maxunavailable();
  Fenceposts f;
  absl::StatusOr<int> s = ScaledValue(surge, replicas, true);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.strategy.rollingUpdate.maxSurge: ", s.status().message()));
  }
  absl::StatusOr<int> u = ScaledValue(unavailable, replicas, false);
  if (!u.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.strategy.rollingUpdate.maxUnavailable: ", u.status().message()));
  }
  f.max_surge = *s;
  f.max_unavailable = *u;
  if (f.max_surge == 0 && f.max_unavailable == 0) f.max_unavailable = 1;
  return f;
}

std::string ComputePodTemplateHash(const PodTemplateSpec& t, int collision_count) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    t.SerializeToCodedStream(&coded);
  }
  if (collision_count > 0) absl::StrAppend(&bytes, "#", collision_count);
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 16777619u;
  }
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string digits = absl::StrCat(h), out;
  for (char c : digits) out += kAlphabet[static_cast<unsigned char>(c) % 27];
  return out;
}

namespace {

constexpr char kProgressing[] = "Progressing";
constexpr char kAvailable[] = "Available";

int Replicas(const Deployment& d) { return d.spec().has_replicas() ? d.spec().replicas() : 1; }
int Replicas(const ReplicaSet& rs) { return rs.spec().has_replicas() ? rs.spec().replicas() : 1; }

bool Rolling(const Deployment& d) { return d.spec().strategy().type() != "Recreate"; }

int64_t Revision(const ReplicaSet& rs) {
  auto it = rs.metadata().annotations().find(kRevisionAnnotation);
  int64_t v = 0;
  if (it != rs.metadata().annotations().end() && absl::SimpleAtoi(it->second, &v)) return v;
  return 0;
}

bool HasProgressDeadline(const Deployment& d) {
  return !d.spec().has_progressdeadlineseconds() || d.spec().progressdeadlineseconds() != INT32_MAX;
}
int ProgressDeadline(const Deployment& d) {
  return d.spec().has_progressdeadlineseconds() ? d.spec().progressdeadlineseconds() : 600;
}

bool EqualIgnoreHash(PodTemplateSpec a, PodTemplateSpec b) {
  a.mutable_metadata()->mutable_labels()->erase(kPodTemplateHashLabel);
  b.mutable_metadata()->mutable_labels()->erase(kPodTemplateHashLabel);
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

absl::Time CreationTime(const ReplicaSet& rs) {
  return api::ToAbslTime(rs.metadata().creationtimestamp());
}
void SortByCreation(std::vector<ReplicaSet*>* v) {
  std::stable_sort(v->begin(), v->end(), [](const ReplicaSet* a, const ReplicaSet* b) {
    if (CreationTime(*a) != CreationTime(*b)) return CreationTime(*a) < CreationTime(*b);
    return a->metadata().name() < b->metadata().name();
  });
}

const DeploymentCondition* GetCondition(const DeploymentStatus& s, const std::string& type) {
  for (const auto& c : s.conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

DeploymentCondition NewCondition(const std::string& type, const std::string& status,
                                 const std::string& reason, const std::string& message,
                                 absl::Time now) {
  DeploymentCondition c;
  c.set_type(type);
  c.set_status(status);
  c.set_reason(reason);
  c.set_message(message);
  *c.mutable_lastupdatetime() = api::FromAbslTime(now);
  *c.mutable_lasttransitiontime() = api::FromAbslTime(now);
  return c;
}

// Kubernetes' SetDeploymentCondition: no change when status and reason are the same; the
// transition time survives when only the reason changes.
void SetCondition(DeploymentStatus* s, DeploymentCondition c) {
  auto* conds = s->mutable_conditions();
  for (int i = 0; i < conds->size(); ++i) {
    DeploymentCondition& cur = *conds->Mutable(i);
    if (cur.type() != c.type()) continue;
    if (cur.status() == c.status() && cur.reason() == c.reason()) return;
    if (cur.status() == c.status()) *c.mutable_lasttransitiontime() = cur.lasttransitiontime();
    conds->DeleteSubrange(i, 1);
    break;
  }
  *conds->Add() = std::move(c);
}

void RemoveCondition(DeploymentStatus* s, const std::string& type) {
  auto* conds = s->mutable_conditions();
  for (int i = 0; i < conds->size(); ++i) {
    if (conds->Get(i).type() == type) {
      conds->DeleteSubrange(i, 1);
      return;
    }
  }
}

bool DeploymentComplete(const Deployment& d, const DeploymentStatus& s) {
  return s.updatedreplicas() == Replicas(d) && s.replicas() == Replicas(d) &&
         s.availablereplicas() == Replicas(d) &&
         s.observedgeneration() >= d.metadata().generation();
}

bool DeploymentProgressing(const Deployment& d, const DeploymentStatus& s) {
  const DeploymentStatus& o = d.status();
  return s.updatedreplicas() > o.updatedreplicas() ||
         s.replicas() - s.updatedreplicas() < o.replicas() - o.updatedreplicas() ||
         s.readyreplicas() > o.readyreplicas() || s.availablereplicas() > o.availablereplicas();
}

bool TimedOut(const Deployment& d, const DeploymentStatus& s, absl::Time now) {
  if (!HasProgressDeadline(d)) return false;
  const DeploymentCondition* c = GetCondition(s, kProgressing);
  if (c == nullptr) return false;
  if (c->reason() == "NewReplicaSetAvailable") return false;
  if (c->reason() == "ProgressDeadlineExceeded") return true;
  return api::ToAbslTime(c->lastupdatetime()) + absl::Seconds(ProgressDeadline(d)) < now;
}

class DeploymentReconciler : public ctrl::Reconciler {
 public:
  DeploymentReconciler(ctrl::Manager* manager) : manager_(manager) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    Sync s{.cluster = cluster.get(),
           .client = cluster->GetClient(),
           .deployments = client::TypedClient<Deployment>(cluster->GetClient()),
           .rss = client::TypedClient<ReplicaSet>(cluster->GetClient()),
           .now = manager_->clock()->Now()};
    absl::StatusOr<std::unique_ptr<Deployment>> got = s.deployments.Get(req.ns, req.name);
    if (absl::IsNotFound(got.status())) return ctrl::Result{};
    if (!got.ok()) return got.status();
    s.d = *std::move(got);
    absl::StatusOr<ctrl::Result> r = SyncDeployment(s);
    if (absl::IsAborted(r.status()) || absl::IsAlreadyExists(r.status())) {
      return ctrl::Result{.requeue = true};
    }
    return r;
  }

 private:
  struct Sync {
    ctrl::Cluster* cluster;
    client::Client* client;
    client::TypedClient<Deployment> deployments;
    client::TypedClient<ReplicaSet> rss;
    absl::Time now;
    std::unique_ptr<Deployment> d;
    std::vector<std::unique_ptr<ReplicaSet>> owned;  // Storage of every ReplicaSet below.
    ReplicaSet* new_rs = nullptr;
    std::vector<ReplicaSet*> old_rss;
    std::optional<absl::Duration> requeue_after;
  };

  std::vector<ReplicaSet*> All(const Sync& s) {
    std::vector<ReplicaSet*> all = s.old_rss;
    if (s.new_rs != nullptr) all.push_back(s.new_rs);
    return all;
  }

  absl::StatusOr<ctrl::Result> SyncDeployment(Sync& s) {
    if (s.d->metadata().has_deletiontimestamp()) return ctrl::Result{};
    RUDDER_ASSIGN_OR_RETURN(api::labels::Selector selector,
                            api::labels::LabelSelectorAsSelector(&s.d->spec().selector()));
    if (selector.Empty()) return ctrl::Result{};  // Would select every pod.
    RUDDER_RETURN_IF_ERROR(ClaimReplicaSets(s, selector));
    RUDDER_ASSIGN_OR_RETURN(Fenceposts fp, ResolveFenceposts(*s.d));

    RUDDER_RETURN_IF_ERROR(CheckPausedConditions(s));
    if (s.d->spec().paused()) {
      RUDDER_RETURN_IF_ERROR(FindReplicaSets(s, /*create=*/false));
      RUDDER_RETURN_IF_ERROR(Scale(s, fp));
      RUDDER_RETURN_IF_ERROR(SyncStatusOnly(s, fp));
      return Done(s);
    }
    RUDDER_RETURN_IF_ERROR(FindReplicaSets(s, /*create=*/false));
    if (IsScalingEvent(s)) {
      RUDDER_RETURN_IF_ERROR(Scale(s, fp));
      RUDDER_RETURN_IF_ERROR(SyncStatusOnly(s, fp));
      return Done(s);
    }
    if (Rolling(*s.d)) {
      RUDDER_RETURN_IF_ERROR(RolloutRolling(s, fp));
    } else {
      RUDDER_RETURN_IF_ERROR(RolloutRecreate(s, fp));
    }
    return Done(s);
  }

  ctrl::Result Done(const Sync& s) {
    ctrl::Result r;
    if (s.requeue_after) r.requeue_after = std::max(*s.requeue_after, absl::Milliseconds(1));
    return r;
  }

  // Lists the Deployment's ReplicaSets into s.owned, adopting matching orphans.
  absl::Status ClaimReplicaSets(Sync& s, const api::labels::Selector& selector) {
    RUDDER_ASSIGN_OR_RETURN(client::TypedList<ReplicaSet> list,
                            s.rss.List(s.d->metadata().namespace_()));
    for (std::unique_ptr<ReplicaSet>& rs : list.items) {
      std::optional<api::meta::v1::OwnerReference> ref = ctrl::GetControllerOf(*rs);
      if (ref.has_value()) {
        if (ref->uid() == s.d->metadata().uid()) s.owned.push_back(std::move(rs));
        continue;
      }
      if (!selector.Matches(rs->metadata().labels()) || rs->metadata().has_deletiontimestamp()) {
        continue;
      }
      ReplicaSet copy = *rs;
      RUDDER_RETURN_IF_ERROR(ctrl::SetControllerReference(*s.d, &copy, s.cluster->scheme()));
      absl::StatusOr<std::unique_ptr<ReplicaSet>> up = s.rss.Update(copy);
      if (!up.ok()) return up.status();
      s.owned.push_back(*std::move(up));
    }
    return absl::OkStatus();
  }

  // Splits s.owned into the new ReplicaSet (template equal to the Deployment's) and the old
  // ones; with `create`, makes the new one when missing and syncs revisions.
  absl::Status FindReplicaSets(Sync& s, bool create) {
    s.new_rs = nullptr;
    s.old_rss.clear();
    std::vector<ReplicaSet*> all;
    for (auto& rs : s.owned) all.push_back(rs.get());
    SortByCreation(&all);
    for (ReplicaSet* rs : all) {
      if (s.new_rs == nullptr && EqualIgnoreHash(rs->spec().template_(), s.d->spec().template_())) {
        s.new_rs = rs;
      } else {
        s.old_rss.push_back(rs);
      }
    }
    if (!create) return absl::OkStatus();
    int64_t max_old = 0;
    for (ReplicaSet* rs : s.old_rss) max_old = std::max(max_old, Revision(*rs));
    const std::string new_revision = absl::StrCat(max_old + 1);
    RUDDER_ASSIGN_OR_RETURN(Fenceposts fp, ResolveFenceposts(*s.d));
    if (s.new_rs != nullptr) {
      ReplicaSet copy = *s.new_rs;
      auto* ann = copy.mutable_metadata()->mutable_annotations();
      if (Revision(copy) < max_old + 1) (*ann)[kRevisionAnnotation] = new_revision;
      (*ann)[kDesiredReplicasAnnotation] = absl::StrCat(Replicas(*s.d));
      (*ann)[kMaxReplicasAnnotation] = absl::StrCat(Replicas(*s.d) + fp.max_surge);
      copy.mutable_spec()->set_minreadyseconds(s.d->spec().minreadyseconds());
      if (copy.SerializeAsString() != s.new_rs->SerializeAsString()) {
        RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<ReplicaSet> up, s.rss.Update(copy));
        *s.new_rs = *up;
      }
      RUDDER_RETURN_IF_ERROR(SetDeploymentRevision(s, Revision(*s.new_rs)));
      if (GetCondition(s.d->status(), kProgressing) == nullptr && HasProgressDeadline(*s.d)) {
        DeploymentStatus st = s.d->status();
        SetCondition(&st, NewCondition(kProgressing, "True", "FoundNewReplicaSet",
                                       absl::StrFormat("Found new replica set \"%s\"",
                                                       s.new_rs->metadata().name()),
                                       s.now));
        RUDDER_RETURN_IF_ERROR(WriteStatus(s, st));
      }
      return absl::OkStatus();
    }

    // A new ReplicaSet.
    const int collisions = s.d->status().collisioncount();
    const std::string hash = ComputePodTemplateHash(s.d->spec().template_(), collisions);
    auto rs = std::make_unique<ReplicaSet>();
    auto* m = rs->mutable_metadata();
    m->set_namespace_(s.d->metadata().namespace_());
    m->set_name(absl::StrCat(s.d->metadata().name(), "-", hash));
    *m->mutable_labels() = s.d->spec().template_().metadata().labels();
    (*m->mutable_labels())[kPodTemplateHashLabel] = hash;
    for (const auto& [k, v] : s.d->metadata().annotations()) {
      if (k == kRevisionAnnotation || k == "kubectl.kubernetes.io/last-applied-configuration" ||
          k == "deployment.kubernetes.io/revision-history") {
        continue;
      }
      (*m->mutable_annotations())[k] = v;
    }
    (*m->mutable_annotations())[kRevisionAnnotation] = new_revision;
    (*m->mutable_annotations())[kDesiredReplicasAnnotation] = absl::StrCat(Replicas(*s.d));
    (*m->mutable_annotations())[kMaxReplicasAnnotation] =
        absl::StrCat(Replicas(*s.d) + fp.max_surge);
    *rs->mutable_spec()->mutable_template_() = s.d->spec().template_();
    (*rs->mutable_spec()
          ->mutable_template_()
          ->mutable_metadata()
          ->mutable_labels())[kPodTemplateHashLabel] = hash;
    *rs->mutable_spec()->mutable_selector() = s.d->spec().selector();
    (*rs->mutable_spec()->mutable_selector()->mutable_matchlabels())[kPodTemplateHashLabel] = hash;
    rs->mutable_spec()->set_minreadyseconds(s.d->spec().minreadyseconds());
    rs->mutable_spec()->set_replicas(0);
    s.new_rs = rs.get();
    std::vector<ReplicaSet*> all_now = All(s);
    rs->mutable_spec()->set_replicas(NewReplicas(s, fp, all_now));
    s.new_rs = nullptr;
    RUDDER_RETURN_IF_ERROR(ctrl::SetControllerReference(*s.d, rs.get(), s.cluster->scheme()));
    absl::StatusOr<std::unique_ptr<ReplicaSet>> created = s.rss.Create(*rs);
    if (absl::IsAlreadyExists(created.status())) {
      absl::StatusOr<std::unique_ptr<ReplicaSet>> existing = s.rss.Get(m->namespace_(), m->name());
      if (existing.ok()) {
        std::optional<api::meta::v1::OwnerReference> ref = ctrl::GetControllerOf(**existing);
        if (ref.has_value() && ref->uid() == s.d->metadata().uid() &&
            EqualIgnoreHash((*existing)->spec().template_(), s.d->spec().template_())) {
          s.owned.push_back(*std::move(existing));
          s.new_rs = s.owned.back().get();
          return absl::OkStatus();
        }
      }
      // A hash collision: the next hash is tried on the next sync.
      DeploymentStatus st = s.d->status();
      st.set_collisioncount(collisions + 1);
      RUDDER_RETURN_IF_ERROR(WriteStatus(s, st));
      return absl::AbortedError("pod-template-hash collision");
    }
    if (!created.ok()) {
      DeploymentStatus st = s.d->status();
      SetCondition(&st, NewCondition("ReplicaFailure", "True", "FailedCreate",
                                     std::string(created.status().message()), s.now));
      if (HasProgressDeadline(*s.d)) {
        SetCondition(&st, NewCondition(kProgressing, "False", "ReplicaSetCreateError",
                                       std::string(created.status().message()), s.now));
      }
      (void)WriteStatus(s, st);
      return created.status();
    }
    s.owned.push_back(*std::move(created));
    s.new_rs = s.owned.back().get();
    RUDDER_RETURN_IF_ERROR(SetDeploymentRevision(s, max_old + 1));
    if (HasProgressDeadline(*s.d)) {
      DeploymentStatus st = s.d->status();
      SetCondition(&st, NewCondition(kProgressing, "True", "NewReplicaSetCreated",
                                     absl::StrFormat("Created new replica set \"%s\"",
                                                     s.new_rs->metadata().name()),
                                     s.now));
      RUDDER_RETURN_IF_ERROR(WriteStatus(s, st));
    }
    return absl::OkStatus();
  }

  absl::Status SetDeploymentRevision(Sync& s, int64_t revision) {
    const std::string r = absl::StrCat(revision);
    auto it = s.d->metadata().annotations().find(kRevisionAnnotation);
    if (it != s.d->metadata().annotations().end() && it->second == r) return absl::OkStatus();
    Deployment copy = *s.d;
    (*copy.mutable_metadata()->mutable_annotations())[kRevisionAnnotation] = r;
    RUDDER_ASSIGN_OR_RETURN(s.d, s.deployments.Update(copy));
    return absl::OkStatus();
  }

  absl::Status WriteStatus(Sync& s, const DeploymentStatus& st) {
    if (st.SerializeAsString() == s.d->status().SerializeAsString()) return absl::OkStatus();
    Deployment copy = *s.d;
    *copy.mutable_status() = st;
    RUDDER_ASSIGN_OR_RETURN(s.d, s.deployments.UpdateStatus(copy));
    return absl::OkStatus();
  }

  // Scales `rs` to `replicas`, refreshing its replica annotations.
  absl::Status ScaleRs(Sync& s, ReplicaSet* rs, int replicas, const Fenceposts& fp) {
    ReplicaSet copy = *rs;
    copy.mutable_spec()->set_replicas(replicas);
    auto* ann = copy.mutable_metadata()->mutable_annotations();
    (*ann)[kDesiredReplicasAnnotation] = absl::StrCat(Replicas(*s.d));
    (*ann)[kMaxReplicasAnnotation] = absl::StrCat(Replicas(*s.d) + fp.max_surge);
    if (copy.SerializeAsString() == rs->SerializeAsString()) return absl::OkStatus();
    RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<ReplicaSet> up, s.rss.Update(copy));
    *rs = *up;
    return absl::OkStatus();
  }

  int MaxUnavailable(const Deployment& d, const Fenceposts& fp) {
    if (!Rolling(d) || Replicas(d) == 0) return 0;
    return std::min(fp.max_unavailable, Replicas(d));
  }

  static int SpecSum(const std::vector<ReplicaSet*>& v) {
    int n = 0;
    for (const ReplicaSet* rs : v) n += Replicas(*rs);
    return n;
  }

  // Kubernetes' NewRSNewReplicas.
  int NewReplicas(const Sync& s, const Fenceposts& fp, const std::vector<ReplicaSet*>& all) {
    if (!Rolling(*s.d)) return Replicas(*s.d);
    const int current = SpecSum(all);
    const int max_total = Replicas(*s.d) + fp.max_surge;
    const int have = Replicas(*s.new_rs);
    if (current >= max_total) return have;
    const int up = std::min(max_total - current, Replicas(*s.d) - have);
    return have + up;
  }

  absl::Status RolloutRolling(Sync& s, const Fenceposts& fp) {
    RUDDER_RETURN_IF_ERROR(FindReplicaSets(s, /*create=*/true));
    // Scale the new ReplicaSet up.
    const int want = Replicas(*s.d);
    const int have = Replicas(*s.new_rs);
    if (have > want) {
      RUDDER_RETURN_IF_ERROR(ScaleRs(s, s.new_rs, want, fp));
      return SyncRolloutStatus(s, fp);
    }
    if (have < want) {
      const int n = NewReplicas(s, fp, All(s));
      if (n != have) {
        RUDDER_RETURN_IF_ERROR(ScaleRs(s, s.new_rs, n, fp));
        return SyncRolloutStatus(s, fp);
      }
    }
    // Scale old ones down.
    RUDDER_ASSIGN_OR_RETURN(bool scaled_down, ReconcileOld(s, fp));
    if (scaled_down) return SyncRolloutStatus(s, fp);
    DeploymentStatus st = CalculateStatus(s, fp);
    if (DeploymentComplete(*s.d, st)) RUDDER_RETURN_IF_ERROR(Cleanup(s));
    return SyncRolloutStatus(s, fp);
  }

  absl::StatusOr<bool> ReconcileOld(Sync& s, const Fenceposts& fp) {
    if (SpecSum(s.old_rss) == 0) return false;
    const int all_pods = SpecSum(All(s));
    const int min_available = Replicas(*s.d) - MaxUnavailable(*s.d, fp);
    const int new_unavailable = Replicas(*s.new_rs) - s.new_rs->status().availablereplicas();
    const int max_scaled_down = all_pods - min_available - new_unavailable;
    if (max_scaled_down <= 0) return false;
    std::vector<ReplicaSet*> old = s.old_rss;
    SortByCreation(&old);
    // Unhealthy replicas of old sets go first.
    int cleaned = 0;
    for (ReplicaSet* rs : old) {
      if (cleaned >= max_scaled_down) break;
      const int r = Replicas(*rs), avail = rs->status().availablereplicas();
      if (r == 0 || r <= avail) continue;
      const int n = std::min(max_scaled_down - cleaned, r - avail);
      RUDDER_RETURN_IF_ERROR(ScaleRs(s, rs, r - n, fp));
      cleaned += n;
    }
    // Then available ones while enough stay available.
    int available = 0;
    for (const ReplicaSet* rs : All(s)) available += rs->status().availablereplicas();
    int scaled = 0;
    if (available > min_available) {
      const int total = available - min_available;
      for (ReplicaSet* rs : old) {
        if (scaled >= total) break;
        const int r = Replicas(*rs);
        if (r == 0) continue;
        const int n = std::min(r, total - scaled);
        RUDDER_RETURN_IF_ERROR(ScaleRs(s, rs, r - n, fp));
        scaled += n;
      }
    }
    return cleaned + scaled > 0;
  }

  absl::Status RolloutRecreate(Sync& s, const Fenceposts& fp) {
    bool scaled = false;
    for (ReplicaSet* rs : s.old_rss) {
      if (Replicas(*rs) != 0) {
        RUDDER_RETURN_IF_ERROR(ScaleRs(s, rs, 0, fp));
        scaled = true;
      }
    }
    if (scaled) return SyncRolloutStatus(s, fp);
    RUDDER_ASSIGN_OR_RETURN(bool running, OldPodsRunning(s));
    if (running) return SyncRolloutStatus(s, fp);
    RUDDER_RETURN_IF_ERROR(FindReplicaSets(s, /*create=*/true));
    if (Replicas(*s.new_rs) != Replicas(*s.d)) {
      RUDDER_RETURN_IF_ERROR(ScaleRs(s, s.new_rs, Replicas(*s.d), fp));
      return SyncRolloutStatus(s, fp);
    }
    DeploymentStatus st = CalculateStatus(s, fp);
    if (DeploymentComplete(*s.d, st)) RUDDER_RETURN_IF_ERROR(Cleanup(s));
    return SyncRolloutStatus(s, fp);
  }

  // Whether any pod of an old ReplicaSet still exists and has not terminated.
  absl::StatusOr<bool> OldPodsRunning(Sync& s) {
    for (const ReplicaSet* rs : s.old_rss) {
      if (rs->status().replicas() > 0) return true;
    }
    client::TypedClient<Pod> pods(s.client);
    RUDDER_ASSIGN_OR_RETURN(client::TypedList<Pod> list, pods.List(s.d->metadata().namespace_()));
    for (const auto& p : list.items) {
      if (p->status().phase() == "Failed" || p->status().phase() == "Succeeded") continue;
      std::optional<api::meta::v1::OwnerReference> ref = ctrl::GetControllerOf(*p);
      if (!ref.has_value()) continue;
      for (const ReplicaSet* rs : s.old_rss) {
        if (ref->uid() == rs->metadata().uid()) return true;
      }
    }
    return false;
  }

  bool IsScalingEvent(const Sync& s) {
    for (const ReplicaSet* rs : All(s)) {
      if (Replicas(*rs) == 0) continue;
      auto it = rs->metadata().annotations().find(kDesiredReplicasAnnotation);
      int v;
      if (it == rs->metadata().annotations().end() || !absl::SimpleAtoi(it->second, &v)) {
        continue;
      }
      if (v != Replicas(*s.d)) return true;
    }
    return false;
  }

  // Kubernetes' scale(): a single active ReplicaSet takes the replicas; otherwise the
  // difference to `replicas + maxSurge` is spread over the active sets in proportion to their
  // size (each set's share of its `max-replicas` annotation, rounded; the largest set takes
  // what rounding leaves over).
  absl::Status Scale(Sync& s, const Fenceposts& fp) {
    std::vector<ReplicaSet*> active;
    for (ReplicaSet* rs : All(s)) {
      if (Replicas(*rs) > 0) active.push_back(rs);
    }
    if (active.empty()) {
      ReplicaSet* latest = s.new_rs;
      if (latest == nullptr && !s.old_rss.empty()) {
        std::vector<ReplicaSet*> old = s.old_rss;
        SortByCreation(&old);
        latest = old.back();
      }
      if (latest != nullptr) return ScaleRs(s, latest, Replicas(*s.d), fp);
      return absl::OkStatus();
    }
    if (active.size() == 1) return ScaleRs(s, active[0], Replicas(*s.d), fp);
    // The new set is saturated (its size, its desired-replicas annotation and its available
    // pods all equal the Deployment's replicas): the old ones go.
    if (s.new_rs != nullptr && Replicas(*s.new_rs) == Replicas(*s.d) &&
        AnnotatedDesired(*s.new_rs) == Replicas(*s.d) &&
        s.new_rs->status().availablereplicas() == Replicas(*s.d)) {
      for (ReplicaSet* rs : s.old_rss) RUDDER_RETURN_IF_ERROR(ScaleRs(s, rs, 0, fp));
      return absl::OkStatus();
    }
    const int current = SpecSum(active);
    const int allowed =
        Replicas(*s.d) > 0 ? Replicas(*s.d) + (Rolling(*s.d) ? fp.max_surge : 0) : 0;
    const int to_add = allowed - current;
    if (to_add == 0) {
      for (ReplicaSet* rs : active) RUDDER_RETURN_IF_ERROR(ScaleRs(s, rs, Replicas(*rs), fp));
      return absl::OkStatus();
    }
    // Largest first; among equals the newest first when growing, the oldest when shrinking.
    std::sort(active.begin(), active.end(), [&](const ReplicaSet* a, const ReplicaSet* b) {
      if (Replicas(*a) != Replicas(*b)) return Replicas(*a) > Replicas(*b);
      return to_add > 0 ? CreationTime(*a) > CreationTime(*b) : CreationTime(*a) < CreationTime(*b);
    });
    std::vector<int> target;
    int added = 0;
    for (ReplicaSet* rs : active) {
      int share = 0;
      if (to_add != added) {
        share = ReplicaSetFraction(s, *rs, allowed, current);
        const int left = to_add - added;
        share = to_add > 0 ? std::min(share, left) : std::max(share, left);
      }
      target.push_back(Replicas(*rs) + share);
      added += share;
    }
    target[0] = std::max(0, target[0] + (to_add - added));
    for (size_t i = 0; i < active.size(); ++i) {
      RUDDER_RETURN_IF_ERROR(ScaleRs(s, active[i], target[i], fp));
    }
    return absl::OkStatus();
  }

  // The ReplicaSet's desired-replicas annotation, -1 without one.
  static int64_t AnnotatedDesired(const ReplicaSet& rs) {
    auto it = rs.metadata().annotations().find(kDesiredReplicasAnnotation);
    int64_t v = -1;
    if (it == rs.metadata().annotations().end() || !absl::SimpleAtoi(it->second, &v)) return -1;
    return v;
  }

  // How many replicas `rs` gains (or loses) when the Deployment's allowed size becomes
  // `allowed`: its size scaled by allowed / its `max-replicas` annotation (the Deployment's
  // status.replicas without one, `current` if that is 0 too), rounded half away from zero.
  int ReplicaSetFraction(const Sync& s, const ReplicaSet& rs, int allowed, int current) {
    if (Replicas(*s.d) == 0) return -Replicas(rs);
    int64_t annotated = 0;
    auto it = rs.metadata().annotations().find(kMaxReplicasAnnotation);
    if (it == rs.metadata().annotations().end() || !absl::SimpleAtoi(it->second, &annotated)) {
      annotated = s.d->status().replicas();
    }
    if (annotated <= 0) annotated = current;
    const double size = static_cast<double>(Replicas(rs)) * allowed / annotated;
    return static_cast<int>(std::llround(size)) - Replicas(rs);
  }

  absl::Status Cleanup(Sync& s) {
    const int limit =
        s.d->spec().has_revisionhistorylimit() ? s.d->spec().revisionhistorylimit() : 10;
    std::vector<ReplicaSet*> alive;
    for (ReplicaSet* rs : s.old_rss) {
      if (!rs->metadata().has_deletiontimestamp()) alive.push_back(rs);
    }
    int diff = static_cast<int>(alive.size()) - limit;
    if (diff <= 0) return absl::OkStatus();
    std::stable_sort(alive.begin(), alive.end(), [](const ReplicaSet* a, const ReplicaSet* b) {
      if (Revision(*a) != Revision(*b)) return Revision(*a) < Revision(*b);
      return CreationTime(*a) < CreationTime(*b);
    });
    for (ReplicaSet* rs : alive) {
      if (diff <= 0) break;
      if (rs->status().replicas() != 0 || Replicas(*rs) != 0 ||
          rs->status().observedgeneration() < rs->metadata().generation()) {
        continue;
      }
      client::DeleteOptions opts;
      opts.precondition_uid = rs->metadata().uid();
      absl::Status st = s.rss.Delete(rs->metadata().namespace_(), rs->metadata().name(), opts);
      if (!st.ok() && !absl::IsNotFound(st)) return st;
      --diff;
    }
    return absl::OkStatus();
  }

  DeploymentStatus CalculateStatus(const Sync& s, const Fenceposts& fp) {
    DeploymentStatus st = s.d->status();
    int replicas = 0, ready = 0, available = 0;
    for (const ReplicaSet* rs : All(s)) {
      replicas += rs->status().replicas();
      ready += rs->status().readyreplicas();
      available += rs->status().availablereplicas();
    }
    st.set_observedgeneration(s.d->metadata().generation());
    st.set_replicas(replicas);
    st.set_updatedreplicas(s.new_rs != nullptr ? s.new_rs->status().replicas() : 0);
    st.set_readyreplicas(ready);
    st.set_availablereplicas(available);
    st.set_unavailablereplicas(std::max(0, Replicas(*s.d) - available));
    if (available >= Replicas(*s.d) - MaxUnavailable(*s.d, fp)) {
      SetCondition(&st, NewCondition(kAvailable, "True", "MinimumReplicasAvailable",
                                     "Deployment has minimum availability.", s.now));
    } else {
      SetCondition(&st, NewCondition(kAvailable, "False", "MinimumReplicasUnavailable",
                                     "Deployment does not have minimum availability.", s.now));
    }
    return st;
  }

  absl::Status SyncStatusOnly(Sync& s, const Fenceposts& fp) {
    return WriteStatus(s, CalculateStatus(s, fp));
  }

  absl::Status SyncRolloutStatus(Sync& s, const Fenceposts& fp) {
    DeploymentStatus st = CalculateStatus(s, fp);
    if (!HasProgressDeadline(*s.d)) RemoveCondition(&st, kProgressing);
    const DeploymentCondition* cur = GetCondition(st, kProgressing);
    const bool complete = st.replicas() == st.updatedreplicas() && cur != nullptr &&
                          cur->reason() == "NewReplicaSetAvailable";
    const std::string name = s.new_rs != nullptr ? s.new_rs->metadata().name() : "";
    if (HasProgressDeadline(*s.d) && !complete) {
      if (DeploymentComplete(*s.d, st)) {
        SetCondition(&st, NewCondition(kProgressing, "True", "NewReplicaSetAvailable",
                                       absl::StrFormat("ReplicaSet \"%s\" has successfully "
                                                       "progressed.",
                                                       name),
                                       s.now));
      } else if (DeploymentProgressing(*s.d, st)) {
        DeploymentCondition c =
            NewCondition(kProgressing, "True", "ReplicaSetUpdated",
                         absl::StrFormat("ReplicaSet \"%s\" is progressing.", name), s.now);
        if (cur != nullptr && cur->status() == "True") {
          *c.mutable_lasttransitiontime() = cur->lasttransitiontime();
        }
        RemoveCondition(&st, kProgressing);
        *st.add_conditions() = std::move(c);
      } else if (TimedOut(*s.d, st, s.now)) {
        SetCondition(&st, NewCondition(kProgressing, "False", "ProgressDeadlineExceeded",
                                       absl::StrFormat("ReplicaSet \"%s\" has timed out "
                                                       "progressing.",
                                                       name),
                                       s.now));
      }
    }
    // Requeue when the deadline would pass with nothing else happening.
    cur = GetCondition(st, kProgressing);
    if (HasProgressDeadline(*s.d) && cur != nullptr && cur->status() == "True" &&
        cur->reason() != "NewReplicaSetAvailable" && cur->reason() != "DeploymentPaused" &&
        !DeploymentComplete(*s.d, st)) {
      const absl::Time deadline =
          api::ToAbslTime(cur->lastupdatetime()) + absl::Seconds(ProgressDeadline(*s.d));
      s.requeue_after = deadline - s.now + absl::Seconds(1);
    }
    return WriteStatus(s, st);
  }

  absl::Status CheckPausedConditions(Sync& s) {
    if (!HasProgressDeadline(*s.d)) return absl::OkStatus();
    const DeploymentCondition* cur = GetCondition(s.d->status(), kProgressing);
    if (cur != nullptr && cur->reason() == "ProgressDeadlineExceeded") return absl::OkStatus();
    const bool paused_cond = cur != nullptr && cur->reason() == "DeploymentPaused";
    DeploymentStatus st = s.d->status();
    if (s.d->spec().paused() && !paused_cond) {
      SetCondition(&st, NewCondition(kProgressing, "Unknown", "DeploymentPaused",
                                     "Deployment is paused", s.now));
    } else if (!s.d->spec().paused() && paused_cond) {
      SetCondition(&st, NewCondition(kProgressing, "Unknown", "DeploymentResumed",
                                     "Deployment is resumed", s.now));
    } else {
      return absl::OkStatus();
    }
    return WriteStatus(s, st);
  }

  ctrl::Manager* const manager_;
};

}  // namespace

absl::Status AddDeploymentController(ctrl::Manager* manager, DeploymentControllerOptions options) {
  return ctrl::Builder(manager)
      .For<Deployment>()
      .Owns<ReplicaSet>()
      .Named("deployment")
      .WithOptions({.max_concurrent_reconciles = options.workers})
      .Complete(std::make_shared<DeploymentReconciler>(manager));
}

}  // namespace rudder::controllers
