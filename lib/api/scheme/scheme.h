// The scheme: which kinds exist, how they are named, and which message type holds each.
//
// A kind is identified by group/version/kind (GVK: apps/v1 Deployment) and served as a
// resource (apps/v1 deployments) with a singular name, short names (deploy) and categories
// (all). It is namespaced or cluster-scoped, may have status and scale subresources, and is
// held either by a protobuf message (built-in kinds and kinds a host program registers from
// its own .proto) or, for schema-less kinds such as those of CustomResourceDefinitions, by
// unstructured JSON (descriptor == nullptr).
//
// Kinds can be added at run time (CRDs), so a Scheme is thread-safe and hands out immutable,
// shared KindInfo records that stay valid after the kind is removed.
//
// Example:
//   std::unique_ptr<Scheme> scheme = NewBuiltinScheme();
//   std::shared_ptr<const KindInfo> deploy = scheme->ResolveResource("deploy");
//   // deploy->gvk == {"apps", "v1", "Deployment"}, deploy->plural == "deployments"
#ifndef RUDDER_LIB_API_SCHEME_SCHEME_H_
#define RUDDER_LIB_API_SCHEME_SCHEME_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "lib/api/field/errors.h"
#include "lib/base/mutex.h"

namespace rudder::api {

// Group, version and kind. The core group is "".
struct GroupVersionKind {
  std::string group;
  std::string version;
  std::string kind;

  // "v1" for the core group, else "group/version" (the apiVersion field's value).
  std::string ApiVersion() const;
  // Parses an apiVersion ("v1", "apps/v1") and a kind.
  static absl::StatusOr<GroupVersionKind> FromApiVersion(absl::string_view api_version,
                                                         absl::string_view kind);
  std::string ToString() const;  // "apps/v1, Kind=Deployment"

  friend bool operator==(const GroupVersionKind&, const GroupVersionKind&) = default;
  friend auto operator<=>(const GroupVersionKind&, const GroupVersionKind&) = default;
};

// Group, version and resource (plural lowercase name).
struct GroupVersionResource {
  std::string group;
  std::string version;
  std::string resource;

  friend bool operator==(const GroupVersionResource&, const GroupVersionResource&) = default;
  friend auto operator<=>(const GroupVersionResource&, const GroupVersionResource&) = default;
};

// Where the scale subresource finds its numbers in objects of the kind (JSON paths such as
// ".spec.replicas", as CustomResourceDefinitions declare them).
struct ScaleSpec {
  std::string spec_replicas_path = ".spec.replicas";
  std::string status_replicas_path = ".status.replicas";
  std::string label_selector_path;  // e.g. ".status.selector"; empty if none.
};

// A column `kubectl get` prints for a kind (a CustomResourceDefinition's
// additionalPrinterColumns): a value read from each object at a JSON path (".spec.replicas").
struct PrinterColumn {
  std::string name;
  std::string type;  // "integer", "number", "string", "boolean" or "date" (printed as an age)
  std::string format;
  std::string description;
  int32_t priority = 0;  // 0: shown by default; higher: with -o wide
  std::string json_path;
};

// Everything the system knows about one kind.
struct KindInfo {
  GroupVersionKind gvk;
  std::string plural;                    // "deployments"
  std::string singular;                  // "deployment"
  std::string list_kind;                 // "DeploymentList"; defaults to kind + "List".
  std::vector<std::string> short_names;  // {"deploy"}
  std::vector<std::string> categories;   // {"all"}
  bool namespaced = true;
  bool has_status = false;  // The status subresource exists (spec and status updated apart).
  bool has_scale = false;   // The scale subresource exists, with `scale`.
  ScaleSpec scale;
  // The verbs served ("create", "delete", "deletecollection", "get", "list", "patch",
  // "update", "watch"); defaults to all eight.
  std::vector<std::string> verbs;
  // The message holding objects of this kind; nullptr for unstructured (schema-less) kinds.
  const google::protobuf::Descriptor* descriptor = nullptr;
  // Kinds served from a CustomResourceDefinition: objects are held by
  // rudder.api.unstructured.CustomObject, which all such kinds share (so ByDescriptor does not
  // index them), and `openapi_schema` is the version's openAPIV3Schema as JSON (may be empty).
  bool custom_resource = false;
  std::string openapi_schema;
  // Columns tables show between NAME and the rest; empty: NAME and AGE only (plus the
  // built-in columns of pods and deployments).
  std::vector<PrinterColumn> printer_columns;

  // Behaviour of typed kinds (all optional; the message passed is of type `descriptor`):
  // fills unset fields with their defaults, as the API server does before validation.
  std::function<void(google::protobuf::Message* obj)> defaulter;
  // Checks a new object; empty when valid.
  std::function<field::FieldErrors(const google::protobuf::Message& obj)> validate;
  // Checks an update against the stored object (immutable fields and such); runs after
  // `validate` on the new object.
  std::function<field::FieldErrors(const google::protobuf::Message& obj,
                                   const google::protobuf::Message& old)>
      validate_update;
  // Fields of a decoded object that the kind does not know, as paths ("spec.bogus"), for
  // fieldValidation (Strict: an error, Warn: warnings). Set for kinds whose message keeps
  // fields the decoder cannot judge (custom resources: their schema drops them in `defaulter`).
  std::function<std::vector<std::string>(const google::protobuf::Message& obj)> unknown_fields;

  GroupVersionResource gvr() const { return {gvk.group, gvk.version, plural}; }
  // A fresh, empty object of this kind (nullptr for unstructured kinds). Caller owns it.
  std::unique_ptr<google::protobuf::Message> New() const;
};

// A thread-safe, mutable registry of kinds.
class Scheme {
 public:
  Scheme() = default;
  Scheme(const Scheme&) = delete;
  Scheme& operator=(const Scheme&) = delete;

  // Adds a kind. AlreadyExists if its GVK or its group/version/plural is taken;
  // InvalidArgument if names are missing or malformed. Fills defaults (list_kind, verbs).
  absl::Status Register(KindInfo info);
  // Registers a kind held by message type `M` (a host program's own .proto).
  template <typename M>
  absl::Status Register(KindInfo info) {
    info.descriptor = M::descriptor();
    return Register(std::move(info));
  }
  // Removes a kind (when its CRD is deleted). NotFound if absent.
  absl::Status Unregister(const GroupVersionKind& gvk);

  // Lookups; nullptr when unknown.
  std::shared_ptr<const KindInfo> ByKind(const GroupVersionKind& gvk) const;
  std::shared_ptr<const KindInfo> ByResource(const GroupVersionResource& gvr) const;
  // By message type (e.g. rudder.api.apps.v1.Deployment's descriptor).
  std::shared_ptr<const KindInfo> ByDescriptor(const google::protobuf::Descriptor* d) const;

  // Resolves what a user types after `kubectl get`: a plural, singular or short name or a
  // kind, case-insensitively, optionally qualified by group ("deployments.apps") or by
  // version and group ("deployments.v1.apps"). Core-group and shorter groups win ties, as
  // kubectl's RESTMapper does. nullptr if nothing matches.
  std::shared_ptr<const KindInfo> ResolveResource(absl::string_view name) const;

  // Every kind, ordered by group, version, plural.
  std::vector<std::shared_ptr<const KindInfo>> All() const;
  // Every served group/version, ordered ("" group first), e.g. {"", "v1"}, {"apps", "v1"}.
  std::vector<std::pair<std::string, std::string>> GroupVersions() const;

 private:
  mutable Mutex mu_;
  std::map<GroupVersionKind, std::shared_ptr<const KindInfo>> by_kind_ ABSL_GUARDED_BY(mu_);
  std::map<GroupVersionResource, std::shared_ptr<const KindInfo>> by_resource_ ABSL_GUARDED_BY(mu_);
  std::map<const google::protobuf::Descriptor*, std::shared_ptr<const KindInfo>> by_descriptor_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_SCHEME_SCHEME_H_
