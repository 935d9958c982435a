// SetUpAuthdTest: a gtest fixture that starts a real authd on a fresh data dir and completes setup,
// keeping the operator token and the IDs of the first user, org and bucket. testonly.
#ifndef AUTHD_TESTS_E2E_E2E_FIXTURE_H_
#define AUTHD_TESTS_E2E_E2E_FIXTURE_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {

class SetUpAuthdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    authd_ = std::make_unique<AuthdProcess>(MakeTempDir("data") + "/authd");
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
    v1::SetupResponse setup;
    grpc::Status s = client_->Setup("admin", "acme", "metrics", &setup);
    ASSERT_TRUE(s.ok()) << s.error_message();
    operator_token_ = setup.authorization().token();
    user_id_ = setup.user().id();
    org_id_ = setup.org().id();
    bucket_id_ = setup.bucket().id();
  }

  // Graceful stop. The client's channel is dropped first: gRPC's server shutdown waits for
  // connected clients to go away, and an idle client takes seconds to notice the GOAWAY.
  int StopAuthd() {
    client_.reset();
    auto code = authd_->Stop();
    EXPECT_TRUE(code.ok()) << code.status();
    return code.ok() ? *code : -1;
  }

  // Reconnects the client after a restart of authd.
  void Reconnect() { client_ = std::make_unique<AuthdClient>(authd_->channel()); }

  // Creates a token with `perms` in `org` (default: the setup org) as `caller` (default operator).
  v1::Authorization MustCreate(std::vector<v1::Permission> perms, std::string org = "",
                               std::string caller = "", std::string user = "") {
    v1::CreateAuthorizationRequest req;
    req.set_org_id(org.empty() ? org_id_ : org);
    req.set_user_id(user);
    for (auto& p : perms) *req.add_permissions() = p;
    v1::Authorization out;
    grpc::Status s = client_->Create(caller.empty() ? operator_token_ : caller, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> client_;
  std::string operator_token_, user_id_, org_id_, bucket_id_;
};

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_E2E_FIXTURE_H_
