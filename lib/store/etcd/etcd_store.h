// EtcdStore: the Store (lib/store/store.h) as a client of an etcd v3 cluster.
//
// Every Store call maps onto etcd's gRPC API (KV.Range, KV.Txn, KV.Compact, the Lease service
// and one multiplexed Watch stream), so revisions, compaction and leases are etcd's own.
// Guarantees beyond store.h:
//  - Failover: calls go to one endpoint at a time and move to the next when it cannot be
//    reached; reads are retried on another endpoint, writes only when they certainly were not
//    applied (otherwise Unavailable, and the caller decides, as with any Unavailable).
//  - Watches share one upstream etcd watch per key range, survive a member's death (resumed on
//    another endpoint from the next revision), and cut off watchers that fall behind.
//  - key_prefix namespaces the store: keys are stored under it and returned without it, so
//    several stores (API servers) can share one cluster. The revision is the cluster's, so
//    writes under other prefixes advance it too.
//
// Example:
//   EtcdStoreOptions options;
//   options.endpoints = {"10.0.0.1:2379", "10.0.0.2:2379", "10.0.0.3:2379"};
//   options.key_prefix = "/registry-a/";
//   RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, NewEtcdStore(options));
//
// Thread-safe, like every Store.
#ifndef RUDDER_LIB_STORE_ETCD_ETCD_STORE_H_
#define RUDDER_LIB_STORE_ETCD_ETCD_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/store/store.h"

namespace rudder::store {

struct EtcdStoreOptions {
  // Client endpoints as "host:port" (an "http://" scheme is accepted; TLS is not supported).
  std::vector<std::string> endpoints = {"127.0.0.1:2379"};
  // Prepended to every key in etcd and stripped from every key returned.
  std::string key_prefix;
  // How long to wait for a connection to one endpoint before trying the next.
  absl::Duration dial_timeout = absl::Seconds(2);
  // The deadline of one Store call, retries and failover included.
  absl::Duration request_timeout = absl::Seconds(10);
  // Events each shared upstream watch keeps, so that new watchers starting at a recent
  // revision share it instead of opening their own.
  size_t watch_history_events = 1000;
  // How long a broken watch stream may stay without any endpoint before watchers end with
  // Unavailable.
  absl::Duration watch_resume_timeout = absl::Seconds(30);
};

// Connects to etcd. InvalidArgument for bad options; Unavailable if no endpoint answers a
// read within the request timeout.
absl::StatusOr<std::unique_ptr<Store>> NewEtcdStore(const EtcdStoreOptions& options);

}  // namespace rudder::store

#endif  // RUDDER_LIB_STORE_ETCD_ETCD_STORE_H_
