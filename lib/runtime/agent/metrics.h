// Resource usage of a node and its pods, shaped as the metrics API (metrics.k8s.io/v1beta1).
//
// The node agent implements MetricsProvider from its runtime's ListContainerStats; an API server
// (or a host program) serves NodeMetrics and PodMetrics from one provider per node.
#ifndef RUDDER_LIB_RUNTIME_AGENT_METRICS_H_
#define RUDDER_LIB_RUNTIME_AGENT_METRICS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/api/proto/metrics/v1beta1/metrics.pb.h"

namespace rudder::runtime::agent {

// The latest usage sample of one node. Thread-safe.
class MetricsProvider {
 public:
  virtual ~MetricsProvider() = default;
  // The node's usage (cpu in cores, memory in bytes, summed over its pods).
  // Unavailable before the first sample.
  virtual absl::StatusOr<api::metrics::v1beta1::NodeMetrics> GetNodeMetrics() const = 0;
  // The usage of the node's pods in namespace `ns` (empty: all), one entry per pod.
  virtual std::vector<api::metrics::v1beta1::PodMetrics> ListPodMetrics(
      const std::string& ns) const = 0;
};

}  // namespace rudder::runtime::agent

#endif  // RUDDER_LIB_RUNTIME_AGENT_METRICS_H_
