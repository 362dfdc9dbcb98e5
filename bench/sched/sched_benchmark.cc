// SchedulingBasic, SchedulingNodeAffinity, SchedulingPodAntiAffinity and
// SchedulingTopologySpread, end to end through queue + cycle + binder: 5,000 nodes (4 cpu,
// 32Gi, 110 pods), then N pods (100m, 500Mi) added and scheduled; and SchedulingPreemption:
// full nodes of low-priority pods, then high-priority pods that preempt. Reports pods/s and
// the p50/p99 of the per-pod latency (first pop -> binding written), and the CPU time per pod
// from adding the pods to the last binding: of the scheduling thread (sched_cpu_us) and of the
// whole process (proc_cpu_us: Filter/Score workers and the binding thread included).
#include <time.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/sched/scheduler.h"
#include "lib/sched/testing/builders.h"
#include "lib/store/memory/memory_store.h"
#include "lib/store/store.h"

namespace rudder::sched {
namespace {

using store::Compare;
using store::KeyValue;
using store::NewMemoryStore;
using store::Store;
using store::TxnOp;
using store::TxnRequest;
using store::TxnResult;
using testing::NodeBuilder;
using testing::PodBuilder;

// CPU time of the calling thread / of the process, in microseconds.
double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
double ProcessCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// The counters every workload reports.
void ReportCounters(benchmark::State& state, int64_t pods, double seconds, double sched_cpu_us,
                    double proc_cpu_us, std::vector<double>* latencies) {
  std::sort(latencies->begin(), latencies->end());
  auto pct = [&](double q) {
    return latencies->empty() ? 0
                              : (*latencies)[std::min(latencies->size() - 1,
                                                      static_cast<size_t>(q * latencies->size()))];
  };
  const double n = static_cast<double>(pods);
  state.counters["pods_per_s"] = benchmark::Counter(seconds > 0 ? n / seconds : 0);
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["sched_cpu_us"] = n > 0 ? sched_cpu_us / n : 0;
  state.counters["proc_cpu_us"] = n > 0 ? proc_cpu_us / n : 0;
}

enum Variant {
  kRecording = 0,
  kStore = 1,
  kAffinity = 2,
  kAntiAffinity = 3,
  kSpread = 4,
  // SchedulingBasic with PodTopologySpread, InterPodAffinity and DefaultPreemption disabled
  // (the default profile before they joined it): what those plugins cost a pod that has no
  // use for them.
  kBasicWithoutSpreadAndAffinity = 5,
  // SchedulingBasic with pods of 100 ReplicaSets (label app, controller ownerReference) over
  // 10 zones: PodTopologySpread's system default constraints (hostname maxSkew 3, zone maxSkew
  // 5, ScheduleAnyway) score every pod, as in a cluster of Deployments.
  kReplicaSets = 6,
};

std::string PodKey(const Pod& p) {
  return absl::StrCat("/registry/core/pods/", p.metadata().namespace_(), "/", p.metadata().name());
}

// Writes the binding as the stored pod's spec.nodeName (protobuf, compare-and-swap on the
// key's mod revision), as the API server's binding subresource does.
class StoreBinder : public Binder {
 public:
  explicit StoreBinder(Store* store) : store_(store) {}
  absl::Status Bind(const Pod& pod, const std::string& node) override {
    std::string key = PodKey(pod);
    for (int attempt = 0; attempt < 5; ++attempt) {
      absl::StatusOr<std::optional<KeyValue>> kv = store_->Get(key);
      if (!kv.ok()) return kv.status();
      if (!kv->has_value()) return absl::NotFoundError(key);
      Pod stored;
      if (!stored.ParseFromString((*kv)->value)) return absl::DataLossError(key);
      if (!stored.spec().nodename().empty()) return absl::AlreadyExistsError(key);
      stored.mutable_spec()->set_nodename(node);
      TxnRequest txn;
      txn.compares.push_back(Compare::ModRevision(key, Compare::Op::kEqual, (*kv)->mod_revision));
      txn.success.push_back(TxnOp::Put(key, stored.SerializeAsString()));
      absl::StatusOr<TxnResult> r = store_->Txn(txn);
      if (!r.ok()) return r.status();
      if (r->succeeded) return absl::OkStatus();
    }
    return absl::AbortedError("conflict");
  }

 private:
  Store* store_;
};

void RunScheduling(benchmark::State& state, Variant variant) {
  const int num_nodes = static_cast<int>(state.range(0));
  const int num_pods = static_cast<int>(state.range(1));
  double total_seconds = 0, sched_cpu = 0, proc_cpu = 0;
  std::vector<double> latencies;
  for (auto _ : state) {
    std::unique_ptr<Store> store;
    std::unique_ptr<Binder> binder;
    if (variant == kStore) {
      store = *NewMemoryStore();
      binder = std::make_unique<StoreBinder>(store.get());
    } else {
      binder = std::make_unique<RecordingBinder>();
    }
    std::vector<absl::Time> started(num_pods), bound(num_pods);
    std::atomic<int> done{0};
    SchedulerOptions o;
    o.binder = binder.get();
    o.binding_workers = 1;
    o.config.parallelism = static_cast<int>(state.range(2));
    if (variant == kAntiAffinity) {
      o.config.profiles[0].plugins.multi_point.enabled.push_back({"InterPodAffinity", 2});
    }
    if (variant == kBasicWithoutSpreadAndAffinity) {
      for (const char* name : {"PodTopologySpread", "InterPodAffinity", "DefaultPreemption"}) {
        o.config.profiles[0].plugins.multi_point.disabled.push_back({name, 0});
      }
    }
    o.on_bound = [&](const Pod& p, const std::string&) {
      int i = 0;
      (void)absl::SimpleAtoi(absl::string_view(p.metadata().name()).substr(1), &i);
      bound[i] = absl::Now();
      done.fetch_add(1, std::memory_order_release);
    };
    std::unique_ptr<Scheduler> s = *Scheduler::Create(std::move(o));
    for (int i = 0; i < num_nodes; ++i) {
      NodeBuilder n(absl::StrCat("node-", i));
      n.Capacity("4", "32Gi", "110")
          .Label("topology.kubernetes.io/zone", variant == kSpread || variant == kReplicaSets
                                                    ? absl::StrCat("zone", i % 10)
                                                    : "zone1");
      n.Label("kubernetes.io/hostname", absl::StrCat("node-", i));
      (void)s->AddNode(n);
    }
    std::vector<Pod> pods;
    pods.reserve(num_pods);
    for (int i = 0; i < num_pods; ++i) {
      PodBuilder p(absl::StrCat("p", i));
      p.Req("100m", "500Mi");
      if (variant == kAffinity) p.Required(0, "topology.kubernetes.io/zone", "In", {"zone1"});
      Pod built = p.Build();
      if (variant == kAntiAffinity) {
        // Groups of pods that must not share a host (Kubernetes' SchedulingPodAntiAffinity).
        std::string group = absl::StrCat("g", i % 1000);
        (*built.mutable_metadata()->mutable_labels())["group"] = group;
        auto* t = built.mutable_spec()
                      ->mutable_affinity()
                      ->mutable_podantiaffinity()
                      ->add_requiredduringschedulingignoredduringexecution();
        (*t->mutable_labelselector()->mutable_matchlabels())["group"] = group;
        t->set_topologykey("kubernetes.io/hostname");
      }
      if (variant == kReplicaSets) {
        const std::string rs = absl::StrCat("rs", i % 100);
        (*built.mutable_metadata()->mutable_labels())["app"] = rs;
        auto* o = built.mutable_metadata()->add_ownerreferences();
        o->set_kind("ReplicaSet");
        o->set_name(rs);
        o->set_controller(true);
      }
      if (variant == kSpread) {
        // Kubernetes' TopologySpreading: each pod spreads over zones with maxSkew 1
        // (DoNotSchedule) among the pods of its group.
        std::string group = absl::StrCat("g", i % 10);
        (*built.mutable_metadata()->mutable_labels())["group"] = group;
        auto* c = built.mutable_spec()->add_topologyspreadconstraints();
        c->set_maxskew(1);
        c->set_topologykey("topology.kubernetes.io/zone");
        c->set_whenunsatisfiable("DoNotSchedule");
        (*c->mutable_labelselector()->mutable_matchlabels())["group"] = group;
      }
      pods.push_back(std::move(built));
      if (store) (void)store->Put(PodKey(pods.back()), pods.back().SerializeAsString());
    }
    const double c0 = ThreadCpuMicros(), pc0 = ProcessCpuMicros();
    absl::Time t0 = absl::Now();
    for (const Pod& p : pods) (void)s->AddPod(p);
    for (int i = 0; i < num_pods; ++i) {
      started[i] = absl::Now();
      std::optional<ScheduleResult> r = s->ScheduleOne();
      if (!r || r->node.empty()) {
        state.SkipWithError("a pod did not schedule");
        return;
      }
    }
    s->WaitForBindings();
    absl::Time t1 = absl::Now();
    sched_cpu += ThreadCpuMicros() - c0;
    proc_cpu += ProcessCpuMicros() - pc0;
    total_seconds += absl::ToDoubleSeconds(t1 - t0);
    state.SetIterationTime(absl::ToDoubleSeconds(t1 - t0));
    if (done.load(std::memory_order_acquire) != num_pods) state.SkipWithError("bindings missing");
    for (int i = 0; i < num_pods; ++i) {
      latencies.push_back(absl::ToDoubleMicroseconds(bound[i] - started[i]));
    }
    state.PauseTiming();
    s.reset();
    state.ResumeTiming();
  }
  ReportCounters(state, static_cast<int64_t>(num_pods) * state.iterations(), total_seconds,
                 sched_cpu, proc_cpu, &latencies);
}

// Records evictions; the benchmark deletes the victims from the scheduler afterwards, as the
// API server's watch would.
class BenchClusterAccess : public ClusterAccess {
 public:
  std::vector<std::shared_ptr<const api::policy::v1::PodDisruptionBudget>> ListPDBs()
      const override {
    return {};
  }
  absl::Status EvictVictim(const Pod& victim, const Pod&) override {
    evicted.push_back(victim);
    return absl::OkStatus();
  }
  absl::Status SetNominatedNodeName(const Pod&, const std::string&) override {
    return absl::OkStatus();
  }
  std::vector<Pod> evicted;
};

// 5,000 nodes (4 cpu) each full with 4 low-priority pods of 1 cpu; then `num_pods`
// high-priority pods of 1 cpu, each of which must preempt one victim (Kubernetes'
// PreemptionBasic shape). Evicted victims are deleted before the next cycle; the preemptor
// binds on a later attempt.
void RunPreemption(benchmark::State& state) {
  const int num_nodes = static_cast<int>(state.range(0));
  const int num_pods = static_cast<int>(state.range(1));
  double total_seconds = 0, sched_cpu = 0, proc_cpu = 0;
  std::vector<double> latencies;
  for (auto _ : state) {
    RecordingBinder binder;
    BenchClusterAccess cluster;
    std::vector<absl::Time> started(num_pods, absl::InfiniteFuture()), bound(num_pods);
    std::atomic<int> done{0};
    SchedulerOptions o;
    o.binder = &binder;
    o.cluster = &cluster;
    o.binding_workers = 1;
    o.config.parallelism = static_cast<int>(state.range(2));
    o.config.pod_initial_backoff_seconds = 0;
    o.config.pod_max_backoff_seconds = 0;
    o.on_bound = [&](const Pod& p, const std::string&) {
      int i = 0;
      (void)absl::SimpleAtoi(absl::string_view(p.metadata().name()).substr(1), &i);
      bound[i] = absl::Now();
      done.fetch_add(1, std::memory_order_release);
    };
    std::unique_ptr<Scheduler> s = *Scheduler::Create(std::move(o));
    for (int i = 0; i < num_nodes; ++i) {
      std::string name = absl::StrCat("node-", i);
      (void)s->AddNode(
          NodeBuilder(name).Capacity("4", "32Gi", "110").Label("kubernetes.io/hostname", name));
      for (int k = 0; k < 4; ++k) {
        Pod low = PodBuilder(absl::StrCat("low-", i, "-", k)).Req("1").Priority(0).NodeName(name);
        low.mutable_status()->mutable_starttime()->set_seconds(1000 + k);
        (void)s->AddPod(low);
      }
    }
    std::vector<Pod> pods;
    for (int i = 0; i < num_pods; ++i)
      pods.push_back(PodBuilder(absl::StrCat("p", i)).Req("1").Priority(1000));
    const double c0 = ThreadCpuMicros(), pc0 = ProcessCpuMicros();
    absl::Time t0 = absl::Now();
    for (const Pod& p : pods) (void)s->AddPod(p);
    int guard = 0;
    while (done.load(std::memory_order_acquire) < num_pods && guard < 10 * num_pods) {
      std::optional<ScheduleResult> r = s->ScheduleOne();
      if (!r) {
        s->WaitForBindings();
        s->queue().FlushBackoffQCompleted();
        if (s->queue().NumActive() == 0) s->queue().FlushUnschedulableLeftover();
        ++guard;
        continue;
      }
      int i = 0;
      (void)absl::SimpleAtoi(absl::string_view(r->pod).substr(std::string("default/p").size()), &i);
      if (started[i] == absl::InfiniteFuture()) started[i] = absl::Now();
      for (const Pod& v : cluster.evicted) (void)s->DeletePod(v);
      cluster.evicted.clear();
      ++guard;
    }
    s->WaitForBindings();
    absl::Time t1 = absl::Now();
    sched_cpu += ThreadCpuMicros() - c0;
    proc_cpu += ProcessCpuMicros() - pc0;
    total_seconds += absl::ToDoubleSeconds(t1 - t0);
    state.SetIterationTime(absl::ToDoubleSeconds(t1 - t0));
    if (done.load(std::memory_order_acquire) != num_pods) {
      state.SkipWithError("preemptors did not all bind");
      return;
    }
    for (int i = 0; i < num_pods; ++i) {
      latencies.push_back(absl::ToDoubleMicroseconds(bound[i] - started[i]));
    }
    state.PauseTiming();
    s.reset();
    state.ResumeTiming();
  }
  ReportCounters(state, static_cast<int64_t>(num_pods) * state.iterations(), total_seconds,
                 sched_cpu, proc_cpu, &latencies);
}

void BM_SchedulingBasic(benchmark::State& state) { RunScheduling(state, kRecording); }
void BM_SchedulingBasicMemoryStore(benchmark::State& state) { RunScheduling(state, kStore); }
void BM_SchedulingBasicWithoutSpreadAndAffinity(benchmark::State& state) {
  RunScheduling(state, kBasicWithoutSpreadAndAffinity);
}
void BM_SchedulingNodeAffinity(benchmark::State& state) { RunScheduling(state, kAffinity); }
void BM_SchedulingPodAntiAffinity(benchmark::State& state) { RunScheduling(state, kAntiAffinity); }
void BM_SchedulingTopologySpread(benchmark::State& state) { RunScheduling(state, kSpread); }
void BM_SchedulingPreemption(benchmark::State& state) { RunPreemption(state); }
void BM_SchedulingReplicaSets(benchmark::State& state) { RunScheduling(state, kReplicaSets); }

BENCHMARK(BM_SchedulingBasic)
    ->Args({5000, 10000, 1})
    ->Args({5000, 10000, 2})
    ->Args({5000, 50000, 1})
    ->Args({5000, 50000, 2})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SchedulingBasicWithoutSpreadAndAffinity)
    ->Args({5000, 10000, 1})
    ->Args({5000, 10000, 2})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SchedulingBasicMemoryStore)
    ->Args({5000, 10000, 1})
    ->Args({5000, 10000, 2})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SchedulingNodeAffinity)
    ->Args({5000, 10000, 1})
    ->Args({5000, 10000, 2})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
// Every pod has required anti-affinity (1,000 groups, hostname topology); InterPodAffinity is
// in the default profile.
BENCHMARK(BM_SchedulingPodAntiAffinity)
    ->Args({5000, 1000, 2})
    ->Args({5000, 2000, 2})
    ->Args({5000, 10000, 2})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
// 10 zones of 500 nodes; every pod has a zone DoNotSchedule constraint (maxSkew 1) over its
// group (10 groups).
BENCHMARK(BM_SchedulingTopologySpread)
    ->Args({5000, 2000, 2})
    ->Args({5000, 10000, 2})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
// 100 ReplicaSets' pods over 10 zones: the system default spreading scores each of them.
BENCHMARK(BM_SchedulingReplicaSets)
    ->Args({5000, 10000, 1})
    ->Args({5000, 10000, 2})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
// 20,000 low-priority pods fill 5,000 nodes; each high-priority pod preempts one.
BENCHMARK(BM_SchedulingPreemption)
    ->Args({5000, 500, 2})
    ->Args({5000, 1000, 2})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rudder::sched
