#include "lib/store/etcd/internal/connection.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace rudder::store::etcd_internal {
namespace {

// An in-process stand-in for one etcd member's KV service that fails every call with a fixed
// status and counts the calls.
class FailingKV final : public etcdserverpb::KV::Service {
 public:
  explicit FailingKV(grpc::Status status) : status_(std::move(status)) {}

  grpc::Status Range(grpc::ServerContext*, const etcdserverpb::RangeRequest*,
                     etcdserverpb::RangeResponse* resp) override {
    calls++;
    if (status_.ok()) resp->mutable_header()->set_revision(42);
    return status_;
  }
  grpc::Status Txn(grpc::ServerContext*, const etcdserverpb::TxnRequest*,
                   etcdserverpb::TxnResponse* resp) override {
    calls++;
    if (status_.ok()) resp->mutable_header()->set_revision(42);
    return status_;
  }

  std::atomic<int> calls{0};

 private:
  const grpc::Status status_;
};

struct Member {
  explicit Member(grpc::Status status) : kv(std::move(status)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&kv);
    server = builder.BuildAndStart();
  }
  ~Member() { server->Shutdown(); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port); }

  FailingKV kv;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

grpc::Status Txn(Endpoint& ep, grpc::ClientContext* ctx) {
  etcdserverpb::TxnResponse resp;
  return ep.kv->Txn(ctx, etcdserverpb::TxnRequest(), &resp);
}

grpc::Status Range(Endpoint& ep, grpc::ClientContext* ctx) {
  etcdserverpb::RangeResponse resp;
  return ep.kv->Range(ctx, etcdserverpb::RangeRequest(), &resp);
}

TEST(ConnectionTest, AmbiguousWriteFailureIsNotRetried) {
  Member first(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset"));
  Member second(grpc::Status::OK);
  Connection conn({first.address(), second.address()}, absl::Seconds(5), absl::Seconds(10));
  absl::Status s = conn.Run(/*idempotent=*/false, Txn);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(first.kv.calls.load(), 1);
  EXPECT_EQ(second.kv.calls.load(), 0);
  // The failed endpoint is no longer preferred: the next call goes to the other one.
  EXPECT_TRUE(conn.Run(/*idempotent=*/false, Txn).ok());
  EXPECT_EQ(second.kv.calls.load(), 1);
}

TEST(ConnectionTest, WriteRefusedForLackOfLeaderMovesOn) {
  Member first(grpc::Status(grpc::StatusCode::UNAVAILABLE, "etcdserver: no leader"));
  Member second(grpc::Status::OK);
  Connection conn({first.address(), second.address()}, absl::Seconds(5), absl::Seconds(10));
  EXPECT_TRUE(conn.Run(/*idempotent=*/false, Txn).ok());
  EXPECT_EQ(first.kv.calls.load(), 1);
  EXPECT_EQ(second.kv.calls.load(), 1);
}

TEST(ConnectionTest, ReadsMoveToTheNextEndpoint) {
  Member first(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset"));
  Member second(grpc::Status::OK);
  Connection conn({first.address(), second.address()}, absl::Seconds(5), absl::Seconds(10));
  EXPECT_TRUE(conn.Run(/*idempotent=*/true, Range).ok());
  EXPECT_EQ(first.kv.calls.load(), 1);
  EXPECT_EQ(second.kv.calls.load(), 1);
}

TEST(ConnectionTest, UnreachableEndpointIsSkippedEvenForWrites) {
  Member alive(grpc::Status::OK);
  // Port 1 on loopback refuses connections: the write is never sent there.
  Connection conn({"127.0.0.1:1", alive.address()}, absl::Seconds(5), absl::Seconds(10));
  EXPECT_TRUE(conn.Run(/*idempotent=*/false, Txn).ok());
  EXPECT_EQ(alive.kv.calls.load(), 1);
}

TEST(ConnectionTest, ErrorsMapToStoreCodes) {
  struct Case {
    grpc::Status in;
    absl::StatusCode want;
  } cases[] = {
      {grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                    "etcdserver: mvcc: required revision is a future revision"),
       absl::StatusCode::kOutOfRange},
      {grpc::Status(grpc::StatusCode::NOT_FOUND, "etcdserver: requested lease not found"),
       absl::StatusCode::kNotFound},
      {grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "etcdserver: lease already exists"),
       absl::StatusCode::kAlreadyExists},
      {grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                    "etcdserver: duplicate key given in txn request"),
       absl::StatusCode::kInvalidArgument},
      {grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline"),
       absl::StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FromGrpc(c.in, "e").code(), c.want) << c.in.error_message();
  }
  EXPECT_TRUE(IsEtcdCompacted(grpc::Status(
      grpc::StatusCode::OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted")));
}

}  // namespace
}  // namespace rudder::store::etcd_internal
