// Connection: gRPC channels to every etcd endpoint, and calls with failover between them.
//
// One channel per endpoint; calls go to a preferred endpoint, which moves to the next one when
// the preferred one cannot be reached. A call is retried on another endpoint only when that is
// safe: reads on any Unavailable/DeadlineExceeded, writes only when they were certainly not
// applied (the channel was not connected, or etcd answered "no leader"). An ambiguous write
// failure is returned as Unavailable. Thread-safe.
#ifndef RUDDER_LIB_STORE_ETCD_INTERNAL_CONNECTION_H_
#define RUDDER_LIB_STORE_ETCD_INTERNAL_CONNECTION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "lib/store/etcd/proto/rpc.grpc.pb.h"

namespace rudder::store::etcd_internal {

// The stubs of one endpoint. Stubs are thread-safe.
struct Endpoint {
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
};

// Maps an etcd gRPC error to our codes (see store.h); compaction errors come back as
// OutOfRange with the message "compacted" for the caller to turn into CompactedError.
absl::Status FromGrpc(const grpc::Status& status, const std::string& endpoint);

// Whether `status` is etcd's "required revision has been compacted".
bool IsEtcdCompacted(const grpc::Status& status);

class Connection {
 public:
  Connection(const std::vector<std::string>& endpoints, absl::Duration dial_timeout,
             absl::Duration request_timeout);

  // Runs `call` on an endpoint with a context whose deadline is the request timeout, failing
  // over as the class comment says. `idempotent` marks calls that may run twice. Returns the
  // first non-retryable gRPC result mapped by FromGrpc, with compaction left to the caller
  // through `compacted` (set when etcd said the revision was compacted).
  using Call = std::function<grpc::Status(Endpoint&, grpc::ClientContext*)>;
  absl::Status Run(bool idempotent, const Call& call, bool* compacted = nullptr);

  // The endpoint to use now (for long-lived streams), after waiting up to the dial timeout
  // for one that connects; nullptr if none does.
  Endpoint* PickConnected();
  // Marks `ep` as failed so that later calls prefer the next endpoint.
  void MarkFailed(const Endpoint* ep);

  size_t size() const { return endpoints_.size(); }
  absl::Duration request_timeout() const { return request_timeout_; }

 private:
  // Whether the endpoint's channel is connected, waiting for it until `deadline` unless it is
  // known to be failing.
  bool Connected(Endpoint& ep, absl::Time deadline);

  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<size_t> preferred_{0};
  const absl::Duration dial_timeout_;
  const absl::Duration request_timeout_;
};

}  // namespace rudder::store::etcd_internal

#endif  // RUDDER_LIB_STORE_ETCD_INTERNAL_CONNECTION_H_
