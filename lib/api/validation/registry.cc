// ValidatorsFor: metadata rules plus each kind's own.
#include <string>

#include "absl/container/flat_hash_map.h"
#include "lib/api/object/object.h"
#include "lib/api/validation/internal/kinds_internal.h"
#include "lib/api/validation/kinds.h"

namespace rudder::api::validation {
namespace {

using validation_internal::KindRules;

const absl::flat_hash_map<std::string, KindRules>& Registry() {
  static const auto* registry = [] {
    validation_internal::KindRulesList list;
    validation_internal::AddCoreRules(&list);
    validation_internal::AddWorkloadRules(&list);
    validation_internal::AddOtherRules(&list);
    auto* m = new absl::flat_hash_map<std::string, KindRules>();
    for (auto& [name, rules] : list) m->emplace(name, std::move(rules));
    return m;
  }();
  return *registry;
}

}  // namespace

ValidationFuncs ValidatorsFor(const google::protobuf::Descriptor* descriptor, bool namespaced) {
  ValidationFuncs out;
  if (descriptor == nullptr || !IsObjectType(descriptor)) return out;
  KindRules rules;
  auto it = Registry().find(descriptor->full_name());
  if (it != Registry().end()) rules = it->second;
  out.validate = [rules, namespaced](const google::protobuf::Message& obj) {
    field::FieldErrors errs;
    const meta::v1::ObjectMeta* meta = GetObjectMeta(obj);
    if (meta != nullptr) {
      errs.Append(ValidateObjectMeta(*meta, namespaced, rules.name, field::Path("metadata")));
    }
    if (rules.validate) errs.Append(rules.validate(obj));
    return errs;
  };
  out.validate_update = [rules](const google::protobuf::Message& obj,
                                const google::protobuf::Message& old) {
    field::FieldErrors errs;
    const meta::v1::ObjectMeta* meta = GetObjectMeta(obj);
    const meta::v1::ObjectMeta* old_meta = GetObjectMeta(old);
    if (meta != nullptr && old_meta != nullptr) {
      errs.Append(ValidateObjectMetaUpdate(*meta, *old_meta, field::Path("metadata")));
    }
    if (rules.validate_update) errs.Append(rules.validate_update(obj, old));
    return errs;
  };
  return out;
}

}  // namespace rudder::api::validation
