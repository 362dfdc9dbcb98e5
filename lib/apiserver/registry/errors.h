// Kubernetes API errors: the absl::Status values the registry returns and their Status objects.
//
// Mapping (absl code -> HTTP code, Status reason):
//   NotFound -> 404 NotFound;  AlreadyExists -> 409 AlreadyExists;
//   Aborted, FailedPrecondition -> 409 Conflict;
//   InvalidArgument with field errors -> 422 Invalid (details.causes); other InvalidArgument ->
//   400 BadRequest; store compaction (store::IsCompacted) -> 410 Expired;
//   Unimplemented -> 405 MethodNotAllowed; ResourceExhausted -> 413 RequestEntityTooLarge;
//   Unavailable -> 503 ServiceUnavailable; PermissionDenied -> 403 Forbidden;
//   Unauthenticated -> 401 Unauthorized; everything else -> 500 InternalError.
// Thread-compatible free functions.
#ifndef RUDDER_LIB_APISERVER_REGISTRY_ERRORS_H_
#define RUDDER_LIB_APISERVER_REGISTRY_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/api/proto/meta/v1/meta.pb.h"

namespace rudder::apiserver {

// Attaches StatusDetails (group, kind = plural resource, name) to `status`.
absl::Status WithDetails(absl::Status status, const std::string& group, const std::string& kind,
                         const std::string& name);

// The Status object (kind Status, apiVersion v1) for a non-OK `status`.
api::meta::v1::Status ToApiStatus(const absl::Status& status);

// The Status object as JSON, with kind and apiVersion.
std::string ToApiStatusJson(const absl::Status& status);

// Kubernetes' own errors, with its messages.
absl::Status NotFoundError(const std::string& qualified_resource, const std::string& name);
absl::Status AlreadyExistsError(const std::string& qualified_resource, const std::string& name);
absl::Status ConflictError(const std::string& qualified_resource, const std::string& name,
                           const std::string& why);
// `<resource> "<name>" is forbidden: <why>` (403 Forbidden; no name: `<resource> is forbidden:
// ...`), as admission plugins and authorizers reject requests.
absl::Status ForbiddenError(const std::string& qualified_resource, const std::string& name,
                            const std::string& why);
// 401 Unauthorized.
absl::Status UnauthorizedError(const std::string& message = "Unauthorized");
// The 410 error of a watch or continue token from before the compaction point.
absl::Status ExpiredError(const std::string& message);
// 429 TooManyRequests (ResourceExhausted) with `causes` in its details, as the eviction
// subresource refuses evictions that would violate a PodDisruptionBudget.
absl::Status TooManyRequestsError(const std::string& message,
                                  const std::vector<api::meta::v1::StatusCause>& causes = {});
// 409 Conflict of a server-side apply that would change fields other managers own: `message`
// and one cause per field (reason FieldManagerConflict, message `conflict with "m" using
// apps/v1`, field ".spec.replicas").
absl::Status ApplyConflictError(const std::string& message,
                                const std::vector<api::meta::v1::StatusCause>& causes);

}  // namespace rudder::apiserver

#endif  // RUDDER_LIB_APISERVER_REGISTRY_ERRORS_H_
