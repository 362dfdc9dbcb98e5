#include "lib/sched/cache.h"

#include "absl/strings/str_cat.h"
#include "lib/sched/internal/affinity_index.h"

namespace rudder::sched {

struct Cache::NodeItem {
  NodeInfo info;
  NodeItem* prev = nullptr;
  NodeItem* next = nullptr;
  bool in_order = false;  // Listed in order_ (has a Node object).
};

Snapshot::Snapshot() : affinity_index_(std::make_unique<internal::AffinityIndex>()) {}
Snapshot::~Snapshot() = default;

const NodeInfo* Snapshot::Get(std::string_view node_name) const {
  auto it = nodes_.find(AbslView(node_name));
  return it == nodes_.end() ? nullptr : it->second.get();
}

int Snapshot::ImageNumNodes(std::string_view image) const {
  if (!image_nodes_) return 0;
  auto it = image_nodes_->find(AbslView(image));
  return it == image_nodes_->end() ? 0 : it->second;
}

Cache::Cache(Clock* clock, absl::Duration assumed_ttl)
    : clock_(clock ? clock : Clock::Real()), ttl_(assumed_ttl) {}

Cache::~Cache() = default;

Cache::NodeItem* Cache::GetOrCreateNode(const std::string& name) {
  auto& slot = nodes_[name];
  if (!slot) {
    slot = std::make_unique<NodeItem>();
    slot->info.set_name(name);
    slot->next = head_;
    if (head_) head_->prev = slot.get();
    head_ = slot.get();
  }
  return slot.get();
}

void Cache::MoveToFront(NodeItem* item) {
  if (head_ == item) return;
  if (item->prev) item->prev->next = item->next;
  if (item->next) item->next->prev = item->prev;
  item->prev = nullptr;
  item->next = head_;
  if (head_) head_->prev = item;
  head_ = item;
}

void Cache::RemoveItem(NodeItem* item) {
  if (item->prev) item->prev->next = item->next;
  if (item->next) item->next->prev = item->prev;
  if (head_ == item) head_ = item->next;
  std::string name = item->info.name();
  nodes_.erase(name);
}

void Cache::AddImages(const NodeInfo& info, int delta) {
  if (info.images().empty()) return;
  for (const auto& [image, size] : info.images()) {
    int& n = image_nodes_[image];
    n += delta;
    if (n <= 0) image_nodes_.erase(image);
  }
  image_generation_ = ++generation_;
}

absl::Status Cache::AddNode(std::shared_ptr<const Node> node) {
  MutexLock l(&mu_);
  const std::string& name = node->metadata().name();
  auto it = nodes_.find(AbslView(name));
  if (it != nodes_.end() && it->second->info.node()) {
    return absl::AlreadyExistsError(absl::StrCat("node \"", name, "\" already exists"));
  }
  NodeItem* item = GetOrCreateNode(name);
  absl::Status s = item->info.SetNode(std::move(node), generation_ + 1);
  if (!s.ok()) {
    if (item->info.pods().empty() && !item->info.node()) RemoveItem(item);
    return s;
  }
  ++generation_;
  MoveToFront(item);
  AddImages(item->info, 1);
  if (!item->in_order) {
    item->in_order = true;
    order_.push_back(name);
    order_generation_ = generation_;
  }
  return absl::OkStatus();
}

absl::Status Cache::UpdateNode(std::shared_ptr<const Node> node) {
  MutexLock l(&mu_);
  const std::string& name = node->metadata().name();
  NodeItem* item = GetOrCreateNode(name);
  // Parse first so a malformed update leaves the old node in place.
  NodeInfo probe;
  absl::Status s = probe.SetNode(node, 0);
  if (!s.ok()) return s;
  AddImages(item->info, -1);
  s = item->info.SetNode(std::move(node), ++generation_);
  MoveToFront(item);
  AddImages(item->info, 1);
  if (!item->in_order) {
    item->in_order = true;
    order_.push_back(name);
    order_generation_ = generation_;
  }
  return s;
}

absl::Status Cache::RemoveNode(std::string_view name) {
  MutexLock l(&mu_);
  auto it = nodes_.find(AbslView(name));
  if (it == nodes_.end() || !it->second->info.node()) {
    return absl::NotFoundError(absl::StrCat("node \"", std::string(name), "\" not found"));
  }
  NodeItem* item = it->second.get();
  AddImages(item->info, -1);
  ++generation_;
  if (item->in_order) {
    item->in_order = false;
    std::erase(order_, std::string(name));
    order_generation_ = generation_;
  }
  // Pods still on a removed node keep their NodeInfo (without a node) until they go.
  if (item->info.pods().empty()) {
    RemoveItem(item);
  } else {
    item->info.ClearNode(generation_);
    MoveToFront(item);
  }
  return absl::OkStatus();
}

void Cache::AddPodToNode(const std::shared_ptr<const PodInfo>& pod, const std::string& node) {
  NodeItem* item = GetOrCreateNode(node);
  item->info.AddPod(pod, ++generation_);
  MoveToFront(item);
}

void Cache::RemovePodFromNode(const std::string& uid, const std::string& node) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return;
  NodeItem* item = it->second.get();
  item->info.RemovePod(uid, ++generation_);
  if (!item->info.node() && item->info.pods().empty()) {
    RemoveItem(item);
  } else {
    MoveToFront(item);
  }
}

absl::Status Cache::AssumePod(std::shared_ptr<const PodInfo> pod, const std::string& node_name) {
  MutexLock l(&mu_);
  if (pods_.contains(pod->uid())) {
    return absl::AlreadyExistsError(
        absl::StrCat("pod ", pod->key(), " is in the cache, so can't be assumed"));
  }
  AddPodToNode(pod, node_name);
  PodState& st = pods_[pod->uid()];
  st.pod = std::move(pod);
  st.node = node_name;
  st.assumed = true;
  return absl::OkStatus();
}

absl::Status Cache::FinishBinding(std::string_view uid) {
  MutexLock l(&mu_);
  auto it = pods_.find(AbslView(uid));
  if (it == pods_.end() || !it->second.assumed) {
    return absl::NotFoundError(absl::StrCat("pod ", std::string(uid), " is not assumed"));
  }
  it->second.binding_finished = true;
  it->second.deadline = clock_->Now() + ttl_;
  return absl::OkStatus();
}

absl::Status Cache::ForgetPod(std::string_view uid) {
  MutexLock l(&mu_);
  auto it = pods_.find(AbslView(uid));
  if (it == pods_.end() || !it->second.assumed) {
    return absl::NotFoundError(absl::StrCat("pod ", std::string(uid), " is not assumed"));
  }
  RemovePodFromNode(it->second.pod->uid(), it->second.node);
  pods_.erase(it);
  return absl::OkStatus();
}

absl::Status Cache::AddPod(std::shared_ptr<const PodInfo> pod) {
  MutexLock l(&mu_);
  const std::string& node = pod->pod().spec().nodename();
  if (node.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.nodeName: pod ", pod->key(), " is not assigned to a node"));
  }
  auto it = pods_.find(pod->uid());
  if (it != pods_.end()) {
    if (!it->second.assumed) {
      return absl::AlreadyExistsError(absl::StrCat("pod ", pod->key(), " was already added"));
    }
    // Confirms the assumed pod, moving it if it was bound elsewhere.
    RemovePodFromNode(pod->uid(), it->second.node);
    pods_.erase(it);
  }
  AddPodToNode(pod, node);
  PodState& st = pods_[pod->uid()];
  st.pod = std::move(pod);
  st.node = node;
  return absl::OkStatus();
}

absl::Status Cache::UpdatePod(std::shared_ptr<const PodInfo> pod) {
  MutexLock l(&mu_);
  auto it = pods_.find(pod->uid());
  if (it == pods_.end() || it->second.assumed) {
    return absl::NotFoundError(absl::StrCat("pod ", pod->key(), " is not added to the cache"));
  }
  RemovePodFromNode(pod->uid(), it->second.node);
  const std::string& node = pod->pod().spec().nodename();
  AddPodToNode(pod, node);
  it->second.pod = std::move(pod);
  it->second.node = node;
  return absl::OkStatus();
}

absl::Status Cache::RemovePod(std::string_view uid) {
  MutexLock l(&mu_);
  auto it = pods_.find(AbslView(uid));
  if (it == pods_.end())
    return absl::NotFoundError(absl::StrCat("pod ", std::string(uid), " not found"));
  RemovePodFromNode(it->second.pod->uid(), it->second.node);
  pods_.erase(it);
  return absl::OkStatus();
}

bool Cache::IsAssumedPod(std::string_view uid) const {
  MutexLock l(&mu_);
  auto it = pods_.find(AbslView(uid));
  return it != pods_.end() && it->second.assumed;
}

std::string Cache::NodeOf(std::string_view uid) const {
  MutexLock l(&mu_);
  auto it = pods_.find(AbslView(uid));
  return it == pods_.end() ? "" : it->second.node;
}

int Cache::CleanupExpiredAssumedPods() {
  MutexLock l(&mu_);
  absl::Time now = clock_->Now();
  std::vector<std::string> expired;
  for (const auto& [uid, st] : pods_) {
    if (st.assumed && st.binding_finished && now >= st.deadline) expired.push_back(uid);
  }
  for (const auto& uid : expired) {
    auto it = pods_.find(AbslView(uid));
    RemovePodFromNode(uid, it->second.node);
    pods_.erase(it);
  }
  return static_cast<int>(expired.size());
}

void Cache::UpdateSnapshot(Snapshot* snapshot) {
  MutexLock l(&mu_);
  const int64_t since = snapshot->generation_;
  for (NodeItem* item = head_; item && item->info.generation() > since; item = item->next) {
    auto& slot = snapshot->nodes_[item->info.name()];
    if (slot) {
      const int32_t number = slot->snapshot_slot();
      *slot = item->info;
      slot->set_snapshot_slot(number);
    } else {
      slot = std::make_unique<NodeInfo>(item->info);
      int32_t number;
      if (!snapshot->free_slots_.empty()) {
        number = snapshot->free_slots_.back();
        snapshot->free_slots_.pop_back();
      } else {
        number = snapshot->next_slot_++;
      }
      slot->set_snapshot_slot(number);
    }
    snapshot->affinity_index_->UpdateNode(item->info.name(), slot.get());
  }
  if (snapshot->image_generation_ != image_generation_) {
    snapshot->image_nodes_ =
        std::make_shared<const absl::flat_hash_map<std::string, int>>(image_nodes_);
    snapshot->image_generation_ = image_generation_;
  }
  bool removed =
      snapshot->nodes_.size() != nodes_.size() || snapshot->list_generation_ != order_generation_;
  if (removed) {
    for (auto it = snapshot->nodes_.begin(); it != snapshot->nodes_.end();) {
      if (!nodes_.contains(it->first)) {
        snapshot->affinity_index_->UpdateNode(it->first, nullptr);
        snapshot->free_slots_.push_back(it->second->snapshot_slot());
        snapshot->nodes_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  if (removed || snapshot->list_generation_ != order_generation_) {
    snapshot->list_.clear();
    snapshot->list_.reserve(order_.size());
    for (const auto& name : order_) snapshot->list_.push_back(snapshot->nodes_.at(name).get());
    snapshot->list_generation_ = order_generation_;
  }
  snapshot->generation_ = generation_;
}

int Cache::NumNodes() const {
  MutexLock l(&mu_);
  return static_cast<int>(order_.size());
}

int Cache::NumPods() const {
  MutexLock l(&mu_);
  return static_cast<int>(pods_.size());
}

}  // namespace rudder::sched
