#include "lib/controllers/job/job.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/batch/v1/batch.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/mutex.h"
#include "lib/base/status_macros.h"
#include "lib/client/client.h"
#include "lib/controllers/runtime/builder.h"
#include "lib/controllers/runtime/controllerutil.h"

namespace rudder::controllers {
namespace {

using api::batch::v1::Job;
using api::batch::v1::JobCondition;
using api::batch::v1::JobStatus;
using api::core::v1::Pod;

bool IsTrue(const JobStatus& s, const std::string& type, absl::Time* when = nullptr) {
  for (const JobCondition& c : s.conditions()) {
    if (c.type() == type && c.status() == "True") {
      if (when != nullptr) *when = api::ToAbslTime(c.lasttransitiontime());
      return true;
    }
  }
  return false;
}

bool Finished(const JobStatus& s) { return IsTrue(s, "Complete") || IsTrue(s, "Failed"); }

// Sets condition `type` (adding it or changing it); the transition time moves only when the
// status changes.
void SetCondition(JobStatus* s, const std::string& type, const std::string& status,
                  const std::string& reason, const std::string& message, absl::Time now) {
  for (JobCondition& c : *s->mutable_conditions()) {
    if (c.type() != type) continue;
    if (c.status() != status) {
      c.set_status(status);
      *c.mutable_lasttransitiontime() = api::FromAbslTime(now);
    }
    *c.mutable_lastprobetime() = api::FromAbslTime(now);
    c.set_reason(reason);
    c.set_message(message);
    return;
  }
  JobCondition* c = s->add_conditions();
  c->set_type(type);
  c->set_status(status);
  c->set_reason(reason);
  c->set_message(message);
  *c->mutable_lastprobetime() = api::FromAbslTime(now);
  *c->mutable_lasttransitiontime() = api::FromAbslTime(now);
}

bool PodReady(const Pod& p) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

bool Succeeded(const Pod& p) { return p.status().phase() == "Succeeded"; }
// Failed, or deleted before it succeeded (as Kubernetes counts them).
bool FailedPod(const Pod& p) {
  return p.status().phase() == "Failed" ||
         (p.metadata().has_deletiontimestamp() && p.status().phase() != "Succeeded");
}
bool Terminated(const Pod& p) { return Succeeded(p) || FailedPod(p); }

int PodIndex(const Pod& p) {
  auto it = p.metadata().annotations().find(kJobCompletionIndex);
  if (it == p.metadata().annotations().end()) return -1;
  int i;
  if (!absl::SimpleAtoi(it->second, &i) || i < 0) return -1;
  return i;
}

// When the pod finished: the latest container termination, else its newest condition change.
std::optional<absl::Time> FinishTime(const Pod& p) {
  std::optional<absl::Time> t;
  for (const auto& cs : p.status().containerstatuses()) {
    if (cs.state().has_terminated() && cs.state().terminated().has_finishedat()) {
      absl::Time f = api::ToAbslTime(cs.state().terminated().finishedat());
      if (!t || f > *t) t = f;
    }
  }
  if (t) return t;
  for (const auto& c : p.status().conditions()) {
    if (!c.has_lasttransitiontime()) continue;
    absl::Time f = api::ToAbslTime(c.lasttransitiontime());
    if (!t || f > *t) t = f;
  }
  return t;
}

std::set<int> ParseIndexes(const std::string& text) {
  std::set<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> ends = absl::StrSplit(part, '-');
    int a, b;
    if (ends.size() == 1 && absl::SimpleAtoi(ends[0], &a)) {
      out.insert(a);
    } else if (ends.size() == 2 && absl::SimpleAtoi(ends[0], &a) && absl::SimpleAtoi(ends[1], &b) &&
               a <= b) {
      for (int i = a; i <= b; ++i) out.insert(i);
    }
  }
  return out;
}

// "1,3-5,7": Kubernetes' completedIndexes format.
std::string FormatIndexes(const std::set<int>& indexes) {
  std::string out;
  auto it = indexes.begin();
  while (it != indexes.end()) {
    int first = *it, last = *it;
    for (++it; it != indexes.end() && *it == last + 1; ++it) last = *it;
    if (!out.empty()) out += ',';
    absl::StrAppend(&out, first);
    if (last > first) absl::StrAppend(&out, "-", last);
  }
  return out;
}

bool HasFinalizer(const Pod& p) {
  for (const std::string& f : p.metadata().finalizers()) {
    if (f == kJobTrackingFinalizer) return true;
  }
  return false;
}

// Removes the tracking finalizer from `pod` (NotFound: gone already).
absl::Status RemoveTracking(client::TypedClient<Pod>& pods, const Pod& pod) {
  if (!HasFinalizer(pod)) return absl::OkStatus();
  Pod copy = pod;
  auto* fs = copy.mutable_metadata()->mutable_finalizers();
  fs->erase(std::remove(fs->begin(), fs->end(), std::string(kJobTrackingFinalizer)), fs->end());
  absl::StatusOr<std::unique_ptr<Pod>> r = pods.Update(copy);
  if (absl::IsNotFound(r.status())) return absl::OkStatus();
  return r.status();
}

absl::Status DeletePod(client::TypedClient<Pod>& pods, const Pod& pod) {
  RUDDER_RETURN_IF_ERROR(RemoveTracking(pods, pod));
  absl::Status s = pods.Delete(pod.metadata().namespace_(), pod.metadata().name());
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

// Pods of `job`: those whose controller reference is the job.
absl::StatusOr<std::vector<std::unique_ptr<Pod>>> JobPods(client::Client* c, const Job& job) {
  client::TypedClient<Pod> pods(c);
  RUDDER_ASSIGN_OR_RETURN(client::TypedList<Pod> list, pods.List(job.metadata().namespace_()));
  std::vector<std::unique_ptr<Pod>> out;
  for (std::unique_ptr<Pod>& p : list.items) {
    for (const auto& ref : p->metadata().ownerreferences()) {
      if (ref.controller() && ref.uid() == job.metadata().uid()) {
        out.push_back(std::move(p));
        break;
      }
    }
  }
  return out;
}

class JobReconciler : public ctrl::Reconciler {
 public:
  JobReconciler(ctrl::Manager* manager, JobControllerOptions options)
      : manager_(manager), options_(options) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    client::Client* c = cluster->GetClient();
    client::TypedClient<Job> jobs(c);
    client::TypedClient<Pod> pods(c);
    absl::StatusOr<std::unique_ptr<Job>> got = jobs.Get(req.ns, req.name);
    if (absl::IsNotFound(got.status())) {
      ForgetObserved(req.String(), {});
      return ctrl::Result{};
    }
    if (!got.ok()) return got.status();
    std::unique_ptr<Job> job = *std::move(got);
    const absl::Time now = manager_->clock()->Now();
    RUDDER_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Pod>> all, JobPods(c, *job));
    const std::string key = req.String();
    {
      std::set<std::string> uids;
      for (const auto& p : all) uids.insert(p->metadata().uid());
      ForgetObserved(key, uids);
    }

    if (job->metadata().has_deletiontimestamp()) {
      for (const auto& p : all) RUDDER_RETURN_IF_ERROR(RemoveTracking(pods, *p));
      return ctrl::Result{};
    }
    const bool indexed = job->spec().completionmode() == "Indexed";

    // --- Tracking, step 1: record newly terminated pods as uncounted.
    JobStatus status = job->status();
    std::set<std::string> unc_ok(status.uncountedterminatedpods().succeeded().begin(),
                                 status.uncountedterminatedpods().succeeded().end());
    std::set<std::string> unc_failed(status.uncountedterminatedpods().failed().begin(),
                                     status.uncountedterminatedpods().failed().end());
    std::set<int> completed = ParseIndexes(status.completedindexes());
    bool recorded = false;
    for (const auto& p : all) {
      if (!HasFinalizer(*p) || !Terminated(*p)) continue;
      const std::string& uid = p->metadata().uid();
      if (unc_ok.count(uid) > 0 || unc_failed.count(uid) > 0) continue;
      recorded = true;
      if (Succeeded(*p)) {
        unc_ok.insert(uid);
        int i = PodIndex(*p);
        if (indexed && i >= 0 && i < job->spec().completions()) completed.insert(i);
      } else {
        unc_failed.insert(uid);
      }
    }
    auto put_uncounted = [&](JobStatus* s) {
      auto* u = s->mutable_uncountedterminatedpods();
      u->clear_succeeded();
      u->clear_failed();
      for (const std::string& uid : unc_ok) u->add_succeeded(uid);
      for (const std::string& uid : unc_failed) u->add_failed(uid);
      if (indexed) s->set_completedindexes(FormatIndexes(completed));
    };
    if (recorded) {
      put_uncounted(&status);
      Job write = *job;
      *write.mutable_status() = status;
      RUDDER_ASSIGN_OR_RETURN(job, jobs.UpdateStatus(write));
    }
    // Step 2: the recorded pods lose their finalizer.
    std::map<std::string, const Pod*> by_uid;
    for (const auto& p : all) by_uid[p->metadata().uid()] = p.get();
    for (const std::set<std::string>* set : {&unc_ok, &unc_failed}) {
      for (const std::string& uid : *set) {
        auto it = by_uid.find(uid);
        if (it != by_uid.end()) RUDDER_RETURN_IF_ERROR(RemoveTracking(pods, *it->second));
      }
    }
    // Step 3: they are counted (written below with the rest of the status).
    status.set_succeeded(status.succeeded() + static_cast<int>(unc_ok.size()));
    status.set_failed(status.failed() + static_cast<int>(unc_failed.size()));
    unc_ok.clear();
    unc_failed.clear();
    put_uncounted(&status);

    // Active pods and failure counts.
    std::vector<const Pod*> active;
    int32_t ready = 0, restarts = 0;
    std::optional<absl::Time> last_success, last_failure;
    for (const auto& p : all) {
      if (Terminated(*p)) {
        std::optional<absl::Time> t = FinishTime(*p);
        if (!t) t = ObservedFinish(key, p->metadata().uid(), now);
        std::optional<absl::Time>& slot = Succeeded(*p) ? last_success : last_failure;
        if (!slot || *t > *slot) slot = t;
        continue;
      }
      if (p->metadata().has_deletiontimestamp()) continue;
      active.push_back(p.get());
      if (PodReady(*p)) ++ready;
      for (const auto& cs : p->status().initcontainerstatuses()) restarts += cs.restartcount();
      for (const auto& cs : p->status().containerstatuses()) restarts += cs.restartcount();
    }
    // Consecutive failures since the last success, for the back-off.
    int recent_failures = 0;
    for (const auto& p : all) {
      if (!FailedPod(*p)) continue;
      std::optional<absl::Time> t = FinishTime(*p);
      if (!t) t = ObservedFinish(key, p->metadata().uid(), now);
      if (!last_success || *t > *last_success) ++recent_failures;
    }

    ctrl::Result result;
    int created = 0;
    auto requeue_in = [&](absl::Duration d) {
      if (d <= absl::ZeroDuration()) d = absl::Nanoseconds(1);
      if (result.requeue_after <= absl::ZeroDuration() || d < result.requeue_after) {
        result.requeue_after = d;
      }
    };
    auto delete_active = [&]() -> absl::Status {
      for (const Pod* p : active) RUDDER_RETURN_IF_ERROR(DeletePod(pods, *p));
      active.clear();
      ready = 0;
      return absl::OkStatus();
    };

    const int32_t parallelism = job->spec().parallelism();
    const bool has_completions = job->spec().has_completions();
    const int32_t completions = job->spec().completions();
    if (Finished(status)) {
      RUDDER_RETURN_IF_ERROR(delete_active());
    } else if (job->spec().suspend()) {
      RUDDER_RETURN_IF_ERROR(delete_active());
      if (!IsTrue(status, "Suspended")) {
        SetCondition(&status, "Suspended", "True", "JobSuspended", "Job suspended", now);
      }
      status.clear_starttime();  // The deadline counts again from the resume.
    } else {
      if (IsTrue(status, "Suspended")) {
        SetCondition(&status, "Suspended", "False", "JobResumed", "Job resumed", now);
      }
      if (!status.has_starttime()) *status.mutable_starttime() = api::FromAbslTime(now);
      const absl::Time start = api::ToAbslTime(status.starttime());
      const bool on_failure = job->spec().template_().spec().restartpolicy() == "OnFailure";
      const int32_t limit = job->spec().backofflimit();
      bool exceeded = status.failed() > limit;
      if (on_failure) {
        exceeded = exceeded || (limit == 0 ? restarts > 0 : restarts >= limit);
      }
      std::optional<absl::Time> deadline;
      if (job->spec().has_activedeadlineseconds()) {
        deadline = start + absl::Seconds(job->spec().activedeadlineseconds());
      }
      const int succeeded = indexed ? static_cast<int>(completed.size()) : status.succeeded();
      bool complete = false;
      if (indexed || has_completions) {
        complete = succeeded >= completions;
      } else {
        complete = status.succeeded() > 0 && active.empty();
      }
      if (!complete && exceeded) {
        RUDDER_RETURN_IF_ERROR(delete_active());
        SetCondition(&status, "Failed", "True", "BackoffLimitExceeded",
                     "Job has reached the specified backoff limit", now);
      } else if (!complete && deadline && now >= *deadline) {
        RUDDER_RETURN_IF_ERROR(delete_active());
        SetCondition(&status, "Failed", "True", "DeadlineExceeded",
                     "Job was active longer than specified deadline", now);
      } else if (complete) {
        RUDDER_RETURN_IF_ERROR(delete_active());
        SetCondition(&status, "Complete", "True", "CompletionsReached", "", now);
        *status.mutable_completiontime() = api::FromAbslTime(now);
      } else {
        if (deadline) requeue_in(*deadline - now);
        // How many pods should run, and which indexes.
        std::vector<int> missing;  // Indexed: indexes neither completed nor running.
        int want;
        if (indexed) {
          std::set<int> running;
          for (const Pod* p : active) running.insert(PodIndex(*p));
          for (int i = 0; i < completions; ++i) {
            if (completed.count(i) == 0 && running.count(i) == 0) missing.push_back(i);
          }
          want = std::min<int>(parallelism, completions - static_cast<int>(completed.size()));
        } else if (has_completions) {
          want = std::min<int>(parallelism, completions - status.succeeded());
        } else {
          want = status.succeeded() > 0 ? 0 : parallelism;
        }
        want = std::max(want, 0);
        const int have = static_cast<int>(active.size());
        if (have > want) {
          // Delete the newest (not ready first) pods beyond `want`.
          std::vector<const Pod*> order = active;
          std::stable_sort(order.begin(), order.end(),
                           [](const Pod* a, const Pod* b) { return PodReady(*a) < PodReady(*b); });
          for (int i = 0; i < have - want; ++i) RUDDER_RETURN_IF_ERROR(DeletePod(pods, *order[i]));
          active.erase(std::remove_if(active.begin(), active.end(),
                                      [&](const Pod* p) {
                                        for (int i = 0; i < have - want; ++i) {
                                          if (order[i] == p) return true;
                                        }
                                        return false;
                                      }),
                       active.end());
        } else if (have < want) {
          std::optional<absl::Time> not_before;
          if (recent_failures > 0 && last_failure) {
            absl::Duration d = options_.initial_backoff;
            for (int i = 1; i < recent_failures && d < options_.max_backoff; ++i) d *= 2;
            d = std::min(d, options_.max_backoff);
            not_before = *last_failure + d;
          }
          if (not_before && now < *not_before) {
            requeue_in(*not_before - now);
          } else {
            int n = want - have;
            if (indexed) n = std::min<int>(n, static_cast<int>(missing.size()));
            for (int i = 0; i < n; ++i) {
              RUDDER_RETURN_IF_ERROR(
                  CreatePod(cluster.get(), *job, indexed ? missing[i] : -1, pods));
            }
            created = n;
          }
        }
      }
    }
    status.set_active(static_cast<int>(active.size()) + created);
    status.set_ready(ready);
    if (!google::protobuf::util::MessageDifferencer::Equals(status, job->status())) {
      Job write = *job;
      *write.mutable_status() = status;
      RUDDER_RETURN_IF_ERROR(jobs.UpdateStatus(write).status());
    }
    return result;
  }

 private:
  absl::Status CreatePod(ctrl::Cluster* cluster, const Job& job, int index,
                         client::TypedClient<Pod>& pods) {
    const auto& tmpl = job.spec().template_();
    Pod pod;
    auto* m = pod.mutable_metadata();
    m->set_namespace_(job.metadata().namespace_());
    *m->mutable_labels() = tmpl.metadata().labels();
    *m->mutable_annotations() = tmpl.metadata().annotations();
    (*m->mutable_labels())[kJobControllerUid] = job.metadata().uid();
    (*m->mutable_labels())[kJobName] = job.metadata().name();
    (*m->mutable_labels())["controller-uid"] = job.metadata().uid();
    (*m->mutable_labels())["job-name"] = job.metadata().name();
    m->add_finalizers(kJobTrackingFinalizer);
    *pod.mutable_spec() = tmpl.spec();
    if (index >= 0) {
      std::string idx = absl::StrCat(index);
      m->set_generatename(absl::StrCat(job.metadata().name(), "-", idx, "-"));
      (*m->mutable_annotations())[kJobCompletionIndex] = idx;
      (*m->mutable_labels())[kJobCompletionIndex] = idx;
      if (pod.spec().hostname().empty()) {
        pod.mutable_spec()->set_hostname(absl::StrCat(job.metadata().name(), "-", idx));
      }
      for (auto* containers : {pod.mutable_spec()->mutable_containers(),
                               pod.mutable_spec()->mutable_initcontainers()}) {
        for (auto& container : *containers) {
          auto* env = container.add_env();
          env->set_name("JOB_COMPLETION_INDEX");
          env->mutable_valuefrom()->mutable_fieldref()->set_fieldpath(
              absl::StrCat("metadata.annotations['", kJobCompletionIndex, "']"));
        }
      }
    } else {
      m->set_generatename(absl::StrCat(job.metadata().name(), "-"));
    }
    RUDDER_RETURN_IF_ERROR(ctrl::SetControllerReference(job, &pod, cluster->scheme()));
    return pods.Create(pod).status();
  }

  // The first time this controller saw pod `uid` of job `key` terminated without a finish
  // time.
  absl::Time ObservedFinish(const std::string& key, const std::string& uid, absl::Time now) {
    MutexLock lock(&mu_);
    auto [it, inserted] = observed_[key].emplace(uid, now);
    return it->second;
  }
  // Drops what was observed of job `key`'s pods other than `keep`.
  void ForgetObserved(const std::string& key, const std::set<std::string>& keep) {
    MutexLock lock(&mu_);
    auto it = observed_.find(key);
    if (it == observed_.end()) return;
    std::erase_if(it->second, [&](const auto& e) { return keep.count(e.first) == 0; });
    if (it->second.empty()) observed_.erase(it);
  }

  ctrl::Manager* const manager_;
  const JobControllerOptions options_;
  Mutex mu_;
  std::map<std::string, std::map<std::string, absl::Time>> observed_ ABSL_GUARDED_BY(mu_);
};

class TtlReconciler : public ctrl::Reconciler {
 public:
  explicit TtlReconciler(ctrl::Manager* manager) : manager_(manager) {}

  absl::StatusOr<ctrl::Result> Reconcile(const ctrl::Request& req) override {
    std::shared_ptr<ctrl::Cluster> cluster = manager_->GetCluster(req.cluster);
    if (cluster == nullptr) return ctrl::Result{};
    client::Client* c = cluster->GetClient();
    client::TypedClient<Job> jobs(c);
    absl::StatusOr<std::unique_ptr<Job>> job = jobs.Get(req.ns, req.name);
    if (absl::IsNotFound(job.status())) return ctrl::Result{};
    if (!job.ok()) return job.status();
    const JobStatus& s = (*job)->status();
    if (!(*job)->spec().has_ttlsecondsafterfinished() || (*job)->metadata().has_deletiontimestamp())
      return ctrl::Result{};
    absl::Time finished;
    if (!IsTrue(s, "Complete", &finished) && !IsTrue(s, "Failed", &finished)) {
      return ctrl::Result{};
    }
    if (s.has_completiontime()) finished = api::ToAbslTime(s.completiontime());
    const absl::Time expire = finished + absl::Seconds((*job)->spec().ttlsecondsafterfinished());
    const absl::Time now = manager_->clock()->Now();
    if (now < expire) return ctrl::Result{.requeue_after = expire - now};
    // The job's pods go with it (there is no garbage collector to follow ownerReferences).
    client::TypedClient<Pod> pods(c);
    RUDDER_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Pod>> owned, JobPods(c, **job));
    for (const auto& p : owned) RUDDER_RETURN_IF_ERROR(DeletePod(pods, *p));
    client::DeleteOptions opts;
    opts.precondition_uid = (*job)->metadata().uid();
    // Jobs default to orphaning their pods; the pods are gone already.
    opts.propagation_policy = apiserver::kPropagationBackground;
    absl::Status st = jobs.Delete(req.ns, req.name, opts);
    if (absl::IsNotFound(st)) return ctrl::Result{};
    if (!st.ok()) return st;
    return ctrl::Result{};
  }

 private:
  ctrl::Manager* const manager_;
};

}  // namespace

absl::Status AddJobController(ctrl::Manager* manager, JobControllerOptions options) {
  return ctrl::Builder(manager)
      .For<Job>()
      .Owns<Pod>()
      .Named("job")
      .WithOptions({.max_concurrent_reconciles = options.workers})
      .Complete(std::make_shared<JobReconciler>(manager, options));
}

absl::Status AddTtlAfterFinishedController(ctrl::Manager* manager) {
  return ctrl::Builder(manager)
      .For<Job>()
      .Named("ttl-after-finished")
      .Complete(std::make_shared<TtlReconciler>(manager));
}

}  // namespace rudder::controllers
