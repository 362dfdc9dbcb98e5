#include "lib/sched/framework.h"

#include <algorithm>
#include <atomic>
#include <map>

#include "absl/strings/str_join.h"
#include "lib/base/mutex.h"

namespace rudder::sched {

const std::vector<std::string>& Status::reasons() const {
  static const auto* const kEmpty = new std::vector<std::string>();
  return rep_ ? rep_->reasons : *kEmpty;
}

const std::string& Status::plugin() const {
  static const auto* const kEmpty = new std::string();
  return rep_ ? rep_->plugin : *kEmpty;
}

std::string Status::Message() const { return absl::StrJoin(reasons(), ", "); }

absl::Status Status::ToAbsl() const {
  switch (code_) {
    case Code::kSuccess:
    case Code::kSkip:
      return absl::OkStatus();
    case Code::kError:
      return absl::InternalError(Message());
    default:
      return absl::UnavailableError(Message());
  }
}

StateKey::StateKey(std::string_view name) {
  static Mutex* mu = new Mutex();
  static auto* names = new std::map<std::string, int, std::less<>>();
  MutexLock l(mu);
  auto it = names->find(name);
  if (it == names->end()) it = names->emplace(std::string(name), names->size()).first;
  index_ = it->second;
}

void CycleState::Write(const StateKey& key, std::unique_ptr<StateData> data) {
  // Grown once to a size that holds the usual number of keys.
  if (key.index() >= static_cast<int>(slots_.size())) {
    slots_.resize(std::max<size_t>(key.index() + 1, 32));
  }
  slots_[key.index()] = std::move(data);
}

std::unique_ptr<CycleState> CycleState::Clone() const {
  auto c = std::make_unique<CycleState>();
  c->slots_.resize(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i]) c->slots_[i] = slots_[i]->Clone();
  }
  c->skip_filter_ = skip_filter_;
  c->skip_score_ = skip_score_;
  return c;
}

void CycleState::Reset() {
  for (auto& s : slots_) s.reset();
  skip_filter_.clear();
  skip_score_.clear();
}

bool ClusterEvent::Matches(const ClusterEvent& reg) const {
  if (resource == EventResource::kWildcard || reg.resource == EventResource::kWildcard) {
    return true;
  }
  bool same = resource == reg.resource ||
              // A registration for all pods covers assigned pods.
              (reg.resource == EventResource::kPod && resource == EventResource::kAssignedPod);
  return same && (actions & reg.actions) != 0;
}

void PreFilterResult::Merge(const PreFilterResult& other) {
  if (!other.node_names) return;
  if (!node_names) {
    node_names = other.node_names;
    return;
  }
  absl::flat_hash_set<std::string> out;
  for (const auto& n : *node_names) {
    if (other.node_names->contains(n)) out.insert(n);
  }
  node_names = std::move(out);
}

Status Handle::RunFilterPluginsWithNominatedPods(const CycleState&, const PodInfo&,
                                                 const NodeInfo&) {
  return Status::Error("this Handle does not run Filter plugins");
}

Status Handle::RunPreFilterExtensionAddPod(CycleState&, const PodInfo&, const PodInfo&,
                                           const NodeInfo&) {
  return Status::Error("this Handle does not run PreFilter extensions");
}

Status Handle::RunPreFilterExtensionRemovePod(CycleState&, const PodInfo&, const PodInfo&,
                                              const NodeInfo&) {
  return Status::Error("this Handle does not run PreFilter extensions");
}

std::vector<std::shared_ptr<const PodInfo>> Handle::NominatedPodsForNode(std::string_view) const {
  return {};
}

void Handle::Parallelize(int num_chunks, const std::function<void(int)>& fn,
                         const std::atomic<bool>* stop) {
  for (int c = 0; c < num_chunks && !(stop && stop->load()); ++c) fn(c);
}

}  // namespace rudder::sched
