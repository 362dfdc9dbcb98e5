#include "lib/store/etcd/internal/codec.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rudder::store::etcd_internal {
namespace {
const std::string kNulEnd(1, '\0');
}  // namespace

std::string Codec::Key(absl::string_view key) const { return absl::StrCat(prefix_, key); }

absl::StatusOr<std::pair<std::string, std::string>> Codec::Range(const KeyRange& range,
                                                                 absl::string_view field) const {
  if (range.key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".key: must not be empty"));
  }
  std::string end;
  if (range.range_end.empty()) {
    // A single key.
  } else if (range.range_end == kNulEnd) {
    end = prefix_.empty() ? kNulEnd : PrefixEnd(prefix_);
  } else {
    end = Key(range.range_end);
  }
  return std::make_pair(Key(range.key), std::move(end));
}

std::optional<std::string> Codec::Strip(const std::string& etcd_key) const {
  if (!absl::StartsWith(etcd_key, prefix_)) return std::nullopt;
  return etcd_key.substr(prefix_.size());
}

KeyValue Codec::FromEtcd(const mvccpb::KeyValue& kv) const {
  KeyValue out;
  out.key = kv.key().substr(std::min(prefix_.size(), kv.key().size()));
  out.value = kv.value();
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.version = kv.version();
  out.lease = kv.lease();
  return out;
}

RangeResult Codec::FromEtcd(const etcdserverpb::RangeResponse& resp) const {
  RangeResult out;
  out.kvs.reserve(resp.kvs_size());
  for (const mvccpb::KeyValue& kv : resp.kvs()) out.kvs.push_back(FromEtcd(kv));
  out.more = resp.more();
  out.count = resp.count();
  out.revision = resp.header().revision();
  return out;
}

std::optional<WatchEvent> Codec::FromEtcd(const mvccpb::Event& event) const {
  if (!absl::StartsWith(event.kv().key(), prefix_)) return std::nullopt;
  WatchEvent out;
  out.type =
      event.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
  out.kv = FromEtcd(event.kv());
  if (event.has_prev_kv() && !event.prev_kv().key().empty()) {
    out.prev_kv = FromEtcd(event.prev_kv());
  }
  return out;
}

absl::StatusOr<etcdserverpb::RangeRequest> Codec::ToEtcd(const KeyRange& range,
                                                         const RangeOptions& options,
                                                         absl::string_view field) const {
  auto r = Range(range, field);
  if (!r.ok()) return r.status();
  if (options.revision < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".revision: must not be negative"));
  }
  if (options.limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".limit: must not be negative"));
  }
  etcdserverpb::RangeRequest req;
  req.set_key(std::move(r->first));
  req.set_range_end(std::move(r->second));
  req.set_revision(options.revision);
  req.set_limit(options.limit);
  req.set_count_only(options.count_only);
  req.set_keys_only(options.keys_only);
  return req;
}

absl::StatusOr<etcdserverpb::RequestOp> Codec::ToEtcd(const TxnOp& op,
                                                      absl::string_view field) const {
  etcdserverpb::RequestOp out;
  switch (op.type) {
    case TxnOp::Type::kRange: {
      if (op.options.revision != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".options.revision: must be 0 inside a transaction"));
      }
      auto req = ToEtcd(op.range, op.options, absl::StrCat(field, ".range"));
      if (!req.ok()) return req.status();
      *out.mutable_request_range() = *std::move(req);
      break;
    }
    case TxnOp::Type::kPut: {
      if (op.range.key.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".range.key: must not be empty"));
      }
      if (op.lease < 0) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".lease: must not be negative"));
      }
      etcdserverpb::PutRequest* put = out.mutable_request_put();
      put->set_key(Key(op.range.key));
      put->set_value(op.value);
      put->set_lease(op.lease);
      put->set_prev_kv(op.prev_kv);
      break;
    }
    case TxnOp::Type::kDelete: {
      auto r = Range(op.range, absl::StrCat(field, ".range"));
      if (!r.ok()) return r.status();
      etcdserverpb::DeleteRangeRequest* del = out.mutable_request_delete_range();
      del->set_key(std::move(r->first));
      del->set_range_end(std::move(r->second));
      del->set_prev_kv(op.prev_kv);
      break;
    }
  }
  return out;
}

absl::StatusOr<etcdserverpb::TxnRequest> Codec::ToEtcd(const TxnRequest& request) const {
  etcdserverpb::TxnRequest out;
  for (size_t i = 0; i < request.compares.size(); ++i) {
    const Compare& c = request.compares[i];
    auto r = Range(c.range, absl::StrCat("compares[", i, "].range"));
    if (!r.ok()) return r.status();
    etcdserverpb::Compare* e = out.add_compare();
    e->set_key(std::move(r->first));
    e->set_range_end(std::move(r->second));
    switch (c.op) {
      case Compare::Op::kEqual:
        e->set_result(etcdserverpb::Compare::EQUAL);
        break;
      case Compare::Op::kNotEqual:
        e->set_result(etcdserverpb::Compare::NOT_EQUAL);
        break;
      case Compare::Op::kLess:
        e->set_result(etcdserverpb::Compare::LESS);
        break;
      case Compare::Op::kGreater:
        e->set_result(etcdserverpb::Compare::GREATER);
        break;
    }
    switch (c.target) {
      case Compare::Target::kValue:
        e->set_target(etcdserverpb::Compare::VALUE);
        e->set_value(c.value);
        break;
      case Compare::Target::kVersion:
        e->set_target(etcdserverpb::Compare::VERSION);
        e->set_version(c.number);
        break;
      case Compare::Target::kCreateRevision:
        e->set_target(etcdserverpb::Compare::CREATE);
        e->set_create_revision(c.number);
        break;
      case Compare::Target::kModRevision:
        e->set_target(etcdserverpb::Compare::MOD);
        e->set_mod_revision(c.number);
        break;
      case Compare::Target::kLease:
        e->set_target(etcdserverpb::Compare::LEASE);
        e->set_lease(c.number);
        break;
    }
  }
  for (size_t i = 0; i < request.success.size(); ++i) {
    auto op = ToEtcd(request.success[i], absl::StrCat("success[", i, "]"));
    if (!op.ok()) return op.status();
    *out.add_success() = *std::move(op);
  }
  for (size_t i = 0; i < request.failure.size(); ++i) {
    auto op = ToEtcd(request.failure[i], absl::StrCat("failure[", i, "]"));
    if (!op.ok()) return op.status();
    *out.add_failure() = *std::move(op);
  }
  return out;
}

TxnResult Codec::FromEtcd(const TxnRequest& request, const etcdserverpb::TxnResponse& resp) const {
  TxnResult out;
  out.succeeded = resp.succeeded();
  out.revision = resp.header().revision();
  const std::vector<TxnOp>& ops = resp.succeeded() ? request.success : request.failure;
  out.results.reserve(resp.responses_size());
  for (int i = 0; i < resp.responses_size(); ++i) {
    const etcdserverpb::ResponseOp& r = resp.responses(i);
    TxnOpResult res;
    if (r.has_response_range()) {
      res.type = TxnOp::Type::kRange;
      res.range = FromEtcd(r.response_range());
      if (res.range.revision == 0) res.range.revision = out.revision;
    } else if (r.has_response_put()) {
      res.type = TxnOp::Type::kPut;
      if (r.response_put().has_prev_kv()) {
        res.prev_kvs.push_back(FromEtcd(r.response_put().prev_kv()));
      }
    } else if (r.has_response_delete_range()) {
      res.type = TxnOp::Type::kDelete;
      res.deleted = r.response_delete_range().deleted();
      for (const mvccpb::KeyValue& kv : r.response_delete_range().prev_kvs()) {
        res.prev_kvs.push_back(FromEtcd(kv));
      }
    } else if (static_cast<size_t>(i) < ops.size()) {
      res.type = ops[i].type;
    }
    out.results.push_back(std::move(res));
  }
  return out;
}

bool ReadOnly(const TxnRequest& request) {
  for (const TxnOp& op : request.success) {
    if (op.type != TxnOp::Type::kRange) return false;
  }
  for (const TxnOp& op : request.failure) {
    if (op.type != TxnOp::Type::kRange) return false;
  }
  return true;
}

}  // namespace rudder::store::etcd_internal
