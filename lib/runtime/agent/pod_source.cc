#include "lib/runtime/agent/pod_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace rudder::runtime::agent {
namespace {

using api::core::v1::Pod;

constexpr char kNodeIndex[] = "spec.nodeName";

PodRef AsPod(const client::ObjectRef& o) {
  if (o == nullptr || o->GetDescriptor() != Pod::descriptor()) return nullptr;
  return std::static_pointer_cast<const Pod>(o);
}

class InformerPodSource : public PodSource {
 public:
  explicit InformerPodSource(std::unique_ptr<client::SharedIndexInformer> inf)
      : informer_(std::move(inf)) {}
  ~InformerPodSource() override { Stop(); }
  absl::Status Start(absl::Time deadline) override {
    informer_->Start();
    if (!informer_->WaitForCacheSync(deadline)) {
      return absl::UnavailableError("pod informer did not sync");
    }
    return absl::OkStatus();
  }
  void Stop() override { informer_->Stop(); }
  absl::StatusOr<std::vector<PodRef>> Pods() override {
    std::vector<PodRef> out;
    for (const client::ObjectRef& o : informer_->GetIndexer().List()) {
      if (PodRef p = AsPod(o)) out.push_back(std::move(p));
    }
    return out;
  }

 private:
  std::unique_ptr<client::SharedIndexInformer> informer_;
};

class SharedPodSource : public PodSource {
 public:
  SharedPodSource(client::SharedIndexInformer* inf, std::string node)
      : informer_(inf), node_(std::move(node)) {}
  absl::Status Start(absl::Time deadline) override {
    if (!informer_->WaitForCacheSync(deadline)) {
      return absl::UnavailableError("shared pod informer did not sync");
    }
    return absl::OkStatus();
  }
  void Stop() override {}
  absl::StatusOr<std::vector<PodRef>> Pods() override {
    RUDDER_ASSIGN_OR_RETURN(std::vector<client::ObjectRef> objs,
                            informer_->GetIndexer().ByIndex(kNodeIndex, node_));
    std::vector<PodRef> out;
    out.reserve(objs.size());
    for (const client::ObjectRef& o : objs) {
      if (PodRef p = AsPod(o)) out.push_back(std::move(p));
    }
    return out;
  }

 private:
  client::SharedIndexInformer* informer_;
  std::string node_;
};

class ListPodSource : public PodSource {
 public:
  ListPodSource(client::Client* c, std::string node) : pods_(c), node_(std::move(node)) {}
  absl::Status Start(absl::Time) override { return absl::OkStatus(); }
  void Stop() override {}
  absl::StatusOr<std::vector<PodRef>> Pods() override {
    client::ListOptions o;
    o.field_selector = absl::StrCat("spec.nodeName=", node_);
    RUDDER_ASSIGN_OR_RETURN(client::TypedList<Pod> list, pods_.List("", o));
    std::vector<PodRef> out;
    out.reserve(list.items.size());
    for (auto& p : list.items) out.push_back(PodRef(std::move(p)));
    return out;
  }

 private:
  client::TypedClient<Pod> pods_;
  std::string node_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PodSource>> NewInformerPodSource(client::Client* client,
                                                                const std::string& node,
                                                                Clock* clock) {
  RUDDER_ASSIGN_OR_RETURN(std::shared_ptr<const api::KindInfo> kind,
                          client::KindFor(client->scheme(), Pod::descriptor()));
  client::InformerOptions o;
  o.field_selector = absl::StrCat("spec.nodeName=", node);
  o.clock = clock;
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<client::SharedIndexInformer> inf,
                          client::NewSharedIndexInformer(client, kind, o));
  (void)inf->SetTransform(client::StripManagedFields);
  return std::make_unique<InformerPodSource>(std::move(inf));
}

absl::StatusOr<std::unique_ptr<PodSource>> NewSharedInformerPodSource(
    client::SharedIndexInformer* informer, const std::string& node) {
  absl::Status st =
      informer->AddIndexers({{kNodeIndex, [](const client::Object& o) -> std::vector<std::string> {
                                if (o.GetDescriptor() != Pod::descriptor()) return {};
                                const std::string& n = static_cast<const Pod&>(o).spec().nodename();
                                if (n.empty()) return {};
                                return {n};
                              }}});
  if (!st.ok() && st.code() != absl::StatusCode::kAlreadyExists) return st;
  return std::make_unique<SharedPodSource>(informer, node);
}

std::unique_ptr<PodSource> NewListPodSource(client::Client* client, const std::string& node) {
  return std::make_unique<ListPodSource>(client, node);
}

}  // namespace rudder::runtime::agent
