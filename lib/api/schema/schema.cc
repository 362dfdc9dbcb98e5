#include "lib/api/schema/schema.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/api/codec/special_types.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::api::schema {
namespace {

using rapidjson::Value;

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseFullPrecisionFlag |
                                 rapidjson::kParseValidateEncodingFlag;

// Go's float formatting for the common cases: integral values without a fraction.
void AppendNumber(const Value& v, std::string* out) {
  if (v.IsInt64()) {
    absl::StrAppend(out, v.GetInt64());
  } else if (v.IsUint64()) {
    absl::StrAppend(out, v.GetUint64());
  } else {
    double d = v.GetDouble();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e21) {
      absl::StrAppend(out, absl::StrFormat("%.0f", d));
    } else {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      w.Double(d);
      out->append(buf.GetString(), buf.GetSize());
    }
  }
}

void AppendCanonical(const Value& v, std::string* out) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out->append("null");
      return;
    case rapidjson::kFalseType:
      out->append("false");
      return;
    case rapidjson::kTrueType:
      out->append("true");
      return;
    case rapidjson::kNumberType:
      AppendNumber(v, out);
      return;
    case rapidjson::kStringType:
      AppendJsonString(absl::string_view(v.GetString(), v.GetStringLength()), out);
      return;
    case rapidjson::kArrayType: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.GetArray()) {
        if (!first) out->push_back(',');
        first = false;
        AppendCanonical(e, out);
      }
      out->push_back(']');
      return;
    }
    case rapidjson::kObjectType: {
      std::vector<const Value::Member*> members;
      members.reserve(v.MemberCount());
      for (const auto& m : v.GetObject()) members.push_back(&m);
      std::sort(members.begin(), members.end(), [](const Value::Member* a, const Value::Member* b) {
        return absl::string_view(a->name.GetString(), a->name.GetStringLength()) <
               absl::string_view(b->name.GetString(), b->name.GetStringLength());
      });
      out->push_back('{');
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(
            absl::string_view(members[i]->name.GetString(), members[i]->name.GetStringLength()),
            out);
        out->push_back(':');
        AppendCanonical(members[i]->value, out);
      }
      out->push_back('}');
      return;
    }
  }
}

absl::string_view Str(const Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

// True if `v` nests deeper than `limit` (stops looking there, so the recursion is bounded).
bool DeeperThan(const Value& v, int limit) {
  if (limit < 0) return true;
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (DeeperThan(m.value, limit - 1)) return true;
    }
  } else if (v.IsArray()) {
    for (const Value& e : v.GetArray()) {
      if (DeeperThan(e, limit - 1)) return true;
    }
  }
  return false;
}

class Parser {
 public:
  absl::StatusOr<std::shared_ptr<const Schema>> Node(const Value& v, const std::string& path,
                                                     int depth) {
    if (depth > kMaxDepth) return Bad(path, "schema nested too deeply");
    if (!v.IsObject()) return Bad(path, "must be an object");
    auto s = std::make_shared<Schema>();
    for (const auto& m : v.GetObject()) {
      const std::string key(Str(m.name));
      const Value& x = m.value;
      const std::string p = absl::StrCat(path, ".", key);
      if (key == "type") {
        if (!x.IsString()) return Bad(p, "must be a string");
        s->type = std::string(Str(x));
        static const char* const kTypes[] = {"object", "array",   "string", "integer",
                                             "number", "boolean", ""};
        if (std::find(std::begin(kTypes), std::end(kTypes), s->type) == std::end(kTypes)) {
          return Bad(p, absl::StrCat("Unsupported value: \"", s->type,
                                     "\": supported values: \"array\", \"boolean\", \"integer\", "
                                     "\"number\", \"object\", \"string\""));
        }
      } else if (key == "format" || key == "description") {
        if (!x.IsString()) return Bad(p, "must be a string");
        (key == "format" ? s->format : s->description) = std::string(Str(x));
      } else if (key == "properties") {
        if (!x.IsObject()) return Bad(p, "must be an object");
        for (const auto& pm : x.GetObject()) {
          std::string name(Str(pm.name));
          auto child = Node(pm.value, absl::StrCat(p, "[", name, "]"), depth + 1);
          if (!child.ok()) return child.status();
          s->properties[name] = std::move(*child);
        }
      } else if (key == "required") {
        if (!x.IsArray()) return Bad(p, "must be an array of strings");
        for (const Value& r : x.GetArray()) {
          if (!r.IsString()) return Bad(p, "must be an array of strings");
          s->required.emplace_back(Str(r));
        }
      } else if (key == "items") {
        auto child = Node(x, p, depth + 1);
        if (!child.ok()) return child.status();
        s->items = std::move(*child);
      } else if (key == "additionalProperties") {
        if (x.IsBool()) {
          s->additional_properties_any = x.GetBool();
        } else {
          auto child = Node(x, p, depth + 1);
          if (!child.ok()) return child.status();
          s->additional_properties = std::move(*child);
        }
      } else if (key == "enum") {
        if (!x.IsArray()) return Bad(p, "must be an array");
        if (DeeperThan(x, kMaxDepth)) return Bad(p, "nested too deeply");
        for (const Value& e : x.GetArray()) s->enum_values.push_back(CanonicalJson(e));
      } else if (key == "minimum" || key == "maximum" || key == "multipleOf") {
        if (!x.IsNumber()) return Bad(p, "must be a number");
        if (key == "minimum") s->minimum = x.GetDouble();
        if (key == "maximum") s->maximum = x.GetDouble();
        if (key == "multipleOf") {
          if (x.GetDouble() <= 0) return Bad(p, "must be greater than 0");
          s->multiple_of = x.GetDouble();
        }
      } else if (key == "exclusiveMinimum" || key == "exclusiveMaximum" || key == "nullable" ||
                 key == "x-kubernetes-preserve-unknown-fields" ||
                 key == "x-kubernetes-int-or-string" || key == "x-kubernetes-embedded-resource" ||
                 key == "uniqueItems") {
        if (!x.IsBool()) return Bad(p, "must be a boolean");
        bool b = x.GetBool();
        if (key == "exclusiveMinimum") s->exclusive_minimum = b;
        if (key == "exclusiveMaximum") s->exclusive_maximum = b;
        if (key == "nullable") s->nullable = b;
        if (key == "x-kubernetes-preserve-unknown-fields") s->preserve_unknown_fields = b;
        if (key == "x-kubernetes-int-or-string") s->int_or_string = b;
        if (key == "x-kubernetes-embedded-resource") s->embedded_resource = b;
      } else if (key == "minLength" || key == "maxLength" || key == "minItems" ||
                 key == "maxItems" || key == "minProperties" || key == "maxProperties") {
        if (!x.IsInt64() || x.GetInt64() < 0) return Bad(p, "must be a non-negative integer");
        int64_t n = x.GetInt64();
        if (key == "minLength") s->min_length = n;
        if (key == "maxLength") s->max_length = n;
        if (key == "minItems") s->min_items = n;
        if (key == "maxItems") s->max_items = n;
        if (key == "minProperties") s->min_properties = n;
        if (key == "maxProperties") s->max_properties = n;
      } else if (key == "pattern") {
        if (!x.IsString()) return Bad(p, "must be a string");
        s->pattern = std::string(Str(x));
        if (s->pattern.size() > kMaxPatternLength) {
          return Bad(p, absl::StrCat("must be at most ", kMaxPatternLength, " characters"));
        }
        try {
          s->pattern_re = std::make_shared<const std::regex>(s->pattern, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return Bad(p, absl::StrCat("Invalid value: \"", s->pattern,
                                     "\": must be a valid regular expression"));
        }
      } else if (key == "default") {
        if (DeeperThan(x, kMaxDepth)) return Bad(p, "nested too deeply");
        s->default_json = CanonicalJson(x);
      }
      // Anything else (title, example, allOf, x-kubernetes-validations, ...) is ignored.
    }
    if (s->type == "" && !s->int_or_string && !s->preserve_unknown_fields && depth > 0 &&
        !s->embedded_resource) {
      // Kubernetes requires a type in structural schemas except for these cases.
      return Bad(absl::StrCat(path, ".type"),
                 "Required value: must not be empty for specified "
                 "object fields");
    }
    if (s->int_or_string && !s->type.empty()) {
      return Bad(absl::StrCat(path, ".type"),
                 "Invalid value: must be empty when x-kubernetes-int-or-string is true");
    }
    if (s->type == "array" && s->items == nullptr) {
      return Bad(absl::StrCat(path, ".items"), "Required value: must be specified");
    }
    if (!s->properties.empty() && (s->additional_properties != nullptr)) {
      return Bad(absl::StrCat(path, ".additionalProperties"),
                 "Forbidden: additionalProperties and properties are mutual exclusive");
    }
    return std::shared_ptr<const Schema>(std::move(s));
  }

 private:
  static absl::Status Bad(const std::string& path, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  }
};

// The JSON type name of a value, as Kubernetes names it in type errors.
std::string TypeName(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "boolean";
    case rapidjson::kNumberType:
      return v.IsInt64() || v.IsUint64() ? "integer" : "number";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kObjectType:
      return "object";
  }
  return "";
}

bool IsInteger(const Value& v) {
  if (v.IsInt64() || v.IsUint64()) return true;
  if (!v.IsDouble()) return false;
  double d = v.GetDouble();
  return std::isfinite(d) && d == std::floor(d);
}

// A value as Kubernetes prints it in an error: strings quoted, the rest as JSON.
std::string Render(const Value& v) {
  if (v.IsString()) return field::Quote(Str(v));
  std::string out = CanonicalJson(v);
  if (out.size() > 256) out = out.substr(0, 253) + "...";
  return out;
}

std::string Num(double d) {
  Value v(d);
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
    return absl::StrCat(static_cast<int64_t>(d));
  }
  return CanonicalJson(v);
}

std::string InBody(const field::Path& path) {
  return path.empty() ? std::string("body") : absl::StrCat(path.String(), " in body");
}

size_t Utf8Length(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

void ValidateInto(const Schema& s, const Value& v, const field::Path& path, bool root,
                  field::FieldErrors* errs) {
  if (v.IsNull()) {
    if (s.nullable || (s.type.empty() && !s.int_or_string)) return;
    std::string want = s.int_or_string ? "integer,string" : s.type;
    errs->Add(field::Invalid(path, "\"null\"",
                             absl::StrCat(InBody(path), " must be of type ", want, ": \"null\"")));
    return;
  }
  // Type.
  bool type_ok = true;
  if (s.int_or_string) {
    type_ok = v.IsString() || IsInteger(v);
    if (!type_ok) {
      errs->Add(field::Invalid(
          path, Render(v),
          absl::StrCat(InBody(path), " must be of type integer,string: \"", TypeName(v), "\"")));
    }
  } else if (!s.type.empty()) {
    if (s.type == "object") type_ok = v.IsObject();
    if (s.type == "array") type_ok = v.IsArray();
    if (s.type == "string") type_ok = v.IsString();
    if (s.type == "integer") type_ok = IsInteger(v);
    if (s.type == "number") type_ok = v.IsNumber();
    if (s.type == "boolean") type_ok = v.IsBool();
    if (!type_ok) {
      errs->Add(field::Invalid(
          path, field::Quote(TypeName(v)),
          absl::StrCat(InBody(path), " must be of type ", s.type, ": \"", TypeName(v), "\"")));
    }
  }
  if (!type_ok) return;
  // Enum.
  if (!s.enum_values.empty()) {
    std::string c = CanonicalJson(v);
    if (std::find(s.enum_values.begin(), s.enum_values.end(), c) == s.enum_values.end()) {
      std::vector<std::string> valid;
      for (const std::string& e : s.enum_values) {
        // Strings print unquoted here; NotSupported quotes every value.
        if (!e.empty() && e[0] == '"') {
          rapidjson::Document d;
          d.Parse(e.data(), e.size());
          valid.push_back(d.IsString() ? std::string(Str(d)) : e);
        } else {
          valid.push_back(e);
        }
      }
      errs->Add(field::NotSupported(path, Render(v), valid));
    }
  }
  // Numbers.
  if (v.IsNumber()) {
    double d = v.GetDouble();
    if (s.maximum.has_value()) {
      if (s.exclusive_maximum ? d >= *s.maximum : d > *s.maximum) {
        errs->Add(field::Invalid(
            path, Render(v),
            absl::StrCat(InBody(path), " should be less than ",
                         s.exclusive_maximum ? "" : "or equal to ", Num(*s.maximum))));
      }
    }
    if (s.minimum.has_value()) {
      if (s.exclusive_minimum ? d <= *s.minimum : d < *s.minimum) {
        errs->Add(field::Invalid(
            path, Render(v),
            absl::StrCat(InBody(path), " should be greater than ",
                         s.exclusive_minimum ? "" : "or equal to ", Num(*s.minimum))));
      }
    }
    if (s.multiple_of.has_value()) {
      double q = d / *s.multiple_of;
      if (!std::isfinite(q) || std::fabs(q - std::round(q)) > 1e-9) {
        errs->Add(field::Invalid(
            path, Render(v),
            absl::StrCat(InBody(path), " should be a multiple of ", Num(*s.multiple_of))));
      }
    }
  }
  // Strings.
  if (v.IsString()) {
    absl::string_view str = Str(v);
    size_t len = Utf8Length(str);
    if (s.max_length.has_value() && static_cast<int64_t>(len) > *s.max_length) {
      errs->Add(field::TooLong(path, Render(v), *s.max_length));
    }
    if (s.min_length.has_value() && static_cast<int64_t>(len) < *s.min_length) {
      errs->Add(field::Invalid(
          path, Render(v),
          absl::StrCat(InBody(path), " should be at least ", *s.min_length, " chars long")));
    }
    if (s.pattern_re != nullptr) {
      bool ok = false;
      if (str.size() <= kMaxPatternInput) {
        try {
          ok = std::regex_search(str.begin(), str.end(), *s.pattern_re);
        } catch (const std::regex_error&) {
          ok = false;
        }
      }
      if (!ok) {
        errs->Add(field::Invalid(path, Render(v),
                                 absl::StrCat(InBody(path), " should match '", s.pattern, "'")));
      }
    }
  }
  // Arrays.
  if (v.IsArray()) {
    int64_t n = v.Size();
    if (s.max_items.has_value() && n > *s.max_items) {
      errs->Add(field::TooMany(path, n, *s.max_items));
    }
    if (s.min_items.has_value() && n < *s.min_items) {
      errs->Add(field::Invalid(
          path, Render(v),
          absl::StrCat(InBody(path), " should have at least ", *s.min_items, " items")));
    }
    if (s.items != nullptr) {
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        ValidateInto(*s.items, v[i], path.Index(i), false, errs);
      }
    }
  }
  // Objects.
  if (v.IsObject()) {
    int64_t n = v.MemberCount();
    if (s.max_properties.has_value() && n > *s.max_properties) {
      errs->Add(field::Invalid(
          path, Render(v),
          absl::StrCat(InBody(path), " should have at most ", *s.max_properties, " properties")));
    }
    if (s.min_properties.has_value() && n < *s.min_properties) {
      errs->Add(field::Invalid(
          path, Render(v),
          absl::StrCat(InBody(path), " should have at least ", *s.min_properties, " properties")));
    }
    for (const std::string& r : s.required) {
      auto it = v.FindMember(rapidjson::StringRef(r.data(), r.size()));
      if (it == v.MemberEnd()) {
        errs->Add(field::Required(path.empty() ? field::Path(r) : path.Child(r)));
      }
    }
    if (s.embedded_resource) {
      for (const char* k : {"apiVersion", "kind"}) {
        auto it = v.FindMember(k);
        if (it == v.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0) {
          errs->Add(field::Required(path.Child(k), "must not be empty"));
        }
      }
    }
    for (const auto& m : v.GetObject()) {
      std::string key(Str(m.name));
      if (root && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
      field::Path child = path.empty() ? field::Path(key) : path.Child(key);
      auto it = s.properties.find(key);
      if (it != s.properties.end()) {
        ValidateInto(*it->second, m.value, child, false, errs);
      } else if (s.additional_properties != nullptr) {
        ValidateInto(*s.additional_properties, m.value, path.Key(key), false, errs);
      }
    }
  }
}

// `path` names `v` ("" at the root); removed fields' paths go to `pruned` when it is set.
void PruneInto(const Schema& s, Value* v, bool root, const std::string& path,
               std::vector<std::string>* pruned) {
  auto child = [&](absl::string_view key) {
    return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
  };
  if (v->IsObject()) {
    const bool keep_meta = root || s.embedded_resource;
    if (s.additional_properties != nullptr) {
      for (auto& m : v->GetObject()) {
        PruneInto(*s.additional_properties, &m.value, false,
                  pruned ? child(Str(m.name)) : std::string(), pruned);
      }
      return;
    }
    for (auto it = v->MemberBegin(); it != v->MemberEnd();) {
      std::string key(Str(it->name));
      auto p = s.properties.find(key);
      if (p != s.properties.end()) {
        PruneInto(*p->second, &it->value, false, pruned ? child(key) : std::string(), pruned);
        ++it;
      } else if (keep_meta && (key == "apiVersion" || key == "kind" || key == "metadata")) {
        ++it;
      } else if (s.preserve_unknown_fields || s.additional_properties_any) {
        ++it;
      } else {
        if (pruned != nullptr) pruned->push_back(child(key));
        it = v->EraseMember(it);
      }
    }
  } else if (v->IsArray() && s.items != nullptr) {
    rapidjson::SizeType i = 0;
    for (Value& e : v->GetArray()) {
      PruneInto(*s.items, &e, false, pruned ? absl::StrCat(path, "[", i, "]") : std::string(),
                pruned);
      ++i;
    }
  }
}

void DefaultsInto(const Schema& s, Value* v, rapidjson::Document::AllocatorType& a) {
  if (v->IsObject()) {
    for (const auto& [name, child] : s.properties) {
      auto it = v->FindMember(rapidjson::StringRef(name.data(), name.size()));
      if (it != v->MemberEnd() && it->value.IsNull() && !child->nullable) {
        // Non-nullable nulls are dropped, then defaulted like absent fields.
        v->EraseMember(it);
        it = v->MemberEnd();
      }
      if (it == v->MemberEnd() && child->default_json.has_value()) {
        rapidjson::Document d;
        d.Parse<kParseFlags>(child->default_json->data(), child->default_json->size());
        if (d.HasParseError()) continue;
        Value copy(d, a);
        v->AddMember(Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), a), copy, a);
        it = v->FindMember(rapidjson::StringRef(name.data(), name.size()));
      }
      if (it != v->MemberEnd()) DefaultsInto(*child, &it->value, a);
    }
    if (s.additional_properties != nullptr) {
      for (auto& m : v->GetObject()) DefaultsInto(*s.additional_properties, &m.value, a);
    }
  } else if (v->IsArray() && s.items != nullptr) {
    for (Value& e : v->GetArray()) {
      if (e.IsNull() && !s.items->nullable && s.items->default_json.has_value()) {
        rapidjson::Document d;
        d.Parse<kParseFlags>(s.items->default_json->data(), s.items->default_json->size());
        if (!d.HasParseError()) e.CopyFrom(d, a);
      }
      DefaultsInto(*s.items, &e, a);
    }
  }
}

}  // namespace

std::string CanonicalJson(const rapidjson::Value& value) {
  std::string out;
  AppendCanonical(value, &out);
  return out;
}

absl::StatusOr<std::shared_ptr<const Schema>> ParseSchema(absl::string_view json,
                                                          const std::string& root) {
  rapidjson::Document d;
  d.Parse<kParseFlags>(json.data(), json.size());
  if (d.HasParseError()) {
    return absl::InvalidArgumentError(absl::StrCat(root, ": invalid JSON at offset ",
                                                   d.GetErrorOffset(), ": ",
                                                   rapidjson::GetParseError_En(d.GetParseError())));
  }
  Parser p;
  return p.Node(d, root, 0);
}

field::FieldErrors Validate(const Schema& schema, const rapidjson::Value& value,
                            const field::Path& path) {
  field::FieldErrors errs;
  ValidateInto(schema, value, path, path.empty(), &errs);
  return errs;
}

void Prune(const Schema& schema, rapidjson::Value* value, bool root,
           std::vector<std::string>* pruned) {
  PruneInto(schema, value, root, "", pruned);
  if (pruned != nullptr) std::sort(pruned->begin(), pruned->end());
}

void ApplyDefaults(const Schema& schema, rapidjson::Value* value,
                   rapidjson::Document::AllocatorType& allocator) {
  DefaultsInto(schema, value, allocator);
}

}  // namespace rudder::api::schema
