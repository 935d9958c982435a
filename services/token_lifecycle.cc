#include "services/token_lifecycle.h"

#include <limits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace authd::services {
namespace {

namespace spb = ::authd::storage::v1;

constexpr int64_t kNanosPerSecond = 1000000000;
// Seconds beyond which a Timestamp or Duration is out of any range authd accepts (and nanos
// arithmetic stays far from overflow).
constexpr int64_t kMaxSeconds = authz::kMaxTokenLifetimeNanos / kNanosPerSecond;

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::string_view OrderName(AuthorizationOrder order) {
  switch (order) {
    case AuthorizationOrder::kId:
      return "id";
    case AuthorizationOrder::kCreatedAt:
      return "created_at";
    case AuthorizationOrder::kExpiresAt:
      return "expires_at";
    case AuthorizationOrder::kLastUsedAt:
      return "last_used_at";
  }
  return "id";
}

}  // namespace

absl::StatusOr<int64_t> TimestampNanos(const google::protobuf::Timestamp& t, int64_t now_ns,
                                       absl::string_view field) {
  if (t.nanos() < 0 || t.nanos() >= kNanosPerSecond) return Invalid(field, "malformed timestamp");
  if (t.seconds() <= 0) return Invalid(field, "must be after 1970-01-01T00:00:00Z");
  if (t.seconds() > now_ns / kNanosPerSecond + kMaxSeconds) {
    return Invalid(field, "more than 100 years from now");
  }
  return t.seconds() * kNanosPerSecond + t.nanos();
}

absl::StatusOr<int64_t> FutureTimestampNanos(const google::protobuf::Timestamp& t, int64_t now_ns,
                                             absl::string_view field) {
  auto at = TimestampNanos(t, now_ns, field);
  if (!at.ok()) return at.status();
  if (*at <= now_ns) return Invalid(field, "must be in the future");
  return *at;
}

absl::StatusOr<int64_t> DurationNanos(const google::protobuf::Duration& d, bool allow_zero,
                                      absl::string_view field) {
  if (d.nanos() <= -kNanosPerSecond || d.nanos() >= kNanosPerSecond ||
      (d.seconds() > 0 && d.nanos() < 0) || (d.seconds() < 0 && d.nanos() > 0)) {
    return Invalid(field, "malformed duration");
  }
  if (d.seconds() < 0 || d.nanos() < 0) return Invalid(field, "must not be negative");
  if (d.seconds() > kMaxSeconds) return Invalid(field, "more than 100 years");
  const int64_t nanos = d.seconds() * kNanosPerSecond + d.nanos();
  if (nanos == 0 && !allow_zero) return Invalid(field, "must be positive");
  return nanos;
}

absl::StatusOr<int64_t> RequestedExpiry(const google::protobuf::Timestamp* expires_at,
                                        const google::protobuf::Duration* ttl, int64_t now_ns) {
  if (expires_at != nullptr && ttl != nullptr) {
    return absl::InvalidArgumentError("expires_at, ttl: set at most one");
  }
  if (expires_at != nullptr) return FutureTimestampNanos(*expires_at, now_ns, "expires_at");
  if (ttl != nullptr) {
    auto nanos = DurationNanos(*ttl, /*allow_zero=*/false, "ttl");
    if (!nanos.ok()) return nanos.status();
    return now_ns + *nanos;
  }
  return 0;
}

TokenState StateOf(const spb::AuthorizationRecord& auth, int64_t now_ns) {
  if (auth.expires_at_unix_nanos() != 0 && auth.expires_at_unix_nanos() <= now_ns) {
    return TokenState::kExpired;
  }
  return auth.status() == spb::STATUS_INACTIVE ? TokenState::kInactive : TokenState::kActive;
}

absl::StatusOr<AuthorizationFilter> ParseAuthorizationFilter(
    const authd::v1::ListAuthorizationsRequest& request, int64_t now_ns) {
  AuthorizationFilter f;
  if (request.has_expires_before()) {
    auto t = TimestampNanos(request.expires_before(), now_ns, "expires_before");
    if (!t.ok()) return t.status();
    f.expires_before_ns = *t;
  }
  if (request.has_unused_since()) {
    auto t = TimestampNanos(request.unused_since(), now_ns, "unused_since");
    if (!t.ok()) return t.status();
    f.unused_since_ns = *t;
  }
  f.never_used = request.never_used();
  const std::string& status = request.status();
  if (!status.empty()) {
    f.any_state = false;
    if (status == "active") {
      f.state = TokenState::kActive;
    } else if (status == "inactive") {
      f.state = TokenState::kInactive;
    } else if (status == "expired") {
      f.state = TokenState::kExpired;
    } else {
      return Invalid("status", "must be active, inactive or expired");
    }
  }
  return f;
}

bool Matches(const AuthorizationFilter& f, const spb::AuthorizationRecord& auth, int64_t now_ns) {
  if (f.expires_before_ns != 0 &&
      (auth.expires_at_unix_nanos() == 0 || auth.expires_at_unix_nanos() >= f.expires_before_ns)) {
    return false;
  }
  if (f.unused_since_ns != 0 && auth.last_used_at_unix_nanos() >= f.unused_since_ns) return false;
  if (f.never_used && auth.last_used_at_unix_nanos() != 0) return false;
  if (!f.any_state && StateOf(auth, now_ns) != f.state) return false;
  return true;
}

absl::StatusOr<AuthorizationSort> ParseAuthorizationSort(absl::string_view order_by,
                                                          bool descending) {
  AuthorizationSort sort;
  sort.descending = descending;
  if (order_by.empty() || order_by == "id") {
    sort.order = AuthorizationOrder::kId;
  } else if (order_by == "created_at") {
    sort.order = AuthorizationOrder::kCreatedAt;
  } else if (order_by == "expires_at") {
    sort.order = AuthorizationOrder::kExpiresAt;
  } else if (order_by == "last_used_at") {
    sort.order = AuthorizationOrder::kLastUsedAt;
  } else {
    return Invalid("order_by", "must be id, created_at, expires_at or last_used_at");
  }
  return sort;
}

std::pair<int64_t, authz::Id> SortKey(AuthorizationOrder order, const spb::AuthorizationRecord& auth) {
  switch (order) {
    case AuthorizationOrder::kId:
      return {0, auth.id()};
    case AuthorizationOrder::kCreatedAt:
      return {auth.created_at_unix_nanos(), auth.id()};
    case AuthorizationOrder::kExpiresAt:
      return {auth.expires_at_unix_nanos() == 0 ? std::numeric_limits<int64_t>::max()
                                                : auth.expires_at_unix_nanos(),
              auth.id()};
    case AuthorizationOrder::kLastUsedAt:
      return {auth.last_used_at_unix_nanos(), auth.id()};
  }
  return {0, auth.id()};
}

std::string EncodeSortedPageToken(AuthorizationOrder order, std::pair<int64_t, authz::Id> key) {
  return absl::StrCat("s1.", OrderName(order), ".", key.first, ".", authz::FormatId(key.second));
}

absl::StatusOr<std::pair<int64_t, authz::Id>> ParseSortedPageToken(AuthorizationOrder order,
                                                                   absl::string_view token) {
  const absl::Status malformed = Invalid("page_token", "malformed");
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 4 || parts[0] != "s1" || parts[1] != OrderName(order)) return malformed;
  int64_t key = 0;
  if (!absl::SimpleAtoi(parts[2], &key)) return malformed;
  auto id = authz::ParseId(parts[3], "page_token");
  if (!id.ok()) return malformed;
  return std::make_pair(key, *id);
}

}  // namespace authd::services
