// `rudder sim`: a simulated cluster in one process. A MemoryStore-backed API server, the
// controller manager, pod placement and N node agents on the simulated runtime
// (lib/runtime/sim) run a scenario: create a Deployment of M replicas and wait until every pod
// is Running, roll it to a new template, drain a node. It prints progress and a summary (pods/s
// to Running, p50/p99 pod start latency, peak memory) and can serve the API (--port) so
// kubectl can look in.
#ifndef RUDDER_CMD_RUDDER_SIM_H_
#define RUDDER_CMD_RUDDER_SIM_H_

#include <string>
#include <vector>

namespace rudder::cmd {

// Runs `rudder sim` with `args`. Returns 0 when every step of the scenario completed, 1 when a
// step did not finish within --timeout or the cluster failed to start, 2 for bad flags.
int RunSim(const std::vector<std::string>& args);

}  // namespace rudder::cmd

#endif  // RUDDER_CMD_RUDDER_SIM_H_
