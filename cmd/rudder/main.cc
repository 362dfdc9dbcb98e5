// rudder: the all-in-one binary. `rudder <command> [flags]`.
#include <iostream>
#include <string>
#include <vector>

#include "cmd/rudder/components.h"
#include "cmd/rudder/demo.h"
#include "cmd/rudder/sim.h"
#include "cmd/rudder/up.h"

namespace {

constexpr char kUsage[] =
    "Usage: rudder <command> [flags]\n"
    "\n"
    "Commands:\n"
    "  up                  the API server, controllers, scheduler and a node in one process\n"
    "  apiserver           the REST API server alone (--data-dir or --etcd-servers)\n"
    "  controller-manager  the controllers, leader-elected, against --apiserver\n"
    "  scheduler           the scheduler, leader-elected, against --apiserver\n"
    "  node                a node agent (--name), against --apiserver\n"
    "  sim                 a simulated cluster of --nodes and --pods in one process\n"
    "  demo                decode a manifest, store it durably, watch, patch, select it\n"
    "  version             print the version\n"
    "\n"
    "Run `rudder <command> --help` for a command's flags.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "up") return rudder::cmd::RunUp(args);
  if (command == "apiserver") return rudder::cmd::RunApiserver(args);
  if (command == "controller-manager") return rudder::cmd::RunControllerManager(args);
  if (command == "scheduler") return rudder::cmd::RunScheduler(args);
  if (command == "node") return rudder::cmd::RunNode(args);
  if (command == "sim") return rudder::cmd::RunSim(args);
  if (command == "demo") return rudder::cmd::RunDemo(args);
  if (command == "version") {
    std::cout << "rudder 0.1.0\n";
    return 0;
  }
  std::cerr << "rudder: unknown command \"" << command << "\"\n\n" << kUsage;
  return 2;
}
