#include "cmd/rudder/common.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/client/client.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::cmd {
namespace {

using api::core::v1::ConfigMap;
using api::core::v1::Pod;

// A client whose every call fails with Unavailable, standing for a dead API server.
class DeadClient : public client::Client {
 public:
  explicit DeadClient(api::Scheme* scheme) : scheme_(scheme) {}
  api::Scheme& scheme() const override { return *scheme_; }
  absl::StatusOr<client::ObjectPtr> Create(const api::KindInfo&, const std::string&,
                                           client::ObjectPtr,
                                           const client::WriteOptions&) override {
    return Dead();
  }
  absl::StatusOr<client::ObjectPtr> Get(const api::KindInfo&, const std::string&,
                                        const std::string&) override {
    return Dead();
  }
  absl::StatusOr<client::ListResult> List(const api::KindInfo&, const std::string&,
                                          const client::ListOptions&) override {
    return Dead();
  }
  absl::StatusOr<client::ObjectPtr> Update(const api::KindInfo&, const std::string&,
                                           client::ObjectPtr, bool,
                                           const client::WriteOptions&) override {
    return Dead();
  }
  absl::StatusOr<client::ObjectPtr> Patch(const api::KindInfo&, const std::string&,
                                          const std::string&, client::PatchType, const std::string&,
                                          bool, const client::WriteOptions&) override {
    return Dead();
  }
  absl::StatusOr<client::ObjectPtr> Delete(const api::KindInfo&, const std::string&,
                                           const std::string&,
                                           const client::DeleteOptions&) override {
    return Dead();
  }
  absl::StatusOr<std::unique_ptr<client::ObjectWatcher>> Watch(
      const api::KindInfo&, const std::string&, const client::WatchOptions&) override {
    return Dead();
  }
  absl::StatusOr<std::unique_ptr<client::Scale>> GetScale(const api::KindInfo&, const std::string&,
                                                          const std::string&) override {
    return Dead();
  }
  absl::StatusOr<std::unique_ptr<client::Scale>> UpdateScale(const api::KindInfo&,
                                                             const std::string&, const std::string&,
                                                             const client::Scale&) override {
    return Dead();
  }
  absl::Status Bind(const std::string&, const api::core::v1::Binding&,
                    const client::WriteOptions&) override {
    return Dead();
  }
  absl::Status Evict(const std::string&, const api::policy::v1::Eviction&,
                     const client::WriteOptions&) override {
    return Dead();
  }
  int calls = 0;

 private:
  absl::Status Dead() {
    calls++;
    return absl::UnavailableError("connection refused");
  }
  api::Scheme* scheme_;
};

class FailoverClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *store::NewMemoryStore();
    scheme_ = api::NewBuiltinScheme();
    registry_ = std::make_unique<apiserver::Registry>(store_.get(), scheme_.get());
  }
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<apiserver::Registry> registry_;
};

TEST_F(FailoverClientTest, MovesToTheNextServerWhenOneIsUnreachable) {
  auto dead = std::make_unique<DeadClient>(scheme_.get());
  DeadClient* dead_ptr = dead.get();
  std::vector<std::unique_ptr<client::Client>> backends;
  backends.push_back(std::move(dead));
  backends.push_back(client::NewInProcessClient(registry_.get()));
  std::unique_ptr<client::Client> c = NewFailoverClient(std::move(backends));
  client::TypedClient<ConfigMap> maps(c.get());

  ConfigMap cm;
  cm.mutable_metadata()->set_name("a");
  cm.mutable_metadata()->set_namespace_("default");
  absl::StatusOr<std::unique_ptr<ConfigMap>> created = maps.Create(cm);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(dead_ptr->calls, 1);
  // The live server is now the current one: the dead one is not tried again.
  ASSERT_TRUE(maps.Get("default", "a").ok());
  EXPECT_EQ(dead_ptr->calls, 1);
}

TEST_F(FailoverClientTest, OtherErrorsAreNotRetried) {
  auto dead = std::make_unique<DeadClient>(scheme_.get());
  DeadClient* dead_ptr = dead.get();
  std::vector<std::unique_ptr<client::Client>> backends;
  backends.push_back(client::NewInProcessClient(registry_.get()));
  backends.push_back(std::move(dead));
  std::unique_ptr<client::Client> c = NewFailoverClient(std::move(backends));
  client::TypedClient<ConfigMap> maps(c.get());
  EXPECT_EQ(maps.Get("default", "missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(dead_ptr->calls, 0);
}

// The pods/binding and pods/eviction subresources move to the next server like other calls.
TEST_F(FailoverClientTest, BindAndEvictMoveToTheNextServer) {
  auto dead = std::make_unique<DeadClient>(scheme_.get());
  DeadClient* dead_ptr = dead.get();
  std::vector<std::unique_ptr<client::Client>> backends;
  backends.push_back(std::move(dead));
  backends.push_back(client::NewInProcessClient(registry_.get()));
  std::unique_ptr<client::Client> c = NewFailoverClient(std::move(backends));
  client::TypedClient<Pod> pods(c.get());
  Pod p;
  p.mutable_metadata()->set_name("p");
  p.mutable_metadata()->set_namespace_("default");
  auto* ctr = p.mutable_spec()->add_containers();
  ctr->set_name("app");
  ctr->set_image("busybox");
  ASSERT_TRUE(pods.Create(p).ok());
  EXPECT_EQ(dead_ptr->calls, 1);

  api::core::v1::Binding b;
  b.mutable_metadata()->set_name("p");
  b.mutable_target()->set_kind("Node");
  b.mutable_target()->set_name("n1");
  ASSERT_TRUE(c->Bind("default", b, {}).ok());
  EXPECT_EQ((*pods.Get("default", "p"))->spec().nodename(), "n1");

  api::policy::v1::Eviction e;
  e.mutable_metadata()->set_name("p");
  e.mutable_metadata()->set_namespace_("default");
  ASSERT_TRUE(c->Evict("default", e, {}).ok());
  absl::StatusOr<std::unique_ptr<Pod>> gone = pods.Get("default", "p");
  EXPECT_TRUE(absl::IsNotFound(gone.status()) ||
              (gone.ok() && (*gone)->metadata().has_deletiontimestamp()))
      << gone.status();
  EXPECT_EQ(dead_ptr->calls, 1);  // the live server stayed the current one
}

TEST_F(FailoverClientTest, AllUnreachableIsUnavailable) {
  std::vector<std::unique_ptr<client::Client>> backends;
  backends.push_back(std::make_unique<DeadClient>(scheme_.get()));
  backends.push_back(std::make_unique<DeadClient>(scheme_.get()));
  std::unique_ptr<client::Client> c = NewFailoverClient(std::move(backends));
  client::TypedClient<ConfigMap> maps(c.get());
  EXPECT_EQ(maps.Get("default", "a").status().code(), absl::StatusCode::kUnavailable);
}

TEST(ConnectToApiServerTest, NeedsAServer) {
  unsetenv("KUBECONFIG");
  FlagSet flags("x");
  AddApiServerFlags(&flags);
  ASSERT_TRUE(flags.Parse({}).ok());
  EXPECT_EQ(ConnectToApiServer(flags).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConnectToApiServerTest, UnreachableServerIsUnavailable) {
  FlagSet flags("x");
  AddApiServerFlags(&flags);
  ASSERT_TRUE(flags.Parse({"--apiserver=http://127.0.0.1:1"}).ok());
  absl::StatusOr<ApiConnection> c = ConnectToApiServer(flags);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(c.status().message().find("127.0.0.1:1"), std::string::npos) << c.status();
}

TEST(ParsePortTest, RejectsNonPorts) {
  EXPECT_EQ(*ParsePort("port", "8080"), 8080);
  EXPECT_EQ(ParsePort("port", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePort("port", "70000").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rudder::cmd
