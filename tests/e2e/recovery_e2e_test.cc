// End-to-end: the offline commands of the authd binary (recovery, rebuild-projections, verify,
// downgrade), on a stopped server's data dir, including kill -9 during a rebuild.
#include <random>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace authd::e2e {
namespace {

class RecoveryE2eTest : public SetUpAuthdTest {
 protected:
  absl::StatusOr<ProcessResult> Offline(std::vector<std::string> args) {
    return RunAuthdOffline(authd_->data_dir(), std::move(args));
  }

  void ExpectVerifies() {
    auto v = Offline({"verify"});
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->exit_code, 0) << v->output;
    EXPECT_NE(v->output.find("OK: the log is continuous"), std::string::npos) << v->output;
  }

  void Restart() {
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    Reconnect();
  }

  std::string Reader() {
    return MustCreate({Perm("read", "buckets", bucket_id_, org_id_)}).token();
  }
};

TEST_F(RecoveryE2eTest, LostEveryTokenThenCreateOperatorGetsBackIn) {
  // Delete every token, the operator's own last.
  v1::ListAuthorizationsResponse list;
  Reader();
  ASSERT_TRUE(client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), {}, &list).ok());
  std::string own;
  for (const auto& a : list.authorizations()) {
    if (a.description() == "admin's Token") {
      own = a.id();
      continue;
    }
    v1::DeleteAuthorizationRequest del;
    del.set_id(a.id());
    v1::DeleteAuthorizationResponse out;
    ASSERT_TRUE(client_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), del, &out).ok());
  }
  v1::DeleteAuthorizationRequest del;
  del.set_id(own);
  v1::DeleteAuthorizationResponse out;
  ASSERT_TRUE(client_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), del, &out).ok());
  EXPECT_FALSE(client_->Authorize(operator_token_, "read", "users").allowed());

  // While the server runs, recovery refuses and changes nothing.
  auto refused = Offline({"recovery", "auth", "create-operator", "--username", "admin", "--org", "acme"});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 1);
  EXPECT_NE(refused->output.find("is locked by another process (is another authd running on it?); "
                                 "stop authd before using offline commands"),
            std::string::npos)
      << refused->output;

  ASSERT_EQ(StopAuthd(), 0);
  auto wrong = Offline({"recovery", "auth", "create-operator", "--username", "nobody", "--org", "acme"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->exit_code, 1);
  EXPECT_NE(wrong->output.find("Error: could not find user \"nobody\""), std::string::npos);
  auto created = Offline({"recovery", "auth", "create-operator", "--username", "admin", "--org", "acme"});
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->exit_code, 0) << created->output;
  EXPECT_NE(created->output.find("(\"admin's Recovery Token\"), stored hashed"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created->output, m, std::regex("(authd_[0-9A-Za-z]{49})")))
      << created->output;
  const std::string recovered = m[1];

  auto listed = Offline({"recovery", "auth", "list"});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->exit_code, 0);
  EXPECT_NE(listed->output.find("admin's Recovery Token"), std::string::npos) << listed->output;
  EXPECT_NE(listed->output.find("REDACTED"), std::string::npos);
  EXPECT_EQ(listed->output.find(recovered), std::string::npos) << "a hashed token listed";

  Restart();
  EXPECT_TRUE(client_->Authorize(recovered, "write", "orgs").allowed());
  v1::Authorization fresh = MustCreate({Perm("read", "buckets", bucket_id_, org_id_)}, "", recovered);
  EXPECT_TRUE(client_->Authorize(fresh.token(), "read", "buckets", bucket_id_, org_id_).allowed());
  ASSERT_EQ(StopAuthd(), 0);
  ExpectVerifies();
}

TEST_F(RecoveryE2eTest, UserAndOrgRecoveryCommandsAreOrdinaryEvents) {
  ASSERT_EQ(StopAuthd(), 0);
  auto r = Offline({"recovery", "user", "update", "--username", "admin", "--password", "a new password 2"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  r = Offline({"recovery", "user", "create", "--username", "ops", "--password", "ops password 3"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  r = Offline({"recovery", "org", "create", "--org", "rescue"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  r = Offline({"recovery", "org", "list"});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->output.find("rescue"), std::string::npos);
  EXPECT_NE(r->output.find("acme"), std::string::npos);
  r = Offline({"recovery", "user", "list"});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->output.find("ops"), std::string::npos);
  ExpectVerifies();

  Restart();
  v1::SignInRequest in;
  in.set_username("admin");
  in.set_password("a new password 2");
  v1::SignInResponse session;
  EXPECT_TRUE(client_->session->SignIn(AuthdClient::Ctx().get(), in, &session).ok());
  in.set_password("correct horse battery");
  EXPECT_FALSE(client_->session->SignIn(AuthdClient::Ctx().get(), in, &session).ok());
}

TEST_F(RecoveryE2eTest, RebuildAndVerifyAgreeAndSurviveKill9MidRebuild) {
  for (int i = 0; i < 150; ++i) Reader();
  std::string token = Reader();
  ASSERT_EQ(StopAuthd(), 0);
  ExpectVerifies();
  auto rebuilt = Offline({"rebuild-projections"});
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(rebuilt->exit_code, 0) << rebuilt->output;
  EXPECT_NE(rebuilt->output.find("Rebuilt every projection from"), std::string::npos);
  ExpectVerifies();

  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    std::vector<std::string> argv = {RunfilePath("services/authd"), "rebuild-projections",
                                     "--data-dir=" + authd_->data_dir()};
    std::thread t([&] { RunCommand(argv, absl::Seconds(60)).IgnoreError(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 60));
    // kill -9 whatever rebuild-projections process is running on this data dir.
    RunCommand({"/usr/bin/pkill", "-9", "-f", "rebuild-projections --data-dir=" + authd_->data_dir()},
               absl::Seconds(10))
        .IgnoreError();
    t.join();
    ExpectVerifies();
  }
  Restart();
  EXPECT_TRUE(client_->Authorize(token, "read", "buckets", bucket_id_, org_id_).allowed());
}

TEST_F(RecoveryE2eTest, DowngradeListsHashedTokensAndRefusesWithoutConsent) {
  std::string token = Reader();
  ASSERT_EQ(StopAuthd(), 0);
  auto refused = Offline({"downgrade", "--to-schema", "1"});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 1);
  EXPECT_NE(refused->output.find("Tokens stored only as hashes, which schema 1 cannot keep:"),
            std::string::npos)
      << refused->output;
  EXPECT_NE(refused->output.find("admin's Token"), std::string::npos);
  EXPECT_NE(refused->output.find("2 would be lost. Pass --yes-erase-hashed-tokens"), std::string::npos);
  ExpectVerifies();  // Nothing changed.

  auto erased = Offline({"downgrade", "--to-schema", "1", "--yes-erase-hashed-tokens"});
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(erased->exit_code, 0) << erased->output;
  EXPECT_NE(erased->output.find("Erased 2 hashed tokens."), std::string::npos);
  EXPECT_NE(erased->output.find("Downgraded the store to schema 1."), std::string::npos);

  // This authd upgrades it again at start; the hashed tokens are gone for good.
  Restart();
  EXPECT_NE(authd_->Log().find("upgraded from schema 1"), std::string::npos) << authd_->Log();
  EXPECT_FALSE(client_->Authorize(token, "read", "buckets", bucket_id_, org_id_).allowed());
  EXPECT_FALSE(client_->Authorize(operator_token_, "write", "orgs").allowed());
  ASSERT_EQ(StopAuthd(), 0);
  ExpectVerifies();
}

TEST_F(RecoveryE2eTest, DowngradeOfAStoreThatNeverHashedLosesNothing) {
  // A server that always ran with hashing off.
  ASSERT_EQ(StopAuthd(), 0);
  authd_ = std::make_unique<AuthdProcess>(MakeTempDir("data") + "/authd",
                                          std::vector<std::string>{"--use-hashed-tokens=false"});
  ASSERT_TRUE(authd_->Start().ok());
  Reconnect();
  v1::SetupResponse setup;
  ASSERT_TRUE(client_->Setup("admin", "acme", "metrics", &setup).ok());
  operator_token_ = setup.authorization().token();
  org_id_ = setup.org().id();
  bucket_id_ = setup.bucket().id();
  std::string token = Reader();
  ASSERT_EQ(StopAuthd(), 0);

  auto down = Offline({"downgrade", "--to-schema", "1"});
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->exit_code, 0) << down->output;
  EXPECT_EQ(down->output.find("Erased"), std::string::npos);
  Restart();
  EXPECT_TRUE(client_->Authorize(token, "read", "buckets", bucket_id_, org_id_).allowed());
  EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());
}

}  // namespace
}  // namespace authd::e2e
