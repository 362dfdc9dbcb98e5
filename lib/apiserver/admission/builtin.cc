#include "lib/apiserver/admission/builtin.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/resource/quantity.h"
#include "lib/apiserver/admission/priority.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/base/status_macros.h"

namespace rudder::apiserver::admission {
namespace {

namespace core = api::core::v1;
using api::Quantity;
using QuantityMap = google::protobuf::Map<std::string, api::resource::Quantity>;
using Usage = std::map<std::string, Quantity>;

constexpr int kMaxQuotaRetries = 8;

std::string QualifiedResource(const api::KindInfo& kind) {
  return kind.gvk.group.empty() ? kind.plural : absl::StrCat(kind.plural, ".", kind.gvk.group);
}

// Kubernetes' admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`.
absl::Status Forbidden(const Attributes& a, const std::string& why) {
  return WithDetails(ForbiddenError(QualifiedResource(*a.kind), a.name, why), a.kind->gvk.group,
                     a.kind->plural, a.name);
}

// Kubernetes' aggregate error text: one error as is, several as "[a, b]".
std::string Aggregate(const std::vector<std::string>& errs) {
  if (errs.size() == 1) return errs[0];
  return absl::StrCat("[", absl::StrJoin(errs, ", "), "]");
}

bool IsCore(const api::KindInfo& kind, const char* name) {
  return kind.gvk.group.empty() && kind.gvk.version == "v1" && kind.gvk.kind == name;
}

std::shared_ptr<const api::KindInfo> CoreKind(ObjectAccess* access, const char* name) {
  return access->scheme().ByKind({"", "v1", name});
}

// A quantity from a map entry; nullopt when missing or unparsable.
std::optional<Quantity> Get(const QuantityMap& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  absl::StatusOr<Quantity> q = Quantity::Parse(it->second.string());
  if (!q.ok()) return std::nullopt;
  return *q;
}

void Set(QuantityMap* m, const std::string& key, const Quantity& q) {
  (*m)[key].set_string(q.String());
}

// ---- AlwaysAdmit / AlwaysDeny -------------------------------------------------------------

class AlwaysAdmit : public Plugin {
 public:
  std::string_view name() const override { return "AlwaysAdmit"; }
};

class AlwaysDeny : public Plugin {
 public:
  std::string_view name() const override { return "AlwaysDeny"; }
  absl::Status Validate(const Attributes& a) override {
    return Forbidden(a, "admission control is denying all modifications");
  }
};

// ---- NamespaceLifecycle -------------------------------------------------------------------

class NamespaceLifecycle : public Plugin {
 public:
  std::string_view name() const override { return "NamespaceLifecycle"; }

  absl::Status Validate(const Attributes& a) override {
    if (IsCore(*a.kind, "Namespace")) {
      if (a.operation == Operation::kDelete && IsImmortalNamespace(a.name)) {
        return Forbidden(a, "this namespace may not be deleted");
      }
      return absl::OkStatus();
    }
    if (!a.kind->namespaced || a.ns.empty() || a.operation == Operation::kDelete ||
        IsImmortalNamespace(a.ns) || a.access == nullptr) {
      return absl::OkStatus();
    }
    std::shared_ptr<const api::KindInfo> ns_kind = CoreKind(a.access, "Namespace");
    if (ns_kind == nullptr) return absl::OkStatus();
    absl::StatusOr<ObjectPtr> ns = a.access->Get(*ns_kind, "", a.ns);
    if (absl::IsNotFound(ns.status())) {
      return WithDetails(NotFoundError("namespaces", a.ns), "", "namespaces", a.ns);
    }
    RUDDER_RETURN_IF_ERROR(ns.status());
    if (a.operation != Operation::kCreate) return absl::OkStatus();
    const auto* n = dynamic_cast<const core::Namespace*>(ns->get());
    const bool terminating = api::GetObjectMeta(**ns)->has_deletiontimestamp() ||
                             (n != nullptr && n->status().phase() == "Terminating");
    if (terminating) {
      return Forbidden(a, absl::StrCat("unable to create new content in namespace ", a.ns,
                                       " because it is being terminated"));
    }
    return absl::OkStatus();
  }
};

// ---- LimitRanger --------------------------------------------------------------------------

// A LimitRangeItem with Kubernetes' defaulting applied (default from max, defaultRequest from
// default, then from min).
core::LimitRangeItem Defaulted(const core::LimitRangeItem& in) {
  core::LimitRangeItem item = in;
  if (item.type() != "Container") return item;
  for (const auto& [k, v] : item.max()) item.mutable_default_()->insert({k, v});
  for (const auto& [k, v] : item.default_()) item.mutable_defaultrequest()->insert({k, v});
  for (const auto& [k, v] : item.min()) item.mutable_defaultrequest()->insert({k, v});
  return item;
}

std::vector<core::LimitRangeItem> LimitItems(const Attributes& a) {
  std::vector<core::LimitRangeItem> out;
  std::shared_ptr<const api::KindInfo> kind = CoreKind(a.access, "LimitRange");
  if (kind == nullptr) return out;
  absl::StatusOr<std::vector<ObjectPtr>> ranges = a.access->List(*kind, a.ns);
  if (!ranges.ok()) return out;
  for (const ObjectPtr& o : *ranges) {
    const auto* lr = dynamic_cast<const core::LimitRange*>(o.get());
    if (lr == nullptr) continue;
    for (const core::LimitRangeItem& item : lr->spec().limits()) out.push_back(Defaulted(item));
  }
  return out;
}

core::Pod* PodOf(const Attributes& a) {
  if (!IsCore(*a.kind, "Pod") || !a.subresource.empty()) return nullptr;
  return dynamic_cast<core::Pod*>(a.object);
}

// The limit and request checks of one item type against one set of limits and requests.
void CheckLimits(const core::LimitRangeItem& item, const std::string& type,
                 const QuantityMap& limits, const QuantityMap& requests,
                 std::vector<std::string>* errs) {
  for (const auto& [r, v] : item.min()) {
    std::optional<Quantity> min = Get(item.min(), r);
    std::optional<Quantity> req = Get(requests, r);
    if (!min.has_value()) continue;
    if (!req.has_value()) {
      errs->push_back(absl::StrCat("minimum ", r, " usage per ", type, " is ", min->String(),
                                   ".  No request is specified"));
    } else if (req->Cmp(*min) < 0) {
      errs->push_back(absl::StrCat("minimum ", r, " usage per ", type, " is ", min->String(),
                                   ", but request is ", req->String()));
    }
  }
  for (const auto& [r, v] : item.max()) {
    std::optional<Quantity> max = Get(item.max(), r);
    std::optional<Quantity> lim = Get(limits, r);
    if (!max.has_value()) continue;
    if (!lim.has_value()) {
      errs->push_back(absl::StrCat("maximum ", r, " usage per ", type, " is ", max->String(),
                                   ".  No limit is specified"));
    } else if (lim->Cmp(*max) > 0) {
      errs->push_back(absl::StrCat("maximum ", r, " usage per ", type, " is ", max->String(),
                                   ", but limit is ", lim->String()));
    }
  }
  for (const auto& [r, v] : item.maxlimitrequestratio()) {
    std::optional<Quantity> ratio = Get(item.maxlimitrequestratio(), r);
    std::optional<Quantity> lim = Get(limits, r);
    std::optional<Quantity> req = Get(requests, r);
    if (!ratio.has_value()) continue;
    const std::string head =
        absl::StrCat(r, " max limit to request ratio per ", type, " is ", ratio->String());
    if (!lim.has_value()) {
      errs->push_back(absl::StrCat(head, ", but no limit is specified"));
    } else if (!req.has_value() || req->IsZero()) {
      errs->push_back(absl::StrCat(head, ", but no request is specified or request is 0"));
    } else {
      double observed = lim->AsApproximateDouble() / req->AsApproximateDouble();
      if (observed > ratio->AsApproximateDouble()) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%f", observed);
        errs->push_back(absl::StrCat(head, ", but provided ratio is ", buf));
      }
    }
  }
}

void AddAll(const QuantityMap& from, QuantityMap* to) {
  for (const auto& [k, v] : from) {
    std::optional<Quantity> q = Get(from, k);
    if (!q.has_value()) continue;
    Quantity sum = Get(*to, k).value_or(Quantity());
    sum.Add(*q);
    Set(to, k, sum);
  }
}

class LimitRanger : public Plugin {
 public:
  std::string_view name() const override { return "LimitRanger"; }

  absl::Status Admit(Attributes& a) override {
    core::Pod* pod = PodOf(a);
    if (pod == nullptr || a.operation != Operation::kCreate || a.access == nullptr) {
      return absl::OkStatus();
    }
    std::vector<std::string> notes;  // Kubernetes' kubernetes.io/limit-ranger annotation
    for (const core::LimitRangeItem& item : LimitItems(a)) {
      if (item.type() != "Container") continue;
      auto fill = [&](core::Container* c, const char* type) {
        core::ResourceRequirements* res = c->mutable_resources();
        std::vector<std::string> requests, limits;
        for (const auto& [r, q] : item.defaultrequest()) {
          if (res->mutable_requests()->insert({r, q}).second) requests.push_back(r);
        }
        for (const auto& [r, q] : item.default_()) {
          if (res->mutable_limits()->insert({r, q}).second) limits.push_back(r);
        }
        std::sort(requests.begin(), requests.end());
        std::sort(limits.begin(), limits.end());
        if (!requests.empty()) {
          notes.push_back(
              absl::StrCat(absl::StrJoin(requests, ", "), " request for ", type, " ", c->name()));
        }
        if (!limits.empty()) {
          notes.push_back(
              absl::StrCat(absl::StrJoin(limits, ", "), " limit for ", type, " ", c->name()));
        }
      };
      for (core::Container& c : *pod->mutable_spec()->mutable_initcontainers()) {
        fill(&c, "init container");
      }
      for (core::Container& c : *pod->mutable_spec()->mutable_containers()) fill(&c, "container");
    }
    if (!notes.empty()) {
      (*pod->mutable_metadata()->mutable_annotations())["kubernetes.io/limit-ranger"] =
          absl::StrCat("LimitRanger plugin set: ", absl::StrJoin(notes, "; "));
    }
    return absl::OkStatus();
  }

  absl::Status Validate(const Attributes& a) override {
    core::Pod* pod = PodOf(a);
    if (pod == nullptr || a.operation != Operation::kCreate || a.access == nullptr) {
      return absl::OkStatus();
    }
    std::vector<std::string> errs;
    for (const core::LimitRangeItem& item : LimitItems(a)) {
      if (item.type() == "Container") {
        for (const auto* list : {&pod->spec().containers(), &pod->spec().initcontainers()}) {
          for (const core::Container& c : *list) {
            CheckLimits(item, "Container", c.resources().limits(), c.resources().requests(), &errs);
          }
        }
      } else if (item.type() == "Pod") {
        QuantityMap limits, requests;
        for (const core::Container& c : pod->spec().containers()) {
          AddAll(c.resources().limits(), &limits);
          AddAll(c.resources().requests(), &requests);
        }
        CheckLimits(item, "Pod", limits, requests, &errs);
      }
    }
    if (errs.empty()) return absl::OkStatus();
    return Forbidden(a, Aggregate(errs));
  }
};

// ---- ServiceAccount -----------------------------------------------------------------------

class ServiceAccount : public Plugin {
 public:
  explicit ServiceAccount(ServiceAccountOptions o) : options_(o) {}
  std::string_view name() const override { return "ServiceAccount"; }

  absl::Status Admit(Attributes& a) override {
    core::Pod* pod = PodOf(a);
    if (pod == nullptr || a.operation != Operation::kCreate || IsMirror(*pod)) {
      return absl::OkStatus();
    }
    if (pod->spec().serviceaccountname().empty()) {
      pod->mutable_spec()->set_serviceaccountname("default");
      if (pod->spec().serviceaccount().empty()) pod->mutable_spec()->set_serviceaccount("default");
    }
    return absl::OkStatus();
  }

  absl::Status Validate(const Attributes& a) override {
    core::Pod* pod = PodOf(a);
    if (!options_.require_service_account || pod == nullptr || a.operation != Operation::kCreate ||
        IsMirror(*pod) || a.access == nullptr) {
      return absl::OkStatus();
    }
    std::shared_ptr<const api::KindInfo> kind = CoreKind(a.access, "ServiceAccount");
    if (kind == nullptr) return absl::OkStatus();
    const std::string& sa = pod->spec().serviceaccountname();
    absl::StatusOr<ObjectPtr> got = a.access->Get(*kind, a.ns, sa);
    if (absl::IsNotFound(got.status())) {
      return Forbidden(a, absl::StrCat("error looking up service account ", a.ns, "/", sa,
                                       ": serviceaccount \"", sa, "\" not found"));
    }
    return got.status();
  }

 private:
  static bool IsMirror(const core::Pod& pod) {
    return pod.metadata().annotations().contains("kubernetes.io/config.mirror");
  }
  ServiceAccountOptions options_;
};

// ---- ResourceQuota ------------------------------------------------------------------------

const std::set<std::string>& LegacyCounted() {
  static const auto* s = new std::set<std::string>{"pods",
                                                   "services",
                                                   "configmaps",
                                                   "secrets",
                                                   "persistentvolumeclaims",
                                                   "replicationcontrollers",
                                                   "resourcequotas"};
  return *s;
}

// The quota usage of one object of `kind`.
Usage UsageOf(const api::KindInfo& kind, const google::protobuf::Message& obj) {
  Usage u;
  const Quantity one = Quantity::FromInt64(1);
  u[absl::StrCat("count/", QualifiedResource(kind))] = one;
  if (kind.gvk.group.empty() && LegacyCounted().count(kind.plural)) u[kind.plural] = one;
  if (const auto* pod = dynamic_cast<const core::Pod*>(&obj)) {
    if (pod->status().phase() == "Succeeded" || pod->status().phase() == "Failed") return {};
    QuantityMap req, lim;
    for (const core::Container& c : pod->spec().containers()) {
      AddAll(c.resources().requests(), &req);
      AddAll(c.resources().limits(), &lim);
    }
    // Init containers run one at a time: the pod needs the largest of them if it is larger.
    for (const core::Container& c : pod->spec().initcontainers()) {
      for (const auto* pair : {&c.resources().requests(), &c.resources().limits()}) {
        QuantityMap* sum = pair == &c.resources().requests() ? &req : &lim;
        for (const auto& [r, v] : *pair) {
          std::optional<Quantity> q = Get(*pair, r);
          std::optional<Quantity> cur = Get(*sum, r);
          if (q.has_value() && (!cur.has_value() || q->Cmp(*cur) > 0)) Set(sum, r, *q);
        }
      }
    }
    for (const auto& [r, v] : req) {
      std::optional<Quantity> q = Get(req, r);
      if (!q.has_value()) continue;
      u[absl::StrCat("requests.", r)] = *q;
      if (r == "cpu" || r == "memory" || r == "ephemeral-storage") u[r] = *q;
    }
    for (const auto& [r, v] : lim) {
      std::optional<Quantity> q = Get(lim, r);
      if (q.has_value()) u[absl::StrCat("limits.", r)] = *q;
    }
  }
  return u;
}

// Compute resources a pod must set in every container when a quota limits them.
std::vector<std::string> MissingCompute(const core::Pod& pod, const QuantityMap& hard) {
  std::vector<std::string> missing;
  for (const auto& [name, v] : hard) {
    std::string r;
    bool limit = false;
    if (name == "cpu" || name == "memory") {
      r = name;
    } else if (name == "requests.cpu" || name == "requests.memory") {
      r = name.substr(9);
    } else if (name == "limits.cpu" || name == "limits.memory") {
      r = name.substr(7);
      limit = true;
    } else {
      continue;
    }
    for (const core::Container& c : pod.spec().containers()) {
      const QuantityMap& m = limit ? c.resources().limits() : c.resources().requests();
      if (!m.contains(r)) {
        missing.push_back(name);
        break;
      }
    }
  }
  std::sort(missing.begin(), missing.end());
  return missing;
}

std::string Pretty(const Usage& u) {
  std::vector<std::string> parts;
  for (const auto& [k, q] : u) parts.push_back(absl::StrCat(k, "=", q.String()));
  return absl::StrJoin(parts, ",");
}

class ResourceQuota : public Plugin {
 public:
  std::string_view name() const override { return "ResourceQuota"; }

  absl::Status Validate(const Attributes& a) override {
    if (a.operation != Operation::kCreate || !a.subresource.empty() || !a.kind->namespaced ||
        a.object == nullptr || a.access == nullptr) {
      return absl::OkStatus();
    }
    std::shared_ptr<const api::KindInfo> rq_kind = CoreKind(a.access, "ResourceQuota");
    if (rq_kind == nullptr) return absl::OkStatus();
    RUDDER_ASSIGN_OR_RETURN(std::vector<ObjectPtr> quotas, a.access->List(*rq_kind, a.ns));
    if (quotas.empty()) return absl::OkStatus();
    const Usage delta = UsageOf(*a.kind, *a.object);
    std::optional<Usage> live;  // the namespace's usage, counted at most once per request
    // Every quota must admit the object before any is charged.
    for (const ObjectPtr& o : quotas) {
      const auto* q = dynamic_cast<const core::ResourceQuota*>(o.get());
      if (q == nullptr) continue;
      RUDDER_RETURN_IF_ERROR(Check(a, *q, delta, &live).status());
    }
    if (a.dry_run) return absl::OkStatus();
    for (ObjectPtr& o : quotas) {
      if (dynamic_cast<const core::ResourceQuota*>(o.get()) == nullptr) continue;
      const std::string qname = api::GetObjectMeta(*o)->name();
      for (int attempt = 0;; ++attempt) {
        auto* q = static_cast<core::ResourceQuota*>(o.get());
        RUDDER_ASSIGN_OR_RETURN(Usage next, Check(a, *q, delta, &live));
        if (next.empty()) break;
        *q->mutable_status()->mutable_hard() = q->spec().hard();
        for (const auto& [r, n] : next) Set(q->mutable_status()->mutable_used(), r, n);
        absl::StatusOr<ObjectPtr> r = a.access->UpdateStatus(*rq_kind, a.ns, std::move(o));
        if (r.ok()) break;
        if (!absl::IsAborted(r.status()) || attempt + 1 >= kMaxQuotaRetries) return r.status();
        absl::StatusOr<ObjectPtr> again = a.access->Get(*rq_kind, a.ns, qname);
        if (absl::IsNotFound(again.status())) break;  // the quota went away
        RUDDER_RETURN_IF_ERROR(again.status());
        o = std::move(*again);
      }
    }
    return absl::OkStatus();
  }

 private:
  // The quota's usage after admitting `delta` (only the resources it limits), or Forbidden.
  static absl::StatusOr<Usage> Check(const Attributes& a, const core::ResourceQuota& q,
                                     const Usage& delta, std::optional<Usage>* live) {
    const QuantityMap& hard = q.spec().hard();
    const std::string& qname = q.metadata().name();
    if (const auto* pod = dynamic_cast<const core::Pod*>(a.object)) {
      std::vector<std::string> missing = MissingCompute(*pod, hard);
      if (!missing.empty()) {
        return Forbidden(a, absl::StrCat("failed quota: ", qname, ": must specify ",
                                         absl::StrJoin(missing, ",")));
      }
    }
    Usage requested, used, limited, next;
    for (const auto& [r, d] : delta) {
      std::optional<Quantity> h = Get(hard, r);
      if (!h.has_value()) continue;
      std::optional<Quantity> recorded = Get(q.status().used(), r);
      Quantity u;
      if (recorded.has_value()) {
        u = *recorded;
      } else {
        RUDDER_RETURN_IF_ERROR(Count(a, live));
        u = (**live)[r];
      }
      Quantity n = u;
      n.Add(d);
      if (n.Cmp(*h) > 0) {
        requested[r] = d;
        used[r] = u;
        limited[r] = *h;
      }
      next[r] = n;
    }
    if (!limited.empty()) {
      return Forbidden(a,
                       absl::StrCat("exceeded quota: ", qname, ", requested: ", Pretty(requested),
                                    ", used: ", Pretty(used), ", limited: ", Pretty(limited)));
    }
    return next;
  }

  // Releases the usage of an object that is gone (what Kubernetes' quota controller does on
  // its deletion events).
  void Committed(const Attributes& a) override {
    if (!a.removed || !a.subresource.empty() || !a.kind->namespaced || a.access == nullptr) {
      return;
    }
    const google::protobuf::Message* gone = a.old_object != nullptr ? a.old_object : a.object;
    if (gone == nullptr) return;
    std::shared_ptr<const api::KindInfo> rq_kind = CoreKind(a.access, "ResourceQuota");
    if (rq_kind == nullptr) return;
    absl::StatusOr<std::vector<ObjectPtr>> quotas = a.access->List(*rq_kind, a.ns);
    if (!quotas.ok() || quotas->empty()) return;
    const Usage usage = UsageOf(*a.kind, *gone);
    for (ObjectPtr& o : *quotas) {
      const std::string qname = api::GetObjectMeta(*o)->name();
      for (int attempt = 0; attempt < kMaxQuotaRetries; ++attempt) {
        auto* q = dynamic_cast<core::ResourceQuota*>(o.get());
        if (q == nullptr) break;
        bool changed = false;
        for (const auto& [r, d] : usage) {
          std::optional<Quantity> used = Get(q->status().used(), r);
          if (!used.has_value()) continue;
          used->Sub(d);
          if (used->Sign() < 0) used = Quantity();
          Set(q->mutable_status()->mutable_used(), r, *used);
          changed = true;
        }
        if (!changed) break;
        absl::StatusOr<ObjectPtr> w = a.access->UpdateStatus(*rq_kind, a.ns, std::move(o));
        if (w.ok() || !absl::IsAborted(w.status())) break;
        absl::StatusOr<ObjectPtr> again = a.access->Get(*rq_kind, a.ns, qname);
        if (!again.ok()) break;
        o = std::move(*again);
      }
    }
  }

  // Counts the usage of every object of the request's kind in its namespace.
  static absl::Status Count(const Attributes& a, std::optional<Usage>* live) {
    if (live->has_value()) return absl::OkStatus();
    RUDDER_ASSIGN_OR_RETURN(std::vector<ObjectPtr> objs, a.access->List(*a.kind, a.ns));
    Usage total;
    for (const ObjectPtr& o : objs) {
      for (const auto& [r, q] : UsageOf(*a.kind, *o)) total[r].Add(q);
    }
    *live = std::move(total);
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Plugin> NewAlwaysAdmit() { return std::make_unique<AlwaysAdmit>(); }
std::unique_ptr<Plugin> NewAlwaysDeny() { return std::make_unique<AlwaysDeny>(); }
std::unique_ptr<Plugin> NewNamespaceLifecycle() { return std::make_unique<NamespaceLifecycle>(); }
std::unique_ptr<Plugin> NewLimitRanger() { return std::make_unique<LimitRanger>(); }
std::unique_ptr<Plugin> NewServiceAccount(const ServiceAccountOptions& options) {
  return std::make_unique<ServiceAccount>(options);
}
std::unique_ptr<Plugin> NewResourceQuota() { return std::make_unique<ResourceQuota>(); }

void RegisterBuiltins(PluginRegistry* registry) {
  registry->Register("AlwaysAdmit", [] { return NewAlwaysAdmit(); });
  registry->Register("AlwaysDeny", [] { return NewAlwaysDeny(); });
  registry->Register("NamespaceLifecycle", [] { return NewNamespaceLifecycle(); });
  registry->Register("LimitRanger", [] { return NewLimitRanger(); });
  registry->Register("ServiceAccount", [] { return NewServiceAccount(); });
  registry->Register("Priority", [] { return NewPriority(); });
  registry->Register("ResourceQuota", [] { return NewResourceQuota(); });
}

std::vector<std::string> DefaultPluginNames() {
  return {"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "Priority", "ResourceQuota"};
}

std::shared_ptr<Chain> NewDefaultChain() {
  std::vector<std::unique_ptr<Plugin>> plugins;
  plugins.push_back(NewNamespaceLifecycle());
  plugins.push_back(NewLimitRanger());
  plugins.push_back(NewServiceAccount());
  plugins.push_back(NewPriority());
  plugins.push_back(NewResourceQuota());
  return std::make_shared<Chain>(std::move(plugins));
}

bool IsImmortalNamespace(const std::string& name) {
  return name == "default" || name == "kube-system" || name == "kube-public" ||
         name == "kube-node-lease";
}

}  // namespace rudder::apiserver::admission
