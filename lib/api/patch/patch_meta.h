// Strategic merge patch metadata: how each field of an object is patched.
//
// A PatchMeta describes one point of a schema (an object kind, a nested struct, the values of
// a map, or the elements of a list). Looking up a field name returns its FieldPatchInfo: what
// the field holds, its patch strategy and merge key (Kubernetes' `patchStrategy` and
// `patchMergeKey` struct tags), and the PatchMeta of its contents.
//
// Implementations: NewProtoPatchMeta() (proto_patch_meta.h) reads the options of protobuf
// descriptors; TablePatchMeta (below) is built by hand; SchemalessPatchMeta() knows nothing,
// so every list is replaced whole and every object merged key by key (JSON merge patch rules).
//
// Every PatchMeta is immutable once built and safe to use from many threads.
#ifndef RUDDER_LIB_API_PATCH_PATCH_META_H_
#define RUDDER_LIB_API_PATCH_PATCH_META_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rudder::api::patch {

class PatchMeta;

// What a field holds.
enum class FieldKind {
  kPrimitive,  // a string, number, bool, or a special type written as one (Quantity, Time)
  kObject,     // a struct or a map<string, X>; `children` describes its keys
  kList,       // a repeated field; `children` describes one element (when elements are objects)
  kAny,        // arbitrary JSON (RawExtension, unknown fields of a schemaless object)
};

// How a list or object field is patched, parsed from a `patchStrategy` tag such as
// "merge", "replace", "retainKeys" or "merge,retainKeys".
struct PatchStrategy {
  // Lists: merge element by element (by `merge_key` for lists of objects, as a set for lists
  // of primitives). Without it lists are replaced whole.
  bool merge = false;
  // Objects: replace whole instead of merging key by key.
  bool replace = false;
  // Objects (or list elements): the patch may carry `$retainKeys`, and keys of the original
  // missing from it are cleared. Two-way patches generate it.
  bool retain_keys = false;

  // Parses a patchStrategy tag; InvalidArgument for anything Kubernetes would not accept.
  static absl::StatusOr<PatchStrategy> Parse(absl::string_view tag);
};

// The patch metadata of one field.
struct FieldPatchInfo {
  FieldKind kind = FieldKind::kAny;
  PatchStrategy strategy;
  // Lists of objects merged by key: the key ("name", "containerPort").
  std::string merge_key;
  // The schema of the field's object value, or of its list elements. Never null: a field
  // without structure points at SchemalessPatchMeta(). Borrowed: it lives as long as the
  // PatchMeta it was looked up in.
  const PatchMeta* children = nullptr;
};

// The patch metadata of one object schema. Abstract; see the implementations above.
class PatchMeta {
 public:
  virtual ~PatchMeta() = default;

  // The metadata of field `name` of the object this describes; NotFound when the schema
  // has no such field (Kubernetes then fails a strategic merge of that field).
  virtual absl::StatusOr<FieldPatchInfo> Lookup(absl::string_view name) const = 0;

  // A name for error messages ("rudder.api.apps.v1.DeploymentSpec").
  virtual std::string Name() const = 0;
};

// A PatchMeta with no schema: every field is kAny, with no strategy (lists replaced, objects
// merged). A process-wide singleton; never null.
const PatchMeta& SchemalessPatchMeta();

// A PatchMeta built from a table of fields, for tests and hand-written schemas.
//
// Example (a pod spec whose containers merge by name):
//   auto container = std::make_shared<TablePatchMeta>("Container");
//   container->AddField("ports", FieldKind::kList, "merge", "containerPort");
//   auto spec = std::make_shared<TablePatchMeta>("PodSpec");
//   spec->AddField("containers", FieldKind::kList, "merge", "name", container);
//
// Build it fully before use; after that it is immutable and thread-safe. Children are shared
// (std::shared_ptr) and kept alive by their parents.
class TablePatchMeta final : public PatchMeta {
 public:
  explicit TablePatchMeta(std::string name) : name_(std::move(name)) {}

  // Adds (or replaces) field `field`. `strategy` is a patchStrategy tag (may be empty); an
  // invalid tag is reported by Lookup(). A null `children` means SchemalessPatchMeta().
  TablePatchMeta& AddField(std::string field, FieldKind kind, std::string strategy = "",
                           std::string merge_key = "",
                           std::shared_ptr<const PatchMeta> children = nullptr);

  // Makes every name not added above resolve to this field (the values of a map<string, X>).
  TablePatchMeta& SetDefaultField(FieldKind kind, std::string strategy = "",
                                  std::string merge_key = "",
                                  std::shared_ptr<const PatchMeta> children = nullptr);

  absl::StatusOr<FieldPatchInfo> Lookup(absl::string_view name) const override;
  std::string Name() const override { return name_; }

 private:
  struct Entry {
    FieldKind kind;
    std::string strategy;
    std::string merge_key;
    std::shared_ptr<const PatchMeta> children;
  };
  absl::StatusOr<FieldPatchInfo> ToInfo(const Entry& e) const;

  std::string name_;
  absl::flat_hash_map<std::string, Entry> fields_;
  std::unique_ptr<Entry> default_;
};

}  // namespace rudder::api::patch

#endif  // RUDDER_LIB_API_PATCH_PATCH_META_H_
