// Probers: how the node agent runs liveness, readiness and startup probes and lifecycle hooks.
//
// The agent asks a Prober for each probe action (exec, tcpSocket, httpGet); it never opens
// sockets itself, so tests substitute a fake and the simulated runtime answers exec probes.
#ifndef RUDDER_LIB_RUNTIME_AGENT_PROBER_H_
#define RUDDER_LIB_RUNTIME_AGENT_PROBER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "lib/runtime/runtime.h"

namespace rudder::runtime::agent {

// The outcome of one probe run.
struct ProbeOutcome {
  bool success = false;
  std::string message;  // why it failed (output, status code, error)
};

// Runs probe actions. Implementations are thread-safe.
class Prober {
 public:
  virtual ~Prober() = default;
  // Runs `command` in the container; success iff it exits 0 within `timeout`.
  virtual ProbeOutcome Exec(const std::string& container_id,
                            const std::vector<std::string>& command, absl::Duration timeout) = 0;
  // Opens a TCP connection to host:port; success iff it connects within `timeout`.
  virtual ProbeOutcome Tcp(const std::string& host, int port, absl::Duration timeout) = 0;
  // GET scheme://host:port/path with `headers`; success iff the status is 200-399.
  virtual ProbeOutcome Http(const std::string& scheme, const std::string& host, int port,
                            const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            absl::Duration timeout) = 0;
};

// The default prober: exec through `runtime`'s ExecSync (borrowed), TCP and HTTP over the
// network (HTTPS without certificate verification, as the kubelet does).
std::unique_ptr<Prober> NewProber(RuntimeService* runtime);

}  // namespace rudder::runtime::agent

#endif  // RUDDER_LIB_RUNTIME_AGENT_PROBER_H_
