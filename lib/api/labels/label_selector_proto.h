// LabelSelectorAsSelector for the API's protobuf LabelSelector (rudder.api.meta.v1), with
// the same rules and errors as the plain-struct form in selector.h.
#ifndef RUDDER_LIB_API_LABELS_LABEL_SELECTOR_PROTO_H_
#define RUDDER_LIB_API_LABELS_LABEL_SELECTOR_PROTO_H_

#include "absl/status/statusor.h"
#include "lib/api/labels/selector.h"
#include "lib/api/proto/meta/v1/meta.pb.h"

namespace rudder::api::labels {

// Converts the message to LabelSelector and calls LabelSelectorAsSelector: null gives
// Nothing(), an empty selector Everything().
absl::StatusOr<Selector> LabelSelectorAsSelector(const meta::v1::LabelSelector* selector);

// The plain-struct form of a LabelSelector message.
LabelSelector FromProto(const meta::v1::LabelSelector& selector);

}  // namespace rudder::api::labels

#endif  // RUDDER_LIB_API_LABELS_LABEL_SELECTOR_PROTO_H_
