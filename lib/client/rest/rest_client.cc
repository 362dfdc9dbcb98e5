#include "lib/client/rest/rest_client.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "httplib.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/client/rest/internal/envelope.pb.h"
#include "lib/client/rest/internal/event_queue.h"
#include "lib/client/rest/status.h"
#include "yaml-cpp/yaml.h"

namespace rudder::client {
namespace {

namespace meta = api::meta::v1;
using api::KindInfo;

constexpr char kJson[] = "application/json";
// How long an idle watch connection may stay silent before the client gives up on it.
constexpr time_t kWatchReadTimeoutSeconds = 3600;
// A response's Content-Length reserves at most this much ahead (larger bodies still grow).
constexpr uint64_t kMaxReservedBody = uint64_t{1} << 30;

// Percent-encodes a query value or path segment (RFC 3986 unreserved characters stay).
std::string Escape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Builds "?a=b&c=d".
class Query {
 public:
  void Add(absl::string_view key, absl::string_view value) {
    if (value.empty()) return;
    absl::StrAppend(&q_, q_.empty() ? "?" : "&", key, "=", Escape(value));
  }
  const std::string& str() const { return q_; }

 private:
  std::string q_;
};

std::string PathOf(const KindInfo& kind, const std::string& ns, const std::string& name,
                   absl::string_view subresource = "") {
  std::string p = kind.gvk.group.empty()
                      ? absl::StrCat("/api/", kind.gvk.version)
                      : absl::StrCat("/apis/", kind.gvk.group, "/", kind.gvk.version);
  if (kind.namespaced && !ns.empty()) absl::StrAppend(&p, "/namespaces/", Escape(ns));
  absl::StrAppend(&p, "/", kind.plural);
  if (!name.empty()) absl::StrAppend(&p, "/", Escape(name));
  if (!subresource.empty()) absl::StrAppend(&p, "/", subresource);
  return p;
}

api::JsonDecodeOptions ResponseDecodeOptions(size_t size) {
  api::JsonDecodeOptions dec;
  dec.validation = api::FieldValidation::kIgnore;
  dec.max_bytes = size + 1;
  return dec;
}

// Response bodies are decoded where they lie (DecodeJsonString: no copy of the body).
absl::StatusOr<ObjectPtr> DecodeObject(const KindInfo& kind, const std::string& json) {
  ObjectPtr obj = kind.New();
  if (obj == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", kind.gvk.ToString(), " has no message type"));
  }
  absl::StatusOr<api::JsonDecodeResult> r =
      api::DecodeJsonString(json, obj.get(), ResponseDecodeOptions(json.size()));
  if (!r.ok()) {
    return absl::DataLossError(absl::StrCat("the server sent a ", kind.gvk.kind,
                                            " that cannot be decoded: ", r.status().message()));
  }
  return obj;
}

// The error an HTTP response describes: its Status body, else the HTTP code.
absl::Status ErrorOf(int http_code, const std::string& body) {
  meta::Status st;
  absl::StatusOr<api::JsonDecodeResult> r =
      api::DecodeJson(body, &st, ResponseDecodeOptions(body.size()));
  if (r.ok() && r->type_meta.kind == "Status" && st.has_code()) {
    absl::Status out = FromApiStatus(st);
    if (!out.ok()) return out;
  }
  return absl::Status(
      CodeFromHttp(http_code, ""),
      absl::StrCat("the server answered HTTP ", http_code, ": ", body.substr(0, 512)));
}

absl::Status TransportError(httplib::Error e) {
  return absl::UnavailableError(
      absl::StrCat("the API server cannot be reached: ", httplib::to_string(e)));
}

// An event line of a watch stream.
ObjectEvent ParseEvent(const KindInfo& kind, absl::string_view line) {
  ObjectEvent e;
  meta::WatchEvent we;
  absl::StatusOr<api::JsonDecodeResult> r =
      api::DecodeJson(line, &we, ResponseDecodeOptions(line.size()));
  if (!r.ok() || we.type().empty()) {
    e.type = "ERROR";
    e.error = absl::DataLossError(
        absl::StrCat("malformed watch event: ", r.ok() ? "no type" : r.status().message()));
    return e;
  }
  e.type = we.type();
  const std::string& raw = we.object().raw();
  if (e.type == "ERROR") {
    meta::Status st;
    absl::StatusOr<api::JsonDecodeResult> sr =
        api::DecodeJson(raw, &st, ResponseDecodeOptions(raw.size()));
    e.error = sr.ok() ? FromApiStatus(st) : absl::DataLossError("malformed watch error");
    if (e.error.ok()) e.error = absl::UnknownError("the watch ended with an ERROR event");
    return e;
  }
  absl::StatusOr<ObjectPtr> obj = DecodeObject(kind, raw);
  if (!obj.ok()) {
    e.type = "ERROR";
    e.error = obj.status();
    return e;
  }
  e.object = *std::move(obj);
  return e;
}

// Message types `{metadata: ListMeta = 1; items: repeated <a kind's message> = 2}`, one per
// kind, built on first use in a pool layered over the generated one: a LIST is decoded in one
// pass, each item straight into a message of its kind (generated, so it can be handed out).
// Process-wide and never freed (the JSON codec keeps a plan per descriptor); thread-safe.
class ListTypes {
 public:
  static ListTypes& Get() {
    static ListTypes* types = new ListTypes();
    return *types;
  }

  // The prototype of the list of `item`s, or nullptr if there is none.
  const google::protobuf::Message* PrototypeFor(const google::protobuf::Descriptor* item) {
    MutexLock l(&mu_);
    auto it = prototypes_.find(item);
    if (it != prototypes_.end()) return it->second;
    const google::protobuf::Message* p = BuildLocked(item);
    prototypes_.emplace(item, p);
    return p;
  }

 private:
  ListTypes() : pool_(google::protobuf::DescriptorPool::generated_pool()), factory_(&pool_) {
    factory_.SetDelegateToGeneratedFactory(true);
  }

  const google::protobuf::Message* BuildLocked(const google::protobuf::Descriptor* item)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    using google::protobuf::FieldDescriptorProto;
    const google::protobuf::Descriptor* list_meta = meta::ListMeta::descriptor();
    google::protobuf::FileDescriptorProto file;
    const std::string name = absl::StrCat("List", prototypes_.size());
    file.set_name(absl::StrCat("rudder/client/rest/lists/", name, ".proto"));
    file.set_package("rudder.client.rest.lists");
    file.set_syntax("proto2");
    file.add_dependency(list_meta->file()->name());
    if (item->file() != list_meta->file()) file.add_dependency(item->file()->name());
    google::protobuf::DescriptorProto* msg = file.add_message_type();
    msg->set_name(name);
    auto add = [msg](const char* field, int number, FieldDescriptorProto::Label label,
                     const google::protobuf::Descriptor* type) {
      FieldDescriptorProto* f = msg->add_field();
      f->set_name(field);
      f->set_number(number);
      f->set_label(label);
      f->set_type(FieldDescriptorProto::TYPE_MESSAGE);
      f->set_type_name(absl::StrCat(".", type->full_name()));
    };
    add("metadata", 1, FieldDescriptorProto::LABEL_OPTIONAL, list_meta);
    add("items", 2, FieldDescriptorProto::LABEL_REPEATED, item);
    const google::protobuf::FileDescriptor* built = pool_.BuildFile(file);
    if (built == nullptr) return nullptr;
    return factory_.GetPrototype(built->message_type(0));
  }

  Mutex mu_;
  google::protobuf::DescriptorPool pool_ ABSL_GUARDED_BY(mu_);
  google::protobuf::DynamicMessageFactory factory_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<const google::protobuf::Descriptor*, const google::protobuf::Message*>
      prototypes_ ABSL_GUARDED_BY(mu_);
};

// The list prototype of a kind whose items decode as nested messages: kinds with a generated
// message other than CustomObject. nullptr for the others.
const google::protobuf::Message* TypedListPrototype(const KindInfo& kind) {
  const google::protobuf::Descriptor* d = kind.descriptor;
  if (d == nullptr || kind.custom_resource ||
      d->full_name() == "rudder.api.unstructured.CustomObject" ||
      d->file()->pool() != google::protobuf::DescriptorPool::generated_pool()) {
    return nullptr;
  }
  return ListTypes::Get().PrototypeFor(d);
}

class RestClient;

// A watch stream read by its own thread (and connection) into an EventQueue.
class RestWatcher final : public ObjectWatcher {
 public:
  RestWatcher(std::shared_ptr<const KindInfo> kind, std::unique_ptr<httplib::Client> http)
      : kind_(std::move(kind)), http_(std::move(http)) {}

  ~RestWatcher() override {
    Cancel();
    if (thread_.joinable()) thread_.join();
  }

  // Sends the request and waits for the response headers. Non-OK: the server refused the
  // watch (its Status).
  absl::Status Start(const std::string& path) {
    thread_ = std::thread([this, path] { Run(path); });
    int code;
    {
      MutexLock l(&mu_);
      while (!headers_ && !finished_) cv_.Wait(&mu_);
      code = http_code_;
      if (code == 200) return absl::OkStatus();
      while (!finished_) cv_.Wait(&mu_);
    }
    thread_.join();
    MutexLock l(&mu_);
    if (code == 0) return transport_error_;
    return ErrorOf(code, error_body_);
  }

  std::optional<ObjectEvent> Next(absl::Duration timeout) override { return queue_.Next(timeout); }

  void Cancel() override {
    {
      MutexLock l(&mu_);
      if (cancelled_) return;
      cancelled_ = true;
    }
    http_->stop();
    queue_.Close();
  }

 private:
  void Run(const std::string& path) {
    std::string buffer;
    httplib::Result res = http_->Get(
        path, httplib::Headers{{"Accept", kJson}},
        [this](const httplib::Response& r) {
          MutexLock l(&mu_);
          http_code_ = r.status;
          headers_ = true;
          cv_.SignalAll();
          return !cancelled_;
        },
        [this, &buffer](const char* data, size_t n) {
          {
            MutexLock l(&mu_);
            if (cancelled_) return false;
            if (http_code_ != 200) {
              error_body_.append(data, n);
              return error_body_.size() < (1 << 20);
            }
          }
          buffer.append(data, n);
          size_t start = 0;
          for (size_t nl = buffer.find('\n'); nl != std::string::npos;
               nl = buffer.find('\n', start)) {
            absl::string_view line(buffer.data() + start, nl - start);
            start = nl + 1;
            if (absl::StripAsciiWhitespace(line).empty()) continue;
            queue_.Push(ParseEvent(*kind_, line));
          }
          buffer.erase(0, start);
          return true;
        });
    bool cancelled;
    int code;
    {
      MutexLock l(&mu_);
      if (!res) transport_error_ = TransportError(res.error());
      finished_ = true;
      cancelled = cancelled_;
      code = http_code_;
      cv_.SignalAll();
    }
    if (!cancelled && code == 200) {
      // The server ended the stream (timeout, shutdown, connection loss): re-watch.
      ObjectEvent e;
      e.type = "ERROR";
      e.error = absl::UnavailableError("the watch stream was closed by the server");
      queue_.Push(std::move(e));
    }
    queue_.Close();
  }

  std::shared_ptr<const KindInfo> kind_;
  std::unique_ptr<httplib::Client> http_;
  internal::EventQueue queue_;
  Mutex mu_;
  CondVar cv_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool headers_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int http_code_ ABSL_GUARDED_BY(mu_) = 0;
  std::string error_body_ ABSL_GUARDED_BY(mu_);
  absl::Status transport_error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class RestClient final : public Client {
 public:
  RestClient(const RestClientOptions& options, api::Scheme* scheme)
      : options_(options), scheme_(scheme) {}

  api::Scheme& scheme() const override { return *scheme_; }

  // A configured connection (not yet connected).
  std::unique_ptr<httplib::Client> NewConnection(bool watch) const {
    auto c = std::make_unique<httplib::Client>(options_.server, options_.client_certificate_file,
                                               options_.client_key_file);
    const time_t secs = std::max<int64_t>(1, absl::ToInt64Seconds(options_.timeout));
    c->set_connection_timeout(secs, 0);
    c->set_read_timeout(watch ? kWatchReadTimeoutSeconds : secs, 0);
    c->set_write_timeout(secs, 0);
    c->set_keep_alive(!watch);
    c->set_decompress(options_.compression);
    c->set_tcp_nodelay(true);
    if (!options_.bearer_token.empty()) c->set_bearer_token_auth(options_.bearer_token);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    if (!options_.certificate_authority_file.empty()) {
      c->set_ca_cert_path(options_.certificate_authority_file);
    }
    c->enable_server_certificate_verification(!options_.insecure_skip_tls_verify);
#endif
    return c;
  }

  absl::StatusOr<ObjectPtr> Create(const KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   const WriteOptions& options) override {
    if (obj == nullptr) return absl::InvalidArgumentError("Create: no object");
    std::string object_ns = ns;
    if (object_ns.empty()) {
      if (const meta::ObjectMeta* m = api::GetObjectMeta(*obj)) object_ns = m->namespace_();
    }
    if (kind.namespaced && object_ns.empty()) object_ns = "default";
    RUDDER_ASSIGN_OR_RETURN(std::string body, EncodeBody(kind, *obj));
    std::string path = PathOf(kind, object_ns, "") + WriteQuery(options);
    RUDDER_ASSIGN_OR_RETURN(std::string out, Send("POST", path, body, kJson));
    return DecodeObject(kind, out);
  }

  absl::StatusOr<ObjectPtr> Get(const KindInfo& kind, const std::string& ns,
                                const std::string& name) override {
    RUDDER_ASSIGN_OR_RETURN(std::string out, Send("GET", PathOf(kind, ns, name), "", ""));
    return DecodeObject(kind, out);
  }

  absl::StatusOr<ListResult> List(const KindInfo& kind, const std::string& ns,
                                  const ListOptions& options) override {
    Query q;
    q.Add("labelSelector", options.label_selector);
    q.Add("fieldSelector", options.field_selector);
    if (options.limit > 0) q.Add("limit", absl::StrCat(options.limit));
    q.Add("continue", options.continue_token);
    q.Add("resourceVersion", options.resource_version);
    q.Add("resourceVersionMatch", options.resource_version_match);
    RUDDER_ASSIGN_OR_RETURN(std::string out, Send("GET", PathOf(kind, ns, "") + q.str(), "", ""));
    ListResult result;
    const meta::ListMeta* list_meta = nullptr;
    rest::internal::ListEnvelope env;
    std::unique_ptr<google::protobuf::Message> typed;
    if (const google::protobuf::Message* prototype = TypedListPrototype(kind)) {
      // One pass: the items are decoded straight into the kind's messages.
      typed.reset(prototype->New());
      api::JsonDecodeOptions dec = ResponseDecodeOptions(out.size());
      dec.max_depth += 2;  // the list object and its items array
      absl::StatusOr<api::JsonDecodeResult> r = api::DecodeJsonString(out, typed.get(), dec);
      if (!r.ok()) {
        return absl::DataLossError(
            absl::StrCat("the server sent a ", kind.gvk.kind,
                         " list that cannot be decoded: ", r.status().message()));
      }
      const google::protobuf::Reflection* refl = typed->GetReflection();
      const google::protobuf::Descriptor* d = typed->GetDescriptor();
      list_meta = static_cast<const meta::ListMeta*>(&refl->GetMessage(*typed, d->field(0)));
      auto* items =
          refl->MutableRepeatedPtrField<google::protobuf::Message>(typed.get(), d->field(1));
      const int n = items->size();
      std::vector<google::protobuf::Message*> released(n);
      items->ExtractSubrange(0, n, released.data());
      result.items.reserve(n);
      for (google::protobuf::Message* m : released) result.items.emplace_back(m);
    } else {
      // Custom resources (held by CustomObject, which decodes only as a whole object): the
      // items are cut out of the list and decoded one by one.
      absl::StatusOr<api::JsonDecodeResult> r =
          api::DecodeJsonString(out, &env, ResponseDecodeOptions(out.size()));
      if (!r.ok()) {
        return absl::DataLossError(
            absl::StrCat("the server sent a list that cannot be decoded: ", r.status().message()));
      }
      result.items.reserve(env.items_size());
      for (const api::runtime::RawExtension& item : env.items()) {
        RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, DecodeObject(kind, item.raw()));
        result.items.push_back(std::move(obj));
      }
      list_meta = &env.metadata();
    }
    if (!absl::SimpleAtoi(list_meta->resourceversion(), &result.resource_version)) {
      result.resource_version = 0;
    }
    result.continue_token = list_meta->continue_();
    result.remaining = list_meta->has_remainingitemcount() ? list_meta->remainingitemcount() : -1;
    return result;
  }

  absl::StatusOr<ObjectPtr> Update(const KindInfo& kind, const std::string& ns, ObjectPtr obj,
                                   bool status, const WriteOptions& options) override {
    if (obj == nullptr) return absl::InvalidArgumentError("Update: no object");
    const meta::ObjectMeta* m = api::GetObjectMeta(*obj);
    if (m == nullptr || m->name().empty()) {
      return absl::InvalidArgumentError("Update: the object has no metadata.name");
    }
    std::string object_ns = ns.empty() ? m->namespace_() : ns;
    if (kind.namespaced && object_ns.empty()) object_ns = "default";
    RUDDER_ASSIGN_OR_RETURN(std::string body, EncodeBody(kind, *obj));
    std::string path =
        PathOf(kind, object_ns, m->name(), status ? "status" : "") + WriteQuery(options);
    RUDDER_ASSIGN_OR_RETURN(std::string out, Send("PUT", path, body, kJson));
    return DecodeObject(kind, out);
  }

  absl::StatusOr<ObjectPtr> FinalizeNamespace(ObjectPtr ns_obj,
                                              const WriteOptions& options) override {
    if (ns_obj == nullptr) return absl::InvalidArgumentError("FinalizeNamespace: no object");
    std::shared_ptr<const KindInfo> kind = scheme().ByResource({"", "v1", "namespaces"});
    if (kind == nullptr) return absl::NotFoundError("the scheme has no namespaces");
    const meta::ObjectMeta* m = api::GetObjectMeta(*ns_obj);
    if (m == nullptr || m->name().empty()) {
      return absl::InvalidArgumentError("FinalizeNamespace: the object has no metadata.name");
    }
    RUDDER_ASSIGN_OR_RETURN(std::string body, EncodeBody(*kind, *ns_obj));
    std::string path = PathOf(*kind, "", m->name(), "finalize") + WriteQuery(options);
    RUDDER_ASSIGN_OR_RETURN(std::string out, Send("PUT", path, body, kJson));
    return DecodeObject(*kind, out);
  }

  absl::Status Bind(const std::string& ns, const api::core::v1::Binding& binding,
                    const WriteOptions& options) override {
    std::shared_ptr<const KindInfo> pods = scheme().ByResource({"", "v1", "pods"});
    std::shared_ptr<const KindInfo> kind = scheme().ByResource({"", "v1", "bindings"});
    if (pods == nullptr || kind == nullptr) return absl::NotFoundError("the scheme has no pods");
    const std::string& n = ns.empty() ? binding.metadata().namespace_() : ns;
    RUDDER_ASSIGN_OR_RETURN(std::string body, EncodeBody(*kind, binding));
    std::string path =
        PathOf(*pods, n.empty() ? "default" : n, binding.metadata().name(), "binding") +
        WriteQuery(options);
    return Send("POST", path, body, kJson).status();
  }

  absl::Status Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                     const WriteOptions& options) override {
    std::shared_ptr<const KindInfo> pods = scheme().ByResource({"", "v1", "pods"});
    if (pods == nullptr) return absl::NotFoundError("the scheme has no pods");
    const std::string& n = ns.empty() ? eviction.metadata().namespace_() : ns;
    api::JsonEncodeOptions enc;
    enc.api_version = "policy/v1";
    enc.kind = "Eviction";
    absl::StatusOr<std::string> body = api::EncodeJson(eviction, enc);
    if (!body.ok()) return absl::InvalidArgumentError(body.status().message());
    Query q;
    if (options.dry_run) q.Add("dryRun", "All");
    std::string path =
        PathOf(*pods, n.empty() ? "default" : n, eviction.metadata().name(), "eviction") + q.str();
    return Send("POST", path, *body, kJson).status();
  }

  absl::StatusOr<ObjectPtr> Patch(const KindInfo& kind, const std::string& ns,
                                  const std::string& name, PatchType type, const std::string& patch,
                                  bool status, const WriteOptions& options) override {
    const char* ct = "application/merge-patch+json";
    if (type == PatchType::kJson) ct = "application/json-patch+json";
    if (type == PatchType::kStrategicMerge) ct = "application/strategic-merge-patch+json";
    Query q;
    if (options.dry_run) q.Add("dryRun", "All");
    if (type == PatchType::kApply) {
      // Apply names its manager itself (the server requires one): no default is sent.
      ct = "application/apply-patch+yaml";
      q.Add("fieldManager", options.field_manager);
    } else {
      q.Add("fieldManager",
            options.field_manager.empty() ? options_.field_manager : options.field_manager);
    }
    // The server refuses force for patch types other than apply.
    if (options.force) q.Add("force", "true");
    std::string path = PathOf(kind, ns, name, status ? "status" : "") + q.str();
    RUDDER_ASSIGN_OR_RETURN(std::string out, Send("PATCH", path, patch, ct));
    return DecodeObject(kind, out);
  }

  absl::StatusOr<ObjectPtr> Delete(const KindInfo& kind, const std::string& ns,
                                   const std::string& name, const DeleteOptions& options) override {
    meta::DeleteOptions d;
    if (options.precondition_uid) d.mutable_preconditions()->set_uid(*options.precondition_uid);
    if (options.precondition_resource_version) {
      d.mutable_preconditions()->set_resourceversion(*options.precondition_resource_version);
    }
    if (options.grace_period_seconds) d.set_graceperiodseconds(*options.grace_period_seconds);
    if (options.propagation_policy) d.set_propagationpolicy(*options.propagation_policy);
    if (options.orphan_dependents) d.set_orphandependents(*options.orphan_dependents);
    if (options.dry_run) d.add_dryrun("All");
    api::JsonEncodeOptions enc;
    enc.api_version = "v1";
    enc.kind = "DeleteOptions";
    RUDDER_ASSIGN_OR_RETURN(std::string body, api::EncodeJson(d, enc));
    RUDDER_ASSIGN_OR_RETURN(std::string out, Send("DELETE", PathOf(kind, ns, name), body, kJson));
    absl::StatusOr<api::TypeMeta> tm = api::PeekTypeMeta(out, ResponseDecodeOptions(out.size()));
    if (tm.ok() && tm->kind == "Status" && kind.gvk.kind != "Status") {
      // Gone at once: Kubernetes answers with a Success Status naming the object.
      meta::Status st;
      absl::StatusOr<api::JsonDecodeResult> r =
          api::DecodeJson(out, &st, ResponseDecodeOptions(out.size()));
      if (!r.ok()) return absl::DataLossError("the server sent a malformed Status");
      ObjectPtr obj = kind.New();
      if (obj == nullptr) return absl::InvalidArgumentError("kind has no message type");
      if (meta::ObjectMeta* m = api::MutableObjectMeta(obj.get())) {
        m->set_name(st.details().has_name() ? st.details().name() : name);
        if (kind.namespaced && !ns.empty()) m->set_namespace_(ns);
        if (st.details().has_uid()) m->set_uid(st.details().uid());
      }
      return obj;
    }
    return DecodeObject(kind, out);
  }

  absl::StatusOr<std::unique_ptr<ObjectWatcher>> Watch(const KindInfo& kind, const std::string& ns,
                                                       const WatchOptions& options) override {
    std::shared_ptr<const KindInfo> shared = scheme_->ByKind(kind.gvk);
    if (shared == nullptr) return absl::NotFoundError("kind is not registered");
    Query q;
    q.Add("watch", "1");
    q.Add("labelSelector", options.selectors.label_selector);
    q.Add("fieldSelector", options.selectors.field_selector);
    q.Add("resourceVersion", options.resource_version);
    if (options.allow_bookmarks) q.Add("allowWatchBookmarks", "true");
    auto w = std::make_unique<RestWatcher>(std::move(shared), NewConnection(/*watch=*/true));
    RUDDER_RETURN_IF_ERROR(w->Start(PathOf(kind, ns, "") + q.str()));
    return std::unique_ptr<ObjectWatcher>(std::move(w));
  }

  absl::StatusOr<std::unique_ptr<Scale>> GetScale(const KindInfo& kind, const std::string& ns,
                                                  const std::string& name) override {
    RUDDER_ASSIGN_OR_RETURN(std::string out, Send("GET", PathOf(kind, ns, name, "scale"), "", ""));
    return DecodeScale(out);
  }

  absl::StatusOr<std::unique_ptr<Scale>> UpdateScale(const KindInfo& kind, const std::string& ns,
                                                     const std::string& name,
                                                     const Scale& scale) override {
    api::JsonEncodeOptions enc;
    enc.api_version = "autoscaling/v1";
    enc.kind = "Scale";
    RUDDER_ASSIGN_OR_RETURN(std::string body, api::EncodeJson(scale, enc));
    RUDDER_ASSIGN_OR_RETURN(std::string out,
                            Send("PUT", PathOf(kind, ns, name, "scale"), body, kJson));
    return DecodeScale(out);
  }

 private:
  static absl::StatusOr<std::unique_ptr<Scale>> DecodeScale(const std::string& json) {
    auto scale = std::make_unique<Scale>();
    absl::StatusOr<api::JsonDecodeResult> r =
        api::DecodeJson(json, scale.get(), ResponseDecodeOptions(json.size()));
    if (!r.ok()) return absl::DataLossError("the server sent a malformed Scale");
    return scale;
  }

  static absl::StatusOr<std::string> EncodeBody(const KindInfo& kind, const Object& obj) {
    api::JsonEncodeOptions enc;
    enc.api_version = kind.gvk.ApiVersion();
    enc.kind = kind.gvk.kind;
    absl::StatusOr<std::string> body = api::EncodeJson(obj, enc);
    if (!body.ok()) return absl::InvalidArgumentError(body.status().message());
    return body;
  }

  std::string WriteQuery(const WriteOptions& options) const {
    Query q;
    if (options.dry_run) q.Add("dryRun", "All");
    q.Add("fieldManager",
          options.field_manager.empty() ? options_.field_manager : options.field_manager);
    return q.str();
  }

  std::unique_ptr<httplib::Client> Acquire() {
    {
      MutexLock l(&pool_mu_);
      if (!idle_.empty()) {
        std::unique_ptr<httplib::Client> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return NewConnection(/*watch=*/false);
  }

  void Release(std::unique_ptr<httplib::Client> c) {
    MutexLock l(&pool_mu_);
    if (static_cast<int>(idle_.size()) < options_.max_idle_connections) {
      idle_.push_back(std::move(c));
    }
  }

  // One request; the body of a 2xx answer, else the error it describes. A GET's body is read
  // into one buffer reserved from its Content-Length (no growth copies of large lists).
  absl::StatusOr<std::string> Send(const std::string& method, const std::string& path,
                                   const std::string& body, const char* content_type) {
    std::unique_ptr<httplib::Client> c = Acquire();
    httplib::Headers headers{{"Accept", kJson}};
    std::string out;
    int code = 0;
    httplib::Result res = [&] {
      if (method == "GET") {
        return c->Get(
            path, headers,
            [&out, &code](const httplib::Response& r) {
              code = r.status;
              uint64_t length = 0;
              if (absl::SimpleAtoi(r.get_header_value("Content-Length"), &length)) {
                out.reserve(std::min<uint64_t>(length, kMaxReservedBody));
              }
              return true;
            },
            [&out](const char* data, size_t n) {
              out.append(data, n);
              return true;
            });
      }
      if (method == "POST") return c->Post(path, headers, body, content_type);
      if (method == "PUT") return c->Put(path, headers, body, content_type);
      if (method == "PATCH") return c->Patch(path, headers, body, content_type);
      return c->Delete(path, headers, body, content_type);
    }();
    if (!res) return TransportError(res.error());
    if (method != "GET") {
      code = res->status;
      out = std::move(res->body);
    }
    Release(std::move(c));
    if (code < 200 || code >= 300) return ErrorOf(code, out);
    return out;
  }

  const RestClientOptions options_;
  api::Scheme* scheme_;
  Mutex pool_mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_ ABSL_GUARDED_BY(pool_mu_);
};

// Kubeconfig helpers: yaml-cpp throws on type mismatches; every access goes through these.
std::string Str(const YAML::Node& n, const char* key) {
  if (!n.IsMap() || !n[key] || !n[key].IsScalar()) return "";
  return n[key].as<std::string>();
}

std::optional<YAML::Node> Named(const YAML::Node& root, const char* list, const std::string& name,
                                const char* inner) {
  if (!root[list] || !root[list].IsSequence()) return std::nullopt;
  for (const YAML::Node& e : root[list]) {
    if (e.IsMap() && Str(e, "name") == name && e[inner] && e[inner].IsMap()) return e[inner];
  }
  return std::nullopt;
}

absl::StatusOr<RestClientOptions> ParseKubeconfigOrThrow(const std::string& yaml,
                                                         const std::string& context) {
  YAML::Node root = YAML::Load(yaml);
  if (!root.IsMap()) return absl::InvalidArgumentError("kubeconfig: not a YAML mapping");
  std::string ctx_name = context.empty() ? Str(root, "current-context") : context;
  if (ctx_name.empty()) return absl::NotFoundError("kubeconfig: no current-context");
  std::optional<YAML::Node> ctx_node = Named(root, "contexts", ctx_name, "context");
  if (!ctx_node)
    return absl::NotFoundError(absl::StrCat("kubeconfig: no context \"", ctx_name, "\""));
  const YAML::Node ctx = *ctx_node;
  std::string cluster_name = Str(ctx, "cluster");
  std::optional<YAML::Node> cluster_node = Named(root, "clusters", cluster_name, "cluster");
  if (!cluster_node) {
    return absl::NotFoundError(absl::StrCat("kubeconfig: no cluster \"", cluster_name, "\""));
  }
  const YAML::Node cluster = *cluster_node;
  RestClientOptions o;
  o.server = Str(cluster, "server");
  while (absl::EndsWith(o.server, "/")) o.server.pop_back();
  if (o.server.empty()) return absl::InvalidArgumentError("kubeconfig: cluster has no server");
  if (!Str(cluster, "certificate-authority-data").empty()) {
    return absl::UnimplementedError(
        "kubeconfig: certificate-authority-data is not supported; use certificate-authority");
  }
  o.certificate_authority_file = Str(cluster, "certificate-authority");
  o.insecure_skip_tls_verify = Str(cluster, "insecure-skip-tls-verify") == "true";
  std::string user_name = Str(ctx, "user");
  if (!user_name.empty()) {
    std::optional<YAML::Node> user_node = Named(root, "users", user_name, "user");
    if (!user_node)
      return absl::NotFoundError(absl::StrCat("kubeconfig: no user \"", user_name, "\""));
    const YAML::Node user = *user_node;
    if (!Str(user, "client-certificate-data").empty() || !Str(user, "client-key-data").empty()) {
      return absl::UnimplementedError(
          "kubeconfig: client-certificate-data and client-key-data are not supported; use "
          "client-certificate and client-key");
    }
    if (user.IsMap() && (user["exec"] || user["auth-provider"])) {
      return absl::UnimplementedError("kubeconfig: exec and auth-provider are not supported");
    }
    o.bearer_token = Str(user, "token");
    if (std::string file = Str(user, "tokenFile"); o.bearer_token.empty() && !file.empty()) {
      std::ifstream in(file);
      if (!in) return absl::NotFoundError(absl::StrCat("kubeconfig: cannot read ", file));
      std::stringstream ss;
      ss << in.rdbuf();
      o.bearer_token = std::string(absl::StripAsciiWhitespace(ss.str()));
    }
    o.client_certificate_file = Str(user, "client-certificate");
    o.client_key_file = Str(user, "client-key");
  }
  return o;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> NewRestClient(const RestClientOptions& options,
                                                      api::Scheme* scheme) {
  const bool https = absl::StartsWith(options.server, "https://");
  if (!https && !absl::StartsWith(options.server, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("server \"", options.server, "\" is not an http:// or https:// URL"));
  }
  absl::string_view rest = absl::string_view(options.server).substr(https ? 8 : 7);
  if (rest.empty() || absl::StrContains(rest, '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat("server \"", options.server, "\": want scheme://host[:port] with no path"));
  }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (https) return absl::UnimplementedError("this build of cpp-httplib has no TLS support");
#endif
  if (options.client_certificate_file.empty() != options.client_key_file.empty()) {
    return absl::InvalidArgumentError("client certificate and key: both or neither");
  }
  return std::unique_ptr<Client>(std::make_unique<RestClient>(options, scheme));
}

absl::StatusOr<RestClientOptions> ParseKubeconfig(const std::string& yaml,
                                                  const std::string& context) {
  try {
    return ParseKubeconfigOrThrow(yaml, context);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.what()));
  }
}

absl::StatusOr<RestClientOptions> LoadKubeconfig(const std::string& path,
                                                 const std::string& context) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read kubeconfig ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseKubeconfig(ss.str(), context);
}

}  // namespace rudder::client
