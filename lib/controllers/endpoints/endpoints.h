// The Endpoints and EndpointSlice controllers (kube-controller-manager's endpoint-controller
// and endpointslice-controller): for every Service with a selector, the pods it selects
// become
//  - an Endpoints object of the Service's name: ready pods in `addresses`, others in
//    `notReadyAddresses` (all ready with spec.publishNotReadyAddresses), terminating pods
//    left out, grouped into subsets by their resolved ports;
//  - EndpointSlices (discovery.k8s.io/v1) labelled kubernetes.io/service-name and
//    endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io, owned by the
//    Service, at most `max_endpoints_per_slice` endpoints each, one address type each, with
//    conditions ready / serving / terminating.
// Target ports given by name resolve against each pod's container ports. Pods without an IP
// and terminal pods are skipped. Headless Services (clusterIP None) get the hostnames of pods
// whose spec.subdomain is the Service's name, and are labelled service.kubernetes.io/headless.
// Services without a selector are left alone (their Endpoints are the user's). A deleted
// Service's slices, and its Endpoints when they carry
// endpoints.kubernetes.io/managed-by=endpoint-controller, are deleted.
#ifndef RUDDER_LIB_CONTROLLERS_ENDPOINTS_ENDPOINTS_H_
#define RUDDER_LIB_CONTROLLERS_ENDPOINTS_ENDPOINTS_H_

#include "absl/status/status.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

inline constexpr char kEndpointSliceManagedBy[] = "endpointslice.kubernetes.io/managed-by";
inline constexpr char kEndpointSliceController[] = "endpointslice-controller.k8s.io";
// Marks the Endpoints this controller writes (only those are deleted with their Service).
inline constexpr char kEndpointsManagedBy[] = "endpoints.kubernetes.io/managed-by";
inline constexpr char kEndpointsController[] = "endpoint-controller";
inline constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";
inline constexpr char kHeadlessLabel[] = "service.kubernetes.io/headless";

// Options of both controllers.
struct EndpointsControllerOptions {
  int max_endpoints_per_slice = 100;
  int workers = 2;
};

// Adds the Endpoints controller ("endpoints") to `manager` (borrowed; it owns the controller).
absl::Status AddEndpointsController(ctrl::Manager* manager,
                                    EndpointsControllerOptions options = {});
// Adds the EndpointSlice controller ("endpointslice") to `manager`.
absl::Status AddEndpointSliceController(ctrl::Manager* manager,
                                        EndpointsControllerOptions options = {});

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_ENDPOINTS_ENDPOINTS_H_
