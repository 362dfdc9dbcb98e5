// Codec: conversion between the Store types (store.h) and etcd's messages, with the optional
// key prefix that namespaces one store inside a shared etcd cluster. Thread-compatible and
// immutable after construction, so safe to share between threads.
#ifndef RUDDER_LIB_STORE_ETCD_INTERNAL_CODEC_H_
#define RUDDER_LIB_STORE_ETCD_INTERNAL_CODEC_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/store/etcd/proto/kv.pb.h"
#include "lib/store/etcd/proto/rpc.pb.h"
#include "lib/store/store.h"

namespace rudder::store::etcd_internal {

class Codec {
 public:
  explicit Codec(std::string prefix) : prefix_(std::move(prefix)) {}

  const std::string& prefix() const { return prefix_; }

  // The etcd key of `key` (prefix + key).
  std::string Key(absl::string_view key) const;
  // The etcd [key, range_end) of `range`: "\0" as range end (every key from `key` on) becomes
  // the end of the prefix. InvalidArgument (at `field`) for an empty key.
  absl::StatusOr<std::pair<std::string, std::string>> Range(const KeyRange& range,
                                                            absl::string_view field) const;
  // Our key of an etcd key; nullopt if it lies outside the prefix.
  std::optional<std::string> Strip(const std::string& etcd_key) const;

  KeyValue FromEtcd(const mvccpb::KeyValue& kv) const;
  // A RangeResponse as our RangeResult.
  RangeResult FromEtcd(const etcdserverpb::RangeResponse& resp) const;
  // A watch event (nullopt if its key is outside the prefix).
  std::optional<WatchEvent> FromEtcd(const mvccpb::Event& event) const;

  // Builds etcd's TxnRequest; InvalidArgument with a field path for malformed requests.
  absl::StatusOr<etcdserverpb::TxnRequest> ToEtcd(const TxnRequest& request) const;
  // Converts etcd's TxnResponse; `request` is the request it answers.
  TxnResult FromEtcd(const TxnRequest& request, const etcdserverpb::TxnResponse& resp) const;
  // A RangeRequest for `range` with `options`.
  absl::StatusOr<etcdserverpb::RangeRequest> ToEtcd(const KeyRange& range,
                                                    const RangeOptions& options,
                                                    absl::string_view field) const;

 private:
  absl::StatusOr<etcdserverpb::RequestOp> ToEtcd(const TxnOp& op, absl::string_view field) const;

  std::string prefix_;
};

// Whether every op of the request only reads (so the request may safely be sent twice).
bool ReadOnly(const TxnRequest& request);

}  // namespace rudder::store::etcd_internal

#endif  // RUDDER_LIB_STORE_ETCD_INTERNAL_CODEC_H_
