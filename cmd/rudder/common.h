// Pieces every `rudder` command shares: signal handling, the API server connection of the
// remote components (--apiserver / --kubeconfig), kubeconfig files, port checks, memory figures.
#ifndef RUDDER_CMD_RUDDER_COMMON_H_
#define RUDDER_CMD_RUDDER_COMMON_H_

#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cmd/rudder/flags.h"
#include "lib/api/scheme/scheme.h"
#include "lib/client/client.h"

namespace rudder::cmd {

// Blocks SIGINT and SIGTERM in the calling thread (call it first in main's thread, before any
// other thread starts, so every thread inherits the mask) and returns the set for
// WaitForSignal.
sigset_t BlockStopSignals();

// Waits for a signal of `set` for at most `timeout` (infinite: until one comes). Returns the
// signal number, or 0 on timeout.
int WaitForSignal(const sigset_t& set, absl::Duration timeout = absl::InfiniteDuration());

// "$HOME/.rudder" (or "./.rudder" without HOME).
std::string DefaultDataDir();

// Writes a kubeconfig for `server` ("http://127.0.0.1:6443") atomically. False on I/O errors.
bool WriteKubeconfig(const std::string& path, const std::string& server);

// OK when nothing listens on 127.0.0.1:port (port 0 is always OK); Unavailable with the
// system's reason otherwise.
absl::Status CheckPortFree(int port);

// Parses a --port value (0..65535). InvalidArgument naming the flag otherwise.
absl::StatusOr<int> ParsePort(const std::string& flag, const std::string& value);

// The token in file `path` (surrounding whitespace removed), for flag --`flag`.
// InvalidArgument naming the flag when the file cannot be read or holds no token.
absl::StatusOr<std::string> ReadTokenFile(const std::string& flag, const std::string& path);

// Declares --apiserver and --kubeconfig on `flags`.
void AddApiServerFlags(FlagSet* flags);

// The API server connection of a remote component: one REST client per server of
// --apiserver=URL[,URL...] (or the kubeconfig's server: --kubeconfig, else $KUBECONFIG),
// behind a client that moves to the next server when one cannot be reached. Checks that a
// server answers within `probe_timeout` first, so a wrong address fails at once with
// Unavailable naming it. InvalidArgument when neither flag nor $KUBECONFIG is given.
struct ApiConnection {
  std::unique_ptr<api::Scheme> scheme;
  std::unique_ptr<client::Client> client;
  std::vector<std::string> servers;
};
absl::StatusOr<ApiConnection> ConnectToApiServer(const FlagSet& flags,
                                                 absl::Duration probe_timeout = absl::Seconds(5));

// A client over `backends` (owned), used one at a time: a call that fails with Unavailable
// (the server cannot be reached) is retried on the next backend, each at most once per call.
// Watches are not moved: a broken watch ends, and the watcher's next Watch call (an
// informer's re-watch) goes to a live server. Thread-safe if the backends are.
std::unique_ptr<client::Client> NewFailoverClient(
    std::vector<std::unique_ptr<client::Client>> backends);

// Peak resident memory of this process (VmHWM) in bytes; 0 if unknown.
int64_t PeakRssBytes();

// The host name, for leader-election identities ("host_pid").
std::string DefaultIdentity();

}  // namespace rudder::cmd

#endif  // RUDDER_CMD_RUDDER_COMMON_H_
