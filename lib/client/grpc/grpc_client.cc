#include "lib/client/grpc/grpc_client.h"

#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/apiserver/grpc/proto/objects.grpc.pb.h"
#include "lib/base/status_macros.h"
#include "lib/client/rest/internal/event_queue.h"
#include "lib/client/rest/status.h"

namespace rudder::client {
namespace {

namespace pb = ::rudder::apiserver::v1;
namespace meta = api::meta::v1;
using api::KindInfo;

// The registry error a failed call carries (its Kubernetes Status in the details), or the
// transport's own error.
absl::Status FromRpcStatus(absl::StatusCode code, const std::string& message,
                           const pb::RpcStatus* rpc) {
  if (rpc != nullptr) {
    for (const google::protobuf::Any& any : rpc->details()) {
      meta::Status k;
      if (any.Is<meta::Status>() && any.UnpackTo(&k)) return FromApiStatus(k, code);
    }
  }
  return absl::Status(code, message);
}

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(s.error_code());
  pb::RpcStatus rpc;
  if (!s.error_details().empty() && rpc.ParseFromString(s.error_details())) {
    return FromRpcStatus(code, s.error_message(), &rpc);
  }
  return absl::Status(code, s.error_message());
}

absl::StatusOr<ObjectPtr> DecodeObject(const KindInfo& kind, const pb::RawObject& raw) {
  ObjectPtr obj = kind.New();
  if (obj == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", kind.gvk.ToString(), " has no message type"));
  }
  if (raw.has_protobuf()) {
    if (!obj->ParseFromString(raw.protobuf())) {
      return absl::DataLossError(
          absl::StrCat("the server sent a malformed ", kind.gvk.kind, " object"));
    }
    return obj;
  }
  if (raw.has_json()) {
    api::JsonDecodeOptions dec;
    dec.validation = api::FieldValidation::kIgnore;
    dec.max_bytes = raw.json().size() + 1;
    absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJson(raw.json(), obj.get(), dec);
    if (!r.ok()) return absl::DataLossError(r.status().message());
    return obj;
  }
  return absl::DataLossError("the server sent no object");
}

void SetRef(const KindInfo& kind, const std::string& ns, const std::string& name,
            pb::ResourceRef* ref) {
  ref->set_group(kind.gvk.group);
  ref->set_version(kind.gvk.version);
  ref->set_resource(kind.plural);
  if (kind.namespaced && !ns.empty()) ref->set_namespace_(ns);
  if (!name.empty()) ref->set_name(name);
}

// A watch stream read by its own thread into an EventQueue.
class GrpcWatcher final : public ObjectWatcher {
 public:
  GrpcWatcher(std::shared_ptr<const KindInfo> kind, std::unique_ptr<grpc::ClientContext> ctx,
              std::unique_ptr<grpc::ClientReader<pb::WatchEvent>> reader)
      : kind_(std::move(kind)), ctx_(std::move(ctx)), reader_(std::move(reader)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~GrpcWatcher() override {
    Cancel();
    thread_.join();
  }

  std::optional<ObjectEvent> Next(absl::Duration timeout) override { return queue_.Next(timeout); }

  void Cancel() override {
    {
      MutexLock l(&mu_);
      cancelled_ = true;
    }
    ctx_->TryCancel();
    queue_.Close();
  }

 private:
  void Run() {
    pb::WatchEvent in;
    while (reader_->Read(&in)) {
      ObjectEvent e;
      e.type = in.type();
      if (e.type == "ERROR") {
        e.error = FromRpcStatus(static_cast<absl::StatusCode>(in.error().code()),
                                in.error().message(), &in.error());
      } else {
        absl::StatusOr<ObjectPtr> obj = DecodeObject(*kind_, in.object());
        if (!obj.ok()) {
          e.type = "ERROR";
          e.error = obj.status();
        } else {
          e.object = *std::move(obj);
        }
      }
      queue_.Push(std::move(e));
    }
    grpc::Status st = reader_->Finish();
    bool cancelled;
    {
      MutexLock l(&mu_);
      cancelled = cancelled_;
    }
    if (!cancelled) {
      // The server ended the stream (shutdown, connection loss): the consumer re-watches.
      ObjectEvent e;
      e.type = "ERROR";
      e.error = st.ok() ? absl::UnavailableError("the watch stream was closed by the server")
                        : FromGrpc(st);
      queue_.Push(std::move(e));
    }
    queue_.Close();
  }

  std::shared_ptr<const KindInfo> kind_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<pb::WatchEvent>> reader_;
  internal::EventQueue queue_;
  Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class GrpcClient final : public Client {
 public:
  GrpcClient(std::shared_ptr<grpc::Channel> channel, api::Scheme* scheme,
             const GrpcClientOptions& options)
      : channel_(std::move(channel)),
        stub_(pb::Objects::NewStub(channel_)),
        scheme_(scheme),
        options_(options) {}

  api::Scheme& scheme() const override { return *scheme_; }

  absl::StatusOr<ObjectPtr> Create(const KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   const WriteOptions& options) override {
    if (obj == nullptr) return absl::InvalidArgumentError("Create: no object");
    pb::WriteRequest req;
    std::string object_ns = ns;
    if (object_ns.empty()) {
      if (const meta::ObjectMeta* m = api::GetObjectMeta(*obj)) object_ns = m->namespace_();
    }
    SetRef(kind, object_ns, "", req.mutable_ref());
    RUDDER_RETURN_IF_ERROR(Fill(*obj, options, &req));
    pb::RawObject res;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    RUDDER_RETURN_IF_ERROR(FromGrpc(stub_->Create(&ctx, req, &res)));
    return DecodeObject(kind, res);
  }

  absl::StatusOr<ObjectPtr> Get(const KindInfo& kind, const std::string& ns,
                                const std::string& name) override {
    pb::GetRequest req;
    SetRef(kind, ns, name, req.mutable_ref());
    pb::RawObject res;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    RUDDER_RETURN_IF_ERROR(FromGrpc(stub_->Get(&ctx, req, &res)));
    return DecodeObject(kind, res);
  }

  absl::StatusOr<ListResult> List(const KindInfo& kind, const std::string& ns,
                                  const ListOptions& options) override {
    pb::ListRequest req;
    SetRef(kind, ns, "", req.mutable_ref());
    if (!options.label_selector.empty()) req.set_label_selector(options.label_selector);
    if (!options.field_selector.empty()) req.set_field_selector(options.field_selector);
    if (!options.resource_version.empty()) req.set_resource_version(options.resource_version);
    if (!options.resource_version_match.empty()) {
      req.set_resource_version_match(options.resource_version_match);
    }
    if (options.limit > 0) req.set_limit(options.limit);
    if (!options.continue_token.empty()) req.set_continue_(options.continue_token);
    pb::ListResponse res;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    RUDDER_RETURN_IF_ERROR(FromGrpc(stub_->List(&ctx, req, &res)));
    ListResult out;
    out.items.reserve(res.items_size());
    for (const pb::RawObject& raw : res.items()) {
      RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, DecodeObject(kind, raw));
      out.items.push_back(std::move(obj));
    }
    out.resource_version = res.resource_version();
    out.continue_token = res.continue_();
    out.remaining = res.has_remaining_item_count() ? res.remaining_item_count() : -1;
    return out;
  }

  absl::StatusOr<ObjectPtr> Update(const KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   bool status, const WriteOptions& options) override {
    if (obj == nullptr) return absl::InvalidArgumentError("Update: no object");
    const meta::ObjectMeta* m = api::GetObjectMeta(*obj);
    if (m == nullptr || m->name().empty()) {
      return absl::InvalidArgumentError("Update: the object has no metadata.name");
    }
    pb::WriteRequest req;
    SetRef(kind, ns.empty() ? m->namespace_() : ns, m->name(), req.mutable_ref());
    RUDDER_RETURN_IF_ERROR(Fill(*obj, options, &req));
    pb::RawObject res;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    grpc::Status st =
        status ? stub_->UpdateStatus(&ctx, req, &res) : stub_->Update(&ctx, req, &res);
    RUDDER_RETURN_IF_ERROR(FromGrpc(st));
    return DecodeObject(kind, res);
  }

  absl::StatusOr<ObjectPtr> Patch(const KindInfo& kind, const std::string& ns,
                                  const std::string& name, PatchType type, const std::string& patch,
                                  bool status, const WriteOptions& options) override {
    pb::PatchRequest req;
    SetRef(kind, ns, name, req.mutable_ref());
    switch (type) {
      case PatchType::kMerge:
        req.set_type(pb::PATCH_MERGE);
        break;
      case PatchType::kJson:
        req.set_type(pb::PATCH_JSON);
        break;
      case PatchType::kStrategicMerge:
        req.set_type(pb::PATCH_STRATEGIC_MERGE);
        break;
      case PatchType::kApply:
        req.set_type(pb::PATCH_APPLY);
        break;
    }
    req.set_patch(patch);
    if (status) req.set_status(true);
    if (options.dry_run) req.set_dry_run(true);
    if (type == PatchType::kApply) {
      // Apply names its manager itself (the server requires one): no default is sent.
      if (!options.field_manager.empty()) req.set_field_manager(options.field_manager);
    } else {
      req.set_field_manager(options.field_manager.empty() ? options_.field_manager
                                                          : options.field_manager);
    }
    if (options.force) req.set_force(true);  // the server refuses it for other patch types
    pb::RawObject res;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    RUDDER_RETURN_IF_ERROR(FromGrpc(stub_->Patch(&ctx, req, &res)));
    return DecodeObject(kind, res);
  }

  absl::StatusOr<ObjectPtr> Delete(const KindInfo& kind, const std::string& ns,
                                   const std::string& name, const DeleteOptions& options) override {
    pb::DeleteRequest req;
    SetRef(kind, ns, name, req.mutable_ref());
    if (options.precondition_uid) req.set_precondition_uid(*options.precondition_uid);
    if (options.precondition_resource_version) {
      req.set_precondition_resource_version(*options.precondition_resource_version);
    }
    if (options.grace_period_seconds) req.set_grace_period_seconds(*options.grace_period_seconds);
    if (options.propagation_policy) req.set_propagation_policy(*options.propagation_policy);
    if (options.orphan_dependents) req.set_orphan_dependents(*options.orphan_dependents);
    if (options.dry_run) req.set_dry_run(true);
    pb::DeleteResponse res;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    RUDDER_RETURN_IF_ERROR(FromGrpc(stub_->Delete(&ctx, req, &res)));
    return DecodeObject(kind, res.object());
  }

  absl::Status Bind(const std::string& ns, const api::core::v1::Binding& binding,
                    const WriteOptions& options) override {
    pb::BindRequest req;
    RUDDER_RETURN_IF_ERROR(SetPodRef(ns.empty() ? binding.metadata().namespace_() : ns,
                                     binding.metadata().name(), req.mutable_ref()));
    *req.mutable_binding() = binding;
    if (options.dry_run) req.set_dry_run(true);
    meta::Status res;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    return FromGrpc(stub_->Bind(&ctx, req, &res));
  }

  absl::Status Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                     const WriteOptions& options) override {
    pb::EvictRequest req;
    RUDDER_RETURN_IF_ERROR(SetPodRef(ns.empty() ? eviction.metadata().namespace_() : ns,
                                     eviction.metadata().name(), req.mutable_ref()));
    *req.mutable_eviction() = eviction;
    if (options.dry_run) req.set_dry_run(true);
    meta::Status res;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    return FromGrpc(stub_->Evict(&ctx, req, &res));
  }

  absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const KindInfo& kind, const std::string& ns,
                                                       const WatchOptions& options) override {
    std::shared_ptr<const KindInfo> shared = scheme_->ByKind(kind.gvk);
    if (shared == nullptr) return absl::NotFoundError("kind is not registered");
    pb::WatchRequest req;
    SetRef(kind, ns, "", req.mutable_ref());
    if (!options.selectors.label_selector.empty()) {
      req.set_label_selector(options.selectors.label_selector);
    }
    if (!options.selectors.field_selector.empty()) {
      req.set_field_selector(options.selectors.field_selector);
    }
    if (!options.resource_version.empty()) req.set_resource_version(options.resource_version);
    if (options.allow_bookmarks) req.set_allow_bookmarks(true);
    auto ctx = std::make_unique<grpc::ClientContext>();
    std::unique_ptr<grpc::ClientReader<pb::WatchEvent>> reader = stub_->Watch(ctx.get(), req);
    // The server's first message says the watch is established; an error ends the stream
    // before it, and is returned here as the in-process client returns it.
    pb::WatchEvent first;
    if (!reader->Read(&first)) {
      grpc::Status st = reader->Finish();
      if (st.ok()) return absl::UnavailableError("the watch stream ended before it started");
      return FromGrpc(st);
    }
    if (first.type() != "STARTED") {
      ctx->TryCancel();
      reader->Finish();
      return absl::InternalError(
          absl::StrCat("the watch stream began with a ", first.type(), " event"));
    }
    return std::unique_ptr<ObjectWatcher>(
        std::make_unique<GrpcWatcher>(std::move(shared), std::move(ctx), std::move(reader)));
  }

  absl::StatusOr<std::unique_ptr<Scale>> GetScale(const KindInfo& kind, const std::string& ns,
                                                  const std::string& name) override {
    pb::GetRequest req;
    SetRef(kind, ns, name, req.mutable_ref());
    auto res = std::make_unique<Scale>();
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    RUDDER_RETURN_IF_ERROR(FromGrpc(stub_->GetScale(&ctx, req, res.get())));
    return res;
  }

  absl::StatusOr<std::unique_ptr<Scale>> UpdateScale(const KindInfo& kind, const std::string& ns,
                                                     const std::string& name,
                                                     const Scale& scale) override {
    pb::UpdateScaleRequest req;
    SetRef(kind, ns, name, req.mutable_ref());
    *req.mutable_scale() = scale;
    auto res = std::make_unique<Scale>();
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    RUDDER_RETURN_IF_ERROR(FromGrpc(stub_->UpdateScale(&ctx, req, res.get())));
    return res;
  }

 private:
  void SetDeadline(grpc::ClientContext* ctx) const {
    if (options_.call_timeout > absl::ZeroDuration() &&
        options_.call_timeout < absl::InfiniteDuration()) {
      ctx->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            absl::ToChronoNanoseconds(options_.call_timeout)));
    }
  }

  // The ref of pod `name` in `ns` (empty: "default"), for the pods subresources.
  absl::Status SetPodRef(const std::string& ns, const std::string& name,
                         pb::ResourceRef* ref) const {
    std::shared_ptr<const KindInfo> pods = scheme_->ByResource({"", "v1", "pods"});
    if (pods == nullptr) return absl::NotFoundError("the scheme has no pods");
    SetRef(*pods, ns.empty() ? "default" : ns, name, ref);
    return absl::OkStatus();
  }

  absl::Status Fill(const Object& obj, const WriteOptions& options, pb::WriteRequest* req) const {
    if (!obj.SerializeToString(req->mutable_object()->mutable_protobuf())) {
      return absl::InvalidArgumentError("the object cannot be serialized");
    }
    if (options.dry_run) req->set_dry_run(true);
    req->set_field_manager(options.field_manager.empty() ? options_.field_manager
                                                         : options.field_manager);
    return absl::OkStatus();
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Objects::Stub> stub_;
  api::Scheme* scheme_;
  GrpcClientOptions options_;
};

}  // namespace

std::unique_ptr<Client> NewGrpcClient(const std::string& target, api::Scheme* scheme,
                                      const GrpcClientOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  return std::make_unique<GrpcClient>(std::move(channel), scheme, options);
}

}  // namespace rudder::client
