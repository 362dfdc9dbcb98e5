// Helpers for C++ end-to-end tests that drive the real kubectl against a test server.
#ifndef RUDDER_TESTS_LIB_KUBECTL_UTIL_H_
#define RUDDER_TESTS_LIB_KUBECTL_UTIL_H_

#include <string>
#include <utility>

namespace rudder::testing {

// The kubectl to use: $KUBECTL, else the machine's 1.33, else /usr/bin/kubectl; "" when none
// is executable (the test then skips visibly).
std::string FindKubectl();

// Writes a kubeconfig at `path` for http://127.0.0.1:`port` (namespace default, no
// credentials). False on I/O errors.
bool WriteLoopbackKubeconfig(const std::string& path, int port);

// Runs `command` with a shell; its stdout and stderr together, and its exit status (-1 when
// it did not exit normally).
std::pair<std::string, int> RunShell(const std::string& command);

}  // namespace rudder::testing

#endif  // RUDDER_TESTS_LIB_KUBECTL_UTIL_H_
