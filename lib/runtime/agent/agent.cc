#include "lib/runtime/agent/agent.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/api/codec/json.h"
#include "lib/api/codec/yaml.h"
#include "lib/api/defaults/defaults.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"
#include "lib/api/resource/quantity.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/client/record/record.h"

namespace rudder::runtime::agent {
namespace {

using api::Quantity;
using api::core::v1::Container;
using api::core::v1::ContainerStateTerminated;
using api::core::v1::ContainerStatus;
using api::core::v1::Node;
using api::core::v1::Pod;
using api::core::v1::PodStatus;
using api::core::v1::Probe;
using Lease = api::coordination::v1::Lease;

constexpr absl::Duration kCall = kDefaultCallTimeout;
constexpr char kLeaseNamespace[] = "kube-node-lease";
constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";

void SetTime(absl::Time t, api::meta::v1::Time* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}
void SetMicroTime(absl::Time t, api::meta::v1::MicroTime* out) {
  int64_t us = absl::ToUnixMicros(t);
  out->set_seconds(us / 1000000);
  out->set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
}
absl::Time FromNanos(int64_t ns) { return absl::FromUnixNanos(ns); }

// Progress of one probe of one container.
struct ProbeState {
  int successes = 0;
  int failures = 0;
  bool result = false;
  absl::Time next = absl::InfinitePast();
};

int32_t Period(const Probe& p) { return p.periodseconds() > 0 ? p.periodseconds() : 10; }
int32_t TimeoutSec(const Probe& p) { return p.timeoutseconds() > 0 ? p.timeoutseconds() : 1; }
int32_t SuccessThreshold(const Probe& p) {
  return p.successthreshold() > 0 ? p.successthreshold() : 1;
}
int32_t FailureThreshold(const Probe& p) {
  return p.failurethreshold() > 0 ? p.failurethreshold() : 3;
}

enum class CPhase { kWaiting, kRunning, kExited };

// What the agent knows of one container of a pod.
struct CState {
  std::string id;  // the current (or last) runtime container
  // The instance before `id`, kept (exited) as the kubelet keeps it, for `kubectl logs --previous`.
  std::string prev_id;
  uint32_t attempt = 0;
  int restarts = 0;
  CPhase phase = CPhase::kWaiting;
  std::string waiting_reason = "ContainerCreating";
  std::string waiting_message;
  absl::Time started = absl::InfinitePast();
  absl::Time finished = absl::InfinitePast();
  int32_t exit_code = 0;
  std::string term_reason;
  std::string term_message;
  bool has_last = false;
  ContainerStateTerminated last;
  absl::Duration backoff = absl::ZeroDuration();
  absl::Duration current_wait = absl::ZeroDuration();
  absl::Time next_start = absl::InfinitePast();
  absl::Duration pull_backoff = absl::ZeroDuration();
  absl::Time next_pull = absl::InfinitePast();
  std::string image_ref;
  ProbeState live, ready, startup;
  bool started_ok = false;
  bool is_ready = false;
  bool done = false;                                   // exited and will not run again
  absl::Time backoff_reported = absl::InfinitePast();  // next_start of the last BackOff event
};

// What the agent knows of one pod.
struct PState {
  PodRef pod;
  bool is_static = false;
  PodRef mirror;  // static pods: their mirror in the API
  std::string sandbox_id;
  std::string pod_ip;
  std::vector<CState> init, app;
  bool killed = false;
  bool sandbox_removed = false;
  bool evicted = false;  // failed by the agent: evicted, or past its active deadline
  std::string fail_reason = "Evicted";
  std::string evict_message;
  int64_t fail_grace = 0;
  absl::Time start_time = absl::InfinitePast();
  // The last status written, as a hash of its serialization (0: none yet).
  uint64_t written_hash = 0;
  // Per condition (Initialized, Ready, ContainersReady, PodScheduled): its last status
  // (-1 unknown, 0 False, 1 True) and when it took it.
  struct CondMemo {
    int8_t status = -1;
    int64_t since = 0;
  };
  CondMemo conds[4];
  bool deleted_in_api = false;
};

std::string RestartPolicy(const Pod& p) {
  return p.spec().restartpolicy().empty() ? "Always" : p.spec().restartpolicy();
}

int64_t GracePeriod(const Pod& p) {
  if (p.metadata().has_deletiongraceperiodseconds()) {
    return p.metadata().deletiongraceperiodseconds();
  }
  if (p.spec().has_terminationgraceperiodseconds()) return p.spec().terminationgraceperiodseconds();
  return 30;
}

std::string FormatBytes(int64_t b) {
  return Quantity::FromInt64(b, Quantity::Format::kBinarySI).String();
}

// A duration as Go prints it ("10s", "1m20s", "5m0s"), as the kubelet's messages show it.
std::string GoDuration(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m", s % 60, "s");
  return absl::StrCat(s / 3600, "h", (s % 3600) / 60, "m", s % 60, "s");
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class Metrics : public MetricsProvider {
 public:
  explicit Metrics(std::string node) : node_(std::move(node)) {}
  absl::StatusOr<api::metrics::v1beta1::NodeMetrics> GetNodeMetrics() const override {
    MutexLock l(&mu_);
    if (!node_metrics_) return absl::UnavailableError("no metrics sample yet");
    return *node_metrics_;
  }
  std::vector<api::metrics::v1beta1::PodMetrics> ListPodMetrics(
      const std::string& ns) const override {
    MutexLock l(&mu_);
    std::vector<api::metrics::v1beta1::PodMetrics> out;
    for (const auto& p : pods_) {
      if (ns.empty() || p.metadata().namespace_() == ns) out.push_back(p);
    }
    return out;
  }
  void Set(api::metrics::v1beta1::NodeMetrics node,
           std::vector<api::metrics::v1beta1::PodMetrics> pods) {
    MutexLock l(&mu_);
    node_metrics_ = std::move(node);
    pods_ = std::move(pods);
  }
  const std::string& node() const { return node_; }

 private:
  const std::string node_;
  mutable Mutex mu_;
  std::optional<api::metrics::v1beta1::NodeMetrics> node_metrics_ ABSL_GUARDED_BY(mu_);
  std::vector<api::metrics::v1beta1::PodMetrics> pods_ ABSL_GUARDED_BY(mu_);
};

class AgentImpl : public Agent {
 public:
  AgentImpl(client::Client* client, ContainerRuntime* rt, AgentOptions o)
      : client_(client),
        rt_(rt),
        opt_(std::move(o)),
        clock_(opt_.clock ? opt_.clock : Clock::Real()),
        pods_(client),
        nodes_(client),
        leases_(client),
        metrics_(opt_.node_name) {}

  ~AgentImpl() override { Stop(); }

  absl::Status Init() {
    if (opt_.prober == nullptr) {
      own_prober_ = NewProber(rt_);
      prober_ = own_prober_.get();
    } else {
      prober_ = opt_.prober;
    }
    if (opt_.pod_source == nullptr) {
      RUDDER_ASSIGN_OR_RETURN(own_source_, NewInformerPodSource(client_, opt_.node_name, clock_));
      source_ = own_source_.get();
    } else {
      source_ = opt_.pod_source;
    }
    if (opt_.capacity.empty()) {
      long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
      opt_.capacity["cpu"] = absl::StrCat(std::max(1u, std::thread::hardware_concurrency()));
      opt_.capacity["memory"] = absl::StrCat(static_cast<int64_t>(pages) * page);
      opt_.capacity["pods"] = "110";
    }
    if (opt_.allocatable.empty()) opt_.allocatable = opt_.capacity;
    for (const auto* m : {&opt_.capacity, &opt_.allocatable}) {
      for (const auto& [k, v] : *m) {
        absl::StatusOr<Quantity> q = Quantity::Parse(v);
        if (!q.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("capacity[", k, "]: ", q.status().message()));
        }
        if (k == "memory") memory_capacity_ = q->Value();
      }
    }
    if (opt_.publish_metrics) {
      auto nk =
          client::KindFor(client_->scheme(), api::metrics::v1beta1::NodeMetrics::descriptor());
      auto pk = client::KindFor(client_->scheme(), api::metrics::v1beta1::PodMetrics::descriptor());
      if (!nk.ok() || !pk.ok()) {
        return absl::InvalidArgumentError(
            "publish_metrics: the client's scheme has no metrics.k8s.io kinds");
      }
      nm_kind_ = *nk;
      pm_kind_ = *pk;
    }
    absl::StatusOr<v1::VersionResponse> v = rt_->Version({}, kCall);
    runtime_name_ = v.ok() && !v->runtime_name().empty() ? v->runtime_name() : "cri";
    runtime_version_ = v.ok() ? v->runtime_version() : "";
    return absl::OkStatus();
  }

  // ---------------------------------------------------------------- registration and lease
  absl::Status Register() override {
    MutexLock l(&sync_mu_);
    return RegisterLocked();
  }

  absl::Status RegisterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    if (registered_) return absl::OkStatus();
    absl::Time now = clock_->Now();
    Node n;
    n.mutable_metadata()->set_name(opt_.node_name);
    auto& labels = *n.mutable_metadata()->mutable_labels();
    labels["kubernetes.io/hostname"] = opt_.node_name;
    labels["kubernetes.io/os"] = "linux";
    labels["kubernetes.io/arch"] = "amd64";
    for (const auto& [k, v] : opt_.labels) labels[k] = v;
    for (const auto& t : opt_.taints) *n.mutable_spec()->add_taints() = t;
    absl::StatusOr<std::unique_ptr<Node>> created = nodes_.Create(n);
    if (created.ok()) {
      node_ = std::move(*created);
    } else if (created.status().code() == absl::StatusCode::kAlreadyExists) {
      RUDDER_ASSIGN_OR_RETURN(node_, nodes_.Get("", opt_.node_name));
      bool changed = false;
      for (const auto& [k, v] : labels) {
        auto& cur = (*node_->mutable_metadata()->mutable_labels())[k];
        if (cur != v) {
          cur = v;
          changed = true;
        }
      }
      if (changed) {
        RUDDER_ASSIGN_OR_RETURN(node_, nodes_.Update(*node_));
      }
    } else {
      return created.status();
    }
    RUDDER_RETURN_IF_ERROR(PostNodeStatus(now, /*force=*/true));
    // The namespace holding node leases (the API server normally creates it).
    {
      TypedNs ns(client_);
      api::core::v1::Namespace lns;
      lns.mutable_metadata()->set_name(kLeaseNamespace);
      absl::Status st = ns.Create(lns).status();
      if (!st.ok() && st.code() != absl::StatusCode::kAlreadyExists) return st;
    }
    RUDDER_RETURN_IF_ERROR(RenewLease(now));
    RUDDER_RETURN_IF_ERROR(source_->Start(absl::InfiniteFuture()));
    registered_ = true;
    return absl::OkStatus();
  }
  using TypedNs = client::TypedClient<api::core::v1::Namespace>;

  absl::Status RenewLease(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    next_lease_ = now + opt_.lease_renew_interval;
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (lease_ == nullptr) {
        absl::StatusOr<std::unique_ptr<Lease>> got = leases_.Get(kLeaseNamespace, opt_.node_name);
        if (got.ok()) {
          lease_ = std::move(*got);
        } else if (got.status().code() == absl::StatusCode::kNotFound) {
          Lease l;
          l.mutable_metadata()->set_name(opt_.node_name);
          l.mutable_metadata()->set_namespace_(kLeaseNamespace);
          auto* ref = l.mutable_metadata()->add_ownerreferences();
          ref->set_apiversion("v1");
          ref->set_kind("Node");
          ref->set_name(opt_.node_name);
          ref->set_uid(node_->metadata().uid());
          l.mutable_spec()->set_holderidentity(opt_.node_name);
          l.mutable_spec()->set_leasedurationseconds(
              static_cast<int32_t>(absl::ToInt64Seconds(opt_.lease_duration)));
          SetMicroTime(now, l.mutable_spec()->mutable_renewtime());
          absl::StatusOr<std::unique_ptr<Lease>> c = leases_.Create(l);
          CountWrite(c.ok(), &AgentCounters::lease_writes);
          if (c.ok()) {
            lease_ = std::move(*c);
            return absl::OkStatus();
          }
          if (c.status().code() != absl::StatusCode::kAlreadyExists) return c.status();
          continue;
        } else {
          return got.status();
        }
      }
      lease_->mutable_spec()->set_holderidentity(opt_.node_name);
      lease_->mutable_spec()->set_leasedurationseconds(
          static_cast<int32_t>(absl::ToInt64Seconds(opt_.lease_duration)));
      SetMicroTime(now, lease_->mutable_spec()->mutable_renewtime());
      absl::StatusOr<std::unique_ptr<Lease>> u = leases_.Update(*lease_);
      CountWrite(u.ok(), &AgentCounters::lease_writes);
      if (u.ok()) {
        lease_ = std::move(*u);
        return absl::OkStatus();
      }
      lease_.reset();  // stale or gone: read it again
      if (u.status().code() != absl::StatusCode::kAborted &&
          u.status().code() != absl::StatusCode::kNotFound) {
        return u.status();
      }
    }
    return absl::AbortedError("lease renewal kept conflicting");
  }

  void SetCondition(Node* n, const std::string& type, bool status, const std::string& reason,
                    const std::string& message, absl::Time now) {
    api::core::v1::NodeCondition* c = nullptr;
    for (auto& x : *n->mutable_status()->mutable_conditions()) {
      if (x.type() == type) c = &x;
    }
    const char* s = status ? "True" : "False";
    if (c == nullptr) {
      c = n->mutable_status()->add_conditions();
      c->set_type(type);
    }
    if (c->status() != s || !c->has_lasttransitiontime()) {
      SetTime(now, c->mutable_lasttransitiontime());
    }
    c->set_status(s);
    c->set_reason(reason);
    c->set_message(message);
    SetTime(now, c->mutable_lastheartbeattime());
  }

  // Keeps the node.kubernetes.io/memory-pressure and disk-pressure NoSchedule taints in step
  // with the pressure conditions (other taints are left alone).
  absl::Status SyncPressureTaints(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    static constexpr char kMemoryTaint[] = "node.kubernetes.io/memory-pressure";
    static constexpr char kDiskTaint[] = "node.kubernetes.io/disk-pressure";
    for (int attempt = 0; attempt < 3; ++attempt) {
      Node n = *node_;
      auto* taints = n.mutable_spec()->mutable_taints();
      bool has_mem = false, has_disk = false;
      for (int i = taints->size() - 1; i >= 0; --i) {
        const auto& t = taints->Get(i);
        bool mem = t.key() == kMemoryTaint && t.effect() == "NoSchedule";
        bool disk = t.key() == kDiskTaint && t.effect() == "NoSchedule";
        if ((mem && !memory_pressure_) || (disk && !disk_pressure_)) {
          taints->DeleteSubrange(i, 1);
        }
        has_mem |= mem;
        has_disk |= disk;
      }
      bool changed = taints->size() != node_->spec().taints_size();
      for (auto [want, has, key] : {std::tuple{memory_pressure_, has_mem, kMemoryTaint},
                                    std::tuple{disk_pressure_, has_disk, kDiskTaint}}) {
        if (!want || has) continue;
        auto* t = taints->Add();
        t->set_key(key);
        t->set_effect("NoSchedule");
        SetTime(now, t->mutable_timeadded());
        changed = true;
      }
      if (!changed) return absl::OkStatus();
      absl::StatusOr<std::unique_ptr<Node>> u = nodes_.Update(n);
      CountWrite(u.ok(), &AgentCounters::node_status_writes);
      if (u.ok()) {
        node_ = std::move(*u);
        return absl::OkStatus();
      }
      if (u.status().code() != absl::StatusCode::kAborted) return u.status();
      RUDDER_ASSIGN_OR_RETURN(node_, nodes_.Get("", opt_.node_name));
    }
    return absl::AbortedError("node taints kept conflicting");
  }

  // The conditions as "type=status/reason" lines, to see whether they changed.
  static std::string ConditionKey(const Node& n) {
    std::string k;
    for (const auto& c : n.status().conditions()) {
      absl::StrAppend(&k, c.type(), "=", c.status(), "/", c.reason(), ";");
    }
    return k;
  }

  absl::Status PostNodeStatus(absl::Time now, bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    next_node_status_ = now + opt_.node_status_update_interval;
    Node n = *node_;
    auto* st = n.mutable_status();
    st->clear_capacity();
    st->clear_allocatable();
    for (const auto& [k, v] : opt_.capacity) (*st->mutable_capacity())[k].set_string(v);
    for (const auto& [k, v] : opt_.allocatable) (*st->mutable_allocatable())[k].set_string(v);
    st->clear_addresses();
    auto* a = st->add_addresses();
    a->set_type("InternalIP");
    a->set_address(opt_.host_ip);
    a = st->add_addresses();
    a->set_type("Hostname");
    a->set_address(opt_.node_name);
    st->mutable_daemonendpoints()->mutable_kubeletendpoint()->set_port(opt_.log_server_port);
    st->mutable_nodeinfo()->set_kubeletversion("v1.31.0-rudder");
    st->mutable_nodeinfo()->set_containerruntimeversion(
        absl::StrCat(runtime_name_, "://", runtime_version_));
    st->mutable_nodeinfo()->set_operatingsystem("linux");
    st->mutable_nodeinfo()->set_architecture("amd64");
    absl::StatusOr<v1::StatusResponse> rs = rt_->Status({}, kCall);
    bool runtime_ready = rs.ok();
    std::string not_ready = rs.ok() ? "" : std::string(rs.status().message());
    if (rs.ok()) {
      for (const auto& c : rs->status().conditions()) {
        if (!c.status()) {
          runtime_ready = false;
          not_ready =
              absl::StrCat(c.type(), "=false reason:", c.reason(), " message:", c.message());
        }
      }
    }
    if (opt_.network != nullptr) {
      absl::Status ns = opt_.network->Status();
      if (!ns.ok()) {
        runtime_ready = false;
        not_ready = absl::StrCat("network plugin not ready: ", ns.message());
      }
    }
    SetCondition(&n, "MemoryPressure", memory_pressure_,
                 memory_pressure_ ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory",
                 memory_pressure_ ? "kubelet has insufficient memory available"
                                  : "kubelet has sufficient memory available",
                 now);
    SetCondition(&n, "DiskPressure", disk_pressure_,
                 disk_pressure_ ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure",
                 disk_pressure_ ? "kubelet has disk pressure" : "kubelet has no disk pressure",
                 now);
    SetCondition(&n, "PIDPressure", false, "KubeletHasSufficientPID",
                 "kubelet has sufficient PID available", now);
    SetCondition(&n, "Ready", runtime_ready, runtime_ready ? "KubeletReady" : "KubeletNotReady",
                 runtime_ready ? "kubelet is posting ready status" : not_ready, now);
    bool changed = ConditionKey(n) != ConditionKey(*node_) ||
                   n.status().capacity_size() != node_->status().capacity_size();
    if (!force && !changed && now < last_node_report_ + opt_.node_status_report_interval) {
      return absl::OkStatus();
    }
    RUDDER_RETURN_IF_ERROR(SyncPressureTaints(now));
    n.mutable_metadata()->clear_resourceversion();
    *n.mutable_spec() = node_->spec();
    absl::StatusOr<std::unique_ptr<Node>> u = nodes_.UpdateStatus(n);
    CountWrite(u.ok(), &AgentCounters::node_status_writes);
    if (!u.ok()) return u.status();
    node_ = std::move(*u);
    last_node_report_ = now;
    return absl::OkStatus();
  }

  // ---------------------------------------------------------------- the sync pass
  absl::Status SyncOnce() override {
    MutexLock l(&sync_mu_);
    RUDDER_RETURN_IF_ERROR(RegisterLocked());
    absl::Time now = clock_->Now();
    absl::Status first;
    auto note = [&](absl::Status s) {
      if (!s.ok() && first.ok()) first = std::move(s);
    };
    if (now >= next_lease_) note(RenewLease(now));
    if (!opt_.static_pod_dir.empty() && now >= next_static_check_) {
      note(LoadStaticPods());
      next_static_check_ = now + opt_.static_pod_check_interval;
    }
    absl::StatusOr<std::vector<PodRef>> listed = source_->Pods();
    if (!listed.ok()) return listed.status();

    absl::flat_hash_map<std::string, PodRef> mirrors;                   // by ns/name
    absl::flat_hash_map<std::string, std::pair<PodRef, bool>> desired;  // by uid
    for (PodRef& p : *listed) {
      const auto& ann = p->metadata().annotations();
      if (ann.contains(kConfigMirrorAnnotation)) {
        mirrors[Key(*p)] = p;
        continue;
      }
      std::string uid = p->metadata().uid();
      desired[uid] = {std::move(p), false};
    }
    for (const auto& [key, p] : static_pods_) desired[p->metadata().uid()] = {p, true};

    // Pods that are gone: stop them and forget them.
    for (auto it = states_.begin(); it != states_.end();) {
      if (desired.contains(it->first)) {
        ++it;
        continue;
      }
      PState& ps = *it->second;
      note(KillPod(ps, GracePeriod(*ps.pod)));
      note(RemoveSandbox(ps));
      if (ps.is_static) note(DeleteMirror(Key(*ps.pod), mirrors));
      UnpublishPod(*ps.pod);
      states_.erase(it++);
    }
    // Mirrors whose static pod is gone.
    for (const auto& [key, m] : mirrors) {
      if (!static_pods_.contains(key)) note(DeleteMirror(key, mirrors));
    }

    for (auto& [uid, pr] : desired) {
      std::unique_ptr<PState>& slot = states_[uid];
      if (slot == nullptr) {
        slot = std::make_unique<PState>();
        slot->start_time = now;
        slot->is_static = pr.second;
        const Pod& p = *pr.first;
        slot->init.resize(p.spec().initcontainers_size());
        slot->app.resize(p.spec().containers_size());
      }
      slot->pod = pr.first;
      if (slot->is_static) note(EnsureMirror(*slot, mirrors));
    }
    for (auto it = states_.begin(); it != states_.end();) {
      note(SyncPod(*it->second, now));
      if (it->second->deleted_in_api) {
        states_.erase(it++);
      } else {
        ++it;
      }
    }
    if (now >= next_stats_) {
      note(SampleStats(now));
      next_stats_ = now + opt_.stats_interval;
    }
    note(MaybeEvict(now));
    if (now >= next_node_status_) note(PostNodeStatus(now, false));
    return first;
  }

  static std::string Key(const Pod& p) {
    return absl::StrCat(p.metadata().namespace_(), "/", p.metadata().name());
  }

  // An event about the pod (its mirror for static pods), when there is a recorder.
  void Emit(const PState& ps, const char* type, const std::string& reason,
            const std::string& message) {
    if (opt_.recorder == nullptr) return;
    const Pod* target = ps.is_static ? ps.mirror.get() : ps.pod.get();
    if (target == nullptr) return;
    opt_.recorder->Event(*target, type, reason, message);
  }

  // Fails the pod once it has been active longer than spec.activeDeadlineSeconds (from its
  // status.startTime, else from when the agent first saw it). True when it did.
  bool CheckActiveDeadline(PState& ps, absl::Time now) {
    const Pod& pod = *ps.pod;
    if (!pod.spec().has_activedeadlineseconds() || ps.evicted || ps.is_static) return false;
    if (pod.metadata().has_deletiontimestamp()) return false;
    std::string phase = Phase(ps);
    if (phase == "Succeeded" || phase == "Failed") return false;
    absl::Time start = ps.start_time;
    if (pod.status().has_starttime()) {
      start = std::min(start, absl::FromUnixSeconds(pod.status().starttime().seconds()));
    }
    if (now - start < absl::Seconds(pod.spec().activedeadlineseconds())) return false;
    ps.evicted = true;
    ps.fail_reason = "DeadlineExceeded";
    ps.evict_message = "Pod was active on the node longer than the specified deadline";
    ps.fail_grace = GracePeriod(pod);
    Emit(ps, record::kEventTypeNormal, "DeadlineExceeded", ps.evict_message);
    return true;
  }

  // ---------------------------------------------------------------- one pod
  absl::Status SyncPod(PState& ps, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    const Pod& pod = *ps.pod;
    bool deleting = pod.metadata().has_deletiontimestamp() && !ps.is_static;
    CheckActiveDeadline(ps, now);
    if (deleting || ps.evicted) {
      absl::Status st;
      if (!ps.killed) {
        st = KillPod(ps, ps.evicted && !deleting ? ps.fail_grace : GracePeriod(pod));
      }
      if (deleting) {
        if (!ps.sandbox_removed) RUDDER_RETURN_IF_ERROR(RemoveSandbox(ps));
        (void)WriteStatus(ps, now);
        client::DeleteOptions d;
        d.grace_period_seconds = 0;
        d.precondition_uid = pod.metadata().uid();
        absl::Status del = pods_.Delete(pod.metadata().namespace_(), pod.metadata().name(), d);
        if (del.ok() || del.code() == absl::StatusCode::kNotFound ||
            del.code() == absl::StatusCode::kAborted ||
            del.code() == absl::StatusCode::kFailedPrecondition) {
          ps.deleted_in_api = true;
          UnpublishPod(pod);
          return st;
        }
        return del;
      }
      RUDDER_RETURN_IF_ERROR(WriteStatus(ps, now));
      return st;
    }
    std::string phase = Phase(ps);
    if (phase == "Succeeded" || phase == "Failed") {
      if (!ps.killed) {
        RUDDER_RETURN_IF_ERROR(KillPod(ps, GracePeriod(pod)));
      }
      return WriteStatus(ps, now);
    }
    absl::Status err = EnsureSandbox(ps);
    if (err.ok()) err = SyncContainers(ps, now);
    absl::Status w = WriteStatus(ps, now);
    return err.ok() ? w : err;
  }

  v1::PodSandboxConfig SandboxConfig(const PState& ps) {
    const Pod& pod = *ps.pod;
    v1::PodSandboxConfig c;
    c.mutable_metadata()->set_name(pod.metadata().name());
    c.mutable_metadata()->set_namespace_(pod.metadata().namespace_());
    c.mutable_metadata()->set_uid(pod.metadata().uid());
    c.set_hostname(pod.spec().hostname().empty() ? pod.metadata().name() : pod.spec().hostname());
    c.set_log_directory(absl::StrCat(opt_.pod_log_dir, "/", pod.metadata().namespace_(), "_",
                                     pod.metadata().name(), "_", pod.metadata().uid()));
    (*c.mutable_labels())[kPodUidLabel] = pod.metadata().uid();
    (*c.mutable_labels())[kPodNameLabel] = pod.metadata().name();
    (*c.mutable_labels())[kPodNamespaceLabel] = pod.metadata().namespace_();
    for (const auto& [k, v] : pod.metadata().annotations()) (*c.mutable_annotations())[k] = v;
    return c;
  }

  cni::PodNetworkRequest NetRequest(const PState& ps, const std::string& netns) {
    cni::PodNetworkRequest r;
    r.pod_namespace = ps.pod->metadata().namespace_();
    r.pod_name = ps.pod->metadata().name();
    r.pod_uid = ps.pod->metadata().uid();
    r.sandbox_id = ps.sandbox_id;
    r.netns_path = netns;
    return r;
  }

  absl::Status EnsureSandbox(PState& ps) {
    if (!ps.sandbox_id.empty()) return absl::OkStatus();
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = SandboxConfig(ps);
    absl::StatusOr<v1::RunPodSandboxResponse> r = rt_->RunPodSandbox(req, kCall);
    if (!r.ok()) {
      for (CState& c : ps.app) {
        c.waiting_reason = "ContainerCreating";
        c.waiting_message = absl::StrCat("failed to create pod sandbox: ", r.status().message());
      }
      return r.status();
    }
    ps.sandbox_id = r->pod_sandbox_id();
    ps.sandbox_removed = false;
    if (ps.pod->spec().hostnetwork()) {
      ps.pod_ip = opt_.host_ip;
      return absl::OkStatus();
    }
    v1::PodSandboxStatusRequest sr;
    sr.set_pod_sandbox_id(ps.sandbox_id);
    absl::StatusOr<v1::PodSandboxStatusResponse> s = rt_->PodSandboxStatus(sr, kCall);
    if (opt_.network != nullptr) {
      std::string netns;
      if (s.ok()) {
        auto it = s->info().find("netnsPath");
        if (it != s->info().end()) netns = it->second;
      }
      absl::StatusOr<cni::PodNetworkStatus> net = opt_.network->SetUpPod(NetRequest(ps, netns));
      if (!net.ok()) {
        v1::StopPodSandboxRequest stop;
        stop.set_pod_sandbox_id(ps.sandbox_id);
        (void)rt_->StopPodSandbox(stop, kCall);
        v1::RemovePodSandboxRequest rm;
        rm.set_pod_sandbox_id(ps.sandbox_id);
        (void)rt_->RemovePodSandbox(rm, kCall);
        ps.sandbox_id.clear();
        return net.status();
      }
      if (!net->ips.empty()) ps.pod_ip = net->ips[0];
    } else if (s.ok()) {
      ps.pod_ip = s->status().network().ip();
    }
    return absl::OkStatus();
  }

  // Reads a running container's runtime state; on exit decides its restart.
  void Observe(PState& ps, CState& c, bool init, absl::Time now) {
    if (c.phase != CPhase::kRunning) return;
    v1::ContainerStatusRequest req;
    req.set_container_id(c.id);
    absl::StatusOr<v1::ContainerStatusResponse> r = rt_->ContainerStatus(req, kCall);
    if (r.ok() && r->status().state() == v1::CONTAINER_RUNNING) return;
    if (r.ok() && r->status().state() == v1::CONTAINER_EXITED) {
      c.finished = FromNanos(r->status().finished_at());
      c.exit_code = r->status().exit_code();
      c.term_reason = r->status().reason().empty() ? (c.exit_code == 0 ? "Completed" : "Error")
                                                   : r->status().reason();
      c.term_message = r->status().message();
    } else if (r.ok() || r.status().code() == absl::StatusCode::kNotFound) {
      c.finished = now;
      c.exit_code = 137;
      c.term_reason = "ContainerStatusUnknown";
      c.term_message = "The container could not be located when the pod was terminated";
    } else {
      return;  // transient: look again next pass
    }
    c.phase = CPhase::kExited;
    c.is_ready = false;
    OnExit(ps, c, init, now);
  }

  bool WillRestart(const PState& ps, const CState& c, bool init) {
    if (ps.killed) return false;
    std::string policy = RestartPolicy(*ps.pod);
    if (init) return c.exit_code != 0 && policy != "Never";
    if (policy == "Always") return true;
    if (policy == "OnFailure") return c.exit_code != 0;
    return false;
  }

  void OnExit(PState& ps, CState& c, bool init, absl::Time now) {
    if (!WillRestart(ps, c, init)) {
      c.done = !init || c.exit_code == 0 || RestartPolicy(*ps.pod) == "Never";
      return;
    }
    // The kubelet's back-off: the first restart at once, then 10s, 20s, ... up to 5 min; a
    // container that ran long enough starts over.
    if (c.finished - c.started >= opt_.backoff_reset) c.backoff = absl::ZeroDuration();
    if (c.backoff == absl::ZeroDuration()) {
      c.next_start = now;
      c.current_wait = absl::ZeroDuration();
      c.backoff = opt_.backoff_initial;
    } else {
      c.next_start = c.finished + c.backoff;
      c.current_wait = c.backoff;
      c.backoff = std::min(c.backoff * 2, opt_.backoff_max);
    }
    MoveToLast(c);
  }

  static void MoveToLast(CState& c) {
    c.has_last = true;
    c.last.Clear();
    c.last.set_exitcode(c.exit_code);
    c.last.set_reason(c.term_reason);
    if (!c.term_message.empty()) c.last.set_message(c.term_message);
    SetTime(c.started, c.last.mutable_startedat());
    SetTime(c.finished, c.last.mutable_finishedat());
    c.last.set_containerid(c.id);
    c.phase = CPhase::kWaiting;
    c.waiting_reason = "CrashLoopBackOff";
  }

  absl::Status SyncContainers(PState& ps, absl::Time now) {
    const Pod& pod = *ps.pod;
    for (size_t i = 0; i < ps.init.size(); ++i) Observe(ps, ps.init[i], true, now);
    for (size_t i = 0; i < ps.app.size(); ++i) Observe(ps, ps.app[i], false, now);
    absl::Status first;
    // Init containers, in order.
    for (size_t i = 0; i < ps.init.size(); ++i) {
      CState& c = ps.init[i];
      if (c.phase == CPhase::kExited && c.exit_code == 0) continue;
      if (c.phase == CPhase::kRunning || c.done) return first;
      absl::Status st = StartContainer(ps, c, pod.spec().initcontainers(i), now);
      return st;
    }
    for (size_t i = 0; i < ps.app.size(); ++i) {
      CState& c = ps.app[i];
      if (c.phase == CPhase::kWaiting) {
        absl::Status st = StartContainer(ps, c, pod.spec().containers(i), now);
        if (!st.ok() && first.ok()) first = st;
      }
      if (c.phase == CPhase::kRunning) {
        RunProbes(ps, c, pod.spec().containers(i), now);
        // A container a probe just killed restarts in the same pass when its back-off allows.
        if (c.phase == CPhase::kWaiting && now >= c.next_start) {
          absl::Status st = StartContainer(ps, c, pod.spec().containers(i), now);
          if (!st.ok() && first.ok()) first = st;
        }
      }
    }
    return first;
  }

  std::string PullPolicy(const Container& spec) {
    if (!spec.imagepullpolicy().empty()) return spec.imagepullpolicy();
    return std::string(api::defaults::DefaultImagePullPolicy(spec.image()));
  }

  // True when the image is there to run `spec`.
  bool EnsureImage(PState& ps, CState& c, const Container& spec, absl::Time now) {
    const std::string& image = spec.image();
    if (now < c.next_pull) {
      c.waiting_reason = "ImagePullBackOff";
      c.waiting_message = absl::StrCat("Back-off pulling image \"", image, "\"");
      return false;
    }
    std::string policy = PullPolicy(spec);
    bool present = false;
    if (policy != "Always") {
      v1::ImageStatusRequest req;
      req.mutable_image()->set_image(image);
      absl::StatusOr<v1::ImageStatusResponse> r = rt_->ImageStatus(req, kCall);
      present = r.ok() && r->has_image();
      if (present) c.image_ref = r->image().id();
    }
    if (policy == "Never" && !present) {
      c.waiting_reason = "ErrImageNeverPull";
      c.waiting_message =
          absl::StrCat("Container image \"", image, "\" is not present with pull policy of Never");
      return false;
    }
    if (present) return true;
    v1::PullImageRequest req;
    req.mutable_image()->set_image(image);
    *req.mutable_sandbox_config() = SandboxConfig(ps);
    absl::StatusOr<v1::PullImageResponse> r = rt_->PullImage(req, kCall);
    if (!r.ok()) {
      c.pull_backoff = c.pull_backoff == absl::ZeroDuration()
                           ? opt_.backoff_initial
                           : std::min(c.pull_backoff * 2, opt_.backoff_max);
      c.next_pull = now + c.pull_backoff;
      c.waiting_reason = "ErrImagePull";
      c.waiting_message = std::string(r.status().message());
      return false;
    }
    c.pull_backoff = absl::ZeroDuration();
    c.image_ref = r->image_ref();
    return true;
  }

  absl::Status StartContainer(PState& ps, CState& c, const Container& spec, absl::Time now) {
    if (now < c.next_start) {
      c.waiting_reason = "CrashLoopBackOff";
      c.waiting_message = absl::StrCat(
          "back-off ", GoDuration(c.current_wait), " restarting failed container=", spec.name(),
          " pod=", ps.pod->metadata().name(), "_", ps.pod->metadata().namespace_(), "(",
          ps.pod->metadata().uid(), ")");
      if (c.backoff_reported != c.next_start) {
        c.backoff_reported = c.next_start;
        Emit(ps, record::kEventTypeWarning, "BackOff",
             absl::StrCat("Back-off restarting failed container ", spec.name(), " in pod ",
                          ps.pod->metadata().name(), "_", ps.pod->metadata().namespace_(), "(",
                          ps.pod->metadata().uid(), ")"));
      }
      return absl::OkStatus();
    }
    if (!EnsureImage(ps, c, spec, now)) return absl::OkStatus();
    // The exited instance stays until the next one exits (only the one before it goes), so its
    // logs remain readable as the previous instance's.
    if (!c.id.empty() && c.id != c.prev_id) {
      if (!c.prev_id.empty()) {
        v1::RemoveContainerRequest rm;
        rm.set_container_id(c.prev_id);
        (void)rt_->RemoveContainer(rm, kCall);
      }
      c.prev_id = c.id;
    }
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(ps.sandbox_id);
    v1::ContainerConfig* cfg = req.mutable_config();
    cfg->mutable_metadata()->set_name(spec.name());
    cfg->mutable_metadata()->set_attempt(c.attempt);
    cfg->mutable_image()->set_image(spec.image());
    for (const auto& s : spec.command()) cfg->add_command(s);
    for (const auto& s : spec.args()) cfg->add_args(s);
    cfg->set_working_dir(spec.workingdir());
    for (const auto& e : spec.env()) {
      if (e.has_valuefrom()) continue;
      auto* kv = cfg->add_envs();
      kv->set_key(e.name());
      kv->set_value(e.value());
    }
    // The kubelet's container labels: the pod's identity and the container's name.
    (*cfg->mutable_labels())[kPodUidLabel] = ps.pod->metadata().uid();
    (*cfg->mutable_labels())[kPodNameLabel] = ps.pod->metadata().name();
    (*cfg->mutable_labels())[kPodNamespaceLabel] = ps.pod->metadata().namespace_();
    (*cfg->mutable_labels())[kContainerNameLabel] = spec.name();
    cfg->set_log_path(absl::StrCat(spec.name(), "/", c.attempt, ".log"));
    cfg->set_tty(spec.tty());
    cfg->set_stdin(spec.stdin());
    *req.mutable_sandbox_config() = SandboxConfig(ps);
    absl::StatusOr<v1::CreateContainerResponse> cr = rt_->CreateContainer(req, kCall);
    if (!cr.ok()) {
      c.waiting_reason = "CreateContainerError";
      c.waiting_message = std::string(cr.status().message());
      return cr.status();
    }
    v1::StartContainerRequest sreq;
    sreq.set_container_id(cr->container_id());
    absl::StatusOr<v1::StartContainerResponse> sr = rt_->StartContainer(sreq, kCall);
    c.id = cr->container_id();
    c.attempt++;
    if (!sr.ok()) {
      c.waiting_reason = "RunContainerError";
      c.waiting_message = std::string(sr.status().message());
      return sr.status();
    }
    if (c.attempt > 1) c.restarts++;
    c.phase = CPhase::kRunning;
    c.started = now;
    c.waiting_reason.clear();
    c.waiting_message.clear();
    c.started_ok = !spec.has_startupprobe();
    c.is_ready = false;
    auto reset = [&](ProbeState& p, const Probe& probe, bool initial) {
      p = ProbeState();
      p.result = initial;
      p.next = now + absl::Seconds(probe.initialdelayseconds());
    };
    reset(c.live, spec.livenessprobe(), true);
    reset(c.ready, spec.readinessprobe(), false);
    reset(c.startup, spec.startupprobe(), false);
    if (c.started_ok && !spec.has_readinessprobe()) c.is_ready = true;
    Emit(ps, record::kEventTypeNormal, "Started", absl::StrCat("Started container ", spec.name()));
    if (spec.has_lifecycle() && spec.lifecycle().has_poststart()) RunPostStart(ps, c, spec, now);
    return absl::OkStatus();
  }

  // The postStart hook, right after the container started. On failure the container is
  // killed and restarts by the pod's restartPolicy (the kubelet's FailedPostStartHook).
  void RunPostStart(PState& ps, CState& c, const Container& spec, absl::Time now) {
    const auto& hook = spec.lifecycle().poststart();
    int64_t grace = GracePeriod(*ps.pod);
    ProbeOutcome o = RunAction(ps, c, spec, hook, absl::Seconds(std::max<int64_t>(grace, 1)));
    if (o.success) return;
    std::string what =
        hook.has_exec()
            ? absl::StrCat("Exec lifecycle hook (", absl::StrJoin(hook.exec().command(), " "), ")")
            : absl::StrCat("HTTP lifecycle hook (", hook.httpget().path(), ")");
    std::string msg =
        absl::StrCat(what, " for Container \"", spec.name(), "\" in Pod \"",
                     ps.pod->metadata().name(), "_", ps.pod->metadata().namespace_(), "(",
                     ps.pod->metadata().uid(), ")\" failed - error: ", o.message);
    Emit(ps, record::kEventTypeWarning, "FailedPostStartHook", msg);
    Emit(ps, record::kEventTypeNormal, "Killing",
         absl::StrCat("FailedPostStartHook: stopping container ", spec.name()));
    StopOne(ps, c, spec, grace, now, /*run_pre_stop=*/false);
    c.term_message = msg;
    OnExit(ps, c, false, now);
    if (c.phase == CPhase::kWaiting) {
      c.waiting_reason = "PostStartHookError";
      c.waiting_message = msg;
    }
  }

  int ResolvePort(const api::intstr::IntOrString& port, const Container& spec) {
    if (port.type() == 0 && port.intval() != 0) return port.intval();
    const std::string& name = port.strval();
    for (const auto& p : spec.ports()) {
      if (p.name() == name) return p.containerport();
    }
    int n = 0;
    if (absl::SimpleAtoi(name, &n)) return n;
    return port.intval();
  }

  // Runs a probe-like action (probe handler or lifecycle hook) against a running container.
  template <typename Handler>
  ProbeOutcome RunAction(const PState& ps, const CState& c, const Container& spec, const Handler& h,
                         absl::Duration timeout) {
    if (h.has_exec()) {
      std::vector<std::string> cmd(h.exec().command().begin(), h.exec().command().end());
      if (cmd.empty()) return {false, "exec: empty command"};
      return prober_->Exec(c.id, cmd, timeout);
    }
    if (h.has_httpget()) {
      const auto& g = h.httpget();
      std::vector<std::pair<std::string, std::string>> headers;
      for (const auto& x : g.httpheaders()) headers.emplace_back(x.name(), x.value());
      return prober_->Http(g.scheme().empty() ? "HTTP" : g.scheme(),
                           g.host().empty() ? ps.pod_ip : g.host(), ResolvePort(g.port(), spec),
                           g.path(), headers, timeout);
    }
    if (h.has_tcpsocket()) {
      const auto& t = h.tcpsocket();
      return prober_->Tcp(t.host().empty() ? ps.pod_ip : t.host(), ResolvePort(t.port(), spec),
                          timeout);
    }
    return {true, ""};
  }

  // One probe if due; returns the new result.
  bool Step(const PState& ps, const CState& c, const Container& spec, const Probe& probe,
            ProbeState& st, absl::Time now, const char* kind) {
    if (now < st.next) return st.result;
    st.next = now + absl::Seconds(Period(probe));
    ProbeOutcome o = RunAction(ps, c, spec, probe.handler(), absl::Seconds(TimeoutSec(probe)));
    if (o.success) {
      st.failures = 0;
      if (++st.successes >= SuccessThreshold(probe)) st.result = true;
    } else {
      Emit(ps, record::kEventTypeWarning, "Unhealthy",
           absl::StrCat(kind, " probe failed: ", o.message));
      st.successes = 0;
      if (++st.failures >= FailureThreshold(probe)) st.result = false;
    }
    return st.result;
  }

  void RunProbes(PState& ps, CState& c, const Container& spec, absl::Time now) {
    if (!c.started_ok) {
      const Probe& p = spec.startupprobe();
      Step(ps, c, spec, p, c.startup, now, "Startup");
      if (c.startup.successes >= SuccessThreshold(p)) {
        c.started_ok = true;
        c.live.next = std::max(c.live.next, now);
        c.ready.next = std::max(c.ready.next, now);
        if (!spec.has_readinessprobe()) c.is_ready = true;
      } else if (c.startup.failures >= FailureThreshold(p)) {
        KillForRestart(ps, c, spec, "failed startup probe", now);
        return;
      } else {
        return;
      }
    }
    if (spec.has_livenessprobe()) {
      const Probe& p = spec.livenessprobe();
      bool ok = Step(ps, c, spec, p, c.live, now, "Liveness");
      if (!ok && c.live.failures >= FailureThreshold(p)) {
        KillForRestart(ps, c, spec, "failed liveness probe", now);
        return;
      }
    }
    if (spec.has_readinessprobe())
      c.is_ready = Step(ps, c, spec, spec.readinessprobe(), c.ready, now, "Readiness");
  }

  void KillForRestart(PState& ps, CState& c, const Container& spec, const std::string& why,
                      absl::Time now) {
    int64_t grace = GracePeriod(*ps.pod);
    Emit(ps, record::kEventTypeNormal, "Killing",
         absl::StrCat("Container ", spec.name(), " ", why, ", will be restarted"));
    StopOne(ps, c, spec, grace, now);
    c.term_message = absl::StrCat("Container ", spec.name(), " ", why, ", will be restarted");
    OnExit(ps, c, false, now);
  }

  // preStop, then StopContainer with the grace period; the container ends exited.
  void StopOne(PState& ps, CState& c, const Container& spec, int64_t grace, absl::Time now,
               bool run_pre_stop = true) {
    if (c.phase != CPhase::kRunning) return;
    if (run_pre_stop && spec.has_lifecycle() && spec.lifecycle().has_prestop() && grace > 0) {
      RunAction(ps, c, spec, spec.lifecycle().prestop(), absl::Seconds(grace));
    }
    v1::StopContainerRequest req;
    req.set_container_id(c.id);
    req.set_timeout(grace);
    (void)rt_->StopContainer(req, absl::Seconds(grace) + kCall);
    v1::ContainerStatusRequest sreq;
    sreq.set_container_id(c.id);
    absl::StatusOr<v1::ContainerStatusResponse> r = rt_->ContainerStatus(sreq, kCall);
    c.phase = CPhase::kExited;
    c.is_ready = false;
    if (r.ok() && r->status().state() == v1::CONTAINER_EXITED) {
      c.finished = FromNanos(r->status().finished_at());
      c.exit_code = r->status().exit_code();
      c.term_reason = r->status().reason().empty() ? (c.exit_code == 0 ? "Completed" : "Error")
                                                   : r->status().reason();
    } else {
      c.finished = now;
      c.exit_code = 137;
      c.term_reason = "Error";
    }
    c.term_message.clear();
  }

  absl::Status KillPod(PState& ps, int64_t grace) {
    absl::Time now = clock_->Now();
    const Pod& pod = *ps.pod;
    ps.killed = true;
    for (size_t i = 0; i < ps.app.size(); ++i) {
      Observe(ps, ps.app[i], false, now);
      StopOne(ps, ps.app[i], pod.spec().containers(i), grace, now);
      ps.app[i].done = true;
    }
    for (size_t i = 0; i < ps.init.size(); ++i) {
      StopOne(ps, ps.init[i], pod.spec().initcontainers(i), grace, now);
    }
    if (ps.sandbox_id.empty()) return absl::OkStatus();
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(ps.sandbox_id);
    absl::StatusOr<v1::StopPodSandboxResponse> r = rt_->StopPodSandbox(stop, kCall);
    if (opt_.network != nullptr && !pod.spec().hostnetwork()) {
      absl::Status t = opt_.network->TearDownPod(NetRequest(ps, ""));
      if (!t.ok()) return t;
    }
    if (!r.ok() && r.status().code() != absl::StatusCode::kNotFound) return r.status();
    return absl::OkStatus();
  }

  absl::Status RemoveSandbox(PState& ps) {
    if (ps.sandbox_id.empty() || ps.sandbox_removed) return absl::OkStatus();
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(ps.sandbox_id);
    absl::StatusOr<v1::RemovePodSandboxResponse> r = rt_->RemovePodSandbox(rm, kCall);
    if (!r.ok() && r.status().code() != absl::StatusCode::kNotFound) return r.status();
    ps.sandbox_removed = true;
    return absl::OkStatus();
  }

  // ---------------------------------------------------------------- status
  std::string Phase(const PState& ps) {
    if (ps.evicted) return "Failed";
    std::string policy = RestartPolicy(*ps.pod);
    for (const CState& c : ps.init) {
      if (c.phase == CPhase::kExited && c.exit_code == 0) continue;
      if (c.phase == CPhase::kExited && c.done && c.exit_code != 0) return "Failed";
      return "Pending";
    }
    int waiting = 0, running = 0, stopped = 0, failed = 0;
    for (const CState& c : ps.app) {
      if (c.phase == CPhase::kRunning) {
        running++;
      } else if (c.phase == CPhase::kExited) {
        stopped++;
        if (c.exit_code != 0) failed++;
      } else if (c.has_last) {
        stopped++;
        if (c.last.exitcode() != 0) failed++;
      } else {
        waiting++;
      }
    }
    if (waiting > 0) return "Pending";
    if (running > 0) return "Running";
    if (stopped > 0) {
      if (ps.killed && !ps.pod->metadata().has_deletiontimestamp()) {
        return failed > 0 ? "Failed" : "Succeeded";
      }
      if (policy == "Always") return "Running";
      if (policy == "OnFailure") return failed == 0 ? "Succeeded" : "Running";
      return failed > 0 ? "Failed" : "Succeeded";
    }
    return "Pending";
  }

  void FillContainerStatus(const PState& ps, const CState& c, const Container& spec, bool init,
                           ContainerStatus* s) {
    s->set_name(spec.name());
    s->set_image(spec.image());
    s->set_imageid(c.image_ref);
    if (!c.id.empty()) s->set_containerid(absl::StrCat(runtime_name_, "://", c.id));
    s->set_restartcount(c.restarts);
    s->set_ready(c.phase == CPhase::kRunning && c.is_ready && c.started_ok);
    if (!init) s->set_started(c.phase == CPhase::kRunning && c.started_ok);
    if (c.phase == CPhase::kRunning) {
      SetTime(c.started, s->mutable_state()->mutable_running()->mutable_startedat());
    } else if (c.phase == CPhase::kExited) {
      auto* t = s->mutable_state()->mutable_terminated();
      t->set_exitcode(c.exit_code);
      t->set_reason(c.term_reason);
      if (!c.term_message.empty()) t->set_message(c.term_message);
      SetTime(c.started, t->mutable_startedat());
      SetTime(c.finished, t->mutable_finishedat());
      t->set_containerid(absl::StrCat(runtime_name_, "://", c.id));
    } else {
      auto* w = s->mutable_state()->mutable_waiting();
      bool initializing = false;
      for (const CState& x : ps.init) {
        if (!(x.phase == CPhase::kExited && x.exit_code == 0)) initializing = true;
      }
      w->set_reason(initializing && c.waiting_reason == "ContainerCreating" && &c != &ps.init[0]
                        ? "PodInitializing"
                        : c.waiting_reason);
      if (!c.waiting_message.empty()) w->set_message(c.waiting_message);
    }
    if (c.has_last) {
      *s->mutable_laststate()->mutable_terminated() = c.last;
      s->mutable_laststate()->mutable_terminated()->set_containerid(
          absl::StrCat(runtime_name_, "://", c.last.containerid()));
    }
  }

  // Adds condition `idx` (see PState::conds), keeping its transition time while its status
  // stays (from the pod's stored status when the agent has not set it yet).
  void AddCondition(PodStatus* s, PState& ps, int idx, const std::string& type, bool status,
                    const std::string& reason, const std::string& message, absl::Time now) {
    auto* c = s->add_conditions();
    c->set_type(type);
    c->set_status(status ? "True" : "False");
    if (!reason.empty()) c->set_reason(reason);
    if (!message.empty()) c->set_message(message);
    PState::CondMemo& m = ps.conds[idx];
    if (m.status < 0) {
      for (const auto& p : ps.pod->status().conditions()) {
        if (p.type() == type) {
          m.status = p.status() == "True" ? 1 : 0;
          m.since = p.lasttransitiontime().seconds();
        }
      }
    }
    if (m.status != (status ? 1 : 0)) {
      m.status = status ? 1 : 0;
      m.since = absl::ToUnixSeconds(now);
    }
    c->mutable_lasttransitiontime()->set_seconds(m.since);
  }

  PodStatus BuildStatus(PState& ps, absl::Time now) {
    const Pod& pod = *ps.pod;
    PodStatus s;
    std::string phase = Phase(ps);
    s.set_phase(phase);
    if (ps.evicted) {
      s.set_reason(ps.fail_reason);
      s.set_message(ps.evict_message);
    }
    std::vector<std::string> not_init, not_ready;
    for (size_t i = 0; i < ps.init.size(); ++i) {
      const CState& c = ps.init[i];
      if (!(c.phase == CPhase::kExited && c.exit_code == 0)) {
        not_init.push_back(pod.spec().initcontainers(i).name());
      }
    }
    for (size_t i = 0; i < ps.app.size(); ++i) {
      const CState& c = ps.app[i];
      if (!(c.phase == CPhase::kRunning && c.is_ready && c.started_ok)) {
        not_ready.push_back(pod.spec().containers(i).name());
      }
    }
    bool completed = phase == "Succeeded" || phase == "Failed";
    if (completed) not_init.clear();
    AddCondition(&s, ps, 0, "Initialized", not_init.empty(),
                 not_init.empty() ? "" : "ContainersNotInitialized",
                 not_init.empty() ? ""
                                  : absl::StrCat("containers with incomplete status: [",
                                                 absl::StrJoin(not_init, " "), "]"),
                 now);
    std::string nr_reason = completed ? "PodCompleted" : "ContainersNotReady";
    std::string nr_msg = completed ? ""
                                   : absl::StrCat("containers with unready status: [",
                                                  absl::StrJoin(not_ready, " "), "]");
    bool ready = not_ready.empty() && !completed;
    AddCondition(&s, ps, 1, "Ready", ready, ready ? "" : nr_reason, ready ? "" : nr_msg, now);
    AddCondition(&s, ps, 2, "ContainersReady", ready, ready ? "" : nr_reason, ready ? "" : nr_msg,
                 now);
    AddCondition(&s, ps, 3, "PodScheduled", true, "", "", now);
    s.set_hostip(opt_.host_ip);
    s.add_hostips()->set_ip(opt_.host_ip);
    if (!ps.pod_ip.empty()) {
      s.set_podip(ps.pod_ip);
      s.add_podips()->set_ip(ps.pod_ip);
    }
    SetTime(ps.start_time, s.mutable_starttime());
    if (!pod.status().qosclass().empty()) s.set_qosclass(pod.status().qosclass());
    for (size_t i = 0; i < ps.init.size(); ++i) {
      FillContainerStatus(ps, ps.init[i], pod.spec().initcontainers(i), true,
                          s.add_initcontainerstatuses());
    }
    for (size_t i = 0; i < ps.app.size(); ++i) {
      FillContainerStatus(ps, ps.app[i], pod.spec().containers(i), false,
                          s.add_containerstatuses());
    }
    return s;
  }

  absl::Status WriteStatus(PState& ps, absl::Time now) {
    PodStatus s = BuildStatus(ps, now);
    uint64_t hash = std::hash<std::string>()(s.SerializeAsString()) | 1;
    if (hash == ps.written_hash) return absl::OkStatus();
    const Pod* target = ps.pod.get();
    if (ps.is_static) {
      if (ps.mirror == nullptr) return absl::OkStatus();
      target = ps.mirror.get();
    }
    Pod p;
    *p.mutable_metadata() = target->metadata();
    p.mutable_metadata()->clear_resourceversion();
    p.mutable_metadata()->clear_managedfields();
    *p.mutable_spec() = target->spec();
    *p.mutable_status() = s;
    absl::StatusOr<std::unique_ptr<Pod>> u =
        pods_.UpdateStatus(p, {.field_manager = opt_.field_manager});
    CountWrite(u.ok(), &AgentCounters::pod_status_writes);
    if (!u.ok()) {
      if (u.status().code() == absl::StatusCode::kNotFound) {
        return absl::OkStatus();  // deleted meanwhile; the source will tell
      }
      return u.status();
    }
    ps.written_hash = hash;
    return absl::OkStatus();
  }

  void CountWrite(bool ok, int64_t AgentCounters::*field) {
    MutexLock l(&counters_mu_);
    if (ok) {
      counters_.*field += 1;
    } else {
      counters_.write_errors++;
    }
  }

  // ---------------------------------------------------------------- static pods
  absl::Status LoadStaticPods() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(opt_.static_pod_dir, ec)) {
      std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    absl::flat_hash_map<std::string, PodRef> next;
    absl::Status first;
    for (const auto& f : files) {
      std::ifstream in(f);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      absl::StatusOr<PodRef> p = ParseStaticPod(text);
      if (!p.ok()) {
        if (first.ok()) {
          first = absl::InvalidArgumentError(absl::StrCat(f.string(), ": ", p.status().message()));
        }
        continue;
      }
      next[Key(**p)] = *p;
    }
    static_pods_ = std::move(next);
    return first;
  }

  absl::StatusOr<PodRef> ParseStaticPod(const std::string& text) {
    RUDDER_ASSIGN_OR_RETURN(std::string json, api::YamlDocumentToJson(text));
    auto pod = std::make_shared<Pod>();
    RUDDER_ASSIGN_OR_RETURN(api::JsonDecodeResult r, api::DecodeJson(json, pod.get()));
    if (!r.type_meta.kind.empty() && r.type_meta.kind != "Pod") {
      return absl::InvalidArgumentError(absl::StrCat("kind: must be Pod, not ", r.type_meta.kind));
    }
    if (pod->metadata().name().empty()) {
      return absl::InvalidArgumentError("metadata.name: Required value");
    }
    api::defaults::SetPodDefaults(pod.get());
    auto* m = pod->mutable_metadata();
    m->set_name(absl::StrCat(m->name(), "-", opt_.node_name));
    if (m->namespace_().empty()) m->set_namespace_("default");
    std::string hash =
        absl::StrCat(absl::Hex(Fnv1a(absl::StrCat(opt_.node_name, "\n", text)), absl::kZeroPad16));
    m->set_uid(hash);
    (*m->mutable_annotations())[kConfigHashAnnotation] = hash;
    (*m->mutable_annotations())[kConfigSourceAnnotation] = "file";
    pod->mutable_spec()->set_nodename(opt_.node_name);
    return PodRef(std::move(pod));
  }

  absl::Status EnsureMirror(PState& ps, absl::flat_hash_map<std::string, PodRef>& mirrors) {
    const Pod& sp = *ps.pod;
    std::string key = Key(sp);
    const std::string& hash = sp.metadata().uid();
    auto it = mirrors.find(key);
    if (it != mirrors.end()) {
      const Pod& m = *it->second;
      auto a = m.metadata().annotations().find(kConfigMirrorAnnotation);
      if (a != m.metadata().annotations().end() && a->second == hash &&
          !m.metadata().has_deletiontimestamp()) {
        if (ps.mirror == nullptr || ps.mirror->metadata().uid() != m.metadata().uid()) {
          ps.written_hash = 0;  // a new mirror: write the status again
        }
        ps.mirror = it->second;
        return absl::OkStatus();
      }
      RUDDER_RETURN_IF_ERROR(DeleteMirror(key, mirrors));
    }
    Pod m = sp;
    m.mutable_metadata()->clear_uid();
    m.mutable_metadata()->clear_resourceversion();
    (*m.mutable_metadata()->mutable_annotations())[kConfigMirrorAnnotation] = hash;
    m.clear_status();
    absl::StatusOr<std::unique_ptr<Pod>> c = pods_.Create(m);
    if (!c.ok()) {
      if (c.status().code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
      return c.status();
    }
    ps.mirror = PodRef(std::move(*c));
    ps.written_hash = 0;
    return absl::OkStatus();
  }

  absl::Status DeleteMirror(const std::string& key,
                            absl::flat_hash_map<std::string, PodRef>& mirrors) {
    auto it = mirrors.find(key);
    if (it == mirrors.end()) return absl::OkStatus();
    client::DeleteOptions d;
    d.grace_period_seconds = 0;
    d.precondition_uid = it->second->metadata().uid();
    absl::Status st =
        pods_.Delete(it->second->metadata().namespace_(), it->second->metadata().name(), d);
    if (st.code() == absl::StatusCode::kNotFound) st = absl::OkStatus();
    return st;
  }

  // ---------------------------------------------------------------- stats and eviction
  absl::Status SampleStats(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    absl::StatusOr<v1::ListContainerStatsResponse> r = rt_->ListContainerStats({}, kCall);
    if (!r.ok()) return r.status();
    absl::flat_hash_map<std::string, api::metrics::v1beta1::PodMetrics> by_uid;
    pod_memory_.clear();
    pod_disk_.clear();
    int64_t node_cpu_nano = 0, node_mem = 0;
    for (const v1::ContainerStats& s : r->stats()) {
      const auto& labels = s.attributes().labels();
      auto uid = labels.find(kPodUidLabel);
      if (uid == labels.end()) continue;
      auto ps = states_.find(uid->second);
      if (ps == states_.end()) continue;
      pod_disk_[uid->second] += static_cast<int64_t>(s.writable_layer().used_bytes().value());
      int64_t cpu = static_cast<int64_t>(s.cpu().usage_nano_cores().value());
      int64_t mem = static_cast<int64_t>(s.memory().working_set_bytes().value());
      if (cpu == 0 && mem == 0) continue;  // exited attempts
      api::metrics::v1beta1::PodMetrics& pm = by_uid[uid->second];
      if (!pm.has_metadata()) {
        const Pod& pod = *ps->second->pod;
        pm.mutable_metadata()->set_name(pod.metadata().name());
        pm.mutable_metadata()->set_namespace_(pod.metadata().namespace_());
        // The pod's labels, as metrics-server serves them: autoscalers select by them.
        *pm.mutable_metadata()->mutable_labels() = pod.metadata().labels();
        SetTime(now, pm.mutable_timestamp());
      }
      auto* cm = pm.add_containers();
      cm->set_name(s.attributes().metadata().name());
      (*cm->mutable_usage())["cpu"].set_string(Quantity::FromScaled(cpu, -9).String());
      (*cm->mutable_usage())["memory"].set_string(
          Quantity::FromInt64(mem, Quantity::Format::kBinarySI).String());
      node_cpu_nano += cpu;
      node_mem += mem;
      pod_memory_[uid->second] += mem;
    }
    used_memory_ = node_mem;
    api::metrics::v1beta1::NodeMetrics nm;
    nm.mutable_metadata()->set_name(opt_.node_name);
    SetTime(now, nm.mutable_timestamp());
    (*nm.mutable_usage())["cpu"].set_string(Quantity::FromScaled(node_cpu_nano, -9).String());
    (*nm.mutable_usage())["memory"].set_string(
        Quantity::FromInt64(node_mem, Quantity::Format::kBinarySI).String());
    std::vector<api::metrics::v1beta1::PodMetrics> pods;
    pods.reserve(by_uid.size());
    for (auto& [uid, pm] : by_uid) pods.push_back(std::move(pm));
    std::sort(pods.begin(), pods.end(), [](const auto& a, const auto& b) {
      return std::tie(a.metadata().namespace_(), a.metadata().name()) <
             std::tie(b.metadata().namespace_(), b.metadata().name());
    });
    absl::Status published;
    if (opt_.publish_metrics) {
      published = Publish(nm_kind_.get(), "", nm);
      for (const auto& pm : pods) {
        absl::Status st = Publish(pm_kind_.get(), pm.metadata().namespace_(), pm);
        if (published.ok()) published = st;
      }
    }
    metrics_.Set(std::move(nm), std::move(pods));
    return published;
  }

  // Writes a metrics object (update, else create).
  absl::Status Publish(const api::KindInfo* kind, const std::string& ns,
                       const google::protobuf::Message& obj) {
    if (kind == nullptr) return absl::NotFoundError("metrics.k8s.io kinds are not registered");
    client::ObjectPtr copy(obj.New());
    copy->CopyFrom(obj);
    absl::StatusOr<client::ObjectPtr> u = client_->Update(*kind, ns, std::move(copy), false, {});
    if (u.status().code() == absl::StatusCode::kNotFound) {
      copy.reset(obj.New());
      copy->CopyFrom(obj);
      u = client_->Create(*kind, ns, std::move(copy), {});
    }
    return u.status();
  }

  void UnpublishPod(const Pod& pod) {
    if (!opt_.publish_metrics || pm_kind_ == nullptr) return;
    (void)client_->Delete(*pm_kind_, pod.metadata().namespace_(), pod.metadata().name(), {});
  }

  absl::Status MaybeEvict(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    bool mem_pressure = false;
    NodeMemory mem;
    if (opt_.eviction_memory_available_bytes > 0) {
      if (opt_.node_stats != nullptr) {
        RUDDER_ASSIGN_OR_RETURN(mem, opt_.node_stats->Memory());
      } else {
        mem.capacity_bytes = memory_capacity_;
        mem.available_bytes = memory_capacity_ - used_memory_;
      }
      mem_pressure = mem.available_bytes < opt_.eviction_memory_available_bytes;
    }
    bool disk_pressure = false;
    NodeFilesystem fs;
    if (opt_.eviction_nodefs_available_percent > 0 && opt_.node_stats != nullptr) {
      absl::StatusOr<NodeFilesystem> f = opt_.node_stats->Filesystem();
      if (f.ok() && f->capacity_bytes > 0) {
        fs = *f;
        disk_pressure = static_cast<double>(fs.available_bytes) * 100 <
                        opt_.eviction_nodefs_available_percent * fs.capacity_bytes;
      } else if (!f.ok() && f.status().code() != absl::StatusCode::kUnimplemented) {
        return f.status();
      }
    }
    if (mem_pressure != memory_pressure_ || disk_pressure != disk_pressure_) {
      memory_pressure_ = mem_pressure;
      disk_pressure_ = disk_pressure;
      RUDDER_RETURN_IF_ERROR(PostNodeStatus(now, false));  // conditions and taints at once
    }
    if (mem_pressure) {
      return EvictOne(now, "memory", pod_memory_, &AgentImpl::MemoryRequestOf,
                      opt_.eviction_memory_available_bytes, mem.available_bytes);
    }
    if (disk_pressure) {
      auto threshold =
          static_cast<int64_t>(fs.capacity_bytes * opt_.eviction_nodefs_available_percent / 100);
      return EvictOne(now, "ephemeral-storage", pod_disk_, &AgentImpl::StorageRequestOf, threshold,
                      fs.available_bytes);
    }
    return absl::OkStatus();
  }

  static int64_t MemoryRequestOf(const Pod& p) { return RequestOf(p, "memory"); }
  static int64_t StorageRequestOf(const Pod& p) { return RequestOf(p, "ephemeral-storage"); }
  static int64_t RequestOf(const Pod& p, const std::string& resource) {
    int64_t sum = 0;
    for (const Container& c : p.spec().containers()) {
      auto it = c.resources().requests().find(resource);
      if (it == c.resources().requests().end()) continue;
      absl::StatusOr<Quantity> q = Quantity::Parse(it->second.string());
      if (q.ok()) sum += q->Value();
    }
    return sum;
  }

  // Evicts one pod for `resource`, ranked as the kubelet does: pods using more than they
  // request first, then lower priority, then by how much usage exceeds the request.
  absl::Status EvictOne(absl::Time now, const std::string& resource,
                        absl::flat_hash_map<std::string, int64_t>& usage_by_uid,
                        int64_t (*request_of)(const Pod&), int64_t threshold, int64_t available)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    PState* victim = nullptr;
    std::tuple<bool, int32_t, int64_t> best;
    for (auto& [uid, ps] : states_) {
      if (ps->is_static || ps->killed || ps->evicted) continue;
      std::string phase = Phase(*ps);
      if (phase == "Succeeded" || phase == "Failed") continue;
      int64_t usage = usage_by_uid.contains(uid) ? usage_by_uid[uid] : 0;
      int64_t request = request_of(*ps->pod);
      std::tuple<bool, int32_t, int64_t> key{!(usage > request), ps->pod->spec().priority(),
                                             -(usage - request)};
      if (victim == nullptr || key < best) {
        victim = ps.get();
        best = key;
      }
    }
    if (victim == nullptr) return absl::OkStatus();
    const std::string uid = victim->pod->metadata().uid();
    int64_t usage = usage_by_uid.contains(uid) ? usage_by_uid[uid] : 0;
    victim->evicted = true;
    victim->fail_reason = "Evicted";
    victim->fail_grace = 0;
    victim->evict_message = absl::StrCat("The node was low on resource: ", resource,
                                         ". Threshold quantity: ", FormatBytes(threshold),
                                         ", available: ", FormatBytes(available),
                                         ". Pod was using ", FormatBytes(usage), ", request is ",
                                         FormatBytes(request_of(*victim->pod)), ".");
    Emit(*victim, record::kEventTypeWarning, "Evicted", victim->evict_message);
    {
      MutexLock l(&counters_mu_);
      counters_.evictions++;
    }
    usage_by_uid.erase(uid);
    if (resource == "memory") used_memory_ -= usage;
    return SyncPod(*victim, now);
  }

  // ---------------------------------------------------------------- loop
  void Start() override {
    MutexLock l(&loop_mu_);
    if (thread_.joinable()) return;
    stop_ = false;
    thread_ = std::thread([this] { Loop(); });
  }

  void Loop() {
    while (true) {
      (void)SyncOnce();
      MutexLock l(&loop_mu_);
      absl::Time deadline = clock_->Now() + opt_.sync_interval;
      while (!stop_ && clock_->Now() < deadline) clock_->WaitUntil(&loop_cv_, &loop_mu_, deadline);
      if (stop_) return;
    }
  }

  void Stop() override {
    std::thread t;
    {
      MutexLock l(&loop_mu_);
      stop_ = true;
      loop_cv_.SignalAll();
      t = std::move(thread_);
    }
    if (t.joinable()) t.join();
    if (source_ != nullptr) source_->Stop();
  }

  const MetricsProvider& metrics() const override { return metrics_; }
  AgentCounters counters() const override {
    MutexLock l(&counters_mu_);
    return counters_;
  }
  size_t PodCount() const override {
    MutexLock l(&sync_mu_);
    return states_.size();
  }

 private:
  client::Client* client_;
  ContainerRuntime* rt_;
  AgentOptions opt_;
  Clock* clock_;
  client::TypedClient<Pod> pods_;
  client::TypedClient<Node> nodes_;
  client::TypedClient<Lease> leases_;
  Metrics metrics_;
  std::unique_ptr<Prober> own_prober_;
  Prober* prober_ = nullptr;
  std::unique_ptr<PodSource> own_source_;
  PodSource* source_ = nullptr;
  std::string runtime_name_, runtime_version_;
  std::shared_ptr<const api::KindInfo> nm_kind_, pm_kind_;
  int64_t memory_capacity_ = 0;

  mutable Mutex sync_mu_;
  bool registered_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::unique_ptr<Node> node_ ABSL_GUARDED_BY(sync_mu_);
  std::unique_ptr<Lease> lease_ ABSL_GUARDED_BY(sync_mu_);
  absl::Time next_lease_ ABSL_GUARDED_BY(sync_mu_) = absl::InfinitePast();
  absl::Time next_node_status_ ABSL_GUARDED_BY(sync_mu_) = absl::InfinitePast();
  absl::Time last_node_report_ ABSL_GUARDED_BY(sync_mu_) = absl::InfinitePast();
  absl::Time next_stats_ ABSL_GUARDED_BY(sync_mu_) = absl::InfinitePast();
  absl::Time next_static_check_ ABSL_GUARDED_BY(sync_mu_) = absl::InfinitePast();
  bool memory_pressure_ ABSL_GUARDED_BY(sync_mu_) = false;
  int64_t used_memory_ ABSL_GUARDED_BY(sync_mu_) = 0;
  absl::flat_hash_map<std::string, int64_t> pod_memory_ ABSL_GUARDED_BY(sync_mu_);
  absl::flat_hash_map<std::string, int64_t> pod_disk_ ABSL_GUARDED_BY(sync_mu_);
  bool disk_pressure_ ABSL_GUARDED_BY(sync_mu_) = false;
  absl::flat_hash_map<std::string, PodRef> static_pods_ ABSL_GUARDED_BY(sync_mu_);
  std::map<std::string, std::unique_ptr<PState>> states_ ABSL_GUARDED_BY(sync_mu_);

  mutable Mutex counters_mu_;
  AgentCounters counters_ ABSL_GUARDED_BY(counters_mu_);

  Mutex loop_mu_;
  CondVar loop_cv_;
  bool stop_ ABSL_GUARDED_BY(loop_mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(loop_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Agent>> NewAgent(client::Client* client, ContainerRuntime* runtime,
                                                AgentOptions options) {
  if (options.node_name.empty()) return absl::InvalidArgumentError("node_name: Required value");
  auto a = std::make_unique<AgentImpl>(client, runtime, std::move(options));
  RUDDER_RETURN_IF_ERROR(a->Init());
  return a;
}

}  // namespace rudder::runtime::agent
