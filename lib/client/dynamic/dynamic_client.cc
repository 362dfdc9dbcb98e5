#include "lib/client/dynamic/dynamic_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace rudder::client {
namespace {

class DynamicWatcher final : public UnstructuredWatcher {
 public:
  DynamicWatcher(std::shared_ptr<const api::KindInfo> kind, std::unique_ptr<ObjectWatcher> w)
      : kind_(std::move(kind)), w_(std::move(w)) {}

  std::optional<UnstructuredEvent> Next(absl::Duration timeout) override {
    std::optional<ObjectEvent> e = w_->Next(timeout);
    if (!e.has_value()) return std::nullopt;
    UnstructuredEvent out;
    out.type = e->type;
    out.error = e->error;
    if (e->object != nullptr) {
      absl::StatusOr<api::Unstructured> u = ToUnstructuredObject(*kind_, *e->object);
      if (u.ok()) {
        out.object = *std::move(u);
      } else {
        out.type = "ERROR";
        out.error = u.status();
        w_->Cancel();
      }
    }
    return out;
  }

  void Cancel() override { w_->Cancel(); }

 private:
  std::shared_ptr<const api::KindInfo> kind_;
  std::unique_ptr<ObjectWatcher> w_;
};

}  // namespace

absl::StatusOr<api::Unstructured> ToUnstructuredObject(const api::KindInfo& kind,
                                                       const google::protobuf::Message& obj) {
  api::TypeMeta tm{kind.gvk.ApiVersion(), kind.gvk.kind};
  absl::StatusOr<api::Unstructured> u = api::ToUnstructured(obj, tm);
  if (!u.ok()) return absl::InternalError(u.status().message());
  return u;
}

absl::StatusOr<ObjectPtr> FromUnstructuredObject(const api::KindInfo& kind,
                                                 const api::Unstructured& obj) {
  const std::string api_version = obj.ApiVersion();
  const std::string k = obj.Kind();
  if ((!api_version.empty() && api_version != kind.gvk.ApiVersion()) ||
      (!k.empty() && k != kind.gvk.kind)) {
    return absl::InvalidArgumentError(absl::StrCat("the object is a ", api_version, ", Kind=", k,
                                                   "; the resource ", kind.plural, " holds ",
                                                   kind.gvk.ToString()));
  }
  ObjectPtr m = kind.New();
  if (m == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", kind.gvk.ToString(), " has no message type"));
  }
  api::JsonDecodeOptions dec;
  dec.validation = api::FieldValidation::kStrict;
  absl::StatusOr<api::JsonDecodeResult> r = api::FromUnstructured(obj, m.get(), dec);
  if (!r.ok()) return absl::InvalidArgumentError(r.status().message());
  return m;
}

absl::StatusOr<std::shared_ptr<const api::KindInfo>> DynamicClient::Kind(
    const api::GroupVersionResource& gvr) const {
  std::shared_ptr<const api::KindInfo> kind = client_->scheme().ByResource(gvr);
  if (kind == nullptr) {
    return absl::NotFoundError(absl::StrCat("the server could not find the requested resource (",
                                            gvr.group.empty() ? "" : gvr.group + "/", gvr.version,
                                            ", Resource=", gvr.resource, ")"));
  }
  return kind;
}

absl::StatusOr<api::Unstructured> DynamicClient::Get(const api::GroupVersionResource& gvr,
                                                     const std::string& ns,
                                                     const std::string& name) {
  RUDDER_ASSIGN_OR_RETURN(auto kind, Kind(gvr));
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, client_->Get(*kind, ns, name));
  return ToUnstructuredObject(*kind, *obj);
}

absl::StatusOr<UnstructuredList> DynamicClient::List(const api::GroupVersionResource& gvr,
                                                     const std::string& ns,
                                                     const ListOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(auto kind, Kind(gvr));
  RUDDER_ASSIGN_OR_RETURN(ListResult list, client_->List(*kind, ns, options));
  UnstructuredList out;
  out.items.reserve(list.items.size());
  for (const ObjectPtr& obj : list.items) {
    RUDDER_ASSIGN_OR_RETURN(api::Unstructured u, ToUnstructuredObject(*kind, *obj));
    out.items.push_back(std::move(u));
  }
  out.resource_version = list.resource_version;
  out.continue_token = std::move(list.continue_token);
  out.remaining = list.remaining;
  return out;
}

absl::StatusOr<api::Unstructured> DynamicClient::Create(const api::GroupVersionResource& gvr,
                                                        const std::string& ns,
                                                        const api::Unstructured& obj,
                                                        const WriteOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(auto kind, Kind(gvr));
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr m, FromUnstructuredObject(*kind, obj));
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr out, client_->Create(*kind, ns.empty() ? obj.Namespace() : ns,
                                                         std::move(m), options));
  return ToUnstructuredObject(*kind, *out);
}

absl::StatusOr<api::Unstructured> DynamicClient::Write(const api::GroupVersionResource& gvr,
                                                       const api::Unstructured& obj, bool status,
                                                       const WriteOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(auto kind, Kind(gvr));
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr m, FromUnstructuredObject(*kind, obj));
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr out,
                          client_->Update(*kind, obj.Namespace(), std::move(m), status, options));
  return ToUnstructuredObject(*kind, *out);
}

absl::StatusOr<api::Unstructured> DynamicClient::Update(const api::GroupVersionResource& gvr,
                                                        const api::Unstructured& obj,
                                                        const WriteOptions& options) {
  return Write(gvr, obj, /*status=*/false, options);
}

absl::StatusOr<api::Unstructured> DynamicClient::UpdateStatus(const api::GroupVersionResource& gvr,
                                                              const api::Unstructured& obj,
                                                              const WriteOptions& options) {
  return Write(gvr, obj, /*status=*/true, options);
}

absl::StatusOr<api::Unstructured> DynamicClient::Patch(const api::GroupVersionResource& gvr,
                                                       const std::string& ns,
                                                       const std::string& name, PatchType type,
                                                       const std::string& patch, bool status,
                                                       const WriteOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(auto kind, Kind(gvr));
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr out,
                          client_->Patch(*kind, ns, name, type, patch, status, options));
  return ToUnstructuredObject(*kind, *out);
}

absl::Status DynamicClient::Delete(const api::GroupVersionResource& gvr, const std::string& ns,
                                   const std::string& name, const DeleteOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(auto kind, Kind(gvr));
  return client_->Delete(*kind, ns, name, options).status();
}

absl::StatusOr<std::unique_ptr<UnstructuredWatcher>> DynamicClient::Watch(
    const api::GroupVersionResource& gvr, const std::string& ns, const WatchOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(auto kind, Kind(gvr));
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWatcher> w, client_->Watch(*kind, ns, options));
  return std::unique_ptr<UnstructuredWatcher>(
      std::make_unique<DynamicWatcher>(std::move(kind), std::move(w)));
}

}  // namespace rudder::client
