// Strategic merge patch metadata read from protobuf descriptors.
//
// Each field's strategy and merge key come from its options `(rudder.api.patch_strategy)` and
// `(rudder.api.patch_merge_key)` (lib/api/proto/options.proto), the counterparts of
// Kubernetes' `patchStrategy` and `patchMergeKey` Go struct tags. Fields are found by their
// JSON names, and the fields of inline (embedded) members such as core/v1 Volume.volumeSource
// are found directly in their parent, as in Kubernetes' JSON. Message types with a special
// JSON form (Quantity, IntOrString, Time, MicroTime, Duration) are primitives; RawExtension and
// apiextensions JSON hold arbitrary JSON. Both lists come from the JSON codec's
// JsonSpecialTypes (lib/api/codec/special_types.h).
//
// Kinds without a schema (custom resources, unstructured objects) have no patch metadata:
// use SchemalessPatchMeta(), which gives JSON merge patch semantics (lists replaced whole),
// as Kubernetes clients do for such kinds.
#ifndef RUDDER_LIB_API_PATCH_PROTO_PATCH_META_H_
#define RUDDER_LIB_API_PATCH_PROTO_PATCH_META_H_

#include <memory>

#include "google/protobuf/descriptor.h"
#include "lib/api/codec/special_types.h"
#include "lib/api/patch/patch_meta.h"

namespace rudder::api::patch {

// Builds the patch metadata of `message` and every message type it reaches, eagerly (cost
// proportional to the number of reachable fields; build once per kind and keep it). The
// descriptor must outlive the result. The result is immutable and thread-safe. An invalid
// patch_strategy option is reported when its field is looked up (InvalidArgument).
//
// Example:
//   std::unique_ptr<PatchMeta> meta =
//       NewProtoPatchMeta(apps::v1::Deployment::descriptor());
//   absl::StatusOr<std::string> out = ApplyStrategicMergePatch(live, patch, *meta);
std::unique_ptr<PatchMeta> NewProtoPatchMeta(const google::protobuf::Descriptor* message);

// As above with the special types and inline fields of `types` instead of the built-in ones.
std::unique_ptr<PatchMeta> NewProtoPatchMeta(const google::protobuf::Descriptor* message,
                                             const JsonSpecialTypes& types);

}  // namespace rudder::api::patch

#endif  // RUDDER_LIB_API_PATCH_PROTO_PATCH_META_H_
