// authd::client::Authorizer (client/authorizer.h) against the real authd binary: decisions from
// the cache after a token's first RPC (the same answers as authd's), revocations reaching the
// cache from WatchAuthorizations (deactivation, deletion, a user's deactivation, rotation), a
// stale cache handing every decision to authd (and failing, never allowing, while authd is down),
// recovery after authd restarts, and the example program.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authz/id.h"
#include "client/authorizer.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {
namespace {

using client::Authorizer;
using client::AuthorizerOptions;

class AuthorizerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    authd_ = std::make_unique<AuthdProcess>(MakeTempDir("authorizer") + "/authd");
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
    v1::SetupResponse out;
    ASSERT_TRUE(client_->Setup("admin", "acme", "metrics", &out).ok());
    operator_ = out.authorization().token();
    org_ = *authz::ParseId(out.org().id(), "org");
    bucket_ = *authz::ParseId(out.bucket().id(), "bucket");
    grpc::Status s;
    reader_ = client_->CreateBucketReader(operator_, out.org().id(), out.bucket().id(), &s);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::unique_ptr<Authorizer> NewAuthorizer(absl::Duration staleness = absl::Seconds(5)) {
    AuthorizerOptions o;
    o.target = authd_->address();
    o.watch_token = operator_;
    o.checkpoint_interval = absl::Milliseconds(200);
    o.max_staleness = staleness;
    o.rpc_timeout = absl::Seconds(1);
    auto a = Authorizer::Create(o);
    EXPECT_TRUE(a.ok()) << a.status();
    EXPECT_TRUE((*a)->WaitFresh(absl::Seconds(10)));
    return *std::move(a);
  }

  authz::Permission ReadBucket() const {
    return authz::OrgIdPermission(authz::Action::kRead, authz::ResourceType::kBuckets, org_, bucket_);
  }

  void SetStatus(const std::string& id, const std::string& status) {
    v1::UpdateAuthorizationRequest req;
    req.set_id(id);
    req.set_status(status);
    v1::Authorization out;
    ASSERT_TRUE(client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_).get(), req, &out).ok());
  }

  // Polls (at most 5 s) until the cache itself answers `reason` for `token`.
  bool CacheSays(Authorizer& a, const std::string& token, authz::DenyReason reason) {
    return PollUntil(
        [&] {
          auto d = a.Authorize(token, ReadBucket());
          return d.ok() && d->from_cache && d->reason == reason;
        },
        absl::Seconds(5));
  }

  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> client_;
  std::string operator_;
  authz::Id org_ = 0, bucket_ = 0;
  v1::Authorization reader_;
};

TEST_F(AuthorizerE2eTest, DecidesFromTheCacheAfterTheFirstRpcAsAuthdWould) {
  std::unique_ptr<Authorizer> a = NewAuthorizer();
  EXPECT_GE(a->stats().cached_grants, 2u);  // the operator's token and the reader's
  const std::vector<authz::Permission> asks = {
      ReadBucket(),
      authz::OrgIdPermission(authz::Action::kWrite, authz::ResourceType::kBuckets, org_, bucket_),
      authz::OrgPermission(authz::Action::kRead, authz::ResourceType::kBuckets, org_),
      authz::GlobalPermission(authz::Action::kRead, authz::ResourceType::kOrgs)};
  auto first = a->Authorize(reader_.token(), ReadBucket());
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->from_cache);
  EXPECT_TRUE(first->allowed);
  for (int round = 0; round < 3; ++round) {
    for (const authz::Permission& p : asks) {
      auto d = a->Authorize(reader_.token(), p);
      ASSERT_TRUE(d.ok()) << d.status();
      EXPECT_TRUE(d->from_cache);
      v1::AuthorizeResponse rpc = client_->Authorize(
          reader_.token(), std::string(authz::ActionName(p.action)),
          std::string(authz::ResourceTypeName(p.resource.type)),
          p.resource.id ? authz::FormatId(p.resource.id) : "",
          p.resource.org_id ? authz::FormatId(p.resource.org_id) : "");
      EXPECT_EQ(d->allowed, rpc.allowed()) << authz::PermissionString(p);
      EXPECT_EQ(static_cast<int>(d->reason), static_cast<int>(rpc.reason()));
      EXPECT_EQ(authz::FormatId(d->authorization_id), rpc.authorization_id());
    }
  }
  EXPECT_EQ(a->stats().rpcs, 1u);
  EXPECT_EQ(a->stats().cache_hits, 12u);
  // Unknown tokens are never cached: each is asked.
  auto unknown = a->Authorize("not-a-token-not-a-token", ReadBucket());
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->reason, authz::DenyReason::kUnknownToken);
  EXPECT_FALSE(unknown->from_cache);
}

TEST_F(AuthorizerE2eTest, RevocationsReachTheCacheFromTheStream) {
  std::unique_ptr<Authorizer> a = NewAuthorizer();
  ASSERT_TRUE(a->Authorize(reader_.token(), ReadBucket()).ok());  // learned
  SetStatus(reader_.id(), "inactive");
  EXPECT_TRUE(CacheSays(*a, reader_.token(), authz::DenyReason::kInactiveToken));
  SetStatus(reader_.id(), "active");
  EXPECT_TRUE(CacheSays(*a, reader_.token(), authz::DenyReason::kNone));

  // The user's deactivation.
  v1::CreateUserRequest user_req;
  user_req.set_name("bob");
  v1::User bob;
  ASSERT_TRUE(client_->tenant->CreateUser(AuthdClient::Ctx(operator_).get(), user_req, &bob).ok());
  v1::CreateAuthorizationRequest create;
  create.set_org_id(authz::FormatId(org_));
  create.set_user_id(bob.id());
  *create.add_permissions() = Perm("read", "buckets", authz::FormatId(bucket_), authz::FormatId(org_));
  v1::Authorization bobs;
  ASSERT_TRUE(client_->Create(operator_, create, &bobs).ok());
  ASSERT_TRUE(PollUntil([&] { return a->Authorize(bobs.token(), ReadBucket())->from_cache; },
                        absl::Seconds(5)));
  v1::UpdateUserRequest deactivate;
  deactivate.set_id(bob.id());
  deactivate.set_status("inactive");
  v1::User out;
  ASSERT_TRUE(client_->tenant->UpdateUser(AuthdClient::Ctx(operator_).get(), deactivate, &out).ok());
  EXPECT_TRUE(CacheSays(*a, bobs.token(), authz::DenyReason::kInactiveUser));

  // Rotation: the old secret is forgotten and judged by authd from then on.
  v1::RotateAuthorizationRequest rotate;
  rotate.set_id(reader_.id());
  v1::Authorization rotated;
  ASSERT_TRUE(client_->auths->RotateAuthorization(AuthdClient::Ctx(operator_).get(), rotate, &rotated).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        auto d = a->Authorize(reader_.token(), ReadBucket());
        return d.ok() && !d->from_cache && d->reason == authz::DenyReason::kUnknownToken;
      },
      absl::Seconds(5)));
  auto fresh = a->Authorize(rotated.token(), ReadBucket());
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->allowed);

  // Deletion: gone from the cache; authd says unknown.
  v1::DeleteAuthorizationRequest del;
  del.set_id(reader_.id());
  v1::DeleteAuthorizationResponse del_out;
  ASSERT_TRUE(client_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_).get(), del, &del_out).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        auto d = a->Authorize(rotated.token(), ReadBucket());
        return d.ok() && !d->from_cache && d->reason == authz::DenyReason::kUnknownToken;
      },
      absl::Seconds(5)));
}

TEST_F(AuthorizerE2eTest, ARotatedAwaySecretIsAlwaysJudgedByAuthd) {
  std::unique_ptr<Authorizer> a = NewAuthorizer();
  ASSERT_TRUE(a->Authorize(reader_.token(), ReadBucket()).ok());
  ASSERT_TRUE(a->Authorize(reader_.token(), ReadBucket())->from_cache);
  v1::RotateAuthorizationRequest rotate;
  rotate.set_id(reader_.id());
  rotate.mutable_grace_period()->set_seconds(3600);
  v1::Authorization rotated;
  ASSERT_TRUE(client_->auths->RotateAuthorization(AuthdClient::Ctx(operator_).get(), rotate, &rotated).ok());
  // In its grace period the old secret is allowed, by authd each time: never learned.
  ASSERT_TRUE(PollUntil([&] { return !a->Authorize(reader_.token(), ReadBucket())->from_cache; },
                        absl::Seconds(5)));
  for (int i = 0; i < 3; ++i) {
    auto d = a->Authorize(reader_.token(), ReadBucket());
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->allowed);
    EXPECT_FALSE(d->from_cache);
  }
  // The new secret is learned once the grace period's end is not ahead (here: not yet): by RPC.
  auto fresh = a->Authorize(rotated.token(), ReadBucket());
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->allowed);
}

TEST_F(AuthorizerE2eTest, AStaleCacheNeverAnswersAndRecoversWhenAuthdIsBack) {
  std::unique_ptr<Authorizer> a = NewAuthorizer(/*staleness=*/absl::Seconds(1));
  ASSERT_TRUE(a->Authorize(reader_.token(), ReadBucket()).ok());
  ASSERT_TRUE(a->Authorize(reader_.token(), ReadBucket())->from_cache);
  authd_->Kill9();
  // Past the staleness bound every decision goes to authd, which is down: an error, not a
  // decision from a view older than the bound.
  ASSERT_TRUE(PollUntil([&] { return !a->Fresh(); }, absl::Seconds(10)));
  auto d = a->Authorize(reader_.token(), ReadBucket());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kUnavailable) << d.status();
  EXPECT_GT(a->Staleness(), absl::Seconds(1));

  // Back on the same address (the client keeps its channel).
  authd_->set_extra_args({"--listen=" + authd_->address()});
  ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
  ASSERT_TRUE(a->WaitFresh(absl::Seconds(15)));
  EXPECT_GE(a->stats().stream_restarts, 1u);
  ASSERT_TRUE(PollUntil(
      [&] {
        auto again = a->Authorize(reader_.token(), ReadBucket());
        return again.ok() && again->allowed && again->from_cache;
      },
      absl::Seconds(5)));
}

TEST_F(AuthorizerE2eTest, TheExampleProgramDecidesFromTheCache) {
  absl::StatusOr<ProcessResult> r = RunCommand(
      {RunfilePath("examples/authorizer_example"), "--target=" + authd_->address(),
       "--action=read", "--type=buckets", "--id=" + authz::FormatId(bucket_),
       "--org-id=" + authz::FormatId(org_), "--repeat=3"},
      absl::Seconds(30),
      {"AUTHD_WATCH_TOKEN=" + operator_, "AUTHD_TOKEN=" + reader_.token()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("decision 1: ALLOWED (allowed), authorization " + reader_.id() +
                           ", from an Authorize RPC"),
            std::string::npos)
      << r->output;
  EXPECT_NE(r->output.find("decision 3: ALLOWED (allowed), authorization " + reader_.id() +
                           ", from the cache"),
            std::string::npos)
      << r->output;
  EXPECT_NE(r->output.find("2 decisions from the cache, 1 RPCs"), std::string::npos) << r->output;
  EXPECT_EQ(r->output.find(reader_.token()), std::string::npos);
}

}  // namespace
}  // namespace authd::e2e
