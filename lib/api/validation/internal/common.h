// Building blocks shared by the per-kind validators (not a public API).
#ifndef RUDDER_LIB_API_VALIDATION_INTERNAL_COMMON_H_
#define RUDDER_LIB_API_VALIDATION_INTERNAL_COMMON_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/map.h"
#include "lib/api/field/errors.h"
#include "lib/api/proto/intstr/intstr.pb.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/proto/resource/resource.pb.h"
#include "lib/api/validation/kinds.h"

namespace rudder::api::validation_internal {

using field::FieldErrors;
using field::Path;
using QuantityMap = google::protobuf::Map<std::string, resource::Quantity>;
using StringMap = google::protobuf::Map<std::string, std::string>;

// std::string_view to Debian Abseil's own string_view.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

inline constexpr char kImmutable[] = "field is immutable";
inline constexpr char kNegative[] = "must be greater than or equal to 0";

// Go's %#v of a map[string]string: map[string]string{"a":"b", "c":"d"} (keys sorted).
std::string GoStringMap(const StringMap& m);
// An IntOrString as a bad value: 5 or "25%".
std::string RenderIntOrString(const intstr::IntOrString& v);
bool IsString(const intstr::IntOrString& v);
// Sorted keys of a protobuf map (its iteration order is unspecified).
template <typename V>
std::vector<std::string> SortedKeys(const google::protobuf::Map<std::string, V>& m) {
  std::vector<std::string> keys;
  keys.reserve(m.size());
  for (const auto& [k, v] : m) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

void NonNegative(int64_t v, const Path& p, FieldErrors* errs);
// `value` must be one of `valid` (listed in the error as given); empty is Required.
void Enum(std::string_view value, const std::vector<std::string>& valid, const Path& p,
          FieldErrors* errs, bool required = true);
void Immutable(const std::string& value, const std::string& old, const Path& p, FieldErrors* errs);
void ImmutableMessage(const google::protobuf::Message& a, const google::protobuf::Message& b,
                      const Path& p, FieldErrors* errs);

// Ports: 1..65535 ("must be between 1 and 65535, inclusive"); IANA service names.
std::vector<std::string> IsValidPortNum(int64_t port);
std::vector<std::string> IsValidPortName(std::string_view name);
void PortNum(int64_t port, const Path& p, FieldErrors* errs);
void IntOrStringPort(const intstr::IntOrString& v, const Path& p, FieldErrors* errs);
// "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)" etc.
bool IsIPv4(std::string_view s);
bool IsIPv6(std::string_view s);
bool IsCIDR(std::string_view s);
void IP(std::string_view s, const Path& p, FieldErrors* errs);
// An int >= 0 or a percentage "N%" (and, if `max100`, at most 100%).
void IntOrPercent(const intstr::IntOrString& v, const Path& p, FieldErrors* errs,
                  bool max100 = false);
// The integer part of an int or percent (percent counted without the sign), for "both zero".
int64_t IntOrPercentValue(const intstr::IntOrString& v);
// A qualified label/annotation key at path `p` (Invalid with the key as value).
void LabelKey(std::string_view key, const Path& p, FieldErrors* errs);
// A resource name (cpu, memory, example.com/gpu): standard or qualified.
void ResourceName(std::string_view name, const Path& p, FieldErrors* errs);
// Each quantity parses and is >= 0; keys are resource names.
void ResourceList(const QuantityMap& list, const Path& p, FieldErrors* errs);
// -2 if a or b does not parse, else a.Cmp(b).
int CompareQuantities(const resource::Quantity& a, const resource::Quantity& b);
// A config key (ConfigMap and Secret data): "[-._a-zA-Z0-9]+", not "." or "..".
std::vector<std::string> IsConfigMapKey(std::string_view key);
// Sets the error of a pod template used by a controller (selector match, restartPolicy).
void ControllerTemplate(const core::v1::PodTemplateSpec& tmpl,
                        const meta::v1::LabelSelector* selector,
                        const std::vector<std::string>& restart_policies, const Path& p,
                        FieldErrors* errs);
// Selector of a workload: required, valid, not empty ("empty selector is invalid for <kind>").
void WorkloadSelector(bool has, const meta::v1::LabelSelector& s, std::string_view kind,
                      const Path& p, FieldErrors* errs);
std::string SelectorString(const meta::v1::LabelSelector& s);

}  // namespace rudder::api::validation_internal

#endif  // RUDDER_LIB_API_VALIDATION_INTERNAL_COMMON_H_
