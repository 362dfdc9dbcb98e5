// EtcdCluster: real etcd processes on 127.0.0.1 for tests and benchmarks.
//
// Starts /usr/bin/etcd with one or more members on free loopback ports, data directories under
// $TEST_TMPDIR (or /tmp), and waits until every member answers Maintenance.Status with a leader.
// A member can be killed with SIGKILL and restarted on the same ports and data directory.
// The destructor kills every member and removes the data directories; each member also gets
// SIGKILL if the thread that started it dies (PR_SET_PDEATHSIG), so a crashing test leaves no
// stray etcd behind.
//
// Example:
//   auto cluster = EtcdCluster::Start({.members = 3});
//   if (absl::IsUnavailable(cluster.status())) GTEST_SKIP() << cluster.status();
//   EtcdStoreOptions options;
//   options.endpoints = (*cluster)->ClientEndpoints();
//   auto store = NewEtcdStore(options);
//
// Not thread-safe: drive one EtcdCluster from one thread (the stores talking to it may be used
// from any number of threads).
#ifndef RUDDER_LIB_STORE_ETCD_TESTING_ETCD_CLUSTER_H_
#define RUDDER_LIB_STORE_ETCD_TESTING_ETCD_CLUSTER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rudder::store::testing {

struct EtcdClusterOptions {
  int members = 1;
  std::string etcd_binary = "/usr/bin/etcd";
  // Parent of the cluster's temporary directory; empty = $TEST_TMPDIR, else /tmp.
  std::string data_root;
  // How long Start() and Restart() wait for the members to become healthy.
  absl::Duration start_timeout = absl::Seconds(30);
  // Raft timing. The defaults are shorter than etcd's (100 ms / 1 s): elections after a
  // killed leader take well under a second, and the smallest lease TTL is 1 s instead of 2 s.
  int heartbeat_interval_ms = 50;
  int election_timeout_ms = 500;
  // Period of etcd's progress notifications to watches that ask for them (etcd's default is
  // ten minutes).
  absl::Duration watch_progress_notify_interval = absl::Seconds(1);
};

// A running etcd cluster owned by the test. See the file comment.
class EtcdCluster {
 public:
  // Starts the cluster. Unavailable if the etcd binary is missing (tests then GTEST_SKIP);
  // DeadlineExceeded if it does not become healthy within start_timeout; Aborted (with the end
  // of its log) if a member keeps exiting at startup.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(const EtcdClusterOptions& options);

  // Kills every member (SIGKILL) and removes the data directories.
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  // "127.0.0.1:<port>" of every member's client (gRPC) listener, in member order.
  std::vector<std::string> ClientEndpoints() const;
  // The client endpoint of member `i`.
  std::string ClientEndpoint(int i) const;
  // Whether member `i` is running (was not killed).
  bool IsRunning(int i) const;
  // The directory with member `i`'s log file (`etcd.log`) and data.
  std::string MemberDir(int i) const;

  // The index of the current leader as the running members report it (Maintenance.Status).
  // Unavailable if no running member knows a leader.
  absl::StatusOr<int> Leader() const;

  // Sends SIGKILL to member `i` and reaps it.
  absl::Status Kill(int i);
  // Starts a killed member again (same name, ports and data) and waits until it is healthy.
  absl::Status Restart(int i);
  // Waits until every running member answers and all name the same running leader. Aborted if
  // a member exited on its own.
  absl::Status WaitHealthy(absl::Duration timeout) const;

 private:
  struct Member {
    std::string name;
    std::string dir;
    int client_port = 0;
    int peer_port = 0;
    // -1 when not running. Mutable: WaitHealthy() reaps a member that exited on its own.
    mutable pid_t pid = -1;
  };

  explicit EtcdCluster(EtcdClusterOptions options) : options_(std::move(options)) {}
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> StartOnce(const EtcdClusterOptions& options);
  absl::Status Spawn(int i, bool new_cluster);

  EtcdClusterOptions options_;
  std::string root_;
  std::string initial_cluster_;
  std::string token_;
  std::vector<Member> members_;
};

}  // namespace rudder::store::testing

#endif  // RUDDER_LIB_STORE_ETCD_TESTING_ETCD_CLUSTER_H_
