// The token-lifecycle flags of `authctl auth` and `authctl org` (docs/adr/0007): expiry
// (`--expires-in`, `--expires-at`, `--never-expires`), the `auth list` filters and orders
// (`--unused-since`, `--expiring-within`, `--status`, `--sort`), the durations they take (in
// ParseDurationSeconds's spelling: 30d, 72h, 1w, 1h30m) and how their times read in tables.
// Times given as durations are turned into instants with the caller's `now` (authctl passes its
// local clock): the API takes absolute times, except `CreateAuthorizationRequest.ttl`.
// Pure functions; thread-safe.
#ifndef AUTHD_CLI_LIFECYCLE_FLAGS_H_
#define AUTHD_CLI_LIFECYCLE_FLAGS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace authd::cli {

// A positive duration such as "30d", "72h", "1w" or "1h30m" ("0" is refused: a flag that takes a
// duration here means "some time from now").
// Errors: kInvalidArgument "invalid <flag> \"<text>\": want a positive duration such as 30d, 72h
// or 1w".
absl::StatusOr<absl::Duration> ParsePositiveDuration(absl::string_view flag,
                                                     absl::string_view text);

// A duration that may be zero, for flags where 0 has a meaning (`--grace 0`: the old secret stops
// at once; `--max-token-lifetime 0`: no limit). `zero_means` names it in the error.
// Errors: kInvalidArgument "invalid <flag> \"<text>\": want a duration such as 30d, 72h or 1w, or
// 0 for <zero_means>".
absl::StatusOr<absl::Duration> ParseDurationOrZero(absl::string_view flag, absl::string_view text,
                                                   absl::string_view zero_means);

// An RFC 3339 time with its offset: "2026-12-31T23:59:59Z", "2026-12-31T23:59:59.5+01:00".
// Errors: kInvalidArgument "invalid <flag> \"<text>\": want an RFC 3339 time such as
// 2026-12-31T23:59:59Z".
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view flag, absl::string_view text);

// `--unused-since`: a positive duration before `now` ("90d": 90 days ago) or an RFC 3339 time.
// Errors: kInvalidArgument "invalid <flag> \"<text>\": want a duration such as 90d (that long ago)
// or an RFC 3339 time such as 2026-12-31T23:59:59Z".
absl::StatusOr<absl::Time> ParseTimeOrAgo(absl::string_view flag, absl::string_view text,
                                          absl::Time now);

// What `auth create` / `auth update` were asked about the token's expiry.
struct ExpiryFlags {
  std::string expires_in;      // --expires-in: a positive duration; empty when not given
  std::string expires_at;      // --expires-at: an RFC 3339 time; empty when not given
  bool never_expires = false;  // --never-expires (update only)
};

// The expiry ExpiryFlags ask for.
struct Expiry {
  enum class Kind { kUnset, kIn, kAt, kNever };
  Kind kind = Kind::kUnset;
  absl::Duration in;  // kIn
  absl::Time at;      // kAt
};

// Checks `flags` and parses the one given. Errors (kInvalidArgument): "--expires-in and
// --expires-at are mutually exclusive: give one" (likewise with --never-expires), and
// ParsePositiveDuration's / ParseRfc3339's.
absl::StatusOr<Expiry> ParseExpiryFlags(const ExpiryFlags& flags);

// `auth list --status`: "active", "inactive" or "expired" (also the API's spelling), or "".
// Errors: kInvalidArgument "invalid --status \"<text>\": want active, inactive or expired".
absl::Status CheckStatusFilter(absl::string_view status);

// `auth list --sort` -> ListAuthorizationsRequest.order_by: "" and "id" -> "id", "created" ->
// "created_at", "expires" -> "expires_at", "last-used" -> "last_used_at".
// Errors: kInvalidArgument "invalid --sort \"<text>\": want id, created, expires or last-used".
absl::StatusOr<std::string> SortOrderBy(absl::string_view sort);

google::protobuf::Timestamp ToTimestamp(absl::Time t);
google::protobuf::Duration ToProtoDuration(absl::Duration d);

// A timestamp in a table cell, UTC to the second ("2026-12-31T23:59:59Z", sub-seconds dropped);
// `unset` for an unset timestamp.
std::string FormatTableTime(const google::protobuf::Timestamp& ts, absl::string_view unset);

}  // namespace authd::cli

#endif  // AUTHD_CLI_LIFECYCLE_FLAGS_H_
