// Cost of what the API server runs on every write of a typical object: defaulting and
// validation of a Deployment and of a Pod (decoded once, outside the timed loop).
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "lib/api/codec/json.h"
#include "lib/api/defaults/defaults.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/validation/kinds.h"

namespace rudder::api {
namespace {

constexpr char kDeployment[] = R"({"metadata":{"name":"web","namespace":"default",
  "labels":{"app":"web"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
  "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx",
  "image":"nginx:1.25","ports":[{"name":"http","containerPort":80}],
  "env":[{"name":"MODE","value":"prod"}],
  "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"1","memory":"256Mi"}},
  "readinessProbe":{"httpGet":{"path":"/healthz","port":"http"}},
  "volumeMounts":[{"name":"cfg","mountPath":"/etc/nginx/conf.d"}]}],
  "volumes":[{"name":"cfg","configMap":{"name":"nginx"}}]}}}})";

apps::v1::Deployment Decode() {
  apps::v1::Deployment d;
  (void)DecodeJson(kDeployment, &d);
  return d;
}

void BM_DefaultDeployment(benchmark::State& state) {
  const apps::v1::Deployment base = Decode();
  for (auto _ : state) {
    apps::v1::Deployment d = base;
    defaults::SetDefaults(&d);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DefaultDeployment);

void BM_ValidateDeployment(benchmark::State& state) {
  apps::v1::Deployment d = Decode();
  defaults::SetDefaults(&d);
  validation::ValidationFuncs v =
      validation::ValidatorsFor(apps::v1::Deployment::descriptor(), true);
  for (auto _ : state) {
    field::FieldErrors errs = v.validate(d);
    if (!errs.empty()) state.SkipWithError("unexpected errors");
    benchmark::DoNotOptimize(errs);
  }
}
BENCHMARK(BM_ValidateDeployment);

void BM_ValidateDeploymentUpdate(benchmark::State& state) {
  apps::v1::Deployment d = Decode();
  defaults::SetDefaults(&d);
  apps::v1::Deployment old = d;
  d.mutable_spec()->set_replicas(5);
  validation::ValidationFuncs v =
      validation::ValidatorsFor(apps::v1::Deployment::descriptor(), true);
  for (auto _ : state) {
    field::FieldErrors errs = v.validate(d);
    errs.Append(v.validate_update(d, old));
    benchmark::DoNotOptimize(errs);
  }
}
BENCHMARK(BM_ValidateDeploymentUpdate);

}  // namespace
}  // namespace rudder::api
