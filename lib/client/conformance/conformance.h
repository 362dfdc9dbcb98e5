// The transport conformance suite: one set of GoogleTest cases every Client transport passes
// (in process, gRPC, REST), so that callers cannot tell transports apart: CRUD, conflicts,
// errors with Kubernetes' codes, reasons and causes, list paging, selectors, watches from a
// resourceVersion and after compaction, status and scale subresources, patch types, server-side
// apply (conflicts, force, field manager), pods/binding and pods/eviction with budgets.
//
// A transport instantiates the suite with a TransportFactory (see transports.h):
//
//   namespace rudder::client {
//   INSTANTIATE_TEST_SUITE_P(All, ClientConformanceTest, ::testing::ValuesIn(AllTransports()),
//                            TransportName);
//   }
//
// and depends on //lib/client/conformance (an alwayslink library holding the cases).
#ifndef RUDDER_LIB_CLIENT_CONFORMANCE_CONFORMANCE_H_
#define RUDDER_LIB_CLIENT_CONFORMANCE_CONFORMANCE_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "lib/client/conformance/transports.h"

namespace rudder::client {

// The fixture: a fresh environment per case.
class ClientConformanceTest : public ::testing::TestWithParam<TransportFactory> {
 protected:
  void SetUp() override;
  void TearDown() override { env_.reset(); }

  std::unique_ptr<ClientEnv> env_;
};

// Names instantiations after TransportFactory::name.
std::string TransportName(const ::testing::TestParamInfo<TransportFactory>& info);

}  // namespace rudder::client

#endif  // RUDDER_LIB_CLIENT_CONFORMANCE_CONFORMANCE_H_
