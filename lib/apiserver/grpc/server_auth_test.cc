// Authentication and authorization on the gRPC front end (the REST front end's chains).
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/admission/admission.h"
#include "lib/apiserver/admission/auth.h"
#include "lib/apiserver/grpc/proto/objects.grpc.pb.h"
#include "lib/apiserver/grpc/server.h"
#include "lib/base/mutex.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::apiserver {
namespace {

namespace pb = ::rudder::apiserver::v1;

// "Bearer s3cret" is jane; no credentials are refused (anonymous access off).
class TokenAuthenticator : public admission::Authenticator {
 public:
  absl::StatusOr<admission::UserInfo> Authenticate(const admission::AuthRequest& r) override {
    if (r.header("Authorization") != "Bearer s3cret") {
      return absl::UnauthenticatedError("Unauthorized");
    }
    return admission::UserInfo{.name = "jane", .groups = {"system:authenticated"}};
  }
};

// Allows everything but secrets, and records what it was asked.
class RecordingAuthorizer : public admission::Authorizer {
 public:
  admission::Decision Authorize(const admission::AuthzAttributes& a, std::string* reason) override {
    MutexLock l(&mu_);
    seen_.push_back(a);
    if (a.resource == "secrets") {
      *reason = "secrets are off limits";
      return admission::Decision::kDeny;
    }
    return admission::Decision::kAllow;
  }
  std::vector<admission::AuthzAttributes> seen() {
    MutexLock l(&mu_);
    return seen_;
  }

 private:
  Mutex mu_;
  std::vector<admission::AuthzAttributes> seen_ ABSL_GUARDED_BY(mu_);
};

// Records the user of every admitted write.
class UserRecorder : public admission::Plugin {
 public:
  std::string_view name() const override { return "UserRecorder"; }
  absl::Status Admit(admission::Attributes& a) override {
    MutexLock l(&mu_);
    users_.insert(a.user.name);
    return absl::OkStatus();
  }
  std::set<std::string> users() {
    MutexLock l(&mu_);
    return users_;
  }

 private:
  Mutex mu_;
  std::set<std::string> users_ ABSL_GUARDED_BY(mu_);
};

pb::ResourceRef Ref(const std::string& resource, const std::string& name = "") {
  pb::ResourceRef ref;
  ref.set_version("v1");
  ref.set_resource(resource);
  ref.set_namespace_("default");
  ref.set_name(name);
  return ref;
}

pb::WriteRequest CreateConfigMap(const std::string& name) {
  pb::WriteRequest w;
  *w.mutable_ref() = Ref("configmaps");
  w.mutable_object()->set_json(absl::StrCat(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")", name, R"("}})"));
  return w;
}

class GrpcAuthTest : public ::testing::Test {
 protected:
  GrpcAuthTest() : store_(*store::NewMemoryStore()), scheme_(api::NewBuiltinScheme()) {}
  // The channel goes before the server it talks to.
  ~GrpcAuthTest() override {
    stub_.reset();
    server_.reset();
  }

  void Start(std::shared_ptr<admission::Authenticator> authn,
             std::shared_ptr<admission::Authorizer> authz) {
    std::vector<std::unique_ptr<admission::Plugin>> plugins;
    auto recorder = std::make_unique<UserRecorder>();
    recorder_ = recorder.get();
    plugins.push_back(std::move(recorder));
    GrpcServerOptions o;
    o.store = store_.get();
    o.scheme = scheme_.get();
    o.registry_options.admission = std::make_shared<admission::Chain>(std::move(plugins));
    o.authenticator = std::move(authn);
    o.authorizer = std::move(authz);
    auto s = GrpcServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    stub_ = pb::Objects::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                     grpc::InsecureChannelCredentials()));
  }

  grpc::Status Create(const std::string& name, const std::string& token) {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    pb::RawObject out;
    return stub_->Create(&ctx, CreateConfigMap(name), &out);
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  UserRecorder* recorder_ = nullptr;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<pb::Objects::Stub> stub_;
};

TEST_F(GrpcAuthTest, DenyAllAuthorizerIsPermissionDenied) {
  Start(nullptr, admission::NewAlwaysDenyAuthorizer());
  grpc::Status st = Create("a", "");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  EXPECT_NE(
      st.error_message().find(R"(User "system:anonymous" cannot create resource "configmaps")"),
      std::string::npos)
      << st.error_message();
  pb::RpcStatus rpc;
  ASSERT_TRUE(rpc.ParseFromString(st.error_details()));
  api::meta::v1::Status k;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&k));
  EXPECT_EQ(k.code(), 403);
  EXPECT_EQ(k.reason(), "Forbidden");

  // Reads and watches are refused as well.
  grpc::ClientContext ctx;
  pb::ListRequest list;
  *list.mutable_ref() = Ref("configmaps");
  pb::ListResponse lr;
  EXPECT_EQ(stub_->List(&ctx, list, &lr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext wctx;
  pb::WatchRequest watch;
  *watch.mutable_ref() = Ref("configmaps");
  auto reader = stub_->Watch(&wctx, watch);
  pb::WatchEvent e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(recorder_->users().empty());
}

TEST_F(GrpcAuthTest, MissingOrWrongTokenIsUnauthenticated) {
  Start(std::make_shared<TokenAuthenticator>(), nullptr);
  EXPECT_EQ(Create("a", "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Create("a", "wrong").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext ctx;
  pb::GetRequest get;
  *get.mutable_ref() = Ref("configmaps", "a");
  pb::RawObject out;
  EXPECT_EQ(stub_->Get(&ctx, get, &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(recorder_->users().empty());
  grpc::Status st = Create("a", "s3cret");
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(GrpcAuthTest, UserAndAttributesReachAuthorizerAndAdmission) {
  auto authz = std::make_shared<RecordingAuthorizer>();
  Start(std::make_shared<TokenAuthenticator>(), authz);
  ASSERT_TRUE(Create("cm", "s3cret").ok());
  EXPECT_EQ(recorder_->users(), std::set<std::string>{"jane"});

  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer s3cret");
  pb::DeleteRequest del;
  *del.mutable_ref() = Ref("configmaps", "cm");
  pb::DeleteResponse dr;
  ASSERT_TRUE(stub_->Delete(&ctx, del, &dr).ok());

  // The authorizer's own refusal: PERMISSION_DENIED with its reason.
  grpc::ClientContext sctx;
  sctx.AddMetadata("authorization", "Bearer s3cret");
  pb::GetRequest get;
  *get.mutable_ref() = Ref("secrets", "s");
  pb::RawObject out;
  grpc::Status st = stub_->Get(&sctx, get, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(st.error_message().find("secrets are off limits"), std::string::npos)
      << st.error_message();

  std::vector<admission::AuthzAttributes> seen = authz->seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].user.name, "jane");
  EXPECT_EQ(seen[0].verb, "create");
  EXPECT_EQ(seen[0].resource, "configmaps");
  EXPECT_EQ(seen[0].ns, "default");
  EXPECT_TRUE(seen[0].resource_request);
  EXPECT_EQ(seen[1].verb, "delete");
  EXPECT_EQ(seen[1].name, "cm");
  EXPECT_EQ(seen[2].verb, "get");
  EXPECT_EQ(seen[2].resource, "secrets");
}

// The subresources are authorized as REST authorizes their paths: create pods/binding, create
// pods/eviction, patch deployments/scale, patch configmaps for an apply.
TEST_F(GrpcAuthTest, SubresourcesAreAuthorizedWithTheirVerbs) {
  auto authz = std::make_shared<RecordingAuthorizer>();
  Start(std::make_shared<TokenAuthenticator>(), authz);
  auto call = [&](auto method, const auto& req, auto* res, const std::string& token = "s3cret") {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    return ((*stub_).*method)(&ctx, req, res);
  };
  pb::WriteRequest pod;
  *pod.mutable_ref() = Ref("pods");
  pod.mutable_object()->set_json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},)"
                                 R"("spec":{"containers":[{"name":"c","image":"nginx"}]}})");
  pb::RawObject out;
  ASSERT_TRUE(call(&pb::Objects::Stub::Create, pod, &out).ok());

  pb::BindRequest bind;
  *bind.mutable_ref() = Ref("pods", "web");
  bind.mutable_binding()->mutable_target()->set_name("node-1");
  api::meta::v1::Status done;
  // No credentials: refused before anything happens.
  EXPECT_EQ(call(&pb::Objects::Stub::Bind, bind, &done, "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status st = call(&pb::Objects::Stub::Bind, bind, &done);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(done.status(), "Success");
  EXPECT_EQ(done.code(), 201);

  pb::EvictRequest evict;
  *evict.mutable_ref() = Ref("pods", "web");
  evict.set_dry_run(true);
  st = call(&pb::Objects::Stub::Evict, evict, &done);
  ASSERT_TRUE(st.ok()) << st.error_message();

  pb::PatchRequest apply;
  *apply.mutable_ref() = Ref("configmaps", "applied");
  apply.set_type(pb::PATCH_APPLY);
  apply.set_field_manager("tool");
  apply.set_patch("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n");
  st = call(&pb::Objects::Stub::Patch, apply, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();

  std::vector<admission::AuthzAttributes> seen = authz->seen();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].verb, "create");
  EXPECT_EQ(seen[1].resource, "pods");
  EXPECT_EQ(seen[1].subresource, "binding");
  EXPECT_EQ(seen[1].name, "web");
  EXPECT_EQ(seen[1].user.name, "jane");
  EXPECT_EQ(seen[2].verb, "create");
  EXPECT_EQ(seen[2].subresource, "eviction");
  EXPECT_EQ(seen[3].verb, "patch");
  EXPECT_EQ(seen[3].resource, "configmaps");
  EXPECT_EQ(seen[3].subresource, "");
  EXPECT_EQ(recorder_->users(), std::set<std::string>{"jane"});
}

TEST_F(GrpcAuthTest, DeniedSubresourcesChangeNothing) {
  Start(nullptr, admission::NewAlwaysDenyAuthorizer());
  pb::BindRequest bind;
  *bind.mutable_ref() = Ref("pods", "web");
  bind.mutable_binding()->mutable_target()->set_name("node-1");
  api::meta::v1::Status done;
  grpc::ClientContext ctx;
  grpc::Status st = stub_->Bind(&ctx, bind, &done);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  EXPECT_NE(st.error_message().find(R"(cannot create resource "pods/binding")"), std::string::npos)
      << st.error_message();
  pb::EvictRequest evict;
  *evict.mutable_ref() = Ref("pods", "web");
  grpc::ClientContext ectx;
  EXPECT_EQ(stub_->Evict(&ectx, evict, &done).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(recorder_->users().empty());
}

}  // namespace
}  // namespace rudder::apiserver
