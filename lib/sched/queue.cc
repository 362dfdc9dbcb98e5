#include "lib/sched/queue.h"

#include <algorithm>

#include "lib/sched/internal/heap.h"

namespace rudder::sched {
namespace {

const std::string& UidOf(const QueuedPodInfo& p) { return p.pod_info->uid(); }

bool DefaultLess(const QueuedPodInfo& a, const QueuedPodInfo& b) {
  int32_t pa = a.pod_info->priority(), pb = b.pod_info->priority();
  return pa > pb || (pa == pb && a.timestamp < b.timestamp);
}

}  // namespace

SchedulingQueue::SchedulingQueue(QueueOptions options)
    : options_(std::move(options)), clock_(options_.clock ? options_.clock : Clock::Real()) {
  auto less = options_.less ? options_.less : DefaultLess;
  MutexLock l(&mu_);
  active_ = std::make_unique<internal::Heap<QueuedPodInfo>>(less, UidOf);
  backoff_ = std::make_unique<internal::Heap<QueuedPodInfo>>(
      [this](const QueuedPodInfo& a, const QueuedPodInfo& b) {
        return BackoffExpiry(a) < BackoffExpiry(b);
      },
      UidOf);
}

SchedulingQueue::~SchedulingQueue() { Close(); }

absl::Duration SchedulingQueue::BackoffDuration(int attempts) const {
  absl::Duration d = options_.initial_backoff;
  for (int i = 1; i < attempts; ++i) {
    if (d >= options_.max_backoff) break;
    d *= 2;
  }
  return std::min(d, options_.max_backoff);
}

absl::Time SchedulingQueue::BackoffExpiry(const QueuedPodInfo& p) const {
  return p.timestamp + BackoffDuration(p.attempts);
}

bool SchedulingQueue::IsBackingOff(const QueuedPodInfo& p) const {
  if (p.attempts == 0) return false;
  return BackoffExpiry(p) > clock_->Now();
}

void SchedulingQueue::AddToActive(std::unique_ptr<QueuedPodInfo> p) {
  if (options_.pre_enqueue) {
    Status s = options_.pre_enqueue(*p->pod_info);
    if (!s.ok()) {
      p->gated = true;
      p->pending_plugins.clear();
      if (!s.plugin().empty()) p->pending_plugins.insert(s.plugin());
      std::string uid = p->pod_info->uid();
      unschedulable_[uid] = std::move(p);
      return;
    }
  }
  p->gated = false;
  active_->Push(std::move(p));
  cv_.Signal();
}

absl::Status SchedulingQueue::Add(std::shared_ptr<const PodInfo> pod) {
  MutexLock l(&mu_);
  const std::string& uid = pod->uid();
  if (active_->Contains(uid) || backoff_->Contains(uid) || unschedulable_.contains(AbslView(uid)) ||
      in_flight_.contains(AbslView(uid))) {
    return absl::AlreadyExistsError("pod " + pod->key() + " is already queued");
  }
  auto p = std::make_unique<QueuedPodInfo>();
  p->pod_info = std::move(pod);
  p->timestamp = clock_->Now();
  p->initial_attempt_timestamp = absl::InfinitePast();
  AddToActive(std::move(p));
  return absl::OkStatus();
}

void SchedulingQueue::Update(std::shared_ptr<const PodInfo> pod) {
  MutexLock l(&mu_);
  const std::string uid = pod->uid();
  if (active_->Get(uid) != nullptr) {
    auto owned = active_->Remove(uid);
    owned->pod_info = std::move(pod);
    active_->Push(std::move(owned));
    return;
  }
  if (backoff_->Get(uid) != nullptr) {
    auto owned = backoff_->Remove(uid);
    owned->pod_info = std::move(pod);
    backoff_->Push(std::move(owned));
    return;
  }
  auto it = unschedulable_.find(uid);
  if (it != unschedulable_.end()) {
    std::unique_ptr<QueuedPodInfo> p = std::move(it->second);
    unschedulable_.erase(it);
    bool spec_changed =
        !(p->pod().spec().SerializeAsString() == pod->pod().spec().SerializeAsString());
    p->pod_info = std::move(pod);
    if (p->gated) {
      AddToActive(std::move(p));  // PreEnqueue re-checks.
    } else if (spec_changed) {
      MoveToActiveOrBackoff(std::move(p));
    } else {
      unschedulable_[uid] = std::move(p);
    }
    return;
  }
  if (auto f = in_flight_.find(uid); f != in_flight_.end()) {
    f->second = std::move(pod);
    return;
  }
  auto p = std::make_unique<QueuedPodInfo>();
  p->pod_info = std::move(pod);
  p->timestamp = clock_->Now();
  p->initial_attempt_timestamp = absl::InfinitePast();
  AddToActive(std::move(p));
}

void SchedulingQueue::Delete(std::string_view uid) {
  MutexLock l(&mu_);
  active_->Remove(uid);
  backoff_->Remove(uid);
  unschedulable_.erase(AbslView(uid));
  in_flight_.erase(AbslView(uid));
  auto it = nominated_node_of_.find(AbslView(uid));
  if (it != nominated_node_of_.end()) {
    auto& v = nominated_[it->second];
    std::erase_if(v, [&](const auto& p) { return p->uid() == uid; });
    if (v.empty()) nominated_.erase(it->second);
    nominated_node_of_.erase(it);
  }
}

std::unique_ptr<QueuedPodInfo> SchedulingQueue::PopLocked() {
  std::unique_ptr<QueuedPodInfo> p = active_->Pop();
  if (!p) return nullptr;
  ++scheduling_cycle_;
  ++p->attempts;
  if (p->initial_attempt_timestamp == absl::InfinitePast()) {
    p->initial_attempt_timestamp = clock_->Now();
  }
  in_flight_[p->pod_info->uid()] = p->pod_info;
  return p;
}

std::unique_ptr<QueuedPodInfo> SchedulingQueue::Pop() {
  MutexLock l(&mu_);
  while (active_->empty() && !closed_) cv_.Wait(&mu_);
  if (closed_) return nullptr;
  return PopLocked();
}

std::unique_ptr<QueuedPodInfo> SchedulingQueue::TryPop() {
  MutexLock l(&mu_);
  if (closed_) return nullptr;
  return PopLocked();
}

void SchedulingQueue::Done(std::string_view uid) {
  MutexLock l(&mu_);
  in_flight_.erase(AbslView(uid));
}

void SchedulingQueue::AddUnschedulableIfNotPresent(std::unique_ptr<QueuedPodInfo> p,
                                                   int64_t pod_scheduling_cycle) {
  MutexLock l(&mu_);
  auto f = in_flight_.find(p->pod_info->uid());
  if (f == in_flight_.end()) return;  // Deleted while in flight.
  p->pod_info = f->second;            // The latest version.
  in_flight_.erase(f);
  const std::string& uid = p->pod_info->uid();
  if (active_->Contains(uid) || backoff_->Contains(uid) || unschedulable_.contains(AbslView(uid)))
    return;
  p->timestamp = clock_->Now();
  if (p->unschedulable_plugins.empty() || move_request_cycle_ >= pod_scheduling_cycle) {
    backoff_->Push(std::move(p));
  } else {
    std::string key = uid;
    unschedulable_[key] = std::move(p);
  }
}

void SchedulingQueue::MoveToActiveOrBackoff(std::unique_ptr<QueuedPodInfo> p) {
  if (IsBackingOff(*p)) {
    backoff_->Push(std::move(p));
  } else {
    AddToActive(std::move(p));
  }
}

bool SchedulingQueue::Interested(const QueuedPodInfo& p, const ClusterEvent& event,
                                 const google::protobuf::Message* old_obj,
                                 const google::protobuf::Message* new_obj) const {
  if (event.resource == EventResource::kWildcard) return true;
  const auto& plugins = p.gated ? p.pending_plugins : p.unschedulable_plugins;
  if (plugins.empty()) return true;
  for (const std::string& name : plugins) {
    auto it = options_.events.find(name);
    if (it == options_.events.end()) return true;  // No registration: any event.
    for (const ClusterEventWithHint& reg : it->second) {
      if (!event.Matches(reg.event)) continue;
      if (!reg.hint || reg.hint(p.pod(), old_obj, new_obj) == QueueingHint::kQueue) return true;
    }
  }
  return false;
}

void SchedulingQueue::MoveAllToActiveOrBackoffQueue(const ClusterEvent& event,
                                                    const google::protobuf::Message* old_obj,
                                                    const google::protobuf::Message* new_obj) {
  MutexLock l(&mu_);
  std::vector<std::string> moving;
  for (const auto& [uid, p] : unschedulable_) {
    if (Interested(*p, event, old_obj, new_obj)) moving.push_back(uid);
  }
  // Deterministic order of moves.
  std::sort(moving.begin(), moving.end());
  for (const auto& uid : moving) {
    auto it = unschedulable_.find(uid);
    std::unique_ptr<QueuedPodInfo> p = std::move(it->second);
    unschedulable_.erase(it);
    if (p->gated) {
      AddToActive(std::move(p));
    } else {
      MoveToActiveOrBackoff(std::move(p));
    }
  }
  move_request_cycle_ = scheduling_cycle_;
}

void SchedulingQueue::FlushBackoffQCompleted() {
  MutexLock l(&mu_);
  absl::Time now = clock_->Now();
  while (const QueuedPodInfo* head = backoff_->Peek()) {
    if (BackoffExpiry(*head) > now) break;
    AddToActive(backoff_->Pop());
  }
}

void SchedulingQueue::FlushUnschedulableLeftover() {
  MutexLock l(&mu_);
  absl::Time now = clock_->Now();
  std::vector<std::string> moving;
  for (const auto& [uid, p] : unschedulable_) {
    if (!p->gated && now - p->timestamp > options_.max_unschedulable) moving.push_back(uid);
  }
  std::sort(moving.begin(), moving.end());
  for (const auto& uid : moving) {
    auto it = unschedulable_.find(uid);
    std::unique_ptr<QueuedPodInfo> p = std::move(it->second);
    unschedulable_.erase(it);
    MoveToActiveOrBackoff(std::move(p));
  }
}

void SchedulingQueue::Run() {
  MutexLock l(&mu_);
  if (flush_thread_.joinable() || closed_) return;
  // The flush periods count from Run, not from whenever the thread gets going.
  flush_thread_ = std::thread([this, start = clock_->Now()] { FlushLoop(start); });
}

void SchedulingQueue::FlushLoop(absl::Time start) {
  absl::Time next_backoff = start + absl::Seconds(1);
  absl::Time next_pool = start + absl::Seconds(30);
  while (true) {
    {
      MutexLock l(&mu_);
      while (!closed_ && clock_->Now() < std::min(next_backoff, next_pool)) {
        clock_->WaitUntil(&flush_cv_, &mu_, std::min(next_backoff, next_pool));
      }
      if (closed_) return;
    }
    absl::Time now = clock_->Now();
    if (now >= next_backoff) {
      FlushBackoffQCompleted();
      next_backoff = now + absl::Seconds(1);
    }
    if (now >= next_pool) {
      FlushUnschedulableLeftover();
      next_pool = now + absl::Seconds(30);
    }
  }
}

void SchedulingQueue::Close() {
  {
    MutexLock l(&mu_);
    closed_ = true;
    cv_.SignalAll();
    flush_cv_.SignalAll();
  }
  if (flush_thread_.joinable() && flush_thread_.get_id() != std::this_thread::get_id()) {
    flush_thread_.join();
  }
}

int64_t SchedulingQueue::SchedulingCycle() const {
  MutexLock l(&mu_);
  return scheduling_cycle_;
}

void SchedulingQueue::AddNominatedPod(std::shared_ptr<const PodInfo> pod, const std::string& node) {
  std::string uid = pod->uid();
  DeleteNominatedPod(uid);
  MutexLock l(&mu_);
  nominated_node_of_[uid] = node;
  nominated_[node].push_back(std::move(pod));
  nominated_copy_.reset();
}

void SchedulingQueue::DeleteNominatedPod(std::string_view uid) {
  MutexLock l(&mu_);
  auto it = nominated_node_of_.find(AbslView(uid));
  if (it == nominated_node_of_.end()) return;
  auto& v = nominated_[it->second];
  std::erase_if(v, [&](const auto& p) { return p->uid() == uid; });
  if (v.empty()) nominated_.erase(it->second);
  nominated_node_of_.erase(it);
  nominated_copy_.reset();
}

std::vector<std::shared_ptr<const PodInfo>> SchedulingQueue::NominatedPodsForNode(
    std::string_view node) const {
  MutexLock l(&mu_);
  auto it = nominated_.find(AbslView(node));
  return it == nominated_.end() ? std::vector<std::shared_ptr<const PodInfo>>{} : it->second;
}

std::shared_ptr<const NominatedPodsMap> SchedulingQueue::NominatedPods() const {
  MutexLock l(&mu_);
  if (nominated_.empty()) return nullptr;
  if (!nominated_copy_) nominated_copy_ = std::make_shared<const NominatedPodsMap>(nominated_);
  return nominated_copy_;
}

std::string SchedulingQueue::NominatedNodeOf(std::string_view uid) const {
  MutexLock l(&mu_);
  auto it = nominated_node_of_.find(AbslView(uid));
  return it == nominated_node_of_.end() ? std::string() : it->second;
}

bool SchedulingQueue::HasNominatedPods() const {
  MutexLock l(&mu_);
  return !nominated_.empty();
}

int SchedulingQueue::NumActive() const {
  MutexLock l(&mu_);
  return static_cast<int>(active_->size());
}
int SchedulingQueue::NumBackoff() const {
  MutexLock l(&mu_);
  return static_cast<int>(backoff_->size());
}
int SchedulingQueue::NumUnschedulable() const {
  MutexLock l(&mu_);
  return static_cast<int>(unschedulable_.size());
}

std::string SchedulingQueue::WhereIs(std::string_view uid) const {
  MutexLock l(&mu_);
  if (active_->Contains(uid)) return "active";
  if (backoff_->Contains(uid)) return "backoff";
  if (unschedulable_.contains(AbslView(uid))) return "unschedulable";
  if (in_flight_.contains(AbslView(uid))) return "inflight";
  return "";
}

}  // namespace rudder::sched
