// Event handlers: how an object event becomes reconcile Requests (controller-runtime's
// pkg/handler).
//
// A watch's handler maps each object it sees to Requests; the controller de-duplicates them
// in its queue. On updates, handlers with `map_old_on_update` map the old object too (an
// owned object that moved to another owner wakes both owners). Requests without a cluster get
// the cluster of the event.
//
// Example:
//   // Reconcile every Website that names this Secret in an annotation.
//   EventHandler h = EnqueueRequestsFromMapFunc([](const Object& secret) {
//     return std::vector<Request>{{.ns = "web", .name = "front"}};
//   });
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_HANDLER_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_HANDLER_H_

#include <functional>
#include <vector>

#include "google/protobuf/message.h"
#include "lib/api/scheme/scheme.h"
#include "lib/controllers/runtime/reconcile.h"

namespace rudder::ctrl {

using Object = google::protobuf::Message;

// Maps an object to the Requests it should trigger. Must be thread-safe.
using MapFunc = std::function<std::vector<Request>(const Object& obj)>;

// How a watch turns events into Requests (a value type; cheap to copy).
struct EventHandler {
  MapFunc map;
  // On updates, also map the old object (the new one is always mapped).
  bool map_old_on_update = true;
};

// Requests the object itself (For<T>()).
EventHandler EnqueueRequestForObject();
// Requests the owner of kind `owner` (group and kind compared, not version) named in the
// object's ownerReferences: only the controller reference when `only_controller` (Owns<T>()),
// else every matching reference. A namespaced owner is in the object's namespace.
EventHandler EnqueueRequestForOwner(const api::KindInfo& owner, bool only_controller = true);
// Requests whatever `fn` returns.
EventHandler EnqueueRequestsFromMapFunc(MapFunc fn);

}  // namespace rudder::ctrl

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_HANDLER_H_
