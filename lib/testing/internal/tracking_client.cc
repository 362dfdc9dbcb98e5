#include "lib/testing/internal/tracking_client.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/api/object/object.h"
#include "lib/store/store.h"

namespace rudder::testing::internal {

namespace {

int64_t RvOf(const google::protobuf::Message* obj) {
  if (obj == nullptr) return 0;
  const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*obj);
  int64_t rv = 0;
  if (m != nullptr) (void)absl::SimpleAtoi(m->resourceversion(), &rv);
  return rv;
}

std::string KeyOf(const client::ObjectEvent& e) {
  if (e.object == nullptr) return "";
  const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*e.object);
  return m == nullptr ? "" : absl::StrCat(m->namespace_(), "/", m->name());
}

// splitmix64: a small, fully specified generator, so a seed means the same on every platform.
uint64_t Next64(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
double Uniform(uint64_t* s) { return (Next64(s) >> 11) * (1.0 / 9007199254740992.0); }

std::string ListingKey(const std::string& watch_key) {
  return absl::StrCat(watch_key, "#", std::hash<std::thread::id>()(std::this_thread::get_id()));
}

}  // namespace

std::string KindKey(const api::KindInfo& kind) { return kind.gvk.ToString(); }

std::string WatchKey(const api::KindInfo& kind, const std::string& ns, const std::string& labels,
                     const std::string& fields) {
  return absl::StrCat(KindKey(kind), "|", ns, "|", labels, "|", fields);
}

// A watch that reports what it delivered and, when perturbed, holds, reorders and drops.
class TrackedWatcher : public client::ObjectWatcher {
 public:
  TrackedWatcher(TrackingClient* owner, std::string kind, std::string watch_key, bool full,
                 int64_t base, std::unique_ptr<client::ObjectWatcher> next, const Perturbation& p,
                 uint64_t stream)
      : owner_(owner),
        kind_(std::move(kind)),
        watch_key_(std::move(watch_key)),
        full_(full),
        next_(std::move(next)),
        p_(p),
        rng_(p.seed * 0x2545F4914F6CDD1DULL + stream),
        max_delivered_(base),
        pulled_(base) {}
  ~TrackedWatcher() override {
    bool abandoned;
    {
      MutexLock l(&mu_);
      abandoned = !ended_ && !cancelled_;
    }
    // Closed by its consumer without Cancel (an informer's watch timed out): it will be
    // reopened from the last revision the consumer saw. Counted before this watch stops
    // counting what it still owes.
    if (abandoned) owner_->ExpectRewatch(watch_key_);
    owner_->Unregister(this);
    MutexLock l(&mu_);
    handed_ = 0;
    held_.clear();
    SyncWorkLocked();
  }

  std::optional<client::ObjectEvent> Next(absl::Duration timeout) override {
    if (timeout > absl::ZeroDuration()) {
      // The consumer is ready to wait: it is done with what it took.
      MutexLock l(&mu_);
      handed_ = 0;
      SyncWorkLocked();
    }
    // An event is counted as handed out under the same lock that records its delivery, so
    // there is no instant at which it is neither owed nor counted.
    std::optional<client::ObjectEvent> e = NextImpl(timeout);
    bool rewatch;
    {
      MutexLock l(&mu_);
      rewatch = error_handed_;
      error_handed_ = false;
    }
    // Counted before the consumer sees the error (and closes the watch).
    if (rewatch) owner_->ExpectRewatch(watch_key_);
    return e;
  }
  void Cancel() override {
    {
      MutexLock l(&mu_);
      cancelled_ = true;
    }
    next_->Cancel();
  }

  const std::string& kind() const { return kind_; }
  bool full() const { return full_; }
  // What the watch still owes for writes up to `written`; empty when nothing.
  std::string Owes(int64_t written) const {
    MutexLock l(&mu_);
    if (ended_) return "";
    if (!held_.empty()) return absl::StrCat(held_.size(), " held events");
    if (max_delivered_ < written) {
      return absl::StrCat("delivered up to ", max_delivered_, " of ", written, " (", delivered_,
                          " events)");
    }
    return "";
  }

 private:
  bool Perturbed() const { return p_.seed != 0; }
  // Takes an event from the watch below into the window.
  void HoldLocked(client::ObjectEvent e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (e.type != "ERROR") pulled_ = std::max(pulled_, RvOf(e.object.get()));
    held_.push_back(std::move(e));
    SyncWorkLocked();
  }
  // Hands out a bookmark (nothing is held), without a draw from the generator.
  client::ObjectEvent HandOutBookmarkLocked(client::ObjectEvent b)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++handed_;
    SyncWorkLocked();
    ++delivered_;
    max_delivered_ = std::max(max_delivered_, RvOf(b.object.get()));
    pulled_ = std::max(pulled_, max_delivered_);
    return b;
  }
  // The newest revision taken from the watch below (held or handed out).
  int64_t PulledUpTo() const {
    MutexLock l(&mu_);
    return pulled_;
  }

  // Brings the clock's count of this watch's work to held + handed-out events.
  void SyncWorkLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int64_t now = static_cast<int64_t>(held_.size()) + handed_;
    if (now != counted_ && owner_->work() != nullptr) owner_->work()->AddWork(now - counted_);
    counted_ = now;
  }

  std::optional<client::ObjectEvent> NextImpl(absl::Duration timeout) {
    bool drop = false;
    {
      MutexLock l(&mu_);
      if (ended_) return std::nullopt;
      if (drop_next_ && held_.empty()) {
        ended_ = true;
        drop = true;
        ++handed_;  // The error below.
        SyncWorkLocked();
      }
    }
    if (drop) {
      // The connection "breaks" with 410 Gone: the informer relists and watches anew.
      next_->Cancel();
      owner_->CountDrop();
      owner_->ExpectRewatch(watch_key_);
      client::ObjectEvent e;
      e.type = "ERROR";
      e.error = store::CompactedError(0);
      return e;
    }
    // Fill the window without blocking, then block only when nothing is held.
    if (Perturbed()) {
      for (;;) {
        {
          MutexLock l(&mu_);
          if (static_cast<int>(held_.size()) >= std::max(1, p_.max_reorder_window)) break;
        }
        std::optional<client::ObjectEvent> e = next_->Next(absl::ZeroDuration());
        if (!e && full_ && PulledUpTo() < owner_->Written(kind_)) {
          // Writes already made are on their way to this watch: wait for them, so what the
          // window holds (and so the schedule a seed makes) follows the writes made, not how
          // fast their events travel. The bound only guards against a hang.
          e = next_->Next(absl::Seconds(5));
        }
        if (!e) break;
        MutexLock l(&mu_);
        if (e->type == "BOOKMARK") {
          // Kept aside (the newest only) and handed out once nothing is held: where a
          // bookmark falls depends on timing, so it must not change the window or the draws.
          bookmark_ = std::move(*e);
          continue;
        }
        HoldLocked(std::move(*e));
      }
    }
    bool empty;
    {
      MutexLock l(&mu_);
      if (Perturbed() && held_.empty() && bookmark_) {
        client::ObjectEvent b = std::move(*bookmark_);
        bookmark_.reset();
        if (RvOf(b.object.get()) >= max_delivered_) return HandOutBookmarkLocked(std::move(b));
      }
      empty = held_.empty();
    }
    if (empty) {
      std::optional<client::ObjectEvent> e = next_->Next(timeout);
      if (!e) return std::nullopt;
      MutexLock l(&mu_);
      if (Perturbed() && e->type == "BOOKMARK") return HandOutBookmarkLocked(std::move(*e));
      HoldLocked(std::move(*e));
    }
    MutexLock l(&mu_);
    size_t pick = 0;
    if (Perturbed()) {
      if (delays_ < 3 && Uniform(&rng_) < p_.delay_probability) {
        ++delays_;
        return std::nullopt;  // Held: the caller asks again.
      }
      delays_ = 0;
      // Candidates: object events before the first bookmark or error whose key has no earlier
      // held event (a key's events keep their order).
      std::vector<size_t> candidates;
      std::vector<std::string> seen;
      for (size_t i = 0; i < held_.size(); ++i) {
        const client::ObjectEvent& e = held_[i];
        if (e.type == "BOOKMARK" || e.type == "ERROR") {
          if (i == 0) candidates.push_back(0);
          break;
        }
        std::string key = KeyOf(e);
        if (std::find(seen.begin(), seen.end(), key) == seen.end()) candidates.push_back(i);
        seen.push_back(std::move(key));
      }
      if (!candidates.empty()) pick = candidates[Next64(&rng_) % candidates.size()];
    }
    client::ObjectEvent e = std::move(held_[pick]);
    held_.erase(held_.begin() + pick);
    ++handed_;
    SyncWorkLocked();
    int64_t rv = RvOf(e.object.get());
    ++delivered_;
    if (e.type == "ERROR") {
      ended_ = true;
      error_handed_ = true;  // An informer relists and watches again.
    } else {
      max_delivered_ = std::max(max_delivered_, rv);
      // Drop only when every event up to the newest delivered has been delivered, so the
      // resumed watch misses nothing.
      if (Perturbed() && held_.empty() && rv == max_delivered_ &&
          Uniform(&rng_) < p_.drop_probability) {
        drop_next_ = true;
      }
    }
    return e;
  }

  TrackingClient* const owner_;
  const std::string kind_;
  const std::string watch_key_;
  const bool full_;
  const std::unique_ptr<client::ObjectWatcher> next_;
  const Perturbation p_;
  mutable Mutex mu_;
  uint64_t rng_ ABSL_GUARDED_BY(mu_);
  std::deque<client::ObjectEvent> held_ ABSL_GUARDED_BY(mu_);
  std::optional<client::ObjectEvent> bookmark_ ABSL_GUARDED_BY(mu_);  // Perturbed: set aside.
  int64_t max_delivered_ ABSL_GUARDED_BY(mu_);
  int64_t pulled_ ABSL_GUARDED_BY(mu_);
  int delays_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  bool drop_next_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool error_handed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t handed_ ABSL_GUARDED_BY(mu_) = 0;   // Handed out, consumer not yet waiting again.
  int64_t counted_ ABSL_GUARDED_BY(mu_) = 0;  // What this watch has added to the clock.
};

TrackingClient::TrackingClient(client::Client* next, Perturbation perturbation, TrackingClient* log,
                               FakeClock* work)
    : next_(next), perturbation_(perturbation), log_(log), work_(work) {}

TrackingClient::~TrackingClient() {
  MutexLock l(&mu_);
  int64_t owed = static_cast<int64_t>(listing_.size());
  for (const auto& [key, n] : rewatch_) owed += n;
  if (work_ != nullptr && owed != 0) work_->AddWork(-owed);
}

void TrackingClient::ExpectRewatch(const std::string& watch_key) {
  MutexLock l(&mu_);
  ++rewatch_[watch_key];
  if (work_ != nullptr) work_->AddWork(1);
}

int64_t TrackingClient::Written(const std::string& kind_key) const {
  if (log_ != nullptr) return log_->Written(kind_key);
  MutexLock l(&mu_);
  auto it = written_.find(kind_key);
  return it == written_.end() ? 0 : it->second;
}

void TrackingClient::NoteWrite(const std::string& kind_key, int64_t rv) {
  if (log_ != nullptr) return log_->NoteWrite(kind_key, rv);
  MutexLock l(&mu_);
  int64_t& w = written_[kind_key];
  w = std::max(w, rv);
}

void TrackingClient::Note(const api::KindInfo& kind, const absl::StatusOr<client::ObjectPtr>& r,
                          int64_t bump) {
  if (!r.ok() || *r == nullptr) return;
  NoteWrite(KindKey(kind), RvOf(r->get()) + bump);
}

absl::StatusOr<client::ObjectPtr> TrackingClient::Create(const api::KindInfo& kind,
                                                         const std::string& ns,
                                                         client::ObjectPtr obj,
                                                         const client::WriteOptions& options) {
  auto r = next_->Create(kind, ns, std::move(obj), options);
  if (!options.dry_run) Note(kind, r, 0);
  return r;
}

absl::Status TrackingClient::Bind(const std::string& ns, const api::core::v1::Binding& binding,
                                  const client::WriteOptions& options) {
  absl::Status s = next_->Bind(ns, binding, options);
  if (!s.ok() || options.dry_run) return s;
  // The binding's answer carries no resourceVersion: the pod's current one is at or past it.
  std::shared_ptr<const api::KindInfo> pods = next_->scheme().ByResource({"", "v1", "pods"});
  if (pods == nullptr) return s;
  const std::string& n = ns.empty() ? binding.metadata().namespace_() : ns;
  Note(*pods, next_->Get(*pods, n.empty() ? "default" : n, binding.metadata().name()), 0);
  return s;
}

absl::Status TrackingClient::Evict(const std::string& ns, const api::policy::v1::Eviction& eviction,
                                   const client::WriteOptions& options) {
  std::shared_ptr<const api::KindInfo> pods = next_->scheme().ByResource({"", "v1", "pods"});
  std::string n = ns.empty() ? eviction.metadata().namespace_() : ns;
  if (n.empty()) n = "default";
  const std::string& name = eviction.metadata().name();
  absl::StatusOr<client::ObjectPtr> before = pods == nullptr || options.dry_run
                                                 ? absl::NotFoundError("not read")
                                                 : next_->Get(*pods, n, name);
  absl::Status s = next_->Evict(ns, eviction, options);
  if (!s.ok() || options.dry_run || pods == nullptr) return s;
  absl::StatusOr<client::ObjectPtr> after = next_->Get(*pods, n, name);
  if (after.ok()) {
    Note(*pods, after, 0);  // marked for deletion
  } else {
    Note(*pods, before, 1);  // deleted: its revision is past the pod's last one
  }
  return s;
}

absl::StatusOr<client::ObjectPtr> TrackingClient::Get(const api::KindInfo& kind,
                                                      const std::string& ns,
                                                      const std::string& name) {
  return next_->Get(kind, ns, name);
}

absl::StatusOr<client::ListResult> TrackingClient::List(const api::KindInfo& kind,
                                                        const std::string& ns,
                                                        const client::ListOptions& options) {
  if (log_ == nullptr && options.resource_version == "0" && options.continue_token.empty()) {
    // An informer's first list (at "0"): it watches next, and until its watch is open the
    // list's objects and anything written meanwhile are in flight.
    // Keyed by thread too: a reflector lists and watches on one thread, and two informers of
    // the same kind are two entries.
    std::string key =
        ListingKey(WatchKey(kind, ns, options.label_selector, options.field_selector));
    MutexLock l(&mu_);
    if (listing_.insert(std::move(key)).second && work_ != nullptr) work_->AddWork(1);
  }
  return next_->List(kind, ns, options);
}

absl::StatusOr<client::ObjectPtr> TrackingClient::Update(const api::KindInfo& kind,
                                                         const std::string& ns,
                                                         client::ObjectPtr obj, bool status,
                                                         const client::WriteOptions& options) {
  auto r = next_->Update(kind, ns, std::move(obj), status, options);
  if (!options.dry_run) Note(kind, r, 0);
  return r;
}

absl::StatusOr<client::ObjectPtr> TrackingClient::Patch(const api::KindInfo& kind,
                                                        const std::string& ns,
                                                        const std::string& name,
                                                        client::PatchType type,
                                                        const std::string& patch, bool status,
                                                        const client::WriteOptions& options) {
  auto r = next_->Patch(kind, ns, name, type, patch, status, options);
  if (!options.dry_run) Note(kind, r, 0);
  return r;
}

absl::StatusOr<client::ObjectPtr> TrackingClient::Delete(const api::KindInfo& kind,
                                                         const std::string& ns,
                                                         const std::string& name,
                                                         const client::DeleteOptions& options) {
  auto r = next_->Delete(kind, ns, name, options);
  // Returned as last stored: a removed object carries its removal's revision.
  if (!options.dry_run) Note(kind, r, 0);
  return r;
}

absl::StatusOr<std::unique_ptr<client::ObjectWatcher>> TrackingClient::Watch(
    const api::KindInfo& kind, const std::string& ns, const client::WatchOptions& options) {
  auto w = next_->Watch(kind, ns, options);
  if (!w.ok() || log_ != nullptr) return w;
  bool full = ns.empty() && options.selectors.label_selector.empty() &&
              options.selectors.field_selector.empty();
  std::string key = KindKey(kind);
  std::string watch_key =
      WatchKey(kind, ns, options.selectors.label_selector, options.selectors.field_selector);
  int64_t base = 0;
  MutexLock l(&mu_);
  if (!absl::SimpleAtoi(options.resource_version, &base) || base == 0) {
    auto it = written_.find(key);
    base = it == written_.end() ? 0 : it->second;
  }
  auto tw = std::make_unique<TrackedWatcher>(this, key, watch_key, full, base, *std::move(w),
                                             perturbation_, static_cast<uint64_t>(++next_watcher_));
  watchers_.push_back(tw.get());
  // Reopened: the ended watch it replaces is no longer in flight (this one is counted now).
  auto it = rewatch_.find(watch_key);
  if (it != rewatch_.end()) {
    if (--it->second == 0) rewatch_.erase(it);
    if (work_ != nullptr) work_->AddWork(-1);
  }
  if (listing_.erase(ListingKey(watch_key)) > 0 && work_ != nullptr) work_->AddWork(-1);
  return std::unique_ptr<client::ObjectWatcher>(std::move(tw));
}

absl::StatusOr<std::unique_ptr<client::Scale>> TrackingClient::GetScale(const api::KindInfo& kind,
                                                                        const std::string& ns,
                                                                        const std::string& name) {
  return next_->GetScale(kind, ns, name);
}

absl::StatusOr<std::unique_ptr<client::Scale>> TrackingClient::UpdateScale(
    const api::KindInfo& kind, const std::string& ns, const std::string& name,
    const client::Scale& scale) {
  auto r = next_->UpdateScale(kind, ns, name, scale);
  if (r.ok()) {
    int64_t rv = 0;
    (void)absl::SimpleAtoi((*r)->metadata().resourceversion(), &rv);
    NoteWrite(KindKey(kind), rv);
  }
  return r;
}

std::string TrackingClient::Pending() const {
  MutexLock l(&mu_);
  if (!rewatch_.empty()) {
    return absl::StrCat("watch ", rewatch_.begin()->first, " ended and is not open again yet");
  }
  if (!listing_.empty()) {
    return absl::StrCat("informer of ", *listing_.begin(), " has listed and not watched yet");
  }
  for (TrackedWatcher* w : watchers_) {
    if (!w->full()) continue;
    auto it = written_.find(w->kind());
    std::string owes = w->Owes(it == written_.end() ? 0 : it->second);
    if (!owes.empty()) {
      return absl::StrCat("watch of ", w->kind(), ": ", owes, "; ", watchers_.size(), " watches");
    }
  }
  return "";
}

int64_t TrackingClient::Drops() const {
  MutexLock l(&mu_);
  return drops_;
}

void TrackingClient::Unregister(TrackedWatcher* w) {
  MutexLock l(&mu_);
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
}

void TrackingClient::CountDrop() {
  MutexLock l(&mu_);
  ++drops_;
}

}  // namespace rudder::testing::internal
