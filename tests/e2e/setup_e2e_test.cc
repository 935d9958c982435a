// End-to-end: onboarding through the real authd binary.
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {
namespace {

class SetupE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    authd_ = std::make_unique<AuthdProcess>(MakeTempDir("data") + "/authd");
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
  }
  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> client_;
};

TEST_F(SetupE2eTest, SetupRunsOnceAndCreatesAnOperatorToken) {
  v1::GetSetupStatusResponse status;
  ASSERT_TRUE(client_->setup->GetSetupStatus(AuthdClient::Ctx().get(), {}, &status).ok());
  EXPECT_TRUE(status.allowed());

  v1::SetupResponse setup;
  grpc::Status s = client_->Setup("admin", "acme", "metrics", &setup);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(setup.user().name(), "admin");
  EXPECT_EQ(setup.org().name(), "acme");
  EXPECT_EQ(setup.bucket().name(), "metrics");
  EXPECT_EQ(setup.bucket().org_id(), setup.org().id());
  EXPECT_EQ(setup.authorization().description(), "admin's Token");
  EXPECT_EQ(setup.authorization().permissions_size(), 44);
  EXPECT_EQ(setup.authorization().token().rfind("authd_", 0), 0u);
  EXPECT_EQ(setup.authorization().token().size(), 55u);

  ASSERT_TRUE(client_->setup->GetSetupStatus(AuthdClient::Ctx().get(), {}, &status).ok());
  EXPECT_FALSE(status.allowed());

  v1::SetupResponse again;
  s = client_->Setup("admin2", "other", "b", &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "onboarding has already been completed");

  // The operator token works, e.g. for the operator-only server config.
  v1::GetServerConfigResponse config;
  s = client_->admin->GetServerConfig(AuthdClient::Ctx(setup.authorization().token()).get(), {},
                                      &config);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(config.use_hashed_tokens());
  EXPECT_EQ(config.schema_version(), 3u);
  EXPECT_EQ(config.listen(), authd_->address());
  // The bounds in force: the defaults here (README "Server options").
  EXPECT_TRUE(config.limits().http2_front());
  EXPECT_EQ(config.limits().max_connections(), 4096);
  EXPECT_EQ(config.limits().max_connections_per_peer(), 512);
  EXPECT_EQ(config.limits().new_connections_per_peer_per_second(), 64);
  EXPECT_EQ(config.limits().max_stream_resets_per_second(), 100);
  EXPECT_EQ(config.limits().handshake_timeout_ms(), 10000);
  EXPECT_EQ(config.limits().client_stall_timeout_ms(), 5000);
  EXPECT_EQ(config.limits().max_concurrent_streams(), 100);
  EXPECT_EQ(config.limits().max_sync_threads(), 128);
  EXPECT_EQ(config.limits().grpc_memory_quota_bytes(), int64_t{128} << 20);
  EXPECT_EQ(config.limits().max_concurrent_password_hashes(), 4);
  EXPECT_EQ(config.limits().max_receive_message_bytes(), 1 << 20);
}

TEST_F(SetupE2eTest, SetupNamesEveryMissingField) {
  v1::SetupRequest req;
  v1::SetupResponse resp;
  grpc::Status s = client_->setup->Setup(AuthdClient::Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "onboarding failed: missing required fields [username,org,bucket]");
  req.set_username("admin");
  s = client_->setup->Setup(AuthdClient::Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_message(), "onboarding failed: missing required fields [org,bucket]");
  // Nothing was created by the failed attempts.
  v1::GetSetupStatusResponse status;
  ASSERT_TRUE(client_->setup->GetSetupStatus(AuthdClient::Ctx().get(), {}, &status).ok());
  EXPECT_TRUE(status.allowed());
}

TEST_F(SetupE2eTest, SetupAcceptsASuppliedOperatorToken) {
  const std::string token = "my-own-operator-token-0123456789";
  v1::SetupResponse setup;
  ASSERT_TRUE(client_->Setup("admin", "acme", "metrics", &setup, token).ok());
  EXPECT_EQ(setup.authorization().token(), token);
  auto r = client_->Authorize(token, "write", "buckets", "", setup.org().id());
  EXPECT_TRUE(r.allowed());
}

TEST_F(SetupE2eTest, SetupRejectsBadSuppliedTokensAndPasswords) {
  struct Case {
    std::string token, password, message;
  };
  const std::vector<Case> cases = {
      {"short", "correct horse", "token: must be 16 to 512 characters"},
      {"has a space in the token value", "correct horse",
       "token: must be printable ASCII characters without spaces"},
      {"authd_not-a-real-checksummed-token", "correct horse",
       "token: a token starting with \"authd_\" must be a well-formed authd token (checksum)"},
      {"", "short", "password: must be 8 to 72 characters"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    v1::SetupRequest req;
    req.set_username("admin");
    req.set_org("acme");
    req.set_bucket("metrics");
    req.set_token(c.token);
    req.set_password(c.password);
    v1::SetupResponse resp;
    grpc::Status s = client_->setup->Setup(AuthdClient::Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), c.message);
    if (!c.token.empty()) {
      EXPECT_EQ(s.error_message().find(c.token), std::string::npos) << "token echoed";
    }
  }
}

TEST_F(SetupE2eTest, SignInWithTheSetupPasswordGivesAnInstanceOwnerSession) {
  v1::SetupResponse setup;
  ASSERT_TRUE(client_->Setup("admin", "acme", "metrics", &setup).ok());

  v1::SignInRequest bad;
  bad.set_username("admin");
  bad.set_password("wrong password");
  v1::SignInResponse resp;
  grpc::Status s = client_->session->SignIn(AuthdClient::Ctx().get(), bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "invalid username or password");
  bad.set_username("nobody");
  s = client_->session->SignIn(AuthdClient::Ctx().get(), bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "invalid username or password");

  v1::SignInRequest good;
  good.set_username("admin");
  good.set_password("correct horse battery");
  ASSERT_TRUE(client_->session->SignIn(AuthdClient::Ctx().get(), good, &resp).ok());
  const std::string session = resp.token();

  // The session of the instance owner may do everything, e.g. mint an operator token after every
  // token was deleted.
  v1::DeleteAuthorizationRequest del;
  del.set_id(setup.authorization().id());
  v1::DeleteAuthorizationResponse deleted;
  ASSERT_TRUE(client_->auths->DeleteAuthorization(AuthdClient::Ctx(session).get(), del, &deleted).ok());
  EXPECT_EQ(client_->Authorize(setup.authorization().token(), "read", "buckets").reason(),
            v1::DENY_REASON_UNKNOWN_TOKEN);
  v1::CreateAuthorizationRequest req;
  req.set_org_id(setup.org().id());
  req.set_preset(v1::PRESET_OPERATOR);
  v1::Authorization created;
  s = client_->Create(session, req, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.permissions_size(), 44);

  // After sign-out the session is gone.
  v1::SignOutResponse out;
  ASSERT_TRUE(client_->session->SignOut(AuthdClient::Ctx(session).get(), {}, &out).ok());
  s = client_->Create(session, req, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace authd::e2e
