// End-to-end: first-start bootstrap from AUTHD_INIT_* (what the Helm chart relies on), graceful
// SIGTERM, and JSON logs.
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {
namespace {

const char kToken[] = "bootstrap-operator-token-from-a-secret";
const char kPassword[] = "bootstrap password 1";

std::vector<std::string> InitEnv(const std::string& token, const std::string& org) {
  return {"AUTHD_INIT_USERNAME=admin", std::string("AUTHD_INIT_PASSWORD=") + kPassword,
          "AUTHD_INIT_ORG=" + org, "AUTHD_INIT_BUCKET=metrics", "AUTHD_INIT_TOKEN=" + token};
}

TEST(BootstrapE2eTest, InitVariablesRunSetupOnceAndAreNeverLogged) {
  AuthdProcess authd(MakeTempDir("data") + "/authd", {"--log-format=json"}, InitEnv(kToken, "acme"));
  ASSERT_TRUE(authd.Start().ok()) << authd.Log();
  {
    AuthdClient client(authd.channel());
    EXPECT_TRUE(client.Authorize(kToken, "write", "orgs").allowed());
    v1::ListOrgsResponse orgs;
    ASSERT_TRUE(client.tenant->ListOrgs(AuthdClient::Ctx(kToken).get(), {}, &orgs).ok());
    ASSERT_EQ(orgs.orgs_size(), 1);
    EXPECT_EQ(orgs.orgs(0).name(), "acme");
  }
  auto code = authd.Stop();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);

  // A later start with other values changes nothing.
  authd.set_extra_env(InitEnv("another-operator-token-value", "globex"));
  ASSERT_TRUE(authd.Start().ok()) << authd.Log();
  {
    AuthdClient client(authd.channel());
    EXPECT_TRUE(client.Authorize(kToken, "write", "orgs").allowed());
    EXPECT_FALSE(client.Authorize("another-operator-token-value", "write", "orgs").allowed());
    v1::ListOrgsResponse orgs;
    ASSERT_TRUE(client.tenant->ListOrgs(AuthdClient::Ctx(kToken).get(), {}, &orgs).ok());
    ASSERT_EQ(orgs.orgs_size(), 1);
    EXPECT_EQ(orgs.orgs(0).name(), "acme");
  }
  ASSERT_TRUE(authd.Stop().ok());

  std::string log = authd.Log();
  EXPECT_NE(log.find("bootstrap: setup completed from AUTHD_INIT_*"), std::string::npos) << log;
  EXPECT_NE(log.find("bootstrap: setup already done, AUTHD_INIT_* ignored"), std::string::npos);
  EXPECT_EQ(log.find(kToken), std::string::npos) << "token logged";
  EXPECT_EQ(log.find("another-operator-token-value"), std::string::npos) << "token logged";
  EXPECT_EQ(log.find(kPassword), std::string::npos) << "password logged";
  // --log-format=json: one JSON object per line.
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"ts\":\"") && absl::EndsWith(line, "\"}")) << line;
  }
}

TEST(BootstrapE2eTest, InvalidInitValuesStopStartUpWithoutEchoingThem) {
  auto result = RunCommand(
      {RunfilePath("services/authd"), "--listen=127.0.0.1:0",
       "--data-dir=" + MakeTempDir("data") + "/authd"},
      absl::Seconds(30),
      {"AUTHD_INIT_USERNAME=admin", "AUTHD_INIT_PASSWORD=short", "AUTHD_INIT_ORG=acme",
       "AUTHD_INIT_BUCKET=metrics"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_NE(result->output.find("bootstrap from AUTHD_INIT_*: password: must be 8 to 72 characters"),
            std::string::npos)
      << result->output;
  EXPECT_EQ(result->output.find("=short"), std::string::npos);

  result = RunCommand({RunfilePath("services/authd"), "--listen=127.0.0.1:0",
                       "--data-dir=" + MakeTempDir("data") + "/authd"},
                      absl::Seconds(30), {"AUTHD_INIT_ORG=acme"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 2);
  EXPECT_NE(result->output.find("AUTHD_INIT_USERNAME (env): required when any other AUTHD_INIT_* "
                                "variable is set"),
            std::string::npos)
      << result->output;
}

}  // namespace
}  // namespace authd::e2e
