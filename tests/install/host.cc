// A host program built with plain g++ and pkg-config against the install tree: it decodes a
// Deployment from YAML, defaults and validates it through the built-in scheme, stores it in a
// MemoryStore and watches the write.
#include <iostream>
#include <memory>

#include "lib/api/codec/json.h"
#include "lib/api/codec/yaml.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/scheme/builtin.h"
#include "lib/base/clock.h"
#include "lib/store/memory/memory_store.h"

namespace {

constexpr char kManifest[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
)";

int Fail(const char* what, const absl::Status& s) {
  std::cerr << what << ": " << s << "\n";
  return 1;
}

}  // namespace

int main() {
  std::unique_ptr<rudder::api::Scheme> scheme = rudder::api::NewBuiltinScheme();
  auto kind = scheme->ResolveResource("deploy");
  if (kind == nullptr) return 2;

  auto json = rudder::api::YamlDocumentToJson(kManifest);
  if (!json.ok()) return Fail("yaml", json.status());
  rudder::api::apps::v1::Deployment d;
  auto decoded = rudder::api::DecodeJson(*json, &d);
  if (!decoded.ok()) return Fail("decode", decoded.status());
  d.mutable_metadata()->set_namespace_("default");
  kind->defaulter(&d);
  if (absl::Status s = kind->validate(d).ToStatus("Deployment.apps", "web"); !s.ok()) {
    return Fail("validate", s);
  }
  if (d.spec().replicas() != 1 || d.spec().revisionhistorylimit() != 10) return 3;

  rudder::FakeClock clock;
  rudder::store::MemoryStoreOptions options;
  options.clock = &clock;
  auto store = rudder::store::NewMemoryStore(options);
  if (!store.ok()) return Fail("store", store.status());
  auto watcher = (*store)->Watch(rudder::store::KeyRange::Prefix("/registry/"));
  if (!watcher.ok()) return Fail("watch", watcher.status());
  auto rev = (*store)->Put("/registry/apps/deployments/default/web", d.SerializeAsString());
  if (!rev.ok()) return Fail("put", rev.status());
  auto response = (*watcher)->Next(absl::Seconds(10));
  if (!response.has_value() || response->events.size() != 1) return 4;

  auto out = rudder::api::EncodeJson(d, {.api_version = "apps/v1", .kind = "Deployment"});
  if (!out.ok()) return Fail("encode", out.status());
  std::cout << *out << "\nhost program OK\n";
  return 0;
}
