// Aggregated discovery (apidiscovery.k8s.io v2 and v2beta1): every group, version and
// resource of /api or /apis in one APIGroupDiscoveryList, which kubectl 1.26+ asks for instead
// of one request per group-version.
#ifndef RUDDER_LIB_APISERVER_REST_INTERNAL_DISCOVERY_H_
#define RUDDER_LIB_APISERVER_REST_INTERNAL_DISCOVERY_H_

#include <string>
#include <vector>

#include "lib/api/proto/meta/v1/meta.pb.h"

namespace rudder::apiserver::rest_internal {

// The aggregated discovery version ("v2" or "v2beta1") an Accept header asks for, taking its
// media ranges in order; "" when a plain one (application/json, */*) comes first or none asks
// for an APIGroupDiscoveryList.
std::string AggregatedDiscoveryVersion(const std::string& accept);

// The Content-Type of an aggregated discovery answer of `version`.
std::string AggregatedDiscoveryContentType(const std::string& version);

// One API group (name "" for the core group) with its versions' resource lists, preferred
// version first.
struct DiscoveryGroup {
  std::string name;
  std::vector<api::meta::v1::APIResourceList> versions;
};

// The APIGroupDiscoveryList JSON of `groups` (apiVersion apidiscovery.k8s.io/`version`).
// Entries "plural/sub" of a resource list become subresources of "plural"; each resource has
// its responseKind, scope, singularResource, verbs, shortNames and categories.
std::string AggregatedDiscoveryJson(const std::vector<DiscoveryGroup>& groups,
                                    const std::string& version);

}  // namespace rudder::apiserver::rest_internal

#endif  // RUDDER_LIB_APISERVER_REST_INTERNAL_DISCOVERY_H_
