#include "lib/store/etcd/etcd_store.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/store/etcd/internal/codec.h"
#include "lib/store/etcd/internal/connection.h"
#include "lib/store/etcd/internal/watch_mux.h"
#include "lib/store/etcd/proto/rpc.grpc.pb.h"

namespace rudder::store {
namespace {

using etcd_internal::Codec;
using etcd_internal::Connection;
using etcd_internal::Endpoint;
using etcd_internal::WatchMux;

class EtcdStore : public Store {
 public:
  explicit EtcdStore(const EtcdStoreOptions& options, std::vector<std::string> endpoints)
      : connection_(endpoints, options.dial_timeout, options.request_timeout),
        codec_(options.key_prefix),
        // The probe key of revision reads: inside the prefix, and never a stored key.
        probe_key_(codec_.Key(std::string(1, '\0'))) {
    etcd_internal::WatchMuxOptions mux;
    mux.history_events = options.watch_history_events;
    mux.resume_timeout = options.watch_resume_timeout;
    mux_ = std::make_shared<WatchMux>(&connection_, &codec_, mux);
  }

  ~EtcdStore() override { mux_->Shutdown(); }

  absl::StatusOr<RangeResult> Range(const KeyRange& range, const RangeOptions& options) override {
    RUDDER_ASSIGN_OR_RETURN(etcdserverpb::RangeRequest req, codec_.ToEtcd(range, options, "range"));
    etcdserverpb::RangeResponse resp;
    bool compacted = false;
    absl::Status s = connection_.Run(
        /*idempotent=*/true,
        [&](Endpoint& ep, grpc::ClientContext* ctx) { return ep.kv->Range(ctx, req, &resp); },
        &compacted);
    if (compacted) return Compacted(options.revision + 1);
    RUDDER_RETURN_IF_ERROR(s);
    return codec_.FromEtcd(resp);
  }

  absl::StatusOr<TxnResult> Txn(const TxnRequest& request) override {
    RUDDER_ASSIGN_OR_RETURN(etcdserverpb::TxnRequest req, codec_.ToEtcd(request));
    etcdserverpb::TxnResponse resp;
    RUDDER_RETURN_IF_ERROR(connection_.Run(
        etcd_internal::ReadOnly(request),
        [&](Endpoint& ep, grpc::ClientContext* ctx) { return ep.kv->Txn(ctx, req, &resp); }));
    return codec_.FromEtcd(request, resp);
  }

  absl::StatusOr<std::unique_ptr<Watcher>> Watch(const KeyRange& range,
                                                 const WatchOptions& options) override {
    RUDDER_ASSIGN_OR_RETURN(auto keys, codec_.Range(range, "range"));
    if (options.start_revision < 0) {
      return absl::InvalidArgumentError("options.start_revision: must not be negative");
    }
    RUDDER_ASSIGN_OR_RETURN(int64_t current, CurrentRevision());
    int64_t start = options.start_revision;
    if (start == 0) {
      start = current + 1;
    } else if (start > current + 1) {
      return absl::OutOfRangeError(absl::StrCat(
          "watch start revision ", start, " is in the future (current revision ", current, ")"));
    } else if (start <= current) {
      // Fail now rather than through the stream: is the start revision still readable?
      RUDDER_RETURN_IF_ERROR(ReadAt(start));
    }
    return mux_->Add(range, keys.first, keys.second, start, options);
  }

  absl::Status Compact(int64_t revision) override {
    if (revision <= 0) {
      return absl::InvalidArgumentError("revision: must be positive");
    }
    etcdserverpb::CompactionRequest req;
    req.set_revision(revision);
    etcdserverpb::CompactionResponse resp;
    bool compacted = false;
    absl::Status s = connection_.Run(
        /*idempotent=*/false,
        [&](Endpoint& ep, grpc::ClientContext* ctx) { return ep.kv->Compact(ctx, req, &resp); },
        &compacted);
    if (compacted) return Compacted(revision);
    RUDDER_RETURN_IF_ERROR(s);
    NoteCompacted(revision);
    return absl::OkStatus();
  }

  absl::StatusOr<LeaseInfo> LeaseGrant(int64_t ttl_seconds, int64_t id) override {
    if (ttl_seconds <= 0) return absl::InvalidArgumentError("ttl_seconds: must be positive");
    if (id < 0) return absl::InvalidArgumentError("id: must not be negative");
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(ttl_seconds);
    req.set_id(id);
    etcdserverpb::LeaseGrantResponse resp;
    RUDDER_RETURN_IF_ERROR(connection_.Run(
        /*idempotent=*/false, [&](Endpoint& ep, grpc::ClientContext* ctx) {
          return ep.lease->LeaseGrant(ctx, req, &resp);
        }));
    if (!resp.error().empty()) {
      return absl::FailedPreconditionError(absl::StrCat("etcd: ", resp.error()));
    }
    LeaseInfo info;
    info.id = resp.id();
    info.granted_ttl = resp.ttl();
    info.ttl = resp.ttl();
    return info;
  }

  absl::Status LeaseRevoke(int64_t id) override {
    etcdserverpb::LeaseRevokeRequest req;
    req.set_id(id);
    etcdserverpb::LeaseRevokeResponse resp;
    return connection_.Run(/*idempotent=*/false, [&](Endpoint& ep, grpc::ClientContext* ctx) {
      return ep.lease->LeaseRevoke(ctx, req, &resp);
    });
  }

  absl::StatusOr<int64_t> LeaseKeepAlive(int64_t id) override {
    etcdserverpb::LeaseKeepAliveRequest req;
    req.set_id(id);
    etcdserverpb::LeaseKeepAliveResponse resp;
    // One request on a short keep-alive stream: the renewal is idempotent.
    RUDDER_RETURN_IF_ERROR(
        connection_.Run(/*idempotent=*/true, [&](Endpoint& ep, grpc::ClientContext* ctx) {
          auto stream = ep.lease->LeaseKeepAlive(ctx);
          if (!stream->Write(req) || !stream->Read(&resp)) {
            ctx->TryCancel();
            grpc::Status s = stream->Finish();
            if (s.ok() || s.error_code() == grpc::StatusCode::CANCELLED) {
              return grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream closed");
            }
            return s;
          }
          stream->WritesDone();
          return stream->Finish();
        }));
    if (resp.ttl() <= 0) return absl::NotFoundError(absl::StrCat("lease ", id, " not found"));
    return resp.ttl();
  }

  absl::StatusOr<LeaseInfo> LeaseTimeToLive(int64_t id, bool keys) override {
    etcdserverpb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    req.set_keys(keys);
    etcdserverpb::LeaseTimeToLiveResponse resp;
    RUDDER_RETURN_IF_ERROR(
        connection_.Run(/*idempotent=*/true, [&](Endpoint& ep, grpc::ClientContext* ctx) {
          return ep.lease->LeaseTimeToLive(ctx, req, &resp);
        }));
    if (resp.ttl() < 0) return absl::NotFoundError(absl::StrCat("lease ", id, " not found"));
    LeaseInfo info;
    info.id = resp.id();
    info.ttl = resp.ttl();
    info.granted_ttl = resp.grantedttl();
    for (const std::string& k : resp.keys()) {
      if (std::optional<std::string> key = codec_.Strip(k)) info.keys.push_back(*std::move(key));
    }
    std::sort(info.keys.begin(), info.keys.end());
    return info;
  }

  absl::StatusOr<int64_t> CurrentRevision() override {
    etcdserverpb::RangeRequest req;
    req.set_key(probe_key_);
    req.set_count_only(true);
    etcdserverpb::RangeResponse resp;
    RUDDER_RETURN_IF_ERROR(connection_.Run(
        /*idempotent=*/true,
        [&](Endpoint& ep, grpc::ClientContext* ctx) { return ep.kv->Range(ctx, req, &resp); }));
    return resp.header().revision();
  }

  absl::StatusOr<int64_t> CompactRevision() override {
    RUDDER_ASSIGN_OR_RETURN(int64_t current, CurrentRevision());
    return FindCompactRevision(1, current);
  }

 private:
  // Reads the probe key at `revision`: OK, the compaction error, or another error.
  absl::Status ReadAt(int64_t revision) {
    etcdserverpb::RangeRequest req;
    req.set_key(probe_key_);
    req.set_count_only(true);
    req.set_revision(revision);
    etcdserverpb::RangeResponse resp;
    bool compacted = false;
    absl::Status s = connection_.Run(
        /*idempotent=*/true,
        [&](Endpoint& ep, grpc::ClientContext* ctx) { return ep.kv->Range(ctx, req, &resp); },
        &compacted);
    if (compacted) return Compacted(revision + 1);
    return s;
  }

  // The compaction error for a read that failed below the compaction point, which lies in
  // [lower, current]. etcd's error does not carry it, so it is found by bisection.
  absl::Status Compacted(int64_t lower) {
    absl::StatusOr<int64_t> current = CurrentRevision();
    if (!current.ok()) return current.status();
    absl::StatusOr<int64_t> rev = FindCompactRevision(lower, *current);
    if (!rev.ok()) return rev.status();
    return CompactedError(*rev);
  }

  // The smallest revision in [lower, upper] that is still readable (the compaction point), or
  // 0 if revision 1 is readable and no compaction was seen.
  absl::StatusOr<int64_t> FindCompactRevision(int64_t lower, int64_t upper) {
    int64_t lo = std::max<int64_t>({lower, 1, known_compact_.load()});
    int64_t hi = std::max(lo, upper);
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      absl::Status s = ReadProbe(mid);
      if (s.ok()) {
        hi = mid;
      } else if (s.code() == absl::StatusCode::kOutOfRange) {
        lo = mid + 1;
      } else {
        return s;
      }
    }
    if (lo == 1 && known_compact_.load() < 1) return 0;
    NoteCompacted(lo);
    return lo;
  }

  // Like ReadAt without the compaction lookup: OutOfRange below the compaction point.
  absl::Status ReadProbe(int64_t revision) {
    etcdserverpb::RangeRequest req;
    req.set_key(probe_key_);
    req.set_count_only(true);
    req.set_revision(revision);
    etcdserverpb::RangeResponse resp;
    bool compacted = false;
    absl::Status s = connection_.Run(
        /*idempotent=*/true,
        [&](Endpoint& ep, grpc::ClientContext* ctx) { return ep.kv->Range(ctx, req, &resp); },
        &compacted);
    if (compacted) return absl::OutOfRangeError("compacted");
    return s;
  }

  void NoteCompacted(int64_t revision) {
    int64_t known = known_compact_.load();
    while (known < revision && !known_compact_.compare_exchange_weak(known, revision)) {
    }
  }

  Connection connection_;
  const Codec codec_;
  const std::string probe_key_;
  std::atomic<int64_t> known_compact_{0};
  std::shared_ptr<WatchMux> mux_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewEtcdStore(const EtcdStoreOptions& options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("endpoints: at least one endpoint is required");
  }
  std::vector<std::string> endpoints;
  for (size_t i = 0; i < options.endpoints.size(); ++i) {
    std::string ep = options.endpoints[i];
    if (absl::StartsWith(ep, "http://")) ep = ep.substr(7);
    if (ep.empty() || absl::StrContains(ep, "://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("endpoints[", i, "]: want host:port or http://host:port, got \"",
                       options.endpoints[i], "\""));
    }
    endpoints.push_back(ep);
  }
  if (options.request_timeout <= absl::ZeroDuration() ||
      options.dial_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("dial_timeout, request_timeout: must be positive");
  }
  auto store = std::make_unique<EtcdStore>(options, std::move(endpoints));
  absl::StatusOr<int64_t> rev = store->CurrentRevision();
  if (!rev.ok()) {
    return absl::UnavailableError(
        absl::StrCat("etcd: no endpoint answered: ", rev.status().message()));
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace rudder::store
