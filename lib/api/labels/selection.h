// The operators of label and field selectors (Kubernetes' pkg/selection).
#ifndef RUDDER_LIB_API_LABELS_SELECTION_H_
#define RUDDER_LIB_API_LABELS_SELECTION_H_

#include <string_view>

namespace rudder::api {

// A requirement's operator. Field selectors use only kEquals, kDoubleEquals and kNotEquals.
enum class Operator {
  kDoesNotExist,  // "!key"
  kEquals,        // "key=value"
  kDoubleEquals,  // "key==value"
  kIn,            // "key in (a,b)"
  kNotEquals,     // "key!=value"
  kNotIn,         // "key notin (a,b)"
  kExists,        // "key"
  kGreaterThan,   // "key>3" (integer comparison)
  kLessThan,      // "key<3"
};

// Kubernetes' name of the operator: "!", "=", "==", "in", "!=", "notin", "exists", "gt", "lt".
std::string_view OperatorName(Operator op);

}  // namespace rudder::api

#endif  // RUDDER_LIB_API_LABELS_SELECTION_H_
