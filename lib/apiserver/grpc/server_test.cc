// The gRPC front end's own behaviour (the shared semantics are in lib/client/conformance).
#include "lib/apiserver/grpc/server.h"

#include <stdlib.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/grpc/proto/objects.grpc.pb.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

namespace pb = ::rudder::apiserver::v1;

class GrpcServerTest : public ::testing::Test {
 protected:
  GrpcServerTest() : store_(*store::NewMemoryStore()), scheme_(api::NewBuiltinScheme()) {}

  std::unique_ptr<pb::Objects::Stub> Connect(const std::string& target) {
    return pb::Objects::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  }

  static pb::ResourceRef ConfigMaps(const std::string& name = "") {
    pb::ResourceRef ref;
    ref.set_version("v1");
    ref.set_resource("configmaps");
    ref.set_namespace_("default");
    if (!name.empty()) ref.set_name(name);
    return ref;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
};

TEST_F(GrpcServerTest, RequiresARegistryOrStoreAndScheme) {
  EXPECT_EQ(GrpcServer::Start({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(GrpcServerTest, JsonEncodingAndStatusDetails) {
  auto server = GrpcServer::Start({.store = store_.get(), .scheme = scheme_.get()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(absl::StrCat("127.0.0.1:", (*server)->port()));

  pb::WriteRequest create;
  *create.mutable_ref() = ConfigMaps();
  create.set_accept(pb::ENCODING_JSON);
  create.mutable_object()->set_json(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}})");
  pb::RawObject created;
  grpc::ClientContext ctx1;
  grpc::Status st = stub->Create(&ctx1, create, &created);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_TRUE(created.has_json());
  EXPECT_NE(created.json().find(R"("kind":"ConfigMap","apiVersion":"v1")"), std::string::npos)
      << created.json();

  // A second create fails with ALREADY_EXISTS and Kubernetes' Status in the details.
  pb::RawObject again;
  grpc::ClientContext ctx2;
  st = stub->Create(&ctx2, create, &again);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  pb::RpcStatus rpc;
  ASSERT_TRUE(rpc.ParseFromString(st.error_details()));
  EXPECT_EQ(rpc.code(), static_cast<int>(grpc::StatusCode::ALREADY_EXISTS));
  ASSERT_EQ(rpc.details_size(), 1);
  api::meta::v1::Status k;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&k));
  EXPECT_EQ(k.code(), 409);
  EXPECT_EQ(k.reason(), "AlreadyExists");
  EXPECT_EQ(k.details().name(), "a");

  // The kind's protobuf by default.
  pb::GetRequest get;
  *get.mutable_ref() = ConfigMaps("a");
  pb::RawObject got;
  grpc::ClientContext ctx3;
  ASSERT_TRUE(stub->Get(&ctx3, get, &got).ok());
  api::core::v1::ConfigMap cm;
  ASSERT_TRUE(cm.ParseFromString(got.protobuf()));
  EXPECT_EQ(cm.data().at("k"), "v");

  // Malformed objects and unknown resources.
  create.mutable_object()->set_json("{not json");
  grpc::ClientContext ctx4;
  EXPECT_EQ(stub->Create(&ctx4, create, &again).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  create.mutable_object()->set_protobuf("\xff\xff\xff");
  grpc::ClientContext ctx5;
  EXPECT_EQ(stub->Create(&ctx5, create, &again).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  get.mutable_ref()->set_resource("widgets");
  grpc::ClientContext ctx6;
  EXPECT_EQ(stub->Get(&ctx6, get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, UnixSocketAndShutdownEndsWatches) {
  // Socket paths are limited to 107 bytes: a short directory of our own.
  char dir[] = "/tmp/rudder-grpc-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string socket = absl::StrCat(dir, "/objects.sock");
  auto server = GrpcServer::Start(
      {.store = store_.get(), .scheme = scheme_.get(), .host = "", .unix_socket = socket});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->port(), 0);
  auto stub = Connect(absl::StrCat("unix:", socket));

  pb::WatchRequest req;
  *req.mutable_ref() = ConfigMaps();
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<pb::WatchEvent>> reader = stub->Watch(&ctx, req);
  pb::WatchEvent e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.type(), "STARTED");

  // Shutdown returns although the watch is open, and the stream then ends.
  (*server)->Shutdown();
  while (reader->Read(&e)) {
  }
  reader->Finish();
  (*server)->Shutdown();  // idempotent
  unlink(socket.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace rudder::apiserver
