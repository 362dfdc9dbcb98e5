#include "lib/client/client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/api/field/errors.h"
#include "lib/apiserver/registry/eviction.h"

namespace rudder::client {
namespace {

// The Client over a Registry in this process: every call is a direct call.
class InProcessClient final : public Client {
 public:
  explicit InProcessClient(apiserver::Registry* registry) : registry_(registry) {}

  api::Scheme& scheme() const override { return registry_->scheme(); }

  absl::StatusOr<ObjectPtr> Create(const api::KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   const WriteOptions& options) override {
    if (obj == nullptr) return absl::InvalidArgumentError("Create: no object");
    return registry_->Create(kind, ns, std::move(obj), options);
  }

  absl::StatusOr<ObjectPtr> Get(const api::KindInfo& kind, const std::string& ns,
                                const std::string& name) override {
    return registry_->Get(kind, ns, name);
  }

  absl::StatusOr<ListResult> List(const api::KindInfo& kind, const std::string& ns,
                                  const ListOptions& options) override {
    return registry_->List(kind, ns, options);
  }

  absl::StatusOr<ObjectPtr> Update(const api::KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   bool status, const WriteOptions& options) override {
    if (obj == nullptr) return absl::InvalidArgumentError("Update: no object");
    const api::meta::v1::ObjectMeta* meta = api::GetObjectMeta(*obj);
    if (meta == nullptr || meta->name().empty()) {
      return absl::InvalidArgumentError("Update: the object has no metadata.name");
    }
    std::string name = meta->name();
    std::string object_ns = ns.empty() ? meta->namespace_() : ns;
    return registry_->Update(kind, object_ns, name, std::move(obj), status, options);
  }

  absl::StatusOr<ObjectPtr> Patch(const api::KindInfo& kind, const std::string& ns,
                                  const std::string& name, PatchType type, const std::string& patch,
                                  bool status, const WriteOptions& options) override {
    if (options.force && type != PatchType::kApply) {
      // As the REST and gRPC front ends validate PatchOptions.
      api::field::FieldErrors errs;
      errs.Add(api::field::Forbidden(api::field::Path("force"),
                                     "may not be specified for non-apply patch"));
      return errs.ToStatus("PatchOptions.meta.k8s.io", "");
    }
    return registry_->Patch(kind, ns, name, type, patch, status, api::FieldValidation::kWarn,
                            options);
  }

  absl::StatusOr<ObjectPtr> Delete(const api::KindInfo& kind, const std::string& ns,
                                   const std::string& name, const DeleteOptions& options) override {
    return registry_->Delete(kind, ns, name, options);
  }

  absl::Status DeleteCollection(const api::KindInfo& kind, const std::string& ns,
                                const ListOptions& selectors,
                                const DeleteOptions& options) override {
    return registry_->DeleteCollection(kind, ns, selectors, options).status();
  }

  absl::StatusOr<ObjectPtr> FinalizeNamespace(ObjectPtr ns_obj,
                                              const WriteOptions& options) override {
    if (ns_obj == nullptr) return absl::InvalidArgumentError("FinalizeNamespace: no object");
    std::shared_ptr<const api::KindInfo> kind = scheme().ByResource({"", "v1", "namespaces"});
    if (kind == nullptr) return absl::NotFoundError("the scheme has no namespaces");
    const api::meta::v1::ObjectMeta* meta = api::GetObjectMeta(*ns_obj);
    if (meta == nullptr || meta->name().empty()) {
      return absl::InvalidArgumentError("FinalizeNamespace: the object has no metadata.name");
    }
    std::string name = meta->name();
    return registry_->FinalizeNamespace(*kind, name, std::move(ns_obj), options);
  }

  absl::Status Bind(const std::string& ns, const api::core::v1::Binding& binding,
                    const WriteOptions& options) override {
    const std::string& n = ns.empty() ? binding.metadata().namespace_() : ns;
    return registry_
        ->BindPod(n.empty() ? "default" : n, binding.metadata().name(), binding, options)
        .status();
  }

  absl::Status Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                     const WriteOptions& options) override {
    const std::string& n = ns.empty() ? eviction.metadata().namespace_() : ns;
    api::policy::v1::Eviction e = eviction;
    if (options.dry_run) e.mutable_deleteoptions()->add_dryrun("All");
    return apiserver::EvictPod(registry_, n.empty() ? "default" : n, e.metadata().name(), e,
                               options.user);
  }

  bool SharesCachedObjects() const override { return true; }

  absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const api::KindInfo& kind,
                                                       const std::string& ns,
                                                       const WatchOptions& options) override {
    return registry_->Watch(kind, ns, options);
  }

  absl::StatusOr<std::unique_ptr<Scale>> GetScale(const api::KindInfo& kind, const std::string& ns,
                                                  const std::string& name) override {
    return registry_->GetScale(kind, ns, name);
  }

  absl::StatusOr<std::unique_ptr<Scale>> UpdateScale(const api::KindInfo& kind,
                                                     const std::string& ns, const std::string& name,
                                                     const Scale& scale) override {
    return registry_->UpdateScale(kind, ns, name, scale);
  }

 private:
  apiserver::Registry* registry_;
};

}  // namespace

absl::Status Client::DeleteCollection(const api::KindInfo& kind, const std::string& ns,
                                      const ListOptions& selectors, const DeleteOptions& options) {
  ListOptions list = selectors;
  list.limit = 0;
  list.continue_token.clear();
  absl::StatusOr<ListResult> items = List(kind, ns, list);
  if (!items.ok()) return items.status();
  for (const ObjectPtr& obj : items->items) {
    const api::meta::v1::ObjectMeta* meta = api::GetObjectMeta(*obj);
    if (meta == nullptr) continue;
    absl::StatusOr<ObjectPtr> r = Delete(kind, meta->namespace_(), meta->name(), options);
    if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<ObjectPtr> Client::FinalizeNamespace(ObjectPtr ns_obj, const WriteOptions& options) {
  return absl::UnimplementedError("this client does not offer namespaces/finalize");
}

absl::Status Client::Bind(const std::string& ns, const api::core::v1::Binding& binding,
                          const WriteOptions& options) {
  return absl::UnimplementedError("this client does not offer pods/binding");
}

absl::Status Client::Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                           const WriteOptions& options) {
  return absl::UnimplementedError("this client does not offer pods/eviction");
}

std::unique_ptr<Client> NewInProcessClient(apiserver::Registry* registry) {
  return std::make_unique<InProcessClient>(registry);
}

absl::StatusOr<std::shared_ptr<const api::KindInfo>> KindFor(
    const api::Scheme& scheme, const google::protobuf::Descriptor* d) {
  std::shared_ptr<const api::KindInfo> kind = scheme.ByDescriptor(d);
  if (kind == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no kind is registered for message type ", d->full_name()));
  }
  return kind;
}

}  // namespace rudder::client
