#include "lib/apiserver/rest/internal/openapi_v2_proto.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/apiserver/rest/internal/openapi_v2.pb.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::apiserver::rest_internal {
namespace {

namespace pb = rest::openapiv2;
using rapidjson::Value;

// Deeper schemas than this are cut off (the generated documents nest a few levels only).
constexpr int kMaxDepth = 64;

std::string JsonText(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Str(const Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool Bool(const Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

template <typename Setter>
void Num(const Value& o, const char* key, Setter set) {
  auto it = o.FindMember(key);
  if (it != o.MemberEnd() && it->value.IsNumber()) set(it->value.GetDouble());
}

void Strings(const Value& o, const char* key,
             google::protobuf::RepeatedPtrField<std::string>* out) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsArray()) return;
  for (const Value& s : it->value.GetArray()) {
    if (s.IsString()) out->Add(s.GetString());
  }
}

template <typename M>
void Extensions(const Value& o, M* m) {
  for (auto it = o.MemberBegin(); it != o.MemberEnd(); ++it) {
    if (!absl::StartsWith(it->name.GetString(), "x-")) continue;
    pb::NamedAny* a = m->add_vendor_extension();
    a->set_name(it->name.GetString());
    a->mutable_value()->set_yaml(JsonText(it->value));
  }
}

void ConvertSchema(const Value& v, pb::Schema* s, int depth) {
  if (!v.IsObject() || depth > kMaxDepth) return;
  s->set__ref(Str(v, "$ref"));
  s->set_format(Str(v, "format"));
  s->set_title(Str(v, "title"));
  s->set_description(Str(v, "description"));
  if (auto it = v.FindMember("default"); it != v.MemberEnd()) {
    s->mutable_default_()->set_yaml(JsonText(it->value));
  }
  if (auto it = v.FindMember("example"); it != v.MemberEnd()) {
    s->mutable_example()->set_yaml(JsonText(it->value));
  }
  Num(v, "multipleOf", [s](double d) { s->set_multiple_of(d); });
  Num(v, "maximum", [s](double d) { s->set_maximum(d); });
  Num(v, "minimum", [s](double d) { s->set_minimum(d); });
  s->set_exclusive_maximum(Bool(v, "exclusiveMaximum"));
  s->set_exclusive_minimum(Bool(v, "exclusiveMinimum"));
  Num(v, "maxLength", [s](double d) { s->set_max_length(static_cast<int64_t>(d)); });
  Num(v, "minLength", [s](double d) { s->set_min_length(static_cast<int64_t>(d)); });
  Num(v, "maxItems", [s](double d) { s->set_max_items(static_cast<int64_t>(d)); });
  Num(v, "minItems", [s](double d) { s->set_min_items(static_cast<int64_t>(d)); });
  Num(v, "maxProperties", [s](double d) { s->set_max_properties(static_cast<int64_t>(d)); });
  Num(v, "minProperties", [s](double d) { s->set_min_properties(static_cast<int64_t>(d)); });
  s->set_pattern(Str(v, "pattern"));
  s->set_unique_items(Bool(v, "uniqueItems"));
  s->set_read_only(Bool(v, "readOnly"));
  Strings(v, "required", s->mutable_required());
  if (auto it = v.FindMember("enum"); it != v.MemberEnd() && it->value.IsArray()) {
    for (const Value& e : it->value.GetArray()) s->add_enum_()->set_yaml(JsonText(e));
  }
  if (auto it = v.FindMember("type"); it != v.MemberEnd()) {
    if (it->value.IsString()) {
      s->mutable_type()->add_value(it->value.GetString());
    } else if (it->value.IsArray()) {
      for (const Value& t : it->value.GetArray()) {
        if (t.IsString()) s->mutable_type()->add_value(t.GetString());
      }
    }
  }
  if (auto it = v.FindMember("additionalProperties"); it != v.MemberEnd()) {
    if (it->value.IsBool()) {
      s->mutable_additional_properties()->set_boolean(it->value.GetBool());
    } else {
      ConvertSchema(it->value, s->mutable_additional_properties()->mutable_schema(), depth + 1);
    }
  }
  if (auto it = v.FindMember("items"); it != v.MemberEnd()) {
    if (it->value.IsArray()) {
      for (const Value& i : it->value.GetArray()) {
        ConvertSchema(i, s->mutable_items()->add_schema(), depth + 1);
      }
    } else {
      ConvertSchema(it->value, s->mutable_items()->add_schema(), depth + 1);
    }
  }
  if (auto it = v.FindMember("allOf"); it != v.MemberEnd() && it->value.IsArray()) {
    const Value& all = it->value;
    if (all.Size() == 1 && s->_ref().empty() && !v.HasMember("type") && all[0].IsObject() &&
        all[0].MemberCount() == 1 && !Str(all[0], "$ref").empty()) {
      // {"allOf": [{"$ref": R}], ...siblings}: swagger 2.0 writes {"$ref": R, ...siblings},
      // the only form older clients resolve.
      s->set__ref(Str(all[0], "$ref"));
    } else {
      for (const Value& a : all.GetArray()) ConvertSchema(a, s->add_all_of(), depth + 1);
    }
  }
  if (auto it = v.FindMember("properties"); it != v.MemberEnd() && it->value.IsObject()) {
    for (auto p = it->value.MemberBegin(); p != it->value.MemberEnd(); ++p) {
      pb::NamedSchema* n = s->mutable_properties()->add_additional_properties();
      n->set_name(p->name.GetString());
      ConvertSchema(p->value, n->mutable_value(), depth + 1);
    }
  }
  Extensions(v, s);
}

void ConvertParameter(const Value& v, pb::ParametersItem* item) {
  if (!v.IsObject()) return;
  pb::Parameter* p = item->mutable_parameter();
  std::string in = Str(v, "in");
  if (in == "body") {
    pb::BodyParameter* b = p->mutable_body_parameter();
    b->set_name(Str(v, "name"));
    b->set_in(in);
    b->set_description(Str(v, "description"));
    b->set_required(Bool(v, "required"));
    if (auto it = v.FindMember("schema"); it != v.MemberEnd()) {
      ConvertSchema(it->value, b->mutable_schema(), 0);
    }
  } else if (in == "path") {
    pb::PathParameterSubSchema* q =
        p->mutable_non_body_parameter()->mutable_path_parameter_sub_schema();
    q->set_name(Str(v, "name"));
    q->set_in(in);
    q->set_description(Str(v, "description"));
    q->set_required(Bool(v, "required"));
    q->set_type(Str(v, "type"));
    q->set_format(Str(v, "format"));
  } else if (in == "header") {
    pb::HeaderParameterSubSchema* q =
        p->mutable_non_body_parameter()->mutable_header_parameter_sub_schema();
    q->set_name(Str(v, "name"));
    q->set_in(in);
    q->set_description(Str(v, "description"));
    q->set_required(Bool(v, "required"));
    q->set_type(Str(v, "type"));
    q->set_format(Str(v, "format"));
  } else {
    pb::QueryParameterSubSchema* q =
        p->mutable_non_body_parameter()->mutable_query_parameter_sub_schema();
    q->set_name(Str(v, "name"));
    q->set_in(in);
    q->set_description(Str(v, "description"));
    q->set_required(Bool(v, "required"));
    q->set_type(Str(v, "type"));
    q->set_format(Str(v, "format"));
    q->set_unique_items(Bool(v, "uniqueItems"));
  }
}

void ConvertOperation(const Value& v, pb::Operation* op) {
  if (!v.IsObject()) return;
  Strings(v, "tags", op->mutable_tags());
  op->set_summary(Str(v, "summary"));
  op->set_description(Str(v, "description"));
  op->set_operation_id(Str(v, "operationId"));
  Strings(v, "produces", op->mutable_produces());
  Strings(v, "consumes", op->mutable_consumes());
  Strings(v, "schemes", op->mutable_schemes());
  op->set_deprecated(Bool(v, "deprecated"));
  if (auto it = v.FindMember("parameters"); it != v.MemberEnd() && it->value.IsArray()) {
    for (const Value& p : it->value.GetArray()) ConvertParameter(p, op->add_parameters());
  }
  if (auto it = v.FindMember("responses"); it != v.MemberEnd() && it->value.IsObject()) {
    for (auto r = it->value.MemberBegin(); r != it->value.MemberEnd(); ++r) {
      pb::NamedResponseValue* n = op->mutable_responses()->add_response_code();
      n->set_name(r->name.GetString());
      pb::Response* resp = n->mutable_value()->mutable_response();
      if (!r->value.IsObject()) continue;
      resp->set_description(Str(r->value, "description"));
      if (auto s = r->value.FindMember("schema"); s != r->value.MemberEnd()) {
        ConvertSchema(s->value, resp->mutable_schema()->mutable_schema(), 0);
      }
    }
  }
  Extensions(v, op);
}

}  // namespace

absl::StatusOr<std::string> SwaggerJsonToProto(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("OpenAPI v2 document: ", rapidjson::GetParseError_En(d.GetParseError()),
                     " at offset ", d.GetErrorOffset()));
  }
  if (!d.IsObject()) return absl::InvalidArgumentError("OpenAPI v2 document: not an object");
  pb::Document doc;
  doc.set_swagger(Str(d, "swagger"));
  if (auto it = d.FindMember("info"); it != d.MemberEnd() && it->value.IsObject()) {
    doc.mutable_info()->set_title(Str(it->value, "title"));
    doc.mutable_info()->set_version(Str(it->value, "version"));
  }
  if (auto it = d.FindMember("paths"); it != d.MemberEnd() && it->value.IsObject()) {
    pb::Paths* paths = doc.mutable_paths();
    for (auto p = it->value.MemberBegin(); p != it->value.MemberEnd(); ++p) {
      if (!p->value.IsObject()) continue;
      pb::NamedPathItem* n = paths->add_path();
      n->set_name(p->name.GetString());
      pb::PathItem* item = n->mutable_value();
      const Value& v = p->value;
      struct {
        const char* method;
        pb::Operation* (pb::PathItem::*field)();
      } methods[] = {
          {"get", &pb::PathItem::mutable_get},         {"put", &pb::PathItem::mutable_put},
          {"post", &pb::PathItem::mutable_post},       {"delete", &pb::PathItem::mutable_delete_},
          {"options", &pb::PathItem::mutable_options}, {"head", &pb::PathItem::mutable_head},
          {"patch", &pb::PathItem::mutable_patch}};
      for (const auto& m : methods) {
        if (auto o = v.FindMember(m.method); o != v.MemberEnd()) {
          ConvertOperation(o->value, (item->*m.field)());
        }
      }
      if (auto ps = v.FindMember("parameters"); ps != v.MemberEnd() && ps->value.IsArray()) {
        for (const Value& x : ps->value.GetArray()) ConvertParameter(x, item->add_parameters());
      }
    }
  }
  if (auto it = d.FindMember("definitions"); it != d.MemberEnd() && it->value.IsObject()) {
    for (auto s = it->value.MemberBegin(); s != it->value.MemberEnd(); ++s) {
      pb::NamedSchema* n = doc.mutable_definitions()->add_additional_properties();
      n->set_name(s->name.GetString());
      ConvertSchema(s->value, n->mutable_value(), 0);
    }
  }
  std::string out;
  if (!doc.SerializeToString(&out)) return absl::InternalError("OpenAPI v2: cannot serialize");
  return out;
}

}  // namespace rudder::apiserver::rest_internal
