#include "lib/controllers/runtime/internal/cached_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/api/labels/selector.h"
#include "lib/api/object/object.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/client/informer/lister.h"

namespace rudder::ctrl::internal {
namespace {

int64_t ParseRv(const std::string& rv) {
  int64_t v = -1;
  if (!absl::SimpleAtoi(rv, &v)) return -1;
  return v;
}

int64_t RvOf(const client::Object& obj) {
  const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
  return m == nullptr ? -1 : ParseRv(m->resourceversion());
}

client::ObjectPtr Copy(const client::Object& obj) {
  client::ObjectPtr out(obj.New());
  out->CopyFrom(obj);
  return out;
}

}  // namespace

std::string CachedClient::KindKey(const api::KindInfo& kind) {
  return absl::StrCat(kind.gvk.group, "/", kind.gvk.version, "/", kind.plural);
}

client::SharedIndexInformer* CachedClient::Informer(const api::KindInfo& kind) {
  std::shared_ptr<const api::KindInfo> k = direct_->scheme().ByKind(kind.gvk);
  if (k == nullptr || k->descriptor == nullptr) return nullptr;
  absl::StatusOr<client::SharedIndexInformer*> informer = factory_->For(std::move(k));
  if (!informer.ok() || (*informer)->IsStopped() || !(*informer)->HasSynced()) return nullptr;
  return *informer;
}

void CachedClient::Wrote(const api::KindInfo& kind, const std::string& ns, const std::string& name,
                         const std::string& rv) {
  int64_t v = ParseRv(rv);
  if (v < 0) return;
  MutexLock lock(&mu_);
  int64_t& slot = pending_[Key(KindKey(kind), kind.namespaced ? ns : "", name)];
  slot = std::max(slot, v);
}

void CachedClient::WroteObject(const api::KindInfo& kind, const std::string& ns,
                               const absl::StatusOr<client::ObjectPtr>& result) {
  if (!result.ok()) return;
  const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(**result);
  if (m == nullptr) return;
  Wrote(kind, m->namespace_().empty() ? ns : m->namespace_(), m->name(), m->resourceversion());
}

void CachedClient::WrotePod(const std::string& ns, const std::string& name,
                            const absl::StatusOr<client::ObjectPtr>& before) {
  std::shared_ptr<const api::KindInfo> pods = direct_->scheme().ByResource({"", "v1", "pods"});
  if (pods == nullptr) return;
  absl::StatusOr<client::ObjectPtr> after = direct_->Get(*pods, ns, name);
  if (after.ok()) {
    WroteObject(*pods, ns, after);
  } else if (absl::IsNotFound(after.status()) && before.ok() && *before != nullptr) {
    // Deleted: the delete's revision is past every earlier one of the pod.
    Wrote(*pods, ns, name, absl::StrCat(RvOf(**before) + 1));
  }
}

absl::Status CachedClient::Bind(const std::string& ns, const api::core::v1::Binding& binding,
                                const client::WriteOptions& options) {
  absl::Status s = direct_->Bind(ns, binding, options);
  if (!s.ok() || options.dry_run) return s;
  std::string n = ns.empty() ? binding.metadata().namespace_() : ns;
  WrotePod(n.empty() ? "default" : n, binding.metadata().name(), absl::NotFoundError("not read"));
  return s;
}

absl::Status CachedClient::Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                                 const client::WriteOptions& options) {
  std::string n = ns.empty() ? eviction.metadata().namespace_() : ns;
  if (n.empty()) n = "default";
  std::shared_ptr<const api::KindInfo> pods = direct_->scheme().ByResource({"", "v1", "pods"});
  absl::StatusOr<client::ObjectPtr> before =
      pods == nullptr || options.dry_run ? absl::NotFoundError("not read")
                                         : direct_->Get(*pods, n, eviction.metadata().name());
  absl::Status s = direct_->Evict(ns, eviction, options);
  if (!s.ok() || options.dry_run) return s;
  WrotePod(n, eviction.metadata().name(), before);
  return s;
}

bool CachedClient::CaughtUp(const Key& key, const client::SharedIndexInformer& informer) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return true;
  const int64_t written = it->second;
  bool caught_up = ParseRv(informer.LastSyncResourceVersion()) >= written;
  if (!caught_up) {
    client::ObjectRef cached = informer.GetIndexer().Get(std::get<1>(key), std::get<2>(key));
    caught_up = cached != nullptr && RvOf(*cached) >= written;
  }
  if (caught_up) pending_.erase(it);
  return caught_up;
}

absl::StatusOr<client::ObjectPtr> CachedClient::Get(const api::KindInfo& kind,
                                                    const std::string& ns,
                                                    const std::string& name) {
  client::SharedIndexInformer* informer = Informer(kind);
  const std::string key_ns = kind.namespaced ? ns : "";
  bool direct = informer == nullptr;
  if (!direct) {
    MutexLock lock(&mu_);
    direct = !CaughtUp(Key(KindKey(kind), key_ns, name), *informer);
  }
  if (direct) {
    {
      MutexLock lock(&mu_);
      ++stats_.direct_reads;
    }
    return direct_->Get(kind, ns, name);
  }
  {
    MutexLock lock(&mu_);
    ++stats_.cache_reads;
  }
  client::ObjectRef cached = informer->GetIndexer().Get(key_ns, name);
  if (cached == nullptr) {
    return apiserver::NotFoundError(apiserver::Registry::QualifiedResource(kind), name);
  }
  return Copy(*cached);
}

absl::StatusOr<client::ListResult> CachedClient::List(const api::KindInfo& kind,
                                                      const std::string& ns,
                                                      const client::ListOptions& options) {
  client::SharedIndexInformer* informer = nullptr;
  if (options.limit == 0 && options.continue_token.empty() && options.resource_version.empty() &&
      options.field_selector.empty()) {
    informer = Informer(kind);
  }
  const std::string list_ns = kind.namespaced ? ns : "";
  bool direct = informer == nullptr;
  if (!direct) {
    // Every recorded write of this kind that the list could include must be in the cache.
    const std::string kk = KindKey(kind);
    MutexLock lock(&mu_);
    for (auto it = pending_.lower_bound(Key(kk, list_ns, ""));
         it != pending_.end() && std::get<0>(it->first) == kk;) {
      if (!list_ns.empty() && std::get<1>(it->first) != list_ns) break;
      Key key = (it++)->first;  // CaughtUp may erase the entry.
      if (!CaughtUp(key, *informer)) {
        direct = true;
        break;
      }
    }
  }
  if (direct) {
    {
      MutexLock lock(&mu_);
      ++stats_.direct_reads;
    }
    return direct_->List(kind, ns, options);
  }
  absl::StatusOr<api::labels::Selector> selector =
      api::labels::Selector::Parse(options.label_selector);
  if (!selector.ok()) return selector.status();
  {
    MutexLock lock(&mu_);
    ++stats_.cache_reads;
  }
  client::GenericLister lister(informer->GetIndexer());
  std::vector<client::ObjectRef> objs =
      list_ns.empty() ? lister.List(*selector) : lister.Namespace(list_ns).List(*selector);
  client::ListResult out;
  out.resource_version = std::max<int64_t>(0, ParseRv(informer->LastSyncResourceVersion()));
  out.items.reserve(objs.size());
  for (const client::ObjectRef& o : objs) out.items.push_back(Copy(*o));
  return out;
}

absl::StatusOr<client::ObjectPtr> CachedClient::Create(const api::KindInfo& kind,
                                                       const std::string& ns, client::ObjectPtr obj,
                                                       const client::WriteOptions& options) {
  absl::StatusOr<client::ObjectPtr> r = direct_->Create(kind, ns, std::move(obj), options);
  if (!options.dry_run) WroteObject(kind, ns, r);
  return r;
}

absl::StatusOr<client::ObjectPtr> CachedClient::Update(const api::KindInfo& kind,
                                                       const std::string& ns, client::ObjectPtr obj,
                                                       bool status,
                                                       const client::WriteOptions& options) {
  absl::StatusOr<client::ObjectPtr> r = direct_->Update(kind, ns, std::move(obj), status, options);
  if (!options.dry_run) WroteObject(kind, ns, r);
  return r;
}

absl::StatusOr<client::ObjectPtr> CachedClient::Patch(const api::KindInfo& kind,
                                                      const std::string& ns,
                                                      const std::string& name,
                                                      client::PatchType type,
                                                      const std::string& patch, bool status,
                                                      const client::WriteOptions& options) {
  absl::StatusOr<client::ObjectPtr> r =
      direct_->Patch(kind, ns, name, type, patch, status, options);
  if (!options.dry_run) WroteObject(kind, ns, r);
  return r;
}

absl::StatusOr<client::ObjectPtr> CachedClient::Delete(const api::KindInfo& kind,
                                                       const std::string& ns,
                                                       const std::string& name,
                                                       const client::DeleteOptions& options) {
  // The object returned carries the revision of the delete (or of the update marking it
  // deleting): the cache has caught up once it applied that revision.
  absl::StatusOr<client::ObjectPtr> r = direct_->Delete(kind, ns, name, options);
  if (!options.dry_run) WroteObject(kind, ns, r);
  return r;
}

absl::Status CachedClient::DeleteCollection(const api::KindInfo& kind, const std::string& ns,
                                            const client::ListOptions& selectors,
                                            const client::DeleteOptions& options) {
  client::ListOptions lo;
  lo.label_selector = selectors.label_selector;
  lo.field_selector = selectors.field_selector;
  absl::StatusOr<client::ListResult> list = direct_->List(kind, ns, lo);
  if (!list.ok()) return list.status();
  for (const client::ObjectPtr& item : list->items) {
    const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*item);
    if (m == nullptr) continue;
    absl::Status s = Delete(kind, m->namespace_(), m->name(), options).status();
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<client::Scale>> CachedClient::UpdateScale(
    const api::KindInfo& kind, const std::string& ns, const std::string& name,
    const client::Scale& scale) {
  absl::StatusOr<std::unique_ptr<client::Scale>> r = direct_->UpdateScale(kind, ns, name, scale);
  if (r.ok()) Wrote(kind, ns, name, (*r)->metadata().resourceversion());
  return r;
}

CachedClientStats CachedClient::Stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

}  // namespace rudder::ctrl::internal
