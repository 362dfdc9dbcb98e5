// Server-side apply and field ownership (Kubernetes' structured-merge-diff rules), over JSON.
//
//  - ToFieldSet: the fields an applied configuration sets (what its manager will own).
//  - Compare: the fields added, modified and removed between two versions of an object.
//  - Merge: an applied configuration merged into the live object (maps and structs key by key,
//    associative lists item by item by their keys, sets as sets, atomic values replaced).
//  - Apply / Update: the managedFields bookkeeping of one write, with conflicts, forcing and
//    the removal of fields a manager applied before and no longer applies (when nobody else
//    owns them).
//  - DecodeManagedFields / EncodeManagedFields: ObjectMeta.managedFields <-> Managers.
//
// All functions are stateless and thread-safe. Bad input is InvalidArgument with a field path.
//
// Example (what the API server does for PATCH with application/apply-patch+yaml):
//   std::unique_ptr<Schema> schema = Schema::ForMessage(apps::v1::Deployment::descriptor());
//   Managers managers = *DecodeManagedFields(live_meta.managedfields());
//   ApplyOptions o{.manager = "kubectl", .api_version = "apps/v1", .force = false, .now = now};
//   absl::StatusOr<ApplyResult> r = Apply(*schema, &live_json, config_json, managers, o);
//   // r->conflicts empty: r->object is the new object, r->managers its managedFields.
#ifndef RUDDER_LIB_API_APPLY_APPLY_H_
#define RUDDER_LIB_API_APPLY_APPLY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "lib/api/apply/fieldset.h"
#include "lib/api/apply/schema.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "rapidjson/document.h"

namespace rudder::api::apply {

inline constexpr char kOperationApply[] = "Apply";
inline constexpr char kOperationUpdate[] = "Update";

// One managedFields entry, decoded.
struct ManagedEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string subresource;                 // "" or "status"
  absl::Time time = absl::InfinitePast();  // InfinitePast: none
  FieldSet fields;
};
using Managers = std::vector<ManagedEntry>;

// The fields of `value` (a JSON object of the kind `schema` describes) as an applier owns them.
// InvalidArgument for an associative list item without its keys, or duplicate items.
absl::StatusOr<FieldSet> ToFieldSet(const Schema& schema, const rapidjson::Value& value);

// The differences from `lhs` to `rhs` (either may be null: absent).
struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
  bool Empty() const { return added.Empty() && modified.Empty() && removed.Empty(); }
};
Comparison Compare(const Schema& schema, const rapidjson::Value* lhs, const rapidjson::Value* rhs);

// `config` merged into `live` (null: absent), written into `out` (its allocator holds it).
void Merge(const Schema& schema, const rapidjson::Value* live, const rapidjson::Value& config,
           rapidjson::Document& out);

// Removes from `value` every member of `set` (and everything below it).
void RemoveFields(const Schema& schema, const FieldSet& set, rapidjson::Value& value);

// Fields no manager owns: apiVersion, kind, metadata's server-set fields (name, namespace,
// uid, resourceVersion, generation, creationTimestamp, managedFields, ...).
const FieldSet& StrippedFields();

// One field another manager owns that an apply would change.
struct Conflict {
  std::string manager;  // `"kubectl-client-side-apply" using apps/v1` (Kubernetes' wording)
  std::string field;    // ".spec.replicas"
};

// Options of Apply and Update.
struct WriteOptions {
  std::string manager;
  std::string api_version;  // "apps/v1"
  std::string subresource;  // "" or "status"
  bool force = false;       // Apply: take over conflicting fields
  absl::Time now;           // the time recorded for the manager when it changes something
  // Fields no manager owns in this write besides StrippedFields() (e.g. "status" for the main
  // resource of a kind with a status subresource).
  const FieldSet* reset = nullptr;
};

struct ApplyResult {
  rapidjson::Document object;  // the merged object (without managedFields)
  Managers managers;
  std::vector<Conflict> conflicts;  // non-empty: the apply must fail (409) and nothing changes
};

// Applies `config` (without managedFields) to `live` (without managedFields; null: a create).
absl::StatusOr<ApplyResult> Apply(const Schema& schema, const rapidjson::Value* live,
                                  const rapidjson::Value& config, Managers managers,
                                  const WriteOptions& options);

// The managers after a non-apply write from `live` (null: a create) to `next` by
// options.manager: it owns what it added or changed, others lose what it changed or removed.
Managers Update(const Schema& schema, const rapidjson::Value* live, const rapidjson::Value& next,
                Managers managers, const WriteOptions& options);

// Decodes managedFields; InvalidArgument for malformed fieldsV1 or fieldsType.
absl::StatusOr<Managers> DecodeManagedFields(
    const google::protobuf::RepeatedPtrField<meta::v1::ManagedFieldsEntry>& entries);

// Writes `managers` in Kubernetes' order (Apply before Update, then by time, manager, apiVersion,
// subresource), with fieldsType FieldsV1.
void EncodeManagedFields(const Managers& managers,
                         google::protobuf::RepeatedPtrField<meta::v1::ManagedFieldsEntry>* out);

// True for the managedFields a client sends to clear them: exactly one empty entry.
bool IsResetManagedFields(
    const google::protobuf::RepeatedPtrField<meta::v1::ManagedFieldsEntry>& entries);

// Kubernetes' message of an apply conflict error:
// `Apply failed with 1 conflict: conflict with "x" using apps/v1: .spec.replicas`.
std::string ConflictMessage(const std::vector<Conflict>& conflicts);

}  // namespace rudder::api::apply

#endif  // RUDDER_LIB_API_APPLY_APPLY_H_
