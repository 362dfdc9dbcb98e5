#include "lib/client/rest/status.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "lib/api/field/errors.h"
#include "lib/apiserver/registry/errors.h"

namespace rudder::client {
namespace {

namespace meta = api::meta::v1;
namespace field = api::field;

constexpr field::ErrorType kErrorTypes[] = {
    field::ErrorType::kNotFound, field::ErrorType::kRequired,     field::ErrorType::kDuplicate,
    field::ErrorType::kInvalid,  field::ErrorType::kNotSupported, field::ErrorType::kForbidden,
    field::ErrorType::kTooLong,  field::ErrorType::kTooMany,      field::ErrorType::kInternal,
};

// Copies every payload of `from` into `to`.
void CopyPayloads(const absl::Status& from, absl::Status* to) {
  from.ForEachPayload(
      [to](absl::string_view url, const absl::Cord& payload) { to->SetPayload(url, payload); });
}

// The field errors of `causes`: a cause's message is "<type string>[: <rest>]"; the rest is
// kept as the detail, so ToApiStatus renders the same message.
field::FieldErrors ErrorsOf(const meta::StatusDetails& details) {
  field::FieldErrors out;
  for (const meta::StatusCause& c : details.causes()) {
    field::Error e;
    e.type = field::ErrorType::kInvalid;
    for (field::ErrorType t : kErrorTypes) {
      if (field::ErrorTypeReason(t) == c.reason()) {
        e.type = t;
        break;
      }
    }
    e.field = c.field();
    std::string prefix(field::ErrorTypeString(e.type));
    if (c.message() == prefix) {
    } else if (absl::StartsWith(c.message(), prefix + ": ")) {
      e.detail = c.message().substr(prefix.size() + 2);
    } else {
      e.detail = c.message();
    }
    out.Add(std::move(e));
  }
  return out;
}

}  // namespace

absl::StatusCode CodeFromHttp(int http_code, const std::string& reason) {
  switch (http_code) {
    case 400:
    case 415:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 413:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return http_code >= 200 && http_code < 300 ? absl::StatusCode::kOk
                                                 : absl::StatusCode::kInternal;
  }
}

absl::Status FromApiStatus(const meta::Status& status, std::optional<absl::StatusCode> code) {
  if (status.status() == "Success") return absl::OkStatus();
  absl::StatusCode c = code.has_value() ? *code : CodeFromHttp(status.code(), status.reason());
  if (c == absl::StatusCode::kOk) c = absl::StatusCode::kUnknown;
  absl::Status out;
  if (status.code() == 410) {
    out = apiserver::ExpiredError(status.message());
  } else if (status.code() == 429 && c == absl::StatusCode::kResourceExhausted) {
    // 429 TooManyRequests (a refused eviction) rather than ResourceExhausted's default 413.
    out = apiserver::TooManyRequestsError(status.message());
  } else {
    out = absl::Status(c, status.message());
  }
  if (status.has_details()) {
    meta::StatusDetails details = status.details();
    if (c == absl::StatusCode::kInvalidArgument && details.causes_size() > 0) {
      // Field causes travel as field errors (ToApiStatus renders them back as causes).
      field::FieldErrors errors = ErrorsOf(details);
      CopyPayloads(errors.ToStatus("", ""), &out);
      details.clear_causes();
    }
    // Other causes (an apply's FieldManagerConflict, an eviction's DisruptionBudget) stay in
    // the details.
    if (details.ByteSizeLong() > 0) {
      // WithDetails sets group, kind and name; the full details (uid, retryAfterSeconds) go
      // under the same payload.
      absl::Status probe = apiserver::WithDetails(absl::UnknownError(""), "", "k", "");
      std::string serialized = details.SerializeAsString();
      probe.ForEachPayload([&](absl::string_view url, const absl::Cord&) {
        out.SetPayload(url, absl::Cord(serialized));
      });
    }
  }
  return out;
}

}  // namespace rudder::client
