// The lifecycle fields of the public API as pure rules (services/token_lifecycle.h), and the test
// clock file's format (services/lifecycle_worker.h): tables of input -> value or the refusal.
#include "services/token_lifecycle.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/lifecycle_worker.h"

namespace authd::services {
namespace {

namespace spb = ::authd::storage::v1;

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kNow = int64_t{1800000000} * kSecond;

google::protobuf::Timestamp Ts(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

google::protobuf::Duration Dur(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Duration d;
  d.set_seconds(seconds);
  d.set_nanos(nanos);
  return d;
}

TEST(RequestedExpiryTest, Table) {
  struct Row {
    std::string name;
    std::optional<google::protobuf::Timestamp> at;
    std::optional<google::protobuf::Duration> ttl;
    int64_t want;          // when accepted
    std::string message;   // when refused
  };
  const int64_t now_s = kNow / kSecond;
  const std::vector<Row> rows = {
      {"neither", std::nullopt, std::nullopt, 0, ""},
      {"at", Ts(now_s + 60), std::nullopt, (now_s + 60) * kSecond, ""},
      {"at with nanos", Ts(now_s + 60, 5), std::nullopt, (now_s + 60) * kSecond + 5, ""},
      {"ttl", std::nullopt, Dur(3600), kNow + 3600 * kSecond, ""},
      {"both", Ts(now_s + 60), Dur(60), 0, "expires_at, ttl: set at most one"},
      {"at now", Ts(now_s), std::nullopt, 0, "expires_at: must be in the future"},
      {"at 1970", Ts(0), std::nullopt, 0, "expires_at: must be after 1970-01-01T00:00:00Z"},
      {"at far", Ts(now_s + int64_t{200} * 366 * 86400), std::nullopt, 0,
       "expires_at: more than 100 years from now"},
      {"bad nanos", Ts(now_s + 60, -1), std::nullopt, 0, "expires_at: malformed timestamp"},
      {"zero ttl", std::nullopt, Dur(0), 0, "ttl: must be positive"},
      {"negative ttl", std::nullopt, Dur(-1), 0, "ttl: must not be negative"},
      {"negative nanos ttl", std::nullopt, Dur(0, -5), 0, "ttl: must not be negative"},
      {"mixed signs", std::nullopt, Dur(5, -5), 0, "ttl: malformed duration"},
      {"huge ttl", std::nullopt, Dur(int64_t{400} * 366 * 86400), 0, "ttl: more than 100 years"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto got = RequestedExpiry(row.at ? &*row.at : nullptr, row.ttl ? &*row.ttl : nullptr, kNow);
    if (row.message.empty()) {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, row.want);
    } else {
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(got.status().message(), row.message);
    }
  }
}

spb::AuthorizationRecord Record(uint64_t id, int64_t expires, int64_t used, bool active = true) {
  spb::AuthorizationRecord r;
  r.set_id(id);
  r.set_expires_at_unix_nanos(expires);
  r.set_last_used_at_unix_nanos(used);
  r.set_created_at_unix_nanos(int64_t(id) * kSecond);
  r.set_status(active ? spb::STATUS_ACTIVE : spb::STATUS_INACTIVE);
  return r;
}

TEST(AuthorizationFilterTest, MatchesTable) {
  const spb::AuthorizationRecord never_used = Record(1, 0, 0);
  const spb::AuthorizationRecord used_recently = Record(2, 0, kNow - kSecond);
  const spb::AuthorizationRecord used_long_ago = Record(3, kNow + 3600 * kSecond, kNow - 86400 * kSecond);
  const spb::AuthorizationRecord expired = Record(4, kNow - kSecond, 0);
  const spb::AuthorizationRecord inactive = Record(5, 0, 0, false);
  const spb::AuthorizationRecord expired_inactive = Record(6, kNow - kSecond, 0, false);
  const std::vector<spb::AuthorizationRecord> all = {never_used, used_recently, used_long_ago,
                                                     expired, inactive, expired_inactive};
  struct Row {
    std::string name;
    std::function<void(authd::v1::ListAuthorizationsRequest*)> set;
    std::vector<uint64_t> want;
  };
  const int64_t now_s = kNow / kSecond;
  const std::vector<Row> rows = {
      {"none", [](auto*) {}, {1, 2, 3, 4, 5, 6}},
      {"unused since an hour ago", [&](auto* r) { *r->mutable_unused_since() = Ts(now_s - 3600); },
       {1, 3, 4, 5, 6}},
      {"never used", [](auto* r) { r->set_never_used(true); }, {1, 4, 5, 6}},
      {"expiring within 2h", [&](auto* r) { *r->mutable_expires_before() = Ts(now_s + 7200); },
       {3, 4, 6}},
      {"active", [](auto* r) { r->set_status("active"); }, {1, 2, 3}},
      {"inactive", [](auto* r) { r->set_status("inactive"); }, {5}},
      {"expired (wins over inactive)", [](auto* r) { r->set_status("expired"); }, {4, 6}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    authd::v1::ListAuthorizationsRequest req;
    row.set(&req);
    auto filter = ParseAuthorizationFilter(req, kNow);
    ASSERT_TRUE(filter.ok()) << filter.status();
    std::vector<uint64_t> got;
    for (const auto& r : all) {
      if (Matches(*filter, r, kNow)) got.push_back(r.id());
    }
    EXPECT_EQ(got, row.want);
  }
  authd::v1::ListAuthorizationsRequest bad;
  bad.set_status("Active");
  EXPECT_EQ(ParseAuthorizationFilter(bad, kNow).status().message(),
            "status: must be active, inactive or expired");
  bad.Clear();
  *bad.mutable_unused_since() = Ts(-1);
  EXPECT_EQ(ParseAuthorizationFilter(bad, kNow).status().message(),
            "unused_since: must be after 1970-01-01T00:00:00Z");
}

TEST(AuthorizationSortTest, KeysAndCursors) {
  EXPECT_EQ(ParseAuthorizationSort("", false)->order, AuthorizationOrder::kId);
  EXPECT_EQ(ParseAuthorizationSort("last_used_at", true)->order, AuthorizationOrder::kLastUsedAt);
  EXPECT_TRUE(ParseAuthorizationSort("last_used_at", true)->descending);
  EXPECT_EQ(ParseAuthorizationSort("name", false).status().message(),
            "order_by: must be id, created_at, expires_at or last_used_at");
  // Never-expiring sorts after every expiring token; never-used before every used one.
  const auto never = Record(7, 0, 0);
  const auto soon = Record(8, kNow, kNow);
  EXPECT_LT(SortKey(AuthorizationOrder::kExpiresAt, soon), SortKey(AuthorizationOrder::kExpiresAt, never));
  EXPECT_LT(SortKey(AuthorizationOrder::kLastUsedAt, never), SortKey(AuthorizationOrder::kLastUsedAt, soon));
  EXPECT_EQ(SortKey(AuthorizationOrder::kCreatedAt, soon).first, 8 * kSecond);
  // Cursors round-trip, and belong to their order.
  const auto key = SortKey(AuthorizationOrder::kExpiresAt, soon);
  const std::string token = EncodeSortedPageToken(AuthorizationOrder::kExpiresAt, key);
  auto parsed = ParseSortedPageToken(AuthorizationOrder::kExpiresAt, token);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, key);
  for (const std::string& forged :
       {EncodeSortedPageToken(AuthorizationOrder::kCreatedAt, key), std::string("p1.0000000000000001"),
        std::string("s1.expires_at.x.0000000000000001"), std::string("s1.expires_at.5.zz"),
        std::string("s1.expires_at.5")}) {
    auto got = ParseSortedPageToken(AuthorizationOrder::kExpiresAt, forged);
    ASSERT_FALSE(got.ok()) << forged;
    EXPECT_EQ(got.status().message(), "page_token: malformed");
  }
}

TEST(ClockOffsetFileTest, WholeSecondsOnly) {
  EXPECT_EQ(*ParseClockOffsetSeconds("3600\n"), 3600);
  EXPECT_EQ(*ParseClockOffsetSeconds("  -5 "), -5);
  for (const char* bad : {"", "1h", "1.5", "99999999999999999999"}) {
    EXPECT_FALSE(ParseClockOffsetSeconds(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace authd::services
