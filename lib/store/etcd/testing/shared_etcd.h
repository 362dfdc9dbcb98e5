// A process-wide etcd for benchmarks and tests that just need "an etcd-backed Store".
//
// Example (a benchmark backend factory):
//   .make = [] { return rudder::store::testing::NewStoreOnSharedEtcd(); },
#ifndef RUDDER_LIB_STORE_ETCD_TESTING_SHARED_ETCD_H_
#define RUDDER_LIB_STORE_ETCD_TESTING_SHARED_ETCD_H_

#include <memory>

#include "absl/status/statusor.h"
#include "lib/store/store.h"

namespace rudder::store::testing {

// Returns an EtcdStore over a fresh, empty key prefix of one single-member etcd cluster that
// the process starts on first use (EtcdCluster defaults) and kills at exit. Unavailable if
// etcd is not installed or did not start. Thread-safe.
absl::StatusOr<std::unique_ptr<Store>> NewStoreOnSharedEtcd();

}  // namespace rudder::store::testing

#endif  // RUDDER_LIB_STORE_ETCD_TESTING_SHARED_ETCD_H_
