#include "lib/api/apply/schema.h"

#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::api::apply {
namespace internal {

// One node of a custom resource's structural schema, as apply needs it.
struct SchemaNode {
  Kind kind = Kind::kUntyped;
  bool atomic = false;
  ListType list_type = ListType::kAtomic;
  std::vector<ListKey> keys;
  std::map<std::string, std::unique_ptr<SchemaNode>, std::less<>> properties;
  std::unique_ptr<SchemaNode> additional;  // map values
  std::unique_ptr<SchemaNode> items;       // list items
  bool metadata = false;                   // the root's metadata: typed as ObjectMeta
};

}  // namespace internal

namespace {

using internal::SchemaNode;

// Structs Kubernetes marks +structType=atomic.
const absl::flat_hash_set<std::string>& AtomicStructs() {
  static const auto* s = new absl::flat_hash_set<std::string>{
      "rudder.api.meta.v1.LabelSelector",
      "rudder.api.core.v1.LocalObjectReference",
      "rudder.api.core.v1.ObjectReference",
      "rudder.api.core.v1.TypedLocalObjectReference",
      "rudder.api.core.v1.ConfigMapKeySelector",
      "rudder.api.core.v1.SecretKeySelector",
      "rudder.api.core.v1.ObjectFieldSelector",
      "rudder.api.core.v1.ResourceFieldSelector",
      "rudder.api.core.v1.NodeSelector",
      "rudder.api.core.v1.NodeSelectorTerm",
      "rudder.api.core.v1.TopologySelectorTerm",
      "rudder.api.autoscaling.v1.CrossVersionObjectReference",
      "rudder.api.autoscaling.v2.CrossVersionObjectReference",
  };
  return *s;
}

// Associative lists whose keys are more than their patchMergeKey ("<message>.<field>").
const absl::flat_hash_map<std::string, std::vector<ListKey>>& MultiKeyLists() {
  static const auto* m = [] {
    auto* m = new absl::flat_hash_map<std::string, std::vector<ListKey>>;
    std::vector<ListKey> container_ports = {{"containerPort", ""}, {"protocol", "\"TCP\""}};
    (*m)["rudder.api.core.v1.Container.ports"] = container_ports;
    (*m)["rudder.api.core.v1.EphemeralContainer.ports"] = container_ports;
    (*m)["rudder.api.core.v1.ServiceSpec.ports"] = {{"port", ""}, {"protocol", "\"TCP\""}};
    (*m)["rudder.api.core.v1.PodSpec.topologySpreadConstraints"] = {{"topologyKey", ""},
                                                                    {"whenUnsatisfiable", ""}};
    return m;
  }();
  return *m;
}

const std::vector<ListKey>* InternKeys(const std::string& key) {
  static Mutex mu;
  static auto* interned = new std::map<std::string, std::unique_ptr<std::vector<ListKey>>>;
  MutexLock l(&mu);
  std::unique_ptr<std::vector<ListKey>>& v = (*interned)[key];
  if (v == nullptr) v = std::make_unique<std::vector<ListKey>>(std::vector<ListKey>{{key, ""}});
  return v.get();
}

std::string Compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string StringMember(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

absl::StatusOr<std::unique_ptr<SchemaNode>> ParseNode(const rapidjson::Value& v,
                                                      const std::string& path, int depth) {
  if (depth > 64) return absl::InvalidArgumentError(absl::StrCat(path, ": nested too deeply"));
  auto n = std::make_unique<SchemaNode>();
  if (!v.IsObject()) return n;  // untyped
  std::string type = StringMember(v, "type");
  auto bool_member = [&](const char* name) {
    auto it = v.FindMember(name);
    return it != v.MemberEnd() && it->value.IsBool() && it->value.GetBool();
  };
  if (bool_member("x-kubernetes-int-or-string")) {
    n->kind = Kind::kScalar;
    return n;
  }
  if (type == "object") {
    n->kind = Kind::kMap;
    n->atomic = StringMember(v, "x-kubernetes-map-type") == "atomic";
    auto props = v.FindMember("properties");
    if (props != v.MemberEnd() && props->value.IsObject()) {
      for (auto it = props->value.MemberBegin(); it != props->value.MemberEnd(); ++it) {
        std::string name(it->name.GetString(), it->name.GetStringLength());
        auto child = ParseNode(it->value, absl::StrCat(path, ".properties[", name, "]"), depth + 1);
        if (!child.ok()) return child.status();
        n->properties.emplace(std::move(name), std::move(*child));
      }
    }
    auto ap = v.FindMember("additionalProperties");
    if (ap != v.MemberEnd() && ap->value.IsObject()) {
      auto child = ParseNode(ap->value, path + ".additionalProperties", depth + 1);
      if (!child.ok()) return child.status();
      n->additional = std::move(*child);
    }
    if (n->properties.empty() && n->additional == nullptr) n->kind = Kind::kUntyped;
    if (n->atomic) n->kind = Kind::kMap;
  } else if (type == "array") {
    n->kind = Kind::kList;
    auto items = v.FindMember("items");
    if (items != v.MemberEnd()) {
      auto child = ParseNode(items->value, path + ".items", depth + 1);
      if (!child.ok()) return child.status();
      n->items = std::move(*child);
    } else {
      n->items = std::make_unique<SchemaNode>();
    }
    std::string lt = StringMember(v, "x-kubernetes-list-type");
    auto mk = v.FindMember("x-kubernetes-list-map-keys");
    if (lt == "set") {
      n->list_type = ListType::kSet;
    } else if (lt == "map") {
      n->list_type = ListType::kMap;
      if (mk == v.MemberEnd() || !mk->value.IsArray() || mk->value.Empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path,
                         ".x-kubernetes-list-map-keys: Required value: must not be empty if "
                         "x-kubernetes-list-type is map"));
      }
      for (const rapidjson::Value& k : mk->value.GetArray()) {
        if (!k.IsString()) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ".x-kubernetes-list-map-keys: Invalid value: must be strings"));
        }
        ListKey key{std::string(k.GetString(), k.GetStringLength()), ""};
        // A key's default comes from the item schema.
        auto ip = items != v.MemberEnd() && items->value.IsObject()
                      ? items->value.FindMember("properties")
                      : v.MemberEnd();
        if (ip != v.MemberEnd() && ip->value.IsObject()) {
          auto kp = ip->value.FindMember(key.name.c_str());
          if (kp != ip->value.MemberEnd() && kp->value.IsObject()) {
            auto def = kp->value.FindMember("default");
            if (def != kp->value.MemberEnd()) key.default_json = Compact(def->value);
          }
        }
        n->keys.push_back(std::move(key));
      }
    } else if (mk != v.MemberEnd()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path,
                       ".x-kubernetes-list-map-keys: Forbidden: requires "
                       "x-kubernetes-list-type to be map"));
    }
  } else if (!type.empty()) {
    n->kind = Kind::kScalar;
  }
  return n;
}

TypeRef FromNode(const SchemaNode* n) {
  TypeRef t;
  if (n == nullptr) return t;
  t.kind = n->kind;
  t.atomic = n->atomic;
  t.list_type = n->list_type;
  t.keys = &n->keys;
  t.node = n;
  return t;
}

}  // namespace

Schema::Schema() = default;
Schema::~Schema() = default;

std::unique_ptr<Schema> Schema::ForMessage(const google::protobuf::Descriptor* d) {
  std::unique_ptr<Schema> s(new Schema());
  s->meta_ = patch::NewProtoPatchMeta(d);
  s->root_.kind = Kind::kMap;
  s->root_.meta = s->meta_.get();
  return s;
}

absl::StatusOr<std::unique_ptr<Schema>> Schema::ForCustomResource(std::string_view schema_json) {
  std::unique_ptr<Schema> s(new Schema());
  s->meta_ = patch::NewProtoPatchMeta(api::meta::v1::ObjectMeta::descriptor());
  rapidjson::Document d;
  if (!schema_json.empty()) {
    d.Parse<rapidjson::kParseIterativeFlag>(schema_json.data(), schema_json.size());
    if (d.HasParseError()) {
      return absl::InvalidArgumentError("openAPIV3Schema is not valid JSON");
    }
  }
  auto root = ParseNode(d, "openAPIV3Schema", 0);
  if (!root.ok()) return root.status();
  s->crd_root_ = std::move(*root);
  s->crd_root_->kind = Kind::kMap;
  s->crd_root_->atomic = false;
  s->root_ = FromNode(s->crd_root_.get());
  return s;
}

bool Schema::IsAtomicStruct(const patch::PatchMeta* meta) const {
  {
    MutexLock l(&mu_);
    auto it = atomic_cache_.find(meta);
    if (it != atomic_cache_.end()) return it->second;
  }
  const bool atomic = AtomicStructs().contains(meta->Name());
  MutexLock l(&mu_);
  atomic_cache_[meta] = atomic;
  return atomic;
}

TypeRef Schema::FromPatchInfo(const patch::PatchMeta& parent, std::string_view name,
                              const patch::FieldPatchInfo& info) const {
  TypeRef t;
  switch (info.kind) {
    case patch::FieldKind::kPrimitive:
      t.kind = Kind::kScalar;
      break;
    case patch::FieldKind::kObject:
      t.kind = Kind::kMap;
      t.meta = info.children;
      t.atomic = info.strategy.replace || IsAtomicStruct(info.children);
      break;
    case patch::FieldKind::kList:
      t.kind = Kind::kList;
      t.meta = info.children;
      if (info.strategy.merge && !info.merge_key.empty()) {
        t.list_type = ListType::kMap;
        const auto& multi = MultiKeyLists();
        auto it = multi.empty() ? multi.end()
                                : multi.find(absl::StrCat(parent.Name(), ".", std::string(name)));
        t.keys = it != multi.end() ? &it->second : InternKeys(info.merge_key);
      } else if (info.strategy.merge) {
        t.list_type = ListType::kSet;
      }
      break;
    case patch::FieldKind::kAny:
      break;
  }
  return t;
}

TypeRef Schema::Field(const TypeRef& parent, std::string_view name, bool* declared) const {
  if (declared != nullptr) *declared = false;
  if (parent.node != nullptr) {
    const SchemaNode* n = parent.node;
    if (n == crd_root_.get() && name == "metadata") {
      if (declared != nullptr) *declared = true;
      TypeRef t;
      t.kind = Kind::kMap;
      t.meta = meta_.get();
      return t;
    }
    if (n == crd_root_.get() && (name == "apiVersion" || name == "kind")) {
      if (declared != nullptr) *declared = true;
      TypeRef t;
      t.kind = Kind::kScalar;
      return t;
    }
    auto it = n->properties.find(name);
    if (it != n->properties.end()) {
      if (declared != nullptr) *declared = true;
      return FromNode(it->second.get());
    }
    if (n->additional != nullptr) return FromNode(n->additional.get());
    return TypeRef();
  }
  if (parent.meta != nullptr) {
    const absl::string_view key(name.data(), name.size());
    {
      MutexLock l(&mu_);
      auto it = field_cache_.find(parent.meta);
      if (it != field_cache_.end()) {
        auto f = it->second.find(key);
        if (f != it->second.end()) {
          if (declared != nullptr) *declared = f->second.declared;
          return f->second.type;
        }
      }
    }
    CachedField c;
    absl::StatusOr<patch::FieldPatchInfo> info = parent.meta->Lookup(key);
    if (info.ok()) {
      c.declared = true;
      c.type = FromPatchInfo(*parent.meta, name, *info);
    }
    if (declared != nullptr) *declared = c.declared;
    MutexLock l(&mu_);
    auto& fields = field_cache_[parent.meta];
    if (fields.size() < kMaxCachedFields) fields.emplace(std::string(key), c);
    return c.type;
  }
  return TypeRef();
}

TypeRef Schema::Elem(const TypeRef& list) const {
  if (list.node != nullptr) return FromNode(list.node->items.get());
  TypeRef t;
  if (list.list_type == ListType::kSet) {
    t.kind = Kind::kScalar;
    return t;
  }
  if (list.meta != nullptr && list.meta != &patch::SchemalessPatchMeta()) {
    t.kind = Kind::kMap;
    t.meta = list.meta;
    t.atomic = IsAtomicStruct(list.meta);
  }
  return t;
}

}  // namespace rudder::api::apply
