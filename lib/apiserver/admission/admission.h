// Admission: the plugins every write goes through after decoding and defaulting and before the
// object is stored (Kubernetes' admission chain).
//
// A Plugin may mutate the object (Admit) and may reject the request (Validate). A Chain runs
// the Admit of every plugin in order, then the Validate of every plugin in order; the first
// error ends the request and is returned to the client as a Kubernetes Status (use the error
// helpers of lib/apiserver/registry/errors.h, e.g. ForbiddenError, so codes and messages match
// Kubernetes'). The Registry runs its chain for every create, update, patch and delete, so every
// front end (REST, gRPC, in-process clients) is admitted alike.
//
// Plugins are registered by name in a PluginRegistry (RegisterBuiltins adds AlwaysAdmit,
// AlwaysDeny, NamespaceLifecycle, LimitRanger, ServiceAccount and ResourceQuota) and a chain is
// built from a list of enabled names; host programs register their own in-process plugins.
//
// Example:
//   admission::PluginRegistry plugins;
//   admission::RegisterBuiltins(&plugins);
//   plugins.Register("MyPolicy", [] { return std::make_unique<MyPolicy>(); });
//   absl::StatusOr<std::shared_ptr<admission::Chain>> chain =
//       plugins.NewChain({"NamespaceLifecycle", "MyPolicy"});
//   RegistryOptions o;
//   o.admission = *chain;
#ifndef RUDDER_LIB_APISERVER_ADMISSION_ADMISSION_H_
#define RUDDER_LIB_APISERVER_ADMISSION_ADMISSION_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "lib/api/scheme/scheme.h"
#include "lib/base/mutex.h"

namespace rudder::apiserver::admission {

using ObjectPtr = std::unique_ptr<google::protobuf::Message>;

// What a request does.
enum class Operation { kCreate, kUpdate, kDelete, kConnect };

// "CREATE", "UPDATE", "DELETE" or "CONNECT".
std::string_view OperationName(Operation op);

// Who makes a request (from the Authenticator).
struct UserInfo {
  std::string name;  // "system:anonymous", "jane"
  std::string uid;
  std::vector<std::string> groups;  // "system:authenticated", "system:masters"
  std::map<std::string, std::vector<std::string>> extra;
};

// Reads and writes objects for plugins, bypassing admission (the Registry provides it).
// Implementations are thread-safe.
class ObjectAccess {
 public:
  virtual ~ObjectAccess() = default;
  // The kinds served.
  virtual api::Scheme& scheme() = 0;
  // One object; NotFound when absent.
  virtual absl::StatusOr<ObjectPtr> Get(const api::KindInfo& kind, const std::string& ns,
                                        const std::string& name) = 0;
  // Every object of `kind` in `ns` (empty: every namespace).
  virtual absl::StatusOr<std::vector<ObjectPtr>> List(const api::KindInfo& kind,
                                                      const std::string& ns) = 0;
  // Replaces the status of `obj` (its resourceVersion is a precondition: Aborted when stale).
  virtual absl::StatusOr<ObjectPtr> UpdateStatus(const api::KindInfo& kind, const std::string& ns,
                                                 ObjectPtr obj) = 0;
};

// Everything a plugin knows about one request. Pointers are borrowed for the call.
struct Attributes {
  Operation operation = Operation::kCreate;
  const api::KindInfo* kind = nullptr;
  std::string ns;  // empty for cluster-scoped kinds
  std::string name;
  std::string subresource;  // "", "status", "scale"
  // The new object (CREATE, UPDATE); Admit may change it. nullptr for DELETE.
  google::protobuf::Message* object = nullptr;
  // The stored object (UPDATE, DELETE); nullptr for CREATE.
  const google::protobuf::Message* old_object = nullptr;
  // Nothing will be stored: plugins must not change other objects either.
  bool dry_run = false;
  UserInfo user;
  ObjectAccess* access = nullptr;  // never nullptr when run by the Registry
  // Committed only: the write removed the object (a delete, or the update that cleared the
  // last finalizer of an object being deleted).
  bool removed = false;
};

// One admission plugin. Implementations must be thread-safe: one instance serves every request.
class Plugin {
 public:
  virtual ~Plugin() = default;
  // The name it is registered under.
  virtual std::string_view name() const = 0;
  // Mutating phase: may change a.object. An error rejects the request.
  virtual absl::Status Admit(Attributes& a) { return absl::OkStatus(); }
  // Validating phase (after defaulting and the kind's validation): an error rejects it.
  virtual absl::Status Validate(const Attributes& a) { return absl::OkStatus(); }
  // After the change was stored (never for dry runs or rejected requests): bookkeeping such
  // as releasing quota. Best effort: it cannot fail the request.
  virtual void Committed(const Attributes& a) {}
};

// An ordered, immutable list of plugins. Thread-safe.
class Chain {
 public:
  explicit Chain(std::vector<std::unique_ptr<Plugin>> plugins);
  // Runs every plugin's Admit in order; the first error stops.
  absl::Status Admit(Attributes& a) const;
  // Runs every plugin's Validate in order; the first error stops.
  absl::Status Validate(const Attributes& a) const;
  // Runs every plugin's Committed.
  void Committed(const Attributes& a) const;
  // The plugins' names, in order.
  std::vector<std::string> names() const;

 private:
  std::vector<std::unique_ptr<Plugin>> plugins_;
};

// Named plugin factories. Thread-safe.
class PluginRegistry {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Plugin>>()>;
  // Adds (or replaces) the factory of `name`.
  void Register(const std::string& name, Factory factory);
  // True when `name` is registered.
  bool Has(const std::string& name) const;
  // A chain of the named plugins, in the given order. InvalidArgument for unknown or repeated
  // names (Kubernetes' "unknown admission plugin" wording).
  absl::StatusOr<std::shared_ptr<Chain>> NewChain(const std::vector<std::string>& names) const;

 private:
  mutable Mutex mu_;
  std::map<std::string, Factory> factories_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::apiserver::admission

#endif  // RUDDER_LIB_APISERVER_ADMISSION_ADMISSION_H_
