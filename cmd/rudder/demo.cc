// The demo decodes a manifest into typed objects, defaults and validates them, writes them to a
// RocksStore with optimistic concurrency, watches the store while it applies a strategic merge
// patch, selects objects by label, and prints one back as YAML. Run it twice: the objects
// survive, and the second apply reports them unchanged.
#include "cmd/rudder/demo.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cmd/rudder/flags.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/yaml.h"
#include "lib/api/labels/selector.h"
#include "lib/api/object/object.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/patch/strategic_merge_patch.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/registry/registry.h"
#include "lib/base/status_macros.h"
#include "lib/store/rocks/rocks_store.h"

namespace rudder::cmd {
namespace {

using google::protobuf::Message;

// Creates the object through the registry, or updates it there if it differs from the live
// one; returns "created", "configured" or "unchanged" with the revision. The registry sets the
// server-owned metadata (uid, creationTimestamp, generation, resourceVersion), defaults and
// validates, and updates with the live resourceVersion as a precondition.
absl::StatusOr<std::string> Apply(apiserver::Registry& registry, const api::KindInfo& kind,
                                  std::unique_ptr<Message>& obj) {
  api::meta::v1::ObjectMeta* meta = api::MutableObjectMeta(obj.get());
  std::string ns = kind.namespaced && meta->namespace_().empty() ? "default" : meta->namespace_();
  absl::StatusOr<std::unique_ptr<Message>> live = registry.Get(kind, ns, meta->name());
  if (absl::IsNotFound(live.status())) {
    RUDDER_ASSIGN_OR_RETURN(obj, registry.Create(kind, ns, std::move(obj)));
    return absl::StrCat("created (revision ", api::GetObjectMeta(*obj)->resourceversion(), ")");
  }
  RUDDER_RETURN_IF_ERROR(live.status());
  // Compare with the live object as an update would store it: same server-owned metadata,
  // defaults applied.
  const api::meta::v1::ObjectMeta& live_meta = *api::GetObjectMeta(**live);
  meta->set_namespace_(ns);
  meta->set_uid(live_meta.uid());
  *meta->mutable_creationtimestamp() = live_meta.creationtimestamp();
  meta->set_generation(live_meta.generation());
  meta->set_resourceversion(live_meta.resourceversion());
  if (kind.defaulter) kind.defaulter(obj.get());
  if (obj->SerializeAsString() == (*live)->SerializeAsString()) {
    obj = *std::move(live);
    return absl::StrCat("unchanged (revision ", live_meta.resourceversion(), ")");
  }
  RUDDER_ASSIGN_OR_RETURN(obj, registry.Update(kind, ns, meta->name(), std::move(obj)));
  return absl::StrCat("configured (revision ", api::GetObjectMeta(*obj)->resourceversion(), ")");
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status Demo(const FlagSet& flags) {
  std::unique_ptr<api::Scheme> scheme = api::NewBuiltinScheme();
  if (scheme == nullptr) return absl::InternalError("built-in scheme failed to register");

  std::string manifest_path = flags.Get("manifest");
  absl::StatusOr<std::string> manifest = ReadFile(manifest_path);
  if (!manifest.ok() && std::getenv("BUILD_WORKSPACE_DIRECTORY") != nullptr) {
    manifest = ReadFile(absl::StrCat(std::getenv("BUILD_WORKSPACE_DIRECTORY"), "/", manifest_path));
  }
  RUDDER_RETURN_IF_ERROR(manifest.status());

  store::RocksStoreOptions options;
  options.dir = flags.Get("data-dir");
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::OpenRocksStore(options));
  RUDDER_ASSIGN_OR_RETURN(int64_t start_rev, store->CurrentRevision());
  std::cout << "store: RocksDB in " << options.dir << ", at revision " << start_rev << "\n";
  apiserver::RegistryOptions registry_options;
  registry_options.watch_cache = false;  // One short-lived process: read the store directly.
  apiserver::Registry registry(store.get(), scheme.get(), registry_options);

  // 1. Decode the manifest (multi-document YAML) into typed objects and apply each.
  RUDDER_ASSIGN_OR_RETURN(std::vector<std::string> docs, api::YamlToJson(*manifest));
  std::vector<std::pair<std::shared_ptr<const api::KindInfo>, std::unique_ptr<Message>>> objects;
  for (const std::string& json : docs) {
    RUDDER_ASSIGN_OR_RETURN(api::TypeMeta tm, api::PeekTypeMeta(json));
    RUDDER_ASSIGN_OR_RETURN(api::GroupVersionKind gvk,
                            api::GroupVersionKind::FromApiVersion(tm.api_version, tm.kind));
    std::shared_ptr<const api::KindInfo> kind = scheme->ByKind(gvk);
    if (kind == nullptr) return absl::NotFoundError("no kind " + gvk.ToString());
    std::unique_ptr<Message> obj = kind->New();
    RUDDER_RETURN_IF_ERROR(api::DecodeJson(json, obj.get()).status());
    RUDDER_ASSIGN_OR_RETURN(std::string verb, Apply(registry, *kind, obj));
    std::cout << "apply: " << kind->singular << "/" << api::GetObjectMeta(*obj)->name() << " "
              << verb << "\n";
    objects.emplace_back(kind, std::move(obj));
  }

  // 2. Watch the registry while a strategic merge patch scales the Deployment and changes its
  //    image, as `kubectl apply` would send it.
  RUDDER_ASSIGN_OR_RETURN(int64_t now_rev, store->CurrentRevision());
  store::WatchOptions wopts;
  wopts.start_revision = now_rev + 1;
  wopts.prev_kv = true;
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<store::Watcher> watcher,
                          store->Watch(store::KeyRange::Prefix("/registry/"), wopts));
  for (auto& [kind, obj] : objects) {
    if (kind->gvk.kind != "Deployment") continue;
    RUDDER_ASSIGN_OR_RETURN(std::string live, api::EncodeJson(*obj));
    std::unique_ptr<api::patch::PatchMeta> pmeta = api::patch::NewProtoPatchMeta(kind->descriptor);
    const std::string patch =
        R"({"spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":)"
        R"([{"name":"hello"}],"containers":[{"name":"hello","image":"busybox:1.37"}]}}}})";
    RUDDER_ASSIGN_OR_RETURN(std::string patched,
                            api::patch::ApplyStrategicMergePatch(live, patch, *pmeta));
    std::unique_ptr<Message> next = kind->New();
    RUDDER_RETURN_IF_ERROR(api::DecodeJson(patched, next.get()).status());
    RUDDER_ASSIGN_OR_RETURN(std::string verb, Apply(registry, *kind, next));
    std::cout << "patch: deployment/hello replicas 3, image busybox:1.37: " << verb << "\n";
    obj = std::move(next);
  }
  while (std::optional<store::WatchResponse> r = watcher->Next(absl::Milliseconds(200))) {
    if (!r->status.ok()) return r->status;
    for (const store::WatchEvent& e : r->events) {
      std::cout << "watch: " << (e.type == store::WatchEvent::Type::kPut ? "PUT" : "DELETE") << " "
                << e.kv.key << " at revision " << e.kv.mod_revision << " (version " << e.kv.version
                << (e.prev_kv ? ", had a previous value" : "") << ")\n";
    }
  }

  // 3. Select by label across kinds.
  RUDDER_ASSIGN_OR_RETURN(api::labels::Selector selector,
                          api::labels::Selector::Parse(flags.Get("selector")));
  std::cout << "select: " << selector.String() << "\n";
  for (const auto& [kind, obj] : objects) {
    const auto& labels = api::GetObjectMeta(*obj)->labels();
    if (selector.Matches(labels)) {
      std::cout << "  " << kind->gvk.kind << "/" << api::GetObjectMeta(*obj)->name() << "\n";
    }
  }

  // 4. Read the Deployment back from the store and print it as `kubectl get -o yaml` would.
  for (const auto& [kind, obj] : objects) {
    if (kind->gvk.kind != "Deployment") continue;
    const api::meta::v1::ObjectMeta& meta = *api::GetObjectMeta(*obj);
    RUDDER_ASSIGN_OR_RETURN(
        std::optional<store::KeyValue> kv,
        store->Get(apiserver::Registry::KeyFor(*kind, meta.namespace_(), meta.name())));
    if (!kv.has_value()) return absl::NotFoundError("deployment vanished");
    std::unique_ptr<Message> stored = kind->New();
    if (!stored->ParseFromString(kv->value)) return absl::DataLossError("corrupt object");
    api::MutableObjectMeta(stored.get())->set_resourceversion(absl::StrCat(kv->mod_revision));
    api::JsonEncodeOptions enc;
    enc.api_version = kind->gvk.ApiVersion();
    enc.kind = kind->gvk.kind;
    RUDDER_ASSIGN_OR_RETURN(std::string json, api::EncodeJson(*stored, enc));
    RUDDER_ASSIGN_OR_RETURN(std::string yaml, api::JsonToYaml(json));
    std::cout << "---\n" << yaml;
  }
  return absl::OkStatus();
}

}  // namespace

int RunDemo(const std::vector<std::string>& args) {
  FlagSet flags("demo");
  const char* home = std::getenv("HOME");
  flags.String("data-dir", absl::StrCat(home ? home : "/tmp", "/.rudder/demo"),
               "the RocksDB store's directory (kept between runs)");
  flags.String("manifest", "examples/hello.yaml", "the manifest to apply");
  flags.String("selector", "app=hello", "a label selector to list objects by");
  flags.Bool("help", false, "print this help");
  if (absl::Status s = flags.Parse(args); !s.ok()) {
    std::cerr << "rudder demo: " << s.message() << "\n";
    return 2;
  }
  if (flags.GetBool("help")) {
    std::cout << "Usage: rudder demo [flags]\n" << flags.Usage();
    return 0;
  }
  if (absl::Status s = Demo(flags); !s.ok()) {
    std::cerr << "rudder demo: " << s << "\n";
    return 1;
  }
  return 0;
}

}  // namespace rudder::cmd
