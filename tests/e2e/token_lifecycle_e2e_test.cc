// End-to-end: token lifecycle (docs/adr/0007) through the real authd binary: expiry (Authorize's
// DENY_REASON_EXPIRED, API calls' UNAUTHENTICATED "token expired", the sweeper's event, extending
// to reactivate), maximum lifetimes, rotation with a grace period, last-used times (and what a
// kill -9 loses of them), the list filters and orders, restarts and `authd verify`.
// Time moves through the test-only --clock-offset-file (AUTHD_TESTING=1): no sleeps of hours;
// every wait is a bounded poll.
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {
namespace {

using google::protobuf::util::TimeUtil;

class TokenLifecycleE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("lifecycle");
    offset_file_ = dir_ + "/clock-offset";
    SetOffset(0);
    Start({});
  }

  // (Re)starts authd on the same data dir with the test clock and `args`; sets up once.
  void Start(std::vector<std::string> args, bool setup = true) {
    args.push_back("--clock-offset-file=" + offset_file_);
    bool has_interval = false;
    for (const std::string& a : args) has_interval |= a.rfind("--last-used-interval", 0) == 0;
    if (!has_interval) args.push_back("--last-used-interval=1s");
    client_.reset();
    if (authd_ == nullptr) {
      authd_ = std::make_unique<AuthdProcess>(dir_ + "/authd", args,
                                              std::vector<std::string>{"AUTHD_TESTING=1"});
    } else {
      authd_->set_extra_args(args);
    }
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
    if (setup && operator_token_.empty()) {
      v1::SetupResponse out;
      grpc::Status s = client_->Setup("admin", "acme", "metrics", &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
      operator_token_ = out.authorization().token();
      org_id_ = out.org().id();
      bucket_id_ = out.bucket().id();
    }
  }

  void Stop() {
    client_.reset();
    auto code = authd_->Stop();
    ASSERT_TRUE(code.ok()) << code.status();
  }

  // Moves authd's clock to `seconds` ahead of the wall clock, and waits (bounded) until it has
  // read the file (it logs each new offset).
  void SetOffset(int64_t seconds) {
    offset_ = seconds;
    if (authd_ == nullptr) {  // before the first start: the file is read at start-up
      std::ofstream(offset_file_) << seconds << "\n";
      return;
    }
    absl::Status s = SetClockOffset(*authd_, offset_file_, seconds);
    ASSERT_TRUE(s.ok()) << s << "\n" << authd_->Log();
  }

  // authd's "now", as a Timestamp `delta` from it.
  google::protobuf::Timestamp At(absl::Duration delta) const {
    return TimeUtil::NanosecondsToTimestamp(
        absl::ToUnixNanos(absl::Now() + absl::Seconds(offset_) + delta));
  }

  v1::Authorization Create(std::function<void(v1::CreateAuthorizationRequest*)> tweak = nullptr,
                           grpc::Status* status = nullptr) {
    v1::CreateAuthorizationRequest req;
    req.set_org_id(org_id_);
    *req.add_permissions() = Perm("read", "buckets", bucket_id_, org_id_);
    if (tweak) tweak(&req);
    v1::Authorization out;
    grpc::Status s = client_->Create(operator_token_, req, &out);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return out;
  }

  v1::DenyReason Check(const std::string& token) {
    v1::AuthorizeResponse r = client_->Authorize(token, "read", "buckets", bucket_id_, org_id_);
    return r.allowed() ? v1::DENY_REASON_UNSPECIFIED : r.reason();
  }

  v1::Authorization Get(const std::string& id, grpc::Status* status = nullptr,
                        const std::string& caller = "") {
    v1::GetAuthorizationRequest req;
    req.set_id(id);
    v1::Authorization out;
    grpc::Status s = client_->auths->GetAuthorization(
        AuthdClient::Ctx(caller.empty() ? operator_token_ : caller).get(), req, &out);
    if (status != nullptr) *status = s;
    return out;
  }

  std::vector<std::string> ListIds(const v1::ListAuthorizationsRequest& base,
                                   grpc::Status* status = nullptr) {
    std::vector<std::string> ids;
    v1::ListAuthorizationsRequest req = base;
    for (int page = 0; page < 100; ++page) {
      v1::ListAuthorizationsResponse resp;
      grpc::Status s =
          client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), req, &resp);
      if (status != nullptr) *status = s;
      if (!s.ok()) return ids;
      for (const auto& a : resp.authorizations()) ids.push_back(a.id());
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return ids;
  }

  bool Eventually(const std::function<bool()>& pred) { return PollUntil(pred, absl::Seconds(15)); }

  absl::StatusOr<ProcessResult> Offline(std::vector<std::string> args) {
    return RunAuthdOffline(authd_->data_dir(), std::move(args));
  }

  std::string dir_, offset_file_;
  int64_t offset_ = 0;
  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> client_;
  std::string operator_token_, org_id_, bucket_id_;
};

TEST_F(TokenLifecycleE2eTest, ExpiryDeniesThenExtendingReactivatesAndRestartsAgree) {
  v1::Authorization t = Create([](auto* r) { r->mutable_ttl()->set_seconds(3600); });
  ASSERT_TRUE(t.has_expires_at());
  EXPECT_EQ(Check(t.token()), v1::DENY_REASON_UNSPECIFIED);
  // Another token without expiry: untouched by all of this.
  v1::Authorization forever = Create();
  EXPECT_FALSE(forever.has_expires_at());

  SetOffset(2 * 3600);
  EXPECT_EQ(Check(t.token()), v1::DENY_REASON_EXPIRED);
  EXPECT_EQ(Check(forever.token()), v1::DENY_REASON_UNSPECIFIED);
  // As an API credential: UNAUTHENTICATED "token expired".
  grpc::Status s;
  Get(t.id(), &s, t.token());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "token expired");
  // The sweeper records it in the log (once).
  ASSERT_TRUE(Eventually([&] {
    return authd_->Log().find("expiry: recorded 1 expired token(s)") != std::string::npos;
  })) << authd_->Log();
  v1::ListAuthorizationsRequest expired;
  expired.set_status("expired");
  EXPECT_EQ(ListIds(expired), std::vector<std::string>{t.id()});

  // Restart: replay and reload agree, and verify passes over the lifecycle events.
  Stop();
  auto v = Offline({"verify"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->exit_code, 0) << v->output;
  Start({});
  EXPECT_EQ(Check(t.token()), v1::DENY_REASON_EXPIRED);
  EXPECT_EQ(Check(forever.token()), v1::DENY_REASON_UNSPECIFIED);

  // Extending (by someone allowed to) makes it work again.
  v1::UpdateAuthorizationRequest extend;
  extend.set_id(t.id());
  *extend.mutable_expires_at() = At(absl::Hours(1));
  v1::Authorization updated;
  s = client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_token_).get(), extend, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Check(t.token()), v1::DENY_REASON_UNSPECIFIED);
  // Its own holder (read-only token) may not extend it.
  s = client_->auths->UpdateAuthorization(AuthdClient::Ctx(t.token()).get(), extend, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
}

TEST_F(TokenLifecycleE2eTest, BadExpiryInputIsInvalidArgumentAndWritesNothing) {
  struct Row {
    std::string name;
    std::function<void(v1::CreateAuthorizationRequest*)> tweak;
    std::string message;
  };
  const std::vector<Row> rows = {
      {"past", [&](auto* r) { *r->mutable_expires_at() = At(-absl::Hours(1)); },
       "expires_at: must be in the future"},
      {"negative ttl", [](auto* r) { r->mutable_ttl()->set_seconds(-5); },
       "ttl: must not be negative"},
      {"zero ttl", [](auto* r) { r->mutable_ttl(); }, "ttl: must be positive"},
      {"absurd ttl", [](auto* r) { r->mutable_ttl()->set_seconds(int64_t{400} * 366 * 86400); },
       "ttl: more than 100 years"},
      {"both", [&](auto* r) {
         r->mutable_ttl()->set_seconds(60);
         *r->mutable_expires_at() = At(absl::Hours(1));
       },
       "expires_at, ttl: set at most one"},
  };
  const size_t before = ListIds({}).size();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    grpc::Status s;
    Create(row.tweak, &s);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), row.message);
  }
  EXPECT_EQ(ListIds({}).size(), before);
  v1::ListAuthorizationsRequest bad;
  bad.set_status("stale");
  grpc::Status s;
  ListIds(bad, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "status: must be active, inactive or expired");
  bad.Clear();
  bad.set_order_by("expires_at");
  bad.set_page_token("p1.0000000000000001");
  ListIds(bad, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "page_token: malformed");
}

TEST_F(TokenLifecycleE2eTest, MaximumLifetimesServerAndOrg) {
  Stop();
  Start({"--max-token-lifetime=2d"});
  // The maximum is also the default lifetime; beyond it is refused naming the limit.
  v1::Authorization t = Create();
  ASSERT_TRUE(t.has_expires_at());
  const int64_t lifetime = t.expires_at().seconds() - t.created_at().seconds();
  EXPECT_NEAR(lifetime, 2 * 86400, 5);
  grpc::Status s;
  Create([](auto* r) { r->mutable_ttl()->set_seconds(3 * 86400); }, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "ttl: beyond the maximum token lifetime of 48h (the server's "
            "--max-token-lifetime)");
  // The org's own limit, smaller, wins.
  v1::UpdateOrgRequest org;
  org.set_id(org_id_);
  org.mutable_max_token_lifetime()->set_seconds(3600);
  v1::Org updated;
  s = client_->tenant->UpdateOrg(AuthdClient::Ctx(operator_token_).get(), org, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.max_token_lifetime().seconds(), 3600);
  Create([](auto* r) { r->mutable_ttl()->set_seconds(7200); }, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "ttl: beyond the maximum token lifetime of 1h (org \"acme\"'s "
            "max_token_lifetime)");
  // A read-only token may not change the org's limit.
  s = client_->tenant->UpdateOrg(AuthdClient::Ctx(t.token()).get(), org, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  // An explicit time is named as such.
  Create([&](auto* r) { *r->mutable_expires_at() = At(absl::Hours(2)); }, &s);
  EXPECT_EQ(s.error_message(),
            "expires_at: beyond the maximum token lifetime of 1h (org \"acme\"'s "
            "max_token_lifetime)");
  // GetServerConfig reports the server's settings.
  v1::GetServerConfigResponse config;
  s = client_->admin->GetServerConfig(AuthdClient::Ctx(operator_token_).get(),
                                      v1::GetServerConfigRequest(), &config);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(config.max_token_lifetime_seconds(), 2 * 86400);
  EXPECT_EQ(config.last_used_interval_seconds(), 1);
  EXPECT_EQ(config.expired_token_retention_seconds(), 0);
  // The operator token from setup never expires, whatever the limits.
  v1::ListAuthorizationsRequest never;
  never.set_order_by("expires_at");
  never.set_descending(true);
  std::vector<std::string> ids = ListIds(never);
  ASSERT_FALSE(ids.empty());
  EXPECT_FALSE(Get(ids.front()).has_expires_at()) << "never-expiring sorts last, first reversed";
}

TEST_F(TokenLifecycleE2eTest, RotationGraceThenTheOldSecretStops) {
  v1::Authorization t = Create([](auto* r) { r->set_description("ci deploy"); });
  v1::RotateAuthorizationRequest rotate;
  rotate.set_id(t.id());
  rotate.mutable_grace_period()->set_seconds(3600);
  v1::Authorization rotated;
  grpc::Status s =
      client_->auths->RotateAuthorization(AuthdClient::Ctx(operator_token_).get(), rotate, &rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.id(), t.id());
  EXPECT_EQ(rotated.description(), "ci deploy");
  EXPECT_NE(rotated.token(), t.token());
  EXPECT_FALSE(rotated.token().empty());
  EXPECT_TRUE(rotated.has_rotated_at());
  EXPECT_TRUE(rotated.has_previous_token_valid_until());
  EXPECT_TRUE(Get(t.id()).token().empty()) << "the new secret is shown once";
  EXPECT_NEAR(rotated.previous_token_valid_until().seconds() - rotated.rotated_at().seconds(), 3600,
              2);
  EXPECT_EQ(Check(rotated.token()), v1::DENY_REASON_UNSPECIFIED);
  EXPECT_EQ(Check(t.token()), v1::DENY_REASON_UNSPECIFIED);
  EXPECT_EQ(client_->Authorize(t.token(), "read", "buckets", bucket_id_, org_id_).authorization_id(),
            t.id());
  // The old secret is for Authorize only: as an API credential it stopped at once.
  Get(t.id(), &s, t.token());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "unauthorized access");
  // No escalation: an all-access token of the org may manage the org's tokens, but not mint a
  // new secret for the operator token (more than it holds).
  v1::Authorization all_access = Create([](auto* r) {
    r->clear_permissions();
    r->set_preset(v1::PRESET_ALL_ACCESS);
  });
  v1::ListAuthorizationsRequest operators;
  operators.set_order_by("created_at");
  const std::string operator_id = ListIds(operators).front();  // setup's token came first
  v1::RotateAuthorizationRequest steal;
  steal.set_id(operator_id);
  v1::Authorization stolen;
  s = client_->auths->RotateAuthorization(AuthdClient::Ctx(all_access.token()).get(), steal, &stolen);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_TRUE(stolen.token().empty());
  EXPECT_EQ(Check(operator_token_), v1::DENY_REASON_UNSPECIFIED);

  SetOffset(2 * 3600);
  EXPECT_EQ(Check(t.token()), v1::DENY_REASON_EXPIRED);
  EXPECT_EQ(Check(rotated.token()), v1::DENY_REASON_UNSPECIFIED);
  // Retired by the sweeper: then it is unknown, also after a restart.
  ASSERT_TRUE(Eventually([&] { return Check(t.token()) == v1::DENY_REASON_UNKNOWN_TOKEN; }));
  Stop();
  Start({});
  EXPECT_EQ(Check(t.token()), v1::DENY_REASON_UNKNOWN_TOKEN);
  EXPECT_EQ(Check(rotated.token()), v1::DENY_REASON_UNSPECIFIED);
  EXPECT_FALSE(Get(t.id()).has_previous_token_valid_until());

  // Refusals: unknown, deleted, expired, negative or oversize grace.
  struct Row {
    std::string name;
    std::string id;
    int64_t grace;
    grpc::StatusCode code;
    std::string message;
  };
  v1::Authorization expiring = Create([](auto* r) { r->mutable_ttl()->set_seconds(60); });
  SetOffset(3 * 3600);
  v1::Authorization gone = Create();
  v1::DeleteAuthorizationRequest del;
  del.set_id(gone.id());
  v1::DeleteAuthorizationResponse deleted;
  ASSERT_TRUE(client_->auths
                  ->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), del, &deleted)
                  .ok());
  for (const Row& row : std::vector<Row>{
           {"unknown", "00000000000a11ce", 0, grpc::StatusCode::NOT_FOUND,
            "authorization not found"},
           {"deleted", gone.id(), 0, grpc::StatusCode::NOT_FOUND, "authorization not found"},
           {"expired", expiring.id(), 0, grpc::StatusCode::FAILED_PRECONDITION,
            "authorization has expired: extend its expires_at before rotating it"},
           {"negative grace", t.id(), -1, grpc::StatusCode::INVALID_ARGUMENT,
            "grace_period: must not be negative"},
           {"absurd grace", t.id(), int64_t{400} * 366 * 86400, grpc::StatusCode::INVALID_ARGUMENT,
            "grace_period: more than 100 years"},
       }) {
    SCOPED_TRACE(row.name);
    rotate.set_id(row.id);
    rotate.mutable_grace_period()->set_seconds(row.grace);
    s = client_->auths->RotateAuthorization(AuthdClient::Ctx(operator_token_).get(), rotate,
                                            &rotated);
    EXPECT_EQ(s.error_code(), row.code);
    EXPECT_EQ(s.error_message(), row.message);
  }
  // A grace period past the token's own expiry: the old secret stops with the token, and says so.
  v1::Authorization short_lived = Create([](auto* r) { r->mutable_ttl()->set_seconds(3600); });
  rotate.set_id(short_lived.id());
  rotate.mutable_grace_period()->set_seconds(3 * 3600);
  s = client_->auths->RotateAuthorization(AuthdClient::Ctx(operator_token_).get(), rotate, &rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.previous_token_valid_until().seconds(), short_lived.expires_at().seconds());
  EXPECT_EQ(rotated.previous_token_valid_until().nanos(), short_lived.expires_at().nanos());
}

TEST_F(TokenLifecycleE2eTest, LastUsedIsRecordedAndFindsStaleTokens) {
  v1::Authorization used = Create();
  v1::Authorization idle = Create();
  EXPECT_FALSE(used.has_last_used_at());
  const google::protobuf::Timestamp before = At(-absl::Seconds(1));
  EXPECT_EQ(Check(used.token()), v1::DENY_REASON_UNSPECIFIED);
  ASSERT_TRUE(Eventually([&] { return Get(used.id()).has_last_used_at(); })) << authd_->Log();
  const v1::Authorization got = Get(used.id());
  EXPECT_GE(got.last_used_at().seconds(), before.seconds());
  EXPECT_LE(got.last_used_at().seconds(), At(absl::ZeroDuration()).seconds());
  EXPECT_FALSE(Get(idle.id()).has_last_used_at());

  // Not used since a minute from now: both (one used before it, one never); never used: idle
  // and the operator token is used by every call here, so not it.
  v1::ListAuthorizationsRequest stale;
  *stale.mutable_unused_since() = At(absl::Minutes(1));
  std::vector<std::string> ids = ListIds(stale);
  EXPECT_NE(std::find(ids.begin(), ids.end(), used.id()), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), idle.id()), ids.end());
  *stale.mutable_unused_since() = before;
  ids = ListIds(stale);
  EXPECT_EQ(std::find(ids.begin(), ids.end(), used.id()), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), idle.id()), ids.end());
  v1::ListAuthorizationsRequest never;
  never.set_never_used(true);
  EXPECT_EQ(ListIds(never), std::vector<std::string>{idle.id()});
  // Ordered by last use, never-used first, paged one at a time.
  v1::ListAuthorizationsRequest by_use;
  by_use.set_order_by("last_used_at");
  by_use.set_page_size(1);
  ids = ListIds(by_use);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.front(), idle.id());
}

TEST_F(TokenLifecycleE2eTest, Kill9LosesAtMostTheUnflushedUsesAndNothingElse) {
  Stop();
  Start({"--last-used-interval=1h"});  // nothing is flushed on its own during the test
  v1::Authorization a = Create();
  EXPECT_EQ(Check(a.token()), v1::DENY_REASON_UNSPECIFIED);
  authd_->Kill9();
  Start({"--last-used-interval=1h"});
  EXPECT_FALSE(Get(a.id()).has_last_used_at()) << "the unflushed interval is what a crash loses";
  EXPECT_EQ(Check(a.token()), v1::DENY_REASON_UNSPECIFIED) << "and nothing else";
  // A graceful stop flushes what is pending.
  Stop();
  Start({"--last-used-interval=1h"});
  EXPECT_TRUE(Get(a.id()).has_last_used_at());
  Stop();
  auto v = Offline({"verify"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->exit_code, 0) << v->output;
}

TEST_F(TokenLifecycleE2eTest, RetentionDeletesExpiredTokensAfterThePeriodOnly) {
  Stop();
  Start({"--expired-token-retention=1h"});
  v1::Authorization short_lived = Create([](auto* r) { r->mutable_ttl()->set_seconds(60); });
  v1::Authorization later = Create([](auto* r) { r->mutable_ttl()->set_seconds(9000); });
  SetOffset(3 * 3600);  // short_lived expired 2h59m ago, later 30m ago: only the first goes
  ASSERT_TRUE(Eventually([&] {
    grpc::Status s;
    Get(short_lived.id(), &s);
    return s.error_code() == grpc::StatusCode::NOT_FOUND;
  })) << authd_->Log();
  EXPECT_NE(authd_->Log().find("expiry: deleted 1 token(s)"), std::string::npos);
  grpc::Status s;
  Get(later.id(), &s);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Check(later.token()), v1::DENY_REASON_EXPIRED);
  EXPECT_EQ(Check(short_lived.token()), v1::DENY_REASON_UNKNOWN_TOKEN);
}

TEST_F(TokenLifecycleE2eTest, DowngradeIsRefusedOnceLifecycleEventsExist) {
  v1::Authorization a = Create([](auto* r) { r->mutable_ttl()->set_seconds(3600); });
  Stop();
  auto down = Offline({"downgrade", "--to-schema", "2"});
  ASSERT_TRUE(down.ok());
  EXPECT_NE(down->exit_code, 0) << down->output;
  EXPECT_NE(down->output.find("token lifecycle data"), std::string::npos) << down->output;
  Start({});
  EXPECT_EQ(Check(a.token()), v1::DENY_REASON_UNSPECIFIED) << "a refused downgrade changes nothing";
}

TEST_F(TokenLifecycleE2eTest, DowngradeRewritesRecordedUsesAndKeepsEveryToken) {
  v1::Authorization a = Create();
  EXPECT_EQ(Check(a.token()), v1::DENY_REASON_UNSPECIFIED);
  ASSERT_TRUE(Eventually([&] { return Get(a.id()).has_last_used_at(); }));
  Stop();
  // Refused (hashed tokens would be lost): nothing may have changed, the uses included.
  auto refused = Offline({"downgrade", "--to-schema", "1"});
  ASSERT_TRUE(refused.ok());
  EXPECT_NE(refused->exit_code, 0) << refused->output;
  Start({});
  EXPECT_TRUE(Get(a.id()).has_last_used_at()) << "a refused downgrade changes nothing";
  Stop();
  auto down = Offline({"downgrade", "--to-schema", "2"});
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->exit_code, 0) << down->output;
  auto v = Offline({"verify"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->exit_code, 0) << v->output;
  // This build upgrades it again; the uses are gone, the tokens are not.
  Start({});
  EXPECT_FALSE(Get(a.id()).has_last_used_at());
  EXPECT_EQ(Check(a.token()), v1::DENY_REASON_UNSPECIFIED);
}

TEST_F(TokenLifecycleE2eTest, ClockOffsetFileIsRefusedOutsideTests) {
  Stop();
  auto r = RunCommand({RunfilePath("services/authd"), "--data-dir=" + dir_ + "/other",
                       "--clock-offset-file=" + offset_file_},
                      absl::Seconds(30));
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0);
  EXPECT_NE(r->output.find("--clock-offset-file: a test-only option"), std::string::npos)
      << r->output;
}

}  // namespace
}  // namespace authd::e2e
