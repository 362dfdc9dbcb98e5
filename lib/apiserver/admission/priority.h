// The Priority admission plugin (Kubernetes' "Priority"), in the default chain.
//
//  - A new pod (CREATE of pods, not a subresource) gets spec.priority and
//    spec.preemptionPolicy from the scheduling.k8s.io/v1 PriorityClass named by
//    spec.priorityClassName. A pod that names none gets the globalDefault class (its name
//    too; the lowest value when several claim to be the default), else priority 0 and
//    PreemptLowerPriority.
//  - The built-in classes system-node-critical (2000001000) and system-cluster-critical
//    (2000000000) resolve even when no such object exists.
//  - An unknown class is rejected with 403 Forbidden `pods "NAME" is forbidden: no
//    PriorityClass with name X was found`; a pod that sets spec.priority or
//    spec.preemptionPolicy to other values than its class's is rejected too (Kubernetes'
//    messages).
//  - A PriorityClass with globalDefault cannot be created or updated to it while another
//    class is the default (403 "PriorityClass A is already marked as default. Only one
//    default can exist").
//
// Thread-safe and stateless: classes are read through Attributes::access at each request.
#ifndef RUDDER_LIB_APISERVER_ADMISSION_PRIORITY_H_
#define RUDDER_LIB_APISERVER_ADMISSION_PRIORITY_H_

#include <cstdint>
#include <memory>

#include "lib/apiserver/admission/admission.h"

namespace rudder::apiserver::admission {

// The values of the built-in classes.
inline constexpr int32_t kSystemNodeCritical = 2000001000;
inline constexpr int32_t kSystemClusterCritical = 2000000000;
// The largest value a user-defined class may have.
inline constexpr int32_t kHighestUserDefinablePriority = 1000000000;

std::unique_ptr<Plugin> NewPriority();

}  // namespace rudder::apiserver::admission

#endif  // RUDDER_LIB_APISERVER_ADMISSION_PRIORITY_H_
