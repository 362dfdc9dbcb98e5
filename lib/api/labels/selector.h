// Label selectors: "app=web,tier in (frontend,cache),!canary,replicas>2".
//
// Parsing, validation, matching and printing follow Kubernetes' labels package
// (k8s.io/apimachinery pkg/labels) exactly, including its error messages:
//   - Requirements are ANDed. Parse sorts them by key (stably); In/NotIn value lists are
//     sorted and de-duplicated; String() prints the canonical form
//     "a=b,env in (dev,prod),!x,y", which parses back to an equal selector.
//   - Keys must be qualified names (optional DNS-1123 subdomain prefix and '/', name of at
//     most 63 characters); values must be valid label values (at most 63 characters).
//   - "key" requires the label, "!key" forbids it; "key!=v" and "key notin (...)" also match
//     objects without the label; "key>3" and "key<3" compare the label as an int64 and never
//     match a label that is missing or not an integer.
//
// Matching allocates nothing: a Selector keeps each requirement's values sorted (binary
// search for long lists) and pre-parses the gt/lt bound.
//
// Selectors and Requirements are immutable values: copy them freely and use them from any
// number of threads.
//
// Example:
//   absl::StatusOr<labels::Selector> sel = labels::Selector::Parse("app=web,tier!=db");
//   std::map<std::string, std::string> pod_labels = {{"app", "web"}, {"tier", "front"}};
//   bool ok = sel->Matches(pod_labels);   // true
//   sel->String();                        // "app=web,tier!=db"
#ifndef RUDDER_LIB_API_LABELS_SELECTOR_H_
#define RUDDER_LIB_API_LABELS_SELECTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "lib/api/labels/selection.h"

namespace rudder::api::labels {

class Selector;
struct LabelSelector;
absl::StatusOr<Selector> LabelSelectorAsSelector(const LabelSelector* selector);

// One condition on one label key. Create it with Create(); a default-constructed
// Requirement is "key exists" with an empty key and matches nothing useful.
class Requirement {
 public:
  Requirement() = default;

  // Kubernetes' NewRequirement: validates the key and the values for the operator. In and
  // NotIn need at least one value; Equals, DoubleEquals and NotEquals exactly one; Exists
  // and DoesNotExist none; GreaterThan and LessThan one integer. Errors are InvalidArgument
  // with Kubernetes' field-error text, e.g.
  //   values[0][app]: Invalid value: "a b": a valid label must be an empty string or ...
  // `path` prefixes the field paths ("spec.selector" gives "spec.selector.key").
  static absl::StatusOr<Requirement> Create(std::string key, Operator op,
                                            std::vector<std::string> values,
                                            std::string_view path = "");

  const std::string& key() const { return key_; }
  Operator op() const { return op_; }
  // The values, sorted (duplicates kept as given).
  const std::vector<std::string>& values() const { return values_; }

  // Whether a label value satisfies the requirement; `value` is null when the label is
  // absent.
  bool Matches(const std::string_view* value) const;

  // Canonical text: "key=v", "key in (a,b)", "!key", "key>3", ...
  std::string String() const;
  void AppendString(std::string* out) const;

  friend bool operator==(const Requirement& a, const Requirement& b) {
    return a.key_ == b.key_ && a.op_ == b.op_ && a.values_ == b.values_;
  }

 private:
  friend class Selector;
  friend absl::StatusOr<Selector> LabelSelectorAsSelector(const LabelSelector* selector);
  // NewRequirement; `values_nil` renders an empty value list as Go's nil slice in errors.
  static absl::StatusOr<Requirement> Make(std::string key, Operator op,
                                          std::vector<std::string> values, std::string_view path,
                                          bool values_nil);
  bool HasValue(std::string_view v) const;

  std::string key_;
  Operator op_ = Operator::kExists;
  std::vector<std::string> values_;
  int64_t bound_ = 0;  // the parsed value of kGreaterThan / kLessThan
};

// Looks a label up by key: returns false when absent, else sets *value. The view must stay
// valid until the call to Matches returns.
using LabelLookup = absl::FunctionRef<bool(const std::string& key, std::string_view* value)>;

// A conjunction of requirements, or the special selector that matches nothing.
class Selector {
 public:
  // Matches everything (no requirements). Equivalent to a default-constructed Selector.
  Selector() = default;
  static Selector Everything() { return Selector(); }
  // Matches nothing; String() is "" (Kubernetes' labels.Nothing()).
  static Selector Nothing();

  // Parses the string form. Errors are InvalidArgument with Kubernetes' messages, e.g.
  //   "unable to parse requirement: found '', expected: identifier"
  //   "found ',', expected: !, identifier, or 'end of string'"
  //   "unable to parse requirement: <nil>: Invalid value: \"x/y/z\": a qualified name ..."
  static absl::StatusOr<Selector> Parse(std::string_view text);

  // A selector from requirements (sorted by key, stably), like Kubernetes' Selector.Add.
  static Selector FromRequirements(std::vector<Requirement> requirements);
  // key=value for each entry, without validation (SelectorFromValidatedSet). An empty map
  // gives Everything().
  static Selector FromSet(const std::map<std::string, std::string>& labels);
  // As FromSet, validating keys and values (ValidatedSelectorFromSet).
  static absl::StatusOr<Selector> ValidatedFromSet(
      const std::map<std::string, std::string>& labels);

  // A copy with more requirements, re-sorted by key. Nothing() stays Nothing().
  Selector Add(std::vector<Requirement> requirements) const;

  // True when the selector does not restrict anything (Everything()). False for Nothing().
  bool Empty() const { return !nothing_ && requirements_.empty(); }
  bool IsNothing() const { return nothing_; }
  // The requirements, sorted by key. Empty for Everything() and Nothing().
  const std::vector<Requirement>& requirements() const { return requirements_; }

  // Whether a set of labels satisfies every requirement. LabelMap is any map from
  // std::string to a string type with find()/end() (std::map, absl::flat_hash_map,
  // google::protobuf::Map, ...); lookups use the requirement's key without allocating.
  template <typename LabelMap>
  requires requires(const LabelMap& m, const std::string& k) { m.find(k) == m.end(); }
  bool Matches(const LabelMap& labels) const {
    if (nothing_) return false;
    for (const Requirement& r : requirements_) {
      auto it = labels.find(r.key());
      if (it == labels.end()) {
        if (!r.Matches(nullptr)) return false;
      } else {
        std::string_view v(it->second);
        if (!r.Matches(&v)) return false;
      }
    }
    return true;
  }
  // Matches through a lookup callback.
  bool MatchesLookup(LabelLookup lookup) const;

  // If the selector requires `key` to have one specific value (key=v, key==v or
  // key in (v)), that value.
  std::optional<std::string_view> RequiresExactMatch(std::string_view key) const;

  // Canonical text: the requirements' texts joined by ','. "" for Everything and Nothing.
  std::string String() const;

  friend bool operator==(const Selector& a, const Selector& b) {
    return a.nothing_ == b.nothing_ && a.requirements_ == b.requirements_;
  }

 private:
  bool nothing_ = false;
  std::vector<Requirement> requirements_;
};

// A LabelSelector as the API writes it (metav1.LabelSelector), as plain C++ data.
struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // "In", "NotIn", "Exists" or "DoesNotExist"
  std::vector<std::string> values;
};
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
};

// Kubernetes' LabelSelectorAsSelector: null gives Nothing(), an empty selector gives
// Everything(), otherwise matchLabels become key=value requirements and matchExpressions
// their set-based equivalents. An unknown operator is InvalidArgument
// "\"Foo\" is not a valid label selector operator".
absl::StatusOr<Selector> LabelSelectorAsSelector(const LabelSelector* selector);

}  // namespace rudder::api::labels

#endif  // RUDDER_LIB_API_LABELS_SELECTOR_H_
