// The scale subresource: a Scale view of an object's replica count and selector.
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/patch/json_patch.h"
#include "lib/api/patch/merge_patch.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/patch/strategic_merge_patch.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/status_macros.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::apiserver {
namespace {

using api::autoscaling::v1::Scale;
using ScalePtr = std::unique_ptr<Scale>;

std::vector<std::string> PathParts(const std::string& path) {
  return absl::StrSplit(path, '.', absl::SkipEmpty());
}

const rapidjson::Value* At(const rapidjson::Value& root, const std::string& path) {
  const rapidjson::Value* cur = &root;
  for (const std::string& p : PathParts(path)) {
    if (!cur->IsObject()) return nullptr;
    auto it = cur->FindMember(p.c_str());
    if (it == cur->MemberEnd()) return nullptr;
    cur = &it->value;
  }
  return cur;
}

// A LabelSelector object as a selector string (matchLabels and matchExpressions).
std::string SelectorString(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (!v.IsObject()) return "";
  std::vector<std::string> terms;
  if (auto ml = v.FindMember("matchLabels"); ml != v.MemberEnd() && ml->value.IsObject()) {
    for (const auto& m : ml->value.GetObject()) {
      if (m.value.IsString())
        terms.push_back(absl::StrCat(m.name.GetString(), "=", m.value.GetString()));
    }
  }
  if (auto me = v.FindMember("matchExpressions"); me != v.MemberEnd() && me->value.IsArray()) {
    for (const auto& e : me->value.GetArray()) {
      if (!e.IsObject() || !e.HasMember("key") || !e.HasMember("operator")) continue;
      std::string key = e["key"].GetString(), op = e["operator"].GetString();
      std::vector<std::string> values;
      if (e.HasMember("values") && e["values"].IsArray()) {
        for (const auto& x : e["values"].GetArray()) {
          if (x.IsString()) values.push_back(x.GetString());
        }
      }
      if (op == "In") terms.push_back(absl::StrCat(key, " in (", absl::StrJoin(values, ","), ")"));
      if (op == "NotIn") {
        terms.push_back(absl::StrCat(key, " notin (", absl::StrJoin(values, ","), ")"));
      }
      if (op == "Exists") terms.push_back(key);
      if (op == "DoesNotExist") terms.push_back("!" + key);
    }
  }
  return absl::StrJoin(terms, ",");
}

absl::StatusOr<ScalePtr> ScaleOf(const api::KindInfo& kind, const google::protobuf::Message& obj) {
  RUDDER_ASSIGN_OR_RETURN(std::string json, api::EncodeJson(obj));
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) return absl::InternalError("cannot read the object's JSON");
  auto scale = std::make_unique<Scale>();
  const api::meta::v1::ObjectMeta& m = *api::GetObjectMeta(obj);
  api::meta::v1::ObjectMeta* sm = scale->mutable_metadata();
  sm->set_name(m.name());
  if (!m.namespace_().empty()) sm->set_namespace_(m.namespace_());
  sm->set_uid(m.uid());
  sm->set_resourceversion(m.resourceversion());
  *sm->mutable_creationtimestamp() = m.creationtimestamp();
  const rapidjson::Value* spec = At(d, kind.scale.spec_replicas_path);
  scale->mutable_spec()->set_replicas(spec != nullptr && spec->IsInt() ? spec->GetInt() : 0);
  const rapidjson::Value* st = At(d, kind.scale.status_replicas_path);
  scale->mutable_status()->set_replicas(st != nullptr && st->IsInt() ? st->GetInt() : 0);
  if (!kind.scale.label_selector_path.empty()) {
    if (const rapidjson::Value* sel = At(d, kind.scale.label_selector_path); sel != nullptr) {
      std::string s = SelectorString(*sel);
      if (!s.empty()) scale->mutable_status()->set_selector(s);
    }
  }
  return scale;
}

absl::Status NoScale(const api::KindInfo& kind) {
  if (kind.has_scale && kind.descriptor != nullptr) return absl::OkStatus();
  return absl::NotFoundError("the server could not find the requested resource");
}

}  // namespace

absl::StatusOr<ScalePtr> Registry::GetScale(const api::KindInfo& kind, const std::string& ns,
                                            const std::string& name) {
  RUDDER_RETURN_IF_ERROR(NoScale(kind));
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, Get(kind, ns, name));
  return ScaleOf(kind, *obj);
}

absl::StatusOr<ScalePtr> Registry::UpdateScale(const api::KindInfo& kind, const std::string& ns,
                                               const std::string& name, const Scale& scale,
                                               const WriteOptions& options) {
  RUDDER_RETURN_IF_ERROR(NoScale(kind));
  if (scale.metadata().has_name() && scale.metadata().name() != name) {
    return absl::InvalidArgumentError(
        absl::StrCat("the name of the object (", scale.metadata().name(),
                     ") does not match the name on the URL (", name, ")"));
  }
  if (scale.spec().replicas() < 0) {
    api::field::FieldErrors errs;
    errs.Add(api::field::Invalid(api::field::Path("spec").Child("replicas"),
                                 absl::StrCat(scale.spec().replicas()),
                                 "must be greater than or equal to 0"));
    return WithDetails(errs.ToStatus("Scale.autoscaling", name), kind.gvk.group, kind.plural, name);
  }
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, Get(kind, ns, name));
  if (!scale.metadata().resourceversion().empty()) {
    api::MutableObjectMeta(obj.get())->set_resourceversion(scale.metadata().resourceversion());
  }
  RUDDER_ASSIGN_OR_RETURN(std::string json, api::EncodeJson(*obj));
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return absl::InternalError("cannot read the object");
  rapidjson::Value* cur = &d;
  std::vector<std::string> parts = PathParts(kind.scale.spec_replicas_path);
  if (parts.empty()) return absl::InternalError("the kind has no spec replicas path");
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    auto it = cur->FindMember(parts[i].c_str());
    if (it == cur->MemberEnd()) {
      cur->AddMember(rapidjson::Value(parts[i].c_str(), d.GetAllocator()),
                     rapidjson::Value(rapidjson::kObjectType), d.GetAllocator());
      it = cur->FindMember(parts[i].c_str());
    }
    cur = &it->value;
    if (!cur->IsObject()) return absl::InternalError("the replicas path is not an object path");
  }
  auto it = cur->FindMember(parts.back().c_str());
  if (it == cur->MemberEnd()) {
    cur->AddMember(rapidjson::Value(parts.back().c_str(), d.GetAllocator()),
                   rapidjson::Value(scale.spec().replicas()), d.GetAllocator());
  } else {
    it->value.SetInt(scale.spec().replicas());
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  ObjectPtr next = kind.New();
  RUDDER_RETURN_IF_ERROR(
      api::DecodeJson(absl::string_view(buf.GetString(), buf.GetSize()), next.get()).status());
  RUDDER_ASSIGN_OR_RETURN(ObjectPtr updated,
                          Update(kind, ns, name, std::move(next), false, options));
  return ScaleOf(kind, *updated);
}

absl::StatusOr<ScalePtr> Registry::PatchScale(const api::KindInfo& kind, const std::string& ns,
                                              const std::string& name, PatchType type,
                                              const std::string& patch,
                                              const WriteOptions& options) {
  if (type == PatchType::kApply) {
    return absl::InvalidArgumentError(
        "server-side apply is not supported on the scale subresource");
  }
  for (int attempt = 0; attempt < 16; ++attempt) {
    RUDDER_ASSIGN_OR_RETURN(ScalePtr cur, GetScale(kind, ns, name));
    api::JsonEncodeOptions enc;
    enc.api_version = "autoscaling/v1";
    enc.kind = "Scale";
    RUDDER_ASSIGN_OR_RETURN(std::string live, api::EncodeJson(*cur, enc));
    absl::StatusOr<std::string> patched;
    if (type == PatchType::kJson) {
      patched = api::patch::ApplyJsonPatch(live, patch);
    } else if (type == PatchType::kMerge) {
      patched = api::patch::ApplyMergePatch(live, patch);
    } else {
      std::unique_ptr<api::patch::PatchMeta> meta =
          api::patch::NewProtoPatchMeta(Scale::descriptor());
      patched = api::patch::ApplyStrategicMergePatch(live, patch, *meta);
    }
    if (!patched.ok()) return absl::InvalidArgumentError(patched.status().message());
    Scale next;
    api::JsonDecodeOptions dec;
    dec.validation = api::FieldValidation::kIgnore;
    absl::Status st = api::DecodeJson(*patched, &next, dec).status();
    if (!st.ok()) return absl::InvalidArgumentError(st.message());
    const bool pinned = next.metadata().resourceversion() != cur->metadata().resourceversion();
    absl::StatusOr<ScalePtr> r = UpdateScale(kind, ns, name, next, options);
    if (r.ok() || r.status().code() != absl::StatusCode::kAborted || pinned) return r;
  }
  return absl::AbortedError(absl::StrCat("Operation cannot be fulfilled on ",
                                         QualifiedResource(kind), " \"", name,
                                         "\": too many conflicts"));
}

}  // namespace rudder::apiserver
