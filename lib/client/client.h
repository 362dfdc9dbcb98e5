// Clients: how controllers, the scheduler, node agents and host programs read and write API
// objects.
//
// `Client` is the kind-generic interface every transport implements with the same semantics
// (the API server's: optimistic concurrency, Status errors with Kubernetes' codes and
// reasons, see lib/apiserver/registry/errors.h):
//  - in process (NewInProcessClient): calls the API server's Registry directly; objects are
//    handed over as messages, never serialized;
//  - remote transports (gRPC, REST) live in their own headers under lib/client/.
// `TypedClient<T>` wraps a Client for one message type, as client-go's typed clientsets do.
//
// Objects move by std::unique_ptr: the caller gives up what it writes and owns what it reads.
// Every Client is thread-safe.
//
// Example:
//   std::unique_ptr<Client> c = NewInProcessClient(&registry);
//   TypedClient<api::core::v1::Pod> pods(c.get());
//   absl::StatusOr<std::unique_ptr<api::core::v1::Pod>> p = pods.Get("default", "web-0");
#ifndef RUDDER_LIB_CLIENT_CLIENT_H_
#define RUDDER_LIB_CLIENT_CLIENT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/autoscaling/v1/autoscaling.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/api/scheme/scheme.h"
#include "lib/apiserver/registry/registry.h"

namespace rudder::client {

using Object = google::protobuf::Message;
// An object the holder owns.
using ObjectPtr = std::unique_ptr<google::protobuf::Message>;
// An immutable object shared by its holders (informer caches hand these out).
using ObjectRef = std::shared_ptr<const google::protobuf::Message>;

// Request options and results are the API server's own.
using apiserver::DeleteOptions;
using apiserver::ListOptions;
using apiserver::ListResult;
using apiserver::ObjectEvent;
using apiserver::ObjectWatcher;
using apiserver::PatchType;
using apiserver::WatchOptions;
using Scale = api::autoscaling::v1::Scale;

// Options of create, update and patch (dry run, field manager, user): the API server's.
using apiserver::WriteOptions;

// The kind-generic client. `kind` comes from scheme(); `ns` is ignored for cluster-scoped
// kinds and, where an object is passed, an empty `ns` means the object's own namespace.
class Client {
 public:
  virtual ~Client() = default;

  // The kinds this client knows (borrowed; outlives the client).
  virtual api::Scheme& scheme() const = 0;

  // Creates `obj` and returns it as stored (uid, resourceVersion, defaults).
  virtual absl::StatusOr<ObjectPtr> Create(const api::KindInfo& kind, const std::string& ns,
                                           ObjectPtr obj, const WriteOptions& options) = 0;
  // Reads one object; NotFound when absent.
  virtual absl::StatusOr<ObjectPtr> Get(const api::KindInfo& kind, const std::string& ns,
                                        const std::string& name) = 0;
  // Lists objects in `ns` (empty: every namespace), one page when options.limit > 0.
  virtual absl::StatusOr<ListResult> List(const api::KindInfo& kind, const std::string& ns,
                                          const ListOptions& options) = 0;
  // Replaces the object named by obj's metadata. Aborted (409) when its resourceVersion is
  // stale. `status`: the status subresource (only status changes) instead of the main one.
  virtual absl::StatusOr<ObjectPtr> Update(const api::KindInfo& kind, const std::string& ns,
                                           ObjectPtr obj, bool status,
                                           const WriteOptions& options) = 0;
  // Patches the object `name` (merge, JSON or strategic merge patch, as JSON text). kApply is
  // server-side apply: `patch` is the applied configuration (YAML or JSON), the object is
  // created when missing, options.field_manager is required (422 otherwise) and options.force
  // takes over fields other managers own instead of failing with a 409 whose causes
  // (FieldManagerConflict) name them.
  virtual absl::StatusOr<ObjectPtr> Patch(const api::KindInfo& kind, const std::string& ns,
                                          const std::string& name, PatchType type,
                                          const std::string& patch, bool status,
                                          const WriteOptions& options) = 0;
  // Deletes the object (or marks it deleting while finalizers remain) and returns it as
  // last stored.
  virtual absl::StatusOr<ObjectPtr> Delete(const api::KindInfo& kind, const std::string& ns,
                                           const std::string& name,
                                           const DeleteOptions& options) = 0;
  // Deletes every object of `kind` in `ns` (empty: every namespace) matching the label and
  // field selectors of `selectors`. The default lists and deletes one by one; transports with
  // a deletecollection call override it.
  virtual absl::Status DeleteCollection(const api::KindInfo& kind, const std::string& ns,
                                        const ListOptions& selectors, const DeleteOptions& options);
  // The namespaces/finalize subresource: sets spec.finalizers of the namespace named by
  // `ns_obj` (a core/v1 Namespace) to its own; a terminating namespace left with none is
  // removed. The default is Unimplemented; the in-process and REST transports implement it.
  virtual absl::StatusOr<ObjectPtr> FinalizeNamespace(ObjectPtr ns_obj,
                                                      const WriteOptions& options);
  // The pods/binding subresource: assigns the pod binding.metadata.name of `ns` (empty: the
  // binding's namespace) to the node binding.target.name, setting spec.nodeName and the
  // PodScheduled condition (see Registry::BindPod). Aborted (409) when the pod is already
  // assigned, NotFound when it is missing. The default is Unimplemented; the in-process,
  // REST and gRPC transports implement it.
  virtual absl::Status Bind(const std::string& ns, const api::core::v1::Binding& binding,
                            const WriteOptions& options);
  // The pods/eviction subresource: deletes the pod eviction.metadata.name of `ns` (empty: the
  // eviction's namespace) unless that would violate its PodDisruptionBudget (see
  // lib/apiserver/registry/eviction.h), with eviction.deleteOptions; options.dry_run adds
  // dryRun=All, options.user is who asks. ResourceExhausted (429 TooManyRequests, a
  // DisruptionBudget cause) when a budget forbids it, NotFound when the pod is missing. The
  // default is Unimplemented; the in-process, REST and gRPC transports implement it.
  virtual absl::Status Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                             const WriteOptions& options);
  // Whether List and Watch honour share_cached_objects (ListOptions, WatchOptions): hand out
  // the in-process API server's cached immutable objects (ListResult::shared_items,
  // ObjectEvent::shared) instead of copies. Only the in-process transport does; a wrapper
  // that reads events' `object` must leave this false. Informers use it to share objects
  // with the server instead of holding a copy of each.
  virtual bool SharesCachedObjects() const { return false; }
  // Watches objects of `kind` in `ns` (empty: every namespace).
  virtual absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const api::KindInfo& kind,
                                                               const std::string& ns,
                                                               const WatchOptions& options) = 0;
  // The scale subresource; NotFound for kinds without one.
  virtual absl::StatusOr<std::unique_ptr<Scale>> GetScale(const api::KindInfo& kind,
                                                          const std::string& ns,
                                                          const std::string& name) = 0;
  virtual absl::StatusOr<std::unique_ptr<Scale>> UpdateScale(const api::KindInfo& kind,
                                                             const std::string& ns,
                                                             const std::string& name,
                                                             const Scale& scale) = 0;
};

// A client that calls `registry` in this process (borrowed; must outlive the client). The
// registry applies admission, defaulting and validation exactly as for REST requests.
std::unique_ptr<Client> NewInProcessClient(apiserver::Registry* registry);

// The kind registered for message type T, or NotFound naming the type.
absl::StatusOr<std::shared_ptr<const api::KindInfo>> KindFor(const api::Scheme& scheme,
                                                             const google::protobuf::Descriptor* d);

// One page of a typed list.
template <typename T>
struct TypedList {
  std::vector<std::unique_ptr<T>> items;
  int64_t resource_version = 0;
  std::string continue_token;
};

// A client for one message type T (a built-in kind or a host program's registered kind).
// Cheap to construct and copy; borrows the Client. Errors as Client's, plus NotFound from
// every call when T is not registered in the client's scheme.
template <typename T>
class TypedClient {
 public:
  explicit TypedClient(Client* client) : client_(client) {
    absl::StatusOr<std::shared_ptr<const api::KindInfo>> k =
        KindFor(client->scheme(), T::descriptor());
    if (k.ok()) {
      kind_ = *std::move(k);
    } else {
      kind_status_ = k.status();
    }
  }

  // The kind T is registered as (nullptr when it is not).
  const api::KindInfo* kind() const { return kind_.get(); }

  absl::StatusOr<std::unique_ptr<T>> Get(const std::string& ns, const std::string& name) {
    if (!kind_) return kind_status_;
    return Cast(client_->Get(*kind_, ns, name));
  }
  absl::StatusOr<TypedList<T>> List(const std::string& ns, const ListOptions& options = {}) {
    if (!kind_) return kind_status_;
    absl::StatusOr<ListResult> r = client_->List(*kind_, ns, options);
    if (!r.ok()) return r.status();
    TypedList<T> out;
    out.resource_version = r->resource_version;
    out.continue_token = std::move(r->continue_token);
    out.items.reserve(r->items.size());
    for (ObjectPtr& o : r->items) out.items.push_back(Downcast(std::move(o)));
    return out;
  }
  absl::StatusOr<std::unique_ptr<T>> Create(const T& obj, const WriteOptions& options = {}) {
    return Create(std::make_unique<T>(obj), options);
  }
  absl::StatusOr<std::unique_ptr<T>> Create(std::unique_ptr<T> obj,
                                            const WriteOptions& options = {}) {
    if (!kind_) return kind_status_;
    std::string ns = Namespace(*obj);
    return Cast(client_->Create(*kind_, ns, std::move(obj), options));
  }
  absl::StatusOr<std::unique_ptr<T>> Update(const T& obj, const WriteOptions& options = {}) {
    return Write(std::make_unique<T>(obj), /*status=*/false, options);
  }
  absl::StatusOr<std::unique_ptr<T>> UpdateStatus(const T& obj, const WriteOptions& options = {}) {
    return Write(std::make_unique<T>(obj), /*status=*/true, options);
  }
  absl::StatusOr<std::unique_ptr<T>> Patch(const std::string& ns, const std::string& name,
                                           PatchType type, const std::string& patch,
                                           bool status = false, const WriteOptions& options = {}) {
    if (!kind_) return kind_status_;
    return Cast(client_->Patch(*kind_, ns, name, type, patch, status, options));
  }
  // Deletes; OK when the object is gone or marked deleting.
  absl::Status Delete(const std::string& ns, const std::string& name,
                      const DeleteOptions& options = {}) {
    if (!kind_) return kind_status_;
    return client_->Delete(*kind_, ns, name, options).status();
  }
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const std::string& ns,
                                                       const WatchOptions& options = {}) {
    if (!kind_) return kind_status_;
    return client_->Watch(*kind_, ns, options);
  }

 private:
  static std::string Namespace(const T& obj) {
    const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
    return m == nullptr ? std::string() : m->namespace_();
  }
  static std::unique_ptr<T> Downcast(ObjectPtr o) {
    return std::unique_ptr<T>(static_cast<T*>(o.release()));
  }
  static absl::StatusOr<std::unique_ptr<T>> Cast(absl::StatusOr<ObjectPtr> o) {
    if (!o.ok()) return o.status();
    if ((*o)->GetDescriptor() != T::descriptor()) {
      return absl::InternalError(absl::StrCat("client returned a ", (*o)->GetTypeName(),
                                              ", expected ", T::descriptor()->full_name()));
    }
    return Downcast(*std::move(o));
  }
  absl::StatusOr<std::unique_ptr<T>> Write(std::unique_ptr<T> obj, bool status,
                                           const WriteOptions& options) {
    if (!kind_) return kind_status_;
    std::string ns = Namespace(*obj);
    return Cast(client_->Update(*kind_, ns, std::move(obj), status, options));
  }

  Client* client_;
  std::shared_ptr<const api::KindInfo> kind_;
  absl::Status kind_status_;
};

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_CLIENT_H_
