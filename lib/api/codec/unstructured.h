// Unstructured objects: a Kubernetes object held as a JSON document rather than a typed
// message, for kinds without a schema here (custom resources) and for generic code (the
// dynamic client, garbage collector, kubectl-style printing).
//
// Guarantees:
//  - Objects are JSON objects; keys are kept sorted, so ToJson() prints them in the order
//    Kubernetes prints unstructured objects (Go map order). Numbers keep their literal text.
//  - Copies are cheap: they share one immutable document until one of them is modified
//    (copy on write), so handing out copies from a cache costs no deep copy.
//  - An Unstructured is a value: const methods may run concurrently with each other; a
//    modification needs exclusive access to that one object (copies are independent).
//
// Example:
//   RUDDER_ASSIGN_OR_RETURN(Unstructured u, Unstructured::FromJson(body));
//   std::optional<int64_t> replicas = u.GetInt64({"spec", "replicas"});
//   RUDDER_RETURN_IF_ERROR(u.SetString({"metadata", "labels", "tier"}, "web"));
//   std::string out = u.ToJson();
#ifndef RUDDER_LIB_API_CODEC_UNSTRUCTURED_H_
#define RUDDER_LIB_API_CODEC_UNSTRUCTURED_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"
#include "lib/api/codec/json.h"

namespace rudder::api {

namespace codec_internal {
struct JsonNode;
}

// A path of object keys from the root: {"spec", "template", "metadata"}.
using FieldPath = absl::Span<const absl::string_view>;

// metadata.ownerReferences[] entry.
struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

class Unstructured {
 public:
  // An empty object, {}.
  Unstructured();
  Unstructured(const Unstructured&) = default;
  Unstructured& operator=(const Unstructured&) = default;
  Unstructured(Unstructured&&) noexcept = default;
  Unstructured& operator=(Unstructured&&) noexcept = default;
  ~Unstructured();

  // Parses a JSON object. InvalidArgument for malformed JSON, a non-object, or input beyond
  // the limits. Duplicate keys keep the last value.
  static absl::StatusOr<Unstructured> FromJson(absl::string_view json,
                                               const JsonDecodeOptions& options = {});
  // Compact JSON (Go's escaping); or indented as `kubectl -o json` prints.
  std::string ToJson(bool indent = false) const;

  // --- Nested fields. Getters return nullopt when the field is absent or of another type.
  bool Has(FieldPath path) const;
  std::optional<std::string> GetString(FieldPath path) const;
  std::optional<int64_t> GetInt64(FieldPath path) const;  // integer literals only
  std::optional<double> GetFloat64(FieldPath path) const;
  std::optional<bool> GetBool(FieldPath path) const;
  std::optional<std::map<std::string, std::string>> GetStringMap(FieldPath path) const;
  std::optional<std::vector<std::string>> GetStringSlice(FieldPath path) const;
  // The field's value as compact JSON; NotFound if absent.
  absl::StatusOr<std::string> GetJson(FieldPath path) const;

  // Setters create missing intermediate objects. InvalidArgument (naming the path) if an
  // intermediate field exists but is not an object, or if `path` is empty.
  absl::Status SetString(FieldPath path, absl::string_view value);
  absl::Status SetInt64(FieldPath path, int64_t value);
  absl::Status SetBool(FieldPath path, bool value);
  absl::Status SetStringMap(FieldPath path, const std::map<std::string, std::string>& value);
  absl::Status SetStringSlice(FieldPath path, const std::vector<std::string>& value);
  // Sets the field to a JSON value (InvalidArgument if `json` is malformed).
  absl::Status SetJson(FieldPath path, absl::string_view json);
  // Removes a field; false if it was absent.
  bool Remove(FieldPath path);

  // --- Type and object metadata (empty / nullopt when absent).
  std::string ApiVersion() const;
  std::string Kind() const;
  TypeMeta GetTypeMeta() const;
  std::string Name() const;
  std::string Namespace() const;
  std::string GenerateName() const;
  std::string Uid() const;
  std::string ResourceVersion() const;
  int64_t Generation() const;
  std::map<std::string, std::string> Labels() const;
  std::map<std::string, std::string> Annotations() const;
  std::optional<std::string> CreationTimestamp() const;  // RFC 3339
  std::optional<std::string> DeletionTimestamp() const;  // RFC 3339
  std::vector<std::string> Finalizers() const;
  std::vector<OwnerReference> OwnerReferences() const;

  void SetApiVersion(absl::string_view v);
  void SetKind(absl::string_view v);
  void SetName(absl::string_view v);
  void SetNamespace(absl::string_view v);
  void SetGenerateName(absl::string_view v);
  void SetUid(absl::string_view v);
  void SetResourceVersion(absl::string_view v);
  void SetGeneration(int64_t v);
  // An empty map or list removes the field, as Kubernetes' unstructured helpers do.
  void SetLabels(const std::map<std::string, std::string>& v);
  void SetAnnotations(const std::map<std::string, std::string>& v);
  void SetDeletionTimestamp(std::optional<absl::string_view> rfc3339);
  void SetFinalizers(const std::vector<std::string>& v);
  void SetOwnerReferences(const std::vector<OwnerReference>& v);

  // True if both share one document (no copy has been made yet).
  bool SharesDocumentWithForTest(const Unstructured& other) const { return doc_ == other.doc_; }

 private:
  explicit Unstructured(std::shared_ptr<const codec_internal::JsonNode> doc);
  const codec_internal::JsonNode* Find(FieldPath path) const;
  codec_internal::JsonNode& Mutable();  // Unshares the document first.
  absl::StatusOr<codec_internal::JsonNode*> MutableField(FieldPath path);
  std::string MetaString(absl::string_view key) const;
  void SetMetaString(absl::string_view key, absl::string_view v);

  std::shared_ptr<const codec_internal::JsonNode> doc_;
};

// Converts a typed object to an unstructured one (through its JSON), with apiVersion/kind.
absl::StatusOr<Unstructured> ToUnstructured(const google::protobuf::Message& m,
                                            const TypeMeta& type_meta);
// Decodes an unstructured object into a typed message (strict by default).
absl::StatusOr<JsonDecodeResult> FromUnstructured(const Unstructured& u,
                                                  google::protobuf::Message* m,
                                                  const JsonDecodeOptions& options = {});

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_CODEC_UNSTRUCTURED_H_
