#include "cli/lifecycle_flags.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace authd::cli {
namespace {

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), message);
}

TEST(ParsePositiveDurationTest, AcceptsDurationSpellings) {
  struct Case {
    const char* text;
    absl::Duration want;
  };
  for (const Case& c : {Case{"1s", absl::Seconds(1)}, Case{"90m", absl::Minutes(90)},
                        Case{"72h", absl::Hours(72)}, Case{"30d", absl::Hours(30 * 24)},
                        Case{"1w", absl::Hours(7 * 24)}, Case{"1h30m", absl::Minutes(90)}}) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<absl::Duration> got = ParsePositiveDuration("--expires-in", c.text);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(ParsePositiveDurationTest, RefusesZeroNegativeAndOtherSpellings) {
  for (const char* bad :
       {"", "0", "0s", "-5d", "5", "1y", "1.5h", "soon", "99999999999999999999w"}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(ParsePositiveDuration("--expires-in", bad).status(),
                  std::string("invalid --expires-in \"") + bad +
                      "\": want a positive duration such as 30d, 72h or 1w");
  }
}

TEST(ParseDurationOrZeroTest, AcceptsZeroAndDurations) {
  struct Case {
    const char* text;
    absl::Duration want;
  };
  for (const Case& c : {Case{"0", absl::ZeroDuration()}, Case{"0s", absl::ZeroDuration()},
                        Case{"1h", absl::Hours(1)}, Case{"90d", absl::Hours(90 * 24)}}) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<absl::Duration> got = ParseDurationOrZero("--grace", c.text, "none");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
  for (const char* bad : {"", "-1h", "1y", "forever"}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(ParseDurationOrZero("--max-token-lifetime", bad, "no limit").status(),
                  std::string("invalid --max-token-lifetime \"") + bad +
                      "\": want a duration such as 30d, 72h or 1w, or 0 for no limit");
  }
}

TEST(ParseRfc3339Test, AcceptsRfc3339WithAnyOffset) {
  struct Case {
    const char* text;
    absl::Time want;
  };
  for (const Case& c : {
           Case{"2026-12-31T23:59:59Z", Utc(2026, 12, 31, 23, 59, 59)},
           Case{"2026-12-31T23:59:59+01:00", Utc(2026, 12, 31, 22, 59, 59)},
           Case{"2026-12-31T23:59:59-05:30", Utc(2027, 1, 1, 5, 29, 59)},
           Case{"2026-12-31T23:59:59.250Z",
                Utc(2026, 12, 31, 23, 59, 59) + absl::Milliseconds(250)},
       }) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<absl::Time> got = ParseRfc3339("--expires-at", c.text);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(ParseRfc3339Test, RefusesOtherSpellings) {
  for (const char* bad : {"", "tomorrow", "2026-12-31", "2026-12-31T23:59:59",
                          "2026-12-31 23:59:59Z", "2026-13-01T00:00:00Z", "1767225599"}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(ParseRfc3339("--expires-at", bad).status(),
                  std::string("invalid --expires-at \"") + bad +
                      "\": want an RFC 3339 time such as 2026-12-31T23:59:59Z");
  }
}

TEST(ParseTimeOrAgoTest, ADurationCountsBackFromNowAndATimeIsTakenAsIs) {
  const absl::Time now = Utc(2026, 12, 7, 12, 0, 0);
  struct Case {
    const char* text;
    absl::Time want;
  };
  for (const Case& c : {Case{"90d", now - absl::Hours(90 * 24)}, Case{"1h", now - absl::Hours(1)},
                        Case{"2026-01-02T03:04:05Z", Utc(2026, 1, 2, 3, 4, 5)}}) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<absl::Time> got = ParseTimeOrAgo("--unused-since", c.text, now);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
  for (const char* bad : {"", "0", "-90d", "last week", "2026-01-02"}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(ParseTimeOrAgo("--unused-since", bad, now).status(),
                  std::string("invalid --unused-since \"") + bad +
                      "\": want a duration such as 90d (that long ago) or an RFC 3339 time such "
                      "as 2026-12-31T23:59:59Z");
  }
}

TEST(ParseExpiryFlagsTest, TakesAtMostOneFlag) {
  struct Case {
    ExpiryFlags flags;
    Expiry::Kind kind;
    std::string error;  // empty: success
  };
  const std::vector<Case> cases = {
      {{}, Expiry::Kind::kUnset, ""},
      {{"30d", "", false}, Expiry::Kind::kIn, ""},
      {{"", "2030-01-01T00:00:00Z", false}, Expiry::Kind::kAt, ""},
      {{"", "", true}, Expiry::Kind::kNever, ""},
      {{"30d", "2030-01-01T00:00:00Z", false}, Expiry::Kind::kUnset,
       "--expires-in and --expires-at are mutually exclusive: give one"},
      {{"30d", "", true}, Expiry::Kind::kUnset,
       "--expires-in and --never-expires are mutually exclusive: give one"},
      {{"", "2030-01-01T00:00:00Z", true}, Expiry::Kind::kUnset,
       "--expires-at and --never-expires are mutually exclusive: give one"},
      {{"30d", "2030-01-01T00:00:00Z", true}, Expiry::Kind::kUnset,
       "--expires-in and --expires-at are mutually exclusive: give one"},
      {{"-5d", "", false}, Expiry::Kind::kUnset,
       "invalid --expires-in \"-5d\": want a positive duration such as 30d, 72h or 1w"},
      {{"", "soon", false}, Expiry::Kind::kUnset,
       "invalid --expires-at \"soon\": want an RFC 3339 time such as 2026-12-31T23:59:59Z"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(i);
    absl::StatusOr<Expiry> got = ParseExpiryFlags(c.flags);
    if (!c.error.empty()) {
      ExpectInvalid(got.status(), c.error);
      continue;
    }
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->kind, c.kind);
    if (c.kind == Expiry::Kind::kIn) {
      EXPECT_EQ(got->in, absl::Hours(30 * 24));
    }
    if (c.kind == Expiry::Kind::kAt) {
      EXPECT_EQ(got->at, Utc(2030, 1, 1, 0, 0, 0));
    }
  }
}

TEST(CheckStatusFilterTest, AcceptsTheThreeStates) {
  for (const char* ok : {"", "active", "inactive", "expired"}) {
    EXPECT_TRUE(CheckStatusFilter(ok).ok()) << ok;
  }
  for (const char* bad : {"Active", "deleted", "all", " active"}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(CheckStatusFilter(bad),
                  std::string("invalid --status \"") + bad +
                      "\": want active, inactive or expired");
  }
}

TEST(SortOrderByTest, MapsFlagValuesToTheApisOrders) {
  struct Case {
    const char* sort;
    const char* order_by;
  };
  for (const Case& c : {Case{"", "id"}, Case{"id", "id"}, Case{"created", "created_at"},
                        Case{"expires", "expires_at"}, Case{"last-used", "last_used_at"}}) {
    SCOPED_TRACE(c.sort);
    absl::StatusOr<std::string> got = SortOrderBy(c.sort);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.order_by);
  }
  for (const char* bad : {"created_at", "last_used", "name", "expiry"}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(SortOrderBy(bad).status(),
                  std::string("invalid --sort \"") + bad +
                      "\": want id, created, expires or last-used");
  }
}

TEST(ProtoConversionTest, KeepsNanosecondsAndRoundsTowardsThePast) {
  google::protobuf::Timestamp ts =
      ToTimestamp(Utc(2026, 12, 31, 23, 59, 59) + absl::Nanoseconds(5));
  EXPECT_EQ(ts.seconds(), 1798761599);
  EXPECT_EQ(ts.nanos(), 5);
  google::protobuf::Timestamp before = ToTimestamp(absl::UnixEpoch() - absl::Nanoseconds(1));
  EXPECT_EQ(before.seconds(), -1);
  EXPECT_EQ(before.nanos(), 999999999);
  google::protobuf::Duration d = ToProtoDuration(absl::Hours(24) + absl::Milliseconds(1));
  EXPECT_EQ(d.seconds(), 86400);
  EXPECT_EQ(d.nanos(), 1000000);
  EXPECT_EQ(ToProtoDuration(absl::ZeroDuration()).seconds(), 0);
}

TEST(FormatTableTimeTest, ShowsUtcToTheSecondOrTheUnsetWord) {
  google::protobuf::Timestamp unset;
  EXPECT_EQ(FormatTableTime(unset, "never"), "never");
  EXPECT_EQ(FormatTableTime(unset, "now"), "now");
  google::protobuf::Timestamp ts;
  ts.set_seconds(1798761599);
  ts.set_nanos(999999999);
  EXPECT_EQ(FormatTableTime(ts, "never"), "2026-12-31T23:59:59Z");
}

}  // namespace
}  // namespace authd::cli
