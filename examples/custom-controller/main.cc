// custom-controller: runs the Website controller.
//
//   custom-controller                 starts an in-process TestCluster with a REST port,
//                                     creates a sample Website and serves until interrupted
//                                     (kubectl --kubeconfig=<printed path> get websites,deploy,svc)
//   custom-controller --server=URL    reconciles Websites of a running Rudder server
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "examples/custom-controller/website_controller.h"
#include "lib/api/scheme/builtin.h"
#include "lib/base/clock.h"
#include "lib/client/rest/rest_client.h"
#include "lib/controllers/runtime/manager.h"
#include "lib/testing/test_cluster.h"

namespace {

volatile std::sig_atomic_t stop = 0;
void OnSignal(int) { stop = 1; }

void WaitForSignal() {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

int RunAgainstServer(const std::string& server) {
  std::unique_ptr<rudder::api::Scheme> scheme = rudder::api::NewBuiltinScheme();
  if (absl::Status s = example::RegisterWebsite(scheme.get()); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  auto c = rudder::client::NewRestClient({.server = server}, scheme.get());
  if (!c.ok()) {
    std::cerr << c.status() << "\n";
    return 1;
  }
  auto mgr = rudder::ctrl::Manager::New(c->get());
  if (!mgr.ok()) {
    std::cerr << mgr.status() << "\n";
    return 1;
  }
  absl::Status s = example::AddWebsiteController(mgr->get());
  if (s.ok()) s = (*mgr)->Start();
  if (!s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  std::cout << "reconciling websites.example.com on " << server << "; Ctrl-C to stop" << std::endl;
  WaitForSignal();
  return 0;
}

int RunInTestCluster() {
  rudder::testing::TestClusterOptions o;
  o.register_kinds = example::RegisterWebsite;
  o.serve_rest = true;
  o.controllers = {rudder::testing::GarbageCollectorController(),
                   {"website",
                    [](const rudder::testing::ControllerContext& ctx)
                        -> absl::StatusOr<std::unique_ptr<rudder::testing::RunningController>> {
                      absl::Status s = example::AddWebsiteController(ctx.manager);
                      if (!s.ok()) return s;
                      return nullptr;
                    }}};
  auto tc = rudder::testing::TestCluster::Start(std::move(o));
  if (!tc.ok()) {
    std::cerr << tc.status() << "\n";
    return 1;
  }
  example::website::v1::Website w;
  w.mutable_metadata()->set_namespace_("default");
  w.mutable_metadata()->set_name("hello");
  w.mutable_spec()->set_image("nginx:1.25");
  w.mutable_spec()->set_replicas(2);
  w.mutable_spec()->set_domain("hello.example.com");
  auto created =
      rudder::client::TypedClient<example::website::v1::Website>((*tc)->client()).Create(w);
  if (!created.ok()) {
    std::cerr << created.status() << "\n";
    return 1;
  }
  if (absl::Status s = (*tc)->WaitForQuiescence(); !s.ok()) std::cerr << s << "\n";
  std::cout << "server:     " << (*tc)->server_url() << "\n"
            << "kubeconfig: " << (*tc)->kubeconfig_path() << "\n"
            << "try: kubectl --kubeconfig=" << (*tc)->kubeconfig_path()
            << " get websites,deployments,services\n"
            << "Ctrl-C to stop" << std::endl;
  WaitForSignal();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--server=", 9) == 0) return RunAgainstServer(argv[i] + 9);
    std::cerr << "usage: " << argv[0] << " [--server=http://host:port]\n";
    return 2;
  }
  return RunInTestCluster();
}
