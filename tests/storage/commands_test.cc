// The pure command deciders (storage/commands.h) over an in-memory StateReader and fixed IDs:
// what each decides (events, result rows) or refuses (code and InfluxDB's message), as tables.
// No RocksDB, no clock, no randomness.
#include "storage/commands.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "authz/token_hash.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/projector.h"
#include "tests/storage/memory_state.h"

namespace authd::storage {
namespace {

using authz::Id;

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.now_unix_nanos = 1700000000000000000;
    ctx_.ids = &ids_;
    ASSERT_NO_FATAL_FAILURE(ApplyAcmeSetup(&state_, ctx_));
    user_ = 1001;
    org_ = 1002;
    bucket_ = 1003;
    operator_auth_ = 1004;
  }

  MemoryState state_;
  FixedIds ids_;
  CommandContext ctx_;
  Id user_ = 0, org_ = 0, bucket_ = 0, operator_auth_ = 0;
};

TEST_F(CommandsTest, SetupDecidesFiveEventsWithTheSetupUserAsActorAndFourResultRows) {
  MemoryState empty;
  FixedIds ids;
  CommandContext ctx = ctx_;
  ctx.ids = &ids;
  SetupCommand setup;
  setup.username = "bob";
  setup.org = "o";
  setup.bucket = "b";
  setup.token = "tok-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  auto d = DecideSetup(empty, ctx, setup);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->events.size(), 5u);
  EXPECT_TRUE(d->events[0].has_user_created());
  EXPECT_TRUE(d->events[3].has_authorization_created());
  EXPECT_EQ(d->events[3].authorization_created().authorization().description(), "bob's Token");
  EXPECT_EQ(d->events[3].authorization_created().authorization().token_hash(),
            authz::HashToken(setup.token));
  EXPECT_TRUE(d->events[4].has_setup_completed());
  ASSERT_TRUE(d->actor.has_value());
  EXPECT_EQ(d->actor->user_id, 1001u);
  EXPECT_EQ(d->result_keys.size(), 4u);
  EXPECT_TRUE(d->raw_tokens.empty());  // hashing on: no raw copy
  ctx.keep_raw_tokens = true;
  auto raw = DecideSetup(empty, ctx, setup);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->raw_tokens.size(), 1u);
  EXPECT_EQ(raw->raw_tokens[0].second, setup.token);
}

class CommandsRefusalTest : public CommandsTest {
 public:
  StateReader& state() { return state_; }
  const CommandContext& ctx() { return ctx_; }
  Id user() const { return user_; }
  Id org() const { return org_; }
};

TEST_F(CommandsRefusalTest, EachCommandRefusesWithInfluxDbsCodeAndMessage) {
  struct Row {
    const char* name;
    absl::StatusOr<Decision> got;
    absl::StatusCode code;
    std::string message;
  };
  SetupCommand again;
  again.username = "x";
  again.org = "y";
  again.bucket = "z";
  again.token = "tok-second-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  NewAuthorization unknown_org;
  unknown_org.org_id = 77777;
  unknown_org.user_id = user();
  unknown_org.token = "tok-new-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  NewAuthorization unknown_user = unknown_org;
  unknown_user.org_id = org();
  unknown_user.user_id = 77777;
  NewAuthorization clash = unknown_user;
  clash.user_id = user();
  clash.token = "tok-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  NewAuthorization no_token = clash;
  no_token.token.clear();
  DeleteOrgCursor cursor;
  Row rows[] = {
      {"setup twice", DecideSetup(state(), ctx(), again), absl::StatusCode::kFailedPrecondition,
       "onboarding has already been completed"},
      {"org name taken", DecideCreateOrg(state(), ctx(), "acme", ""),
       absl::StatusCode::kAlreadyExists, "organization name \"acme\" is already in use"},
      {"delete unknown org", DecideDeleteOrgStep(state(), ctx(), 77777, {}, &cursor),
       absl::StatusCode::kNotFound, "org 0000000000012fd1 not found"},
      {"user name taken", DecideCreateUser(state(), ctx(), "alice", "", true),
       absl::StatusCode::kAlreadyExists, "user with name \"alice\" already exists"},
      {"update unknown user", DecideUpdateUser(state(), ctx(), 77777, std::nullopt, true),
       absl::StatusCode::kNotFound, "user 0000000000012fd1 not found"},
      {"delete unknown user", DecideDeleteUser(state(), ctx(), 77777), absl::StatusCode::kNotFound,
       "user 0000000000012fd1 not found"},
      {"password of unknown user", DecideSetPassword(state(), ctx(), 77777, "h"),
       absl::StatusCode::kNotFound, "user 0000000000012fd1 not found"},
      {"bucket in unknown org", DecideCreateBucket(state(), ctx(), 77777, "b", "", 0),
       absl::StatusCode::kNotFound, "org 0000000000012fd1 not found"},
      {"bucket name taken", DecideCreateBucket(state(), ctx(), org(), "metrics", "", 0),
       absl::StatusCode::kAlreadyExists, "bucket with name \"metrics\" already exists"},
      {"delete unknown bucket", DecideDeleteBucket(state(), ctx(), 77777),
       absl::StatusCode::kNotFound, "bucket 0000000000012fd1 not found"},
      {"token in unknown org", DecideCreateAuthorization(state(), ctx(), unknown_org),
       absl::StatusCode::kInvalidArgument, "unable to create token: org not found"},
      {"token for unknown user", DecideCreateAuthorization(state(), ctx(), unknown_user),
       absl::StatusCode::kInvalidArgument, "unable to create token: user not found"},
      {"token already exists", DecideCreateAuthorization(state(), ctx(), clash),
       absl::StatusCode::kAlreadyExists, "token already exists"},
      {"no token", DecideCreateAuthorization(state(), ctx(), no_token),
       absl::StatusCode::kInternal, "CreateAuthorization without a token"},
      {"update unknown token", DecideUpdateAuthorization(state(), ctx(), 77777, false, std::nullopt),
       absl::StatusCode::kNotFound, "authorization not found"},
      {"delete unknown token", DecideDeleteAuthorization(state(), ctx(), 77777),
       absl::StatusCode::kNotFound, "authorization not found"},
  };
  for (const Row& row : rows) {
    ASSERT_FALSE(row.got.ok()) << row.name;
    EXPECT_EQ(row.got.status().code(), row.code) << row.name;
    EXPECT_EQ(row.got.status().message(), row.message) << row.name;
  }
}

TEST_F(CommandsTest, FreshIdsSkipTakenAndReservedIds) {
  // The IdSource offers the setup user's ID, a reserved one (< 1000), then a free one.
  FixedIds ids({user_, 5, 4242});
  CommandContext ctx = ctx_;
  ctx.ids = &ids;
  auto d = DecideCreateUser(state_, ctx, "bob", "", true);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->events[0].user_created().user().id(), 4242u);
  // An IdSource that only offers taken IDs gives up, clearly.
  FixedIds stuck({user_});
  ctx.ids = &stuck;
  auto refused = DecideCreateUser(state_, ctx, "carol", "", true);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CommandsTest, DeleteOrgGoesInBoundedStepsTokensFirstOrgLast) {
  // 5 tokens and 2 more buckets in the org: 8 deletions and the org, in steps of 3.
  for (int i = 0; i < 5; ++i) {
    NewAuthorization req;
    req.org_id = org_;
    req.user_id = user_;
    req.token = "tok-org-token-" + std::to_string(i) + "-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
    auto d = DecideCreateAuthorization(state_, ctx_, req);
    ASSERT_TRUE(d.ok()) << d.status();
    state_.Apply(d->events);
  }
  for (const char* name : {"b1", "b2"}) {
    auto d = DecideCreateBucket(state_, ctx_, org_, name, "", 0);
    ASSERT_TRUE(d.ok());
    state_.Apply(d->events);
  }
  std::vector<std::string> kinds;
  std::vector<Id> deleted;
  DeleteOrgCursor cursor;
  int steps = 0;
  for (bool more = true; more; ++steps) {
    ASSERT_LT(steps, 10);
    DeleteOrgCursor next;
    auto d = DecideDeleteOrgStep(state_, ctx_, org_, cursor, &next, /*max_events=*/3);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_LE(d->events.size(), 3u);
    for (const pb::Event& e : d->events) {
      kinds.push_back(e.has_authorization_deleted() ? "auth"
                      : e.has_bucket_deleted()      ? "bucket"
                                                    : e.has_org_deleted() ? "org" : "?");
      if (e.has_authorization_deleted()) deleted.push_back(e.authorization_deleted().id());
    }
    state_.Apply(d->events);
    more = d->more;
    cursor = next;
    if (steps == 0) {
      // A token created during the delete, below the cursor: the wrap-around must find it.
      FixedIds low({1000});
      CommandContext late = ctx_;
      late.ids = &low;
      NewAuthorization req;
      req.org_id = org_;
      req.user_id = user_;
      req.token = "tok-org-token-late-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
      auto created = DecideCreateAuthorization(state_, late, req);
      ASSERT_TRUE(created.ok()) << created.status();
      state_.Apply(created->events);
      ASSERT_FALSE(cursor.from.empty());
    }
  }
  // 7 tokens (operator + 5 + the late one), 3 buckets, the org: 11 events in 4 steps (3 tokens,
  // 3 from the cursor, the late one found by the wrap with 2 buckets, the last bucket and the org).
  EXPECT_EQ(steps, 4);
  std::vector<std::string> want(7, "auth");
  want.insert(want.end(), 3, "bucket");
  want.push_back("org");
  EXPECT_EQ(kinds, want);
  EXPECT_NE(std::find(deleted.begin(), deleted.end(), 1000u), deleted.end());
  auto left = state_.EntriesWithPrefix(kAuthByOrgCf, EncodeU64(org_), "", 10);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  EXPECT_EQ(DecideDeleteOrgStep(state_, ctx_, org_, {}, &cursor).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CommandsTest, UpdatesNameTheirResultRowAndOnlyChangeWhatIsGiven) {
  auto d = DecideUpdateUser(state_, ctx_, user_, std::string("alice"), std::nullopt);
  ASSERT_TRUE(d.ok()) << d.status();
  // The same name is no rename.
  EXPECT_FALSE(d->events[0].user_updated().has_name());
  EXPECT_FALSE(d->events[0].user_updated().has_status());
  ASSERT_EQ(d->result_keys.size(), 1u);
  EXPECT_EQ(d->result_keys[0], UserRow(user_));
  auto a = DecideUpdateAuthorization(state_, ctx_, operator_auth_, false, std::nullopt);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->events[0].authorization_updated().has_status());
  EXPECT_FALSE(a->events[0].authorization_updated().has_description());
  EXPECT_EQ(a->result_keys[0], AuthorizationRow(operator_auth_));
}

}  // namespace
}  // namespace authd::storage
