// Validation of the built-in kinds with Kubernetes' rules, field paths and messages
// (k8s.io/kubernetes pkg/apis/*/validation, apimachinery's ValidateObjectMeta).
//
// Each function returns every problem it finds as a field::FieldErrors list (empty when the
// object is valid); FieldErrors::ToStatus turns it into Kubernetes' message:
//
// Example:
//   ValidationFuncs v = ValidatorsFor(apps::v1::Deployment::descriptor(), /*namespaced=*/true);
//   field::FieldErrors errs = v.validate(deployment);
//   absl::Status s = errs.ToStatus("Deployment.apps", "web");
//   // `Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value:
//   //  map[string]string{"app":"x"}: `selector` does not match template `labels``
//
// Validators expect defaulted objects (lib/api/defaults), as the API server defaults before
// it validates. All functions are pure and thread-safe.
#ifndef RUDDER_LIB_API_VALIDATION_KINDS_H_
#define RUDDER_LIB_API_VALIDATION_KINDS_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "lib/api/field/errors.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/meta/v1/meta.pb.h"

namespace rudder::api::validation {

// Checks a name (prefix: it is a generateName, so a trailing '-' is allowed); returns
// Kubernetes' messages, empty when valid.
using NameValidator = std::function<std::vector<std::string>(std::string_view name, bool prefix)>;

// Kubernetes' name rules.
std::vector<std::string> NameIsDNSSubdomain(std::string_view name, bool prefix);
std::vector<std::string> NameIsDNSLabel(std::string_view name, bool prefix);
std::vector<std::string> NameIsDNS1035Label(std::string_view name, bool prefix);
// Any name usable as a path segment: not "." or "..", without '/' or '%' (RBAC, HPA).
std::vector<std::string> NameIsPathSegment(std::string_view name, bool prefix);

// metadata of a new object: name (or generateName) by `name_fn`, namespace required when
// `namespaced` and forbidden otherwise, labels, annotations (keys, 256 KiB in total),
// ownerReferences, finalizers. A missing name is accepted when generateName is set.
field::FieldErrors ValidateObjectMeta(const meta::v1::ObjectMeta& meta, bool namespaced,
                                      const NameValidator& name_fn, const field::Path& path);
// metadata of an update: name, namespace, uid and creationTimestamp are immutable; no new
// finalizers once deletion started; labels, annotations, ... valid as on create.
field::FieldErrors ValidateObjectMetaUpdate(const meta::v1::ObjectMeta& meta,
                                            const meta::v1::ObjectMeta& old,
                                            const field::Path& path);

// Label maps (metadata.labels, nodeSelector, Service selectors) and label selectors.
field::FieldErrors ValidateLabels(const google::protobuf::Map<std::string, std::string>& labels,
                                  const field::Path& path);
field::FieldErrors ValidateLabelSelector(const meta::v1::LabelSelector& selector,
                                         const field::Path& path);

// A pod spec and a pod template (for a host program's kinds embedding them).
field::FieldErrors ValidatePodSpec(const core::v1::PodSpec& spec, const field::Path& path);
field::FieldErrors ValidatePodTemplateSpec(const core::v1::PodTemplateSpec& tmpl,
                                           const field::Path& path);

// The validators KindInfo holds.
struct ValidationFuncs {
  std::function<field::FieldErrors(const google::protobuf::Message& obj)> validate;
  std::function<field::FieldErrors(const google::protobuf::Message& obj,
                                   const google::protobuf::Message& old)>
      validate_update;
};

// The validators of a message type: the kind's own rules for built-in kinds, metadata rules
// (name as a DNS-1123 subdomain) for any other type with an ObjectMeta `metadata` field, and
// empty functions for types without one. `namespaced` is the kind's scope.
ValidationFuncs ValidatorsFor(const google::protobuf::Descriptor* descriptor, bool namespaced);

}  // namespace rudder::api::validation

#endif  // RUDDER_LIB_API_VALIDATION_KINDS_H_
