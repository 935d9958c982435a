// ClassifyEtcdFailure / EtcdStatusToAbsl over etcd 3.4's own error strings (rpctypes/error.go):
// which failures may be sent again, and the code each one becomes, for reads and for writes.
#include "storage/etcd/etcd_status.h"

#include <gtest/gtest.h>

#include <string>

namespace authd::storage::etcd {
namespace {

using grpc::StatusCode;

struct Case {
  StatusCode grpc_code;
  std::string message;
  EtcdFailure failure;
  absl::StatusCode read_code;
  absl::StatusCode write_code;
};

TEST(EtcdStatusTest, EachEtcdErrorHasItsRetryClassAndCode) {
  const Case kCases[] = {
      {StatusCode::OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted",
       EtcdFailure::kFinal, absl::StatusCode::kOutOfRange, absl::StatusCode::kOutOfRange},
      {StatusCode::OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision",
       EtcdFailure::kFinal, absl::StatusCode::kOutOfRange, absl::StatusCode::kOutOfRange},
      {StatusCode::INVALID_ARGUMENT, "etcdserver: request is too large", EtcdFailure::kFinal,
       absl::StatusCode::kInvalidArgument, absl::StatusCode::kInvalidArgument},
      {StatusCode::RESOURCE_EXHAUSTED, "grpc: received message larger than max (3 vs. 2)",
       EtcdFailure::kFinal, absl::StatusCode::kInvalidArgument,
       absl::StatusCode::kInvalidArgument},
      {StatusCode::RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded",
       EtcdFailure::kFinal, absl::StatusCode::kResourceExhausted,
       absl::StatusCode::kResourceExhausted},
      {StatusCode::INVALID_ARGUMENT,
       "etcdserver: authentication failed, invalid user ID or password", EtcdFailure::kFinal,
       absl::StatusCode::kUnauthenticated, absl::StatusCode::kUnauthenticated},
      {StatusCode::UNAUTHENTICATED, "etcdserver: invalid auth token", EtcdFailure::kStaleToken,
       absl::StatusCode::kUnauthenticated, absl::StatusCode::kUnauthenticated},
      {StatusCode::INVALID_ARGUMENT, "etcdserver: revision of auth store is old",
       EtcdFailure::kStaleToken, absl::StatusCode::kUnauthenticated,
       absl::StatusCode::kUnauthenticated},
      {StatusCode::INVALID_ARGUMENT, "etcdserver: user name is empty", EtcdFailure::kStaleToken,
       absl::StatusCode::kUnauthenticated, absl::StatusCode::kUnauthenticated},
      {StatusCode::PERMISSION_DENIED, "etcdserver: permission denied", EtcdFailure::kFinal,
       absl::StatusCode::kPermissionDenied, absl::StatusCode::kPermissionDenied},
      {StatusCode::DATA_LOSS, "etcdserver: corrupt cluster", EtcdFailure::kFinal,
       absl::StatusCode::kDataLoss, absl::StatusCode::kDataLoss},
      {StatusCode::INVALID_ARGUMENT, "etcdserver: too many operations in txn request",
       EtcdFailure::kFinal, absl::StatusCode::kInvalidArgument,
       absl::StatusCode::kInvalidArgument},
      // Refused before etcd acted: safe to send elsewhere, even a write.
      {StatusCode::UNAVAILABLE, "etcdserver: no leader", EtcdFailure::kNotApplied,
       absl::StatusCode::kUnavailable, absl::StatusCode::kUnavailable},
      {StatusCode::UNAVAILABLE, "etcdserver: not capable", EtcdFailure::kNotApplied,
       absl::StatusCode::kUnavailable, absl::StatusCode::kUnavailable},
      {StatusCode::RESOURCE_EXHAUSTED, "etcdserver: too many requests", EtcdFailure::kNotApplied,
       absl::StatusCode::kUnavailable, absl::StatusCode::kUnavailable},
      {StatusCode::UNAVAILABLE, "failed to connect to all addresses; last error: refused",
       EtcdFailure::kNotApplied, absl::StatusCode::kUnavailable, absl::StatusCode::kUnavailable},
      // The member may have acted: a read goes elsewhere, a write's outcome is unknown.
      {StatusCode::UNAVAILABLE, "etcdserver: request timed out", EtcdFailure::kTransient,
       absl::StatusCode::kUnavailable, absl::StatusCode::kUnknown},
      {StatusCode::UNAVAILABLE, "etcdserver: leader changed", EtcdFailure::kTransient,
       absl::StatusCode::kUnavailable, absl::StatusCode::kUnknown},
      {StatusCode::UNAVAILABLE, "Socket closed", EtcdFailure::kTransient,
       absl::StatusCode::kUnavailable, absl::StatusCode::kUnknown},
      {StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded", EtcdFailure::kTransient,
       absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded},
      // The rest keep their gRPC code.
      {StatusCode::FAILED_PRECONDITION, "etcdserver: root user does not exist",
       EtcdFailure::kFinal, absl::StatusCode::kFailedPrecondition,
       absl::StatusCode::kFailedPrecondition},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.message);
    grpc::Status s(c.grpc_code, c.message);
    EXPECT_EQ(ClassifyEtcdFailure(s), c.failure);
    absl::Status read = EtcdStatusToAbsl(s, "Range at http://127.0.0.1:1", /*write=*/false);
    absl::Status write = EtcdStatusToAbsl(s, "Put at http://127.0.0.1:1", /*write=*/true);
    EXPECT_EQ(read.code(), c.read_code) << read;
    EXPECT_EQ(write.code(), c.write_code) << write;
    EXPECT_NE(read.message().find("etcd: Range at http://127.0.0.1:1: " + c.message),
              std::string::npos)
        << read;
  }
}

TEST(EtcdStatusTest, AnUnknownWriteOutcomeSaysSo) {
  absl::Status s = EtcdStatusToAbsl(grpc::Status(StatusCode::UNAVAILABLE, "Socket closed"),
                                    "Txn at http://127.0.0.1:1", /*write=*/true);
  EXPECT_NE(s.message().find("outcome unknown"), std::string::npos) << s;
}

TEST(EtcdStatusTest, OkIsOk) {
  EXPECT_TRUE(EtcdStatusToAbsl(grpc::Status::OK, "Put", true).ok());
}

}  // namespace
}  // namespace authd::storage::etcd
