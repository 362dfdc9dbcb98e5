// Event recording: core/v1 Event objects about other objects, as client-go's tools/record.
//
// A controller reports what it did to an object ("Scaled up replica set web to 3") through an
// EventRecorder. Recording never blocks: the event is queued and an EventBroadcaster's own
// thread writes it. Before writing, the broadcaster
//  - rate-limits per object (a token bucket per involved object and source: `burst` events at
//    once, then one per `refill_interval`; excess events are dropped), and
//  - de-duplicates: an event with the same source, object, type, reason and message as one
//    written less than `dedup_window` ago is not written again; the earlier Event's count is
//    incremented and its lastTimestamp moved, by a patch (client-go's EventCorrelator).
// Event objects live in the involved object's namespace ("default" for cluster-scoped
// objects) and are named "<object name>.<hex nanoseconds>".
//
// Example:
//   auto broadcaster = EventBroadcaster::New(client, {.clock = &clock});
//   std::unique_ptr<EventRecorder> recorder =
//       broadcaster->NewRecorder({.component = "website-controller"});
//   recorder->Event(website, kEventTypeNormal, "Created", "created deployment web");
#ifndef RUDDER_LIB_CLIENT_RECORD_RECORD_H_
#define RUDDER_LIB_CLIENT_RECORD_RECORD_H_

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/base/clock.h"
#include "lib/base/mutex.h"
#include "lib/client/client.h"

namespace rudder::record {

// The two event types.
inline constexpr char kEventTypeNormal[] = "Normal";
inline constexpr char kEventTypeWarning[] = "Warning";

// Who reports events (Event.source, and reportingComponent/reportingInstance).
struct EventSource {
  std::string component;
  std::string host;
};

// Records events about objects. Thread-safe; never blocks on the API server.
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // Records an event about `obj` (any registered kind with metadata). `type` is
  // kEventTypeNormal or kEventTypeWarning; `reason` is a short UpperCamelCase word.
  virtual void Event(const google::protobuf::Message& obj, const std::string& type,
                     const std::string& reason, const std::string& message) = 0;
  // The same, with annotations copied into the Event's metadata.
  virtual void AnnotatedEvent(const google::protobuf::Message& obj,
                              const std::map<std::string, std::string>& annotations,
                              const std::string& type, const std::string& reason,
                              const std::string& message) = 0;
};

// How a broadcaster writes events. The defaults are client-go's.
struct BroadcasterOptions {
  // Time source of timestamps, rate limits and retries (borrowed); nullptr: Clock::Real().
  Clock* clock = nullptr;
  // Events waiting to be written beyond this are dropped.
  size_t queue_size = 1000;
  // Per-object token bucket: size and the time one token takes to come back.
  int burst = 25;
  absl::Duration refill_interval = absl::Minutes(5);
  // Identical events within this window are counted on the earlier Event.
  absl::Duration dedup_window = absl::Minutes(10);
  // How many distinct events and objects are remembered for de-duplication and rate limits.
  size_t cache_size = 4096;
  // Writes failing with Unavailable or Aborted are retried this many times, `retry_interval`
  // apart; other failures drop the event.
  int max_retries = 12;
  absl::Duration retry_interval = absl::Seconds(10);
};

// Counters of a broadcaster (monotonic).
struct BroadcasterStats {
  int64_t created = 0;       // Event objects created.
  int64_t patched = 0;       // Counts incremented on existing Events.
  int64_t rate_limited = 0;  // Dropped by the per-object rate limit.
  int64_t dropped = 0;       // Dropped because the queue was full, at shutdown or on errors.
};

// Writes the events of its recorders. Owns one writer thread; thread-safe.
class EventBroadcaster {
 public:
  // Writes through `client` (borrowed; must outlive the broadcaster).
  static std::unique_ptr<EventBroadcaster> New(client::Client* client,
                                               BroadcasterOptions options = {});
  ~EventBroadcaster();
  EventBroadcaster(const EventBroadcaster&) = delete;
  EventBroadcaster& operator=(const EventBroadcaster&) = delete;

  // A recorder reporting as `source`. It borrows the broadcaster (which must outlive it).
  std::unique_ptr<EventRecorder> NewRecorder(EventSource source);
  // Blocks until every event queued before the call has been written or dropped.
  void Flush();
  // Writes what is queued, then stops the writer; later events are dropped. Idempotent.
  void Shutdown();
  BroadcasterStats Stats() const;

 private:
  struct Pending {
    api::core::v1::Event event;
  };
  struct Seen {  // One de-duplication entry.
    std::string name;
    std::string ns;
    int32_t count = 0;
    absl::Time first;
    absl::Time last;
    std::list<std::string>::iterator lru;
  };
  struct Bucket {
    double tokens = 0;
    absl::Time last;
    std::list<std::string>::iterator lru;
  };
  class Recorder;

  EventBroadcaster(client::Client* client, BroadcasterOptions options);
  void Enqueue(api::core::v1::Event event);
  void WriteLoop();
  void Write(api::core::v1::Event event);
  bool Allow(const std::string& object_key, absl::Time now);
  // Runs `op`, retrying Unavailable and Aborted failures; returns the last result.
  absl::Status WithRetries(const std::function<absl::Status()>& op);

  client::Client* const client_;
  const BroadcasterOptions options_;
  Clock* const clock_;
  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  BroadcasterStats stats_ ABSL_GUARDED_BY(mu_);
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;  // Events taken in (written or not).
  uint64_t finished_ ABSL_GUARDED_BY(mu_) = 0;  // Of those, how many are written or dropped.
  // Only the writer thread touches these.
  absl::flat_hash_map<std::string, Seen> seen_;
  std::list<std::string> seen_lru_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
  std::list<std::string> bucket_lru_;
  std::thread writer_;
};

// A recorder that keeps "<type> <reason> <message>" strings in memory, for reconciler tests.
// Thread-safe.
class FakeRecorder : public EventRecorder {
 public:
  void Event(const google::protobuf::Message& obj, const std::string& type,
             const std::string& reason, const std::string& message) override;
  void AnnotatedEvent(const google::protobuf::Message& obj,
                      const std::map<std::string, std::string>& annotations,
                      const std::string& type, const std::string& reason,
                      const std::string& message) override;
  // The events recorded so far, oldest first.
  std::vector<std::string> Events() const;

 private:
  mutable Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rudder::record

#endif  // RUDDER_LIB_CLIENT_RECORD_RECORD_H_
