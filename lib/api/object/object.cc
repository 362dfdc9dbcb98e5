#include "lib/api/object/object.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace rudder::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The `metadata` field of `d` if it holds a message of type `want`, else nullptr. Descriptor
// lookups by name are hash lookups in the generated pool: cheap, immutable and thread-safe.
const FieldDescriptor* MetadataField(const Descriptor* d, const Descriptor* want) {
  const FieldDescriptor* f = d->FindFieldByName("metadata");
  if (f == nullptr || f->is_repeated() || f->message_type() != want) return nullptr;
  return f;
}

template <typename T>
const T* GetMeta(const Message& m) {
  const FieldDescriptor* f = MetadataField(m.GetDescriptor(), T::descriptor());
  if (f == nullptr) return nullptr;
  return static_cast<const T*>(&m.GetReflection()->GetMessage(m, f));
}

template <typename T>
T* MutableMeta(Message* m) {
  const FieldDescriptor* f = MetadataField(m->GetDescriptor(), T::descriptor());
  if (f == nullptr) return nullptr;
  // The field's type is the generated T itself (same descriptor pool), so the cast is safe.
  return static_cast<T*>(m->GetReflection()->MutableMessage(m, f));
}

}  // namespace

const meta::v1::ObjectMeta* GetObjectMeta(const Message& obj) {
  return GetMeta<meta::v1::ObjectMeta>(obj);
}

meta::v1::ObjectMeta* MutableObjectMeta(Message* obj) {
  return MutableMeta<meta::v1::ObjectMeta>(obj);
}

const meta::v1::ListMeta* GetListMeta(const Message& list) {
  return GetMeta<meta::v1::ListMeta>(list);
}

meta::v1::ListMeta* MutableListMeta(Message* list) { return MutableMeta<meta::v1::ListMeta>(list); }

bool IsObjectType(const Descriptor* d) {
  return MetadataField(d, meta::v1::ObjectMeta::descriptor()) != nullptr;
}

absl::Time ToAbslTime(const meta::v1::Time& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

meta::v1::Time FromAbslTime(absl::Time t) {
  meta::v1::Time out;
  int64_t secs = absl::ToUnixSeconds(t);
  if (absl::FromUnixSeconds(secs) > t) --secs;  // Floor for times before the epoch.
  out.set_seconds(secs);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(secs))));
  return out;
}

absl::Time ToAbslTime(const meta::v1::MicroTime& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

meta::v1::MicroTime MicroFromAbslTime(absl::Time t) {
  meta::v1::Time full = FromAbslTime(t);
  meta::v1::MicroTime out;
  out.set_seconds(full.seconds());
  out.set_nanos(full.nanos() / 1000 * 1000);
  return out;
}

std::string NamespacedName(const meta::v1::ObjectMeta& meta) {
  if (meta.namespace_().empty()) return meta.name();
  return absl::StrCat(meta.namespace_(), "/", meta.name());
}

}  // namespace rudder::api
