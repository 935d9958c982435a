// The lifecycle fields of the public API (docs/adr/0007), as pure rules: expiry and durations on
// requests, the ListAuthorizations filters (expiring before, unused since, never used, state)
// and its orders with their page cursor. Errors are kInvalidArgument naming the field, never
// echoing a value. Pure; thread-safe; table-tested in tests/services/token_lifecycle_test.cc.
#ifndef AUTHD_SERVICES_TOKEN_LIFECYCLE_H_
#define AUTHD_SERVICES_TOKEN_LIFECYCLE_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authd/storage/v1/records.pb.h"
#include "authd/v1/authorization_service.pb.h"
#include "authz/decision.h"
#include "authz/id.h"

namespace authd::services {

// A Timestamp as unix nanoseconds: after 1970 and at most 100 years from `now_ns`.
absl::StatusOr<int64_t> TimestampNanos(const google::protobuf::Timestamp& t, int64_t now_ns,
                                       absl::string_view field);
// TimestampNanos that must also lie after `now_ns` ("<field>: must be in the future").
absl::StatusOr<int64_t> FutureTimestampNanos(const google::protobuf::Timestamp& t, int64_t now_ns,
                                             absl::string_view field);
// A Duration as nanoseconds: not negative (zero only when `allow_zero`), at most 100 years.
absl::StatusOr<int64_t> DurationNanos(const google::protobuf::Duration& d, bool allow_zero,
                                      absl::string_view field);

// The expiry a create asks for: `expires_at` or now + `ttl` (either may be null: unset), 0 for
// neither. It must lie in the future. Errors: both set, or a bad value.
absl::StatusOr<int64_t> RequestedExpiry(const google::protobuf::Timestamp* expires_at,
                                        const google::protobuf::Duration* ttl, int64_t now_ns);

// A token's state for the `status` filter: expired wins over inactive.
enum class TokenState { kActive, kInactive, kExpired };
TokenState StateOf(const storage::v1::AuthorizationRecord& auth, int64_t now_ns);

struct AuthorizationFilter {
  int64_t expires_before_ns = 0;  // 0: no filter
  int64_t unused_since_ns = 0;    // 0: no filter
  bool never_used = false;
  bool any_state = true;
  TokenState state = TokenState::kActive;
};
absl::StatusOr<AuthorizationFilter> ParseAuthorizationFilter(
    const authd::v1::ListAuthorizationsRequest& request, int64_t now_ns);
bool Matches(const AuthorizationFilter& filter, const storage::v1::AuthorizationRecord& auth,
             int64_t now_ns);

enum class AuthorizationOrder { kId, kCreatedAt, kExpiresAt, kLastUsedAt };
struct AuthorizationSort {
  AuthorizationOrder order = AuthorizationOrder::kId;
  bool descending = false;
};
absl::StatusOr<AuthorizationSort> ParseAuthorizationSort(absl::string_view order_by,
                                                          bool descending);
// The record's place in a sorted listing: (key, id), compared as a pair. Never-expiring tokens
// sort after every expiring one; never-used ones before every used one.
std::pair<int64_t, authz::Id> SortKey(AuthorizationOrder order,
                                      const storage::v1::AuthorizationRecord& auth);

// The page cursor of a sorted listing: "s1.<order>.<key>.<id>"; parsing checks the order too
// (a cursor from another order is malformed).
std::string EncodeSortedPageToken(AuthorizationOrder order, std::pair<int64_t, authz::Id> key);
absl::StatusOr<std::pair<int64_t, authz::Id>> ParseSortedPageToken(AuthorizationOrder order,
                                                                   absl::string_view token);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_TOKEN_LIFECYCLE_H_
