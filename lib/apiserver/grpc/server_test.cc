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

// The Status object in a failed call's details.
api::meta::v1::Status DetailsOf(const grpc::Status& st) {
  pb::RpcStatus rpc;
  api::meta::v1::Status k;
  if (rpc.ParseFromString(st.error_details()) && rpc.details_size() == 1) {
    rpc.details(0).UnpackTo(&k);
  }
  return k;
}

TEST_F(GrpcServerTest, ApplyOptionsAreValidated) {
  auto server = GrpcServer::Start({.store = store_.get(), .scheme = scheme_.get()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(absl::StrCat("127.0.0.1:", (*server)->port()));
  pb::PatchRequest req;
  *req.mutable_ref() = ConfigMaps("a");
  req.set_type(pb::PATCH_APPLY);
  req.set_patch("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n");
  pb::RawObject out;

  // Apply without a field manager: 422 naming fieldManager, as Kubernetes' PatchOptions.
  grpc::ClientContext ctx1;
  grpc::Status st = stub->Patch(&ctx1, req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  api::meta::v1::Status k = DetailsOf(st);
  EXPECT_EQ(k.code(), 422);
  EXPECT_EQ(k.reason(), "Invalid");
  EXPECT_NE(k.message().find("fieldManager: Required value"), std::string::npos) << k.message();

  // With one the object is created.
  req.set_field_manager("tool");
  grpc::ClientContext ctx2;
  st = stub->Patch(&ctx2, req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  api::core::v1::ConfigMap cm;
  ASSERT_TRUE(cm.ParseFromString(out.protobuf()));
  EXPECT_EQ(cm.data().at("k"), "v");

  // force on a merge patch: 422 naming force.
  req.set_type(pb::PATCH_MERGE);
  req.set_patch("{}");
  req.set_force(true);
  grpc::ClientContext ctx3;
  st = stub->Patch(&ctx3, req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(DetailsOf(st).message().find("force: Forbidden"), std::string::npos)
      << DetailsOf(st).message();

  // A patch type this server does not know.
  // (Field 3 = 42 on the wire; the client keeps it as an unknown field.)
  req.set_force(false);
  req.clear_type();
  pb::PatchRequest newer;
  ASSERT_TRUE(newer.ParseFromString(req.SerializeAsString() + std::string("\x18\x2a", 2)));
  EXPECT_FALSE(newer.has_type());
  grpc::ClientContext ctx4;
  st = stub->Patch(&ctx4, newer, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("unknown patch type 42"), std::string::npos)
      << st.error_message();
}

TEST_F(GrpcServerTest, PodSubresourcesOnlyForPods) {
  auto server = GrpcServer::Start({.store = store_.get(), .scheme = scheme_.get()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(absl::StrCat("127.0.0.1:", (*server)->port()));
  api::meta::v1::Status done;
  pb::BindRequest bind;
  *bind.mutable_ref() = ConfigMaps("a");
  bind.mutable_binding()->mutable_target()->set_name("node-1");
  grpc::ClientContext ctx1;
  grpc::Status st = stub->Bind(&ctx1, bind, &done);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(st).code(), 404);
  pb::EvictRequest evict;
  *evict.mutable_ref() = ConfigMaps("a");
  grpc::ClientContext ctx2;
  EXPECT_EQ(stub->Evict(&ctx2, evict, &done).error_code(), grpc::StatusCode::NOT_FOUND);
  // A pod without a name.
  evict.mutable_ref()->set_resource("pods");
  evict.mutable_ref()->clear_name();
  grpc::ClientContext ctx3;
  EXPECT_EQ(stub->Evict(&ctx3, evict, &done).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, PatchScaleAndDryRun) {
  auto server = GrpcServer::Start({.store = store_.get(), .scheme = scheme_.get()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect(absl::StrCat("127.0.0.1:", (*server)->port()));
  pb::ResourceRef deployments;
  deployments.set_group("apps");
  deployments.set_version("v1");
  deployments.set_resource("deployments");
  deployments.set_namespace_("default");
  pb::WriteRequest create;
  *create.mutable_ref() = deployments;
  create.mutable_object()->set_json(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{)"
      R"("replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{)"
      R"("labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  pb::RawObject out;
  grpc::ClientContext ctx1;
  grpc::Status st = stub->Create(&ctx1, create, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  deployments.set_name("web");

  pb::PatchScaleRequest patch;
  *patch.mutable_ref() = deployments;
  patch.set_type(pb::PATCH_MERGE);
  patch.set_patch(R"({"spec":{"replicas":4}})");
  patch.set_dry_run(true);
  api::autoscaling::v1::Scale scale;
  grpc::ClientContext ctx2;
  st = stub->PatchScale(&ctx2, patch, &scale);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(scale.spec().replicas(), 4);
  pb::GetRequest get;
  *get.mutable_ref() = deployments;
  grpc::ClientContext ctx3;
  ASSERT_TRUE(stub->GetScale(&ctx3, get, &scale).ok());
  EXPECT_EQ(scale.spec().replicas(), 1);  // the dry run stored nothing

  patch.set_dry_run(false);
  grpc::ClientContext ctx4;
  ASSERT_TRUE(stub->PatchScale(&ctx4, patch, &scale).ok());
  grpc::ClientContext ctx5;
  ASSERT_TRUE(stub->GetScale(&ctx5, get, &scale).ok());
  EXPECT_EQ(scale.spec().replicas(), 4);

  // UpdateScale's dry run.
  pb::UpdateScaleRequest update;
  *update.mutable_ref() = deployments;
  *update.mutable_scale() = scale;
  update.mutable_scale()->mutable_spec()->set_replicas(9);
  update.set_dry_run(true);
  grpc::ClientContext ctx6;
  st = stub->UpdateScale(&ctx6, update, &scale);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(scale.spec().replicas(), 9);
  grpc::ClientContext ctx7;
  ASSERT_TRUE(stub->GetScale(&ctx7, get, &scale).ok());
  EXPECT_EQ(scale.spec().replicas(), 4);

  // Apply is not a scale patch.
  patch.set_type(pb::PATCH_APPLY);
  grpc::ClientContext ctx8;
  EXPECT_EQ(stub->PatchScale(&ctx8, patch, &scale).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
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
