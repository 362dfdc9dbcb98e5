#include "lib/apiserver/grpc/server.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/grpcpp.h"
#include "lib/api/codec/json.h"
#include "lib/api/field/errors.h"
#include "lib/api/object/object.h"
#include "lib/apiserver/admission/auth.h"
#include "lib/apiserver/grpc/proto/objects.grpc.pb.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/eviction.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"

namespace rudder::apiserver {
namespace {

namespace pb = ::rudder::apiserver::v1;
using api::KindInfo;

// How often a watch loop looks for cancellation while no event arrives.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(200);

// A failed call's gRPC status: the registry's code and message, and Kubernetes' Status object
// packed in the details.
grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  pb::RpcStatus rpc;
  rpc.set_code(static_cast<int>(s.code()));
  rpc.set_message(std::string(s.message()));
  rpc.add_details()->PackFrom(ToApiStatus(s));
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()),
                      rpc.SerializeAsString());
}

pb::RpcStatus ToRpcStatus(const absl::Status& s) {
  pb::RpcStatus rpc;
  rpc.set_code(static_cast<int>(s.code()));
  rpc.set_message(std::string(s.message()));
  rpc.add_details()->PackFrom(ToApiStatus(s));
  return rpc;
}

absl::Status NotFoundPath() {
  return absl::NotFoundError("the server could not find the requested resource");
}

absl::Status MethodNotAllowed() {
  return absl::UnimplementedError(
      "the server does not allow this method on the requested resource");
}

bool HasVerb(const KindInfo& kind, const char* verb) {
  return std::find(kind.verbs.begin(), kind.verbs.end(), verb) != kind.verbs.end();
}

bool IsPodKind(const KindInfo& kind) {
  return kind.gvk.group.empty() && kind.gvk.version == "v1" && kind.gvk.kind == "Pod";
}

// The registry's patch type of a request's (field `number` of `req`); InvalidArgument for
// values this server does not know (a newer client's: proto2 keeps them as unknown fields and
// leaves the field unset, which must not read as a merge patch).
absl::StatusOr<PatchType> PatchTypeOf(const google::protobuf::Message& req, int number,
                                      pb::PatchType type) {
  const google::protobuf::UnknownFieldSet& unknown = req.GetReflection()->GetUnknownFields(req);
  for (int i = 0; i < unknown.field_count(); ++i) {
    if (unknown.field(i).number() == number) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown patch type ",
                       unknown.field(i).type() == google::protobuf::UnknownField::TYPE_VARINT
                           ? unknown.field(i).varint()
                           : 0));
    }
  }
  switch (type) {
    case pb::PATCH_MERGE:
      return PatchType::kMerge;
    case pb::PATCH_JSON:
      return PatchType::kJson;
    case pb::PATCH_STRATEGIC_MERGE:
      return PatchType::kStrategicMerge;
    case pb::PATCH_APPLY:
      return PatchType::kApply;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown patch type ", static_cast<int>(type)));
}

// A patch's apply options, validated as Kubernetes validates PatchOptions (422): apply needs a
// field manager; force belongs to apply only.
absl::Status CheckApplyOptions(PatchType type, const std::string& field_manager, bool force) {
  api::field::FieldErrors errs;
  if (type == PatchType::kApply) {
    if (field_manager.empty()) {
      errs.Add(
          api::field::Required(api::field::Path("fieldManager"), "is required for apply patch"));
    }
  } else if (force) {
    errs.Add(api::field::Forbidden(api::field::Path("force"),
                                   "may not be specified for non-apply patch"));
  }
  if (errs.empty()) return absl::OkStatus();
  return errs.ToStatus("PatchOptions.meta.k8s.io", "");
}

// The Success Status a created subresource (binding, eviction) answers with.
void Created(api::meta::v1::Status* out) {
  out->mutable_metadata();
  out->set_status("Success");
  out->set_code(201);
}

absl::Status Encode(const KindInfo& kind, const google::protobuf::Message& m, pb::Encoding accept,
                    pb::RawObject* out) {
  if (accept == pb::ENCODING_JSON || kind.descriptor == nullptr) {
    api::JsonEncodeOptions enc;
    enc.api_version = kind.gvk.ApiVersion();
    enc.kind = kind.gvk.kind;
    std::string* json = out->mutable_json();
    json->clear();
    absl::Status st = api::JsonCodec::Default().Encode(m, enc, json);
    if (!st.ok()) return absl::InternalError(st.message());
    return absl::OkStatus();
  }
  if (!m.SerializeToString(out->mutable_protobuf())) {
    return absl::InternalError("the object could not be serialized");
  }
  return absl::OkStatus();
}

absl::StatusOr<ObjectPtr> Decode(const KindInfo& kind, const pb::RawObject& in) {
  ObjectPtr obj = kind.New();
  if (obj == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", kind.gvk.ToString(), " has no message type to decode into"));
  }
  if (in.has_protobuf()) {
    if (!obj->ParseFromString(in.protobuf())) {
      return absl::InvalidArgumentError("the protobuf object in the request is malformed");
    }
    obj->DiscardUnknownFields();
    return obj;
  }
  if (in.has_json()) {
    api::JsonDecodeOptions dec;
    dec.validation = api::FieldValidation::kWarn;
    absl::StatusOr<api::TypeMeta> tm = api::PeekTypeMeta(in.json(), dec);
    if (!tm.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the request body is not valid JSON: ", tm.status().message()));
    }
    if (!tm->api_version.empty() && tm->api_version != kind.gvk.ApiVersion()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the API version in the data (", tm->api_version,
                       ") does not match the expected API version (", kind.gvk.ApiVersion(), ")"));
    }
    if (!tm->kind.empty() && tm->kind != kind.gvk.kind) {
      return absl::InvalidArgumentError(absl::StrCat("the kind in the data (", tm->kind,
                                                     ") does not match the expected kind (",
                                                     kind.gvk.kind, ")"));
    }
    absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJson(in.json(), obj.get(), dec);
    if (!r.ok()) return absl::InvalidArgumentError(r.status().message());
    return obj;
  }
  return absl::InvalidArgumentError("the request carries no object");
}

// A call's resolved kind and the user making it.
struct Call {
  std::shared_ptr<const KindInfo> kind;
  admission::UserInfo user;
};

class ObjectsService final : public pb::Objects::Service {
 public:
  ObjectsService(Registry* registry, std::shared_ptr<admission::Authenticator> authenticator,
                 std::shared_ptr<admission::Authorizer> authorizer)
      : registry_(registry),
        authenticator_(authenticator != nullptr ? std::move(authenticator)
                                                : std::shared_ptr<admission::Authenticator>(
                                                      admission::NewAnonymousAuthenticator())),
        authorizer_(authorizer != nullptr ? std::move(authorizer)
                                          : std::shared_ptr<admission::Authorizer>(
                                                admission::NewAlwaysAllowAuthorizer())) {}

  // Ends every open watch and refuses new ones.
  void Stop() {
    MutexLock l(&mu_);
    stopping_ = true;
    for (ObjectWatcher* w : watchers_) w->Cancel();
  }

  grpc::Status Get(grpc::ServerContext* ctx, const pb::GetRequest* req,
                   pb::RawObject* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "Get", req->ref(), "get"));
      const auto& kind = call.kind;
      RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj,
                              registry_->Get(*kind, req->ref().namespace_(), req->ref().name()));
      return Encode(*kind, *obj, req->accept(), res);
    }());
  }

  grpc::Status List(grpc::ServerContext* ctx, const pb::ListRequest* req,
                    pb::ListResponse* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "List", req->ref(), "list"));
      const auto& kind = call.kind;
      ListOptions o;
      o.label_selector = req->label_selector();
      o.field_selector = req->field_selector();
      o.resource_version = req->resource_version();
      o.resource_version_match = req->resource_version_match();
      o.limit = std::max<int64_t>(0, req->limit());
      o.continue_token = req->continue_();
      RUDDER_ASSIGN_OR_RETURN(ListResult list, registry_->List(*kind, req->ref().namespace_(), o));
      res->mutable_items()->Reserve(static_cast<int>(list.items.size()));
      for (const ObjectPtr& obj : list.items) {
        RUDDER_RETURN_IF_ERROR(Encode(*kind, *obj, req->accept(), res->add_items()));
      }
      res->set_resource_version(list.resource_version);
      if (!list.continue_token.empty()) res->set_continue_(list.continue_token);
      res->set_remaining_item_count(list.remaining);
      return absl::OkStatus();
    }());
  }

  grpc::Status Watch(grpc::ServerContext* ctx, const pb::WatchRequest* req,
                     grpc::ServerWriter<pb::WatchEvent>* writer) override {
    absl::StatusOr<Call> call = Begin(ctx, "Watch", req->ref(), "watch");
    if (!call.ok()) return ToGrpc(call.status());
    const std::shared_ptr<const KindInfo>* kind = &call->kind;
    WatchOptions o;
    o.selectors.label_selector = req->label_selector();
    o.selectors.field_selector = req->field_selector();
    o.resource_version = req->resource_version();
    o.allow_bookmarks = req->allow_bookmarks();
    absl::StatusOr<std::unique_ptr<ObjectWatcher>> w =
        registry_->Watch(**kind, req->ref().namespace_(), o);
    if (!w.ok()) return ToGrpc(w.status());
    std::unique_ptr<ObjectWatcher> watcher = *std::move(w);
    {
      MutexLock l(&mu_);
      if (stopping_) return ToGrpc(absl::UnavailableError("the server is shutting down"));
      watchers_.insert(watcher.get());
    }
    pb::WatchEvent started;
    started.set_type("STARTED");
    bool open = writer->Write(started);
    while (open && !ctx->IsCancelled() && !Stopping()) {
      std::optional<ObjectEvent> e = watcher->Next(kWatchPoll);
      if (!e.has_value()) continue;
      pb::WatchEvent out;
      out.set_type(e->type);
      if (e->type == "ERROR") {
        *out.mutable_error() = ToRpcStatus(e->error);
        writer->Write(out);
        break;
      }
      absl::Status st = Encode(**kind, *e->object, req->accept(), out.mutable_object());
      if (!st.ok()) {
        out.set_type("ERROR");
        out.clear_object();
        *out.mutable_error() = ToRpcStatus(st);
        writer->Write(out);
        break;
      }
      open = writer->Write(out);
    }
    {
      MutexLock l(&mu_);
      watchers_.erase(watcher.get());
    }
    return grpc::Status::OK;
  }

  grpc::Status Create(grpc::ServerContext* ctx, const pb::WriteRequest* req,
                      pb::RawObject* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "Create", req->ref(), "create"));
      const auto& kind = call.kind;
      RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, Decode(*kind, req->object()));
      RUDDER_ASSIGN_OR_RETURN(ObjectPtr out,
                              registry_->Create(*kind, req->ref().namespace_(), std::move(obj),
                                                Write(*req, call.user)));
      return Encode(*kind, *out, req->accept(), res);
    }());
  }

  grpc::Status Update(grpc::ServerContext* ctx, const pb::WriteRequest* req,
                      pb::RawObject* res) override {
    return ToGrpc(DoUpdate(ctx, *req, /*status=*/false, res));
  }

  grpc::Status UpdateStatus(grpc::ServerContext* ctx, const pb::WriteRequest* req,
                            pb::RawObject* res) override {
    return ToGrpc(DoUpdate(ctx, *req, /*status=*/true, res));
  }

  grpc::Status Patch(grpc::ServerContext* ctx, const pb::PatchRequest* req,
                     pb::RawObject* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(
          Call call, Begin(ctx, "Patch", req->ref(), "patch", req->status() ? "status" : ""));
      const auto& kind = call.kind;
      if (req->status() && !kind->has_status) return NotFoundPath();
      RUDDER_ASSIGN_OR_RETURN(PatchType type,
                              PatchTypeOf(*req, pb::PatchRequest::kTypeFieldNumber, req->type()));
      if (type == PatchType::kStrategicMerge && kind->custom_resource) {
        // As in Kubernetes: custom resources have no patch strategies.
        return absl::InvalidArgumentError(
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml");
      }
      RUDDER_RETURN_IF_ERROR(CheckApplyOptions(type, req->field_manager(), req->force()));
      WriteOptions wo;
      wo.dry_run = req->dry_run();
      wo.field_manager = req->field_manager();
      wo.force = type == PatchType::kApply && req->force();
      wo.user = call.user;
      RUDDER_ASSIGN_OR_RETURN(
          ObjectPtr out,
          registry_->Patch(*kind, req->ref().namespace_(), req->ref().name(), type, req->patch(),
                           req->status(), api::FieldValidation::kWarn, wo));
      return Encode(*kind, *out, req->accept(), res);
    }());
  }

  grpc::Status Delete(grpc::ServerContext* ctx, const pb::DeleteRequest* req,
                      pb::DeleteResponse* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "Delete", req->ref(), "delete"));
      const auto& kind = call.kind;
      DeleteOptions o;
      o.user = call.user;
      if (req->has_precondition_uid()) o.precondition_uid = req->precondition_uid();
      if (req->has_precondition_resource_version()) {
        o.precondition_resource_version = req->precondition_resource_version();
      }
      if (req->has_grace_period_seconds()) o.grace_period_seconds = req->grace_period_seconds();
      if (req->has_propagation_policy()) o.propagation_policy = req->propagation_policy();
      if (req->has_orphan_dependents()) o.orphan_dependents = req->orphan_dependents();
      o.dry_run = req->dry_run();
      bool deleted = false;
      RUDDER_ASSIGN_OR_RETURN(ObjectPtr out, registry_->Delete(*kind, req->ref().namespace_(),
                                                               req->ref().name(), o, &deleted));
      res->set_deleted(deleted);
      return Encode(*kind, *out, req->accept(), res->mutable_object());
    }());
  }

  grpc::Status GetScale(grpc::ServerContext* ctx, const pb::GetRequest* req,
                        api::autoscaling::v1::Scale* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "GetScale", req->ref(), "get", "scale"));
      const auto& kind = call.kind;
      RUDDER_ASSIGN_OR_RETURN(
          auto scale, registry_->GetScale(*kind, req->ref().namespace_(), req->ref().name()));
      res->Swap(scale.get());
      return absl::OkStatus();
    }());
  }

  grpc::Status UpdateScale(grpc::ServerContext* ctx, const pb::UpdateScaleRequest* req,
                           api::autoscaling::v1::Scale* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "UpdateScale", req->ref(), "update", "scale"));
      const auto& kind = call.kind;
      WriteOptions wo;
      wo.user = call.user;
      wo.dry_run = req->dry_run();
      RUDDER_ASSIGN_OR_RETURN(
          auto scale, registry_->UpdateScale(*kind, req->ref().namespace_(), req->ref().name(),
                                             req->scale(), wo));
      res->Swap(scale.get());
      return absl::OkStatus();
    }());
  }

  grpc::Status PatchScale(grpc::ServerContext* ctx, const pb::PatchScaleRequest* req,
                          api::autoscaling::v1::Scale* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "PatchScale", req->ref(), "patch", "scale"));
      const auto& kind = call.kind;
      RUDDER_ASSIGN_OR_RETURN(
          PatchType type, PatchTypeOf(*req, pb::PatchScaleRequest::kTypeFieldNumber, req->type()));
      if (type == PatchType::kApply) {
        return absl::InvalidArgumentError(
            "the scale subresource takes merge, JSON and strategic merge patches");
      }
      WriteOptions wo;
      wo.user = call.user;
      wo.dry_run = req->dry_run();
      RUDDER_ASSIGN_OR_RETURN(
          auto scale, registry_->PatchScale(*kind, req->ref().namespace_(), req->ref().name(), type,
                                            req->patch(), wo));
      res->Swap(scale.get());
      return absl::OkStatus();
    }());
  }

  grpc::Status Bind(grpc::ServerContext* ctx, const pb::BindRequest* req,
                    api::meta::v1::Status* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "Bind", req->ref(), "create", "binding"));
      RUDDER_RETURN_IF_ERROR(CheckPodSubresource(*call.kind, req->ref()));
      WriteOptions wo;
      wo.user = call.user;
      wo.dry_run = req->dry_run();
      RUDDER_RETURN_IF_ERROR(
          registry_->BindPod(req->ref().namespace_(), req->ref().name(), req->binding(), wo)
              .status());
      Created(res);
      return absl::OkStatus();
    }());
  }

  grpc::Status Evict(grpc::ServerContext* ctx, const pb::EvictRequest* req,
                     api::meta::v1::Status* res) override {
    return ToGrpc([&]() -> absl::Status {
      RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, "Evict", req->ref(), "create", "eviction"));
      RUDDER_RETURN_IF_ERROR(CheckPodSubresource(*call.kind, req->ref()));
      api::policy::v1::Eviction eviction = req->eviction();
      if (req->dry_run()) eviction.mutable_deleteoptions()->add_dryrun("All");
      RUDDER_RETURN_IF_ERROR(
          EvictPod(registry_, req->ref().namespace_(), req->ref().name(), eviction, call.user));
      Created(res);
      return absl::OkStatus();
    }());
  }

 private:
  // Authenticates the caller from its metadata (`authorization: Bearer ...` and any other
  // header an authenticator reads), resolves the kind and authorizes `verb` on it, as the REST
  // front end does for the same request: Unauthenticated, NotFound, Unimplemented (verb not
  // served) or PermissionDenied.
  absl::StatusOr<Call> Begin(grpc::ServerContext* ctx, const char* method,
                             const pb::ResourceRef& ref, const char* verb,
                             const char* subresource = "") {
    admission::AuthRequest ar;
    ar.method = "POST";
    ar.path = absl::StrCat("/rudder.apiserver.v1.Objects/", method);
    ar.header = [ctx](std::string_view name) -> std::string {
      const auto& md = ctx->client_metadata();
      auto it = md.find(absl::AsciiStrToLower(absl::string_view(name.data(), name.size())));
      return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
    };
    Call call;
    RUDDER_ASSIGN_OR_RETURN(call.user, authenticator_->Authenticate(ar));
    RUDDER_ASSIGN_OR_RETURN(call.kind, Resolve(ref, verb));
    admission::AuthzAttributes az;
    az.user = call.user;
    az.verb = verb;
    az.api_group = ref.group();
    az.api_version = ref.version();
    az.resource = call.kind->plural;
    az.subresource = subresource;
    az.ns = ref.namespace_();
    az.name = ref.name();
    az.path = ar.path;
    RUDDER_RETURN_IF_ERROR(admission::Authorize(*authorizer_, az));
    return call;
  }

  absl::StatusOr<std::shared_ptr<const KindInfo>> Resolve(const pb::ResourceRef& ref,
                                                          const char* verb) {
    std::shared_ptr<const KindInfo> kind =
        registry_->scheme().ByResource({ref.group(), ref.version(), ref.resource()});
    if (kind == nullptr) return NotFoundPath();
    if (!HasVerb(*kind, verb)) return MethodNotAllowed();
    return kind;
  }

  // pods/binding and pods/eviction exist for pods only, addressed by namespace and name (404
  // otherwise, as for the REST paths).
  static absl::Status CheckPodSubresource(const KindInfo& kind, const pb::ResourceRef& ref) {
    if (!IsPodKind(kind) || ref.namespace_().empty() || ref.name().empty()) return NotFoundPath();
    return absl::OkStatus();
  }

  static WriteOptions Write(const pb::WriteRequest& req, const admission::UserInfo& user) {
    WriteOptions wo;
    wo.dry_run = req.dry_run();
    wo.field_manager = req.field_manager();
    wo.user = user;
    return wo;
  }

  absl::Status DoUpdate(grpc::ServerContext* ctx, const pb::WriteRequest& req, bool status,
                        pb::RawObject* res) {
    RUDDER_ASSIGN_OR_RETURN(Call call, Begin(ctx, status ? "UpdateStatus" : "Update", req.ref(),
                                             "update", status ? "status" : ""));
    const auto& kind = call.kind;
    if (status && !kind->has_status) return NotFoundPath();
    RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, Decode(*kind, req.object()));
    std::string name = req.ref().name();
    std::string ns = req.ref().namespace_();
    if (const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*obj); m != nullptr) {
      if (name.empty()) name = m->name();
      if (ns.empty()) ns = m->namespace_();
    }
    if (name.empty()) {
      return absl::InvalidArgumentError("the object to update has no metadata.name");
    }
    RUDDER_ASSIGN_OR_RETURN(ObjectPtr out, registry_->Update(*kind, ns, name, std::move(obj),
                                                             status, Write(req, call.user)));
    return Encode(*kind, *out, req.accept(), res);
  }

  bool Stopping() {
    MutexLock l(&mu_);
    return stopping_;
  }

  Registry* registry_;
  const std::shared_ptr<admission::Authenticator> authenticator_;
  const std::shared_ptr<admission::Authorizer> authorizer_;
  Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::set<ObjectWatcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

class GrpcServerImpl final : public GrpcServer {
 public:
  explicit GrpcServerImpl(const GrpcServerOptions& o) {
    if (o.registry == nullptr) {
      owned_registry_ = std::make_unique<Registry>(o.store, o.scheme, o.registry_options);
      registry_ = owned_registry_.get();
    } else {
      registry_ = o.registry;
    }
    service_ = std::make_unique<ObjectsService>(registry_, o.authenticator, o.authorizer);
  }

  ~GrpcServerImpl() override { Shutdown(); }

  absl::Status Init(const GrpcServerOptions& o) {
    grpc::ServerBuilder builder;
    if (!o.host.empty()) {
      builder.AddListeningPort(absl::StrCat(o.host, ":", o.port), grpc::InsecureServerCredentials(),
                               &port_);
    }
    if (!o.unix_socket.empty()) {
      builder.AddListeningPort(absl::StrCat("unix:", o.unix_socket),
                               grpc::InsecureServerCredentials());
    }
    builder.SetMaxReceiveMessageSize(o.max_message_bytes);
    builder.SetMaxSendMessageSize(o.max_message_bytes);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || (!o.host.empty() && port_ == 0)) {
      server_.reset();
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", o.host, ":", o.port,
                       o.unix_socket.empty() ? "" : " or unix:", o.unix_socket));
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    MutexLock l(&shutdown_mu_);
    if (server_ == nullptr) return;
    service_->Stop();
    // Watches end within one poll period; unary calls get a few seconds to finish.
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
    server_.reset();
  }

 private:
  std::unique_ptr<Registry> owned_registry_;
  Registry* registry_ = nullptr;
  std::unique_ptr<ObjectsService> service_;
  int port_ = 0;
  Mutex shutdown_mu_;
  std::unique_ptr<grpc::Server> server_ ABSL_GUARDED_BY(shutdown_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options) {
  if (options.registry == nullptr && (options.store == nullptr || options.scheme == nullptr)) {
    return absl::InvalidArgumentError("GrpcServerOptions: a registry, or a store and a scheme");
  }
  if (options.host.empty() && options.unix_socket.empty()) {
    return absl::InvalidArgumentError("GrpcServerOptions: no host and no unix socket");
  }
  auto server = std::make_unique<GrpcServerImpl>(options);
  RUDDER_RETURN_IF_ERROR(server->Init(options));
  return server;
}

}  // namespace rudder::apiserver
