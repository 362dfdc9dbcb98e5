#include "lib/store/etcd/testing/shared_etcd.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "lib/base/mutex.h"
#include "lib/store/etcd/etcd_store.h"
#include "lib/store/etcd/testing/etcd_cluster.h"

namespace rudder::store::testing {
namespace {

struct SharedCluster {
  Mutex mu;
  bool started ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
  std::unique_ptr<EtcdCluster> cluster ABSL_GUARDED_BY(mu);
  int64_t stores ABSL_GUARDED_BY(mu) = 0;
};

SharedCluster& Shared() {
  static SharedCluster* shared = new SharedCluster;
  return *shared;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewStoreOnSharedEtcd() {
  SharedCluster& shared = Shared();
  EtcdStoreOptions options;
  {
    MutexLock lock(&shared.mu);
    if (!shared.started) {
      shared.started = true;
      auto cluster = EtcdCluster::Start({});
      if (cluster.ok()) {
        shared.cluster = *std::move(cluster);
        std::atexit([] {
          MutexLock lock(&Shared().mu);
          Shared().cluster.reset();
        });
      } else {
        shared.status = cluster.status();
      }
    }
    if (shared.cluster == nullptr) {
      return absl::UnavailableError(absl::StrCat("etcd not available: ", shared.status.message()));
    }
    options.endpoints = shared.cluster->ClientEndpoints();
    options.key_prefix = absl::StrCat("/shared-etcd/", ++shared.stores, "/");
  }
  return NewEtcdStore(options);
}

}  // namespace rudder::store::testing
