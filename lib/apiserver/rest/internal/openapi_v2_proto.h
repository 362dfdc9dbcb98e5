// The protobuf form of the swagger 2.0 (OpenAPI v2) document, for clients that ask
// /openapi/v2 for it (kubectl up to 1.26 reads it for `explain`, client-side validation and
// server dry-run support).
#ifndef RUDDER_LIB_APISERVER_REST_INTERNAL_OPENAPI_V2_PROTO_H_
#define RUDDER_LIB_APISERVER_REST_INTERNAL_OPENAPI_V2_PROTO_H_

#include <string>

#include "absl/status/statusor.h"

namespace rudder::apiserver::rest_internal {

// Converts a swagger 2.0 JSON document to its protobuf encoding (the published "openapi.v2"
// Document message, serialized). Schemas keep $ref, type, format, description, properties,
// additionalProperties, items, allOf, required, enum, default, numeric and length bounds and
// every x-* extension (as YAML text); operations keep their parameters (body, query, path,
// header), responses and x-* extensions. InvalidArgument when `json` is not a JSON object.
absl::StatusOr<std::string> SwaggerJsonToProto(const std::string& json);

}  // namespace rudder::apiserver::rest_internal

#endif  // RUDDER_LIB_APISERVER_REST_INTERNAL_OPENAPI_V2_PROTO_H_
