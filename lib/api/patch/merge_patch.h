// JSON merge patch (RFC 7386): `application/merge-patch+json`, as `kubectl scale`,
// `kubectl label` / `annotate` (for unregistered kinds) and `kubectl patch --type=merge` send.
//
// Guarantees: RFC 7386 exactly (a non-object patch replaces the target; null removes a key;
// objects merge recursively; arrays and scalars replace). Inputs are bounded by PatchLimits;
// bad input is InvalidArgument, never a crash. Functions are stateless and thread-safe.
//
// Example:
//   absl::StatusOr<std::string> out =
//       ApplyMergePatch(R"({"spec":{"replicas":1,"paused":true}})",
//                       R"({"spec":{"replicas":3,"paused":null}})");
//   // *out == R"({"spec":{"replicas":3}})"
#ifndef RUDDER_LIB_API_PATCH_MERGE_PATCH_H_
#define RUDDER_LIB_API_PATCH_MERGE_PATCH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/api/patch/limits.h"
#include "rapidjson/document.h"

namespace rudder::api::patch {

// Applies merge patch `patch` to the JSON `document`; returns the patched JSON (compact, keys
// in document order, new keys appended).
absl::StatusOr<std::string> ApplyMergePatch(absl::string_view document, absl::string_view patch,
                                            const PatchLimits& limits = {});

// DOM form: patches `target` in place, copying what it takes from `patch` with `alloc` (the
// allocator of the document owning `target`). Cannot fail; the caller bounds depth.
void ApplyMergePatch(rapidjson::Value& target, const rapidjson::Value& patch,
                     rapidjson::Document::AllocatorType& alloc);

// Creates the merge patch that turns `original` into `modified` (keys sorted, as Kubernetes'
// clients write them): changed and added keys with their new values, removed keys as null,
// objects diffed recursively, arrays replaced whole. "{}" when they are equal.
absl::StatusOr<std::string> CreateMergePatch(absl::string_view original, absl::string_view modified,
                                             const PatchLimits& limits = {});

// DOM form: writes the patch into `patch` (its allocator holds the result).
void CreateMergePatch(const rapidjson::Value& original, const rapidjson::Value& modified,
                      rapidjson::Document& patch);

// The three-way merge patch `kubectl apply` sends for kinds without strategic merge metadata
// (custom resources): changes from `current` (live) to `modified` (new configuration), minus
// deletions, plus deletions of keys `original` (last applied) had and `modified` dropped.
// Empty inputs are taken as {}.
absl::StatusOr<std::string> CreateThreeWayMergePatch(absl::string_view original,
                                                     absl::string_view modified,
                                                     absl::string_view current,
                                                     const PatchLimits& limits = {});

}  // namespace rudder::api::patch

#endif  // RUDDER_LIB_API_PATCH_MERGE_PATCH_H_
