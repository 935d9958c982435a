#include "storage/etcd/etcd_status.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace authd::storage::etcd {
namespace {

bool Has(const grpc::Status& s, absl::string_view text) {
  return absl::StrContains(s.error_message(), text);
}

// etcd's v3rpc interceptors answer these before the request reaches raft (no leader with the
// `hasleader` metadata, a member without the capability, a learner), and the apply-gap check
// answers "too many requests" before proposing: nothing was applied.
bool RefusedBeforeActing(const grpc::Status& s) {
  return Has(s, "etcdserver: no leader") || Has(s, "etcdserver: not capable") ||
         Has(s, "etcdserver: too many requests") ||
         Has(s, "etcdserver: rpc not supported for learner");
}

// gRPC's own message for a call that failed fast because the channel had no connection: the
// request never left this process.
bool NeverSent(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE &&
         absl::StartsWith(s.error_message(), "failed to connect to all addresses");
}

bool TooLarge(const grpc::Status& s) {
  // etcd's own check (--max-request-bytes) and, above that limit plus gRPC's 512 KiB slack, the
  // Go gRPC server's receive limit.
  return Has(s, "etcdserver: request is too large") ||
         (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
          Has(s, "received message larger than max"));
}

std::string Message(const grpc::Status& s, absl::string_view what) {
  return absl::StrCat("etcd: ", what, ": ", s.error_message());
}

}  // namespace

EtcdFailure ClassifyEtcdFailure(const grpc::Status& s) {
  if (RefusedBeforeActing(s) || NeverSent(s)) return EtcdFailure::kNotApplied;
  if (Has(s, "etcdserver: invalid auth token") ||
      Has(s, "etcdserver: revision of auth store is old") ||
      Has(s, "etcdserver: user name is empty")) {
    return EtcdFailure::kStaleToken;
  }
  if (TooLarge(s)) return EtcdFailure::kFinal;
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:        // the connection, or etcd's timeouts, leader
    case grpc::StatusCode::DEADLINE_EXCEEDED:  // changes and "server stopped"
      return EtcdFailure::kTransient;
    default:
      return EtcdFailure::kFinal;
  }
}

absl::Status EtcdStatusToAbsl(const grpc::Status& s, absl::string_view what, bool write) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = Message(s, what);
  if (Has(s, "required revision has been compacted") ||
      Has(s, "required revision is a future revision")) {
    return absl::OutOfRangeError(msg);
  }
  if (TooLarge(s)) return absl::InvalidArgumentError(msg);
  if (Has(s, "database space exceeded")) return absl::ResourceExhaustedError(msg);
  if (Has(s, "authentication failed") || Has(s, "invalid auth token") ||
      Has(s, "revision of auth store is old") || Has(s, "user name is empty")) {
    return absl::UnauthenticatedError(msg);
  }
  if (Has(s, "etcdserver: permission denied")) return absl::PermissionDeniedError(msg);
  if (Has(s, "etcdserver: corrupt cluster")) return absl::DataLossError(msg);
  switch (ClassifyEtcdFailure(s)) {
    case EtcdFailure::kNotApplied:
      return absl::UnavailableError(msg);
    case EtcdFailure::kTransient:
      if (!write) return absl::UnavailableError(msg);
      if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        return absl::DeadlineExceededError(
            absl::StrCat(msg, " (outcome unknown: the write may have been applied)"));
      }
      return absl::UnknownError(
          absl::StrCat(msg, " (outcome unknown: the write may have been applied)"));
    default:
      break;
  }
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), msg);
}

}  // namespace authd::storage::etcd
