// OpenAPI documents of a Scheme's kinds, as the Kubernetes API server publishes them.
//
// Schemas are generated from the kinds' protobuf descriptors: one per message reachable from
// the kinds, named as Kubernetes names them ("io.k8s.api.apps.v1.Deployment",
// "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), properties by JSON name, the special JSON
// forms of lib/api/codec/special_types.h (Quantity, IntOrString, Time, ...) as strings with
// their formats, inline (embedded) fields merged into the enclosing object, maps as objects with
// additionalProperties, strategic-merge-patch field options as x-kubernetes-patch-* extensions,
// and x-kubernetes-group-version-kind on the kinds' schemas.
//
// OpenApiService serves /openapi/v3 (a root listing group-versions with hashed URLs, then one
// OpenAPI 3.0 document per group-version) and /openapi/v2 (swagger 2.0 JSON; an empty
// application/octet-stream body to clients asking for protobuf).
#ifndef RUDDER_LIB_APISERVER_OPENAPI_OPENAPI_H_
#define RUDDER_LIB_APISERVER_OPENAPI_OPENAPI_H_

#include <map>
#include <memory>
#include <string>

#include "google/protobuf/descriptor.h"
#include "lib/api/codec/special_types.h"
#include "lib/api/scheme/scheme.h"
#include "lib/base/mutex.h"

namespace rudder::apiserver::openapi {

// Kubernetes' schema name for a message: rudder.api.apps.v1.Deployment ->
// io.k8s.api.apps.v1.Deployment, rudder.api.meta.v1.X -> io.k8s.apimachinery.pkg.apis.meta.v1.X,
// rudder.api.resource.Quantity -> io.k8s.apimachinery.pkg.api.resource.Quantity, ... Messages
// outside rudder.api keep their full name.
std::string SchemaName(const google::protobuf::Descriptor* d);

// The OpenAPI 3.0 document (JSON) of one group-version of `scheme` ("" group = core).
// `special_types` names the special JSON forms and inline fields (the codec's built-in ones
// when nullptr).
std::string BuildV3Document(const api::Scheme& scheme, const std::string& group,
                            const std::string& version,
                            const api::JsonSpecialTypes* special_types = nullptr);

// The swagger 2.0 document (JSON) of every kind of `scheme`.
std::string BuildV2Document(const api::Scheme& scheme,
                            const api::JsonSpecialTypes* special_types = nullptr);

// An HTTP request for an /openapi path, and the answer.
struct OpenApiRequest {
  std::string path;           // "/openapi/v3/apis/apps/v1"
  std::string hash;           // the `hash` query parameter, if any
  std::string accept;         // the Accept header
  std::string if_none_match;  // the If-None-Match header
};
struct OpenApiResponse {
  int status = 404;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;  // ETag, Cache-Control, Location
};

// Serves the documents of a scheme, generated on first use and cached until the scheme's kinds
// change (detected by a fingerprint of the kinds on every request). Thread-safe. Does not own
// the scheme, which must outlive it.
class OpenApiService {
 public:
  explicit OpenApiService(const api::Scheme* scheme);
  OpenApiService(const OpenApiService&) = delete;
  OpenApiService& operator=(const OpenApiService&) = delete;

  // True for paths this service answers ("/openapi/v2", "/openapi/v3...").
  static bool Handles(const std::string& path);
  // Answers a GET: 200 with the document, 304 when If-None-Match matches its ETag, 301 to the
  // current URL when `hash` is stale, 404 for unknown paths.
  OpenApiResponse Serve(const OpenApiRequest& req);

 private:
  struct Doc {
    std::string body;
    std::string hash;  // hex digest of body; also the ETag
  };
  struct Cache {
    uint64_t fingerprint = 0;
    std::map<std::string, std::shared_ptr<const Doc>> docs;  // by path after /openapi/
  };
  std::shared_ptr<const Doc> Get(const std::string& key);

  const api::Scheme* scheme_;
  const api::JsonSpecialTypes special_types_;
  Mutex mu_;
  Cache cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::apiserver::openapi

#endif  // RUDDER_LIB_APISERVER_OPENAPI_OPENAPI_H_
