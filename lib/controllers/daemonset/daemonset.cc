#include "lib/controllers/daemonset/daemonset.h"

#include <algorithm>
#include <cstdint>
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
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/status_macros.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/controllerutil.h"

namespace rudder::controllers {
namespace {

using api::apps::v1::ControllerRevision;
using api::apps::v1::DaemonSet;
using api::apps::v1::DaemonSetStatus;
using api::core::v1::Node;
using api::core::v1::NodeSelectorRequirement;
using api::core::v1::NodeSelectorTerm;
using api::core::v1::Pod;
using api::core::v1::PodSpec;
using api::core::v1::Taint;
using api::core::v1::Toleration;

// ---- Node eligibility.

bool Tolerates(const Toleration& t, const Taint& taint) {
  if (!t.effect().empty() && t.effect() != taint.effect()) return false;
  if (t.operator_() == "Exists") return t.key().empty() || t.key() == taint.key();
  return t.key() == taint.key() && t.value() == taint.value();
}

bool RequirementMatches(const NodeSelectorRequirement& r, const std::string* value) {
  const std::string& op = r.operator_();
  auto in = [&] {
    return value != nullptr &&
           std::find(r.values().begin(), r.values().end(), *value) != r.values().end();
  };
  if (op == "In") return in();
  if (op == "NotIn") return !in();
  if (op == "Exists") return value != nullptr;
  if (op == "DoesNotExist") return value == nullptr;
  if (op == "Gt" || op == "Lt") {
    int64_t have, want;
    if (value == nullptr || r.values_size() != 1 || !absl::SimpleAtoi(*value, &have) ||
        !absl::SimpleAtoi(r.values(0), &want)) {
      return false;
    }
    return op == "Gt" ? have > want : have < want;
  }
  return false;
}

bool TermMatches(const NodeSelectorTerm& term, const Node& node) {
  if (term.matchexpressions().empty() && term.matchfields().empty()) return false;
  for (const auto& r : term.matchexpressions()) {
    auto it = node.metadata().labels().find(r.key());
    const std::string* v = it == node.metadata().labels().end() ? nullptr : &it->second;
    if (!RequirementMatches(r, v)) return false;
  }
  for (const auto& r : term.matchfields()) {
    if (r.key() != "metadata.name") return false;
    if (!RequirementMatches(r, &node.metadata().name())) return false;
  }
  return true;
}

// The tolerations every DaemonSet pod gets (Kubernetes' AddOrUpdateDaemonPodTolerations).
void AddDefaultTolerations(PodSpec* spec) {
  auto add = [spec](const std::string& key, const std::string& effect) {
    for (const Toleration& t : spec->tolerations()) {
      if (t.key() == key && t.effect() == effect && t.operator_() == "Exists") return;
    }
    Toleration* t = spec->add_tolerations();
    t->set_key(key);
    t->set_operator_("Exists");
    t->set_effect(effect);
  };
  add("node.kubernetes.io/not-ready", "NoExecute");
  add("node.kubernetes.io/unreachable", "NoExecute");
  add("node.kubernetes.io/disk-pressure", "NoSchedule");
  add("node.kubernetes.io/memory-pressure", "NoSchedule");
  add("node.kubernetes.io/pid-pressure", "NoSchedule");
  add("node.kubernetes.io/unschedulable", "NoSchedule");
  if (spec->hostnetwork()) add("node.kubernetes.io/network-unavailable", "NoSchedule");
}

struct Eligibility {
  bool should_run = false;       // A pod belongs there (new pods may be placed).
  bool should_continue = false;  // A pod already there may stay.
};

Eligibility NodeEligibility(const PodSpec& spec, const Node& node) {
  Eligibility e;
  for (const auto& [k, v] : spec.nodeselector()) {
    auto it = node.metadata().labels().find(k);
    if (it == node.metadata().labels().end() || it->second != v) return e;
  }
  if (spec.affinity().nodeaffinity().has_requiredduringschedulingignoredduringexecution()) {
    const auto& terms =
        spec.affinity().nodeaffinity().requiredduringschedulingignoredduringexecution();
    bool any = false;
    for (const auto& t : terms.nodeselectorterms()) any = any || TermMatches(t, node);
    if (!any) return e;
  }
  e.should_run = e.should_continue = true;
  for (const Taint& taint : node.spec().taints()) {
    if (taint.effect() != "NoSchedule" && taint.effect() != "NoExecute") continue;
    bool tolerated = false;
    for (const Toleration& t : spec.tolerations()) tolerated = tolerated || Tolerates(t, taint);
    if (tolerated) continue;
    e.should_run = false;
    if (taint.effect() == "NoExecute") e.should_continue = false;
  }
  return e;
}

// The node a daemon pod is for: spec.nodeName, else its pinned affinity.
std::string PodNode(const Pod& p) {
  if (!p.spec().nodename().empty()) return p.spec().nodename();
  const auto& req =
      p.spec().affinity().nodeaffinity().requiredduringschedulingignoredduringexecution();
  for (const auto& term : req.nodeselectorterms()) {
    for (const auto& f : term.matchfields()) {
      if (f.key() == "metadata.name" && f.operator_() == "In" && f.values_size() == 1) {
        return f.values(0);
      }
    }
  }
  return "";
}

// ---- Pod state.

std::optional<absl::Time> ReadySince(const Pod& p) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == "Ready" && c.status() == "True") return api::ToAbslTime(c.lasttransitiontime());
  }
  return std::nullopt;
}

// ---- Revisions.

// Kubernetes' rand.SafeEncodeString alphabet (no vowels, no confusable characters).
std::string SafeEncode(const std::string& s) {
  static constexpr char kAlphanums[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out = s;
  for (char& c : out) c = kAlphanums[static_cast<unsigned char>(c) % (sizeof(kAlphanums) - 1)];
  return out;
}

absl::StatusOr<std::string> TemplateHash(const DaemonSet& ds) {
  RUDDER_ASSIGN_OR_RETURN(std::string json, api::EncodeJson(ds.spec().template_()));
  uint32_t h = 2166136261u;  // FNV-1a, 32 bits.
  for (unsigned char c : json) {
    h ^= c;
    h *= 16777619u;
  }
  if (ds.status().collisioncount() > 0) {
    for (int i = 0; i < 4; ++i) {
      h ^= (static_cast<uint32_t>(ds.status().collisioncount()) >> (8 * i)) & 0xff;
      h *= 16777619u;
    }
  }
  return SafeEncode(absl::StrCat(h));
}

int32_t Scaled(const api::intstr::IntOrString& v, int32_t total, int32_t fallback) {
  if (v.type() == 1 || !v.strval().empty()) {
    absl::string_view s = v.strval();
    if (!absl::ConsumeSuffix(&s, "%")) return fallback;
    int pct;
    if (!absl::SimpleAtoi(s, &pct)) return fallback;
    return static_cast<int32_t>((static_cast<int64_t>(total) * pct + 99) / 100);  // Round up.
  }
  return v.has_intval() ? v.intval() : fallback;
}

class DaemonSetReconciler : public ctrl::Reconciler {
 public:
  explicit DaemonSetReconciler(ctrl::Manager* manager) : manager_(manager) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    client::Client* c = cluster->GetClient();
    client::TypedClient<DaemonSet> sets(c);
    client::TypedClient<Pod> pods_client(c);
    absl::StatusOr<std::unique_ptr<DaemonSet>> got = sets.Get(req.ns, req.name);
    if (absl::IsNotFound(got.status())) return ctrl::Result{};
    if (!got.ok()) return got.status();
    std::unique_ptr<DaemonSet> ds = *std::move(got);
    if (ds->metadata().has_deletiontimestamp()) return ctrl::Result{};
    const absl::Time now = manager_->clock()->Now();

    RUDDER_ASSIGN_OR_RETURN(std::string hash, TemplateHash(*ds));
    RUDDER_ASSIGN_OR_RETURN(client::TypedList<Node> nodes, client::TypedClient<Node>(c).List(""));
    RUDDER_ASSIGN_OR_RETURN(client::TypedList<Pod> all_pods, pods_client.List(req.ns));
    std::map<std::string, std::vector<const Pod*>> by_node;  // Live daemon pods per node.
    std::vector<const Pod*> orphans;                         // Pods for nodes that are gone.
    std::set<std::string> node_names;
    for (const auto& n : nodes.items) node_names.insert(n->metadata().name());
    std::set<std::string> pod_hashes;
    for (const auto& p : all_pods.items) {
      bool mine = false;
      for (const auto& ref : p->metadata().ownerreferences()) {
        mine = mine || (ref.controller() && ref.uid() == ds->metadata().uid());
      }
      if (!mine || p->metadata().has_deletiontimestamp()) continue;
      auto h = p->metadata().labels().find(kControllerRevisionHash);
      if (h != p->metadata().labels().end()) pod_hashes.insert(h->second);
      std::string node = PodNode(*p);
      if (node_names.count(node) == 0) {
        orphans.push_back(p.get());
      } else {
        by_node[node].push_back(p.get());
      }
    }
    for (auto& [node, list] : by_node) {
      std::stable_sort(list.begin(), list.end(), [](const Pod* a, const Pod* b) {
        return api::ToAbslTime(a->metadata().creationtimestamp()) <
               api::ToAbslTime(b->metadata().creationtimestamp());
      });
    }

    RUDDER_RETURN_IF_ERROR(SyncRevisions(c, *ds, hash, pod_hashes));

    PodSpec effective = ds->spec().template_().spec();
    AddDefaultTolerations(&effective);
    const bool rolling = ds->spec().updatestrategy().type() != "OnDelete";
    const int32_t min_ready = ds->spec().minreadyseconds();
    ctrl::Result result;
    auto available = [&](const Pod& p) {
      std::optional<absl::Time> since = ReadySince(p);
      if (!since) return false;
      if (min_ready <= 0) return true;
      absl::Time at = *since + absl::Seconds(min_ready);
      if (at <= now) return true;
      absl::Duration wait = at - now;
      if (result.requeue_after <= absl::ZeroDuration() || wait < result.requeue_after) {
        result.requeue_after = wait;
      }
      return false;
    };
    auto is_new = [&](const Pod& p) {
      auto it = p.metadata().labels().find(kControllerRevisionHash);
      return it != p.metadata().labels().end() && it->second == hash;
    };

    // Surge settings, for how many pods a node may keep.
    int32_t desired = 0;
    std::map<std::string, Eligibility> eligible;
    for (const auto& n : nodes.items) {
      Eligibility e = NodeEligibility(effective, *n);
      eligible[n->metadata().name()] = e;
      if (e.should_run) ++desired;
    }
    const auto& ru = ds->spec().updatestrategy().rollingupdate();
    int32_t max_surge = rolling ? Scaled(ru.maxsurge(), desired, 0) : 0;
    int32_t max_unavailable = rolling ? Scaled(ru.maxunavailable(), desired, 1) : 0;
    if (rolling && max_surge == 0 && max_unavailable == 0) max_unavailable = 1;

    // --- Manage: pods where they belong, none elsewhere.
    std::vector<std::string> create_on;
    std::vector<const Pod*> to_delete = orphans;
    for (const auto& n : nodes.items) {
      const std::string& name = n->metadata().name();
      const Eligibility& e = eligible[name];
      std::vector<const Pod*> running;
      for (const Pod* p : by_node[name]) {
        if (p->status().phase() == "Failed") {
          to_delete.push_back(p);  // Replaced below.
        } else {
          running.push_back(p);
        }
      }
      if (e.should_run || (e.should_continue && !running.empty())) {
        if (running.empty()) {
          if (e.should_run) create_on.push_back(name);
          continue;
        }
        // Keep the oldest pod (with surge: the oldest old and the oldest new one).
        const Pod* keep_old = nullptr;
        const Pod* keep_new = nullptr;
        for (const Pod* p : running) {
          const Pod*& keep = (max_surge > 0 && is_new(*p)) ? keep_new : keep_old;
          if (keep == nullptr) {
            keep = p;
          } else {
            to_delete.push_back(p);
          }
        }
      } else {
        for (const Pod* p : running) to_delete.push_back(p);
      }
    }
    for (const Pod* p : to_delete) RUDDER_RETURN_IF_ERROR(DeletePod(pods_client, *p));
    for (const std::string& node : create_on) {
      RUDDER_RETURN_IF_ERROR(CreatePod(cluster.get(), *ds, hash, node, pods_client));
    }
    std::set<const Pod*> deleted(to_delete.begin(), to_delete.end());

    // --- Rolling update (only once the placement is settled).
    if (rolling && to_delete.empty() && create_on.empty()) {
      std::vector<const Pod*> old_to_delete;
      std::vector<std::string> new_nodes;
      if (max_surge == 0) {
        int32_t unavailable = 0;
        std::vector<const Pod*> candidates;
        for (const auto& [node, list] : by_node) {
          if (!eligible[node].should_run || list.empty()) continue;
          const Pod* p = list.front();
          if (is_new(*p)) {
            if (!available(*p)) ++unavailable;
          } else if (!available(*p)) {
            old_to_delete.push_back(p);  // Unavailable anyway: replace it at once.
            ++unavailable;
          } else {
            candidates.push_back(p);
          }
        }
        int32_t budget = std::max(0, max_unavailable - unavailable);
        for (size_t i = 0; i < candidates.size() && i < static_cast<size_t>(budget); ++i) {
          old_to_delete.push_back(candidates[i]);
        }
      } else {
        int32_t surging = 0;
        std::vector<std::string> candidates;
        for (const auto& [node, list] : by_node) {
          if (!eligible[node].should_run) continue;
          const Pod* old_pod = nullptr;
          const Pod* new_pod = nullptr;
          for (const Pod* p : list) (is_new(*p) ? new_pod : old_pod) = p;
          if (old_pod == nullptr) continue;
          if (new_pod == nullptr) {
            if (!available(*old_pod)) {
              new_nodes.push_back(node);
            } else {
              candidates.push_back(node);
            }
          } else {
            if (available(*new_pod)) {
              old_to_delete.push_back(old_pod);
            } else {
              ++surging;
            }
          }
        }
        int32_t budget = std::max(0, max_surge - surging);
        for (size_t i = 0; i < candidates.size() && i < static_cast<size_t>(budget); ++i) {
          new_nodes.push_back(candidates[i]);
        }
      }
      for (const Pod* p : old_to_delete) {
        RUDDER_RETURN_IF_ERROR(DeletePod(pods_client, *p));
        deleted.insert(p);
      }
      for (const std::string& node : new_nodes) {
        RUDDER_RETURN_IF_ERROR(CreatePod(cluster.get(), *ds, hash, node, pods_client));
      }
    }

    // --- Status (from what is left; created pods count once they are observed).
    DaemonSetStatus status = ds->status();
    int32_t current = 0, misscheduled = 0, ready = 0, avail = 0, updated = 0;
    for (const auto& [node, list] : by_node) {
      std::vector<const Pod*> live;
      for (const Pod* p : list) {
        if (deleted.count(p) == 0) live.push_back(p);
      }
      if (live.empty()) continue;
      if (!eligible[node].should_run) {
        ++misscheduled;
        continue;
      }
      ++current;
      const Pod* p = live.front();
      for (const Pod* q : live) {
        if (is_new(*q)) p = q;
      }
      if (is_new(*p)) ++updated;
      if (ReadySince(*p)) ++ready;
      if (available(*p)) ++avail;
    }
    status.set_desirednumberscheduled(desired);
    status.set_currentnumberscheduled(current);
    status.set_numbermisscheduled(misscheduled);
    status.set_numberready(ready);
    status.set_numberavailable(avail);
    status.set_numberunavailable(std::max(0, desired - avail));
    status.set_updatednumberscheduled(updated);
    status.set_observedgeneration(ds->metadata().generation());
    if (!google::protobuf::util::MessageDifferencer::Equals(status, ds->status())) {
      DaemonSet write = *ds;
      *write.mutable_status() = status;
      RUDDER_RETURN_IF_ERROR(sets.UpdateStatus(write).status());
    }
    return result;
  }

 private:
  static absl::Status DeletePod(client::TypedClient<Pod>& pods, const Pod& p) {
    absl::Status s = pods.Delete(p.metadata().namespace_(), p.metadata().name());
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  }

  absl::Status CreatePod(ctrl::Cluster* cluster, const DaemonSet& ds, const std::string& hash,
                         const std::string& node, client::TypedClient<Pod>& pods) {
    const auto& tmpl = ds.spec().template_();
    Pod pod;
    auto* m = pod.mutable_metadata();
    m->set_namespace_(ds.metadata().namespace_());
    m->set_generatename(absl::StrCat(ds.metadata().name(), "-"));
    *m->mutable_labels() = tmpl.metadata().labels();
    *m->mutable_annotations() = tmpl.metadata().annotations();
    (*m->mutable_labels())[kControllerRevisionHash] = hash;
    (*m->mutable_labels())[kPodTemplateGeneration] = absl::StrCat(ds.metadata().generation());
    *pod.mutable_spec() = tmpl.spec();
    AddDefaultTolerations(pod.mutable_spec());
    // Pinned to the node; the scheduler binds it (Kubernetes' ReplaceDaemonSetPodNodeName-
    // NodeAffinity: the required terms become this one term).
    auto* required = pod.mutable_spec()
                         ->mutable_affinity()
                         ->mutable_nodeaffinity()
                         ->mutable_requiredduringschedulingignoredduringexecution();
    required->clear_nodeselectorterms();
    auto* field = required->add_nodeselectorterms()->add_matchfields();
    field->set_key("metadata.name");
    field->set_operator_("In");
    field->add_values(node);
    RUDDER_RETURN_IF_ERROR(ctrl::SetControllerReference(ds, &pod, cluster->scheme()));
    return pods.Create(pod).status();
  }

  // Keeps a ControllerRevision for the current template (the newest revision) and at most
  // revisionHistoryLimit others not used by live pods.
  absl::Status SyncRevisions(client::Client* c, const DaemonSet& ds, const std::string& hash,
                             const std::set<std::string>& pod_hashes) {
    client::TypedClient<ControllerRevision> revisions(c);
    RUDDER_ASSIGN_OR_RETURN(client::TypedList<ControllerRevision> list,
                            revisions.List(ds.metadata().namespace_()));
    std::vector<ControllerRevision*> mine;
    for (auto& r : list.items) {
      for (const auto& ref : r->metadata().ownerreferences()) {
        if (ref.controller() && ref.uid() == ds.metadata().uid()) {
          mine.push_back(r.get());
          break;
        }
      }
    }
    int64_t max_revision = 0;
    ControllerRevision* current = nullptr;
    const std::string name = absl::StrCat(ds.metadata().name(), "-", hash);
    for (ControllerRevision* r : mine) {
      max_revision = std::max(max_revision, r->revision());
      if (r->metadata().name() == name) current = r;
    }
    if (current == nullptr) {
      ControllerRevision r;
      r.mutable_metadata()->set_namespace_(ds.metadata().namespace_());
      r.mutable_metadata()->set_name(name);
      *r.mutable_metadata()->mutable_labels() = ds.spec().template_().metadata().labels();
      (*r.mutable_metadata()->mutable_labels())[kControllerRevisionHash] = hash;
      RUDDER_ASSIGN_OR_RETURN(std::string tmpl, api::EncodeJson(ds.spec().template_()));
      r.mutable_data()->set_raw(
          absl::StrCat(R"({"spec":{"template":)", tmpl, R"(,"$patch":"replace"}})"));
      r.set_revision(max_revision + 1);
      RUDDER_RETURN_IF_ERROR(ctrl::SetControllerReference(ds, &r, c->scheme()));
      absl::StatusOr<std::unique_ptr<ControllerRevision>> made = revisions.Create(r);
      if (!made.ok() && !absl::IsAlreadyExists(made.status())) return made.status();
    } else if (current->revision() < max_revision) {
      ControllerRevision r = *current;  // A template seen before: it becomes the newest.
      r.set_revision(max_revision + 1);
      RUDDER_RETURN_IF_ERROR(revisions.Update(r).status());
    }
    // History beyond the limit: oldest unused revisions go.
    const int32_t limit =
        ds.spec().has_revisionhistorylimit() ? ds.spec().revisionhistorylimit() : 10;
    std::vector<ControllerRevision*> unused;
    for (ControllerRevision* r : mine) {
      if (r->metadata().name() == name) continue;
      auto h = r->metadata().labels().find(kControllerRevisionHash);
      if (h != r->metadata().labels().end() && pod_hashes.count(h->second) > 0) continue;
      unused.push_back(r);
    }
    std::sort(unused.begin(), unused.end(),
              [](const ControllerRevision* a, const ControllerRevision* b) {
                return a->revision() < b->revision();
              });
    for (size_t i = 0; i + limit < unused.size(); ++i) {
      absl::Status s =
          revisions.Delete(unused[i]->metadata().namespace_(), unused[i]->metadata().name());
      if (!s.ok() && !absl::IsNotFound(s)) return s;
    }
    return absl::OkStatus();
  }

  ctrl::Manager* const manager_;
};

}  // namespace

absl::Status AddDaemonSetController(ctrl::Manager* manager, DaemonSetControllerOptions options) {
  ctrl::EventHandler node_to_sets =
      ctrl::EnqueueRequestsFromMapFunc([manager](const ctrl::Object&) {
        std::vector<ctrl::Request> out;
        absl::StatusOr<client::TypedList<DaemonSet>> list =
            client::TypedClient<DaemonSet>(manager->GetClient()).List("");
        if (!list.ok()) return out;
        for (const auto& ds : list->items) {
          out.push_back({.ns = ds->metadata().namespace_(), .name = ds->metadata().name()});
        }
        return out;
      });
  return ctrl::Builder(manager)
      .For<DaemonSet>()
      .Owns<Pod>()
      .Watches<Node>(node_to_sets)
      .Named("daemonset")
      .WithOptions({.max_concurrent_reconciles = options.workers, .multi_cluster = false})
      .Complete(std::make_shared<DaemonSetReconciler>(manager));
}

}  // namespace rudder::controllers
