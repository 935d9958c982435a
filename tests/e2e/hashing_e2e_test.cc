// End-to-end: token hashing at rest is switchable, migrates raw tokens at start-up, and leaves no
// plaintext anywhere under the data dir (SST, WAL, MANIFEST, LOG, OPTIONS, anything).
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {
namespace {

// Every spelling of `token` that would count as "the plaintext on disk".
std::vector<std::string> Spellings(const std::string& token) {
  std::string b64, web;
  absl::Base64Escape(token, &b64);
  absl::WebSafeBase64Escape(token, &web);
  std::vector<std::string> out = {token, b64, web};
  // Unpadded base64 prefixes too (a value split across encodings would still start like this).
  out.push_back(b64.substr(0, b64.size() - 4));
  return out;
}

class HashingE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = MakeTempDir("data") + "/authd";
    authd_ = std::make_unique<AuthdProcess>(data_dir_);
  }

  void StartWith(std::vector<std::string> args, std::vector<std::string> env = {}) {
    authd_->set_extra_args(std::move(args));
    authd_->set_extra_env(std::move(env));
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
  }

  void StopServer() {
    client_.reset();  // See SetUpAuthdTest::StopAuthd: idle clients slow gRPC's shutdown.
    auto code = authd_->Stop();
    ASSERT_TRUE(code.ok()) << code.status();
    ASSERT_EQ(*code, 0);
  }

  std::string CreateReader() {
    grpc::Status s;
    v1::Authorization out = client_->CreateBucketReader(operator_token_, org_id_, bucket_id_, &s);
    EXPECT_TRUE(s.ok()) << s.error_message();
    ids_[out.token()] = out.id();
    return out.token();
  }

  bool Allowed(const std::string& token) {
    return client_->Authorize(token, "read", "buckets", bucket_id_, org_id_).allowed();
  }

  std::map<std::string, std::string> ListedTokens() {
    v1::ListAuthorizationsResponse list;
    grpc::Status s = client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), {}, &list);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, std::string> out;  // id -> token shown
    for (const auto& a : list.authorizations()) out[a.id()] = a.token();
    return out;
  }

  std::string data_dir_;
  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> client_;
  std::string operator_token_, org_id_, bucket_id_;
  std::map<std::string, std::string> ids_;  // token -> id
};

TEST_F(HashingE2eTest, RawTokensAreMigratedAndNoPlaintextSurvivesOnDisk) {
  StartWith({"--use-hashed-tokens=false"});
  v1::SetupResponse setup;
  ASSERT_TRUE(client_->Setup("admin", "acme", "metrics", &setup).ok());
  operator_token_ = setup.authorization().token();
  org_id_ = setup.org().id();
  bucket_id_ = setup.bucket().id();
  std::vector<std::string> raw = {operator_token_};
  for (int i = 0; i < 4; ++i) raw.push_back(CreateReader());
  // One more, deleted while hashing is off: its plaintext must go from the files too.
  std::string deleted = CreateReader();
  raw.push_back(deleted);
  v1::DeleteAuthorizationRequest del;
  del.set_id(ids_[deleted]);
  v1::DeleteAuthorizationResponse gone;
  ASSERT_TRUE(client_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), del, &gone).ok());

  // Stored raw, a raw token is shown again (InfluxDB's behaviour with hashing off).
  auto listed = ListedTokens();
  EXPECT_EQ(listed[ids_[raw[1]]], raw[1]);
  StopServer();

  // Before: the scan really finds raw tokens (it is not a scan that cannot fail).
  for (const std::string& t : raw) {
    if (t == deleted) continue;
    EXPECT_FALSE(FilesContaining(data_dir_, t).empty()) << "expected a raw token on disk";
  }

  StartWith({});  // Hashing on: the default.
  EXPECT_NE(authd_->Log().find("migrated raw tokens to hashed tokens: count=5"), std::string::npos)
      << authd_->Log();
  for (const std::string& t : raw) {
    if (t == deleted) {
      EXPECT_FALSE(Allowed(t));
    } else {
      EXPECT_TRUE(Allowed(t)) << "a migrated token stopped working";
    }
  }
  for (const auto& [id, token] : ListedTokens()) EXPECT_EQ(token, "") << "hashed token shown";

  // After start-up, nothing authd wrote holds any of them, in any spelling.
  for (const std::string& t : raw) {
    for (const std::string& spelling : Spellings(t)) {
      EXPECT_TRUE(FilesContaining(data_dir_, spelling).empty())
          << "plaintext (or its base64) still on disk";
    }
  }
  // New tokens with hashing on never reach the disk either, even before a flush.
  std::string fresh = CreateReader();
  for (const std::string& spelling : Spellings(fresh)) {
    EXPECT_TRUE(FilesContaining(data_dir_, spelling).empty());
  }
  StopServer();
  for (const std::string& spelling : Spellings(fresh)) {
    EXPECT_TRUE(FilesContaining(data_dir_, spelling).empty());
  }
  // The server's own log never held any of them.
  for (const std::string& t : raw) EXPECT_EQ(authd_->Log().find(t), std::string::npos);
}

TEST_F(HashingE2eTest, TurningHashingOffKeepsHashedTokensWorkingAndWarns) {
  StartWith({});
  v1::SetupResponse setup;
  ASSERT_TRUE(client_->Setup("admin", "acme", "metrics", &setup).ok());
  operator_token_ = setup.authorization().token();
  org_id_ = setup.org().id();
  bucket_id_ = setup.bucket().id();
  std::string hashed = CreateReader();
  StopServer();

  StartWith({"--use-hashed-tokens=false"});
  EXPECT_NE(authd_->Log().find("token hashing is disabled, but hashed tokens were found in the "
                               "store (count=2); they keep working"),
            std::string::npos)
      << authd_->Log();
  EXPECT_TRUE(Allowed(hashed));
  EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());
  std::string raw = CreateReader();
  EXPECT_TRUE(Allowed(raw));
  auto listed = ListedTokens();
  EXPECT_EQ(listed[ids_[raw]], raw) << "a raw token is shown";
  EXPECT_EQ(listed[ids_[hashed]], "") << "a hashed token stays hashed forever";
  EXPECT_FALSE(FilesContaining(data_dir_, raw).empty()) << "hashing off stores new tokens raw";
  EXPECT_TRUE(FilesContaining(data_dir_, hashed).empty());

  v1::GetServerConfigResponse config;
  ASSERT_TRUE(client_->admin->GetServerConfig(AuthdClient::Ctx(operator_token_).get(), {}, &config).ok());
  EXPECT_FALSE(config.use_hashed_tokens());
}

TEST_F(HashingE2eTest, ConfigFileEnvAndFlagFollowPrecedence) {
  std::string config = MakeTempDir("cfg") + "/authd.yaml";
  std::ofstream(config) << "# authd config\nuse-hashed-tokens: false\nlog-level: debug\n";
  auto hashing = [&]() {
    v1::GetServerConfigResponse c;
    EXPECT_TRUE(client_->admin->GetServerConfig(AuthdClient::Ctx(operator_token_).get(), {}, &c).ok());
    return c.use_hashed_tokens();
  };
  StartWith({"--config=" + config});
  v1::SetupResponse setup;
  ASSERT_TRUE(client_->Setup("admin", "acme", "metrics", &setup).ok());
  operator_token_ = setup.authorization().token();
  EXPECT_FALSE(hashing()) << "file over default";
  StopServer();
  StartWith({}, {"AUTHD_CONFIG=" + config, "AUTHD_USE_HASHED_TOKENS=true"});
  EXPECT_TRUE(hashing()) << "env over file";
  StopServer();
  StartWith({"--config", config, "--use-hashed-tokens=false"}, {"AUTHD_USE_HASHED_TOKENS=true"});
  EXPECT_FALSE(hashing()) << "flag over env";
  StopServer();
}

TEST_F(HashingE2eTest, BadConfigurationStopsStartUpNamingTheOptionAndSource) {
  std::string dir = MakeTempDir("cfg");
  std::ofstream(dir + "/bad_value.yaml") << "use-hashed-tokens: maybe\n";
  std::ofstream(dir + "/unknown.yaml") << "listen: 127.0.0.1:0\nuse-hashed-token: true\n";
  std::ofstream(dir + "/malformed.json") << "{\"listen\": \"127.0.0.1:0\",\n";
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--use-hashed-tokens=maybe"}, {}, "--use-hashed-tokens (flag): want true or false"},
      {{}, {"AUTHD_USE_HASHED_TOKENS=maybe"}, "AUTHD_USE_HASHED_TOKENS (env): want true or false"},
      {{"--config=" + dir + "/bad_value.yaml"}, {},
       "use-hashed-tokens (config file " + dir + "/bad_value.yaml:1): want true or false"},
      {{"--config=" + dir + "/unknown.yaml"}, {},
       dir + "/unknown.yaml:2: unknown option \"use-hashed-token\""},
      {{"--config=" + dir + "/malformed.json"}, {}, dir + "/malformed.json:"},
      {{"--config=" + dir + "/missing.yaml"}, {}, dir + "/missing.yaml: cannot read config file"},
      {{"--no-such-flag"}, {}, "unknown flag --no-such-flag"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    std::vector<std::string> argv = {RunfilePath("services/authd"), "--listen=127.0.0.1:0",
                                     "--data-dir=" + data_dir_};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto result = RunCommand(argv, absl::Seconds(30), c.env);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->exit_code, 2);
    EXPECT_NE(result->output.find(c.message), std::string::npos) << result->output;
  }
}

}  // namespace
}  // namespace authd::e2e
