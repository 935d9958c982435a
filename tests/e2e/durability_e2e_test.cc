// End-to-end: what survives a restart and a kill -9, what reaches the disk, and who may open the
// data dir. Drives the real authd binary.
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace authd::e2e {
namespace {

class DurabilityE2eTest : public SetUpAuthdTest {
 protected:
  // Creates `n` read tokens on the setup bucket, each acknowledged before the next.
  std::vector<v1::Authorization> CreateReaders(int n) {
    std::vector<v1::Authorization> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(MustCreate({Perm("read", "buckets", bucket_id_, org_id_)}));
    }
    return out;
  }

  void ExpectAllAllowed(const std::vector<v1::Authorization>& tokens) {
    for (const auto& t : tokens) {
      EXPECT_TRUE(client_->Authorize(t.token(), "read", "buckets", bucket_id_, org_id_).allowed())
          << "lost token " << t.id();
    }
  }
};

TEST_F(DurabilityE2eTest, GracefulRestartKeepsEveryChange) {
  auto tokens = CreateReaders(10);
  v1::UpdateAuthorizationRequest off;
  off.set_id(tokens[0].id());
  off.set_status("inactive");
  v1::Authorization updated;
  ASSERT_TRUE(client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_token_).get(), off, &updated).ok());
  v1::DeleteAuthorizationRequest del;
  del.set_id(tokens[1].id());
  v1::DeleteAuthorizationResponse gone;
  ASSERT_TRUE(client_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), del, &gone).ok());

  EXPECT_EQ(StopAuthd(), 0);
  EXPECT_NE(authd_->Log().find("authd stopped"), std::string::npos);
  ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
  Reconnect();

  EXPECT_EQ(client_->Authorize(tokens[0].token(), "read", "buckets", bucket_id_, org_id_).reason(),
            v1::DENY_REASON_INACTIVE_TOKEN);
  EXPECT_EQ(client_->Authorize(tokens[1].token(), "read", "buckets", bucket_id_, org_id_).reason(),
            v1::DENY_REASON_UNKNOWN_TOKEN);
  ExpectAllAllowed({tokens.begin() + 2, tokens.end()});
  EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());
  v1::GetSetupStatusResponse status;
  ASSERT_TRUE(client_->setup->GetSetupStatus(AuthdClient::Ctx().get(), {}, &status).ok());
  EXPECT_FALSE(status.allowed());
}

TEST_F(DurabilityE2eTest, Kill9LosesNoAcknowledgedWrite) {
  std::vector<v1::Authorization> all;
  for (int round = 0; round < 3; ++round) {
    auto tokens = CreateReaders(15);
    all.insert(all.end(), tokens.begin(), tokens.end());
    // Killed right after the last acknowledgement: no flush, no clean close.
    authd_->Kill9();
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    Reconnect();
    ExpectAllAllowed(all);
  }
  v1::ListAuthorizationsResponse list;
  ASSERT_TRUE(client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), {}, &list).ok());
  EXPECT_EQ(list.authorizations_size(), static_cast<int>(all.size()) + 1);
}

TEST_F(DurabilityE2eTest, DataDirHoldsNoPlaintextToken) {
  auto tokens = CreateReaders(5);
  // Scan while running (WAL and memtable-backed files), after kill -9, and after a clean stop.
  for (const auto& t : tokens) {
    EXPECT_TRUE(FilesContaining(authd_->data_dir(), t.token()).empty()) << "token on disk";
  }
  EXPECT_TRUE(FilesContaining(authd_->data_dir(), operator_token_).empty());
  authd_->Kill9();
  ASSERT_TRUE(authd_->Start().ok());
  ASSERT_EQ(StopAuthd(), 0);
  for (const auto& t : tokens) {
    EXPECT_TRUE(FilesContaining(authd_->data_dir(), t.token()).empty()) << "token on disk";
    // The secret part alone must not be there either.
    EXPECT_TRUE(FilesContaining(authd_->data_dir(), t.token().substr(6, 43)).empty());
  }
  EXPECT_TRUE(FilesContaining(authd_->data_dir(), operator_token_).empty());
  EXPECT_TRUE(FilesContaining(authd_->data_dir(), "correct horse battery").empty()) << "password";
  // The log of the server holds no token either.
  for (const auto& t : tokens) EXPECT_EQ(authd_->Log().find(t.token()), std::string::npos);
  EXPECT_EQ(authd_->Log().find(operator_token_), std::string::npos);
}

TEST_F(DurabilityE2eTest, SecondServerOnTheSameDataDirFailsFast) {
  auto result = RunCommand({RunfilePath("services/authd"), "--listen=127.0.0.1:0",
                            absl::StrCat("--data-dir=", authd_->data_dir())},
                           absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_NE(result->output.find("locked by another process"), std::string::npos) << result->output;
  // The first server is untouched.
  EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());
}

TEST_F(DurabilityE2eTest, HealthReportsEveryServiceServing) {
  auto health = grpc::health::v1::Health::NewStub(authd_->channel());
  for (const std::string service :
       {"", "authd.v1.SetupService", "authd.v1.SessionService", "authd.v1.TenantService",
        "authd.v1.AuthorizationService", "authd.v1.AuthorizeService", "authd.v1.AdminService"}) {
    SCOPED_TRACE(service);
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(AuthdClient::Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
}

}  // namespace
}  // namespace authd::e2e
