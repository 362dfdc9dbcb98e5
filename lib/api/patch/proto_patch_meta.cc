#include "lib/api/patch/proto_patch_meta.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/api/codec/special_types.h"
#include "lib/api/proto/options.pb.h"

namespace rudder::api::patch {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using rudder::api::JsonSpecialTypes;
using rudder::api::NewBuiltinJsonSpecialTypes;

// Message types holding arbitrary JSON.
bool IsRawMessage(absl::string_view full_name) {
  return full_name == "rudder.api.runtime.RawExtension" ||
         full_name == "rudder.api.apiextensions.v1.JSON";
}

class Graph;

// One node of the metadata graph: a message, or the values of a map field.
class Node final : public PatchMeta {
 public:
  explicit Node(std::string name) : name_(std::move(name)) {}

  absl::StatusOr<FieldPatchInfo> Lookup(absl::string_view name) const override {
    if (map_value_ != nullptr) return *map_value_;
    auto it = fields_.find(name);
    if (it == fields_.end()) {
      return absl::NotFoundError(absl::StrCat("unable to find api field in struct ", name_,
                                              " for the json field \"", name, "\""));
    }
    return it->second;
  }
  std::string Name() const override { return name_; }

  std::string name_;
  absl::flat_hash_map<std::string, absl::StatusOr<FieldPatchInfo>> fields_;
  std::unique_ptr<absl::StatusOr<FieldPatchInfo>> map_value_;
};

// Owns every node reachable from a root message.
class Graph {
 public:
  explicit Graph(JsonSpecialTypes types) : types_(std::move(types)) {}

  const Node* NodeFor(const Descriptor* d) {
    auto it = messages_.find(d);
    if (it != messages_.end()) return it->second.get();
    auto node = std::make_unique<Node>(d->full_name());
    Node* raw = node.get();
    messages_.emplace(d, std::move(node));
    AddFields(raw, d, 0);
    return raw;
  }

 private:
  // Adds the fields of `d` to `node`, flattening inline (embedded) members as JSON does.
  void AddFields(Node* node, const Descriptor* d, int depth) {
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (depth < 8 && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated() &&
          types_.IsInlineField(f->full_name())) {
        AddFields(node, f->message_type(), depth + 1);
        continue;
      }
      node->fields_.emplace(f->json_name(), InfoFor(f));
    }
  }

  // The info of a (non-map-entry) value of type `f`, ignoring repetition.
  FieldPatchInfo ValueInfo(const FieldDescriptor* f) {
    FieldPatchInfo info;
    info.children = &SchemalessPatchMeta();
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      info.kind = FieldKind::kPrimitive;
      return info;
    }
    const Descriptor* m = f->message_type();
    if (IsRawMessage(m->full_name())) {
      info.kind = FieldKind::kAny;
    } else if (types_.Find(m->full_name()) != nullptr) {
      info.kind = FieldKind::kPrimitive;
    } else {
      info.kind = FieldKind::kObject;
      info.children = NodeFor(m);
    }
    return info;
  }

  absl::StatusOr<FieldPatchInfo> InfoFor(const FieldDescriptor* f) {
    FieldPatchInfo info;
    if (f->is_map()) {
      const Descriptor* entry = f->message_type();
      auto values = std::make_unique<Node>(absl::StrCat(f->full_name(), "[*]"));
      values->map_value_ =
          std::make_unique<absl::StatusOr<FieldPatchInfo>>(ValueInfo(entry->map_value()));
      info.kind = FieldKind::kObject;
      info.children = values.get();
      map_values_.push_back(std::move(values));
    } else if (f->is_repeated()) {
      FieldPatchInfo elem = ValueInfo(f);
      info.kind = FieldKind::kList;
      info.children = elem.children;
    } else {
      info = ValueInfo(f);
    }
    const google::protobuf::FieldOptions& opts = f->options();
    auto strategy = PatchStrategy::Parse(opts.GetExtension(rudder::api::patch_strategy));
    if (!strategy.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field ", f->full_name(), ": ", strategy.status().message()));
    }
    info.strategy = *strategy;
    info.merge_key = opts.GetExtension(rudder::api::patch_merge_key);
    return info;
  }

  const JsonSpecialTypes types_;
  absl::flat_hash_map<const Descriptor*, std::unique_ptr<Node>> messages_;
  std::vector<std::unique_ptr<Node>> map_values_;
};

// The root handed out: owns the graph, answers as the root message's node.
class Root final : public PatchMeta {
 public:
  Root(const Descriptor* d, JsonSpecialTypes types)
      : graph_(std::move(types)), root_(graph_.NodeFor(d)) {}
  absl::StatusOr<FieldPatchInfo> Lookup(absl::string_view name) const override {
    return root_->Lookup(name);
  }
  std::string Name() const override { return root_->Name(); }

 private:
  Graph graph_;
  const Node* root_;
};

}  // namespace

std::unique_ptr<PatchMeta> NewProtoPatchMeta(const Descriptor* message) {
  return NewProtoPatchMeta(message, NewBuiltinJsonSpecialTypes());
}

std::unique_ptr<PatchMeta> NewProtoPatchMeta(const Descriptor* message,
                                             const JsonSpecialTypes& types) {
  return std::make_unique<Root>(message, types);
}

}  // namespace rudder::api::patch
