// `rudder up`: the whole control plane and one node in one process.
#ifndef RUDDER_CMD_RUDDER_UP_H_
#define RUDDER_CMD_RUDDER_UP_H_

#include <string>
#include <vector>

namespace rudder::cmd {

// Runs `rudder up` with `args` (the flags after the command name) until SIGINT or SIGTERM.
// Returns the process exit code: 0 after a clean shutdown, 1 for a start-up failure, 2 for bad
// flags.
int RunUp(const std::vector<std::string>& args);

// Runs `rudder apiserver` (the REST API server alone, over RocksDB in --data-dir or over etcd
// with --etcd-servers) until SIGINT or SIGTERM. Exit codes as RunUp.
int RunApiserver(const std::vector<std::string>& args);

}  // namespace rudder::cmd

#endif  // RUDDER_CMD_RUDDER_UP_H_
