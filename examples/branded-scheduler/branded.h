// A branded scheduler: the stock scheduling framework plus two plugins of our own.
//
//   GpuBinPacking  Score: for pods requesting the extended resource example.com/gpu, prefers
//                  the node whose free GPUs leave the least waste after placing the pod.
//   Gang           Reserve + Permit: pods labelled example.com/gang=<name> and
//                  example.com/gang-size=<N> wait at Permit until N pods of the gang (same
//                  namespace) are reserved, then all are allowed. If the gang is not complete
//                  within the timeout (args: timeoutSeconds, default 30), every waiting member
//                  is rejected and returns to the queue.
//
// NewBrandedScheduler reads a KubeSchedulerConfiguration-like file whose profiles may enable
// both plugins; the registry holds the default plugins plus these.
#ifndef RUDDER_EXAMPLES_BRANDED_SCHEDULER_BRANDED_H_
#define RUDDER_EXAMPLES_BRANDED_SCHEDULER_BRANDED_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/sched/registry.h"
#include "lib/sched/scheduler.h"

namespace branded {

inline constexpr char kGpuResource[] = "example.com/gpu";
inline constexpr char kGangLabel[] = "example.com/gang";
inline constexpr char kGangSizeLabel[] = "example.com/gang-size";
inline constexpr char kGpuBinPacking[] = "GpuBinPacking";
inline constexpr char kGang[] = "Gang";

// The default registry plus GpuBinPacking and Gang.
rudder::sched::PluginRegistry BrandedRegistry();

// A scheduler configured from `config_text` (YAML or JSON, KubeSchedulerConfiguration-like)
// with BrandedRegistry(). `options` supplies the binder, clock and seed; its config and
// registry are replaced. `registry` must outlive the scheduler. InvalidArgument for a bad
// configuration.
absl::StatusOr<std::unique_ptr<rudder::sched::Scheduler>> NewBrandedScheduler(
    std::string_view config_text, const rudder::sched::PluginRegistry* registry,
    rudder::sched::SchedulerOptions options);

}  // namespace branded

#endif  // RUDDER_EXAMPLES_BRANDED_SCHEDULER_BRANDED_H_
