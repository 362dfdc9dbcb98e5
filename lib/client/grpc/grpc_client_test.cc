// gRPC-specific behaviour; the shared semantics are in lib/client/conformance.
#include "lib/client/grpc/grpc_client.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/grpc/server.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::client {
namespace {

TEST(GrpcClientTest, UnreachableServerIsUnavailable) {
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  std::unique_ptr<Client> c = NewGrpcClient("127.0.0.1:1", scheme.get());
  TypedClient<api::core::v1::ConfigMap> cms(c.get());
  EXPECT_EQ(cms.Get("default", "x").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cms.Watch("default").status().code(), absl::StatusCode::kUnavailable);
}

TEST(GrpcClientTest, ServerShutdownEndsWatchWithUnavailable) {
  std::unique_ptr<store::Store> store = *store::NewMemoryStore();
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  auto server = apiserver::GrpcServer::Start({.store = store.get(), .scheme = scheme.get()});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<Client> c =
      NewGrpcClient(absl::StrCat("127.0.0.1:", (*server)->port()), scheme.get());
  TypedClient<api::core::v1::ConfigMap> cms(c.get());
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = cms.Watch("default");
  ASSERT_TRUE(w.ok()) << w.status();
  (*server)->Shutdown();
  std::optional<ObjectEvent> e;
  while (!e.has_value()) e = (*w)->Next(absl::Seconds(1));
  EXPECT_EQ(e->type, "ERROR");
  EXPECT_EQ(e->error.code(), absl::StatusCode::kUnavailable) << e->error;
  EXPECT_FALSE((*w)->Next(absl::ZeroDuration()).has_value());
}

}  // namespace
}  // namespace rudder::client
