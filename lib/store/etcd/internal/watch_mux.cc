#include "lib/store/etcd/internal/watch_mux.h"

#include <algorithm>
#include <atomic>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/base/status_macros.h"

namespace rudder::store::etcd_internal {

SharedEvent Share(WatchEvent event) {
  SharedEvent shared;
  if (event.prev_kv.has_value()) {
    WatchEvent without = event;
    without.prev_kv.reset();
    shared.without_prev = std::make_shared<const WatchEvent>(std::move(without));
    shared.with_prev = std::make_shared<const WatchEvent>(std::move(event));
  } else {
    shared.with_prev = std::make_shared<const WatchEvent>(std::move(event));
    shared.without_prev = shared.with_prev;
  }
  return shared;
}

namespace {

// The handle of a watcher served by its own (private) upstream.
class PrivateWatcher : public Watcher {
 public:
  PrivateWatcher(std::shared_ptr<LocalWatch> local, std::weak_ptr<WatchMux> mux)
      : local_(std::move(local)), mux_(std::move(mux)) {}
  ~PrivateWatcher() override { Cancel(); }

  std::optional<WatchResponse> Next(absl::Duration timeout) override {
    return local_->Next(timeout);
  }
  std::optional<SharedWatchResponse> NextShared(absl::Duration timeout) override {
    return local_->NextShared(timeout);
  }
  void SetReadyCallback(std::function<void()> fn) override {
    local_->SetReadyCallback(std::move(fn));
  }
  void RequestProgress() override {
    if (auto mux = mux_.lock()) mux->RequestProgress(local_);
  }
  void Cancel() override {
    if (auto fn = local_->End(absl::CancelledError("watch cancelled"), 0, true)) fn();
    if (auto mux = mux_.lock()) mux->Remove(local_);
  }

 private:
  const std::shared_ptr<LocalWatch> local_;
  const std::weak_ptr<WatchMux> mux_;
};

// The handle of a watcher of a shared upstream's hub. The hub may have started it before its
// own start revision (a watcher joins at the hub's next revision at the latest): events below
// `start` are dropped here, and progress never reports less than start - 1.
class HubMember : public Watcher {
 public:
  HubMember(std::shared_ptr<Watcher> inner, int64_t start, int64_t upstream,
            std::weak_ptr<WatchMux> mux)
      : inner_(std::move(inner)), start_(start), upstream_(upstream), mux_(std::move(mux)) {}
  ~HubMember() override { Cancel(); }

  std::optional<WatchResponse> Next(absl::Duration timeout) override {
    std::optional<SharedWatchResponse> shared = NextShared(timeout);
    if (!shared.has_value()) return std::nullopt;
    WatchResponse r;
    r.events.reserve(shared->events.size());
    for (const auto& e : shared->events) r.events.push_back(*e);
    r.revision = shared->revision;
    r.status = std::move(shared->status);
    r.compact_revision = shared->compact_revision;
    return r;
  }
  std::optional<SharedWatchResponse> NextShared(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      std::optional<SharedWatchResponse> r =
          inner_->NextShared(std::max(deadline - absl::Now(), absl::ZeroDuration()));
      if (!r.has_value() || !filtering_.load(std::memory_order_relaxed)) return r;
      if (!r->events.empty()) {
        auto& ev = r->events;
        ev.erase(std::remove_if(ev.begin(), ev.end(),
                                [&](const auto& e) { return e->kv.mod_revision < start_; }),
                 ev.end());
        if (ev.empty()) continue;
        filtering_.store(false, std::memory_order_relaxed);
      } else if (r->status.ok()) {
        r->revision = std::max(r->revision, start_ - 1);
      }
      return r;
    }
  }
  void SetReadyCallback(std::function<void()> fn) override {
    inner_->SetReadyCallback(std::move(fn));
  }
  void RequestProgress() override {
    if (auto mux = mux_.lock()) mux->RequestHubProgress(upstream_, inner_);
  }
  void Cancel() override {
    inner_->Cancel();
    if (detached_.exchange(true)) return;
    if (auto mux = mux_.lock()) mux->RemoveHubWatcher(upstream_, inner_.get());
  }

 private:
  const std::shared_ptr<Watcher> inner_;
  const int64_t start_;
  const int64_t upstream_;
  const std::weak_ptr<WatchMux> mux_;
  std::atomic<bool> filtering_{true};
  std::atomic<bool> detached_{false};
};

}  // namespace

std::function<void()> LocalWatch::PushEvents(const std::vector<SharedEvent>& events) {
  MutexLock lock(&mu_);
  if (end_.has_value()) return nullptr;
  SharedWatchResponse resp;
  for (const SharedEvent& e : events) {
    if (e.with_prev->kv.mod_revision < start_) continue;
    resp.events.push_back(options_.prev_kv ? e.with_prev : e.without_prev);
  }
  if (resp.events.empty()) return nullptr;
  resp.revision = resp.events.back()->kv.mod_revision;
  if (buffered_events_ + resp.events.size() > options_.max_buffered_events) {
    queue_.clear();
    buffered_events_ = 0;
    end_.emplace();
    end_->status = absl::ResourceExhaustedError(absl::StrCat(
        "watcher fell more than ", options_.max_buffered_events, " events behind; relist"));
    cv_.SignalAll();
    return Notify();
  }
  last_revision_ = resp.revision;
  buffered_events_ += resp.events.size();
  queue_.push_back(std::move(resp));
  cv_.SignalAll();
  return Notify();
}

std::function<void()> LocalWatch::PushProgress(int64_t revision, bool force) {
  MutexLock lock(&mu_);
  if (end_.has_value()) return nullptr;
  // Events below the start revision are not part of this watch: start - 1 is always safe.
  revision = std::max(revision, start_ - 1);
  if (!force && (!options_.progress_notify || revision < last_revision_)) return nullptr;
  if (revision < last_revision_) revision = last_revision_;
  SharedWatchResponse resp;
  resp.revision = revision;
  last_revision_ = revision;
  queue_.push_back(std::move(resp));
  cv_.SignalAll();
  return Notify();
}

std::function<void()> LocalWatch::End(absl::Status status, int64_t compact_revision,
                                      bool drop_queued) {
  MutexLock lock(&mu_);
  if (end_.has_value()) return nullptr;
  if (drop_queued) {
    queue_.clear();
    buffered_events_ = 0;
  }
  end_.emplace();
  end_->status = std::move(status);
  end_->compact_revision = compact_revision;
  cv_.SignalAll();
  return Notify();
}

std::function<void()> LocalWatch::Notify() {
  // Edge-triggered: one call until the consumer reads, which takes everything queued.
  if (notified_ || !ready_) return nullptr;
  notified_ = true;
  return ready_;
}

std::optional<SharedWatchResponse> LocalWatch::Pop(absl::Duration timeout) {
  MutexLock lock(&mu_);
  absl::Time deadline = absl::Now() + timeout;
  while (queue_.empty() && !end_.has_value()) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    cv_.WaitWithTimeout(&mu_, left);
  }
  notified_ = false;
  if (queue_.empty()) return *end_;
  SharedWatchResponse resp = std::move(queue_.front());
  queue_.pop_front();
  // Consecutive event responses go out as one (a progress notification stays on its own).
  while (!resp.events.empty() && !queue_.empty() && !queue_.front().events.empty()) {
    SharedWatchResponse& more = queue_.front();
    resp.events.insert(resp.events.end(), std::make_move_iterator(more.events.begin()),
                       std::make_move_iterator(more.events.end()));
    resp.revision = more.revision;
    queue_.pop_front();
  }
  buffered_events_ -= resp.events.size();
  return resp;
}

std::optional<SharedWatchResponse> LocalWatch::NextShared(absl::Duration timeout) {
  return Pop(timeout);
}

std::optional<WatchResponse> LocalWatch::Next(absl::Duration timeout) {
  std::optional<SharedWatchResponse> shared = Pop(timeout);
  if (!shared.has_value()) return std::nullopt;
  WatchResponse resp;
  resp.events.reserve(shared->events.size());
  for (const auto& e : shared->events) resp.events.push_back(*e);
  resp.revision = shared->revision;
  resp.status = std::move(shared->status);
  resp.compact_revision = shared->compact_revision;
  return resp;
}

void LocalWatch::SetReadyCallback(std::function<void()> fn) {
  bool ready;
  {
    MutexLock lock(&mu_);
    ready_ = fn;
    ready = !queue_.empty() || end_.has_value();
    notified_ = ready && fn;
  }
  if (ready && fn) fn();
}

bool LocalWatch::cut_off() const {
  MutexLock lock(&mu_);
  return end_.has_value();
}

WatchMux::WatchMux(Connection* connection, const Codec* codec, WatchMuxOptions options)
    : connection_(connection), codec_(codec), options_(options) {
  thread_ = std::thread([this] { Run(); });
  writer_ = std::thread([this] { WriteLoop(); });
}

WatchMux::~WatchMux() { Shutdown(); }

void WatchMux::Shutdown() {
  {
    MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    if (ctx_ != nullptr) ctx_->TryCancel();
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  if (writer_.joinable()) writer_.join();
  EndAll(absl::CancelledError("store shut down"));
}

size_t WatchMux::UpstreamCountForTest() {
  MutexLock lock(&mu_);
  return upstreams_.size();
}

std::unique_ptr<Watcher> WatchMux::Add(const KeyRange& range, const std::string& key,
                                       const std::string& end, int64_t start,
                                       const WatchOptions& options) {
  auto local = std::make_shared<LocalWatch>(start, options);
  MutexLock lock(&mu_);
  if (stopping_) {
    local->End(absl::CancelledError("store shut down"), 0, true);
    return std::make_unique<PrivateWatcher>(std::move(local), weak_from_this());
  }
  auto shared = shared_.find({key, end});
  if (shared != shared_.end()) {
    absl::StatusOr<std::unique_ptr<Watcher>> joined =
        JoinHub(upstreams_.at(shared->second), range, start, options);
    if (joined.ok()) return *std::move(joined);
  }
  // A new upstream: shared if none exists for the range, else a private one for a start
  // revision older than the shared upstream's history.
  Upstream u;
  u.id = next_id_++;
  u.key = key;
  u.end = end;
  u.shared = shared == shared_.end();
  u.start = start;
  u.caught_up = start - 1;
  std::unique_ptr<Watcher> joined;
  if (u.shared) {
    store_internal::WatchHub::Options hub;
    hub.history_events = options_.history_events;
    hub.progress_notify_interval = absl::ZeroDuration();  // etcd's notifications are relayed.
    u.hub = std::make_shared<store_internal::WatchHub>(hub, start - 1, nullptr);
    absl::StatusOr<std::unique_ptr<Watcher>> w = JoinHub(u, range, start, options);
    if (w.ok()) {
      joined = *std::move(w);
    } else {
      u.hub.reset();  // A range the hub does not serve (e.g. every key): a private upstream.
    }
  }
  if (!joined) {
    u.locals.push_back(local);
    owner_[local.get()] = u.id;
  }
  if (u.shared) shared_[{key, end}] = u.id;
  Upstream& inserted = upstreams_.emplace(u.id, std::move(u)).first->second;
  if (stream_ != nullptr) SendCreate(inserted);
  cv_.SignalAll();
  if (joined) return joined;
  return std::make_unique<PrivateWatcher>(std::move(local), weak_from_this());
}

absl::StatusOr<std::unique_ptr<Watcher>> WatchMux::JoinHub(Upstream& u, const KeyRange& range,
                                                           int64_t start,
                                                           const WatchOptions& options) {
  if (u.hub == nullptr) return absl::FailedPreconditionError("no hub");
  WatchOptions hub_options = options;
  // The hub holds every event above its revision that it has not yet received from etcd only
  // once it arrives: a later start joins at the hub's next revision and filters.
  hub_options.start_revision = std::min(start, u.hub->revision() + 1);
  RUDDER_ASSIGN_OR_RETURN(std::unique_ptr<Watcher> inner, u.hub->Watch(range, hub_options));
  std::shared_ptr<Watcher> member(std::move(inner));
  if (options.progress_notify)
    u.hub_watchers[member.get()] = member;
  else
    u.hub_watchers[member.get()] = nullptr;
  return std::unique_ptr<Watcher>(new HubMember(member, start, u.id, weak_from_this()));
}

void WatchMux::MaybeCancel(std::map<int64_t, Upstream>::iterator it) {
  Upstream& u = it->second;
  if (!u.locals.empty() || !u.hub_watchers.empty()) return;
  if (stream_ != nullptr) SendCancel(u.id);
  if (u.shared) shared_.erase({u.key, u.end});
  upstreams_.erase(it);
}

void WatchMux::Remove(const std::shared_ptr<LocalWatch>& local) {
  MutexLock lock(&mu_);
  auto owner = owner_.find(local.get());
  if (owner == owner_.end()) return;
  auto it = upstreams_.find(owner->second);
  owner_.erase(owner);
  if (it == upstreams_.end()) return;
  Upstream& u = it->second;
  u.locals.erase(std::remove(u.locals.begin(), u.locals.end(), local), u.locals.end());
  u.progress_waits.erase(
      std::remove_if(u.progress_waits.begin(), u.progress_waits.end(),
                     [&](const Upstream::ProgressWait& w) { return w.local == local; }),
      u.progress_waits.end());
  MaybeCancel(it);
}

void WatchMux::RemoveHubWatcher(int64_t upstream, const Watcher* watcher) {
  MutexLock lock(&mu_);
  auto it = upstreams_.find(upstream);
  if (it == upstreams_.end()) return;
  Upstream& u = it->second;
  if (u.hub_watchers.erase(watcher) == 0) return;
  u.progress_waits.erase(std::remove_if(u.progress_waits.begin(), u.progress_waits.end(),
                                        [&](const Upstream::ProgressWait& w) {
                                          return w.hub_watcher.get() == watcher;
                                        }),
                         u.progress_waits.end());
  MaybeCancel(it);
}

void WatchMux::RequestHubProgress(int64_t upstream, const std::shared_ptr<Watcher>& watcher) {
  MutexLock lock(&mu_);
  auto it = upstreams_.find(upstream);
  if (it == upstreams_.end() || it->second.hub_watchers.count(watcher.get()) == 0) return;
  Upstream::ProgressWait wait;
  wait.hub_watcher = watcher;
  if (stream_ != nullptr) wait.request = SendProgressRequest();
  it->second.progress_waits.push_back(std::move(wait));
}

void WatchMux::RequestProgress(const std::shared_ptr<LocalWatch>& local) {
  MutexLock lock(&mu_);
  auto owner = owner_.find(local.get());
  if (owner == owner_.end()) return;
  auto it = upstreams_.find(owner->second);
  if (it == upstreams_.end()) return;
  Upstream::ProgressWait wait;
  wait.local = local;
  // Without a stream, Connect() sends the request for every waiting watcher.
  if (stream_ != nullptr) wait.request = SendProgressRequest();
  it->second.progress_waits.push_back(std::move(wait));
}

uint64_t WatchMux::SendProgressRequest() {
  etcdserverpb::WatchRequest req;
  req.mutable_progress_request();
  Enqueue(std::move(req));
  return ++progress_sent_;
}

void WatchMux::ServeProgressWaits(Upstream& u, std::vector<std::function<void()>>* ready) {
  auto& waits = u.progress_waits;
  for (auto w = waits.begin(); w != waits.end();) {
    if (w->target > 0 && u.caught_up >= w->target) {
      if (w->hub_watcher != nullptr) {
        if (u.hub != nullptr) u.hub->Advance(u.caught_up);
        ready->push_back([watcher = w->hub_watcher] { watcher->RequestProgress(); });
      } else if (auto fn = w->local->PushProgress(u.caught_up, /*force=*/true)) {
        ready->push_back(std::move(fn));
      }
      w = waits.erase(w);
    } else {
      ++w;
    }
  }
}

void WatchMux::SendCreate(Upstream& u) {
  etcdserverpb::WatchRequest req;
  etcdserverpb::WatchCreateRequest* c = req.mutable_create_request();
  c->set_key(u.key);
  c->set_range_end(u.end);
  c->set_start_revision(std::max(u.start, u.caught_up + 1));
  c->set_progress_notify(true);
  c->set_prev_kv(true);
  c->set_watch_id(u.id);
  u.generation = generation_;
  Enqueue(std::move(req));
}

void WatchMux::SendCancel(int64_t id) {
  etcdserverpb::WatchRequest req;
  req.mutable_cancel_request()->set_watch_id(id);
  Enqueue(std::move(req));
}

void WatchMux::Enqueue(etcdserverpb::WatchRequest req) {
  outbox_.push_back(std::move(req));
  cv_.SignalAll();
}

void WatchMux::WriteLoop() {
  MutexLock lock(&mu_);
  while (true) {
    while (!stopping_ && (outbox_.empty() || stream_ == nullptr)) cv_.Wait(&mu_);
    if (stopping_) break;
    etcdserverpb::WatchRequest req = std::move(outbox_.front());
    outbox_.pop_front();
    // Written without the lock: etcd may stop reading until we read its responses, which
    // the reader thread does under the same lock.
    Stream* stream = stream_.get();
    writing_ = true;
    mu_.Unlock();
    // A failed write means the stream broke: the reader notices and resends on reconnect.
    stream->Write(req);
    mu_.Lock();
    writing_ = false;
    cv_.SignalAll();
  }
}

bool WatchMux::Connect() {
  Endpoint* ep = connection_->PickConnected();
  if (ep == nullptr) return false;
  auto ctx = std::make_unique<grpc::ClientContext>();
  // Makes etcd end the stream when this member loses its leader, so that we fail over
  // instead of waiting on a member cut off from the cluster.
  ctx->AddMetadata("hasleader", "true");
  grpc::ClientContext* context = ctx.get();
  {
    // Visible to Shutdown() (which cancels it) while the stream is being opened; only this
    // thread replaces or resets ctx_.
    MutexLock lock(&mu_);
    if (stopping_) return false;
    ctx_ = std::move(ctx);
  }
  std::unique_ptr<Stream> stream = ep->watch->Watch(context);
  MutexLock lock(&mu_);
  stream_ = std::move(stream);
  endpoint_ = ep;
  ++generation_;
  outbox_.clear();  // Requests for the broken stream: everything is resent below.
  progress_sent_ = 0;
  progress_answered_ = 0;
  uint64_t progress = 0;
  for (auto& [id, u] : upstreams_) {
    SendCreate(u);
    for (auto& w : u.progress_waits) {
      if (w.target != 0) continue;
      if (progress == 0) progress = SendProgressRequest();
      w.request = progress;
    }
  }
  return true;
}

void WatchMux::Run() {
  // When the stream first broke without a response since; reset by any response.
  absl::Time broken_since = absl::InfiniteFuture();
  absl::Duration backoff = absl::Milliseconds(50);
  bool answered = false;  // The current stream delivered a response.
  auto give_up_if_too_long = [&] {
    if (broken_since == absl::InfiniteFuture()) broken_since = absl::Now();
    if (absl::Now() - broken_since > options_.resume_timeout) {
      EndAll(absl::UnavailableError(
          absl::StrCat("etcd watch stream broke and no endpoint served it for ",
                       absl::FormatDuration(options_.resume_timeout))));
      broken_since = absl::InfiniteFuture();
    }
  };
  auto pause = [&] {
    MutexLock lock(&mu_);
    if (!stopping_) cv_.WaitWithTimeout(&mu_, backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
  };
  while (true) {
    Stream* stream = nullptr;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && stream_ == nullptr && upstreams_.empty()) cv_.Wait(&mu_);
      if (stopping_) break;
      stream = stream_.get();
    }
    if (stream == nullptr) {
      if (Connect()) {
        answered = false;
        continue;
      }
      give_up_if_too_long();
      pause();
      continue;
    }
    etcdserverpb::WatchResponse resp;
    if (stream->Read(&resp)) {
      if (!answered) {
        answered = true;
        broken_since = absl::InfiniteFuture();
        backoff = absl::Milliseconds(50);
      }
      Dispatch(resp);
      continue;
    }
    // The stream broke (member killed, no leader, or shutdown): drop it; the next loop
    // reconnects and resumes every upstream after the last revision it saw.
    {
      MutexLock lock(&mu_);
      std::unique_ptr<Stream> broken = std::move(stream_);  // The writer takes no new request.
      while (writing_) cv_.Wait(&mu_);
      broken->Finish();
      if (!stopping_ && endpoint_ != nullptr) connection_->MarkFailed(endpoint_);
      broken.reset();
      ctx_.reset();
      endpoint_ = nullptr;
    }
    if (!answered) {
      // Broke before serving anything (e.g. the member has no leader): do not spin.
      give_up_if_too_long();
      pause();
    }
  }
  MutexLock lock(&mu_);
  if (stream_ != nullptr) {
    std::unique_ptr<Stream> stream = std::move(stream_);
    while (writing_) cv_.Wait(&mu_);
    stream->Finish();
  }
  ctx_.reset();
}

void WatchMux::Dispatch(const etcdserverpb::WatchResponse& resp) {
  std::vector<std::function<void()>> ready;
  {
    MutexLock lock(&mu_);
    if (resp.watch_id() == -1) {
      // The answer to our next progress request: a target for the watchers waiting on it.
      ++progress_answered_;
      for (auto& [id, u] : upstreams_) {
        for (auto& w : u.progress_waits) {
          if (w.target == 0 && w.request != 0 && w.request <= progress_answered_) {
            w.target = std::max<int64_t>(resp.header().revision(), 1);
          }
        }
        ServeProgressWaits(u, &ready);
      }
    }
    auto it = upstreams_.find(resp.watch_id());
    // Unknown: cancelled by us, or the stream-wide answer handled above.
    if (it != upstreams_.end()) DispatchWatch(it, resp, &ready);
  }
  for (auto& fn : ready) fn();
}

void WatchMux::DispatchWatch(std::map<int64_t, Upstream>::iterator it,
                             const etcdserverpb::WatchResponse& resp,
                             std::vector<std::function<void()>>* ready) {
  Upstream& u = it->second;
  if (resp.compact_revision() > 0) {
    EndUpstream(it, CompactedError(resp.compact_revision()), resp.compact_revision(), ready);
  } else if (resp.canceled()) {
    EndUpstream(
        it,
        absl::UnavailableError(absl::StrCat("etcd cancelled the watch: ", resp.cancel_reason())), 0,
        ready);
  } else if (resp.events_size() > 0) {
    std::vector<SharedEvent> events;
    events.reserve(resp.events_size());
    for (const mvccpb::Event& e : resp.events()) {
      if (std::optional<WatchEvent> ev = codec_->FromEtcd(e))
        events.push_back(Share(*std::move(ev)));
    }
    int64_t last = resp.events(resp.events_size() - 1).kv().mod_revision();
    u.caught_up = std::max(u.caught_up, last);
    if (u.hub != nullptr) {
      // One batch per revision for the hub, whatever the number of watchers.
      auto deferred = std::make_shared<store_internal::DeferredCallbacks>();
      std::vector<WatchEvent> batch;
      int64_t batch_revision = 0;
      auto flush = [&] {
        if (batch.empty()) return;
        if (batch_revision > u.hub->revision()) {
          u.hub->Publish(batch_revision, std::move(batch), deferred.get()).IgnoreError();
        }
        batch.clear();
      };
      for (SharedEvent& e : events) {
        if (e.with_prev->kv.mod_revision != batch_revision) flush();
        batch_revision = e.with_prev->kv.mod_revision;
        batch.push_back(*e.with_prev);
      }
      flush();
      ready->push_back([deferred] { deferred->Run(); });
    }
    for (const auto& local : u.locals) {
      if (auto fn = local->PushEvents(events)) ready->push_back(std::move(fn));
    }
    ServeProgressWaits(u, ready);
    DropCutOff(it);
  } else if (!resp.created()) {
    // A progress notification for this watch: every event up to the header revision has
    // been sent before it.
    u.caught_up = std::max(u.caught_up, resp.header().revision());
    if (u.hub != nullptr) {
      u.hub->Advance(u.caught_up);
      for (const auto& [ptr, watcher] : u.hub_watchers) {
        if (watcher != nullptr)
          ready->push_back([watcher = watcher] { watcher->RequestProgress(); });
      }
    }
    for (const auto& local : u.locals) {
      if (auto fn = local->PushProgress(u.caught_up, /*force=*/false)) {
        ready->push_back(std::move(fn));
      }
    }
    ServeProgressWaits(u, ready);
  }
}

void WatchMux::DropCutOff(std::map<int64_t, Upstream>::iterator it) {
  Upstream& u = it->second;
  for (auto local = u.locals.begin(); local != u.locals.end();) {
    if ((*local)->cut_off()) {
      owner_.erase(local->get());
      local = u.locals.erase(local);
    } else {
      ++local;
    }
  }
  MaybeCancel(it);
}

void WatchMux::EndUpstream(std::map<int64_t, Upstream>::iterator it, const absl::Status& status,
                           int64_t compact_revision, std::vector<std::function<void()>>* ready) {
  Upstream& u = it->second;
  for (const auto& local : u.locals) {
    if (auto fn = local->End(status, compact_revision, /*drop_queued=*/false)) {
      ready->push_back(std::move(fn));
    }
    owner_.erase(local.get());
  }
  if (u.hub != nullptr) {
    // Ended outside the lock: a ready callback may call back into the mux.
    ready->push_back([hub = u.hub, status] { hub->EndAll(status); });
  }
  if (u.shared) shared_.erase({u.key, u.end});
  upstreams_.erase(it);
}

void WatchMux::EndAll(const absl::Status& status) {
  std::vector<std::function<void()>> ready;
  {
    MutexLock lock(&mu_);
    while (!upstreams_.empty()) EndUpstream(upstreams_.begin(), status, 0, &ready);
  }
  for (auto& fn : ready) fn();
}

}  // namespace rudder::store::etcd_internal
