// WatchMux: every watch of one EtcdStore over a single etcd Watch stream, with one upstream etcd
// watch per watched key range shared by all local watchers of that range.
//
// A shared upstream feeds a WatchHub (lib/store/internal): each revision it receives becomes one
// immutable batch that the hub appends once to the log of the range's watcher group, so
// delivery costs O(1) per event and not O(watchers); only watchers waiting for data are woken.
// A private upstream (a start revision older than the shared one's history, or a range the hub
// does not index) delivers to its single LocalWatch.
//
// Guarantees:
//  - Each local watcher receives, in revision order and without gaps, every event of its range
//    from its start revision on (events of one revision never split across responses).
//  - A shared upstream keeps its most recent events (watch_history_events), so a new watcher
//    whose start revision is covered joins it; an older start gets its own upstream.
//  - Upstream watches always ask etcd for prev_kv and progress notifications; local watchers get
//    what they asked for.
//  - When the stream breaks (member killed), the mux reconnects to the next endpoint and
//    resumes every upstream from the revision after the last one it saw; only if no endpoint
//    answers within watch_resume_timeout do watchers end with Unavailable.
//  - A local watcher with more than max_buffered_events undelivered events is cut off with
//    ResourceExhausted; the upstream and the other watchers are unaffected.
// Thread-safe. Local watchers may outlive the mux: Shutdown() ends them with Cancelled.
#ifndef RUDDER_LIB_STORE_ETCD_INTERNAL_WATCH_MUX_H_
#define RUDDER_LIB_STORE_ETCD_INTERNAL_WATCH_MUX_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "lib/base/mutex.h"
#include "lib/store/etcd/internal/codec.h"
#include "lib/store/etcd/internal/connection.h"
#include "lib/store/etcd/proto/rpc.grpc.pb.h"
#include "lib/store/internal/watch_hub.h"
#include "lib/store/store.h"

namespace rudder::store::etcd_internal {

class WatchMux;

// An event as received once from etcd, shared by every local watcher it is delivered to:
// `with_prev` carries the previous key-value (when the key existed), `without_prev` does not
// (the same object when there is no previous value).
struct SharedEvent {
  std::shared_ptr<const WatchEvent> with_prev;
  std::shared_ptr<const WatchEvent> without_prev;
};

// Wraps an event for sharing.
SharedEvent Share(WatchEvent event);

// The state of one local watcher, shared by its Watcher handle and its upstream.
class LocalWatch {
 public:
  LocalWatch(int64_t start_revision, const WatchOptions& options)
      : start_(start_revision), options_(options) {}

  // The methods that queue a response return the ready callback to run (outside every lock),
  // or an empty function. Callbacks are edge-triggered: after one, no other until the consumer
  // reads, and a read returns every queued event response at once.

  // Queues events (ascending revisions; those below the start revision are skipped). Cuts the
  // watcher off with ResourceExhausted when it would exceed max_buffered_events.
  std::function<void()> PushEvents(const std::vector<SharedEvent>& events);
  // Queues a progress notification at `revision` if the watcher asked for periodic ones, or
  // always with `force`.
  std::function<void()> PushProgress(int64_t revision, bool force);
  // Ends the watch with `status` (the first end wins); `drop_queued` discards undelivered
  // responses.
  std::function<void()> End(absl::Status status, int64_t compact_revision, bool drop_queued);

  std::optional<WatchResponse> Next(absl::Duration timeout);
  // Like Next, without copying the events.
  std::optional<SharedWatchResponse> NextShared(absl::Duration timeout);
  void SetReadyCallback(std::function<void()> fn);
  // Whether the watch has ended (responses may still be queued).
  bool cut_off() const;
  int64_t start() const { return start_; }

 private:
  const int64_t start_;
  const WatchOptions options_;
  mutable Mutex mu_;
  CondVar cv_;
  // The ready callback to run for a newly queued response, unless one already ran since the
  // consumer last read.
  std::function<void()> Notify() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits up to `timeout` for a response and pops it, merged with the event responses queued
  // behind it; nullopt on timeout.
  std::optional<SharedWatchResponse> Pop(absl::Duration timeout);

  std::deque<SharedWatchResponse> queue_ ABSL_GUARDED_BY(mu_);
  size_t buffered_events_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_revision_ ABSL_GUARDED_BY(mu_) = 0;  // Highest revision queued (event/progress).
  std::optional<SharedWatchResponse> end_ ABSL_GUARDED_BY(mu_);
  std::function<void()> ready_ ABSL_GUARDED_BY(mu_);
  bool notified_ ABSL_GUARDED_BY(mu_) = false;  // ready_ ran since the consumer last read.
};

struct WatchMuxOptions {
  size_t history_events = 1000;
  absl::Duration resume_timeout = absl::Seconds(30);
};

class WatchMux : public std::enable_shared_from_this<WatchMux> {
 public:
  // `connection` and `codec` must outlive the mux.
  WatchMux(Connection* connection, const Codec* codec, WatchMuxOptions options);
  ~WatchMux();

  // Adds a local watcher of `range` (the store's keys), which is the etcd range [key, end), from
  // `start` (> 0, already validated). Destroying or cancelling the watcher detaches it (its
  // upstream is cancelled when it was the last one). The watcher may outlive the mux.
  std::unique_ptr<Watcher> Add(const KeyRange& range, const std::string& key,
                               const std::string& end, int64_t start, const WatchOptions& options);
  // Removes a private upstream's local watcher (its upstream is cancelled when it was the last).
  void Remove(const std::shared_ptr<LocalWatch>& local);
  // Removes a watcher of the shared upstream `upstream`'s hub.
  void RemoveHubWatcher(int64_t upstream, const Watcher* watcher);
  // Asks for a progress notification for a hub watcher (see RequestProgress).
  void RequestHubProgress(int64_t upstream, const std::shared_ptr<Watcher>& watcher);
  // Queues a progress notification for `local` at a revision at least the member's current
  // one when the request reached it. etcd's own answer to a progress request can overtake
  // events still in flight (before etcd 3.4.24/3.5.8), so its revision is only a target: the
  // notification is sent once the upstream has provably caught up with it, through an event
  // or one of etcd's per-watch progress notifications (sent every
  // --experimental-watch-progress-notify-interval, ten minutes by default).
  void RequestProgress(const std::shared_ptr<LocalWatch>& local);
  // Ends every watcher with Cancelled and stops the stream thread. Idempotent.
  void Shutdown();

  // Number of upstream etcd watches (for tests).
  size_t UpstreamCountForTest();

 private:
  struct Upstream {
    int64_t id = 0;
    std::string key;
    std::string end;
    bool shared = true;
    int64_t start = 0;      // First revision etcd was asked for.
    int64_t caught_up = 0;  // Every event at or below this revision has been received.
    std::vector<std::shared_ptr<LocalWatch>> locals;
    // Shared upstreams: the fan-out to their local watchers, which the hub keeps, and those of
    // its watchers that asked for periodic progress notifications.
    std::shared_ptr<store_internal::WatchHub> hub;
    std::map<const Watcher*, std::shared_ptr<Watcher>> hub_watchers;
    uint64_t generation = 0;  // Stream generation its create request was sent on.
    // Watchers waiting for a requested progress notification: the number of the stream's
    // progress request that answers them, and its revision once answered (0 before).
    struct ProgressWait {
      std::shared_ptr<LocalWatch> local;
      std::shared_ptr<Watcher> hub_watcher;  // Instead of `local`, on a shared upstream.
      uint64_t request = 0;
      int64_t target = 0;
    };
    std::vector<ProgressWait> progress_waits;
  };
  using Stream = grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;

  void Run();
  // Opens a stream on a connected endpoint and sends every upstream's create request.
  bool Connect() ABSL_LOCKS_EXCLUDED(mu_);
  void SendCreate(Upstream& u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendCancel(int64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues a request for the writer thread.
  void Enqueue(etcdserverpb::WatchRequest req) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The writer thread: writes queued requests to the current stream, one at a time.
  void WriteLoop();
  void Dispatch(const etcdserverpb::WatchResponse& resp) ABSL_LOCKS_EXCLUDED(mu_);
  // Handles a response for the upstream at `it`.
  void DispatchWatch(std::map<int64_t, Upstream>::iterator it,
                     const etcdserverpb::WatchResponse& resp,
                     std::vector<std::function<void()>>* ready) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends a stream-wide progress request; returns its number.
  uint64_t SendProgressRequest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers the progress waits of `u` whose target it has caught up with.
  void ServeProgressWaits(Upstream& u, std::vector<std::function<void()>>* ready)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndAll(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  void EndUpstream(std::map<int64_t, Upstream>::iterator it, const absl::Status& status,
                   int64_t compact_revision, std::vector<std::function<void()>>* ready)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds a watcher to the hub of the shared upstream `u`; an error if the hub cannot serve
  // `start` (then the caller opens a private upstream).
  absl::StatusOr<std::unique_ptr<Watcher>> JoinHub(Upstream& u, const KeyRange& range,
                                                   int64_t start, const WatchOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Cancels the upstream at `it` if no local watcher is left.
  void MaybeCancel(std::map<int64_t, Upstream>::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Detaches the cut-off watchers of an upstream, cancelling it when none is left.
  void DropCutOff(std::map<int64_t, Upstream>::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Connection* const connection_;
  const Codec* const codec_;
  const WatchMuxOptions options_;

  Mutex mu_;
  CondVar cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<int64_t, Upstream> upstreams_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, int64_t> shared_ ABSL_GUARDED_BY(mu_);
  std::map<const LocalWatch*, int64_t> owner_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Progress requests sent and answered on the current stream.
  uint64_t progress_sent_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t progress_answered_ ABSL_GUARDED_BY(mu_) = 0;
  // Requests waiting for the writer thread, and whether it is writing one right now.
  std::deque<etcdserverpb::WatchRequest> outbox_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::ClientContext> ctx_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Stream> stream_ ABSL_GUARDED_BY(mu_);
  Endpoint* endpoint_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;  // Reads the stream (and reconnects).
  std::thread writer_;  // Writes to it.
};

}  // namespace rudder::store::etcd_internal

#endif  // RUDDER_LIB_STORE_ETCD_INTERNAL_WATCH_MUX_H_
