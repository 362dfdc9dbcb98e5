// Defaulting and validation as the built-in scheme wires them: what the API server runs on a
// `kubectl create deployment web --image=nginx`.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/scheme/builtin.h"

namespace rudder::api {
namespace {

TEST(BuiltinSchemeTest, EveryTypedKindHasValidators) {
  std::unique_ptr<Scheme> scheme = NewBuiltinScheme();
  ASSERT_NE(scheme, nullptr);
  for (const auto& k : scheme->All()) {
    if (k->descriptor == nullptr || GetObjectMeta(*k->New()) == nullptr) continue;
    EXPECT_TRUE(k->validate) << k->gvk.ToString();
    EXPECT_TRUE(k->validate_update) << k->gvk.ToString();
  }
  EXPECT_TRUE(scheme->ResolveResource("deployments")->defaulter);
  EXPECT_TRUE(scheme->ResolveResource("pods")->defaulter);
}

TEST(BuiltinSchemeTest, CreateDeploymentDefaultsAndValidates) {
  std::unique_ptr<Scheme> scheme = NewBuiltinScheme();
  std::shared_ptr<const KindInfo> kind = scheme->ResolveResource("deploy");
  ASSERT_NE(kind, nullptr);
  std::unique_ptr<google::protobuf::Message> obj = kind->New();
  ASSERT_TRUE(DecodeJson(R"({"kind":"Deployment","apiVersion":"apps/v1",
      "metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
      "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"x"}},
      "spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},"strategy":{}}})",
                         obj.get())
                  .ok());
  kind->defaulter(obj.get());
  const auto& d = static_cast<const apps::v1::Deployment&>(*obj);
  EXPECT_EQ(d.spec().strategy().rollingupdate().maxsurge().strval(), "25%");
  EXPECT_EQ(d.spec().template_().spec().containers(0).imagepullpolicy(), "Always");
  absl::Status s = kind->validate(*obj).ToStatus("Deployment.apps", "web");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
            "map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`");
}

}  // namespace
}  // namespace rudder::api
