// How server-side apply sees the structure of a kind: which values are structs or maps
// (merged key by key, or atomic), which lists are atomic, sets or associative lists keyed by
// some of their items' fields, and which are scalars.
//
// Built-in kinds derive it from the patch metadata of their protobuf messages
// (lib/api/patch): lists with patchStrategy "merge" and a patchMergeKey are maps keyed by it
// (containers by name; container and service ports by port and protocol, protocol defaulting
// to TCP, as Kubernetes declares them), merged lists of scalars are sets (finalizers), every
// other list is atomic, and the structs Kubernetes marks atomic (LabelSelector, object
// references, key selectors, node selectors) are replaced whole. Custom resources read
// x-kubernetes-list-type, x-kubernetes-list-map-keys and x-kubernetes-map-type from their
// openAPIV3Schema; lists without a list type are atomic.
//
// A Schema is immutable after construction and safe to share between threads.
#ifndef RUDDER_LIB_API_APPLY_SCHEMA_H_
#define RUDDER_LIB_API_APPLY_SCHEMA_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "lib/api/patch/patch_meta.h"
#include "lib/base/mutex.h"

namespace rudder::api::apply {

// What a position of an object holds.
enum class Kind {
  kUntyped,  // unknown: deduced from the value (objects granular, lists atomic)
  kScalar,
  kMap,  // a struct or a map: merged key by key unless atomic
  kList,
};

// How a list is merged and owned.
enum class ListType { kAtomic, kSet, kMap };

// One key of an associative list, with the default used when an item omits it ("" = none;
// otherwise compact JSON such as "\"TCP\"").
struct ListKey {
  std::string name;
  std::string default_json;
};

namespace internal {
struct SchemaNode;
}

// The type of one position. A cheap value; the pointers borrow from the Schema.
struct TypeRef {
  Kind kind = Kind::kUntyped;
  bool atomic = false;                         // maps and lists: replaced and owned whole
  ListType list_type = ListType::kAtomic;      // lists
  const std::vector<ListKey>* keys = nullptr;  // lists of type kMap
  const patch::PatchMeta* meta = nullptr;      // maps: their fields; lists: their items' fields
  const internal::SchemaNode* node = nullptr;  // custom resources: this position's schema
};

// The apply structure of one kind.
class Schema {
 public:
  // The structure of messages of type `d` (a built-in or registered kind). `d` must outlive
  // the Schema.
  static std::unique_ptr<Schema> ForMessage(const google::protobuf::Descriptor* d);
  // The structure of a custom resource from its openAPIV3Schema (JSON; empty: untyped, every
  // list atomic). metadata is typed as ObjectMeta. InvalidArgument for malformed JSON or
  // x-kubernetes-list-map-keys on a list that is not a map.
  static absl::StatusOr<std::unique_ptr<Schema>> ForCustomResource(std::string_view schema_json);

  ~Schema();
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  // The type of the whole object.
  TypeRef Root() const { return root_; }
  // The type of field (or map key) `name` of map type `parent`; `*declared` (when not null)
  // tells whether it is a declared field (false for map keys and unknown fields).
  TypeRef Field(const TypeRef& parent, std::string_view name, bool* declared = nullptr) const;
  // The type of the items of list type `list`.
  TypeRef Elem(const TypeRef& list) const;

 private:
  Schema();
  TypeRef FromPatchInfo(const patch::PatchMeta& parent, std::string_view name,
                        const patch::FieldPatchInfo& info) const;
  bool IsAtomicStruct(const patch::PatchMeta* meta) const;

  TypeRef root_;
  std::unique_ptr<patch::PatchMeta> meta_;          // built-in kinds, and ObjectMeta for CRDs
  std::unique_ptr<internal::SchemaNode> crd_root_;  // custom resources
  mutable Mutex mu_;
  mutable absl::flat_hash_map<const patch::PatchMeta*, bool> atomic_cache_ ABSL_GUARDED_BY(mu_);
  // Field lookups of built-in kinds, memoized (at most kMaxCachedFields names per struct, so
  // map keys from objects cannot grow it without bound).
  struct CachedField {
    TypeRef type;
    bool declared = false;
  };
  static constexpr size_t kMaxCachedFields = 256;
  mutable absl::flat_hash_map<const patch::PatchMeta*,
                              absl::flat_hash_map<std::string, CachedField>>
      field_cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::api::apply

#endif  // RUDDER_LIB_API_APPLY_SCHEMA_H_
