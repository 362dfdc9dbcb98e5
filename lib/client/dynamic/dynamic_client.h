// The dynamic client: reads and writes objects of any kind as api::Unstructured (JSON
// documents), addressed by group/version/resource, over any Client transport, as client-go's
// dynamic client does. Generic tools (kubectl-style printers, garbage collection, apply) use
// it where they do not know the kind's message type at compile time.
//
// Objects are converted to and from the kind's message with the JSON codec: what the dynamic
// client returns is exactly the JSON the REST API would send (apiVersion and kind first), and
// what it sends is decoded strictly (unknown fields are InvalidArgument with their path,
// rather than dropped). Custom resources (kinds held by rudder.api.unstructured.CustomObject)
// go through the same path, their JSON kept as given.
//
// Thread-safe (the Client is); borrows the Client, which must outlive it.
//
// Example:
//   DynamicClient dyn(client.get());
//   api::GroupVersionResource deployments{"apps", "v1", "deployments"};
//   absl::StatusOr<api::Unstructured> d = dyn.Get(deployments, "default", "web");
//   std::optional<int64_t> replicas = d->GetInt64({"spec", "replicas"});
#ifndef RUDDER_LIB_CLIENT_DYNAMIC_DYNAMIC_CLIENT_H_
#define RUDDER_LIB_CLIENT_DYNAMIC_DYNAMIC_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/codec/unstructured.h"
#include "lib/api/scheme/scheme.h"
#include "lib/client/client.h"

namespace rudder::client {

// One page of a dynamic list.
struct UnstructuredList {
  std::vector<api::Unstructured> items;
  int64_t resource_version = 0;
  std::string continue_token;  // empty on the last page
  int64_t remaining = -1;      // items after this page when known
};

// One event of a dynamic watch; `object` is empty ({}) for ERROR events.
struct UnstructuredEvent {
  std::string type;  // "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR"
  api::Unstructured object;
  absl::Status error;  // for ERROR
};

// A live dynamic watch. Destroying it ends the watch. One consumer at a time; Cancel from
// any thread.
class UnstructuredWatcher {
 public:
  virtual ~UnstructuredWatcher() = default;
  // As ObjectWatcher::Next.
  virtual std::optional<UnstructuredEvent> Next(absl::Duration timeout) = 0;
  virtual void Cancel() = 0;
};

class DynamicClient {
 public:
  explicit DynamicClient(Client* client) : client_(client) {}

  // Every call fails with NotFound when `gvr` is not served by the client's scheme, and with
  // the Client's errors otherwise.
  absl::StatusOr<api::Unstructured> Get(const api::GroupVersionResource& gvr, const std::string& ns,
                                        const std::string& name);
  absl::StatusOr<UnstructuredList> List(const api::GroupVersionResource& gvr, const std::string& ns,
                                        const ListOptions& options = {});
  // Creates `obj` in `ns` (empty: the object's own namespace). InvalidArgument when obj's
  // apiVersion/kind (if set) do not match `gvr`'s kind or it does not decode as that kind.
  absl::StatusOr<api::Unstructured> Create(const api::GroupVersionResource& gvr,
                                           const std::string& ns, const api::Unstructured& obj,
                                           const WriteOptions& options = {});
  // Replaces the object named by obj's metadata (its resourceVersion is the precondition).
  absl::StatusOr<api::Unstructured> Update(const api::GroupVersionResource& gvr,
                                           const api::Unstructured& obj,
                                           const WriteOptions& options = {});
  // Replaces the object's status (the status subresource).
  absl::StatusOr<api::Unstructured> UpdateStatus(const api::GroupVersionResource& gvr,
                                                 const api::Unstructured& obj,
                                                 const WriteOptions& options = {});
  absl::StatusOr<api::Unstructured> Patch(const api::GroupVersionResource& gvr,
                                          const std::string& ns, const std::string& name,
                                          PatchType type, const std::string& patch,
                                          bool status = false, const WriteOptions& options = {});
  // Deletes; OK when the object is gone or marked deleting.
  absl::Status Delete(const api::GroupVersionResource& gvr, const std::string& ns,
                      const std::string& name, const DeleteOptions& options = {});
  absl::StatusOr<std::unique_ptr<UnstructuredWatcher>> Watch(const api::GroupVersionResource& gvr,
                                                             const std::string& ns,
                                                             const WatchOptions& options = {});

 private:
  absl::StatusOr<std::shared_ptr<const api::KindInfo>> Kind(
      const api::GroupVersionResource& gvr) const;
  absl::StatusOr<api::Unstructured> Write(const api::GroupVersionResource& gvr,
                                          const api::Unstructured& obj, bool status,
                                          const WriteOptions& options);

  Client* client_;
};

// Conversions the dynamic client uses, for callers holding typed objects of a kind.
// The unstructured form of `obj` (of `kind`'s message), with apiVersion and kind.
absl::StatusOr<api::Unstructured> ToUnstructuredObject(const api::KindInfo& kind,
                                                       const google::protobuf::Message& obj);
// `obj` decoded strictly into a new message of `kind`. InvalidArgument (with the field path)
// for unknown or mistyped fields and for a mismatched apiVersion/kind.
absl::StatusOr<ObjectPtr> FromUnstructuredObject(const api::KindInfo& kind,
                                                 const api::Unstructured& obj);

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_DYNAMIC_DYNAMIC_CLIENT_H_
