// Table rendering of objects for `kubectl get` (Accept ...;as=Table;g=meta.k8s.io).
#ifndef RUDDER_LIB_APISERVER_REST_INTERNAL_TABLE_H_
#define RUDDER_LIB_APISERVER_REST_INTERNAL_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "lib/api/scheme/scheme.h"

namespace rudder::apiserver::rest_internal {

// Kubernetes' short human duration ("5s", "3m2s", "4h", "2d3h", "400d", "3y").
std::string HumanDuration(absl::Duration d);

// A meta.k8s.io/v1 Table for objects given as their JSON (each with kind and apiVersion;
// borrowed for the call).
// NAME and AGE for every kind; Kubernetes' columns for pods and deployments. Each row carries
// the object's metadata as a PartialObjectMetadata.
std::string RenderTable(const api::KindInfo& kind,
                        const std::vector<std::string_view>& objects_json,
                        const std::string& resource_version, const std::string& continue_token,
                        absl::Time now);

}  // namespace rudder::apiserver::rest_internal

#endif  // RUDDER_LIB_APISERVER_REST_INTERNAL_TABLE_H_
