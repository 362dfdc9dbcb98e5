#include "lib/store/store.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace rudder::store {
namespace {
constexpr absl::string_view kCompactedPayload = "rudder.store/compacted";
}  // namespace

KeyRange KeyRange::Single(absl::string_view key) { return KeyRange{std::string(key), ""}; }

KeyRange KeyRange::Prefix(absl::string_view prefix) {
  if (prefix.empty()) return KeyRange{std::string(1, '\0'), std::string(1, '\0')};
  return KeyRange{std::string(prefix), PrefixEnd(prefix)};
}

bool KeyRange::Contains(absl::string_view k) const {
  if (range_end.empty()) return k == key;
  if (k < absl::string_view(key)) return false;
  if (range_end == absl::string_view("\0", 1)) return true;
  return k < absl::string_view(range_end);
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char c = static_cast<unsigned char>(end.back());
    if (c < 0xff) {
      end.back() = static_cast<char>(c + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

namespace {
Compare MakeCompare(absl::string_view key, Compare::Target target, Compare::Op op, int64_t n) {
  Compare c;
  c.range = KeyRange::Single(key);
  c.target = target;
  c.op = op;
  c.number = n;
  return c;
}
}  // namespace

Compare Compare::ModRevision(absl::string_view key, Op op, int64_t rev) {
  return MakeCompare(key, Target::kModRevision, op, rev);
}
Compare Compare::CreateRevision(absl::string_view key, Op op, int64_t rev) {
  return MakeCompare(key, Target::kCreateRevision, op, rev);
}
Compare Compare::Version(absl::string_view key, Op op, int64_t version) {
  return MakeCompare(key, Target::kVersion, op, version);
}
Compare Compare::Lease(absl::string_view key, Op op, int64_t lease) {
  return MakeCompare(key, Target::kLease, op, lease);
}
Compare Compare::Value(absl::string_view key, Op op, absl::string_view value) {
  Compare c = MakeCompare(key, Target::kValue, op, 0);
  c.value = std::string(value);
  return c;
}

TxnOp TxnOp::Get(KeyRange range, RangeOptions options) {
  TxnOp op;
  op.type = Type::kRange;
  op.range = std::move(range);
  op.options = options;
  return op;
}

TxnOp TxnOp::Put(absl::string_view key, absl::string_view value, int64_t lease, bool prev_kv) {
  TxnOp op;
  op.type = Type::kPut;
  op.range = KeyRange::Single(key);
  op.value = std::string(value);
  op.lease = lease;
  op.prev_kv = prev_kv;
  return op;
}

TxnOp TxnOp::Delete(KeyRange range, bool prev_kv) {
  TxnOp op;
  op.type = Type::kDelete;
  op.range = std::move(range);
  op.prev_kv = prev_kv;
  return op;
}

std::optional<SharedWatchResponse> Watcher::NextShared(absl::Duration timeout) {
  std::optional<WatchResponse> r = Next(timeout);
  if (!r.has_value()) return std::nullopt;
  SharedWatchResponse shared;
  shared.events.reserve(r->events.size());
  for (WatchEvent& e : r->events) {
    shared.events.push_back(std::make_shared<const WatchEvent>(std::move(e)));
  }
  shared.revision = r->revision;
  shared.status = std::move(r->status);
  shared.compact_revision = r->compact_revision;
  return shared;
}

absl::StatusOr<std::optional<KeyValue>> Store::Get(absl::string_view key, int64_t revision) {
  RangeOptions options;
  options.revision = revision;
  RUDDER_ASSIGN_OR_RETURN(RangeResult r, Range(KeyRange::Single(key), options));
  if (r.kvs.empty()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(std::move(r.kvs.front()));
}

absl::StatusOr<int64_t> Store::Put(absl::string_view key, absl::string_view value, int64_t lease) {
  TxnRequest req;
  req.success.push_back(TxnOp::Put(key, value, lease));
  RUDDER_ASSIGN_OR_RETURN(TxnResult r, Txn(req));
  return r.revision;
}

absl::StatusOr<int64_t> Store::Delete(const KeyRange& range) {
  TxnRequest req;
  req.success.push_back(TxnOp::Delete(range));
  RUDDER_ASSIGN_OR_RETURN(TxnResult r, Txn(req));
  return r.results.empty() ? 0 : r.results.front().deleted;
}

absl::Status CompactedError(int64_t compact_revision) {
  absl::Status s = absl::OutOfRangeError(absl::StrCat(
      "required revision has been compacted (compact revision ", compact_revision, ")"));
  s.SetPayload(kCompactedPayload, absl::Cord(absl::StrCat(compact_revision)));
  return s;
}

bool IsCompacted(const absl::Status& status) {
  return status.code() == absl::StatusCode::kOutOfRange &&
         status.GetPayload(kCompactedPayload).has_value();
}

int64_t CompactedRevision(const absl::Status& status) {
  auto p = status.GetPayload(kCompactedPayload);
  int64_t rev = 0;
  if (!p.has_value() || !absl::SimpleAtoi(std::string(*p), &rev)) return 0;
  return rev;
}

}  // namespace rudder::store
