// Listers: typed, read-only views of an informer's cache.
//
// A lister reads the cache directly: List and Get return the cache's shared immutable objects
// (for Lister<T>, std::shared_ptr<const T> aliasing the cached object; nothing is copied).
// Namespace-scoped listers use the namespace index. Listers borrow the Indexer (it must
// outlive them), are cheap to copy and are thread-safe.
//
// Example:
//   Lister<Pod> pods(informer->GetIndexer());
//   absl::StatusOr<labels::Selector> sel = labels::Selector::Parse("app=web");
//   std::vector<std::shared_ptr<const Pod>> web = pods.Namespace("prod").List(*sel);
//   absl::StatusOr<std::shared_ptr<const Pod>> p = pods.Get("prod", "web-0");
#ifndef RUDDER_LIB_CLIENT_INFORMER_LISTER_H_
#define RUDDER_LIB_CLIENT_INFORMER_LISTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/api/labels/selector.h"
#include "lib/api/object/object.h"
#include "lib/client/informer/indexer.h"

namespace rudder::client {

// Whether the object's labels match `selector` (objects without metadata match only the
// empty selector).
bool MatchesLabels(const Object& obj, const api::labels::Selector& selector);

// Read-only access to the cached objects of one namespace (from GenericLister::Namespace).
class GenericNamespaceLister {
 public:
  GenericNamespaceLister(const Indexer& indexer, std::string resource, std::string ns)
      : indexer_(&indexer), resource_(std::move(resource)), ns_(std::move(ns)) {}

  // The namespace's objects whose labels match `selector` (through the namespace index).
  std::vector<ObjectRef> List(
      const api::labels::Selector& selector = api::labels::Selector()) const;
  // The object `name` of the namespace; NotFound when absent.
  absl::StatusOr<ObjectRef> Get(const std::string& name) const;

 private:
  const Indexer* indexer_;
  std::string resource_;
  std::string ns_;
};

// Read-only access to cached objects of any kind. `resource` names the kind in NotFound
// errors ("pods"); it may be empty.
class GenericLister {
 public:
  using NamespaceLister = GenericNamespaceLister;

  explicit GenericLister(const Indexer& indexer, std::string resource = "")
      : indexer_(&indexer), resource_(std::move(resource)) {}

  // The objects whose labels match `selector` (every object for the default selector).
  std::vector<ObjectRef> List(
      const api::labels::Selector& selector = api::labels::Selector()) const;
  // The object (ns, name); NotFound ("<resource> \"<name>\" not found") when absent. `ns` is
  // empty for cluster-scoped kinds.
  absl::StatusOr<ObjectRef> Get(const std::string& ns, const std::string& name) const;

  // A lister of one namespace.
  GenericNamespaceLister Namespace(const std::string& ns) const {
    return GenericNamespaceLister(*indexer_, resource_, ns);
  }

  const Indexer& indexer() const { return *indexer_; }

 private:
  const Indexer* indexer_;
  std::string resource_;
};

// A typed lister for message type T. The cache must hold objects of type T (an informer of
// T's kind); objects of another type are skipped by List and NotFound for Get.
template <typename T>
class Lister {
 public:
  explicit Lister(const Indexer& indexer, std::string resource = "")
      : generic_(indexer, std::move(resource)) {}

  // Objects matching `selector`.
  std::vector<std::shared_ptr<const T>> List(
      const api::labels::Selector& selector = api::labels::Selector()) const {
    return Cast(generic_.List(selector));
  }
  // The object (ns, name); NotFound when absent.
  absl::StatusOr<std::shared_ptr<const T>> Get(const std::string& ns,
                                               const std::string& name) const {
    absl::StatusOr<ObjectRef> o = generic_.Get(ns, name);
    if (!o.ok()) return o.status();
    std::shared_ptr<const T> t = Cast(*o);
    if (t == nullptr) {
      return absl::NotFoundError(absl::StrCat("\"", name, "\" is not a ", T::descriptor()->name()));
    }
    return t;
  }

  // A typed lister of one namespace.
  class NamespaceLister {
   public:
    std::vector<std::shared_ptr<const T>> List(
        const api::labels::Selector& selector = api::labels::Selector()) const {
      return Lister::Cast(inner_.List(selector));
    }
    absl::StatusOr<std::shared_ptr<const T>> Get(const std::string& name) const {
      absl::StatusOr<ObjectRef> o = inner_.Get(name);
      if (!o.ok()) return o.status();
      std::shared_ptr<const T> t = Lister::Cast(*o);
      if (t == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("\"", name, "\" is not a ", T::descriptor()->name()));
      }
      return t;
    }

   private:
    friend class Lister;
    explicit NamespaceLister(GenericNamespaceLister inner) : inner_(std::move(inner)) {}
    GenericNamespaceLister inner_;
  };
  NamespaceLister Namespace(const std::string& ns) const {
    return NamespaceLister(generic_.Namespace(ns));
  }

  // The cached object as a T (sharing ownership; no copy), or nullptr for another type.
  static std::shared_ptr<const T> Cast(const ObjectRef& o) {
    if (o == nullptr || o->GetDescriptor() != T::descriptor()) return nullptr;
    return std::shared_ptr<const T>(o, static_cast<const T*>(o.get()));
  }

 private:
  static std::vector<std::shared_ptr<const T>> Cast(const std::vector<ObjectRef>& objs) {
    std::vector<std::shared_ptr<const T>> out;
    out.reserve(objs.size());
    for (const ObjectRef& o : objs) {
      std::shared_ptr<const T> t = Cast(o);
      if (t != nullptr) out.push_back(std::move(t));
    }
    return out;
  }

  GenericLister generic_;
};

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_INFORMER_LISTER_H_
