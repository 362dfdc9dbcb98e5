// gRPC-specific behaviour; the shared semantics are in lib/client/conformance.
#include "lib/client/grpc/grpc_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

TEST(GrpcClientTest, DeadlineAndDryRun) {
  std::unique_ptr<store::Store> store = *store::NewMemoryStore();
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  auto server = apiserver::GrpcServer::Start({.store = store.get(), .scheme = scheme.get()});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string target = absl::StrCat("127.0.0.1:", (*server)->port());

  // A server that accepts connections but never answers: the call's deadline ends it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::unique_ptr<Client> silent =
      NewGrpcClient(absl::StrCat("127.0.0.1:", ntohs(addr.sin_port)), scheme.get(),
                    {.call_timeout = absl::Milliseconds(200)});
  TypedClient<api::core::v1::ConfigMap> late(silent.get());
  EXPECT_EQ(late.Get("default", "x").status().code(), absl::StatusCode::kDeadlineExceeded);
  close(fd);

  // dryRun: the object comes back as it would be stored, and nothing is stored.
  std::unique_ptr<Client> c = NewGrpcClient(target, scheme.get());
  TypedClient<api::core::v1::ConfigMap> cms(c.get());
  api::core::v1::ConfigMap cm;
  cm.mutable_metadata()->set_name("a");
  absl::StatusOr<std::unique_ptr<api::core::v1::ConfigMap>> dry = cms.Create(cm, {.dry_run = true});
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ((*dry)->metadata().name(), "a");
  EXPECT_EQ(cms.Get("default", "a").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rudder::client
