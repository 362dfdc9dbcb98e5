// Field selectors: "metadata.name=web-0,status.phase!=Running".
//
// Parsing, matching and printing follow Kubernetes' fields package
// (k8s.io/apimachinery pkg/fields) exactly:
//   - Terms are separated by ','; each is field=value, field==value or field!=value
//     (the first operator in the term wins, "!=" before "==" before "="). Terms are sorted
//     by their text before parsing, so String() output is deterministic.
//   - In a value, '\', ',' and '=' must be escaped with '\' (EscapeValue); other escapes
//     and unescaped ',' or '=' are errors.
//   - A missing field reads as "", so "spec.nodeName=" matches unscheduled pods and
//     "spec.nodeName!=" matches scheduled ones.
//
// Which fields a kind supports is the API server's business: Requirements() lists the
// fields a selector uses and CheckSupportedFields() rejects others with Kubernetes'
// "field label not supported: <field>" error. Kubernetes supports, for every kind,
// metadata.name and metadata.namespace (kMetadataFields); pods add spec.nodeName,
// spec.restartPolicy, spec.schedulerName, spec.serviceAccountName, spec.hostNetwork,
// status.phase, status.podIP and status.nominatedNodeName (spec.hostNetwork reads "true" or
// "false").
//
// Selectors are immutable values, safe to share between threads.
//
// Example:
//   absl::StatusOr<fields::Selector> sel = fields::Selector::Parse("spec.nodeName=node-1");
//   bool m = sel->Matches([&](std::string_view f) -> std::string_view {
//     return f == "spec.nodeName" ? pod.spec().node_name() : std::string_view();
//   });
#ifndef RUDDER_LIB_API_LABELS_FIELDS_H_
#define RUDDER_LIB_API_LABELS_FIELDS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/api/labels/selection.h"

namespace rudder::api::fields {

// The fields every kind supports in field selectors.
inline constexpr std::string_view kMetadataFields[] = {"metadata.name", "metadata.namespace"};

// One term: field op value, op being kEquals or kNotEquals ("==" parses as kEquals).
struct Requirement {
  std::string field;
  Operator op = Operator::kEquals;
  std::string value;  // unescaped

  friend bool operator==(const Requirement&, const Requirement&) = default;
};

// Returns the value of a field of the object being matched, "" when it has none. The view
// must stay valid until the call to Matches returns.
using FieldGetter = absl::FunctionRef<std::string_view(std::string_view field)>;

// A conjunction of field terms.
class Selector {
 public:
  // Matches everything.
  Selector() = default;
  static Selector Everything() { return Selector(); }
  // Parses the text form. Errors are InvalidArgument with Kubernetes' messages:
  //   "invalid selector: 'a'; can't understand 'a'",
  //   "invalid field selector: invalid escape sequence: \\x",
  //   "invalid field selector: unescaped character in value: 61" (the rune as a number).
  static absl::StatusOr<Selector> Parse(std::string_view text);
  // field=value (OneTermEqualSelector).
  static Selector OneTermEqual(std::string field, std::string value);
  // field=value for each entry, in key order.
  static Selector FromSet(const std::map<std::string, std::string>& fields);

  bool Empty() const { return requirements_.empty(); }
  // The terms, in parse order (sorted by their text).
  const std::vector<Requirement>& Requirements() const { return requirements_; }

  bool Matches(FieldGetter get) const;
  // For a map of field values (std::map, absl::flat_hash_map, ...); missing fields are "".
  template <typename FieldMap>
  requires requires(const FieldMap& m, const std::string& k) { m.find(k) == m.end(); }
  bool Matches(const FieldMap& fields) const {
    for (const Requirement& r : requirements_) {
      auto it = fields.find(r.field);
      std::string_view v = it == fields.end() ? std::string_view() : std::string_view(it->second);
      if ((v == r.value) != (r.op == Operator::kEquals)) return false;
    }
    return true;
  }

  // The value `field` must have, if a field=value term names it.
  std::optional<std::string_view> RequiresExactMatch(std::string_view field) const;

  // Rewrites each term's field and value (Kubernetes' Transform, used to map legacy field
  // names); the first error is returned.
  using TransformFunc = absl::FunctionRef<absl::StatusOr<std::pair<std::string, std::string>>(
      std::string_view field, std::string_view value)>;
  absl::StatusOr<Selector> Transform(TransformFunc fn) const;

  // "field=value,field!=value" with values escaped.
  std::string String() const;

  friend bool operator==(const Selector&, const Selector&) = default;

 private:
  std::vector<Requirement> requirements_;
};

// Escapes '\', ',' and '=' in a value with '\'.
std::string EscapeValue(std::string_view value);
// Reverses EscapeValue; errors as for Parse.
absl::StatusOr<std::string> UnescapeValue(std::string_view value);

// OK when every field the selector uses is in `supported`; otherwise InvalidArgument
// "field label not supported: <field>" for the first that is not.
absl::Status CheckSupportedFields(const Selector& selector,
                                  absl::FunctionRef<bool(std::string_view field)> supported);

}  // namespace rudder::api::fields

#endif  // RUDDER_LIB_API_LABELS_FIELDS_H_
