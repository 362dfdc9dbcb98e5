// Generic access to the parts every Kubernetes object shares, for any kind's message.
//
// Built-in kinds and host programs' own kinds keep their metadata in a field named `metadata`
// of type rudder.api.meta.v1.ObjectMeta (lists: ListMeta). These helpers find it by
// reflection, so layers above (store, API server, clients, controllers) handle every kind
// with one code path. The lookups are hash lookups in the
// immutable descriptor pool: cheap and thread-safe.
#ifndef RUDDER_LIB_API_OBJECT_OBJECT_H_
#define RUDDER_LIB_API_OBJECT_OBJECT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "lib/api/proto/meta/v1/meta.pb.h"

namespace rudder::api {

// The object's metadata; nullptr if its type has no ObjectMeta `metadata` field.
const meta::v1::ObjectMeta* GetObjectMeta(const google::protobuf::Message& obj);
// Mutable metadata (created if unset); nullptr if its type has none.
meta::v1::ObjectMeta* MutableObjectMeta(google::protobuf::Message* obj);

// A list's metadata (a `metadata` field of type ListMeta); nullptr if none.
const meta::v1::ListMeta* GetListMeta(const google::protobuf::Message& list);
meta::v1::ListMeta* MutableListMeta(google::protobuf::Message* list);

// Whether the type is an object (has ObjectMeta metadata).
bool IsObjectType(const google::protobuf::Descriptor* d);

// Conversions between the API's timestamps and absl::Time. A Time with seconds == 0 and
// nanos == 0 is the zero value (unset).
absl::Time ToAbslTime(const meta::v1::Time& t);
meta::v1::Time FromAbslTime(absl::Time t);
absl::Time ToAbslTime(const meta::v1::MicroTime& t);
meta::v1::MicroTime MicroFromAbslTime(absl::Time t);

// "namespace/name", or "name" for cluster-scoped objects: the key controllers queue by.
std::string NamespacedName(const meta::v1::ObjectMeta& meta);

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_OBJECT_OBJECT_H_
