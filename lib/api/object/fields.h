// Field selectors per kind: which fields of an object `--field-selector` may name, and their
// values, as Kubernetes' API server defines them for each resource.
//
// Every kind supports metadata.name and metadata.namespace; some add their own (pods:
// spec.nodeName, status.phase, ...; see SelectableFieldNames). Values are strings as Kubernetes
// renders them (booleans "true"/"false", integers in decimal).
//
// Example:
//   RUDDER_ASSIGN_OR_RETURN(fields::Selector sel,
//                           fields::Selector::Parse("status.phase=Running"));
//   RUDDER_RETURN_IF_ERROR(CheckFieldSelector(sel, *Pod::descriptor()));
//   bool match = sel.Matches(SelectableFields(pod));
#ifndef RUDDER_LIB_API_OBJECT_FIELDS_H_
#define RUDDER_LIB_API_OBJECT_FIELDS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "lib/api/labels/fields.h"

namespace rudder::api {

// The field names a field selector may use on objects of type `d`, sorted.
std::vector<std::string> SelectableFieldNames(const google::protobuf::Descriptor& d);

// The values of those fields for `obj` (a missing value is "").
std::map<std::string, std::string> SelectableFields(const google::protobuf::Message& obj);

// OK if `selector` uses only selectable fields of `d`; else BadRequest-style InvalidArgument
// with Kubernetes' message: `field label not supported: spec.foo`.
absl::Status CheckFieldSelector(const fields::Selector& selector,
                                const google::protobuf::Descriptor& d);

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_OBJECT_FIELDS_H_
