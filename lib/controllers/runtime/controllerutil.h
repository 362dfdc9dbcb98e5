// Helpers every controller needs (controller-runtime's pkg/controller/controllerutil):
// finalizers, owner references, and create-or-update / create-or-patch.
//
// Example (a reconciler keeping a ConfigMap for a Website):
//   ConfigMap cm;
//   cm.mutable_metadata()->set_namespace_(site.metadata().namespace_());
//   cm.mutable_metadata()->set_name(site.metadata().name() + "-config");
//   absl::StatusOr<OperationResult> r = CreateOrUpdate<ConfigMap>(client, &cm, [&](ConfigMap* c) {
//     (*c->mutable_data())["title"] = site.spec().title();
//     return SetControllerReference(site, c, client->scheme());
//   });
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_CONTROLLERUTIL_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_CONTROLLERUTIL_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/scheme/scheme.h"
#include "lib/client/client.h"

namespace rudder::ctrl {

using Object = google::protobuf::Message;

// --- Finalizers (metadata.finalizers of any object). Objects without metadata have none.

// Whether the object lists `finalizer`.
bool HasFinalizer(const Object& obj, const std::string& finalizer);
// Appends `finalizer` unless present; returns whether the object changed.
bool AddFinalizer(Object* obj, const std::string& finalizer);
// Removes every occurrence of `finalizer`; returns whether the object changed.
bool RemoveFinalizer(Object* obj, const std::string& finalizer);

// --- Owner references.

// Makes `owner` (an object of a kind registered in `scheme`, with a name and uid) an owner of
// `obj`, replacing an existing reference to the same owner (same group, kind and name) but
// keeping its controller flag. InvalidArgument when the owner's kind is unknown, or when a
// namespaced owner is in another namespace than `obj` or `obj` is cluster-scoped and the owner
// namespaced (garbage collection forbids both).
absl::Status SetOwnerReference(const Object& owner, Object* obj, const api::Scheme& scheme);
// Like SetOwnerReference with controller=true and blockOwnerDeletion=true. FailedPrecondition
// (controller-runtime's AlreadyOwnedError) when another object is already the controller.
absl::Status SetControllerReference(const Object& owner, Object* obj, const api::Scheme& scheme);
// The controller reference of `obj`, if any.
std::optional<api::meta::v1::OwnerReference> GetControllerOf(const Object& obj);

// --- Create or update.

// What CreateOrUpdate / CreateOrPatch did.
enum class OperationResult {
  kNone,               // The object was up to date.
  kCreated,            // It did not exist and was created.
  kUpdated,            // It was updated (CreateOrPatch: everything but status).
  kUpdatedStatus,      // CreateOrPatch: both the object and its status were patched.
  kUpdatedStatusOnly,  // CreateOrPatch: only the status was patched.
};
const char* OperationResultName(OperationResult r);

// Mutates an object towards its desired state. It must not change the name or namespace.
using MutateFunc = std::function<absl::Status(Object* obj)>;

// Reads the object named by `obj`'s metadata into `obj` (through `client`, kind from the
// client's scheme), applies `mutate`, and creates it if it did not exist or updates it if
// `mutate` changed it. On success `obj` holds the object as stored. InvalidArgument when
// `mutate` renamed the object; errors of the client as they come (Aborted on a conflict).
absl::StatusOr<OperationResult> CreateOrUpdate(client::Client* client, Object* obj,
                                               const MutateFunc& mutate);
// Like CreateOrUpdate, but sends JSON merge patches of what `mutate` changed: one for the
// object, and one for the status subresource when the kind has one and the status changed.
absl::StatusOr<OperationResult> CreateOrPatch(client::Client* client, Object* obj,
                                              const MutateFunc& mutate);

// Typed forms.
template <typename T>
absl::StatusOr<OperationResult> CreateOrUpdate(client::Client* client, T* obj,
                                               const std::function<absl::Status(T*)>& mutate) {
  return CreateOrUpdate(client, static_cast<Object*>(obj),
                        [&mutate](Object* o) { return mutate(static_cast<T*>(o)); });
}
template <typename T>
absl::StatusOr<OperationResult> CreateOrPatch(client::Client* client, T* obj,
                                              const std::function<absl::Status(T*)>& mutate) {
  return CreateOrPatch(client, static_cast<Object*>(obj),
                       [&mutate](Object* o) { return mutate(static_cast<T*>(o)); });
}

// The JSON merge patch (RFC 7386) turning JSON object `original` into `modified`; "{}" when
// they are equal. InvalidArgument when either is not a JSON object.
absl::StatusOr<std::string> CreateMergePatch(const std::string& original,
                                             const std::string& modified);

}  // namespace rudder::ctrl

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_CONTROLLERUTIL_H_
