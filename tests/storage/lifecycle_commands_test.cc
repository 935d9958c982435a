// The lifecycle deciders and their projection (docs/adr/0007) over the in-memory state: expiry
// on create and update against the server's and the org's maximum lifetime, rotation with and
// without a grace period, the sweeper's and the flusher's maintenance decisions, and the event
// format version each writes. Tables of inputs -> events or the refusal (code and message).
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "authz/token_hash.h"
#include "gtest/gtest.h"
#include "storage/commands.h"
#include "storage/keys.h"
#include "storage/projector.h"
#include "tests/storage/memory_state.h"

namespace authd::storage {
namespace {

using authz::Id;

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kDay = 24 * kHour;

class LifecycleCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.now_unix_nanos = 1700000000 * kSecond;
    ctx_.ids = &ids_;
    ASSERT_NO_FATAL_FAILURE(ApplyAcmeSetup(&state_, ctx_));
  }

  NewAuthorization Token(std::string token, int64_t expires_at = 0) {
    NewAuthorization req;
    req.org_id = org_;
    req.user_id = user_;
    req.token = std::move(token);
    req.expires_at_unix_nanos = expires_at;
    return req;
  }

  // Creates and applies a token; returns its ID.
  Id Create(const std::string& token, int64_t expires_at = 0) {
    auto d = DecideCreateAuthorization(state_, ctx_, Token(token, expires_at));
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok()) return 0;
    state_.Apply(d->events);
    return d->events[0].authorization_created().authorization().id();
  }

  pb::AuthorizationRecord Record(Id id) {
    auto bytes = state_.Get(kAuthorizationsCf, EncodeU64(id));
    EXPECT_TRUE(bytes.ok() && bytes->has_value());
    pb::AuthorizationRecord r;
    if (bytes.ok() && bytes->has_value()) r.ParseFromString(**bytes);
    return r;
  }

  void SetOrgLimit(int64_t nanos) {
    auto d = DecideUpdateOrg(state_, ctx_, org_, std::nullopt, nanos);
    ASSERT_TRUE(d.ok()) << d.status();
    state_.Apply(d->events);
  }

  MemoryState state_;
  FixedIds ids_;
  CommandContext ctx_;
  const Id user_ = 1001, org_ = 1002, operator_auth_ = 1004;
};

TEST_F(LifecycleCommandsTest, CreateExpiryTable) {
  const int64_t now = ctx_.now_unix_nanos;
  struct Row {
    std::string name;
    int64_t server_limit;
    int64_t org_limit;
    int64_t expires_at;
    absl::StatusCode code;
    std::string message;     // of the refusal
    int64_t want_expires_at;  // when accepted
  };
  const std::vector<Row> rows = {
      {"never", 0, 0, 0, absl::StatusCode::kOk, "", 0},
      {"in an hour", 0, 0, now + kHour, absl::StatusCode::kOk, "", now + kHour},
      {"now", 0, 0, now, absl::StatusCode::kInvalidArgument, "expires_at: must be in the future", 0},
      {"in the past", 0, 0, now - kSecond, absl::StatusCode::kInvalidArgument,
       "expires_at: must be in the future", 0},
      {"absurd", 0, 0, now + 200 * 366 * kDay, absl::StatusCode::kInvalidArgument,
       "expires_at: more than 100 years from now", 0},
      {"server limit is the default", 30 * kDay, 0, 0, absl::StatusCode::kOk, "", now + 30 * kDay},
      {"within the server limit", 30 * kDay, 0, now + kDay, absl::StatusCode::kOk, "", now + kDay},
      {"beyond the server limit", 30 * kDay, 0, now + 31 * kDay,
       absl::StatusCode::kInvalidArgument,
       "expires_at: beyond the maximum token lifetime of 720h (the server's "
       "--max-token-lifetime)",
       0},
      {"org limit smaller", 30 * kDay, kDay, now + 2 * kDay, absl::StatusCode::kInvalidArgument,
       "expires_at: beyond the maximum token lifetime of 24h (org \"acme\"'s "
       "max_token_lifetime)",
       0},
      {"org limit alone is the default", 0, kDay, 0, absl::StatusCode::kOk, "", now + kDay},
  };
  int i = 0;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    ctx_.max_token_lifetime_nanos = row.server_limit;
    SetOrgLimit(row.org_limit);
    auto d = DecideCreateAuthorization(state_, ctx_,
                                       Token("tok-expiry-" + std::to_string(i++) + "-Zq8Xv3Kp9Lm2",
                                             row.expires_at));
    if (row.code != absl::StatusCode::kOk) {
      ASSERT_FALSE(d.ok());
      EXPECT_EQ(d.status().code(), row.code);
      EXPECT_EQ(d.status().message(), row.message);
      continue;
    }
    ASSERT_TRUE(d.ok()) << d.status();
    const pb::Event& e = d->events[0];
    EXPECT_EQ(e.authorization_created().authorization().expires_at_unix_nanos(),
              row.want_expires_at);
    // Only events with lifecycle data need the newer format.
    EXPECT_EQ(EventFormatVersionFor(e), row.want_expires_at == 0 ? 1u : 2u);
  }
}

TEST_F(LifecycleCommandsTest, UpdateExpiryExtendsAndClearsUnderTheLimits) {
  const int64_t now = ctx_.now_unix_nanos;
  const Id id = Create("tok-update-expiry-Zq8Xv3Kp9Lm2Nw7", now + kHour);
  // Extend: the new expiry is one new field of the update (format 2) and clears the record's
  // "expiry recorded" mark.
  auto d = DecideUpdateAuthorization(state_, ctx_, id, std::nullopt, std::nullopt, now + kDay);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->events[0].authorization_updated().expires_at_unix_nanos(), now + kDay);
  EXPECT_EQ(EventFormatVersionFor(d->events[0]), 2u);
  state_.Apply(d->events);
  EXPECT_EQ(Record(id).expires_at_unix_nanos(), now + kDay);
  // The same expiry again changes nothing (format 1: no lifecycle data).
  d = DecideUpdateAuthorization(state_, ctx_, id, std::nullopt, std::nullopt, now + kDay);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->events[0].authorization_updated().has_expires_at_unix_nanos());
  EXPECT_EQ(EventFormatVersionFor(d->events[0]), 1u);
  // The stored expiry sent back is no change and is not judged again, even once it has passed
  // (a client PATCHing back what it read, to change only the status).
  CommandContext much_later = ctx_;
  much_later.now_unix_nanos = now + 2 * kDay;
  d = DecideUpdateAuthorization(state_, much_later, id, false, std::nullopt, now + kDay);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->events[0].authorization_updated().has_expires_at_unix_nanos());
  EXPECT_TRUE(d->events[0].authorization_updated().has_status());
  // Never, then refused once a limit applies.
  d = DecideUpdateAuthorization(state_, ctx_, id, std::nullopt, std::nullopt, 0);
  ASSERT_TRUE(d.ok());
  state_.Apply(d->events);
  EXPECT_EQ(Record(id).expires_at_unix_nanos(), 0);
  SetOrgLimit(kDay);
  // Already never expiring: "never" again is no change, limit or not.
  d = DecideUpdateAuthorization(state_, ctx_, id, std::nullopt, std::nullopt, 0);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->events[0].authorization_updated().has_expires_at_unix_nanos());
  d = DecideUpdateAuthorization(state_, ctx_, id, std::nullopt, std::nullopt, now + kHour);
  ASSERT_TRUE(d.ok()) << d.status();
  state_.Apply(d->events);
  struct Row {
    std::string name;
    int64_t expires_at;
    std::string message;
  };
  for (const Row& row : std::vector<Row>{
           {"never under a limit", 0,
            "never_expires: a token of org \"acme\" must expire: the maximum token lifetime is "
            "24h"},
           {"past", now - 1, "expires_at: must be in the future"},
           {"beyond the org limit", now + 2 * kDay,
            "expires_at: beyond the maximum token lifetime of 24h (org \"acme\"'s "
            "max_token_lifetime)"},
       }) {
    SCOPED_TRACE(row.name);
    auto refused =
        DecideUpdateAuthorization(state_, ctx_, id, std::nullopt, std::nullopt, row.expires_at);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.status().message(), row.message);
  }
}

TEST_F(LifecycleCommandsTest, RotationKeepsThePreviousSecretForTheGracePeriodOnly) {
  const int64_t now = ctx_.now_unix_nanos;
  const Id id = Create("tok-rotate-first-Zq8Xv3Kp9Lm2Nw7", now + kDay);
  const std::string first = authz::HashToken("tok-rotate-first-Zq8Xv3Kp9Lm2Nw7");
  const std::string second = authz::HashToken("tok-rotate-second-Zq8Xv3Kp9Lm2Nw");
  const std::string third = authz::HashToken("tok-rotate-third-Zq8Xv3Kp9Lm2Nw7");

  auto d = DecideRotateAuthorization(state_, ctx_, id, "tok-rotate-second-Zq8Xv3Kp9Lm2Nw", kHour);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(EventFormatVersionFor(d->events[0]), 2u);
  EXPECT_EQ(d->result_keys[0], AuthorizationRow(id));
  {
    // Both secrets are published: the new one, and the previous one expiring with the grace.
    ProjectionBatch batch(&state_);
    ASSERT_TRUE(Project(d->events[0], &batch).ok());
    int puts = 0;
    for (const IndexOp& op : batch.index_ops()) {
      if (op.kind != IndexOp::Kind::kPutToken) continue;
      ++puts;
      if (op.grant.previous_secret) {
        EXPECT_EQ(op.grant.expires_at_ns, now + kHour);
      }
    }
    EXPECT_EQ(puts, 2);
  }
  state_.Apply(d->events);
  pb::AuthorizationRecord r = Record(id);
  EXPECT_EQ(r.token_hash(), second);
  EXPECT_EQ(r.previous_token_hash(), first);
  EXPECT_EQ(r.previous_valid_until_unix_nanos(), now + kHour);
  EXPECT_EQ(r.rotated_at_unix_nanos(), 0) << "the event's time, which Execute stamps";
  for (const std::string& hash : {first, second}) {
    auto row = state_.Get(kTokenIndexCf, hash);
    ASSERT_TRUE(row.ok());
    EXPECT_TRUE(row->has_value());
  }

  // Rotating again without grace: the first secret goes at once (one previous at most), and so
  // does the second.
  d = DecideRotateAuthorization(state_, ctx_, id, "tok-rotate-third-Zq8Xv3Kp9Lm2Nw7", 0);
  ASSERT_TRUE(d.ok()) << d.status();
  state_.Apply(d->events);
  r = Record(id);
  EXPECT_EQ(r.token_hash(), third);
  EXPECT_TRUE(r.previous_token_hash().empty());
  for (const std::string& gone : {first, second}) {
    auto row = state_.Get(kTokenIndexCf, gone);
    ASSERT_TRUE(row.ok());
    EXPECT_FALSE(row->has_value());
  }
}

TEST_F(LifecycleCommandsTest, RotationRefusals) {
  const int64_t now = ctx_.now_unix_nanos;
  const Id expiring = Create("tok-rotate-expiring-Zq8Xv3Kp9Lm2", now + kHour);
  CommandContext later = ctx_;
  later.now_unix_nanos = now + 2 * kHour;
  SetOrgLimit(kDay);
  struct Row {
    std::string name;
    absl::StatusOr<Decision> got;
    absl::StatusCode code;
    std::string message;
  };
  const std::string fresh = "tok-rotate-fresh-Zq8Xv3Kp9Lm2Nw7";
  std::vector<Row> rows;
  rows.push_back({"unknown", DecideRotateAuthorization(state_, ctx_, 77777, fresh, 0),
                  absl::StatusCode::kNotFound, "authorization not found"});
  rows.push_back({"expired", DecideRotateAuthorization(state_, later, expiring, fresh, 0),
                  absl::StatusCode::kFailedPrecondition,
                  "authorization has expired: extend its expires_at before rotating it"});
  rows.push_back({"negative grace", DecideRotateAuthorization(state_, ctx_, expiring, fresh, -1),
                  absl::StatusCode::kInvalidArgument, "grace_period: must not be negative"});
  rows.push_back({"grace beyond the limit",
                  DecideRotateAuthorization(state_, ctx_, expiring, fresh, 2 * kDay),
                  absl::StatusCode::kInvalidArgument,
                  "grace_period: beyond the maximum token lifetime of 24h"});
  rows.push_back({"clash", DecideRotateAuthorization(state_, ctx_, expiring,
                                                     "tok-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb", 0),
                  absl::StatusCode::kAlreadyExists, "token already exists"});
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    ASSERT_FALSE(row.got.ok());
    EXPECT_EQ(row.got.status().code(), row.code);
    EXPECT_EQ(row.got.status().message(), row.message);
  }
}

TEST_F(LifecycleCommandsTest, SweeperRecordsPassedExpiriesOnceAndSkipsStaleEntries) {
  const int64_t now = ctx_.now_unix_nanos;
  const Id a = Create("tok-sweep-a-Zq8Xv3Kp9Lm2Nw7Rt5Yb", now + kHour);
  const Id b = Create("tok-sweep-b-Zq8Xv3Kp9Lm2Nw7Rt5Yb", now + 3 * kHour);
  auto rotated = DecideRotateAuthorization(state_, ctx_, b, "tok-sweep-b2-Zq8Xv3Kp9Lm2Nw7Rt5Y",
                                           kHour);
  ASSERT_TRUE(rotated.ok());
  state_.Apply(rotated->events);
  CommandContext later = ctx_;
  later.now_unix_nanos = now + 2 * kHour;
  const std::vector<authz::DueExpiry> due = {
      {a, false, now + kHour},
      {b, true, now + kHour},   // b's previous secret
      {b, false, now + kHour},  // stale: b itself expires later
      {77777, false, now},      // deleted meanwhile
  };
  auto d = DecideRecordExpiries(state_, later, due);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->events.size(), 2u);
  EXPECT_EQ(d->events[0].authorization_expired().id(), a);
  EXPECT_FALSE(d->events[0].authorization_expired().previous_token());
  EXPECT_EQ(d->events[0].authorization_expired().at_unix_nanos(), now + kHour);
  EXPECT_EQ(d->events[1].authorization_expired().id(), b);
  EXPECT_TRUE(d->events[1].authorization_expired().previous_token());
  state_.Apply(d->events);
  EXPECT_TRUE(Record(a).expiry_recorded());
  EXPECT_TRUE(Record(b).previous_token_hash().empty());
  auto old_row = state_.Get(kTokenIndexCf, authz::HashToken("tok-sweep-b-Zq8Xv3Kp9Lm2Nw7Rt5Yb"));
  ASSERT_TRUE(old_row.ok());
  EXPECT_FALSE(old_row->has_value());
  // Idempotent: a second sweep (another replica's) finds nothing left.
  auto again = DecideRecordExpiries(state_, later, due);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->events.empty());
  // Extending an expired token clears the mark: it can expire (and be recorded) again.
  auto extend = DecideUpdateAuthorization(state_, later, a, std::nullopt, std::nullopt,
                                          later.now_unix_nanos + kHour);
  ASSERT_TRUE(extend.ok()) << extend.status();
  state_.Apply(extend->events);
  EXPECT_FALSE(Record(a).expiry_recorded());
}

TEST_F(LifecycleCommandsTest, UsageIsRecordedForLiveTokensNewerThanTheRecord) {
  const Id a = Create("tok-usage-a-Zq8Xv3Kp9Lm2Nw7Rt5Yb");
  const int64_t t = ctx_.now_unix_nanos / kSecond;
  auto d = DecideRecordUsage(state_, ctx_, {{a, t}, {operator_auth_, t + 1}, {77777, t}});
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->events.size(), 1u);
  ASSERT_EQ(d->events[0].authorizations_used().uses_size(), 2);
  EXPECT_EQ(EventFormatVersionFor(d->events[0]), 2u);
  state_.Apply(d->events);
  EXPECT_EQ(Record(a).last_used_at_unix_nanos(), t * kSecond);
  EXPECT_EQ(Record(operator_auth_).last_used_at_unix_nanos(), (t + 1) * kSecond);
  // Nothing newer: no event at all.
  d = DecideRecordUsage(state_, ctx_, {{a, t}});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->events.empty());
}

TEST_F(LifecycleCommandsTest, PurgeDeletesOnlyTokensExpiredBeforeTheCutoffAndRecorded) {
  const int64_t now = ctx_.now_unix_nanos;
  const Id old_one = Create("tok-purge-old-Zq8Xv3Kp9Lm2Nw7Rt5Yb", now + kHour);
  const Id recent = Create("tok-purge-recent-Zq8Xv3Kp9Lm2Nw7Rt5", now + 5 * kHour);
  const Id unrecorded = Create("tok-purge-unrecorded-Zq8Xv3Kp9Lm2Nw", now + kHour);
  CommandContext later = ctx_;
  later.now_unix_nanos = now + 6 * kHour;
  auto expired = DecideRecordExpiries(state_, later,
                                      {{old_one, false, now + kHour}, {recent, false, now + 5 * kHour}});
  ASSERT_TRUE(expired.ok());
  state_.Apply(expired->events);
  // Retention 2h at +6h: the cutoff is +4h.
  auto d = DecidePurgeExpired(state_, later, {old_one, recent, unrecorded, 77777}, now + 4 * kHour);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->events.size(), 1u);
  EXPECT_EQ(d->events[0].authorization_deleted().id(), old_one);
  EXPECT_EQ(EventFormatVersionFor(d->events[0]), 1u);
}

TEST_F(LifecycleCommandsTest, OrgLimitBounds) {
  for (int64_t bad : {int64_t{-1}, int64_t{101} * 366 * kDay}) {
    auto d = DecideUpdateOrg(state_, ctx_, org_, std::nullopt, bad);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(d.status().message(), "max_token_lifetime: must be between 0 (no limit) and 100 years");
  }
  auto unknown = DecideUpdateOrg(state_, ctx_, 77777, std::nullopt, kDay);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  auto ok = DecideUpdateOrg(state_, ctx_, org_, std::string("d"), kDay);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(EventFormatVersionFor(ok->events[0]), 2u);
}

TEST_F(LifecycleCommandsTest, SetupTokenNeverExpiresUnlessAsked) {
  MemoryState empty;
  FixedIds ids;
  CommandContext ctx = ctx_;
  ctx.ids = &ids;
  ctx.max_token_lifetime_nanos = kDay;  // does not apply to the operator token
  SetupCommand setup;
  setup.username = "bob";
  setup.org = "o";
  setup.bucket = "b";
  setup.token = "tok-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  auto d = DecideSetup(empty, ctx, setup);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->events[3].authorization_created().authorization().expires_at_unix_nanos(), 0);
  setup.token_expires_at_unix_nanos = ctx.now_unix_nanos - 1;
  EXPECT_EQ(DecideSetup(empty, ctx, setup).status().code(), absl::StatusCode::kInvalidArgument);
  setup.token_expires_at_unix_nanos = ctx.now_unix_nanos + 7 * kDay;
  d = DecideSetup(empty, ctx, setup);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->events[3].authorization_created().authorization().expires_at_unix_nanos(),
            ctx.now_unix_nanos + 7 * kDay);
}

}  // namespace
}  // namespace authd::storage
