// Helpers shared by the defaulting files.
#ifndef RUDDER_LIB_API_DEFAULTS_INTERNAL_UTIL_H_
#define RUDDER_LIB_API_DEFAULTS_INTERNAL_UTIL_H_

#include <string>

#include "lib/api/proto/intstr/intstr.pb.h"

namespace rudder::api::defaults_internal {

// An IntOrString holding nothing (neither a number nor a string was given).
inline bool IsUnsetIntOrString(const intstr::IntOrString& v) {
  return !v.has_type() && !v.has_intval() && !v.has_strval();
}
inline intstr::IntOrString IntValue(int v) {
  intstr::IntOrString r;
  r.set_type(0);
  r.set_intval(v);
  return r;
}
inline intstr::IntOrString StringValue(const std::string& s) {
  intstr::IntOrString r;
  r.set_type(1);
  r.set_strval(s);
  return r;
}

}  // namespace rudder::api::defaults_internal

#endif  // RUDDER_LIB_API_DEFAULTS_INTERNAL_UTIL_H_
