// The HorizontalPodAutoscaler controller (autoscaling/v2, Resource metrics).
//
// Every sync period (15 s) each HPA reads its target's scale subresource, the target's pods
// (the scale's status.selector) and their usage of the metric's resource (cpu or memory) from a
// MetricsSource, and proposes
//     desired = ceil(readyPods * currentUtilization / targetUtilization)
// (or current average value / target average value), keeping the current count when the ratio
// is within the 10 % tolerance. As Kubernetes does: pods being deleted or Failed are ignored;
// for cpu, Pending and unready pods are left out and, when the ratio says scale up, counted at
// 0 % usage; pods without metrics count as 100 % of their request when scaling down and 0 %
// when scaling up; if that makes the ratio cross 1 or fall within the tolerance the count stays.
// The largest proposal over all metrics wins. Then the behavior applies: a scale-down
// stabilization window (300 s default; the largest recommendation in the window wins), a
// scale-up window (0 s default), rate-limit policies (Pods / Percent per periodSeconds, combined
// by selectPolicy Max, Min or Disabled; defaults: scale up by max(4 pods, 100 %) per 15 s, scale
// down by 100 % per 15 s), and min/max replicas. A change goes through the scale subresource.
// Status: currentReplicas, desiredReplicas, currentMetrics, lastScaleTime and the conditions
// AbleToScale, ScalingActive and ScalingLimited.
#ifndef RUDDER_LIB_CONTROLLERS_HPA_HPA_H_
#define RUDDER_LIB_CONTROLLERS_HPA_HPA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/manager.h"

namespace rudder::controllers {

// One pod's usage of a resource, in milli-units (millicores for cpu, millibytes for memory).
struct PodUsage {
  int64_t milli_value = 0;
  absl::Time timestamp;
};

// Where the controller reads pod usage. Implementations are thread-safe.
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  // Usage of `resource` ("cpu", "memory") by pods of `ns` matching `selector` (the label
  // selector's string form), keyed by pod name; pods without figures are absent.
  virtual absl::StatusOr<std::map<std::string, PodUsage>> PodResourceUsage(
      const std::string& ns, const std::string& selector, const std::string& resource) = 0;
};

// A MetricsSource reading metrics.k8s.io/v1beta1 PodMetrics through `client` (borrowed): the sum
// over each pod's containers. NotFound when the kind is not served.
std::unique_ptr<MetricsSource> NewPodMetricsSource(client::Client* client);

// Inputs of one resource-metric replica computation.
struct ResourceReplicaInput {
  int32_t current_replicas = 0;
  std::string resource;  // "cpu" or "memory"
  // Exactly one: a utilization percentage of the request, or an average value in milli-units.
  std::optional<int32_t> target_utilization;
  std::optional<int64_t> target_average_milli;
  double tolerance = 0.1;
  std::vector<const api::core::v1::Pod*> pods;  // borrowed
  std::map<std::string, PodUsage> usage;        // by pod name
};

// The proposal for one metric.
struct ResourceReplicaResult {
  int32_t replicas = 0;
  // Current utilization (percent of requests) when targeting utilization; -1 otherwise.
  int32_t utilization = -1;
  // Current average usage per pod with metrics, in milli-units.
  int64_t average_milli = 0;
};

// Kubernetes' replica calculation for a Resource metric. Errors: FailedPrecondition when no pod
// matches or none has metrics, InvalidArgument when a container lacks the resource's request
// (with utilization targets).
absl::StatusOr<ResourceReplicaResult> ComputeResourceReplicas(const ResourceReplicaInput& in);

// Options of the HPA controller.
struct HpaOptions {
  // Where pod usage is read (borrowed); nullptr: NewPodMetricsSource over the manager's client
  // (PodMetrics as node agents publish them), owned by the controller.
  MetricsSource* metrics = nullptr;
  absl::Duration sync_period = absl::Seconds(15);
  double tolerance = 0.1;
  int workers = 2;
};

// Adds the controller ("horizontalpodautoscaler") to `manager` (borrowed; it owns the
// controller). Time comes from the manager's clock.
absl::Status AddHpaController(ctrl::Manager* manager, HpaOptions options);

}  // namespace rudder::controllers

#endif  // RUDDER_LIB_CONTROLLERS_HPA_HPA_H_
