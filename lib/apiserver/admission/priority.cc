#include "lib/apiserver/admission/priority.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/scheduling/v1/scheduling.pb.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/base/status_macros.h"

namespace rudder::apiserver::admission {
namespace {

using api::core::v1::Pod;
using api::scheduling::v1::PriorityClass;

constexpr char kPreemptLowerPriority[] = "PreemptLowerPriority";

std::string Resource(const api::KindInfo& kind) {
  return kind.gvk.group.empty() ? kind.plural : absl::StrCat(kind.plural, ".", kind.gvk.group);
}

absl::Status Forbidden(const Attributes& a, const std::string& why) {
  return WithDetails(ForbiddenError(Resource(*a.kind), a.name, why), a.kind->gvk.group,
                     a.kind->plural, a.name);
}

std::optional<PriorityClass> BuiltIn(const std::string& name) {
  int32_t value = 0;
  if (name == "system-node-critical") {
    value = kSystemNodeCritical;
  } else if (name == "system-cluster-critical") {
    value = kSystemClusterCritical;
  } else {
    return std::nullopt;
  }
  PriorityClass pc;
  pc.mutable_metadata()->set_name(name);
  pc.set_value(value);
  pc.set_preemptionpolicy(kPreemptLowerPriority);
  return pc;
}

std::shared_ptr<const api::KindInfo> ClassKind(ObjectAccess* access) {
  return access->scheme().ByResource({"scheduling.k8s.io", "v1", "priorityclasses"});
}

class Priority : public Plugin {
 public:
  std::string_view name() const override { return "Priority"; }

  absl::Status Admit(Attributes& a) override {
    if (a.operation != Operation::kCreate || !a.subresource.empty() || a.access == nullptr) {
      return absl::OkStatus();
    }
    auto* pod = dynamic_cast<Pod*>(a.object);
    if (pod == nullptr) return absl::OkStatus();
    std::shared_ptr<const api::KindInfo> kind = ClassKind(a.access);
    const std::string& name = pod->spec().priorityclassname();
    std::optional<PriorityClass> pc;
    if (name.empty()) {
      if (kind != nullptr) {
        RUDDER_ASSIGN_OR_RETURN(std::vector<ObjectPtr> all, a.access->List(*kind, ""));
        for (const ObjectPtr& o : all) {
          const auto& c = static_cast<const PriorityClass&>(*o);
          if (c.globaldefault() && (!pc.has_value() || c.value() < pc->value())) pc = c;
        }
      }
    } else {
      absl::StatusOr<ObjectPtr> got =
          kind != nullptr ? a.access->Get(*kind, "", name) : absl::NotFoundError(name);
      if (got.ok()) {
        pc = static_cast<const PriorityClass&>(**got);
      } else if (absl::IsNotFound(got.status())) {
        pc = BuiltIn(name);
        if (!pc.has_value()) {
          return Forbidden(a, absl::StrCat("no PriorityClass with name ", name, " was found"));
        }
      } else {
        return got.status();
      }
    }
    int32_t value = 0;
    std::string policy = kPreemptLowerPriority;
    if (pc.has_value()) {
      value = pc->value();
      if (pc->has_preemptionpolicy()) policy = pc->preemptionpolicy();
      pod->mutable_spec()->set_priorityclassname(pc->metadata().name());
    }
    if (pod->spec().has_priority() && pod->spec().priority() != value) {
      return Forbidden(a, absl::StrCat("the integer value of priority (", pod->spec().priority(),
                                       ") must not be provided in pod spec; priority admission "
                                       "controller computed ",
                                       value, " from the given PriorityClass name"));
    }
    if (pod->spec().has_preemptionpolicy() && pod->spec().preemptionpolicy() != policy) {
      return Forbidden(
          a, absl::StrCat("the string value of PreemptionPolicy (", pod->spec().preemptionpolicy(),
                          ") must not be provided in pod spec; priority admission "
                          "controller computed ",
                          policy, " from the given PriorityClass name"));
    }
    pod->mutable_spec()->set_priority(value);
    pod->mutable_spec()->set_preemptionpolicy(policy);
    return absl::OkStatus();
  }

  absl::Status Validate(const Attributes& a) override {
    if ((a.operation != Operation::kCreate && a.operation != Operation::kUpdate) ||
        !a.subresource.empty() || a.access == nullptr) {
      return absl::OkStatus();
    }
    const auto* pc = dynamic_cast<const PriorityClass*>(a.object);
    if (pc == nullptr) return absl::OkStatus();
    const std::string& name = pc->metadata().name();
    if (!pc->globaldefault()) return absl::OkStatus();
    std::shared_ptr<const api::KindInfo> kind = ClassKind(a.access);
    if (kind == nullptr) return absl::OkStatus();
    RUDDER_ASSIGN_OR_RETURN(std::vector<ObjectPtr> all, a.access->List(*kind, ""));
    for (const ObjectPtr& o : all) {
      const auto& c = static_cast<const PriorityClass&>(*o);
      if (c.globaldefault() && c.metadata().name() != name) {
        return Forbidden(a, absl::StrCat("PriorityClass ", c.metadata().name(),
                                         " is already marked as default. Only one default can "
                                         "exist"));
      }
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Plugin> NewPriority() { return std::make_unique<Priority>(); }

}  // namespace rudder::apiserver::admission
