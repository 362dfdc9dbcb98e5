// Runs the transport conformance suite against the in-process, gRPC and REST clients.
#include "lib/client/conformance/conformance.h"

#include "lib/client/conformance/transports.h"

namespace rudder::client {
INSTANTIATE_TEST_SUITE_P(All, ClientConformanceTest, ::testing::ValuesIn(AllTransports()),
                         TransportName);
}  // namespace rudder::client
