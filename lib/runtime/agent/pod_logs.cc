#include "lib/runtime/agent/pod_logs.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/runtime/logs/pod_log_stream.h"

namespace rudder::runtime::agent {
namespace {

constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
constexpr absl::Duration kCallTimeout = absl::Seconds(10);

class RuntimePodLogSource final : public apiserver::PodLogSource {
 public:
  RuntimePodLogSource(RuntimeService* runtime, Clock* clock) : runtime_(runtime), clock_(clock) {}

  absl::StatusOr<std::unique_ptr<apiserver::PodLogStream>> OpenLog(
      const std::string& ns, const std::string& name,
      const apiserver::PodLogOptions& options) override {
    v1::ListContainersRequest list;
    (*list.mutable_filter()->mutable_label_selector())[kPodNamespaceLabel] = ns;
    (*list.mutable_filter()->mutable_label_selector())[kPodNameLabel] = name;
    absl::StatusOr<v1::ListContainersResponse> found = runtime_->ListContainers(list, kCallTimeout);
    if (!found.ok()) return absl::UnavailableError(found.status().message());

    // Container name -> its instances, newest first.
    std::map<std::string, std::vector<const v1::Container*>> by_name;
    for (const v1::Container& c : found->containers()) {
      auto it = c.labels().find(kContainerNameLabel);
      std::string cname = it != c.labels().end() ? it->second : c.metadata().name();
      by_name[cname].push_back(&c);
    }
    for (auto& [cname, list_of] : by_name) {
      std::stable_sort(list_of.begin(), list_of.end(),
                       [](const v1::Container* a, const v1::Container* b) {
                         if (a->metadata().attempt() != b->metadata().attempt()) {
                           return a->metadata().attempt() > b->metadata().attempt();
                         }
                         return a->created_at() > b->created_at();
                       });
    }

    std::string container = options.container;
    if (container.empty()) {
      if (by_name.size() != 1) {
        std::vector<std::string> names;
        for (const auto& [cname, unused] : by_name) names.push_back(cname);
        if (names.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("container in pod ", name, " is waiting to start"));
        }
        return absl::InvalidArgumentError(
            absl::StrCat("a container name must be specified for pod ", name, ", choose one of: [",
                         absl::StrJoin(names, " "), "]"));
      }
      container = by_name.begin()->first;
    }
    auto it = by_name.find(container);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("container \"", container, "\" in pod \"", name,
                       "\" is waiting to start or is not valid for this pod"));
    }
    size_t index = options.previous ? 1 : 0;
    if (index >= it->second.size()) {
      return absl::InvalidArgumentError(absl::StrCat("previous terminated container \"", container,
                                                     "\" in pod \"", name, "\" not found"));
    }
    std::string id = it->second[index]->id();
    v1::ContainerStatusRequest status_request;
    status_request.set_container_id(id);
    absl::StatusOr<v1::ContainerStatusResponse> status =
        runtime_->ContainerStatus(status_request, kCallTimeout);
    if (!status.ok()) return status.status();
    std::string path = status->status().log_path();
    if (path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("container \"", container, "\" in pod \"", name, "\" has no log"));
    }
    RuntimeService* runtime = runtime_;
    return logs::OpenFileLogStream(path, options, clock_, [runtime, id] {
      v1::ContainerStatusRequest q;
      q.set_container_id(id);
      absl::StatusOr<v1::ContainerStatusResponse> s = runtime->ContainerStatus(q, kCallTimeout);
      return s.ok() && s->status().state() == v1::CONTAINER_RUNNING;
    });
  }

 private:
  RuntimeService* const runtime_;
  Clock* const clock_;
};

}  // namespace

std::unique_ptr<apiserver::PodLogSource> NewRuntimePodLogSource(RuntimeService* runtime,
                                                                Clock* clock) {
  return std::make_unique<RuntimePodLogSource>(runtime, clock);
}

}  // namespace rudder::runtime::agent
