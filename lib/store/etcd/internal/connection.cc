#include "lib/store/etcd/internal/connection.h"

#include <algorithm>
#include <climits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rudder::store::etcd_internal {
namespace {

bool Retryable(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// Failures after which etcd certainly did not apply the request.
bool CertainlyNotApplied(const grpc::Status& s) {
  const std::string& m = s.error_message();
  return absl::StrContains(m, "etcdserver: no leader") ||
         absl::StrContains(m, "proposal dropped") || absl::StrContains(m, "not capable");
}

}  // namespace

bool IsEtcdCompacted(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::OUT_OF_RANGE &&
         absl::StrContains(status.error_message(), "compacted");
}

absl::Status FromGrpc(const grpc::Status& status, const std::string& endpoint) {
  if (status.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat("etcd ", endpoint, ": ", status.error_message());
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(msg);
    case grpc::StatusCode::FAILED_PRECONDITION:
      if (absl::StrContains(status.error_message(), "already exists")) {
        return absl::AlreadyExistsError(msg);
      }
      return absl::FailedPreconditionError(msg);
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()), msg);
  }
}

Connection::Connection(const std::vector<std::string>& endpoints, absl::Duration dial_timeout,
                       absl::Duration request_timeout)
    : dial_timeout_(dial_timeout), request_timeout_(request_timeout) {
  for (const std::string& address : endpoints) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(INT_MAX);
    args.SetMaxSendMessageSize(INT_MAX);
    // Reconnect soon after a member comes back, instead of gRPC's default of up to 2 minutes.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    // (gRPC also uses this as the deadline of one connection attempt.)
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(dial_timeout)));
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Notice a dead peer under a quiet watch stream within seconds. Pings only while a call is
    // open: etcd (like any gRPC server by default) closes connections that ping without one.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    // Connections of their own, not shared through gRPC's global subchannel pool with other
    // stores' channels to the same address, so that each fails and reconnects independently.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto ep = std::make_unique<Endpoint>();
    ep->address = address;
    ep->channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    ep->kv = etcdserverpb::KV::NewStub(ep->channel);
    ep->watch = etcdserverpb::Watch::NewStub(ep->channel);
    ep->lease = etcdserverpb::Lease::NewStub(ep->channel);
    ep->maintenance = etcdserverpb::Maintenance::NewStub(ep->channel);
    endpoints_.push_back(std::move(ep));
  }
}

bool Connection::Connected(Endpoint& ep, absl::Time deadline) {
  grpc_connectivity_state state = ep.channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (!ep.channel->WaitForStateChange(state, absl::ToChronoTime(deadline))) return false;
    state = ep.channel->GetState(/*try_to_connect=*/true);
  }
  return true;
}

void Connection::MarkFailed(const Endpoint* ep) {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i].get() != ep) continue;
    size_t expected = i;
    preferred_.compare_exchange_strong(expected, (i + 1) % endpoints_.size());
    return;
  }
}

Endpoint* Connection::PickConnected() {
  absl::Time deadline = absl::Now() + dial_timeout_;
  while (true) {
    size_t start = preferred_.load();
    for (size_t k = 0; k < endpoints_.size(); ++k) {
      Endpoint& ep = *endpoints_[(start + k) % endpoints_.size()];
      if (Connected(ep, std::min(deadline, absl::Now() + dial_timeout_))) return &ep;
      MarkFailed(&ep);
    }
    if (absl::Now() >= deadline) return nullptr;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::Status Connection::Run(bool idempotent, const Call& call, bool* compacted) {
  absl::Time deadline = absl::Now() + request_timeout_;
  absl::Duration backoff = absl::Milliseconds(20);
  absl::Status last = absl::UnavailableError("etcd: no endpoint configured");
  while (true) {
    size_t start = preferred_.load();
    for (size_t k = 0; k < endpoints_.size(); ++k) {
      Endpoint& ep = *endpoints_[(start + k) % endpoints_.size()];
      if (!Connected(ep, std::min(deadline, absl::Now() + dial_timeout_))) {
        last = absl::UnavailableError(absl::StrCat("etcd ", ep.address, ": not connected"));
        MarkFailed(&ep);
        continue;
      }
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(deadline));
      grpc::Status s = call(ep, &ctx);
      if (s.ok()) return absl::OkStatus();
      if (compacted != nullptr && IsEtcdCompacted(s)) {
        *compacted = true;
        return FromGrpc(s, ep.address);
      }
      if (!Retryable(s)) return FromGrpc(s, ep.address);
      last = FromGrpc(s, ep.address);
      if (!idempotent && !CertainlyNotApplied(s)) {
        // The write may or may not have been applied: only the caller can tell what to do.
        MarkFailed(&ep);
        return last;
      }
      MarkFailed(&ep);
      if (absl::Now() >= deadline) return last;
    }
    if (absl::Now() + backoff >= deadline) return last;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Milliseconds(500));
  }
}

}  // namespace rudder::store::etcd_internal
