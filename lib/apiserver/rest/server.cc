#include "lib/apiserver/rest/server.h"

#include <atomic>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "lib/api/codec/json.h"
#include "lib/api/field/errors.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/api/proto/runtime/runtime.pb.h"
#include "lib/apiserver/crd/crd.h"
#include "lib/apiserver/openapi/openapi.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/eviction.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/apiserver/rest/internal/discovery.h"
#include "lib/apiserver/rest/internal/list_body.h"
#include "lib/apiserver/rest/internal/openapi_v2_proto.h"
#include "lib/apiserver/rest/internal/table.h"
#include "lib/apiserver/rest/pod_log_proxy.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"

namespace rudder::apiserver {
namespace {

using api::KindInfo;
namespace meta = api::meta::v1;

constexpr char kJson[] = "application/json";
// How many bytes of a LIST body are written at a time.
constexpr size_t kListBatchBytes = 256 * 1024;

void WriteJson(httplib::Response& res, int code, const std::string& body) {
  res.status = code;
  res.set_content(body, kJson);
}

void WriteError(httplib::Response& res, const absl::Status& status) {
  meta::Status s = ToApiStatus(status);
  WriteJson(res, s.code(), ToApiStatusJson(status));
}

absl::Status NotFoundPath() {
  return absl::NotFoundError("the server could not find the requested resource");
}

absl::StatusOr<std::string> EncodeObject(const KindInfo& kind, const google::protobuf::Message& m) {
  api::JsonEncodeOptions enc;
  enc.api_version = kind.gvk.ApiVersion();
  enc.kind = kind.gvk.kind;
  return api::EncodeJson(m, enc);
}

std::string Param(const httplib::Request& req, const char* key) {
  return req.has_param(key) ? req.get_param_value(key) : "";
}

bool WantsTable(const httplib::Request& req) {
  std::string accept = req.get_header_value("Accept");
  return absl::StrContains(accept, "as=Table") && absl::StrContains(accept, "g=meta.k8s.io");
}

constexpr char kProtobuf[] = "application/vnd.kubernetes.protobuf";

bool IsProtobuf(const httplib::Request& req) {
  return absl::StartsWith(absl::AsciiStrToLower(req.get_header_value("Content-Type")), kProtobuf);
}

// Go's protobuf encoder writes every by-value field, so a body from a Go client carries what
// its JSON encoder would omit: ObjectMeta's empty strings ("generateName": "", "selfLink": "")
// and zero times (creationTimestamp 0 s 0 ns, Kubernetes' encoding of the zero time, in pod
// templates). Clears those, recursively, so the object reads back as if sent as JSON.
void ClearGoZeroValues(google::protobuf::Message* m) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  const google::protobuf::Reflection* r = m->GetReflection();
  const bool object_meta = d == api::meta::v1::ObjectMeta::descriptor();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    using FD = google::protobuf::FieldDescriptor;
    if (f->cpp_type() == FD::CPPTYPE_STRING && object_meta && !f->is_repeated() &&
        r->GetString(*m, f).empty()) {
      r->ClearField(m, f);
      continue;
    }
    if (f->cpp_type() != FD::CPPTYPE_MESSAGE || f->is_map()) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(*m, f); ++i) {
        ClearGoZeroValues(r->MutableRepeatedMessage(m, f, i));
      }
      continue;
    }
    const google::protobuf::Descriptor* fd = f->message_type();
    if (fd == api::meta::v1::Time::descriptor() || fd == api::meta::v1::MicroTime::descriptor()) {
      const google::protobuf::Message& t = r->GetMessage(*m, f);
      const google::protobuf::Reflection* tr = t.GetReflection();
      if (tr->GetInt64(t, fd->FindFieldByNumber(1)) == 0 &&
          tr->GetInt32(t, fd->FindFieldByNumber(2)) == 0) {
        r->ClearField(m, f);
      }
      continue;
    }
    ClearGoZeroValues(r->MutableMessage(m, f));
  }
}

// Decodes a Kubernetes protobuf body ("k8s\0" + runtime.Unknown wrapping the object) into `m`,
// checking its apiVersion and kind when `kind` is given.
absl::Status DecodeProtobufBody(const std::string& body, google::protobuf::Message* m,
                                const KindInfo* kind) {
  static constexpr absl::string_view kMagic("k8s\0", 4);
  if (!absl::StartsWith(body, kMagic)) {
    return absl::InvalidArgumentError("the protobuf body does not start with the k8s magic");
  }
  api::runtime::Unknown unknown;
  if (!unknown.ParseFromArray(body.data() + 4, static_cast<int>(body.size() - 4))) {
    return absl::InvalidArgumentError("the protobuf body is malformed");
  }
  if (kind != nullptr && unknown.has_typemeta()) {
    const auto& tm = unknown.typemeta();
    if ((!tm.apiversion().empty() && tm.apiversion() != kind->gvk.ApiVersion()) ||
        (!tm.kind().empty() && tm.kind() != kind->gvk.kind)) {
      return absl::InvalidArgumentError(
          absl::StrCat("the object in the request (", tm.apiversion(), ", Kind=", tm.kind(),
                       ") does not match the resource (", kind->gvk.ToString(), ")"));
    }
  }
  if (!m->ParseFromString(unknown.raw())) {
    return absl::InvalidArgumentError("the protobuf object in the request is malformed");
  }
  m->DiscardUnknownFields();
  ClearGoZeroValues(m);
  return absl::OkStatus();
}

bool HasVerb(const KindInfo& kind, const char* verb) {
  return std::find(kind.verbs.begin(), kind.verbs.end(), verb) != kind.verbs.end();
}

// A parsed resource path.
struct Target {
  std::shared_ptr<const KindInfo> kind;
  std::string ns;
  std::string name;
  std::string subresource;
};

class ApiServerImpl : public ApiServer {
 public:
  explicit ApiServerImpl(const ApiServerOptions& o)
      : options_(o),
        registry_(o.store, o.scheme, RegistryOptionsOf(o)),
        openapi_(o.scheme),
        authenticator_(o.authenticator != nullptr ? o.authenticator
                                                  : std::shared_ptr<admission::Authenticator>(
                                                        admission::NewAnonymousAuthenticator())),
        authorizer_(o.authorizer != nullptr ? o.authorizer
                                            : std::shared_ptr<admission::Authorizer>(
                                                  admission::NewAlwaysAllowAuthorizer())) {}

  static RegistryOptions RegistryOptionsOf(const ApiServerOptions& o) {
    RegistryOptions r;
    r.admission = o.admission;
    return r;
  }

  ~ApiServerImpl() override { Shutdown(); }

  absl::Status Init() {
    pod_logs_ = NewPodLogRouter(&registry_, options_.scheme, options_.pod_logs,
                                options_.pod_logs_node, options_.node_logs);
    const int threads = std::max(4, options_.max_threads);
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_payload_max_length(options_.max_body_bytes);
    // Headers and body go out in separate writes: without TCP_NODELAY the body waits for the
    // client's delayed ACK (about 40 ms per response).
    server_.set_tcp_nodelay(true);
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 413) {
        WriteJson(res, 413,
                  ToApiStatusJson(absl::ResourceExhaustedError("the request body is too large")));
      } else if (res.status >= 400) {
        int code = res.status;
        res.set_content(ToApiStatusJson(absl::InvalidArgumentError(
                            absl::StrCat("the request failed with HTTP status ", code))),
                        kJson);
      }
    });
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res);
    };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Patch(".*", handler);
    server_.Delete(".*", handler);
    if (options_.port == 0) {
      port_ = server_.bind_to_any_port(options_.host);
    } else {
      port_ = server_.bind_to_port(options_.host, options_.port) ? options_.port : -1;
    }
    if (port_ <= 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot bind ", options_.host, ":", options_.port));
    }
    if (options_.serve_custom_resources &&
        options_.scheme->ByKind({"apiextensions.k8s.io", "v1", "CustomResourceDefinition"})) {
      crds_ = std::make_unique<crd::CrdController>(&registry_);
      RUDDER_RETURN_IF_ERROR(crds_->Start());
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    {
      MutexLock l(&mu_);
      if (stopped_) return;
      stopped_ = true;
      stopping_ = true;
      for (ObjectWatcher* w : watchers_) w->Cancel();
    }
    server_.stop();
    if (thread_.joinable()) thread_.join();
    if (crds_ != nullptr) crds_->Stop();
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    if (req.body.size() > options_.max_body_bytes) {
      WriteError(res,
                 absl::ResourceExhaustedError(absl::StrCat("the request body is too large (limit ",
                                                           options_.max_body_bytes, " bytes)")));
      return;
    }
    admission::AuthRequest ar;
    ar.method = req.method;
    ar.path = req.path;
    ar.header = [&req](std::string_view name) {
      return req.get_header_value(std::string(name).c_str());
    };
    absl::StatusOr<admission::UserInfo> user = authenticator_->Authenticate(ar);
    if (!user.ok()) return WriteError(res, user.status());
    if (!IsResourcePath(req.path)) {
      admission::AuthzAttributes az;
      az.user = *user;
      az.verb = absl::AsciiStrToLower(req.method);
      az.resource_request = false;
      az.path = req.path;
      if (absl::Status s = admission::Authorize(*authorizer_, az); !s.ok()) {
        return WriteError(res, s);
      }
    }
    if (openapi::OpenApiService::Handles(req.path)) {
      if (req.method != "GET") return WriteError(res, MethodNotAllowed());
      if (req.path == "/openapi/v2" &&
          absl::StrContains(absl::AsciiStrToLower(req.get_header_value("Accept")), "protobuf")) {
        return ServeOpenApiV2Proto(req, res);
      }
      openapi::OpenApiResponse r =
          openapi_.Serve({req.path, Param(req, "hash"), req.get_header_value("Accept"),
                          req.get_header_value("If-None-Match")});
      if (r.status == 404) return WriteError(res, NotFoundPath());
      for (const auto& [k, v] : r.headers) res.set_header(k.c_str(), v);
      res.status = r.status;
      if (r.status == 200) res.set_content(std::move(r.body), r.content_type.c_str());
      return;
    }
    std::vector<std::string> seg = absl::StrSplit(req.path, '/', absl::SkipEmpty());
    if (seg.empty()) {
      return WriteJson(
          res, 200,
          R"({"paths":["/api","/api/v1","/apis","/healthz","/livez","/readyz","/version"]})");
    }
    if (seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "livez" || seg[0] == "readyz")) {
      res.status = 200;
      res.set_content("ok", "text/plain");
      return;
    }
    if (seg.size() == 1 && seg[0] == "version") {
      return WriteJson(res, 200,
                       R"({"major":"1","minor":"33","gitVersion":"v1.33.0-rudder",)"
                       R"("gitCommit":"","gitTreeState":"clean","buildDate":"",)"
                       R"("goVersion":"","compiler":"rudder","platform":"linux/amd64"})");
    }
    std::string group, version;
    size_t rest = 0;
    if (seg[0] == "api") {
      if (seg.size() == 1) {
        if (req.method != "GET") return WriteError(res, MethodNotAllowed());
        return DiscoveryApi(req, res);
      }
      version = seg[1];
      rest = 2;
    } else if (seg[0] == "apis") {
      if (seg.size() == 1) {
        if (req.method != "GET") return WriteError(res, MethodNotAllowed());
        return DiscoveryApis(req, res);
      }
      if (seg.size() == 2) return WriteError(res, NotFoundPath());
      group = seg[1];
      version = seg[2];
      rest = 3;
    } else {
      return WriteError(res, NotFoundPath());
    }
    if (seg.size() == rest) {
      if (req.method != "GET") return WriteError(res, MethodNotAllowed());
      return DiscoveryGroupVersion(res, group, version);
    }
    std::vector<std::string> r(seg.begin() + rest, seg.end());
    absl::StatusOr<Target> t = Resolve(group, version, r);
    if (!t.ok()) return WriteError(res, t.status());
    admission::AuthzAttributes az;
    az.user = std::move(*user);
    az.verb = VerbOf(req, *t);
    az.api_group = group;
    az.api_version = version;
    az.resource = t->kind->plural;
    az.subresource = t->subresource;
    az.ns = t->ns;
    az.name = t->name;
    az.path = req.path;
    if (absl::Status s = admission::Authorize(*authorizer_, az); !s.ok()) {
      return WriteError(res, s);
    }
    ServeResource(req, res, *t, az.user);
  }

  // GET /openapi/v2 asking for protobuf: the swagger document in its protobuf form, as
  // application/octet-stream (kubectl 1.20 rejects the protobuf media type's parameters).
  // Converted once per version of the JSON document.
  void ServeOpenApiV2Proto(const httplib::Request& req, httplib::Response& res) {
    openapi::OpenApiResponse r = openapi_.Serve({req.path, "", kJson, ""});
    if (r.status != 200) return WriteError(res, NotFoundPath());
    std::string etag = r.headers.count("ETag") ? r.headers["ETag"] : "";
    std::shared_ptr<const std::string> body;
    {
      MutexLock l(&mu_);
      if (openapi_v2_proto_ != nullptr && openapi_v2_etag_ == etag) body = openapi_v2_proto_;
    }
    if (body == nullptr) {
      absl::StatusOr<std::string> b = rest_internal::SwaggerJsonToProto(r.body);
      if (!b.ok()) return WriteError(res, b.status());
      body = std::make_shared<const std::string>(std::move(*b));
      MutexLock l(&mu_);
      openapi_v2_etag_ = etag;
      openapi_v2_proto_ = body;
    }
    if (!etag.empty()) {
      std::string pe = "\"proto-" + etag.substr(etag.front() == '"' ? 1 : 0);
      if (pe.back() != '"') pe += '"';
      res.set_header("ETag", pe);
      if (req.get_header_value("If-None-Match") == pe) {
        res.status = 304;
        return;
      }
    }
    res.status = 200;
    res.set_content(*body, "application/octet-stream");
  }

  // True for paths below a group version (/api/v1/..., /apis/g/v/...).
  static bool IsResourcePath(const std::string& path) {
    std::vector<absl::string_view> seg = absl::StrSplit(path, '/', absl::SkipEmpty());
    return (seg.size() > 2 && seg[0] == "api") || (seg.size() > 3 && seg[0] == "apis");
  }

  // Kubernetes' request verb.
  static std::string VerbOf(const httplib::Request& req, const Target& t) {
    const std::string& m = req.method;
    if (m == "GET") {
      if (!t.name.empty()) return "get";
      std::string w = Param(req, "watch");
      return w == "true" || w == "1" ? "watch" : "list";
    }
    if (m == "POST") return "create";
    if (m == "PUT") return "update";
    if (m == "PATCH") return "patch";
    if (m == "DELETE") return t.name.empty() ? "deletecollection" : "delete";
    return absl::AsciiStrToLower(m);
  }

  static bool IsPodKind(const KindInfo& kind) {
    return kind.gvk.group.empty() && kind.gvk.version == "v1" && kind.gvk.kind == "Pod";
  }

  // POST pods/NAME/eviction: a policy/v1 Eviction (JSON or protobuf); 201 with a Success Status.
  void ServeEviction(const httplib::Request& req, httplib::Response& res, const Target& t,
                     const admission::UserInfo& user) {
    if (req.method != "POST") return WriteError(res, MethodNotAllowed());
    api::policy::v1::Eviction eviction;
    if (IsProtobuf(req)) {
      absl::Status st = DecodeProtobufBody(req.body, &eviction, nullptr);
      if (!st.ok()) return WriteError(res, absl::InvalidArgumentError(st.message()));
    } else {
      api::JsonDecodeOptions dec;
      dec.validation = api::FieldValidation::kIgnore;
      dec.max_bytes = options_.max_body_bytes;
      absl::Status st = api::DecodeJson(req.body, &eviction, dec).status();
      if (!st.ok()) return WriteError(res, absl::InvalidArgumentError(st.message()));
    }
    absl::StatusOr<bool> dry = DryRun(req);
    if (!dry.ok()) return WriteError(res, dry.status());
    if (*dry) eviction.mutable_deleteoptions()->add_dryrun("All");
    absl::Status st = EvictPod(&registry_, t.ns, t.name, eviction, user);
    if (!st.ok()) return WriteError(res, st);
    WriteJson(res, 201,
              R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201})");
  }

  // POST pods/NAME/binding: a v1 Binding (JSON or protobuf); 201 with a Success Status.
  void ServeBinding(const httplib::Request& req, httplib::Response& res, const Target& t,
                    const admission::UserInfo& user) {
    if (req.method != "POST") return WriteError(res, MethodNotAllowed());
    api::core::v1::Binding binding;
    if (IsProtobuf(req)) {
      absl::Status st = DecodeProtobufBody(req.body, &binding, nullptr);
      if (!st.ok()) return WriteError(res, absl::InvalidArgumentError(st.message()));
    } else {
      api::JsonDecodeOptions dec;
      dec.validation = api::FieldValidation::kIgnore;
      dec.max_bytes = options_.max_body_bytes;
      absl::Status st = api::DecodeJson(req.body, &binding, dec).status();
      if (!st.ok()) return WriteError(res, absl::InvalidArgumentError(st.message()));
    }
    WriteOptions wo;
    wo.user = user;
    absl::StatusOr<bool> dry = DryRun(req);
    if (!dry.ok()) return WriteError(res, dry.status());
    wo.dry_run = *dry;
    absl::Status st = registry_.BindPod(t.ns, t.name, binding, wo).status();
    if (!st.ok()) return WriteError(res, st);
    WriteJson(res, 201,
              R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201})");
  }

  static bool IsNamespaceKind(const KindInfo& kind) {
    return kind.gvk.group.empty() && kind.gvk.kind == "Namespace";
  }

  static absl::Status MethodNotAllowed() {
    return absl::UnimplementedError(
        "the server does not allow this method on the requested resource");
  }

  absl::StatusOr<Target> Resolve(const std::string& group, const std::string& version,
                                 const std::vector<std::string>& r) {
    api::Scheme& scheme = *options_.scheme;
    Target t;
    size_t i = 0;
    if (r[0] == "namespaces" && r.size() >= 3 &&
        !(r.size() == 3 && (r[2] == "status" || r[2] == "finalize"))) {
      t.ns = r[1];
      i = 2;
      t.kind = scheme.ByResource({group, version, r[2]});
      if (t.kind == nullptr || !t.kind->namespaced) return NotFoundPath();
    } else {
      t.kind = scheme.ByResource({group, version, r[0]});
      if (t.kind == nullptr) return NotFoundPath();
    }
    if (t.kind->descriptor == nullptr) return NotFoundPath();
    if (r.size() > i + 1) t.name = r[i + 1];
    if (r.size() > i + 2) t.subresource = r[i + 2];
    if (r.size() > i + 3) return NotFoundPath();
    if (t.kind->namespaced && t.ns.empty() && !t.name.empty()) return NotFoundPath();
    if (!t.subresource.empty() && !(t.subresource == "status" && t.kind->has_status) &&
        !(t.subresource == "finalize" && IsNamespaceKind(*t.kind)) &&
        !(t.subresource == "scale" && t.kind->has_scale) &&
        !(t.subresource == "eviction" && IsPodKind(*t.kind)) &&
        !(t.subresource == "binding" && IsPodKind(*t.kind)) &&
        !(t.subresource == "log" && IsPodKind(*t.kind))) {
      return NotFoundPath();
    }
    return t;
  }

  // The request's dryRun parameter: false, true for "All", else BadRequest.
  static absl::StatusOr<bool> DryRun(const httplib::Request& req) {
    if (!req.has_param("dryRun")) return false;
    for (size_t i = 0; i < req.get_param_value_count("dryRun"); ++i) {
      std::string v = req.get_param_value("dryRun", i);
      if (v != "All") {
        return absl::InvalidArgumentError(
            absl::StrCat("dryRun: Unsupported value: \"", v, "\": supported values: \"All\""));
      }
    }
    return true;
  }

  // DeleteOptions from the body (JSON or protobuf) and the query parameters.
  absl::StatusOr<DeleteOptions> DeleteOpts(const httplib::Request& req,
                                           const admission::UserInfo& user) {
    DeleteOptions o;
    o.user = user;
    meta::DeleteOptions d;
    if (!absl::StripAsciiWhitespace(req.body).empty()) {
      api::JsonDecodeOptions dec;
      dec.validation = api::FieldValidation::kIgnore;
      absl::Status st = IsProtobuf(req) ? DecodeProtobufBody(req.body, &d, nullptr)
                                        : api::DecodeJson(req.body, &d, dec).status();
      if (!st.ok()) return absl::InvalidArgumentError(st.message());
    }
    if (std::string g = Param(req, "gracePeriodSeconds"); !g.empty()) {
      int64_t v;
      if (!absl::SimpleAtoi(g, &v)) {
        return absl::InvalidArgumentError(absl::StrCat("invalid gracePeriodSeconds: ", g));
      }
      d.set_graceperiodseconds(v);
    }
    if (std::string p = Param(req, "propagationPolicy"); !p.empty()) d.set_propagationpolicy(p);
    if (std::string od = Param(req, "orphanDependents"); !od.empty()) {
      d.set_orphandependents(od == "true" || od == "1");
    }
    if (d.has_preconditions() && d.preconditions().has_uid()) {
      o.precondition_uid = d.preconditions().uid();
    }
    if (d.has_preconditions() && d.preconditions().has_resourceversion()) {
      o.precondition_resource_version = d.preconditions().resourceversion();
    }
    if (d.has_graceperiodseconds()) o.grace_period_seconds = d.graceperiodseconds();
    if (d.has_propagationpolicy()) o.propagation_policy = d.propagationpolicy();
    if (d.has_orphandependents()) o.orphan_dependents = d.orphandependents();
    for (const std::string& v : d.dryrun()) {
      if (v != "All") {
        return absl::InvalidArgumentError(
            absl::StrCat("dryRun: Unsupported value: \"", v, "\": supported values: \"All\""));
      }
      o.dry_run = true;
    }
    RUDDER_ASSIGN_OR_RETURN(bool dry, DryRun(req));
    o.dry_run = o.dry_run || dry;
    return o;
  }

  // GET pods/NAME/log: the pod must exist; its log comes from pod_logs_ (the
  // in-process agent's source, or the pod's node through pod_log_proxy.h),
  // streamed in chunks as it comes. A follow ends when the source ends it, the
  // client goes away or the server stops.
  void ServePodLog(const httplib::Request& req, httplib::Response& res, const Target& t) {
    if (req.method != "GET") return WriteError(res, MethodNotAllowed());
    absl::StatusOr<PodLogOptions> o =
        ParsePodLogQuery([&](const char* k) { return Param(req, k); });
    if (!o.ok()) return WriteError(res, o.status());
    absl::StatusOr<ObjectPtr> pod = registry_.Get(*t.kind, t.ns, t.name);
    if (!pod.ok()) return WriteError(res, pod.status());
    absl::StatusOr<std::unique_ptr<PodLogStream>> stream = pod_logs_->OpenLog(t.ns, t.name, *o);
    if (!stream.ok()) return WriteError(res, stream.status());
    std::shared_ptr<PodLogStream> s = std::move(*stream);
    int conn =
        o->follow ? FindConnectionSocket(req.local_port, req.remote_addr, req.remote_port) : -1;
    res.status = 200;
    // A follow is not text/*: cpp-httplib would gzip text streams for clients
    // that accept it (as kubectl does), holding lines back in the compressor.
    res.set_chunked_content_provider(
        o->follow ? "application/octet-stream" : "text/plain",
        [this, s, conn](size_t, httplib::DataSink& sink) {
          (void)s->Stream([&](std::string_view c) { return sink.write(c.data(), c.size()); },
                          [&] {
                            return stopping_.load() || ConnectionClosed(conn) ||
                                   (sink.is_writable && !sink.is_writable());
                          });
          sink.done();
          return true;
        });
  }

  void ServeResource(const httplib::Request& req, httplib::Response& res, const Target& t,
                     const admission::UserInfo& user) {
    const KindInfo& kind = *t.kind;
    const bool status = t.subresource == "status";
    if (t.subresource == "scale") return ServeScale(req, res, t, user);
    if (t.subresource == "eviction") return ServeEviction(req, res, t, user);
    if (t.subresource == "binding") return ServeBinding(req, res, t, user);
    if (t.subresource == "log") return ServePodLog(req, res, t);
    if (t.subresource == "finalize") {
      if (req.method != "PUT") return WriteError(res, MethodNotAllowed());
      WriteOptions wo;
      wo.user = user;
      absl::StatusOr<bool> dry = DryRun(req);
      if (!dry.ok()) return WriteError(res, dry.status());
      wo.dry_run = *dry;
      absl::StatusOr<ObjectPtr> obj = DecodeBody(req, res, kind);
      if (!obj.ok()) return WriteError(res, obj.status());
      return Respond(req, res, kind, registry_.FinalizeNamespace(kind, t.name, std::move(*obj), wo),
                     200);
    }
    if (req.method == "GET") {
      if (t.name.empty()) {
        std::string w = Param(req, "watch");
        if (w == "true" || w == "1") {
          if (!HasVerb(kind, "watch")) return WriteError(res, MethodNotAllowed());
          return Watch(req, res, t);
        }
        if (!HasVerb(kind, "list")) return WriteError(res, MethodNotAllowed());
        return List(req, res, t);
      }
      if (!HasVerb(kind, "get")) return WriteError(res, MethodNotAllowed());
      absl::StatusOr<ObjectPtr> obj = registry_.Get(kind, t.ns, t.name);
      return Respond(req, res, kind, obj, 200);
    }
    WriteOptions wo;
    wo.user = user;
    // Writes are recorded in managedFields under fieldManager, else the user agent's product
    // name ("kubectl" of "kubectl/v1.33.0 (linux/amd64) ..."), as Kubernetes does.
    wo.field_manager = Param(req, "fieldManager");
    if (wo.field_manager.empty()) wo.field_manager = ManagerFromUserAgent(req);
    if (req.method != "DELETE") {
      absl::StatusOr<bool> dry = DryRun(req);
      if (!dry.ok()) return WriteError(res, dry.status());
      wo.dry_run = *dry;
    }
    if (req.method == "POST") {
      if (!t.name.empty() || !HasVerb(kind, "create") || (kind.namespaced && t.ns.empty())) {
        return WriteError(res, MethodNotAllowed());
      }
      absl::StatusOr<ObjectPtr> obj = DecodeBody(req, res, kind);
      if (!obj.ok()) return WriteError(res, obj.status());
      return Respond(req, res, kind, registry_.Create(kind, t.ns, std::move(*obj), wo), 201);
    }
    if (t.name.empty()) {
      if (req.method == "DELETE" && t.subresource.empty())
        return DeleteCollection(req, res, t, user);
      return WriteError(res, MethodNotAllowed());
    }
    if (req.method == "PUT") {
      if (!HasVerb(kind, "update")) return WriteError(res, MethodNotAllowed());
      absl::StatusOr<ObjectPtr> obj = DecodeBody(req, res, kind);
      if (!obj.ok()) return WriteError(res, obj.status());
      return Respond(req, res, kind,
                     registry_.Update(kind, t.ns, t.name, std::move(*obj), status, wo), 200);
    }
    if (req.method == "PATCH") {
      if (!HasVerb(kind, "patch")) return WriteError(res, MethodNotAllowed());
      absl::StatusOr<PatchType> type = PatchTypeOf(req);
      if (!type.ok()) return WriteUnsupportedMediaType(res, type.status());
      if (*type == PatchType::kStrategicMerge && kind.custom_resource) {
        // As in Kubernetes: custom resources have no patch strategies.
        return WriteUnsupportedMediaType(
            res, absl::InvalidArgumentError(
                     "the body of the request was in an unknown format - accepted media types "
                     "include: application/json-patch+json, application/merge-patch+json, "
                     "application/apply-patch+yaml"));
      }
      absl::Status opts = ApplyOptions(req, *type, &wo);
      if (!opts.ok()) return WriteError(res, opts);
      // Apply creates what is missing: 201 then, as Kubernetes answers.
      const bool creates = *type == PatchType::kApply && !status &&
                           absl::IsNotFound(registry_.Get(kind, t.ns, t.name).status());
      return Respond(
          req, res, kind,
          registry_.Patch(kind, t.ns, t.name, *type, req.body, status, Validation(req), wo),
          creates ? 201 : 200);
    }
    if (req.method == "DELETE") {
      if (!HasVerb(kind, "delete") || status) return WriteError(res, MethodNotAllowed());
      absl::StatusOr<DeleteOptions> o = DeleteOpts(req, user);
      if (!o.ok()) return WriteError(res, o.status());
      bool deleted = false;
      absl::StatusOr<ObjectPtr> obj = registry_.Delete(kind, t.ns, t.name, *o, &deleted);
      if (!obj.ok()) return WriteError(res, obj.status());
      if (deleted && !ReturnsDeletedObject(kind)) {
        // Kubernetes' answer for an object that is gone: a Success Status with its details.
        meta::Status st;
        st.mutable_metadata();
        st.set_status("Success");
        meta::StatusDetails* d = st.mutable_details();
        d->set_name(t.name);
        if (!kind.gvk.group.empty()) d->set_group(kind.gvk.group);
        d->set_kind(kind.plural);
        d->set_uid(api::GetObjectMeta(**obj)->uid());
        api::JsonEncodeOptions enc;
        enc.api_version = "v1";
        enc.kind = "Status";
        absl::StatusOr<std::string> json = api::EncodeJson(st, enc);
        if (!json.ok()) return WriteError(res, absl::InternalError(json.status().message()));
        return WriteJson(res, 200, *json);
      }
      // 202 when the object remains and the client asked for cascading deletion through the
      // deprecated orphanDependents=false, as Kubernetes answers.
      const int code =
          !deleted && o->orphan_dependents.has_value() && !*o->orphan_dependents ? 202 : 200;
      return Respond(req, res, kind, obj, code);
    }
    WriteError(res, MethodNotAllowed());
  }

  // Pods answer a delete with the deleted object; other kinds with a Status.
  static bool ReturnsDeletedObject(const KindInfo& kind) {
    return kind.gvk.group.empty() && kind.gvk.kind == "Pod";
  }

  void DeleteCollection(const httplib::Request& req, httplib::Response& res, const Target& t,
                        const admission::UserInfo& user) {
    const KindInfo& kind = *t.kind;
    if (!HasVerb(kind, "deletecollection")) return WriteError(res, MethodNotAllowed());
    absl::StatusOr<DeleteOptions> o = DeleteOpts(req, user);
    if (!o.ok()) return WriteError(res, o.status());
    absl::StatusOr<std::vector<ObjectPtr>> items =
        registry_.DeleteCollection(kind, t.ns, ListOpts(req), *o);
    if (!items.ok()) return WriteError(res, items.status());
    std::vector<std::string> json;
    json.reserve(items->size());
    for (const ObjectPtr& obj : *items) {
      absl::StatusOr<std::string> j =
          kind.custom_resource ? EncodeObject(kind, *obj) : api::EncodeJson(*obj);
      if (!j.ok()) return WriteError(res, absl::InternalError(j.status().message()));
      json.push_back(std::move(*j));
    }
    WriteJson(
        res, 200,
        absl::StrCat(R"({"kind":")", kind.list_kind, R"(","apiVersion":")", kind.gvk.ApiVersion(),
                     R"(","metadata":{},"items":[)", absl::StrJoin(json, ","), "]}"));
  }

  void ServeScale(const httplib::Request& req, httplib::Response& res, const Target& t,
                  const admission::UserInfo& user) {
    using api::autoscaling::v1::Scale;
    const KindInfo& kind = *t.kind;
    absl::StatusOr<std::unique_ptr<Scale>> scale;
    WriteOptions wo;
    wo.user = user;
    if (req.method != "GET") {
      absl::StatusOr<bool> dry = DryRun(req);
      if (!dry.ok()) return WriteError(res, dry.status());
      wo.dry_run = *dry;
    }
    if (req.method == "GET") {
      scale = registry_.GetScale(kind, t.ns, t.name);
    } else if (req.method == "PUT") {
      Scale in;
      absl::Status st;
      if (IsProtobuf(req)) {
        st = DecodeProtobufBody(req.body, &in, nullptr);
      } else {
        api::JsonDecodeOptions dec;
        dec.validation = Validation(req);
        st = api::DecodeJson(req.body, &in, dec).status();
      }
      if (!st.ok()) return WriteError(res, absl::InvalidArgumentError(st.message()));
      scale = registry_.UpdateScale(kind, t.ns, t.name, in, wo);
    } else if (req.method == "PATCH") {
      absl::StatusOr<PatchType> type = PatchTypeOf(req);
      if (!type.ok()) return WriteUnsupportedMediaType(res, type.status());
      scale = registry_.PatchScale(kind, t.ns, t.name, *type, req.body, wo);
    } else {
      return WriteError(res, MethodNotAllowed());
    }
    if (!scale.ok()) return WriteError(res, scale.status());
    api::JsonEncodeOptions enc;
    enc.api_version = "autoscaling/v1";
    enc.kind = "Scale";
    absl::StatusOr<std::string> json = api::EncodeJson(**scale, enc);
    if (!json.ok()) return WriteError(res, absl::InternalError(json.status().message()));
    WriteJson(res, 200, *json);
  }

  static absl::StatusOr<PatchType> PatchTypeOf(const httplib::Request& req) {
    std::string ct = absl::AsciiStrToLower(req.get_header_value("Content-Type"));
    ct = std::string(absl::StripAsciiWhitespace(ct.substr(0, ct.find(';'))));
    if (ct == "application/merge-patch+json") return PatchType::kMerge;
    if (ct == "application/json-patch+json") return PatchType::kJson;
    if (ct == "application/strategic-merge-patch+json") return PatchType::kStrategicMerge;
    if (ct == "application/apply-patch+yaml") return PatchType::kApply;
    return absl::InvalidArgumentError(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/apply-patch+yaml, application/strategic-merge-patch+json");
  }

  // The manager named by a User-Agent: its text before the first "/", printable characters
  // only, at most 128.
  static std::string ManagerFromUserAgent(const httplib::Request& req) {
    std::string ua = req.get_header_value("User-Agent");
    std::string out;
    for (char c : ua.substr(0, ua.find('/'))) {
      if (out.size() >= 128) break;
      if (absl::ascii_isprint(static_cast<unsigned char>(c))) out += c;
    }
    return out;
  }

  // PATCH's apply options: fieldManager (required for apply; not the user agent) and force
  // (apply only). 422 as Kubernetes' PatchOptions validation.
  static absl::Status ApplyOptions(const httplib::Request& req, PatchType type, WriteOptions* wo) {
    std::string force = Param(req, "force");
    api::field::FieldErrors errs;
    if (type == PatchType::kApply) {
      wo->field_manager = Param(req, "fieldManager");
      wo->force = force == "true" || force == "1";
      if (wo->field_manager.empty()) {
        errs.Add(
            api::field::Required(api::field::Path("fieldManager"), "is required for apply patch"));
      }
    } else if (!force.empty()) {
      errs.Add(api::field::Forbidden(api::field::Path("force"),
                                     "may not be specified for non-apply patch"));
    }
    if (errs.empty()) return absl::OkStatus();
    return errs.ToStatus("PatchOptions.meta.k8s.io", "");
  }

  static void WriteUnsupportedMediaType(httplib::Response& res, const absl::Status& s) {
    WriteJson(res, 415,
              absl::StrCat(R"({"kind":"Status","apiVersion":"v1","metadata":{},)"
                           R"("status":"Failure","message":")",
                           s.message(), R"(","reason":"UnsupportedMediaType","code":415})"));
  }

  static api::FieldValidation Validation(const httplib::Request& req) {
    std::string v = Param(req, "fieldValidation");
    if (v == "Strict") return api::FieldValidation::kStrict;
    if (v == "Ignore") return api::FieldValidation::kIgnore;
    return api::FieldValidation::kWarn;
  }

  absl::StatusOr<ObjectPtr> DecodeBody(const httplib::Request& req, httplib::Response& res,
                                       const KindInfo& kind) {
    if (IsProtobuf(req)) {
      ObjectPtr obj = kind.New();
      RUDDER_RETURN_IF_ERROR(DecodeProtobufBody(req.body, obj.get(), &kind));
      return obj;
    }
    api::JsonDecodeOptions dec;
    dec.validation = Validation(req);
    dec.max_bytes = options_.max_body_bytes;
    absl::StatusOr<api::TypeMeta> tm = api::PeekTypeMeta(req.body, dec);
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
    ObjectPtr obj = kind.New();
    absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJson(req.body, obj.get(), dec);
    if (!r.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          dec.validation == api::FieldValidation::kStrict ? "strict decoding error: " : "",
          r.status().message()));
    }
    if (kind.unknown_fields && dec.validation != api::FieldValidation::kIgnore) {
      // Fields a custom resource's schema drops: reported as the decoder reports its own.
      std::vector<std::string> unknown;
      for (const std::string& f : kind.unknown_fields(*obj)) {
        unknown.push_back(absl::StrCat("unknown field \"", f, "\""));
      }
      if (!unknown.empty() && dec.validation == api::FieldValidation::kStrict) {
        return absl::InvalidArgumentError(
            absl::StrCat("strict decoding error: ", absl::StrJoin(unknown, ", ")));
      }
      r->warnings.insert(r->warnings.end(), unknown.begin(), unknown.end());
    }
    for (const std::string& w : r->warnings) {
      std::string quoted;
      for (char c : w) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
      }
      res.set_header("Warning", absl::StrCat("299 - \"", quoted, "\""));
    }
    return obj;
  }

  void Respond(const httplib::Request& req, httplib::Response& res, const KindInfo& kind,
               const absl::StatusOr<ObjectPtr>& obj, int code) {
    if (!obj.ok()) return WriteError(res, obj.status());
    absl::StatusOr<std::string> json = EncodeObject(kind, **obj);
    if (!json.ok()) return WriteError(res, absl::InternalError(json.status().message()));
    if (req.method == "GET" && WantsTable(req)) {
      return WriteJson(
          res, 200,
          rest_internal::RenderTable(kind, {*json}, api::GetObjectMeta(**obj)->resourceversion(),
                                     "", absl::Now()));
    }
    WriteJson(res, code, *json);
  }

  ListOptions ListOpts(const httplib::Request& req) {
    ListOptions o;
    o.label_selector = Param(req, "labelSelector");
    o.field_selector = Param(req, "fieldSelector");
    o.resource_version = Param(req, "resourceVersion");
    o.continue_token = Param(req, "continue");
    int64_t limit = 0;
    if (absl::SimpleAtoi(Param(req, "limit"), &limit) && limit > 0) o.limit = limit;
    return o;
  }

  // A LIST page. Objects the watch cache serves come with their JSON made once per object
  // version (shared with every other list and watch); the body refers to those bytes and is
  // written out in batches with its Content-Length, never assembled as one string. Objects
  // read from the store (continue pages, old exact revisions) are encoded here.
  void List(const httplib::Request& req, httplib::Response& res, const Target& t) {
    const KindInfo& kind = *t.kind;
    ListOptions lo = ListOpts(req);
    lo.share_cached_objects = true;
    auto list = std::make_shared<ListResult>();
    if (absl::StatusOr<ListResult> r = registry_.List(kind, t.ns, lo); r.ok()) {
      *list = std::move(*r);
    } else {
      return WriteError(res, r.status());
    }
    const bool table = WantsTable(req);
    // Custom resources' list items carry apiVersion and kind, as in Kubernetes; built-in
    // kinds' do not.
    const bool typed_items = table || kind.custom_resource;
    const std::string type_meta =
        rest_internal::TypeMetaPrefix(kind.gvk.ApiVersion(), kind.gvk.kind);
    std::string rv = absl::StrCat(list->resource_version);
    std::string head =
        absl::StrCat(R"({"kind":")", kind.list_kind, R"(","apiVersion":")", kind.gvk.ApiVersion(),
                     R"(","metadata":{"resourceVersion":")", rv, "\"");
    if (!list->continue_token.empty()) {
      absl::StrAppend(&head, R"(,"continue":")", list->continue_token, "\"");
      if (list->remaining >= 0)
        absl::StrAppend(&head, R"(,"remainingItemCount":)", list->remaining);
    }
    absl::StrAppend(&head, R"(},"items":[)");
    auto body = std::make_shared<rest_internal::JsonListBody>(std::move(head), "]}");
    for (size_t i = 0; i < list->shared_items.size(); ++i) {
      const google::protobuf::Message& obj = *list->shared_items[i];
      const cache::ValueRef* v = i < list->shared_values.size() && list->shared_values[i] != nullptr
                                     ? &list->shared_values[i]
                                     : nullptr;
      if (v != nullptr && (*v)->Encoded().ok()) {
        std::string_view json = *(*v)->Encoded();
        if (typed_items) {
          body->AddView(json);
          continue;
        }
        if (std::string_view rest = rest_internal::AfterTypeMeta(json, type_meta); !rest.empty()) {
          body->AddView(rest, /*open_brace=*/true);
          continue;
        }
      }
      absl::StatusOr<std::string> json =
          typed_items ? EncodeObject(kind, obj) : api::EncodeJson(obj);
      if (!json.ok()) return WriteError(res, absl::InternalError(json.status().message()));
      body->AddOwned(std::move(*json));
    }
    for (const ObjectPtr& obj : list->items) {
      absl::StatusOr<std::string> json =
          typed_items ? EncodeObject(kind, *obj) : api::EncodeJson(*obj);
      if (!json.ok()) return WriteError(res, absl::InternalError(json.status().message()));
      body->AddOwned(std::move(*json));
    }
    if (table) {
      res.status = 200;
      res.body = rest_internal::RenderTable(kind, body->ItemViews(), rv, list->continue_token,
                                            absl::Now());
      res.set_header("Content-Type", kJson);
      return;
    }
    res.status = 200;
    // With its length, cpp-httplib sends the body as it is produced (and uncompressed: on
    // loopback and fast links compressing costs more than it saves).
    res.set_content_provider(body->size(), kJson,
                             [list, body](size_t, size_t, httplib::DataSink& sink) {
                               std::string batch;
                               batch.reserve(kListBatchBytes + 64 * 1024);
                               if (!body->Next(kListBatchBytes, &batch)) return false;
                               return sink.write(batch.data(), batch.size());
                             });
  }

  // One watch event line. Objects the watch cache serves come with their JSON made once per
  // object version and shared by every watcher (and list) that sends it.
  static std::string EventJson(const KindInfo& kind, const ObjectEvent& e, bool table) {
    std::string_view obj;
    std::string own;
    if (e.type == "ERROR") {
      own = ToApiStatusJson(e.error);
      obj = own;
    } else {
      const google::protobuf::Message& m = e.object != nullptr ? *e.object : *e.shared;
      bool encoded = true;
      if (e.shared_value != nullptr && e.shared_value->Encoded().ok()) {
        obj = *e.shared_value->Encoded();
      } else {
        absl::StatusOr<std::string> json = EncodeObject(kind, m);
        encoded = json.ok();
        own = json.ok() ? *std::move(json)
                        : ToApiStatusJson(absl::InternalError(json.status().message()));
        obj = own;
      }
      if (encoded && table && e.type != "BOOKMARK") {
        // kubectl get -w asks for tables: each event carries a one-row Table.
        own = rest_internal::RenderTable(kind, {obj}, api::GetObjectMeta(m)->resourceversion(), "",
                                         absl::Now());
        obj = own;
      }
    }
    std::string line = absl::StrCat(R"({"type":")", e.type, R"(","object":)");
    line.append(obj);
    line.append("}\n");
    return line;
  }

  void Watch(const httplib::Request& req, httplib::Response& res, const Target& t) {
    WatchOptions o;
    o.selectors = ListOpts(req);
    o.resource_version = o.selectors.resource_version;
    o.share_cached_objects = true;
    std::string b = Param(req, "allowWatchBookmarks");
    o.allow_bookmarks = b == "true" || b == "1";
    int64_t timeout_s = 1800;
    if (int64_t v; absl::SimpleAtoi(Param(req, "timeoutSeconds"), &v) && v > 0) timeout_s = v;
    absl::Time deadline = absl::Now() + absl::Seconds(timeout_s);
    std::deque<ObjectEvent> first;
    std::shared_ptr<ObjectWatcher> watcher;
    absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = registry_.Watch(*t.kind, t.ns, o);
    if (!w.ok()) {
      if (ToApiStatus(w.status()).code() != 410) return WriteError(res, w.status());
      ObjectEvent e;
      e.type = "ERROR";
      e.error = w.status();
      first.push_back(std::move(e));
    } else {
      watcher = std::move(*w);
      MutexLock l(&mu_);
      if (stopping_) return WriteError(res, absl::UnavailableError("the server is shutting down"));
      watchers_.insert(watcher.get());
    }
    auto kind = t.kind;
    const bool table = WantsTable(req);
    auto pending = std::make_shared<std::deque<ObjectEvent>>(std::move(first));
    res.status = 200;
    // The media type parameter keeps cpp-httplib from gzip-compressing the stream, which would
    // hold events back in the compressor; clients read it as application/json.
    res.set_chunked_content_provider(
        "application/json;stream=watch",
        [this, kind, watcher, pending, deadline, table](size_t, httplib::DataSink& sink) {
          while (true) {
            if (!pending->empty()) {
              std::string line = EventJson(*kind, pending->front(), table);
              pending->pop_front();
              if (!sink.write(line.data(), line.size())) return false;
              if (watcher == nullptr) {
                sink.done();
                return true;
              }
              continue;
            }
            if (stopping_.load() || watcher == nullptr || absl::Now() >= deadline) {
              sink.done();
              return true;
            }
            std::optional<ObjectEvent> e = watcher->Next(absl::Milliseconds(200));
            if (!e.has_value()) {
              if (sink.is_writable && !sink.is_writable()) return false;
              continue;
            }
            std::string line = EventJson(*kind, *e, table);
            if (!sink.write(line.data(), line.size())) return false;
            if (e->type == "ERROR") {
              sink.done();
              return true;
            }
            return true;
          }
        },
        [this, watcher](bool) {
          if (watcher == nullptr) return;
          MutexLock l(&mu_);
          watchers_.erase(watcher.get());
        });
  }

  // /api and /apis as one APIGroupDiscoveryList when the client asks for it (kubectl 1.26+).
  // Returns false when it does not.
  bool AggregatedDiscovery(const httplib::Request& req, httplib::Response& res, bool core) {
    std::string version = rest_internal::AggregatedDiscoveryVersion(req.get_header_value("Accept"));
    res.set_header("Vary", "Accept");
    if (version.empty()) return false;
    std::vector<rest_internal::DiscoveryGroup> groups;
    for (const auto& [group, v] : options_.scheme->GroupVersions()) {
      if (group.empty() != core) continue;
      meta::APIResourceList list;
      if (!ResourceList(group, v, &list)) continue;
      if (groups.empty() || groups.back().name != group) groups.push_back({group, {}});
      groups.back().versions.push_back(std::move(list));
    }
    res.status = 200;
    res.set_content(rest_internal::AggregatedDiscoveryJson(groups, version),
                    rest_internal::AggregatedDiscoveryContentType(version).c_str());
    return true;
  }

  void DiscoveryApi(const httplib::Request& req, httplib::Response& res) {
    if (AggregatedDiscovery(req, res, /*core=*/true)) return;
    WriteJson(res, 200,
              absl::StrCat(R"({"kind":"APIVersions","versions":["v1"],)"
                           R"("serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0",)"
                           R"("serverAddress":")",
                           options_.host, ":", port_, R"("}]})"));
  }

  void DiscoveryApis(const httplib::Request& req, httplib::Response& res) {
    if (AggregatedDiscovery(req, res, /*core=*/false)) return;
    meta::APIGroupList list;
    std::map<std::string, meta::APIGroup*> groups;
    for (const auto& [group, version] : options_.scheme->GroupVersions()) {
      if (group.empty()) continue;
      meta::APIGroup*& g = groups[group];
      if (g == nullptr) {
        g = list.add_groups();
        g->set_name(group);
      }
      meta::GroupVersionForDiscovery* v = g->add_versions();
      v->set_groupversion(absl::StrCat(group, "/", version));
      v->set_version(version);
      if (!g->has_preferredversion()) *g->mutable_preferredversion() = *v;
    }
    api::JsonEncodeOptions enc;
    enc.api_version = "v1";
    enc.kind = "APIGroupList";
    absl::StatusOr<std::string> json = api::EncodeJson(list, enc);
    if (!json.ok()) return WriteError(res, absl::InternalError(json.status().message()));
    WriteJson(res, 200, *json);
  }

  void DiscoveryGroupVersion(httplib::Response& res, const std::string& group,
                             const std::string& version) {
    meta::APIResourceList list;
    if (!ResourceList(group, version, &list)) return WriteError(res, NotFoundPath());
    api::JsonEncodeOptions enc;
    enc.api_version = "v1";
    enc.kind = "APIResourceList";
    absl::StatusOr<std::string> json = api::EncodeJson(list, enc);
    if (!json.ok()) return WriteError(res, absl::InternalError(json.status().message()));
    WriteJson(res, 200, *json);
  }

  // The resources of a group-version (subresources as "plural/sub"); false when it serves
  // none.
  bool ResourceList(const std::string& group, const std::string& version,
                    meta::APIResourceList* out) {
    meta::APIResourceList& list = *out;
    list.set_groupversion(group.empty() ? version : absl::StrCat(group, "/", version));
    bool any = false;
    for (const std::shared_ptr<const KindInfo>& k : options_.scheme->All()) {
      if (k->gvk.group != group || k->gvk.version != version || k->descriptor == nullptr) continue;
      any = true;
      meta::APIResource* r = list.add_resources();
      r->set_name(k->plural);
      r->set_singularname(k->singular);
      r->set_namespaced(k->namespaced);
      r->set_kind(k->gvk.kind);
      for (const std::string& v : k->verbs) r->add_verbs(v);
      for (const std::string& s : k->short_names) r->add_shortnames(s);
      for (const std::string& c : k->categories) r->add_categories(c);
      if (k->has_status) {
        meta::APIResource* s = list.add_resources();
        s->set_name(k->plural + "/status");
        s->set_singularname("");
        s->set_namespaced(k->namespaced);
        s->set_kind(k->gvk.kind);
        for (const char* v : {"get", "patch", "update"}) s->add_verbs(v);
      }
      if (IsNamespaceKind(*k)) {
        meta::APIResource* s = list.add_resources();
        s->set_name(k->plural + "/finalize");
        s->set_singularname("");
        s->set_namespaced(false);
        s->set_kind(k->gvk.kind);
        s->add_verbs("update");
      }
      if (IsPodKind(*k)) {
        meta::APIResource* s = list.add_resources();
        s->set_name(k->plural + "/eviction");
        s->set_singularname("");
        s->set_namespaced(true);
        s->set_group("policy");
        s->set_version("v1");
        s->set_kind("Eviction");
        s->add_verbs("create");
        meta::APIResource* l = list.add_resources();
        l->set_name(k->plural + "/log");
        l->set_singularname("");
        l->set_namespaced(true);
        l->set_kind(k->gvk.kind);
        l->add_verbs("get");
        meta::APIResource* b = list.add_resources();
        b->set_name(k->plural + "/binding");
        b->set_singularname("");
        b->set_namespaced(true);
        b->set_kind("Binding");
        b->add_verbs("create");
      }
      if (k->has_scale) {
        meta::APIResource* s = list.add_resources();
        s->set_name(k->plural + "/scale");
        s->set_singularname("");
        s->set_namespaced(k->namespaced);
        s->set_group("autoscaling");
        s->set_version("v1");
        s->set_kind("Scale");
        for (const char* v : {"get", "patch", "update"}) s->add_verbs(v);
      }
    }
    return any;
  }

  ApiServerOptions options_;
  Registry registry_;
  openapi::OpenApiService openapi_;
  std::shared_ptr<admission::Authenticator> authenticator_;
  std::shared_ptr<admission::Authorizer> authorizer_;
  std::unique_ptr<crd::CrdController> crds_;  // serves CustomResourceDefinitions
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<PodLogSource> pod_logs_;  // set by Init
  Mutex mu_;
  std::string openapi_v2_etag_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::string> openapi_v2_proto_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::set<ObjectWatcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(const ApiServerOptions& options) {
  if (options.store == nullptr || options.scheme == nullptr) {
    return absl::InvalidArgumentError("ApiServerOptions needs a store and a scheme");
  }
  auto server = std::make_unique<ApiServerImpl>(options);
  RUDDER_RETURN_IF_ERROR(server->Init());
  return server;
}

}  // namespace rudder::apiserver
