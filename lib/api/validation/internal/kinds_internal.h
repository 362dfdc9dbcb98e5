// The per-kind validators, gathered by registry.cc (not a public API).
#ifndef RUDDER_LIB_API_VALIDATION_INTERNAL_KINDS_INTERNAL_H_
#define RUDDER_LIB_API_VALIDATION_INTERNAL_KINDS_INTERNAL_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/message.h"
#include "lib/api/field/errors.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/validation/kinds.h"

namespace rudder::api::validation_internal {

// One kind's rules beyond its metadata. `validate` checks a new object's other fields;
// `validate_update` the rules that compare with the stored object (may be empty).
struct KindRules {
  validation::NameValidator name = validation::NameIsDNSSubdomain;
  std::function<field::FieldErrors(const google::protobuf::Message&)> validate;
  std::function<field::FieldErrors(const google::protobuf::Message&,
                                   const google::protobuf::Message&)>
      validate_update;
};

using KindRulesList = std::vector<std::pair<std::string, KindRules>>;

// Typed adapters.
template <typename M>
std::pair<std::string, KindRules> Rules(validation::NameValidator name,
                                        field::FieldErrors (*validate)(const M&),
                                        field::FieldErrors (*update)(const M&,
                                                                     const M&) = nullptr) {
  KindRules r;
  r.name = std::move(name);
  if (validate != nullptr) {
    r.validate = [validate](const google::protobuf::Message& m) {
      return validate(static_cast<const M&>(m));
    };
  }
  if (update != nullptr) {
    r.validate_update = [update](const google::protobuf::Message& m,
                                 const google::protobuf::Message& o) {
      return update(static_cast<const M&>(m), static_cast<const M&>(o));
    };
  }
  return {M::descriptor()->full_name(), std::move(r)};
}

field::FieldErrors ValidateAnnotations(const google::protobuf::Map<std::string, std::string>& a,
                                       const field::Path& path);
field::FieldErrors ValidatePod(const core::v1::Pod& pod);
field::FieldErrors ValidatePodUpdate(const core::v1::Pod& pod, const core::v1::Pod& old);

field::FieldErrors ValidatePersistentVolumeClaimSpecAt(const core::v1::PersistentVolumeClaimSpec& s,
                                                       const field::Path& p);

// Each file's kinds.
void AddCoreRules(KindRulesList* out);      // core.cc
void AddWorkloadRules(KindRulesList* out);  // workloads.cc
void AddOtherRules(KindRulesList* out);     // others.cc

}  // namespace rudder::api::validation_internal

#endif  // RUDDER_LIB_API_VALIDATION_INTERNAL_KINDS_INTERNAL_H_
