// The simulated nodes of a TestCluster: node agents (lib/runtime/agent) over simulated runtimes
// (lib/runtime/sim), driven on the cluster's fake clock by one thread and counted in quiescence.
#ifndef RUDDER_LIB_TESTING_INTERNAL_SIM_NODES_H_
#define RUDDER_LIB_TESTING_INTERNAL_SIM_NODES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "lib/runtime/sim/sim_runtime.h"
#include "lib/testing/test_cluster.h"

namespace rudder::testing::internal {

// N node agents (names node-0 .. node-<N-1>) sharing one pod informer. Each agent syncs when a
// pod bound to it changes and every `sync_interval` of fake time (all of them then). Idle when
// no sync is running or due and no pod change is waiting.
class SimNodes : public RunningController {
 public:
  // Registers every node (Node, Lease) before returning. `options` gives count, per-node
  // options and the pod script hook; `ctx` is borrowed.
  static absl::StatusOr<std::unique_ptr<SimNodes>> Start(const ControllerContext& ctx,
                                                         const TestClusterOptions& options);
  // The simulated runtime of node `index` (nullptr when out of range).
  virtual runtime::sim::SimRuntime* Runtime(int index) const = 0;
};

}  // namespace rudder::testing::internal

#endif  // RUDDER_LIB_TESTING_INTERNAL_SIM_NODES_H_
