#include "lib/apiserver/registry/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/api/codec/json.h"
#include "lib/api/field/errors.h"
#include "lib/store/store.h"

namespace rudder::apiserver {
namespace {

constexpr char kDetailsUrl[] = "type.rudder/apiserver.StatusDetails";
constexpr char kReasonUrl[] = "type.rudder/apiserver.Reason";  // "<code> <reason>"

absl::Status WithReason(absl::Status status, int code, const std::string& reason) {
  status.SetPayload(kReasonUrl, absl::Cord(absl::StrCat(code, " ", reason)));
  return status;
}

}  // namespace

absl::Status WithDetails(absl::Status status, const std::string& group, const std::string& kind,
                         const std::string& name) {
  if (status.ok()) return status;
  api::meta::v1::StatusDetails details;
  if (!group.empty()) details.set_group(group);
  if (!kind.empty()) details.set_kind(kind);
  if (!name.empty()) details.set_name(name);
  status.SetPayload(kDetailsUrl, absl::Cord(details.SerializeAsString()));
  return status;
}

api::meta::v1::Status ToApiStatus(const absl::Status& status) {
  api::meta::v1::Status out;
  out.set_status(status.ok() ? "Success" : "Failure");
  out.set_message(std::string(status.message()));
  out.mutable_metadata();
  if (status.ok()) {
    out.set_code(200);
    return out;
  }
  auto details_payload = status.GetPayload(kDetailsUrl);
  if (details_payload.has_value()) {
    out.mutable_details()->ParseFromString(std::string(*details_payload));
  }
  int code = 500;
  std::string reason = "InternalError";
  std::vector<api::field::Error> causes;
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      code = 404, reason = "NotFound";
      break;
    case absl::StatusCode::kAlreadyExists:
      code = 409, reason = "AlreadyExists";
      break;
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      code = 409, reason = "Conflict";
      break;
    case absl::StatusCode::kInvalidArgument:
      causes = api::field::ErrorsFromStatus(status);
      if (causes.empty()) {
        code = 400, reason = "BadRequest";
      } else {
        code = 422, reason = "Invalid";
      }
      break;
    case absl::StatusCode::kUnimplemented:
      code = 405, reason = "MethodNotAllowed";
      break;
    case absl::StatusCode::kResourceExhausted:
      code = 413, reason = "RequestEntityTooLarge";
      break;
    case absl::StatusCode::kUnavailable:
      code = 503, reason = "ServiceUnavailable";
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 403, reason = "Forbidden";
      break;
    case absl::StatusCode::kUnauthenticated:
      code = 401, reason = "Unauthorized";
      break;
    default:
      break;
  }
  if (store::IsCompacted(status)) code = 410, reason = "Expired";
  auto reason_payload = status.GetPayload(kReasonUrl);
  if (reason_payload.has_value()) {
    std::vector<std::string> parts =
        absl::StrSplit(std::string(*reason_payload), absl::MaxSplits(' ', 1));
    if (parts.size() == 2 && absl::SimpleAtoi(parts[0], &code)) reason = parts[1];
  }
  out.set_code(code);
  out.set_reason(reason);
  for (const api::field::Error& e : causes) {
    api::meta::v1::StatusCause* c = out.mutable_details()->add_causes();
    c->set_reason(std::string(api::field::ErrorTypeReason(e.type)));
    std::string msg(api::field::ErrorTypeString(e.type));
    if (!e.bad_value.empty()) absl::StrAppend(&msg, ": ", e.bad_value);
    if (!e.detail.empty()) absl::StrAppend(&msg, ": ", e.detail);
    c->set_message(msg);
    c->set_field(e.field);
  }
  return out;
}

std::string ToApiStatusJson(const absl::Status& status) {
  api::JsonEncodeOptions enc;
  enc.api_version = "v1";
  enc.kind = "Status";
  absl::StatusOr<std::string> json = api::EncodeJson(ToApiStatus(status), enc);
  if (!json.ok()) {
    return R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":500})";
  }
  return *json;
}

absl::Status NotFoundError(const std::string& qualified_resource, const std::string& name) {
  return absl::NotFoundError(absl::StrCat(qualified_resource, " \"", name, "\" not found"));
}

absl::Status AlreadyExistsError(const std::string& qualified_resource, const std::string& name) {
  return absl::AlreadyExistsError(
      absl::StrCat(qualified_resource, " \"", name, "\" already exists"));
}

absl::Status ConflictError(const std::string& qualified_resource, const std::string& name,
                           const std::string& why) {
  return absl::AbortedError(absl::StrCat("Operation cannot be fulfilled on ", qualified_resource,
                                         " \"", name, "\": ", why));
}

absl::Status ForbiddenError(const std::string& qualified_resource, const std::string& name,
                            const std::string& why) {
  if (name.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(qualified_resource, " is forbidden: ", why));
  }
  return absl::PermissionDeniedError(
      absl::StrCat(qualified_resource, " \"", name, "\" is forbidden: ", why));
}

absl::Status UnauthorizedError(const std::string& message) {
  return absl::UnauthenticatedError(message);
}

absl::Status ExpiredError(const std::string& message) {
  return WithReason(absl::OutOfRangeError(message), 410, "Expired");
}

absl::Status TooManyRequestsError(const std::string& message,
                                  const std::vector<api::meta::v1::StatusCause>& causes) {
  absl::Status status = WithReason(absl::ResourceExhaustedError(message), 429, "TooManyRequests");
  if (!causes.empty()) {
    api::meta::v1::StatusDetails details;
    for (const api::meta::v1::StatusCause& c : causes) *details.add_causes() = c;
    status.SetPayload(kDetailsUrl, absl::Cord(details.SerializeAsString()));
  }
  return status;
}

absl::Status ApplyConflictError(const std::string& message,
                                const std::vector<api::meta::v1::StatusCause>& causes) {
  absl::Status status = absl::AbortedError(message);
  api::meta::v1::StatusDetails details;
  for (const api::meta::v1::StatusCause& c : causes) *details.add_causes() = c;
  status.SetPayload(kDetailsUrl, absl::Cord(details.SerializeAsString()));
  return status;
}

}  // namespace rudder::apiserver
