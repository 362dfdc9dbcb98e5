// FakeClusterAccess: an in-memory ClusterAccess for scheduler tests. It serves the PDBs a test
// sets and records every eviction and nomination in call order. Thread-safe.
#ifndef RUDDER_LIB_SCHED_TESTING_FAKE_CLUSTER_ACCESS_H_
#define RUDDER_LIB_SCHED_TESTING_FAKE_CLUSTER_ACCESS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/mutex.h"
#include "lib/sched/framework.h"

namespace rudder::sched::testing {

class FakeClusterAccess : public ClusterAccess {
 public:
  // An eviction: the victim's and the preemptor's "namespace/name".
  struct Eviction {
    std::string victim;
    std::string preemptor;
  };
  // A nomination: the pod's "namespace/name" and the node ("" for a clear).
  struct Nomination {
    std::string pod;
    std::string node;
  };

  std::vector<std::shared_ptr<const api::policy::v1::PodDisruptionBudget>> ListPDBs()
      const override {
    MutexLock l(&mu_);
    return pdbs_;
  }
  absl::Status EvictVictim(const Pod& victim, const Pod& preemptor) override {
    MutexLock l(&mu_);
    if (!evict_error_.ok()) return evict_error_;
    evictions_.push_back({Key(victim), Key(preemptor)});
    return absl::OkStatus();
  }
  absl::Status SetNominatedNodeName(const Pod& pod, const std::string& node) override {
    MutexLock l(&mu_);
    nominations_.push_back({Key(pod), node});
    return absl::OkStatus();
  }

  // Adds a PDB served by ListPDBs.
  void AddPDB(api::policy::v1::PodDisruptionBudget pdb) {
    MutexLock l(&mu_);
    pdbs_.push_back(std::make_shared<const api::policy::v1::PodDisruptionBudget>(std::move(pdb)));
  }
  // EvictVictim fails with `s` while it is not OK (nothing is recorded).
  void SetEvictError(absl::Status s) {
    MutexLock l(&mu_);
    evict_error_ = std::move(s);
  }
  std::vector<Eviction> Evictions() const {
    MutexLock l(&mu_);
    return evictions_;
  }
  // The victims' "namespace/name" in eviction order.
  std::vector<std::string> EvictedPods() const {
    MutexLock l(&mu_);
    std::vector<std::string> out;
    for (const auto& e : evictions_) out.push_back(e.victim);
    return out;
  }
  std::vector<Nomination> Nominations() const {
    MutexLock l(&mu_);
    return nominations_;
  }

 private:
  static std::string Key(const Pod& p) {
    return p.metadata().namespace_() + "/" + p.metadata().name();
  }
  mutable Mutex mu_;
  std::vector<std::shared_ptr<const api::policy::v1::PodDisruptionBudget>> pdbs_
      ABSL_GUARDED_BY(mu_);
  std::vector<Eviction> evictions_ ABSL_GUARDED_BY(mu_);
  std::vector<Nomination> nominations_ ABSL_GUARDED_BY(mu_);
  absl::Status evict_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::sched::testing

#endif  // RUDDER_LIB_SCHED_TESTING_FAKE_CLUSTER_ACCESS_H_
