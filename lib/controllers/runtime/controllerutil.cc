#include "lib/controllers/runtime/controllerutil.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::ctrl {
namespace {

using api::meta::v1::ObjectMeta;
using api::meta::v1::OwnerReference;
using google::protobuf::util::MessageDifferencer;

std::string GroupOf(const std::string& api_version) {
  size_t slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

absl::StatusOr<OwnerReference> OwnerRefFor(const Object& owner, const Object& obj,
                                           const api::Scheme& scheme) {
  const ObjectMeta* om = api::GetObjectMeta(owner);
  const ObjectMeta* m = api::GetObjectMeta(obj);
  if (om == nullptr || m == nullptr) {
    return absl::InvalidArgumentError("metadata: owner and object must both have metadata");
  }
  std::shared_ptr<const api::KindInfo> kind = scheme.ByDescriptor(owner.GetDescriptor());
  if (kind == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("owner: ", owner.GetTypeName(), " is not a registered kind"));
  }
  if (om->name().empty() || om->uid().empty()) {
    return absl::InvalidArgumentError(
        "owner.metadata.uid: the owner must be stored (name and uid)");
  }
  if (kind->namespaced) {
    std::shared_ptr<const api::KindInfo> obj_kind = scheme.ByDescriptor(obj.GetDescriptor());
    bool obj_cluster_scoped = obj_kind != nullptr ? !obj_kind->namespaced : m->namespace_().empty();
    if (obj_cluster_scoped) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata.ownerReferences: cluster-scoped resource must not have a namespace-scoped "
          "owner, owner's namespace ",
          om->namespace_()));
    }
    if (om->namespace_() != m->namespace_()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata.ownerReferences: cross-namespace owner references are disallowed, owner's "
          "namespace ",
          om->namespace_(), ", obj's namespace ", m->namespace_()));
    }
  }
  OwnerReference ref;
  ref.set_apiversion(kind->gvk.ApiVersion());
  ref.set_kind(kind->gvk.kind);
  ref.set_name(om->name());
  ref.set_uid(om->uid());
  return ref;
}

bool SameOwner(const OwnerReference& a, const OwnerReference& b) {
  return GroupOf(a.apiversion()) == GroupOf(b.apiversion()) && a.kind() == b.kind() &&
         a.name() == b.name();
}

void Upsert(ObjectMeta* m, const OwnerReference& ref) {
  for (OwnerReference& existing : *m->mutable_ownerreferences()) {
    if (SameOwner(existing, ref)) {
      existing = ref;
      return;
    }
  }
  *m->add_ownerreferences() = ref;
}

// --- JSON merge patch creation.

void Diff(const rapidjson::Value& a, const rapidjson::Value& b, rapidjson::Value* out,
          rapidjson::Document::AllocatorType& alloc) {
  out->SetObject();
  for (auto it = a.MemberBegin(); it != a.MemberEnd(); ++it) {
    if (!b.HasMember(it->name)) {
      out->AddMember(rapidjson::Value(it->name, alloc), rapidjson::Value(), alloc);
    }
  }
  for (auto it = b.MemberBegin(); it != b.MemberEnd(); ++it) {
    auto prev = a.FindMember(it->name);
    if (prev == a.MemberEnd()) {
      out->AddMember(rapidjson::Value(it->name, alloc), rapidjson::Value(it->value, alloc), alloc);
    } else if (prev->value.IsObject() && it->value.IsObject()) {
      rapidjson::Value sub;
      Diff(prev->value, it->value, &sub, alloc);
      if (sub.MemberCount() > 0) {
        out->AddMember(rapidjson::Value(it->name, alloc), std::move(sub), alloc);
      }
    } else if (prev->value != it->value) {
      out->AddMember(rapidjson::Value(it->name, alloc), rapidjson::Value(it->value, alloc), alloc);
    }
  }
}

absl::StatusOr<std::string> Json(const Object& obj) { return api::EncodeJson(obj); }

// The object's kind in the client's scheme.
absl::StatusOr<std::shared_ptr<const api::KindInfo>> KindOf(client::Client* client,
                                                            const Object& obj) {
  return client::KindFor(client->scheme(), obj.GetDescriptor());
}

// Reads the object named by obj's metadata into `obj`; false (and `obj` untouched) if absent.
absl::StatusOr<bool> Read(client::Client* client, const api::KindInfo& kind, Object* obj) {
  const ObjectMeta* m = api::GetObjectMeta(*obj);
  if (m == nullptr || m->name().empty()) {
    return absl::InvalidArgumentError("metadata.name: the object must be named");
  }
  absl::StatusOr<client::ObjectPtr> live = client->Get(kind, m->namespace_(), m->name());
  if (absl::IsNotFound(live.status())) return false;
  if (!live.ok()) return live.status();
  obj->CopyFrom(**live);
  return true;
}

absl::Status CheckKey(const Object& before, const Object& after) {
  const ObjectMeta* a = api::GetObjectMeta(before);
  const ObjectMeta* b = api::GetObjectMeta(after);
  if (a->name() != b->name() || a->namespace_() != b->namespace_()) {
    return absl::InvalidArgumentError(
        "metadata: the mutate function must not change the object's name or namespace");
  }
  return absl::OkStatus();
}

}  // namespace

bool HasFinalizer(const Object& obj, const std::string& finalizer) {
  const ObjectMeta* m = api::GetObjectMeta(obj);
  if (m == nullptr) return false;
  for (const std::string& f : m->finalizers()) {
    if (f == finalizer) return true;
  }
  return false;
}

bool AddFinalizer(Object* obj, const std::string& finalizer) {
  if (HasFinalizer(*obj, finalizer)) return false;
  ObjectMeta* m = api::MutableObjectMeta(obj);
  if (m == nullptr) return false;
  m->add_finalizers(finalizer);
  return true;
}

bool RemoveFinalizer(Object* obj, const std::string& finalizer) {
  if (!HasFinalizer(*obj, finalizer)) return false;
  ObjectMeta* m = api::MutableObjectMeta(obj);
  auto* fs = m->mutable_finalizers();
  int out = 0;
  for (int i = 0; i < fs->size(); ++i) {
    if (fs->Get(i) != finalizer) fs->Mutable(out++)->swap(*fs->Mutable(i));
  }
  fs->DeleteSubrange(out, fs->size() - out);
  return true;
}

absl::Status SetOwnerReference(const Object& owner, Object* obj, const api::Scheme& scheme) {
  absl::StatusOr<OwnerReference> ref = OwnerRefFor(owner, *obj, scheme);
  if (!ref.ok()) return ref.status();
  ObjectMeta* m = api::MutableObjectMeta(obj);
  for (const OwnerReference& existing : m->ownerreferences()) {
    if (SameOwner(existing, *ref)) {
      if (existing.has_controller()) ref->set_controller(existing.controller());
      if (existing.has_blockownerdeletion()) {
        ref->set_blockownerdeletion(existing.blockownerdeletion());
      }
    }
  }
  Upsert(m, *ref);
  return absl::OkStatus();
}

absl::Status SetControllerReference(const Object& owner, Object* obj, const api::Scheme& scheme) {
  absl::StatusOr<OwnerReference> ref = OwnerRefFor(owner, *obj, scheme);
  if (!ref.ok()) return ref.status();
  ref->set_controller(true);
  ref->set_blockownerdeletion(true);
  std::optional<OwnerReference> current = GetControllerOf(*obj);
  if (current.has_value() && !SameOwner(*current, *ref)) {
    const ObjectMeta* m = api::GetObjectMeta(*obj);
    return absl::FailedPreconditionError(
        absl::StrCat("Object ", m->namespace_(), "/", m->name(), " is already owned by another ",
                     current->kind(), " controller ", current->name()));
  }
  Upsert(api::MutableObjectMeta(obj), *ref);
  return absl::OkStatus();
}

std::optional<OwnerReference> GetControllerOf(const Object& obj) {
  const ObjectMeta* m = api::GetObjectMeta(obj);
  if (m == nullptr) return std::nullopt;
  for (const OwnerReference& r : m->ownerreferences()) {
    if (r.controller()) return r;
  }
  return std::nullopt;
}

const char* OperationResultName(OperationResult r) {
  switch (r) {
    case OperationResult::kNone:
      return "unchanged";
    case OperationResult::kCreated:
      return "created";
    case OperationResult::kUpdated:
      return "updated";
    case OperationResult::kUpdatedStatus:
      return "updatedStatus";
    case OperationResult::kUpdatedStatusOnly:
      return "updatedStatusOnly";
  }
  return "unknown";
}

absl::StatusOr<std::string> CreateMergePatch(const std::string& original,
                                             const std::string& modified) {
  rapidjson::Document a, b, out;
  if (a.Parse(original.data(), original.size()).HasParseError() || !a.IsObject()) {
    return absl::InvalidArgumentError("original: not a JSON object");
  }
  if (b.Parse(modified.data(), modified.size()).HasParseError() || !b.IsObject()) {
    return absl::InvalidArgumentError("modified: not a JSON object");
  }
  Diff(a, b, &out, out.GetAllocator());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  out.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

namespace {

// Shared first half of CreateOrUpdate and CreateOrPatch: read, mutate, create when absent.
// Returns kCreated when done, or nullopt with `before` holding the live object.
absl::StatusOr<std::optional<OperationResult>> ReadMutateCreate(client::Client* client,
                                                                const api::KindInfo& kind,
                                                                Object* obj,
                                                                const MutateFunc& mutate,
                                                                std::unique_ptr<Object>* before) {
  absl::StatusOr<bool> exists = Read(client, kind, obj);
  if (!exists.ok()) return exists.status();
  before->reset(obj->New());
  (*before)->CopyFrom(*obj);
  absl::Status s = mutate(obj);
  if (!s.ok()) return s;
  s = CheckKey(**before, *obj);
  if (!s.ok()) return s;
  if (*exists) return std::optional<OperationResult>();
  std::unique_ptr<Object> copy(obj->New());
  copy->CopyFrom(*obj);
  const std::string ns = api::GetObjectMeta(*obj)->namespace_();
  absl::StatusOr<client::ObjectPtr> created = client->Create(kind, ns, std::move(copy), {});
  if (!created.ok()) return created.status();
  obj->CopyFrom(**created);
  return std::optional<OperationResult>(OperationResult::kCreated);
}

}  // namespace

absl::StatusOr<OperationResult> CreateOrUpdate(client::Client* client, Object* obj,
                                               const MutateFunc& mutate) {
  absl::StatusOr<std::shared_ptr<const api::KindInfo>> kind = KindOf(client, *obj);
  if (!kind.ok()) return kind.status();
  std::unique_ptr<Object> before;
  absl::StatusOr<std::optional<OperationResult>> first =
      ReadMutateCreate(client, **kind, obj, mutate, &before);
  if (!first.ok()) return first.status();
  if (first->has_value()) return **first;
  if (MessageDifferencer::Equals(*before, *obj)) return OperationResult::kNone;
  std::unique_ptr<Object> copy(obj->New());
  copy->CopyFrom(*obj);
  const std::string ns = api::GetObjectMeta(*obj)->namespace_();
  absl::StatusOr<client::ObjectPtr> updated =
      client->Update(**kind, ns, std::move(copy), /*status=*/false, {});
  if (!updated.ok()) return updated.status();
  obj->CopyFrom(**updated);
  return OperationResult::kUpdated;
}

absl::StatusOr<OperationResult> CreateOrPatch(client::Client* client, Object* obj,
                                              const MutateFunc& mutate) {
  absl::StatusOr<std::shared_ptr<const api::KindInfo>> kind = KindOf(client, *obj);
  if (!kind.ok()) return kind.status();
  std::unique_ptr<Object> before;
  absl::StatusOr<std::optional<OperationResult>> first =
      ReadMutateCreate(client, **kind, obj, mutate, &before);
  if (!first.ok()) return first.status();
  if (first->has_value()) return **first;

  // Split each side into (everything but status) and status.
  const google::protobuf::FieldDescriptor* status_field =
      (*kind)->has_status ? obj->GetDescriptor()->FindFieldByName("status") : nullptr;
  auto split = [&](const Object& o, std::string* main_json,
                   std::string* status_json) -> absl::Status {
    std::unique_ptr<Object> main(o.New());
    main->CopyFrom(o);
    if (status_field != nullptr) {
      main->GetReflection()->ClearField(main.get(), status_field);
      std::unique_ptr<Object> st(o.New());
      st->GetReflection()
          ->MutableMessage(st.get(), status_field)
          ->CopyFrom(o.GetReflection()->GetMessage(o, status_field));
      absl::StatusOr<std::string> sj = Json(*st);
      if (!sj.ok()) return sj.status();
      *status_json = *std::move(sj);
    }
    absl::StatusOr<std::string> mj = Json(*main);
    if (!mj.ok()) return mj.status();
    *main_json = *std::move(mj);
    return absl::OkStatus();
  };
  std::string main_before, main_after, status_before = "{}", status_after = "{}";
  absl::Status s = split(*before, &main_before, &status_before);
  if (!s.ok()) return s;
  s = split(*obj, &main_after, &status_after);
  if (!s.ok()) return s;
  absl::StatusOr<std::string> main_patch = CreateMergePatch(main_before, main_after);
  if (!main_patch.ok()) return main_patch.status();
  absl::StatusOr<std::string> status_patch = CreateMergePatch(status_before, status_after);
  if (!status_patch.ok()) return status_patch.status();

  const ObjectMeta* m = api::GetObjectMeta(*obj);
  const std::string ns = m->namespace_(), name = m->name();
  bool main_changed = *main_patch != "{}";
  bool status_changed = *status_patch != "{}";
  // (Kinds without a status subresource have no separate status: it is in the main patch.)
  if (main_changed) {
    absl::StatusOr<client::ObjectPtr> r = client->Patch(**kind, ns, name, client::PatchType::kMerge,
                                                        *main_patch, /*status=*/false, {});
    if (!r.ok()) return r.status();
    obj->CopyFrom(**r);
  }
  if (status_changed) {
    absl::StatusOr<client::ObjectPtr> r = client->Patch(**kind, ns, name, client::PatchType::kMerge,
                                                        *status_patch, /*status=*/true, {});
    if (!r.ok()) return r.status();
    obj->CopyFrom(**r);
  }
  if (main_changed && status_changed) return OperationResult::kUpdatedStatus;
  if (status_changed) return OperationResult::kUpdatedStatusOnly;
  if (main_changed) return OperationResult::kUpdated;
  return OperationResult::kNone;
}

}  // namespace rudder::ctrl
