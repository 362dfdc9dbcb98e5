// End-to-end: `kubectl top node` and `kubectl top pod` (kubectl 1.33) read the metrics.k8s.io
// NodeMetrics and PodMetrics that a simulated node agent publishes, through the REST server.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/client.h"
#include "lib/testing/test_cluster.h"
#include "tests/lib/kubectl_util.h"

namespace rudder {
namespace {

using api::core::v1::Pod;

TEST(KubectlTopE2eTest, TopNodeAndPodShowPublishedUsage) {
  std::string kubectl = testing::FindKubectl();
  if (kubectl.empty()) GTEST_SKIP() << "kubectl not found; the kubectl top test did not run";
  testing::TestClusterOptions o;
  o.serve_rest = true;
  o.nodes = 1;
  o.publish_node_metrics = true;
  o.pod_script = [](const std::string&, const std::string& name) -> std::string {
    return name == "web" ? "app: cpu=250 memory=64Mi; side: cpu=50 memory=16Mi" : "";
  };
  auto tc = testing::TestCluster::Start(std::move(o));
  ASSERT_TRUE(tc.ok()) << tc.status();
  Pod p;
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_metadata()->set_name("web");
  p.mutable_spec()->set_nodename("node-0");
  for (const char* c : {"app", "side"}) {
    auto* ct = p.mutable_spec()->add_containers();
    ct->set_name(c);
    ct->set_image("busybox");
  }
  ASSERT_TRUE(client::TypedClient<Pod>((*tc)->client()).Create(p).ok());
  ASSERT_TRUE((*tc)->WaitForQuiescence().ok());
  ASSERT_TRUE((*tc)->Advance(absl::Seconds(10)).ok());  // the next stats sample is published

  std::string k = absl::StrCat(kubectl, " --kubeconfig=", (*tc)->kubeconfig_path());
  auto [nodes, nrc] = testing::RunShell(k + " top node --no-headers");
  EXPECT_EQ(nrc, 0) << nodes;
  EXPECT_TRUE(absl::StrContains(nodes, "node-0")) << nodes;
  EXPECT_TRUE(absl::StrContains(nodes, "300m")) << nodes;
  EXPECT_TRUE(absl::StrContains(nodes, "80Mi")) << nodes;
  auto [pods, prc] = testing::RunShell(k + " top pod -n default");
  EXPECT_EQ(prc, 0) << pods;
  EXPECT_TRUE(absl::StrContains(pods, "web")) << pods;
  EXPECT_TRUE(absl::StrContains(pods, "300m")) << pods;
  EXPECT_TRUE(absl::StrContains(pods, "80Mi")) << pods;
  auto [ctrs, crc] = testing::RunShell(k + " top pod web -n default --containers --no-headers");
  EXPECT_EQ(crc, 0) << ctrs;
  EXPECT_TRUE(absl::StrContains(ctrs, "app")) << ctrs;
  EXPECT_TRUE(absl::StrContains(ctrs, "250m")) << ctrs;
  EXPECT_TRUE(absl::StrContains(ctrs, "16Mi")) << ctrs;
}

}  // namespace
}  // namespace rudder
