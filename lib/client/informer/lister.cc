#include "lib/client/informer/lister.h"

#include <utility>

namespace rudder::client {

bool MatchesLabels(const Object& obj, const api::labels::Selector& selector) {
  if (selector.Empty()) return true;
  const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
  if (m == nullptr) return false;
  return selector.Matches(m->labels());
}

namespace {

absl::Status NotFound(const std::string& resource, const std::string& name) {
  if (resource.empty()) return absl::NotFoundError(absl::StrCat("\"", name, "\" not found"));
  return absl::NotFoundError(absl::StrCat(resource, " \"", name, "\" not found"));
}

std::vector<ObjectRef> Filter(std::vector<ObjectRef> objs, const api::labels::Selector& sel) {
  if (sel.Empty()) return objs;
  std::vector<ObjectRef> out;
  for (ObjectRef& o : objs) {
    if (MatchesLabels(*o, sel)) out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::vector<ObjectRef> GenericLister::List(const api::labels::Selector& selector) const {
  return Filter(indexer_->List(), selector);
}

absl::StatusOr<ObjectRef> GenericLister::Get(const std::string& ns, const std::string& name) const {
  ObjectRef o = indexer_->Get(ns, name);
  if (o == nullptr) return NotFound(resource_, name);
  return o;
}

std::vector<ObjectRef> GenericNamespaceLister::List(const api::labels::Selector& selector) const {
  absl::StatusOr<std::vector<ObjectRef>> objs = indexer_->ByIndex(kNamespaceIndex, ns_);
  if (!objs.ok()) {
    // The namespace index was replaced: filter by hand.
    std::vector<ObjectRef> out;
    for (ObjectRef& o : indexer_->List()) {
      const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*o);
      if (m != nullptr && m->namespace_() == ns_) out.push_back(std::move(o));
    }
    return Filter(std::move(out), selector);
  }
  return Filter(*std::move(objs), selector);
}

absl::StatusOr<ObjectRef> GenericNamespaceLister::Get(const std::string& name) const {
  ObjectRef o = indexer_->Get(ns_, name);
  if (o == nullptr) return NotFound(resource_, name);
  return o;
}

}  // namespace rudder::client
