#include "lib/client/conformance/transports.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/grpc/server.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/apiserver/rest/server.h"
#include "lib/base/status_macros.h"
#include "lib/client/grpc/grpc_client.h"
#include "lib/client/rest/rest_client.h"
#include "lib/store/memory/memory_store.h"

namespace rudder::client {
namespace {

// Members are destroyed in reverse order: clients, servers, registry, scheme, store.
class Env final : public ClientEnv {
 public:
  Client* client() override { return client_.get(); }
  store::Store* store() override { return store_.get(); }
  api::Scheme* scheme() override { return scheme_.get(); }
  absl::StatusOr<std::unique_ptr<Client>> NewClient() override { return new_client_(); }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<apiserver::Registry> registry_;
  std::unique_ptr<apiserver::GrpcServer> grpc_;
  std::unique_ptr<apiserver::ApiServer> rest_;
  std::function<absl::StatusOr<std::unique_ptr<Client>>()> new_client_;
  std::unique_ptr<Client> client_;

  ~Env() override {
    client_.reset();
    if (grpc_) grpc_->Shutdown();
    if (rest_) rest_->Shutdown();
  }
};

absl::StatusOr<std::unique_ptr<Env>> NewEnv() {
  auto env = std::make_unique<Env>();
  RUDDER_ASSIGN_OR_RETURN(env->store_, store::NewMemoryStore());
  env->scheme_ = api::NewBuiltinScheme();
  return env;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientEnv>> NewInProcessEnv() {
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<Env> env, NewEnv());
  env->registry_ = std::make_unique<apiserver::Registry>(env->store_.get(), env->scheme_.get());
  apiserver::Registry* registry = env->registry_.get();
  env->new_client_ = [registry]() -> absl::StatusOr<std::unique_ptr<Client>> {
    return NewInProcessClient(registry);
  };
  RUDDER_ASSIGN_OR_RETURN(env->client_, env->new_client_());
  return std::unique_ptr<ClientEnv>(std::move(env));
}

absl::StatusOr<std::unique_ptr<ClientEnv>> NewGrpcEnv() {
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<Env> env, NewEnv());
  env->registry_ = std::make_unique<apiserver::Registry>(env->store_.get(), env->scheme_.get());
  apiserver::GrpcServerOptions o;
  o.registry = env->registry_.get();
  RUDDER_ASSIGN_OR_RETURN(env->grpc_, apiserver::GrpcServer::Start(o));
  std::string target = absl::StrCat("127.0.0.1:", env->grpc_->port());
  api::Scheme* scheme = env->scheme_.get();
  env->new_client_ = [target, scheme]() -> absl::StatusOr<std::unique_ptr<Client>> {
    return NewGrpcClient(target, scheme);
  };
  RUDDER_ASSIGN_OR_RETURN(env->client_, env->new_client_());
  return std::unique_ptr<ClientEnv>(std::move(env));
}

absl::StatusOr<std::unique_ptr<ClientEnv>> NewRestEnv(int server_threads) {
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<Env> env, NewEnv());
  apiserver::ApiServerOptions o;
  o.store = env->store_.get();
  o.scheme = env->scheme_.get();
  o.max_threads = server_threads;
  RUDDER_ASSIGN_OR_RETURN(env->rest_, apiserver::ApiServer::Start(o));
  RestClientOptions ro;
  ro.server = absl::StrCat("http://127.0.0.1:", env->rest_->port());
  api::Scheme* scheme = env->scheme_.get();
  env->new_client_ = [ro, scheme]() { return NewRestClient(ro, scheme); };
  RUDDER_ASSIGN_OR_RETURN(env->client_, env->new_client_());
  return std::unique_ptr<ClientEnv>(std::move(env));
}

std::vector<TransportFactory> AllTransports() {
  return {
      {"InProcess", NewInProcessEnv},
      {"Grpc", NewGrpcEnv},
      {"Rest", [] { return NewRestEnv(); }},
  };
}

}  // namespace rudder::client
