// `rudder demo`: the lower layers at work, end to end, on the embedded durable store.
#ifndef RUDDER_CMD_RUDDER_DEMO_H_
#define RUDDER_CMD_RUDDER_DEMO_H_

#include <string>
#include <vector>

namespace rudder::cmd {

// Runs the demo with the subcommand's arguments; returns the process exit code.
int RunDemo(const std::vector<std::string>& args);

}  // namespace rudder::cmd

#endif  // RUDDER_CMD_RUDDER_DEMO_H_
