// Bounds on the work a patch may cause; every entry point takes them.
#ifndef RUDDER_LIB_API_PATCH_LIMITS_H_
#define RUDDER_LIB_API_PATCH_LIMITS_H_

#include <cstddef>

namespace rudder::api::patch {

// Inputs beyond these limits are rejected with InvalidArgument before (or while) patching.
// The defaults accept anything the API server would (its request limit is 3 MiB).
struct PatchLimits {
  // Longest JSON text accepted for a document (an object, original, modified or current).
  size_t max_document_bytes = 16 * 1024 * 1024;
  // Longest JSON text accepted for a patch.
  size_t max_patch_bytes = 3 * 1024 * 1024;
  // Deepest nesting of objects and arrays, in any input and in a JSON patch result.
  int max_depth = 1000;
  // Most operations in one JSON patch (Kubernetes allows 10000).
  int max_operations = 10000;
  // Most JSON values (nodes) that the add, replace, test, copy and move operations of one JSON
  // patch may bring into the document in total; bounds the growth from repeated copies.
  size_t max_copied_values = 1024 * 1024;
};

}  // namespace rudder::api::patch

#endif  // RUDDER_LIB_API_PATCH_LIMITS_H_
