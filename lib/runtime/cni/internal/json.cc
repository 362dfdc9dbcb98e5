#include "lib/runtime/cni/internal/json.h"

#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::cni::internal {

absl::Status ParseObject(std::string_view text, absl::string_view what, rapidjson::Document* doc) {
  if (text.size() > kMaxJsonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", text.size(), " bytes is over the limit of ", kMaxJsonBytes));
  }
  doc->Parse(text.data(), text.size());
  if (doc->HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": invalid JSON at offset ", doc->GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc->GetParseError())));
  }
  if (!doc->IsObject())
    return absl::InvalidArgumentError(absl::StrCat(what, ": must be a JSON object"));
  return absl::OkStatus();
}

std::string ToJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  value.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

absl::Status GetString(const rapidjson::Value& obj, const char* key, absl::string_view path,
                       std::string* out) {
  out->clear();
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return absl::OkStatus();
  if (!it->value.IsString()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, path.empty() ? "" : ".", key, ": must be a string"));
  }
  out->assign(it->value.GetString(), it->value.GetStringLength());
  return absl::OkStatus();
}

}  // namespace rudder::cni::internal
