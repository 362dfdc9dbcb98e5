// Server-side apply and managedFields bookkeeping of the Registry.
#include "lib/api/apply/apply.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "lib/api/apply/schema.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/yaml.h"
#include "lib/api/field/errors.h"
#include "lib/api/object/object.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/status_macros.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::apiserver {
namespace {

namespace apply = api::apply;
using api::meta::v1::ObjectMeta;
using google::protobuf::Message;

constexpr int kMaxApplyRetries = 16;

// The fields the main resource of a kind with a status subresource does not own, and those
// the status subresource owns.
const apply::FieldSet& StatusFields() {
  static const apply::FieldSet* s = [] {
    auto* s = new apply::FieldSet;
    s->Insert({"f:status"});
    return s;
  }();
  return *s;
}
const apply::FieldSet& NonStatusFields() {
  static const apply::FieldSet* s = [] {
    auto* s = new apply::FieldSet;
    s->Insert({"f:spec"});
    s->Insert({"f:metadata"});
    return s;
  }();
  return *s;
}

// The object's JSON with apiVersion and kind, without metadata.managedFields.
absl::Status ObjectJson(const api::KindInfo& kind, const Message& obj, rapidjson::Document* out) {
  api::JsonEncodeOptions enc;
  enc.api_version = kind.gvk.ApiVersion();
  enc.kind = kind.gvk.kind;
  RUDDER_ASSIGN_OR_RETURN(std::string json, api::EncodeJson(obj, enc));
  out->Parse(json.data(), json.size());
  if (out->HasParseError() || !out->IsObject()) {
    return absl::InternalError("cannot read the encoded object");
  }
  auto meta = out->FindMember("metadata");
  if (meta != out->MemberEnd() && meta->value.IsObject()) meta->value.RemoveMember("managedFields");
  return absl::OkStatus();
}

// For status writes: {"status": <the object's status>} (the rest is not recorded), from the
// status message alone. False when the kind has no status message.
bool StatusJson(const Message& obj, rapidjson::Document* out) {
  const google::protobuf::FieldDescriptor* fd = obj.GetDescriptor()->FindFieldByName("status");
  if (fd == nullptr || fd->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE ||
      fd->is_repeated()) {
    return false;
  }
  out->SetObject();
  if (!obj.GetReflection()->HasField(obj, fd)) return true;
  absl::StatusOr<std::string> json = api::EncodeJson(obj.GetReflection()->GetMessage(obj, fd));
  if (!json.ok()) return false;
  rapidjson::Document status(&out->GetAllocator());
  status.Parse(json->data(), json->size());
  if (status.HasParseError()) return false;
  out->AddMember("status", rapidjson::Value(status, out->GetAllocator()), out->GetAllocator());
  return true;
}

std::string WriteJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string StringAt(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return "";
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

absl::Time Now() { return absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())); }

}  // namespace

absl::StatusOr<std::shared_ptr<const apply::Schema>> Registry::ApplySchemaFor(
    const api::KindInfo& kind) {
  const std::string key = kind.gvk.ToString();
  const std::string& source = kind.custom_resource ? kind.openapi_schema : std::string();
  {
    MutexLock l(&apply_mu_);
    auto it = apply_schemas_.find(key);
    if (it != apply_schemas_.end() && it->second.first == source) return it->second.second;
  }
  std::shared_ptr<const apply::Schema> schema;
  if (kind.custom_resource || kind.descriptor == nullptr) {
    absl::StatusOr<std::unique_ptr<apply::Schema>> s = apply::Schema::ForCustomResource(source);
    if (!s.ok()) return s.status();
    schema = std::move(*s);
  } else {
    schema = apply::Schema::ForMessage(kind.descriptor);
  }
  MutexLock l(&apply_mu_);
  apply_schemas_[key] = {source, schema};
  return schema;
}

void Registry::TrackManagedFields(const api::KindInfo& kind, Message* live, Message* next,
                                  bool status, const WriteOptions* options) {
  ObjectMeta* nm = api::MutableObjectMeta(next);
  const ObjectMeta* lm = live != nullptr ? api::GetObjectMeta(*live) : nullptr;
  // Clients that do not know managedFields must not erase them: an update without them keeps
  // the live ones; exactly one empty entry clears them.
  apply::Managers managers;
  if (apply::IsResetManagedFields(nm->managedfields())) {
    nm->clear_managedfields();
  } else if (nm->managedfields_size() > 0 && !status) {
    absl::StatusOr<apply::Managers> m = apply::DecodeManagedFields(nm->managedfields());
    if (m.ok()) {
      managers = std::move(*m);
    } else if (lm != nullptr) {
      *nm->mutable_managedfields() = lm->managedfields();
    } else {
      nm->clear_managedfields();
    }
  } else if (lm != nullptr) {
    *nm->mutable_managedfields() = lm->managedfields();
  }
  if (options == nullptr || options->field_manager.empty()) return;
  if (managers.empty() && nm->managedfields_size() > 0) {
    absl::StatusOr<apply::Managers> m = apply::DecodeManagedFields(nm->managedfields());
    if (m.ok()) managers = std::move(*m);  // broken live entries are dropped, as Kubernetes does
  }
  absl::StatusOr<std::shared_ptr<const apply::Schema>> schema = ApplySchemaFor(kind);
  if (!schema.ok()) return;
  nm->clear_managedfields();
  rapidjson::Document next_json, live_json;
  if (status && kind.custom_resource == false && StatusJson(*next, &next_json) &&
      (live == nullptr || StatusJson(*live, &live_json))) {
    // Only status is recorded: compare it alone.
  } else {
    if (!ObjectJson(kind, *next, &next_json).ok()) return;
    if (live != nullptr) {
      // Encoded without its managedFields (moved aside and back rather than copied).
      google::protobuf::RepeatedPtrField<api::meta::v1::ManagedFieldsEntry> saved;
      saved.Swap(api::MutableObjectMeta(live)->mutable_managedfields());
      absl::Status st = ObjectJson(kind, *live, &live_json);
      saved.Swap(api::MutableObjectMeta(live)->mutable_managedfields());
      if (!st.ok()) return;
    }
  }
  apply::WriteOptions wo;
  wo.manager = options->field_manager;
  wo.api_version = kind.gvk.ApiVersion();
  wo.subresource = status ? "status" : "";
  wo.now = Now();
  if (kind.has_status) wo.reset = status ? &NonStatusFields() : &StatusFields();
  apply::Managers updated = apply::Update(**schema, live != nullptr ? &live_json : nullptr,
                                          next_json, std::move(managers), wo);
  apply::EncodeManagedFields(updated, nm->mutable_managedfields());
}

absl::StatusOr<ObjectPtr> Registry::ApplyPatch(const api::KindInfo& kind, const std::string& ns,
                                               const std::string& name, const std::string& body,
                                               bool status, api::FieldValidation validation,
                                               const WriteOptions& options) {
  if (options.field_manager.empty()) {
    api::field::FieldErrors errs;
    errs.Add(api::field::Required(api::field::Path("fieldManager"), "is required for apply patch"));
    return errs.ToStatus("PatchOptions.meta.k8s.io", "");
  }
  // The configuration: YAML (JSON is YAML too).
  std::string json;
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(body), "{")) {
    json = body;
  } else {
    absl::StatusOr<std::string> j = api::YamlDocumentToJson(body);
    if (!j.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("error decoding YAML: ", j.status().message()));
    }
    json = std::move(*j);
  }
  rapidjson::Document config;
  config.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (config.HasParseError() || !config.IsObject()) {
    return absl::InvalidArgumentError("the applied configuration is not a JSON or YAML object");
  }
  const std::string api_version = StringAt(config, "apiVersion");
  const std::string kind_name = StringAt(config, "kind");
  if (api_version.empty() || kind_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid object type: ", api_version, ", Kind=", kind_name));
  }
  if (api_version != kind.gvk.ApiVersion() || kind_name != kind.gvk.kind) {
    return absl::InvalidArgumentError(
        absl::StrCat("the object in the request (", api_version, ", Kind=", kind_name,
                     ") does not match the resource (", kind.gvk.ToString(), ")"));
  }
  auto meta_it = config.FindMember("metadata");
  if (meta_it == config.MemberEnd()) {
    config.AddMember("metadata", rapidjson::Value(rapidjson::kObjectType), config.GetAllocator());
    meta_it = config.FindMember("metadata");
  }
  rapidjson::Value& meta = meta_it->value;
  if (!meta.IsObject()) return absl::InvalidArgumentError("metadata must be an object");
  if (meta.HasMember("managedFields") && !meta["managedFields"].IsNull()) {
    return absl::InvalidArgumentError("metadata.managedFields must be nil");
  }
  const std::string config_name = StringAt(meta, "name");
  if (!config_name.empty() && config_name != name) {
    return absl::InvalidArgumentError(absl::StrCat("the name of the object (", config_name,
                                                   ") does not match the name on the URL (", name,
                                                   ")"));
  }
  const std::string config_ns = StringAt(meta, "namespace");
  if (kind.namespaced && !config_ns.empty() && config_ns != ns) {
    return absl::InvalidArgumentError(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  // Fields the endpoint does not write are not applied (nor owned).
  if (status) {
    for (auto it = config.MemberBegin(); it != config.MemberEnd();) {
      std::string k(it->name.GetString(), it->name.GetStringLength());
      if (k != "apiVersion" && k != "kind" && k != "metadata" && k != "status") {
        it = config.EraseMember(it);
      } else {
        ++it;
      }
    }
    for (auto it = meta.MemberBegin(); it != meta.MemberEnd();) {
      std::string k(it->name.GetString(), it->name.GetStringLength());
      it =
          k == "name" || k == "namespace" || k == "resourceVersion" ? it + 1 : meta.EraseMember(it);
    }
  } else if (kind.has_status) {
    config.RemoveMember("status");
  }
  RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<const apply::Schema> schema, ApplySchemaFor(kind));
  apply::WriteOptions wo;
  wo.manager = options.field_manager;
  wo.api_version = kind.gvk.ApiVersion();
  wo.subresource = status ? "status" : "";
  wo.force = options.force;
  if (kind.has_status) wo.reset = status ? &NonStatusFields() : &StatusFields();
  const std::string key = KeyFor(kind, ns, name);
  // Strict decoding unless the client asked otherwise: an applied field the kind does not have
  // is an error, as the apply schema rejects it in Kubernetes.
  if (validation == api::FieldValidation::kWarn) validation = api::FieldValidation::kStrict;
  for (int attempt = 0; attempt < kMaxApplyRetries; ++attempt) {
    RUDDER_ASSIGN_OR_RETURN(std::optional<store::KeyValue> kv, store_->Get(key));
    ObjectPtr live;
    int64_t live_rv = 0;
    if (kv.has_value()) {
      live = kind.New();
      if (live == nullptr || !live->ParseFromString(kv->value)) {
        return absl::DataLossError(absl::StrCat("corrupt object at ", key));
      }
      live_rv = kv->mod_revision;
      api::MutableObjectMeta(live.get())->set_resourceversion(absl::StrCat(live_rv));
    } else if (status) {
      return WithDetails(NotFoundError(QualifiedResource(kind), name), kind.gvk.group, kind.plural,
                         name);
    }
    rapidjson::Document live_json;
    apply::Managers managers;
    if (live != nullptr) {
      absl::StatusOr<apply::Managers> m =
          apply::DecodeManagedFields(api::GetObjectMeta(*live)->managedfields());
      if (m.ok()) managers = std::move(*m);
      api::MutableObjectMeta(live.get())->clear_managedfields();
      RUDDER_RETURN_IF_ERROR(ObjectJson(kind, *live, &live_json));
    }
    wo.now = Now();
    absl::StatusOr<apply::ApplyResult> r = apply::Apply(
        *schema, live != nullptr ? &live_json : nullptr, config, std::move(managers), wo);
    if (!r.ok()) return absl::InvalidArgumentError(r.status().message());
    if (!r->conflicts.empty()) {
      std::vector<api::meta::v1::StatusCause> causes;
      for (const apply::Conflict& c : r->conflicts) {
        api::meta::v1::StatusCause cause;
        cause.set_reason("FieldManagerConflict");
        cause.set_message(absl::StrCat("conflict with ", c.manager));
        cause.set_field(c.field);
        causes.push_back(std::move(cause));
      }
      return ApplyConflictError(apply::ConflictMessage(r->conflicts), causes);
    }
    ObjectPtr next = kind.New();
    if (next == nullptr) return absl::UnimplementedError("unstructured kinds are not served yet");
    api::JsonDecodeOptions dec;
    dec.validation = validation;
    absl::StatusOr<api::JsonDecodeResult> d =
        api::DecodeJson(WriteJson(r->object), next.get(), dec);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(validation == api::FieldValidation::kStrict ? "strict decoding error: " : "",
                       d.status().message()));
    }
    if (kind.unknown_fields && validation == api::FieldValidation::kStrict) {
      std::vector<std::string> unknown;
      for (const std::string& f : kind.unknown_fields(*next)) {
        unknown.push_back(absl::StrCat("unknown field \"", f, "\""));
      }
      if (!unknown.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("strict decoding error: ", absl::StrJoin(unknown, ", ")));
      }
    }
    ObjectMeta* nm = api::MutableObjectMeta(next.get());
    apply::EncodeManagedFields(r->managers, nm->mutable_managedfields());
    if (live == nullptr) {
      // Apply creates what is missing.
      nm->set_name(name);
      if (kind.namespaced) nm->set_namespace_(ns);
      nm->clear_resourceversion();
      absl::StatusOr<ObjectPtr> created =
          CreateImpl(kind, ns, std::move(next), options, /*track=*/false);
      if (absl::IsAlreadyExists(created.status())) continue;  // created meanwhile: apply to it
      return created;
    }
    // A resourceVersion in the configuration is a precondition; otherwise retry on conflicts.
    const bool pinned = !StringAt(meta, "resourceVersion").empty();
    if (!pinned) nm->set_resourceversion(absl::StrCat(live_rv));
    absl::StatusOr<ObjectPtr> u =
        UpdateOnce(kind, ns, name, std::move(next), status, &options, /*track=*/false);
    if (u.ok() || u.status().code() != absl::StatusCode::kAborted || pinned) return u;
  }
  return WithDetails(ConflictError(QualifiedResource(kind), name,
                                   "the object has been modified; please apply your changes to "
                                   "the latest version and try again"),
                     kind.gvk.group, kind.plural, name);
}

}  // namespace rudder::apiserver
