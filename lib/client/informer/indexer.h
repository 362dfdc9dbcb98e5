// Indexer: the thread-safe, indexed object cache behind every informer.
//
// Objects are stored as `ObjectRef` (std::shared_ptr<const Message>): immutable and shared by
// the cache and every reader, so reading never copies an object. Objects are keyed by
// "namespace/name" ("name" for cluster-scoped objects), as client-go's MetaNamespaceKeyFunc.
//
// Indexes map an index value to the keys of the objects whose index function returns it.
// The namespace index (kNamespaceIndex) is always present; user indexes are added with
// AddIndexers, also after objects are stored (existing objects are then indexed at once).
//
// All methods are thread-safe. Readers never block each other for long: each call takes the
// lock once and returns shared references.
//
// Example:
//   std::unique_ptr<Indexer> cache = NewIndexer();
//   cache->AddIndexers({{"byNode", [](const Object& o) {
//     return std::vector<std::string>{static_cast<const Pod&>(o).spec().nodename()};
//   }}});
//   cache->Add(pod);
//   absl::StatusOr<std::vector<ObjectRef>> on_node = cache->ByIndex("byNode", "node-1");
#ifndef RUDDER_LIB_CLIENT_INFORMER_INDEXER_H_
#define RUDDER_LIB_CLIENT_INFORMER_INDEXER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace rudder::client {

using Object = google::protobuf::Message;
// An immutable object shared by its holders (informer caches hand these out).
using ObjectRef = std::shared_ptr<const google::protobuf::Message>;

// The values an object has in one index (none: the object is not in that index).
using IndexFunc = std::function<std::vector<std::string>(const Object& obj)>;
// Index functions by index name.
using Indexers = std::map<std::string, IndexFunc>;

// The name of the built-in index by metadata.namespace.
inline constexpr char kNamespaceIndex[] = "namespace";

// The cache key of an object: "namespace/name", or "name" when it has no namespace. An object
// without metadata has the empty key.
std::string ObjectKey(const Object& obj);
// The key of (ns, name): "ns/name", or "name" when `ns` is empty.
std::string ObjectKey(const std::string& ns, const std::string& name);
// Splits a key into namespace and name (namespace empty for "name").
std::pair<std::string, std::string> SplitObjectKey(const std::string& key);

// The namespace index function: {metadata.namespace}, or {} for cluster-scoped objects.
std::vector<std::string> NamespaceIndexFunc(const Object& obj);

// A thread-safe store of immutable objects with indexes. Create with NewIndexer().
class Indexer {
 public:
  virtual ~Indexer() = default;

  // --- Writes (the informer's; other users should treat an informer's cache as read-only).
  // Adds or replaces the object under its key.
  virtual void Add(ObjectRef obj) = 0;
  // The same as Add (kept for symmetry with client-go's Store).
  virtual void Update(ObjectRef obj) = 0;
  // Removes the object with this key; returns what was stored (nullptr if nothing).
  virtual ObjectRef Delete(const std::string& key) = 0;
  // Replaces the whole contents with `objs` (keyed by ObjectKey) and rebuilds the indexes.
  virtual void Replace(std::vector<ObjectRef> objs) = 0;

  // --- Reads.
  // The object stored under `key`, or nullptr.
  virtual ObjectRef Get(const std::string& key) const = 0;
  // The object (ns, name), or nullptr. `ns` is empty for cluster-scoped objects.
  ObjectRef Get(const std::string& ns, const std::string& name) const {
    return Get(ObjectKey(ns, name));
  }
  // Every object (in no particular order).
  virtual std::vector<ObjectRef> List() const = 0;
  // Every key (in no particular order).
  virtual std::vector<std::string> ListKeys() const = 0;
  // The number of objects.
  virtual size_t Size() const = 0;

  // The objects whose index `index_name` contains `value`. NotFound for an unknown index.
  virtual absl::StatusOr<std::vector<ObjectRef>> ByIndex(const std::string& index_name,
                                                         const std::string& value) const = 0;
  // The keys of those objects. NotFound for an unknown index.
  virtual absl::StatusOr<std::vector<std::string>> IndexKeys(const std::string& index_name,
                                                             const std::string& value) const = 0;
  // The objects that share any value of index `index_name` with `obj` (client-go's Index).
  virtual absl::StatusOr<std::vector<ObjectRef>> Index(const std::string& index_name,
                                                       const Object& obj) const = 0;
  // Every value index `index_name` currently holds (empty for an unknown index).
  virtual std::vector<std::string> ListIndexFuncValues(const std::string& index_name) const = 0;
  // The names of the indexes (kNamespaceIndex included).
  virtual std::vector<std::string> IndexNames() const = 0;

  // Adds index functions and indexes the stored objects with them. AlreadyExists (and nothing
  // is added) when a name is already in use.
  virtual absl::Status AddIndexers(const Indexers& indexers) = 0;
};

// An empty indexer with the namespace index and `indexers` (a name clash with
// kNamespaceIndex replaces the built-in function).
std::unique_ptr<Indexer> NewIndexer(const Indexers& indexers = {});

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_INFORMER_INDEXER_H_
