#include "cli/lifecycle_flags.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "cli/duration.h"

namespace authd::cli {
namespace {

constexpr char kRfc3339Example[] = "2026-12-31T23:59:59Z";

absl::Status Invalid(absl::string_view flag, absl::string_view text, absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat("invalid ", flag, " \"", text, "\": want ", want));
}

}  // namespace

absl::StatusOr<absl::Duration> ParsePositiveDuration(absl::string_view flag,
                                                     absl::string_view text) {
  absl::StatusOr<int64_t> seconds = ParseDurationSeconds(text);
  if (!seconds.ok() || *seconds <= 0) {
    return Invalid(flag, text, "a positive duration such as 30d, 72h or 1w");
  }
  return absl::Seconds(*seconds);
}

absl::StatusOr<absl::Duration> ParseDurationOrZero(absl::string_view flag, absl::string_view text,
                                                   absl::string_view zero_means) {
  absl::StatusOr<int64_t> seconds = ParseDurationSeconds(text);
  if (text.empty() || !seconds.ok()) {
    return Invalid(flag, text,
                   absl::StrCat("a duration such as 30d, 72h or 1w, or 0 for ", zero_means));
  }
  return absl::Seconds(*seconds);
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view flag, absl::string_view text) {
  absl::Time t;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return Invalid(flag, text, absl::StrCat("an RFC 3339 time such as ", kRfc3339Example));
  }
  return t;
}

absl::StatusOr<absl::Time> ParseTimeOrAgo(absl::string_view flag, absl::string_view text,
                                          absl::Time now) {
  absl::StatusOr<int64_t> seconds = ParseDurationSeconds(text);
  if (seconds.ok() && *seconds > 0) return now - absl::Seconds(*seconds);
  absl::Time t;
  std::string error;
  if (!text.empty() && absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return t;
  return Invalid(flag, text,
                 absl::StrCat("a duration such as 90d (that long ago) or an RFC 3339 time such as ",
                              kRfc3339Example));
}

absl::StatusOr<Expiry> ParseExpiryFlags(const ExpiryFlags& flags) {
  const bool in = !flags.expires_in.empty();
  const bool at = !flags.expires_at.empty();
  if (in + at + flags.never_expires > 1) {
    const char* first = in ? "--expires-in" : "--expires-at";
    const char* second = in && at ? "--expires-at" : "--never-expires";
    return absl::InvalidArgumentError(
        absl::StrCat(first, " and ", second, " are mutually exclusive: give one"));
  }
  Expiry expiry;
  if (in) {
    absl::StatusOr<absl::Duration> d = ParsePositiveDuration("--expires-in", flags.expires_in);
    if (!d.ok()) return d.status();
    expiry.kind = Expiry::Kind::kIn;
    expiry.in = *d;
  } else if (at) {
    absl::StatusOr<absl::Time> t = ParseRfc3339("--expires-at", flags.expires_at);
    if (!t.ok()) return t.status();
    expiry.kind = Expiry::Kind::kAt;
    expiry.at = *t;
  } else if (flags.never_expires) {
    expiry.kind = Expiry::Kind::kNever;
  }
  return expiry;
}

absl::Status CheckStatusFilter(absl::string_view status) {
  if (status.empty() || status == "active" || status == "inactive" || status == "expired") {
    return absl::OkStatus();
  }
  return Invalid("--status", status, "active, inactive or expired");
}

absl::StatusOr<std::string> SortOrderBy(absl::string_view sort) {
  if (sort.empty() || sort == "id") return std::string("id");
  if (sort == "created") return std::string("created_at");
  if (sort == "expires") return std::string("expires_at");
  if (sort == "last-used") return std::string("last_used_at");
  return Invalid("--sort", sort, "id, created, expires or last-used");
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return ts;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

std::string FormatTableTime(const google::protobuf::Timestamp& ts, absl::string_view unset) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return std::string(unset);
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

}  // namespace authd::cli
