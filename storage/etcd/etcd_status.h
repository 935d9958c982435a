// How etcd's errors become decisions and absl::Status codes: the one place the etcd client turns a
// grpc::Status from an etcd member into either "try again elsewhere" or the caller's error.
//
// etcd reports its errors as gRPC statuses whose message is a fixed string ("etcdserver: ..."; see
// etcd 3.4's etcdserver/api/v3rpc/rpctypes/error.go). The string, not the gRPC code, says what
// happened: e.g. a wrong password is INVALID_ARGUMENT and a stale token INVALID_ARGUMENT too. So
// the classification below matches the messages, and falls back to the gRPC code for the rest
// (transport errors, deadlines). Pure functions; thread-safe.
//
// What each error maps to (the final code a caller of EtcdClient sees):
//
//   etcd / gRPC says                                          -> absl code
//   "required revision has been compacted"                    -> kOutOfRange
//   "required revision is a future revision"                  -> kOutOfRange
//   "request is too large", gRPC "larger than max"            -> kInvalidArgument (never fits)
//   "database space exceeded" (the NOSPACE alarm)             -> kResourceExhausted
//   "authentication failed, invalid user ID or password"      -> kUnauthenticated
//   "invalid auth token", "revision of auth store is old",
//   "user name is empty" (after one re-authentication)        -> kUnauthenticated
//   "permission denied"                                       -> kPermissionDenied
//   "corrupt cluster"                                         -> kDataLoss
//   "no leader", "not capable", "too many requests", a member
//   that cannot be reached: retried on the next member; when
//   none answers before the call's deadline                   -> kUnavailable (nothing applied)
//   a write sent to a member that then failed or timed out
//   ("request timed out", "leader changed", a dropped
//   connection, the deadline)                                 -> kUnknown / kDeadlineExceeded:
//                                                                the write MAY have been applied
//   anything else                                             -> the gRPC code as is
#ifndef AUTHD_STORAGE_ETCD_ETCD_STATUS_H_
#define AUTHD_STORAGE_ETCD_ETCD_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace authd::storage::etcd {

// What a failed attempt at one etcd member means for the call.
enum class EtcdFailure {
  // etcd refused the request before acting on it (no leader, not capable, too many requests) or
  // it never left this process (no connection): safe to send again, to any member, write or not.
  kNotApplied,
  // The member may be slow, partitioned or gone, and a write may have been applied: a read tries
  // the next member; a write reports that its outcome is unknown.
  kTransient,
  // The token is invalid or predates an auth change: authenticate again and resend (once).
  kStaleToken,
  // etcd's answer to this request (compacted, permission denied, too large...): return it.
  kFinal,
};

// Classifies a non-OK status an etcd member (or gRPC on its behalf) returned.
EtcdFailure ClassifyEtcdFailure(const grpc::Status& status);

// The absl::Status a caller sees for a failed call, per the table above. `what` names the call
// and the member ("Range at http://127.0.0.1:2379") and prefixes the message; `write` says the
// request changes state (Put, Txn with puts, Compact), which makes kTransient failures "outcome
// unknown" (kUnknown, or kDeadlineExceeded for a deadline) instead of kUnavailable.
absl::Status EtcdStatusToAbsl(const grpc::Status& status, absl::string_view what, bool write);

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_ETCD_STATUS_H_
