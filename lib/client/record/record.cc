#include "lib/client/record/record.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/api/object/object.h"
#include "lib/base/json_quote.h"

namespace rudder::record {
namespace {

using api::core::v1::Event;

constexpr char kEventsPlural[] = "events";

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(absl::ToUnixSeconds(t)),
                          absl::UTCTimeZone());
}

// The object an event is about (kind and apiVersion from the scheme).
std::string ObjectKeyOf(const Event& e) {
  const auto& o = e.involvedobject();
  return absl::StrCat(e.source().component(), "\x1f", e.source().host(), "\x1f", o.kind(), "\x1f",
                      o.apiversion(), "\x1f", o.namespace_(), "\x1f", o.name(), "\x1f", o.uid());
}

// What makes two events the same (client-go's getEventKey).
std::string EventKeyOf(const Event& e) {
  return absl::StrCat(ObjectKeyOf(e), "\x1f", e.involvedobject().fieldpath(), "\x1f", e.type(),
                      "\x1f", e.reason(), "\x1f", e.message());
}

}  // namespace

class EventBroadcaster::Recorder : public EventRecorder {
 public:
  Recorder(EventBroadcaster* b, EventSource source) : b_(b), source_(std::move(source)) {}

  void Event(const google::protobuf::Message& obj, const std::string& type,
             const std::string& reason, const std::string& message) override {
    AnnotatedEvent(obj, {}, type, reason, message);
  }
  void AnnotatedEvent(const google::protobuf::Message& obj,
                      const std::map<std::string, std::string>& annotations,
                      const std::string& type, const std::string& reason,
                      const std::string& message) override {
    const api::meta::v1::ObjectMeta* meta = api::GetObjectMeta(obj);
    if (meta == nullptr) return;  // Not an object: nothing to refer to.
    api::core::v1::Event e;
    auto* ref = e.mutable_involvedobject();
    std::shared_ptr<const api::KindInfo> kind =
        b_->client_->scheme().ByDescriptor(obj.GetDescriptor());
    if (kind != nullptr) {
      ref->set_kind(kind->gvk.kind);
      ref->set_apiversion(kind->gvk.ApiVersion());
    } else {
      ref->set_kind(obj.GetDescriptor()->name());
    }
    ref->set_namespace_(meta->namespace_());
    ref->set_name(meta->name());
    ref->set_uid(meta->uid());
    ref->set_resourceversion(meta->resourceversion());
    e.mutable_metadata()->set_namespace_(meta->namespace_().empty() ? "default"
                                                                    : meta->namespace_());
    for (const auto& [k, v] : annotations) (*e.mutable_metadata()->mutable_annotations())[k] = v;
    e.set_type(type);
    e.set_reason(reason);
    e.set_message(message);
    e.mutable_source()->set_component(source_.component);
    if (!source_.host.empty()) e.mutable_source()->set_host(source_.host);
    e.set_reportingcomponent(source_.component);
    e.set_reportinginstance(source_.host);
    b_->Enqueue(std::move(e));
  }

 private:
  EventBroadcaster* const b_;
  const EventSource source_;
};

std::unique_ptr<EventBroadcaster> EventBroadcaster::New(client::Client* client,
                                                        BroadcasterOptions options) {
  return std::unique_ptr<EventBroadcaster>(new EventBroadcaster(client, std::move(options)));
}

EventBroadcaster::EventBroadcaster(client::Client* client, BroadcasterOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
      writer_([this] { WriteLoop(); }) {}

EventBroadcaster::~EventBroadcaster() { Shutdown(); }

std::unique_ptr<EventRecorder> EventBroadcaster::NewRecorder(EventSource source) {
  return std::make_unique<Recorder>(this, std::move(source));
}

void EventBroadcaster::Enqueue(Event event) {
  MutexLock lock(&mu_);
  if (shutting_down_ || queue_.size() >= options_.queue_size) {
    ++stats_.dropped;
    return;
  }
  ++enqueued_;
  queue_.push_back(Pending{std::move(event)});
  cv_.SignalAll();
}

void EventBroadcaster::Flush() {
  MutexLock lock(&mu_);
  uint64_t target = enqueued_;
  while (finished_ < target) cv_.Wait(&mu_);
}

void EventBroadcaster::Shutdown() {
  {
    MutexLock lock(&mu_);
    shutting_down_ = true;
    cv_.SignalAll();
  }
  if (writer_.joinable()) writer_.join();
}

BroadcasterStats EventBroadcaster::Stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

void EventBroadcaster::WriteLoop() {
  while (true) {
    Pending p;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !shutting_down_) cv_.Wait(&mu_);
      if (queue_.empty()) return;
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    Write(std::move(p.event));
    MutexLock lock(&mu_);
    ++finished_;
    cv_.SignalAll();
  }
}

bool EventBroadcaster::Allow(const std::string& object_key, absl::Time now) {
  auto [it, inserted] = buckets_.try_emplace(object_key);
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = options_.burst;
    b.last = now;
    bucket_lru_.push_front(object_key);
    b.lru = bucket_lru_.begin();
    if (buckets_.size() > options_.cache_size) {
      std::string oldest = bucket_lru_.back();
      bucket_lru_.pop_back();
      buckets_.erase(oldest);
    }
  } else {
    bucket_lru_.splice(bucket_lru_.begin(), bucket_lru_, b.lru);
    if (options_.refill_interval > absl::ZeroDuration() && now > b.last) {
      b.tokens = std::min<double>(
          options_.burst, b.tokens + absl::FDivDuration(now - b.last, options_.refill_interval));
    }
    b.last = std::max(b.last, now);
  }
  // Re-find: the eviction above never removes the entry just added (it is at the front).
  Bucket& cur = buckets_.find(object_key)->second;
  if (cur.tokens < 1) return false;
  cur.tokens -= 1;
  return true;
}

absl::Status EventBroadcaster::WithRetries(const std::function<absl::Status()>& op) {
  absl::Status s;
  for (int attempt = 0;; ++attempt) {
    s = op();
    if (s.ok() || attempt >= options_.max_retries ||
        (!absl::IsUnavailable(s) && !absl::IsAborted(s))) {
      return s;
    }
    MutexLock lock(&mu_);
    absl::Time deadline = clock_->Now() + options_.retry_interval;
    while (!shutting_down_ && clock_->Now() < deadline) clock_->WaitUntil(&cv_, &mu_, deadline);
    if (shutting_down_) return s;
  }
}

void EventBroadcaster::Write(Event event) {
  absl::Time now = clock_->Now();
  auto count_stat = [this](int64_t BroadcasterStats::*field) {
    MutexLock lock(&mu_);
    ++(stats_.*field);
  };
  if (!Allow(ObjectKeyOf(event), now)) {
    count_stat(&BroadcasterStats::rate_limited);
    return;
  }
  std::shared_ptr<const api::KindInfo> kind =
      client_->scheme().ByResource({"", "v1", kEventsPlural});
  if (kind == nullptr) {
    count_stat(&BroadcasterStats::dropped);
    return;
  }

  const std::string key = EventKeyOf(event);
  auto it = seen_.find(key);
  if (it != seen_.end() && now - it->second.last < options_.dedup_window) {
    Seen& seen = it->second;
    int32_t count = seen.count + 1;
    std::string patch =
        absl::StrCat("{\"count\":", count, ",\"lastTimestamp\":", JsonQuote(Rfc3339(now)),
                     ",\"message\":", JsonQuote(event.message()), "}");
    absl::Status s = WithRetries([&] {
      return client_
          ->Patch(*kind, seen.ns, seen.name, client::PatchType::kStrategicMerge, patch,
                  /*status=*/false, {})
          .status();
    });
    if (s.ok()) {
      seen.count = count;
      seen.last = now;
      seen_lru_.splice(seen_lru_.begin(), seen_lru_, seen.lru);
      count_stat(&BroadcasterStats::patched);
      return;
    }
    if (!absl::IsNotFound(s)) {
      count_stat(&BroadcasterStats::dropped);
      return;
    }
    // The Event was deleted meanwhile: start a new one.
  }
  if (it != seen_.end()) {
    seen_lru_.erase(it->second.lru);
    seen_.erase(it);
  }

  const std::string ns = event.metadata().namespace_();
  *event.mutable_firsttimestamp() = api::FromAbslTime(now);
  *event.mutable_lasttimestamp() = api::FromAbslTime(now);
  event.set_count(1);
  int64_t nanos = absl::ToUnixNanos(now);
  absl::Status s;
  for (int attempt = 0; attempt < 8; ++attempt, ++nanos) {
    event.mutable_metadata()->set_name(
        absl::StrCat(event.involvedobject().name(), ".", absl::Hex(nanos)));
    s = WithRetries(
        [&] { return client_->Create(*kind, ns, std::make_unique<Event>(event), {}).status(); });
    if (!absl::IsAlreadyExists(s)) break;
  }
  if (!s.ok()) {
    count_stat(&BroadcasterStats::dropped);
    return;
  }
  seen_lru_.push_front(key);
  Seen& entry = seen_[key];
  entry.name = event.metadata().name();
  entry.ns = ns;
  entry.count = 1;
  entry.first = now;
  entry.last = now;
  entry.lru = seen_lru_.begin();
  if (seen_.size() > options_.cache_size) {
    std::string oldest = seen_lru_.back();
    seen_lru_.pop_back();
    seen_.erase(oldest);
  }
  count_stat(&BroadcasterStats::created);
}

void FakeRecorder::Event(const google::protobuf::Message& obj, const std::string& type,
                         const std::string& reason, const std::string& message) {
  MutexLock lock(&mu_);
  events_.push_back(absl::StrCat(type, " ", reason, " ", message));
}

void FakeRecorder::AnnotatedEvent(const google::protobuf::Message& obj,
                                  const std::map<std::string, std::string>& annotations,
                                  const std::string& type, const std::string& reason,
                                  const std::string& message) {
  Event(obj, type, reason, message);
}

std::vector<std::string> FakeRecorder::Events() const {
  MutexLock lock(&mu_);
  return events_;
}

}  // namespace rudder::record
