// The body of the test servers that kubectl end-to-end tests start: the built-in kinds over an
// in-memory store, served over REST on 127.0.0.1 with the default admission chain, plus
// whatever controllers the test adds through an in-process client of the same store.
//
// `RunTestServerMain(argc, argv, name, start)` expects one argument, a file to write the bound
// port to (written atomically once the server serves), serves until SIGTERM or SIGINT, then
// stops the controllers and shuts the server down. Returns the process's exit code.
#ifndef RUDDER_LIB_CLIENT_TESTING_SERVER_MAIN_H_
#define RUDDER_LIB_CLIENT_TESTING_SERVER_MAIN_H_

#include <functional>

#include "absl/status/statusor.h"
#include "lib/client/client.h"

namespace rudder::client::testing {

// Starts controllers over `client` (valid until the returned stop function has run) and
// returns the function that stops them.
using StartControllers = std::function<absl::StatusOr<std::function<void()>>(Client* client)>;

// See the file comment. `start` may be empty (no controllers).
int RunTestServerMain(int argc, char** argv, const char* name, const StartControllers& start);

}  // namespace rudder::client::testing

#endif  // RUDDER_LIB_CLIENT_TESTING_SERVER_MAIN_H_
