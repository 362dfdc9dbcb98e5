// Field sets: which fields of an object a manager owns, in Kubernetes' FieldsV1 form.
//
// A FieldSet is a tree of path elements, each written as in FieldsV1:
//   "f:<name>"            a field of an object (struct field or map key),
//   "k:<json object>"     an item of an associative list, by its keys: k:{"name":"c"},
//   "v:<json value>"      an item of a set: v:"example.com/finalizer",
//   "i:<index>"           an item of a list by position (not produced here; accepted).
// A node is a member when the path to it is in the set; FieldsV1 writes a member that has
// children as a "." key inside it: {"f:metadata":{"f:labels":{".":{},"f:app":{}}}}.
//
// Values are plain trees; copying copies. Not thread-safe for writes; const use from many
// threads is fine.
#ifndef RUDDER_LIB_API_APPLY_FIELDSET_H_
#define RUDDER_LIB_API_APPLY_FIELDSET_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rudder::api::apply {

// Orders path elements as Kubernetes does: fields, then keys, then values, then indexes.
struct PathElementLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

// A set of field paths, as a tree. The root itself is never a member.
class FieldSet {
 public:
  using Children = std::map<std::string, FieldSet, PathElementLess>;

  // Whether the path ending at this node is in the set.
  bool member() const { return member_; }
  void set_member(bool m) { member_ = m; }
  const Children& children() const { return children_; }

  // The child for path element `pe` ("f:spec"), created when absent.
  FieldSet& Child(const std::string& pe) { return children_[pe]; }
  // The child for `pe`, or nullptr.
  const FieldSet* Find(const std::string& pe) const;
  FieldSet* Find(const std::string& pe);
  // Removes the child `pe` (and everything below it).
  void Erase(const std::string& pe) { children_.erase(pe); }

  // Adds the path (a list of path elements) as a member.
  void Insert(const std::vector<std::string>& path);
  // Whether the path is a member.
  bool Has(const std::vector<std::string>& path) const;

  // True when no path is a member.
  bool Empty() const;
  // Drops children that hold no member.
  void Compact();

  // Set algebra on members (Kubernetes' fieldpath.Set semantics).
  void Union(const FieldSet& other);
  // Removes every member of `other` (paths below a removed member stay).
  void Difference(const FieldSet& other);
  // Removes every member of `other` and everything below it.
  void RecursiveDifference(const FieldSet& other);
  // Keeps only members also in `other`.
  void Intersect(const FieldSet& other);
  // The members of this set that are also in `other`.
  FieldSet Intersection(const FieldSet& other) const;

  // Every member path in Kubernetes' printed form, sorted: ".spec.replicas",
  // ".spec.template.spec.containers[name=\"c\"].image", ".metadata.finalizers[=\"a\"]".
  std::vector<std::string> PathStrings() const;

  // The FieldsV1 JSON text ("{}" for an empty set).
  std::string ToJson() const;
  // Parses FieldsV1 JSON; InvalidArgument for anything else (non-object values, unknown
  // prefixes, malformed keys), with the offending path element.
  static absl::StatusOr<FieldSet> FromJson(std::string_view json);

  friend bool operator==(const FieldSet& a, const FieldSet& b) {
    return a.member_ == b.member_ && a.children_ == b.children_;
  }

 private:
  bool member_ = false;
  Children children_;
};

// The printed form of one path element: ".name", "[name=\"c\"]", "[=\"v\"]", "[3]".
std::string PathElementString(const std::string& pe);

}  // namespace rudder::api::apply

#endif  // RUDDER_LIB_API_APPLY_FIELDSET_H_
