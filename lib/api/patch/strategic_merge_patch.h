// Strategic merge patch (`application/strategic-merge-patch+json`), as Kubernetes' API server
// applies it to built-in kinds and as `kubectl apply` computes it.
//
// Rules (those of Kubernetes' apimachinery strategicpatch, driven by a PatchMeta):
//  - Objects merge key by key; a null value deletes the key. A field whose strategy is
//    "replace" is replaced whole.
//  - Lists with strategy "merge" and a merge key merge element by element by that key
//    (containers by name, ports by containerPort); other lists are replaced whole. Lists of
//    primitives with strategy "merge" (finalizers) merge as sets. Elements of the patch that
//    are new come first unless `$setElementOrder` orders them (Kubernetes' behaviour).
//  - Directives: `$patch: replace` (an object replaced whole, or a list element that makes the
//    list replaced by the patch's elements), `$patch: delete` (an object emptied, or the list
//    elements with that merge key removed), `$retainKeys: [..]` (keys of the original missing
//    from the list are cleared), `$setElementOrder/<list>: [..]` (final order of a merged list),
//    `$deleteFromPrimitiveList/<list>: [..]` (values removed from a merged primitive list).
//    `$patch: merge` is rejected, as in Kubernetes.
//  - A patch value for a key the original lacks is applied to an empty value, so its nulls and
//    directives are resolved (Kubernetes copies such values verbatim, directives included).
//  - Metadata lookups that fail (a field the schema lacks, merged as a list or object) are
//    errors, as in Kubernetes; scalars of unknown fields are set.
// Errors are InvalidArgument naming the field path ("spec.template.spec.containers"), except
// three-way conflicts (FailedPrecondition). Inputs are bounded by PatchLimits. Functions are
// stateless and thread-safe (PatchMeta implementations are).
//
// Example (what `kubectl apply` sends for a changed image):
//   std::unique_ptr<PatchMeta> meta = NewProtoPatchMeta(apps::v1::Deployment::descriptor());
//   absl::StatusOr<std::string> out = ApplyStrategicMergePatch(live_json,
//       R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],)"
//       R"("containers":[{"image":"busybox:1.37","name":"c"}]}}}})", *meta);
#ifndef RUDDER_LIB_API_PATCH_STRATEGIC_MERGE_PATCH_H_
#define RUDDER_LIB_API_PATCH_STRATEGIC_MERGE_PATCH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/api/patch/limits.h"
#include "lib/api/patch/patch_meta.h"
#include "rapidjson/document.h"

namespace rudder::api::patch {

// Applies strategic merge patch `patch` to `document` (both JSON objects) under `meta`, the
// metadata of the document's kind. Returns the result as compact JSON (keys in document
// order, new keys appended).
absl::StatusOr<std::string> ApplyStrategicMergePatch(absl::string_view document,
                                                     absl::string_view patch, const PatchMeta& meta,
                                                     const PatchLimits& limits = {});

// DOM form: patches `document` (an object) in place; `patch` is copied into its allocator.
// On error `document` is valid JSON but partly patched; patch a copy when that matters.
absl::Status ApplyStrategicMergePatch(rapidjson::Document& document, const rapidjson::Value& patch,
                                      const PatchMeta& meta, const PatchLimits& limits = {});

// The two-way patch from `original` to `modified` (JSON objects; empty text is {}), with
// `$setElementOrder` for changed merge lists, `$patch: delete` for removed elements,
// `$deleteFromPrimitiveList` for removed primitives and `$retainKeys` where the schema asks.
// Keys are sorted, so the text matches Kubernetes' byte for byte in the usual cases.
absl::StatusOr<std::string> CreateTwoWayMergePatch(absl::string_view original,
                                                   absl::string_view modified,
                                                   const PatchMeta& meta,
                                                   const PatchLimits& limits = {});

// DOM form: writes the patch into `patch` (its allocator holds the result).
absl::Status CreateTwoWayMergePatch(const rapidjson::Value& original,
                                    const rapidjson::Value& modified, const PatchMeta& meta,
                                    rapidjson::Document& patch, const PatchLimits& limits = {});

// What `kubectl apply` computes: the changes from `current` (the live object) to `modified`
// (the new configuration), plus deletions of what `original` (the last applied
// configuration, from the annotation; may be empty) had and `modified` no longer has.
// Unless `overwrite`, a change that conflicts with one made to the live object since
// `original` is an error (FailedPrecondition); kubectl apply overwrites.
absl::StatusOr<std::string> CreateThreeWayMergePatch(absl::string_view original,
                                                     absl::string_view modified,
                                                     absl::string_view current,
                                                     const PatchMeta& meta, bool overwrite = true,
                                                     const PatchLimits& limits = {});

}  // namespace rudder::api::patch

#endif  // RUDDER_LIB_API_PATCH_STRATEGIC_MERGE_PATCH_H_
