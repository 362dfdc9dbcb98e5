#include "lib/controllers/runtime/handler.h"

#include <string>
#include <utility>

#include "lib/api/object/object.h"

namespace rudder::ctrl {
namespace {

// The group of an apiVersion ("apps/v1" -> "apps", "v1" -> "").
std::string GroupOf(const std::string& api_version) {
  size_t slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

}  // namespace

EventHandler EnqueueRequestForObject() {
  EventHandler h;
  h.map = [](const Object& obj) {
    std::vector<Request> out;
    const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
    if (m != nullptr && !m->name().empty()) out.push_back({"", m->namespace_(), m->name()});
    return out;
  };
  h.map_old_on_update = false;
  return h;
}

EventHandler EnqueueRequestForOwner(const api::KindInfo& owner, bool only_controller) {
  EventHandler h;
  h.map = [group = owner.gvk.group, kind = owner.gvk.kind, namespaced = owner.namespaced,
           only_controller](const Object& obj) {
    std::vector<Request> out;
    const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
    if (m == nullptr) return out;
    for (const auto& ref : m->ownerreferences()) {
      if (only_controller && !ref.controller()) continue;
      if (ref.kind() != kind || GroupOf(ref.apiversion()) != group) continue;
      out.push_back({"", namespaced ? m->namespace_() : std::string(), ref.name()});
    }
    return out;
  };
  h.map_old_on_update = true;
  return h;
}

EventHandler EnqueueRequestsFromMapFunc(MapFunc fn) {
  EventHandler h;
  h.map = std::move(fn);
  h.map_old_on_update = true;
  return h;
}

}  // namespace rudder::ctrl
