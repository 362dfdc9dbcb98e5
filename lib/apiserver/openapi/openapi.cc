#include "lib/apiserver/openapi/openapi.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <set>
#include <typeinfo>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/api/proto/options.pb.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::apiserver::openapi {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The JSON form of a special type, found by comparing the registered handler's class with the
// codec's built-in ones.
enum class Form { kNone, kQuantity, kIntOrString, kTime, kDuration, kRaw, kOther };

Form FormOf(const api::JsonSpecialTypes& types, const Descriptor* d) {
  const api::JsonSpecialType* t = types.Find(d->full_name());
  if (t == nullptr) return Form::kNone;
  static const std::shared_ptr<const api::JsonSpecialType> forms[] = {
      api::NewQuantityJsonType(), api::NewIntOrStringJsonType(), api::NewTimeJsonType(),
      api::NewDurationJsonType(), api::NewRawJsonType()};
  const std::type_info& ti = typeid(*t);
  if (ti == typeid(*forms[0])) return Form::kQuantity;
  if (ti == typeid(*forms[1])) return Form::kIntOrString;
  if (ti == typeid(*forms[2])) return Form::kTime;
  if (ti == typeid(*forms[3])) return Form::kDuration;
  if (ti == typeid(*forms[4])) return Form::kRaw;
  return Form::kOther;
}

bool IsInline(const api::JsonSpecialTypes& types, const FieldDescriptor* fd) {
  if (fd->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || fd->is_repeated()) return false;
  if (types.IsInlineField(fd->full_name())) return true;
  static const FieldDescriptor* option =
      google::protobuf::DescriptorPool::generated_pool()->FindExtensionByName(
          "rudder.api.json_inline");
  if (option == nullptr || option->cpp_type() != FieldDescriptor::CPPTYPE_BOOL) return false;
  const google::protobuf::FieldOptions& o = fd->options();
  return o.GetReflection()->HasField(o, option) && o.GetReflection()->GetBool(o, option);
}

// Generates one document. `v3` selects OpenAPI 3.0 (components, allOf refs) or swagger 2.0.
class Generator {
 public:
  Generator(const api::Scheme& scheme, const api::JsonSpecialTypes& types, bool v3)
      : types_(types), v3_(v3), kinds_(scheme.All()) {
    for (const auto& k : kinds_) {
      if (k->descriptor == nullptr || k->custom_resource) continue;
      gvks_[k->descriptor].push_back(k->gvk);
      if (const Descriptor* l = ListDescriptor(*k)) {
        gvks_[l].push_back({k->gvk.group, k->gvk.version, k->list_kind});
      }
    }
  }

  // The document for the kinds passing `filter`.
  std::string Build(const std::function<bool(const api::KindInfo&)>& filter,
                    const std::string& title) {
    std::vector<std::shared_ptr<const api::KindInfo>> kinds, custom;
    for (const auto& k : kinds_) {
      if (k->descriptor != nullptr && filter(*k))
        (k->custom_resource ? custom : kinds).push_back(k);
    }
    // Every message reachable from the kinds and their lists.
    std::deque<const Descriptor*> todo;
    for (const auto& k : custom) {
      // Custom resources' schemas refer to ObjectMeta (CustomObject's field 1).
      if (const FieldDescriptor* m = k->descriptor->FindFieldByNumber(1); m && m->message_type()) {
        todo.push_back(m->message_type());
      }
    }
    for (const auto& k : kinds) {
      todo.push_back(k->descriptor);
      if (const Descriptor* l = ListDescriptor(*k)) todo.push_back(l);
    }
    while (!todo.empty()) {
      const Descriptor* d = todo.front();
      todo.pop_front();
      if (!reachable_.emplace(SchemaName(d), d).second) continue;
      if (FormOf(types_, d) != Form::kNone) continue;
      Walk(d, todo);
    }

    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    if (v3_) {
      w.Key("openapi");
      w.String("3.0.0");
    } else {
      w.Key("swagger");
      w.String("2.0");
    }
    w.Key("info");
    w.StartObject();
    w.Key("title");
    w.String("Kubernetes");
    w.Key("version");
    w.String(title.c_str());
    w.EndObject();
    w.Key("paths");
    w.StartObject();
    for (const auto& k : kinds) WritePaths(w, *k);
    for (const auto& k : custom) {
      custom_paths_ = k.get();  // their objects refer to their own schemas
      WritePaths(w, *k);
      custom_paths_ = nullptr;
    }
    w.EndObject();
    w.Key(v3_ ? "components" : "definitions");
    w.StartObject();
    if (v3_) {
      w.Key("schemas");
      w.StartObject();
    }
    for (const auto& [name, d] : reachable_) {
      w.Key(name.c_str());
      WriteSchema(w, d);
    }
    for (const auto& k : custom) {
      if (reachable_.count(CustomSchemaName(*k))) continue;
      w.Key(CustomSchemaName(*k).c_str());
      WriteCustomSchema(w, *k);
    }
    if (v3_) w.EndObject();
    w.EndObject();
    w.EndObject();
    return buf.GetString();
  }

 private:
  static const Descriptor* ListDescriptor(const api::KindInfo& k) {
    const Descriptor* d = k.descriptor;
    std::string name = d->file()->package().empty()
                           ? k.list_kind
                           : absl::StrCat(d->file()->package(), ".", k.list_kind);
    return d->file()->pool()->FindMessageTypeByName(name);
  }

  // Kubernetes' name for a custom resource's schema: the group reversed, version, kind
  // ("stable.example.com", "v1", "CronTab" -> "com.example.stable.v1.CronTab").
  static std::string CustomSchemaName(const api::KindInfo& k) {
    std::vector<absl::string_view> parts = absl::StrSplit(k.gvk.group, '.');
    std::reverse(parts.begin(), parts.end());
    return absl::StrCat(absl::StrJoin(parts, "."), ".", k.gvk.version, ".", k.gvk.kind);
  }

  // A custom resource's openAPIV3Schema with apiVersion, kind and metadata (a reference to
  // ObjectMeta) added and its x-kubernetes-group-version-kind, as Kubernetes publishes it.
  void WriteCustomSchema(Writer& w, const api::KindInfo& k) {
    rapidjson::Document d;
    d.Parse(k.openapi_schema.data(), k.openapi_schema.size());
    if (d.HasParseError() || !d.IsObject()) d.SetObject();
    auto& a = d.GetAllocator();
    if (!d.HasMember("type")) d.AddMember("type", "object", a);
    if (!d.HasMember("properties") || !d["properties"].IsObject()) {
      d.RemoveMember("properties");
      d.AddMember("properties", rapidjson::Value(rapidjson::kObjectType), a);
    }
    rapidjson::Value& props = d["properties"];
    auto text = [&](const char* key, const char* description) {
      props.RemoveMember(key);
      rapidjson::Value v(rapidjson::kObjectType);
      v.AddMember("description", rapidjson::StringRef(description), a);
      v.AddMember("type", "string", a);
      props.AddMember(rapidjson::StringRef(key), v, a);
    };
    text("apiVersion",
         "APIVersion defines the versioned schema of this representation of an object. Servers "
         "should convert recognized schemas to the latest internal value, and may reject "
         "unrecognized values.");
    text("kind",
         "Kind is a string value representing the REST resource this object represents. Servers "
         "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
         "CamelCase.");
    props.RemoveMember("metadata");
    std::string ref;
    if (const FieldDescriptor* m = k.descriptor->FindFieldByNumber(1); m && m->message_type()) {
      ref = Ref(m->message_type());
    }
    rapidjson::Value meta(rapidjson::kObjectType);
    rapidjson::Value r(rapidjson::kObjectType);
    r.AddMember("$ref", rapidjson::Value(ref.c_str(), a), a);
    if (v3_) {
      rapidjson::Value all(rapidjson::kArrayType);
      all.PushBack(r, a);
      meta.AddMember("allOf", all, a);
    } else {
      meta = r;
    }
    props.AddMember("metadata", meta, a);
    d.RemoveMember("x-kubernetes-group-version-kind");
    rapidjson::Value gvk(rapidjson::kObjectType);
    gvk.AddMember("group", rapidjson::Value(k.gvk.group.c_str(), a), a);
    gvk.AddMember("kind", rapidjson::Value(k.gvk.kind.c_str(), a), a);
    gvk.AddMember("version", rapidjson::Value(k.gvk.version.c_str(), a), a);
    rapidjson::Value gvks(rapidjson::kArrayType);
    gvks.PushBack(gvk, a);
    d.AddMember("x-kubernetes-group-version-kind", gvks, a);
    d.Accept(w);
  }

  // Queues the messages the fields of `d` refer to (through inline fields and maps).
  void Walk(const Descriptor* d, std::deque<const Descriptor*>& todo) {
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* fd = d->field(i);
      if (fd->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
      const Descriptor* m = fd->message_type();
      if (fd->is_map()) m = m->map_value()->message_type();
      if (m == nullptr) continue;
      if (IsInline(types_, fd)) {
        Walk(m, todo);
      } else {
        todo.push_back(m);
      }
    }
  }

  std::string Ref(const Descriptor* d) const {
    return absl::StrCat(v3_ ? "#/components/schemas/" : "#/definitions/",
                        custom_paths_ != nullptr && d == custom_paths_->descriptor
                            ? CustomSchemaName(*custom_paths_)
                            : SchemaName(d));
  }

  // A reference to a message's schema, as a property or list item.
  void WriteRef(Writer& w, const Descriptor* d, bool with_default) {
    w.StartObject();
    if (v3_) {
      w.Key("allOf");
      w.StartArray();
      w.StartObject();
      w.Key("$ref");
      w.String(Ref(d).c_str());
      w.EndObject();
      w.EndArray();
      if (with_default && FormOf(types_, d) == Form::kNone) {
        w.Key("default");
        w.StartObject();
        w.EndObject();
      }
    } else {
      w.Key("$ref");
      w.String(Ref(d).c_str());
    }
    w.EndObject();
  }

  static void TypeFormat(Writer& w, const char* type, const char* format) {
    w.Key("type");
    w.String(type);
    if (format != nullptr) {
      w.Key("format");
      w.String(format);
    }
  }

  // The schema of one value (a singular field, a list element or a map value).
  void WriteValue(Writer& w, const FieldDescriptor* fd, bool with_default) {
    switch (fd->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return WriteRef(w, fd->message_type(), with_default);
      default:
        break;
    }
    w.StartObject();
    switch (fd->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_UINT32:
        TypeFormat(w, "integer", "int32");
        break;
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT64:
        TypeFormat(w, "integer", "int64");
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        TypeFormat(w, "number", "double");
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        TypeFormat(w, "number", "float");
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        TypeFormat(w, "boolean", nullptr);
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        TypeFormat(w, "string", fd->type() == FieldDescriptor::TYPE_BYTES ? "byte" : nullptr);
        break;
      default:  // enums
        TypeFormat(w, "string", nullptr);
        break;
    }
    w.EndObject();
  }

  void WriteField(Writer& w, const FieldDescriptor* fd) {
    const google::protobuf::FieldOptions& o = fd->options();
    const std::string merge_key = o.GetExtension(rudder::api::patch_merge_key);
    const std::string strategy = o.GetExtension(rudder::api::patch_strategy);
    const bool set = o.GetExtension(rudder::api::list_type_set);
    if (fd->is_map()) {
      w.StartObject();
      TypeFormat(w, "object", nullptr);
      w.Key("additionalProperties");
      WriteValue(w, fd->message_type()->map_value(), false);
    } else if (fd->is_repeated()) {
      w.StartObject();
      TypeFormat(w, "array", nullptr);
      w.Key("items");
      WriteValue(w, fd, true);
      if (set) {
        w.Key("x-kubernetes-list-type");
        w.String("set");
      }
    } else if (fd->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && merge_key.empty() &&
               strategy.empty()) {
      return WriteRef(w, fd->message_type(), true);
    } else if (fd->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      // A reference with extensions beside it.
      w.StartObject();
      w.Key("allOf");
      w.StartArray();
      w.StartObject();
      w.Key("$ref");
      w.String(Ref(fd->message_type()).c_str());
      w.EndObject();
      w.EndArray();
    } else {
      WriteValue(w, fd, false);
      return;
    }
    if (!merge_key.empty()) {
      w.Key("x-kubernetes-patch-merge-key");
      w.String(merge_key.c_str());
    }
    if (!strategy.empty()) {
      w.Key("x-kubernetes-patch-strategy");
      w.String(strategy.c_str());
    }
    w.EndObject();
  }

  // The properties of `d`, inline members merged in. Writes each JSON name once.
  void WriteProperties(Writer& w, const Descriptor* d, std::set<std::string>& seen) {
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* fd = d->field(i);
      if (IsInline(types_, fd)) {
        WriteProperties(w, fd->message_type(), seen);
        continue;
      }
      if (!seen.insert(fd->json_name()).second) continue;
      w.Key(fd->json_name().c_str());
      WriteField(w, fd);
    }
  }

  void WriteSchema(Writer& w, const Descriptor* d) {
    w.StartObject();
    switch (FormOf(types_, d)) {
      case Form::kQuantity:
      case Form::kDuration:
        TypeFormat(w, "string", nullptr);
        w.EndObject();
        return;
      case Form::kIntOrString:
        TypeFormat(w, "string", "int-or-string");
        w.EndObject();
        return;
      case Form::kTime:
        TypeFormat(w, "string", "date-time");
        w.EndObject();
        return;
      case Form::kRaw:
      case Form::kOther:
        w.Key("x-kubernetes-preserve-unknown-fields");
        w.Bool(true);
        w.EndObject();
        return;
      case Form::kNone:
        break;
    }
    TypeFormat(w, "object", nullptr);
    w.Key("properties");
    w.StartObject();
    std::set<std::string> seen;
    auto gvks = gvks_.find(d);
    if (gvks != gvks_.end()) {
      // Kinds carry apiVersion and kind (TypeMeta), written by the codec.
      for (const char* name : {"apiVersion", "kind"}) {
        seen.insert(name);
        w.Key(name);
        w.StartObject();
        TypeFormat(w, "string", nullptr);
        w.EndObject();
      }
    }
    WriteProperties(w, d, seen);
    w.EndObject();
    if (gvks != gvks_.end()) {
      w.Key("x-kubernetes-group-version-kind");
      WriteGvks(w, gvks->second);
    }
    w.EndObject();
  }

  static void WriteGvk(Writer& w, const api::GroupVersionKind& g) {
    w.StartObject();
    w.Key("group");
    w.String(g.group.c_str());
    w.Key("kind");
    w.String(g.kind.c_str());
    w.Key("version");
    w.String(g.version.c_str());
    w.EndObject();
  }
  static void WriteGvks(Writer& w, const std::vector<api::GroupVersionKind>& gvks) {
    w.StartArray();
    for (const auto& g : gvks) WriteGvk(w, g);
    w.EndArray();
  }

  void WriteParam(Writer& w, const char* name, const char* in) {
    w.StartObject();
    w.Key("name");
    w.String(name);
    w.Key("in");
    w.String(in);
    if (!std::strcmp(in, "path")) {
      w.Key("required");
      w.Bool(true);
    }
    if (v3_) {
      w.Key("schema");
      w.StartObject();
      TypeFormat(w, "string", nullptr);
      w.EndObject();
    } else {
      TypeFormat(w, "string", nullptr);
    }
    w.EndObject();
  }

  // A body or response schema.
  void WriteContent(Writer& w, const Descriptor* d, const std::vector<const char*>& types) {
    if (!v3_) {
      w.Key("schema");
      if (d == nullptr) {
        w.StartObject();
        TypeFormat(w, "object", nullptr);
        w.EndObject();
      } else {
        WriteRef(w, d, false);
      }
      return;
    }
    w.Key("content");
    w.StartObject();
    for (const char* t : types) {
      w.Key(t);
      w.StartObject();
      w.Key("schema");
      if (d == nullptr) {
        w.StartObject();
        TypeFormat(w, "object", nullptr);
        w.EndObject();
      } else {
        w.StartObject();
        w.Key("$ref");
        w.String(Ref(d).c_str());
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndObject();
  }

  // One operation. `body`: the request body's message (nullptr: none; `patch`: a patch).
  void WriteOp(Writer& w, const char* method, const char* action, const std::string& id,
               const api::KindInfo& k, const Descriptor* response, const Descriptor* body,
               bool patch, bool path_params_ns, bool path_param_name) {
    w.Key(method);
    w.StartObject();
    w.Key("operationId");
    w.String(id.c_str());
    w.Key("parameters");
    w.StartArray();
    if (path_params_ns) WriteParam(w, "namespace", "path");
    if (path_param_name) WriteParam(w, "name", "path");
    WriteParam(w, "pretty", "query");
    if (body != nullptr || patch) {
      WriteParam(w, "dryRun", "query");
      WriteParam(w, "fieldManager", "query");
      WriteParam(w, "fieldValidation", "query");
    }
    if (patch) WriteParam(w, "force", "query");
    if (!std::strcmp(action, "list")) {
      for (const char* p : {"labelSelector", "fieldSelector", "limit", "continue",
                            "resourceVersion", "watch", "timeoutSeconds"}) {
        WriteParam(w, p, "query");
      }
    }
    if (!v3_ && (body != nullptr || patch)) {
      w.StartObject();
      w.Key("name");
      w.String("body");
      w.Key("in");
      w.String("body");
      w.Key("required");
      w.Bool(true);
      WriteContent(w, body, {});
      w.EndObject();
    }
    w.EndArray();
    if (v3_ && (body != nullptr || patch)) {
      w.Key("requestBody");
      w.StartObject();
      w.Key("required");
      w.Bool(true);
      if (patch && custom_paths_ != nullptr) {
        // Custom resources take no strategic merge patches (kubectl apply then merge-patches).
        WriteContent(w, nullptr,
                     {"application/apply-patch+yaml", "application/json-patch+json",
                      "application/merge-patch+json"});
      } else if (patch) {
        WriteContent(w, nullptr,
                     {"application/apply-patch+yaml", "application/json-patch+json",
                      "application/merge-patch+json", "application/strategic-merge-patch+json"});
      } else {
        WriteContent(w, body, {"*/*"});
      }
      w.EndObject();
    }
    if (!v3_) {
      w.Key("consumes");
      w.StartArray();
      if (patch) {
        for (const char* t :
             {"application/json-patch+json", "application/merge-patch+json",
              "application/strategic-merge-patch+json", "application/apply-patch+yaml"}) {
          if (custom_paths_ != nullptr && absl::StrContains(t, "strategic")) continue;
          w.String(t);
        }
      } else {
        w.String("*/*");
      }
      w.EndArray();
      w.Key("produces");
      w.StartArray();
      w.String("application/json");
      w.EndArray();
    }
    w.Key("responses");
    w.StartObject();
    w.Key(!std::strcmp(action, "post") ? "201" : "200");
    w.StartObject();
    w.Key("description");
    w.String("OK");
    WriteContent(w, response, {"application/json"});
    w.EndObject();
    w.EndObject();
    w.Key("x-kubernetes-action");
    w.String(action);
    w.Key("x-kubernetes-group-version-kind");
    WriteGvk(w, k.gvk);
    w.EndObject();
  }

  void WritePaths(Writer& w, const api::KindInfo& k) {
    const std::string prefix = k.gvk.group.empty()
                                   ? absl::StrCat("/api/", k.gvk.version)
                                   : absl::StrCat("/apis/", k.gvk.group, "/", k.gvk.version);
    const std::string coll = k.namespaced
                                 ? absl::StrCat(prefix, "/namespaces/{namespace}/", k.plural)
                                 : absl::StrCat(prefix, "/", k.plural);
    const std::string item = absl::StrCat(coll, "/{name}");
    const std::string id = absl::StrCat(k.gvk.group, k.gvk.version, k.gvk.kind);
    const Descriptor* list = ListDescriptor(k);
    const bool ns = k.namespaced;
    auto has = [&k](const char* verb) {
      return std::find(k.verbs.begin(), k.verbs.end(), verb) != k.verbs.end();
    };
    w.Key(coll.c_str());
    w.StartObject();
    if (has("list")) {
      WriteOp(w, "get", "list", "list" + id, k, list, nullptr, false, ns, false);
    }
    if (has("create")) {
      WriteOp(w, "post", "post", "create" + id, k, k.descriptor, k.descriptor, false, ns, false);
    }
    w.EndObject();
    w.Key(item.c_str());
    w.StartObject();
    if (has("get"))
      WriteOp(w, "get", "get", "read" + id, k, k.descriptor, nullptr, false, ns, true);
    if (has("update")) {
      WriteOp(w, "put", "put", "replace" + id, k, k.descriptor, k.descriptor, false, ns, true);
    }
    if (has("patch")) {
      WriteOp(w, "patch", "patch", "patch" + id, k, k.descriptor, nullptr, true, ns, true);
    }
    if (has("delete")) {
      WriteOp(w, "delete", "delete", "delete" + id, k, k.descriptor, nullptr, false, ns, true);
    }
    w.EndObject();
    if (k.has_status) {
      w.Key(absl::StrCat(item, "/status").c_str());
      w.StartObject();
      WriteOp(w, "get", "get", "read" + id + "Status", k, k.descriptor, nullptr, false, ns, true);
      WriteOp(w, "put", "put", "replace" + id + "Status", k, k.descriptor, k.descriptor, false, ns,
              true);
      WriteOp(w, "patch", "patch", "patch" + id + "Status", k, k.descriptor, nullptr, true, ns,
              true);
      w.EndObject();
    }
    if (ns && has("list")) {
      w.Key(absl::StrCat(prefix, "/", k.plural).c_str());
      w.StartObject();
      WriteOp(w, "get", "list", "list" + id + "ForAllNamespaces", k, list, nullptr, false, false,
              false);
      w.EndObject();
    }
  }

  const api::JsonSpecialTypes& types_;
  const bool v3_;
  const std::vector<std::shared_ptr<const api::KindInfo>> kinds_;
  std::map<const Descriptor*, std::vector<api::GroupVersionKind>> gvks_;
  std::map<std::string, const Descriptor*> reachable_;
  const api::KindInfo* custom_paths_ = nullptr;  // the custom resource whose paths are written
};

const api::JsonSpecialTypes& Builtin() {
  static const auto* types = new api::JsonSpecialTypes(api::NewBuiltinJsonSpecialTypes());
  return *types;
}

std::string HexDigest(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha512(), nullptr);
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

// Changes whenever a kind is added, removed or changed in a way the documents show.
uint64_t Fingerprint(const api::Scheme& scheme) {
  std::string s;
  for (const auto& k : scheme.All()) {
    absl::StrAppend(&s, k->gvk.ToString(), "|", k->plural, "|", k->list_kind, "|", k->namespaced,
                    k->has_status, k->has_scale, "|",
                    k->descriptor ? k->descriptor->full_name() : "", "|", k->custom_resource,
                    k->openapi_schema, "|");
    for (const auto& v : k->verbs) absl::StrAppend(&s, v, ",");
    s.push_back('\n');
  }
  return std::hash<std::string>()(s);
}

}  // namespace

std::string SchemaName(const Descriptor* d) {
  absl::string_view name = d->full_name();
  if (!absl::ConsumePrefix(&name, "rudder.api.")) return std::string(name);
  static const std::pair<absl::string_view, absl::string_view> kPrefixes[] = {
      {"meta.", "io.k8s.apimachinery.pkg.apis.meta."},
      {"resource.", "io.k8s.apimachinery.pkg.api.resource."},
      {"intstr.", "io.k8s.apimachinery.pkg.util.intstr."},
      {"runtime.", "io.k8s.apimachinery.pkg.runtime."},
      {"apiextensions.", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions."},
      {"metrics.", "io.k8s.metrics.pkg.apis.metrics."},
  };
  for (const auto& [from, to] : kPrefixes) {
    if (absl::StartsWith(name, from)) {
      return absl::StrCat(to, name.substr(from.size()));
    }
  }
  return absl::StrCat("io.k8s.api.", name);
}

std::string BuildV3Document(const api::Scheme& scheme, const std::string& group,
                            const std::string& version,
                            const api::JsonSpecialTypes* special_types) {
  Generator g(scheme, special_types ? *special_types : Builtin(), true);
  return g.Build(
      [&](const api::KindInfo& k) { return k.gvk.group == group && k.gvk.version == version; },
      group.empty() ? version : absl::StrCat(group, "/", version));
}

std::string BuildV2Document(const api::Scheme& scheme, const api::JsonSpecialTypes* special_types) {
  Generator g(scheme, special_types ? *special_types : Builtin(), false);
  return g.Build([](const api::KindInfo&) { return true; }, "v1.33.0");
}

OpenApiService::OpenApiService(const api::Scheme* scheme)
    : scheme_(scheme), special_types_(api::NewBuiltinJsonSpecialTypes()) {}

bool OpenApiService::Handles(const std::string& path) {
  return path == "/openapi/v2" || path == "/openapi/v3" || absl::StartsWith(path, "/openapi/v3/");
}

std::shared_ptr<const OpenApiService::Doc> OpenApiService::Get(const std::string& key) {
  const uint64_t fp = Fingerprint(*scheme_);
  {
    MutexLock l(&mu_);
    if (cache_.fingerprint != fp) {
      cache_.fingerprint = fp;
      cache_.docs.clear();
    }
    auto it = cache_.docs.find(key);
    if (it != cache_.docs.end()) return it->second;
  }
  auto doc = std::make_shared<Doc>();
  if (key == "v2") {
    doc->body = BuildV2Document(*scheme_, &special_types_);
  } else if (key == "v3") {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("paths");
    w.StartObject();
    for (const auto& [group, version] : scheme_->GroupVersions()) {
      std::string path = group.empty() ? absl::StrCat("api/", version)
                                       : absl::StrCat("apis/", group, "/", version);
      std::shared_ptr<const Doc> gv = Get("v3/" + path);
      if (gv == nullptr) continue;
      w.Key(path.c_str());
      w.StartObject();
      w.Key("serverRelativeURL");
      w.String(absl::StrCat("/openapi/v3/", path, "?hash=", gv->hash).c_str());
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
    doc->body = buf.GetString();
  } else {
    absl::string_view p = key;
    if (!absl::ConsumePrefix(&p, "v3/")) return nullptr;
    std::string group, version;
    if (absl::ConsumePrefix(&p, "api/")) {
      version = std::string(p);
    } else if (absl::ConsumePrefix(&p, "apis/")) {
      size_t slash = p.find('/');
      if (slash == absl::string_view::npos) return nullptr;
      group = std::string(p.substr(0, slash));
      version = std::string(p.substr(slash + 1));
    } else {
      return nullptr;
    }
    bool found = false;
    for (const auto& [g, v] : scheme_->GroupVersions()) found |= g == group && v == version;
    if (!found || version.empty() || absl::StrContains(version, '/')) return nullptr;
    doc->body = BuildV3Document(*scheme_, group, version, &special_types_);
  }
  doc->hash = HexDigest(doc->body);
  MutexLock l(&mu_);
  if (cache_.fingerprint == fp) cache_.docs[key] = doc;
  return doc;
}

OpenApiResponse OpenApiService::Serve(const OpenApiRequest& req) {
  OpenApiResponse res;
  absl::string_view path = req.path;
  if (!absl::ConsumePrefix(&path, "/openapi/")) return res;
  const std::string key(absl::StripSuffix(path, "/"));
  if (key == "v2" && absl::StrContains(absl::AsciiStrToLower(req.accept), "protobuf") &&
      !absl::StrContains(req.accept, "application/json")) {
    // Protobuf-only clients (kubectl up to 1.26) get an empty document: validation then finds
    // no schema and lets the server decide.
    res.status = 200;
    res.content_type = "application/octet-stream";
    return res;
  }
  std::shared_ptr<const Doc> doc = Get(key);
  if (doc == nullptr) {
    res.content_type = "application/json";
    res.body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
               R"("message":"the server could not find the requested resource",)"
               R"("reason":"NotFound","details":{},"code":404})";
    return res;
  }
  const std::string etag = absl::StrCat("\"", doc->hash, "\"");
  if (!req.hash.empty() && req.hash != doc->hash) {
    res.status = 301;
    res.headers["Location"] = absl::StrCat("/openapi/", key, "?hash=", doc->hash);
    return res;
  }
  res.headers["ETag"] = etag;
  res.headers["Cache-Control"] =
      req.hash.empty() ? "no-cache, private" : "public, immutable, max-age=31536000";
  if (req.if_none_match == etag) {
    res.status = 304;
    return res;
  }
  res.status = 200;
  res.content_type = "application/json";
  res.body = doc->body;
  return res;
}

}  // namespace rudder::apiserver::openapi
