#include "lib/api/field/errors.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace rudder::api::field {
namespace {

// Payload key under which ToStatus() keeps the structured errors.
constexpr absl::string_view kPayload = "rudder.api/field-errors";

// Fields of one error in the payload are separated by \x1f, errors by \x1e.
constexpr char kUnitSep = '\x1f';
constexpr char kRecordSep = '\x1e';

}  // namespace

Path Path::Child(absl::string_view name) const {
  if (path_.empty()) return Path(name);
  return Path(absl::StrCat(path_, ".", name));
}

Path Path::Index(int64_t i) const { return Path(absl::StrCat(path_, "[", i, "]")); }

Path Path::Key(absl::string_view key) const { return Path(absl::StrCat(path_, "[", key, "]")); }

absl::string_view ErrorTypeString(ErrorType type) {
  switch (type) {
    case ErrorType::kNotFound:
      return "Not found";
    case ErrorType::kRequired:
      return "Required value";
    case ErrorType::kDuplicate:
      return "Duplicate value";
    case ErrorType::kInvalid:
    case ErrorType::kTypeInvalid:
      return "Invalid value";
    case ErrorType::kNotSupported:
      return "Unsupported value";
    case ErrorType::kForbidden:
      return "Forbidden";
    case ErrorType::kTooLong:
      return "Too long";
    case ErrorType::kTooMany:
      return "Too many";
    case ErrorType::kInternal:
      return "Internal error";
  }
  return "Invalid value";
}

absl::string_view ErrorTypeReason(ErrorType type) {
  switch (type) {
    case ErrorType::kNotFound:
      return "FieldValueNotFound";
    case ErrorType::kRequired:
      return "FieldValueRequired";
    case ErrorType::kDuplicate:
      return "FieldValueDuplicate";
    case ErrorType::kInvalid:
      return "FieldValueInvalid";
    case ErrorType::kTypeInvalid:
      return "FieldValueTypeInvalid";
    case ErrorType::kNotSupported:
      return "FieldValueNotSupported";
    case ErrorType::kForbidden:
      return "FieldValueForbidden";
    case ErrorType::kTooLong:
      return "FieldValueTooLong";
    case ErrorType::kTooMany:
      return "FieldValueTooMany";
    case ErrorType::kInternal:
      return "InternalError";
  }
  return "FieldValueInvalid";
}

std::string Error::ToString() const {
  std::string out = absl::StrCat(field, ": ", ErrorTypeString(type));
  // Kubernetes omits the value for these types.
  bool show_value = type != ErrorType::kRequired && type != ErrorType::kForbidden &&
                    type != ErrorType::kInternal && type != ErrorType::kTooMany;
  if (show_value && !bad_value.empty()) absl::StrAppend(&out, ": ", bad_value);
  if (!detail.empty()) absl::StrAppend(&out, ": ", detail);
  return out;
}

namespace {
Error Make(ErrorType type, const Path& path, absl::string_view value, absl::string_view detail) {
  return Error{type, path.String(), std::string(value), std::string(detail)};
}
}  // namespace

Error Required(const Path& path, absl::string_view detail) {
  return Make(ErrorType::kRequired, path, "", detail);
}
Error Invalid(const Path& path, absl::string_view value, absl::string_view detail) {
  return Make(ErrorType::kInvalid, path, value, detail);
}
Error NotSupported(const Path& path, absl::string_view value,
                   const std::vector<std::string>& valid) {
  std::string detail;
  if (!valid.empty()) {
    std::vector<std::string> quoted;
    quoted.reserve(valid.size());
    for (const std::string& v : valid) quoted.push_back(Quote(v));
    detail = absl::StrCat("supported values: ", absl::StrJoin(quoted, ", "));
  }
  return Make(ErrorType::kNotSupported, path, value, detail);
}
Error Duplicate(const Path& path, absl::string_view value) {
  return Make(ErrorType::kDuplicate, path, value, "");
}
Error Forbidden(const Path& path, absl::string_view detail) {
  return Make(ErrorType::kForbidden, path, "", detail);
}
Error NotFound(const Path& path, absl::string_view value) {
  return Make(ErrorType::kNotFound, path, value, "");
}
Error TooLong(const Path& path, absl::string_view value, int64_t max) {
  return Make(ErrorType::kTooLong, path, value,
              absl::StrCat("may not be more than ", max, " bytes"));
}
Error TooMany(const Path& path, int64_t actual, int64_t max) {
  return Make(ErrorType::kTooMany, path, "", absl::StrCat("must have at most ", max, " items"));
}
Error InternalError(const Path& path, absl::string_view detail) {
  return Make(ErrorType::kInternal, path, "", detail);
}

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  out += '"';
  return out;
}

void FieldErrors::Append(const FieldErrors& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
}

absl::Status FieldErrors::ToStatus(absl::string_view qualified_kind, absl::string_view name) const {
  if (errors_.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  parts.reserve(errors_.size());
  for (const Error& e : errors_) parts.push_back(e.ToString());
  std::string joined =
      parts.size() == 1 ? parts[0] : absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
  absl::Status status = absl::InvalidArgumentError(
      absl::StrCat(qualified_kind, " ", Quote(name), " is invalid: ", joined));
  std::string payload;
  for (const Error& e : errors_) {
    absl::StrAppend(&payload, static_cast<int>(e.type), std::string(1, kUnitSep), e.field,
                    std::string(1, kUnitSep), e.bad_value, std::string(1, kUnitSep), e.detail,
                    std::string(1, kRecordSep));
  }
  status.SetPayload(kPayload, absl::Cord(payload));
  return status;
}

std::vector<Error> ErrorsFromStatus(const absl::Status& status) {
  std::vector<Error> out;
  auto payload = status.GetPayload(kPayload);
  if (!payload.has_value()) return out;
  std::string text(*payload);
  for (absl::string_view record : absl::StrSplit(text, kRecordSep, absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(record, kUnitSep);
    if (f.size() != 4) continue;
    int type = 0;
    if (!absl::SimpleAtoi(f[0], &type)) continue;
    out.push_back(Error{static_cast<ErrorType>(type), f[1], f[2], f[3]});
  }
  return out;
}

}  // namespace rudder::api::field
