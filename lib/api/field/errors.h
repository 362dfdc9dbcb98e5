// Field paths and field errors: how validation reports what is wrong and where.
//
// Kubernetes reports every problem of an object at once, each tied to the path of the field
// ("spec.template.spec.containers[0].image: Required value"). FieldErrors collects them and
// turns them into one InvalidArgument status whose message reads like Kubernetes' (the API
// server also sends each as a StatusCause).
//
// Example:
//   Path spec = Path("spec");
//   FieldErrors errs;
//   if (replicas < 0) errs.Add(Invalid(spec.Child("replicas"), "-1", "must be >= 0"));
//   return errs.ToStatus("Deployment.apps", "web");
#ifndef RUDDER_LIB_API_FIELD_ERRORS_H_
#define RUDDER_LIB_API_FIELD_ERRORS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rudder::api::field {

// A path to a field: "spec.containers[0].ports[1]", "metadata.labels[app]". Immutable value.
class Path {
 public:
  Path() = default;
  explicit Path(absl::string_view root) : path_(root) {}

  // A child field ("spec" -> "spec.replicas").
  Path Child(absl::string_view name) const;
  // An element of a list ("containers" -> "containers[2]").
  Path Index(int64_t i) const;
  // A value of a map ("labels" -> "labels[app]").
  Path Key(absl::string_view key) const;

  const std::string& String() const { return path_; }
  bool empty() const { return path_.empty(); }

 private:
  std::string path_;
};

// Kubernetes' field error types (k8s.io/apimachinery/pkg/util/validation/field).
enum class ErrorType {
  kNotFound,      // "Not found"
  kRequired,      // "Required value"
  kDuplicate,     // "Duplicate value"
  kInvalid,       // "Invalid value"
  kNotSupported,  // "Unsupported value"
  kForbidden,     // "Forbidden"
  kTooLong,       // "Too long"
  kTooMany,       // "Too many"
  kInternal,      // "Internal error"
  kTypeInvalid,   // "Invalid value" (wrong type)
};

// The phrase Kubernetes prints for an error type ("Required value").
absl::string_view ErrorTypeString(ErrorType type);
// The StatusCause reason Kubernetes sends for an error type ("FieldValueRequired").
absl::string_view ErrorTypeReason(ErrorType type);

// One problem with one field.
struct Error {
  ErrorType type = ErrorType::kInvalid;
  std::string field;  // The path.
  std::string
      bad_value;       // Rendered as Kubernetes does: strings quoted, numbers bare; may be empty.
  std::string detail;  // Free text; may be empty.

  // "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
  std::string ToString() const;
};

// Constructors mirroring Kubernetes' field.Required(...), field.Invalid(...), ...
// `value` is the already-rendered bad value (use Quote() for strings).
Error Required(const Path& path, absl::string_view detail = "");
Error Invalid(const Path& path, absl::string_view value, absl::string_view detail);
Error NotSupported(const Path& path, absl::string_view value,
                   const std::vector<std::string>& valid);
Error Duplicate(const Path& path, absl::string_view value);
Error Forbidden(const Path& path, absl::string_view detail);
Error NotFound(const Path& path, absl::string_view value);
Error TooLong(const Path& path, absl::string_view value, int64_t max);
Error TooMany(const Path& path, int64_t actual, int64_t max);
Error InternalError(const Path& path, absl::string_view detail);

// A string rendered as a bad value: "\"abc\"" (Go's %q for plain ASCII).
std::string Quote(absl::string_view s);

// An ordered list of field errors.
class FieldErrors {
 public:
  void Add(Error e) { errors_.push_back(std::move(e)); }
  void Append(const FieldErrors& other);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  const std::vector<Error>& errors() const { return errors_; }

  // OK if empty; else InvalidArgument with Kubernetes' message:
  //   `Deployment.apps "web" is invalid: [spec.replicas: Invalid value: ..., ...]`
  // (no brackets for a single error). `qualified_kind` is "Deployment.apps" or "Pod".
  absl::Status ToStatus(absl::string_view qualified_kind, absl::string_view name) const;

 private:
  std::vector<Error> errors_;
};

// The field errors carried by a status from FieldErrors::ToStatus (empty for other statuses),
// so the API server can send them as StatusCauses.
std::vector<Error> ErrorsFromStatus(const absl::Status& status);

}  // namespace rudder::api::field

#endif  // RUDDER_LIB_API_FIELD_ERRORS_H_
