#include "lib/controllers/endpoints/endpoints.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/discovery/v1/discovery.pb.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/internal/testing.h"

namespace rudder::controllers {
namespace {

using api::core::v1::Endpoints;
using api::core::v1::Pod;
using api::core::v1::Service;
using api::discovery::v1::EndpointSlice;
using ctrl::testing::Eventually;

class EndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = ctrl::Manager::New(cluster_.client.get(), {.clock = &clock_});
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = *std::move(m);
    ASSERT_TRUE(AddEndpointsController(manager_.get()).ok());
    ASSERT_TRUE(AddEndpointSliceController(manager_.get()).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override { manager_->Stop(); }

  void CreateService(const std::string& name, bool headless = false, bool selector = true) {
    Service s;
    s.mutable_metadata()->set_namespace_("default");
    s.mutable_metadata()->set_name(name);
    if (selector) (*s.mutable_spec()->mutable_selector())["app"] = name;
    if (headless) s.mutable_spec()->set_clusterip("None");
    auto* p = s.mutable_spec()->add_ports();
    p->set_name("web");
    p->set_port(80);
    p->mutable_targetport()->set_type(1);
    p->mutable_targetport()->set_strval("http");
    auto r = services_.Create(s);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  void CreatePod(const std::string& name, const std::string& app, const std::string& ip, bool ready,
                 const std::string& subdomain = "") {
    Pod p;
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_name(name);
    (*p.mutable_metadata()->mutable_labels())["app"] = app;
    p.mutable_spec()->set_hostname(name);
    p.mutable_spec()->set_subdomain(subdomain);
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image("nginx");
    auto* port = c->add_ports();
    port->set_name("http");
    port->set_containerport(8080);
    auto r = pods_.Create(p);
    ASSERT_TRUE(r.ok()) << r.status();
    SetReady(**r, ip, ready);
  }
  void SetReady(Pod p, const std::string& ip, bool ready) {
    p.mutable_status()->set_phase("Running");
    p.mutable_status()->set_podip(ip);
    p.mutable_status()->clear_conditions();
    auto* cond = p.mutable_status()->add_conditions();
    cond->set_type("Ready");
    cond->set_status(ready ? "True" : "False");
    auto r = pods_.UpdateStatus(p);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  std::unique_ptr<Endpoints> Ep(const std::string& name) {
    auto r = endpoints_.Get("default", name);
    return r.ok() ? *std::move(r) : nullptr;
  }
  std::vector<std::unique_ptr<EndpointSlice>> Slices(const std::string& svc) {
    client::ListOptions o;
    o.label_selector = absl::StrCat(kServiceNameLabel, "=", svc);
    auto r = slices_.List("default", o);
    return r.ok() ? std::move(r->items) : std::vector<std::unique_ptr<EndpointSlice>>{};
  }
  // "ip" of every ready / not ready address of the Endpoints.
  std::pair<std::set<std::string>, std::set<std::string>> Addresses(const std::string& name) {
    std::pair<std::set<std::string>, std::set<std::string>> out;
    std::unique_ptr<Endpoints> e = Ep(name);
    if (e == nullptr) return out;
    for (const auto& s : e->subsets()) {
      for (const auto& a : s.addresses()) out.first.insert(a.ip());
      for (const auto& a : s.notreadyaddresses()) out.second.insert(a.ip());
    }
    return out;
  }
  size_t SliceEndpoints(const std::string& svc) {
    size_t n = 0;
    for (const auto& s : Slices(svc)) n += s->endpoints_size();
    return n;
  }

  FakeClock clock_;
  ctrl::testing::TestCluster cluster_;
  std::unique_ptr<ctrl::Manager> manager_;
  client::TypedClient<Service> services_{cluster_.client.get()};
  client::TypedClient<Pod> pods_{cluster_.client.get()};
  client::TypedClient<Endpoints> endpoints_{cluster_.client.get()};
  client::TypedClient<EndpointSlice> slices_{cluster_.client.get()};
};

using Sets = std::pair<std::set<std::string>, std::set<std::string>>;

TEST_F(EndpointsTest, ReadinessDrivesAddressesAndSliceConditions) {
  CreateService("web");
  CreatePod("web-1", "web", "10.0.0.1", true);
  CreatePod("web-2", "web", "10.0.0.2", false);
  CreatePod("other", "db", "10.0.0.3", true);
  ASSERT_TRUE(Eventually([&] { return Addresses("web") == Sets({"10.0.0.1"}, {"10.0.0.2"}); }));
  std::unique_ptr<Endpoints> e = Ep("web");
  ASSERT_EQ(e->subsets_size(), 1);
  ASSERT_EQ(e->subsets(0).ports_size(), 1);
  EXPECT_EQ(e->subsets(0).ports(0).port(), 8080);  // Named target port resolved.
  EXPECT_EQ(e->subsets(0).ports(0).name(), "web");
  EXPECT_EQ(e->subsets(0).addresses(0).targetref().name(), "web-1");

  ASSERT_TRUE(Eventually([&] { return SliceEndpoints("web") == 2; }));
  std::vector<std::unique_ptr<EndpointSlice>> slices = Slices("web");
  ASSERT_EQ(slices.size(), 1u);
  const EndpointSlice& s = *slices[0];
  EXPECT_EQ(s.addresstype(), "IPv4");
  EXPECT_EQ(s.metadata().labels().at(kEndpointSliceManagedBy), kEndpointSliceController);
  EXPECT_EQ(s.metadata().ownerreferences(0).kind(), "Service");
  EXPECT_EQ(s.ports(0).port(), 8080);
  for (const auto& ep : s.endpoints()) {
    bool ready = ep.addresses(0) == "10.0.0.1";
    EXPECT_EQ(ep.conditions().ready(), ready);
    EXPECT_EQ(ep.conditions().serving(), ready);
    EXPECT_FALSE(ep.conditions().terminating());
  }

  // Readiness flips.
  SetReady(**pods_.Get("default", "web-1"), "10.0.0.1", false);
  SetReady(**pods_.Get("default", "web-2"), "10.0.0.2", true);
  ASSERT_TRUE(Eventually([&] { return Addresses("web") == Sets({"10.0.0.2"}, {"10.0.0.1"}); }));
  ASSERT_TRUE(Eventually([&] {
    for (const auto& sl : Slices("web")) {
      for (const auto& ep : sl->endpoints()) {
        if (ep.conditions().ready() != (ep.addresses(0) == "10.0.0.2")) return false;
      }
    }
    return true;
  }));
  // Pod deletion.
  ASSERT_TRUE(pods_.Delete("default", "web-2").ok());
  ASSERT_TRUE(Eventually([&] { return Addresses("web") == Sets({}, {"10.0.0.1"}); }));
  ASSERT_TRUE(Eventually([&] { return SliceEndpoints("web") == 1; }));

  // Service deletion removes both.
  ASSERT_TRUE(services_.Delete("default", "web").ok());
  ASSERT_TRUE(Eventually([&] { return Ep("web") == nullptr && Slices("web").empty(); }));
}

TEST_F(EndpointsTest, ServiceWithoutSelectorIsLeftAlone) {
  CreateService("external", false, /*selector=*/false);
  Endpoints e;
  e.mutable_metadata()->set_namespace_("default");
  e.mutable_metadata()->set_name("external");
  e.add_subsets()->add_addresses()->set_ip("192.168.1.1");
  ASSERT_TRUE(endpoints_.Create(e).ok());
  // A reconcile of the service runs (it was just created) and leaves the user's Endpoints.
  CreateService("marker");
  CreatePod("m", "marker", "10.0.0.9", true);
  ASSERT_TRUE(Eventually([&] { return Addresses("marker").first.size() == 1; }));
  EXPECT_EQ(Addresses("external"), Sets({"192.168.1.1"}, {}));
  EXPECT_TRUE(Slices("external").empty());
  // Deleting it does not delete Endpoints the controller did not write.
  ASSERT_TRUE(services_.Delete("default", "external").ok());
  ASSERT_TRUE(services_.Delete("default", "marker").ok());
  ASSERT_TRUE(Eventually([&] { return Ep("marker") == nullptr; }));
  EXPECT_NE(Ep("external"), nullptr);
}

TEST_F(EndpointsTest, HeadlessServiceHostnames) {
  CreateService("db", /*headless=*/true);
  CreatePod("db-0", "db", "10.0.1.1", true, /*subdomain=*/"db");
  CreatePod("db-x", "db", "10.0.1.2", true);
  ASSERT_TRUE(Eventually([&] { return Addresses("db").first.size() == 2; }));
  std::unique_ptr<Endpoints> e = Ep("db");
  EXPECT_EQ(e->metadata().labels().count(kHeadlessLabel), 1u);
  for (const auto& a : e->subsets(0).addresses()) {
    EXPECT_EQ(a.hostname(), a.ip() == "10.0.1.1" ? "db-0" : "");
  }
  ASSERT_TRUE(Eventually([&] { return SliceEndpoints("db") == 2; }));
  std::vector<std::unique_ptr<EndpointSlice>> slices = Slices("db");
  ASSERT_EQ(slices.size(), 1u);
  for (const auto& ep : slices[0]->endpoints()) {
    EXPECT_EQ(ep.hostname(), ep.addresses(0) == "10.0.1.1" ? "db-0" : "");
  }
}

TEST_F(EndpointsTest, SlicesHoldAtMost100Endpoints) {
  CreateService("big");
  for (int i = 0; i < 250; ++i) {
    CreatePod(absl::StrCat("big-", i), "big", absl::StrCat("10.1.", i / 200, ".", i % 200 + 1),
              true);
  }
  ASSERT_TRUE(Eventually([&] { return SliceEndpoints("big") == 250; }));
  std::vector<std::unique_ptr<EndpointSlice>> slices = Slices("big");
  ASSERT_EQ(slices.size(), 3u);
  for (const auto& s : slices) EXPECT_LE(s->endpoints_size(), 100);
  ASSERT_TRUE(Eventually([&] { return Addresses("big").first.size() == 250; }));
}

}  // namespace
}  // namespace rudder::controllers
