// InterPodAffinity: required and preferred pod affinity and anti-affinity (Kubernetes'
// semantics and messages).
//
//   PreFilter  counts, per topology pair (topologyKey, node label value), the existing pods
//              matching the incoming pod's required affinity terms (a pod counts only if it
//              matches every term), those matching each anti-affinity term, and the existing
//              pods whose required anti-affinity terms match the incoming pod (symmetry).
//              AddPod/RemovePod update the counts for what-if evaluations (preemption,
//              nominated pods).
//   Filter     rejects a node whose topology domain holds a pod the incoming pod must avoid
//              (or that must avoid it), or lacks a pod it requires. The first pod of a
//              self-affine group may go anywhere its topology keys exist.
//   Score      sums preferred terms' weights (and hardPodAffinityWeight for existing pods'
//              required affinity) per topology domain, normalized by min/max to [0, 100].
//
// Namespaces: a term's `namespaces`, or the pod's own namespace when it has neither
// namespaces nor namespaceSelector; an empty namespaceSelector ({}) selects every namespace.
// A non-empty namespaceSelector is matched against namespace labels given by a
// NamespaceLabelLookup (none set: it selects no namespace).
//
// Args (optional): {hardPodAffinityWeight: 0..100, default 1}.
#ifndef RUDDER_LIB_SCHED_PLUGINS_INTERPODAFFINITY_H_
#define RUDDER_LIB_SCHED_PLUGINS_INTERPODAFFINITY_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/sched/framework.h"
#include "lib/sched/registry.h"

namespace rudder::sched::plugins {

inline constexpr char kInterPodAffinity[] = "InterPodAffinity";

// Looks up a namespace's labels: returns null when the namespace is unknown. Must be
// thread-safe (called from Filter/Score workers through PreFilter/PreScore only).
using NamespaceLabelLookup =
    std::function<const google::protobuf::Map<std::string, std::string>*(std::string_view ns)>;

// The plugin factory (registered by RegisterDefaultPlugins as kInterPodAffinity).
absl::StatusOr<std::unique_ptr<Plugin>> NewInterPodAffinity(const ConfigValue& args,
                                                            Handle* handle);

// A factory whose plugins resolve namespaceSelector through `lookup` (which must outlive
// them). Register it under kInterPodAffinity in place of the default one.
PluginFactory InterPodAffinityFactory(NamespaceLabelLookup lookup);

}  // namespace rudder::sched::plugins

#endif  // RUDDER_LIB_SCHED_PLUGINS_INTERPODAFFINITY_H_
