#include "lib/client/informer/factory.h"

#include <utility>
#include <vector>

namespace rudder::client {

SharedInformerFactory::SharedInformerFactory(Client* client, FactoryOptions options)
    : client_(client), options_(std::move(options)) {}

SharedInformerFactory::~SharedInformerFactory() { Shutdown(); }

absl::StatusOr<SharedIndexInformer*> SharedInformerFactory::For(
    std::shared_ptr<const api::KindInfo> kind) {
  return For(std::move(kind), options_.defaults);
}

absl::StatusOr<SharedIndexInformer*> SharedInformerFactory::For(
    std::shared_ptr<const api::KindInfo> kind, const InformerOptions& options) {
  if (kind == nullptr) return absl::InvalidArgumentError("kind: must not be null");
  InformerOptions merged = options_.defaults;
  merged.ns = kind->namespaced ? options.ns : std::string();
  merged.label_selector = options.label_selector;
  merged.field_selector = options.field_selector;
  merged.resync = options.resync;
  Key key{absl::StrCat(kind->gvk.group, "/", kind->gvk.version, "/", kind->gvk.kind), merged.ns,
          merged.label_selector, merged.field_selector};
  MutexLock l(&mu_);
  if (shut_down_) return absl::FailedPreconditionError("informer factory is shut down");
  auto it = informers_.find(key);
  if (it != informers_.end()) return it->second.get();
  absl::StatusOr<std::unique_ptr<SharedIndexInformer>> inf =
      NewSharedIndexInformer(client_, std::move(kind), merged);
  if (!inf.ok()) return inf.status();
  if (options_.transform) {
    absl::Status s = (*inf)->SetTransform(options_.transform);
    if (!s.ok()) return s;
  }
  SharedIndexInformer* out = inf->get();
  informers_.emplace(std::move(key), *std::move(inf));
  if (started_) out->Start();
  return out;
}

void SharedInformerFactory::Start() {
  MutexLock l(&mu_);
  if (shut_down_) return;
  started_ = true;
  for (auto& [key, inf] : informers_) inf->Start();
}

bool SharedInformerFactory::WaitForCacheSync(absl::Time deadline) {
  std::vector<SharedIndexInformer*> informers;
  {
    MutexLock l(&mu_);
    if (!started_ || shut_down_) return false;
    for (auto& [key, inf] : informers_) informers.push_back(inf.get());
  }
  return client::WaitForCacheSync(informers, deadline);
}

void SharedInformerFactory::Shutdown() {
  std::vector<SharedIndexInformer*> informers;
  {
    MutexLock l(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [key, inf] : informers_) informers.push_back(inf.get());
  }
  // Informers stay allocated (callers may still hold pointers) until the factory is destroyed.
  for (SharedIndexInformer* inf : informers) inf->Stop();
}

}  // namespace rudder::client
