#include "lib/api/labels/label_selector_proto.h"

namespace rudder::api::labels {

LabelSelector FromProto(const meta::v1::LabelSelector& selector) {
  LabelSelector out;
  for (const auto& [k, v] : selector.matchlabels()) out.match_labels.emplace(k, v);
  out.match_expressions.reserve(selector.matchexpressions_size());
  for (const meta::v1::LabelSelectorRequirement& e : selector.matchexpressions()) {
    out.match_expressions.push_back(LabelSelectorRequirement{
        e.key(), e.operator_(), std::vector<std::string>(e.values().begin(), e.values().end())});
  }
  return out;
}

absl::StatusOr<Selector> LabelSelectorAsSelector(const meta::v1::LabelSelector* selector) {
  if (selector == nullptr) return Selector::Nothing();
  LabelSelector plain = FromProto(*selector);
  return LabelSelectorAsSelector(&plain);
}

}  // namespace rudder::api::labels
