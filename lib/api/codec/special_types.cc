#include "lib/api/codec/special_types.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/api/codec/internal/go_time.h"
#include "lib/api/codec/internal/json_text.h"
#include "lib/api/resource/quantity.h"
#include "lib/base/status_macros.h"

namespace rudder::api {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::StatusOr<const FieldDescriptor*> FieldOf(const Message& m, int number,
                                               FieldDescriptor::CppType type) {
  const FieldDescriptor* fd = m.GetDescriptor()->FindFieldByNumber(number);
  if (fd == nullptr || fd->is_repeated() || fd->cpp_type() != type) {
    return absl::InternalError(absl::StrCat(m.GetDescriptor()->full_name(), " has no field ",
                                            number, " of the shape its JSON form needs"));
  }
  return fd;
}

// Reads an integer field of any width.
absl::StatusOr<const FieldDescriptor*> IntFieldOf(const Message& m, int number) {
  const FieldDescriptor* fd = m.GetDescriptor()->FindFieldByNumber(number);
  if (fd == nullptr || fd->is_repeated() ||
      (fd->cpp_type() != FieldDescriptor::CPPTYPE_INT32 &&
       fd->cpp_type() != FieldDescriptor::CPPTYPE_INT64)) {
    return absl::InternalError(absl::StrCat(m.GetDescriptor()->full_name(),
                                            " has no integer field ", number,
                                            " as its JSON form needs"));
  }
  return fd;
}

int64_t GetInt(const Message& m, const FieldDescriptor* fd) {
  const Reflection* r = m.GetReflection();
  return fd->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ? r->GetInt32(m, fd) : r->GetInt64(m, fd);
}

absl::Status SetInt(Message* m, const FieldDescriptor* fd, int64_t v) {
  const Reflection* r = m->GetReflection();
  if (fd->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("value ", v, " overflows int32"));
    }
    r->SetInt32(m, fd, static_cast<int32_t>(v));
  } else {
    r->SetInt64(m, fd, v);
  }
  return absl::OkStatus();
}

absl::Status WrongKind(absl::string_view what, const JsonValueRef& v) {
  return absl::InvalidArgumentError(absl::StrCat("expected ", what, ", got ", v.text));
}

class QuantityJson : public JsonSpecialType {
 public:
  absl::Status Encode(const Message& m, std::string* out) const override {
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* fd,
                            FieldOf(m, 1, FieldDescriptor::CPPTYPE_STRING));
    std::string scratch;
    const std::string& s = m.GetReflection()->GetStringReference(m, fd, &scratch);
    codec_internal::AppendJsonString(s.empty() ? "0" : s, out);
    return absl::OkStatus();
  }
  absl::Status Decode(const JsonValueRef& v, Message* m) const override {
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* fd,
                            FieldOf(*m, 1, FieldDescriptor::CPPTYPE_STRING));
    absl::string_view s;
    if (v.kind == JsonValueRef::Kind::kString) {
      s = absl::StripAsciiWhitespace(v.string_value);
    } else if (v.kind == JsonValueRef::Kind::kNumber) {
      s = v.text;
    } else {
      return WrongKind("a quantity (string or number)", v);
    }
    // Stored in canonical form, as Kubernetes re-encodes what it decoded ("0.5" -> "500m").
    absl::StatusOr<Quantity> q = Quantity::Parse(std::string_view(s.data(), s.size()));
    if (!q.ok()) return q.status();
    m->GetReflection()->SetString(m, fd, q->String());
    return absl::OkStatus();
  }
};

class IntOrStringJson : public JsonSpecialType {
 public:
  absl::Status Encode(const Message& m, std::string* out) const override {
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* type, IntFieldOf(m, 1));
    if (GetInt(m, type) == 1) {
      RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* s,
                              FieldOf(m, 3, FieldDescriptor::CPPTYPE_STRING));
      std::string scratch;
      codec_internal::AppendJsonString(m.GetReflection()->GetStringReference(m, s, &scratch), out);
    } else {
      RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* i, IntFieldOf(m, 2));
      absl::StrAppend(out, GetInt(m, i));
    }
    return absl::OkStatus();
  }
  absl::Status Decode(const JsonValueRef& v, Message* m) const override {
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* type, IntFieldOf(*m, 1));
    if (v.kind == JsonValueRef::Kind::kString) {
      RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* s,
                              FieldOf(*m, 3, FieldDescriptor::CPPTYPE_STRING));
      RUDDER_RETURN_IF_ERROR(SetInt(m, type, 1));
      m->GetReflection()->SetString(m, s, std::string(v.string_value));
      return absl::OkStatus();
    }
    if (v.kind != JsonValueRef::Kind::kNumber) return WrongKind("an integer or a string", v);
    int32_t n;
    if (!absl::SimpleAtoi(v.text, &n)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot unmarshal number ", v.text, " into an int32"));
    }
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* i, IntFieldOf(*m, 2));
    RUDDER_RETURN_IF_ERROR(SetInt(m, type, 0));
    return SetInt(m, i, n);
  }
};

class TimeJson : public JsonSpecialType {
 public:
  explicit TimeJson(bool micro) : micro_(micro) {}
  absl::Status Encode(const Message& m, std::string* out) const override {
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* s, IntFieldOf(m, 1));
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* n, IntFieldOf(m, 2));
    int64_t seconds = GetInt(m, s);
    int64_t nanos = GetInt(m, n);
    if (nanos < 0 || nanos > 999999999) {
      return absl::InvalidArgumentError(absl::StrCat("time nanos ", nanos, " out of range"));
    }
    if (seconds == codec_internal::kGoZeroTimeUnixSeconds && nanos == 0) {
      out->append("null");  // Go's zero time.
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> text =
        micro_ ? codec_internal::FormatRfc3339Micro(seconds, static_cast<int32_t>(nanos))
               : codec_internal::FormatRfc3339(seconds);
    if (!text.ok()) return text.status();
    out->push_back('"');
    out->append(*text);
    out->push_back('"');
    return absl::OkStatus();
  }
  absl::Status Decode(const JsonValueRef& v, Message* m) const override {
    if (v.kind != JsonValueRef::Kind::kString) return WrongKind("an RFC 3339 time string", v);
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* s, IntFieldOf(*m, 1));
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* n, IntFieldOf(*m, 2));
    RUDDER_ASSIGN_OR_RETURN(codec_internal::UnixTime t,
                            codec_internal::ParseRfc3339(v.string_value));
    RUDDER_RETURN_IF_ERROR(SetInt(m, s, t.seconds));
    if (t.nanos != 0) RUDDER_RETURN_IF_ERROR(SetInt(m, n, t.nanos));
    return absl::OkStatus();
  }

 private:
  bool micro_;
};

class DurationJson : public JsonSpecialType {
 public:
  absl::Status Encode(const Message& m, std::string* out) const override {
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* d, IntFieldOf(m, 1));
    out->push_back('"');
    out->append(codec_internal::FormatGoDuration(GetInt(m, d)));
    out->push_back('"');
    return absl::OkStatus();
  }
  absl::Status Decode(const JsonValueRef& v, Message* m) const override {
    if (v.kind != JsonValueRef::Kind::kString) return WrongKind("a duration string", v);
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* d, IntFieldOf(*m, 1));
    RUDDER_ASSIGN_OR_RETURN(int64_t ns, codec_internal::ParseGoDuration(v.string_value));
    return SetInt(m, d, ns);
  }
};

class RawJson : public JsonSpecialType {
 public:
  absl::Status Encode(const Message& m, std::string* out) const override {
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* fd,
                            FieldOf(m, 1, FieldDescriptor::CPPTYPE_STRING));
    std::string scratch;
    const std::string& raw = m.GetReflection()->GetStringReference(m, fd, &scratch);
    if (raw.empty()) {
      out->append("null");
      return absl::OkStatus();
    }
    RUDDER_RETURN_IF_ERROR(codec_internal::ValidateJson(raw));
    codec_internal::AppendCompactJson(raw, /*escape_html=*/true, out);
    return absl::OkStatus();
  }
  absl::Status Decode(const JsonValueRef& v, Message* m) const override {
    RUDDER_ASSIGN_OR_RETURN(const FieldDescriptor* fd,
                            FieldOf(*m, 1, FieldDescriptor::CPPTYPE_STRING));
    m->GetReflection()->SetString(m, fd, std::string(v.text));
    return absl::OkStatus();
  }
};

}  // namespace

void AppendJsonString(absl::string_view s, std::string* out) {
  codec_internal::AppendJsonString(s, out);
}

absl::Status JsonSpecialTypes::Register(absl::string_view full_name,
                                        std::shared_ptr<const JsonSpecialType> type) {
  if (type == nullptr) return absl::InvalidArgumentError("null JSON special type");
  if (!types_.emplace(std::string(full_name), std::move(type)).second) {
    return absl::AlreadyExistsError(
        absl::StrCat("a JSON form is already registered for ", full_name));
  }
  return absl::OkStatus();
}

const JsonSpecialType* JsonSpecialTypes::Find(absl::string_view full_name) const {
  auto it = types_.find(full_name);
  return it == types_.end() ? nullptr : it->second.get();
}

absl::Status JsonSpecialTypes::RegisterInlineField(absl::string_view full_field_name) {
  if (!inline_fields_.emplace(full_field_name).second) {
    return absl::AlreadyExistsError(absl::StrCat(full_field_name, " is already inline"));
  }
  return absl::OkStatus();
}

bool JsonSpecialTypes::IsInlineField(absl::string_view full_field_name) const {
  return inline_fields_.contains(full_field_name);
}

std::shared_ptr<const JsonSpecialType> NewQuantityJsonType() {
  return std::make_shared<QuantityJson>();
}
std::shared_ptr<const JsonSpecialType> NewIntOrStringJsonType() {
  return std::make_shared<IntOrStringJson>();
}
std::shared_ptr<const JsonSpecialType> NewTimeJsonType() {
  return std::make_shared<TimeJson>(false);
}
std::shared_ptr<const JsonSpecialType> NewMicroTimeJsonType() {
  return std::make_shared<TimeJson>(true);
}
std::shared_ptr<const JsonSpecialType> NewDurationJsonType() {
  return std::make_shared<DurationJson>();
}
std::shared_ptr<const JsonSpecialType> NewRawJsonType() { return std::make_shared<RawJson>(); }

JsonSpecialTypes NewBuiltinJsonSpecialTypes() {
  JsonSpecialTypes t;
  auto raw = NewRawJsonType();
  (void)t.Register("rudder.api.resource.Quantity", NewQuantityJsonType());
  (void)t.Register("rudder.api.intstr.IntOrString", NewIntOrStringJsonType());
  (void)t.Register("rudder.api.meta.v1.Time", NewTimeJsonType());
  (void)t.Register("rudder.api.meta.v1.MicroTime", NewMicroTimeJsonType());
  (void)t.Register("rudder.api.meta.v1.Duration", NewDurationJsonType());
  (void)t.Register("rudder.api.runtime.RawExtension", raw);
  (void)t.Register("rudder.api.apiextensions.v1.JSON", raw);
  for (const char* f : {
           "rudder.api.core.v1.EphemeralContainer.ephemeralContainerCommon",
           "rudder.api.core.v1.ConfigMapEnvSource.localObjectReference",
           "rudder.api.core.v1.SecretEnvSource.localObjectReference",
           "rudder.api.core.v1.ConfigMapKeySelector.localObjectReference",
           "rudder.api.core.v1.SecretKeySelector.localObjectReference",
           "rudder.api.core.v1.Probe.handler",
           "rudder.api.core.v1.Volume.volumeSource",
           "rudder.api.core.v1.ConfigMapVolumeSource.localObjectReference",
           "rudder.api.core.v1.SecretProjection.localObjectReference",
           "rudder.api.core.v1.ConfigMapProjection.localObjectReference",
           "rudder.api.core.v1.PersistentVolumeSpec.persistentVolumeSource",
           "rudder.api.networking.v1.IngressRule.ingressRuleValue",
       }) {
    (void)t.RegisterInlineField(f);
  }
  return t;
}

}  // namespace rudder::api
