#include "lib/api/codec/unstructured.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/api/codec/internal/json_node.h"
#include "lib/api/codec/internal/json_text.h"
#include "lib/base/status_macros.h"

namespace rudder::api {

using codec_internal::JsonNode;

namespace {

std::string Dotted(FieldPath path) { return absl::StrJoin(path, "."); }

JsonNode StringMapNode(const std::map<std::string, std::string>& m) {
  JsonNode n = JsonNode::Object();
  n.members.reserve(m.size());
  for (const auto& [k, v] : m) n.members.emplace_back(k, JsonNode::String(v));  // sorted
  return n;
}

JsonNode StringListNode(const std::vector<std::string>& v) {
  JsonNode n;
  n.kind = JsonNode::Kind::kArray;
  for (const std::string& s : v) n.items.push_back(JsonNode::String(s));
  return n;
}

std::optional<std::map<std::string, std::string>> AsStringMap(const JsonNode* n) {
  if (n == nullptr || n->kind != JsonNode::Kind::kObject) return std::nullopt;
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : n->members) {
    if (v.kind != JsonNode::Kind::kString) return std::nullopt;
    m.emplace(k, v.scalar);
  }
  return m;
}

std::optional<std::vector<std::string>> AsStringSlice(const JsonNode* n) {
  if (n == nullptr || n->kind != JsonNode::Kind::kArray) return std::nullopt;
  std::vector<std::string> out;
  for (const JsonNode& v : n->items) {
    if (v.kind != JsonNode::Kind::kString) return std::nullopt;
    out.push_back(v.scalar);
  }
  return out;
}

const std::shared_ptr<const JsonNode>& EmptyObject() {
  static const auto* empty =
      new std::shared_ptr<const JsonNode>(std::make_shared<const JsonNode>(JsonNode::Object()));
  return *empty;
}

}  // namespace

Unstructured::Unstructured() : doc_(EmptyObject()) {}
Unstructured::Unstructured(std::shared_ptr<const JsonNode> doc) : doc_(std::move(doc)) {}
Unstructured::~Unstructured() = default;

absl::StatusOr<Unstructured> Unstructured::FromJson(absl::string_view json,
                                                    const JsonDecodeOptions& options) {
  if (json.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input of ", json.size(), " bytes exceeds the limit of ", options.max_bytes, " bytes"));
  }
  RUDDER_ASSIGN_OR_RETURN(JsonNode n, codec_internal::ParseJsonNode(json, options.max_depth));
  if (n.kind != JsonNode::Kind::kObject) {
    return absl::InvalidArgumentError("expected a JSON object");
  }
  return Unstructured(std::make_shared<const JsonNode>(std::move(n)));
}

std::string Unstructured::ToJson(bool indent) const {
  std::string compact;
  codec_internal::AppendJsonNode(*doc_, &compact);
  if (!indent) return compact;
  std::string out;
  codec_internal::AppendIndentedJson(compact, "    ", &out);
  return out;
}

const JsonNode* Unstructured::Find(FieldPath path) const {
  const JsonNode* n = doc_.get();
  for (absl::string_view key : path) {
    n = n->Find(key);
    if (n == nullptr) return nullptr;
  }
  return n;
}

JsonNode& Unstructured::Mutable() {
  if (doc_.use_count() != 1) doc_ = std::make_shared<const JsonNode>(*doc_);
  // Sole owner: modifying in place cannot be observed by any other object.
  return const_cast<JsonNode&>(*doc_);
}

absl::StatusOr<JsonNode*> Unstructured::MutableField(FieldPath path) {
  if (path.empty()) return absl::InvalidArgumentError("empty field path");
  // Check before unsharing, so a failed set leaves the object (and its sharing) untouched.
  const JsonNode* c = doc_.get();
  for (size_t i = 0; i + 1 < path.size() && c != nullptr; ++i) {
    c = c->Find(path[i]);
    if (c != nullptr && c->kind != JsonNode::Kind::kObject) {
      return absl::InvalidArgumentError(absl::StrCat(
          Dotted(path.subspan(0, i + 1)), ": is not an object, cannot set ", Dotted(path)));
    }
  }
  JsonNode* n = &Mutable();
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    JsonNode* next = n->Find(path[i]);
    n = next != nullptr ? next : &n->Set(path[i], JsonNode::Object());
  }
  JsonNode* leaf = n->Find(path.back());
  return leaf != nullptr ? leaf : &n->Set(path.back(), JsonNode());
}

bool Unstructured::Has(FieldPath path) const { return Find(path) != nullptr; }

std::optional<std::string> Unstructured::GetString(FieldPath path) const {
  const JsonNode* n = Find(path);
  if (n == nullptr || n->kind != JsonNode::Kind::kString) return std::nullopt;
  return n->scalar;
}

std::optional<int64_t> Unstructured::GetInt64(FieldPath path) const {
  const JsonNode* n = Find(path);
  int64_t v;
  if (n == nullptr || n->kind != JsonNode::Kind::kNumber ||
      n->scalar.find_first_of(".eE") != std::string::npos || !absl::SimpleAtoi(n->scalar, &v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> Unstructured::GetFloat64(FieldPath path) const {
  const JsonNode* n = Find(path);
  double v;
  if (n == nullptr || n->kind != JsonNode::Kind::kNumber || !absl::SimpleAtod(n->scalar, &v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Unstructured::GetBool(FieldPath path) const {
  const JsonNode* n = Find(path);
  if (n == nullptr || n->kind != JsonNode::Kind::kBool) return std::nullopt;
  return n->boolean;
}

std::optional<std::map<std::string, std::string>> Unstructured::GetStringMap(FieldPath path) const {
  return AsStringMap(Find(path));
}

std::optional<std::vector<std::string>> Unstructured::GetStringSlice(FieldPath path) const {
  return AsStringSlice(Find(path));
}

absl::StatusOr<std::string> Unstructured::GetJson(FieldPath path) const {
  const JsonNode* n = Find(path);
  if (n == nullptr) return absl::NotFoundError(absl::StrCat("field ", Dotted(path), " not found"));
  std::string out;
  codec_internal::AppendJsonNode(*n, &out);
  return out;
}

absl::Status Unstructured::SetString(FieldPath path, absl::string_view value) {
  RUDDER_ASSIGN_OR_RETURN(JsonNode * n, MutableField(path));
  *n = JsonNode::String(std::string(value));
  return absl::OkStatus();
}

absl::Status Unstructured::SetInt64(FieldPath path, int64_t value) {
  RUDDER_ASSIGN_OR_RETURN(JsonNode * n, MutableField(path));
  *n = JsonNode();
  n->kind = JsonNode::Kind::kNumber;
  n->scalar = absl::StrCat(value);
  return absl::OkStatus();
}

absl::Status Unstructured::SetBool(FieldPath path, bool value) {
  RUDDER_ASSIGN_OR_RETURN(JsonNode * n, MutableField(path));
  *n = JsonNode();
  n->kind = JsonNode::Kind::kBool;
  n->boolean = value;
  return absl::OkStatus();
}

absl::Status Unstructured::SetStringMap(FieldPath path,
                                        const std::map<std::string, std::string>& value) {
  RUDDER_ASSIGN_OR_RETURN(JsonNode * n, MutableField(path));
  *n = StringMapNode(value);
  return absl::OkStatus();
}

absl::Status Unstructured::SetStringSlice(FieldPath path, const std::vector<std::string>& value) {
  RUDDER_ASSIGN_OR_RETURN(JsonNode * n, MutableField(path));
  *n = StringListNode(value);
  return absl::OkStatus();
}

absl::Status Unstructured::SetJson(FieldPath path, absl::string_view json) {
  RUDDER_ASSIGN_OR_RETURN(JsonNode parsed, codec_internal::ParseJsonNode(json));
  RUDDER_ASSIGN_OR_RETURN(JsonNode * n, MutableField(path));
  *n = std::move(parsed);
  return absl::OkStatus();
}

bool Unstructured::Remove(FieldPath path) {
  if (path.empty() || Find(path) == nullptr) return false;
  JsonNode* n = &Mutable();
  for (size_t i = 0; i + 1 < path.size(); ++i) n = n->Find(path[i]);
  return n->Erase(path.back());
}

std::string Unstructured::MetaString(absl::string_view key) const {
  return GetString({"metadata", key}).value_or("");
}

void Unstructured::SetMetaString(absl::string_view key, absl::string_view v) {
  if (v.empty()) {
    Remove({"metadata", key});
    return;
  }
  if (!SetString({"metadata", key}, v).ok()) {
    // metadata was not an object: replace it, as Go's unstructured setters do.
    Mutable().Set("metadata", JsonNode::Object());
    (void)SetString({"metadata", key}, v);
  }
}

std::string Unstructured::ApiVersion() const { return GetString({"apiVersion"}).value_or(""); }
std::string Unstructured::Kind() const { return GetString({"kind"}).value_or(""); }
TypeMeta Unstructured::GetTypeMeta() const { return {ApiVersion(), Kind()}; }
std::string Unstructured::Name() const { return MetaString("name"); }
std::string Unstructured::Namespace() const { return MetaString("namespace"); }
std::string Unstructured::GenerateName() const { return MetaString("generateName"); }
std::string Unstructured::Uid() const { return MetaString("uid"); }
std::string Unstructured::ResourceVersion() const { return MetaString("resourceVersion"); }
int64_t Unstructured::Generation() const {
  return GetInt64({"metadata", "generation"}).value_or(0);
}
std::map<std::string, std::string> Unstructured::Labels() const {
  return GetStringMap({"metadata", "labels"}).value_or(std::map<std::string, std::string>{});
}
std::map<std::string, std::string> Unstructured::Annotations() const {
  return GetStringMap({"metadata", "annotations"}).value_or(std::map<std::string, std::string>{});
}
std::optional<std::string> Unstructured::CreationTimestamp() const {
  return GetString({"metadata", "creationTimestamp"});
}
std::optional<std::string> Unstructured::DeletionTimestamp() const {
  return GetString({"metadata", "deletionTimestamp"});
}
std::vector<std::string> Unstructured::Finalizers() const {
  return GetStringSlice({"metadata", "finalizers"}).value_or(std::vector<std::string>{});
}

std::vector<OwnerReference> Unstructured::OwnerReferences() const {
  std::vector<OwnerReference> out;
  const JsonNode* list = Find({"metadata", "ownerReferences"});
  if (list == nullptr || list->kind != JsonNode::Kind::kArray) return out;
  for (const JsonNode& item : list->items) {
    if (item.kind != JsonNode::Kind::kObject) continue;
    OwnerReference r;
    auto str = [&](absl::string_view k) {
      const JsonNode* v = item.Find(k);
      return v != nullptr && v->kind == JsonNode::Kind::kString ? v->scalar : std::string();
    };
    auto flag = [&](absl::string_view k) -> std::optional<bool> {
      const JsonNode* v = item.Find(k);
      if (v == nullptr || v->kind != JsonNode::Kind::kBool) return std::nullopt;
      return v->boolean;
    };
    r.api_version = str("apiVersion");
    r.kind = str("kind");
    r.name = str("name");
    r.uid = str("uid");
    r.controller = flag("controller");
    r.block_owner_deletion = flag("blockOwnerDeletion");
    out.push_back(std::move(r));
  }
  return out;
}

void Unstructured::SetApiVersion(absl::string_view v) {
  Mutable().Set("apiVersion", JsonNode::String(std::string(v)));
}
void Unstructured::SetKind(absl::string_view v) {
  Mutable().Set("kind", JsonNode::String(std::string(v)));
}
void Unstructured::SetName(absl::string_view v) { SetMetaString("name", v); }
void Unstructured::SetNamespace(absl::string_view v) { SetMetaString("namespace", v); }
void Unstructured::SetGenerateName(absl::string_view v) { SetMetaString("generateName", v); }
void Unstructured::SetUid(absl::string_view v) { SetMetaString("uid", v); }
void Unstructured::SetResourceVersion(absl::string_view v) { SetMetaString("resourceVersion", v); }
namespace {
template <typename Setter>
void SetOrRemove(Unstructured* u, bool empty, absl::string_view key, Setter set) {
  if (empty) {
    u->Remove({"metadata", key});
    return;
  }
  if (!set().ok()) {
    (void)u->SetJson({"metadata"}, "{}");
    (void)set();
  }
}
}  // namespace

void Unstructured::SetGeneration(int64_t v) {
  SetOrRemove(this, false, "generation", [&] { return SetInt64({"metadata", "generation"}, v); });
}
void Unstructured::SetLabels(const std::map<std::string, std::string>& v) {
  SetOrRemove(this, v.empty(), "labels", [&] { return SetStringMap({"metadata", "labels"}, v); });
}
void Unstructured::SetAnnotations(const std::map<std::string, std::string>& v) {
  SetOrRemove(this, v.empty(), "annotations", [&] {
    return SetStringMap({"metadata", "annotations"}, v);
  });
}
void Unstructured::SetDeletionTimestamp(std::optional<absl::string_view> rfc3339) {
  SetOrRemove(this, !rfc3339.has_value(), "deletionTimestamp", [&] {
    return SetString({"metadata", "deletionTimestamp"}, *rfc3339);
  });
}
void Unstructured::SetFinalizers(const std::vector<std::string>& v) {
  SetOrRemove(this, v.empty(), "finalizers", [&] {
    return SetStringSlice({"metadata", "finalizers"}, v);
  });
}
void Unstructured::SetOwnerReferences(const std::vector<OwnerReference>& v) {
  SetOrRemove(this, v.empty(), "ownerReferences", [&]() -> absl::Status {
    RUDDER_ASSIGN_OR_RETURN(JsonNode * n, MutableField({"metadata", "ownerReferences"}));
    JsonNode list;
    list.kind = JsonNode::Kind::kArray;
    for (const OwnerReference& r : v) {
      JsonNode o = JsonNode::Object();
      o.Set("apiVersion", JsonNode::String(r.api_version));
      o.Set("kind", JsonNode::String(r.kind));
      o.Set("name", JsonNode::String(r.name));
      o.Set("uid", JsonNode::String(r.uid));
      auto flag = [&](absl::string_view k, std::optional<bool> b) {
        if (!b.has_value()) return;
        JsonNode f;
        f.kind = JsonNode::Kind::kBool;
        f.boolean = *b;
        o.Set(k, std::move(f));
      };
      flag("controller", r.controller);
      flag("blockOwnerDeletion", r.block_owner_deletion);
      list.items.push_back(std::move(o));
    }
    *n = std::move(list);
    return absl::OkStatus();
  });
}

absl::StatusOr<Unstructured> ToUnstructured(const google::protobuf::Message& m,
                                            const TypeMeta& type_meta) {
  JsonEncodeOptions o;
  o.api_version = type_meta.api_version;
  o.kind = type_meta.kind;
  RUDDER_ASSIGN_OR_RETURN(std::string json, EncodeJson(m, o));
  JsonDecodeOptions d;
  d.max_bytes = json.size();
  d.max_depth = 1000;
  return Unstructured::FromJson(json, d);
}

absl::StatusOr<JsonDecodeResult> FromUnstructured(const Unstructured& u,
                                                  google::protobuf::Message* m,
                                                  const JsonDecodeOptions& options) {
  return DecodeJson(u.ToJson(), m, options);
}

}  // namespace rudder::api
