#include "lib/apiserver/rest/internal/discovery.h"

#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace rudder::apiserver::rest_internal {
namespace {

namespace meta = api::meta::v1;

TEST(AggregatedDiscoveryVersion, FollowsTheClientsOrder) {
  EXPECT_EQ(AggregatedDiscoveryVersion(
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                "application/json"),
            "v2");
  EXPECT_EQ(AggregatedDiscoveryVersion(
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList, "
                "application/json"),
            "v2beta1");
  EXPECT_EQ(AggregatedDiscoveryVersion("application/json, */*"), "");
  EXPECT_EQ(AggregatedDiscoveryVersion(""), "");
  // A plain range first: the client prefers the plain form.
  EXPECT_EQ(
      AggregatedDiscoveryVersion(
          "application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
      "");
  // Unknown versions and other kinds of list are not aggregated discovery.
  EXPECT_EQ(AggregatedDiscoveryVersion(
                "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"),
            "");
  EXPECT_EQ(AggregatedDiscoveryVersion("application/json;as=Table;v=v1;g=meta.k8s.io"), "");
}

TEST(AggregatedDiscoveryJson, GroupsResourcesAndSubresources) {
  meta::APIResourceList list;
  list.set_groupversion("apps/v1");
  meta::APIResource* d = list.add_resources();
  d->set_name("deployments");
  d->set_singularname("deployment");
  d->set_namespaced(true);
  d->set_kind("Deployment");
  d->add_verbs("get");
  d->add_verbs("list");
  d->add_shortnames("deploy");
  d->add_categories("all");
  meta::APIResource* s = list.add_resources();
  s->set_name("deployments/scale");
  s->set_namespaced(true);
  s->set_group("autoscaling");
  s->set_version("v1");
  s->set_kind("Scale");
  s->add_verbs("get");
  meta::APIResourceList core;
  core.set_groupversion("v1");
  meta::APIResource* ns = core.add_resources();
  ns->set_name("namespaces");
  ns->set_singularname("namespace");
  ns->set_namespaced(false);
  ns->set_kind("Namespace");

  std::string json = AggregatedDiscoveryJson({{"", {core}}, {"apps", {list}}}, "v2");
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_STREQ(doc["kind"].GetString(), "APIGroupDiscoveryList");
  EXPECT_STREQ(doc["apiVersion"].GetString(), "apidiscovery.k8s.io/v2");
  const auto& items = doc["items"];
  ASSERT_EQ(items.Size(), 2u);
  EXPECT_FALSE(items[0]["metadata"].HasMember("name"));
  const auto& nsr = items[0]["versions"][0]["resources"][0];
  EXPECT_STREQ(nsr["scope"].GetString(), "Cluster");
  EXPECT_STREQ(nsr["responseKind"]["group"].GetString(), "");
  EXPECT_STREQ(items[1]["metadata"]["name"].GetString(), "apps");
  const auto& v = items[1]["versions"][0];
  EXPECT_STREQ(v["version"].GetString(), "v1");
  EXPECT_STREQ(v["freshness"].GetString(), "Current");
  ASSERT_EQ(v["resources"].Size(), 1u);
  const auto& r = v["resources"][0];
  EXPECT_STREQ(r["resource"].GetString(), "deployments");
  EXPECT_STREQ(r["singularResource"].GetString(), "deployment");
  EXPECT_STREQ(r["scope"].GetString(), "Namespaced");
  EXPECT_STREQ(r["responseKind"]["kind"].GetString(), "Deployment");
  EXPECT_STREQ(r["responseKind"]["group"].GetString(), "apps");
  EXPECT_STREQ(r["shortNames"][0].GetString(), "deploy");
  EXPECT_STREQ(r["categories"][0].GetString(), "all");
  EXPECT_EQ(r["verbs"].Size(), 2u);
  ASSERT_EQ(r["subresources"].Size(), 1u);
  EXPECT_STREQ(r["subresources"][0]["subresource"].GetString(), "scale");
  EXPECT_STREQ(r["subresources"][0]["responseKind"]["group"].GetString(), "autoscaling");
  EXPECT_STREQ(r["subresources"][0]["responseKind"]["kind"].GetString(), "Scale");
}

}  // namespace
}  // namespace rudder::apiserver::rest_internal
